"""How long ``compare`` takes, cold (a fresh ``storytrace compare`` process) and warm, per backend.

    python benchmarks/compare_speed.py [--runs 5] [--cold 3] [--words 5000] [--backends onnx,torch]

Both CPU time (all threads of the process) and wall time are reported, each as the median
with the lowest and highest run: the machines this runs on are shared, so wall time mostly
measures the neighbours, and CPU time is the figure to compare.

Backends (``STORYTRACE_EMBED_BACKEND``): ``onnx`` is MiniLM on ONNX Runtime, ``torch`` the
sentence-transformers path that was the only one before, as the "before" figures. The ONNX
conversion, done once per model package, is timed apart in a first process; ``STORYTRACE_CACHE``
points at benchmarks/cache/models so the user's cache is left alone.

- cold: ``storytrace compare A B --json`` run ``--cold`` times in fresh processes, for the
  seed pair, the seed pair with ``--no-nlp``, and the long pair. Figures: process CPU and
  wall from start to exit; startup CPU, which is the CPU spent before the first input is
  read (interpreter start, imports) plus the spaCy load and the MiniLM load (each timed in
  the thread that does it, since spaCy loads in the parse thread while MiniLM loads in the
  main one); and whether torch was imported at all.
- warm: one process per backend loads both models (timed: MiniLM, then spaCy), runs each
  case once untimed and ``--runs`` times timed, with the default options and with
  ``CompareOptions(entities=False)``.

Every run is split into phases by wrapping the functions ``compare`` calls: reading the
inputs, segmentation, spaCy load and parse, entities and quotes, model load, embedding,
alignment (its own time, embedding excluded) and the rest (similarity, numbers, JSON).

Cases: the seed pair (../shared/seeds, two plain-text articles) and a long pair built here
from the sample corpus. Its articles (read with ``read_path``, in file order, exact repeats
dropped) are dealt round-robin into three piles; text A is piles 0 and 1 in corpus order,
text B piles 0 and 2 in reverse order, each filled paragraph by paragraph up to ``--words``.
So the two share the pile-0 passages, in a different order, and differ in the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _shared import CACHE, ROOT, SHARED, need, peak_rss_mb, write_result

MODEL_CACHE = CACHE / "models"
# (module, function, phase): what compare calls, looked up at call time, so wrapping the
# module attribute catches every call.
PHASES = (
    ("storytrace.ingest", "load_article", "read"),
    ("storytrace.comparison", "segment", "segment"),
    ("storytrace.nlp.pipeline", "get_nlp", "spacy_load"),
    ("storytrace.nlp.pipeline", "parse", "spacy_parse"),
    ("storytrace.nlp.entities", "entities_from_doc", "entities_quotes"),
    ("storytrace.nlp.descriptors", "descriptors_for", "entities_quotes"),
    ("storytrace.nlp.quotes", "quotes_from_doc", "entities_quotes"),
    ("storytrace.comparison", "match_quotes", "entities_quotes"),
    ("storytrace.comparison", "compare_entities", "entities_quotes"),
    ("storytrace.embed", "get_encoder", "model_load"),
    ("storytrace.embed", "encode_with_tokens", "embed"),
    ("storytrace.comparison", "align_lexical", "align"),
    ("storytrace.comparison", "align", "align"),
)


def process_cpu() -> float:
    """CPU seconds of this process since it started, every thread, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Phases:
    """Exclusive CPU and wall time per phase: a wrapped call inside another is not counted
    twice (embedding inside alignment counts as embedding). CPU is the calling thread's,
    so the parse thread's phases and the main thread's are told apart; their wall times
    overlap, and ``other`` (what no phase covers) can be negative for that reason."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.wall: dict[str, float] = {}
        self.local = threading.local()  # compare parses in a second thread: a stack each
        self.first_read_cpu: float | None = None

    @property
    def stack(self) -> list[list[float]]:
        if not hasattr(self.local, "stack"):
            self.local.stack = []
        return self.local.stack

    def wrap(self, module_name: str, name: str, phase: str) -> None:
        module = importlib.import_module(module_name)
        inner = getattr(module, name)

        @functools.wraps(inner)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if phase == "read" and self.first_read_cpu is None:
                self.first_read_cpu = process_cpu()
            start_cpu, start_wall = time.thread_time(), time.perf_counter()
            self.stack.append([0.0, 0.0])  # time spent in wrapped calls below this one
            try:
                return inner(*args, **kwargs)
            finally:
                cpu = time.thread_time() - start_cpu
                wall = time.perf_counter() - start_wall
                nested_cpu, nested_wall = self.stack.pop()
                self.cpu[phase] = self.cpu.get(phase, 0.0) + cpu - nested_cpu
                self.wall[phase] = self.wall.get(phase, 0.0) + wall - nested_wall
                if self.stack:
                    self.stack[-1][0] += cpu
                    self.stack[-1][1] += wall

        timed.__wrapped_phase__ = True  # type: ignore[attr-defined]
        if not getattr(inner, "__wrapped_phase__", False):
            setattr(module, name, timed)

    def install(self) -> None:
        for module_name, name, phase in PHASES:
            self.wrap(module_name, name, phase)

    def reset(self) -> None:
        self.cpu.clear()
        self.wall.clear()

    def split(self, total_cpu: float, total_wall: float) -> dict[str, dict[str, float]]:
        """Each phase's CPU and wall seconds, and ``other`` for what no phase covers."""
        out = {p: {"cpu": self.cpu[p], "wall": self.wall.get(p, 0.0)} for p in self.cpu}
        out["other"] = {
            "cpu": total_cpu - sum(self.cpu.values()),
            "wall": total_wall - sum(self.wall.values()),
        }
        return out


