"""How alike two articles are, and why.

Seven kinds of evidence, each in [0, 1]:

    semantic   MiniLM cosine of the two heads (title and opening words)
    body       cosine of the mean MiniLM vector of 200-word chunks over the whole text
    lexical    cosine of sub-linear counts of content words
    passages   share of the shorter text inside verbatim, near-verbatim or paraphrased passages
    entities   overlap of the people, organisations and groups named (a surname meets its full name)
    places     overlap of the places named
    dates      closeness of the publication dates, else overlap of the dates mentioned

``overall`` is a fitted linear blend, clipped to [0, 1]; ``scale`` maps it onto SemEval-2022
Task 8's 1 (very similar) ... 4 (very dissimilar). The weights live in
``similarity_model.json``, fitted by ``benchmarks/similarity.py --fit`` on the SemEval dev
pairs; the drivers list what each weighted kind of evidence contributed, and the evidence
the fitted model gives no weight is listed apart.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources

import numpy as np

from storytrace.model import Entity, Passage
from storytrace.nlp.entities import NAMED, name_key, same_entity
from storytrace.text.tokens import content_keys

EVIDENCE = ("semantic", "body", "lexical", "passages", "entities", "places", "dates")
_PEOPLE_KINDS = NAMED - {"place"}


@dataclass(frozen=True, slots=True)
class SimilarityModel:
    weights: dict[str, float]
    bias: float


@functools.cache
def load_model() -> SimilarityModel:
    text = resources.files("storytrace").joinpath("similarity_model.json").read_text()
    raw = json.loads(text)
    unknown = set(raw["weights"]) - set(EVIDENCE)
    if unknown:
        raise ValueError(f"similarity_model.json names unknown evidence {sorted(unknown)}")
    return SimilarityModel({k: float(v) for k, v in raw["weights"].items()}, float(raw["bias"]))


@dataclass(frozen=True, slots=True)
class Driver:
    """One kind of evidence: its value, its weight and what it adds to ``overall``."""

    name: str
    value: float
    weight: float
    detail: tuple[str, ...] = ()

    @property
    def contribution(self) -> float:
        return self.value * self.weight

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": round(self.value, 4),
            "weight": round(self.weight, 4),
            "contribution": round(self.contribution, 4),
            "detail": list(self.detail),
        }


@dataclass(frozen=True, slots=True)
class Similarity:
    """``overall`` and ``scale``, the evidence that drives them, and the evidence that does not.

    ``drivers`` are the kinds of evidence with a non-zero weight in the fitted blend, largest
    contribution first; ``evidence`` is measured and shown too, but its weight is 0, so it
    does not move ``overall`` and is not presented as if it did.
    """

    overall: float
    scale: float
    drivers: tuple[Driver, ...] = field(default=())
    evidence: tuple[Driver, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "overall": round(self.overall, 4),
            "scale": round(self.scale, 2),
            "drivers": [d.to_dict() for d in self.drivers],
            "evidence": [d.to_dict() for d in self.evidence],
        }


def cosine(u: np.ndarray, v: np.ndarray) -> float:
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu == 0 or nv == 0:
        return 0.0
    return max(0.0, float(u @ v) / (nu * nv))


def lexical_cosine(a_keys: list[str], b_keys: list[str]) -> float:
    """Cosine of 1 + log(count) weights over content words."""
    ca, cb = Counter(content_keys(a_keys)), Counter(content_keys(b_keys))
    if not ca or not cb:
        return 0.0
    wa = {k: 1 + math.log(n) for k, n in ca.items()}
    wb = {k: 1 + math.log(n) for k, n in cb.items()}
    dot = sum(w * wb[k] for k, w in wa.items() if k in wb)
    return dot / (
        math.sqrt(sum(w * w for w in wa.values())) * math.sqrt(sum(w * w for w in wb.values()))
    )


def passage_coverage(passages: list[Passage], a_len: int, b_len: int) -> float:
    """Characters of the shorter article inside shared passages (paraphrases count half)."""
    if not a_len or not b_len:
        return 0.0
    covered_a = sum((p.a[1] - p.a[0]) * (0.5 if p.kind == "paraphrase" else 1.0) for p in passages)
    covered_b = sum((p.b[1] - p.b[0]) * (0.5 if p.kind == "paraphrase" else 1.0) for p in passages)
    return min(1.0, max(covered_a / a_len, covered_b / b_len))


def shared_entities(
    a: list[Entity], b: list[Entity], kinds: frozenset[str]
) -> tuple[float, list[str]]:
    """Overlap (matches over the smaller set, damped for tiny sets) and the names shared."""
    ea = [e for e in a if e.label in kinds]
    eb = [e for e in b if e.label in kinds]
    if not ea or not eb:
        return 0.0, []
    shared = []
    used: set[int] = set()
    for x in ea:
        kx = name_key(x.name)
        for n, y in enumerate(eb):
            ky = name_key(y.name)
            if n not in used and (
                same_entity(kx, ky, x.label, y.label) or same_entity(ky, kx, y.label, x.label)
            ):
                used.add(n)
                shared.append(x.name if len(x.name) >= len(y.name) else y.name)
                break
    smaller = min(len(ea), len(eb))
    return len(shared) / (smaller + 1), shared


def _as_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return (
            datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value[:10])
        )
    except ValueError:
        return None


_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH_ABBR = {m[:3]: m for m in _MONTHS}
_DAY = re.compile(r"^\d{1,2}(?:st|nd|rd|th)?$")
_YEAR_WORD = re.compile(r"^(?:1[89]|2\d)\d\d$")


def date_atoms(text: str) -> set[str]:
    """Comparable pieces of a date mention: "January 5, 2020" -> {"january 5", "2020"}."""
    words = re.findall(r"[a-z]+|\d+(?:st|nd|rd|th)?", text.casefold())
    atoms = set()
    for n, word in enumerate(words):
        month = _MONTH_ABBR.get(word[:3]) if word[:3] in _MONTH_ABBR and len(word) >= 3 else None
        if month and (word == month or len(word) <= 4):
            for other in (words[n - 1] if n else "", words[n + 1] if n + 1 < len(words) else ""):
                if _DAY.match(other):
                    atoms.add(f"{month} {int(other.rstrip('stndrh'))}")
            atoms.add(month)
        elif _YEAR_WORD.match(word):
            atoms.add(word)
    return atoms


def date_evidence(
    a_published: str | None, b_published: str | None, a: list[Entity], b: list[Entity]
) -> tuple[float, list[str]]:
    """Publication dates a few days apart count most; else the dates both texts mention."""
    da, db = _as_date(a_published), _as_date(b_published)
    if da and db:
        days = abs((da - db).days)
        return math.exp(-days / 7.0), [f"published {days} day{'s' if days != 1 else ''} apart"]
    ka = set().union(*(date_atoms(m.text) for e in a if e.label == "date" for m in e.mentions))
    kb = set().union(*(date_atoms(m.text) for e in b if e.label == "date" for m in e.mentions))
    if not ka or not kb:
        return 0.0, []
    both = sorted(ka & kb)
    return len(both) / (min(len(ka), len(kb)) + 1), both


def combine(
    values: dict[str, float], details: dict[str, list[str]], model: SimilarityModel | None = None
) -> Similarity:
    """Blend evidence into ``overall`` and the SemEval-style ``scale``.

    Evidence with a weight is a driver; evidence the fitted model gives no weight is kept
    apart, in the order of ``EVIDENCE``, so nobody reads a weight-0 value as a cause.
    """
    model = model or load_model()
    measured = [
        Driver(name, values[name], model.weights.get(name, 0.0), tuple(details.get(name, ())[:12]))
        for name in EVIDENCE
    ]
    overall = min(1.0, max(0.0, model.bias + sum(d.contribution for d in measured)))
    drivers = sorted((d for d in measured if d.weight != 0), key=lambda d: -d.contribution)
    unweighted = tuple(d for d in measured if d.weight == 0)
    return Similarity(overall, 4.0 - 3.0 * overall, tuple(drivers), unweighted)
