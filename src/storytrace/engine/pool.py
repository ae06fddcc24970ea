"""The local engine: a process pool that streams batches with bounded memory.

At most ``workers * 2`` batches are in flight, so a corpus of any size passes through in
constant memory; results come back in input order so the caller can commit them in order.
With one worker (or one batch) the stage runs in this process, which keeps small jobs and
tests free of start-up cost.

A stage that needs a large read-only value (a vocabulary, a model's settings) takes it as
``shared``: it is sent to each worker process once, when the worker starts, instead of
with every batch (what Spark calls a broadcast variable).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


def default_workers() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


_SHARED: Any = None  # the value broadcast to this worker process


class FromPool:
    """Stands in a task for the broadcast value, which the worker already holds."""


def shared_value() -> Any:
    """The value broadcast to this process (see ``start_worker``)."""
    return _SHARED


def set_shared(value: Any) -> None:
    """Hold ``value`` as this process's broadcast (for tasks run in this process)."""
    global _SHARED
    _SHARED = value


def start_worker(value: Any) -> None:
    """Worker set-up: keep the broadcast value, and die with the parent.

    A parent killed outright (kill -9, the OOM killer) cannot shut its pool down, and its
    workers would otherwise wait for work forever; a small thread notices the parent is
    gone and ends the worker.
    """
    global _SHARED
    _SHARED = value
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="storytrace-parent-watch", daemon=True).start()


def _with_shared(stage: Callable[[In, Any], Out], batch: In) -> Out:
    return stage(batch, _SHARED)


def run_stage(
    stage: Callable[..., Out],
    batches: Iterable[In],
    workers: int | None = None,
    in_flight: int | None = None,
    shared: Any = None,
) -> Iterator[Out]:
    """Apply ``stage`` to every batch, yielding results in order.

    With ``shared``, the stage is called as ``stage(batch, shared)``.
    """
    workers = workers or default_workers()
    if workers <= 1:
        for batch in batches:
            yield stage(batch) if shared is None else stage(batch, shared)
        return
    limit = in_flight or workers * 2
    pending: deque[Future[Out]] = deque()
    with ProcessPoolExecutor(
        max_workers=workers, initializer=start_worker, initargs=(shared,)
    ) as pool:
        for batch in batches:
            if shared is None:
                pending.append(pool.submit(stage, batch))
            else:
                pending.append(pool.submit(_with_shared, stage, batch))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
