"""Where each outcome share sends people: the one table that routing and its checks share.

Names are settings or destinations out of the modelled services (``pathways.DESTINATIONS``).
This module depends on nothing, so the scenario checks and the routing code can both read it.
"""

from __future__ import annotations

__all__ = ["OUTCOME_ROUTES", "PATHWAY_ROUTES"]

OUTCOME_ROUTES: dict[str, dict[str, str]] = {
    "rapid_response": {"home": "home", "intermediate_care": "intermediate_care", "acute": "acute"},
    "virtual_ward": {"home": "home", "acute": "acute"},
    "intermediate_care": {
        "home": "home",
        "reablement": "reablement",
        "care_home": "care_home",
        "acute": "acute",
        "death": "death",
    },
    "reablement": {
        "independent": "independent",
        "home_care": "home_care",
        "care_home": "care_home",
        "acute": "acute",
        "death": "death",
    },
}
"""Setting -> outcome share key -> where it leads."""

PATHWAY_ROUTES: dict[str, str] = {
    "P0": "home",
    "P1": "reablement",
    "P2": "intermediate_care",
    "P3": "care_home",
    "death": "death",
}
"""Discharge pathway from acute -> where it leads."""
