"""Warm-up advice against the transient of an M/M/inf setting started empty."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import placesim
from placesim.cli import main
from placesim.experiments.warmup import suggest_warmup, welch

RATE, MEAN_STAY = 5.0, 10.0


def _mminf(initial: bool) -> placesim.Scenario:
    data: dict[str, Any] = {
        "name": "mminf",
        "calendar": {"start_date": "2025-01-01", "horizon_days": 200},
        "settings": {
            "intermediate_care": {
                "capacity": "unlimited",
                "los": {"kind": "exponential", "mean": MEAN_STAY},
                "outcomes": {"home": 1},
            }
        },
        "referrals": [{"name": "gp", "setting": "intermediate_care", "rate_per_day": RATE}],
    }
    if initial:
        data["initial_state"] = {"intermediate_care": {"occupied": int(RATE * MEAN_STAY)}}
    return placesim.parse_scenario(data)


def test_empty_start_needs_the_transient_theory_gives() -> None:
    advice = suggest_warmup(_mminf(False), "intermediate_care", replications=20, seed=1)
    # M/M/inf from empty: mean census RATE x MEAN_STAY x (1 - exp(-t / MEAN_STAY)); it comes
    # within the band b of its level at t = MEAN_STAY x ln(level / b).
    settle = MEAN_STAY * math.log(RATE * MEAN_STAY / advice.band)
    expected = math.ceil(settle / 7) * 7
    assert abs(advice.suggested_days - expected) <= 7, (advice.suggested_days, settle)
    assert abs(advice.level - RATE * MEAN_STAY) <= 4 * advice.band


def test_equilibrium_census_start_needs_no_warmup() -> None:
    advice = suggest_warmup(_mminf(True), "intermediate_care", replications=20, seed=1)
    assert advice.suggested_days == 0


def test_welch_moving_average_by_hand() -> None:
    series = np.array([0.0, 3.0, 6.0, 9.0, 12.0])
    # window 1: the first and last points stand alone, the others average 3 points.
    np.testing.assert_allclose(welch(series, 1), [0.0, 3.0, 6.0, 9.0, 12.0])
    np.testing.assert_allclose(welch(np.array([1.0, 5.0, 0.0, 4.0]), 1), [1.0, 2.0, 3.0, 4.0])


def test_cli_warmup(tmp_path: Any, capsys: Any) -> None:
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(_mminf(False).model_dump(mode="json", exclude_unset=True)))
    assert main(["warmup", str(path), "--setting", "intermediate_care", "-n", "3"]) == 0
    assert "suggested warm-up" in capsys.readouterr().out
