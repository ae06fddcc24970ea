"""Named entities of one article, with mentions of the same entity merged.

spaCy finds the mentions; merging is ours: "Hadi al-Amiri" then "Amiri" is one person,
"the Popular Mobilization Units" and "Popular Mobilization Units" one organisation. Each
entity is named by its fullest mention. Descriptors (what the article calls it) are added by
``storytrace.nlp.descriptors``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from storytrace.model import Entity, Mention
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


def merge_mentions(raw: Iterable[tuple[str, str, int, int]]) -> list[Entity]:
    """Group (text, spaCy label, start, end) mentions into entities, fullest name first.

    Longer names are placed first so a short mention can join the entity it abbreviates;
    a short mention that fits several different full names stays on its own.
    """
    mentions = [(t, lab, s, e) for t, lab, s, e in raw if lab in KINDS and name_key(t)]
    order = sorted(mentions, key=lambda m: (-len(name_key(m[0])), m[2]))
    clusters: list[_Cluster] = []
    for text, label, start, end in order:
        kind, key = KINDS[label], name_key(text)
        fits = [c for c in clusters if same_entity(key, c.key, kind, c.kind)]
        if len({c.key for c in fits}) == 1:
            fits[0].mentions.append(Mention(text, (start, end)))
            continue
        exact = [c for c in fits if c.key == key]
        if exact:
            exact[0].mentions.append(Mention(text, (start, end)))
            continue
        clusters.append(
            _Cluster(
                kind, label, key, _LEADING.sub("", text).strip(), [Mention(text, (start, end))]
            )
        )
    entities = [
        Entity(_display_name(c), c.kind, tuple(sorted(c.mentions, key=lambda m: m.span)))
        for c in clusters
    ]
    return sorted(entities, key=lambda e: e.mentions[0].span)


def _display_name(cluster: _Cluster) -> str:
    """The fullest mention, in the article's usual casing ("Baghdad", not "BAGHDAD")."""
    longest = [m.text for m in cluster.mentions if name_key(m.text) == cluster.key]
    best = max(longest, key=lambda t: (not t.isupper(), longest.count(t)))
    return _LEADING.sub("", best).strip()


def entities_from_doc(doc: Any) -> list[Entity]:
    """Merged entities of a parsed spaCy Doc."""
    return merge_mentions((ent.text, ent.label_, ent.start_char, ent.end_char) for ent in doc.ents)
