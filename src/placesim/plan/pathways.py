"""Routing rules: the codes of settings and destinations, and where each setting sends people.

Routing is decided by pre-sampled draws (see :mod:`placesim.demand`); this module holds the
tables that turn a scenario's shares into those decisions, so the engine decides nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from placesim.scenario import SETTINGS, Scenario, band_value
from placesim.scenario.routes import OUTCOME_ROUTES, PATHWAY_ROUTES

__all__ = [
    "ACUTE",
    "ASSESSED_DESTINATIONS",
    "CARE_HOME",
    "DEATH",
    "DESTINATIONS",
    "HOME",
    "HOME_CARE",
    "HOME_ENDS",
    "INDEPENDENT",
    "INTERMEDIATE_CARE",
    "LEFT",
    "PATHWAYS",
    "PATHWAY_DESTINATION",
    "RAPID_RESPONSE",
    "REABLEMENT",
    "SOURCES",
    "VIRTUAL_WARD",
    "OutcomeTables",
    "categorical",
    "outcome_table",
    "visit_probabilities",
]

ACUTE, RAPID_RESPONSE, VIRTUAL_WARD, INTERMEDIATE_CARE, REABLEMENT, CARE_HOME = range(6)
HOME, INDEPENDENT, HOME_CARE, DEATH, LEFT = range(6, 11)
DESTINATIONS: tuple[str, ...] = (
    *SETTINGS,
    "home",
    "independent",
    "home_care",
    "death",
    "left",
)
"""Where a stay leads: a setting (codes 0-5) or out of the modelled services (6-10).
``left`` ends a care-home placement (death or a move the model does not follow)."""
HOME_ENDS = (HOME, INDEPENDENT, HOME_CARE)
"""Ends of a journey at home, after which a readmission may follow."""
ASSESSED_DESTINATIONS = (REABLEMENT, INTERMEDIATE_CARE, CARE_HOME)
"""Where P1, P2 and P3 lead: the columns of ``Episodes.assessment``, in that order."""

PATHWAYS: tuple[str, ...] = ("P0", "P1", "P2", "P3", "death")
PATHWAY_DESTINATION = np.array([DESTINATIONS.index(PATHWAY_ROUTES[p]) for p in PATHWAYS])

SOURCES: tuple[str, ...] = (
    "crisis",
    "referral",
    "initial",
    "readmission",
    "escalation",
    "elective",
)
"""How an episode began: a population crisis, an external referral, the starting census,
a readmission after the journey ended at home, an escalation to acute from an
intermediate-care bed or reablement (a new admission with its own draws), or a planned
(elective) admission."""

_OUTCOME_DEST: dict[str, dict[str, int]] = {
    setting: {key: DESTINATIONS.index(dest) for key, dest in routes.items()}
    for setting, routes in OUTCOME_ROUTES.items()
}


def outcome_table(
    scenario: Scenario, setting: str, band: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    """Shares and destination codes of what follows a stay in `setting` for age `band`.

    Acute stays follow the discharge pathways; a care-home stay ends the journey.
    """
    if setting == "acute":
        assert scenario.discharge is not None
        shares = band_value(scenario.discharge.pathways, band).model_dump()
        probs = np.array([shares[p] for p in PATHWAYS])
        return probs, PATHWAY_DESTINATION.astype(np.int8)
    if setting == "care_home":
        return np.array([1.0]), np.array([LEFT], dtype=np.int8)
    outcomes = getattr(scenario.settings, setting).outcomes.model_dump()
    dest = _OUTCOME_DEST[setting]
    return (
        np.array([outcomes[k] for k in dest]),
        np.array(list(dest.values()), dtype=np.int8),
    )


def categorical(u: npt.NDArray[np.float64], probs: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """Inverse-CDF categories of uniforms `u` for shares `probs`.

    Monotone in the shares, so a scenario that moves a little share from one category to the
    next moves only the people whose draw lies in between (common random numbers).
    """
    cdf = np.cumsum(probs)
    cdf[-1] = 1.0
    idx = np.searchsorted(cdf, u, side="right")
    # Never pick a category with zero share (u can equal a boundary exactly).
    return np.minimum(idx, len(probs) - 1)


OutcomeTables = Sequence[Sequence[tuple[npt.NDArray[np.float64], npt.NDArray[np.int8]]] | None]
"""Per setting code, the (shares, destination codes) of what follows a stay, by age band."""


def visit_probabilities(
    outcomes: OutcomeTables, band: int, entry: dict[str, float]
) -> dict[str, float]:
    """Expected visits to each setting per episode entering with shares `entry`.

    Follows first visits through the network (`outcomes`, as ``Plan.outcomes``) for age
    band code `band`, ignoring overflow and readmission; used to give the starting census a
    realistic mix of people and to estimate offered load.
    """
    visits = dict.fromkeys(SETTINGS, 0.0)
    for name in _FLOW_ORDER:
        visits[name] += entry.get(name, 0.0)
        tables = outcomes[SETTINGS.index(name)]
        if tables is None or visits[name] == 0.0:
            continue
        probs, dests = tables[band]
        for p, d in zip(probs, dests, strict=True):
            forward = d < len(SETTINGS) and (d != ACUTE or name in _FRONT_DOOR)
            if forward:
                visits[SETTINGS[d]] += visits[name] * float(p)
    return visits


_FRONT_DOOR = ("rapid_response", "virtual_ward")
_FLOW_ORDER = (
    "rapid_response",
    "virtual_ward",
    "acute",
    "intermediate_care",
    "reablement",
    "care_home",
)
