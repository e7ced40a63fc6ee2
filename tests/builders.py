"""Small scenarios and files that tests in several folders build the same way.

(The shared small scenario with every setting is tests/small_scenario.py.)
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import yaml

import placesim
from placesim.demand import Episodes, generate_episodes
from placesim.engine import StayRecords, run_kernel, run_reference_engine
from placesim.engine.records import OperationsLog
from placesim.plan import compile_plan


def write_yaml(path: Path, data: Any) -> Path:
    """Write `data` as a YAML file at `path` (its folder created), keys in their order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def referral_only(rate: float, **extra: Any) -> dict[str, Any]:
    """A year of one referral stream (`rate` a day) into unlimited intermediate care with
    exponential stays of 2 days; `extra` goes into the referral (monthly, day_of_week...)."""
    referral = {"name": "gp", "setting": "intermediate_care", "rate_per_day": rate, **extra}
    return {
        "calendar": {"start_date": "2025-01-06", "horizon_days": 364},
        "settings": {
            "intermediate_care": {
                "capacity": "unlimited",
                "los": {"kind": "exponential", "mean": 2},
                "outcomes": {"home": 1},
            }
        },
        "referrals": [referral],
    }


def intermediate_care_unit(rate: float, capacity: int | str, mean: float = 5.0) -> dict[str, Any]:
    """60 days of one referral stream (`rate` a day) into an intermediate-care unit of
    `capacity` places with exponential stays of `mean` days: an M/M/c queue."""
    return {
        "calendar": {"start_date": "2025-01-01", "horizon_days": 60},
        "settings": {
            "intermediate_care": {
                "capacity": capacity,
                "los": {"kind": "exponential", "mean": mean},
                "outcomes": {"home": 1},
            }
        },
        "referrals": [{"name": "gp", "setting": "intermediate_care", "rate_per_day": rate}],
    }


def acute_only(small: dict[str, Any], name: str, beds: int = 40) -> dict[str, Any]:
    """The small scenario with acute beds only, over 60 days: quick to run and report."""
    data = copy.deepcopy(small)
    data["name"] = name
    data["calendar"]["horizon_days"] = 60
    data["triage"] = {"home": {"all": {"acute": 1.0}}, "care_home": {"all": {"acute": 1.0}}}
    data["settings"] = {"acute": {**small["settings"]["acute"], "capacity": beds}}
    data["discharge"] = {
        "pathways": {"all": {"P0": 0.95, "death": 0.05}},
        "readmission": {"probability": {"all": 0.1}},
    }
    data["initial_state"] = {"acute": {"occupied": 30, "waiting": 2}}
    return data


def assert_same_log(a: OperationsLog, b: OperationsLog) -> None:
    """Every array of the two logs is the same (shape, dtype and values)."""
    for name in OperationsLog.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, f"{name}: shape {x.shape} != {y.shape}"
        assert x.dtype == y.dtype, f"{name}: dtype {x.dtype} != {y.dtype}"
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, rtol=0, atol=1e-9, equal_nan=True, err_msg=name)
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)


def run_both(data: dict[str, Any], seed: int = 1) -> tuple[StayRecords, Episodes]:
    """Both engines on replication 0 of `data`: they record the same stays and the same
    operations log; returns the reference engine's records and the episodes."""
    plan = compile_plan(placesim.parse_scenario(data))
    episodes = generate_episodes(plan, 0, seed)
    reference = run_reference_engine(plan, episodes)
    fast, _ = run_kernel(plan, episodes)
    assert reference.size == fast.size
    for column in ("episode", "setting", "source", "next", "overflow", "at_start"):
        np.testing.assert_array_equal(getattr(reference, column), getattr(fast, column))
    for column in ("requested", "arrive", "ready", "leave"):
        np.testing.assert_allclose(
            getattr(reference, column), getattr(fast, column), rtol=0, atol=1e-9, equal_nan=True
        )
    assert reference.operations is not None and fast.operations is not None
    assert_same_log(reference.operations, fast.operations)
    return reference, episodes


def operations_log(records: StayRecords) -> OperationsLog:
    """The operations log of a run that has one."""
    assert records.operations is not None
    return records.operations
