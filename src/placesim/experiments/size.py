"""Sizing: the smallest capacity of a setting that meets a target, with a stated confidence.

Every capacity tried runs on the same seed (common random numbers), so the measure falls
almost monotonically as capacity rises and a bisection finds the boundary. A capacity
meets the target when the one-sided upper confidence bound of the measure's mean over
replications is within it (mean + t_{conf, n-1} s / sqrt(n) <= threshold). The search starts
from the offered load (arrival rate x mean stay, Little's law) of a run at the scenario's
own capacity.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from placesim.errors import PlacesimError
from placesim.experiments.simulate import simulate
from placesim.experiments.tasks import WORKER_TIMEOUT_S
from placesim.measures import (
    MEASURES,
    Period,
    SimulationResult,
    Target,
    find_period,
    parse_target,
    t_interval,
)
from placesim.plan import compile_plan
from placesim.reporting.outputs import write_experiment
from placesim.scenario import (
    CapacityChangeIntervention,
    EscalationLevel,
    EscalationLevelChange,
    Scenario,
    fit_census,
    override,
)

__all__ = [
    "SIZE_COLUMNS",
    "SIZING_MEASURES",
    "WEEKLY_COLUMNS",
    "SizingResult",
    "size",
    "sizing_target",
    "weekly_need",
]

SIZING_MEASURES = (
    "capacity_gap",
    "delayed_bed_days",
    "dtoc_rate",
    "occupancy_p95",
    "waiting_mean",
    "wait_mean",
)
SIZE_COLUMNS = (
    "sized_setting",
    "capacity",
    "measure",
    "setting",
    "unit",
    "mean",
    "upper",
    "confidence",
    "threshold",
    "met",
    "replications",
)
"""The columns of :attr:`SizingResult.tried` (and ``size.csv``)."""
WEEKLY_COLUMNS = (
    "setting",
    "week",
    "week_start",
    "measure",
    "unit",
    "needed_mean",
    "ci_low",
    "ci_high",
    "capacity",
    "replications",
)
"""The columns of :func:`weekly_need`'s table (and ``weekly.csv``)."""


@dataclass(frozen=True)
class SizingResult:
    """The answer of :func:`size` and every capacity tried.

    Attributes
    ----------
    capacity
        The smallest capacity that met the target, or None if none up to the search's
        ceiling did.
    tried
        One row per capacity run, labelled as the summary is: sized_setting, capacity,
        measure, setting, unit (the target's measure, the setting it is of, and its unit),
        mean, upper (the one-sided `confidence` bound of the mean), confidence, threshold,
        met (upper <= threshold), replications.
    scenario, seed
        The scenario's name and the root seed every capacity ran on.
    capacity_unit
        The unit of the sized setting's capacity (beds, or places for a caseload).
    """

    setting: str
    target: Target
    confidence: float
    replications: int
    capacity: int | None
    tried: pd.DataFrame
    scenario: str = ""
    seed: int | None = None
    capacity_unit: str = "beds"
    period: str | None = None

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``size.csv`` (:attr:`tried`) and ``size.json`` (the answer) to `out_dir`.

        size.json records the scenario, seed, replications, target, confidence, the
        capacity found (null if none was) and :meth:`describe`
        (:func:`placesim.reporting.write_experiment`). Returns the paths written.
        """
        about = {
            "experiment": "size",
            "scenario": self.scenario,
            "seed": self.seed,
            "replications": self.replications,
            "setting": self.setting,
            "target": str(self.target),
            "confidence": self.confidence,
            "capacity": self.capacity,
            "capacity_unit": self.capacity_unit,
            "period": self.period,
            "answer": self.describe(),
        }
        return write_experiment(self.tried, out_dir, "size", about)

    def describe(self) -> str:
        """The answer in words, with the measure's interval at that capacity."""
        target = f"{self.target} over {self.period}" if self.period else str(self.target)
        if self.capacity is None:
            top = int(self.tried["capacity"].max())
            return f"no capacity of {self.setting} up to {top} meets {target}"
        row = self.tried.set_index("capacity").loc[self.capacity]
        below = self.tried[self.tried["capacity"] == self.capacity - 1]
        unit = self.capacity_unit
        text = (
            f"{self.setting}: {self.capacity} {unit} meet {target} with "
            f"{self.confidence:.0%} confidence (mean {row['mean']:.3g}, upper bound "
            f"{row['upper']:.3g}; {self.replications} replications)"
        )
        if not below.empty:
            text += f"; {self.capacity - 1} {unit} give mean {float(below['mean'].iloc[0]):.3g}"
        return text


