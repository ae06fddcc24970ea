"""Script and markup payloads through the real CLI, the static reports and the served pages.

``run_payloads(work)`` writes records that carry every payload of
``tests/markup_payloads.py`` in their url, title, outlet, author and text, ingests and
analyses them with ``python -m storytrace.cli``, writes ``compare --html`` and
``story --html`` reports for the stories that hold them, serves the store, and then has
``clickthrough.browse`` open every page of interest in headless chromium and click every
``<a>`` on it; how many payloads ran is the figure that matters (aim: none).
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from _shared import ROOT

sys.path.insert(0, str(ROOT / "tests"))
from clickthrough import browse, control
from markup_payloads import MARKUP, SCRIPT_URLS

CLI = [sys.executable, "-m", "storytrace.cli"]


# -- the records ---------------------------------------------------------------------------
# Three stories, each a wire text several outlets share, so ingest, dedup, reuse and stories
# put the payload records into stories with reused passages between outlets. Each wire
# carries one payload itself, so the passage tables quote it too.
_WIRES = (
    (
        "Lighthouse keeper rescues kayakers off Penhallow Point",
        "Two kayakers were pulled from the water off Penhallow Point on Sunday afternoon by"
        " the keeper of the old lighthouse, the coastguard said. The pair had been swept past"
        " the headland by a strong ebb tide and could not paddle back against the wind. The"
        ' keeper, who rowed out in a small dinghy, said "{payload}" was written on the side'
        " of their boat. Both kayakers were taken to hospital in Trenmouth with mild"
        " hypothermia and were expected to go home the same evening. The coastguard urged"
        " visitors to check the tide tables before setting out along the point.",
    ),
    (
        "Valley railway reopens after landslip repairs",
        "The valley railway between Ashcombe and Brindle reopened on Thursday, eleven weeks"
        " after a landslip buried the line near the old quarry. Engineers drove steel piles"
        " into the cutting and rebuilt the drainage that had failed during the winter rains."
        " The first train carried a banner reading {payload} along the whole route. The"
        " operator said the repairs cost 3.1 million pounds and that services would run to"
        " the normal timetable from the weekend. Passengers had used replacement buses since"
        " the line closed in February.",
    ),
    (
        "Town council approves new cycle bridge over the Wend",
        "Councillors in Marlow Vale voted on Tuesday to build a cycle and foot bridge over the"
        " river Wend beside the old mill. The bridge will link the new housing estate on the"
        " east bank with the schools and the station on the west bank. A petition headed"
        " {payload} had gathered more than four thousand names. Work is due to start in the"
        " spring and to finish before the end of next year, at a cost of about 5.8 million"
        " pounds shared between the council and the regional transport fund.",
    ),
)
# Payloads the wires carry: none of them looks like HTML to the JSON reader (which would
# strip tags from the whole text), so the shared passages keep them as written.
_WIRE_PAYLOADS = (
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "{{1337*1337}}",
)
_ELSEWHERE = (
    "The county orchestra played its first concert in the restored corn exchange.",
    "Beekeepers on the moor report the best heather honey crop in a decade.",
    "The ferry company has ordered two electric boats for the estuary crossing.",
    "A primary school in Hollins planted an orchard of old local apple varieties.",
    "The rugby club named a new captain after the retirement of its fly-half.",
    "Archaeologists found a Roman well under the car park of the town museum.",
)


def payload_records() -> list[dict[str, Any]]:
    """Every payload in a record's title, outlet, author and text, and every script url in
    a url field (twice over) and as plain text in a body; unrelated news around them so the
    clusterer has something to tell the stories from."""
    records: list[dict[str, Any]] = [
        {
            "id": f"other-{n}",
            "title": text.split(" ", 5)[-1][:48],
            "outlet": "County Post",
            "published": f"2026-06-{n + 1:02d}T09:00:00",
            "text": " ".join([text] * 6),
        }
        for n, text in enumerate(_ELSEWHERE)
    ]
    for n, payload in enumerate(MARKUP):
        story = n % len(_WIRES)
        headline, wire = _WIRES[story]
        url = SCRIPT_URLS[n % len(SCRIPT_URLS)]
        records.append(
            {
                "id": f"xss-{n}",
                "title": f"{payload} {headline}",
                "outlet": f"{payload} Gazette",
                "author": payload,
                "url": url,
                "published": f"2026-06-{10 + 5 * story:02d}T{n % 24:02d}:15:00",
                "text": f"Report {n} from our desk: {payload} "
                + wire.format(payload=_WIRE_PAYLOADS[story])
                + f" Source: {url} Filed by desk {n}.",
            }
        )
    return records


def write_records(folder: Path) -> Path:
    """The records as one JSONL file (line N is record N of ``FILE#N``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "payloads.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in payload_records()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- the CLI ---------------------------------------------------------------------------------
def _cli(*args: str, ok: tuple[int, ...] = (0,), timeout: float = 600) -> str:
    """Run the real CLI; a failure names the command, since every later step needs its output."""
    proc = subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode not in ok or "Traceback" in proc.stderr:
        raise RuntimeError(f"storytrace {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}")
    return proc.stdout


@dataclass(slots=True)
class Store:
    """What the payload pages are made from, read straight from the SQLite file."""

    articles: dict[str, dict[str, Any]]  # article id -> its stored fields
    line_of: dict[str, int]  # payload article id -> line of the JSONL file (for FILE#N)
    stories: dict[str, list[str]]  # story id -> member article ids

    @classmethod
    def read(cls, db: Path, records: list[dict[str, Any]]) -> Store:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            rows = conn.execute(
                "SELECT id, title, url, outlet, authors, text, meta FROM articles"
            ).fetchall()
            members = conn.execute("SELECT story_id, article_id FROM story_articles").fetchall()
        finally:
            conn.close()
        line = {r["id"]: n for n, r in enumerate(records, start=1) if r["id"].startswith("xss-")}
        articles, line_of = {}, {}
        for row in rows:
            articles[row["id"]] = dict(row)
            record_id = dict(json.loads(row["meta"] or "[]")).get("record_id")
            if record_id in line:
                line_of[row["id"]] = line[record_id]
        stories: dict[str, list[str]] = {}
        for row in members:
            stories.setdefault(row["story_id"], []).append(row["article_id"])
        return cls(articles, line_of, stories)

    def payload_stories(self) -> dict[str, list[str]]:
        """Stories holding at least one payload record, members in file order."""
        out = {}
        for story, ids in self.stories.items():
            held = sorted((self.line_of[a], a) for a in ids if a in self.line_of)
            if held:
                out[story] = [a for _, a in held]
        return out

    def stored_verbatim(self, payloads: list[str]) -> list[str]:
        """The payloads found as written in some stored field; the rest were changed on the
        way in, so what the pages showed of them is not quite the payload."""
        fields = [
            str(a[k] or "") for a in self.articles.values() for k in ("title", "url", "outlet")
        ]
        fields += [a["text"] for a in self.articles.values()]
        fields += [n for a in self.articles.values() for n in json.loads(a["authors"] or "[]")]
        blob = "\x1e".join(fields)
        return [p for p in payloads if p in blob]

    def kept_by_field(self) -> dict[str, int]:
        """Per field, how many payload records still hold their payload as written: ingest
        trims a url, splits author and outlet names at commas, semicolons and "and", and
        strips the tags from a body that looks like HTML."""
        kept = Counter[str]()
        for article_id, line in self.line_of.items():
            n = line - len(_ELSEWHERE) - 1  # records are the other news, then xss-0, xss-1...
            payload, url = MARKUP[n], SCRIPT_URLS[n % len(SCRIPT_URLS)]
            a = self.articles[article_id]
            kept["title"] += payload in a["title"]
            kept["outlet"] += payload in (a["outlet"] or "")
            kept["author"] += payload in json.loads(a["authors"] or "[]")
            kept["text"] += payload in a["text"]
            kept["url"] += a["url"] == url
        return dict(kept)


def build_store(work: Path) -> tuple[Path, Path, Store]:
    """Records → ``ingest`` → ``analyse --no-quotes``; the JSONL file, the store, its contents."""
    source = write_records(work)
    db = work / "payloads.db"
    _cli("ingest", str(source), "--db", str(db), ok=(0, 1))  # 1: something was rejected
    _cli("analyse", "--db", str(db), "--no-quotes")
    return source, db, Store.read(db, payload_records())


def write_reports(work: Path, source: Path, db: Path, store: Store) -> list[Path]:
    """``story ID --html`` for each story holding payload records and ``compare A B --html``
    for its first two payload records (by line, ``FILE#N``)."""
    reports = []
    for story, members in sorted(store.payload_stories().items()):
        path = work / f"story-{story}.html"
        _cli("story", story, "--db", str(db), "--html", str(path))
        reports.append(path)
        if len(members) >= 2:
            a, b = (f"{source}#{store.line_of[m]}" for m in members[:2])
            path = work / f"compare-{story}.html"
            _cli("compare", a, b, "--html", str(path))
            reports.append(path)
    return reports


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(db: Path) -> Iterator[str]:
    """``storytrace serve --db DB --port P`` in its own process; yields its base URL."""
    port = _free_port()
    # its log goes to a file, not a pipe: nobody reads it while the browser runs
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [*CLI, "serve", "--db", str(db), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        err = log.read().decode("utf-8", "replace")[-500:]
                        raise RuntimeError(f"storytrace serve did not start: {err}") from None
                    time.sleep(0.3)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def served_pages(base: str, store: Store, probes: list[str]) -> list[str]:
    """Every page of interest: the stories page (also searched and filtered by payloads, to
    catch reflected input), every story, article and outlet page, and a comparison of the
    first two payload records of each story."""
    pages = [f"{base}/"]
    pages += [f"{base}/?q={quote(p, safe='')}" for p in probes]
    pages += [f"{base}/?outlet={quote(p, safe='')}" for p in probes]
    pages += [f"{base}/story/{s}" for s in sorted(store.stories)]
    pages += [f"{base}/article/{a}" for a in sorted(store.articles)]
    outlets = sorted({a["outlet"] for a in store.articles.values() if a["outlet"]})
    pages += [f"{base}/outlet/{quote(o, safe='')}" for o in outlets]
    for members in store.payload_stories().values():
        if len(members) >= 2:
            pages.append(f"{base}/compare?a={members[0]}&b={members[1]}")
    return pages


def run_payloads(work: Path) -> dict[str, Any]:
    """Payload records through ingest, analyse, the static reports and the served pages;
    how many ran (aim: none) and what reached a page without running."""
    started = time.perf_counter()
    payloads = sorted(set(MARKUP) | set(SCRIPT_URLS) | set(_WIRE_PAYLOADS))
    source, db, store = build_store(work)
    reports = write_reports(work, source, db, store)
    probes = [MARKUP[0], MARKUP[2], MARKUP[6], MARKUP[10], MARKUP[35]]
    with serving(db) as base:
        urls = served_pages(base, store, probes) + [r.as_uri() for r in reports]
        tally = browse(urls, base)
    detected = control(work)
    verbatim = store.stored_verbatim(payloads)
    non_http = sum(n for s, n in tally.link_schemes.items() if s not in ("http:", "https:"))
    return {
        "payloads": len(payloads),
        "records": len(payload_records()),
        "stored_verbatim": len(verbatim),
        "changed_on_ingest": [p for p in payloads if p not in verbatim],
        "kept_by_field": store.kept_by_field(),
        "articles": len(store.articles),
        "stories_with_payloads": len(store.payload_stories()),
        "reports": len(reports),
        "pages": tally.pages,
        "links_clicked": tally.links_clicked,
        "clicks_dispatched": tally.clicks_dispatched,
        "clicks_failed": tally.clicks_failed,
        "navigations": tally.navigations,
        "pages_found_by_links": len(tally.found),
        "compare_pages_skipped": tally.compares_skipped,
        "executed": tally.executed,
        "control_detected": detected,
        "dialogs": tally.dialogs,
        "markers": tally.markers,
        "template_evaluated": tally.template_evaluated,
        "non_http_links": non_http,
        "link_schemes": dict(tally.link_schemes),
        "navigated_schemes": dict(tally.navigated_schemes),
        "injected_elements": sum(tally.injected.values()),
        "injected_kinds": dict(tally.injected),
        "injected_on": tally.injected_on[:20],
        "csp_blocked": len(tally.csp_blocked),
        "csp_examples": tally.csp_blocked[:20],
        "outside_requests_stubbed": tally.outside_requests,
        "popups": tally.popups,
        "http_errors": {str(k): v for k, v in tally.http_errors.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="st-payloads-") as tmp:
        print(json.dumps(run_payloads(Path(tmp)), indent=2, ensure_ascii=False))
