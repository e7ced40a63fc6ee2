"""Uncertain inputs: a range or a distribution written in place of a number.

``settings.intermediate_care.los.mean: {low: 30, high: 45}`` says the planner is 80% sure
the mean lies between 30 and 45 days. :func:`find_uncertain` takes such values out of the
scenario data (checking each against what its field allows, from the schema), the
scenario is validated at their medians, and each replication then runs the scenario with
every value drawn once from its own keyed stream (:func:`draw_scenario`): the inverse CDF
at the first uniform of ``SeedSequence(seed, spawn_key=(replication, 3_000_000, 0,
path_key))`` (docs/decisions.md, "Seed keys"). The uniform depends only on the seed, the
replication and the parameter's path, so two scenarios share draws for the inputs they
share, and a variant with a changed range stays paired.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = [
    "QUANTILE_LIMIT",
    "UNCERTAIN_GROUP",
    "UncertainInput",
    "Uncertainty",
    "draw_uniform",
    "explain_ranges",
    "find_uncertain",
    "looks_uncertain",
    "path_key",
    "place_values",
    "with_specs",
]

UNCERTAIN_GROUP = 3_000_000
"""The seed-key group of uncertain inputs (docs/decisions.md, "Seed keys")."""

QUANTILE_LIMIT = 0.001
"""Draws are taken between this quantile and 1 minus it: the 0.1% tails of an unbounded
distribution are cut, so every value drawn lies between the two quantiles checked against
the field's limits when the scenario is read."""

_Z90 = NormalDist().inv_cdf(0.9)  # a normal's 90th percentile in standard deviations
_KEYS = frozenset({"distribution", "low", "high", "mean", "sd", "min", "mode", "max"})
_FAMILIES: dict[str, tuple[frozenset[str], ...]] = {
    # the parameters each family may be given by (any one of the sets)
    "normal": (frozenset({"low", "high"}), frozenset({"mean", "sd"})),
    "lognormal": (frozenset({"low", "high"}), frozenset({"mean", "sd"})),
    "beta": (frozenset({"low", "high"}), frozenset({"mean", "sd"})),
    "uniform": (frozenset({"min", "max"}),),
    "triangular": (frozenset({"min", "mode", "max"}),),
}
# Groups of shares that sum to 1: triage by residence and band, pathways by band, outcomes.
_SHARE_GROUPS = (
    re.compile(r"^triage\.(home|care_home)\.[^.]+$"),
    re.compile(r"^discharge\.pathways\.[^.]+$"),
    re.compile(r"^settings\.\w+\.outcomes$"),
)
_FORBIDDEN = ("calendar", "schema_version")

Location = tuple[str | int, ...]


