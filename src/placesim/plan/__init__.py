"""The scenario compiled once into plain arrays: what demand, the engines and measures read.

The second stage of the flow; it reads the :class:`~placesim.scenario.Scenario` and is the
only stage after it that does.

- ``compiled``: :class:`Plan` and :func:`compile_plan`, the whole compiled scenario.
- ``pathways``: codes of settings, destinations and sources; routing tables.
- ``policy``: the levers as daily arrays by locality and age band; pathway shifts.
- ``capacity``: each setting's capacity steps.
- ``segments``: the population as segment arrays; ``arrivals``: daily arrival rates.
"""

from __future__ import annotations

from placesim.plan.arrivals import ArrivalGroup, sim_days
from placesim.plan.capacity import capacity_schedule
from placesim.plan.compiled import (
    ASSESSED_PATHWAYS,
    OLDER_AGE,
    InitialCensus,
    Plan,
    age_band_lower_bound,
    compile_plan,
    older_bands,
)
from placesim.plan.operations import (
    ELECTIVE_GROUP,
    TRIGGER_MEASURES,
    ElectiveGroup,
    Operations,
    compile_operations,
)
from placesim.plan.policy import (
    Policy,
    compile_policy,
    pathway_after_moves,
    shift_pathway,
    shifted_pathways,
)
from placesim.plan.segments import DAYS_PER_YEAR, Segments, build_segments

__all__ = [
    "ASSESSED_PATHWAYS",
    "DAYS_PER_YEAR",
    "ELECTIVE_GROUP",
    "OLDER_AGE",
    "TRIGGER_MEASURES",
    "ArrivalGroup",
    "ElectiveGroup",
    "InitialCensus",
    "Operations",
    "Plan",
    "Policy",
    "Segments",
    "age_band_lower_bound",
    "build_segments",
    "capacity_schedule",
    "compile_operations",
    "compile_plan",
    "compile_policy",
    "older_bands",
    "pathway_after_moves",
    "shift_pathway",
    "shifted_pathways",
    "sim_days",
]
