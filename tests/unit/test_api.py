"""The public API: the documented names exist."""

from __future__ import annotations

import placesim

DOCUMENTED = {
    "override",
    "sweep",
    "Comparison",
    "compare",
    "PlacesimError",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "diff_scenarios",
    "load_scenario",
    "parse_scenario",
    "scenario_json_schema",
    "simulate",
}


def test_documented_names_are_exported() -> None:
    assert set(placesim.__all__) >= DOCUMENTED
    for name in DOCUMENTED:
        assert hasattr(placesim, name), name


def test_scenario_error_is_a_placesim_error() -> None:
    assert issubclass(placesim.ScenarioError, placesim.PlacesimError)
