"""Generated news corpora with known stories, copies and outlets, for the scale benchmarks.

    python benchmarks/corpusgen.py 10000 > corpus.jsonl

Real archives are too small or not ours to ship, so the scale runs use text built from
invented syllable words. What matters for the corpus jobs is kept:

- background words follow a Zipf law, so every article shares common words with every other;
- a story has its own people and place (capitalised names, some of them famous enough to
  recur across many stories), its own topic words and a pool of sentences its articles
  draw on, and it runs for a few days across several outlets;
- two in five of a story's articles build on its wire text (they share sentences), the
  rest report it in their own sentences with its names and topic words; one in ten is a
  near-copy of an earlier article of its story (a wire story
  republished with edits), one in fifty an exact copy; a quarter belong to no story;
- articles arrive day by day over ``max(60, n / 1000)`` days, so the number of stories open
  at once stays about the same whatever ``n`` is.

Generation streams: memory holds the open stories only. Each record carries its gold
``story`` (-1 for none) so clustering can be scored at scale.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

_SYLLABLES = "ka lo mer tin sa vel or ut dra pe qui son ber al ri ne".split()
_NAME_SYLLABLES = "Bra Kel Mon Tor Vis Zan Hal Dor Pra Lun Ser Fen Gav Ost Rim Cal".split()
OUTLETS = 40
START = datetime(2024, 1, 1)


def _words(rng: np.random.Generator, parts: list[str], size: int, lower: bool) -> np.ndarray:
    found: dict[str, None] = {}
    while len(found) < size:
        n = int(rng.integers(2, 5))
        word = "".join(parts[int(i)] for i in rng.integers(0, len(parts), n))
        found[word.lower() if lower else word.capitalize()] = None
    return np.asarray(list(found))


@dataclass
class _Story:
    number: int
    ends: int  # last day it gets articles
    title_words: list[str]
    sentences: list[str]
    topic: list[str]
    names: list[str]
    recent: list[str] = field(default_factory=list)  # texts that later articles may copy


class CorpusGenerator:
    """Streams article records (dicts) in publication order; deterministic for a seed."""

    def __init__(self, n: int, seed: int = 11) -> None:
        self.n = n
        self.rng = np.random.default_rng(seed)
        self.vocab = _words(self.rng, _SYLLABLES, 20000, lower=True)
        zipf = 1.0 / np.arange(1, len(self.vocab) + 1)
        self.cum = np.cumsum(zipf / zipf.sum())
        self.names = _words(self.rng, _NAME_SYLLABLES, 30000, lower=False)
        name_zipf = 1.0 / np.arange(1, len(self.names) + 1) ** 0.8
        self.name_cum = np.cumsum(name_zipf / name_zipf.sum())
        self.days = max(60, n // 1000)
        self.open: list[_Story] = []
        self.next_story = 0

    def _background(self, k: int) -> list[str]:
        idx = np.searchsorted(self.cum, self.rng.random(k))
        return self.vocab[np.minimum(idx, len(self.vocab) - 1)].tolist()

    def _name(self) -> str:
        i = int(np.searchsorted(self.name_cum, self.rng.random()))
        return str(self.names[min(i, len(self.names) - 1)])

    def _sentence(self, words: list[str]) -> str:
        return " ".join(words).capitalize() + "."

    def _filler(self, sentences: int) -> list[str]:
        return [
            self._sentence(self._background(int(self.rng.integers(14, 22))))
            for _ in range(sentences)
        ]

    def _new_story(self, day: int) -> _Story:
        rng = self.rng
        people = [f"{self._name()} {self._name()}" for _ in range(2)]
        place = self._name()
        topic = self.vocab[rng.integers(1500, len(self.vocab), 12)].tolist()
        sentences = []
        for _ in range(8):
            words = self._background(int(rng.integers(8, 12))) + rng.choice(topic, 6).tolist()
            rng.shuffle(words)
            names = rng.choice([*people, place], 2, replace=False).tolist()
            words.insert(int(rng.integers(0, 4)), names[0])
            words.insert(int(rng.integers(4, len(words))), names[1])
            sentences.append(" ".join(words) + ".")
        title = [place, *rng.choice(topic, 4, replace=False).tolist(), people[0].split()[1]]
        ends = day + int(rng.integers(0, 5))
        story = _Story(self.next_story, ends, title, sentences, topic, [*people, place])
        self.next_story += 1
        return story

    def _edit(self, text: str) -> str:
        words = text.split()
        for _ in range(int(self.rng.integers(1, 7))):
            i = int(self.rng.integers(0, len(words)))
            roll = self.rng.random()
            if roll < 0.4:
                words[i] = self._background(1)[0]
            elif roll < 0.7:
                words.insert(i, self._background(1)[0])
            elif len(words) > 1:
                words.pop(i)
        return " ".join(words)

    def _reworded(self, story: _Story) -> str:
        words = self._background(int(self.rng.integers(8, 12)))
        words += [*self.rng.choice(story.topic, 5).tolist(), self.rng.choice(story.names)]
        self.rng.shuffle(words)
        return " ".join(words) + "."

    def _story_text(self, story: _Story) -> str:
        rng = self.rng
        if story.recent and rng.random() < 0.12:
            source = story.recent[int(rng.integers(0, len(story.recent)))]
            return source if rng.random() < 0.2 else self._edit(source)
        if rng.random() < 0.4:  # built on the wire copy: shares sentences with its story
            lead = rng.choice(story.sentences, int(rng.integers(3, 6)), replace=False).tolist()
        else:  # own reporting: the story's names and topic words, in its own sentences
            lead = [self._reworded(story) for _ in range(int(rng.integers(3, 6)))]
        text = " ".join(lead + self._filler(int(rng.integers(6, 11))))
        story.recent = ([*story.recent, text])[-3:]
        return text

    def __iter__(self) -> Iterator[dict[str, object]]:
        rng = self.rng
        made = 0
        for day in range(self.days):
            today = self.n * (day + 1) // self.days - made
            self.open = [s for s in self.open if s.ends >= day]
            for _ in range(max(1, today // 6)):
                self.open.append(self._new_story(day))
            for k in range(today):
                when = START + timedelta(days=day, minutes=int(k * 1440 / max(1, today)))
                outlet = int(rng.integers(0, OUTLETS))
                if rng.random() < 0.25:
                    number = -1
                    title = " ".join([self._name(), *self._background(6)]).capitalize()
                    text = f"{self._name()} {self._name()} " + " ".join(self._filler(12))
                else:
                    story = self.open[int(rng.integers(0, len(self.open)))]
                    number = story.number
                    words = story.title_words[:]
                    rng.shuffle(words)
                    title = " ".join(words + self._background(2))
                    text = self._story_text(story)
                yield {
                    "id": f"a{made}",
                    "story": number,
                    "title": title,
                    "text": text,
                    "published": when.isoformat(timespec="minutes"),
                    "url": f"https://outlet{outlet}.example/{made}",
                }
                made += 1


def write_corpus(path: str, n: int, seed: int = 11) -> None:
    """Write ``n`` generated articles to a JSONL file."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for record in CorpusGenerator(n, seed):
            fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    for item in CorpusGenerator(int(sys.argv[1])):
        sys.stdout.write(json.dumps(item) + "\n")
