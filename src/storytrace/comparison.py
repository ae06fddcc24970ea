"""Compare two articles: shared passages, who said what, entities and labels, similarity.

    compare(a, b) -> Comparison     a and b: a path, "path#N", a text, or an Article

Every stage reads the same segmentation of each text, and one vector cache serves the
paraphrase step and the similarity evidence, so nothing is embedded twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from storytrace.align import AlignOptions, align, align_lexical
from storytrace.errors import InputError
from storytrace.ingest.limits import DEFAULT_LIMITS, Limits
from storytrace.model import Article, Entity, Passage, Quote
from storytrace.nlp.aliases import AliasMatch
from storytrace.similarity import (
    Similarity,
    combine,
    cosine,
    date_evidence,
    lexical_cosine,
    passage_coverage,
    shared_entities,
)
from storytrace.text.segmented import Segmented, segment

SCHEMA_VERSION = 2  # 2: weight-0 evidence moved out of similarity.drivers into .evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class CompareOptions:
    """What ``compare`` does; the CLI maps its flags onto this and nothing else."""

    align: AlignOptions = field(default_factory=AlignOptions)
    entities: bool = True
    head_words: int = 150
    chunk_words: int = 200
    # Longest article compared, in words: alignment and parsing grow with length, and two
    # book-length inputs would run for minutes. News articles stay far below it.
    max_words: int = 30_000
    limits: Limits = DEFAULT_LIMITS  # how much reading a file or record may cost

    def check_length(self, article: Article, name: str) -> None:
        """Refuse an article over ``max_words``, naming the option that raises the budget."""
        words = len(article.text.split())
        if words > self.max_words:
            raise InputError(
                f"article {name} has {words:,} words; compare reads at most {self.max_words:,} "
                "(raise with --max-words)"
            )


class VectorCache:
    """Sentence and word-piece vectors by text, so each text is embedded at most once."""

    def __init__(self) -> None:
        self._store: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, texts: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        from storytrace.embed import DIMENSIONS, encode_with_tokens

        missing = list(dict.fromkeys(t for t in texts if t not in self._store))
        if missing:
            vectors, pieces = encode_with_tokens(missing)
            for text, vector, piece in zip(missing, vectors, pieces, strict=True):
                self._store[text] = (vector, piece)
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32), []
        return (
            np.stack([self._store[t][0] for t in texts]),
            [self._store[t][1] for t in texts],
        )


@dataclass(frozen=True, slots=True)
class EntitySide:
    """One article's entity: its fullest name, other names it uses, what it calls it."""

    name: str
    label: str
    mentions: int
    descriptors: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "label": self.label,
            "mentions": self.mentions,
            "aliases": list(self.aliases),
            "descriptors": list(self.descriptors),
        }


@dataclass(frozen=True, slots=True)
class EntityComparison:
    """Entities named by both articles (each side's name and labels), and by one only.

    ``matches[n]`` says why ``shared[n]`` was taken for one entity and how sure that is.
    """

    shared: tuple[tuple[EntitySide, EntitySide], ...]
    only_a: tuple[EntitySide, ...]
    only_b: tuple[EntitySide, ...]
    matches: tuple[AliasMatch, ...] = ()

    def to_dict(self) -> dict[str, object]:
        matches = self.matches or (None,) * len(self.shared)
        return {
            "shared": [
                {
                    "name": x.name if len(x.name) >= len(y.name) else y.name,
                    "label": x.label,
                    "a": x.to_dict(),
                    "b": y.to_dict(),
                    "match": m.to_dict() if m is not None else None,
                }
                for (x, y), m in zip(self.shared, matches, strict=True)
            ],
            "only_a": [e.to_dict() for e in self.only_a],
            "only_b": [e.to_dict() for e in self.only_b],
        }


@dataclass(frozen=True, slots=True)
class QuoteMatch:
    """Quote ``a`` of article A and quote ``b`` of article B carry the same statement."""

    a: int
    b: int
    kind: str
    score: float
    same_speaker: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "a": self.a,
            "b": self.b,
            "kind": self.kind,
            "score": round(self.score, 4),
            "same_speaker": self.same_speaker,
        }


