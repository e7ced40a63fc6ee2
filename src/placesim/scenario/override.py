"""Variants of a scenario by dotted path: `settings.acute.capacity` = 560.

A variant is a copy with changes, validated like a file (never a mutation), so a bad path
or value is a ScenarioError that names it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from placesim.errors import ScenarioError
from placesim.scenario.loading import parse_scenario
from placesim.scenario.schema import Scenario

__all__ = ["fit_census", "override", "parse_path"]

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

    Raises
    ------
    ScenarioError
        If a path does not fit the scenario or the result is not a valid scenario.
    """
    data = copy.deepcopy(scenario.model_dump(mode="json", exclude_unset=True))
    for path, value in changes.items():
        _set(data, parse_path(path), value, path)
    return parse_scenario(data)


_CAPACITY_PATH = re.compile(r"^settings\.(\w+)\.capacity$")


def fit_census(scenario: Scenario, changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes`, plus a starting census cut to fit any setting whose capacity they lower.

    A census snapshot larger than the capacity is not a valid start; sizing and sweeps
    over capacity keep the census up to the capacity tried, as a full setting would.
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
