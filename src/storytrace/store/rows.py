"""The typed rows the store returns: what presentation code reads, by attribute.

Column names stay inside the store; a caller gets these small frozen records (or the
model's Article and Story), so renaming a column is a change to one module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """What lists and timelines show of an article, without its text."""

    id: str
    outlet: str | None
    published: str | None
    title: str
    words: int
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    source: str
    reason: str
    at: str


@dataclass(frozen=True, slots=True)
class DupMember:
    """One member of a near-duplicate group, with what identifies it to a reader."""

    group_id: str
    article_id: str
    canonical: str
    similarity: float
    outlet: str | None
    published: str | None
    title: str

    @property
    def is_canonical(self) -> bool:
        return self.article_id == self.canonical


@dataclass(frozen=True, slots=True)
class PassageRow:
    """A reused passage with both texts and both articles' outlet and date."""

    a_id: str
    b_id: str
    kind: str
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    score: float
    a_outlet: str | None
    b_outlet: str | None
    a_published: str | None
    b_published: str | None
    a_text: str
    b_text: str


@dataclass(frozen=True, slots=True)
class QuoteRow:
    article_id: str
    start: int
    end: int
    text: str
    speaker: str | None
    speaker_resolved: str | None
    cue: str | None
    direct: bool
    outlet: str | None
    published: str | None
    via: str | None = None


@dataclass(frozen=True, slots=True)
class EntityRow:
    article_id: str
    name: str
    label: str
    mentions: int
    descriptors: tuple[str, ...]
    outlet: str | None


@dataclass(frozen=True, slots=True)
class StorySummary:
    """A story as a list page shows it; ``members_json`` is the stored JSON list of member
    ids, passed on unparsed (a page of big stories holds thousands of them)."""

    id: str
    headline: str
    keywords: tuple[str, ...]
    first: str | None
    last: str | None
    size: int
    outlets: tuple[str, ...]
    members_json: str
