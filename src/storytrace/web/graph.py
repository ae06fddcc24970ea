"""Layout of the reuse graph between outlets, drawn as inline SVG by the templates.

The server works out every coordinate so the page needs no JavaScript library and no build
step; the template only writes the numbers and the (escaped) outlet names into SVG.
Outlets sit on a circle in the order given (the story's first publisher first, at the top);
an edge runs from the outlet whose text was taken to the outlet that took it, thicker for
more passages, and bent so that A→B and B→A stay apart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WIDTH = 720
NODE_R = 9  # node radius, px
_LABEL_GAP = 14  # from a node's centre to its label


@dataclass(frozen=True)
class Node:
    name: str
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str  # SVG text-anchor, so labels on the left grow leftwards, away from the circle
    first: bool


@dataclass(frozen=True)
class Edge:
    source: str
    taker: str
    passages: int
    articles: int
    path: str  # SVG path data
    width: float


@dataclass(frozen=True)
class Graph:
    width: int
    height: int
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True)
class Flow:
    """Text taken by ``taker`` from ``source``: in how many passages and article pairs."""

    source: str
    taker: str
    passages: int
    articles: int


def story_flows(passages: Iterable[Mapping[str, Any]]) -> list[Flow]:
    """Flows between outlets from a story view's passages (an outlet reusing itself is left out)."""
    counts: dict[tuple[str, str], int] = {}
    pairs: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for p in passages:
        key = (p["from_outlet"] or "unknown", p["to_outlet"] or "unknown")
        if key[0] == key[1]:
            continue
        counts[key] = counts.get(key, 0) + 1
        pairs.setdefault(key, set()).add((p["from"], p["to"]))
    return [Flow(s, t, n, len(pairs[(s, t)])) for (s, t), n in counts.items()]


def _place(count: int, radius: float, cx: float, cy: float) -> list[tuple[float, float]]:
    """Points evenly on a circle, the first at the top, going clockwise."""
    if count == 1:
        return [(cx, cy)]
    return [
        (
            cx + radius * math.sin(2 * math.pi * i / count),
            cy - radius * math.cos(2 * math.pi * i / count),
        )
        for i in range(count)
    ]


def _node(name: str, x: float, y: float, cx: float, cy: float, first: bool) -> Node:
    dx, dy = x - cx, y - cy
    norm = math.hypot(dx, dy) or 1.0
    ux, uy = (dx / norm, dy / norm) if (dx or dy) else (0.0, -1.0)
    anchor = "middle" if abs(ux) < 0.3 else ("start" if ux > 0 else "end")
    return Node(
        name,
        round(x, 1),
        round(y, 1),
        round(x + ux * _LABEL_GAP, 1),
        round(y + uy * _LABEL_GAP + 4, 1),
        anchor,
        first,
    )


def _curve(a: Node, b: Node) -> str:
    """A quadratic curve from a's rim to b's rim, bowed to the right of the direction a→b."""
    dx, dy = b.x - a.x, b.y - a.y
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    bend = 0.18 * length
    mx, my = (a.x + b.x) / 2 - uy * bend, (a.y + b.y) / 2 + ux * bend
    x1, y1 = _towards(a.x, a.y, mx, my, NODE_R)
    x2, y2 = _towards(b.x, b.y, mx, my, NODE_R + 3)  # leave room for the arrowhead
    return f"M{x1:.1f},{y1:.1f} Q{mx:.1f},{my:.1f} {x2:.1f},{y2:.1f}"


def _towards(x: float, y: float, tx: float, ty: float, step: float) -> tuple[float, float]:
    d = math.hypot(tx - x, ty - y) or 1.0
    return x + (tx - x) * step / d, y + (ty - y) * step / d


def reuse_graph(outlets: Sequence[str], flows: Iterable[Flow], first: str | None = None) -> Graph:
    """One node per outlet in ``outlets`` (order kept), one edge per flow between two of them."""
    names = list(dict.fromkeys(outlets))
    radius = 60 + 14 * len(names) if len(names) > 1 else 0
    radius = min(radius, 230)
    height = int(2 * radius + 80)
    cx, cy = WIDTH / 2, height / 2
    nodes = [
        _node(n, x, y, cx, cy, n == first)
        for n, (x, y) in zip(names, _place(len(names), radius, cx, cy), strict=True)
    ]
    at = {n.name: n for n in nodes}
    kept = [f for f in flows if f.source in at and f.taker in at and f.source != f.taker]
    most = max((f.passages for f in kept), default=1)
    edges = [
        Edge(
            f.source,
            f.taker,
            f.passages,
            f.articles,
            _curve(at[f.source], at[f.taker]),
            round(1 + 5 * math.sqrt(f.passages / most), 1),
        )
        for f in sorted(kept, key=lambda f: f.passages)  # heaviest drawn last, on top
    ]
    return Graph(WIDTH, height, tuple(nodes), tuple(edges))
