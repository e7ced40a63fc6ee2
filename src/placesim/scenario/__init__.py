"""What the user writes: a scenario file, read, merged, validated and checked.

The first stage of the flow; it imports nothing else of placesim but ``errors``.

- ``schema``: the pydantic models of a scenario (``Scenario`` and its parts).
- ``fields``, ``distributions``, ``levers``, ``routes``: the value types a scenario is
  built from (dates, length-of-stay distributions, policy levers, routing vocabulary).
- ``loading``: the only module that reads YAML (``load_scenario``, ``parse_scenario``).
- ``extends``: variants that extend a parent file; ``checks``: checks across fields;
  ``messages``: pydantic's errors in plain words.
- ``override`` and ``diff``: variants made by copying with changes, and what differs.
- ``region``: region files, whose places are scenarios run side by side, each on a
  seed derived from the region's (``load_region``, ``place_seed``).
- ``uncertainty``: ranges and distributions written in place of numbers, and the keyed
  draws that give each replication its values (``draw_inputs``, ``fix_inputs``).
"""

from __future__ import annotations

from placesim.scenario.checks import scenario_warnings
from placesim.scenario.diff import diff_scenarios
from placesim.scenario.distributions import Distribution
from placesim.scenario.levers import (
    PILOT_DIVERSION,
    CapacityChangeIntervention,
    CareHomeSupport,
    DemandChange,
    DischargeWindowChange,
    EscalationLevelChange,
    HomeFirst,
    IntegratedLocality,
    Intervention,
    Lever,
    LocalityRollout,
    Phase,
    StaffLever,
)
from placesim.scenario.loading import (
    MAX_FILE_BYTES,
    MAX_NESTING,
    MAX_YAML_VALUES,
    load_scenario,
    parse_scenario,
    parse_value,
    scenario_json_schema,
)
from placesim.scenario.operations import (
    DischargeWindow,
    ElectiveStream,
    Escalation,
    EscalationLevel,
    Workforce,
)
from placesim.scenario.override import (
    draw_inputs,
    fit_census,
    fix_inputs,
    override,
    parse_path,
    scenario_data,
)
from placesim.scenario.region import (
    Place,
    Region,
    is_region_file,
    load_region,
    parse_region,
    place_seed,
)
from placesim.scenario.schema import (
    MAX_REPLICATIONS,
    RESIDENCES,
    SCHEMA_VERSION,
    SETTINGS,
    Costs,
    Scenario,
    SettingName,
    Window,
    band_value,
)
from placesim.scenario.uncertainty import UncertainInput

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "MAX_REPLICATIONS",
    "MAX_YAML_VALUES",
    "PILOT_DIVERSION",
    "RESIDENCES",
    "SCHEMA_VERSION",
    "SETTINGS",
    "CapacityChangeIntervention",
    "CareHomeSupport",
    "Costs",
    "DemandChange",
    "DischargeWindow",
    "DischargeWindowChange",
    "Distribution",
    "ElectiveStream",
    "Escalation",
    "EscalationLevel",
    "EscalationLevelChange",
    "HomeFirst",
    "IntegratedLocality",
    "Intervention",
    "Lever",
    "LocalityRollout",
    "Phase",
    "Place",
    "Region",
    "Scenario",
    "SettingName",
    "StaffLever",
    "UncertainInput",
    "Window",
    "Workforce",
    "band_value",
    "diff_scenarios",
    "draw_inputs",
    "fit_census",
    "fix_inputs",
    "is_region_file",
    "load_region",
    "load_scenario",
    "override",
    "parse_path",
    "parse_region",
    "parse_scenario",
    "parse_value",
    "place_seed",
    "scenario_data",
    "scenario_json_schema",
    "scenario_warnings",
]
