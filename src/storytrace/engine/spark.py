"""The Spark engine: the contract on PySpark 4 DataFrames, calling the very same stages.

    pip install 'storytrace[spark]'      (pyspark 4, pandas < 3; Java 17 or newer)

A map step is ``mapInArrow`` over the stage; a group step repartitions by the key, sorts
within partitions by key and order, and cuts the sorted stream into whole groups for the
stage (many small groups cost one Python call per batch, not one per group as
``applyInArrow`` would); joins and counts are Spark's own. Connected components are
large-star / small-star iterations (Kiveris et al., 2014) on DataFrames, with no JAR to
download. Every step is written to Parquet under ``work/<step>/`` and read back, which
cuts the lineage (a retried task recomputes one step, not the job) and lets a rerun skip
finished steps. Final tables are sorted with ``orderBy`` and renamed into place through
Hadoop's FileSystem API, so any path Spark can write (local, HDFS, S3) works.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from storytrace.engine.contract import (
    FILE_SCHEMA,
    Dataset,
    Engine,
    JoinHow,
    Progress,
    Stage,
)
from storytrace.engine.parts import COMPONENT_SCHEMA, joined_schema
from storytrace.engine.tables import conform, whole_group_chunks
from storytrace.errors import ConfigError

PARTITION_BYTES = 64 << 20  # compressed Parquet input of one shuffle partition
MAX_PARTITIONS = 20_000
FAIL_ONCE = "STORYTRACE_FAIL_ONCE"  # a stage name: its first task attempt raises (fault tests)
FAIL_MARK = "STORYTRACE_FAIL_MARK"  # a folder where each injected failure leaves a file
_LOG4J = Path(__file__).with_name("log4j2.properties")


@dataclass(frozen=True, slots=True)
class SparkDataset(Dataset):
    df: Any  # pyspark.sql.DataFrame
    schema: pa.Schema
    paths: tuple[str, ...] = ()  # the Parquet it is computed from, which tells its size


def check_spark() -> None:
    """One line saying what to install when pyspark or Java is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ConfigError(
            "the Spark engine needs pyspark: pip install 'storytrace[spark]'"
        ) from None
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise ConfigError(
            "the Spark engine needs Java 17 or newer; install a JRE "
            "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )


def session(master: str = "local[2]", conf: Mapping[str, str] | None = None) -> Any:
    """A SparkSession with the settings storytrace relies on (quiet, UTC, one Python)."""
    check_spark()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    loopback = master.startswith("local") or any(
        host in master for host in ("://127.0.0.1:", "://localhost:")
    )
    if loopback:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName("storytrace")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.pyspark.python", os.environ["PYSPARK_PYTHON"])
        .config("spark.executorEnv.PYSPARK_PYTHON", os.environ["PYSPARK_PYTHON"])
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{_LOG4J}")
        .config("spark.executor.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{_LOG4J}")
    )
    if loopback and not master.startswith("local"):  # a cluster on this machine
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    for name in (FAIL_ONCE, FAIL_MARK):
        if name in os.environ:
            builder = builder.config(f"spark.executorEnv.{name}", os.environ[name])
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    if "spark.sql.shuffle.partitions" not in (conf or {}):  # 200 tasks of nothing on a laptop
        spark.conf.set(
            "spark.sql.shuffle.partitions", str(max(2, spark.sparkContext.defaultParallelism))
        )
    return spark


def _spark_schema(schema: pa.Schema) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _maybe_fail(stage: Stage) -> None:
    """Fail the first attempt of the first task of ``stage`` when asked (retry tests)."""
    if os.environ.get(FAIL_ONCE) != stage.name:
        return
    from pyspark import TaskContext

    context = TaskContext.get()
    if context is not None and context.attemptNumber() == 0 and context.partitionId() == 0:
        mark = os.environ.get(FAIL_MARK)
        if mark:
            Path(mark, f"{stage.name}-{context.stageId()}-{context.taskAttemptId()}").touch()
        raise RuntimeError(f"injected failure in {stage.name} (attempt 0)")


def _batches(tables: Iterator[pa.Table]) -> Iterator[pa.RecordBatch]:
    for table in tables:
        yield from table.to_batches(max_chunksize=8192)


def _map_partition(
    batches: Iterator[pa.RecordBatch], stage: Stage, shared: Any
) -> Iterator[pa.RecordBatch]:
    _maybe_fail(stage)
    value = shared.value if shared is not None else None
    for batch in batches:
        table = pa.Table.from_batches([batch])
        for start in range(0, table.num_rows, stage.batch_rows):
            yield from _batches(stage.run(table.slice(start, stage.batch_rows), value))


