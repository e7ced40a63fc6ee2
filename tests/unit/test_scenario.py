"""Scenario loading and the messages for bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import placesim
from placesim.errors import ScenarioError


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        placesim.parse_scenario(data)
    return info.value.problems


def test_small_scenario_is_valid(small: dict[str, Any]) -> None:
    sc = placesim.parse_scenario(small)
    assert list(sc.settings.defined()) == [
        "acute",
        "rapid_response",
        "virtual_ward",
        "intermediate_care",
        "reablement",
        "care_home",
    ]
    assert sc.age_bands == ["0-64", "65+"]


def test_negative_capacity_names_field_value_and_rule(small: dict[str, Any]) -> None:
    small["settings"]["acute"]["capacity"] = -5
    assert _problems(small) == [
        "settings.acute.capacity: -5 is not allowed: must be >= 0 or 'unlimited'"
    ]


def test_unknown_key_suggests_nearest(small: dict[str, Any]) -> None:
    small["settings"]["acute"]["capcity"] = 5
    small["settings"]["acute"]["los"]["medain"] = 3
    problems = _problems(small)
    assert "settings.acute.capcity: unknown key 'capcity'; did you mean 'capacity'?" in problems
    assert "settings.acute.los.medain: unknown key 'medain'; did you mean 'median'?" in problems


def test_all_problems_reported_at_once(small: dict[str, Any]) -> None:
    small["discharge"]["pathways"]["all"]["P0"] = 0.5
    small["triage"]["home"]["all"]["acute"] = 0.5
    problems = _problems(small)
    assert len(problems) == 2
    assert any(p.startswith("discharge.pathways.all: shares must sum to 1") for p in problems)
    assert any(p.startswith("triage.home.all: shares must sum to 1") for p in problems)


def test_dates_must_fall_inside_horizon(small: dict[str, Any]) -> None:
    small["settings"]["acute"]["capacity_changes"] = [{"date": "2030-01-01", "capacity": 3}]
    (problem,) = _problems(small)
    assert problem.startswith("settings.acute.capacity_changes[0].date: 2030-01-01 is outside")


def test_route_to_missing_setting_is_an_error(small: dict[str, Any]) -> None:
    del small["settings"]["reablement"]
    problems = _problems(small)
    assert any(p.startswith("discharge.pathways.all.P1: share 0.15 sends people") for p in problems)


def test_age_band_keys_checked(small: dict[str, Any]) -> None:
    small["population"]["localities"][0]["people"] = {"0-64": 10, "65-74": 3}
    problems = _problems(small)
    assert any("age band '65-74' is not one of" in p and "'65+'" in p for p in problems)
    assert any("missing age band(s) 65+" in p for p in problems)


def test_bad_distribution_kind(small: dict[str, Any]) -> None:
    small["settings"]["acute"]["los"] = {"kind": "beta", "mean": 3}
    (problem,) = _problems(small)
    assert problem.startswith("settings.acute.los: kind 'beta' is not allowed")


def test_overflow_only_for_front_door(small: dict[str, Any]) -> None:
    small["settings"]["intermediate_care"]["when_full"] = "overflow_to_acute"
    (problem,) = _problems(small)
    assert problem.startswith("settings.intermediate_care.when_full:")


def test_initial_occupancy_above_capacity_is_a_valid_start(small: dict[str, Any]) -> None:
    # A census above capacity drains as people leave (tests/validation/
    # test_census_above_capacity.py holds the engines to it).
    small["initial_state"]["acute"]["occupied"] = 41
    assert placesim.parse_scenario(small).initial_state["acute"].occupied == 41


def test_referral_only_scenario_without_population() -> None:
    sc = placesim.parse_scenario(
        {
            "calendar": {"start_date": "2025-01-01", "horizon_days": 30},
            "settings": {
                "intermediate_care": {
                    "capacity": 4,
                    "los": {"kind": "fixed", "days": 3},
                    "outcomes": {"home": 1},
                }
            },
            "referrals": [{"name": "gp", "setting": "intermediate_care", "rate_per_day": 1}],
        }
    )
    assert sc.population is None and sc.age_bands == ["all"]


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        placesim.load_scenario(tmp_path / "nope.yaml")


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ncalendar: {start_date: 2025-01-01\nsettings: {}\n")
    with pytest.raises(ScenarioError) as info:
        placesim.load_scenario(path)
    assert "malformed YAML: line 3" in str(info.value)
    assert str(path) in str(info.value)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8"):
        placesim.load_scenario(path)


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ScenarioError, match="malformed YAML"):
        placesim.load_scenario(path)


def test_load_roundtrip(tmp_path: Path, small: dict[str, Any]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small))
    assert placesim.load_scenario(path) == placesim.parse_scenario(small)


def test_json_schema_is_complete() -> None:
    schema = placesim.scenario_json_schema()
    json.dumps(schema)
    assert set(schema["properties"]) >= {
        "calendar",
        "population",
        "demand",
        "triage",
        "settings",
        "discharge",
        "referrals",
        "initial_state",
        "measures",
    }
    assert schema["additionalProperties"] is False
