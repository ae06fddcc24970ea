"""Streaming, time-aware story clustering.

Articles arrive in publication order. Each joins the open story it fits best, if that fit
passes a threshold, or opens a new story; a story closes once nothing has joined it for
``window_days``, which bounds both memory and the chance that next month's flood joins
this month's. The fit blends three kinds of evidence:

- lexical: cosine between the article's TF-IDF vector and the story's centroid;
- names: the share of the article's proper names (capitalised runs: people, places,
  organisations), each weighted by its rarity in the corpus, that the story already used;
- meaning: cosine between sentence-embedding vectors of title and lead, when given.

Names carry what separates two confusable events (two earthquakes, two floods): different
towns, different people, different numbers. Everything is deterministic for the same input.
"""

from __future__ import annotations

import itertools
import math
import operator
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from storytrace.text.tokens import STOPWORDS, word_keys

_NAME = re.compile(r"\b(?:[A-Z][\w'’-]+(?:[ \t]+(?:of|al|de|van|von|the)?[ \t]*[A-Z][\w'’-]+)*)")
_SENTENCE_START = re.compile(r"(?:^|[.!?\n]\s*)([A-Z][\w'’-]+)")


@dataclass(frozen=True, slots=True)
class StoryOptions:
    """Weights and limits of the clusterer.

    ``threshold``, ``name_weight`` and ``idf_prior`` are the set that leave-topics-out
    cross-validation on the 23 ECB+ dev topics chose (benchmarks/stories.py; the folds and
    their spread are in docs/benchmarks.md).
    """

    window_days: float = 7.0
    threshold: float = 0.40
    lexical_weight: float = 1.0
    name_weight: float = 0.4
    embedding_weight: float = 0.0
    head_words: int = 300
    max_terms: int = 200
    index_terms: int = 30  # an article meets the open stories that share one of these or a name
    max_postings: int = 50  # a term or name held by more open stories than this finds none
    max_candidates: int = 12  # open stories scored per article: those sharing most keys
    min_vote_share: float = 0.1  # skip candidates sharing fewer keys than this x the best's
    refine_rounds: int = 2  # passes that place the open stories' articles again
    refine_every: float = 1.0  # in windows: how often the open stories are refined
    block_days: float = 28.0  # time blocks clustered in parallel (see stories.stages)
    idf_prior: int = 300  # background documents imagined beside the corpus (see Vocabulary)
    profile_terms: int = 20  # terms of a story's profile, for matching undated stories
    undated_link: float = 0.5  # profile cosine that joins an undated story to a dated one
    max_profile_postings: int = 50  # a term in more dated stories than this is no evidence
    reuse_link_chars: int = 150  # shared passages this long tie two articles' stories,
    reuse_link_share: float = 0.25  # when they are this much of the shorter article


# With sentence embeddings of title and lead as a third kind of evidence.
EMBEDDING_OPTIONS = StoryOptions(threshold=0.44, name_weight=0.1, embedding_weight=0.3)


@dataclass(frozen=True, slots=True)
class Features:
    """What the clusterer knows of one article."""

    id: str
    when: float | None  # days since the epoch
    terms: dict[str, float]  # unit-length TF-IDF vector
    names: dict[str, float]  # proper name -> its inverse document frequency
    embedding: np.ndarray | None = None
    name_mass: float = field(init=False, repr=False, compare=False)  # sum of name weights

    def __post_init__(self) -> None:
        # every fit divides by it: summed once here, not once per story an article meets
        object.__setattr__(self, "name_mass", math.fsum(self.names.values()))


@dataclass(frozen=True, slots=True)
class Bag:
    """One article's content-word counts and proper names, before any corpus weighting."""

    counts: Mapping[str, int]
    names: frozenset[str]


def days_of(published: str | None) -> float | None:
    """Days since the epoch (fractional, UTC) of an ISO 8601 date; None when undated."""
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
    keys = [k for k in word_keys(text, head_words) if k not in STOPWORDS and len(k) > 2]
    keys += 2 * [k for k in word_keys(title) if k not in STOPWORDS and len(k) > 2]
    return Counter(keys)


def _head_names(title: str, text: str, head_words: int) -> frozenset[str]:
    return names_of(f"{title}\n{' '.join(text.split()[:head_words])}")


