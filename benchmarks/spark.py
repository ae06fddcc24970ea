"""The same corpus through the local engine, Spark on local[2] and a standalone cluster.

    python benchmarks/spark.py --articles 100000 [--keep DIR] [--skip-cluster]
    python benchmarks/spark.py --runs cluster-2,cluster-1 --against OLD/local   # rerun some

A generated corpus (``corpusgen``: planted stories, copies and outlets) is written as 16
JSONL files, so both engines can read in parallel. Each run is ``storytrace run`` without
quotes (their cost is one spaCy parse per article, measured apart on a small sample) in a
fresh process, with a sampler summing the resident memory of every process it spawns
(driver, JVMs, Python workers) every 0.2 s. Per job (read, dedup, reuse, stories, write)
the wall time is the sum of its steps; throughput per core is articles / (seconds x
cores). The runs:

    local      LocalEngine, 2 worker processes
    spark      SparkEngine on local[2]
    cluster-2  a standalone master and two one-core workers on 127.0.0.1
    cluster-1  the same with one worker (scaling)

Every Spark run's tables are compared with the local run's, row for row. From the per-core
rates a projection for 100M articles on N executors is printed next to published figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _shared import ROOT, write_result
from corpusgen import CorpusGenerator

sys.path.insert(0, str(ROOT / "tests"))

CHILD = r"""
import json, sys, time
from storytrace.pipeline.jobs import RunOptions
from storytrace.pipeline.run import make_engine, run
kind, out, master = sys.argv[1], sys.argv[2], sys.argv[3] or None
inputs = sys.argv[4:]
last = [time.perf_counter()]
jobs = {}
def step(name, message):
    now = time.perf_counter()
    job = name.split("/")[0].replace("write ", "write")
    job = "write" if name.startswith("write") else job
    jobs[job] = jobs.get(job, 0.0) + now - last[0]
    last[0] = now
start = time.perf_counter()
engine = make_engine(kind, out, master=master, progress=step,
                     conf={"spark.executor.memory": "1g"} if kind == "spark" else None)
started = time.perf_counter() - start
last[0] = time.perf_counter()
summary = run(engine, inputs, RunOptions(quotes=False))
engine.close()
print(json.dumps({"jobs": {k: round(v, 1) for k, v in jobs.items()}, "start_s": round(started, 1),
                  "wall_s": round(time.perf_counter() - start, 1), "tables": summary.tables}))
