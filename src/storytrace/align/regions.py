"""From exact runs to reused passages: chain nearby runs, widen to the sentence, diff.

A copied sentence with a small edit ("2,500 U.S. troops deployed in Iraq" / "2,500 American
troops in Iraq") shows up as several exact runs on nearly the same diagonal with short gaps.
Chaining joins them into one region (best chain first, by dynamic programming); a region is
then widened to its sentence ends when the leftover words still mostly agree, and a word-level
diff of the region says what changed. A region with no change is ``verbatim``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from difflib import SequenceMatcher

from storytrace.align.seeds import Run
from storytrace.text.tokens import STOPWORDS


@dataclass(frozen=True, slots=True)
class RegionOptions:
    """Knobs of the region finder, in words."""

    min_words: int = 5  # shortest verbatim run reported on its own
    min_content: int = 2  # content words a lone run needs (keeps "said in a statement on" out)
    max_gap: int = 8  # words of edit allowed between two runs of one region
    min_similarity: float = 0.5  # region diff ratio below this is not reuse
    widen_similarity: float = 0.4  # leftover words up to the sentence edge must agree this much


@dataclass(frozen=True, slots=True)
class Region:
    """A matched stretch, in token positions, with its diff ratio."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    similarity: float
    exact: bool
    opcodes: tuple[tuple[str, int, int, int, int], ...]


def _content_count(words: list[str]) -> int:
    return sum(1 for w in words if len(w) > 1 and w not in STOPWORDS)


def chain_runs(runs: list[Run], max_gap: int) -> list[list[Run]]:
    """Group runs into chains increasing in both texts, best-scoring chain first.

    One dynamic-programming pass scores, for every run, the best chain ending in it (run
    lengths minus half of each gap); chains are then read back from the best end down, each
    stopping where it meets a run an earlier chain already took, so each run is used once.
    """
    if not runs:
        return []
    runs = sorted(runs, key=lambda r: (r.a_start, r.b_start))
    by_end = sorted(range(len(runs)), key=lambda r: runs[r].a_end)
    ends = [runs[r].a_end for r in by_end]
    score = [0.0] * len(runs)
    back = [-1] * len(runs)
    for r, run in enumerate(runs):
        best, prev = float(run.length), -1
        lo = bisect.bisect_left(ends, run.a_start - max_gap)
        hi = bisect.bisect_right(ends, run.a_start)
        for p in by_end[lo:hi]:
            pr = runs[p]
            if p >= r or pr.b_end > run.b_start:
                continue
            gap = max(run.a_start - pr.a_end, run.b_start - pr.b_end)
            if gap > max_gap:
                continue
            cand = score[p] + run.length - 0.5 * gap
            if cand > best:
                best, prev = cand, p
        score[r], back[r] = best, prev
    used = [False] * len(runs)
    chains: list[list[Run]] = []
    for r in sorted(range(len(runs)), key=lambda r: (-score[r], r)):
        if used[r]:
            continue
        chain = []
        while r != -1 and not used[r]:
            used[r] = True
            chain.append(runs[r])
            r = back[r]
        chains.append(chain[::-1])
    return chains


def _tail_agrees(a: list[str], b: list[str], threshold: float) -> bool:
    if not a and not b:
        return True
    if not a or not b:
        return False
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= threshold


def widen(
    region: tuple[int, int, int, int],
    a: list[str],
    b: list[str],
    a_sentence: list[tuple[int, int]],
    b_sentence: list[tuple[int, int]],
    threshold: float,
) -> tuple[int, int, int, int]:
    """Grow a region to its sentences' edges where the words left out still mostly agree.

    ``a_sentence[i]`` is the token range of the sentence holding token ``i``.
    """
    a0, a1, b0, b1 = region
    sa, sb = a_sentence[a0][0], b_sentence[b0][0]
    if _tail_agrees(a[sa:a0], b[sb:b0], threshold):
        a0, b0 = sa, sb
    ea, eb = a_sentence[a1 - 1][1], b_sentence[b1 - 1][1]
    if _tail_agrees(a[a1:ea], b[b1:eb], threshold):
        a1, b1 = ea, eb
    return a0, a1, b0, b1


