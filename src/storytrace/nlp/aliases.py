"""When two names stand for one actor, and how sure that is.

Outlets name one organisation in several ways: "Kata'ib Hezbollah" and "the Hezbollah
Brigades" (*kata'ib* is Arabic for brigades), "PMU" and "Popular Mobilization Units", "the
Justice Department" and "the Department of Justice". ``alias_match`` scores a pair of name
keys (``entities.name_key``) by the strongest reason they agree:

    same          1.0   the same key ("the X" / "X" and case already folded away)
    acronym       0.9   one is the initials of the other
    translation   0.9   the same words once common transliterated words are translated
    reordered     0.9   the same words in another order
    part          0.8   a surname, or a contiguous run of two or more words of the other
    tokens        0.75  an organisation's words all inside the other's (two or more)

Names of different kinds (spaCy calls one group an organisation in one article and a person
in the next) agree only on the strong reasons (same key, acronym, translation, reordered)
with two or more words, or a surname against a full name. The translation table is small
on purpose: words that name the *kind* of an organisation in the languages whose groups
make English news under transliterated names. Whole names ("Hezbollah", party of God) are
not taken apart.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

MERGE_AT = 0.75  # the least score that makes two names one entity
SURE = 0.9

# transliterated word -> its English translation (singular)
TRANSLATIONS = {
    **dict.fromkeys(("kataib", "kataeb", "kitaib", "katibat", "katiba", "liwa"), "brigade"),
    **dict.fromkeys(("jaysh", "jaish", "jeish", "lashkar"), "army"),
    **dict.fromkeys(("harakat", "harakah", "haraka", "tehrik", "tehreek", "tahrik"), "movement"),
    **dict.fromkeys(("hizb", "hezb"), "party"),
    **dict.fromkeys(("jabhat", "jabha", "jabhet"), "front"),
    **dict.fromkeys(("tanzim", "munazzamat", "munazzama"), "organization"),
    **dict.fromkeys(("asaib", "usbat", "osbat"), "league"),
    **dict.fromkeys(("quwat", "quwwat"), "force"),
    **dict.fromkeys(("faylaq", "failaq", "sipah"), "corps"),
    **dict.fromkeys(("saraya",), "company"),
    **dict.fromkeys(("majlis",), "council"),
    **dict.fromkeys(("tahaluf", "itilaf", "etelaf"), "alliance"),
    **dict.fromkeys(("hashd",), "mobilization"),
    **dict.fromkeys(("shaabi", "shabi", "shaabiya"), "popular"),
    **dict.fromkeys(("dawla", "dawlat"), "state"),
    **dict.fromkeys(("islamiyya", "islamiya", "islami"), "islamic"),
    **dict.fromkeys(("ansar",), "supporter"),
    **dict.fromkeys(("jamaat", "jamiat"), "society"),
    **dict.fromkeys(("pasdaran",), "guard"),
}
# Words that make a name an organisation's, whatever spaCy labelled it.
ORGANISATION_WORDS = frozenset(
    {
        "agency", "alliance", "army", "association", "brigade", "bureau", "coalition",
        "commission", "committee", "company", "corps", "council", "department", "force",
        "foundation", "front", "group", "guard", "institute", "league", "militia", "ministry",
        "mobilization", "mobilisation", "movement", "organization", "organisation", "party",
        "society", "union", "unit",
    }
)  # fmt: skip
_PARTICLES = frozenset(
    {"al", "el", "bin", "ibn", "abu", "van", "von", "de", "der", "da", "di", "la", "le"}
)
_GLUE = frozenset({"of", "and", "for", "the", "e", "i", "ul"})  # "Lashkar-e-Taiba", "Tehrik-i"
_CROSS_KINDS = frozenset({"person", "organisation", "group", "place"})
# titles spaCy sometimes takes into a name ("PM Theresa May", "Mr. Kim"): not the name's words
HONORIFICS = frozenset(
    {
        "mr", "mrs", "ms", "miss", "dr", "sir", "dame", "pm", "president", "sen", "senator",
        "rep", "gov", "governor", "gen", "general", "prof", "lord", "lady", "sheikh", "imam",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AliasMatch:
    """Why two names are taken for one actor, and how sure that is (0-1)."""

    score: float
    how: str

    def to_dict(self) -> dict[str, object]:
        return {"score": self.score, "how": self.how}


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=65536)
def alias_words(key: str) -> tuple[tuple[str, ...], bool]:
    """The identifying words of a name key in English, and whether any was translated.

    Particles ("al") and glue words ("of") are dropped, plurals made singular, and
    transliterated kind words translated: "kataib hezbollah" -> ("brigade", "hezbollah").
    """
    out, translated = [], False
    for word in key.split():
        if word in _PARTICLES or word in _GLUE:
            continue
        if word in TRANSLATIONS:
            out.append(TRANSLATIONS[word])
            translated = True
        else:
            out.append(_singular(word))
    return tuple(out), translated


def is_organisation_name(key: str) -> bool:
    """Does the name hold a word that only organisations' names hold ("brigades", "kata'ib")?"""
    words, _ = alias_words(key)
    return any(w in ORGANISATION_WORDS for w in words)


