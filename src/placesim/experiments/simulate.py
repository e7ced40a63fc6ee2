"""Simulate: replications of a scenario, each on its own streams of one seed, wherever they run."""

from __future__ import annotations

import contextlib
import ctypes
import math
import signal
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd

from placesim.demand import generate_episodes
from placesim.engine import check_engine, run_engine
from placesim.errors import PlacesimError, PlacesimWarning
from placesim.experiments.progress import Progress
from placesim.experiments.resources import require_memory
from placesim.measures import (
    SimulationResult,
    daily_table,
    load_warnings,
    replication_measures,
    stays_table,
    summarise,
)
from placesim.measures.tables import StayArrays
from placesim.plan import Plan, compile_plan
from placesim.scenario import (
    MAX_REPLICATIONS,
    Scenario,
    draw_inputs,
    parse_scenario,
    scenario_warnings,
)

__all__ = [
    "HEADLINE_MEASURES",
    "Replication",
    "compile_engine",
    "imprecise_measures",
    "parameter_table",
    "run_replication",
    "simulate",
]


@dataclass(frozen=True)
class Replication:
    """The tables of one replication, as computed by :func:`run_replication`."""

    stays: pd.DataFrame | None
    daily: pd.DataFrame
    measures: pd.DataFrame
    timings: dict[str, float]
    episodes: int = 0
    stays_count: int = 0
    events: int = -1  # events the fast engine processed (-1: not counted)
    parameters: dict[str, float] = field(default_factory=dict)  # uncertain input -> value


def _load_libc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc only (musl has none)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _load_libc() if sys.platform.startswith("linux") else None