@dataclass(frozen=True, slots=True)
class QuoteComparison:
    """Each article's quotes, and which of them carry the same statement."""

    a: tuple[Quote, ...]
    b: tuple[Quote, ...]
    matches: tuple[QuoteMatch, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "a": [q.to_dict() for q in self.a],
            "b": [q.to_dict() for q in self.b],
            "matches": [m.to_dict() for m in self.matches],
        }


def _overlap(x: tuple[int, int], y: tuple[int, int]) -> int:
    return max(0, min(x[1], y[1]) - max(x[0], y[0]))


def match_quotes(qa: list[Quote], qb: list[Quote], passages: Sequence[Passage]) -> QuoteComparison:
    """Quotes of A and B joined by a shared passage that lies in both (the best one per pair)."""
    from storytrace.nlp.quotes import speaker_key

    best: dict[tuple[int, int], QuoteMatch] = {}
    for p in passages:
        ia = max(range(len(qa)), key=lambda i: _overlap(qa[i].span, p.a), default=None)
        ib = max(range(len(qb)), key=lambda j: _overlap(qb[j].span, p.b), default=None)
        if ia is None or ib is None:
            continue
        share_a = _overlap(qa[ia].span, p.a) / max(
            1, min(p.a[1] - p.a[0], qa[ia].span[1] - qa[ia].span[0])
        )
        share_b = _overlap(qb[ib].span, p.b) / max(
            1, min(p.b[1] - p.b[0], qb[ib].span[1] - qb[ib].span[0])
        )
        if share_a < 0.5 or share_b < 0.5:
            continue
        key_a, key_b = speaker_key(qa[ia]), speaker_key(qb[ib])
        match = QuoteMatch(ia, ib, p.kind, p.score, bool(key_a) and key_a == key_b)
        if (ia, ib) not in best or best[(ia, ib)].score < match.score:
            best[(ia, ib)] = match
    return QuoteComparison(
        tuple(qa), tuple(qb), tuple(sorted(best.values(), key=lambda m: (m.a, m.b)))
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """Everything ``compare`` found; ``to_dict()`` is the documented JSON (docs/schema.md)."""

    a: Article
    b: Article
    passages: tuple[Passage, ...]
    similarity: Similarity
    entities: EntityComparison | None = None
    quotes: QuoteComparison | None = None
    disagreements: tuple[dict[str, str], ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "schema": SCHEMA_VERSION,
            "a": _article_dict(self.a),
            "b": _article_dict(self.b),
            "passages": [p.to_dict() for p in self.passages],
            "similarity": self.similarity.to_dict(),
            "quotes": self.quotes.to_dict() if self.quotes is not None else None,
            "entities": self.entities.to_dict() if self.entities is not None else None,
            "disagreements": list(self.disagreements),
        }


def _article_dict(article: Article) -> dict[str, object]:
    return {
        "id": article.id,
        "title": article.title,
        "outlet": article.outlet,
        "published": article.published,
        "url": article.url,
        "language": article.language,
        "source": article.source,
        "stripped": list(article.stripped),
        "text": article.text,
    }


MAX_BODY_CHUNKS = 6  # a long article's body vector is the mean over this many chunks


def _chunks(seg: Segmented, size: int) -> list[str]:
    """The body in chunks of ``size`` words; a long body by at most MAX_BODY_CHUNKS of them.

    The chunks of a long article are spread evenly over it: their mean is a sample of the
    whole body's, and embedding every chunk of two 5,000-word articles cost more than all
    their sentences together.
    """
    tokens = seg.tokens
    starts = list(range(0, len(tokens), size))
    if len(starts) > MAX_BODY_CHUNKS:
        step = len(starts) / MAX_BODY_CHUNKS
        starts = [starts[int(n * step)] for n in range(MAX_BODY_CHUNKS)]
    return [seg.text[tokens[i].start : tokens[min(i + size, len(tokens)) - 1].end] for i in starts]


def _head(article: Article, seg: Segmented, words: int) -> str:
    body = seg.text[: seg.tokens[min(words, len(seg.tokens)) - 1].end] if seg.tokens else ""
    return f"{article.title}\n{body}" if article.title else body


def _body_vector(seg: Segmented, cache: VectorCache, size: int) -> np.ndarray:
    chunks = _chunks(seg, size)
    if not chunks:
        return np.zeros(384, dtype=np.float32)
    vectors, _ = cache(chunks)
    weights = np.asarray([len(c) for c in chunks], dtype=np.float32)
    return (vectors * weights[:, None]).sum(axis=0)


def _sides(entities: list[Entity]) -> dict[int, EntitySide]:
    from storytrace.nlp.entities import names_of

    return {
        n: EntitySide(e.name, e.label, len(e.mentions), e.descriptors, names_of(e)[1:])
        for n, e in enumerate(entities)
    }


def compare_entities(a: list[Entity], b: list[Entity]) -> EntityComparison:
    """Pair each named entity of A with the entity of B that names the same thing.

    Pairs come from ``aliases.match_entities`` over every name each side uses (surest
    pair first, each entity once): "Kata'ib Hezbollah" meets "the Hezbollah Brigades",
    "PMU" meets "Popular Mobilization Units".
    """
    from storytrace.nlp.aliases import match_entities
    from storytrace.nlp.entities import NAMED, name_key, names_of

    na = [e for e in a if e.label in NAMED]
    nb = [e for e in b if e.label in NAMED]
    side_a, side_b = _sides(na), _sides(nb)
    pairs = match_entities(
        [[(name_key(n), e.label) for n in names_of(e)] for e in na],
        [[(name_key(n), e.label) for n in names_of(e)] for e in nb],
    )
    used_a = {i for i, _, _ in pairs}
    used_b = {j for _, j, _ in pairs}
    return EntityComparison(
        tuple((side_a[i], side_b[j]) for i, j, _ in pairs),
        tuple(side_a[i] for i in range(len(na)) if i not in used_a),
        tuple(side_b[j] for j in range(len(nb)) if j not in used_b),
        tuple(m for _, _, m in pairs),
    )


@dataclass(frozen=True, slots=True)
class Evidence:
    """What ``compare`` measured before blending: the inputs of the similarity model."""

    values: dict[str, float]
    details: dict[str, list[str]]
    passages: tuple[Passage, ...]
    entities: EntityComparison | None
    quotes: QuoteComparison | None


@dataclass(frozen=True, slots=True)
class _People:
    """What the spaCy parse gives one side: entities, quotes, and who said each quote."""

    entities: list[Entity] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    said: list[tuple[tuple[int, int], str]] = field(default_factory=list)


def _read_people(text: str) -> _People:
    from storytrace.nlp.descriptors import descriptors_for
    from storytrace.nlp.entities import entities_from_doc
    from storytrace.nlp.pipeline import parse
    from storytrace.nlp.quotes import quotes_from_doc, speaker_key

    (doc,) = parse([text])
    quotes = quotes_from_doc(doc)
    return _People(
        descriptors_for(doc, entities_from_doc(doc)),
        quotes,
        [(q.span, k) for q in quotes if (k := speaker_key(q))],
    )


def gather_evidence(
    article_a: Article,
    article_b: Article,
    options: CompareOptions | None = None,
    cache: VectorCache | None = None,
) -> Evidence:
    """Passages, entities and every similarity value for two loaded articles.

    The spaCy parse of each article (entities and quotes) runs in a thread of its own
    while MiniLM embeds everything that does not wait for it: the units left after the
    word-level alignment, the heads and the body chunks. spaCy and ONNX Runtime do most of
    their work outside the GIL, so the three overlap on two cores; only matching the units
    waits for the quotes.
    """
    # NumPy's BLAS would start a thread per core for each of the hundreds of small matrix
    # products of the alignment (a unit's word pieces against another's); waking those
    # threads costs more than the products, about a second of CPU on two long articles
    with threadpool_limits(limits=1, user_api="blas"):
        return _gather(article_a, article_b, options or CompareOptions(), cache or VectorCache())


def _gather(
    article_a: Article, article_b: Article, options: CompareOptions, cache: VectorCache
) -> Evidence:
    seg_a, seg_b = segment(article_a.text), segment(article_b.text)
    lexical = align_lexical(seg_a, seg_b, options.align)
    head_texts = [
        _head(article_a, seg_a, options.head_words),
        _head(article_b, seg_b, options.head_words),
    ]
    chunks = (_chunks(seg_a, options.chunk_words), _chunks(seg_b, options.chunk_words))
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="storytrace-parse") as pool:
        people = (
            [pool.submit(_read_people, article.text) for article in (article_a, article_b)]
            if options.entities
            else []
        )
        cache([*lexical.unit_texts(seg_a, seg_b), *head_texts, *chunks[0], *chunks[1]])
        side_a, side_b = [p.result() for p in people] if people else (_People(), _People())
    ents_a, ents_b = side_a.entities, side_b.entities
    quotes_a, quotes_b = side_a.quotes, side_b.quotes
    said = (side_a.said, side_b.said)
    passages = align(seg_a, seg_b, options.align, encode=cache, said=said, lexical=lexical)
    heads, _ = cache(head_texts)
    values: dict[str, float] = {
        "semantic": max(0.0, float(heads[0] @ heads[1])),
        "body": cosine(
            _body_vector(seg_a, cache, options.chunk_words),
            _body_vector(seg_b, cache, options.chunk_words),
        ),
        "lexical": lexical_cosine(seg_a.keys, seg_b.keys),
        "passages": passage_coverage(passages, len(article_a.text), len(article_b.text)),
    }
    details: dict[str, list[str]] = {
        "passages": [
            f"{sum(p.kind == kind for p in passages)} {kind}"
            for kind in ("verbatim", "near-verbatim", "paraphrase")
        ]
    }
    entities = quotes = None
    if options.entities:
        from storytrace.nlp.entities import NAMED

        entities = compare_entities(ents_a, ents_b)
        quotes = match_quotes(quotes_a, quotes_b, passages)
        values["entities"], details["entities"] = shared_entities(ents_a, ents_b, NAMED - {"place"})
        values["places"], details["places"] = shared_entities(ents_a, ents_b, frozenset({"place"}))
    else:
        values["entities"] = values["places"] = 0.0
    values["dates"], details["dates"] = date_evidence(
        article_a.published, article_b.published, ents_a, ents_b
    )
    return Evidence(values, details, tuple(passages), entities, quotes)


