"""Simulate: replications of a scenario, each on its own streams of one seed, wherever they run."""

from __future__ import annotations

import ctypes
import math
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from placesim.demand import generate_episodes
from placesim.engine import check_engine, run_engine
from placesim.errors import PlacesimError
from placesim.experiments.progress import Progress
from placesim.measures import (
    SimulationResult,
    daily_table,
    load_warnings,
    replication_measures,
    stays_table,
    summarise,
)
from placesim.plan import Plan, compile_plan
from placesim.scenario import Scenario

__all__ = ["HEADLINE_MEASURES", "Replication", "imprecise_measures", "run_replication", "simulate"]


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
    the measures and the daily table are all that is kept, for large runs.
    """
    t0 = time.perf_counter()
    if isinstance(plan, Scenario):
        plan = compile_plan(plan)
    episodes = generate_episodes(plan, replication, seed)
    _give_back_memory()
    t1 = time.perf_counter()
    records, events = run_engine(plan, episodes, engine)
    t2 = time.perf_counter()
    day = daily_table(plan, records, replication)
    measures = replication_measures(plan, episodes, records, day, replication)
    stays = stays_table(episodes, records, replication) if keep_stays else None
    t3 = time.perf_counter()
    return Replication(
        stays=stays,
        daily=day,
        measures=measures,
        timings={"demand_s": t1 - t0, "engine_s": t2 - t1, "measures_s": t3 - t2},
        episodes=episodes.size,
        stays_count=records.size,
        events=events,
    )


HEADLINE_MEASURES: tuple[str, ...] = ("bed_days", "occupancy_mean", "los_mean")
"""Measures that --precision holds to its relative half-width, in every setting."""


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
    """
    n = scenario.calendar.replications if replications is None else replications
    root = scenario.calendar.seed if seed is None else seed
    if n < 1:
        raise PlacesimError(f"replications: {n} is not allowed: must be >= 1")
    if root < 0:
        raise PlacesimError(f"seed: {root} is not allowed: must be >= 0")
    if workers < 1:
        raise PlacesimError(f"workers: {workers} is not allowed: must be >= 1")
    check_engine(engine)  # a bad name fails here, before any replication starts
    if precision is not None and not 0.0 < precision < 1.0:
        raise PlacesimError(f"precision: {precision} is not allowed: must be between 0 and 1")
    if precision is not None:
        n = max(min(n, max_replications), 3)
    start = time.perf_counter()
    plan = compile_plan(scenario)
    parts: list[Replication] = []
    met: bool | None = None
    target = n
    while True:
        bar = Progress(target - len(parts), f"{scenario.name}: replications", enabled=progress)
        try:
            reps = range(len(parts), target)
            job = partial(run_replication, engine=engine, keep_stays=keep_stays)
            parts += _run_all(job, plan, reps, root, workers, client, bar)
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
    job: Callable[[Plan, int, int], Replication],
    plan: Plan,
    reps: range,
    seed: int,
    workers: int,
    client: Any,
    bar: Progress,
) -> list[Replication]:
    """Replications `reps`, in replication order, wherever they run."""
    n = len(reps)
    if client is not None:
        from dask.distributed import as_completed as dask_completed

        futures = client.map(job, [plan] * n, reps, [seed] * n, pure=False)
        for _ in dask_completed(futures):  # type: ignore[no-untyped-call]
            bar.advance()
        return list(client.gather(futures))
    if workers == 1 or n == 1:
        parts = []
        for r in reps:
            parts.append(job(plan, r, seed))
            bar.advance()
        return parts
    with ProcessPoolExecutor(max_workers=min(workers, n)) as pool:
        jobs = {pool.submit(job, plan, r, seed): r for r in reps}
        done: dict[int, Replication] = {}
        for future in as_completed(jobs):
            done[jobs[future]] = future.result()
            bar.advance()
    return [done[r] for r in reps]
