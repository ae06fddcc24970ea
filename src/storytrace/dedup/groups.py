"""Near-duplicate groups from LSH candidates: verify, link, pick the canonical member."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from storytrace.dedup.lsh import band_keys
from storytrace.dedup.minhash import signatures


@dataclass(frozen=True, slots=True)
class SignOptions:
    shingle_words: int = 5
    bins: int = 128
    bands: int = 14
    rows: int = 9


def sign_batch(
    batch: list[tuple[str, str]], options: SignOptions = SignOptions()
) -> list[tuple[str, bytes, list[int]]]:
    """Stage: (id, text) pairs -> (id, signature bytes, band keys). Pure, no I/O."""
    sig = signatures([text for _, text in batch], options.shingle_words, options.bins)
    keys = band_keys(sig, options.bands, options.rows)
    return [(i, sig[n].tobytes(), keys[n].tolist()) for n, (i, _) in enumerate(batch)]


class _Links:
    """Union-find over article ids."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def join(self, x: str, y: str) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)


def verified_pairs(
    candidates: Iterable[tuple[str, ...]], sigs: Mapping[str, bytes], threshold: float
) -> dict[tuple[str, str], float]:
    """Pairs among LSH candidate groups whose estimated Jaccard reaches ``threshold``."""
    out: dict[tuple[str, str], float] = {}
    for group in candidates:
        ids = sorted(set(group))
        if len(ids) < 2:
            continue
        mat = np.stack([np.frombuffer(sigs[i], dtype=np.uint32) for i in ids])
        for x in range(len(ids)):
            if len(ids) - x - 1 == 0:
                break
            sims = (mat[x + 1 :] == mat[x]).mean(axis=1)
            for offset in np.flatnonzero(sims >= threshold):
                out[(ids[x], ids[x + 1 + offset])] = float(sims[offset])
    return out


def build_groups(
    pairs: Mapping[tuple[str, str], float], order: Mapping[str, tuple[str, str]]
) -> list[tuple[str, str, str, float]]:
    """(article id, group id, canonical id, similarity to canonical) for every grouped article.

    ``order`` gives each id a sort key (published date or "~" when unknown, id); the
    canonical member is the earliest published, ties broken by id, so the result does not
    depend on the order pairs were found.
    """
    links = _Links()
    for a, b in pairs:
        links.join(a, b)
    members: dict[str, list[str]] = {}
    for x in {i for pair in pairs for i in pair}:
        members.setdefault(links.find(x), []).append(x)
    rows = []
    for group in members.values():
        group.sort(key=lambda i: order[i])
        canonical = group[0]
        group_id = f"g{canonical[:12]}"
        for member in group:
            key = (min(member, canonical), max(member, canonical))
            rows.append(
                (member, group_id, canonical, 1.0 if member == canonical else pairs.get(key, 0.0))
            )
    return rows
