"""Named entities of one article, with mentions of the same entity merged.

spaCy finds the mentions; merging is ours (``storytrace.nlp.aliases`` scores two names):
"Hadi al-Amiri" then "Amiri" is one person, "the Popular Mobilization Units" and "PMU" one
organisation, "Kata'ib Hezbollah" and "the Hezbollah Brigades" too. Each entity is named by
its fullest mention. A name with an organisation's word in it ("Brigades", "Kata'ib") is an
organisation even where the small model says person. Words of a slogan or of a work's title
("No to Foreign Military Bases", "A Higher Loyalty") are not entities, though spaCy often
tags them. Descriptors (what the article calls it) are added by ``storytrace.nlp.descriptors``.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from storytrace.model import Entity, Mention
from storytrace.nlp.aliases import MERGE_AT, alias_match, is_organisation_name
from storytrace.nlp.pipeline import ents_of
from storytrace.text.normalize import fold, strip_accents

KINDS = {
    "PERSON": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
    "EVENT": "event",
    "DATE": "date",
    "TIME": "date",
    "CARDINAL": "number",
    "QUANTITY": "number",
    "MONEY": "number",
    "PERCENT": "number",
}
NAMED = frozenset({"person", "organisation", "place", "group", "event"})
_LEADING = re.compile(r"^(?:the|a|an)\s+", re.I)
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_POSSESSIVE_S = re.compile(r"['\u2019]s$")
_PARTICLES = frozenset(
    {"al", "el", "bin", "ibn", "abu", "van", "von", "de", "der", "da", "di", "la", "le"}
)


@functools.lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """The comparison form of a name: no article, no possessive, folded, lower case."""
    text = _LEADING.sub("", fold(text).strip())
    text = _POSSESSIVE.sub("", text)
    text = re.sub(r"[^\w\s-]", "", strip_accents(text)).replace("-", " ")
    return re.sub(r"\s+", " ", text).strip().casefold()


def name_words(key: str) -> list[str]:
    """Words of a name key that identify it (particles like "al" dropped)."""
    return [w for w in key.split() if w not in _PARTICLES]


def _acronym(key: str) -> str:
    return "".join(w[0] for w in key.split() if w not in {"of", "and", "for", "the"})


_NAME_KINDS = frozenset({"person", "organisation", "place"})


def same_entity(short: str, full: str, kind: str, full_kind: str | None = None) -> bool:
    """Is mention key ``short`` (of ``kind``) another way of naming ``full`` (of ``full_kind``)?

    Kinds must agree, except that a one-word name may join a longer person-like name of
    another named kind: the small English model often calls "Hadi al-Amiri" a place and
    "Amiri" an organisation, but the surname still points at the full name.
    """
    full_kind = full_kind or kind
    if kind != full_kind:
        s, f = name_words(short), name_words(full)
        return (
            kind in _NAME_KINDS
            and full_kind in _NAME_KINDS
            and len(s) == 1
            and len(f) >= 2
            and s[0] == f[-1]
        )
    if short == full:
        return True
    if kind == "person":
        s, f = name_words(short), name_words(full)
        return bool(s) and len(s) < len(f) and (s == f[-len(s) :] or s == f[: len(s)])
    if kind in ("organisation", "group", "place", "event"):
        if len(short) >= 2 and short.replace(" ", "") == _acronym(full):
            return True
        s, f = short.split(), full.split()
        return len(s) >= 2 and len(s) < len(f) and " ".join(s) in " ".join(f)
    return False


@dataclass
class _Cluster:
    kind: str
    label: str
    key: str
    name: str
    mentions: list[Mention] = field(default_factory=list)


def mention_kind(key: str, label: str) -> str:
    """storytrace's kind for a mention: spaCy's label, unless the name says organisation."""
    kind = KINDS[label]
    if kind in ("person", "group") and is_organisation_name(key):
        return "organisation"
    return kind


def merge_mentions(raw: Iterable[tuple[str, str, int, int]]) -> list[Entity]:
    """Group (text, spaCy label, start, end) mentions into entities, fullest name first.

    Longer names are placed first so a short mention can join the entity it abbreviates;
    a mention joins the entity whose name it matches best (``aliases.alias_match``), and a
    short mention that fits several different full names equally well stays on its own.
    """
    mentions = [(t, lab, s, e) for t, lab, s, e in raw if lab in KINDS and name_key(t)]
    order = sorted(mentions, key=lambda m: (-len(name_key(m[0])), m[2]))  # name_key is cached
    clusters: list[_Cluster] = []
    for text, label, start, end in order:
        key = name_key(text)
        kind = mention_kind(key, label)
        mention = Mention(text, (start, end))
        exact = next((c for c in clusters if c.key == key and c.kind == kind), None)
        if exact is not None:
            exact.mentions.append(mention)
            continue
        scored = [
            (m.score, c)
            for c in clusters
            if (m := alias_match(key, kind, c.key, c.kind)) is not None and m.score >= MERGE_AT
        ]
        top = max((score for score, _ in scored), default=0.0)
        best = [c for score, c in scored if score == top]
        if best and len({c.key for c in best}) == 1:
            best[0].mentions.append(mention)
            continue
        clusters.append(_Cluster(kind, label, key, _LEADING.sub("", text).strip(), [mention]))
    entities = [
        Entity(_display_name(c), c.kind, tuple(sorted(c.mentions, key=lambda m: m.span)))
        for c in clusters
    ]
    return sorted(entities, key=lambda e: e.mentions[0].span)


def _display_name(cluster: _Cluster) -> str:
    """The fullest mention, in the article's usual casing ("Baghdad", not "BAGHDAD")."""
    longest = [m.text for m in cluster.mentions if name_key(m.text) == cluster.key]
    uses = Counter(longest)  # counted once: an entity can have thousands of mentions
    best = max(longest, key=lambda t: (not t.isupper(), uses[t]))
    return _POSSESSIVE_S.sub("", _LEADING.sub("", best).strip())


