"""The same jobs on Spark: identical tables to the local engine, retries, resumes, refusals.

One Spark session (``local[2,3]``: two cores, a task may be tried three times) serves the
module; it starts with one injected failure per job in the near-duplicate verification
stage, so the parity test also proves a retried task changes nothing. The corpus is
generated (about 2,000 articles with planted copies, rewrites and stories) and mixed with
the sample corpus and a few broken files, so every table has rows to compare.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE, assert_same_tables, read_tables

pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java (.ci/run installs a JRE)", allow_module_level=True)

from storytrace.engine.local import LocalEngine
from storytrace.pipeline.jobs import RunOptions
from storytrace.pipeline.run import run
from storytrace.pipeline.schemas import OUTPUT_TABLES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def failures(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("failures")


@pytest.fixture(scope="module")
def spark(failures):
    from storytrace.engine.spark import FAIL_MARK, FAIL_ONCE, session

    os.environ[FAIL_ONCE] = "verify"  # read when the session's JVM starts
    os.environ[FAIL_MARK] = str(failures)
    try:
        spark = session("local[2,3]", {"spark.sql.shuffle.partitions": "2"})
    finally:
        os.environ.pop(FAIL_ONCE)
        os.environ.pop(FAIL_MARK)
    yield spark
    spark.stop()


def spark_engine(spark, out: Path):
    from storytrace.engine.spark import SparkEngine

    return SparkEngine(out / "_work", out, spark=spark)


def test_spark_writes_the_tables_the_local_engine_writes(
    spark, parity_corpus, parity_local_out, tmp_path, failures
):
    out = tmp_path / "spark"
    summary = run(spark_engine(spark, out), [str(parity_corpus)], RunOptions())
    assert_same_tables(parity_local_out, out)
    tables = read_tables(out)
    assert all(tables[name].num_rows for name in OUTPUT_TABLES), {
        n: t.num_rows for n, t in tables.items()
    }
    assert summary.tables["dup_groups"] > 50 and summary.tables["passages"] > 500
    assert list(failures.iterdir()), "no task failure was injected, so no retry was proved"


def test_rejections_have_the_same_reasons_on_both_engines(parity_local_out):
    reasons = pq.read_table(parity_local_out / "rejections").column("reason").to_pylist()
    assert any("gzip" in r for r in reasons) and any("empty" in r for r in reasons)
    assert any("invalid JSON" in r for r in reasons) and any("record id" in r for r in reasons)


def test_components_match_the_local_union_find(spark, tmp_path):
    draw = random.Random(4)
    nodes = [f"n{i:03d}" for i in range(300)]
    edges = [(draw.choice(nodes), draw.choice(nodes)) for _ in range(260)]
    edges += [(f"c{i}", f"c{i + 1}") for i in range(40)]  # a long chain: many rounds
    table = pa.table({"src": [a for a, _ in edges], "dst": [b for _, b in edges]})
    local = LocalEngine(tmp_path / "lw", tmp_path / "lo", workers=1)
    want = local.collect(local.components("cc", local.source("edges", table))).sort_by("node")
    engine = spark_engine(spark, tmp_path / "so")
    got = engine.collect(engine.components("cc", engine.source("edges", table))).sort_by("node")
    assert got.to_pylist() == want.to_pylist()
    assert {r["component"] for r in want.to_pylist() if r["node"].startswith("c")} == {"c0"}


def test_a_finished_run_is_refused_unless_overwritten(
    spark, parity_corpus, parity_local_out, tmp_path
):
    from storytrace.errors import ConfigError

    out = tmp_path / "again"
    shutil.copytree(parity_local_out, out)
    with pytest.raises(ConfigError, match="finished run"):
        run(spark_engine(spark, out), [str(parity_corpus)], RunOptions())
    with pytest.raises(ConfigError, match="finished run"):
        run(LocalEngine(out / "_work", out), [str(parity_corpus)], RunOptions())


def test_an_interrupted_spark_run_resumes_from_its_finished_steps(spark, tmp_path):
    """Stopped while writing its tables, a run is resumed by the next one: every step and
    every table already written is reused, and the tables come out the same."""
    inputs = [str(SAMPLE / "corpus")]
    local = tmp_path / "local"
    run(LocalEngine(local / "_work", local, workers=1), inputs, RunOptions(quotes=False))
    out = tmp_path / "resume"
    engine = spark_engine(spark, out)
    written = []
    write = engine.write

    def write_then_stop(table, data, order):
        if len(written) == 3:
            raise KeyboardInterrupt  # as if killed here
        written.append(table)
        return write(table, data, order)

    engine.write = write_then_stop
    with pytest.raises(KeyboardInterrupt):
        run(engine, inputs, RunOptions(quotes=False))
    assert json.loads((out / "_storytrace.json").read_text())["state"] == "running"
    steps: list[str] = []
    again = spark_engine(spark, out)
    again.progress = lambda step, message: steps.append(f"{step}: {message}")
    summary = run(again, inputs, RunOptions(quotes=False))
    assert summary.resumed
    assert steps and all("done earlier" in s for s in steps if not s.startswith("write"))
    assert sum("done earlier" in s for s in steps if s.startswith("write")) == 3
    assert_same_tables(local, out)


def test_missing_java_is_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(Path(sys.executable).parent)  # this venv only: no java on it
    env["JAVA_HOME"] = str(tmp_path / "no-java")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "storytrace.cli",
            "run",
            "--engine",
            "spark",
            "--input",
            str(SAMPLE / "corpus"),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "Java" in proc.stderr and "openjdk" in proc.stderr


def test_missing_pyspark_says_what_to_install(monkeypatch):
    from storytrace.engine import spark as spark_module
    from storytrace.errors import ConfigError

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails
    with pytest.raises(ConfigError, match=r"pip install 'storytrace\[spark\]'"):
        spark_module.check_spark()
