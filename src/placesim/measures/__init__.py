"""Measures: tidy tables of a run, built once from the stay records, and what they mean.

The fifth stage of the flow. It reads the :class:`~placesim.plan.Plan`, the episodes and
the stay records; it never imports reporting (the result's ``plot`` and ``report`` are
lazy accessors that do).

- ``tables``: the per-stay, daily and per-replication measure tables; ``MEASURES``.
- ``statistics``: Student-t intervals over replications.
- ``outcomes``: the Joint Outcomes Framework and its costs.
- ``offered_load``: the offered-load check (arrivals x mean stay against capacity).
- ``result``: :class:`SimulationResult`, what ``simulate`` returns.
- ``comparison``: :class:`Comparison`, paired differences on common random numbers.
- ``region``: :class:`RegionResult`, the places of a region side by side and added up.
- ``sensitivity``: which uncertain inputs matter (partial rank correlations).
"""

from __future__ import annotations

from placesim.measures.comparison import Comparison, paired_table
from placesim.measures.offered_load import SettingLoad, load_warnings, offered_load
from placesim.measures.outcomes import (
    CONTEXT,
    HIGHER_IS_BETTER,
    LOWER_IS_BETTER,
    OUTCOMES,
    OutcomeDefinition,
    outcome_definitions,
    population_65_plus,
    replication_outcomes,
    summarise_outcomes,
    supported_discharges,
)
from placesim.measures.periods import (
    BREAKDOWNS,
    Period,
    calendar_periods,
    find_period,
    parse_period,
    period_measures,
    period_window,
)
from placesim.measures.region import (
    ADDITIVE_MEASURES,
    RegionResult,
    days_over_target,
    place_spread,
    region_totals,
)
from placesim.measures.result import SimulationResult
from placesim.measures.statistics import spread, t_interval, wilson_interval
from placesim.measures.tables import (
    CAN_BE_NEGATIVE,
    GROUP_MEASURES,
    GROUPINGS,
    MEASURES,
    daily_table,
    group_labels,
    group_measures,
    measure_unit,
    replication_measures,
    stays_table,
    summarise,
    window_measures,
)
from placesim.measures.targets import OPERATORS, Chance, Target, chance_of, parse_target

__all__ = [
    "ADDITIVE_MEASURES",
    "BREAKDOWNS",
    "CAN_BE_NEGATIVE",
    "CONTEXT",
    "GROUPINGS",
    "GROUP_MEASURES",
    "HIGHER_IS_BETTER",
    "LOWER_IS_BETTER",
    "MEASURES",
    "OPERATORS",
    "OUTCOMES",
    "Chance",
    "Comparison",
    "OutcomeDefinition",
    "Period",
    "RegionResult",
    "SettingLoad",
    "SimulationResult",
    "Target",
    "calendar_periods",
    "chance_of",
    "daily_table",
    "days_over_target",
    "find_period",
    "group_labels",
    "group_measures",
    "load_warnings",
    "measure_unit",
    "offered_load",
    "outcome_definitions",
    "paired_table",
    "parse_period",
    "parse_target",
    "period_measures",
    "period_window",
    "place_spread",
    "population_65_plus",
    "region_totals",
    "replication_measures",
    "replication_outcomes",
    "spread",
    "stays_table",
    "summarise",
    "summarise_outcomes",
    "supported_discharges",
    "t_interval",
    "wilson_interval",
    "window_measures",
]