def names_of(entity: Entity) -> tuple[str, ...]:
    """Every name the article gives the entity, its own name first, each once."""
    seen = {name_key(entity.name)}
    names = [entity.name]
    for m in entity.mentions:
        key = name_key(m.text)
        if key and key not in seen:
            seen.add(key)
            names.append(_POSSESSIVE_S.sub("", _LEADING.sub("", m.text).strip()))
    return tuple(names)


_TITLE_GLUE = frozenset(
    {"to", "of", "and", "the", "in", "on", "for", "a", "an", "at", "with", "from", "by", "or"}
)
# word classes that a name never holds but a title or slogan does ("No to ...", "A Higher ...")
_TITLE_SIGNS = frozenset(
    {"DET", "ADP", "PRON", "VERB", "AUX", "ADV", "INTJ", "PART", "CCONJ", "SCONJ"}
)
_OPENERS = frozenset("\"'“‘«")


def _capitalised(token: Any) -> bool:
    return token.text[:1].isupper() and any(ch.isalpha() for ch in token.text)


def in_title(ent: Any) -> bool:
    """Is this mention part of a slogan or a title inside running text?

    The run of capitalised words around it ("No to Foreign Military Bases") holds a
    capitalised word that is no name's part (a determiner, preposition, verb, "No") away from
    the start of its sentence or quote. A sentence that is all such a run is a headline in
    title case, whose names are real mentions.
    """
    doc, sent = ent.doc, ent.sent

    def in_run(tok: Any) -> bool:
        return _capitalised(tok) or tok.lower_ in _TITLE_GLUE

    lo, hi = ent.start, ent.end
    while lo - 1 >= sent.start and in_run(doc[lo - 1]):
        lo -= 1
    while hi < sent.end and in_run(doc[hi]):
        hi += 1
    while lo < ent.start and not _capitalised(doc[lo]):
        lo += 1
    while hi > ent.end and not _capitalised(doc[hi - 1]):
        hi -= 1
    signs = [*doc[lo : ent.start], *doc[ent.end : hi]]
    if not any(_title_sign(tok, sent.start) for tok in signs):
        return False
    return sum(t.is_alpha for t in doc[lo:hi]) < 0.8 * sum(t.is_alpha for t in sent)


def _title_sign(tok: Any, sent_start: int) -> bool:
    if not _capitalised(tok) or tok.ent_type_ or tok.i == sent_start:
        return False
    if tok.doc[tok.i - 1].text in _OPENERS or tok.lower_ == "the":
        return False
    return tok.pos_ in _TITLE_SIGNS or tok.lower_ in ("no", "not")


def _clean(text: str) -> bool:
    """Not a span torn from page furniture: "HOLLIN (Meridian Wire", "HOLLIN - Crews"."""
    if text.count("(") != text.count(")") or "\n" in text:
        return False
    return not any(dash in text for dash in (" - ", " – ", " — "))


def _completed(ent: Any, known: dict[str, str]) -> tuple[str, str, int, int]:
    """The mention, widened leftwards when the words before it make another of the article's
    names: spaCy tags "Hezbollah" alone in "Kata'ib Hezbollah's spokesman"."""
    doc = ent.doc
    if ent.start == 0 or doc[ent.start - 1].pos_ != "PROPN":
        return ent.text, ent.label_, ent.start_char, ent.end_char
    for start in range(max(ent.sent.start, ent.start - 3), ent.start):
        span = doc[start : ent.end]
        label = known.get(name_key(span.text))
        if label is not None and all(t.pos_ == "PROPN" for t in doc[start : ent.start]):
            return span.text, label, span.start_char, span.end_char
    return ent.text, ent.label_, ent.start_char, ent.end_char


def _without_common_words(ent: Any) -> Any:
    """A person's mention without the lower-case words spaCy sometimes takes in before the
    name ("volunteer Signe Hallor"): a role is a descriptor, not part of the name."""
    start = ent.start
    while (
        ent.label_ == "PERSON"
        and start < ent.end - 1
        and ent.doc[start].text[:1].islower()
        and ent.doc[start].lower_ not in _PARTICLES
    ):
        start += 1
    if start == ent.start:
        return ent
    from spacy.tokens import Span

    return Span(ent.doc, start, ent.end, label=ent.label_)


def entities_from_doc(doc: Any) -> list[Entity]:
    """Merged entities of a parsed spaCy Doc (slogan and title words left out)."""
    ents = [
        _without_common_words(e)
        for e in ents_of(doc)
        if e.label_ in KINDS and _clean(e.text) and not in_title(e)
    ]
    known = {name_key(e.text): e.label_ for e in ents if len(e) > 1}
    return merge_mentions(_completed(e, known) for e in ents)