def looks_uncertain(value: Any) -> bool:
    """Whether `value` is written as an uncertain value (a range or a distribution)."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) for k in value)
        and set(value) <= _KEYS
        and ("distribution" in value or {"low", "high"} <= set(value))
    )


def _contains_uncertain(data: Any) -> bool:
    if looks_uncertain(data):
        return True
    if isinstance(data, dict):
        return any(_contains_uncertain(v) for v in data.values())
    if isinstance(data, list):
        return any(_contains_uncertain(v) for v in data)
    return False


def path_key(path: str) -> int:
    """The seed-key entry of a parameter path: the first 4 bytes of its SHA-256."""
    return int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:4], "big")


def draw_uniform(seed: int, replication: int, path: str) -> float:
    """The uniform replication `replication` draws for the input at `path`."""
    sequence = np.random.SeedSequence(
        seed, spawn_key=(replication, UNCERTAIN_GROUP, 0, path_key(path))
    )
    return float(np.random.Generator(np.random.PCG64(sequence)).random())


@dataclass(frozen=True)
class _Limits:
    """What a numeric field allows, from its JSON Schema."""

    integer: bool
    minimum: float | None  # inclusive
    maximum: float | None
    above: float | None  # exclusive
    below: float | None

    def problem(self, value: float) -> str | None:
        if self.minimum is not None and value < self.minimum:
            return f"must be >= {self.minimum:g}"
        if self.above is not None and value <= self.above:
            return f"must be > {self.above:g}"
        if self.maximum is not None and value > self.maximum:
            return f"must be <= {self.maximum:g}"
        if self.below is not None and value >= self.below:
            return f"must be < {self.below:g}"
        return None

    @property
    def share(self) -> bool:
        low = self.minimum if self.minimum is not None else self.above
        high = self.maximum if self.maximum is not None else self.below
        return low is not None and high is not None and low >= 0.0 and high <= 1.0

    @property
    def positive(self) -> bool:
        low = self.minimum if self.minimum is not None else self.above
        return low is not None and low >= 0.0


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: where it is, its distribution, and how to draw it.

    ``path`` names it (list items that have a name are named, e.g.
    ``interventions[Home First].p3_to_p1``), ``location`` is where it sits in the scenario
    data, ``spec`` is what the file says, ``family`` and ``params`` the distribution
    (normal and lognormal: mu, sigma of the value or its log; beta: a, b; uniform: min,
    max; triangular: min, mode, max), ``integer`` whether draws are rounded.
    """

    path: str
    location: Location
    spec: Mapping[str, Any]
    family: str
    params: tuple[float, ...]
    integer: bool

    def value_at(self, u: float) -> float:
        """The value at quantile `u`, kept within ``QUANTILE_LIMIT`` of either end."""
        u = min(max(u, QUANTILE_LIMIT), 1.0 - QUANTILE_LIMIT)
        value = _quantile(self.family, self.params, u)
        return float(math.floor(value + 0.5)) if self.integer else value

    @property
    def low(self) -> float:
        """The 10th percentile."""
        return self.value_at(0.1)

    @property
    def median(self) -> float:
        """The 50th percentile: the value the scenario is checked and shown at."""
        return self.value_at(0.5)

    @property
    def high(self) -> float:
        """The 90th percentile."""
        return self.value_at(0.9)

    def describe(self) -> str:
        """The distribution in words, e.g. ``lognormal, 10th-90th percentile 30 to 45``."""
        return f"{self.family}, 10th-90th percentile {self.low:.4g} to {self.high:.4g}"


def _quantile(family: str, p: tuple[float, ...], u: float) -> float:
    if family == "normal":
        return p[0] + p[1] * NormalDist().inv_cdf(u)
    if family == "lognormal":
        return math.exp(p[0] + p[1] * NormalDist().inv_cdf(u))
    if family == "beta":
        from scipy.special import betaincinv

        return float(betaincinv(p[0], p[1], u))
    if family == "uniform":
        return p[0] + u * (p[1] - p[0])
    lo, mode, hi = p  # triangular
    cut = (mode - lo) / (hi - lo) if hi > lo else 0.5
    if u < cut:
        return lo + math.sqrt(u * (hi - lo) * (mode - lo))
    return hi - math.sqrt((1.0 - u) * (hi - lo) * (hi - mode))


def _beta_from_range(low: float, high: float) -> tuple[float, float]:
    """Beta parameters whose 10th and 90th percentiles are `low` and `high`."""
    from scipy.optimize import root
    from scipy.special import betaincinv

    mean = (low + high) / 2.0
    sd = (high - low) / (2.0 * _Z90)
    start = _beta_from_moments(mean, min(sd, 0.9 * math.sqrt(mean * (1 - mean))))

    def gap(x: np.ndarray) -> list[float]:
        a, b = np.exp(x)
        return [betaincinv(a, b, 0.1) - low, betaincinv(a, b, 0.9) - high]

    found = root(gap, np.log(start), method="hybr")
    a, b = (float(v) for v in np.exp(found.x))
    if not found.success or max(abs(v) for v in gap(found.x)) > 1e-6 * max(high - low, 1e-12):
        raise ValueError("no beta distribution has these 10th and 90th percentiles")
    return a, b


def _beta_from_moments(mean: float, sd: float) -> tuple[float, float]:
    common = mean * (1.0 - mean) / sd**2 - 1.0
    if not 0.0 < mean < 1.0 or common <= 0.0:
        raise ValueError("a beta distribution needs 0 < mean < 1 and sd < sqrt(mean x (1 - mean))")
    return mean * common, (1.0 - mean) * common