def spread(values: list[float], digits: int = 3) -> dict[str, float]:
    """Median, lowest and highest of some runs."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def median_phases(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    names = sorted({p for run in runs for p in run})
    return {
        p: {
            k: round(statistics.median(r.get(p, {}).get(k, 0.0) for r in runs), 3)
            for k in ("cpu", "wall")
        }
        for p in names
    }


# -- the cases ------------------------------------------------------------------------------


def corpus_articles() -> list[str]:
    """Texts of the sample-corpus articles, in a fixed order, exact repeats dropped."""
    from storytrace.ingest import read_path
    from storytrace.model import Article

    texts: dict[str, None] = {}
    for path in sorted((ROOT / "sample" / "corpus").rglob("*")):
        if path.is_file():
            for item in read_path(path):
                if isinstance(item, Article) and item.text.strip():
                    texts.setdefault(item.text.strip(), None)
    return list(texts)


def fill(articles: list[str], words: int) -> tuple[str, int]:
    """Paragraphs of ``articles`` in order until ``words`` words; the text and articles used."""
    lines: list[str] = []
    count = used = 0
    for text in articles:
        used += 1
        for line in text.split("\n"):
            if line.strip():
                lines.append(line)
                count += len(line.split())
            if count >= words:
                return "\n".join(lines), used
    return "\n".join(lines), used


def long_pair(words: int) -> tuple[str, str, dict[str, int]]:
    """Two texts of about ``words`` words that share some articles' passages but not all."""
    articles = corpus_articles()
    pile = [n % 3 for n in range(len(articles))]
    a_order = [n for n in range(len(articles)) if pile[n] in (0, 1)]
    b_order = [n for n in reversed(range(len(articles))) if pile[n] in (0, 2)]
    text_a, used_a = fill([articles[n] for n in a_order], words)
    text_b, used_b = fill([articles[n] for n in b_order], words)
    shared = set(a_order[:used_a]) & set(b_order[:used_b])
    info = {
        "corpus_articles": len(articles),
        "words_a": len(text_a.split()),
        "words_b": len(text_b.split()),
        "articles_a": used_a,
        "articles_b": used_b,
        "articles_in_both": len(shared),
    }
    return text_a, text_b, info


# -- child processes ------------------------------------------------------------------------


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    with Path(os.devnull).open("w") as sink, contextlib.redirect_stdout(sink):
        yield


