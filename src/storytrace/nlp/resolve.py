"""From a speaker mention to a name: names lengthened, pronouns and role nouns resolved.

"he said" is only useful once "he" is a person, so every speaker mention is paired with the
fullest name it stands for:

- a name is cleaned of titles and roles ("Harbourmaster Dagny Voss" -> "Dagny Voss") and
  lengthened to the fullest form the article uses ("Amiri" -> "Hadi al-Amiri");
- a role noun with its name beside it ("The railway's spokeswoman, Nadia Korr,") is that
  name; one without ("the mayor") is the person the article gave that role before ("Mayor
  Ilse Marrow"), else the likeliest person before it;
- a pronoun is the most salient fitting name before it: recent, a subject, a speaker, not a
  place ("arrived in Valdora"), and not of the other gender where the article shows it ("her
  company", "spokeswoman", "Mr.").

Salience follows Lappin and Leass (1994) in spirit: a mention's weight halves with each
sentence back, subjects and speakers weigh more.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storytrace.model import Span
from storytrace.nlp.cues import (
    NAMED_LABELS,
    ORG_ROLES,
    PERSON_ROLES,
    PRONOUNS,
    is_cue,
    subject_of,
    subject_span,
)
from storytrace.nlp.entities import name_key, name_words
from storytrace.nlp.pipeline import ents_of, text_of
from storytrace.text.quotemarks import quoted_spans

TITLES = frozenset(
    "mr mrs ms miss dr prof sir dame lord lady rev sen rep gov gen col lt sgt capt cmdr adm "
    "governor mayor minister senator president premier judge abbot nurse volunteer lawyer "
    "fisherman harbourmaster harbormaster spokeswoman spokesman spokesperson chairwoman "
    "chairman chief councillor councilor deputy inspector detective constable officer "
    "professor doctor father sister brother imam sheikh rabbi bishop cardinal pope king queen "
    "prince princess general commander colonel lieutenant sergeant captain admiral secretary "
    "ambassador director leader head".split()
)
FEMALE = frozenset(
    "she her hers herself mrs ms miss madam lady dame woman spokeswoman chairwoman "
    "businesswoman congresswoman councilwoman policewoman actress mother wife daughter sister "
    "queen princess duchess grandmother girl widow".split()
)
MALE = frozenset(
    "he him his himself mr sir lord man spokesman chairman businessman congressman councilman "
    "policeman actor father husband son brother king prince duke grandfather boy".split()
)
ORG_WORDS = ORG_ROLES | frozenset(
    "authority railways railway department service office court university hospital bank "
    "fund association federation corporation institute commission board network wire "
    "times news post press daily tribune herald agency".split()
)
PLACE_WORDS = frozenset(
    "river lake mount mountain street road avenue square bay harbour harbor port dam junction "
    "station valley province county district city town village island coast sea ocean "
    "bridge airport".split()
)
LOCATIVE = frozenset("in at near outside inside across throughout into around beyond".split())
# the agency in a dateline, "TORVANE, March 4 (Meridian Wire) - ...": it wrote the story and
# is nobody's antecedent ("it said" is never the wire service)
_DATELINE_AGENCY = re.compile(r"\)\s*(?:--?|\u2013|\u2014)\s")
_PERSONAL = frozenset({"he", "she", "him", "her", "his"})
_LABEL_KIND = {
    "PERSON": "person",
    "ORG": "organisation",
    "NORP": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}


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


def _gender_of(words: Iterable[str]) -> str | None:
    found = {"f" for w in words if w in FEMALE} | {"m" for w in words if w in MALE}
    return found.pop() if len(found) == 1 else None


@dataclass(slots=True)
class NameMention:
    """One name in the text, with what the resolver weighs it by."""

    start: int
    end: int
    root: int  # token index of its syntactic head
    sent: int
    name: str  # without titles, roles and datelines
    kind: str  # person | organisation | place | unknown
    modifier: bool  # "Eastmarch governor", "Hezbollah's spokesman": names something else
    subject: bool
    speaker: bool
    roles: frozenset[str]  # role nouns the text gives it here ("mayor", "spokeswoman")


def _is_name_token(token: Any) -> bool:
    return token.pos_ == "PROPN" or (token.ent_type_ in _LABEL_KIND and token.text not in ",;:")


class Resolver:
    """The names of one article, to lengthen names and resolve pronouns and role nouns."""

    def __init__(self, doc: Any, quoted: list[Span] | None = None) -> None:
        """``quoted``: where the text's quotes stand, when the caller has found them."""
        self.doc = doc
        self.text = text_of(doc)
        self.sent_of = [0] * len(doc)
        for n, sent in enumerate(doc.sents):
            for i in range(sent.start, sent.end):
                self.sent_of[i] = n
        self.cue_verbs: dict[int, list[int]] = {}  # subject token -> its speech verbs
        for token in doc:
            if is_cue(token):
                subject = subject_of(token)
                if subject is not None:
                    self.cue_verbs.setdefault(subject.i, []).append(token.i)
        speakers = self._speaker_tokens = set(self.cue_verbs)
        self._quoted = sorted(quoted if quoted is not None else quoted_spans(self.text))
        self._quote_starts = [start for start, _ in self._quoted]
        self._fullest_cache: dict[str, str] = {}
        self._before_cache: dict[tuple[int, str, str | None], str | None] = {}
        self.mentions: list[NameMention] = []
        self._by_token: dict[int, NameMention] = {}
        for run in self._runs():
            mention = self._mention(run, speakers)
            if mention is not None:
                self.mentions.append(mention)
                for t in run:
                    self._by_token[t.i] = mention
        self.full = self._fullest_forms()
        self.gender = self._genders()
        self._settle_kinds()
        self._add_role_subjects()
        self._before_cache.clear()  # answers given while role subjects were still joining

    def _settle_kinds(self) -> None:
        """One kind per full name, from all its mentions: the small model labels a person
        PERSON in one sentence and ORG or GPE in the next, so a gendered pronoun or title
        makes a person, use as a place ("in Valdora") or a place word makes a place, an
        organisation word makes an organisation, and the labels decide the rest. A two- or
        three-word name labelled ORG with nothing else to go by may be either."""
        evidence: dict[str, Counter[str]] = defaultdict(Counter)
        for m in self.mentions:
            ev = evidence[self.fullest(m.name)]
            root = self.doc[m.root]
            if m.kind in ("person", "organisation", "place"):
                ev[m.kind] += 1
            if root.dep_ == "pobj" and root.head.lower_ in LOCATIVE:
                ev["locative"] += 1
            if m.roles & (TITLES | PERSON_ROLES | FEMALE | MALE):
                ev["titled"] += 1
        kinds: dict[str, str] = {}
        for full, ev in evidence.items():
            words = name_words(name_key(full))
            if full in self.gender or ev["titled"]:
                kinds[full] = "person"
            elif any(w in PLACE_WORDS for w in words) or ev["locative"]:
                kinds[full] = "place"
            elif any(w in ORG_WORDS for w in words):
                kinds[full] = "organisation"
            elif ev["person"] >= max(ev["organisation"], ev["place"]) and ev["person"]:
                kinds[full] = "person"
            elif ev["place"] > ev["organisation"]:
                kinds[full] = "place"
            elif 2 <= len(words) <= 3 or not ev["organisation"]:
                kinds[full] = "unknown"
            else:
                kinds[full] = "organisation"
        for m in self.mentions:
            if m.kind != "place" or not self.text[m.start : m.end].isupper():  # datelines stay
                m.kind = kinds[self.fullest(m.name)]

    def _add_role_subjects(self) -> None:
        """Role nouns that are subjects ("The mayor denied it.") join the mentions as the
        person they resolve to, so a pronoun after them ("She said ...") finds that person."""
        for token in self.doc:
            if token.pos_ != "NOUN" or token.dep_ not in ("nsubj", "nsubjpass"):
                continue
            if not any(c.dep_ in ("det", "poss") for c in token.lefts):
                continue
            name = self.role(token)
            if name is None:
                continue
            kind = "organisation" if token.lemma_.lower() in ORG_ROLES else "person"
            start, end = subject_span(token)
            mention = NameMention(
                start,
                end,
                token.i,
                self.sent_of[token.i],
                name,
                kind,
                False,
                True,
                token.i in self._speaker_tokens,
                frozenset({token.lemma_.lower()}),
            )
            bisect.insort(self.mentions, mention, key=lambda m: m.start)

    def _runs(self) -> list[list[Any]]:
        """Maximal runs of name tokens within a sentence (proper nouns and entity tokens)."""
        runs: list[list[Any]] = []
        current: list[Any] = []
        for token in self.doc:
            joins = current and self.sent_of[token.i] == self.sent_of[current[-1].i]
            if _is_name_token(token) and (joins or not current):
                current.append(token)
                continue
            if current:
                runs.append(current)
            current = [token] if _is_name_token(token) else []
        if current:
            runs.append(current)
        return runs

    def _mention(self, run: list[Any], speakers: set[int]) -> NameMention | None:
        roles: set[str] = set()
        cut = 0
        for n, t in enumerate(run[:-1]):
            low = t.lower_.rstrip(".")
            if low in TITLES or t.text[:1].islower() or (t.text.isupper() and len(t.text) > 2):
                cut = n + 1
                if low in TITLES:
                    roles.add(low)
        name_tokens = [t for t in run[cut:] if t.text not in ("'s", "\u2019s")]
        while name_tokens and not any(ch.isalnum() for ch in name_tokens[-1].text):
            name_tokens.pop()
        while name_tokens and not any(ch.isalnum() for ch in name_tokens[0].text):
            name_tokens.pop(0)
        if not name_tokens:
            return None
        inside = {t.i for t in run}
        root = next((t for t in run if t.head.i not in inside or t.head.i == t.i), run[-1])
        labels = Counter(t.ent_type_ for t in name_tokens if t.ent_type_)
        label = labels.most_common(1)[0][0] if labels else ""
        if "PERSON" in labels:
            label = "PERSON"
        kind = _LABEL_KIND.get(label, "unknown" if label == "" else "other")
        if kind == "other":
            return None
        start = name_tokens[0].idx
        end = name_tokens[-1].idx + len(name_tokens[-1].text)
        line_start = self.text.rfind("\n", 0, start) + 1
        if (
            self.text[start - 1 : start] == "("
            and start - line_start < 60
            and _DATELINE_AGENCY.match(self.text, end)
        ):
            return None
        if self.text[start:end].isupper() and not self.text[line_start:start].strip():
            kind = "place"  # a dateline: "VALDORA -", "BAGHDAD (Dispatches) --"
        for t in self.doc[max(0, run[0].i - 4) : run[0].i]:  # "operations director Tomas Reinholt"
            if t.dep_ == "compound" and t.pos_ == "NOUN" and t.head.i in inside:
                roles.add(t.lemma_.lower())
        for child in root.children:  # "Nadia Korr, the railway's spokeswoman"
            if child.dep_ == "appos" and child.pos_ == "NOUN":
                roles.add(child.lemma_.lower())
        if root.dep_ == "appos" and root.head.pos_ == "NOUN":  # "The spokeswoman, Nadia Korr,"
            roles.add(root.head.lemma_.lower())
        subject = root.dep_ in ("nsubj", "nsubjpass") or (
            root.dep_ == "appos" and root.head.dep_ in ("nsubj", "nsubjpass")
        )
        speaker = root.i in speakers or (root.dep_ == "appos" and root.head.i in speakers)
        modifier = root.dep_ in ("compound", "poss") and root.head.i not in inside
        return NameMention(
            start,
            end,
            root.i,
            self.sent_of[root.i],
            clean_name(self.text[start:end]),
            kind,
            modifier,
            subject,
            speaker,
            frozenset(roles),
        )

    def _fullest_forms(self) -> dict[str, str]:
        """Each name key -> the fullest name it abbreviates ("amiri" -> "Hadi al-Amiri")."""
        names = {m.name for m in self.mentions}
        words = {t: name_words(name_key(t)) for t in names}
        texts = sorted(names, key=lambda t: (-len(words[t]), -len(t), t))
        by_last: dict[str, list[str]] = defaultdict(list)
        for text in texts:
            if words[text]:
                by_last[words[text][-1]].append(text)
        full: dict[str, str] = {}
        for text in texts:  # longest first: each short form maps to the fullest name
            mine = words[text]
            for other in by_last.get(mine[-1], []) if mine else []:
                okey, owords = name_key(other), words[other]
                if okey not in full and owords == mine[-len(owords) :]:
                    full[okey] = text
        return full

    def _genders(self) -> dict[str, str]:
        """Full name -> "f" or "m" where the article shows it: a gendered role or title, or
        the first personal pronoun after the name in its sentence when no other name
        stands between ("Grete Amsel ... said that her company")."""
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        for n, m in enumerate(self.mentions):
            if m.kind == "place" or m.modifier:
                continue
            full = self.fullest(m.name)
            g = _gender_of(m.roles)
            if g:
                votes[full][g] += 2
            if not m.subject:
                continue
            nxt = self.mentions[n + 1].start if n + 1 < len(self.mentions) else len(self.text)
            for t in self.doc[m.root + 1 :]:
                if self.sent_of[t.i] != m.sent or t.idx >= nxt:
                    break
                if t.lower_ in _PERSONAL:
                    g = _gender_of([t.lower_])
                    if g:
                        votes[full][g] += 1
                    break
        return {
            name: v.most_common(1)[0][0]
            for name, v in votes.items()
            if len(v) == 1 or v.most_common(2)[0][1] > v.most_common(2)[1][1]
        }

    def fullest(self, text: str) -> str:
        """The fullest form of a name in this article, titles and possessive dropped."""
        known = self._fullest_cache.get(text)
        if known is None:
            known = self._fullest_cache[text] = self._fullest(text)
        return known

    def _fullest(self, text: str) -> str:
        key = name_key(clean_name(text))
        if key in self.full:
            return clean_name(self.full[key])
        words = clean_name(text).split()
        while len(words) > 1 and words[0].lower().rstrip(".") in TITLES:
            words = words[1:]
        shorter = " ".join(words)
        if name_key(shorter) in self.full:
            return clean_name(self.full[name_key(shorter)])
        # a surname the tagger missed ("Marrow told the crowd" tagged a work of art): the one
        # full name of the article that ends in the same words
        tail = name_words(name_key(shorter))
        fits = {
            f for f in self.full.values() if tail and name_words(name_key(f))[-len(tail) :] == tail
        }
        return clean_name(fits.pop() if len(fits) == 1 else shorter)

    def quoted(self, pos: int) -> bool:
        """Whether ``pos`` lies inside quote marks. A name or role inside a quote is what
        the speaker talks about ("...the mayor has nothing to fear," he said), so it is no
        antecedent for the pronoun or role noun that says who spoke."""
        n = bisect.bisect_right(self._quote_starts, pos) - 1
        return n >= 0 and pos < self._quoted[n][1]

    def mention_at(self, token: Any) -> NameMention | None:
        return self._by_token.get(token.i)

    def _salient(
        self, pos: int, sent: int, kinds: tuple[str, ...], gender: str | None
    ) -> str | None:
        """The most salient named mention before ``pos`` of one of ``kinds``."""
        best: tuple[float, int, str] | None = None
        for m in self.mentions:
            if m.end > pos:
                break
            if (m.modifier and m.kind != "organisation") or m.kind not in kinds:
                continue
            if sent - m.sent > 6 or self.quoted(m.start):
                continue
            full = self.fullest(m.name)
            if gender and self.gender.get(full, gender) != gender:
                continue
            weight = 1.0 + 0.8 * m.subject + 0.5 * m.speaker
            score = weight * 0.5 ** max(0, sent - m.sent)
            if best is None or (score, m.start) >= best[:2]:
                best = (score, m.start, full)
        return best[2] if best else None

    def before(self, pos: int, kind: str, gender: str | None = None) -> str | None:
        """The name a pronoun or role noun at ``pos`` most likely stands for."""
        key = (pos, kind, gender)
        if key not in self._before_cache:
            self._before_cache[key] = self._before(pos, kind, gender)
        return self._before_cache[key]

    def _before(self, pos: int, kind: str, gender: str | None) -> str | None:
        sent = self._sent_at(pos)
        if kind == "person":
            kinds: tuple[str, ...] = ("person", "unknown")
        elif kind == "organisation":
            kinds = ("organisation",)
        else:
            kinds = ("person", "organisation", "unknown")
        return self._salient(pos, sent, kinds, gender)

    def _sent_at(self, pos: int) -> int:
        span = self.doc.char_span(pos, min(len(self.text), pos + 1), alignment_mode="expand")
        return self.sent_of[span.start] if span is not None and len(span) else 0

    def role(self, token: Any) -> str | None:
        """The person or organisation a role noun ("the mayor", "its spokeswoman") names."""
        for child in token.children:  # "The co-operative's chairwoman, Lotte Vinck,"
            if child.dep_ == "appos":
                m = self._by_token.get(child.i)
                if m is not None and m.kind in ("person", "unknown", "organisation"):
                    return self.fullest(m.name)
        lemma = token.lemma_.lower()
        if token.tag_ in ("NNS", "NNPS"):
            return None  # "officials", "residents": a group, not one named person
        given = [m for m in self.mentions if m.end <= token.idx and lemma in m.roles]
        if given:
            return self.fullest(given[-1].name)
        if lemma in PERSON_ROLES:
            return self.before(token.idx, "person", _gender_of([lemma]))
        if lemma in ORG_ROLES:
            qualifiers = {
                c.lower_ for c in token.children if c.dep_ in ("compound", "amod") and c.is_alpha
            }
            if qualifiers:  # "the county council": that body, named with those words, or none
                return self._named_with(token.idx, qualifiers | {lemma})
            return self.before(token.idx, "organisation")
        return None

    def _named_with(self, pos: int, words: set[str]) -> str | None:
        """The latest body named before ``pos`` whose name holds all of ``words`` (its kind
        aside: "Brannock County Council" reads as a place to the kind rules)."""
        found = None
        for m in self.mentions:
            if m.end > pos:
                break
            if m.kind != "person" and words <= set(name_key(m.name).split()):
                found = self.fullest(m.name)
        return found


def speaker_of(subject: Any, doc: Any, resolver: Resolver) -> tuple[str, Span, str | None]:
    """(speaker text, its span, the resolved full name) for a speaker mention."""
    start, end = subject_span(subject)
    text = text_of(doc)[start:end]
    lower = subject.lower_
    if subject.pos_ == "PRON" or lower in PRONOUNS:
        kind = PRONOUNS.get(lower, "any")
        return text, (start, end), resolver.before(start, kind, _gender_of([lower]))
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
    mention = resolver.mention_at(subject)
    if mention is None and subject.pos_ == "PROPN":
        mention = next(
            (resolver.mention_at(t) for t in doc[subject.left_edge.i : subject.i + 1]), None
        )
    if mention is not None or subject.pos_ == "PROPN":
        name = mention.name if mention is not None else subject.text
        return text, (start, end), resolver.fullest(name)
    if any(t.lower_ in ("a", "an") for t in subject.children):
        return text, (start, end), None  # a new, unnamed actor ("a prominent group")
    if subject.pos_ == "NOUN":
        return text, (start, end), resolver.role(subject)
    return text, (start, end), None
