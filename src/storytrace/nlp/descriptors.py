"""What an article calls each entity: appositions, pre-modifiers and predicate nominals.

"Kata'ib Hezbollah, another Iraqi anti-terror group" (apposition), "Iran's top anti-terror
commander General Qassem Soleimani" (words before the name in its noun phrase), "Kata'ib
Hezbollah is an Iraqi militia" (predicate nominal). These labels are where outlets differ
most ("militia" / "anti-terror group"), so they are kept verbatim.

A descriptor describes the entity itself, so the parse must say so: a coordinated list the
name heads ("the occupying United States, its allies, supporters and subordinates") is not
a label of its first member, a number ("Mueller, 73,") is not a label, nor is another name
("Canada, the European Union and Mexico"), a pronoun ("Trump himself") or a photo position
("Flynn, right,"). An indefinite description that introduces a group before the article
names it ("a prominent Iraqi militia said ...") is tied to the name when the article gives
that name the same description ("Kata'ib Hezbollah, an Iraqi militia,"), unless it marks
the name as a different one ("another Iraqi militia").
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from storytrace.model import Entity
from storytrace.nlp.aliases import is_organisation_name
from storytrace.nlp.entities import name_key
from storytrace.nlp.pipeline import ents_of, text_of

MAX_DESCRIPTOR_WORDS = 14
_SKIP_LEFT = {"det", "punct", "cc", "case", "prep"}
# ranks and honorifics that belong to the name ("commander General Qassem Soleimani")
_TITLES = {"mr", "mrs", "ms", "dr", "sir", "general", "gen", "lieutenant", "colonel", "major"}
# "Deputy Attorney General Rod Rosenstein": here "General" ends the role, not the name
_TITLE_HEADS = {"attorney", "inspector", "secretary", "surgeon", "solicitor", "governor", "consul"}
# one capitalised word is a label only when it names a role ("President Trump")
ROLE_WORDS = frozenset(
    {
        "president", "minister", "chancellor", "secretary", "director", "chairman",
        "chairwoman", "chair", "counsel", "attorney", "governor", "senator", "representative",
        "mayor", "leader", "commander", "chief", "spokesman", "spokeswoman", "ambassador",
        "king", "queen", "prince", "princess", "pope", "judge", "justice", "speaker", "lady",
        "deputy", "adviser", "advisor", "candidate", "nominee", "officer", "head", "premier",
        "cleric", "ayatollah", "sheikh", "emir", "dictator", "strongman", "founder", "host",
    }
)  # fmt: skip
_QUANTIFIERS = {"few", "several", "many", "some", "all", "both", "each", "every", "most"}
_LEADING = {"the", "a", "an", "both", "all", "either", "neither", "this", "these", "those"}
# where in a place, not what it is called ("central London")
_EXTENT = {
    "central", "northern", "southern", "eastern", "western", "northeastern", "northwestern",
    "southeastern", "southwestern", "entire", "whole", "greater", "downtown", "rural",
    "coastal", "upper", "lower", "mainland", "continental", "inner", "outer",
}  # fmt: skip
_NUMERIC = {"CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT", "DATE", "TIME"}
_NAMES = {"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT"}
_FINITE = {"VBD", "VBZ", "VBP", "MD", "VB"}
_CUT_POS = {"AUX", "SCONJ", "PRON", "INTJ"}
# an introduction is an indefinite noun phrase headed by one of these
_GROUP_NOUNS = {
    "group", "militia", "organisation", "organization", "movement", "party", "faction",
    "force", "alliance", "coalition", "network", "company", "agency", "brigade", "outfit",
    "union", "association", "firm", "body", "front", "league", "council",
}  # fmt: skip
# words an introduction may add to the description the name is given ("a *prominent* ...")
_EVALUATIVE = {
    "prominent", "leading", "major", "powerful", "influential", "notorious", "main", "key",
    "top", "big", "small", "large", "new", "shadowy", "little", "known", "well",
}  # fmt: skip
# the description says the name is *not* the one introduced before
_DISTINCT = {"another", "other", "second", "different", "rival", "separate", "yet"}


def _phrase(tokens: list[Any]) -> str:
    if not tokens:
        return ""
    doc = tokens[0].doc
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    return " ".join(text_of(doc)[start:end].split()).strip(" ,;:-—")


def _is_list(head: Any) -> bool:
    """Does ``head`` lead a coordinated list ("its allies, supporters and subordinates")?

    Two nouns of one description ("a lawyer and activist") are not a list; a comma before
    a conjunct, a conjunct with its own determiner ("his associates and their ties") or a
    conjunct that holds a name ("the president's son and Russian lawyer Natalia") are.
    """
    for conj in (t for t in head.conjuncts if t.i > head.i):
        between = head.doc[head.i + 1 : conj.i]
        if any(t.text == "," and t.head.i in (head.i, conj.head.i) for t in between):
            return True
        if any(c.dep_ in ("det", "poss") for c in conj.children):
            return True
        if any(t.ent_type_ in _NAMES for t in conj.subtree):
            return True
    return False


def _describes(words: list[Any], head: Any, kind: str) -> bool:
    """Can this phrase, headed by ``head``, be a label of one entity of ``kind``?"""
    if not words or len(words) > MAX_DESCRIPTOR_WORDS:
        return False
    if all(t.like_num or t.is_punct or t.ent_type_ in _NUMERIC for t in words):
        return False  # an age, a count: "Mueller, 73,"
    if head.pos_ not in ("NOUN", "PROPN", "NUM") or head.ent_type_ in _NAMES:
        return False  # "Trump himself", "Flynn, right,", "Canada, the European Union"
    if head.pos_ == "NUM" and not any(c.dep_ == "prep" for c in head.children):
        return False  # "one" alone; "one of those groups" stays
    if kind == "person" and head.tag_ in ("NNS", "NNPS"):
        return False  # "two FBI officials" describes a pair, not one person
    return not _is_list(head)


def _appositions(ent: Any, kind: str) -> list[list[Any]]:
    """Appositive phrases of the entity ("X, a spokesman for Y"; "the group, X")."""
    found = []
    root = ent.root
    if _is_list(root) and kind != "person":
        return []  # "Canada, the European Union and Mexico": a list, not an apposition
    for child in root.children:
        if child.dep_ == "appos" and child.i >= ent.end:
            if any(c.dep_ == "appos" and c.ent_type_ in _NAMES for c in child.children):
                continue  # "X, the president's son and Russian lawyer Natalia Y": Y's label
            words = list(child.subtree)
            if _describes(words, child, kind):
                found.append(words)
    # the entity may itself be the apposition of a descriptive noun: "the group, Kata'ib Hezbollah"
    head = root.head
    if root.dep_ == "appos" and head.i < ent.start and head.ent_type_ == "":
        stop = next(
            (k for k in range(head.i + 1, ent.start) if head.doc[k].is_punct),
            ent.start,
        )
        words = [t for t in head.subtree if t.i < stop and t.dep_ != "punct"]
        while words and (words[-1].dep_ == "det" or _part_of_name(words)):
            words.pop()  # "commander General Qassem Soleimani": the rank is the name's
        sharing = any(c.dep_ == "conj" for c in root.children)  # "two officials, X and Y"
        # "the president's son and Russian lawyer Natalia Veselnitskaya": she is the lawyer
        sharing = sharing or any(head.i < c.i < ent.start for c in head.conjuncts)
        if not sharing and _describes(words, head, kind):
            found.append(words)
    return found


def _predicates(ent: Any, kind: str) -> list[list[Any]]:
    """Predicate nominals: "X is an Iraqi militia", "X, who is the party's leader,"."""
    root = ent.root
    verbs = []
    if root.dep_ == "nsubj" and root.head.lemma_ in ("be", "become", "remain"):
        verbs.append(root.head)
    for rel in (c for c in root.children if c.dep_ == "relcl" and c.lemma_ in ("be", "become")):
        if any(c.dep_ == "nsubj" and c.tag_ in ("WP", "WDT") for c in rel.children):
            verbs.append(rel)
    found = []
    for verb in verbs:
        if any(c.dep_ == "neg" for c in verb.children):
            continue
        for attr in (c for c in verb.children if c.dep_ == "attr" and c.i > root.i):
            words = [t for t in attr.subtree if not (t.is_punct and t.i == attr.right_edge.i)]
            if _describes(words, attr, kind):
                found.append(words)
    return found


def _cut(word: Any) -> bool:
    """Does a pre-modifier stop here (what comes before is not part of it)?"""
    if word.is_punct:
        return word.text not in "-"
    if word.pos_ == "ADP":  # "of", "in"; not "son-in-law"
        hyphened = word.nbor(-1).text == "-" if word.i > 0 else False
        return word.dep_ != "case" and not hyphened
    if word.pos_ in _CUT_POS:
        return word.tag_ not in ("PRP$", "WP$")
    if word.pos_ == "VERB":  # "occupying" modifies the name; "Hosting" starts the clause
        return word.tag_ in _FINITE or word.dep_ not in ("amod", "compound")
    return word.ent_type_ in _NUMERIC or word.like_num or word.lower_ in _QUANTIFIERS


def _part_of_name(words: list[Any]) -> bool:
    """Is the last word before the name really the name's (a rank, a stray first name)?

    "commander General Qassem Soleimani": the rank is part of the name; "London Mayor Sadiq
    Khan" where spaCy's name is only "Khan": "Sadiq" is too. "Deputy Attorney General" keeps
    its "General", and a role word ("President") is never the name's.
    """
    last = words[-1]
    word = last.lower_.strip(".")
    if word in _TITLES:
        return not (len(words) > 1 and words[-2].lower_ in _TITLE_HEADS)
    if last.pos_ == "CCONJ":
        return True
    return last.pos_ == "PROPN" and not last.ent_type_ and word not in ROLE_WORDS


def _clause(words: list[Any]) -> bool:
    """A subject and its verb taken for a noun phrase: "Trump frequently complimented Comey".

    A name hyphened to the verb is a modifier ("Iran-backed", "U.S.-led"), not a subject.
    """
    for n, word in enumerate(words[:-1]):
        after = words[n + 1]
        if word.ent_type_ in _NAMES and not after.ent_type_ and after.text not in ("-", "'s", "’s"):
            return any(w.pos_ == "VERB" for w in words[n + 1 :])
    return False


def _premodifiers(ent: Any, kind: str) -> list[list[Any]]:
    """Words before the name inside its noun phrase ("Iran's top anti-terror commander")."""
    doc = ent.doc
    root = ent.root
    if root.dep_ == "compound" and root.head.i >= ent.end:
        return []  # "tense China talks": the words before modify the talks
    left = [t for t in root.lefts if t.i < ent.start and t.dep_ not in _SKIP_LEFT]
    if not left:
        return []
    first = max(min(t.left_edge.i for t in left), ent.sent.start)
    words = list(doc[first : ent.start])
    cuts = [n for n, w in enumerate(words) if _cut(w)]
    if cuts:
        words = words[cuts[-1] + 1 :]  # "... in Baghdad of Iran's top commander" -> after "of"
    for n, w in enumerate(words):  # "President Trump and Prime Minister May": after "and"
        if w.pos_ == "CCONJ" and any(x.ent_type_ == "PERSON" for x in words[:n]):
            words = words[n + 1 :]
            break
    while words and (words[0].dep_ == "det" or words[0].lower_ in _LEADING):
        words = words[1:]
    while words and _part_of_name(words):
        words = words[:-1]
    if not words or len(words) > MAX_DESCRIPTOR_WORDS:
        return []
    if words[-1].ent_type_ == "PERSON" or all(w.ent_type_ in _NAMES for w in words):
        return []  # only another name ("Theresa May Trump", "Amnesty International UK")
    if _clause(words):
        return []
    if all(w.lower_.strip(".") in _TITLES or w.pos_ in ("PRON", "DET") for w in words):
        return []  # a rank alone, "our Summit"
    if kind == "place" and all(w.lower_ in _EXTENT for w in words):
        return []
    return [words]


_NOT_ALONE = {"other", "such", "same", "own", "very", "co", "ex", "'s", "’s"}


def _useful(text: str, name: str, labels: list[str]) -> bool:
    """Not empty, not a repeat, not a piece of the name, not a lone proper name or particle."""
    folded = text.casefold()
    if " " not in text and (len(text) < 3 or folded in _NOT_ALONE or folded.isnumeric()):
        return False
    if (
        not text
        or text.startswith("(")
        or folded in name.casefold()
        or folded in {x.casefold() for x in labels}
    ):
        return False
    return " " in text or not text[:1].isupper() or folded.strip(".") in ROLE_WORDS


def _core(words: list[Any]) -> tuple[frozenset[str], bool]:
    """A description's content words (no determiner, no evaluation), and if it says "another"."""
    lowered = [w.lower_ for w in words if not w.is_punct]
    distinct = bool(set(lowered) & _DISTINCT) or lowered[:1] == ["one"]
    core = {w for w in lowered if w not in _LEADING and w not in _EVALUATIVE and w not in _DISTINCT}
    return frozenset(core), distinct


