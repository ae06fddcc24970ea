"""What the speaker ranking sees: candidate speakers of a quote and their features.

For each quote the rules found, every noun phrase in a window around it (from the sentence
before to the sentence after, within its paragraph, plus the end of the paragraph before when
the quote opens its own) is a candidate: a name, a pronoun, a role noun. Each is described
by what the spaCy parse says about it: its relation to the quote's cue verb (subject, agent,
"according to", apposition, object), the distance to the cue and to the quote, its
grammatical role, its entity type, where it stands in the paragraph (after a dash, before a
colon, in the paragraph before) and whether it spoke just before. Features are numbers in
[0, 1], so the weights of ``storytrace.nlp.speakers`` compare across them.

Places are dropped as candidates unless they are the subject of a speech verb: "Washington
said" is a government speaking, "arrived in Valdora" is not a speaker.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from storytrace.model import Span
from storytrace.nlp.cues import ORG_ROLES, PERSON_ROLES, is_cue, subject_span
from storytrace.nlp.entities import name_key, name_words
from storytrace.nlp.pipeline import text_of
from storytrace.nlp.resolve import Resolver, speaker_of

BASE_FEATURES = (
    "subject_of_cue",
    "subject_of_other_cue",
    "rule_choice",
    "agent_of_cue",
    "according_to",
    "according_to_beside_speaker",
    "object_of_cue",
    "apposition_of_subject",
    "subject_with_apposition",
    "possessor_of_subject",
    "inside_subject_phrase",
    "subject_of_adjacent_verb",
    "subject_of_verb",
    "subject_of_governing_verb",
    "prepositional_object",
    "locative_object",
    "other_object",
    "tree_distance",
    "no_cue",
    "same_sentence_as_cue",
    "same_sentence_as_quote",
    "before_quote",
    "distance_to_quote",
    "distance_to_cue",
    "previous_paragraph",
    "dash_after_quote",
    "dash_after_other_quote",
    "nearer_other_quote",
    "colon_before_quote",
    "sentence_initial",
    "in_parentheses",
    "person_entity",
    "organisation_entity",
    "group_entity",
    "place_entity",
    "proper_noun_unlabelled",
    "pronoun_he_she",
    "pronoun_they",
    "pronoun_it",
    "pronoun_first_person",
    "pronoun_you",
    "pronoun_relative",
    "pronoun_other",
    "person_role_noun",
    "organisation_role_noun",
    "other_common_noun",
    "plural_noun",
    "indefinite",
    "capitalised",
    "all_capitals",
    "previous_speaker",
    "previous_speaker_mention",
    "last_person_named",
    "mentions",
    "used_as_place",
    "unresolved",
    "in_relative_clause",
    "wh_word_in_phrase",
)
DIRECT_CROSSED = (
    "subject_of_cue",
    "no_cue",
    "dash_after_quote",
    "colon_before_quote",
    "previous_speaker",
    "subject_of_adjacent_verb",
    "rule_choice",
    "pronoun_he_she",
    "same_sentence_as_quote",
    "before_quote",
    "previous_paragraph",
)
FEATURES = BASE_FEATURES + tuple(f"direct_x_{f}" for f in DIRECT_CROSSED)
INDEX = {f: i for i, f in enumerate(FEATURES)}

_LOCATIVE = frozenset("in at from near across outside inside into to on around throughout".split())
_RELATIVE = frozenset("who whom whose which that what whoever".split())
DASHES = "\u2015\u2014\u2013-"
_MARKS = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e"
_SKIP_DEPS = frozenset("compound flat det amod nummod expl case punct".split())
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """One possible speaker of one quote: the phrase, what it resolves to, its features."""

    token: Any
    text: str
    span: Span
    resolved: str | None
    cue: Any | None  # the verb it is the subject of, when that introduces the quote
    features: tuple[float, ...]


def _last_word(name: str | None) -> str | None:
    words = name_words(name_key(name)) if name else []
    return words[-1] if words else None


class DocContext:
    """What every candidate of one article reads: sentences, paragraphs, cue subjects."""

    def __init__(self, doc: Any, quoted: list[Span], resolver: Resolver) -> None:
        self.doc = doc
        self.text = text_of(doc)
        self.resolver = resolver
        self.quoted = sorted(quoted)
        self._quote_starts = [s for s, _ in self.quoted]
        self.sent_of = resolver.sent_of
        self.sent_bounds: list[tuple[int, int]] = [(s.start, s.end) for s in doc.sents]
        self.newlines = [i for i, ch in enumerate(self.text) if ch == "\n"]
        self.cue_subject: dict[int, list[int]] = {}  # subject token -> its cue verbs
        for subject, verbs in resolver.cue_verbs.items():
            outside = [v for v in verbs if not self.in_quote(doc[v].idx)]
            if outside:
                self.cue_subject[subject] = outside
        self.cue_subject_tokens = set(self.cue_subject)
        self.cue_verbs_with_subject = {v for verbs in self.cue_subject.values() for v in verbs}
        self.name_counts: Counter[str] = Counter()
        self.place_words: set[str] = set()
        for m in resolver.mentions:
            last = _last_word(m.name)
            if last:
                self.name_counts[last] += 1
                if m.kind == "place":
                    self.place_words.add(last)
        self._speakers: dict[int, tuple[str, Span, str | None]] = {}

    def in_quote(self, pos: int) -> bool:
        k = bisect.bisect_right(self._quote_starts, pos) - 1
        return k >= 0 and pos < self.quoted[k][1]

    def quotes_around(self, start: int, end: int, own: Span) -> tuple[Span | None, Span | None]:
        """The quoted spans (other than ``own``) ending last before ``start`` and starting
        first after ``end``."""
        k = bisect.bisect_right(self._quote_starts, start) - 1
        while k >= 0 and (self.quoted[k][1] > start or self.quoted[k] == own):
            k -= 1
        j = bisect.bisect_left(self._quote_starts, end)
        while j < len(self.quoted) and self.quoted[j] == own:
            j += 1
        return (self.quoted[k] if k >= 0 else None), (
            self.quoted[j] if j < len(self.quoted) else None
        )

    def paragraph_of(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos)

    def speaker(self, token: Any) -> tuple[str, Span, str | None]:
        if token.i not in self._speakers:
            self._speakers[token.i] = speaker_of(token, self.doc, self.resolver)
        return self._speakers[token.i]


def token_at(doc: Any, span: Span | None) -> Any | None:
    """The syntactic head of the tokens in ``span``."""
    if span is None:
        return None
    piece = doc.char_span(span[0], span[1], alignment_mode="expand")
    if piece is None or not len(piece):
        return None
    return piece.root


def _tree_distance(a: Any, b: Any) -> int:
    up_a = [a, *a.ancestors]
    depth = {t.i: n for n, t in enumerate(up_a)}
    for n, t in enumerate([b, *b.ancestors]):
        if t.i in depth:
            return n + depth[t.i]
    return 99


def _adjacent_verb(ctx: DocContext, token: Any, q_first: int, q_last: int) -> bool:
    """``token`` is the subject of a verb right beside the quote ("“...,” Caddell continued")."""
    if token.dep_ not in ("nsubj", "nsubjpass") or token.head.pos_ not in ("VERB", "AUX"):
        return False
    verb = token.head
    if verb.i > q_last:
        gap = ctx.doc[q_last + 1 : verb.i]
    elif verb.i < q_first:
        gap = ctx.doc[verb.i + 1 : q_first]
    else:
        return False
    return sum(1 for t in gap if not (t.is_punct or t.is_space or t.i == token.i)) <= 1


def _between_only(text: str, start: int, end: int, marks: str) -> bool:
    return start <= end and all(ch.isspace() or ch in marks for ch in text[start:end])


class _Quote:
    """The parts of one rule-made attribution the features read."""

    __slots__ = (
        "cue",
        "direct",
        "first",
        "last",
        "named_before",
        "prev_speaker",
        "prev_token",
        "rule",
        "span",
    )

    def __init__(self, ctx: DocContext, quote: Any, prev: Any | None) -> None:
        doc = ctx.doc
        self.span: Span = quote.span
        self.direct: bool = quote.direct
        piece = doc.char_span(quote.span[0], quote.span[1], alignment_mode="expand")
        self.first = piece.start if piece is not None and len(piece) else 0
        self.last = piece.end - 1 if piece is not None and len(piece) else 0
        cue = token_at(doc, quote.cue_span)
        self.cue = cue if cue is not None and is_cue(cue) else None
        self.rule = token_at(doc, quote.speaker_span)
        near = prev is not None and ctx.text.count("\n", prev.span[1], quote.span[0]) <= 1
        self.prev_token = token_at(doc, prev.speaker_span) if prev is not None and near else None
        self.named_before = _last_word(ctx.resolver.before(quote.span[0], "person"))
        self.prev_speaker = (
            _last_word(prev.speaker_resolved or prev.speaker) if prev is not None and near else None
        )


def _window(ctx: DocContext, q: _Quote) -> range:
    """Tokens from the sentence before the quote to the sentence after, within its paragraph;
    a quote that opens its paragraph also looks at the end of the paragraph before."""
    doc = ctx.doc
    s_first, s_last = ctx.sent_of[q.first], ctx.sent_of[q.last]
    lo = ctx.sent_bounds[max(0, s_first - 1)][0]
    hi = ctx.sent_bounds[min(len(ctx.sent_bounds) - 1, s_last + 1)][1]
    par = ctx.paragraph_of(q.span[0])
    par_start = ctx.newlines[par - 1] + 1 if par > 0 else 0
    opens = not ctx.text[par_start : q.span[0]].strip(_MARKS + " \t")
    while lo < q.first and ctx.paragraph_of(doc[lo].idx) < par - (1 if opens else 0):
        lo += 1
    end_par = ctx.paragraph_of(max(q.span[0], q.span[1] - 1))
    while hi > q.last + 1 and ctx.paragraph_of(doc[hi - 1].idx) > end_par:
        hi -= 1
    return range(lo, hi)


_Put = Callable[..., None]


def _syntax(ctx: DocContext, q: _Quote, token: Any, put: _Put) -> int | None:
    """How ``token`` stands to the cue verb and the rest of the parse; returns the index of
    the speech verb it is the subject of, if any."""
    verb = q.cue
    own_cues = ctx.cue_subject.get(token.i, [])
    own_cue = None
    if verb is not None and verb.i in own_cues:
        put("subject_of_cue")
        own_cue = verb.i
    elif own_cues:
        put("subject_of_other_cue")
        own_cue = min(own_cues, key=lambda i: min(abs(i - q.first), abs(i - q.last)))
    if q.rule is not None and token.i == q.rule.i:
        put("rule_choice")
    dep, head = token.dep_, token.head
    if dep == "pobj" and head.dep_ == "agent" and is_cue(head.head):
        put("agent_of_cue")
    according = (
        dep == "pobj"
        and head.lower_ == "to"
        and head.i > 0
        and ctx.doc[head.i - 1].lower_ == "according"
    )
    if according:
        put("according_to")
        if verb is not None and verb.i in ctx.cue_verbs_with_subject:
            # "“...,” he said, according to a translation": the verb has its own speaker
            put("according_to_beside_speaker")
    if dep in ("dobj", "dative") and is_cue(head):
        put("object_of_cue")
    if dep == "appos" and head.i in ctx.cue_subject_tokens:
        put("apposition_of_subject")
    if own_cue is not None and any(c.dep_ == "appos" for c in token.children):
        put("subject_with_apposition")
    if dep == "poss" and head.i in ctx.cue_subject_tokens:
        put("possessor_of_subject")
    if (
        own_cue is None
        and dep not in ("appos", "poss")
        and any(a.i in ctx.cue_subject_tokens for a in token.ancestors)
    ):
        put("inside_subject_phrase")
    if _adjacent_verb(ctx, token, q.first, q.last):
        put("subject_of_adjacent_verb")
    if dep in ("nsubj", "nsubjpass"):
        put("subject_of_verb")
        if verb is not None and head.i != verb.i and verb in head.subtree:
            put("subject_of_governing_verb")
        if head.dep_ == "relcl":
            put("in_relative_clause")
    if dep == "pobj" and not according and head.dep_ != "agent":
        put("prepositional_object")
        if head.lower_ in _LOCATIVE:
            put("locative_object")
    if dep in ("dobj", "dative", "attr", "oprd", "iobj") and not is_cue(head):
        put("other_object")
    same_sent_cue = verb is not None and ctx.sent_of[verb.i] == ctx.sent_of[token.i]
    if verb is None:
        put("no_cue")
        put("tree_distance", 1.0)
        put("distance_to_cue", 1.0)
    else:
        put("tree_distance", min(_tree_distance(token, verb), 8) / 8 if same_sent_cue else 1.0)
        put("distance_to_cue", min(math.log1p(abs(token.i - verb.i)) / 4, 1.0))
    if same_sent_cue:
        put("same_sentence_as_cue")
    return own_cue


def _position(ctx: DocContext, q: _Quote, token: Any, put: _Put) -> Any:
    """Where ``token`` stands against the quote, the other quotes and its paragraph; returns
    the first word of its sentence."""
    doc, text = ctx.doc, ctx.text
    if ctx.sent_of[q.first] <= ctx.sent_of[token.i] <= ctx.sent_of[q.last]:
        put("same_sentence_as_quote")
    before = token.i < q.first
    if before:
        put("before_quote")
    gap = q.first - token.i if before else token.i - q.last
    put("distance_to_quote", min(math.log1p(max(gap, 0)) / 4, 1.0))
    if ctx.paragraph_of(token.idx) < ctx.paragraph_of(q.span[0]):
        put("previous_paragraph")
    phrase_start, phrase_end = subject_span(token)
    between = _MARKS + ",.!?" + DASHES
    if (
        not before
        and _between_only(text, q.span[1], phrase_start, between)
        and any(ch in DASHES for ch in text[q.span[1] : phrase_start])
    ):
        put("dash_after_quote")
    other_before, other_after = ctx.quotes_around(phrase_start, phrase_end, q.span)
    if (
        other_before is not None
        and _between_only(text, other_before[1], phrase_start, between)
        and any(ch in DASHES for ch in text[other_before[1] : phrase_start])
    ):
        put("dash_after_other_quote")
    here = q.span[0] - phrase_end if before else phrase_start - q.span[1]
    nearest_other = min(
        (phrase_start - other_before[1]) if other_before else 10**9,
        (other_after[0] - phrase_end) if other_after else 10**9,
    )
    if nearest_other < here:
        put("nearer_other_quote")
    if (
        before
        and _between_only(text, phrase_end, q.span[0] - 1, _MARKS + ":")
        and ":" in text[phrase_end : q.span[0]]
    ):
        put("colon_before_quote")
    sent_start = ctx.sent_bounds[ctx.sent_of[token.i]][0]
    first_word = next((t for t in doc[sent_start : token.i + 1] if not t.is_punct), token)
    if token.left_edge.i <= first_word.i:
        put("sentence_initial")
    if text[max(0, phrase_start - 1) : phrase_start] == "(":
        put("in_parentheses")
    return first_word


_PRONOUN_FEATURES = {
    **dict.fromkeys(("he", "she", "him", "her"), "pronoun_he_she"),
    **dict.fromkeys(("they", "them"), "pronoun_they"),
    "it": "pronoun_it",
    **dict.fromkeys(("i", "we", "me", "us"), "pronoun_first_person"),
    "you": "pronoun_you",
    **dict.fromkeys(_RELATIVE, "pronoun_relative"),
}
_LABEL_FEATURES = {
    "PERSON": "person_entity",
    "ORG": "organisation_entity",
    "NORP": "group_entity",
    **dict.fromkeys(_PLACE_LABELS, "place_entity"),
}


def _lexical(ctx: DocContext, q: _Quote, token: Any, first_word: Any, put: _Put) -> None:
    """What kind of phrase ``token`` is (entity type, pronoun, role noun) and what it
    resolves to: the previous speaker, the last person named, a place."""
    lower = token.lower_
    label = _LABEL_FEATURES.get(token.ent_type_)
    if label:
        put(label)
    elif token.pos_ == "PROPN":
        put("proper_noun_unlabelled")
    if token.pos_ == "PRON":
        put(_PRONOUN_FEATURES.get(lower, "pronoun_other"))
    elif token.pos_ == "NOUN":
        lemma = token.lemma_.lower()
        if lemma in PERSON_ROLES:
            put("person_role_noun")
        elif lemma in ORG_ROLES:
            put("organisation_role_noun")
        else:
            put("other_common_noun")
        if token.tag_ in ("NNS", "NNPS"):
            put("plural_noun")
    if any(c.lower_ in ("a", "an") for c in token.children):
        put("indefinite")
    if token.text[:1].isupper() and token.pos_ != "PRON" and token.i != first_word.i:
        put("capitalised")
    if token.text.isupper() and len(token.text) > 1:
        put("all_capitals")
    _, _, resolved = ctx.speaker(token)
    last = _last_word(resolved) or (lower if token.pos_ == "PROPN" else None)
    if q.prev_speaker and last == q.prev_speaker:
        put("previous_speaker")
    if q.prev_token is not None and q.prev_token.i == token.i:
        put("previous_speaker_mention")
    if last and last == q.named_before:
        put("last_person_named")
    if last:
        put("mentions", min(math.log1p(ctx.name_counts.get(last, 0)) / 3, 1.0))
        if last in ctx.place_words:
            put("used_as_place")
    if resolved is None and token.pos_ in ("PRON", "NOUN"):
        put("unresolved")
    if any(t.lower_ in _RELATIVE and t.tag_ in ("WDT", "WP", "WP$") for t in token.subtree):
        put("wh_word_in_phrase")


def _features(ctx: DocContext, q: _Quote, token: Any) -> tuple[list[float], Any | None]:
    """The feature vector of ``token`` as the speaker of ``q``, and the cue it goes with."""
    f = [0.0] * len(FEATURES)

    def put(name: str, value: float = 1.0) -> None:
        f[INDEX[name]] = value

    own_cue = _syntax(ctx, q, token, put)
    first_word = _position(ctx, q, token, put)
    _lexical(ctx, q, token, first_word, put)
    if q.direct:
        for name in DIRECT_CROSSED:
            f[INDEX[f"direct_x_{name}"]] = f[INDEX[name]]
    if own_cue is not None:
        return f, ctx.doc[own_cue]
    if _adjacent_verb(ctx, token, q.first, q.last):
        return f, token.head
    return f, None


def candidates(ctx: DocContext, quote: Any, prev: Any | None) -> list[Candidate]:
    """Every speaker mention worth scoring for ``quote`` (``prev``: the attribution before)."""
    q = _Quote(ctx, quote, prev)
    doc = ctx.doc
    tokens = [doc[i] for i in _window(ctx, q)]
    if q.rule is not None and q.rule not in tokens:
        tokens.append(q.rule)
    out = []
    for token in tokens:
        if token.pos_ not in ("PROPN", "NOUN", "PRON") or token.dep_ in _SKIP_DEPS:
            continue
        rule = q.rule is not None and token.i == q.rule.i
        if not rule and (quote.span[0] <= token.idx < quote.span[1] or ctx.in_quote(token.idx)):
            continue  # the rules' own choice may lie inside: "X rose, according to Y."
        if token.lower_ in ("there", "themselves", "itself", "himself", "herself"):
            continue
        if token.ent_type_ in _PLACE_LABELS and token.i not in ctx.cue_subject:
            continue  # a place speaks only as a government: "Washington said", "Moscow warned"
        features, cue = _features(ctx, q, token)
        text, span, resolved = ctx.speaker(token)
        out.append(Candidate(token, text, span, resolved, cue, tuple(features)))
    return out
