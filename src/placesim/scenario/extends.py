"""Scenario variants: a file that says ``extends: other.yaml`` and then only its changes.

The chain of files is followed and merged as raw data, before anything is validated, so a
variant is checked exactly like a whole scenario file. Reading a file (and parsing its YAML)
is left to the caller, :func:`placesim.scenario.load_scenario`, which stays the only module
that reads YAML; this module only walks the chain and merges.

The merge: mappings merge key by key; any other value (a list included) replaces the
parent's; a key set to null in the child is removed. See docs/scenarios.md, "Variants:
extends".
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from placesim.errors import ScenarioError

__all__ = ["EXTENDS_KEY", "MAX_EXTENDS_DEPTH", "merge_scenario_data", "resolve_extends"]

EXTENDS_KEY = "extends"
MAX_EXTENDS_DEPTH = 20
"""Most `extends` links one chain may follow (so at most 21 files)."""


def merge_scenario_data(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge a child's raw scenario data onto its parent's; neither is changed.

    Mappings merge key by key, recursively, except that a mapping whose `kind` (a
    distribution) or `type` (an intervention) differs from the parent's replaces it whole:
    a gamma stay keeps nothing of a lognormal one. Any other value, lists included,
    replaces the parent's whole. A key whose value in the child is null is removed from the result
    (removing a key the parent does not have is not an error), at any depth of mappings but
    not inside lists, which are taken as written.

    Parameters
    ----------
    parent, child
        Scenario data as read from YAML (the `extends` key already taken out).

    Returns
    -------
    dict
        A new mapping that shares no mutable values with either input.
    """
    out: dict[str, Any] = {key: copy.deepcopy(value) for key, value in parent.items()}
    for key, value in child.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping):
            base = out.get(key)
            if not isinstance(base, Mapping) or _retyped(base, value):
                base = {}
            out[key] = merge_scenario_data(base, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_extends(path: Path, read: Callable[[Path], Any]) -> Any:
    """Read the scenario at `path` and every file it extends, and merge them.

    Parameters
    ----------
    path
        The scenario file the user named.
    read
        Reads one file and returns its data as parsed YAML; raises :class:`ScenarioError`
        for a file it cannot read or parse.

    Returns
    -------
    Any
        The data of `path` unchanged if it has no `extends` (or is not a mapping);
        otherwise the merge of the whole chain, from the first ancestor down to `path`,
        without any `extends` key.

    Raises
    ------
    ScenarioError
        For an `extends` that is not a path, names a missing file or a file that is not a
        mapping (the source is the file that says `extends`), and for a loop or a chain
        longer than :data:`MAX_EXTENDS_DEPTH` (the source is `path`).
    """
    data = read(path)
    if not isinstance(data, dict) or EXTENDS_KEY not in data:
        return data
    chain = [path]
    seen = {path.resolve()}
    layers: list[dict[str, Any]] = [data]
    current, current_data = path, data
    while EXTENDS_KEY in current_data:
        target = current_data[EXTENDS_KEY]
        if not isinstance(target, str) or not target.strip():
            raise ScenarioError(
                [
                    f"{EXTENDS_KEY}: {target!r} is not allowed: must be the path of the "
                    "scenario file this one changes (a string, relative to this file)"
                ],
                source=str(current),
            )
        parent = current.parent / target
        try:
            resolved = parent.resolve()
            is_file = parent.is_file()
        except (OSError, ValueError, RuntimeError) as exc:
            # A NUL byte, a name longer than the file system allows, a loop of symbolic links
            # (RuntimeError before Python 3.13).
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            shown = target if len(target) <= 60 else target[:57] + "..."
            raise ScenarioError(
                [f"{EXTENDS_KEY}: {shown!r} is not a usable file name ({reason})"],
                source=str(current),
            ) from None
        if resolved in seen:
            names = " -> ".join(_display(p, path) for p in [*chain, parent])
            raise ScenarioError([f"{EXTENDS_KEY}: loop {names}"], source=str(path))
        if len(chain) > MAX_EXTENDS_DEPTH:
            raise ScenarioError(
                [
                    f"{EXTENDS_KEY}: more than {MAX_EXTENDS_DEPTH} files extended in a chain ("
                    f"{_display(chain[0], path)} -> {_display(chain[1], path)} -> ... -> "
                    f"{_display(parent, path)}); at most {MAX_EXTENDS_DEPTH} are allowed"
                ],
                source=str(path),
            )
        if not is_file:
            raise ScenarioError(
                [f"{EXTENDS_KEY}: {target!r} not found (looked for {os.path.abspath(parent)})"],
                source=str(current),
            )
        parent_data = read(parent)
        if not isinstance(parent_data, dict):
            kind = "empty" if parent_data is None else f"a {type(parent_data).__name__}"
            raise ScenarioError(
                [
                    f"{EXTENDS_KEY}: {target!r} is not a scenario: the file is {kind}, not "
                    "a mapping of keys to values"
                ],
                source=str(current),
            )
        chain.append(parent)
        seen.add(resolved)
        layers.append(parent_data)
        current, current_data = parent, parent_data

    merged = _without_extends(layers[-1])
    for layer in reversed(layers[:-1]):
        merged = merge_scenario_data(merged, _without_extends(layer))
    return merged


def _without_extends(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != EXTENDS_KEY}


def _display(file: Path, start: Path) -> str:
    """A file of the chain: relative to the folder of the file the user named, if inside it."""
    resolved = file.resolve()
    try:
        return str(resolved.relative_to(start.resolve().parent))
    except ValueError:
        return str(resolved)


def _retyped(parent: Mapping[str, Any], child: Mapping[str, Any]) -> bool:
    """Whether the child names another kind of thing than the parent (kind or type)."""
    return any(
        key in child and key in parent and child[key] != parent[key] for key in ("kind", "type")
    )
