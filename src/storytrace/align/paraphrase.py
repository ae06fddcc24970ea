"""Sentences that say the same thing in other words.

Embedding cosine alone confuses "same topic" with "same statement"; word overlap alone misses
translations. A small logistic model combines the sentence cosine, a token-match score (each
word piece paired with its closest piece in the other sentence, as BERTScore does, from the
same MiniLM pass) and a few lexical checks: shared content words and word pairs, length
balance, numbers that disagree. Its weights live in ``paraphrase_model.json``, fitted by
``benchmarks/paraphrase.py --fit`` on STS-B train, so they can be refitted, not hand-edited.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from storytrace.text.tokens import STOPWORDS

FEATURES = (
    "cosine",
    "content_jaccard",
    "content_containment",
    "bigram_jaccard",
    "length_ratio",
    "number_mismatch",
    "cosine_x_containment",
    "token_match",
)


@dataclass(frozen=True, slots=True)
class ParaphraseModel:
    """Logistic weights over ``FEATURES`` and the decision threshold on its probability."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    min_cosine: float  # pairs below this cosine are never scored (cheap pre-filter)

    def probability(self, features: np.ndarray) -> np.ndarray:
        z = features @ np.asarray(self.weights, dtype=np.float64) + self.bias
        return 1.0 / (1.0 + np.exp(-z))


@functools.cache
def load_model() -> ParaphraseModel:
    """The fitted weights shipped with the package."""
    text = resources.files("storytrace.align").joinpath("paraphrase_model.json").read_text()
    raw = json.loads(text)
    if tuple(raw["features"]) != FEATURES:
        raise ValueError(f"paraphrase_model.json was fitted for {raw['features']}, not {FEATURES}")
    return ParaphraseModel(
        tuple(float(w) for w in raw["weights"]),
        float(raw["bias"]),
        float(raw["threshold"]),
        float(raw["min_cosine"]),
    )


def token_match(a_pieces: np.ndarray, b_pieces: np.ndarray) -> float:
    """F1 of greedy word-piece matching between two unit-vector matrices (0 when either is empty)."""
    if not len(a_pieces) or not len(b_pieces):
        return 0.0
    sims = a_pieces @ b_pieces.T
    precision = float(sims.max(axis=1).mean())
    recall = float(sims.max(axis=0).mean())
    if precision + recall <= 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def content_words(keys: Sequence[str]) -> frozenset[str]:
    """The word keys that carry content: no stopwords, no one-letter keys."""
    return frozenset(k for k in keys if len(k) > 1 and k not in STOPWORDS)


def _numbers(keys: list[str]) -> set[str]:
    return {k for k in keys if any(ch.isdigit() for ch in k)}


def pair_features(a: list[str], b: list[str], cosine: float, tokens: float) -> list[float]:
    """The feature vector of one pair: word keys, sentence cosine, token-match score."""
    ca, cb = content_words(a), content_words(b)
    shared = len(ca & cb)
    union = len(ca | cb) or 1
    containment = shared / (min(len(ca), len(cb)) or 1)
    ba, bb = set(itertools.pairwise(a)), set(itertools.pairwise(b))
    bigram = len(ba & bb) / (len(ba | bb) or 1)
    length = min(len(a), len(b)) / (max(len(a), len(b)) or 1)
    na, nb = _numbers(a), _numbers(b)
    mismatch = 1.0 if (na or nb) and na != nb else 0.0
    return [
        cosine,
        shared / union,
        containment,
        bigram,
        length,
        mismatch,
        cosine * containment,
        tokens,
    ]


@dataclass(frozen=True, slots=True)
class Unit:
    """A candidate statement: its word keys, character span and vectors."""

    keys: list[str]
    span: tuple[int, int]
    vector: np.ndarray
    pieces: np.ndarray
    speaker: str | None = None


def match_units(
    a: list[Unit],
    b: list[Unit],
    model: ParaphraseModel | None = None,
    same_speaker_bonus: float = 3.0,
    per_unit: int = 8,
) -> list[tuple[int, int, float]]:
    """One-to-one paraphrase matches (i, j, probability) between two lists of units.

    Pairs are taken best first (competitive linking): a pair is kept when its probability
    passes the threshold and neither side overlaps a unit already matched, so each kept pair
    is the other's first choice among what is left. Two quotes given to the same speaker get ``same_speaker_bonus`` added to their
    log-odds: the same person restating one point is the likeliest reading. Units may overlap
    (a sentence and the quote inside it); once one is matched, none overlapping it is.

    Only a unit's ``per_unit`` nearest units on the other side (by cosine, either way round)
    are scored: a paraphrase is among its sentence's nearest few, and this keeps the cost
    linear in the units when a text repeats one sentence a thousand times.
    """
    model = model or load_model()
    if not a or not b:
        return []
    cosines = np.stack([u.vector for u in a]) @ np.stack([u.vector for u in b]).T
    prob = np.zeros_like(cosines, dtype=np.float64)
    rows, cols = np.nonzero(_nearest(cosines, per_unit) & (cosines >= model.min_cosine))
    if not len(rows):
        return []
    feats = np.asarray(
        [
            pair_features(
                a[i].keys, b[j].keys, float(cosines[i, j]), token_match(a[i].pieces, b[j].pieces)
            )
            for i, j in zip(rows.tolist(), cols.tolist(), strict=True)
        ]
    )
    z = feats @ np.asarray(model.weights) + model.bias
    for k, (i, j) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        if a[i].speaker and a[i].speaker == b[j].speaker:
            z[k] += same_speaker_bonus
    prob[rows, cols] = 1.0 / (1.0 + np.exp(-z))

    matches: list[tuple[int, int, float]] = []
    taken_a, taken_b = _Taken(), _Taken()
    for i, j in sorted(zip(rows.tolist(), cols.tolist(), strict=True), key=lambda ij: -prob[ij]):
        p = float(prob[i, j])
        if p < model.threshold or math.isnan(p):
            break
        if taken_a.overlaps(a[i].span) or taken_b.overlaps(b[j].span):
            continue
        taken_a.add(a[i].span)
        taken_b.add(b[j].span)
        matches.append((i, j, p))
    return matches


def _nearest(cosines: np.ndarray, k: int) -> np.ndarray:
    """True where a cell is among the ``k`` largest of its row or of its column."""
    keep = np.zeros(cosines.shape, dtype=bool)
    rows, cols = cosines.shape
    if cols <= k:
        keep[:, :] = True
        return keep
    top = np.argpartition(-cosines, k - 1, axis=1)[:, :k]
    keep[np.arange(rows)[:, None], top] = True
    if rows > k:
        top = np.argpartition(-cosines, k - 1, axis=0)[:k, :]
        keep[top, np.arange(cols)[None, :]] = True
    else:
        keep[:, :] = True
    return keep


class _Taken:
    """Matched character spans of one side: disjoint, kept sorted, so a new span is checked
    against its two neighbours only (a long text can have thousands of matches)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, span: tuple[int, int]) -> bool:
        at = bisect.bisect_left(self.starts, span[0])
        before = at > 0 and self.ends[at - 1] > span[0]
        after = at < len(self.starts) and self.starts[at] < span[1]
        return before or after

    def add(self, span: tuple[int, int]) -> None:
        at = bisect.bisect_left(self.starts, span[0])
        self.starts.insert(at, span[0])
        self.ends.insert(at, span[1])
