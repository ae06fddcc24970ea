"""Runs corpus stages: pure functions over a batch of records.

    run_stage(stage, batches, workers=None) -> iterator of results, in input order

A stage is a module-level function ``stage(batch) -> results`` with no I/O and no global
state, so the same function runs in a local process pool now and on Spark later.
"""

from storytrace.engine.local import run_stage

__all__ = ["run_stage"]
