"""Streaming, time-aware story clustering.

Articles arrive in publication order. Each joins the open story it fits best, if that fit
passes a threshold, or opens a new story; a story closes once nothing has joined it for
``window_days``, which bounds both memory and the chance that next month's flood joins
this month's. The fit blends three kinds of evidence:

- lexical: cosine between the article's TF-IDF vector and the story's centroid;
- names: the share of the article's proper names (capitalised runs: people, places,
  organisations) that the story has already used;
- meaning: cosine between sentence-embedding vectors of title and lead, when given.

Names carry what separates two confusable events (two earthquakes, two floods): different
towns, different people, different numbers. Everything is deterministic for the same input.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from storytrace.text.tokens import STOPWORDS, word_keys

_NAME = re.compile(r"\b(?:[A-Z][\w'’-]+(?:\s+(?:of|al|de|van|von|the)?\s*[A-Z][\w'’-]+)*)")
_SENTENCE_START = re.compile(r"(?:^|[.!?\n]\s*)([A-Z][\w'’-]+)")


@dataclass(frozen=True, slots=True)
class StoryOptions:
    window_days: float = 7.0
    threshold: float = 0.30
    lexical_weight: float = 1.0
    name_weight: float = 0.5
    embedding_weight: float = 0.6
    head_words: int = 300
    max_terms: int = 200
    index_terms: int = 30  # an article meets the open stories that share one of these or a name


@dataclass(frozen=True, slots=True)
class Features:
    """What the clusterer knows of one article."""

    id: str
    when: float | None  # days since the epoch
    terms: dict[str, float]  # unit-length TF-IDF vector
    names: frozenset[str]
    embedding: np.ndarray | None = None


def _days(published: str | None) -> float | None:
    if not published:
        return None
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.toordinal() + (moment.hour * 60 + moment.minute) / 1440.0


def names_of(text: str) -> frozenset[str]:
    """Lower-cased proper names: capitalised runs, minus lone sentence-initial words."""
    starts = {m.start(1) for m in _SENTENCE_START.finditer(text)}
    found = set()
    for match in _NAME.finditer(text):
        name = match.group(0)
        if match.start() in starts and " " not in name:
            continue
        key = name.casefold()
        if key not in STOPWORDS and len(key) > 2:
            found.add(key)
    return frozenset(found)


def term_counts(title: str, text: str, head_words: int) -> Counter[str]:
    """Content-word counts of the title (counted twice) and the first ``head_words`` words."""
    keys = [k for k in word_keys(text)[:head_words] if k not in STOPWORDS and len(k) > 2]
    keys += 2 * [k for k in word_keys(title) if k not in STOPWORDS and len(k) > 2]
    return Counter(keys)


def featurize(
    batch: Sequence[tuple[str, str, str, str | None]],
    df: Mapping[str, int],
    n_docs: int,
    options: StoryOptions = StoryOptions(),
) -> list[Features]:
    """Stage: (id, title, text, published) -> Features. Pure; ``df`` are document counts."""
    out = []
    for article_id, title, text, published in batch:
        counts = term_counts(title, text, options.head_words)
        weights = {
            t: (1.0 + math.log(c)) * math.log((n_docs + 1) / (df.get(t, 0) + 1))
            for t, c in counts.items()
        }
        top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[: options.max_terms]
        norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
        head = " ".join(text.split()[: options.head_words])
        out.append(
            Features(
                article_id,
                _days(published),
                {t: w / norm for t, w in top},
                names_of(f"{title}\n{head}"),
            )
        )
    return out


@dataclass
class _Story:
    members: list[str] = field(default_factory=list)
    centroid: dict[str, float] = field(default_factory=dict)
    names: Counter[str] = field(default_factory=Counter)
    embedding: np.ndarray | None = None
    last: float | None = None
    scores: list[float] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)  # terms and names in the inverted index
    norm: float = 0.0  # length of the centroid

    def top_terms(self, n: int = 6) -> list[str]:
        return [t for t, _ in sorted(self.centroid.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]

    def add(self, f: Features, score: float, max_terms: int) -> None:
        self.members.append(f.id)
        self.scores.append(score)
        for t, w in f.terms.items():
            self.centroid[t] = self.centroid.get(t, 0.0) + w
        if len(self.centroid) > 4 * max_terms:
            keep = sorted(self.centroid.items(), key=lambda kv: (-kv[1], kv[0]))[: 2 * max_terms]
            self.centroid = dict(keep)
        self.norm = math.sqrt(sum(w * w for w in self.centroid.values()))
        self.names.update(f.names)
        if f.embedding is not None:
            self.embedding = (
                f.embedding.copy() if self.embedding is None else self.embedding + f.embedding
            )
        if f.when is not None:
            self.last = f.when if self.last is None else max(self.last, f.when)


def _cos(terms: Mapping[str, float], centroid: Mapping[str, float], norm: float) -> float:
    get = centroid.get
    return sum(w * get(t, 0.0) for t, w in terms.items()) / (norm or 1.0)


class StoryClusterer:
    """Feed ``Features`` in publication order with ``add``; read ``finish()`` at the end.

    Without embeddings only the open stories that share a name or one of the article's most
    distinctive terms with it are scored (an inverted index over open stories): a story with
    none of those in common cannot reach the threshold in practice. With embeddings every
    open story is scored.
    """

    def __init__(self, options: StoryOptions = StoryOptions()) -> None:
        self.options = options
        self.open: dict[int, _Story] = {}
        self.closed: list[tuple[int, list[str], list[float], list[str]]] = []
        self.postings: dict[str, set[int]] = {}
        self._next = 0
        self._swept: float | None = None

    def fit(self, f: Features, story: _Story) -> float:
        o = self.options
        score = o.lexical_weight * _cos(f.terms, story.centroid, story.norm)
        if f.names:
            seen = sum(1 for n in f.names if n in story.names)
            score += o.name_weight * seen / len(f.names)
        if f.embedding is not None and story.embedding is not None:
            e = story.embedding
            score += o.embedding_weight * float(f.embedding @ e) / (float(np.linalg.norm(e)) or 1.0)
        return score

    def _close_old(self, now: float | None) -> None:
        if now is None or (self._swept is not None and now - self._swept < 0.25):
            return
        self._swept = now
        for number in [
            n
            for n, s in self.open.items()
            if s.last is not None and now - s.last > self.options.window_days
        ]:
            story = self.open.pop(number)
            self.closed.append((number, story.members, story.scores, story.top_terms()))
            for key in story.keys:
                holders = self.postings.get(key)
                if holders is not None:
                    holders.discard(number)
                    if not holders:
                        del self.postings[key]

    def _candidates(self, f: Features) -> list[int]:
        if f.embedding is not None:
            return sorted(self.open)
        found: set[int] = set()
        for key in itertools.chain(self._top(f), (f"\x00{n}" for n in f.names)):
            found.update(self.postings.get(key, ()))
        return sorted(found)

    def _top(self, f: Features) -> list[str]:
        """The article's most distinctive terms (its vector is sorted by weight)."""
        return list(itertools.islice(f.terms, self.options.index_terms))

    def _index(self, number: int, story: _Story, f: Features) -> None:
        for key in itertools.chain(self._top(f), (f"\x00{n}" for n in f.names)):
            if key not in story.keys:
                story.keys.add(key)
                self.postings.setdefault(key, set()).add(number)

    def add(self, f: Features) -> int:
        """Place one article; returns its story number."""
        self._close_old(f.when)
        best, best_score = None, self.options.threshold
        for number in self._candidates(f):
            score = self.fit(f, self.open[number])
            if score > best_score:
                best, best_score = number, score
        if best is None:
            best = self._next
            self._next += 1
            self.open[best] = _Story()
            best_score = 1.0
        story = self.open[best]
        story.add(f, best_score, self.options.max_terms)
        self._index(best, story, f)
        return best

    def finish(self) -> list[tuple[list[str], list[float], list[str]]]:
        """Every story's member ids, join scores and keywords, in the order stories opened."""
        done = self.closed + [(n, s.members, s.scores, s.top_terms()) for n, s in self.open.items()]
        return [(members, scores, keywords) for _, members, scores, keywords in sorted(done)]


def cluster(
    features: Iterable[Features], options: StoryOptions = StoryOptions()
) -> list[list[str]]:
    """Story member lists for features given in publication order."""
    clusterer = StoryClusterer(options)
    for f in features:
        clusterer.add(f)
    return [members for members, _, _ in clusterer.finish()]
