"""Main-text extraction from news pages: word-level F1 of storytrace next to plain trafilatura.

    python benchmarks/extraction.py [--limit N] [--worst 10]

Gold sets (../shared/data/html-cleaning, see its SOURCE.md), one page per
``<set>/input/<id>.html.gz`` with its gold in ``<set>/GoldStandard/<id>.txt.gz``:

- L3S-GN1 (``page-signal-master``): the gold is the page re-saved with its text blocks in
  ``<span class="x-nc-selN">``. Spans nest, so each piece of text takes the label of the
  innermost span around it; main text is sel1 (headline) + sel2 (full text) + sel3
  (supplemental, e.g. captions). Scores against sel1 + sel2 only are given as well.
- Dragnet (``dragnet_data``): plain text; user comments after the ``!@#$%^&*()  COMMENTS``
  line are not main text and are cut. The line was typed by hand, so any line made of at
  least three of ``!@#$%^&`` (with ``*()``, blanks, and maybe one capitalised word such as
  ``COMMNENTS``) counts as that separator.

Systems, on the same decoded page (UTF-8, else cp1252), taking turns to go first:
``storytrace`` is ``parse_html(html).text`` (a page it rejects with InputError is an empty
output); ``storytrace_with_title`` is the same parse with the title line put back on top;
``trafilatura`` is ``trafilatura.extract(html)`` with its default settings, which finds no
date, title or author; ``trafilatura_metadata`` is ``bare_extraction(html,
with_metadata=True).text``, the same text plus the metadata pass a news archive needs, for
a like-for-like speed figure (storytrace reads title, date, outlet and authors too).

Score: the multisets of lower-cased ``\\w+`` tokens of output and gold; precision, recall and
F1 per page, averaged over pages (macro), and from the summed counts (micro). A page whose
gold holds no word is left out. Per-page scores go to benchmarks/cache/extraction_pages.jsonl.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from _shared import CACHE, DATA, Timer, need, write_result

WORD = re.compile(r"\w+")
SEPARATOR = re.compile(r"[!@#$%^&*() \t]+[A-Z]*\s*")
SEPARATOR_MARKS = set("!@#$%^&")
L3S_LABEL = re.compile(r"\bx-nc-sel(\d)\b")
SYSTEMS = ("storytrace", "storytrace_with_title", "trafilatura", "trafilatura_metadata")


def read_gz(path: Path) -> str:
    raw = gzip.decompress(path.read_bytes())
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def words(text: str) -> Counter[str]:
    return Counter(WORD.findall(text.lower()))


def l3s_gold(annotated: str, labels: Iterable[str]) -> str:
    """Text of an L3S-GN1 gold page whose innermost ``x-nc-selN`` label is in ``labels``."""
    from lxml import html as lxml_html

    wanted = set(labels)
    tree = lxml_html.fromstring(annotated)
    for dead in tree.xpath("//script|//style|//noscript|//comment()"):
        dead.drop_tree()

    def label_of(element: object) -> str | None:
        while element is not None:
            if getattr(element, "tag", None) == "span":
                found = L3S_LABEL.search(element.get("class") or "")
                if found:
                    return found.group(1)
            element = element.getparent()
        return None

    pieces = []
    for piece in tree.xpath("//body//text()"):
        holder = piece.getparent()
        if piece.is_tail:
            holder = holder.getparent()
        if label_of(holder) in wanted:
            pieces.append(str(piece))
    return " ".join(pieces)


def dragnet_gold(text: str) -> str:
    """Dragnet gold without the user comments that follow its hand-typed separator line."""
    kept = []
    for line in text.split("\n"):
        if SEPARATOR.fullmatch(line) and len(SEPARATOR_MARKS & set(line)) >= 3:
            break
        kept.append(line)
    return "\n".join(kept)


@dataclass
class Tally:
    """Scores of one system on one set of pages."""

    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    overlap: int = 0
    predicted: int = 0
    gold: int = 0
    empty: int = 0
    seconds: float = 0.0

    def add(self, output: str, gold: Counter[str]) -> float:
        got = words(output)
        both = sum((got & gold).values())
        n_got, n_gold = sum(got.values()), sum(gold.values())
        p = both / n_got if n_got else 0.0
        r = both / n_gold
        f = 2 * p * r / (p + r) if both else 0.0
        self.precision.append(p)
        self.recall.append(r)
        self.f1.append(f)
        self.overlap += both
        self.predicted += n_got
        self.gold += n_gold
        self.empty += not n_got
        return f

    def merge(self, other: Tally) -> None:
        self.precision += other.precision
        self.recall += other.recall
        self.f1 += other.f1
        self.overlap += other.overlap
        self.predicted += other.predicted
        self.gold += other.gold
        self.empty += other.empty
        self.seconds += other.seconds

    def summary(self, timed: bool = True) -> dict[str, object]:
        n = len(self.f1) or 1
        p = self.overlap / self.predicted if self.predicted else 0.0
        r = self.overlap / self.gold if self.gold else 0.0
        out: dict[str, object] = {
            "macro_precision": round(sum(self.precision) / n, 4),
            "macro_recall": round(sum(self.recall) / n, 4),
            "macro_f1": round(sum(self.f1) / n, 4),
            "micro_precision": round(p, 4),
            "micro_recall": round(r, 4),
            "micro_f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "empty_outputs": self.empty,
        }
        if timed:
            out["pages_per_s"] = round(len(self.f1) / self.seconds, 1) if self.seconds else None
        return out


def run_storytrace(html: str) -> tuple[str, str, str | None]:
    """storytrace's text and title for ``html``; a rejected page gives empty text."""
    from storytrace.errors import InputError
    from storytrace.ingest.html import parse_html

    try:
        article = parse_html(html, source=None)
    except InputError:
        return "", "", "rejected"
    except Exception as exc:  # a crash is scored as empty output and counted
        return "", "", f"error: {type(exc).__name__}"
    return article.text, article.title, None


