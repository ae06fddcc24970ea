"""Reliability under hostile input: every bad input refused or read within 10 s and 500 MB,
none stopping an ingest; kill -9 survived with no row lost; no injected script executed.

    python benchmarks/reliability.py [--bomb-mb 2300] [--kills 10] [--skip-browser]

Inputs come from ``tests/reliability/hostile.py`` (generated, not committed), with the
decompression bombs at full size (2.3 GB once inflated, as in the report that opened
issue 12). Each input goes alone through ``ingest`` and ``extract`` in a fresh process;
wall time and peak RSS (the process tree, from ``wait4``) are recorded, along with any
traceback, internal error or hang (past 60 s). Then ``ingest`` and ``analyse`` are killed
with SIGKILL at seeded random moments and rerun, and the store is compared row for row
with one built without interruption. Last, hostile records (script URLs, markup in titles
and outlets) are turned into the static reports and the served pages, every link is
clicked in chromium, and any dialog counts as an executed payload.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _shared import ROOT, write_result

sys.path.insert(0, str(ROOT / "tests" / "reliability"))
from hostile import GOOD_BODY, write_hostile

CLI = [sys.executable, "-m", "storytrace.cli"]
AIM_SECONDS, AIM_MB, HANG_SECONDS = 10.0, 500.0, 60.0


def _measure(args: list[str]) -> dict:
    """Run one command; wall seconds, peak RSS of its process tree, and how it ended."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*CLI, *args], stdout=out, stderr=err, start_new_session=True)
        hung = False
        deadline = start + HANG_SECONDS
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                hung = True
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "exit": code,
        "traceback": "Traceback" in stderr or "internal error" in stderr,
        "hung": hung,
        "stderr_lines": stderr.count("\n"),
    }


def inputs(folder: Path, bomb_mb: int) -> list[dict]:
    expect = write_hostile(folder, bomb_mb=bomb_mb)
    long_a, long_b = folder / "long-a.txt", folder / "long-b.txt"
    words = (GOOD_BODY * 80_000)[:9_500_000]
    long_a.write_text("Long A\n\n" + words)
    long_b.write_text("Long B\n\n" + words[::-1])
    rows = []
    for name in sorted(expect):
        path = folder / name
        db = folder.parent / "one.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        ingest = _measure(["ingest", str(path), "--db", str(db), "--json"])
        extract = _measure(["extract", str(path)])
        rows.append(
            {"input": name, "ingest": ingest, "extract": extract, "note": expect[name].note}
        )
    rows.append(
        {
            "input": "compare of two 9.5 MB texts",
            "compare": _measure(["compare", str(long_a), str(long_b)]),
            "note": "refused by the word budget",
        }
    )
    return rows


def _table(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


ARTICLES = "SELECT id, source, title, text, published, outlet FROM articles ORDER BY id"
RESULTS_SQL = {
    "dup_groups": "SELECT article_id, group_id FROM dup_groups ORDER BY article_id",
    "passages": "SELECT a_id, b_id, kind, a_start, a_end, b_start, b_end FROM passages"
    " ORDER BY a_id, b_id, a_start, b_start, kind",
    "stories": "SELECT story_id, article_id FROM story_articles ORDER BY article_id",
    "quotes": "SELECT article_id, start, end, speaker FROM quotes ORDER BY article_id, start",
}


def _kill(args: list[str], delay: float) -> bool:
    proc = subprocess.Popen(
        [*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    time.sleep(delay)
    running = proc.poll() is None
    if running:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return running


def kills(work: Path, count: int) -> dict:
    corpus = work / "corpus"
    shutil.copytree(ROOT / "sample" / "corpus", corpus / "sample")
    lines = [
        json.dumps({"id": f"k{i}", "title": f"Quay {i}", "text": f"{GOOD_BODY * 5} Report {i}."})
        for i in range(20_000)
    ]
    (corpus / "reports.jsonl").write_text("\n".join(lines) + "\n")
    clean = work / "clean.db"
    subprocess.run(
        [*CLI, "ingest", str(corpus), "--db", str(clean)], capture_output=True, check=True
    )
    want = set(_table(clean, ARTICLES))
    draw = random.Random(2026)
    db = work / "killed.db"
    survived = 0
    for _ in range(count):
        if _kill(["ingest", str(corpus), "--db", str(db)], draw.uniform(0.5, 6.0)):
            survived += 1
            if db.exists():
                _table(db, ARTICLES)  # integrity after each kill
    subprocess.run([*CLI, "ingest", str(corpus), "--db", str(db)], capture_output=True, check=True)
    got = set(_table(db, ARTICLES))
    sample = work / "sample.db"
    subprocess.run(
        [*CLI, "ingest", str(ROOT / "sample" / "corpus"), "--db", str(sample)],
        capture_output=True,
        check=True,
    )
    clean_a = work / "clean-analysed.db"
    shutil.copy(sample, clean_a)
    subprocess.run([*CLI, "analyse", "--db", str(clean_a)], capture_output=True, check=True)
    want_a = {k: _table(clean_a, q) for k, q in RESULTS_SQL.items()}
    killed_a = work / "killed-analysed.db"
    shutil.copy(sample, killed_a)
    analyse_kills = 0
    for _ in range(max(1, count // 2)):
        if _kill(["analyse", "--db", str(killed_a)], draw.uniform(1.0, 8.0)):
            analyse_kills += 1
    subprocess.run([*CLI, "analyse", "--db", str(killed_a)], capture_output=True, check=True)
    got_a = {k: _table(killed_a, q) for k, q in RESULTS_SQL.items()}
    return {
        "ingest_kills": survived,
        "ingest_rows_lost": len(want - got),
        "ingest_rows_extra": len(got - want),
        "analyse_kills": analyse_kills,
        "analyse_tables_differing": sorted(k for k in want_a if want_a[k] != got_a[k]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-mb", type=int, default=2300)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="st-reliability-"))
    try:
        rows = inputs(work / "hostile", args.bomb_mb)
        runs = [r[k] for r in rows for k in ("ingest", "extract", "compare") if k in r]
        figures: dict = {
            "inputs": len(rows),
            "runs": len(runs),
            "tracebacks": sum(r["traceback"] for r in runs),
            "hangs": sum(r["hung"] for r in runs),
            "over_10s": sum(r["seconds"] > AIM_SECONDS for r in runs),
            "over_500mb": sum(r["peak_mb"] > AIM_MB for r in runs),
            "max_seconds": max(r["seconds"] for r in runs),
            "max_peak_mb": max(r["peak_mb"] for r in runs),
            "per_input": rows,
            "kills": kills(work / "kills", args.kills),
        }
        if not args.skip_browser:
            from payloads import run_payloads

            figures["payloads"] = run_payloads(work / "payloads")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_result(
        "reliability",
        figures,
        f"python benchmarks/reliability.py --bomb-mb {args.bomb_mb} --kills {args.kills}",
    )


if __name__ == "__main__":
    main()
