"""A Spark standalone cluster on this machine: one master and N workers on 127.0.0.1.

For tests and benchmarks that need executors in their own JVMs and shuffles over the
network, without a Spark installation: the pyspark wheel has no start scripts, but its
``bin/spark-class`` launches the Master and Worker classes directly.

    with StandaloneCluster(workers=2, cores=1) as cluster:
        run ... --engine spark --master cluster.url
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from storytrace.errors import ConfigError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StandaloneCluster:
    """Start with ``with``; ``url`` is the master to give ``--master``."""

    def __init__(
        self, workers: int = 2, cores: int = 1, memory: str = "2g", start_timeout: float = 120
    ) -> None:
        self.workers, self.cores, self.memory = workers, cores, memory
        self.start_timeout = start_timeout
        self.port, self.ui = free_port(), free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.folder = Path(tempfile.mkdtemp(prefix="storytrace-cluster-"))

    def _spawn(self, args: list[str], name: str) -> None:
        from storytrace.engine.spark import check_spark

        check_spark()
        import pyspark

        home = Path(pyspark.__file__).parent
        env = {
            **os.environ,
            "SPARK_HOME": str(home),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable),
        }
        with (self.folder / f"{name}.log").open("wb") as log:  # the child keeps its own copy
            self.processes.append(
                subprocess.Popen(
                    [str(home / "bin" / "spark-class"), *args],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # the whole JVM tree stops with one signal
                )
            )

    def alive_workers(self) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ui}/json/", timeout=2) as response:
                state = json.load(response)
        except OSError:
            return 0
        return sum(w.get("state") == "ALIVE" for w in state.get("workers", []))

    def __enter__(self) -> StandaloneCluster:
        self._spawn(
            [
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--webui-port",
                str(self.ui),
            ],
            "master",
        )
        for n in range(self.workers):
            self._spawn(
                [
                    "org.apache.spark.deploy.worker.Worker",
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    str(self.cores),
                    "--memory",
                    self.memory,
                    "--webui-port",
                    str(free_port()),
                    "--work-dir",
                    str(self.folder / f"work{n}"),
                    self.url,
                ],
                f"worker{n}",
            )
        deadline = time.monotonic() + self.start_timeout
        while self.alive_workers() < self.workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                self.stop()
                raise ConfigError(f"the Spark cluster did not start (logs in {self.folder})")
            time.sleep(0.5)
        return self

    def stop(self) -> None:
        for process in reversed(self.processes):  # workers first, then the master
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes = []

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
