"""Independent tasks run serially, on local processes or on a Dask cluster, with nothing
lost when a worker dies.

A task is a plain function of its arguments (a replication of a plan, or of a place of a
region), so one lost with a worker is run again and gives the same result
(docs/experiments.md, "Replications in parallel"):

- local processes: a worker that dies breaks the pool; the tasks it had not returned run
  again, once, on a fresh pool; a second break is one clear error;
- Dask: the scheduler reruns a lost task (a nanny restarts its worker), up to its
  ``allowed-failures``; a cluster with no worker for `worker_timeout` seconds is an error
  rather than a wait for ever;
- Ctrl-C (any exception) stops the pool's processes, or cancels the tasks on the cluster,
  before it reaches the caller.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from placesim.errors import PlacesimError

__all__ = ["WORKER_TIMEOUT_S", "Work", "run_tasks"]

WORKER_TIMEOUT_S = 60.0
"""Seconds a Dask cluster may have no worker before a run stops (`worker_timeout`).

Long enough for a nanny or a job scheduler to replace a worker that died (a restart takes
a few seconds), short enough that a cluster that lost every worker says so within a minute.
"""


@dataclass(frozen=True)
class Work:
    """How to speak of the tasks in messages."""

    noun: str
    """What the tasks are, in the plural: ``replications``, ``place replications``."""
    name: Callable[[int], str]
    """Task i in words: ``replication 3``."""
    resume: str = "or use a machine with more memory"
    """The last piece of advice when a pool breaks twice."""


def run_tasks(
    job: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    finished: Callable[[int, Any], None],
    work: Work,
    *,
    workers: int = 1,
    client: Any = None,
    worker_timeout: float = WORKER_TIMEOUT_S,
) -> None:
    """Run ``job(*tasks[i])`` for every i, calling ``finished(i, result)`` as each completes
    (in task order when serial, in any order otherwise)."""
    if not tasks:
        return
    if client is not None:
        _on_dask(job, tasks, finished, work, client, worker_timeout)
    elif workers == 1 or len(tasks) == 1:
        for i, args in enumerate(tasks):
            finished(i, job(*args))
    else:
        _in_processes(job, tasks, finished, work, workers)


def _in_processes(
    job: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    finished: Callable[[int, Any], None],
    work: Work,
    workers: int,
) -> None:
    """Tasks on a pool of local processes; a pool that breaks is replaced once.

    A worker process that dies (the OOM killer's SIGKILL, say) breaks the whole pool:
    ``concurrent.futures`` fails every task it had not returned. Those run again on a
    fresh pool; a second broken pool is one clear error.
    """
    done: set[int] = set()
    for _ in range(2):
        left = [i for i in range(len(tasks)) if i not in done]
        if _pool(job, tasks, left, min(workers, len(left)), finished, done):
            return
    raise PlacesimError(
        f"a worker process died twice (killed by the system, most often for lack of "
        f"memory), with {len(tasks) - len(done)} of {len(tasks)} {work.noun} not finished: "
        f"use fewer workers (--workers), keep no per-stay table (--no-stays), {work.resume}"
    )


def _ignore_interrupts() -> None:
    """Worker processes leave Ctrl-C to the parent, which stops them (see `stop_pool`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool(
    job: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    left: Sequence[int],
    workers: int,
    finished: Callable[[int, Any], None],
    done: set[int],
) -> bool:
    """Run tasks `left` on a new pool; False if the pool broke before all were done.

    On any exception (a task's own error, Ctrl-C) the pool is stopped at once: queued
    tasks are cancelled and the worker processes terminated and reaped, so none is left
    running.
    """
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)
    broken = False
    try:
        futures: dict[Future[Any], int] = {}
        try:
            for i in left:
                futures[pool.submit(job, *tasks[i])] = i
        except BrokenProcessPool:  # a worker died while the rest were being submitted
            broken = True
        for future in as_completed(futures):
            try:
                result = future.result()
            except BrokenProcessPool:
                broken = True  # keep collecting the tasks that did finish
                continue
            done.add(futures[future])
            finished(futures[future], result)
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    return not broken


def stop_pool(pool: ProcessPoolExecutor, grace_s: float = 2.0) -> None:
    """Cancel what is queued on `pool`, terminate its worker processes and reap them."""
    processes = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def _on_dask(
    job: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    finished: Callable[[int, Any], None],
    work: Work,
    client: Any,
    worker_timeout: float,
) -> None:
    """Tasks on a Dask cluster.

    Tasks lost with a worker that dies are the scheduler's to rerun when a worker is back
    (a nanny restarts its worker; up to ``distributed.scheduler.allowed-failures`` deaths
    per task, then ``KilledWorker``). A task that raises is not retried: it would raise
    again. What Dask cannot do is notice that no worker is left, so while the run waits it
    checks, and a cluster with no worker for `worker_timeout` seconds is an error.
    """
    from dask.distributed import as_completed as dask_completed

    columns = [list(column) for column in zip(*tasks, strict=True)]
    futures = client.map(job, *columns, pure=False)
    where = {future.key: i for i, future in enumerate(futures)}
    left = len(futures)
    every = min(1.0, worker_timeout)
    try:
        pending: Any = dask_completed(  # type: ignore[no-untyped-call]
            futures, loop=client.loop, with_results=True, raise_errors=False
        )
        checked = time.monotonic()
        while not pending.is_empty():
            batch = pending.next_batch(block=False)
            for future, result in batch:
                i = where[future.key]
                if future.status != "finished":
                    _raise_dask_error(future, result, work.name(i))
                finished(i, result)
                future.release()  # the workers may let the result go
                left -= 1
            if batch:
                continue
            if time.monotonic() - checked >= every:
                _require_workers(client, worker_timeout, left, len(futures), work.noun)
                checked = time.monotonic()
            time.sleep(0.02)
    except BaseException:
        _cancel(client, futures)
        raise


def _require_workers(client: Any, timeout: float, left: int, n: int, noun: str) -> None:
    """Return once the cluster has a worker; a PlacesimError if it has none for `timeout` s."""
    if client.nthreads():
        return
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        address = getattr(client.scheduler, "address", "the scheduler")
        raise PlacesimError(
            f"no Dask worker has been connected to {address} for {timeout:g} s, with {left} "
            f"of {n} {noun} not finished: start workers (dask worker {address}), or "
            "wait longer for them (worker_timeout)"
        ) from None


def _raise_dask_error(future: Any, result: Any, name: str) -> None:
    """Raise the error of a task that failed on the cluster."""
    from distributed.scheduler import KilledWorker

    if future.status == "error":
        _, error, trace = result
        if isinstance(error, KilledWorker):
            deaths = error.allowed_failures + 1
            raise PlacesimError(
                f"{name}: the Dask workers running it died {deaths} "
                f"time{'s' * (deaths != 1)} (most often for lack of memory): give the workers "
                "more memory, or keep no per-stay table (--no-stays)"
            ) from None
        raise error.with_traceback(trace)
    raise PlacesimError(f"{name} was cancelled on the Dask cluster")


def _cancel(client: Any, futures: list[Any]) -> None:
    """Cancel the tasks still queued or running on the cluster (best effort)."""
    with contextlib.suppress(Exception):  # the cluster may be why the run is stopping
        client.cancel(futures)
