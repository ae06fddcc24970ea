"""The vocabulary every stage speaks: small immutable records.

Stages pass these between each other and the store persists them; nothing here knows about
files, models or SQL. Character offsets are always into ``Article.text`` and are half-open
``(start, end)`` pairs, so ``text[start:end]`` is the span.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

Span = tuple[int, int]
PassageKind = Literal["verbatim", "near-verbatim", "paraphrase"]
DiffOpKind = Literal["equal", "replace", "insert", "delete"]


def content_id(text: str) -> str:
    """A stable id for an article body: the first 16 hex digits of its SHA-256.

    Two records with the same body get the same id, which is what makes ingestion idempotent.
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Article:
    """One news article after extraction: clean body text plus what is known about it.

    ``published`` is an ISO 8601 string (a date, or a date and time with its offset when the
    source gives one). ``stripped`` keeps the page-chrome lines that were moved out of the text,
    so a user can see that nothing of the article was thrown away.
    """

    text: str
    title: str = ""
    url: str | None = None
    outlet: str | None = None
    published: str | None = None
    language: str | None = None
    authors: tuple[str, ...] = ()
    source: str | None = None
    stripped: tuple[str, ...] = ()
    meta: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        return content_id(self.text)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published,
            "url": self.url,
            "language": self.language,
            "authors": list(self.authors),
            "source": self.source,
            "stripped": list(self.stripped),
            "meta": dict(self.meta),
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input item that could not become an Article, with the reason a user can act on."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class DiffOp:
    """One step of a word-level diff between two near-verbatim passages."""

    op: DiffOpKind
    a: str
    b: str

    def to_dict(self) -> dict[str, str]:
        return {"op": self.op, "a": self.a, "b": self.b}


@dataclass(frozen=True, slots=True)
class Passage:
    """A stretch of article A that reappears in article B, verbatim, edited or reworded."""

    kind: PassageKind
    a: Span
    b: Span
    a_text: str
    b_text: str
    score: float
    diff: tuple[DiffOp, ...] = ()

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "kind": self.kind,
            "a": list(self.a),
            "b": list(self.b),
            "a_text": self.a_text,
            "b_text": self.b_text,
            "score": round(self.score, 4),
        }
        if self.kind == "near-verbatim":
            out["diff"] = [op.to_dict() for op in self.diff]
        return out


@dataclass(frozen=True, slots=True)
class Mention:
    """One place in the text where an entity is named."""

    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Entity:
    """A person, organisation, place, date or number named in one article.

    Mentions of the same entity ("Hadi al-Amiri", "Amiri") are merged; ``name`` is the fullest
    form. ``descriptors`` are the words the article attaches to it ("a prominent Iraqi
    anti-terror group", "the deputy head of ...").
    """

    name: str
    label: str
    mentions: tuple[Mention, ...] = ()
    descriptors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "label": self.label,
            "mentions": [{"text": m.text, "span": list(m.span)} for m in self.mentions],
            "descriptors": list(self.descriptors),
        }


@dataclass(frozen=True, slots=True)
class Quote:
    """An attributed statement: what was said, by whom, how it was introduced."""

    text: str
    span: Span
    speaker: str | None
    speaker_span: Span | None
    speaker_resolved: str | None
    cue: str | None
    cue_span: Span | None
    direct: bool
    # whom the text cites for the words when that is not the speaker: "“...,” Sanders said,
    # according to CNN" is Sanders's statement, via CNN
    via: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "span": list(self.span),
            "speaker": self.speaker,
            "speaker_span": list(self.speaker_span) if self.speaker_span else None,
            "speaker_resolved": self.speaker_resolved,
            "cue": self.cue,
            "cue_span": list(self.cue_span) if self.cue_span else None,
            "direct": self.direct,
            "via": self.via,
        }


@dataclass(frozen=True, slots=True)
class Story:
    """Articles that report one event, as found by the story clusterer."""

    id: str
    headline: str
    article_ids: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    first: str | None = None
    last: str | None = None
    outlets: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "headline": self.headline,
            "keywords": list(self.keywords),
            "first": self.first,
            "last": self.last,
            "outlets": list(self.outlets),
            "article_ids": list(self.article_ids),
        }
