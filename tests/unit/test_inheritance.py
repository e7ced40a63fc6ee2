"""Scenario variants (`extends`) and the differences between scenarios (`diff`).

(`placesim diff`: tests/cli/test_inheritance_cli.py.)
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

import placesim
from builders import write_yaml
from placesim.scenario.extends import MAX_EXTENDS_DEPTH, merge_scenario_data

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "rotherham_baseline.yaml"


def _problems(exc: pytest.ExceptionInfo[placesim.ScenarioError]) -> list[str]:
    return exc.value.problems


# ---------------------------------------------------------------------------- extends


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_child_changing_one_capacity_equals_parent_but_that_field(tmp_path: Path, how: str) -> None:
    parent = placesim.load_scenario(BASELINE)
    assert parent.settings.acute is not None
    beds = parent.settings.acute.capacity
    assert isinstance(beds, int)
    target = os.path.relpath(BASELINE, tmp_path) if how == "relative" else str(BASELINE)
    child_path = write_yaml(
        tmp_path / "more_beds.yaml",
        {"extends": target, "settings": {"acute": {"capacity": beds + 19}}},
    )

    child = placesim.load_scenario(child_path)

    acute = parent.settings.acute.model_copy(update={"capacity": beds + 19})
    expected = parent.model_copy(
        update={"settings": parent.settings.model_copy(update={"acute": acute})}
    )
    assert child == expected
    assert child.name == "rotherham_baseline"  # inherited like any other key
    assert placesim.diff_scenarios(parent, child) == [
        f"settings.acute.capacity: {beds} -> {beds + 19}"
    ]


def test_chain_merges_from_the_first_ancestor_down(tmp_path: Path, small: dict[str, Any]) -> None:
    write_yaml(tmp_path / "base" / "c.yaml", small)
    # b.yaml is in another folder: its `extends` is relative to b.yaml, not to a.yaml.
    write_yaml(
        tmp_path / "variants" / "b.yaml",
        {
            "extends": "../base/c.yaml",
            "name": "b",
            "settings": {"acute": {"capacity": 50}, "care_home": {"capacity": 70}},
        },
    )
    a_path = write_yaml(
        tmp_path / "a.yaml",
        {"extends": "variants/b.yaml", "settings": {"acute": {"capacity": 55}}},
    )

    sc = placesim.load_scenario(a_path)

    assert sc.name == "b"
    assert sc.settings.acute is not None and sc.settings.acute.capacity == 55  # a over b
    assert sc.settings.care_home is not None and sc.settings.care_home.capacity == 70  # b
    assert sc.settings.acute.los.kind == "lognormal"  # c, under a mapping a and b merged into
    assert sc.calendar.horizon_days == 120  # c


def test_null_removes_a_key_of_the_parent(tmp_path: Path, small: dict[str, Any]) -> None:
    parent = write_yaml(tmp_path / "parent.yaml", small)
    child = write_yaml(
        tmp_path / "child.yaml",
        {
            "extends": parent.name,
            "initial_state": {"acute": None},
            "demand": {"seasonality": None},
            "settings": {"no_such_setting": None},  # removing what is not there is fine
        },
    )

    sc = placesim.load_scenario(child)

    assert set(sc.initial_state) == {"care_home"}
    assert sc.demand is not None and sc.demand.seasonality is None
    assert placesim.load_scenario(parent).initial_state["acute"].occupied == 30


def test_lists_replace_the_parents_list_whole(tmp_path: Path, small: dict[str, Any]) -> None:
    small["referrals"] = [
        {
            "name": "GP step-up",
            "setting": "intermediate_care",
            "rate_per_day": 0.4,
            "age_band": "65+",
        },
        {"name": "Hospice", "setting": "care_home", "rate_per_day": 0.1, "age_band": "65+"},
    ]
    small["settings"]["acute"]["capacity_changes"] = [
        {"date": "2025-06-01", "capacity": 45},
        {"date": "2025-07-01", "capacity": 40},
    ]
    parent = write_yaml(tmp_path / "parent.yaml", small)
    child = write_yaml(
        tmp_path / "child.yaml",
        {
            "extends": "parent.yaml",
            "referrals": [
                {
                    "name": "Falls",
                    "setting": "rapid_response",
                    "rate_per_day": 2.0,
                    "age_band": "65+",
                }
            ],
            "settings": {"acute": {"capacity_changes": []}},
            "demand": {"seasonality": {"monthly": [1.5] * 12}},
        },
    )

    sc = placesim.load_scenario(child)

    assert [(r.name, r.setting, r.rate_per_day) for r in sc.referrals] == [
        ("Falls", "rapid_response", 2.0)
    ]
    assert sc.settings.acute is not None and sc.settings.acute.capacity_changes == []
    assert sc.demand is not None and sc.demand.seasonality is not None
    assert sc.demand.seasonality.monthly == [1.5] * 12
    assert len(placesim.load_scenario(parent).referrals) == 2


def test_a_file_extending_itself_is_a_loop(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "a.yaml", {"extends": "a.yaml"})
    with pytest.raises(placesim.ScenarioError) as exc:
        placesim.load_scenario(path)
    assert _problems(exc) == ["extends: loop a.yaml -> a.yaml"]
    assert exc.value.source == str(path)


def test_two_files_extending_each_other_are_a_loop(tmp_path: Path) -> None:
    a = write_yaml(tmp_path / "a.yaml", {"extends": "sub/b.yaml"})
    write_yaml(tmp_path / "sub" / "b.yaml", {"extends": "../a.yaml"})
    with pytest.raises(placesim.ScenarioError) as exc:
        placesim.load_scenario(a)
    assert _problems(exc) == ["extends: loop a.yaml -> sub/b.yaml -> a.yaml"]
    assert exc.value.source == str(a)


def test_chain_depth_is_capped(tmp_path: Path, small: dict[str, Any]) -> None:
    # f0 -> f1 -> ... -> f{n}: n links; f{n} is the whole scenario.
    def chain(n: int, folder: Path) -> Path:
        write_yaml(folder / f"f{n}.yaml", small)
        for i in range(n):
            write_yaml(folder / f"f{i}.yaml", {"extends": f"f{i + 1}.yaml"})
        return folder / "f0.yaml"

    assert placesim.load_scenario(chain(MAX_EXTENDS_DEPTH, tmp_path / "ok")).name == "small"
    with pytest.raises(placesim.ScenarioError) as exc:
        placesim.load_scenario(chain(MAX_EXTENDS_DEPTH + 1, tmp_path / "deep"))
    assert _problems(exc) == [
        f"extends: more than {MAX_EXTENDS_DEPTH} files extended in a chain (f0.yaml -> "
        f"f1.yaml -> ... -> f{MAX_EXTENDS_DEPTH + 1}.yaml); at most {MAX_EXTENDS_DEPTH} "
        "are allowed"
    ]


def test_missing_parent_names_the_child_and_the_path_looked_for(tmp_path: Path) -> None:
    write_yaml(tmp_path / "b.yaml", {"extends": "nowhere/base.yaml"})
    a = write_yaml(tmp_path / "a.yaml", {"extends": "b.yaml"})
    with pytest.raises(placesim.ScenarioError) as exc:
        placesim.load_scenario(a)
    looked_for = tmp_path / "nowhere" / "base.yaml"
    assert _problems(exc) == [f"extends: 'nowhere/base.yaml' not found (looked for {looked_for})"]
    assert exc.value.source == str(tmp_path / "b.yaml")  # the file that says it


@pytest.mark.parametrize("value", [5, None, ["base.yaml"], {"file": "base.yaml"}, ""])
def test_extends_must_be_a_path(tmp_path: Path, value: Any) -> None:
    path = write_yaml(tmp_path / "child.yaml", {"extends": value, "name": "child"})
    with pytest.raises(placesim.ScenarioError) as exc:
        placesim.load_scenario(path)
    assert _problems(exc) == [
        f"extends: {value!r} is not allowed: must be the path of the scenario file this one "
        "changes (a string, relative to this file)"
    ]
    assert exc.value.source == str(path)


def test_parent_that_is_not_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    path = write_yaml(tmp_path / "child.yaml", {"extends": "list.yaml"})
    with pytest.raises(placesim.ScenarioError) as exc:
        placesim.load_scenario(path)
    assert _problems(exc) == [
        "extends: 'list.yaml' is not a scenario: the file is a list, not a mapping of keys "
        "to values"
    ]


def test_malformed_parent_is_named_as_the_source(tmp_path: Path) -> None:
    parent = tmp_path / "parent.yaml"
    parent.write_text("name: [unclosed\n")
    path = write_yaml(tmp_path / "child.yaml", {"extends": "parent.yaml"})
    with pytest.raises(placesim.ScenarioError) as exc:
        placesim.load_scenario(path)
    assert exc.value.source == str(parent)
    assert exc.value.problems[0].startswith("malformed YAML: line ")


def test_problems_of_the_merged_scenario_name_fields_and_the_child(
    tmp_path: Path, small: dict[str, Any]
) -> None:
    write_yaml(tmp_path / "parent.yaml", small)
    path = write_yaml(
        tmp_path / "child.yaml",
        {"extends": "parent.yaml", "settings": {"acute": {"capacity": -5}}},
    )
    with pytest.raises(placesim.ScenarioError) as exc:
        placesim.load_scenario(path)
    assert _problems(exc) == [
        "settings.acute.capacity: -5 is not allowed: must be >= 0 or 'unlimited'"
    ]
    assert exc.value.source == str(path)


def test_merge_is_deep_and_changes_neither_input() -> None:
    parent = {"a": {"x": 1, "y": [1, 2], "z": {"k": 1}}, "b": 2, "c": 3}
    child = {"a": {"y": [3], "z": None, "w": {"n": None, "m": 1}}, "c": None, "d": 4}
    before = (copy.deepcopy(parent), copy.deepcopy(child))

    merged = merge_scenario_data(parent, child)

    assert merged == {"a": {"x": 1, "y": [3], "w": {"m": 1}}, "b": 2, "d": 4}
    assert (parent, child) == before
    merged["a"]["y"].append(9)
    assert child["a"]["y"] == [3]


def test_a_mapping_replaces_a_parent_value_that_is_not_one() -> None:
    assert merge_scenario_data({"a": 5}, {"a": {"b": 1}}) == {"a": {"b": 1}}
    assert merge_scenario_data({"a": {"b": 1}}, {"a": 5}) == {"a": 5}


# ---------------------------------------------------------------------------- diff


def test_diff_of_a_hand_made_pair(small: dict[str, Any]) -> None:
    small["settings"]["acute"]["capacity_changes"] = [
        {"date": "2025-06-01", "capacity": 45},
        {"date": "2025-07-01", "capacity": 40},
    ]
    other = copy.deepcopy(small)
    other["name"] = "other"
    other["demand"]["seasonality"]["monthly"][1] = 1.1
    other["demand"]["day_of_week"] = [1.1, 1, 1, 1, 1, 0.9, 0.9]
    other["settings"]["acute"]["capacity"] = 45
    other["settings"]["acute"]["capacity_changes"] = [{"date": "2025-06-01", "capacity": 50}]
    other["settings"]["rapid_response"]["when_full"] = "queue"
    other["initial_state"]["acute"]["elapsed_days"] = [1, 2]
    other["initial_state"]["acute"]["occupied"] = 2
    other["measures"] = {"target_occupancy": {"acute": 0.92, "intermediate_care": 0.85}}

    a = placesim.parse_scenario(small)
    b = placesim.parse_scenario(other)

    assert placesim.diff_scenarios(a, b) == [
        'name: "small" -> "other"',
        "demand.seasonality.monthly[1]: 1.03 -> 1.1",
        "+ demand.day_of_week: [1.1, 1.0, 1.0, 1.0, 1.0, 0.9, 0.9]",
        "settings.acute.capacity: 40 -> 45",
        "settings.acute.capacity_changes[0].capacity: 45 -> 50",
        '- settings.acute.capacity_changes[1]: {"date": "2025-07-01", "capacity": 40}',
        'settings.rapid_response.when_full: "overflow_to_acute" -> "queue"',
        "initial_state.acute.occupied: 30 -> 2",
        "+ initial_state.acute.elapsed_days: [1.0, 2.0]",
        "+ measures.target_occupancy.intermediate_care: 0.85",
    ]
    assert placesim.diff_scenarios(b, a)[:3] == [
        'name: "other" -> "small"',
        "demand.seasonality.monthly[1]: 1.1 -> 1.03",
        "- demand.day_of_week: [1.1, 1.0, 1.0, 1.0, 1.0, 0.9, 0.9]",
    ]


def test_diff_shows_a_list_of_numbers_of_another_length_whole(small: dict[str, Any]) -> None:
    small["initial_state"]["acute"] = {"elapsed_days": [1, 2], "remaining": "elapsed"}
    other = copy.deepcopy(small)
    other["initial_state"]["acute"]["elapsed_days"] = [1, 2, 3]
    lines = placesim.diff_scenarios(placesim.parse_scenario(small), placesim.parse_scenario(other))
    assert lines == ["initial_state.acute.elapsed_days: [1.0, 2.0] -> [1.0, 2.0, 3.0]"]


def test_defaults_count_in_a_diff(small: dict[str, Any]) -> None:
    explicit = copy.deepcopy(small)
    explicit["settings"]["acute"]["when_full"] = "queue"  # the default
    explicit["measures"] = {"share_of_days": 0.95}  # the default
    a, b = placesim.parse_scenario(small), placesim.parse_scenario(explicit)
    assert placesim.diff_scenarios(a, b) == []


def test_diff_of_a_file_with_itself_is_empty() -> None:
    sc = placesim.load_scenario(BASELINE)
    assert placesim.diff_scenarios(sc, placesim.load_scenario(BASELINE)) == []


def test_diff_sees_through_extends(tmp_path: Path, small: dict[str, Any]) -> None:
    write_yaml(tmp_path / "parent.yaml", small)
    child = write_yaml(tmp_path / "child.yaml", {"extends": "parent.yaml"})
    whole = write_yaml(tmp_path / "whole.yaml", small)
    assert (
        placesim.diff_scenarios(placesim.load_scenario(child), placesim.load_scenario(whole)) == []
    )


# ----------------------------------------------------------------- extends: kinds


def test_a_new_distribution_kind_replaces_the_parent_mapping(tmp_path: Path) -> None:
    from placesim.scenario.extends import merge_scenario_data

    parent = {"los": {"kind": "lognormal", "mean": 9, "median": 4.5}, "capacity": 3}
    child = {"los": {"kind": "gamma", "mean": 8, "cv": 1.1}}
    assert merge_scenario_data(parent, child) == {
        "los": {"kind": "gamma", "mean": 8, "cv": 1.1},
        "capacity": 3,
    }
    same_kind = {"los": {"kind": "lognormal", "mean": 10}}
    assert merge_scenario_data(parent, same_kind)["los"] == {
        "kind": "lognormal",
        "mean": 10,
        "median": 4.5,
    }
