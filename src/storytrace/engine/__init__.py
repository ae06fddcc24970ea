"""Engines run corpus jobs: the same pure stages on a laptop or on a Spark cluster.

Engine, Stage, Dataset     the contract (storytrace.engine.contract)
LocalEngine                a process pool over Arrow files on disk
SparkEngine                PySpark DataFrames (pip install storytrace[spark])
run_stage                  the plain process pool that streams batches in order
"""

from storytrace.engine.contract import FILE_SCHEMA, Dataset, Engine, Stage
from storytrace.engine.pool import run_stage

__all__ = ["FILE_SCHEMA", "Dataset", "Engine", "Stage", "run_stage"]
