"""The summary of a run as text for the terminal."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from placesim.measures import Period, RegionResult, SimulationResult, Target, parse_period
from placesim.measures.comparison import label
from placesim.measures.tables import LEVEL_DAYS, PLACE
from placesim.scenario import SETTINGS

__all__ = [
    "format_decisions",
    "format_number",
    "format_region",
    "format_sensitivity",
    "format_summary",
    "sensitivity_cells",
    "text_table",
]


def format_number(x: float, unit: str) -> str:
    """A measure's value for people to read: percentages for ratios, thousands separated.

    Not finite (no value) is ``-``.
    """
    if not math.isfinite(x):
        return "-"
    if unit == "ratio":
        return f"{100 * x:.1f}%"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def format_summary(
    result: SimulationResult,
    period: str | Period | None = None,
    targets: Sequence[str | Target] = (),
) -> str:
    """The summary as a text table: one block per setting; per measure the mean and its
    95% CI, then the median and the 5th to 95th percentiles across replications (the tail),
    then the chance of each target, for the whole run or `period`."""
    sc = result.scenario
    cal = sc.calendar
    window = f"{cal.start_date} to {cal.end_date}"
    if period is not None:
        found = parse_period(period, result.plan)
        named = f"{found.name}, " if found.name else ""
        window = f"{named}{found.start} to {found.end} (of a run {window})"
    lines = [
        f"{sc.name}: {result.replications} replication(s), seed {result.seed}, {window}"
        + (f" after a {cal.warmup_days}-day warm-up" if cal.warmup_days else ""),
        "",
    ]
    inputs = sc.uncertain_inputs
    if inputs:
        lines += [
            f"Uncertain inputs: {len(inputs)}, drawn afresh in each replication, so the "
            "intervals and percentiles below hold both the randomness of arrivals and stays "
            "and the uncertainty of these inputs (docs/uncertainty.md):"
        ]
        lines += [f"  {spec.path}: {spec.describe()}" for spec in inputs]
        lines.append("")
    if result.warnings:
        lines += ["Offered-load check (before the run):"]
        lines += [f"  ! {w}" for w in result.warnings]
        lines.append("")
    if targets:
        lines += ["Targets (share of replications in which each held):"]
        lines += [f"  {result.chance(t, period=period)}" for t in targets]
        lines.append("")
    summary = result.summary(period=period)
    levels = result.plan.operations.levels
    shown = {
        f"{LEVEL_DAYS}{k}": f"{LEVEL_DAYS}{k} ({name})" for k, name in enumerate(levels, start=1)
    }
    width = max(len(shown.get(m, m)) for m in summary["measure"]) + 2
    lines.append(
        f"  {'':<{width}}{'mean':>10}  {'95% CI':<26}{'median':>10}  {'5th-95th pct':<24}unit"
    )
    for setting in (*SETTINGS, PLACE):
        block = summary[summary["setting"] == setting]
        if block.empty:
            continue
        lines.append(setting.replace("_", " "))
        for measure, unit, mean, low, high, median, p05, p95 in zip(
            block["measure"],
            block["unit"],
            block["mean"].to_numpy(dtype=float),
            block["ci_low"].to_numpy(dtype=float),
            block["ci_high"].to_numpy(dtype=float),
            block["median"].to_numpy(dtype=float),
            block["p05"].to_numpy(dtype=float),
            block["p95"].to_numpy(dtype=float),
            strict=True,
        ):
            unit = str(unit)
            ci = (
                f"({format_number(low, unit)} to {format_number(high, unit)})"
                if math.isfinite(low)
                else ""
            )
            tail = (
                f"{format_number(p05, unit)} to {format_number(p95, unit)}"
                if math.isfinite(p05)
                else ""
            )
            shown_unit = "" if unit == "ratio" else unit
            name = shown.get(measure, measure)
            lines.append(
                f"  {name:<{width}}{format_number(mean, unit):>10}  {ci:<26}"
                f"{format_number(median, unit):>10}  {tail:<24}{shown_unit}"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def text_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], left: int | None = None
) -> str:
    """A table for the terminal: a header row over columns of cells, indented two spaces;
    the first `left` columns left-aligned (default all of them), the rest right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    cut = len(headers) if left is None else left

    def line(cells: Sequence[str]) -> str:
        shown = (
            c.ljust(w) if i < cut else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return ("  " + "  ".join(shown)).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


def sensitivity_cells(table: pd.DataFrame) -> list[dict[str, str]]:
    """Each row of a sensitivity table as the words the terminal and the pages show: path,
    prcc, ci, share, low, high (the input's 10th and 90th percentiles), at_low, at_high
    (the measure there, in its unit)."""
    unit = str(table.attrs.get("unit", ""))
    return [
        {
            "path": str(r["path"]),
            "prcc": f"{float(r['prcc']):+.2f}",
            "ci": f"{float(r['prcc_low']):+.2f} to {float(r['prcc_high']):+.2f}",
            "share": f"{float(r['share_of_variance']):.0%}",
            "low": f"{float(r['low']):.4g}",
            "high": f"{float(r['high']):.4g}",
            "at_low": format_number(float(r["measure_at_low"]), unit),
            "at_high": format_number(float(r["measure_at_high"]), unit),
        }
        for r in table.to_dict("records")
    ]


def format_sensitivity(table: pd.DataFrame) -> str:
    """A sensitivity table (:meth:`SimulationResult.sensitivity`) as text: each uncertain
    input with its partial rank correlation and 95% CI, its share of the measure's
    variance, and the measure at its 10th and 90th percentile."""
    measure = str(table.attrs.get("measure", ""))
    setting = str(table.attrs.get("setting", ""))
    n = int(table["replications"].iloc[0])
    r2 = float(table["r_squared"].iloc[0])
    heads = ("input", "PRCC", "95% CI", "share of variance", "at 10th pct", "at 90th pct")
    keys = ("path", "prcc", "ci", "share", "at_low", "at_high")
    rows = [[cells[k] for k in keys] for cells in sensitivity_cells(table)]
    lines = [
        f"Sensitivity of {measure} ({setting.replace('_', ' ')}, "
        f"{table.attrs.get('period', 'the whole run')}) to the uncertain inputs, "
        f"over {n} replications:",
        text_table(heads, rows),
    ]
    rest = max(0.0, 1.0 - r2) if math.isfinite(r2) else math.nan
    lines.append(
        f"The inputs explain {r2:.0%} of the variance between replications (R squared of a "
        f"linear fit); the other {rest:.0%} is the randomness of arrivals and stays, and any "
        "effect a straight line misses."
    )
    return "\n".join(lines)


def format_region(result: RegionResult, setting: str = "acute", shown: int = 15) -> str:
    """A region run as text: its totals and the spread of its places in `setting`, then
    the `shown` places with the most days over their target occupancy."""
    summary = result.region_summary()
    block = summary[summary["setting"] == setting]
    lines = [
        f"{result.name}: {len(result.places)} places x {result.replications} replication(s), "
        f"region seed {result.seed} (each place's seed in region.json)",
        "",
        f"{setting.replace('_', ' ')}, region (mean over replications, 95% CI):",
    ]
    for r in block.to_dict("records"):
        unit = str(r["unit"])
        low, high = float(r["ci_low"]), float(r["ci_high"])
        ci = (
            f"({format_number(low, unit)} to {format_number(high, unit)})"
            if math.isfinite(low)
            else ""
        )
        name = str(r["measure"]).replace("_", " ")
        lines.append(f"  {name:<34}{format_number(float(r['mean']), unit):>12}  {ci}")
    table = result.place_table(setting)
    if "days_over_target" in table.columns:
        table = table.sort_values("days_over_target", ascending=False, kind="stable")
    lines += ["", f"Places, most days over target first (of {len(table)}; means):"]
    heads = ["place", *(str(c).replace("_", " ") for c in table.columns[1:])]
    units = [_PLACE_UNITS.get(str(c), "") for c in table.columns[1:]]
    rows = [
        [str(row[0]), *(format_number(float(v), u) for u, v in zip(units, row[1:], strict=True))]
        for row in table.head(shown).itertuples(index=False)
    ]
    lines.append(text_table(heads, rows))
    return "\n".join(lines) + "\n"


_PLACE_UNITS = {
    "occupancy_rate": "ratio",
    "days_over_target": "days",
    "capacity_gap": "beds",
    "bed_days": "bed days",
    "delayed_bed_days": "bed days",
    "admissions": "admissions",
}


def format_decisions(table: pd.DataFrame) -> str:
    """A comparison's decision table (:meth:`placesim.Comparison.decisions`) as text: per
    scenario, each headline measure and the net cost against the base, the paired
    difference with its 95% CI, and the chance of doing better."""
    if table.empty:
        return "  (no headline measures in common)"
    rows = []
    for r in table.to_dict("records"):
        unit = str(r["unit"])

        def show(x: float, unit: str = unit) -> str:
            if unit == "GBP" and math.isfinite(x):
                return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"
            return format_number(x, unit)

        low, high = float(r["diff_ci_low"]), float(r["diff_ci_high"])
        ci = f"{show(low)} to {show(high)}" if math.isfinite(low) else ""
        share = float(r["chance_better"])
        chance = (
            f"{share:.0%} ({float(r['chance_ci_low']):.0%}-{float(r['chance_ci_high']):.0%})"
            if math.isfinite(share)
            else "-"
        )
        measure, setting = str(r["measure"]), str(r["setting"])
        what = f"net cost: {setting}" if measure == "net_cost" else label(measure, setting)
        diff = float(r["diff"])
        shown_diff = ("+" if diff > 0 else "") + show(diff)
        rows.append(
            (
                str(r["scenario"]),
                what,
                show(float(r["base"])),
                show(float(r["value"])),
                shown_diff,
                ci,
                chance,
            )
        )
    heads = ("scenario", "measure", "base", "scenario", "difference", "95% CI", "chance better")
    return text_table(heads, rows)