def _introductions(doc: Any) -> list[list[Any]]:
    """Indefinite noun phrases that bring in a group unnamed ("a prominent Iraqi militia")."""
    found = []
    for chunk in doc.noun_chunks:
        head = chunk.root
        if (
            head.lemma_.lower() in _GROUP_NOUNS
            and head.i == chunk[-1].i
            and chunk[0].lower_ in ("a", "an")
            and head.dep_ != "appos"
            and not any(t.ent_type_ in ("PERSON", "ORG") for t in chunk)
        ):
            found.append(list(chunk))
    return found


def _tie(
    intros: list[list[Any]], described: list[tuple[Entity, list[list[Any]], int]]
) -> dict[int, list[list[Any]]]:
    """Introductions tied to the one group the article later gives the same description.

    The description must share the introduction's head noun and one more content word (or
    be the same words), and none of the group's descriptions may mark it as another one.
    """
    ties: dict[int, list[list[Any]]] = {}
    for intro in intros:
        core, _ = _core(intro)
        head_word = intro[-1].lower_  # a noun chunk ends with its head
        candidates = []
        for n, (entity, phrases, first) in enumerate(described):
            if entity.label not in ("organisation", "group") or first <= intro[-1].idx:
                continue
            cores = [_core(p) for p in phrases]
            same = [
                distinct
                for words, distinct in cores
                if head_word in words and (len(words & core) >= 2 or words == core)
            ]
            if same and not any(same):
                candidates.append(n)
        if len(candidates) == 1:
            ties.setdefault(candidates[0], []).append(intro)
    return ties