def name_key(name: str) -> str:
    """Names share the term vocabulary under a prefix no word can start with."""
    return f"\x00{name}"


def bag_of(title: str, text: str, options: StoryOptions = StoryOptions()) -> Bag:
    """Stage part: what the clusterer reads of one article's title and head, tokenised once.

    Both the corpus's document frequencies and the article's TF-IDF vector come from this
    bag, so a corpus job tokenises each article once, not once per pass."""
    return Bag(
        term_counts(title, text, options.head_words),
        _head_names(title, text, options.head_words),
    )


def document_frequencies(
    batch: Sequence[tuple[str, str, str, str | None]], options: StoryOptions = StoryOptions()
) -> Counter[str]:
    """Stage: in how many of the batch's articles each term and each name occurs."""
    return frequencies_of_bags(bag_of(title, text, options) for _, title, text, _ in batch)


def frequencies_of_bags(bags: Iterable[Bag]) -> Counter[str]:
    """In how many of the bags each term and each name (under ``name_key``) occurs."""
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.counts.keys())
        df.update(map(name_key, bag.names))
    return df


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Corpus document frequencies: what turns counts into TF-IDF weights.

    ``prior`` counts imagined background documents that hold none of the terms. In a
    corpus of thousands it changes little; in a corpus of two articles it keeps the words
    both share from weighing nothing (plain idf would be log(3/3) = 0 for them), so two
    reports of one event still look alike however small the corpus.
    """

    df: Mapping[str, int]
    n_docs: int
    prior: int = 0

    def idf(self, key: str) -> float:
        return math.log((self.n_docs + self.prior + 1) / (self.df.get(key, 1) + 1))

    def pruned(self) -> Vocabulary:
        """Without keys seen once (``idf`` treats a missing key as seen once): less memory."""
        return Vocabulary({k: c for k, c in self.df.items() if c > 1}, self.n_docs, self.prior)


def featurize(
    batch: Sequence[tuple[str, str, str, str | None]],
    vocabulary: Vocabulary,
    options: StoryOptions = StoryOptions(),
) -> list[Features]:
    """Stage: (id, title, text, published) -> Features. Pure."""
    return [
        weigh(article_id, days_of(published), bag_of(title, text, options), vocabulary, options)
        for article_id, title, text, published in batch
    ]


def weigh(
    article_id: str,
    when: float | None,
    bag: Bag,
    vocabulary: Vocabulary,
    options: StoryOptions = StoryOptions(),
) -> Features:
    """One article's bag as the clusterer's Features: the ``max_terms`` heaviest terms
    (log-scaled counts times idf, unit length) and each name with its idf."""
    idf = vocabulary.idf
    weights = {t: (1.0 + math.log(c)) * idf(t) for t, c in bag.counts.items()}
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[: options.max_terms]
    norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
    return Features(
        article_id,
        when,
        {t: w / norm for t, w in top},
        {n: idf(name_key(n)) for n in sorted(bag.names)},
    )


@dataclass
class _Story:
    members: list[tuple[int, Features, float]] = field(default_factory=list)  # seq, f, score
    centroid: dict[str, float] = field(default_factory=dict)
    names: Counter[str] = field(default_factory=Counter)  # name -> members that use it
    embedding: np.ndarray | None = None
    last: float | None = None
    keys: set[str] = field(default_factory=set)  # terms and names in the inverted index
    norm: float = 0.0  # length of the centroid

    def top_terms(self, n: int = 6) -> list[str]:
        return [t for t, _ in sorted(self.centroid.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]

    def add(self, seq: int, f: Features, score: float, max_terms: int) -> None:
        self.members.append((seq, f, score))
        for t, w in f.terms.items():
            self.centroid[t] = self.centroid.get(t, 0.0) + w
        if len(self.centroid) > 4 * max_terms:
            keep = sorted(self.centroid.items(), key=lambda kv: (-kv[1], kv[0]))[: 2 * max_terms]
            self.centroid = dict(keep)
        weights = self.centroid.values()
        self.norm = math.sqrt(sum(map(operator.mul, weights, weights)))
        self.names.update(f.names.keys())
        if f.embedding is not None:
            self.embedding = (
                f.embedding.copy() if self.embedding is None else self.embedding + f.embedding
            )
        if f.when is not None:
            self.last = f.when if self.last is None else max(self.last, f.when)

    def summary(self) -> tuple[int, list[str], list[float], list[str]]:
        """What outlives the story once it closes: first arrival, ids, scores, keywords."""
        return (
            self.members[0][0],
            [f.id for _, f, _ in self.members],
            [score for _, _, score in self.members],
            self.top_terms(),
        )


class StoryClusterer:
    """Feed ``Features`` in publication order with ``add``; read ``finish()`` at the end.

    An article is scored only against the few open stories that share the most of its
    distinctive terms and names (an inverted index over open stories), so its cost stays
    flat however many stories are open: a story with none of those in common cannot reach
    the threshold in practice.

    Placing articles one at a time depends on their order: an early article meets a story
    before the evidence that would have sent it elsewhere has arrived. So once per window
    (and at the end) the articles of the open stories are placed again against the stories
    as they now stand, like a round of k-means, until none moves or ``refine_rounds`` is
    spent. A story stays open for a window after its last article, so every article takes
    part in at least one round, and memory holds only the open stories.
    """

    def __init__(self, options: StoryOptions = StoryOptions()) -> None:
        self.options = options
        self.open: dict[int, _Story] = {}
        self.closed: list[tuple[int, list[str], list[float], list[str]]] = []
        self.postings: dict[str, set[int]] = {}
        self._next = 0
        self._seq = 0
        self._swept: float | None = None
        self._refined: float | None = None

    def fit(self, f: Features, story: _Story, own: bool = False) -> float:
        """How well ``f`` fits ``story``; ``own``: the story holds ``f``, leave it out."""
        o = self.options
        centroid, terms = story.centroid, f.terms
        shared = terms.keys() & centroid.keys()  # a set operation in C: few terms are shared
        # map() with C-level getters and multiply: no Python frame per shared term
        # math.fsum is exact, so the result does not depend on the order a set of strings
        # iterates in, which differs from process to process (hash randomisation): the
        # same article scores the same on every worker and engine
        dot = math.fsum(
            map(operator.mul, map(terms.__getitem__, shared), map(centroid.__getitem__, shared))
        )
        norm = story.norm
        if own:
            mine = math.fsum(w * w for w in map(terms.__getitem__, shared))
            norm = math.sqrt(max(norm * norm - 2 * dot + mine, 0.0))
            dot -= mine
        score = o.lexical_weight * dot / (norm or 1.0)
        if f.names:
            held = f.names.keys() & story.names.keys()  # a story's name counts are >= 1
            if own:  # the article's own use of a name does not count
                held = [n for n in held if story.names[n] > 1]
            seen = math.fsum(map(f.names.__getitem__, held))
            score += o.name_weight * seen / (f.name_mass or 1.0)
        if f.embedding is not None and story.embedding is not None:
            e = story.embedding - f.embedding if own else story.embedding
            score += o.embedding_weight * float(f.embedding @ e) / (float(np.linalg.norm(e)) or 1.0)
        return score

    def _keys(self, f: Features) -> Iterator[str]:
        """The article's most distinctive terms (its vector is sorted by weight) and names."""
        yield from itertools.islice(f.terms, self.options.index_terms)
        yield from map(name_key, f.names)

    def _candidates(self, f: Features) -> list[int]:
        """Open stories that share the most distinctive keys with the article, best first.

        A key held by more than ``max_postings`` open stories says little about which one
        the article belongs to, and scanning it would make each article's cost grow with
        the number of open stories, so it is skipped. With embeddings and few open stories
        every open story is scored, since meaning alone may tie an article to one.
        """
        o = self.options
        if f.embedding is not None and len(self.open) <= o.max_candidates:
            return sorted(self.open)
        postings, cap = self.postings, o.max_postings
        held = [h for h in map(postings.get, self._keys(f)) if h is not None and len(h) <= cap]
        votes = Counter(itertools.chain.from_iterable(held))  # one count in C, not one per key
        # most votes first, the lower number among equals: two C sorts (the second is stable)
        best = sorted(sorted(votes), key=votes.__getitem__, reverse=True)[: o.max_candidates]
        floor = votes[best[0]] * o.min_vote_share if best else 0
        return [number for number in best if votes[number] >= floor]

    def _index(self, number: int, story: _Story, f: Features) -> None:
        for key in self._keys(f):
            if key not in story.keys:
                story.keys.add(key)
                self.postings.setdefault(key, set()).add(number)

    def _unindex(self, number: int, story: _Story) -> None:
        for key in story.keys:
            holders = self.postings.get(key)
            if holders is not None:
                holders.discard(number)
                if not holders:
                    del self.postings[key]

    def _best(self, f: Features, current: int | None = None) -> tuple[int | None, float]:
        """The open story ``f`` fits best above the threshold (its current one wins ties)."""
        best, best_score = None, self.options.threshold
        if current is not None and len(self.open[current].members) > 1:
            score = self.fit(f, self.open[current], own=True)
            if score > best_score:
                best, best_score = current, score
        for number in self._candidates(f):
            if number != current:
                score = self.fit(f, self.open[number])
                if score > best_score:
                    best, best_score = number, score
        return best, best_score

    def _open_story(self) -> int:
        number = self._next
        self._next += 1
        self.open[number] = _Story()
        return number

    def _sweep(self, now: float | None) -> None:
        """Refine once per window; close stories idle for longer than the window."""
        if now is None:
            return
        if self._refined is None:
            self._refined = now
        elif now - self._refined >= self.options.window_days * self.options.refine_every:
            self._refined = now
            self.refine()
        if self._swept is not None and now - self._swept < 0.25:
            return
        self._swept = now
        for number in [
            n
            for n, s in self.open.items()
            if s.last is not None and now - s.last > self.options.window_days
        ]:
            story = self.open.pop(number)
            self.closed.append(story.summary())
            self._unindex(number, story)

    def refine(self) -> int:
        """Place the open stories' articles again; returns how many moved in all."""
        moved_in_all = 0
        for _ in range(self.options.refine_rounds):
            placed: dict[int, list[tuple[int, Features, float]]] = {}
            moved = 0
            everyone = sorted(
                ((seq, f, n) for n, s in self.open.items() for seq, f, _ in s.members),
                key=lambda item: item[0],
            )
            for seq, f, current in everyone:
                best, score = self._best(f, current)
                if best is None and len(self.open[current].members) == 1:
                    best, score = current, 1.0
                if best is None:
                    best, score = -1 - seq, 1.0  # a story of its own, numbered below
                moved += best != current
                placed.setdefault(best, []).append((seq, f, score))
            if not moved:
                break
            moved_in_all += moved
            self._rebuild(placed)
        return moved_in_all

    def _rebuild(self, placed: dict[int, list[tuple[int, Features, float]]]) -> None:
        """Open stories as ``placed`` says; negative keys are new stories."""
        self.open, self.postings = {}, {}
        for key in sorted(placed, key=lambda n: placed[n][0][0]):
            number = key
            if key < 0:
                number = self._next
                self._next += 1
            story = self.open[number] = _Story()
            for seq, f, score in placed[key]:
                story.add(seq, f, score, self.options.max_terms)
                self._index(number, story, f)

    def add(self, f: Features) -> int:
        """Place one article; returns the number of the story it joins for now."""
        self._sweep(f.when)
        best, best_score = self._best(f)
        if best is None:
            best, best_score = self._open_story(), 1.0
        story = self.open[best]
        story.add(self._seq, f, best_score, self.options.max_terms)
        self._seq += 1
        self._index(best, story, f)
        return best

    def pop_closed(self) -> list[tuple[list[str], list[float], list[str]]]:
        """Stories closed since the last call, by their first article; they are final.

        A closed story is never refined again, so a caller can store it and forget it:
        memory then holds only the open stories, not every story of the corpus.
        """
        done, self.closed = sorted(self.closed), []
        return [(members, scores, keywords) for _, members, scores, keywords in done]

    def finish(self) -> list[tuple[list[str], list[float], list[str]]]:
        """Every story not yet popped: member ids, join scores and keywords, by first article."""
        self.refine()
        self.closed += [s.summary() for s in self.open.values()]
        self.open, self.postings = {}, {}
        return self.pop_closed()


def cluster(
    features: Iterable[Features], options: StoryOptions = StoryOptions()
) -> list[list[str]]:
    """Story member lists for features given in publication order."""
    clusterer = StoryClusterer(options)
    for f in features:
        clusterer.add(f)
    return [members for members, _, _ in clusterer.finish()]
