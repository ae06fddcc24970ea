"""The same run on a real Spark standalone cluster: a master and two one-core workers on
127.0.0.1, executors in their own JVMs, shuffles over the network. Its tables must be the
local engine's, row for row."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import assert_same_tables

pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java (.ci/run installs a JRE)", allow_module_level=True)

pytestmark = pytest.mark.slow


def test_standalone_cluster_writes_the_local_engines_tables(
    parity_corpus, parity_local_out, tmp_path
):
    from storytrace.engine.cluster import StandaloneCluster

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
                "--input",
                str(parity_corpus),
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
    assert summary["engine"] == "spark" and summary["tables"]["articles"] > 2000
    assert "Traceback" not in proc.stderr
    assert_same_tables(parity_local_out, out)
