"""Shared fixtures: where the sample corpus and ../shared live, and a CLI runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample"
SHARED = Path(os.environ.get("STORYTRACE_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def seed_pair() -> tuple[Path, Path]:
    folder = shared_path("seeds")
    a, b = sorted(folder.glob("*.txt"))[:2]
    return a, b


@pytest.fixture(scope="session")
def truth() -> dict:
    return json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))


class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self) -> object:
        return json.loads(self.out)


@pytest.fixture(scope="session")
def cli():
    """Run ``storytrace ARGS`` in a fresh process, as a user would."""

    def run(*args: str, cwd: Path | None = None, timeout: float = 300) -> CliResult:
        env = {**os.environ, "COLUMNS": "160"}
        env.pop("STORYTRACE_DEBUG", None)
        proc = subprocess.run(
            [sys.executable, "-m", "storytrace.cli", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            timeout=timeout,
            check=False,
        )
        return CliResult(proc)

    return run
