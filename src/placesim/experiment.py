"""Experiments: replications of a scenario, each on its own streams of one seed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from placesim.demand import generate_episodes
from placesim.engine import run_engine
from placesim.errors import PlacesimError
from placesim.outcomes import replication_outcomes, summarise_outcomes
from placesim.results import (
    daily_table,
    group_measures,
    replication_measures,
    stays_table,
    summarise,
)
from placesim.scenario import Scenario

__all__ = ["SimulationResult", "simulate"]


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
        start_date; NaN where not reached by the end), next, overflow.
    daily
        replication, date, day, setting, census, occupied_mean, waiting, capacity.
    measures
        Every measure of every replication: replication, measure, setting, value.
    timings
        Seconds spent in demand generation, the engine and the measures.
    """

    scenario: Scenario
    seed: int
    replications: int
    stays: pd.DataFrame
    daily: pd.DataFrame
    measures: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)

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
        table = group_measures(self.scenario, self.stays, by, self._replication_numbers())
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
        table = replication_outcomes(self.scenario, self.stays, by, self._replication_numbers())
        return summarise_outcomes(table, confidence, by=by)

    def _replication_numbers(self) -> list[int]:
        # Every replication has measures, even one in which nobody stayed anywhere.
        return sorted(int(r) for r in self.measures["replication"].unique())


def simulate(
    scenario: Scenario, replications: int | None = None, seed: int | None = None
) -> SimulationResult:
    """Run `scenario` for `replications` replications from root `seed`.

    Replication r always gets the same streams for the same seed, so results do not depend
    on how many replications run or in which order; two scenarios with the same seed see the
    same people with the same needs (common random numbers).

    Parameters
    ----------
    scenario
        A scenario from :func:`placesim.load_scenario` (or built in Python and checked).
    replications
        Number of replications; default the scenario's ``calendar.replications``.
    seed
        Root seed; default the scenario's ``calendar.seed``.
    """
    n = scenario.calendar.replications if replications is None else replications
    root = scenario.calendar.seed if seed is None else seed
    if n < 1:
        raise PlacesimError(f"replications: {n} is not allowed: must be >= 1")
    if root < 0:
        raise PlacesimError(f"seed: {root} is not allowed: must be >= 0")
    timings = {"demand_s": 0.0, "engine_s": 0.0, "measures_s": 0.0}
    stays, daily, measures = [], [], []
    for r in range(n):
        t0 = time.perf_counter()
        episodes = generate_episodes(scenario, r, root)
        t1 = time.perf_counter()
        records = run_engine(scenario, episodes)
        t2 = time.perf_counter()
        day = daily_table(scenario, records, r)
        measures.append(replication_measures(scenario, episodes, records, day, r))
        stays.append(stays_table(scenario, episodes, records, r))
        daily.append(day)
        t3 = time.perf_counter()
        timings["demand_s"] += t1 - t0
        timings["engine_s"] += t2 - t1
        timings["measures_s"] += t3 - t2
    return SimulationResult(
        scenario=scenario,
        seed=root,
        replications=n,
        stays=pd.concat(stays, ignore_index=True),
        daily=pd.concat(daily, ignore_index=True),
        measures=pd.concat(measures, ignore_index=True),
        timings=timings,
    )
