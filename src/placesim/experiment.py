"""Experiments: replications of a scenario, each on its own streams of one seed."""

from __future__ import annotations

import ctypes
import math
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from placesim.demand import Episodes, generate_episodes
from placesim.engine import StayRecords, run_engine
from placesim.errors import PlacesimError
from placesim.fast_engine import run_fast_engine
from placesim.load import load_warnings
from placesim.outcomes import replication_outcomes, summarise_outcomes
from placesim.progress import Progress
from placesim.results import (
    daily_table,
    group_measures,
    replication_measures,
    stays_table,
    summarise,
)
from placesim.scenario import Scenario

if TYPE_CHECKING:
    from placesim.plots import ResultPlots

__all__ = ["Replication", "SimulationResult", "run_replication", "simulate"]


@dataclass(frozen=True)
class SimulationResult:
    """Tables of a run: one row per stay, per setting and day, per measure and replication.

    Attributes
    ----------
    scenario
        The scenario that was run.
    seed, replications
        The root seed and the number of replications.
    stays
        One row per stay: replication, episode, locality, partnership, age_band, residence,
        source, setting, requested, arrive, ready, leave, waited, delayed (days from
        start_date; NaN where not reached by the end), next, overflow, at_start. None for a
        run with ``keep_stays=False``.
    daily
        replication, date, day, setting, census, occupied_mean, waiting, capacity.
    measures
        Every measure of every replication: replication, measure, setting, value.
    timings
        Seconds spent in demand generation, the engine and the measures (summed over
        replications), and the wall time of the run.
    precision_met
        With ``simulate(precision=...)``: whether every headline measure reached it (else
        the replication cap was hit); None otherwise.
    warnings
        The offered-load check's words for settings near or over capacity
        (:func:`placesim.load.load_warnings`).
    """

    scenario: Scenario
    seed: int
    replications: int
    stays: pd.DataFrame | None
    daily: pd.DataFrame
    measures: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    precision_met: bool | None = None
    warnings: tuple[str, ...] = ()

    def summary(self, confidence: float = 0.95, by: str | None = None) -> pd.DataFrame:
        """Mean and confidence interval of each measure over replications.

        Parameters
        ----------
        confidence
            Confidence level of the Student-t interval.
        by
            None for the whole place (every measure); ``"locality"`` or ``"partnership"``
            for the measures of people (``results.GROUP_MEASURES``) by where they live.
            Occupancy, waiting and capacity measures are about settings the whole place
            shares, so they are only in the whole-place table.

        Returns
        -------
        pandas.DataFrame
            Columns measure, setting, `by` (when given), unit, mean, ci_low, ci_high,
            replications.
        """
        if by is None:
            return summarise(self.measures, confidence)
        table = group_measures(
            self.scenario, self.stays_table(f"summary(by={by!r})"), by, self._replication_numbers()
        )
        return summarise(table, confidence, by=by)

    def outcomes(self, by: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """The Joint Outcomes Framework: mean and confidence interval of each outcome.

        Definitions in ``placesim.outcomes.OUTCOMES`` and docs/outcomes.md.

        Parameters
        ----------
        by
            None for the whole place, ``"locality"`` or ``"partnership"``.
        confidence
            Confidence level of the Student-t interval.

        Returns
        -------
        pandas.DataFrame
            Columns outcome, `by` (when given), unit, direction, mean, ci_low, ci_high,
            replications; and cost_gbp_mean, cost_gbp_ci_low, cost_gbp_ci_high when the
            scenario has a ``costs`` section (NaN for rows it does not price).
        """
        stays = self.stays_table("outcomes()")
        table = replication_outcomes(self.scenario, stays, by, self._replication_numbers())
        return summarise_outcomes(table, confidence, by=by)

    def stays_table(self, needed_by: str) -> pd.DataFrame:
        """The per-stay table, or a clear error naming what needs it when it was not kept."""
        if self.stays is None:
            raise PlacesimError(
                f"{needed_by} needs the per-stay table, which this run did not keep: "
                "run with keep_stays=True (the CLI's default; --no-stays drops it)"
            )
        return self.stays

    @property
    def plot(self) -> ResultPlots:
        """Plots of this result: ``census(setting)``, ``waiting(setting)``, ``los(setting)``
        and ``capacity_gap()``, each a matplotlib Figure (docs/reports.md).

        Needs matplotlib: ``pip install 'placesim[plot]'``.
        """
        # Imported here: plots belong to the report stage, downstream of the experiment.
        from placesim.plots import ResultPlots

        return ResultPlots(self)

    def report(self, path: str | Path) -> Path:
        """Write a self-contained HTML report of this result (docs/reports.md).

        One file, its figures embedded as PNG: the scenario and its inputs, the headline
        measures, census fan charts, waiting and delays, lengths of stay, capacity gaps, the
        Joint Outcomes Framework and the results by locality and partnership. Needs
        matplotlib: ``pip install 'placesim[plot]'``.

        Parameters
        ----------
        path
            The HTML file to write (written atomically; its folder is created). A folder
            that exists gets ``report.html`` in it.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        from placesim.html_report import write_report

        return write_report(self, path)

    def _replication_numbers(self) -> list[int]:
        # Every replication has measures, even one in which nobody stayed anywhere.
        return sorted(int(r) for r in self.measures["replication"].unique())


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


def _simpy_engine(scenario: Scenario, episodes: Episodes) -> tuple[StayRecords, int]:
    return run_engine(scenario, episodes), -1  # SimPy does not count its events


_ENGINES: dict[str, Callable[[Scenario, Episodes], tuple[StayRecords, int]]] = {
    "fast": run_fast_engine,
    "simpy": _simpy_engine,
}
ENGINES: tuple[str, ...] = tuple(_ENGINES)
"""The engines: ``fast`` (compiled, the default) and ``simpy`` (the reference)."""


def _engine(name: str) -> Callable[[Scenario, Episodes], tuple[StayRecords, int]]:
    """The engine called `name`, or an error that names the engines there are."""
    if name not in _ENGINES:
        raise PlacesimError(f"engine: {name!r} is not allowed: must be one of {ENGINES}")
    return _ENGINES[name]


def run_replication(
    scenario: Scenario,
    replication: int,
    seed: int,
    *,
    engine: str = "fast",
    keep_stays: bool = True,
) -> Replication:
    """Run replication `replication` of `scenario` from root `seed`.

    A plain function of its arguments (its streams are keyed by seed and replication), so
    it gives the same tables in any process, on any worker, in any order, with either
    engine. With ``keep_stays=False`` the per-stay table is not built (``stays`` is None):
    the measures and the daily table are all that is kept, for large runs.
    """
    t0 = time.perf_counter()
    episodes = generate_episodes(scenario, replication, seed)
    _give_back_memory()
    t1 = time.perf_counter()
    records, events = _engine(engine)(scenario, episodes)
    t2 = time.perf_counter()
    day = daily_table(scenario, records, replication)
    measures = replication_measures(scenario, episodes, records, day, replication)
    stays = stays_table(scenario, episodes, records, replication) if keep_stays else None
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
    _engine(engine)  # a bad name fails here, before any replication starts
    if precision is not None and not 0.0 < precision < 1.0:
        raise PlacesimError(f"precision: {precision} is not allowed: must be between 0 and 1")
    if precision is not None:
        n = max(min(n, max_replications), 3)
    start = time.perf_counter()
    parts: list[Replication] = []
    met: bool | None = None
    target = n
    while True:
        bar = Progress(target - len(parts), f"{scenario.name}: replications", enabled=progress)
        try:
            reps = range(len(parts), target)
            job = partial(run_replication, engine=engine, keep_stays=keep_stays)
            parts += _run_all(job, scenario, reps, root, workers, client, bar)
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
        warnings=tuple(load_warnings(scenario)),
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
    job: Callable[[Scenario, int, int], Replication],
    scenario: Scenario,
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

        futures = client.map(job, [scenario] * n, reps, [seed] * n, pure=False)
        for _ in dask_completed(futures):  # type: ignore[no-untyped-call]
            bar.advance()
        return list(client.gather(futures))
    if workers == 1 or n == 1:
        parts = []
        for r in reps:
            parts.append(job(scenario, r, seed))
            bar.advance()
        return parts
    with ProcessPoolExecutor(max_workers=min(workers, n)) as pool:
        jobs = {pool.submit(job, scenario, r, seed): r for r in reps}
        done: dict[int, Replication] = {}
        for future in as_completed(jobs):
            done[jobs[future]] = future.result()
            bar.advance()
    return [done[r] for r in reps]
