"""Reliability under hostile input: every bad input refused or read within 10 s and 500 MB,
none stopping an ingest; kill -9 survived with no row lost; no injected script executed.

    python benchmarks/reliability.py [--bomb-mb 2300] [--kills 10] [--skip-browser]

Inputs come from ``tests/reliability/hostile.py`` (generated, not committed), with the
decompression bombs at full size (2.3 GB once inflated, as in the report that opened
issue 12). Each input goes alone through ``ingest`` and ``extract`` in a fresh process;
recorded are the wall time, the peak RSS of the largest process (``wait4``, through a
small launcher, see ``_LAUNCHER``), the sampled peak of the whole process tree, what
``ingest`` read and refused (checked against what the hostile corpus expects), and any
traceback, internal error or hang (past 60 s). The whole folder then goes through one
``ingest``, which must read every good record in it. Then ``ingest`` and ``analyse`` are
killed with SIGKILL at seeded random moments and rerun, and each store is compared row for
row with one built without interruption. Last, ``payloads.py`` turns script and markup
payloads into the static reports and the served pages and clicks every link in chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from _shared import ROOT, write_result

sys.path.insert(0, str(ROOT / "tests" / "reliability"))
from hostile import GOOD_BODY, Expect, write_hostile

CLI = [sys.executable, "-m", "storytrace.cli"]
AIM_SECONDS, AIM_MB, HANG_SECONDS = 10.0, 500.0, 60.0


# Runs each measured command and reports its peak RSS. A child started straight from this
# process would not do: subprocess starts children with vfork, and Linux counts the memory
# of the image a child replaces at exec in its peak, so every figure would read at least
# this process's own RSS (65 MB with numpy loaded). This launcher is a bare ``python -S``
# of about 8 MB, measured once and reported as ``launcher_floor_mb``.
_LAUNCHER = """
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""

PAGE = os.sysconf("SC_PAGE_SIZE")


