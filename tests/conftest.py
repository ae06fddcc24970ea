"""Shared fixtures: where the sample corpus and ../shared live, and a CLI runner."""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from markup_payloads import HOSTILE_OUTLETS, HOSTILE_TITLES, HOSTILE_URLS, SAFE_URLS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample"
SHARED = Path(os.environ.get("STORYTRACE_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"

# The sentence model is converted to ONNX into a folder of this test run (inherited by the
# CLI processes the tests start), not into the user's cache: every run exercises the
# conversion and no test writes under $HOME. Set STORYTRACE_CACHE to reuse a folder.
if "STORYTRACE_CACHE" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="storytrace-test-cache-")
    os.environ["STORYTRACE_CACHE"] = _CACHE
    import atexit

    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


def analyse_store(store, run=("dedup", "reuse", "stories"), **options):
    """The corpus jobs over a store in this process, as ``storytrace analyse`` runs them."""
    from storytrace.pipeline.jobs import RunOptions
    from storytrace.pipeline.store import analyse

    return analyse(store, RunOptions(**options), tuple(run), workers=1)


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

    def run(
        *args: str, cwd: Path | None = None, timeout: float = 300, columns: int = 160
    ) -> CliResult:
        env = {**os.environ, "COLUMNS": str(columns)}
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


def chromium_or_skip() -> str:
    """Debian's chromium for Playwright, skipping the test when it is not installed."""
    chromium = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return chromium


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for a test module; each test opens its own pages."""
    chromium = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(db: Path, *options: str) -> Iterator[str]:
    """``storytrace serve --db DB OPTIONS`` in its own process; yields its base URL."""
    import socket
    import time

    port = _free_port()
    command = [sys.executable, "-m", "storytrace.cli", "serve", "--db", str(db)]
    proc = subprocess.Popen(
        [*command, "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.3)
        else:
            pytest.fail("server did not start in 60 s")
        if proc.poll() is not None:
            pytest.fail("server exited: " + proc.stderr.read().decode()[-500:])
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()


# -- a crawl that fights back ----------------------------------------------------------------
# Outlet names, urls, titles and text as a hostile or careless source might write them (the
# lists live in markup_payloads.py, which benchmarks/payloads.py also reads). Each
# outlet's copy shares one wire text, so ingest, dedup, reuse and stories tie them into one
# story with reuse between outlets (graph edges, lanes, passages).
_WIRE = (
    "The old harbour wall at Kessmouth collapsed into the sea late on Friday night after a"
    " week of storms, the harbour master said. Nobody was hurt, but three fishing boats were"
    " torn from their moorings and one sank in the outer basin. Engineers had warned the"
    " council in March that the wall needed urgent repairs costing about 2.4 million pounds."
    " The council said it would meet on Monday to decide how to make the harbour safe before"
    " the next spring tide. Residents gathered on the sea front on Saturday morning to look"
    " at the gap where the wall had stood for more than a century."
)


_OTHER_NEWS = (
    "The city orchestra opened its winter season with a new symphony by a local composer.",
    "Farmers in the valley expect a record apple harvest after a warm and dry summer.",
    "The national rail operator will raise fares by four percent from January.",
    "A new public library with a rooftop garden opened in the old market district.",
    "The football club appointed a former goalkeeper as its head coach on Tuesday.",
    "Scientists at the university mapped a colony of rare bats in the limestone caves.",
)


def hostile_records(folder: Path) -> Path:
    """A JSONL file of the hostile records above, and some unrelated news so that the words
    of the shared story stand out to the clusterer; returns its path."""
    lines = [
        json.dumps(
            {
                "title": text.split(" ", 6)[-1][:40],
                "outlet": "Elsewhere Post",
                "published": f"2026-04-1{n}T10:00:00",
                "text": " ".join([text] * 6),
            }
        )
        for n, text in enumerate(_OTHER_NEWS)
    ]
    for n, (outlet, title) in enumerate(zip(HOSTILE_OUTLETS, HOSTILE_TITLES, strict=True)):
        urls = HOSTILE_URLS + SAFE_URLS
        lead = f"Report number {n} from {outlet}: </script><img src=x onerror=alert({n})> "
        record = {
            "id": f"hostile-{n}",
            "title": title,
            "outlet": outlet,
            "url": urls[n],
            "published": f"2026-05-0{n + 1}T0{n}:30:00",
            "text": lead + _WIRE + f" Filed by desk {n}.",
        }
        lines.append(json.dumps(record))
    path = folder / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory) -> Path:
    """A store of the hostile records, through ingest, dedup, reuse and stories."""
    from storytrace import corpus
    from storytrace.store.db import Store

    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "hostile.db"
    with Store.open(db) as store:
        files, _ = corpus.expand_paths([str(hostile_records(folder))])
        corpus.ingest(store, files)
        analyse_store(store)
    return db


# -- the engines' parity corpus (tests/test_spark*.py) ------------------------------------
PARITY_ARTICLES = 2000


def write_parity_corpus(folder: Path, articles: int = PARITY_ARTICLES) -> Path:
    """Generated articles in three files (JSONL, gzip JSONL, CSV), the sample corpus, and
    broken inputs that must come out as the same rejections on both engines."""
    folder.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from corpusgen import CorpusGenerator

    records = list(CorpusGenerator(articles, 23))
    third = len(records) // 3
    (folder / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records[:third]))
    (folder / "feed.jsonl.gz").write_bytes(
        gzip.compress("".join(json.dumps(r) + "\n" for r in records[third : 2 * third]).encode())
    )
    with (folder / "archive.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "title", "text", "published", "outlet"])
        writer.writeheader()
        for r in records[2 * third :]:
            writer.writerow({k: r.get(k) for k in writer.fieldnames})
    import shutil

    shutil.copytree(SAMPLE / "corpus", folder / "sample")
    (folder / "broken.jsonl").write_text(
        '{"text": "cut off\n' + json.dumps({"id": "a5", "text": "same id, other text " * 5}) + "\n"
    )
    (folder / "empty.txt").write_bytes(b"")
    (folder / "torn.jsonl.gz").write_bytes(gzip.compress(b'{"text": "one"}\n' * 50)[:-20])
    return folder


def read_tables(out: Path) -> dict:
    import pyarrow.parquet as pq

    from storytrace.pipeline.schemas import OUTPUT_TABLES

    return {name: pq.read_table(out / name) for name in OUTPUT_TABLES}


def assert_same_tables(a: Path, b: Path) -> None:
    """Every output table of two run folders, row for row, column for column."""
    from storytrace.pipeline.schemas import OUTPUT_TABLES

    left, right = read_tables(a), read_tables(b)
    for name, (schema, _) in OUTPUT_TABLES.items():
        x = left[name].select(schema.names).cast(schema)
        y = right[name].select(schema.names).cast(schema)
        assert x.num_rows == y.num_rows, name
        if not x.equals(y):
            for i, (p, q) in enumerate(zip(x.to_pylist(), y.to_pylist(), strict=True)):
                assert p == q, (name, i, {k: (p[k], q[k]) for k in p if p[k] != q[k]})


@pytest.fixture(scope="session")
def parity_corpus(tmp_path_factory) -> Path:
    return write_parity_corpus(tmp_path_factory.mktemp("parity") / "in")


@pytest.fixture(scope="session")
def parity_local_out(parity_corpus, tmp_path_factory) -> Path:
    from storytrace.engine.local import LocalEngine
    from storytrace.pipeline.jobs import RunOptions
    from storytrace.pipeline.run import run

    out = tmp_path_factory.mktemp("local") / "out"
    engine = LocalEngine(out / "_work", out, workers=2)
    run(engine, [str(parity_corpus)], RunOptions())
    return out