_NUMBER = re.compile(r"\d[\d,.]*")


def number_disagreements(passages: Sequence[Passage]) -> tuple[dict[str, str], ...]:
    """Numbers that differ where two articles tell the same thing (one says 2,500, one 3,000).

    Only edits inside aligned passages count, so two unrelated figures are never compared.
    """
    out = []
    for p in passages:
        if p.kind == "near-verbatim":
            pairs = [(op.a, op.b) for op in p.diff if op.op == "replace"]
        elif p.kind == "paraphrase":
            pairs = [(p.a_text, p.b_text)]
        else:
            continue
        for a_text, b_text in pairs:
            a_nums = {n.rstrip(".,").replace(",", "") for n in _NUMBER.findall(a_text)}
            b_nums = {n.rstrip(".,").replace(",", "") for n in _NUMBER.findall(b_text)}
            if a_nums and b_nums and a_nums.isdisjoint(b_nums):
                out.append(
                    {
                        "a": ", ".join(sorted(a_nums)),
                        "b": ", ".join(sorted(b_nums)),
                        "a_context": p.a_text,
                        "b_context": p.b_text,
                    }
                )
    return tuple(out)


def compare(
    a: str | Path | Article, b: str | Path | Article, options: CompareOptions | None = None
) -> Comparison:
    """Compare two articles (paths, "path#N", texts or Articles)."""
    from storytrace.ingest import load_article

    options = options or CompareOptions()
    article_a, article_b = load_article(a, options.limits), load_article(b, options.limits)
    options.check_length(article_a, "A")
    options.check_length(article_b, "B")
    evidence = gather_evidence(article_a, article_b, options)
    similarity = combine(evidence.values, evidence.details)
    return Comparison(
        article_a,
        article_b,
        evidence.passages,
        similarity,
        evidence.entities,
        evidence.quotes,
        number_disagreements(evidence.passages),
    )
