"""Who said it: the speaker of each quote chosen by a small learned ranking.

The rules in ``storytrace.nlp.quotes`` find a quote and its nearest speech verb and take that
verb's subject. That is right most of the time and wrong in ways a few more signals fix: the
nearest verb belongs to another quote, the subject is "whose key agenda item" from a bad
parse, the name stands after a dash ("...” ― Pamela Padilla") or before a colon, the verb is
not in the lexicon ("Limbaugh continued:"). So every noun phrase near the quote is a
candidate (``storytrace.nlp.speaker_features``), described by parse features (its relation
to the cue verb, distance, grammatical role, entity type, place in the paragraph, whether it
spoke just before), and a logistic model scores them; the best one is the speaker. The
weights live in ``speaker_model.json``, fitted on PolNeAR train by ``benchmarks/quotes.py
--fit`` and chosen on PolNeAR dev, so they are refitted, never hand-edited. Inference is
plain Python, a few dozen multiplications per candidate.

A learned ranking rather than more rules because the signals conflict ("according to" beats
a pronoun's verb in one sentence and loses in the next) and their weights are best read off
annotated news than guessed; the rules stay as the baseline the benchmark reports beside it
(``quotes_from_doc(doc, speakers="rules")``).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from storytrace.model import Quote, Span
from storytrace.nlp.resolve import Resolver
from storytrace.nlp.speaker_features import (
    DASHES,
    FEATURES,
    INDEX,
    Candidate,
    DocContext,
    candidates,
    token_at,
)

__all__ = ["FEATURES", "DocContext", "SpeakerModel", "candidates", "choose", "load_model", "rerank"]


@dataclass(frozen=True, slots=True)
class SpeakerModel:
    """Weights over ``FEATURES`` of a conditional logit: a quote's candidates compete, and
    each one's probability is its softmax share. A best candidate whose share is under
    ``min_probability`` leaves the quote without a speaker."""

    weights: tuple[float, ...]
    min_probability: float

    def score(self, features: tuple[float, ...]) -> float:
        return math.fsum(w * x for w, x in zip(self.weights, features, strict=True))

    def shares(self, rows: list[tuple[float, ...]]) -> list[float]:
        """Softmax of the scores of one quote's candidates."""
        scores = [self.score(r) for r in rows]
        top = max(scores, default=0.0)
        exps = [math.exp(s - top) for s in scores]
        total = math.fsum(exps)
        return [e / total for e in exps]


@functools.cache
def load_model() -> SpeakerModel:
    """The fitted weights shipped with the package."""
    raw = json.loads(resources.files("storytrace.nlp").joinpath("speaker_model.json").read_text())
    if tuple(raw["features"]) != FEATURES:
        raise ValueError(f"speaker_model.json was fitted for {raw['features']}, not {FEATURES}")
    return SpeakerModel(tuple(float(w) for w in raw["weights"]), float(raw["min_probability"]))


def choose(cands: list[Candidate], model: SpeakerModel) -> tuple[Candidate | None, float]:
    """The best candidate and its share (None when even it is below the floor)."""
    if not cands:
        return None, 0.0
    shares = model.shares([c.features for c in cands])
    n = max(range(len(cands)), key=lambda k: shares[k])
    return (cands[n] if shares[n] >= model.min_probability else None), shares[n]


def rerank(
    doc: Any,
    quotes: list[Quote],
    quoted: list[Span],
    resolver: Resolver,
    model: SpeakerModel | None = None,
) -> list[Quote]:
    """``quotes`` (the rules' output, in text order) with speakers chosen by the model.

    The cue follows the speaker: the verb the chosen phrase is the subject of, "according
    to" for its object, none for a name that stands alone ("...” ― Pamela Padilla").
    """
    model = model or load_model()
    ctx = DocContext(doc, quoted, resolver)
    out: list[Quote] = []
    prev: Quote | None = None
    for quote in quotes:
        if quote.cue and quote.cue.strip(DASHES) == "":
            out.append(quote)  # a signed quote ("“...” ― Name"): the signature is the speaker
            prev = quote
            continue
        cands = candidates(ctx, quote, prev)
        prev = quote
        if not cands:
            out.append(quote)
            continue
        best, _ = choose(cands, model)
        if best is None:
            out.append(replace(quote, speaker=None, speaker_span=None, speaker_resolved=None))
            continue
        best, via = speaker_and_via(best, cands)
        rule = token_at(doc, quote.speaker_span)
        if best.cue is not None:
            cue: str | None = best.cue.text
            cue_span: Span | None = (best.cue.idx, best.cue.idx + len(best.cue.text))
        elif best.features[INDEX["according_to"]]:
            cue, cue_span = "according to", None
        elif rule is not None and rule.i == best.token.i:
            cue, cue_span = quote.cue, quote.cue_span
        else:
            cue, cue_span = None, None
        out.append(
            replace(
                quote,
                speaker=best.text,
                speaker_span=best.span,
                speaker_resolved=best.resolved,
                cue=cue,
                cue_span=cue_span,
                via=via,
            )
        )
    return out


def speaker_and_via(best: Candidate, cands: list[Candidate]) -> tuple[Candidate, str | None]:
    """Who said it, and whom the text cites for it, when the ranking chose the second.

    The ranking is fitted on PolNeAR, whose source for "“...,” Sanders said, according to
    CNN" is CNN: the outermost attribution. The words are still Sanders's, and a reader
    asking who said what wants Sanders, so when the chosen phrase is the object of
    "according to" and the quote's own cue verb has a subject among the candidates, that
    subject is the speaker and the chosen phrase is kept as ``via``.
    """
    if not best.features[INDEX["according_to_beside_speaker"]]:
        return best, None
    subject = next((c for c in cands if c.features[INDEX["subject_of_cue"]]), None)
    if subject is None:
        return best, None
    return subject, best.resolved or best.text