def _initials(key: str) -> str:
    return "".join(w[0] for w in key.split() if w not in _GLUE)


def _untitled(key: str) -> str:
    words = key.split()
    while len(words) > 1 and words[0] in HONORIFICS:
        words = words[1:]
    return " ".join(words)


def _person_part(short: list[str], full: list[str]) -> bool:
    """A surname or first name of the full name, or the full name less middle names."""
    if not short or len(short) >= len(full):
        return False
    if short == full[-len(short) :] or short == full[: len(short)]:
        return True
    return len(short) >= 2 and short[0] == full[0] and short[-1] == full[-1]


@functools.lru_cache(maxsize=262144)
def alias_match(a: str, kind_a: str, b: str, kind_b: str) -> AliasMatch | None:
    """How sure it is that name keys ``a`` and ``b`` (of these kinds) name one actor."""
    a, b = _untitled(a), _untitled(b)
    if not a or not b:
        return None
    same_kind = kind_a == kind_b
    if not same_kind and not (kind_a in _CROSS_KINDS and kind_b in _CROSS_KINDS):
        return None
    words_a, words_b = a.split(), b.split()
    if a == b:
        if same_kind or len(words_a) >= 2 or "place" not in (kind_a, kind_b):
            return AliasMatch(1.0 if same_kind else SURE, "same")
        return None
    short, full = (a, b) if len(a) <= len(b) else (b, a)
    initials = " " not in short and len(short) >= 2 and short == _initials(full)
    if initials and (same_kind or len(short) >= 3):
        return AliasMatch(SURE, "acronym")
    (ta, tr_a), (tb, tr_b) = alias_words(a), alias_words(b)
    set_a, set_b = set(ta), set(tb)
    if set_a.isdisjoint(set_b):
        return None  # every rule below needs a word in common
    if set_a == set_b and len(set_a) >= 2:
        return AliasMatch(SURE, "translation" if tr_a or tr_b else "reordered")
    names_a = [w for w in words_a if w not in _PARTICLES]
    names_b = [w for w in words_b if w not in _PARTICLES]
    s, f = (names_a, names_b) if len(names_a) <= len(names_b) else (names_b, names_a)
    if not same_kind:
        # one word against a longer name: the small model calls "Hadi al-Amiri" a place
        # and "Amiri" an organisation, but the surname still points at the full name
        if len(s) == 1 and len(f) >= 2 and s[0] == f[-1]:
            return AliasMatch(0.8, "part")
        return None
    if kind_a == "person":
        return AliasMatch(0.8, "part") if _person_part(s, f) else None
    if kind_a in ("organisation", "group", "place", "event"):
        ws, wf = short.split(), full.split()
        if len(ws) >= 2 and len(ws) < len(wf) and f" {short} " in f" {full} ":
            return AliasMatch(0.8, "part")
    if kind_a in ("organisation", "group"):
        small, big = (set_a, set_b) if len(set_a) <= len(set_b) else (set_b, set_a)
        if len(small) >= 2 and small <= big:
            return AliasMatch(0.75, "tokens")
    return None


Names = Sequence[tuple[str, str]]  # the (name key, kind) pairs one entity goes by


def best_match(a: Names, b: Names) -> AliasMatch | None:
    """The surest match between any name of ``a`` and any name of ``b``."""
    best: AliasMatch | None = None
    for ka, kind_a in a:
        for kb, kind_b in b:
            match = alias_match(ka, kind_a, kb, kind_b)
            if match is not None and (best is None or match.score > best.score):
                best = match
    return best


def match_entities(
    a: Sequence[Names], b: Sequence[Names], at: float = MERGE_AT
) -> list[tuple[int, int, AliasMatch]]:
    """One-to-one pairs (i, j, match) between two lists of entities, surest first.

    Each entity goes by one or more names; a pair scores its best pair of names. Every
    pair that scores at least ``at`` is a candidate, and pairs are taken best score first
    (then in list order), each entity at most once, so "Hezbollah Brigades" goes to
    "Kata'ib Hezbollah" before a weaker "Hezbollah" can claim it.
    """
    candidates = []
    for i, names_a in enumerate(a):
        for j, names_b in enumerate(b):
            match = best_match(names_a, names_b)
            if match is not None and match.score >= at:
                candidates.append((-match.score, i, j, match))
    candidates.sort(key=lambda c: c[:3])
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for _, i, j, match in candidates:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j, match))
    return sorted(pairs, key=lambda p: (p[0], p[1]))
