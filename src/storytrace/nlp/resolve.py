"""From a speaker mention to a name: pronouns and role nouns resolved to a named entity.

"he said" is only useful once "he" is a person, so every speaker mention is paired with the
fullest name it stands for: a name mention is lengthened to the fullest form the article
uses ("Amiri" -> "Hadi al-Amiri"), and a pronoun or role noun ("she", "the spokesman") takes
the nearest fitting name before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from storytrace.model import Span
from storytrace.nlp.cues import NAMED_LABELS, PERSON_ROLES, PRONOUNS, ROLE_NOUNS, subject_span
from storytrace.nlp.entities import name_key, name_words
from storytrace.nlp.pipeline import ents_of, text_of


def entity_at(doc: Any, start: int, end: int, labels: Iterable[str]) -> Any | None:
    """The named entity of one of ``labels`` inside [start, end), the last such one."""
    found = [
        e
        for e in ents_of(doc)
        if e.label_ in labels and e.start_char >= start and e.end_char <= end
    ]
    return found[-1] if found else None


def clean_name(text: str) -> str:
    """A name without surrounding space and a possessive ending ("Hakim's" -> "Hakim")."""
    text = text.strip()
    for suffix in ("'s", "\u2019s"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text.strip()


class Resolver:
    """Names the article has used so far, to resolve pronouns and role nouns."""

    def __init__(self, doc: Any) -> None:
        self.people = [e for e in ents_of(doc) if e.label_ == "PERSON"]
        self.orgs = [e for e in ents_of(doc) if e.label_ in ("ORG", "NORP")]
        self.full: dict[str, str] = {}
        named = [e for e in ents_of(doc) if e.label_ in NAMED_LABELS]
        texts = sorted({e.text for e in named}, key=lambda t: (-len(t), t))
        keys = {t: name_key(t) for t in texts}
        words_of = {t: name_words(keys[t]) for t in texts}
        for text in texts:  # longest first: each short form maps to the fullest name
            key, words = keys[text], words_of[text]
            if not words:
                continue
            for other in texts:
                okey, owords = keys[other], words_of[other]
                if (
                    okey
                    and okey not in self.full
                    and (
                        okey == key
                        or (len(owords) < len(words) and owords == words[-len(owords) :])
                    )
                ):
                    self.full[okey] = text

    def fullest(self, text: str) -> str:
        return clean_name(self.full.get(name_key(text), text))

    def before(self, pos: int, kind: str) -> str | None:
        pool = (
            self.people
            if kind == "person"
            else self.orgs
            if kind == "organisation"
            else (self.people + self.orgs)
        )
        earlier = [e for e in pool if e.end_char <= pos]
        if not earlier:
            return None
        return self.fullest(max(earlier, key=lambda e: e.end_char).text)


def speaker_of(subject: Any, doc: Any, resolver: Resolver) -> tuple[str, Span, str | None]:
    """(speaker text, its span, the resolved full name) for the subject of a cue verb."""
    start, end = subject_span(subject)
    text = text_of(doc)[start:end]
    lower = subject.lower_
    if subject.pos_ == "PRON" or lower in PRONOUNS:
        kind = PRONOUNS.get(lower, "any")
        return text, (start, end), resolver.before(start, kind)
    if text.isupper():  # a dateline ("BAGHDAD (Agency) -- X, head of Y, says")
        later = next(
            (
                e
                for e in ents_of(doc)
                if end <= e.start_char < subject.head.idx and e.label_ in NAMED_LABELS
            ),
            None,
        )
        if later is not None:
            start, end = later.start_char, later.end_char
            return later.text, (start, end), resolver.fullest(later.text)
    named = next(
        (
            e
            for e in ents_of(doc)
            if e.start <= subject.i < e.end and e.label_ in ("PERSON", "ORG", "NORP", "GPE")
        ),
        None,
    )
    named = named or entity_at(doc, start, end, ("PERSON",))
    if named is not None:
        return text, (start, end), resolver.fullest(named.text)
    propn = [t for t in doc[subject.left_edge.i : subject.i + 1] if t.pos_ == "PROPN"]
    if propn:
        return text, (start, end), resolver.fullest(" ".join(t.text for t in propn))
    if any(t.lower_ in ("a", "an") for t in subject.children):
        return text, (start, end), None  # a new, unnamed actor ("a prominent group")
    if subject.lemma_.lower() in ROLE_NOUNS:
        kind = "person" if subject.lemma_.lower() in PERSON_ROLES else "organisation"
        return text, (start, end), resolver.before(start, kind)
    return text, (start, end), None
