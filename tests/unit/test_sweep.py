"""Dotted-path overrides, and sweeps that resume where they stopped.

(`placesim sweep`: tests/cli/test_sweep_cli.py.)
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import placesim
from placesim.experiments.sweep import parse_values, sweep
from placesim.scenario import override


def test_override_changes_only_the_path(small: dict[str, Any]) -> None:
    sc = placesim.parse_scenario(small)
    variant = override(sc, {"settings.acute.capacity": 55, "referrals": []})
    assert variant.settings.acute is not None and variant.settings.acute.capacity == 55
    assert variant.model_copy(update={"settings": sc.settings}) == sc
    assert sc.settings.acute is not None and sc.settings.acute.capacity == 40  # unchanged
    assert override(sc, {}) == sc


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"settings.acute.capacity": -1}, "settings.acute.capacity: -1 is not allowed"),
        ({"settings.acute.capcity": 3}, "did you mean 'capacity'"),
        ({"referrals[2].rate_per_day": 1}, "referrals[2].rate_per_day: there is no item [2]"),
        ({"settings..acute": 1}, "not a path"),
    ],
)
def test_override_errors_name_the_path(
    small: dict[str, Any], changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(placesim.ScenarioError) as info:
        override(placesim.parse_scenario(small), changes)
    assert message in str(info.value)


def test_parse_values() -> None:
    assert parse_values("40:60:5") == [40, 45, 50, 55, 60]
    assert parse_values("0.5:1.0:0.25") == [0.5, 0.75, 1.0]
    assert parse_values("a,b") == ["a", "b"]
    assert parse_values("12") == [12]
    with pytest.raises(placesim.PlacesimError):
        parse_values("5:1:1")


def test_sweep_table_has_every_point(small: dict[str, Any]) -> None:
    sc = placesim.parse_scenario(small)
    grid = {"settings.acute.capacity": [40, 60], "settings.intermediate_care.capacity": [6, 9]}
    table = sweep(sc, grid, replications=1, seed=2)
    points = table.drop_duplicates("point")
    assert list(
        zip(
            points["settings.acute.capacity"],
            points["settings.intermediate_care.capacity"],
            strict=True,
        )
    ) == [
        (40, 6),
        (40, 9),
        (60, 6),
        (60, 9),
    ]
    cap = table[(table["measure"] == "capacity") & (table["setting"] == "acute")]
    assert cap["mean"].tolist() == [40, 40, 60, 60]


def test_interrupted_sweep_resumes_to_the_same_table(
    small: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = placesim.parse_scenario(small)
    grid = {"settings.acute.capacity": [40, 50, 60]}
    straight = sweep(sc, grid, replications=1, seed=3, out=tmp_path / "straight")

    # The module, not the function.
    sweep_module = importlib.import_module("placesim.experiments.sweep")

    calls = {"n": 0}
    real = sweep_module.simulate

    def dies_on_second_point(*args: Any, **kwargs: Any) -> placesim.SimulationResult:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "simulate", dies_on_second_point)
    with pytest.raises(KeyboardInterrupt):
        sweep(sc, grid, replications=1, seed=3, out=tmp_path / "resumed")
    written = sorted(p.name for p in (tmp_path / "resumed" / "points").glob("*"))
    assert written == ["point-00000.csv", "point-00000.json"]  # a point and its manifest
    monkeypatch.setattr(sweep_module, "simulate", real)
    resumed = sweep(sc, grid, replications=1, seed=3, out=tmp_path / "resumed")
    pd.testing.assert_frame_equal(straight, resumed)
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "straight" / "sweep.csv"),
        pd.read_csv(tmp_path / "resumed" / "sweep.csv"),
    )


def test_sweep_refuses_a_folder_of_another_sweep(small: dict[str, Any], tmp_path: Path) -> None:
    sc = placesim.parse_scenario(small)
    sweep(sc, {"settings.acute.capacity": [40]}, replications=1, seed=3, out=tmp_path)
    with pytest.raises(placesim.PlacesimError, match="different sweep"):
        sweep(sc, {"settings.acute.capacity": [45]}, replications=1, seed=3, out=tmp_path)


def test_sweep_below_the_starting_census_cuts_it_to_fit(
    small: dict[str, Any], tmp_path: Path
) -> None:
    sc = placesim.parse_scenario(small)  # 30 people in acute at the start
    table = sweep(sc, {"settings.acute.capacity": [20, 40]}, replications=1, seed=1, out=tmp_path)
    cap = table[(table["measure"] == "capacity") & (table["setting"] == "acute")]
    assert cap["mean"].tolist() == [20, 40]


def test_a_bad_point_claims_no_folder(small: dict[str, Any], tmp_path: Path) -> None:
    sc = placesim.parse_scenario(small)
    with pytest.raises(placesim.ScenarioError):
        sweep(sc, {"settings.acute.capacity": [40, -1]}, replications=1, out=tmp_path / "s")
    assert not (tmp_path / "s").exists()
