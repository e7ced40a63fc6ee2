"""Sizing a single M/M/c setting agrees with Erlang C."""

from __future__ import annotations

from math import factorial, sqrt
from pathlib import Path

import pytest

import placesim
from placesim.cli import main
from placesim.experiments.size import size, sizing_target

LAMBDA, MEAN_STAY = 4.0, 2.0  # offered load 8


def erlang_wq(c: int, lam: float, mean_stay: float) -> float:
    """Mean wait in queue of M/M/c (Erlang C), days."""
    a = lam * mean_stay
    rho = a / c
    head = sum(a**k / factorial(k) for k in range(c))
    tail = a**c / factorial(c) / (1 - rho)
    return (tail / (head + tail)) / (c / mean_stay - lam)


def _mmc() -> placesim.Scenario:
    return placesim.parse_scenario(
        {
            "name": "mmc",
            "calendar": {"start_date": "2025-01-01", "horizon_days": 3000, "warmup_days": 100},
            "settings": {
                "intermediate_care": {
                    "capacity": 12,
                    "los": {"kind": "exponential", "mean": MEAN_STAY},
                    "outcomes": {"home": 1},
                }
            },
            "referrals": [{"name": "gp", "setting": "intermediate_care", "rate_per_day": LAMBDA}],
        }
    )


@pytest.mark.slow
def test_sizing_matches_erlang_c() -> None:
    waits = {c: erlang_wq(c, LAMBDA, MEAN_STAY) for c in range(9, 16)}
    answer = min(c for c, w in waits.items() if w <= 0.1)
    assert answer == 12  # W_q(11) = 0.163, W_q(12) = 0.070
    # A threshold halfway (geometrically) between the two capacities' waits, so that the
    # simulation's confidence bound separates them.
    threshold = sqrt(waits[answer] * waits[answer - 1])
    result = size(_mmc(), "intermediate_care", f"wait_mean<={threshold}", replications=5, seed=1)
    assert result.capacity == answer, result.tried
    tried = result.tried.set_index("capacity")
    assert not tried.loc[answer - 1, "met"]


def test_target_parsing() -> None:
    t = sizing_target("capacity_gap<=0", "intermediate_care")
    assert (t.measure, t.setting, t.op, t.value) == ("capacity_gap", "intermediate_care", "<=", 0.0)
    assert sizing_target("dtoc_rate <= 0.02", "intermediate_care").setting == "acute"
    assert sizing_target("acute.waiting_mean<=3", "reablement").setting == "acute"
    assert sizing_target("waiting_mean:acute<=3", "reablement").setting == "acute"
    for bad in ("los_mean<=3", "capacity_gap>=0", "capacity_gap<=lots", "ward.wait_mean<=1"):
        with pytest.raises(placesim.PlacesimError, match="target"):
            sizing_target(bad, "acute")


def test_cli_size_rejects_bad_target(capsys: pytest.CaptureFixture[str]) -> None:
    baseline = Path(__file__).resolve().parents[2] / "scenarios" / "rotherham_baseline.yaml"
    code = main(["size", str(baseline), "--setting", "acute", "--target", "beds<=3"])
    assert code == 2
    assert "target: measure 'beds' is not allowed" in capsys.readouterr().err


def test_weekly_need_of_an_unlimited_setting_is_its_poisson_census() -> None:
    from placesim.experiments.size import weekly_need

    scenario = _mmc()  # offered load 8: an unlimited setting's census is Poisson(8)
    short = scenario.model_copy(
        update={"calendar": scenario.calendar.model_copy(update={"horizon_days": 70})}
    )
    table = weekly_need(short, "intermediate_care", replications=20, seed=3)
    assert len(table) == 10
    assert (table["capacity"] == 12).all()
    target = short.measures.target("intermediate_care")
    # The 95% quantile over a week's days of a Poisson(8) census lies above its mean and,
    # for seven days, below mean + 4 sd.
    a = LAMBDA * MEAN_STAY
    assert (table["needed_mean"] > a / target).all()
    assert (table["needed_mean"] < (a + 4 * sqrt(a)) / target).all()
