"""Simulate: replications of a scenario, each on its own streams of one seed, wherever they run."""

from __future__ import annotations

import ctypes
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd

from placesim.demand import generate_episodes
from placesim.engine import check_engine, run_engine
from placesim.errors import PlacesimError, PlacesimWarning
from placesim.experiments.progress import Progress
from placesim.experiments.resources import require_memory
from placesim.experiments.tasks import WORKER_TIMEOUT_S, Work, run_tasks
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
    parts: list[Replication | None] = [None] * len(reps)

    def finished(i: int, rep: Replication) -> None:
        parts[i] = rep
        bar.advance()

    work = Work("replications", lambda i: f"replication {reps[i]}")
    tasks = [(plan, r, seed) for r in reps]
    run_tasks(
        job, tasks, finished, work, workers=workers, client=client, worker_timeout=worker_timeout
    )
    return [p for p in parts if p is not None]