def child_cold(a: str, b: str, no_nlp: bool, out: Path) -> None:
    """One ``storytrace compare A B --json`` as the console script runs it, split in phases."""
    phases = Phases()
    phases.install()
    from storytrace.cli import main

    start_wall = time.perf_counter()
    with quiet_stdout():
        status = main(["compare", a, b, "--json", *(["--no-nlp"] if no_nlp else [])])
    if status != 0:
        raise SystemExit(f"compare exited {status}")
    from storytrace.embed import get_encoder

    total_cpu = process_cpu()
    record = {
        "cpu_s": total_cpu,
        "wall_in_process_s": time.perf_counter() - start_wall,
        "cpu_before_read_s": phases.first_read_cpu,
        "spacy_load_cpu_s": phases.cpu.get("spacy_load", 0.0),
        "model_load_cpu_s": phases.cpu.get("model_load", 0.0),
        "phases": phases.split(total_cpu, 0.0),
        "backend": get_encoder().backend,
        "torch_imported": "torch" in sys.modules,
        "sentence_transformers_imported": "sentence_transformers" in sys.modules,
    }
    out.write_text(json.dumps(record))


def child_warm(a: str, b: str, long_a: str, long_b: str, runs: int, out: Path) -> None:
    """Model loads, then every case ``runs`` times in this one process."""
    phases = Phases()
    phases.install()
    from storytrace.comparison import CompareOptions, compare
    from storytrace.embed import get_encoder
    from storytrace.ingest import load_article
    from storytrace.nlp.pipeline import get_nlp

    record: dict[str, Any] = {}
    for name, load in (("model_load_minilm", get_encoder), ("model_load_spacy", get_nlp)):
        cpu, wall = time.process_time(), time.perf_counter()
        load()
        record[name] = {
            "cpu": round(time.process_time() - cpu, 3),
            "wall": round(time.perf_counter() - wall, 3),
        }
    record["backend"] = get_encoder().backend
    cases = {
        "seed_pair": (load_article(Path(a)), load_article(Path(b))),
        "long_pair": (load_article(Path(long_a)), load_article(Path(long_b))),
    }
    cpu, wall = time.process_time(), time.perf_counter()
    compare(*cases["seed_pair"])
    record["first_compare_seed_pair"] = {
        "cpu": round(time.process_time() - cpu, 3),
        "wall": round(time.perf_counter() - wall, 3),
    }
    for name, (x, y) in cases.items():
        for suffix, options in (
            ("", CompareOptions()),
            ("_no_entities", CompareOptions(entities=False)),
        ):
            compare(x, y, options)  # untimed: warms caches of this case
            cpus, walls, splits = [], [], []
            for _ in range(runs):
                phases.reset()
                cpu, wall = time.process_time(), time.perf_counter()
                compare(x, y, options)
                cpus.append(time.process_time() - cpu)
                walls.append(time.perf_counter() - wall)
                splits.append(phases.split(cpus[-1], walls[-1]))
            record[name + suffix] = {
                "cpu_s": spread(cpus),
                "wall_s": spread(walls),
                "phases_median_s": median_phases(splits),
            }
    record["peak_rss_mb"] = round(peak_rss_mb(), 1)
    out.write_text(json.dumps(record))


def run_child(args: list[str], backend: str) -> tuple[dict[str, Any], float]:
    """Run this script as a child with ``args``; its JSON record and its wall time."""
    out = CACHE / f"compare_speed_child_{os.getpid()}.json"
    env = {
        **os.environ,
        "STORYTRACE_EMBED_BACKEND": backend,
        "STORYTRACE_CACHE": str(MODEL_CACHE),
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args, "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"child {args[:2]} failed:\n{proc.stderr[-2000:]}")
    if proc.stderr.strip():
        print(proc.stderr.strip(), file=sys.stderr)
    record = json.loads(out.read_text())
    out.unlink()
    return record, wall


def ensure_converted(backend: str) -> dict[str, Any] | None:
    """Convert the model once for the ONNX backend, timed; None when nothing was converted."""
    if backend != "onnx":
        return None
    code = (
        "import json, sys, time, resource\n"
        "from storytrace.embed import get_encoder\n"
        "from storytrace.embed_onnx import onnx_path\n"
        "from storytrace.embed import model_dir\n"
        "fresh = not onnx_path(*model_dir()).exists()\n"
        "w = time.perf_counter(); e = get_encoder()\n"
        "u = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(json.dumps({'converted': fresh, 'backend': e.backend,"
        " 'cpu': u.ru_utime + u.ru_stime, 'wall': time.perf_counter() - w}))\n"
    )
    env = {**os.environ, "STORYTRACE_EMBED_BACKEND": "onnx", "STORYTRACE_CACHE": str(MODEL_CACHE)}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    record = json.loads(proc.stdout)
    if record["backend"] != "onnx":
        raise SystemExit(f"the ONNX backend did not start: {proc.stderr.strip()}")
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in record.items()}


