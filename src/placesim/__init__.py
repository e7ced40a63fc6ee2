"""placesim: simulate the demand on a whole health-and-care system (a place).

The public API, used by the examples, the docs and the tests::

    import placesim
    sc = placesim.load_scenario("scenarios/rotherham_baseline.yaml")
    res = placesim.simulate(sc, replications=10, seed=1)
    res.summary()

The packages follow the flow of a run (docs/architecture.md): ``scenario`` (what the user
writes) -> ``plan`` (compiled once) -> ``demand`` (every draw up front) -> ``engine`` (the
queueing network) -> ``measures`` (tidy tables) -> ``reporting`` (text, files, HTML) ->
``experiments`` (replications, comparisons, sweeps, sizing, regions) -> ``fitting`` (a
planner's own data to a scenario, and the scenario checked against it) -> ``cli``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from placesim.errors import PlacesimError, PlacesimWarning, ScenarioError
from placesim.version import __version__

if TYPE_CHECKING:
    from placesim.engine import ENGINES
    from placesim.experiments import (
        SizingResult,
        WarmupAdvice,
        compare,
        run_replication,
        simulate,
        simulate_region,
        size,
        suggest_warmup,
        sweep,
        weekly_need,
    )
    from placesim.fitting import backtest, fit, read_extract
    from placesim.measures import (
        GROUP_MEASURES,
        MEASURES,
        OUTCOMES,
        Comparison,
        RegionResult,
        SimulationResult,
        group_measures,
        load_warnings,
        offered_load,
        replication_outcomes,
        summarise_outcomes,
        supported_discharges,
        t_interval,
    )
    from placesim.plan import Plan, compile_plan
    from placesim.reporting import read_region, read_results, write_results
    from placesim.scenario import (
        SETTINGS,
        CapacityChangeIntervention,
        CareHomeSupport,
        DemandChange,
        HomeFirst,
        IntegratedLocality,
        LocalityRollout,
        Region,
        Scenario,
        UncertainInput,
        diff_scenarios,
        draw_inputs,
        fix_inputs,
        load_region,
        load_scenario,
        override,
        parse_scenario,
        scenario_json_schema,
    )

_LAZY: dict[str, str] = {
    "CapacityChangeIntervention": "placesim.scenario",
    "CareHomeSupport": "placesim.scenario",
    "Comparison": "placesim.measures",
    "DemandChange": "placesim.scenario",
    "ENGINES": "placesim.engine",
    "GROUP_MEASURES": "placesim.measures",
    "HomeFirst": "placesim.scenario",
    "IntegratedLocality": "placesim.scenario",
    "LocalityRollout": "placesim.scenario",
    "MEASURES": "placesim.measures",
    "OUTCOMES": "placesim.measures",
    "Plan": "placesim.plan",
    "Region": "placesim.scenario",
    "RegionResult": "placesim.measures",
    "SETTINGS": "placesim.scenario",
    "Scenario": "placesim.scenario",
    "UncertainInput": "placesim.scenario",
    "SimulationResult": "placesim.measures",
    "SizingResult": "placesim.experiments",
    "WarmupAdvice": "placesim.experiments",
    "compare": "placesim.experiments",
    "compile_plan": "placesim.plan",
    "fit": "placesim.fitting",
    "backtest": "placesim.fitting",
    "diff_scenarios": "placesim.scenario",
    "draw_inputs": "placesim.scenario",
    "fix_inputs": "placesim.scenario",
    "group_measures": "placesim.measures",
    "load_region": "placesim.scenario",
    "load_scenario": "placesim.scenario",
    "load_warnings": "placesim.measures",
    "offered_load": "placesim.measures",
    "override": "placesim.scenario",
    "parse_scenario": "placesim.scenario",
    "read_extract": "placesim.fitting",
    "read_region": "placesim.reporting",
    "read_results": "placesim.reporting",
    "replication_outcomes": "placesim.measures",
    "run_replication": "placesim.experiments",
    "scenario_json_schema": "placesim.scenario",
    "simulate": "placesim.experiments",
    "simulate_region": "placesim.experiments",
    "size": "placesim.experiments",
    "suggest_warmup": "placesim.experiments",
    "summarise_outcomes": "placesim.measures",
    "supported_discharges": "placesim.measures",
    "sweep": "placesim.experiments",
    "t_interval": "placesim.measures",
    "weekly_need": "placesim.experiments",
    "write_results": "placesim.reporting",
}
"""Where each public name lives; imported on first use, so that ``import placesim`` and
``placesim --help`` stay quick and Ctrl-C while a command starts is a clean interrupt."""

_PACKAGES = (
    "scenario",
    "plan",
    "demand",
    "engine",
    "measures",
    "reporting",
    "experiments",
    "fitting",
)

__all__ = [
    "ENGINES",
    "GROUP_MEASURES",
    "MEASURES",
    "OUTCOMES",
    "SETTINGS",
    "CapacityChangeIntervention",
    "CareHomeSupport",
    "Comparison",
    "DemandChange",
    "HomeFirst",
    "IntegratedLocality",
    "LocalityRollout",
    "PlacesimError",
    "PlacesimWarning",
    "Plan",
    "Region",
    "RegionResult",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "SizingResult",
    "UncertainInput",
    "WarmupAdvice",
    "__version__",
    "backtest",
    "compare",
    "compile_plan",
    "diff_scenarios",
    "draw_inputs",
    "fit",
    "fix_inputs",
    "group_measures",
    "load_region",
    "load_scenario",
    "load_warnings",
    "offered_load",
    "override",
    "parse_scenario",
    "read_extract",
    "read_region",
    "read_results",
    "replication_outcomes",
    "run_replication",
    "scenario_json_schema",
    "simulate",
    "simulate_region",
    "size",
    "suggest_warmup",
    "summarise_outcomes",
    "supported_discharges",
    "sweep",
    "t_interval",
    "weekly_need",
    "write_results",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _PACKAGES:
        value = importlib.import_module(f"placesim.{name}")
    else:
        raise AttributeError(f"module 'placesim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_PACKAGES})