def run_trafilatura(html: str, metadata: bool = False) -> tuple[str, str | None]:
    import trafilatura

    try:
        if metadata:
            document = trafilatura.bare_extraction(html, with_metadata=True)
            return (getattr(document, "text", None) or "") if document else "", None
        return trafilatura.extract(html) or "", None
    except Exception as exc:  # same rule as for storytrace
        return "", f"error: {type(exc).__name__}"


def run_set(
    key: str,
    directory: str,
    golds: dict[str, Callable[[str], str]],
    limit: int | None,
    log: list[dict[str, object]],
) -> tuple[dict[str, Tally], dict[str, dict[str, Tally]], dict[str, int]]:
    """Score every system on one set; ``golds`` maps a gold variant's name to its reader."""
    root = need(DATA / "html-cleaning" / directory)
    pages = sorted((root / "input").glob("*.html.gz"))[:limit]
    main_gold = next(iter(golds))
    tallies = {name: {system: Tally() for system in SYSTEMS} for name in golds}
    counts = {"pages": 0, "no_gold_file": 0, "empty_gold": 0, "rejected": 0, "errors": 0}
    for turn, page in enumerate(pages):
        page_id = page.name.removesuffix(".html.gz")
        gold_path = root / "GoldStandard" / f"{page_id}.txt.gz"
        if not gold_path.exists():
            counts["no_gold_file"] += 1
            continue
        raw_gold = read_gz(gold_path)
        gold_words = {name: words(reader(raw_gold)) for name, reader in golds.items()}
        if not gold_words[main_gold]:
            counts["empty_gold"] += 1
            continue
        html = read_gz(page)
        ours_timer, theirs_timer, meta_timer = Timer(), Timer(), Timer()
        for which in [(turn + n) % 3 for n in range(3)]:  # each system goes first in turn
            if which == 0:
                with ours_timer:
                    text, title, problem = run_storytrace(html)
            elif which == 1:
                with theirs_timer:
                    theirs, their_problem = run_trafilatura(html)
            else:
                with meta_timer:
                    theirs_meta, _ = run_trafilatura(html, metadata=True)
        outputs = {
            "storytrace": text,
            "storytrace_with_title": f"{title}\n{text}" if text else "",
            "trafilatura": theirs,
            "trafilatura_metadata": theirs_meta,
        }
        counts["pages"] += 1
        if problem == "rejected":
            counts["rejected"] += 1
        elif problem or their_problem:
            counts["errors"] += 1
        record: dict[str, object] = {"set": key, "page": page_id, "problem": problem}
        for name, system_tallies in tallies.items():
            if not gold_words[name]:
                continue
            for system, output in outputs.items():
                f = system_tallies[system].add(output, gold_words[name])
                if name == main_gold:
                    record[system] = round(f, 4)
        tallies[main_gold]["storytrace"].seconds += ours_timer.seconds
        tallies[main_gold]["storytrace_with_title"].seconds += ours_timer.seconds
        tallies[main_gold]["trafilatura"].seconds += theirs_timer.seconds
        tallies[main_gold]["trafilatura_metadata"].seconds += meta_timer.seconds
        log.append(record)
    main = tallies.pop(main_gold)
    return main, tallies, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N pages of each set")
    parser.add_argument(
        "--worst", type=int, default=10, help="pages listed where storytrace trails most"
    )
    args = parser.parse_args()

    sets = {
        "l3s_gn1": (
            "page-signal-master",
            {
                "sel123": lambda g: l3s_gold(g, "123"),
                "sel12": lambda g: l3s_gold(g, "12"),
            },
        ),
        "dragnet": ("dragnet_data", {"plain": dragnet_gold}),
    }
    warm_page = (
        "<html><body><article><p>" + "Warm up the imports. " * 40 + "</p></article></body></html>"
    )
    run_storytrace(warm_page)  # imports and lazy setup are not counted in pages/s
    run_trafilatura(warm_page)
    run_trafilatura(warm_page, metadata=True)
    log: list[dict[str, object]] = []
    overall = {system: Tally() for system in SYSTEMS}
    figures: dict[str, object] = {}
    with Timer() as total:
        for key, (directory, golds) in sets.items():
            main_tallies, other_golds, counts = run_set(key, directory, golds, args.limit, log)
            entry: dict[str, object] = dict(counts)
            for system, tally in main_tallies.items():
                entry[system] = tally.summary()
                overall[system].merge(tally)
            for gold_name, tallies in other_golds.items():
                entry[f"against_{gold_name}"] = {
                    system: tally.summary(timed=False) for system, tally in tallies.items()
                }
            figures[key] = entry
    figures["overall"] = {
        "pages": len(overall["storytrace"].f1),
        **{system: tally.summary() for system, tally in overall.items()},
    }
    worst = sorted(log, key=lambda r: float(r["storytrace"]) - float(r["trafilatura"]))
    figures["worst_vs_trafilatura"] = [
        {
            "set": r["set"],
            "page": r["page"],
            "f1_storytrace": r["storytrace"],
            "f1_trafilatura": r["trafilatura"],
            "problem": r["problem"],
        }
        for r in worst[: args.worst]
    ]
    figures["seconds_total"] = round(total.seconds, 1)

    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "extraction_pages.jsonl").open("w", encoding="utf-8") as handle:
        for record in log:
            handle.write(json.dumps(record) + "\n")
    command = "python benchmarks/extraction.py"
    if args.limit:
        command += f" --limit {args.limit}"
    write_result("extraction", figures, command)


if __name__ == "__main__":
    main()
