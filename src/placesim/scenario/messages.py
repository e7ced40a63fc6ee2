"""Plain-language messages for what pydantic found wrong in a scenario's data.

pydantic reports each problem with an internal location (union tags, constrained types);
these helpers turn it into one line that names the field path as the user wrote it, the
value (bounded, however big or deep a hostile file makes it) and what is allowed, with a
"did you mean" for a misspelt key.
"""

from __future__ import annotations

import difflib
import reprlib
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from placesim.scenario.schema import Scenario

__all__ = ["clip", "describe_validation_error", "did_you_mean", "listing"]


_SHOW_CHARS = 60
_MAX_SUGGEST = 100
"""Most names difflib compares a wrong name with (it costs their number times the names)."""
_MAX_LISTED = 12

# repr of a value that may be big or deep (from a hostile file): bounded in time and length.
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxset = 3, 12, 12, 12
_REPR.maxdict, _REPR.maxstring, _REPR.maxother = 12, _SHOW_CHARS, _SHOW_CHARS


def clip(text: str) -> str:
    """A name from the file, fit for a one-line message: escaped if it holds a newline or
    another unprintable character, and cut short if long."""
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= _SHOW_CHARS else text[: _SHOW_CHARS - 3] + "..."


def _path(loc: Sequence[str | int], data: Any = None) -> str:
    """A dotted path (``settings.acute.capacity``, ``referrals[0].name``) for a location.

    With the data the location points into, a number is shown as an index only inside a
    list: a mapping key that YAML read as a number (``2025:``) is shown as ``.2025``.
    """
    out = ""
    node = data
    for part in loc:
        if part == "[key]":
            continue  # pydantic's marker for a problem with the key itself, named just before
        if isinstance(part, int) and (data is None or isinstance(node, list | tuple)):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + clip(str(part))
        node = _child(node, part)
    return out or "(top level)"


def _child(node: Any, part: Any) -> Any:
    try:
        if isinstance(node, Mapping):
            return node.get(part)
        if isinstance(node, list | tuple) and isinstance(part, int):
            return node[part]
    except (TypeError, IndexError):  # an unhashable or out-of-range part
        pass
    return None


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= _SHOW_CHARS else repr(value[: _SHOW_CHARS - 3] + "...")
    if isinstance(value, dict | list | tuple | set | frozenset):
        return clip(_REPR.repr(value))
    try:
        return clip(str(value))
    except ValueError:  # an int with more digits than str() converts
        return "a number too long to show"


def listing(names: Sequence[str]) -> str:
    """Names joined by commas, the first few only if there are many."""
    shown = ", ".join(clip(n) for n in names[:_MAX_LISTED])
    return shown if len(names) <= _MAX_LISTED else f"{shown}, ... ({len(names)} in all)"


def did_you_mean(name: str, known: Sequence[str], cutoff: float) -> str:
    """A hint naming the closest known name, if there are few enough to compare."""
    if len(known) > _MAX_SUGGEST or len(name) > 4 * _SHOW_CHARS:
        return ""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=cutoff)
    return f"; did you mean '{close[0]}'?" if close else ""


