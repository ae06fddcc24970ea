"""Readable terminal reports built with rich; presentation only."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from storytrace.comparison import Comparison
from storytrace.model import Article, Quote
from storytrace.report import words
from storytrace.report.story import describe, label_cell

_COLOURS = {"verbatim": "green", "near-verbatim": "yellow", "paraphrase": "cyan"}


def _clip(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def article_header(article: Article, label: str) -> Text:
    line = Text(f"{label} ", style="bold")
    line.append(words.title(article.title), style="bold")
    line.append(
        f"\n   {words.outlet(article.outlet)} · {words.date(article.published)}", style="dim"
    )
    return line


def _speaker(q: Quote) -> str:
    speaker = words.speaker(q.speaker_resolved or q.speaker)
    if q.speaker and q.speaker_resolved and q.speaker_resolved != q.speaker:
        speaker = f"{q.speaker_resolved} ({_clip(q.speaker, 30)})"
    if q.via:
        speaker = f"{speaker}, according to {_clip(q.via, 30)}"
    return speaker


class QuoteTable:
    """The quotes of one article, laid out for the width they are printed at.

    Side by side, the speaker and cue columns take what they need and leave a quote column
    too narrow to read (one "…" per line at 80 columns), so below ``WIDE`` columns each
    quote is stacked under its speaker, and reads across the whole width.
    """

    WIDE = 110

    def __init__(self, quotes: list[Quote] | tuple[Quote, ...], title: str) -> None:
        self.quotes = list(quotes)
        self.title = title

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._columns() if options.max_width >= self.WIDE else self._stacked()

    def _columns(self) -> Table:
        table = Table(title=self.title, expand=True)
        table.add_column("#", justify="right", style="dim")
        table.add_column("speaker", style="bold", ratio=1)
        table.add_column("cue", max_width=16)
        table.add_column("kind", no_wrap=True)
        table.add_column("quote", ratio=3)
        for n, q in enumerate(self.quotes, 1):
            kind = "direct" if q.direct else "indirect"
            table.add_row(str(n), _speaker(q), q.cue or "", kind, _clip(q.text, 300))
        return table

    def _stacked(self) -> Table:
        table = Table(title=self.title, expand=True, show_header=False, show_lines=True)
        table.add_column("#", justify="right", style="dim")
        table.add_column("quote", ratio=1)
        for n, q in enumerate(self.quotes, 1):
            who = Text(_speaker(q), style="bold")
            how = " · ".join(x for x in (q.cue, "direct" if q.direct else "indirect") if x)
            who.append(f"  {how}", style="dim")
            table.add_row(str(n), Group(who, Text(_clip(q.text, 300))))
        return table


def quotes_table(quotes: list[Quote] | tuple[Quote, ...], title: str = "Quotes") -> QuoteTable:
    """Every quote of an article under ``title``, numbered from 1."""
    return QuoteTable(quotes, title)


def quotes_title(quotes: list[Quote] | tuple[Quote, ...], article: Article, side: str = "") -> str:
    """ "7 quotes in A: <headline or file name>"; ``side`` names A or B in a comparison."""
    name = words.article_name(article.title, article.source)
    where = f"{side}: {name}" if side else name
    return f"{words.count(len(quotes), 'quote')} in {where}"


def show_comparison(comparison: Comparison, console: Console) -> None:
    a, b, sim = comparison.a, comparison.b, comparison.similarity
    console.print(article_header(a, "A"))
    console.print(article_header(b, "B"))
    drivers = Table.grid(padding=(0, 2))
    for d in sim.drivers:
        drivers.add_row(d.name, f"{d.value:.2f}", _clip(", ".join(d.detail), 90))
    evidence = Table.grid(padding=(0, 2))
    for d in sim.evidence:
        evidence.add_row(d.name, f"{d.value:.2f}", _clip(", ".join(d.detail), 90))
    parts: list[RenderableType] = [
        Text(
            f"overall {sim.overall:.2f}   SemEval scale {sim.scale:.1f} (1 same story … 4 unrelated)",
            style="bold",
        ),
        drivers,
    ]
    if sim.evidence:
        parts += [Text("\nevidence (not weighted)", style="dim"), evidence]
    console.print(Panel(Group(*parts), title="similarity", expand=False))

    table = Table(
        title=words.count(len(comparison.passages), "shared passage"), expand=True, show_lines=True
    )
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
        console.print(quotes_table(quotes.a, quotes_title(quotes.a, a, "A")))
        console.print(quotes_table(quotes.b, quotes_title(quotes.b, b, "B")))
        if quotes.matches:
            matches = Table(title="Same statement in both", expand=True)
            for col in ("A #", "B #", "speaker", "match", "same speaker"):
                matches.add_column(col)
            for m in quotes.matches:
                q = quotes.a[m.a]
                matches.add_row(
                    str(m.a + 1),  # numbered from 1, as in the quote tables
                    str(m.b + 1),
                    words.speaker(q.speaker_resolved or q.speaker),
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
    console.print(Text(words.title(story["headline"]), style="bold"))
    first, last = words.date(story["first"], 16), words.date(story["last"], 16)
    span = first if first == last else f"{first} → {last}"
    console.print(
        Text(
            f"{story['id']} · {words.count(len(story['article_ids']), 'article')} · "
            f"{words.count(len(story['outlets']), 'outlet')} · {span} · "
            f"keywords: {', '.join(story['keywords'])}",
            style="dim",
        )
    )
    if view["first"]:
        f = view["first"]
        line = Text("first published by ")
        line.append(words.outlet(f["outlet"]), style="bold")
        line.append(f", {words.date(f['published'])}: {words.title(f['title'])}")
        console.print(line)
    timeline = Table(title="timeline, outlet by outlet", expand=True)
    for col, ratio in (("published", None), ("outlet", 1), ("title", 3), ("id", None)):
        timeline.add_column(col, ratio=ratio, no_wrap=col == "id", overflow="fold")
    for row in view["timeline"]:
        timeline.add_row(
            words.date(row["published"], 16),
            words.outlet(row["outlet"]),
            words.title(row["title"]),
            row["id"][:12],
        )
    console.print(timeline)
    if view["passages"]:
        shown = view["passages"][:40]
        title = f"{words.count(len(view['passages']), 'reused passage')} (source → taker)"
        if len(shown) < len(view["passages"]):
            title += f", the first {len(shown)}"
        table = Table(title=title, expand=True)
        for col, ratio in (("from", 1), ("to", 1), ("kind", None), ("text", 3)):
            table.add_column(col, ratio=ratio, overflow="fold")
        for p in shown:
            table.add_row(
                words.outlet(p["from_outlet"]),
                words.outlet(p["to_outlet"]),
                p["kind"],
                _clip(p["text"], 160),
            )
        console.print(table)
    if view["speakers"]:
        table = Table(title="who said what, across outlets", expand=True)
        for col, ratio in (("speaker", 1), ("outlet", 1), ("kind", None), ("quote", 3)):
            table.add_column(col, ratio=ratio, overflow="fold")
        for s in view["speakers"][:15]:
            for q in s["quotes"][:6]:
                table.add_row(
                    words.speaker(s["speaker"]),
                    words.outlet(q["outlet"]),
                    "direct" if q["direct"] else "indirect",
                    _clip(q["text"], 160),
                )
        console.print(table)
    if view.get("labels"):
        table = Table(title="what each outlet calls the main actors", expand=True)
        for col, ratio in (("actor", 1), ("outlet", 1), ("labels", 3)):
            table.add_column(col, ratio=ratio, overflow="fold")
        for e in view["labels"]:
            for outlet in e["outlets"]:
                if cell := label_cell(e, outlet):
                    table.add_row(e["name"], words.outlet(outlet), _clip(cell, 160))
        console.print(table)
