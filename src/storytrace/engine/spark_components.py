"""Connected components on Spark DataFrames: large-star / small-star (Kiveris et al., 2014).

Each node ends up pointing at the smallest node of its component, the same answer the local
engine's union-find gives, in O(log n) rounds of joins and groupings. Edges are kept as
(u, v) pairs with u > v, so the graph is undirected without storing each edge twice:

- large-star: every node u links each larger neighbour to m(u), the smallest of u and
  its neighbours;
- small-star: every node u links itself and each smaller neighbour to m(u).

Rounds alternate until a round changes no edge. Every round is written to Parquet and
read back, so the plan stays a few joins deep however many rounds there are.
"""

from __future__ import annotations

from typing import Any


def _normalised(df: Any) -> Any:
    """Edges as (u, v) with u > v, no self-loops, no repeats."""
    from pyspark.sql import functions as sf

    return (
        df.where(sf.col("u") != sf.col("v"))
        .select(sf.greatest("u", "v").alias("u"), sf.least("u", "v").alias("v"))
        .distinct()
    )


def _large_star(edges: Any) -> Any:
    from pyspark.sql import functions as sf

    both = edges.unionByName(edges.select(sf.col("v").alias("u"), sf.col("u").alias("v")))
    smallest = both.groupBy("u").agg(sf.min("v").alias("m"))
    smallest = smallest.select("u", sf.least("u", "m").alias("m"))
    linked = both.join(smallest, "u").where(sf.col("v") > sf.col("u"))
    return _normalised(linked.select(sf.col("v").alias("u"), sf.col("m").alias("v")))


def _small_star(edges: Any) -> Any:
    from pyspark.sql import functions as sf

    smallest = edges.groupBy("u").agg(sf.min("v").alias("m"))  # u > v: the smaller neighbours
    linked = edges.join(smallest, "u").select(sf.col("v").alias("u"), sf.col("m").alias("v"))
    to_self = smallest.select("u", sf.col("m").alias("v"))
    return _normalised(linked.unionByName(to_self))


def star_components(spark: Any, edges: Any, scratch: str, max_rounds: int = 64) -> Any:
    """(node, component) for every node of ``edges`` (string columns src, dst)."""
    from pyspark.sql import functions as sf

    current = _normalised(edges.select(sf.col("src").alias("u"), sf.col("dst").alias("v")))
    nodes = (
        edges.select(sf.col("src").alias("node"))
        .unionByName(edges.select(sf.col("dst").alias("node")))
        .distinct()
    )
    current.write.mode("overwrite").parquet(f"{scratch}/0")
    current = spark.read.parquet(f"{scratch}/0")
    for round_no in range(1, max_rounds + 1):
        before = current
        for name, star in (("large", _large_star), ("small", _small_star)):
            path = f"{scratch}/{round_no}-{name}"
            star(current).write.mode("overwrite").parquet(path)
            current = spark.read.parquet(path)
        # settled when a large-star and a small-star in a row change nothing
        if (
            current.exceptAll(before).limit(1).count() == 0
            and before.exceptAll(current).limit(1).count() == 0
        ):
            break
    else:
        raise RuntimeError(f"connected components did not settle in {max_rounds} rounds")
    # now every edge is (node, its component's smallest node)
    pointed = current.select(sf.col("u").alias("node"), sf.col("v").alias("component"))
    result = nodes.join(pointed, "node", "left").select(
        "node", sf.coalesce(sf.col("component"), sf.col("node")).alias("component")
    )
    result.write.mode("overwrite").parquet(f"{scratch}/result")
    out = spark.read.parquet(f"{scratch}/result")
    return out
