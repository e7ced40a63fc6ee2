"""The summary of a run as text for the terminal."""

from __future__ import annotations

import math

from placesim.measures import SimulationResult
from placesim.scenario import SETTINGS

__all__ = ["format_number", "format_summary"]


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


def format_summary(result: SimulationResult) -> str:
    """The summary as a text table: one block per setting, mean and 95% CI per measure."""
    sc = result.scenario
    cal = sc.calendar
    lines = [
        f"{sc.name}: {result.replications} replication(s), seed {result.seed}, "
        f"{cal.start_date} to {cal.end_date}"
        + (f" after a {cal.warmup_days}-day warm-up" if cal.warmup_days else ""),
        "",
    ]
    if result.warnings:
        lines += ["Offered-load check (before the run):"]
        lines += [f"  ! {w}" for w in result.warnings]
        lines.append("")
    summary = result.summary()
    width = max(len(m) for m in summary["measure"]) + 2
    for setting in SETTINGS:
        block = summary[summary["setting"] == setting]
        if block.empty:
            continue
        lines.append(setting.replace("_", " "))
        for measure, unit, mean, low, high in zip(
            block["measure"],
            block["unit"],
            block["mean"].to_numpy(dtype=float),
            block["ci_low"].to_numpy(dtype=float),
            block["ci_high"].to_numpy(dtype=float),
            strict=True,
        ):
            unit = str(unit)
            ci = (
                f"({format_number(low, unit)} to {format_number(high, unit)})"
                if math.isfinite(low)
                else ""
            )
            shown_unit = "" if unit == "ratio" else unit
            lines.append(
                f"  {measure:<{width}}{format_number(mean, unit):>10}  {ci:<26}{shown_unit}"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
