"""The offered-load check against hand-worked arrival rates and stays.

(Its warning from `placesim run`: tests/cli/test_load_cli.py.)
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import placesim
from builders import intermediate_care_unit
from placesim.measures import load_warnings, offered_load
from placesim.plan import Plan, compile_plan


def _scenario(rate: float, capacity: int | str, mean: float = 5.0) -> placesim.Scenario:
    return placesim.parse_scenario(intermediate_care_unit(rate, capacity, mean))


def _unit(rate: float, capacity: int | str, mean: float = 5.0) -> Plan:
    return compile_plan(_scenario(rate, capacity, mean))


def _plan(data: dict[str, Any]) -> Plan:
    return compile_plan(placesim.parse_scenario(data))


def test_offered_load_is_rate_times_stay() -> None:
    (load,) = offered_load(_unit(2.0, 12))
    assert load.arrivals_per_day == pytest.approx(2.0)
    assert load.mean_stay_days == pytest.approx(5.0)
    assert load.offered_load == pytest.approx(10.0)
    assert load.utilisation == pytest.approx(10.0 / 12)
    assert load_warnings(_unit(2.0, 12)) == []


def test_overload_is_named_in_words() -> None:
    (line,) = load_warnings(_unit(3.0, 12))  # 15 places offered to 12
    assert line.startswith("intermediate care: offered load 15 places")
    assert "queue will grow without bound" in line
    (near,) = load_warnings(_unit(2.3, 12))  # 11.5 of 12: 96%
    assert "above its 90% target occupancy" in near
    assert load_warnings(_unit(30.0, "unlimited")) == []


def test_population_rates_and_routing(small: dict[str, Any]) -> None:
    data = copy.deepcopy(small)
    data["population"]["annual_growth"] = 0.0
    data["demand"].pop("seasonality")
    data["discharge"]["readmission"]["probability"] = {"all": 0.0}
    loads = {load.setting: load for load in offered_load(_plan(data))}
    # Crises a day: home 0-64 16,000 x 0.07, 65+ (4,000 - 100) x 0.3, care home 100 x 0.7.
    home = (16000 * 0.07 + 3900 * 0.3) / 365.25
    care = 100 * 0.7 / 365.25
    # Rapid response: 10% of home crises and 20% of care-home ones.
    assert loads["rapid_response"].arrivals_per_day == pytest.approx(0.1 * home + 0.2 * care)
    # Acute: triaged there, or escalated from rapid response (20%) or virtual ward (10%).
    acute = home * (0.85 + 0.1 * 0.2 + 0.05 * 0.1) + care * (0.8 + 0.2 * 0.2)
    assert loads["acute"].arrivals_per_day == pytest.approx(acute)
