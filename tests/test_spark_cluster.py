"""The same run on a real Spark standalone cluster: a master and two one-core workers on
127.0.0.1, executors in their own JVMs, shuffles over the network. Its tables must be the
local engine's, row for row. (A smaller corpus than the parity test's, and no quotes: the
parity of every table on 2,000 articles is tests/test_spark.py's; this test is about
running distributed at all.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import assert_same_tables, write_parity_corpus

pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java (.ci/run installs a JRE)", allow_module_level=True)

pytestmark = pytest.mark.slow


def test_standalone_cluster_writes_the_local_engines_tables(tmp_path):
    from storytrace.engine.cluster import StandaloneCluster
    from storytrace.engine.local import LocalEngine
    from storytrace.pipeline.jobs import RunOptions
    from storytrace.pipeline.run import run

    corpus = write_parity_corpus(tmp_path / "in", articles=600)
    local = tmp_path / "local"
    run(LocalEngine(local / "_work", local, workers=2), [str(corpus)], RunOptions(quotes=False))
    out = tmp_path / "cluster"
    with StandaloneCluster(workers=2, cores=1) as cluster:
        assert cluster.alive_workers() == 2
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "storytrace.cli",
                "run",
                "--engine",
                "spark",
                "--master",
                cluster.url,
                "--conf",
                "spark.executor.memory=1g",
                "--no-quotes",
                "--input",
                str(corpus),
                "--out",
                str(out),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=1500,
            check=False,
        )
    assert proc.returncode == 1, proc.stderr[-2000:]  # the broken files are rejections
    summary = json.loads(proc.stdout)
    assert summary["engine"] == "spark" and summary["tables"]["articles"] > 600
    assert "Traceback" not in proc.stderr
    assert_same_tables(local, out)
