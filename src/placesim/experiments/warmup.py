"""Warm-up advice by Welch's method: the running level of occupancy across replications.

Welch's method (Law, Simulation Modeling and Analysis, section 9.5.1) averages a daily
series over replications, smooths it with a moving average, and takes as warm-up the time
after which the smoothed curve has settled. The suggestion here is the first day on which
the curve comes within a band around its level over the second half of the run (the
wider of 2% of that level and two standard deviations of the curve there), rounded up to
a week. Read it against the curve: a curve that overshoots, or a strong season, needs a
look by eye.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from placesim.errors import PlacesimError
from placesim.experiments.simulate import simulate
from placesim.measures import MEASURES
from placesim.reporting.outputs import write_experiment
from placesim.scenario import Scenario, override

__all__ = ["CURVE_COLUMNS", "WarmupAdvice", "suggest_warmup", "welch"]

CURVE_COLUMNS = (
    "setting",
    "day",
    "date",
    "measure",
    "unit",
    "mean",
    "smoothed",
    "replications",
)
"""The columns of :attr:`WarmupAdvice.curve` (and ``warmup.csv``)."""

_RELATIVE_BAND = 0.02


@dataclass(frozen=True)
class WarmupAdvice:
    """Welch's curve of one setting and the warm-up it suggests.

    Attributes
    ----------
    curve
        Labelled as the summary is (:data:`CURVE_COLUMNS`): setting, day (from the first
        simulated day), date, measure (``census``: people in the setting at midnight),
        unit, mean (averaged over replications), smoothed (Welch's moving average),
        replications.
    level, band
        The smoothed curve's mean over the second half of the run, and the half-width of
        the band around it (in the curve's unit).
    suggested_days
        First day on which the smoothed curve comes within the band, rounded up to a week.
    unit
        The census's unit (beds, or places for a caseload).
    scenario, seed, replications, scenario_warmup_days
        What ran: the scenario's name, the root seed, the replications, and the warm-up the
        scenario has now.
    """

    setting: str
    window: int
    curve: pd.DataFrame
    level: float
    band: float
    suggested_days: int
    unit: str = "beds"
    scenario: str = ""
    seed: int | None = None
    replications: int = 0
    scenario_warmup_days: int = 0

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``warmup.csv`` (:attr:`curve`, every day) and ``warmup.json`` to `out_dir`.

        warmup.json records the scenario, seed, replications, setting, window, level, band
        and the suggested warm-up (:func:`placesim.reporting.write_experiment`). Returns
        the paths written.
        """
        about = {
            "experiment": "warmup",
            "scenario": self.scenario,
            "seed": self.seed,
            "replications": self.replications,
            "setting": self.setting,
            "measure": "census",
            "unit": self.unit,
            "window": self.window,
            "level": self.level,
            "band": self.band,
            "suggested_days": self.suggested_days,
            "scenario_warmup_days": self.scenario_warmup_days,
        }
        return write_experiment(self.curve, out_dir, "warmup", about)


def welch(series: np.ndarray, window: int) -> np.ndarray:
    """Welch's moving average: centred, over 2w+1 points, shrinking near the start."""
    n = series.size
    out = np.empty(n)
    cum = np.concatenate(([0.0], np.cumsum(series)))
    for i in range(n):
        w = min(window, i, n - 1 - i)
        out[i] = (cum[i + w + 1] - cum[i - w]) / (2 * w + 1)
    return out


def suggest_warmup(
    scenario: Scenario,
    setting: str = "acute",
    replications: int | None = None,
    seed: int | None = None,
    window: int = 7,
    workers: int = 1,
) -> WarmupAdvice:
    """Run `scenario` with no warm-up from its first simulated day and suggest one.

    The run covers the scenario's warm-up and reporting window together, starting from its
    initial state, so the curve shows the start-up transient the warm-up must absorb.
    """
    if setting not in scenario.settings.defined():
        raise PlacesimError(f"setting: {setting!r} is not defined in the scenario")
    if window < 1:
        raise PlacesimError(f"window: {window} is not allowed: must be >= 1")
    cal = scenario.calendar
    whole = override(
        scenario,
        {
            "calendar.start_date": cal.sim_start_date.isoformat(),
            "calendar.warmup_days": 0,
            "calendar.horizon_days": cal.warmup_days + cal.horizon_days,
        },
    )
    result = simulate(whole, replications=replications, seed=seed, workers=workers)
    daily = result.daily[result.daily["setting"] == setting]
    mean = daily.groupby("day")["census"].mean()
    smoothed = welch(mean.to_numpy(dtype=float), window)
    second_half = smoothed[smoothed.size // 2 :]
    level = float(second_half.mean())
    band = max(_RELATIVE_BAND * abs(level), 2.0 * float(second_half.std()))
    inside = np.flatnonzero(np.abs(smoothed - level) <= band)
    first_settled = int(inside[0]) if inside.size else smoothed.size
    suggested = int(math.ceil(first_settled / 7.0) * 7)
    dates = daily.drop_duplicates("day").set_index("day")["date"]
    unit = _census_unit(result.summary(), setting)
    curve = pd.DataFrame(
        {
            "setting": setting,
            "day": mean.index,
            "date": dates.loc[mean.index].to_numpy(),
            "measure": "census",
            "unit": unit,
            "mean": mean.to_numpy(),
            "smoothed": smoothed,
            "replications": result.replications,
        },
        columns=list(CURVE_COLUMNS),
    )
    return WarmupAdvice(
        setting=setting,
        window=window,
        curve=curve,
        level=level,
        band=band,
        suggested_days=suggested,
        unit=unit,
        scenario=scenario.name,
        seed=result.seed,
        replications=result.replications,
        scenario_warmup_days=cal.warmup_days,
    )


def _census_unit(summary: pd.DataFrame, setting: str) -> str:
    """The unit of a setting's census: its occupancy's, as the run's summary gives it."""
    rows = summary[(summary["measure"] == "occupancy_mean") & (summary["setting"] == setting)]
    return str(rows["unit"].iloc[0]) if not rows.empty else MEASURES.get("occupancy_mean", "")
