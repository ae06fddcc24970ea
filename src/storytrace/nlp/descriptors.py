"""What an article calls each entity: appositions, pre-modifiers and role nouns.

"Kata'ib Hezbollah, another Iraqi anti-terror group" (apposition), "Iran's top anti-terror
commander General Qassem Soleimani" (words before the name in its noun phrase), "Abu Mahdi
al-Muhandis, the deputy head of the Popular Mobilization Units" (apposition). These labels
are where outlets differ most ("militia" / "anti-terror group"), so they are kept verbatim.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from storytrace.model import Entity
from storytrace.nlp.pipeline import ents_of, text_of

MAX_DESCRIPTOR_WORDS = 14
_SKIP_LEFT = {"det", "punct", "cc", "case", "prep"}
_TITLES = {"mr", "mrs", "ms", "dr", "sir", "general", "gen", "lieutenant", "colonel", "major"}


def _phrase(tokens: list[Any]) -> str:
    if not tokens:
        return ""
    doc = tokens[0].doc
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    return " ".join(text_of(doc)[start:end].split()).strip(" ,;:-—")


def _appositions(ent: Any) -> list[str]:
    """Appositive phrases attached to the entity's head ("X, a spokesman for Y")."""
    found = []
    root = ent.root
    for child in root.children:
        if child.dep_ == "appos" and child.i >= ent.end:
            words = list(child.subtree)
            if len(words) <= MAX_DESCRIPTOR_WORDS:
                found.append(_phrase(words))
    # the entity may itself be the apposition of a descriptive noun: "the group, Kata'ib Hezbollah"
    if root.dep_ == "appos" and root.head.i < ent.start and root.head.ent_type_ == "":
        head = root.head
        words = [t for t in head.subtree if t.i < ent.start and t.dep_ != "punct"]
        if 0 < len(words) <= MAX_DESCRIPTOR_WORDS:
            found.append(_phrase(words))
    return found


def _premodifiers(ent: Any) -> list[str]:
    """Words before the name inside its noun phrase ("Iran's top anti-terror commander")."""
    doc = ent.doc
    root = ent.root
    left = [t for t in root.lefts if t.i < ent.start and t.dep_ not in _SKIP_LEFT]
    if not left:
        return []
    first = min(t.left_edge.i for t in left)
    words = [t for t in doc[first : ent.start] if not t.is_punct or t.text in "'’-"]
    cuts = [n for n, w in enumerate(words) if w.pos_ == "ADP" and w.dep_ != "case"]
    if cuts:
        words = words[cuts[-1] + 1 :]  # "... in Baghdad of Iran's top commander" -> after "of"
    while words and (words[0].dep_ == "det" or words[0].lower_ in ("the", "a", "an")):
        words = words[1:]
    while words and words[-1].lower_.strip(".") in _TITLES:
        words = words[:-1]  # "commander General Qassem Soleimani": the title is part of the name
    if not words or len(words) > MAX_DESCRIPTOR_WORDS:
        return []
    if all(w.ent_type_ and w.ent_type_ == ent.label_ for w in words):
        return []  # only more of the name
    if all(w.lower_.strip(".") in _TITLES for w in words):
        return []
    return [_phrase(words)]


def _useful(text: str, name: str, labels: list[str]) -> bool:
    """Not empty, not a repeat, not a piece of the name, not a lone proper name."""
    folded = text.casefold()
    if (
        not text
        or text.startswith("(")
        or folded in name.casefold()
        or folded in {x.casefold() for x in labels}
    ):
        return False
    return " " in text or not text[:1].isupper()


def descriptors_for(doc: Any, entities: list[Entity]) -> list[Entity]:
    """Entities with ``descriptors`` filled from the parse, first use first, no repeats."""
    by_span = {(e.start_char, e.end_char): e for e in ents_of(doc)}
    out = []
    for entity in entities:
        labels: list[str] = []
        for mention in entity.mentions:
            ent = by_span.get(mention.span)
            if ent is None:
                continue
            for text in _appositions(ent) + _premodifiers(ent):
                if _useful(text, entity.name, labels):
                    labels.append(text)
        out.append(replace(entity, descriptors=tuple(labels)))
    return out
