"""Targets and the chance that they hold: one syntax for size, run, compare and ``chance``.

A target is ``measure[:setting] <op> value``, e.g. ``capacity_gap:acute<=0`` or
``occupancy_rate:acute<=0.92``. A planner's question "will acute have room this
winter?" is then read as the share of replications in which the target holds, with a
confidence interval: the chance, over the randomness of the model (and of its inputs where
they are uncertain), not a statement about one mean.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from placesim.errors import PlacesimError
from placesim.measures.statistics import wilson_interval
from placesim.measures.tables import LEVEL_DAYS, MEASURES, PLACE, measure_unit
from placesim.scenario import SETTINGS

__all__ = ["OPERATORS", "Chance", "Target", "chance_of", "parse_target"]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
"""How a target compares a measure with its value."""

_TARGET = re.compile(
    r"^\s*(?P<measure>[A-Za-z_]\w*)(?::(?P<setting>\w+))?\s*(?P<op><=|>=|<|>)\s*(?P<value>\S+)\s*$"
)
_OLD_TARGET = re.compile(
    r"^\s*(?P<setting>[A-Za-z_]\w*)\.(?P<measure>\w+)\s*(?P<op><=)\s*(?P<value>\S+)\s*$"
)


@dataclass(frozen=True)
class Target:
    """``measure`` of ``setting`` compared by ``op`` with ``value``."""

    measure: str
    setting: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.measure}:{self.setting}{self.op}{self.value:g}"

    def holds(self, values: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether the target holds for each value (never for NaN)."""
        v = np.asarray(values, dtype=float)
        compare = OPERATORS[self.op]
        return np.array([bool(np.isfinite(x) and compare(float(x), self.value)) for x in v])


def parse_target(text: str, setting: str | None = None) -> Target:
    """Read ``measure[:setting] <op> value`` (or the older ``setting.measure<=value``).

    Parameters
    ----------
    text
        The target.
    setting
        The setting meant when the text names none (``size`` passes the one it sizes);
        ``dtoc_rate`` is acute's whatever this says.

    Raises
    ------
    PlacesimError
        Naming the text and what is allowed.
    """
    match = _TARGET.match(text) or _OLD_TARGET.match(text)
    if match is None:
        raise PlacesimError(
            f"target: {text!r} is not allowed: write MEASURE[:SETTING] OP VALUE with OP one "
            "of <=, <, >=, >, e.g. capacity_gap:acute<=0"
        )
    measure = match["measure"]
    if measure not in MEASURES and not measure.startswith(LEVEL_DAYS):
        raise PlacesimError(
            f"target: measure {measure!r} is not allowed: must be one of {', '.join(MEASURES)}"
        )
    place_wide = measure in ("days_escalated", "escalation_cost") or measure.startswith(LEVEL_DAYS)
    default = "acute" if measure == "dtoc_rate" else PLACE if place_wide else setting
    where = match["setting"] or default
    if where is None:
        raise PlacesimError(
            f"target: {text!r} names no setting: write {measure}:SETTING, e.g. {measure}:acute"
        )
    if where not in (*SETTINGS, PLACE):
        raise PlacesimError(
            f"target: setting {where!r} is not one of {', '.join((*SETTINGS, PLACE))}"
        )
    try:
        value = float(match["value"])
    except ValueError:
        raise PlacesimError(f"target: {match['value']!r} is not a number") from None
    if not math.isfinite(value):
        raise PlacesimError(f"target: {match['value']!r} is not allowed: must be a finite number")
    return Target(measure=measure, setting=where, op=match["op"], value=value)


@dataclass(frozen=True)
class Chance:
    """The share of replications in which a target held, with its confidence interval."""

    target: Target
    held: int
    replications: int
    share: float
    ci_low: float
    ci_high: float
    period: str | None = None

    def __str__(self) -> str:
        unit = measure_unit(self.target.measure, self.target.setting)
        when = f" in {self.period}" if self.period else ""
        shown = "" if unit == "ratio" else f" ({unit})"
        return (
            f"{self.target}{shown}{when}: held in {self.held} of {self.replications} "
            f"replications, {self.share:.0%} (95% CI {self.ci_low:.0%} to {self.ci_high:.0%})"
        )


def chance_of(
    measures: pd.DataFrame, target: Target, confidence: float = 0.95, period: str | None = None
) -> Chance:
    """How often `target` held across the replications of `measures` (replication,
    measure, setting, value), with a Wilson score interval (a replication where the
    measure has no value counts as not holding)."""
    rows = measures[
        (measures["measure"] == target.measure) & (measures["setting"] == target.setting)
    ]
    if rows.empty:
        raise PlacesimError(
            f"target: {target} has no values: {target.setting} does not have "
            f"{target.measure} in this run (an undefined setting, or unlimited capacity)"
        )
    held = int(target.holds(rows["value"]).sum())
    n = int(rows["replication"].nunique())
    low, high = wilson_interval(held, n, confidence)
    return Chance(target, held, n, held / n, low, high, period)
