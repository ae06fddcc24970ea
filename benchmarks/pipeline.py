"""The whole corpus pipeline at scale: ingest, dedup, reuse, stories; time and peak memory.

    python benchmarks/pipeline.py --articles 10000 [--articles 100000 ...]

For each size a JSONL corpus is generated (``minhash.generate`` texts: one in ten with a
planted near-copy, one in fifty an exact copy; dates spread over 60 days; 40 outlets), then
each stage runs through the Python API in a fresh child process so peak RSS is per size.
Stories use lexical and name evidence only (no embeddings), as ``storytrace analyse`` does
by default.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _shared import write_result
from minhash import generate


def _write_corpus(path: Path, n: int) -> None:
    texts = generate(n, seed=11)
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            day = 1 + (i * 60) // n
            fh.write(
                json.dumps(
                    {
                        "id": f"a{i}",
                        "title": " ".join(text.split()[:8]).rstrip("."),
                        "text": text,
                        "published": f"2026-{1 + (day - 1) // 30:02d}-{1 + (day - 1) % 30:02d}T{i % 24:02d}:00:00",
                        "url": f"https://outlet{i % 40}.example/{i}",
                    }
                )
                + "\n"
            )


def _child(corpus: str, db: str) -> None:
    from storytrace import corpus as jobs
    from storytrace.store.db import Store

    times = {}
    with Store.open(db) as store:
        for stage, fn in (
            ("ingest", lambda: jobs.ingest(store, [Path(corpus)])),
            ("dedup", lambda: jobs.dedup(store)),
            ("reuse", lambda: jobs.reuse(store)),
            ("stories", lambda: jobs.stories(store)),
        ):
            start = time.perf_counter()
            fn()
            times[stage] = round(time.perf_counter() - start, 2)
        counts = {t: store.count(t) for t in ("articles", "dup_groups", "passages", "stories")}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": times,
                "counts": counts,
                "peak_rss_mb": round(rss, 1),
                "peak_rss_workers_mb": round(kids, 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, action="append")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    figures = {}
    for n in args.articles or [10000]:
        with tempfile.TemporaryDirectory() as tmp:
            corpus, db = Path(tmp) / "corpus.jsonl", Path(tmp) / "st.db"
            _write_corpus(corpus, n)
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(corpus), str(db)],
                capture_output=True,
                text=True,
                check=True,
            )
            wall = time.perf_counter() - start
            result = json.loads(out.stdout.strip().splitlines()[-1])
            result["articles_per_s"] = round(n / sum(result["seconds"].values()), 1)
            result["wall_s"] = round(wall, 1)
            figures[str(n)] = result
            print(n, result, flush=True)
    write_result(
        "pipeline",
        figures,
        "python benchmarks/pipeline.py "
        + " ".join(f"--articles {n}" for n in args.articles or [10000]),
    )


if __name__ == "__main__":
    main()