def _make_region(a: list[str], b: list[str], a0: int, a1: int, b0: int, b1: int) -> Region:
    matcher = SequenceMatcher(None, a[a0:a1], b[b0:b1], autojunk=False)
    exact = a[a0:a1] == b[b0:b1]
    opcodes = tuple(
        (tag, i1 + a0, i2 + a0, j1 + b0, j2 + b0) for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    )
    return Region(a0, a1, b0, b1, 1.0 if exact else matcher.ratio(), exact, opcodes)


def split_at_sentences(
    region: tuple[int, int, int, int],
    a: list[str],
    b: list[str],
    a_sentence: list[tuple[int, int]],
    b_sentence: list[tuple[int, int]],
    min_words: int = 3,
) -> list[tuple[int, int, int, int]]:
    """Cut a region where a sentence starts in both texts at the same aligned word.

    A reader wants to see which sentences were copied untouched and which were edited, so a
    region covering several sentences is cut at each shared sentence start; then runs of
    untouched pieces are joined again, so a copied paragraph stays one verbatim passage.
    """
    a0, a1, b0, b1 = region
    starts_a = {a_sentence[t][0] for t in range(a0, a1)}
    starts_b = {b_sentence[t][0] for t in range(b0, b1)}
    matcher = SequenceMatcher(None, a[a0:a1], b[b0:b1], autojunk=False)
    cuts = []
    for tag, i1, i2, j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            continue
        for d in range(i2 - i1):
            i, j = a0 + i1 + d, b0 + j1 + d
            if i > a0 and j > b0 and i in starts_a and j in starts_b:
                cuts.append((i, j))
    bounds = [(a0, b0), *cuts, (a1, b1)]
    pieces = [
        (bounds[k][0], bounds[k + 1][0], bounds[k][1], bounds[k + 1][1])
        for k in range(len(bounds) - 1)
    ]
    merged: list[tuple[int, int, int, int]] = []
    for piece in pieces:
        p0, p1, q0, q1 = piece
        exact = a[p0:p1] == b[q0:q1]
        if merged and exact:
            m0, m1, n0, n1 = merged[-1]
            if a[m0:m1] == b[n0:n1]:
                merged[-1] = (m0, p1, n0, q1)
                continue
        merged.append(piece)
    return [
        p
        for p in merged
        if (p[1] - p[0] >= min_words and p[3] - p[2] >= min_words) or len(merged) == 1
    ]


def _overlaps(
    span: tuple[int, int, int, int], taken_a: list[tuple[int, int]], taken_b: list[tuple[int, int]]
) -> bool:
    a0, a1, b0, b1 = span
    return any(a0 < e and s < a1 for s, e in taken_a) or any(b0 < e and s < b1 for s, e in taken_b)


def find_regions(
    a: list[str],
    b: list[str],
    runs: list[Run],
    a_sentence: list[tuple[int, int]],
    b_sentence: list[tuple[int, int]],
    options: RegionOptions,
) -> list[Region]:
    """Reused regions between token keys ``a`` and ``b``, not overlapping on either side."""
    regions: list[Region] = []
    taken_a: list[tuple[int, int]] = []
    taken_b: list[tuple[int, int]] = []
    for chain in chain_runs(runs, options.max_gap):
        matched = sum(r.length for r in chain)
        words = [w for r in chain for w in a[r.a_start : r.a_end]]
        if matched < options.min_words or _content_count(words) < options.min_content:
            continue
        span = (chain[0].a_start, chain[-1].a_end, chain[0].b_start, chain[-1].b_end)
        if _overlaps(span, taken_a, taken_b):
            continue  # the same words, matched again elsewhere: the better chain came first
        a0, a1, b0, b1 = widen(span, a, b, a_sentence, b_sentence, options.widen_similarity)
        if _overlaps((a0, a1, b0, b1), taken_a, taken_b):
            a0, a1, b0, b1 = span
        pieces = split_at_sentences((a0, a1, b0, b1), a, b, a_sentence, b_sentence)
        for p0, p1, q0, q1 in pieces:
            region = _make_region(a, b, p0, p1, q0, q1)
            if region.similarity < options.min_similarity:
                continue
            regions.append(region)
        taken_a.append((a0, a1))
        taken_b.append((b0, b1))
    return regions
