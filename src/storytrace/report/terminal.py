"""Readable terminal reports built with rich; presentation only."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from storytrace.comparison import Comparison
from storytrace.model import Article, Quote
from storytrace.report.story import describe, label_cell

_COLOURS = {"verbatim": "green", "near-verbatim": "yellow", "paraphrase": "cyan"}


def _clip(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def article_header(article: Article, label: str) -> Text:
    line = Text(f"{label} ", style="bold")
    line.append(article.title or "(untitled)", style="bold")
    line.append(
        f"\n   {article.outlet or 'unknown outlet'} · {article.published or 'undated'}", style="dim"
    )
    return line


def quotes_table(quotes: list[Quote] | tuple[Quote, ...], title: str = "Quotes") -> Table:
    table = Table(title=title, show_lines=False, expand=True)
    table.add_column("#", justify="right", style="dim")
    table.add_column("speaker", style="bold")
    table.add_column("cue")
    table.add_column("", width=3)
    table.add_column("quote", ratio=3)
    for n, q in enumerate(quotes):
        speaker = q.speaker_resolved or q.speaker or "?"
        if q.speaker and q.speaker_resolved and q.speaker_resolved != q.speaker:
            speaker = f"{q.speaker_resolved} ({_clip(q.speaker, 30)})"
        table.add_row(str(n), speaker, q.cue or "", "D" if q.direct else "I", _clip(q.text, 300))
    return table


def show_comparison(comparison: Comparison, console: Console) -> None:
    a, b, sim = comparison.a, comparison.b, comparison.similarity
    console.print(article_header(a, "A"))
    console.print(article_header(b, "B"))
    drivers = Table.grid(padding=(0, 2))
    for d in sim.drivers:
        drivers.add_row(d.name, f"{d.value:.2f}", _clip(", ".join(d.detail), 90))
    console.print(
        Panel(
            Group(
                Text(
                    f"overall {sim.overall:.2f}   SemEval scale {sim.scale:.1f} (1 same story … 4 unrelated)",
                    style="bold",
                ),
                drivers,
            ),
            title="similarity",
            expand=False,
        )
    )

    table = Table(title=f"{len(comparison.passages)} shared passages", expand=True, show_lines=True)
    table.add_column("kind")
    table.add_column("score", justify="right")
    table.add_column("A", ratio=1)
    table.add_column("B", ratio=1)
    for p in comparison.passages:
        kind = Text(p.kind, style=_COLOURS[p.kind])
        if p.diff:
            changes = [f"{op.a or '∅'} → {op.b or '∅'}" for op in p.diff if op.op != "equal"]
            kind.append("\n" + "\n".join(_clip(c, 40) for c in changes[:4]), style="dim")
        table.add_row(kind, f"{p.score:.2f}", _clip(p.a_text), _clip(p.b_text))
    console.print(table)

    for d in comparison.disagreements:
        console.print(
            Text(
                f"numbers disagree: A says {d['a']}, B says {d['b']} — "
                f"{_clip(d['a_context'], 120)}",
                style="bold red",
            )
        )
    quotes = comparison.quotes
    if quotes is not None:
        console.print(quotes_table(quotes.a, "Quotes in A"))
        console.print(quotes_table(quotes.b, "Quotes in B"))
        if quotes.matches:
            matches = Table(title="Same statement in both", expand=True)
            for col in ("A #", "B #", "speaker", "match", "same speaker"):
                matches.add_column(col)
            for m in quotes.matches:
                q = quotes.a[m.a]
                matches.add_row(
                    str(m.a),
                    str(m.b),
                    q.speaker_resolved or q.speaker or "?",
                    f"{m.kind} {m.score:.2f}",
                    "yes" if m.same_speaker else "no",
                )
            console.print(matches)
    ents = comparison.entities
    if ents is not None:
        table = Table(title="Entities and their labels", expand=True)
        table.add_column("entity", style="bold")
        table.add_column("kind")
        table.add_column("A calls it", ratio=1)
        table.add_column("B calls it", ratio=1)
        for x, y in ents.shared:
            shown = x.name if len(x.name) >= len(y.name) else y.name
            table.add_row(
                shown,
                x.label,
                _clip(describe(shown, [x.name], list(x.descriptors)), 120),
                _clip(describe(shown, [y.name], list(y.descriptors)), 120),
            )
        console.print(table)
        only = Text()
        only.append("only in A: ", style="bold")
        only.append(", ".join(e.name for e in ents.only_a) or "—")
        only.append("\nonly in B: ", style="bold")
        only.append(", ".join(e.name for e in ents.only_b) or "—")
        console.print(only)


def show_story(view: dict, console: Console) -> None:
    story = view["story"]
    console.print(Text(f"{story['headline']}", style="bold"))
    console.print(
        Text(
            f"{story['id']} · {len(story['article_ids'])} articles · "
            f"{(story['first'] or '?')[:16]} → {(story['last'] or '?')[:16]} · "
            f"keywords: {', '.join(story['keywords'])}",
            style="dim",
        )
    )
    if view["first"]:
        f = view["first"]
        console.print(
            f"first published by [bold]{f['outlet'] or '?'}[/bold] at {f['published'] or '?'}: {f['title']}"
        )
    timeline = Table(title="timeline, outlet by outlet", expand=True)
    for col in ("published", "outlet", "title", "id"):
        timeline.add_column(col)
    for row in view["timeline"]:
        timeline.add_row(
            (row["published"] or "undated")[:16], row["outlet"] or "?", row["title"], row["id"][:12]
        )
    console.print(timeline)
    if view["passages"]:
        table = Table(
            title=f"{len(view['passages'])} reused passages (source → taker)", expand=True
        )
        for col in ("from", "to", "kind", "text"):
            table.add_column(col)
        for p in view["passages"][:40]:
            table.add_row(
                p["from_outlet"] or "?", p["to_outlet"] or "?", p["kind"], _clip(p["text"], 160)
            )
        console.print(table)
    if view["speakers"]:
        table = Table(title="who said what, across outlets", expand=True)
        for col in ("speaker", "outlet", "", "quote"):
            table.add_column(col)
        for s in view["speakers"][:15]:
            for q in s["quotes"][:6]:
                table.add_row(
                    s["speaker"],
                    q["outlet"] or "?",
                    "D" if q["direct"] else "I",
                    _clip(q["text"], 160),
                )
        console.print(table)
    if view.get("labels"):
        table = Table(title="what each outlet calls the main actors", expand=True)
        for col in ("actor", "outlet", "labels"):
            table.add_column(col)
        for e in view["labels"]:
            for outlet in e["outlets"]:
                if cell := label_cell(e, outlet):
                    table.add_row(e["name"], outlet, _clip(cell, 160))
        console.print(table)
