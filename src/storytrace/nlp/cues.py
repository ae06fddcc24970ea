"""The words and parse relations that mark speech: cue verbs, speaker pronouns, role nouns.

Kept apart from the quote finder so the rule extractor (``storytrace.nlp.quotes``) and the
learned speaker ranker (``storytrace.nlp.speakers``) read one lexicon and one notion of "the
subject of a cue verb".
"""

from __future__ import annotations

from typing import Any

CUE_LEMMAS = frozenset(
    (
        "say tell add state note warn insist explain claim announce declare stress emphasize "
        "emphasise argue write report confirm deny assert reiterate urge underscore acknowledge "
        "admit maintain suggest predict vow pledge promise threaten comment remark reply respond "
        "ask tweet post caution allege contend describe charge recall quip concede complain "
        "observe point testify conclude agree disclose reveal estimate show find call demand "
        "question indicate mention cite signal rule boast brag joke criticize blast slam counter "
        "retort assure inform recount speculate hint propose recommend"
    ).split()
)
PRONOUNS = {
    "he": "person",
    "she": "person",
    "him": "person",
    "her": "person",
    "they": "any",
    "it": "organisation",
    "we": "any",
    "i": "any",
}
ORG_ROLES = frozenset(
    "group militia movement ministry government party company agency organization organisation "
    "council committee coalition alliance union army police".split()
)
PERSON_ROLES = frozenset(
    "spokesman spokeswoman spokesperson official minister cleric leader president premier "
    "commander chief head director secretary ambassador envoy senator lawmaker mayor governor "
    "chairman chairwoman officer adviser advisor analyst expert source diplomat general "
    "representative lawyer attorney witness resident professor scientist economist engineer "
    "manager founder executive ceo coach captain king queen prince pope bishop imam sheikh "
    "judge prosecutor".split()
)
ROLE_NOUNS = PERSON_ROLES | ORG_ROLES
NAMED_LABELS = ("PERSON", "ORG", "NORP", "GPE", "LOC", "FAC")


def is_cue(token: Any) -> bool:
    """A verb of speech (by lemma), the only verbs whose subject is taken as a speaker."""
    return token.pos_ in ("VERB", "AUX") and token.lemma_.lower() in CUE_LEMMAS


def impersonal(verb: Any) -> bool:
    """A passive speech verb with a dummy subject and nobody named: "it is estimated that",
    "it is said", "it was reported". Such a statement has no speaker, so it is no quote;
    "it was reported by the agency that" names one and stays."""
    subjects = [c for c in verb.children if c.dep_ in ("nsubjpass", "nsubj", "expl")]
    if not subjects or subjects[0].lower_ not in ("it", "there"):
        return False
    passive = subjects[0].dep_ == "nsubjpass" or any(c.dep_ == "auxpass" for c in verb.children)
    return passive and not any(c.dep_ == "agent" for c in verb.children)


def _relative(verb: Any) -> bool:
    """A relative clause, as parsed or as its "whose ..." subject shows."""
    if verb.dep_ == "relcl":
        return True
    return any(
        c.dep_ in ("nsubj", "nsubjpass") and any(g.tag_ == "WP$" for g in c.children)
        for c in verb.children
    )


def subject_of(verb: Any) -> Any | None:
    """The subject of ``verb``, looked for through conjoined and dependent verbs.

    "X said Y and added Z": X adds. "X said Y will ..., underscoring that ...": X underscores.
    Tokens are compared by index: spaCy builds a new Token object on every access, so
    ``token.head is token`` is never true, not even at the root.
    """
    for child in verb.children:
        if child.dep_ == "nsubj":
            return child
        if child.dep_ == "nsubjpass":
            # "the army had been asked to send trucks": the subject is spoken to; only an
            # agent ("was told by X") speaks
            agent = next((c for c in verb.children if c.dep_ == "agent"), None)
            objs = [c for c in agent.children if c.dep_ == "pobj"] if agent is not None else []
            return objs[0] if objs else None
    if verb.dep_ in ("conj", "xcomp", "advcl") and verb.head.i != verb.i:
        head = verb.head
        if verb.dep_ == "advcl" and verb.tag_ == "VBG" and _relative(head):
            # "X reacted to the talks, whose agenda is Y, emphasizing that ...": the participle
            # goes with the main clause, not with the relative clause it follows
            main = head.head
            while main.pos_ not in ("VERB", "AUX") and main.head.i != main.i:
                main = main.head
            return subject_of(main) if main.pos_ in ("VERB", "AUX") and main.i != head.i else None
        if verb.dep_ == "advcl" and head.dep_ == "ccomp" and is_cue(head.head):
            return subject_of(head.head)
        shares = verb.dep_ == "conj" or (verb.dep_ == "advcl" and verb.tag_ == "VBG")
        if is_cue(verb.head) or (shares and verb.head.pos_ in ("VERB", "AUX")):
            return subject_of(verb.head)
    return None


def subject_span(subject: Any) -> tuple[int, int]:
    """The subject phrase without relative clauses and trailing appositions."""
    left = subject.left_edge.i
    while left < subject.i and not any(ch.isalnum() for ch in subject.doc[left].text):
        left += 1  # "”― Pamela Padilla": the dash belongs to the quote before
    right = subject.i
    for child in subject.children:
        if child.i > subject.i and child.dep_ in ("compound", "flat", "nmod"):
            right = max(right, child.right_edge.i)
    doc = subject.doc
    return doc[left].idx, doc[right].idx + len(doc[right].text)
