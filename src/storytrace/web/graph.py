"""Layout of the reuse graph between outlets, drawn as inline SVG by the templates.

The server works out every coordinate so the page needs no JavaScript library and no build
step; the template only writes the numbers and the (escaped) outlet names into SVG.
Outlets joined by reuse sit on a circle in the order given (the story's first publisher
first, at the top); an edge runs from the outlet whose text was taken to the outlet that
took it, thicker for more passages, and bent so that A→B and B→A stay apart. Outlets that
share no reused text with any other are set apart in rows below a dashed line with a label
saying so: on the circle they looked like a drawing error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from storytrace.report.words import UNKNOWN_OUTLET

WIDTH = 720
NODE_R = 9  # node radius, px
_LABEL_GAP = 14  # from a node's centre to its label
APART_COLUMNS = 3  # outlets set apart, per row
APART_ROW = 26  # px between rows of them
APART_LABEL = "no reused text with any other outlet here"
LABEL_CHARS = 30  # a longer name is cut in the drawing (its tooltip and the tables have it whole)


@dataclass(frozen=True)
class Node:
    name: str
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str  # SVG text-anchor, so labels on the left grow leftwards, away from the circle
    first: bool
    apart: bool = False  # shares no reused text with the other outlets drawn

    @property
    def label(self) -> str:
        """The name as drawn: cut short so it stays inside the drawing."""
        if len(self.name) <= LABEL_CHARS:
            return self.name
        return self.name[: LABEL_CHARS - 1].rstrip() + "…"


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
    apart_y: float | None = None  # where the line above the outlets set apart runs
    apart_label: str = APART_LABEL

    @property
    def apart(self) -> int:
        """How many outlets are set apart below the line."""
        return sum(n.apart for n in self.nodes)


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
        key = (p["from_outlet"] or UNKNOWN_OUTLET, p["to_outlet"] or UNKNOWN_OUTLET)
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


def _apart(names: Sequence[str], top: float, first: str | None) -> list[Node]:
    """Outlets without reuse, in rows of ``APART_COLUMNS`` below ``top``, labels to the right."""
    step = WIDTH / APART_COLUMNS
    nodes = []
    for i, name in enumerate(names):
        x = 16 + NODE_R + step * (i % APART_COLUMNS)
        y = top + 28 + APART_ROW * (i // APART_COLUMNS)
        label_x = round(x + _LABEL_GAP, 1)
        nodes.append(
            Node(
                name,
                round(x, 1),
                round(y, 1),
                label_x,
                round(y + 4, 1),
                "start",
                name == first,
                True,
            )
        )
    return nodes


def reuse_graph(outlets: Sequence[str], flows: Iterable[Flow], first: str | None = None) -> Graph:
    """One node per outlet in ``outlets`` (order kept), one edge per flow between two of them.

    When some outlets take part in reuse and some do not, the others are set apart below.
    """
    names = list(dict.fromkeys(outlets))
    known = set(names)
    kept = [f for f in flows if f.source in known and f.taker in known and f.source != f.taker]
    linked = {f.source for f in kept} | {f.taker for f in kept}
    ring = [n for n in names if n in linked] or names  # no reuse at all: nothing to set apart
    loose = [n for n in names if n not in ring]
    radius = 60 + 14 * len(ring) if len(ring) > 1 else 0
    radius = min(radius, 230)
    height = int(2 * radius + 80)
    cx, cy = WIDTH / 2, height / 2
    nodes = [
        _node(n, x, y, cx, cy, n == first)
        for n, (x, y) in zip(ring, _place(len(ring), radius, cx, cy), strict=True)
    ]
    apart_y = None
    if loose:
        apart_y = float(height)
        nodes += _apart(loose, apart_y, first)
        height += 28 + APART_ROW * ((len(loose) - 1) // APART_COLUMNS) + 20
    at = {n.name: n for n in nodes}
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
    return Graph(WIDTH, height, tuple(nodes), tuple(edges), apart_y)