def sizing_target(text: str, setting: str) -> Target:
    """A target for sizing: the shared syntax (``capacity_gap<=0`` of the sized setting,
    ``capacity_gap:care_home<=0`` of another, :func:`placesim.measures.parse_target`), on
    one of ``SIZING_MEASURES``, read as an upper bound (``<=`` or ``<``): more capacity
    must bring the measure down."""
    goal = parse_target(text, setting)
    if goal.measure not in SIZING_MEASURES:
        raise PlacesimError(
            f"target: measure {goal.measure!r} is not allowed for sizing: must be one of "
            f"{', '.join(SIZING_MEASURES)}"
        )
    if goal.op not in ("<=", "<"):
        raise PlacesimError(
            f"target: {text!r} is not allowed for sizing: write an upper bound with <= or <"
        )
    return goal


def _with_capacity(scenario: Scenario, setting: str, capacity: int) -> Scenario:
    """The scenario with `capacity` places; a starting census above it is cut to fit."""
    return override(scenario, fit_census(scenario, {f"settings.{setting}.capacity": capacity}))


def size(
    scenario: Scenario,
    setting: str,
    target: str,
    replications: int | None = None,
    seed: int | None = None,
    confidence: float = 0.95,
    max_capacity: int | None = None,
    workers: int = 1,
    client: Any = None,
    worker_timeout: float = WORKER_TIMEOUT_S,
    period: str | Period | None = None,
) -> SizingResult:
    """The smallest capacity of `setting` that meets `target` with `confidence`.

    Parameters
    ----------
    scenario
        The scenario; its other settings stay as they are.
    setting
        The setting to size (its base capacity; dated changes stay as written).
    target
        An upper bound on one of ``SIZING_MEASURES`` in the shared target syntax
        (:func:`sizing_target`): ``capacity_gap<=0`` (of `setting`),
        ``capacity_gap:care_home<=0`` (of another setting); the older
        ``setting.measure<=value`` is read too.
    replications, seed, workers, client
        As for :func:`placesim.simulate`; every capacity runs on the same seed.
    confidence
        One-sided confidence that the mean meets the target.
    max_capacity
        Ceiling of the search (default: four times the offered load plus 50).
    period
        Judge the target over this window of dates only (``START:END`` or a named period
        of the scenario); default the whole run.
    """
    defined = scenario.settings.defined()
    if setting not in defined:
        raise PlacesimError(f"setting: {setting!r} is not defined (defined: {', '.join(defined)})")
    if defined[setting].capacity == "unlimited":
        raise PlacesimError(
            f"setting: {setting!r} has unlimited capacity; give it a number to size"
        )
    goal = sizing_target(target, setting)
    # A bad period fails before any run.
    window = find_period(period, compile_plan(scenario))
    label = None if window is None else window.label
    if goal.setting not in defined:
        raise PlacesimError(f"target: setting {goal.setting!r} is not defined")
    n = scenario.calendar.replications if replications is None else replications
    if n < 2:
        raise PlacesimError(f"replications: {n} is not allowed: sizing needs at least 2")
    root = scenario.calendar.seed if seed is None else seed
    rows: dict[int, tuple[float, float, bool]] = {}

    def evaluate(capacity: int) -> bool:
        if capacity not in rows:
            variant = _with_capacity(scenario, setting, capacity)
            res = simulate(
                variant,
                replications=n,
                seed=root,
                workers=workers,
                client=client,
                worker_timeout=worker_timeout,
            )
            rows[capacity] = _judge(res, goal, confidence, period)
        return rows[capacity][2]

    first = simulate(
        scenario,
        replications=n,
        seed=root,
        workers=workers,
        client=client,
        worker_timeout=worker_timeout,
    )
    units = _units(first)
    load = _offered_load(first, setting)
    ceiling = max_capacity if max_capacity is not None else int(4 * load + 50)
    low, high = -1, max(1, math.ceil(load))
    while not evaluate(high):
        low = high
        if high >= ceiling:
            found = _result(scenario, setting, goal, confidence, n, root, None, rows, units)
            return dataclasses.replace(found, period=label)
        high = min(ceiling, high * 2)
    # Bisection on the smallest capacity that meets the target, between low (fails or -1)
    # and high (meets).
    guess = max(0, math.floor(load) - 1)
    if low < guess < high:
        if evaluate(guess):
            high = guess
        else:
            low = guess
    while high - low > 1:
        mid = (low + high) // 2
        if evaluate(mid):
            high = mid
        else:
            low = mid
    if high > 0:
        evaluate(high - 1)
    found = _result(scenario, setting, goal, confidence, n, root, high, rows, units)
    return dataclasses.replace(found, period=label)