def _allowed_keys(model: Any, loc: Sequence[str | int]) -> list[str]:
    """Field names valid at `loc` inside `model` (best effort, for suggestions)."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if isinstance(part, str) and part in tp.model_fields:
                tp = tp.model_fields[part].annotation
                continue
            # A discriminated union puts the tag in the location: pick that member.
            return []
        origin = typing.get_origin(tp)
        if origin in (dict, Mapping):
            tp = typing.get_args(tp)[1]
        elif origin in (list, Sequence):
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [
                a for a in typing.get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)
            ]
            match = [m for m in members if _tag(m) == part]
            if not match:
                return []
            tp = match[0]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _tag(model: type[BaseModel]) -> Any:
    field = model.model_fields.get("kind") or model.model_fields.get("type")
    if field is None:
        return None
    if not field.is_required():
        return field.default
    args = typing.get_args(field.annotation)
    return args[0] if args else None


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional wrappers."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if len(models) == 1 and len(args) == 1:
                tp = models[0]
                continue
            if all(typing.get_origin(_strip(a)) is not None for a in args) and len(args) == 1:
                tp = args[0]
                continue
        return tp


def _strip(tp: Any) -> Any:
    return typing.get_args(tp)[0] if typing.get_origin(tp) is typing.Annotated else tp


def describe_validation_error(exc: ValidationError, data: Any) -> list[str]:
    """Turn pydantic's errors into one plain message per problem."""
    problems: list[str] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        kind = err["type"]
        value = err.get("input")
        ctx = err.get("ctx") or {}
        # Discriminated-union tags ('lognormal', 'int', 'literal[...]') are not user paths.
        user_loc = [p for p in loc if not (isinstance(p, str) and _is_internal_tag(p))]
        where = _path(user_loc, data)
        if kind == "literal_error" and loc and loc[-1] == "[key]":
            msg = f"{where}: {_show(value)} is not allowed here: the keys are {ctx['expected']}"
        elif kind == "invalid_key" or (loc and loc[-1] == "[key]"):
            msg = (
                f"{where}: key {_show(value)} is not allowed: keys must be text (put it in quotes)"
            )
        elif kind == "extra_forbidden":
            key = str(user_loc[-1])
            allowed = _allowed_keys(Scenario, [p for p in loc[:-1]])
            hint = did_you_mean(key, allowed, 0.6)
            options = f" (allowed: {', '.join(allowed)})" if allowed and not hint else ""
            msg = f"{where}: unknown key '{clip(key)}'{hint}{options}"
        elif kind == "missing":
            msg = f"{where}: is required but missing"
        elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
            op = {
                "greater_than": ">",
                "greater_than_equal": ">=",
                "less_than": "<",
                "less_than_equal": "<=",
            }[kind]
            bound = next(iter(ctx.values()))
            msg = f"{where}: {_show(value)} is not allowed: must be {op} {bound}"
        elif kind == "finite_number":
            msg = f"{where}: {_show(value)} is not allowed: must be a finite number"
        elif kind in ("too_short", "too_long"):
            msg = f"{where}: has {ctx.get('actual_length')} items: {err['msg'].lower()}"
        elif kind == "literal_error":
            msg = f"{where}: {_show(value)} is not allowed: must be {ctx.get('expected')}"
        elif kind == "union_tag_invalid":
            key = str(ctx.get("discriminator", "kind")).strip("'")
            msg = (
                f"{where}: {key} {_show(ctx.get('tag'))} is not allowed: must be one of "
                f"{ctx.get('expected_tags')}"
            )
        elif kind == "union_tag_not_found":
            key = str(ctx.get("discriminator", "kind")).strip("'")
            msg = f"{where}: needs a '{key}'"
        elif kind == "value_error":
            text = str(ctx.get("error", err["msg"]))
            msg = f"{where}: {text}"
        else:
            msg = f"{where}: {_show(value)} is not allowed: {err['msg'].lower()}"
        if msg not in seen:
            seen.add(msg)
            problems.append(msg)
    return _collapse_union_noise(problems)


_UNION_TAGS = {
    "weibull",
    "lognormal",
    "exponential",
    "gamma",
    "fixed",
    "empirical",
    "home_first",
    "integrated_locality",
    "locality_rollout",
    "care_home_support",
    "capacity_change",
    "demand_change",
}


def _is_internal_tag(part: str) -> bool:
    return (
        part in _UNION_TAGS
        or part in {"int", "str", "float", "bool"}
        or part.startswith(("literal[", "constrained-", "function-"))
    )


def _collapse_union_noise(problems: list[str]) -> list[str]:
    """A value that fits no member of a union fails once per member: keep one line per path."""
    by_path: dict[str, list[str]] = {}
    order: list[str] = []
    for p in problems:
        path = p.split(":", 1)[0]
        if path not in by_path:
            order.append(path)
            by_path[path] = []
        by_path[path].append(p)
    out: list[str] = []
    for path in order:
        lines = by_path[path]
        if len(lines) == 1:
            out.append(lines[0])
            continue
        details = [line.split(":", 1)[1].strip() for line in lines]
        heads = {d.split(" must be ", 1)[0] for d in details if " must be " in d}
        if len(heads) == 1 and all(" must be " in d for d in details):
            musts = " or ".join(d.split(" must be ", 1)[1] for d in details)
            out.append(f"{path}: {heads.pop()} must be {musts}")
        else:
            out.append(f"{path}: {'; or '.join(details)}")
    return out
