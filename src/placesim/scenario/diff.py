"""The effective differences between two scenarios, one line per differing value.

Scenarios are compared as validated models, so a default counts as if it were written out:
a file that leaves `when_full` out and one that says `when_full: queue` do not differ.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from placesim.scenario.uncertainty import with_specs

if TYPE_CHECKING:
    from placesim.scenario.schema import Scenario

__all__ = ["diff_scenarios"]


def diff_scenarios(a: Scenario, b: Scenario) -> list[str]:
    """List the differences between scenario `a` and scenario `b`, from `a` to `b`.

    Both are compared as ``model_dump(mode="json")``, so defaults count; an uncertain
    input is compared as the range or distribution written for it. Each line names a
    field path as the error messages do (``settings.acute.capacity``,
    ``referrals[0].rate_per_day``) and shows values as JSON (which is also YAML):

    * ``path: old -> new`` for a value that changed;
    * ``+ path: value`` for a value only `b` has (a key, a list item, or a mapping or list
      where `a` has null);
    * ``- path: value`` for a value only `a` has.

    Mappings are compared key by key, in `a`'s order and then `b`'s new keys; lists item by
    item by index, except that lists of numbers of different lengths (twelve monthly
    factors against none, a census of elapsed days) are shown whole as one change.

    Parameters
    ----------
    a, b
        The scenarios to compare.

    Returns
    -------
    list of str
        One line per differing value; empty when the scenarios are equal.
    """
    lines: list[str] = []
    _diff(_dumped(a), _dumped(b), "", lines)
    return lines


def _dumped(scenario: Scenario) -> Any:
    """The model's values, with uncertain inputs shown as the ranges the file gave."""
    return with_specs(scenario.model_dump(mode="json"), scenario.uncertain_inputs)


def _diff(old: Any, new: Any, path: str, lines: list[str]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*old, *(k for k in new if k not in old)]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in new:
                lines.append(f"- {sub}: {_show(old[key])}")
            elif key not in old:
                lines.append(f"+ {sub}: {_show(new[key])}")
            else:
                _diff(old[key], new[key], sub, lines)
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new) and all(map(_is_number, [*old, *new])):
            lines.append(f"{_where(path)}: {_show(old)} -> {_show(new)}")
            return
        for i in range(max(len(old), len(new))):
            sub = f"{path}[{i}]"
            if i >= len(new):
                lines.append(f"- {sub}: {_show(old[i])}")
            elif i >= len(old):
                lines.append(f"+ {sub}: {_show(new[i])}")
            else:
                _diff(old[i], new[i], sub, lines)
    elif old is None and isinstance(new, Mapping | list):
        lines.append(f"+ {_where(path)}: {_show(new)}")
    elif new is None and isinstance(old, Mapping | list):
        lines.append(f"- {_where(path)}: {_show(old)}")
    elif old != new:
        lines.append(f"{_where(path)}: {_show(old)} -> {_show(new)}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _where(path: str) -> str:
    return path or "(top level)"


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
