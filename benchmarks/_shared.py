"""What every benchmark needs: where ../shared is, a cache, and how results are written."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("STORYTRACE_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"
RESULTS = ROOT / "benchmarks" / "results"
CACHE = ROOT / "benchmarks" / "cache"


def need(path: Path) -> Path:
    """Exit cleanly (status 0, one line) when a data set is not beside the checkout."""
    if not path.exists():
        print(f"skipped: {path} is not here (../shared is only beside developer checkouts)")
        sys.exit(0)
    return path


def machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.machine()}, {cpus} cores, Python {platform.python_version()}, {platform.system()}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cached_vectors(name: str, texts: list[str]) -> np.ndarray:
    """MiniLM vectors for ``texts``, kept on disk between runs of the same benchmark."""
    from storytrace.embed import encode

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}.npy"
    if path.exists():
        vectors = np.load(path)
        if len(vectors) == len(texts):
            return vectors
    vectors = encode(texts, batch_size=128)
    np.save(path, vectors)
    return vectors


def cached_units(name: str, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Sentence and word-piece vectors for ``texts``, kept on disk between runs."""
    from storytrace.embed import encode_with_tokens

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}.units.npz"
    if path.exists():
        saved = np.load(path)
        if len(saved["vectors"]) == len(texts):
            return saved["vectors"], np.split(saved["pieces"], saved["offsets"][1:-1])
    vectors, pieces = encode_with_tokens(texts, batch_size=128)
    offsets = np.cumsum([0, *[len(p) for p in pieces]])
    np.savez(path, vectors=vectors, pieces=np.concatenate(pieces), offsets=offsets)
    return vectors, pieces


def write_result(name: str, figures: dict, command: str) -> Path:
    """Save one benchmark's figures with the command, machine and date that produced them."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": name,
        "command": command,
        "machine": machine(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "figures": figures,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return path


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
