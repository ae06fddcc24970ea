"""Near-duplicate detection as corpus stages: sign, band, bucket, verify, group.

    sign          article -> MinHash signature and its LSH band keys
    band_rows     signature -> one (band, key, id) row per band
    bucket_pairs  rows sharing a band key -> candidate pairs
    verify        candidate pair with both signatures -> the pair, if similar enough
    dup_groups    a connected component of similar pairs -> its members, canonical first

The engine does the grouping and the connected components between these; every stage
sees only its batch. A bucket of ``CLIQUE_MAX`` ids or fewer yields every pair in it; a
bigger one (a story republished thousands of times) yields each member with the smallest
id and with its neighbour in id order, which keeps the bucket connected at linear cost.
Candidates are always verified against their signatures, so no pair is reported on a
band collision alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from storytrace.dedup.groups import SignOptions, sign_batch
from storytrace.engine.tables import groups

CLIQUE_MAX = 100


def sign(table: pa.Table, options: SignOptions) -> dict[str, list[Any]]:
    """Stage: (id, text) -> (id, minhash, keys)."""
    signed = sign_batch(
        list(zip(table.column("id").to_pylist(), table.column("text").to_pylist(), strict=True)),
        options,
    )
    return pa.table(
        {
            "id": [i for i, _, _ in signed],
            "minhash": [s for _, s, _ in signed],
            "keys": [k for _, _, k in signed],
        }
    )


def band_rows(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: (id, keys) -> (band, key, id), one row per band of each signature."""
    keys = table.column("keys").combine_chunks()
    lengths = np.diff(np.asarray(keys.offsets))
    flat = np.asarray(keys.flatten()).astype(np.int64)
    band = (
        np.concatenate([np.arange(n, dtype=np.int32) for n in lengths])
        if len(lengths)
        else np.zeros(0, np.int32)
    )
    ids = np.repeat(np.arange(table.num_rows), lengths)
    return pa.table(
        {"band": band, "key": flat, "id": table.column("id").take(pa.array(ids, pa.int64()))}
    )


def bucket_pairs(table: pa.Table, _: Any = None) -> dict[str, list[str]]:
    """Stage over groups of one (band, key), ordered by id: candidate pairs (a < b)."""
    left: list[str] = []
    right: list[str] = []
    for group in groups(table, ["band", "key"]):
        ids = group.column("id").to_pylist()
        if len(ids) < 2:
            continue
        if len(ids) <= CLIQUE_MAX:
            for x in range(len(ids)):
                left += [ids[x]] * (len(ids) - x - 1)
                right += ids[x + 1 :]
        else:
            left += [ids[0]] * (len(ids) - 1) + ids[1:-1]
            right += ids[1:] + ids[2:]
    return {"a": left, "b": right}


def verify(table: pa.Table, threshold: float) -> pa.Table:
    """Stage: (a, b, minhash_a, minhash_b) -> (a, b, similarity) for pairs at ``threshold``.

    The fraction of equal signature bins estimates the Jaccard similarity of the two
    shingle sets; all pairs of the batch are compared in one numpy pass.
    """
    if table.num_rows == 0:
        return pa.table(
            {
                "a": pa.array([], pa.string()),
                "b": pa.array([], pa.string()),
                "similarity": pa.array([], pa.float64()),
            }
        )
    a = _matrix(table.column("minhash_a"))
    b = _matrix(table.column("minhash_b"))
    similarity = (a == b).mean(axis=1)
    keep = np.flatnonzero(similarity >= threshold)
    index = pa.array(keep, pa.int64())
    return pa.table(
        {
            "a": table.column("a").take(index),
            "b": table.column("b").take(index),
            "similarity": similarity[keep].astype(np.float64),
        }
    )


def _matrix(column: pa.ChunkedArray) -> np.ndarray:
    values = column.to_pylist()
    return np.stack([np.frombuffer(v, dtype=np.uint32) for v in values])


def edges(table: pa.Table, _: Any = None) -> pa.Table:
    """Stage: similar pairs as graph edges for the engine's connected components."""
    return pa.table({"src": table.column("a"), "dst": table.column("b")})


def dup_groups(table: pa.Table, _: Any = None) -> dict[str, list[Any]]:
    """Stage over groups of one component, ordered by (published, node), nulls last:
    each member with the group's canonical (its earliest published member, ties by
    smallest id) and its estimated similarity to it."""
    out: dict[str, list[Any]] = {
        "article_id": [],
        "group_id": [],
        "canonical": [],
        "similarity": [],
    }
    for group in groups(table, ["component"]):
        members = group.column("node").to_pylist()
        canonical = members[0]
        matrix = _matrix(group.column("minhash"))
        similarity = (matrix == matrix[0]).mean(axis=1)
        out["article_id"] += members
        out["group_id"] += [f"g{canonical[:12]}"] * len(members)
        out["canonical"] += [canonical] * len(members)
        out["similarity"] += similarity.astype(np.float64).tolist()
    return out
