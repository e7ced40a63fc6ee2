"""Paired comparisons of scenarios on common random numbers.

Every scenario runs with the same seed, so replication r of each sees the same people with
the same needs; the difference of a measure is taken replication by replication and its
confidence interval is the paired-t interval (Law, Simulation Modeling and Analysis,
section 10.2.1), much narrower than comparing two independent intervals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from placesim.errors import PlacesimError
from placesim.experiments.simulate import simulate
from placesim.experiments.tasks import WORKER_TIMEOUT_S
from placesim.measures import Comparison, Period, find_period, paired_table
from placesim.measures.comparison import MIN_DIFFERENCE
from placesim.scenario import Scenario

__all__ = ["compare"]


def compare(
    base: Scenario,
    *others: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    client: Any = None,
    worker_timeout: float = WORKER_TIMEOUT_S,
    period: str | Period | None = None,
    min_difference: Mapping[str, float] | None = None,
) -> Comparison:
    """Run `base` and `others` on the same seed and compare each with the base.

    Parameters
    ----------
    base, others
        Scenarios; names must differ, since they label the rows.
    replications, seed
        As for :func:`placesim.simulate`; default the base scenario's calendar.
    workers, client, worker_timeout
        Where replications run, as for :func:`placesim.simulate`.
    period
        Compare over this window only (``START:END`` or one of the base scenario's named
        periods; :meth:`placesim.SimulationResult.summary`). Default: the whole run.
    min_difference
        The smallest difference worth a line in ``significant()``, by measure; overrides
        :data:`placesim.measures.comparison.MIN_DIFFERENCE` for the measures it names.
    """
    scenarios = [base, *others]
    names = [sc.name for sc in scenarios]
    if len(set(names)) != len(names):
        raise PlacesimError(
            f"scenarios: names {names} repeat; give each scenario its own `name` to compare"
        )
    n = base.calendar.replications if replications is None else replications
    root = base.calendar.seed if seed is None else seed
    results = [
        simulate(
            sc,
            replications=n,
            seed=root,
            workers=workers,
            client=client,
            worker_timeout=worker_timeout,
        )
        for sc in scenarios
    ]
    # A named period is the base scenario's: the others are read over the same dates.
    found = find_period(period, results[0].plan)
    return Comparison(
        results=results,
        table=paired_table(results, found),
        period=None if found is None else found.label,
        min_difference={**MIN_DIFFERENCE, **(min_difference or {})},
    )
