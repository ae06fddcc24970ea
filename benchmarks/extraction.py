"""Main-text extraction: word-level F1 of ``extract`` next to plain trafilatura.

    python benchmarks/extraction.py [--limit N]

Sets (../shared/data/html-cleaning): L3S-GN1 (page-signal-master; gold = text inside
``x-nc-sel1/2/3`` spans of the annotated page) and Dragnet (gold = plain text; user comments
after the ``COMMENTS`` separator are dropped). Word-level F1 is computed per page on the
multisets of lower-cased word tokens and averaged over pages. storytrace: the HTML reader
behind ``storytrace extract`` (title included, as it is shown; a page it rejects counts as
empty). trafilatura: ``trafilatura.extract(html)`` with its defaults, in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import re
import time
from collections import Counter
from pathlib import Path

from _shared import DATA, need, write_result

_WORD = re.compile(r"\w+")


def _read(path: Path) -> str:
    data = gzip.decompress(path.read_bytes())
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def gold_l3s(annotated: str) -> str:
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(annotated)
    parts = tree.xpath(
        '//span[contains(@class,"x-nc-sel1") or contains(@class,"x-nc-sel2")'
        ' or contains(@class,"x-nc-sel3")]'
    )
    return "\n".join(p.text_content() for p in parts)


def gold_dragnet(text: str) -> str:
    return text.split("!@#$%^&*()  COMMENTS")[0]


def f1(predicted: str, gold: str) -> tuple[float, float, float]:
    p, g = Counter(_WORD.findall(predicted.lower())), Counter(_WORD.findall(gold.lower()))
    both = sum((p & g).values())
    if not both:
        return 0.0, 0.0, 0.0
    precision, recall = both / sum(p.values()), both / sum(g.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def run_set(name: str, gold_of, limit: int | None) -> dict[str, object]:
    import trafilatura

    from storytrace.errors import InputError
    from storytrace.ingest.html import parse_html

    root = need(DATA / "html-cleaning" / name)
    pages = sorted((root / "input").glob("*.gz"))[:limit]
    scores: dict[str, list[tuple[float, float, float]]] = {"storytrace": [], "trafilatura": []}
    seconds = {"storytrace": 0.0, "trafilatura": 0.0}
    used = 0
    for page in pages:
        gold_path = root / "GoldStandard" / page.name.replace(".html.gz", ".txt.gz")
        if not gold_path.exists():
            continue
        html, gold = _read(page), gold_of(_read(gold_path))
        start = time.perf_counter()
        try:
            article = parse_html(html)
            ours = f"{article.title}\n{article.text}"
        except InputError:
            ours = ""
        seconds["storytrace"] += time.perf_counter() - start
        start = time.perf_counter()
        theirs = trafilatura.extract(html) or ""
        seconds["trafilatura"] += time.perf_counter() - start
        scores["storytrace"].append(f1(ours, gold))
        scores["trafilatura"].append(f1(theirs, gold))
        used += 1
    out: dict[str, object] = {"pages": used}
    for system, values in scores.items():
        n = len(values) or 1
        out[system] = {
            "precision": round(sum(v[0] for v in values) / n, 4),
            "recall": round(sum(v[1] for v in values) / n, 4),
            "f1": round(sum(v[2] for v in values) / n, 4),
            "pages_per_s": round(used / seconds[system], 1) if seconds[system] else None,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    figures = {
        "l3s_gn1": run_set("page-signal-master", gold_l3s, args.limit),
        "dragnet": run_set("dragnet_data", gold_dragnet, args.limit),
    }
    write_result(
        "extraction",
        figures,
        "python benchmarks/extraction.py" + (f" --limit {args.limit}" if args.limit else ""),
    )


if __name__ == "__main__":
    main()
