"""A store this user cannot write: reading commands work, writing ones say why, in one line.

Permissions mean nothing to root, so as root the commands run as the unprivileged user
``nobody`` (through ``setpriv``); the test skips where neither is possible.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

NOBODY = 65534
TEXT = "The ferry to Orlen sailed at dawn with forty passengers, the harbour office said.\n"


def _as_user(*args: str) -> list[str]:
    command = [sys.executable, "-m", "storytrace.cli", *args]
    if os.geteuid() != 0:
        return command
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "HOME": "/tmp"}
    env.pop("STORYTRACE_DEBUG", None)
    return subprocess.run(
        _as_user(*args), capture_output=True, text=True, timeout=120, env=env, check=False
    )


@pytest.fixture()
def read_only_folder():
    if os.geteuid() == 0:
        probe = _run("--help")
        if shutil.which("setpriv") is None or probe.returncode != 0:
            pytest.skip("running as root without a way to run as an unprivileged user")
    top = Path(tempfile.mkdtemp(prefix="st-ro-", dir="/tmp"))
    folder = top / "ro"
    folder.mkdir()
    (top / "a.txt").write_text(TEXT, encoding="utf-8")
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "storytrace.cli",
            "ingest",
            str(top / "a.txt"),
            "--db",
            str(folder / "s.db"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    for path in (top, top / "a.txt", folder / "s.db"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)
    shutil.rmtree(top, ignore_errors=True)


def test_a_store_in_a_read_only_folder_is_read_and_not_written(read_only_folder):
    db = str(read_only_folder / "s.db")
    exported = _run("export", "--table", "articles", "--db", db)
    assert exported.returncode == 0, exported.stderr
    assert "ferry to Orlen" in exported.stdout

    for command in (("dedup",), ("analyse",)):
        refused = _run(*command, "--db", db)
        assert refused.returncode != 0
        assert "read-only" in refused.stderr and "Traceback" not in refused.stderr
        assert refused.stderr.strip().count("\n") == 0, refused.stderr

    created = _run(
        "ingest", str(read_only_folder.parent / "a.txt"), "--db", str(read_only_folder / "new.db")
    )
    assert created.returncode != 0 and "its folder is read-only" in created.stderr
    assert not (read_only_folder / "new.db").exists()
    assert sorted(p.name for p in read_only_folder.iterdir()) == ["s.db"]  # nothing written