def _units(result: SimulationResult) -> dict[tuple[str, str], str]:
    """The unit of each (measure, setting) of a run, as its summary gives them."""
    summary = result.summary()
    return {
        (str(m), str(s)): str(u)
        for m, s, u in zip(summary["measure"], summary["setting"], summary["unit"], strict=True)
    }


def _unit(units: dict[tuple[str, str], str], measure: str, setting: str) -> str:
    return units.get((measure, setting), MEASURES.get(measure, ""))


def _offered_load(result: SimulationResult, setting: str) -> float:
    """Arrival rate x mean stay of `setting` (Little's law), from a run."""
    summary = result.summary().set_index(["measure", "setting"])["mean"]
    horizon = result.scenario.calendar.horizon_days
    arrivals = float(summary.get(("admissions", setting), 0.0)) / horizon
    waiting = float(summary.get(("waiting_mean", setting), 0.0))
    stay = float(summary.get(("los_mean", setting), 0.0))
    load = arrivals * stay if math.isfinite(stay) else 0.0
    # A full setting admits no more than it has room for; the queue shows the rest.
    return max(load, float(summary.get(("occupancy_mean", setting), 0.0)) + waiting)


def _judge(
    result: SimulationResult, goal: Target, confidence: float, period: str | Period | None
) -> tuple[float, float, bool]:
    m = result.replication_measures(period)
    values = m[(m["measure"] == goal.measure) & (m["setting"] == goal.setting)]["value"]
    v = values.to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return math.nan, math.nan, False
    mean = float(v.mean())
    from scipy import stats  # here: scipy.stats takes a second to import

    upper = mean + float(stats.t.ppf(confidence, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return mean, upper, bool(goal.holds([upper])[0])


def _result(
    scenario: Scenario,
    setting: str,
    goal: Target,
    confidence: float,
    n: int,
    seed: int,
    capacity: int | None,
    rows: dict[int, tuple[float, float, bool]],
    units: dict[tuple[str, str], str],
) -> SizingResult:
    tried = pd.DataFrame(
        [
            (
                setting,
                c,
                goal.measure,
                goal.setting,
                _unit(units, goal.measure, goal.setting),
                rows[c][0],
                rows[c][1],
                confidence,
                goal.value,
                rows[c][2],
                n,
            )
            for c in sorted(rows)
        ],
        columns=list(SIZE_COLUMNS),
    ).astype({"capacity": int, "mean": float, "upper": float, "met": bool})
    return SizingResult(
        setting=setting,
        target=goal,
        confidence=confidence,
        replications=n,
        capacity=capacity,
        tried=tried,
        scenario=scenario.name,
        seed=seed,
        capacity_unit=_unit(units, "capacity", setting),
    )


def weekly_need(
    scenario: Scenario,
    setting: str,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    client: Any = None,
    worker_timeout: float = WORKER_TIMEOUT_S,
) -> pd.DataFrame:
    """Places of `setting` needed week by week, for a winter plan.

    The setting is made unlimited (its dated changes, capacity-change levers and the
    escalation levels that watch it or add to it dropped, :func:`_unlimited`), so the
    census is the demand it would have to meet; a week needs the share-of-days
    quantile of census / target occupancy over its days (``measures`` options), averaged
    over replications with a Student-t 95% interval. Other settings keep their capacity.

    Returns
    -------
    Columns (:data:`WEEKLY_COLUMNS`): setting, week (0-based from start_date), week_start,
    measure (``capacity_needed``), unit, needed_mean, ci_low, ci_high, capacity (the
    scenario's mean capacity that week, in the same unit), replications.
    """
    defined = scenario.settings.defined()
    if setting not in defined:
        raise PlacesimError(f"setting: {setting!r} is not defined (defined: {', '.join(defined)})")
    unlimited = _unlimited(scenario, setting)
    result = simulate(
        unlimited,
        replications=replications,
        seed=seed,
        workers=workers,
        client=client,
        worker_timeout=worker_timeout,
    )
    opts = scenario.measures
    daily = result.daily[result.daily["setting"] == setting].copy()
    daily["week"] = daily["day"] // 7
    daily["need"] = (daily["census"] + daily["waiting"]) / opts.target(setting)
    per_rep = daily.groupby(["week", "replication"])["need"].quantile(opts.share_of_days)
    days = np.arange(scenario.calendar.horizon_days, dtype=float)
    capacity = pd.Series(compile_plan(scenario).capacity_by_day(setting, days))
    capacity = capacity.groupby(days // 7).mean()
    start = pd.Timestamp(scenario.calendar.start_date)
    unit = _unit(_units(result), "capacity_needed", setting)
    rows = []
    for week, values in per_rep.groupby(level=0):
        w = int(str(week))
        mean, low, high, _ = t_interval(values.to_numpy(dtype=float))
        rows.append(
            (
                setting,
                w,
                start + pd.Timedelta(days=7 * w),
                "capacity_needed",
                unit,
                mean,
                low,
                high,
                capacity.get(w),
                result.replications,
            )
        )
    return pd.DataFrame(rows, columns=list(WEEKLY_COLUMNS))


def _unlimited(scenario: Scenario, setting: str) -> Scenario:
    """`scenario` with `setting` unlimited: its dated changes and capacity-change levers
    dropped, and its part of the escalation plan (levels that watch it go, and no level
    adds places to it), since an unlimited setting neither fills nor grows."""

    def level_kept(level: EscalationLevel) -> bool:
        return level.trigger.setting != setting

    def without_places(level: EscalationLevel) -> dict[str, Any]:
        data = level.model_dump(mode="json", exclude_unset=True)
        data["add_capacity"] = {k: v for k, v in level.add_capacity.items() if k != setting}
        return data

    levers = [
        (
            {**lv.model_dump(mode="json", exclude_unset=True), "level": without_places(lv.level)}
            if isinstance(lv, EscalationLevelChange)
            else lv.model_dump(mode="json", exclude_unset=True)
        )
        for lv in scenario.interventions
        if not (isinstance(lv, CapacityChangeIntervention) and lv.setting == setting)
        and not (isinstance(lv, EscalationLevelChange) and not level_kept(lv.level))
    ]
    changes: dict[str, Any] = {
        f"settings.{setting}.capacity": "unlimited",
        f"settings.{setting}.capacity_changes": [],
        "interventions": levers,
    }
    if scenario.escalation is not None:
        changes["escalation.levels"] = [
            without_places(lv) for lv in scenario.escalation.levels if level_kept(lv)
        ]
    return override(scenario, changes)