_ORGANISATION_HEADS = _GROUP_NOUNS | {
    "utility", "charity", "broadcaster", "newspaper", "bank", "ministry", "department",
    "authority", "operator", "manufacturer", "insurer", "publisher", "carrier", "airline",
}  # fmt: skip


def _head_of(words: list[Any]) -> Any:
    """The word of a phrase whose head lies outside it (the last such: a pre-modifier's noun)."""
    ids = {w.i for w in words}
    return [w for w in words if w.head.i not in ids or w.head.i == w.i][-1]


def _kind_from(entity: Entity, phrases: list[list[Any]]) -> str:
    """The entity's kind, corrected by what the article calls it.

    The small model calls "Hadi al-Amiri, head of the Fatah Alliance" a place and "Munhwa
    Ilbo, a South Korean newspaper" a person: a role noun heading a description makes a
    person, a company's or group's noun an organisation (when only one of the two is said).
    """
    if entity.label not in ("person", "organisation", "place"):
        return entity.label
    heads = {_head_of(words).lower_.strip(".") for words in phrases}
    person, organisation = bool(heads & ROLE_WORDS), bool(heads & _ORGANISATION_HEADS)
    if person and not organisation and not is_organisation_name(name_key(entity.name)):
        return "person"
    if organisation and not person and entity.label == "person":
        return "organisation"
    return entity.label