def _give_back_memory() -> None:
    """Return freed heap pages to the system.

    glibc keeps the pages of numpy's many mid-sized temporaries (demand generation at
    England size leaves about 0.9 GB), so without this a large run's peak memory would be
    its live data plus that.
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def run_replication(
    plan: Plan | Scenario,
    replication: int,
    seed: int,
    *,
    engine: str = "fast",
    keep_stays: bool = True,
) -> Replication:
    """Run replication `replication` of a compiled plan (or a scenario) from root `seed`.

    A plain function of its arguments (its streams are keyed by seed and replication), so
    it gives the same tables in any process, on any worker, in any order, with either
    engine. With ``keep_stays=False`` the per-stay table is not built (``stays`` is None):
    the measures and the daily table are all that is kept, for large runs. A scenario with
    uncertain inputs first draws the replication's values of them
    (:func:`placesim.scenario.draw_inputs`), which ``parameters`` records, and is compiled
    with them; the time this takes counts as demand.
    """
    t0 = time.perf_counter()
    parameters: dict[str, float] = {}
    if isinstance(plan, Scenario):
        scenario, parameters = draw_inputs(plan, seed, replication)
        plan = compile_plan(scenario)
    episodes = generate_episodes(plan, replication, seed)
    _give_back_memory()
    t1 = time.perf_counter()
    records, events = run_engine(plan, episodes, engine)
    t2 = time.perf_counter()
    arrays = StayArrays.from_records(episodes, records)  # sorted once for both tables
    stays = stays_table(plan, episodes, records, replication) if keep_stays else None
    n_episodes = episodes.size
    del episodes  # their draws (124 bytes each) go before the measures' sorted intervals
    _give_back_memory()
    day = daily_table(plan, records, replication, arrays)
    measures = replication_measures(plan, None, records, day, replication, arrays)
    t3 = time.perf_counter()
    return Replication(
        stays=stays,
        daily=day,
        measures=measures,
        timings={"demand_s": t1 - t0, "engine_s": t2 - t1, "measures_s": t3 - t2},
        episodes=n_episodes,
        stays_count=records.size,
        events=events,
        parameters=parameters,
    )


def compile_engine() -> None:
    """Compile (or load) the fast engine now, on a one-day run of a one-place scenario: the
    same argument types as every run, so a command line can compile it before its real
    work, where a Ctrl-C can end the process at once (numba swallows an interrupt raised
    in its compiler's callbacks)."""
    tiny = parse_scenario(
        {
            "name": "compile",
            "calendar": {"start_date": "2025-01-01", "horizon_days": 1},
            "settings": {"care_home": {"capacity": 1, "los": {"kind": "fixed", "days": 1}}},
            "referrals": [{"name": "one", "setting": "care_home", "rate_per_day": 1.0}],
        }
    )
    plan = compile_plan(tiny)
    run_engine(plan, generate_episodes(plan, 0, 0), "fast")


HEADLINE_MEASURES: tuple[str, ...] = ("bed_days", "occupancy_mean", "los_mean")
"""Measures that --precision holds to its relative half-width, in every setting."""

WORKER_TIMEOUT_S = 60.0
"""Seconds a Dask cluster may have no worker before a run stops (`worker_timeout`).

Long enough for a nanny or a job scheduler to replace a worker that died (a restart takes
a few seconds), short enough that a cluster that lost every worker says so within a minute.
"""


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    *,
    workers: int = 1,
    client: Any = None,
    progress: bool | None = None,
    precision: float | None = None,
    max_replications: int = 200,
    engine: str = "fast",
    keep_stays: bool = True,
    check_memory: bool = True,
    worker_timeout: float = WORKER_TIMEOUT_S,
) -> SimulationResult:
    """Run `scenario` for `replications` replications from root `seed`.

    Replication r always gets the same streams for the same seed, so results do not depend
    on how many replications run, in which order, or where: serial, `workers` local
    processes or a Dask cluster give identical tables. Two scenarios with the same seed see
    the same people with the same needs (common random numbers).

    Parameters
    ----------
    scenario
        A scenario from :func:`placesim.load_scenario` (or built in Python and checked).
    replications
        Number of replications; default the scenario's ``calendar.replications``. With
        `precision`, the number to start from.
    seed
        Root seed; default the scenario's ``calendar.seed``.
    workers
        Local processes to run replications in (1: in this process).
    client
        A ``dask.distributed.Client``: run replications on its cluster instead
        (``pip install 'placesim[dask]'``).
    progress
        Show a progress line on stderr (default: when stderr is a terminal and the run
        takes more than a couple of seconds).
    precision
        Keep adding replications until the 95% CI half-width of every headline measure
        (``HEADLINE_MEASURES`` in every setting) is within this share of its mean (0.05 =
        5%), or `max_replications` is reached; ``result.precision_met`` says which.
    max_replications
        The cap for `precision`.
    engine
        ``"fast"`` (the compiled engine, default) or ``"simpy"`` (the reference engine);
        both give the same tables (docs/decisions.md).
    keep_stays
        Keep the per-stay table (default). False keeps only the measures and the daily
        table, for runs of millions of people: ``summary()`` works, while
        ``summary(by=...)``, ``outcomes()``, the LOS and delay plots and the report need
        the stays and say so.
    check_memory
        Refuse, before anything is drawn, a run whose expected peak memory (from the plan's
        arrival rates: :func:`placesim.experiments.resources.estimate_run`) is more than
        the memory available; False runs it anyway. Not checked on a Dask cluster.
    worker_timeout
        With `client`: seconds the cluster may have no worker at all before the run stops
        with a :class:`PlacesimError` (default ``WORKER_TIMEOUT_S``, 60). Replications lost
        with a worker that dies are rerun when a worker is back.

    A local worker process that dies (killed for lack of memory, say) costs only the
    replications it had not finished: they are rerun once, on a fresh pool, with identical
    tables; a second death is a :class:`PlacesimError`. Ctrl-C stops the worker processes
    before ``KeyboardInterrupt`` reaches the caller.
    """
    n = scenario.calendar.replications if replications is None else replications
    root = scenario.calendar.seed if seed is None else seed
    if not 1 <= n <= MAX_REPLICATIONS:
        raise PlacesimError(
            f"replications: {n} is not allowed: must be from 1 to {MAX_REPLICATIONS:,}"
        )
    if root < 0:
        raise PlacesimError(f"seed: {root} is not allowed: must be >= 0")
    if workers < 1:
        raise PlacesimError(f"workers: {workers} is not allowed: must be >= 1")
    if not worker_timeout > 0:  # NaN too
        raise PlacesimError(
            f"worker_timeout: {worker_timeout} is not allowed: must be a number of seconds > 0"
        )
    check_engine(engine)  # a bad name fails here, before any replication starts
    if precision is not None and not 0.0 < precision < 1.0:
        raise PlacesimError(f"precision: {precision} is not allowed: must be between 0 and 1")
    if precision is not None:
        if not 3 <= max_replications <= MAX_REPLICATIONS:
            raise PlacesimError(
                f"max_replications: {max_replications} is not allowed: must be from 3 (the "
                f"fewest a precision can be judged on) to {MAX_REPLICATIONS:,}"
            )
        n = max(min(n, max_replications), 3)
    start = time.perf_counter()
    plan = compile_plan(scenario)
    for line in scenario_warnings(scenario):
        warnings.warn(PlacesimWarning(f"{scenario.name}: {line}"), stacklevel=2)
    if check_memory and client is None:
        require_memory(plan, max_replications if precision is not None else n, keep_stays, workers)
    # With uncertain inputs each replication compiles its own plan from its own values.
    task: Plan | Scenario = scenario if scenario.uncertain_inputs else plan
    parts: list[Replication] = []
    met: bool | None = None
    target = n
    while True:
        bar = Progress(target - len(parts), f"{scenario.name}: replications", enabled=progress)
        try:
            reps = range(len(parts), target)
            job = partial(run_replication, engine=engine, keep_stays=keep_stays)
            parts += _run_all(job, task, reps, root, workers, client, bar, worker_timeout)
        finally:
            bar.close()
        if precision is None:
            break
        wide = imprecise_measures(pd.concat([p.measures for p in parts]), precision)
        met = not wide
        if met or target >= max_replications:
            break
        # Grow by half as many again (at least one per worker): few rounds, little overshoot.
        target = min(max_replications, target + max(workers, (target + 1) // 2))
    timings = {key: sum(p.timings[key] for p in parts) for key in parts[0].timings}
    timings["wall_s"] = time.perf_counter() - start
    return SimulationResult(
        scenario=scenario,
        seed=root,
        replications=len(parts),
        stays=pd.concat([p.stays for p in parts], ignore_index=True) if keep_stays else None,
        daily=pd.concat([p.daily for p in parts], ignore_index=True),
        measures=pd.concat([p.measures for p in parts], ignore_index=True),
        timings=timings,
        precision_met=met,
        warnings=tuple(load_warnings(plan)),
        parameters=parameter_table(parts),
    )


def parameter_table(parts: Sequence[Replication]) -> pd.DataFrame:
    """One row per replication and uncertain input: replication, path, value."""
    rows = [(i, path, value) for i, p in enumerate(parts) for path, value in p.parameters.items()]
    return pd.DataFrame(rows, columns=["replication", "path", "value"]).astype(
        {"replication": "int64", "path": "object", "value": "float64"}
    )


def imprecise_measures(measures: pd.DataFrame, precision: float) -> list[str]:
    """Headline measures whose 95% CI half-width exceeds `precision` x |mean|.

    Measures with a mean of zero (a setting nobody used) are left out: no relative
    precision applies to them.
    """
    out = []
    table = summarise(measures[measures["measure"].isin(HEADLINE_MEASURES)])
    for measure, setting, mean, high in zip(
        table["measure"],
        table["setting"],
        table["mean"].to_numpy(dtype=float),
        table["ci_high"].to_numpy(dtype=float),
        strict=True,
    ):
        if mean == 0.0 or not math.isfinite(mean):
            continue
        if not math.isfinite(high) or high - mean > precision * abs(mean):
            out.append(f"{setting}.{measure}")
    return out


def _run_all(
    job: Callable[[Plan | Scenario, int, int], Replication],
    plan: Plan | Scenario,
    reps: range,
    seed: int,
    workers: int,
    client: Any,
    bar: Progress,
    worker_timeout: float = WORKER_TIMEOUT_S,
) -> list[Replication]:
    """Replications `reps`, in replication order, wherever they run."""
    if client is not None:
        return _run_on_dask(job, plan, reps, seed, client, bar, worker_timeout)
    if workers == 1 or len(reps) == 1:
        parts = []
        for r in reps:
            parts.append(job(plan, r, seed))
            bar.advance()
        return parts
    return _run_in_processes(job, plan, reps, seed, workers, bar)


def _run_in_processes(
    job: Callable[[Plan | Scenario, int, int], Replication],
    plan: Plan | Scenario,
    reps: Sequence[int],
    seed: int,
    workers: int,
    bar: Progress,
) -> list[Replication]:
    """Replications `reps` on a pool of local processes; a pool that breaks is replaced once.

    A worker process that dies (the OOM killer's SIGKILL, say) breaks the whole pool:
    ``concurrent.futures`` fails every replication it had not returned. Those are rerun on a
    fresh pool; as each is a plain function of (plan, replication, seed), the tables are
    the ones an undisturbed run gives. A second broken pool is one clear error.
    """
    done: dict[int, Replication] = {}
    for _ in range(2):
        left = [r for r in reps if r not in done]
        if _run_pool(job, plan, left, seed, min(workers, len(left)), bar, done):
            return [done[r] for r in reps]
    raise PlacesimError(
        f"a worker process died twice (killed by the system, most often for lack of "
        f"memory), with {len(reps) - len(done)} of {len(reps)} replications not finished: "
        "use fewer workers (--workers), keep no per-stay table (--no-stays), or use a "
        "machine with more memory"
    )


def _ignore_interrupts() -> None:
    """Worker processes leave Ctrl-C to the parent, which stops them (see `_stop_pool`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_pool(
    job: Callable[[Plan | Scenario, int, int], Replication],
    plan: Plan | Scenario,
    reps: Sequence[int],
    seed: int,
    workers: int,
    bar: Progress,
    done: dict[int, Replication],
) -> bool:
    """Run `reps` on a new pool into `done`; False if the pool broke before all were done.

    On any exception (a replication's own error, Ctrl-C) the pool is stopped at once:
    queued replications are cancelled and the worker processes terminated and reaped,
    so none is left running.
    """
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)
    broken = False
    try:
        jobs: dict[Future[Replication], int] = {}
        try:
            for r in reps:
                jobs[pool.submit(job, plan, r, seed)] = r
        except BrokenProcessPool:  # a worker died while the rest were being submitted
            broken = True
        for future in as_completed(jobs):
            try:
                done[jobs[future]] = future.result()
            except BrokenProcessPool:
                broken = True  # keep collecting the replications that did finish
                continue
            bar.advance()
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    return not broken


def _stop_pool(pool: ProcessPoolExecutor, grace_s: float = 2.0) -> None:
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


def _run_on_dask(
    job: Callable[[Plan | Scenario, int, int], Replication],
    plan: Plan | Scenario,
    reps: range,
    seed: int,
    client: Any,
    bar: Progress,
    worker_timeout: float,
) -> list[Replication]:
    """Replications `reps` on a Dask cluster, in replication order.

    Replications lost with a worker that dies are the scheduler's to rerun when a worker is
    back (a nanny restarts its worker; up to ``distributed.scheduler.allowed-failures``
    deaths per replication, then ``KilledWorker``). A replication that raises is not
    retried: it would raise again. What Dask cannot do is notice that no worker is left,
    so while the run waits it checks, and a cluster with no worker for `worker_timeout`
    seconds is an error rather than a wait for ever.
    """
    from dask.distributed import as_completed as dask_completed

    n = len(reps)
    futures = client.map(job, [plan] * n, reps, [seed] * n, pure=False)
    where = {future.key: i for i, future in enumerate(futures)}
    parts: list[Replication | None] = [None] * n
    every = min(1.0, worker_timeout)
    try:
        pending: Any = dask_completed(  # type: ignore[no-untyped-call]
            futures, loop=client.loop, with_results=True, raise_errors=False
        )
        checked = time.monotonic()
        while not pending.is_empty():
            batch = pending.next_batch(block=False)
            for future, result in batch:
                if future.status != "finished":
                    _raise_dask_error(future, result, reps[where[future.key]])
                parts[where[future.key]] = result
                bar.advance()
            if batch:
                continue
            if time.monotonic() - checked >= every:
                _require_workers(client, worker_timeout, n - sum(p is not None for p in parts), n)
                checked = time.monotonic()
            time.sleep(0.02)
    except BaseException:
        _cancel(client, futures)
        raise
    return [p for p in parts if p is not None]


def _require_workers(client: Any, timeout: float, left: int, n: int) -> None:
    """Return once the cluster has a worker; a PlacesimError if it has none for `timeout` s."""
    if client.nthreads():
        return
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        address = getattr(client.scheduler, "address", "the scheduler")
        raise PlacesimError(
            f"no Dask worker has been connected to {address} for {timeout:g} s, with {left} "
            f"of {n} replications not finished: start workers (dask worker {address}), or "
            "wait longer for them (worker_timeout)"
        ) from None


def _raise_dask_error(future: Any, result: Any, replication: int) -> None:
    """Raise the error of a replication that failed on the cluster."""
    from distributed.scheduler import KilledWorker

    if future.status == "error":
        _, error, trace = result
        if isinstance(error, KilledWorker):
            deaths = error.allowed_failures + 1
            raise PlacesimError(
                f"replication {replication}: the Dask workers running it died {deaths} "
                f"time{'s' * (deaths != 1)} (most often for lack of memory): give the workers "
                "more memory, or keep no per-stay table (--no-stays)"
            ) from None
        raise error.with_traceback(trace)
    raise PlacesimError(f"replication {replication} was cancelled on the Dask cluster")


def _cancel(client: Any, futures: list[Any]) -> None:
    """Cancel the replications still queued or running on the cluster (best effort)."""
    with contextlib.suppress(Exception):  # the cluster may be why the run is stopping
        client.cancel(futures)
