"""Near-duplicates on the bundled sample corpus: wire copies found, and signing speed of text
that is not ASCII.

    python benchmarks/sample_dedup.py [--repeat 3]

The sample's truth file marks 12 wire copies (a few words changed, and often the quote
marks and dashes) and 8 rewrites. The corpus is ingested into a temporary store and
`storytrace dedup` runs at its default threshold (0.7). The benchmark counts:
- the wire copies that share a group with their source;
- the rewrites that share a group with anything.

Signing speed is measured on the sample's texts repeated to 20,000, in batches of 500 as
`storytrace dedup` passes them. Three in eight texts are not ASCII, so every batch takes
the slower path that lower-cases and maps typographic punctuation. It is the best of
``--repeat`` runs, by CPU time of this process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _shared import ROOT, write_result
from storytrace.dedup.minhash import signatures
from storytrace.store.db import Store

SAMPLE = ROOT / "sample"


def _cli(*args: str) -> str:
    command = [sys.executable, "-m", "storytrace.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def analyse_dedup(
    corpus: Path, db: Path, truth: list[dict]
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """(texts, group of each grouped article id, article id of each truth key)."""
    _cli("ingest", str(corpus), "--db", str(db))
    groups = json.loads(_cli("dedup", "--db", str(db), "--json"))["groups"]
    group_of = {m["id"]: g["group"] for g in groups for m in g["members"]}
    texts, id_of = [], {}
    with Store.open(db) as store:
        for batch in store.iter_articles():
            for a in batch:
                texts.append(a.text)
                for entry in truth:
                    if (entry["url"] and a.url == entry["url"]) or (
                        not entry["url"] and a.source and a.source.endswith(entry["path"])
                    ):
                        id_of[entry["key"]] = a.id
    return texts, group_of, id_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    truth = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))["articles"]
    with tempfile.TemporaryDirectory() as folder:
        texts, group_of, id_of = analyse_dedup(SAMPLE / "corpus", Path(folder) / "s.db", truth)
    copies = [e for e in truth if e["origin"] == "wire-copy"]
    found = [
        e
        for e in copies
        if group_of.get(id_of[e["key"]]) is not None
        and group_of.get(id_of[e["key"]]) == group_of.get(id_of[e["based_on"]])
    ]
    rewrites = [e for e in truth if e["origin"] == "rewrite"]
    grouped_rewrites = [e for e in rewrites if group_of.get(id_of[e["key"]])]
    batch = (texts * (20_000 // len(texts) + 1))[:20_000]
    best = float("inf")
    for _ in range(args.repeat):
        start = time.process_time()
        for i in range(0, len(batch), 500):
            signatures(batch[i : i + 500])
        best = min(best, time.process_time() - start)
    figures = {
        "wire_copies": len(copies),
        "wire_copies_grouped_with_source": len(found),
        "rewrites": len(rewrites),
        "rewrites_grouped": len(grouped_rewrites),
        "signing_texts": len(batch),
        "signing_non_ascii_share": round(sum(not t.isascii() for t in batch) / len(batch), 3),
        "signing_texts_per_cpu_s": round(len(batch) / best),
    }
    print(figures)
    write_result("sample_dedup", figures, "python benchmarks/sample_dedup.py")


if __name__ == "__main__":
    main()
