"""Regression tests: defects found in the model, each pinned by the test that shows it.

Scenario files that crashed, hung or were silently misread are in test_hostile_files.py;
the exact figures of the shipped scenarios in test_pinned_results.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import placesim
from builders import referral_only
from placesim.demand import generate_episodes
from placesim.errors import ScenarioError
from placesim.plan import compile_plan


# A number is not a date: start_date: 0 used to parse as 1970-01-01 (commit 6cd0785).
@pytest.mark.parametrize("number", [0, 86400, 20250401, 1.5])
def test_a_number_is_not_a_date(small: dict[str, Any], number: float) -> None:
    # pydantic alone would read 0 as 1970-01-01 (seconds since 1970).
    small["calendar"]["start_date"] = number
    small["settings"]["acute"]["capacity_changes"] = [{"date": number, "capacity": 50}]
    small["interventions"] = [{"type": "demand_change", "start": number, "factor": 1.1}]
    with pytest.raises(ScenarioError) as info:
        placesim.parse_scenario(small)
    message = str(info.value)
    for where in (
        "calendar.start_date",
        "settings.acute.capacity_changes[0].date",
        "interventions[0].start",
    ):
        assert f"{where}: {number} is not allowed: must be a date such as 2025-04-01" in message


# Arrivals: np.interp over a flat run of the cumulative intensity mapped the last arrivals
# into a closed day (commit 7d39d51).
def test_no_arrivals_on_days_with_zero_rate() -> None:
    # Closed at weekends and in February: nobody may arrive then.
    dow = [1, 1, 1, 1, 1, 0, 0]
    monthly = [1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    sc = placesim.parse_scenario(referral_only(2.0, day_of_week=dow, monthly=monthly))
    times = np.concatenate([generate_episodes(compile_plan(sc), r, 8).time for r in range(5)])
    day = np.floor(times).astype(int)
    assert not np.isin(day % 7, [5, 6]).any()
    dates = np.datetime64("2025-01-06") + day
    assert not (dates.astype("datetime64[M]") == np.datetime64("2025-02")).any()
    assert times.size > 0
