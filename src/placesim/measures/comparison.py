"""Paired comparisons of scenarios on common random numbers.

Every scenario runs with the same seed, so replication r of each sees the same people with
the same needs; the difference of a measure is taken replication by replication and its
confidence interval is the paired-t interval (Law, Simulation Modeling and Analysis,
section 10.2.1), much narrower than comparing two independent intervals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from placesim.errors import PlacesimError
from placesim.measures.outcomes import replication_outcomes
from placesim.measures.periods import Period, find_period, period_window
from placesim.measures.result import SimulationResult
from placesim.measures.statistics import t_interval, wilson_interval
from placesim.measures.tables import LEVEL_DAYS, measure_unit
from placesim.plan import Plan
from placesim.scenario import SETTINGS

__all__ = [
    "BETTER",
    "MIN_DIFFERENCE",
    "Comparison",
    "decision_table",
    "net_costs",
    "paired_table",
]

MIN_DIFFERENCE: dict[str, float] = {
    "admissions": 10.0,
    "admissions_from_care_homes": 5.0,
    "avoided_admissions": 10.0,
    "bed_days": 100.0,
    "los_mean": 0.1,
    "los_median": 0.1,
    "los_p90": 0.5,
    "delayed_bed_days": 50.0,
    "dtoc_rate": 0.001,
    "wait_mean": 0.1,
    "occupancy_mean": 1.0,
    "occupancy_p95": 1.0,
    "occupancy_rate": 0.005,
    "waiting_mean": 0.5,
    "capacity": 1.0,
    "capacity_needed": 1.0,
    "capacity_gap": 1.0,
}
"""The smallest difference of each measure worth a line in ``significant()`` (in the
measure's unit, over the window compared): a judgement of what a planner would act on (a
bed, ten admissions, a tenth of a day, half a percentage point of occupancy), not a figure
from data. Pass ``min_difference`` to change any of them."""

BETTER: dict[str, str] = {
    "delayed_bed_days": "lower",
    "dtoc_rate": "lower",
    "wait_mean": "lower",
    "waiting_mean": "lower",
    "capacity_gap": "lower",
    "avoided_admissions": "higher",
}
"""Which way is better for measures whose direction does not depend on the setting; in
acute, fewer admissions and bed days are better too (:func:`_better`)."""

HEADLINE: tuple[tuple[str, str], ...] = (
    ("admissions", "acute"),
    ("bed_days", "acute"),
    ("delayed_bed_days", "acute"),
    ("capacity_gap", "acute"),
    ("capacity_gap", "intermediate_care"),
    ("capacity_gap", "reablement"),
    ("capacity_gap", "care_home"),
)
"""The measures a comparison leads with, where the scenarios have them."""


@dataclass(frozen=True)
class Comparison:
    """Results of several scenarios run on the same seeds, and their paired differences.

    Attributes
    ----------
    results
        One result per scenario, the base first.
    table
        One row per scenario, measure and setting: scenario, measure, setting, unit, mean,
        ci_low, ci_high, diff, diff_ci_low, diff_ci_high (the difference from the base;
        zero for the base itself), better_share (the share of replications in which the
        scenario did better than the base, for measures with a better direction; NaN
        otherwise).
    period
        The window compared (None: the whole reporting window).
    min_difference
        The smallest difference worth reporting, by measure (:data:`MIN_DIFFERENCE`).
    """

    results: list[SimulationResult]
    table: pd.DataFrame
    period: str | None = None
    min_difference: Mapping[str, float] = field(default_factory=lambda: dict(MIN_DIFFERENCE))

    def significant(self) -> list[str]:
        """A plain-language line for each difference whose 95% CI excludes zero and whose
        size reaches the measure's ``min_difference`` (so trivia drop out)."""
        lines = []
        base = self.results[0].scenario.name
        rows = self.table[self.table["scenario"] != base]
        for scenario, measure, setting, unit, diff, low, high in zip(
            rows["scenario"],
            rows["measure"],
            rows["setting"],
            rows["unit"],
            rows["diff"].to_numpy(dtype=float),
            rows["diff_ci_low"].to_numpy(dtype=float),
            rows["diff_ci_high"].to_numpy(dtype=float),
            strict=True,
        ):
            if not (math.isfinite(low) and math.isfinite(high)) or low <= 0.0 <= high:
                continue
            if abs(diff) < self.min_difference.get(str(measure), 0.0):
                continue
            word = "higher" if diff > 0 else "lower"
            a, b = sorted((abs(low), abs(high)))
            what = label(str(measure), str(setting))
            if str(measure).startswith(LEVEL_DAYS):
                what = self._level_label(str(measure), str(scenario))
            lines.append(
                f"{what}: {scenario} is "
                f"{_show(abs(diff), str(unit))} {word} than {base} "
                f"(95% CI {_show(a, str(unit))} to {_show(b, str(unit))} {word})"
            )
        return lines

    def _level_label(self, measure: str, scenario: str) -> str:
        """``days_at_level_K`` in words, with the level's name in the base and in
        `scenario`: levels are compared by position, so two plans' level K may differ."""
        k = int(measure[len(LEVEL_DAYS) :])
        names = {}
        for r in self.results:
            levels = r.plan.operations.levels
            names[r.scenario.name] = levels[k - 1] if k <= len(levels) else "none"
        base = self.results[0].scenario.name
        if names[base] == names[scenario]:
            return f"days at level {k} ({names[base]})"
        return f"days at level {k} ({base}: {names[base]}; {scenario}: {names[scenario]})"

    def value_of_information(
        self,
        measure: str = "bed_days",
        setting: str = "acute",
        scenario: str | None = None,
        better: str = "lower",
    ) -> pd.DataFrame:
        """What knowing each uncertain input before choosing between the base and
        `scenario` (default: the second) would be worth, in the measure's unit: its
        expected value of partial perfect information, and the EVPI of all of them
        (:func:`placesim.measures.sensitivity.value_of_information`). `better` says which
        way the measure should go (``lower`` for bed days, ``higher`` for admissions
        avoided); over the comparison's period. An input with EVPPI near 0 cannot change the
        choice: no study of it is worth its cost; a large one is worth studying first.
        """
        from placesim.measures.sensitivity import value_of_information

        if better not in ("lower", "higher"):
            raise PlacesimError(f"better: {better!r} is not allowed: 'lower' or 'higher'")
        base = self.results[0]
        other = self.results[1] if scenario is None else self._result(scenario)
        inputs = other.scenario.uncertain_inputs or base.scenario.uncertain_inputs
        params = other.parameters if not other.parameters.empty else base.parameters

        def values(r: SimulationResult) -> pd.Series:
            m = r.replication_measures(self.period)
            rows = m[(m["measure"] == measure) & (m["setting"] == setting)]
            return rows.set_index("replication")["value"].astype(float)

        gain = values(base) - values(other)
        if better == "higher":
            gain = -gain
        return value_of_information(inputs, params, gain)

    def _result(self, name: str) -> SimulationResult:
        for r in self.results:
            if r.scenario.name == name:
                return r
        names = ", ".join(r.scenario.name for r in self.results)
        raise PlacesimError(f"scenario: {name!r} is not in the comparison ({names})")

    def decisions(self) -> pd.DataFrame:
        """The decision table: for each scenario against the base, the headline measures
        and the net cost (:func:`decision_table`)."""
        return decision_table(self)

    def report(self, path: str | Path) -> Path:
        """Write a self-contained HTML report of the comparison (docs/reports.md).

        The scenarios side by side: what differs between them, the significant
        differences, the headline measures with their paired differences and 95% CIs,
        census fan charts, waiting, lengths of stay and capacity gaps overlaid, and the Joint
        Outcomes Framework with paired differences, for the place and by locality and
        partnership. Needs matplotlib: ``pip install 'placesim[plot]'``.

        Parameters
        ----------
        path
            The HTML file to write (written atomically; its folder is created). A folder
            that exists gets ``report.html`` in it.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        from placesim.reporting.html import write_comparison_report

        return write_comparison_report(self, path)


def _show(x: float, unit: str) -> str:
    if unit == "ratio":
        return f"{100 * x:.2f} percentage points"
    text = f"{x:,.0f}" if x >= 100 else f"{x:.2f}"
    return f"{text} {unit}"


def label(measure: str, setting: str) -> str:
    """A measure of a setting in words: ``acute bed_days`` -> "acute bed days"."""
    words = {
        "los_mean": "mean length of stay",
        "los_median": "median length of stay",
        "los_p90": "90th percentile of length of stay",
        "delayed_bed_days": "discharge-ready, not discharged bed days",
        "dtoc_rate": "share of bed days discharge-ready, not discharged",
        "wait_mean": "mean wait",
        "occupancy_mean": "mean occupancy",
        "occupancy_p95": "95th percentile of the midnight census",
        "occupancy_rate": "occupancy",
        "waiting_mean": "people waiting (mean)",
        "capacity_needed": "capacity needed",
        "capacity_gap": "capacity gap",
        "admissions_from_care_homes": "admissions from care homes",
        "avoided_admissions": "admissions avoided",
    }
    if setting in ("rapid_response", "reablement"):
        words["bed_days"] = "place days"
    return f"{setting.replace('_', ' ')} {words.get(measure, measure.replace('_', ' '))}"


def _better(measure: str, setting: str) -> str | None:
    if measure in BETTER:
        return BETTER[measure]
    if setting == "acute" and measure in ("admissions", "bed_days"):
        return "lower"
    return None


def _measures(result: SimulationResult, period: str | Period | None) -> pd.DataFrame:
    return result.replication_measures(period)


def paired_table(
    results: list[SimulationResult], period: str | Period | None = None
) -> pd.DataFrame:
    """Each result's measures with their paired differences from the first result's, over
    the whole run or `period`, and how often each did better than the base."""
    keys = ["measure", "setting", "replication"]
    base = _measures(results[0], period).set_index(keys)["value"]
    rows = []
    for res in results:
        values = _measures(res, period).set_index(keys)["value"]
        joined = pd.concat({"alt": values, "base": base}, axis=1)
        for (measure, setting), g in joined.groupby(level=[0, 1], sort=False):
            mean, low, high, _ = t_interval(g["alt"].to_numpy(dtype=float))
            diff = (g["alt"] - g["base"]).to_numpy(dtype=float)
            d_mean, d_low, d_high, _ = t_interval(diff)
            better = _better(str(measure), str(setting))
            finite = diff[np.isfinite(diff)]
            if better is None or not finite.size or res is results[0]:
                share = np.nan
            else:
                share = float(np.mean(finite < 0 if better == "lower" else finite > 0))
            rows.append(
                (
                    res.scenario.name,
                    measure,
                    setting,
                    measure_unit(str(measure), str(setting)),
                    mean,
                    low,
                    high,
                    d_mean,
                    d_low,
                    d_high,
                    share,
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "measure",
            "setting",
            "unit",
            "mean",
            "ci_low",
            "ci_high",
            "diff",
            "diff_ci_low",
            "diff_ci_high",
            "better_share",
        ],
    ).astype({"diff": float, "diff_ci_low": float, "diff_ci_high": float})


def net_costs(result: SimulationResult, period: str | Period | None = None) -> pd.Series:
    """Cost of each replication in GBP (index: replication): every costed outcome (activity:
    bed days, packages, placements) plus the capacity provided, where the scenario's
    ``costs.capacity_place_day`` prices a place-day of a setting, plus the escalation plan's
    cost (its levels' day costs, and the places it adds at ``escalation.place_day_cost``,
    or at ``capacity_place_day`` where the plan gives no price). Empty when the scenario
    has no ``costs``."""
    plan = result.plan
    if plan.costs is None:
        return pd.Series(dtype=float)
    window = period_window(period, plan)
    stays = result.stays_table("the net cost")
    reps = result._replication_numbers()
    if not result.scenario.uncertain_inputs:
        return _net_costs(plan, stays, result.daily, reps, window)
    # Each replication is priced with its own drawn inputs (a unit cost may be uncertain).
    parts = [
        _net_costs(
            result.plan_of(r),
            stays[stays["replication"] == r],
            result.daily[result.daily["replication"] == r],
            [r],
            window,
        )
        for r in reps
    ]
    return pd.concat(parts)  # type: ignore[no-any-return]


def _net_costs(
    plan: Plan,
    stays: pd.DataFrame,
    daily_all: pd.DataFrame,
    reps: list[int],
    window: tuple[float, float] | None,
) -> pd.Series:
    assert plan.costs is not None
    outcomes = replication_outcomes(plan, stays, None, reps, window)
    total = outcomes.groupby("replication")["cost_gbp"].sum(min_count=0)
    start, end = (0.0, plan.end_time) if window is None else window
    daily = daily_all[(daily_all["day"] >= start) & (daily_all["day"] < end)]
    escalating = "escalation_cost" in daily.columns
    ops = plan.operations
    for setting, unit_cost in plan.costs.capacity_place_day.items():
        days = daily[daily["setting"] == setting]
        capacity = days["capacity"]
        if escalating and ops.place_day_cost[SETTINGS.index(setting)] > 0:
            capacity = capacity - days["extra_capacity"]  # priced by the escalation plan
        provided = capacity.groupby(days["replication"]).sum()
        if np.isfinite(provided.to_numpy(dtype=float)).all():
            total = total.add(provided * unit_cost, fill_value=0.0)
    if escalating:  # levels' day costs and the places they add (place-wide: one setting's rows)
        first = daily[daily["setting"] == plan.defined_settings()[0]]
        total = total.add(first.groupby("replication")["escalation_cost"].sum(), fill_value=0.0)
    return total


def decision_table(comparison: Comparison, confidence: float = 0.95) -> pd.DataFrame:
    """For each scenario against the base: the headline measures and the net cost, each
    with its paired difference, confidence interval and chance of improvement.

    Columns scenario, measure, setting, unit, base, value, diff, diff_ci_low, diff_ci_high,
    better, chance_better, chance_ci_low, chance_ci_high. The chance of improvement is the
    share of replications (paired, common random numbers) in which the scenario did better
    than the base, with a Wilson interval; for the net cost, better is cheaper, and its
    ``setting`` says what it prices: "activity and capacity" when both scenarios give
    ``costs.capacity_place_day``, otherwise "activity (capacity not priced)", with "and
    escalation" when an escalation plan is costed.
    """
    table = comparison.table
    base_name = comparison.results[0].scenario.name
    base_plan = comparison.results[0].plan
    found = find_period(comparison.period, base_plan)
    rows = []
    headline = [(m, s) for m, s in HEADLINE if s in SETTINGS]
    for result in comparison.results[1:]:
        mine = table[table["scenario"] == result.scenario.name]
        base_rows = table[table["scenario"] == base_name]
        for measure, setting in headline:
            row = mine[(mine["measure"] == measure) & (mine["setting"] == setting)]
            base_row = base_rows[
                (base_rows["measure"] == measure) & (base_rows["setting"] == setting)
            ]
            if row.empty or base_row.empty:
                continue
            r = row.iloc[0]
            n = result.replications
            share = float(r["better_share"])
            held = round(share * n) if math.isfinite(share) else 0
            low, high = (
                wilson_interval(held, n, confidence) if math.isfinite(share) else (np.nan, np.nan)
            )
            rows.append(
                (
                    result.scenario.name,
                    measure,
                    setting,
                    r["unit"],
                    float(base_row.iloc[0]["mean"]),
                    float(r["mean"]),
                    float(r["diff"]),
                    float(r["diff_ci_low"]),
                    float(r["diff_ci_high"]),
                    _better(measure, setting),
                    share,
                    low,
                    high,
                )
            )
        cost_base = net_costs(comparison.results[0], found)
        cost = net_costs(result, found)
        priced = bool(
            base_plan.costs is not None
            and base_plan.costs.capacity_place_day
            and result.plan.costs is not None
            and result.plan.costs.capacity_place_day
        )
        costed = [
            bool(r.plan.operations.cost_per_day.any() or r.plan.operations.place_day_cost.any())
            for r in (comparison.results[0], result)
        ]
        what = ("activity and capacity" if priced else "activity") + (
            " and escalation" if any(costed) else ""
        )
        if not priced:
            what += " (capacity not priced)"
        if any(costed) and not all(costed):
            only = comparison.results[0] if costed[0] else result
            what += f" (escalation priced in {only.scenario.name} only)"
        if len(cost) and len(cost_base):
            paired = (cost - cost_base).dropna().to_numpy(dtype=float)
            d, d_low, d_high, n = t_interval(paired, confidence)
            held = int((paired < 0).sum())
            low, high = wilson_interval(held, n, confidence)
            rows.append(
                (
                    result.scenario.name,
                    "net_cost",
                    what,
                    "GBP",
                    float(cost_base.mean()),
                    float(cost.mean()),
                    d,
                    d_low,
                    d_high,
                    "lower",
                    held / n if n else np.nan,
                    low,
                    high,
                )
            )
    columns = [
        "scenario",
        "measure",
        "setting",
        "unit",
        "base",
        "value",
        "diff",
        "diff_ci_low",
        "diff_ci_high",
        "better",
        "chance_better",
        "chance_ci_low",
        "chance_ci_high",
    ]
    return pd.DataFrame(rows, columns=columns)