def _session_rss_mb(session: int) -> float:
    """Summed RSS of every live process in ``session``: the command and its pool workers
    (pages shared after fork are counted in each, so this is an upper bound)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) == session:  # the session id, 6th field of stat
                total += int((entry / "statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone between listing and reading
    return total * PAGE / (1 << 20)


def _measure(args: list[str], command: list[str] | None = None) -> dict:
    """Run one command: wall seconds, peak RSS of its largest process (``wait4``), the
    sampled peak of its whole process tree, and how it ended."""
    start = time.perf_counter()
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r") as report,
    ):
        launcher = os.posix_spawn(
            sys.executable,
            [sys.executable, "-S", "-c", _LAUNCHER, report.name, *(command or [*CLI, *args])],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
            ],
            setsid=True,  # its own session and process group: one kill ends the tree
        )
        hung, tree_mb = False, 0.0
        deadline = start + HANG_SECONDS
        while True:
            pid, status, _ = os.wait4(launcher, os.WNOHANG)
            if pid:
                break
            tree_mb = max(tree_mb, _session_rss_mb(launcher))
            if time.perf_counter() > deadline:
                os.killpg(launcher, signal.SIGKILL)
                hung = True
                _, status, _ = os.wait4(launcher, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        out.seek(0)
        stdout = out.read(1 << 20).decode("utf-8", "replace")
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        reported = report.read().split()  # nothing when the command was killed as hung
    peak_mb = int(reported[0]) / 1024 if reported else tree_mb
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(peak_mb, 1),
        "tree_mb": round(max(tree_mb, peak_mb), 1),
        "exit": int(reported[1]) if reported else os.waitstatus_to_exitcode(status),
        "traceback": "Traceback" in stderr or "internal error" in stderr,
        "hung": hung,
        "stderr_lines": stderr.count("\n"),
        "said": stderr.strip().splitlines()[-1][:300] if stderr.strip() else "",
        "stdout": stdout,
    }


def launcher_floor_mb() -> float:
    """What the launcher itself adds to every peak (its image, counted as above)."""
    return _measure([], command=[shutil.which("true") or "/bin/true"])["peak_mb"]


def _ingest_outcome(run: dict, expect: Expect) -> dict:
    """What ``ingest --json`` reported for one input, and whether it is what the hostile
    corpus says that input should give (its articles read, every rejection naming why)."""
    try:
        summary = json.loads(run.pop("stdout"))
    except ValueError:
        return {"read": None, "rejected": None, "as_expected": False}
    read = summary["added"] + summary["duplicates"] + summary["resumed"]
    reasons = [r["reason"] for r in summary["rejected"]]
    reads_ok = read >= expect.reads if expect.at_least else read == expect.reads
    reason_ok = expect.reason is None or (
        bool(reasons) and all(expect.reason in r for r in reasons)
    )
    return {"read": read, "rejected": reasons, "as_expected": reads_ok and reason_ok}


def inputs(folder: Path, bomb_mb: int) -> tuple[list[dict], dict]:
    """Each hostile input alone through ``ingest`` and ``extract``, the 9.5 MB compare, and
    then the whole folder in one ``ingest``, which no input may stop."""
    expect = write_hostile(folder, bomb_mb=bomb_mb)
    long_a, long_b = folder.parent / "long-a.txt", folder.parent / "long-b.txt"
    words = (GOOD_BODY * 80_000)[:9_500_000]
    long_a.write_text("Long A\n\n" + words)
    long_b.write_text("Long B\n\n" + words[::-1])
    db = folder.parent / "one.db"
    rows = []
    for name in sorted(expect):
        path = folder / name
        _remove(db)
        ingest = _measure(["ingest", str(path), "--db", str(db), "--json"])
        outcome = _ingest_outcome(ingest, expect[name])
        extract = _measure(["extract", str(path)])
        extract.pop("stdout")
        row = {
            "input": name,
            "size_bytes": path.lstat().st_size,
            "ingest": ingest,
            "outcome": outcome,
            "extract": extract,
            "note": expect[name].note,
        }
        # ``extract`` shows one article: of a file of several it only counts them and asks
        # for FILE#N, so each record is extracted too, the hostile one among them
        held = re.search(r"holds (\d+) records", extract["said"])
        if held:
            records = []
            for n in range(1, int(held.group(1)) + 1):
                records.append(_measure(["extract", f"{path}#{n}"]))
                records[-1].pop("stdout")
            row["extract_records"] = records
        rows.append(row)
    compare = _measure(["compare", str(long_a), str(long_b)])
    compare.pop("stdout")
    rows.append(
        {
            "input": "compare of two 9.5 MB texts",
            "size_bytes": long_a.stat().st_size,
            "compare": compare,
            "note": "refused by the word budget",
        }
    )
    _remove(db)
    whole = _measure(["ingest", str(folder), "--db", str(db), "--json"])
    summary = json.loads(whole.pop("stdout") or "null") or {}
    floor = sum(e.reads for e in expect.values())
    folder_run = {
        **whole,
        "files": summary.get("files"),
        "read": sum(summary.get(k, 0) for k in ("added", "duplicates", "resumed")),
        "expected_reads": floor,  # a floor: a damaged file may give more than it must
        "reads_one_by_one": sum(r["outcome"]["read"] or 0 for r in rows if "outcome" in r),
        "rejected": len(summary.get("rejected", [])),
        "articles_in_store": summary.get("articles_in_store"),
    }
    _remove(db)
    return rows, folder_run


def _table(db: Path, sql: str) -> Counter[tuple]:
    """The rows of a query, counted: a row written twice is one too many."""
    conn = sqlite3.connect(db)
    try:
        return Counter(conn.execute(sql).fetchall())
    finally:
        conn.close()


def _intact(db: Path) -> bool:
    """SQLite's own integrity check passes (a store the kill came before counts as intact)."""
    if not db.exists():
        return True
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


ARTICLES = {"articles": "SELECT id, source, title, text, published, outlet FROM articles"}
RESULTS_SQL = {
    "dup_groups": "SELECT article_id, group_id FROM dup_groups",
    "passages": "SELECT a_id, b_id, kind, a_start, a_end, b_start, b_end FROM passages",
    "stories": "SELECT story_id, article_id FROM story_articles",
    "quotes": "SELECT article_id, start, end, speaker FROM quotes",
}


def _run(args: list[str]) -> float:
    """Run the CLI to the end; its wall seconds."""
    start = time.perf_counter()
    subprocess.run([*CLI, *args], capture_output=True, check=True)
    return time.perf_counter() - start


