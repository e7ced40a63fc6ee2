"""Paired comparisons of scenarios on common random numbers.

Every scenario runs with the same seed, so replication r of each sees the same people with
the same needs; the difference of a measure is taken replication by replication and its
confidence interval is the paired-t interval (Law, Simulation Modeling and Analysis,
section 10.2.1), much narrower than comparing two independent intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from placesim.measures.result import SimulationResult
from placesim.measures.statistics import t_interval
from placesim.measures.tables import MEASURES

__all__ = ["Comparison", "paired_table"]


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
        zero for the base itself).
    """

    results: list[SimulationResult]
    table: pd.DataFrame

    def significant(self) -> list[str]:
        """A plain-language line for each difference whose 95% CI excludes zero."""
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
            word = "higher" if diff > 0 else "lower"
            a, b = sorted((abs(low), abs(high)))
            lines.append(
                f"{str(setting).replace('_', ' ')} {measure}: {scenario} is "
                f"{_show(abs(diff), str(unit))} {word} than {base} "
                f"(95% CI {_show(a, str(unit))} to {_show(b, str(unit))} {word})"
            )
        return lines

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


def paired_table(results: list[SimulationResult]) -> pd.DataFrame:
    """Each result's measures with their paired differences from the first result's."""
    keys = ["measure", "setting", "replication"]
    base = results[0].measures.set_index(keys)["value"]
    rows = []
    for res in results:
        values = res.measures.set_index(keys)["value"]
        joined = pd.concat({"alt": values, "base": base}, axis=1)
        for (measure, setting), g in joined.groupby(level=[0, 1], sort=False):
            mean, low, high, _ = t_interval(g["alt"].to_numpy(dtype=float))
            diff = (g["alt"] - g["base"]).to_numpy(dtype=float)
            d_mean, d_low, d_high, _ = t_interval(diff)
            rows.append(
                (
                    res.scenario.name,
                    measure,
                    setting,
                    MEASURES[str(measure)],
                    mean,
                    low,
                    high,
                    d_mean,
                    d_low,
                    d_high,
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
        ],
    ).astype({"diff": float, "diff_ci_low": float, "diff_ci_high": float})
