"""A region: several places, each a scenario of its own, run side by side.

A region file lists its places; each is a scenario file (``scenario: path``, optionally
with changes) or the changes to a template (``extends: template.yaml`` with the place's
population, capacities and levers), and region-wide ``interventions`` are added to every
place's own list. Each place runs on its own root seed, derived from the region's seed
and the place's name (:func:`place_seed`; docs/decisions.md, "Seed keys"), so places are
independent, and a place's numbers do not depend on which other places run.

Flows between places (one place's patients in a neighbour's hospital) are left out: each
place's people use its own services, and blocking is within a place (docs/howto/run-a-region.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from placesim.errors import ScenarioError
from placesim.scenario.extends import EXTENDS_KEY, merge_scenario_data, resolve_extends
from placesim.scenario.loading import parse_scenario, read_scenario_file, read_yaml
from placesim.scenario.schema import MAX_REPLICATIONS, Scenario

__all__ = [
    "REGION_KEY",
    "Place",
    "Region",
    "is_region_file",
    "load_region",
    "parse_region",
    "place_seed",
]

REGION_KEY = "places"
"""The top-level key that makes a YAML file a region file rather than a scenario."""

_TOP = {"name", "description", "seed", "replications", "interventions", "places", "flows"}


def place_seed(region_seed: int, name: str) -> int:
    """The root seed of place `name` in a region run on `region_seed`: the first 8 bytes of
    SHA-256 of ``placesim-place:{region_seed}:{name}``, shifted to 63 bits."""
    digest = hashlib.sha256(f"placesim-place:{region_seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True)
class Place:
    """One place of a region: its name, its root seed and its scenario (with the region's
    levers added)."""

    name: str
    seed: int
    scenario: Scenario


@dataclass(frozen=True)
class Region:
    """A region read from a file: its places, seed and default replications."""

    name: str
    description: str
    seed: int
    replications: int
    places: tuple[Place, ...]

    def with_seed(self, seed: int) -> Region:
        """The region run on another root seed: every place's seed derived again from it."""
        places = tuple(Place(p.name, place_seed(seed, p.name), p.scenario) for p in self.places)
        return Region(self.name, self.description, seed, self.replications, places)

    def place(self, name: str) -> Place:
        """The place called `name`."""
        for p in self.places:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.places)
        raise ScenarioError([f"place {name!r} is not in region {self.name!r} (places: {known})"])


def is_region_file(path: str | Path) -> bool:
    """Whether the YAML file at `path` is a region (it has a top-level ``places:``)."""
    data = read_yaml(Path(path))
    return isinstance(data, dict) and REGION_KEY in data


def _whole(value: Any, field: str, low: int, high: int | None, problems: list[str]) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        limit = f"from {low:,} to {high:,}" if high is not None else f">= {low}"
        problems.append(f"{field}: {value!r} is not allowed: must be a whole number {limit}")
        return low
    return value


def load_region(path: str | Path) -> Region:
    """Read a region file: every place's scenario read, merged, validated and checked.

    Raises
    ------
    ScenarioError
        With every problem found, each naming the place and the field.
    """
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict) or REGION_KEY not in data:
        raise ScenarioError(
            ["not a region file: a region has a top-level `places:` list"], source=str(path)
        )
    try:
        return parse_region(data, path.parent, default_name=path.stem)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, source=str(path)) from None


def parse_region(data: dict[str, Any], base: Path, default_name: str = "region") -> Region:
    """Build a :class:`Region` from plain data (as read from a region file); scenario and
    template paths are relative to `base`."""
    problems = [
        f"{key}: is not a field of a region file (fields: {', '.join(sorted(_TOP - {'flows'}))})"
        for key in data
        if key not in _TOP
    ]
    if "flows" in data:
        problems.append(
            "flows: flows between places are not modelled: each place's people use its own "
            "services (docs/howto/run-a-region.md); leave `flows` out"
        )
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        problems.append(f"name: {name!r} is not allowed: must be text")
        name = default_name
    seed = _whole(data.get("seed", 0), "seed", 0, None, problems)
    reps = _whole(data.get("replications", 10), "replications", 1, MAX_REPLICATIONS, problems)
    shared = data.get("interventions", [])
    if not isinstance(shared, list):
        problems.append("interventions: must be a list of levers, added to every place's own")
        shared = []
    entries = data.get(REGION_KEY)
    if not isinstance(entries, list) or not entries:
        problems.append(f"{REGION_KEY}: must be a list of at least one place")
        entries = []
    places: list[Place] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"{REGION_KEY}[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping with a name and a scenario or extends")
            continue
        place_name = entry.get("name")
        if not isinstance(place_name, str) or not place_name.strip():
            problems.append(
                f"{where}.name: {place_name!r} is not allowed: every place needs a name"
            )
            continue
        where = f"{REGION_KEY}[{i}] ({place_name})"
        if place_name in seen:
            problems.append(f"{where}.name: {place_name!r} is given twice: names must be unique")
            continue
        seen.add(place_name)
        try:
            scenario = _place_scenario(entry, base, shared, place_name)
        except ScenarioError as exc:
            source = f" ({exc.source})" if exc.source else ""
            problems += [f"{where}{source}: {p}" for p in exc.problems]
            continue
        places.append(Place(place_name, place_seed(seed, place_name), scenario))
    if problems:
        raise ScenarioError(problems)
    return Region(
        name=name,
        description=str(data.get("description", "")),
        seed=seed,
        replications=reps,
        places=tuple(places),
    )


def _place_scenario(entry: dict[str, Any], base: Path, shared: list[Any], name: str) -> Scenario:
    """The scenario of one place entry: its file or template, its changes, the region's
    levers after its own, and its name."""
    changes = {k: v for k, v in entry.items() if k not in ("name", "scenario", EXTENDS_KEY)}
    if ("scenario" in entry) == (EXTENDS_KEY in entry):
        raise ScenarioError(
            [
                "give exactly one of `scenario: FILE` (a whole scenario) or `extends: FILE` "
                "(a template and the place's changes)"
            ]
        )
    target = entry.get("scenario", entry.get(EXTENDS_KEY))
    if not isinstance(target, str) or not target.strip():
        raise ScenarioError([f"{target!r} is not allowed: must be the path of a scenario file"])
    file = base / target
    if not file.is_file():
        raise ScenarioError([f"{target!r} not found (looked for {file.resolve()})"])
    data = merge_scenario_data(resolve_extends(file, read_scenario_file), changes)
    data["name"] = name
    if shared:
        own = data.get("interventions") or []
        data["interventions"] = [*own, *shared]
    return parse_scenario(data)
