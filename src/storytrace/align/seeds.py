"""Maximal exact runs of words shared by two token sequences, in any order.

Every k-gram of A is indexed; each k-gram of B that is found starts a run, which is extended
to the right for as long as the words agree. A run is reported once, from its leftmost pair,
so the output is the set of maximal common word runs of length >= k, wherever they stand.
A k-gram that occurs very often (boilerplate, a repeated word) is not used as a seed, which
keeps the cost near-linear on degenerate input.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Run:
    """``a[a_start:a_start+length] == b[b_start:b_start+length]``, in token positions."""

    a_start: int
    b_start: int
    length: int

    @property
    def a_end(self) -> int:
        return self.a_start + self.length

    @property
    def b_end(self) -> int:
        return self.b_start + self.length


def exact_runs(a: list[str], b: list[str], k: int = 3, max_occurrences: int = 24) -> list[Run]:
    """All maximal runs of at least ``k`` equal words between ``a`` and ``b``."""
    if k < 1:
        raise ValueError(f"seed length k must be >= 1, got {k}")
    if len(a) < k or len(b) < k:
        return []
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in range(len(a) - k + 1):
        index[tuple(a[i : i + k])].append(i)
    b_counts: dict[tuple[str, ...], int] = defaultdict(int)
    for j in range(len(b) - k + 1):
        b_counts[tuple(b[j : j + k])] += 1

    runs: list[Run] = []
    for j in range(len(b) - k + 1):
        gram = tuple(b[j : j + k])
        starts = index.get(gram)
        if not starts or len(starts) > max_occurrences or b_counts[gram] > max_occurrences:
            continue
        for i in starts:
            if i > 0 and j > 0 and a[i - 1] == b[j - 1]:
                continue  # not the leftmost pair of this run
            length = k
            while i + length < len(a) and j + length < len(b) and a[i + length] == b[j + length]:
                length += 1
            runs.append(Run(i, j, length))
    return runs
