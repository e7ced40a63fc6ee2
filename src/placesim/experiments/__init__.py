"""Experiments: a scenario run many times, or several scenarios run on the same seeds.

The last stage before the CLI: it runs the whole flow (plan, demand, engine, measures)
replication by replication, serially, on local processes or on Dask, and uses reporting
to write what it must keep on disk as it goes (a sweep's points).

- ``simulate``: :func:`simulate` and :func:`run_replication`; ``progress``: the progress line.
- ``tasks``: independent tasks run serially, on processes or on Dask, nothing lost when a
  worker dies (replications and regions' place replications).
- ``compare``: scenarios on common random numbers; ``sweep``: a grid of variants.
- ``size``: the smallest capacity that meets a target; ``warmup``: Welch's method.
- ``region``: every place of a region, side by side, written place by place.
"""

from __future__ import annotations

from placesim.experiments.compare import compare
from placesim.experiments.region import simulate_region
from placesim.experiments.simulate import (
    HEADLINE_MEASURES,
    Replication,
    imprecise_measures,
    run_replication,
    simulate,
)
from placesim.experiments.size import SizingResult, size, sizing_target, weekly_need
from placesim.experiments.sweep import parse_values, sweep
from placesim.experiments.warmup import WarmupAdvice, suggest_warmup, welch

__all__ = [
    "HEADLINE_MEASURES",
    "Replication",
    "SizingResult",
    "WarmupAdvice",
    "compare",
    "imprecise_measures",
    "parse_values",
    "run_replication",
    "simulate",
    "simulate_region",
    "size",
    "sizing_target",
    "suggest_warmup",
    "sweep",
    "weekly_need",
    "welch",
]
