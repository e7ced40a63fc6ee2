"""The small scenario the tests share, as a plain dict (as read from YAML).

Two localities (A in North, B in South), two age bands and every setting; a replication
runs in about 0.1 s. Tests that need a variant say only what differs:
``small_scenario({...})`` merges its changes as ``extends`` would (null removes a key).
"""

from __future__ import annotations

from typing import Any

from placesim.scenario.extends import merge_scenario_data

SMALL: dict[str, Any] = {
    "name": "small",
    "calendar": {
        "start_date": "2025-04-01",
        "horizon_days": 120,
        "warmup_days": 20,
        "replications": 2,
        "seed": 7,
    },
    "population": {
        "age_bands": ["0-64", "65+"],
        "annual_growth": 0.0035,
        "localities": [
            {
                "name": "A",
                "partnership": "North",
                "people": {"0-64": 8000, "65+": 2000},
                "care_home_residents": {"65+": 100},
            },
            {"name": "B", "partnership": "South", "people": {"0-64": 8000, "65+": 2000}},
        ],
    },
    "demand": {
        "crisis_rate_per_person_year": {
            "home": {"0-64": 0.07, "65+": 0.3},
            "care_home": {"65+": 0.7},
        },
        "seasonality": {"monthly": [1.03, 1.03, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.03]},
    },
    "triage": {
        "home": {"all": {"rapid_response": 0.1, "virtual_ward": 0.05, "acute": 0.85}},
        "care_home": {"all": {"rapid_response": 0.2, "acute": 0.8}},
    },
    "settings": {
        "acute": {"capacity": 40, "los": {"kind": "lognormal", "mean": 6, "median": 3}},
        "rapid_response": {
            "capacity": 5,
            "los": {"kind": "exponential", "mean": 2},
            "when_full": "overflow_to_acute",
            "outcomes": {"home": 0.75, "intermediate_care": 0.05, "acute": 0.2},
        },
        "virtual_ward": {
            "capacity": 5,
            "los": {"kind": "exponential", "mean": 5},
            "when_full": "overflow_to_acute",
            "outcomes": {"home": 0.9, "acute": 0.1},
        },
        "intermediate_care": {
            "capacity": 6,
            "los": {"kind": "lognormal", "mean": 20, "cv": 0.6},
            "outcomes": {"home": 0.6, "reablement": 0.2, "care_home": 0.1, "acute": 0.1},
        },
        "reablement": {
            "capacity": 8,
            "los": {"kind": "gamma", "mean": 14, "cv": 0.7},
            "outcomes": {"independent": 0.6, "home_care": 0.3, "care_home": 0.05, "acute": 0.05},
        },
        "care_home": {"capacity": 60, "los": {"kind": "exponential", "mean": 400}},
    },
    "discharge": {
        "pathways": {"all": {"P0": 0.7, "P1": 0.15, "P2": 0.06, "P3": 0.04, "death": 0.05}},
        "readmission": {"probability": {"all": 0.1}},
    },
    "initial_state": {"care_home": {"occupied": 40}, "acute": {"occupied": 30, "waiting": 2}},
}


def small_scenario(changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A fresh copy of SMALL with `changes` merged in."""
    return merge_scenario_data(SMALL, changes or {})
