"""Text reuse as corpus stages: rare shared n-grams find the pairs, the aligner the passages.

    anchor_rows    article -> one (hash, id) row per sampled n-gram
    anchor_pairs   the articles sharing one n-gram -> pairs, unless the n-gram is common
    enough_shared  (a, b, n anchors shared) -> the pair when n reaches ``min_shared``
    canonical_pairs  a near-duplicate group -> (member, canonical) pairs
    direct         a pair with both publication times -> (earlier, later)
    align          pairs of one source article with both texts -> the passages

As passim does, an n-gram held by more than ``max_df`` articles ("said in a statement on")
says nothing about copying and is dropped before any pair is formed, which also keeps the
pair count linear in the corpus.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from storytrace.engine.tables import groups
from storytrace.reuse import align_batch, anchors_batch


def anchor_rows(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: (id, text) -> (hash, id)."""
    found = anchors_batch(
        list(zip(table.column("id").to_pylist(), table.column("text").to_pylist(), strict=True))
    )
    lengths = [len(h) for _, h in found]
    hashes = np.fromiter((h for _, hs in found for h in hs), dtype=np.int64, count=sum(lengths))
    ids = np.repeat(np.arange(len(found)), lengths)
    return pa.table({"hash": hashes, "id": table.column("id").take(pa.array(ids, pa.int64()))})


def anchor_pairs(table: pa.Table, max_df: int) -> dict[str, list[str]]:
    """Stage over groups of one anchor hash, ordered by id: every pair of its articles,
    when 2 to ``max_df`` articles hold it."""
    left: list[str] = []
    right: list[str] = []
    for group in groups(table, ["hash"]):
        ids = group.column("id").to_pylist()
        if not 2 <= len(ids) <= max_df:
            continue
        for x in range(len(ids) - 1):
            left += [ids[x]] * (len(ids) - x - 1)
            right += ids[x + 1 :]
    return {"a": left, "b": right}


def enough_shared(table: pa.Table, min_shared: int) -> pa.Table:
    """Stage: (a, b, n) -> (a, b) where the pair shares at least ``min_shared`` anchors."""
    kept = table.filter(pc.greater_equal(table.column("n"), min_shared))
    return kept.select(["a", "b"])


def canonical_pairs(table: pa.Table, _: Any = None) -> dict[str, list[str]]:
    """Stage: near-duplicate group rows -> (smaller id, larger id) of member and canonical."""
    left, right = [], []
    for member, canonical in zip(
        table.column("article_id").to_pylist(), table.column("canonical").to_pylist(), strict=True
    ):
        if member != canonical:
            left.append(min(member, canonical))
            right.append(max(member, canonical))
    return {"a": left, "b": right}


def pair_keys(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: (a, b, n) counts back to plain pairs (a union made distinct by counting)."""
    return table.select(["a", "b"])


def direct(table: pa.Table, _: Any = None) -> dict[str, list[str]]:
    """Stage: (a, b, published_a, published_b) -> (a_id, b_id), the earlier first.

    Undated articles count as later than every dated one; equal times fall to the smaller
    id, so the direction never depends on the order pairs were found.
    """
    out: dict[str, list[str]] = {"a_id": [], "b_id": []}
    for a, b, pa_, pb in zip(
        table.column("a").to_pylist(),
        table.column("b").to_pylist(),
        table.column("published_a").to_pylist(),
        table.column("published_b").to_pylist(),
        strict=True,
    ):
        first = (pa_ is None, pa_ or "", a) <= (pb is None, pb or "", b)
        out["a_id"].append(a if first else b)
        out["b_id"].append(b if first else a)
    return out


def align(table: pa.Table, _: Any = None) -> dict[str, list[Any]]:
    """Stage over groups of one source article, ordered by the other's id: the verbatim
    and near-verbatim passages of each pair (the source is segmented once per group)."""
    found = align_batch(
        list(
            zip(
                table.column("a_id").to_pylist(),
                table.column("a_text").to_pylist(),
                table.column("b_id").to_pylist(),
                table.column("b_text").to_pylist(),
                strict=True,
            )
        )
    )
    out: dict[str, list[Any]] = {
        k: [] for k in ("a_id", "b_id", "kind", "a_start", "a_end", "b_start", "b_end", "score")
    }
    for a_id, b_id, passages in found:
        for p in passages:
            out["a_id"].append(a_id)
            out["b_id"].append(b_id)
            out["kind"].append(p.kind)
            out["a_start"].append(p.a[0])
            out["a_end"].append(p.a[1])
            out["b_start"].append(p.b[0])
            out["b_end"].append(p.b[1])
            out["score"].append(float(p.score))
    return out
