"""Variants of a scenario by dotted path: `settings.acute.capacity` = 560.

A variant is a copy with changes, validated like a file (never a mutation), so a bad path
or value is a ScenarioError that names it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from placesim.errors import ScenarioError
from placesim.scenario.loading import parse_scenario
from placesim.scenario.schema import Scenario
from placesim.scenario.uncertainty import draw_uniform

__all__ = [
    "draw_inputs",
    "fit_census",
    "fix_inputs",
    "override",
    "parse_path",
    "scenario_data",
]

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """Split `a.b[2].c` into ['a', 'b', 2, 'c']."""
    parts: list[str | int] = []
    pos = 0
    for match in _PART.finditer(path):
        gap = path[pos : match.start()]
        if gap not in ("", "."):
            break
        key, index = match.groups()
        parts.append(int(index) if index is not None else key)
        pos = match.end()
    if not parts or pos != len(path):
        raise ScenarioError(
            [f"{path!r}: not a path like settings.acute.capacity or referrals[0].rate_per_day"]
        )
    return parts


def _set(data: Any, parts: list[str | int], value: Any, path: str) -> None:
    node = data
    for depth, part in enumerate(parts[:-1]):
        nxt = parts[depth + 1]
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise ScenarioError([f"{path}: there is no item [{part}] here"])
            node = node[part]
            continue
        if not isinstance(node, dict):
            raise ScenarioError([f"{path}: '{part}' is inside a value that has no keys"])
        if node.get(part) is None:
            node[part] = [] if isinstance(nxt, int) else {}
        node = node[part]
    last = parts[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise ScenarioError([f"{path}: there is no item [{last}] here"])
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError([f"{path}: '{last}' is inside a value that has no keys"])


def override(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """A validated copy of `scenario` with values changed at dotted paths.

    Parameters
    ----------
    scenario
        The scenario to start from (unchanged).
    changes
        Path -> new value, e.g. ``{"settings.intermediate_care.capacity": 60,
        "calendar.horizon_days": 182}``. A path may create a missing mapping
        (``initial_state.acute.occupied``); list items are addressed as ``referrals[0]``.
        Uncertain inputs stay uncertain unless a change gives them a value.

    Raises
    ------
    ScenarioError
        If a path does not fit the scenario or the result is not a valid scenario.
    """
    found = scenario.uncertainty
    data = (
        copy.deepcopy(found.source)
        if found is not None
        else scenario.model_dump(mode="json", exclude_unset=True)
    )
    for path, value in changes.items():
        _set(data, parse_path(path), value, path)
    return parse_scenario(data)


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain JSON data that reads back as the same scenario: the model
    with its defaults, or, with uncertain inputs, the data it was read from (ranges in
    place, where defaults are implied)."""
    found = scenario.uncertainty
    if found is None:
        return scenario.model_dump(mode="json")
    return json.loads(json.dumps(found.source, default=str))  # type: ignore[no-any-return]


def draw_inputs(
    scenario: Scenario, seed: int, replication: int
) -> tuple[Scenario, dict[str, float]]:
    """The scenario replication `replication` of root `seed` runs, and the value each
    uncertain input took in it (path -> value; empty when there are none).

    Each input's value is its distribution's inverse CDF at a uniform keyed by the seed,
    the replication and the input's path (docs/decisions.md, "Seed keys"), so it does not
    depend on the other inputs, on how many replications run, or where.
    """
    inputs = scenario.uncertain_inputs
    if not inputs:
        return scenario, {}
    quantiles = [draw_uniform(seed, replication, spec.path) for spec in inputs]
    return _at_quantiles(scenario, quantiles, f"replication {replication}")


def fix_inputs(scenario: Scenario, quantiles: Mapping[str, float] | None = None) -> Scenario:
    """The scenario with every uncertain input fixed: at its median, or at the quantile
    `quantiles` gives for its path (``{"settings.acute.los.mean": 0.9}``).

    The scenario "without input uncertainty", to compare a run with; or one input at its
    10th or 90th percentile with the others at their medians, as a tornado chart shows.
    """
    inputs = scenario.uncertain_inputs
    chosen = dict(quantiles or {})
    unknown = sorted(set(chosen) - {spec.path for spec in inputs})
    if unknown:
        known = ", ".join(spec.path for spec in inputs) or "none"
        raise ScenarioError([f"{', '.join(unknown)}: not an uncertain input (they are: {known})"])
    for path, q in chosen.items():
        if not 0.0 < q < 1.0:
            raise ScenarioError([f"{path}: quantile {q!r} is not allowed: must be between 0 and 1"])
    if not inputs:
        return scenario
    levels = [chosen.get(spec.path, 0.5) for spec in inputs]
    return _at_quantiles(scenario, levels, "fixed inputs")[0]


def _at_quantiles(
    scenario: Scenario, quantiles: list[float], what: str
) -> tuple[Scenario, dict[str, float]]:
    found = scenario.uncertainty
    assert found is not None
    drawn = [spec.value_at(q) for spec, q in zip(found.inputs, quantiles, strict=True)]
    data, values = found.data_with(drawn)
    try:
        return parse_scenario(data), values
    except ScenarioError as exc:
        took = ", ".join(f"{path} = {value:.4g}" for path, value in values.items())
        raise ScenarioError(
            [f"{what}, with uncertain inputs {took}: {problem}" for problem in exc.problems]
        ) from None


_CAPACITY_PATH = re.compile(r"^settings\.(\w+)\.capacity$")


def fit_census(scenario: Scenario, changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes`, plus a starting census cut to fit any setting whose capacity they lower.

    A setting with fewer places would have held fewer people when the census was taken,
    so sizing and sweeps over capacity keep the census up to the capacity tried, as a
    full setting would (a census above capacity is a valid start, but it would say the
    smaller setting had been over-full).
    """
    out = dict(changes)
    for path, value in changes.items():
        match = _CAPACITY_PATH.match(path)
        if match is None or not isinstance(value, int) or isinstance(value, bool):
            continue
        state = scenario.initial_state.get(match[1])  # type: ignore[arg-type]
        if state is not None and state.elapsed_days is None and state.occupied > value:
            out.setdefault(f"initial_state.{match[1]}.occupied", max(value, 0))
    return out