def _kill(args: list[str], delay: float) -> bool:
    """Start the CLI and SIGKILL its process group after ``delay`` seconds; False when it
    had already finished, so no kill landed."""
    proc = subprocess.Popen(
        [*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    time.sleep(delay)
    running = proc.poll() is None
    if running:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return running


class KillLoop:
    """Kill one job ``count`` times at seeded random moments, rerunning after each kill.

    A kill lands only while the job runs; a rerun that resumes a nearly finished store ends
    before the next drawn moment, so each run that finishes unkilled is compared with the
    clean store and the loop starts again from ``reset()``. Every one of the ``count``
    kills therefore hits a running job, and every store the loop leaves is compared.
    """

    def __init__(
        self, args: list[str], db: Path, tables: dict[str, str], want: dict[str, Counter[tuple]]
    ) -> None:
        self.args, self.db, self.tables, self.want = args, db, tables, want
        self.lost = self.extra = self.not_intact = self.finished = 0
        self.differing: set[str] = set()

    def compare(self) -> None:
        got = {k: _table(self.db, q) for k, q in self.tables.items()}
        for k in self.tables:
            self.lost += sum((self.want[k] - got[k]).values())
            self.extra += sum((got[k] - self.want[k]).values())
            if got[k] != self.want[k]:
                self.differing.add(k)

    def run(
        self, count: int, seconds: float, draw: random.Random, reset: Callable[[], None]
    ) -> dict:
        reset()
        landed = attempts = 0
        while landed < count and attempts < 10 * count:
            attempts += 1
            if _kill(self.args, draw.uniform(0.1, 0.95) * seconds):
                landed += 1
                self.not_intact += not _intact(self.db)
            else:
                self.finished += 1
                self.compare()
                reset()
        _run(self.args)  # the rerun after the last kill
        self.finished += 1
        self.compare()
        return {
            "kills": landed,
            "attempts": attempts,
            "clean_run_seconds": round(seconds, 2),
            "runs_compared": self.finished,
            "not_intact_after_kill": self.not_intact,
            "rows_lost": self.lost,
            "rows_extra": self.extra,
            "tables_differing": sorted(self.differing),
        }


def _remove(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def kills(work: Path, count: int) -> dict:
    """kill -9 loops over ``ingest`` (the sample corpus and 20,000 JSONL records) and
    ``analyse`` (the sample corpus), each compared row for row with an uninterrupted run."""
    corpus = work / "corpus"
    shutil.copytree(ROOT / "sample" / "corpus", corpus / "sample")
    lines = [
        json.dumps({"id": f"k{i}", "title": f"Quay {i}", "text": f"{GOOD_BODY * 5} Report {i}."})
        for i in range(20_000)
    ]
    (corpus / "reports.jsonl").write_text("\n".join(lines) + "\n")
    draw = random.Random(2026)

    clean = work / "clean.db"
    ingest_seconds = _run(["ingest", str(corpus), "--db", str(clean)])
    db = work / "killed.db"
    ingest = KillLoop(
        ["ingest", str(corpus), "--db", str(db)],
        db,
        ARTICLES,
        {k: _table(clean, q) for k, q in ARTICLES.items()},
    ).run(count, ingest_seconds, draw, lambda: _remove(db))

    sample = work / "sample.db"
    _run(["ingest", str(ROOT / "sample" / "corpus"), "--db", str(sample)])
    clean_a = work / "clean-analysed.db"
    shutil.copy(sample, clean_a)
    analyse_seconds = _run(["analyse", "--db", str(clean_a)])
    killed_a = work / "killed-analysed.db"

    def fresh_sample() -> None:
        _remove(killed_a)
        shutil.copy(sample, killed_a)

    analyse = KillLoop(
        ["analyse", "--db", str(killed_a)],
        killed_a,
        RESULTS_SQL,
        {k: _table(clean_a, q) for k, q in RESULTS_SQL.items()},
    ).run(count, analyse_seconds, draw, fresh_sample)
    return {"ingest": ingest, "analyse": analyse}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-mb", type=int, default=2300)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="st-reliability-"))
    try:
        floor = launcher_floor_mb()
        rows, folder_run = inputs(work / "hostile", args.bomb_mb)
        runs = [r[k] for r in rows for k in ("ingest", "extract", "compare") if k in r]
        runs += [one for r in rows for one in r.get("extract_records", [])]
        figures: dict = {
            "inputs": len(rows),
            "runs": len(runs),
            "tracebacks": sum(r["traceback"] for r in runs),
            "hangs": sum(r["hung"] for r in runs),
            "over_10s": sum(r["seconds"] > AIM_SECONDS for r in runs),
            "over_500mb": sum(r["tree_mb"] > AIM_MB for r in runs),
            "not_as_expected": [
                r["input"] for r in rows if not r.get("outcome", {}).get("as_expected", True)
            ],
            "max_seconds": max(r["seconds"] for r in runs),
            "max_peak_mb": max(r["peak_mb"] for r in runs),
            "max_tree_mb": max(r["tree_mb"] for r in runs),
            "launcher_floor_mb": floor,
            "per_input": rows,
            "whole_folder_ingest": folder_run,
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