def _number(spec: Mapping[str, Any], key: str) -> float:
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} {value!r} must be a finite number")
    return float(value)


def _family(spec: Mapping[str, Any], limits: _Limits) -> tuple[str, tuple[float, ...]]:
    """The family and parameters `spec` describes (raises ValueError with the reason)."""
    given = frozenset(spec) - {"distribution"}
    name = spec.get("distribution")
    if name is None:  # {low, high}: the family follows what the field allows
        name = "beta" if limits.share else "lognormal" if limits.positive else "normal"
    if name not in _FAMILIES:
        close = difflib.get_close_matches(str(name), list(_FAMILIES), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"distribution {name!r} is not one of {', '.join(_FAMILIES)}{hint}")
    forms = _FAMILIES[name]
    if given not in forms:
        options = " or ".join("{" + ", ".join(sorted(f)) + "}" for f in forms)
        raise ValueError(f"a {name} distribution is given by {options}")
    v = {k: _number(spec, k) for k in given}
    if "low" in v:
        low, high = v["low"], v["high"]
        if not low < high:
            raise ValueError(f"low {low:g} must be below high {high:g}")
        if name == "normal":
            return name, ((low + high) / 2.0, (high - low) / (2.0 * _Z90))
        if name == "lognormal":
            if low <= 0.0:
                raise ValueError(
                    f"a lognormal range needs low > 0, not {low:g} (or write distribution: "
                    "normal, uniform or triangular)"
                )
            return name, (
                (math.log(low) + math.log(high)) / 2.0,
                (math.log(high) - math.log(low)) / (2.0 * _Z90),
            )
        if not 0.0 < low < high < 1.0:
            raise ValueError(f"a beta range needs 0 < low < high < 1, not {low:g} to {high:g}")
        return name, _beta_from_range(low, high)
    if "mean" in v:
        mean, sd = v["mean"], v["sd"]
        if sd <= 0.0:
            raise ValueError(f"sd {sd:g} must be > 0")
        if name == "normal":
            return name, (mean, sd)
        if name == "lognormal":
            if mean <= 0.0:
                raise ValueError(f"a lognormal needs mean > 0, not {mean:g}")
            sigma2 = math.log1p((sd / mean) ** 2)
            return name, (math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))
        return name, _beta_from_moments(mean, sd)
    if name == "uniform":
        if not v["min"] < v["max"]:
            raise ValueError(f"min {v['min']:g} must be below max {v['max']:g}")
        return name, (v["min"], v["max"])
    lo, mode, hi = v["min"], v["mode"], v["max"]
    if not (lo <= mode <= hi and lo < hi):
        raise ValueError(f"needs min <= mode <= max and min < max, not {lo:g}, {mode:g}, {hi:g}")
    return name, (lo, mode, hi)


@dataclass(frozen=True)
class Uncertainty:
    """A scenario's uncertain inputs and the data it was read from (ranges in place), so
    that each replication's values are put into what the planner wrote, not into the
    medians' adjusted shares and census."""

    inputs: tuple[UncertainInput, ...]
    source: Any

    def data_with(self, values: Sequence[float]) -> tuple[Any, dict[str, float]]:
        """A copy of the source data with `values` (one per input) in place, and the value
        each input took (:func:`place_values`)."""
        data = copy.deepcopy(self.source)
        return data, place_values(data, self.inputs, values)