def _group_partition(
    batches: Iterator[pa.RecordBatch], stage: Stage, shared: Any, key: Sequence[str]
) -> Iterator[pa.RecordBatch]:
    _maybe_fail(stage)
    value = shared.value if shared is not None else None
    tables = (pa.Table.from_batches([b]) for b in batches)
    for chunk in whole_group_chunks(tables, key, stage.batch_rows):
        yield from _batches(stage.run(chunk, value))


class SparkEngine(Engine):
    """The contract on a Spark session (``master`` is local[N] or spark://host:port)."""

    name = "spark"

    def __init__(
        self,
        work: str | Path,
        out: str | Path | None = None,
        master: str = "local[2]",
        spark: Any = None,
        progress: Progress | None = None,
        partitions: int | None = None,
        read_via_hadoop: bool = False,
        conf: Mapping[str, str] | None = None,
    ) -> None:
        self.spark = spark if spark is not None else session(master, conf)
        self._own_session = spark is None
        self.work = self._uri(work)
        self.out = self._uri(out) if out is not None else None
        self.progress = progress or (lambda step, message: None)
        cores = max(2, self.spark.sparkContext.defaultParallelism)
        self.partitions = partitions or cores
        self.read_via_hadoop = read_via_hadoop
        jvm = self.spark._jvm
        self._Path = jvm.org.apache.hadoop.fs.Path
        self._conf = self.spark._jsc.hadoopConfiguration()

    # -- Hadoop file system helpers -------------------------------------------------------
    @staticmethod
    def _uri(path: str | Path) -> str:
        text = str(path)
        return text if "://" in text or text.startswith("file:") else Path(text).resolve().as_uri()

    def _fs(self, uri: str) -> tuple[Any, Any]:
        path = self._Path(uri)
        return path.getFileSystem(self._conf), path

    def _exists(self, uri: str) -> bool:
        fs, path = self._fs(uri)
        return bool(fs.exists(path))

    def _delete(self, uri: str) -> None:
        fs, path = self._fs(uri)
        if fs.exists(path):
            fs.delete(path, True)

    def _write_text(self, uri: str, text: str) -> None:
        fs, path = self._fs(uri)
        stream = fs.create(path, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def _read_text(self, uri: str) -> str:
        fs, path = self._fs(uri)
        stream = fs.open(path)
        reader = self.spark._jvm.java.io.BufferedReader(
            self.spark._jvm.java.io.InputStreamReader(stream, "UTF-8")
        )
        try:
            lines = []
            while (line := reader.readLine()) is not None:
                lines.append(line)
            return "\n".join(lines)
        finally:
            reader.close()

    def _rename(self, src: str, dst: str) -> None:
        fs, source = self._fs(src)
        target = self._Path(dst)
        if fs.exists(target):
            fs.delete(target, True)  # rename into an existing folder would nest, not replace
        if not fs.rename(source, target):
            raise OSError(f"cannot rename {src} to {dst}")

    # -- steps ---------------------------------------------------------------------------
    def _step_uri(self, step: str) -> str:
        return f"{self.work.rstrip('/')}/{step}"

    def _done(self, step: str) -> SparkDataset | None:
        folder = self._step_uri(step)
        if not self._exists(f"{folder}/_DONE"):
            return None
        record = json.loads(self._read_text(f"{folder}/_DONE"))
        schema = pa.ipc.read_schema(pa.py_buffer(bytes.fromhex(record["schema"])))
        self.progress(step, "done earlier")
        return SparkDataset(self.spark.read.parquet(f"{folder}/data"), schema, (f"{folder}/data",))

    def _materialise(self, step: str, df: Any, schema: pa.Schema) -> SparkDataset:
        """Write the step's rows, read them back: Spark recomputes nothing upstream again."""
        folder = self._step_uri(step)
        self._delete(f"{folder}/_DONE")
        df.write.mode("overwrite").parquet(f"{folder}/data")
        back = self.spark.read.parquet(f"{folder}/data")
        record = {"schema": schema.serialize().to_pybytes().hex()}
        self._write_text(f"{folder}/_DONE", json.dumps(record))
        self.progress(step, "written")  # counting the rows would cost a job per step
        return SparkDataset(back, schema, (f"{folder}/data",))

    def _partitions_for(self, *data: SparkDataset) -> int:
        """Shuffle partitions for a step: about 64 MB of Parquet each, at least one a core.

        A fixed count would either idle a big cluster on a small step or hand one task a
        partition larger than its memory on a big one.
        """
        size = 0
        for uri in {p for d in data for p in d.paths}:
            fs, path = self._fs(uri)
            size += int(fs.getContentSummary(path).getLength())
        return max(self.partitions, min(MAX_PARTITIONS, -(-size // PARTITION_BYTES)))

    def _broadcast(self, shared: Any) -> Any:
        return self.spark.sparkContext.broadcast(shared) if shared is not None else None

    # -- the contract ----------------------------------------------------------------------
    def files(self, step: str, paths: Sequence[str]) -> tuple[SparkDataset, list[tuple[str, str]]]:
        from storytrace.ingest.paths import expand_paths, file_rows

        if (done := self._done(step)) is not None:
            return done, []
        local = [p for p in paths if "://" not in p and not p.startswith("file:")]
        remote = [p for p in paths if p not in local]
        found, bad = expand_paths(local)
        rows = file_rows(found)
        listed: list[str] = []
        for arg in remote:
            names = self._list(arg)
            if not names:
                bad.append((arg, "no such file or folder"))
            listed += names
        spark_schema = _spark_schema(FILE_SCHEMA)
        frames = []
        if self.read_via_hadoop and rows:  # the HDFS/S3 route, exercised on local files
            listed += sorted({Path(r["path"]).as_uri() for r in rows})  # whole files, no pieces
            rows = []
        if rows:
            frames.append(self.spark.createDataFrame(rows, spark_schema))
        if listed:
            from pyspark.sql import functions as sf

            content = (
                self.spark.read.format("binaryFile")
                .load(sorted(set(listed)))
                .select(
                    sf.regexp_replace(sf.col("path"), "^file:/+", "/").alias("path"),
                    sf.col("length").alias("size"),
                    sf.col("content"),
                    *[sf.lit(None).cast("long").alias(c) for c in ("start", "end", "first_line")],
                )
            )
            frames.append(content)
        df = frames[0] if frames else self.spark.createDataFrame([], spark_schema)
        for more in frames[1:]:
            df = df.unionByName(more)
        count = max(1, len(rows) + len(listed))
        # one piece a task, however many pieces a file was cut into
        df = df.repartition(min(count, 4 * self.partitions + 64), "path", "start")
        return self._materialise(step, df, FILE_SCHEMA), bad

    def _list(self, arg: str) -> list[str]:
        """Every file under a Hadoop path or glob (hidden names skipped)."""
        fs, path = self._fs(arg)
        statuses = fs.globStatus(path)
        out: list[str] = []
        for status in statuses or []:
            if status.isDirectory():
                walk = fs.listFiles(status.getPath(), True)
                while walk.hasNext():
                    item = walk.next()
                    name = item.getPath().getName()
                    if item.isFile() and not name.startswith((".", "_")):
                        out.append(item.getPath().toString())
            elif status.isFile():
                out.append(status.getPath().toString())
        return out

    def source(self, step: str, table: pa.Table, schema: pa.Schema | None = None) -> SparkDataset:
        if (done := self._done(step)) is not None:
            return done
        schema = schema or table.schema
        table = conform(table, schema)
        df = self.spark.createDataFrame(table.to_pylist(), _spark_schema(schema))
        return self._materialise(step, df, schema)

    def map(
        self, step: str, data: Dataset, stage: Stage, shared: Any = None, cheap: bool = False
    ) -> SparkDataset:
        if (done := self._done(step)) is not None:
            return done
        data = _spark(data)
        fn = functools.partial(_map_partition, stage=stage, shared=self._broadcast(shared))
        df = data.df.mapInArrow(fn, _spark_schema(stage.schema))
        if cheap:  # Spark runs it inside the steps that read it: no write, no job
            return SparkDataset(df, stage.schema, data.paths)
        return self._materialise(step, df, stage.schema)

    def group(
        self,
        step: str,
        data: Dataset,
        key: Sequence[str],
        order: Sequence[str],
        stage: Stage,
        shared: Any = None,
    ) -> SparkDataset:
        if (done := self._done(step)) is not None:
            return done
        from pyspark.sql import functions as sf

        data = _spark(data)
        ordered = data.df.repartition(self.partitions, *key).sortWithinPartitions(
            *[sf.col(c).asc_nulls_last() for c in (*key, *order)]
        )
        fn = functools.partial(
            _group_partition, stage=stage, shared=self._broadcast(shared), key=tuple(key)
        )
        df = ordered.mapInArrow(fn, _spark_schema(stage.schema))
        return self._materialise(step, df, stage.schema)

    def join(
        self,
        step: str,
        left: Dataset,
        right: Dataset,
        on: Sequence[tuple[str, str]],
        take: Mapping[str, str] | None = None,
        how: JoinHow = "inner",
    ) -> SparkDataset:
        if (done := self._done(step)) is not None:
            return done
        from pyspark.sql import functions as sf

        left, right = _spark(left), _spark(right)
        take = dict(take or {}) if how != "left_anti" else {}
        schema = joined_schema(left.schema, right.schema, take, how)
        keys = [f"__k{i}" for i in range(len(on))]
        picked = right.df.select(
            *[sf.col(r).alias(k) for k, (_, r) in zip(keys, on, strict=True)],
            *[sf.col(src).alias(dst) for src, dst in take.items()],
        )
        condition = [left.df[a] == picked[k] for k, (a, _) in zip(keys, on, strict=True)]
        kind = {"inner": "inner", "left": "left", "left_anti": "left_anti"}[how]
        joined = left.df.join(picked, on=condition, how=kind)
        df = joined.select(
            *[left.df[c] for c in left.schema.names], *[picked[c] for c in take.values()]
        )
        return self._materialise(step, df, schema)

    def count(
        self, step: str, data: Dataset, key: Sequence[str], weight: str | None = None
    ) -> SparkDataset:
        if (done := self._done(step)) is not None:
            return done
        from pyspark.sql import functions as sf

        data = _spark(data)
        grouped = data.df.groupBy(*key)
        if weight:
            df = grouped.agg(sf.sum(weight).cast("long").alias("n"))
        else:
            df = grouped.count().withColumnRenamed("count", "n")
        schema = pa.schema([*[data.schema.field(k) for k in key], ("n", pa.int64())])
        return self._materialise(step, df.select(*key, "n"), schema)

    def union(self, step: str, *data: Dataset) -> SparkDataset:
        """A union is narrow (no shuffle), so Spark runs it inside the step that reads it."""
        sets = [_spark(d) for d in data]
        names = sets[0].schema.names
        df = functools.reduce(lambda a, b: a.unionByName(b), [s.df.select(*names) for s in sets])
        return SparkDataset(df, sets[0].schema, tuple(p for d in sets for p in d.paths))

    def components(self, step: str, edges: Dataset) -> SparkDataset:
        if (done := self._done(step)) is not None:
            return done
        from storytrace.engine.spark_components import star_components

        scratch = f"{self.work.rstrip('/')}/_scratch/{step}"
        df = star_components(self.spark, _spark(edges).df, scratch)
        done = self._materialise(step, df, COMPONENT_SCHEMA)
        self._delete(scratch)
        return done

    def collect(self, data: Dataset) -> pa.Table:
        data = _spark(data)
        return conform(data.df.toArrow(), data.schema)

    def write(self, table: str, data: Dataset, order: Sequence[str]) -> int:
        from pyspark.sql import functions as sf

        if self.out is None:
            raise ValueError("this engine has no output folder")
        final = f"{self.out.rstrip('/')}/{table}"
        if self._exists(f"{final}/_SUCCESS"):
            rows = self.spark.read.parquet(final).count()
            self.progress(f"write/{table}", f"done earlier ({rows:,} rows)")
            return rows
        data = _spark(data)
        temporary = f"{self.out.rstrip('/')}/.{table}.{uuid.uuid4().hex[:8]}.tmp"
        ordered = data.df.orderBy(*[sf.col(c).asc_nulls_last() for c in order])
        ordered.write.mode("overwrite").parquet(temporary)
        self._rename(temporary, final)
        rows = self.spark.read.parquet(final).count()
        self.progress(f"write/{table}", f"{rows:,} rows")
        return rows

    # -- bookkeeping ---------------------------------------------------------------------
    def read_note(self, name: str) -> str | None:
        uri = f"{self._out_uri()}/{name}"
        return self._read_text(uri) if self._exists(uri) else None

    def write_note(self, name: str, text: str) -> None:
        temporary = f"{self._out_uri()}/.{name}.tmp"
        self._write_text(temporary, text)
        self._rename(temporary, f"{self._out_uri()}/{name}")

    def remove_output(self) -> None:
        fs, path = self._fs(self._out_uri())
        if fs.exists(path):
            work = self._Path(self.work).toUri().getPath()
            for status in fs.listStatus(path):
                if status.getPath().toUri().getPath() != work:
                    fs.delete(status.getPath(), True)
        self.remove_work()

    def remove_work(self) -> None:
        self._delete(self.work)

    def _out_uri(self) -> str:
        if self.out is None:
            raise ValueError("this engine has no output folder")
        return self.out.rstrip("/")

    def close(self) -> None:
        if self._own_session:
            self.spark.stop()


def _spark(data: Dataset) -> SparkDataset:
    if not isinstance(data, SparkDataset):
        raise TypeError(f"the Spark engine cannot read a {type(data).__name__}")
    return data
