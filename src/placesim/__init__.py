"""placesim: simulate the demand on a whole health-and-care system (a place).

The public API, used by the examples, the docs and the tests::

    import placesim
    sc = placesim.load_scenario("scenarios/rotherham_baseline.yaml")
    res = placesim.simulate(sc, replications=10, seed=1)
    res.summary()

The packages follow the flow of a run (docs/architecture.md): ``scenario`` (what the user
writes) -> ``plan`` (compiled once) -> ``demand`` (every draw up front) -> ``engine`` (the
queueing network) -> ``measures`` (tidy tables) -> ``reporting`` (text, files, HTML) ->
``experiments`` (replications, comparisons, sweeps, sizing) -> ``cli``.
"""

from __future__ import annotations

from placesim.engine import ENGINES
from placesim.errors import PlacesimError, ScenarioError
from placesim.experiments import (
    SizingResult,
    WarmupAdvice,
    compare,
    run_replication,
    simulate,
    size,
    suggest_warmup,
    sweep,
    weekly_need,
)
from placesim.measures import (
    GROUP_MEASURES,
    MEASURES,
    OUTCOMES,
    Comparison,
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
from placesim.reporting import read_results, write_results
from placesim.scenario import (
    SETTINGS,
    CapacityChangeIntervention,
    CareHomeSupport,
    DemandChange,
    HomeFirst,
    IntegratedLocality,
    LocalityRollout,
    Scenario,
    diff_scenarios,
    load_scenario,
    override,
    parse_scenario,
    scenario_json_schema,
)
from placesim.version import __version__

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
    "Plan",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "SizingResult",
    "WarmupAdvice",
    "__version__",
    "compare",
    "compile_plan",
    "diff_scenarios",
    "group_measures",
    "load_scenario",
    "load_warnings",
    "offered_load",
    "override",
    "parse_scenario",
    "read_results",
    "replication_outcomes",
    "run_replication",
    "scenario_json_schema",
    "simulate",
    "size",
    "suggest_warmup",
    "summarise_outcomes",
    "supported_discharges",
    "sweep",
    "t_interval",
    "weekly_need",
    "write_results",
]
