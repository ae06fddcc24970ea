"""A self-contained HTML page for one story: timeline, reuse, quotes by speaker, labels.

The page uses the width it is given: the timeline and the reused passages run across it,
and the statements grouped by speaker sit beside the labels each outlet uses when there
is room for both. ``speakers_html`` is shared with the web app's story page, and so is the
script that filters it (``web/static/story.js``, inlined here), so both filter alike.

Every stored value is escaped; an article's url is a link only when ``safe_url`` allows it,
and the page's own policy refuses any script and every style but its own.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from storytrace.report.safe import inline_policy, url_html
from storytrace.report.story import label_cell
from storytrace.report.words import UNDATED, UNKNOWN_OUTLET, UNTITLED

OPEN_SPEAKERS = 3  # speaker groups shown open; the rest open on a click or a filter

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:24px;color:#1d1d1f}
h1{font-size:22px;margin-bottom:4px} .dim{color:#666;font-size:13px}
table{border-collapse:collapse;width:100%;margin:10px 0 22px;font-size:14px}
td,th{border-bottom:1px solid #e3e3e3;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f5f5f7} .first{background:#fff7d6} .kind{font-size:12px;color:#555} .url{overflow-wrap:anywhere}
table.fixed{table-layout:fixed} .w-date{width:9.5em} .w-name{width:22%} .w-kind{width:7.5em}
.w-id{width:8.5em} .w-url{width:24%}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:0 32px}
.pair>section{min-width:0}
details.speaker{margin:4px 0;border-left:3px solid #dfe9ff;padding-left:8px}
details.speaker summary{cursor:pointer} details.speaker table{margin:4px 0 10px}
.filter input{padding:4px 6px;width:min(100%,22em)}
"""


def script() -> str:
    """The speaker filter: the web app's ``story.js``, so both pages filter alike."""
    return (resources.files("storytrace.web") / "static" / "story.js").read_text("utf-8")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def speakers_html(speakers: Sequence[dict[str, Any]]) -> str:
    """Statements grouped by speaker (``story_view``'s order: quoted by most outlets first),
    each group folded under its name, with a filter box that ``story.js`` switches on."""
    if not speakers:
        return '<p class="dim">No attributed statements in this story.</p>'
    statements = sum(len(s["quotes"]) for s in speakers)
    groups = []
    for n, s in enumerate(speakers):
        outlets = ", ".join(o or UNKNOWN_OUTLET for o in s["outlets"])
        rows = "".join(
            f"<tr data-q><td>{_e(q['outlet'] or UNKNOWN_OUTLET)}</td>"
            f"<td class='kind'>{'direct' if q['direct'] else 'indirect'}"
            f"{' · ' + _e(q['cue']) if q.get('cue') else ''}"
            f"{' · according to ' + _e(q['via']) if q.get('via') else ''}"
            f"</td><td>{_e(q['text'])}</td></tr>"
            for q in s["quotes"]
        )
        count = len(s["quotes"])
        groups.append(
            f"<details class='speaker'{' open' if n < OPEN_SPEAKERS else ''}>"
            f"<summary><b>{_e(s['speaker'])}</b> <span class='dim'>{count} statement"
            f"{'s' if count != 1 else ''} · {_e(outlets)}</span></summary>"
            "<table class='fixed'><tr><th class='w-name'>outlet</th><th class='w-kind'>how</th>"
            "<th>statement</th></tr>"
            f"{rows}</table></details>"
        )
    return (
        f"<p class='dim'>{statements} statements by {len(speakers)} speakers; speakers quoted"
        " by the most outlets first. Click a name to open its statements.</p>"
        "<p class='filter' hidden><input type='search' id='speaker-filter'"
        " placeholder='filter: a name, an outlet, a word' aria-label='filter statements'>"
        " <span id='filter-count' class='dim' aria-live='polite'></span></p>"
        f"<div id='speaker-groups'>{''.join(groups)}</div>"
    )


def _when(value: str | None) -> str:
    """A date to the minute, or the word for none."""
    return _e(value[:16].replace("T", " ") if value else UNDATED)


def render_story(view: dict[str, Any]) -> str:
    """The page as a string, from ``story_view``'s data."""
    story = view["story"]
    first_id = view["first"]["id"] if view["first"] else None
    timeline = "".join(
        f"<tr class='{'first' if r['id'] == first_id else ''}'><td>{_when(r['published'])}</td>"
        f"<td>{_e(r['outlet'] or UNKNOWN_OUTLET)}</td><td>{_e(r['title'] or UNTITLED)}</td><td class='dim'>{_e(r['id'][:12])}</td>"
        f"<td class='url'>{url_html(r.get('url'))}</td></tr>"
        for r in view["timeline"]
    )
    passages = "".join(
        f"<tr><td>{_e(p['from_outlet'] or UNKNOWN_OUTLET)} → {_e(p['to_outlet'] or UNKNOWN_OUTLET)}</td>"
        f"<td class='kind'>{_e(p['kind'])}</td><td>{_e(p['text'])}</td></tr>"
        for p in view["passages"]
    )
    labels = "".join(
        f"<tr><td>{_e(e['name'])}</td><td>{_e(o)}</td><td>{_e(cell)}</td></tr>"
        for e in view.get("labels", [])
        for o in e["outlets"]
        if (cell := label_cell(e, o))
    )
    code = script()
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{inline_policy([code], [_STYLE])}">
<title>storytrace: {_e(story["headline"])}</title><style>{_STYLE}</style></head><body>
<h1>{_e(story["headline"])}</h1>
<div class="dim">{_e(story["id"])} · {len(story["article_ids"])} articles from {len(story["outlets"])} outlets ·
{_when(story["first"])} → {_when(story["last"])} · keywords: {_e(", ".join(story["keywords"]))}</div>
<section id="timeline"><h2>Timeline (first publisher highlighted)</h2>
<table class="fixed"><tr><th class="w-date">published</th><th class="w-name">outlet</th><th>title</th><th class="w-id">id</th><th class="w-url">source</th></tr>{timeline}</table></section>
<section id="reuse"><h2>Reused passages ({len(view["passages"])})</h2>
<table class="fixed"><tr><th class="w-name">source → taker</th><th class="w-kind">kind</th><th>text</th></tr>{passages}</table></section>
<div class="pair"><section id="speakers"><h2>Who said what</h2>
{speakers_html(view["speakers"])}</section>
<section id="actors"><h2>What each outlet calls the main actors</h2>
<table class="fixed"><tr><th class="w-name">actor</th><th class="w-name">outlet</th><th>labels</th></tr>{labels}</table></section></div>
<script>{code}</script>
</body></html>
"""


def write_story(view: dict[str, Any], path: Path) -> Path:
    """Write the page to ``path`` (parent folders must exist) and return it."""
    path.write_text(render_story(view), encoding="utf-8")
    return path