def cold_figures(records: list[dict[str, Any]], walls: list[float]) -> dict[str, Any]:
    return {
        "cpu_s": spread([r["cpu_s"] for r in records], 2),
        "wall_s": spread(walls, 2),
        "cpu_before_read_s": spread([r["cpu_before_read_s"] or 0.0 for r in records], 2),
        "startup_cpu_s": spread(
            [
                (r["cpu_before_read_s"] or 0.0) + r["spacy_load_cpu_s"] + r["model_load_cpu_s"]
                for r in records
            ],
            2,
        ),
        "phases_cpu_median_s": {
            p: round(statistics.median(r["phases"].get(p, {}).get("cpu", 0.0) for r in records), 3)
            for p in sorted({p for r in records for p in r["phases"]})
        },
        "backend": sorted({r["backend"] for r in records}),
        "torch_imported": any(r["torch_imported"] for r in records),
        "sentence_transformers_imported": any(r["sentence_transformers_imported"] for r in records),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed warm runs per case (median)")
    parser.add_argument("--cold", type=int, default=3, help="fresh processes per cold case")
    parser.add_argument("--words", type=int, default=5000, help="length of each long text")
    parser.add_argument("--backends", default="onnx,torch", help="comma-separated, in run order")
    parser.add_argument("--child", choices=("cold", "warm"), help=argparse.SUPPRESS)
    parser.add_argument("--no-nlp", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "cold":
        child_cold(*args.files, args.no_nlp, args.out)
        return
    if args.child == "warm":
        child_warm(*args.files, args.runs, args.out)
        return

    seeds = sorted(need(SHARED / "seeds").glob("*.txt"))
    if len(seeds) != 2:
        raise SystemExit(f"expected two seed files in {SHARED / 'seeds'}, found {len(seeds)}")
    text_a, text_b, info = long_pair(args.words)
    CACHE.mkdir(parents=True, exist_ok=True)
    long_files = [CACHE / "compare_long_a.txt", CACHE / "compare_long_b.txt"]
    for path, text in zip(long_files, (text_a, text_b), strict=True):
        path.write_text(text + "\n", encoding="utf-8")
    seed_files = [str(p) for p in seeds]
    long_names = [str(p) for p in long_files]

    figures: dict[str, Any] = {
        "seed_pair_words": [len(Path(p).read_text().split()) for p in seed_files],
        "long_pair": info,
        "runs": args.runs,
        "cold_runs": args.cold,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    cold_cases = {
        "seed_pair": (seed_files, []),
        "seed_pair_no_nlp": (seed_files, ["--no-nlp"]),
        "long_pair": (long_names, []),
    }
    for backend in args.backends.split(","):
        entry: dict[str, Any] = {"conversion": ensure_converted(backend), "cold": {}}
        for name, (files, extra) in cold_cases.items():
            records, walls = [], []
            for _ in range(args.cold):
                record, wall = run_child(["--child", "cold", *extra, *files], backend)
                records.append(record)
                walls.append(wall)
            entry["cold"][name] = cold_figures(records, walls)
        warm, _ = run_child(
            ["--child", "warm", "--runs", str(args.runs), *seed_files, *long_names], backend
        )
        entry["warm"] = warm
        figures[backend] = entry
    figures["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    command = "python benchmarks/compare_speed.py"
    for flag, value, default in (
        ("--runs", args.runs, 5),
        ("--cold", args.cold, 3),
        ("--words", args.words, 5000),
        ("--backends", args.backends, "onnx,torch"),
    ):
        if value != default:
            command += f" {flag} {value}"
    write_result("compare_speed", figures, command)


if __name__ == "__main__":
    main()
