"""The local engine: a process pool that streams batches with bounded memory.

At most ``workers * 2`` batches are in flight, so a corpus of any size passes through in
constant memory; results come back in input order so the caller can commit them in order.
With one worker (or one batch) the stage runs in this process, which keeps small jobs and
tests free of start-up cost.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


def default_workers() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def run_stage(
    stage: Callable[[In], Out],
    batches: Iterable[In],
    workers: int | None = None,
    in_flight: int | None = None,
) -> Iterator[Out]:
    """Apply ``stage`` to every batch, yielding results in order."""
    workers = workers or default_workers()
    if workers <= 1:
        for batch in batches:
            yield stage(batch)
        return
    limit = in_flight or workers * 2
    pending: deque[Future[Out]] = deque()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for batch in batches:
            pending.append(pool.submit(stage, batch))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