"""


class TreeMemory:
    """Peak of the summed RSS of a process and all its descendants, sampled."""

    def __init__(self, roots: list[int]) -> None:
        import psutil

        self.psutil = psutil
        self.roots = roots
        self.peak = 0
        self.by_kind: dict[str, int] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _kind(self, proc) -> str:
        try:
            line = " ".join(proc.cmdline())
        except Exception:  # the process ended between the listing and the look
            return "gone"
        if "CoarseGrainedExecutorBackend" in line:
            return "executor_jvm"
        if "deploy.worker" in line or "deploy.master" in line:
            return "cluster_daemons"
        if "java" in line:
            return "driver_jvm"
        if "pyspark.daemon" in line or "pyspark.worker" in line:
            return "python_workers"
        return "driver_python"

    def _loop(self) -> None:
        while not self.done.is_set():
            total, kinds = 0, {}
            for pid in self.roots:
                try:
                    root = self.psutil.Process(pid)
                    procs = [root, *root.children(recursive=True)]
                except self.psutil.Error:
                    continue
                for proc in procs:
                    try:
                        rss = proc.memory_info().rss
                    except self.psutil.Error:
                        continue
                    total += rss
                    kind = self._kind(proc)
                    kinds[kind] = kinds.get(kind, 0) + rss
            self.peak = max(self.peak, total)
            for kind, rss in kinds.items():
                self.by_kind[kind] = max(self.by_kind.get(kind, 0), rss)
            time.sleep(0.2)

    def __enter__(self) -> TreeMemory:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()

    def report(self) -> dict[str, float]:
        return {
            "peak_total_mb": round(self.peak / 2**20),
            **{f"peak_{k}_mb": round(v / 2**20) for k, v in self.by_kind.items()},
        }


def write_inputs(folder: Path, n: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "_complete"
    files = [folder / f"part-{i:02d}.jsonl" for i in range(16)]
    if not marker.exists():
        handles = [f.open("w", encoding="utf-8") for f in files]
        for i, record in enumerate(CorpusGenerator(n, 11)):
            handles[i % 16].write(json.dumps(record) + "\n")
        for handle in handles:
            handle.close()
        marker.touch()
    return [str(f) for f in files]


def one_run(
    kind: str, out: Path, inputs: list[str], master: str = "", extra_roots: list[int] | None = None
) -> dict:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, kind, str(out), master, *inputs],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    with TreeMemory([proc.pid, *(extra_roots or [])]) as memory:
        stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result.update(memory.report())
    return result


def same_tables(a: Path, b: Path) -> bool:
    from conftest import assert_same_tables

    try:
        assert_same_tables(a, b)
    except AssertionError as exc:
        print("tables differ:", str(exc)[:300])
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--keep", help="keep the generated corpus in DIR")
    parser.add_argument("--skip-cluster", action="store_true")
    parser.add_argument(
        "--runs",
        default="local,spark,cluster-2,cluster-1",
        help="which runs, comma-separated (a rerun of some on a quieter machine)",
    )
    parser.add_argument(
        "--against",
        type=Path,
        help="a finished local run's --out to compare with, when --runs leaves out local",
    )
    args = parser.parse_args()
    wanted = set(args.runs.split(","))
    if args.skip_cluster:
        wanted -= {"cluster-2", "cluster-1"}
    from storytrace.engine.cluster import StandaloneCluster

    work = Path(tempfile.mkdtemp(prefix="st-spark-"))
    inputs = write_inputs(Path(args.keep or work / "corpus") / str(args.articles), args.articles)
    runs: dict[str, dict] = {}
    local = work / "local"
    if "local" in wanted:
        runs["local"] = one_run("local", local, inputs)
        print("local", runs["local"], flush=True)
    elif args.against is None:
        raise SystemExit("--runs without local needs --against LOCAL_OUT")
    else:
        local = args.against
    if "spark" in wanted:
        runs["spark"] = one_run("spark", work / "spark", inputs, "local[2]")
        runs["spark"]["same_tables_as_local"] = same_tables(local, work / "spark")
        print("spark", runs["spark"], flush=True)
    for workers in (2, 1):
        if f"cluster-{workers}" in wanted:
            with StandaloneCluster(workers=workers, cores=1, memory="3g") as cluster:
                daemons = [p.pid for p in cluster.processes]
                name = f"cluster-{workers}"
                runs[name] = one_run("spark", work / name, inputs, cluster.url, daemons)
            runs[name]["same_tables_as_local"] = same_tables(local, work / name)
            print(name, runs[name], flush=True)
    cores = {"local": 2, "spark": 2, "cluster-2": 2, "cluster-1": 1}
    for name, result in runs.items():
        result["articles_per_s"] = round(args.articles / result["wall_s"], 1)
        result["per_core_articles_per_s"] = {
            job: round(args.articles / (seconds * cores[name]), 1)
            for job, seconds in result["jobs"].items()
            if seconds
        }
    if "spark" in runs and "local" in runs:
        runs["spark_over_local"] = round(runs["spark"]["wall_s"] / runs["local"]["wall_s"], 2)
    if "cluster-1" in runs and "cluster-2" in runs:
        runs["two_workers_speed_up"] = round(
            runs["cluster-1"]["wall_s"] / runs["cluster-2"]["wall_s"], 2
        )
    command = (
        f"python benchmarks/spark.py --articles {args.articles} --runs {','.join(sorted(wanted))}"
    )
    write_result("spark", runs, command)


if __name__ == "__main__":
    main()
