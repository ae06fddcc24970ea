"""One self-contained HTML page for a comparison: the two articles side by side.

Matching passages share a colour; hovering one lights up its counterpart and clicking it
scrolls the other column there. Matched quotes are linked the same way. Everything (style,
script, data) is inline so the file can be mailed or archived as it is; a policy in the page
lets only that style and script run, and an article's url is a link only when it is http(s).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from storytrace.comparison import Comparison
from storytrace.model import Article, Passage
from storytrace.report.safe import inline_policy, url_html
from storytrace.report.story import describe

_KIND_LABEL = {"verbatim": "verbatim", "near-verbatim": "near-verbatim", "paraphrase": "paraphrase"}

_STYLE = """
body{font:15px/1.55 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #ddd}
h1{font-size:18px;margin:0 0 6px}
.meter{display:flex;gap:18px;flex-wrap:wrap;font-size:13px;color:#444}
.meter b{color:#000}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:0}
.col{padding:16px 24px;height:calc(100vh - 150px);overflow:auto;background:#fff;border-right:1px solid #eee}
.col h2{font-size:16px;margin:0 0 4px}
.meta{font-size:12px;color:#666;margin-bottom:12px}
.text{white-space:pre-wrap}
mark{border-radius:3px;padding:0 1px;cursor:pointer;color:inherit}
mark.verbatim{background:hsla(var(--h),85%,70%,.55)}
mark.near-verbatim{background:hsla(var(--h),85%,72%,.38);border-bottom:2px solid hsla(var(--h),70%,45%,.9)}
mark.paraphrase{background:transparent;border-bottom:2px dashed hsla(var(--h),70%,40%,.9)}
mark.lit{outline:2px solid #111;background:hsla(var(--h),90%,60%,.75)}
.legend span{margin-right:12px}
footer{padding:10px 24px;font-size:12px;color:#555}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
section.extra{padding:8px 24px;background:#fff;border-top:1px solid #ddd}
"""

HUES = 36  # passage colours, 10 degrees of hue apart: one CSS class each, no style attributes
HUE_CSS = "".join(f"mark.h{i}{{--h:{i * 360 // HUES}}}" for i in range(HUES))

_SCRIPT = """
document.querySelectorAll('mark[data-p]').forEach(function(m){
  var p=m.dataset.p;
  function all(){return document.querySelectorAll('mark[data-p="'+p+'"]');}
  m.addEventListener('mouseenter',function(){all().forEach(function(x){x.classList.add('lit');});});
  m.addEventListener('mouseleave',function(){all().forEach(function(x){x.classList.remove('lit');});});
  m.addEventListener('click',function(){
    var other=m.closest('.col').id==='col-a'?'col-b':'col-a';
    var t=document.querySelector('#'+other+' mark[data-p="'+p+'"]');
    if(t){t.scrollIntoView({behavior:'smooth',block:'center'});
      t.classList.add('lit');setTimeout(function(){t.classList.remove('lit');},1200);}
  });
});
"""


def hue_class(n: int) -> str:
    """The colour class of passage ``n``: golden-angle steps keep neighbouring passages apart.

    A class rather than a ``style`` attribute, so pages served under a Content-Security-Policy
    without inline styles keep their colours.
    """
    return f"h{(n * 137) % 360 * HUES // 360}"


def mark_text(text: str, spans: Sequence[tuple[int, int, str, str]]) -> str:
    """Escape ``text`` and wrap each (start, end, css class, key) span in a <mark>.

    Overlapping spans are cut so no mark nests inside another; the earlier span wins.
    """
    owner: list[int | None] = [None] * len(text)
    for n, (start, end, _, _) in enumerate(spans):
        for i in range(max(0, start), min(end, len(text))):
            if owner[i] is None:
                owner[i] = n
    out: list[str] = []
    i = 0
    while i < len(text):
        n = owner[i]
        j = i
        while j < len(text) and owner[j] == n:
            j += 1
        chunk = html.escape(text[i:j])
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


def _meta(article: Article) -> str:
    bits = [
        html.escape(article.outlet or "unknown outlet"),
        html.escape(article.published or "undated"),
    ]
    if article.url:
        bits.append(url_html(article.url))
    return " · ".join(bits)


def _spans(passages: Sequence[Passage], side: str) -> list[tuple[int, int, str, str]]:
    return [(*(p.a if side == "a" else p.b), p.kind, f"p-{n}") for n, p in enumerate(passages)]


def _quotes_table(comparison: Comparison) -> str:
    quotes = comparison.quotes
    if quotes is None or not quotes.matches:
        return ""
    rows = []
    for m in quotes.matches:
        qa, qb = quotes.a[m.a], quotes.b[m.b]
        rows.append(
            f"<tr><td>{html.escape(qa.speaker_resolved or qa.speaker or '?')}</td>"
            f"<td>{html.escape(qa.text)}</td><td>{html.escape(qb.text)}</td>"
            f"<td>{html.escape(m.kind)} {m.score:.2f}</td></tr>"
        )
    return (
        "<section class='extra'><h3>Same statement in both</h3><table><tr><th>speaker</th>"
        "<th>A</th><th>B</th><th>match</th></tr>" + "".join(rows) + "</table></section>"
    )


def _entities_table(comparison: Comparison) -> str:
    ents = comparison.entities
    if ents is None:
        return ""
    rows = [
        f"<tr><td>{html.escape(x.name)}</td>"
        f"<td>{html.escape(describe(x.name, [x.name], list(x.descriptors)))}</td>"
        f"<td>{html.escape(describe(x.name, [y.name], list(y.descriptors)))}</td></tr>"
        for x, y in ents.shared
        if x.descriptors or y.descriptors or x.name != y.name
    ]
    if not rows:
        return ""
    return (
        "<section class='extra'><h3>How each calls the actors</h3><table><tr><th>entity</th>"
        "<th>A</th><th>B</th></tr>" + "".join(rows) + "</table></section>"
    )


def _disagreements(comparison: Comparison) -> str:
    if not comparison.disagreements:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(d['a'])}</td><td>{html.escape(d['b'])}</td>"
        f"<td>{html.escape(d['a_context'])}</td></tr>"
        for d in comparison.disagreements
    )
    return (
        "<section class='extra'><h3>Numbers that disagree</h3><table><tr><th>A</th><th>B</th>"
        "<th>where</th></tr>" + rows + "</table></section>"
    )


def render(comparison: Comparison) -> str:
    """The page as a string."""
    a, b, passages = comparison.a, comparison.b, comparison.passages
    sim = comparison.similarity
    counts = {k: sum(p.kind == k for p in passages) for k in _KIND_LABEL}
    drivers = ", ".join(f"{d.name} {d.value:.2f}" for d in sim.drivers)
    columns = []
    for side, article in (("a", a), ("b", b)):
        columns.append(
            f'<div class="col" id="col-{side}"><h2>{html.escape(article.title or "(untitled)")}</h2>'
            f'<div class="meta">{_meta(article)}</div>'
            f'<div class="text">{mark_text(article.text, _spans(passages, side))}</div></div>'
        )
    style = _STYLE + HUE_CSS
    policy = inline_policy([_SCRIPT], [style])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<title>storytrace: {html.escape(a.title or "A")} vs {html.escape(b.title or "B")}</title>
<style>{style}</style></head><body>
<header><h1>How these two articles relate</h1>
<div class="meter"><span>overall <b id="overall">{sim.overall:.2f}</b></span>
<span>SemEval scale <b>{sim.scale:.1f}</b> (1 same story … 4 unrelated)</span>
<span class="legend">{" ".join(f"<span>{counts[k]} {k}</span>" for k in _KIND_LABEL)}</span>
<span>{html.escape(drivers)}</span></div></header>
<div class="cols">{"".join(columns)}</div>
{_disagreements(comparison)}{_quotes_table(comparison)}{_entities_table(comparison)}
<footer>Solid: verbatim · underlined: near-verbatim · dashed: paraphrase. Hover a passage to see its match; click to jump to it.</footer>
<script>{_SCRIPT}</script></body></html>
"""


def write(comparison: Comparison, path: Path) -> Path:
    """Write the page to ``path`` (parent folders must exist) and return it."""
    path.write_text(render(comparison), encoding="utf-8")
    return path
