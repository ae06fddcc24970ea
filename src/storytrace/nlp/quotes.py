"""Who said what: direct, mixed and indirect quotes with their speakers.

Direct quotes come from the quote marks (``storytrace.text.quotemarks``); the parse supplies
the rest. A quote's cue is the nearest speech verb outside the quote in the same or a
neighbouring sentence of the paragraph, and its speaker that verb's subject. Indirect speech
is a speech verb with a clausal complement ("Hakim said Iraq is at a critical juncture"),
or "according to X". Pronouns and role nouns ("he", "the spokesman", "the cleric") are
resolved to the nearest fitting name before them, the step that turns "he said" into a
person. A quote with no cue of its own continues the speaker of the quote before it when
that one ended in the paragraph just above, as newspapers do with running quotes.

These rules find the quotes and a first guess at each speaker; ``quotes_from_doc`` then lets
the learned ranking of ``storytrace.nlp.speakers`` pick the speaker among the phrases around
the quote. Some statements are dropped before that: impersonal passives with nobody named
("it is estimated that ...") have no speaker to find, and a quoted subhead on a line of its
own is a heading.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from typing import Any

from storytrace.model import Quote, Span
from storytrace.nlp.cues import (
    CUE_LEMMAS,
    PRONOUNS,
    ROLE_NOUNS,
    impersonal,
    is_cue,
    subject_of,
)
from storytrace.nlp.entities import name_key, name_words
from storytrace.nlp.pipeline import text_of
from storytrace.nlp.resolve import Resolver, speaker_of
from storytrace.text.quotemarks import quoted_spans as _quoted_spans

__all__ = [
    "CUE_LEMMAS",
    "PRONOUNS",
    "ROLE_NOUNS",
    "extract_quotes",
    "quotes_from_doc",
    "speaker_key",
]

_DOUBLED = re.compile(r"''|``")


def _undouble(text: str) -> str:
    """NYT-style '' and `` pairs as one double quote mark, at the same length."""

    def one(m: re.Match[str]) -> str:
        i = m.start()
        opening = m.group() == "``" or i == 0 or text[i - 1].isspace() or text[i - 1] in "([-\u2014"
        return ' "' if opening else '" '

    return _DOUBLED.sub(one, text)


def quoted_spans(text: str) -> list[Span]:
    return _quoted_spans(_undouble(text))


MIN_DIRECT_WORDS = 4  # shorter quoted bits are scare quotes or fragments of indirect speech
HEADLINE_WORDS = 12  # a line that is only a quoted phrase this short is a subhead
_AROUND = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e \t\xa0.,:;"
NEIGHBOUR_CHARS = 400


def _inside(pos: int, spans: list[Span]) -> bool:
    return any(s <= pos < e for s, e in spans)


def _paragraph(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def _embedded(doc: Any, text: str, q_start: int) -> bool:
    """A quote opening lower-case straight after a word that is no cue ("is “a big
    problem”", "called it a “clear threat”") is a phrase of the writer's sentence."""
    if not text[q_start : q_start + 1].islower():
        return False
    mark = doc.char_span(q_start - 1, q_start, alignment_mode="expand")
    if mark is None or mark.start == 0:
        return False
    before = doc[mark.start - 1]
    return before.is_alpha and not is_cue(before)


def _words_outside(text: str, span: Span, quotes: list[Span]) -> int:
    """Words of ``span`` outside the quotes that lie in it."""
    pieces, pos = [], span[0]
    for s, e in sorted(quotes):
        pieces.append(text[pos : s - 1])
        pos = e + 1
    pieces.append(text[pos : span[1]])
    return sum(any(ch.isalnum() for ch in w) for p in pieces for w in p.split())


def _cue_beside(text: str, cues: list[Any], q_start: int, q_end: int) -> bool:
    """A short quote set off as speech ("'I would,' said Melanie"; "'You winning?' she said")."""
    return text[q_end - 1 : q_end] in (",", "?", "!") and any(0 < c.idx - q_end <= 25 for c in cues)


def _headline(text: str, q_start: int, q_end: int) -> bool:
    """A line that is nothing but a short quoted phrase without a closing full stop is a
    heading or subhead ("‘US troops should fully withdraw’"), not speech; a paragraph that
    is a whole quoted sentence ("“We lost everything.”") is a running quote and stays."""
    p_start, p_end = _paragraph(text, q_start)
    if q_end > p_end:
        return False
    if (text[p_start : max(p_start, q_start - 1)] + text[q_end + 1 : p_end]).strip(_AROUND):
        return False
    body = text[q_start:q_end].rstrip(" \t\xa0")
    return len(body.split()) <= HEADLINE_WORDS and body[-1:] not in (".", "!", "?", "\u2026")


_BYLINE = re.compile(r"[\"'\u201d\u2019\u00bb]\s*[.,]?\s*(\u2015|\u2014|\u2013|--?)[\s\xa0]*(?=\w)")


def _byline(doc: Any, q_end: int, p_end: int) -> tuple[Span, Span] | None:
    """(dash, name) for a quote signed after a dash at the end of its line ("“...” ― Pamela
    Padilla"), the form of reader comments, epigraphs and collected posts."""
    text = text_of(doc)
    m = _BYLINE.match(text, q_end)
    if m is None:
        return None
    rest = text[m.end() : p_end]
    name = doc.char_span(m.end(), m.end() + len(rest.rstrip(" \t\xa0.,")), alignment_mode="expand")
    if name is None or not 1 <= len(name) <= 5:
        return None
    if not all(t.pos_ == "PROPN" or (t.is_punct and t.text == ".") for t in name):
        return None
    return (m.start(1), m.end(1)), (name.start_char, name.end_char)


def _direct(doc: Any, quotes: list[Span], resolver: Resolver) -> list[Quote]:
    text = text_of(doc)
    cues = [
        t
        for t in doc
        if is_cue(t)
        and not _inside(t.idx, quotes)
        and subject_of(t) is not None
        and not impersonal(t)
    ]
    cue_pos = [t.idx for t in cues]
    embedded: set[Span] = set()
    out: list[Quote] = []
    for q_start, q_end in quotes:
        if _headline(text, q_start, q_end):
            continue
        if len(text[q_start:q_end].split()) < MIN_DIRECT_WORDS and not _cue_beside(
            text, cues, q_start, q_end
        ):
            continue
        if _embedded(doc, text, q_start):
            embedded.add((q_start, q_end))
        p_start, p_end = _paragraph(text, q_start)
        p_end = max(p_end, _paragraph(text, max(q_end - 1, q_start))[1])
        lo = bisect.bisect_left(cue_pos, max(p_start, q_start - NEIGHBOUR_CHARS))
        hi = bisect.bisect_right(cue_pos, min(p_end, q_end + NEIGHBOUR_CHARS))
        near = [
            c
            for c in cues[lo:hi]
            if not any(s < c.idx < e for s, e in quotes if (s, e) != (q_start, q_end))
        ]
        byline = _byline(doc, q_end, p_end)
        if byline is not None:
            dash, name = byline
            text_of_name = text[name[0] : name[1]]
            out.append(
                Quote(
                    text[q_start:q_end],
                    (q_start, q_end),
                    text_of_name,
                    name,
                    resolver.fullest(text_of_name),
                    text[dash[0] : dash[1]],
                    dash,
                    True,
                )
            )
            continue
        cue = min(near, key=lambda c: min(abs(c.idx - q_start), abs(c.idx - q_end)), default=None)
        if cue is None:
            accord = _according(doc, p_start, p_end, quotes, resolver)
            if accord is not None:
                speaker, span, resolved = accord
                out.append(
                    Quote(
                        text[q_start:q_end],
                        (q_start, q_end),
                        speaker,
                        span,
                        resolved,
                        "according to",
                        None,
                        True,
                    )
                )
                continue
            prev = out[-1] if out else None
            if prev is not None and prev.direct and text.count("\n", prev.span[1], q_start) <= 1:
                out.append(
                    Quote(
                        text[q_start:q_end],
                        (q_start, q_end),
                        prev.speaker,
                        None,
                        prev.speaker_resolved,
                        None,
                        None,
                        True,
                    )
                )
            else:
                out.append(
                    Quote(text[q_start:q_end], (q_start, q_end), None, None, None, None, None, True)
                )
            continue
        speaker, span, resolved = speaker_of(subject_of(cue), doc, resolver)
        out.append(
            Quote(
                text[q_start:q_end],
                (q_start, q_end),
                speaker,
                span,
                resolved,
                cue.text,
                (cue.idx, cue.idx + len(cue.text)),
                True,
            )
        )
    # quoted words inside the writer's own sentence: a mixed quote, not a direct one
    return [dataclasses.replace(q, direct=False) if q.span in embedded else q for q in out]


def _according(
    doc: Any, start: int, end: int, quotes: list[Span], resolver: Resolver
) -> tuple[str, Span, str | None] | None:
    places = doc.user_data.get("storytrace_according")
    if places is None:
        places = doc.user_data["storytrace_according"] = [
            t.i for t in doc if t.lower_ == "according"
        ]
    for token in (doc[i] for i in places):
        if (
            start <= token.idx < end
            and token.lower_ == "according"
            and not _inside(token.idx, quotes)
        ):
            nxt = token.nbor(1) if token.i + 1 < len(doc) else None
            if nxt is not None and nxt.lower_ == "to":
                objs = [c for c in nxt.children if c.dep_ == "pobj"]
                if objs:
                    return speaker_of(objs[0], doc, resolver)
    return None


def _complement(verb: Any) -> Any | None:
    for child in verb.children:
        if child.dep_ in ("ccomp", "xcomp") and child.i != verb.i:
            if child.dep_ == "xcomp" and not any(
                c.dep_ in ("nsubj", "aux") for c in child.children
            ):
                continue
            return child
    return None


def _parataxis(
    doc: Any, verb: Any, subject: Any, taken: list[Span], resolver: Resolver
) -> list[Quote]:
    """The clause a parenthetical cue interrupts or ends ("X, he said, Y."), one quote a side."""
    text = text_of(doc)
    inner = {t.i for t in verb.subtree}
    clause = [t for t in verb.head.subtree if t.i not in inner and not t.is_space]
    out = []
    for side in ([t for t in clause if t.i < verb.i], [t for t in clause if t.i > verb.i]):
        while side and (side[0].is_punct or side[0].dep_ == "cc"):
            side.pop(0)
        while side and side[-1].is_punct:
            side.pop()
        if len(side) < 3 or any(t.is_quote for t in side):
            continue
        start, end = side[0].idx, side[-1].idx + len(side[-1].text)
        if "\n" in text[start:end] or any(s < end and start < e for s, e in taken):
            continue
        speaker, span, resolved = speaker_of(subject, doc, resolver)
        cue_span = (verb.idx, verb.idx + len(verb.text))
        out.append(
            Quote(
                text[start:end], (start, end), speaker, span, resolved, verb.text, cue_span, False
            )
        )
    return out


def _indirect(doc: Any, quotes: list[Span], direct: list[Quote], resolver: Resolver) -> list[Quote]:
    text = text_of(doc)
    taken = [q.span for q in direct]
    absorbed: set[Span] = set()
    out: list[Quote] = []
    for verb in doc:
        if not is_cue(verb) or _inside(verb.idx, quotes) or impersonal(verb):
            continue
        subject, comp = subject_of(verb), _complement(verb)
        if subject is not None and comp is None and verb.dep_ == "parataxis":
            out.extend(_parataxis(doc, verb, subject, taken, resolver))
            continue
        if subject is None or comp is None:
            continue
        tokens = [t for t in comp.subtree if t.dep_ != "mark" or t.i != comp.left_edge.i]
        tokens = [
            t for t in tokens if not t.is_punct or t.i not in (comp.left_edge.i, comp.right_edge.i)
        ]
        if not tokens:
            continue
        p_start, p_end = _paragraph(text, verb.idx)
        tokens = [t for t in tokens if p_start <= t.idx < p_end and not t.is_space]
        while tokens and tokens[-1].is_punct:
            tokens.pop()
        if not tokens:
            continue
        start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
        if start < verb.idx < end or len(text[start:end].split()) < 3:
            continue
        inside = [(s, e) for s, e in taken if start < s and e < end]
        if inside and _words_outside(text, (start, end), inside) >= 2:
            absorbed.update(inside)  # a mixed quote: the clause carries its quoted words
        elif sum(max(0, min(end, e) - max(start, s)) for s, e in taken) > 0.5 * (end - start):
            continue
        speaker, span, resolved = speaker_of(subject, doc, resolver)
        out.append(
            Quote(
                text[start:end],
                (start, end),
                speaker,
                span,
                resolved,
                verb.text,
                (verb.idx, verb.idx + len(verb.text)),
                False,
            )
        )
    for sent in doc.sents:
        accord = _according(doc, sent.start_char, sent.end_char, quotes, resolver)
        if accord is None or any(
            q.span[0] < sent.end_char and q.span[1] > sent.start_char for q in direct + out
        ):
            continue
        speaker, span, resolved = accord
        body = [t for t in sent if not (span[0] - 14 <= t.idx < span[1]) and not t.is_punct]
        if len(body) >= 3:
            start, end = body[0].idx, body[-1].idx + len(body[-1].text)
            out.append(
                Quote(
                    text[start:end],
                    (start, end),
                    speaker,
                    span,
                    resolved,
                    "according to",
                    None,
                    False,
                )
            )
    direct[:] = [q for q in direct if q.span not in absorbed]
    return out


def rule_quotes(doc: Any) -> tuple[list[Quote], list[Span], Resolver]:
    """The rules' quotes in text order, with the quoted spans and the resolver they used
    (what the speaker ranker starts from)."""
    spans = quoted_spans(text_of(doc))
    resolver = Resolver(doc, spans)
    direct = _direct(doc, spans, resolver)
    indirect = _indirect(doc, spans, direct, resolver)
    return sorted(direct + indirect, key=lambda q: q.span), spans, resolver


def quotes_from_doc(doc: Any, *, speakers: str = "model") -> list[Quote]:
    """Every attributed statement in a parsed spaCy Doc, in text order.

    ``speakers="model"`` picks each speaker with the learned ranking
    (``storytrace.nlp.speakers``); ``"rules"`` keeps the cue verb's subject, the baseline the
    benchmark reports beside it.
    """
    if speakers not in ("model", "rules"):
        raise ValueError(f"speakers must be 'model' or 'rules', not {speakers!r}")
    found, spans, resolver = rule_quotes(doc)
    if speakers == "rules":
        return found
    from storytrace.nlp.speakers import rerank

    return rerank(doc, found, spans, resolver)


def extract_quotes(text: str) -> list[Quote]:
    """Quotes of one text (parses it with the packaged spaCy pipeline)."""
    from storytrace.nlp.pipeline import parse

    return quotes_from_doc(parse([text])[0])


def speaker_key(quote: Quote) -> str | None:
    """A key under which the same speaker meets across articles: the last word of the name."""
    name = quote.speaker_resolved or quote.speaker
    if not name:
        return None
    words = name_words(name_key(name))
    return words[-1] if words else None
