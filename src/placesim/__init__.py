"""placesim: simulate the demand on a whole health-and-care system (a place).

The public API, used by the examples, the docs and the tests::

    import placesim
    sc = placesim.load_scenario("scenarios/rotherham_baseline.yaml")
    res = placesim.simulate(sc, replications=10, seed=1)
    res.summary()
"""

from __future__ import annotations

from placesim.comparison import Comparison, compare
from placesim.diff import diff_scenarios
from placesim.errors import PlacesimError, ScenarioError
from placesim.experiment import SimulationResult, simulate
from placesim.override import override
from placesim.scenario import Scenario, load_scenario, parse_scenario, scenario_json_schema
from placesim.sweep import sweep

__version__ = "0.1.0"

__all__ = [
    "Comparison",
    "PlacesimError",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "compare",
    "diff_scenarios",
    "load_scenario",
    "override",
    "parse_scenario",
    "scenario_json_schema",
    "simulate",
    "sweep",
]
