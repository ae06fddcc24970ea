"""Put the pieces together: seeds -> regions -> passages, then paraphrases."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from storytrace.align.paraphrase import Unit, content_words, match_units
from storytrace.align.regions import Region, RegionOptions, find_regions
from storytrace.align.seeds import exact_runs
from storytrace.model import DiffOp, Passage
from storytrace.text.quotemarks import quoted_spans
from storytrace.text.segmented import Segmented

UnitEncoder = Callable[[Sequence[str]], tuple[np.ndarray, list[np.ndarray]]]
MAX_QUOTE_UNIT_WORDS = 80  # a whole quote is one more unit, up to this length
Attribution = tuple[tuple[int, int], str]  # a quote's character span and its speaker key


@dataclass(frozen=True, slots=True)
class AlignOptions:
    """What the aligner looks for; the defaults suit news prose."""

    seed_words: int = 3
    regions: RegionOptions = field(default_factory=RegionOptions)
    paraphrases: bool = True
    covered_fraction: float = 0.5  # a unit this much inside a region is not a paraphrase
    min_unit_words: int = 4
    # A unit outside quote marks is embedded only when some unit of the other text shares
    # this many content words with it: no MRPC train paraphrase pair shares fewer than 2
    # (benchmarks/paraphrase.py)
    min_shared_words: int = 2


def _diff(region: Region, a: Segmented, b: Segmented) -> tuple[DiffOp, ...]:
    ops = []
    for tag, i1, i2, j1, j2 in region.opcodes:
        a_text = a.text[slice(*a.char_span(i1, i2))] if i2 > i1 else ""
        b_text = b.text[slice(*b.char_span(j1, j2))] if j2 > j1 else ""
        ops.append(DiffOp(tag, a_text, b_text))  # type: ignore[arg-type]
    return tuple(ops)


def _passage_from_region(region: Region, a: Segmented, b: Segmented) -> Passage:
    a_span = a.char_span(region.a_start, region.a_end)
    b_span = b.char_span(region.b_start, region.b_end)
    return Passage(
        kind="verbatim" if region.exact else "near-verbatim",
        a=a_span,
        b=b_span,
        a_text=a.text[slice(*a_span)],
        b_text=b.text[slice(*b_span)],
        score=region.similarity,
        diff=() if region.exact else _diff(region, a, b),
    )


def statement_units(
    seg: Segmented, quoted: Sequence[tuple[int, int]] | None = None
) -> list[tuple[int, int]]:
    """Token ranges that may be paraphrased: sentences, quotes, and quoted parts of sentences.

    One outlet may wrap a statement in attribution ("X said on Wednesday, '...'") where the
    other quotes it bare or splits it over two sentences; comparing the quoted parts, and each
    whole quote, lets the two renderings meet. A sentence that is mostly quote is left out:
    its attribution words ("X said") would make any two quotes of X look alike.
    """
    sentences = set(seg.sentence_tokens)
    units: set[tuple[int, int]] = set()
    starts = [t.start for t in seg.tokens]
    for q_start, q_end in quoted_spans(seg.text) if quoted is None else quoted:
        t0, t1 = bisect.bisect_left(starts, q_start), bisect.bisect_left(starts, q_end)
        if 0 < t1 - t0 <= MAX_QUOTE_UNIT_WORDS:
            units.add((t0, t1))
        for s_first, s_last in seg.sentence_tokens:
            lo, hi = max(s_first, t0), min(s_last, t1)
            if hi > lo:
                units.add((lo, hi))
                if 2 * (hi - lo) >= s_last - s_first:
                    sentences.discard((s_first, s_last))  # mostly quote: its quote stands for it
    return sorted(units | sentences)


def _uncovered(
    units: list[tuple[int, int]], regions: list[tuple[int, int]], limit: float
) -> list[int]:
    covered: set[int] = set()
    for lo, hi in regions:
        covered.update(range(lo, hi))
    return [
        u
        for u, (lo, hi) in enumerate(units)
        if hi > lo and sum(t in covered for t in range(lo, hi)) / (hi - lo) < limit
    ]


def _speaker_of(span: tuple[int, int], said: Sequence[Attribution]) -> str | None:
    """The speaker of the quote that holds most of ``span``, if one holds at least half."""
    best, best_overlap = None, 0.5 * (span[1] - span[0])
    for (start, end), key in said:
        overlap = min(end, span[1]) - max(start, span[0])
        if overlap >= best_overlap:
            best, best_overlap = key, overlap
    return best


@dataclass(frozen=True, slots=True)
class LexicalAlignment:
    """The word-level half of an alignment: regions, and the units left for paraphrase.

    It needs neither model, so ``compare`` works it out first and embeds ``unit_texts``
    while the spaCy parse runs; ``align`` then only matches the embedded units.
    """

    regions: tuple[Region, ...]
    a_units: tuple[tuple[int, int], ...]  # token ranges of A's candidate statements
    b_units: tuple[tuple[int, int], ...]

    def unit_texts(self, a: Segmented, b: Segmented) -> list[str]:
        """The texts the paraphrase step embeds, A's units then B's."""
        return [a.text[slice(*a.char_span(*u))] for u in self.a_units] + [
            b.text[slice(*b.char_span(*u))] for u in self.b_units
        ]


def _candidate_units(
    seg: Segmented,
    regions: list[tuple[int, int]],
    options: AlignOptions,
    quoted: Sequence[tuple[int, int]],
) -> tuple[tuple[int, int], ...]:
    units = statement_units(seg, quoted)
    keep = _uncovered(units, regions, options.covered_fraction)
    return tuple(units[u] for u in keep if units[u][1] - units[u][0] >= options.min_unit_words)


def _inside_quotes(
    seg: Segmented, units: Sequence[tuple[int, int]], quoted: Sequence[tuple[int, int]]
) -> set[int]:
    """Indices of the units that lie inside one of the ``quoted`` character spans."""
    inside = set()
    for n, (lo, hi) in enumerate(units):
        start, end = seg.char_span(lo, hi)
        if any(q_start <= start and end <= q_end for q_start, q_end in quoted):
            inside.add(n)
    return inside


def with_shared_words(
    a_keys: Sequence[frozenset[str]],
    b_keys: Sequence[frozenset[str]],
    need: int,
    keep: tuple[set[int], set[int]] = (set(), set()),
    max_holders: int = 200,
) -> tuple[list[int], list[int]]:
    """Indices of the units of each side that share ``need`` content words with some unit
    of the other side, plus those in ``keep``: the others cannot be a paraphrase of
    anything there, so they are never embedded (most of the embedding time of two long
    articles went to such units).
    """
    if need <= 0:
        return list(range(len(a_keys))), list(range(len(b_keys)))
    holders: dict[str, list[int]] = {}
    for j, keys in enumerate(b_keys):
        for key in keys:
            holders.setdefault(key, []).append(j)
    # a word in very many units of the other side says nothing about which one is a
    # partner, and counting through it would make a text that repeats itself quadratic
    holders = {key: units for key, units in holders.items() if len(units) <= max_holders}
    kept_a: set[int] = set(keep[0])
    kept_b: set[int] = set(keep[1])
    for i, keys in enumerate(a_keys):
        counts = Counter(j for key in keys for j in holders.get(key, ()))
        partners = [j for j, n in counts.items() if n >= need]
        if partners:
            kept_a.add(i)
            kept_b.update(partners)
    return sorted(kept_a), sorted(kept_b)


def align_lexical(
    a: Segmented, b: Segmented, options: AlignOptions | None = None
) -> LexicalAlignment:
    """Verbatim and near-verbatim regions, and the statements outside them."""
    options = options or AlignOptions()
    a_keys, b_keys = a.keys, b.keys
    runs = exact_runs(a_keys, b_keys, k=options.seed_words)
    runs = trim_at_sentences(runs, a.token_sentence, b.token_sentence, options.seed_words)
    a_bounds = [a.sentence_tokens[s] for s in a.token_sentence]
    b_bounds = [b.sentence_tokens[s] for s in b.token_sentence]
    regions = find_regions(a_keys, b_keys, runs, a_bounds, b_bounds, options.regions)
    if not (options.paraphrases and a.sentences and b.sentences):
        return LexicalAlignment(tuple(regions), (), ())
    a_quoted, b_quoted = quoted_spans(a.text), quoted_spans(b.text)
    a_units = _candidate_units(a, [(r.a_start, r.a_end) for r in regions], options, a_quoted)
    b_units = _candidate_units(b, [(r.b_start, r.b_end) for r in regions], options, b_quoted)
    # quotes are kept whatever their words: one speaker restating a point in other words
    # ("will not go back until the port pays them fairly" / "nobody returns to work before
    # the pay is fair") is matched on the speaker, known only once the parse is done
    kept_a, kept_b = with_shared_words(
        [content_words(a_keys[slice(*u)]) for u in a_units],
        [content_words(b_keys[slice(*u)]) for u in b_units],
        options.min_shared_words,
        (_inside_quotes(a, a_units, a_quoted), _inside_quotes(b, b_units, b_quoted)),
    )
    return LexicalAlignment(
        tuple(regions), tuple(a_units[i] for i in kept_a), tuple(b_units[j] for j in kept_b)
    )


def _units(
    seg: Segmented,
    ranges: tuple[tuple[int, int], ...],
    encode: UnitEncoder,
    said: Sequence[Attribution] = (),
) -> list[Unit]:
    spans = [seg.char_span(*r) for r in ranges]
    vectors, pieces = encode([seg.text[s:e] for s, e in spans])
    keys = seg.keys
    return [
        Unit(keys[slice(*r)], span, vectors[n], pieces[n], _speaker_of(span, said))
        for n, (r, span) in enumerate(zip(ranges, spans, strict=True))
    ]


def _paraphrases(
    a: Segmented,
    b: Segmented,
    lexical: LexicalAlignment,
    encode: UnitEncoder,
    said: tuple[Sequence[Attribution], Sequence[Attribution]],
) -> list[Passage]:
    a_units = _units(a, lexical.a_units, encode, said[0])
    b_units = _units(b, lexical.b_units, encode, said[1])
    passages = []
    for i, j, p in match_units(a_units, b_units):
        a_span, b_span = a_units[i].span, b_units[j].span
        passages.append(
            Passage("paraphrase", a_span, b_span, a.text[slice(*a_span)], b.text[slice(*b_span)], p)
        )
    return passages


def align(
    a: Segmented,
    b: Segmented,
    options: AlignOptions | None = None,
    encode: UnitEncoder | None = None,
    said: tuple[Sequence[Attribution], Sequence[Attribution]] = ((), ()),
    lexical: LexicalAlignment | None = None,
) -> list[Passage]:
    """Passages shared by ``a`` and ``b``, ordered by their place in ``a``.

    ``encode`` turns texts into sentence vectors and word-piece vectors for the paraphrase
    step (by default the packaged MiniLM model); pass a caching one to share the work.
    ``said`` gives each side's quotes as (span, speaker key): two renderings of one
    speaker's statement are paired more readily than two unrelated sentences. ``lexical``
    is ``align_lexical(a, b, options)`` when the caller has worked it out already.
    """
    options = options or AlignOptions()
    lexical = lexical or align_lexical(a, b, options)
    passages = [_passage_from_region(r, a, b) for r in lexical.regions]
    if lexical.a_units and lexical.b_units:
        if encode is None:
            from storytrace.embed import encode_with_tokens

            encode = encode_with_tokens
        passages.extend(_paraphrases(a, b, lexical, encode, said))
    return sorted(passages, key=lambda p: (p.a[0], p.b[0]))


def trim_at_sentences(runs: list, a_sentence: list[int], b_sentence: list[int], k: int) -> list:
    """Cut off the few words by which a run spills over a sentence edge.

    Stock openings ("The ...", "It is ...") make runs leak a word or two into the next
    sentence; a spill shorter than ``k`` words on either end is dropped.
    """
    from storytrace.align.seeds import Run

    out = []
    for run in runs:
        start, end = 0, run.length
        cuts = [
            t
            for t in range(1, run.length)
            if a_sentence[run.a_start + t] != a_sentence[run.a_start + t - 1]
            or b_sentence[run.b_start + t] != b_sentence[run.b_start + t - 1]
        ]
        if cuts and cuts[0] < k:
            start = cuts[0]
        if cuts and run.length - cuts[-1] < k:
            end = cuts[-1]
        if end - start >= k:
            out.append(Run(run.a_start + start, run.b_start + start, end - start))
    return out