def descriptors_for(doc: Any, entities: list[Entity]) -> list[Entity]:
    """Entities with ``descriptors`` filled from the parse, in text order, no repeats.

    The kind of an entity may change here, when its descriptions say what it is
    (``_kind_from``).
    """
    by_end = {e.end_char: e for e in ents_of(doc)}  # a widened mention keeps its end
    described: list[tuple[Entity, list[list[Any]], int]] = []
    for entity in entities:
        phrases: list[list[Any]] = []
        for mention in entity.mentions:
            ent = by_end.get(mention.span[1])
            if ent is not None:
                phrases += (
                    _appositions(ent, entity.label)
                    + _predicates(ent, entity.label)
                    + _premodifiers(ent, entity.label)
                )
        first = min((m.span[0] for m in entity.mentions), default=0)
        described.append((replace(entity, label=_kind_from(entity, phrases)), phrases, first))
    groups = any(e.label in ("organisation", "group") and p for e, p, _ in described)
    ties = _tie(_introductions(doc), described) if groups else {}
    out = []
    for n, (entity, phrases, _) in enumerate(described):
        labels: list[str] = []
        for words in sorted(phrases + ties.get(n, []), key=lambda w: w[0].i):
            text = _phrase(words)
            if _useful(text, entity.name, labels):
                labels.append(text)
        out.append(replace(entity, descriptors=tuple(labels)))
    return out
