"""Memory on long, overloaded runs grows with the people in them, not faster."""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest

import placesim
from placesim.demand import generate_episodes
from placesim.engine import run_reference_engine
from placesim.plan import compile_plan


def _overloaded(days: int) -> placesim.Scenario:
    # 3 arrivals a day offered 15 places against 10: the queue grows all run long.
    data: dict[str, Any] = {
        "calendar": {"start_date": "2025-01-01", "horizon_days": days},
        "settings": {
            "intermediate_care": {
                "capacity": 10,
                "los": {"kind": "exponential", "mean": 5.0},
                "outcomes": {"home": 1},
            }
        },
        "referrals": [{"name": "gp", "setting": "intermediate_care", "rate_per_day": 3.0}],
    }
    return placesim.parse_scenario(data)


def _engine_peak_bytes(days: int) -> tuple[int, int]:
    sc = _overloaded(days)
    plan = compile_plan(sc)
    episodes = generate_episodes(plan, 0, 1)
    tracemalloc.start()
    records = run_reference_engine(plan, episodes)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, records.size


@pytest.mark.slow
def test_engine_memory_per_person_does_not_grow_with_the_queue() -> None:
    short_peak, short_people = _engine_peak_bytes(1000)
    long_peak, long_people = _engine_peak_bytes(4000)
    # The queue at the end holds about a third of everyone (3 a day in, 2 a day out), so
    # memory must grow with people: the same bytes per person, not more.
    per_short, per_long = short_peak / short_people, long_peak / long_people
    assert long_people > 3.5 * short_people
    assert per_long <= 1.25 * per_short, (per_short, per_long)