# -- where numbers may go: a walk of the scenario data beside its JSON Schema ---------------


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The alternatives a schema node allows, with references followed."""
    if "$ref" in node:
        return _resolve(defs[str(node["$ref"]).rsplit("/", 1)[-1]], defs)
    for key in ("anyOf", "oneOf"):
        if key in node:
            return [alt for option in node[key] for alt in _resolve(option, defs)]
    if "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(node["allOf"][0], defs)
    return [node]


def _limits(options: Sequence[Mapping[str, Any]]) -> _Limits | None:
    numbers = [o for o in options if o.get("type") in ("number", "integer")]
    if not numbers:
        return None
    node = next((o for o in numbers if o.get("type") == "integer"), numbers[0])
    return _Limits(
        integer=node.get("type") == "integer",
        minimum=node.get("minimum"),
        maximum=node.get("maximum"),
        above=node.get("exclusiveMinimum"),
        below=node.get("exclusiveMaximum"),
    )


def _object_for(options: Sequence[Mapping[str, Any]], value: Mapping[str, Any]) -> Any:
    """The object alternative `value` is an instance of (matching constants first)."""
    objects = [o for o in options if o.get("type") == "object" or "properties" in o]
    for option in objects:
        props = option.get("properties", {})
        consts = {k: p["const"] for k, p in props.items() if "const" in p}
        if consts and all(value.get(k) == c for k, c in consts.items()):
            return option
    for option in objects:
        if "properties" not in option or set(value) <= set(option["properties"]):
            return option
    return objects[0] if objects else None


def _item_part(items: Sequence[Any], i: int) -> str:
    name = items[i].get("name") if isinstance(items[i], dict) else None
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if isinstance(name, str) and names.count(name) == 1 and "]" not in name:
        return f"[{name}]"
    return f"[{i}]"


def _walk(
    value: Any,
    node: Mapping[str, Any] | None,
    defs: Mapping[str, Any],
    location: Location,
    path: str,
    near: bool = False,
) -> Iterator[tuple[str, Location, Mapping[str, Any], _Limits | None]]:
    """Each uncertain value under `value`: its path, location, spec and the field's limits;
    with `near`, instead each mapping written where only a number may go."""
    options = _resolve(node, defs) if node is not None else []
    if looks_uncertain(value) and not near:
        yield path, location, value, _limits(options)
        return
    if isinstance(value, dict):
        obj = _object_for(options, value)
        if near and obj is None and _limits(options) is not None:
            yield path, location, value, _limits(options)
            return
        for key, child in value.items():
            sub: Mapping[str, Any] | None = None
            if obj is not None:
                extra = obj.get("additionalProperties")
                sub = obj.get("properties", {}).get(key, extra if isinstance(extra, dict) else None)
            where = f"{path}.{key}" if path else str(key)
            yield from _walk(child, sub, defs, (*location, key), where, near)
    elif isinstance(value, list):
        arrays = [o for o in options if o.get("type") == "array"]
        items = arrays[0].get("items") if arrays else None
        for i, child in enumerate(value):
            sub_items = items if isinstance(items, dict) else None
            part = path + _item_part(value, i)
            yield from _walk(child, sub_items, defs, (*location, i), part, near)


def find_uncertain(
    data: Any, schema: Callable[[], Mapping[str, Any]]
) -> tuple[tuple[UncertainInput, ...], list[str]]:
    """The uncertain inputs of scenario `data` (plain data as read), and the problems found.

    `schema` gives the scenario's JSON Schema, which says what each field allows; it is
    called only when there are uncertain inputs. Each problem names the path, the value
    and what is allowed.
    """
    if not _contains_uncertain(data):
        return (), []
    inputs: list[UncertainInput] = []
    problems: list[str] = []
    seen: dict[int, str] = {}
    root = schema()
    for path, location, spec, limits in _walk(data, root, root.get("$defs", {}), (), ""):
        shown = _show(spec)
        if limits is None or str(location[0]) in _FORBIDDEN:
            where = "the calendar" if str(location[0]) in _FORBIDDEN else "this field"
            problems.append(
                f"{path}: {shown} is not allowed: a range or distribution may stand only for a "
                f"number of the model, and {where} takes none"
            )
            continue
        try:
            family, params = _family(spec, limits)
        except ValueError as exc:
            problems.append(f"{path}: {shown} is not allowed: {exc}")
            continue
        found = UncertainInput(path, location, dict(spec), family, params, limits.integer)
        for q in (QUANTILE_LIMIT, 1.0 - QUANTILE_LIMIT):
            reached = found.value_at(q)
            problem = limits.problem(reached)
            if problem is not None:
                problems.append(
                    f"{path}: {shown} is not allowed: its {family} reaches {reached:.4g} at the "
                    f"{q:.1%} quantile, and the value {problem}; narrow the range or choose a "
                    "distribution inside the limits (beta for a share, lognormal for a "
                    "positive quantity, uniform or triangular for fixed ends)"
                )
                break
        else:
            key = path_key(path)
            if key in seen:
                problems.append(
                    f"{path}: its seed key collides with {seen[key]}'s; rename a list item"
                )
            seen[key] = path
            inputs.append(found)
    return tuple(inputs), problems


def explain_ranges(data: Any, schema: Mapping[str, Any]) -> list[str]:
    """Problems of mappings written where only a number may go that are not ranges: a
    misspelt key (``hgih``) or a missing one (``{low: 80}``), with what a range is."""
    problems = []
    for path, _, spec, _ in _walk(data, schema, schema.get("$defs", {}), (), "", near=True):
        if (
            looks_uncertain(spec)
            and "distribution" in spec
            and spec["distribution"] not in _FAMILIES
        ):
            continue  # find_uncertain names a bad family itself
        unknown = [str(k) for k in spec if k not in _KEYS]
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(_KEYS), n=1, cutoff=0.6)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        why = f"unknown key(s) {', '.join(hints)}" if hints else "it is not a whole range"
        problems.append(
            f"{path}: {_show(spec)} is not allowed: a number, or a range {{low, high}} (the "
            "10th and 90th percentiles) or a distribution {distribution: normal, lognormal, "
            f"beta, uniform or triangular, with its parameters}}; {why} "
            "(docs/uncertainty.md)"
        )
    return problems


def _show(spec: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in spec.items()) + "}"


def _set(data: Any, location: Location, value: Any) -> None:
    node = data
    for part in location[:-1]:
        node = node[part]
    node[location[-1]] = value


def _get(data: Any, location: Location) -> Any:
    node = data
    for part in location:
        node = node[part]
    return node


def place_values(
    data: Any, inputs: Sequence[UncertainInput], values: Sequence[float]
) -> dict[str, float]:
    """Put `values` (one per input) into `data` in place, then bring every group of shares
    that holds one back to a sum of 1; returns the value each input took. A starting
    census above a drawn capacity is cut to it.

    In a group, the shares given as numbers keep their proportions and take up what the
    drawn shares leave (1 minus their sum); when every share of the group is drawn, or the
    drawn ones come to more than 1, the drawn shares are divided by their sum and the
    others become 0.
    """
    groups: dict[Location, set[str]] = {}
    for spec, value in zip(inputs, values, strict=True):
        _set(data, spec.location, value)
        if len(spec.location) == 3 and spec.location[0::2] == ("settings", "capacity"):
            _fit_census(data, str(spec.location[1]), value)
        parent = spec.location[:-1]
        dotted = ".".join(str(p) for p in parent)
        if any(rule.match(dotted) for rule in _SHARE_GROUPS):
            groups.setdefault(parent, set()).add(str(spec.location[-1]))
    for parent, drawn in groups.items():
        group = _get(data, parent)
        fixed = [k for k in group if k not in drawn]
        drawn_sum = math.fsum(float(group[k]) for k in drawn)
        fixed_sum = math.fsum(float(group[k]) for k in fixed)
        if fixed_sum > 0.0 and drawn_sum <= 1.0:
            for k in fixed:
                group[k] = float(group[k]) * (1.0 - drawn_sum) / fixed_sum
        elif drawn_sum > 0.0:
            for k in drawn:
                group[k] = float(group[k]) / drawn_sum
            for k in fixed:
                group[k] = 0.0
    return {spec.path: float(_get(data, spec.location)) for spec in inputs}


def _fit_census(data: Any, setting: str, capacity: float) -> None:
    """A starting census above a drawn capacity is cut to it, as sizing does
    (:func:`placesim.scenario.fit_census`): the snapshot must fit the beds there are."""
    state = data.get("initial_state", {}).get(setting)
    if isinstance(state, dict) and state.get("elapsed_days") is None:
        occupied = state.get("occupied")
        if isinstance(occupied, int) and occupied > capacity:
            state["occupied"] = int(capacity)


def with_specs(data: Any, inputs: Sequence[UncertainInput]) -> Any:
    """A copy of scenario `data` with each input's spec back where the file had it."""
    out = copy.deepcopy(data)
    for spec in inputs:
        _set(out, spec.location, dict(spec.spec))
    return out
