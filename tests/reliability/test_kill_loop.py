"""kill -9 at random moments of ``ingest`` and ``analyse``, then a rerun: the store must end
row for row the same as a store built without interruption, and pass SQLite's integrity
check after every kill.

The kill times are drawn from a seeded generator, as fractions of an uninterrupted run's
time (so a faster machine or faster code still gets killed mid-run), and a failure can be
replayed on the same machine; each loop
is bounded (a few kills of a job that takes seconds) to keep the suite quick.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile import GOOD_BODY

from conftest import SAMPLE

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")

# What each table must hold identically after a clean run and after kills and reruns
# (timestamps of when a row was written are left out: they differ by design).
TABLES = {
    "articles": "SELECT id, record_id, source, url, outlet, title, published, language, authors,"
    " stripped, meta, text, words FROM articles ORDER BY id",
    "rejections": "SELECT source, reason FROM rejections ORDER BY source, reason",
    "files": "SELECT path, size, mtime, records FROM files ORDER BY path",
}
ANALYSIS = {
    "dup_groups": "SELECT article_id, group_id, canonical, round(similarity, 6) FROM dup_groups"
    " ORDER BY article_id",
    "passages": "SELECT a_id, b_id, kind, a_start, a_end, b_start, b_end, round(score, 6)"
    " FROM passages ORDER BY a_id, b_id, a_start, b_start, kind",
    "stories": "SELECT s.headline, s.first, s.last, s.size, sa.article_id FROM stories s"
    " JOIN story_articles sa ON sa.story_id = s.id ORDER BY sa.article_id",
    "quotes": "SELECT article_id, start, end, text, speaker, speaker_resolved, cue, direct"
    " FROM quotes ORDER BY article_id, start, end",
    "entities": "SELECT article_id, name, label, mentions, descriptors FROM entities"
    " ORDER BY article_id, name, label",
}


def _corpus(folder: Path) -> Path:
    """The sample corpus plus a JSONL file big enough to be parsed by the process pool."""
    shutil.copytree(SAMPLE / "corpus", folder / "sample")
    rows = []
    for i in range(9000):
        rows.append(
            json.dumps(
                {"id": f"k{i}", "title": f"Quay report {i}", "text": f"{GOOD_BODY * 5} Report {i}."}
            )
        )
        if i % 500 == 7:
            rows.append('{"id": "torn", "text": ')
    (folder / "reports.jsonl").write_text("\n".join(rows) + "\n")
    return folder


def _snapshot(db: Path, queries: dict[str, str]) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {name: conn.execute(sql).fetchall() for name, sql in queries.items()}
    finally:
        conn.close()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storytrace.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _kill_after(args: list[str], delay: float) -> bool:
    """Start the command, kill -9 it after ``delay`` seconds; True when it was still running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "storytrace.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the kill reaches its pool workers too
    )
    time.sleep(delay)
    running = proc.poll() is None
    if running:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return running


def test_killed_ingest_resumes_to_the_same_store_row_for_row(tmp_path):
    corpus_dir = _corpus(tmp_path / "in")
    clean = tmp_path / "clean.db"
    started = time.monotonic()
    assert _run("ingest", str(corpus_dir), "--db", str(clean)).returncode == 1  # torn lines
    took = time.monotonic() - started  # kills fall inside a whole run, however fast it is
    want = _snapshot(clean, TABLES)
    killed = tmp_path / "killed.db"
    draw = random.Random(12)
    kills = 0
    for _ in range(4):
        if _kill_after(
            ["ingest", str(corpus_dir), "--db", str(killed)], draw.uniform(0.15, 0.7) * took
        ):
            kills += 1
            if killed.exists():
                _snapshot(killed, TABLES)  # consistent after every kill
    assert kills >= 1, "every ingest finished before it could be killed"
    done = _run("ingest", str(corpus_dir), "--db", str(killed))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert _snapshot(killed, TABLES) == want


def test_killed_analyse_resumes_to_the_same_results(tmp_path):
    base = tmp_path / "base.db"
    assert _run("ingest", str(SAMPLE / "corpus"), "--db", str(base)).returncode == 0
    clean = tmp_path / "clean.db"
    shutil.copy(base, clean)
    started = time.monotonic()
    assert _run("analyse", "--db", str(clean)).returncode == 0
    took = time.monotonic() - started  # kills fall inside a whole run, however fast it is
    want = _snapshot(clean, ANALYSIS)
    assert all(want.values()), {k: len(v) for k, v in want.items()}
    killed = tmp_path / "killed.db"
    shutil.copy(base, killed)
    draw = random.Random(5)
    kills = 0
    for _ in range(3):
        if _kill_after(["analyse", "--db", str(killed)], draw.uniform(0.15, 0.7) * took):
            kills += 1
            _snapshot(killed, ANALYSIS)
    assert kills >= 1, "every analyse finished before it could be killed"
    done = _run("analyse", "--db", str(killed))
    assert done.returncode == 0, done.stderr
    assert _snapshot(killed, ANALYSIS) == want
