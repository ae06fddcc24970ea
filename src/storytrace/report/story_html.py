"""A self-contained HTML page for one story: timeline by outlet, reuse, quotes by speaker.

Every stored value is escaped; an article's url is a link only when ``safe_url`` allows it,
and the page's own policy refuses any script and every style but its own.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from storytrace.report.safe import inline_policy, url_html
from storytrace.report.story import label_cell

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:24px;color:#1d1d1f;max-width:1100px}
h1{font-size:22px;margin-bottom:4px} .dim{color:#666;font-size:13px}
table{border-collapse:collapse;width:100%;margin:10px 0 22px;font-size:14px}
td,th{border-bottom:1px solid #e3e3e3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f7} .first{background:#fff7d6} .kind{font-size:12px;color:#555} .url{overflow-wrap:anywhere}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def render_story(view: dict[str, Any]) -> str:
    """The page as a string, from ``story_view``'s data."""
    story = view["story"]
    first_id = view["first"]["id"] if view["first"] else None
    timeline = "".join(
        f"<tr class='{'first' if r['id'] == first_id else ''}'><td>{_e((r['published'] or 'undated')[:16])}</td>"
        f"<td>{_e(r['outlet'])}</td><td>{_e(r['title'])}</td><td class='dim'>{_e(r['id'][:12])}</td>"
        f"<td class='url'>{url_html(r.get('url'))}</td></tr>"
        for r in view["timeline"]
    )
    passages = "".join(
        f"<tr><td>{_e(p['from_outlet'])} → {_e(p['to_outlet'])}</td><td class='kind'>{_e(p['kind'])}</td>"
        f"<td>{_e(p['text'])}</td></tr>"
        for p in view["passages"]
    )
    speakers = "".join(
        f"<tr><td>{_e(s['speaker'])}</td><td>{_e(q['outlet'])}</td>"
        f"<td class='kind'>{'direct' if q['direct'] else 'indirect'}</td><td>{_e(q['text'])}</td></tr>"
        for s in view["speakers"]
        for q in s["quotes"]
    )
    labels = "".join(
        f"<tr><td>{_e(e['name'])}</td><td>{_e(o)}</td><td>{_e(cell)}</td></tr>"
        for e in view.get("labels", [])
        for o in e["outlets"]
        if (cell := label_cell(e, o))
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{inline_policy(styles=[_STYLE])}">
<title>storytrace: {_e(story["headline"])}</title><style>{_STYLE}</style></head><body>
<h1>{_e(story["headline"])}</h1>
<div class="dim">{_e(story["id"])} · {len(story["article_ids"])} articles from {len(story["outlets"])} outlets ·
{_e((story["first"] or "?")[:16])} → {_e((story["last"] or "?")[:16])} · keywords: {_e(", ".join(story["keywords"]))}</div>
<h2>Timeline (first publisher highlighted)</h2>
<table><tr><th>published</th><th>outlet</th><th>title</th><th>id</th><th>source</th></tr>{timeline}</table>
<h2>Reused passages ({len(view["passages"])})</h2>
<table><tr><th>source → taker</th><th>kind</th><th>text</th></tr>{passages}</table>
<h2>What each outlet calls the main actors</h2>
<table><tr><th>actor</th><th>outlet</th><th>labels</th></tr>{labels}</table>
<h2>Who said what</h2>
<table><tr><th>speaker</th><th>outlet</th><th></th><th>quote</th></tr>{speakers}</table>
</body></html>
"""


def write_story(view: dict[str, Any], path: Path) -> Path:
    """Write the page to ``path`` (parent folders must exist) and return it."""
    path.write_text(render_story(view), encoding="utf-8")
    return path
