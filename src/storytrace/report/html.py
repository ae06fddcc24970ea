"""The comparison of two articles as HTML: the two texts side by side, for a file and the web.

``body`` writes the page's content once, for both the self-contained file of
``storytrace compare --html`` (``render``) and the web app's ``/compare`` page, so the two
never drift apart: the legend first, then links to every section below the texts, the
texts in one page scroll (no column scrolls on its own, so nothing hides below a column's
fold), and the tables. Matching passages share a colour; in a near-verbatim passage the
words its diff changed are marked in both texts. Hovering a passage lights up its
counterpart and clicking it scrolls there (``web/static/compare.js``, inlined into the
file). The file carries a policy that lets only its own style and script run, and an
article's url is a link only when it is http(s).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from storytrace.comparison import Comparison
from storytrace.model import Article, Passage
from storytrace.report.safe import inline_policy, url_html
from storytrace.report.story import describe
from storytrace.report.words import UNDATED, UNKNOWN_OUTLET, UNTITLED, speaker

KINDS = ("verbatim", "near-verbatim", "paraphrase")

_STYLE = """
body{font:15px/1.55 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #ddd}
h1{font-size:18px;margin:0 0 6px}
.meter{display:flex;gap:6px 18px;flex-wrap:wrap;font-size:13px;color:#444}
.meter b{color:#000}
.cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr)}
.col{padding:16px 24px;background:#fff;border-right:1px solid #eee;min-width:0}
.col h2{font-size:16px;margin:0 0 4px}
.meta{font-size:12px;color:#666;margin-bottom:12px;overflow-wrap:anywhere}
section.extra{padding:8px 24px;background:#fff;border-top:1px solid #ddd}
table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}
td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}
@media (max-width:640px){.cols{grid-template-columns:1fr}}
"""

# Shared with the web stylesheet (web/static/storytrace.css), which has the same rules.
MARK_STYLE = """
.text{white-space:pre-wrap;overflow-wrap:anywhere}
mark{border-radius:3px;padding:0 1px;cursor:pointer;color:inherit}
mark.verbatim{background:hsla(var(--h),85%,70%,.55)}
mark.near-verbatim{background:hsla(var(--h),85%,72%,.38);border-bottom:2px solid hsla(var(--h),70%,45%,.9)}
mark.paraphrase{background:transparent;border-bottom:2px dashed hsla(var(--h),70%,40%,.9)}
mark.lit{outline:2px solid #111;background:hsla(var(--h),90%,60%,.75)}
mark .changed{font-weight:700;color:#8a1500;text-decoration:underline wavy #c0392b}
.legend{margin:8px 0 0;font-size:13px;color:#444}.legend mark{cursor:default}
.legend span+span::before{content:" · ";color:#999}
.sections{margin:6px 0 0;font-size:13px}.sections a{margin-right:14px}
"""

HUES = 36  # passage colours, 10 degrees of hue apart: one CSS class each, no style attributes
HUE_CSS = "".join(f"mark.h{i}{{--h:{i * 360 // HUES}}}" for i in range(HUES))


def script() -> str:
    """The page's script: the web app's ``compare.js``, so the file and the page behave alike."""
    return (resources.files("storytrace.web") / "static" / "compare.js").read_text("utf-8")


def hue_class(n: int) -> str:
    """The colour class of passage ``n``: golden-angle steps keep neighbouring passages apart.

    A class rather than a ``style`` attribute, so pages served under a Content-Security-Policy
    without inline styles keep their colours.
    """
    return f"h{(n * 137) % 360 * HUES // 360}"


Change = tuple[int, int, str]  # start, end, what the other text has there


def changed_spans(passage: Passage) -> tuple[list[Change], list[Change]]:
    """Where the words a near-verbatim passage's diff changed lie in A's and in B's text.

    The diff's steps are slices of the two texts, in order and back to back, so each is
    found by looking from where the previous one ended; nothing is compared again. A step
    that is not where it should be (a passage from an older store) ends the marking of that
    side rather than marking the wrong words.
    """
    out: tuple[list[Change], list[Change]] = ([], [])
    sides = ((passage.a_text, passage.a[0]), (passage.b_text, passage.b[0]))
    cursors = [0, 0]
    for op in passage.diff:
        for side, (own, other) in enumerate(((op.a, op.b), (op.b, op.a))):
            if not own or cursors[side] < 0:
                continue
            text, offset = sides[side]
            at = text.find(own, cursors[side])
            if at < 0:
                cursors[side] = -1
                continue
            cursors[side] = at + len(own)
            if op.op != "equal":
                name = "B" if side == 0 else "A"
                note = f"{name} has: {other}" if other else f"not in {name}"
                out[side].append((offset + at, offset + at + len(own), note))
    return out


def mark_text(
    text: str, spans: Sequence[tuple[int, int, str, str]], changes: Sequence[Change] = ()
) -> str:
    """Escape ``text``, wrap each (start, end, css class, key) span in a <mark>, and each
    (start, end, note) change in a ``changed`` span titled with the note.

    Overlapping spans are cut so no mark nests inside another; the earlier span wins.
    """
    owner: list[int | None] = [None] * len(text)
    for n, (start, end, _, _) in enumerate(spans):
        for i in range(max(0, start), min(end, len(text))):
            if owner[i] is None:
                owner[i] = n
    changed: list[int | None] = [None] * len(text)
    for n, (start, end, _) in enumerate(changes):
        for i in range(max(0, start), min(end, len(text))):
            changed[i] = n
    out: list[str] = []
    i = 0
    while i < len(text):
        n = owner[i]
        j = i
        while j < len(text) and owner[j] == n:
            j += 1
        chunk = _with_changes(text, i, j, changed, changes)
        if n is None:
            out.append(chunk)
        else:
            _, _, cls, key = spans[n]
            out.append(
                f'<mark class="{cls} {hue_class(int(key.split("-")[-1]))}" data-p="{key}">'
                f"{chunk}</mark>"
            )
        i = j
    return "".join(out)


def _with_changes(
    text: str, start: int, end: int, changed: list[int | None], changes: Sequence[Change]
) -> str:
    out: list[str] = []
    i = start
    while i < end:
        n = changed[i]
        j = i
        while j < end and changed[j] == n:
            j += 1
        chunk = html.escape(text[i:j])
        if n is None:
            out.append(chunk)
        else:
            out.append(f'<span class="changed" title="{html.escape(changes[n][2])}">{chunk}</span>')
        i = j
    return "".join(out)


def marked_texts(comparison: Comparison) -> tuple[str, str]:
    """Both texts as HTML, each passage marked in its colour and each change within it."""
    passages = comparison.passages
    changes: tuple[list[Change], list[Change]] = ([], [])
    for p in passages:
        if p.kind == "near-verbatim":
            in_a, in_b = changed_spans(p)
            changes[0].extend(in_a)
            changes[1].extend(in_b)
    return (
        mark_text(comparison.a.text, _spans(passages, "a"), changes[0]),
        mark_text(comparison.b.text, _spans(passages, "b"), changes[1]),
    )


def _meta(article: Article) -> str:
    bits = [
        html.escape(article.outlet or UNKNOWN_OUTLET),
        html.escape(article.published or UNDATED),
    ]
    if article.url:
        bits.append(url_html(article.url))
    return " · ".join(bits)


def _spans(passages: Sequence[Passage], side: str) -> list[tuple[int, int, str, str]]:
    return [(*(p.a if side == "a" else p.b), p.kind, f"p-{n}") for n, p in enumerate(passages)]


def _section(key: str, title: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table section below the texts; cells arrive escaped."""
    header = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f"<section class='extra' id='{key}'><h2>{title}</h2>"
        f"<table><tr>{header}</tr>{body}</table></section>"
    )


def _sections(comparison: Comparison) -> list[tuple[str, str, int, str]]:
    """(anchor, title, rows, html) of every table the comparison has rows for."""
    e = html.escape
    out = []
    if comparison.disagreements:
        rows = [[e(d["a"]), e(d["b"]), e(d["a_context"])] for d in comparison.disagreements]
        title = "Numbers that disagree"
        head = ["A", "B", "where"]
        out.append(("numbers", title, len(rows), _section("numbers", title, head, rows)))
    quotes = comparison.quotes
    if quotes is not None and quotes.matches:
        rows = []
        for m in quotes.matches:
            qa, qb = quotes.a[m.a], quotes.b[m.b]
            who = speaker(qa.speaker_resolved or qa.speaker or qb.speaker_resolved or qb.speaker)
            vias = list(dict.fromkeys(v for v in (qa.via, qb.via) if v))
            if vias:  # whom A, B or both cite the words from
                who += f", according to {' / '.join(vias)}"
            rows.append([e(who), e(qa.text), e(qb.text), f"{e(m.kind)} {m.score:.2f}"])
        title = "Same statement in both"
        head = ["speaker", "A", "B", "match"]
        out.append(("quotes", title, len(rows), _section("quotes", title, head, rows)))
    ents = comparison.entities
    if ents is not None:
        rows = [
            [
                e(x.name),
                e(describe(x.name, [x.name], list(x.descriptors))),
                e(describe(x.name, [y.name], list(y.descriptors))),
            ]
            for x, y in ents.shared
            if x.descriptors or y.descriptors or x.name != y.name
        ]
        if rows:
            title = "How each calls the actors"
            head = ["entity", "A", "B"]
            out.append(("actors", title, len(rows), _section("actors", title, head, rows)))
    return out


def legend() -> str:
    """What the marks mean, with a sample of each, for the top of the page."""
    samples = (
        ('<mark class="verbatim h0">verbatim</mark>', "the same words"),
        (
            '<mark class="near-verbatim h12">near-verbatim</mark>',
            'small edits, the <mark class="near-verbatim h12"><span class="changed">changed'
            "</span></mark> words in bold",
        ),
        ('<mark class="paraphrase h24">paraphrase</mark>', "the same statement in other words"),
    )
    parts = "".join(f"<span>{m} {w}</span>" for m, w in samples)
    return (
        f'<p class="legend" id="legend">{parts}<span>hover a passage to light up its match,'
        " click it to jump there</span></p>"
    )


def body(comparison: Comparison) -> str:
    """The page's content: header with legend and section links, the texts, the tables."""
    a, b, passages = comparison.a, comparison.b, comparison.passages
    sim = comparison.similarity
    counts = {k: sum(p.kind == k for p in passages) for k in KINDS}
    drivers = ", ".join(f"{d.name} {d.value:.2f}" for d in sim.drivers)
    sections = _sections(comparison)
    links = ['<a href="#col-a">A</a>', '<a href="#col-b">B</a>']
    links += [f'<a href="#{key}">{title} ({n})</a>' for key, title, n, _ in sections]
    texts = marked_texts(comparison)
    columns = "".join(
        f'<div class="col" id="col-{side}"><h2>{side.upper()}: '
        f"{html.escape(article.title or UNTITLED)}</h2>"
        f'<div class="meta">{_meta(article)}</div><div class="text">{text}</div></div>'
        for side, article, text in (("a", a, texts[0]), ("b", b, texts[1]))
    )
    return f"""<header><h1>How these two articles relate</h1>
<div class="meter"><span>overall <b id="overall">{sim.overall:.2f}</b></span>
<span>SemEval scale <b>{sim.scale:.1f}</b> (1 same story … 4 unrelated)</span>
<span id="counts">{", ".join(f"{counts[k]} {k}" for k in KINDS)}</span>
<span>{html.escape(drivers)}</span></div>
{legend()}
<p class="sections">Jump to: {"".join(links)}</p></header>
<div class="cols">{columns}</div>
{"".join(part for *_, part in sections)}"""


def render(comparison: Comparison) -> str:
    """The self-contained page as a string."""
    a, b = comparison.a, comparison.b
    style = _STYLE + MARK_STYLE + HUE_CSS
    code = script()
    policy = inline_policy([code], [style])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<title>storytrace: {html.escape(a.title or "A")} vs {html.escape(b.title or "B")}</title>
<style>{style}</style></head><body>
{body(comparison)}
<script>{code}</script></body></html>
"""


def write(comparison: Comparison, path: Path) -> Path:
    """Write the page to ``path`` (parent folders must exist) and return it."""
    path.write_text(render(comparison), encoding="utf-8")
    return path
