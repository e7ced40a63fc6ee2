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

import numpy as np
import pandas as pd

from placesim.errors import PlacesimError
from placesim.experiments.simulate import simulate
from placesim.scenario import Scenario, override

__all__ = ["WarmupAdvice", "suggest_warmup", "welch"]

_RELATIVE_BAND = 0.02


@dataclass(frozen=True)
class WarmupAdvice:
    """Welch's curve of one setting and the warm-up it suggests.

    Attributes
    ----------
    curve
        day (from the first simulated day), date, mean (midnight census averaged over
        replications), smoothed (Welch's moving average).
    suggested_days
        First day on which the smoothed curve comes within the band, rounded up to a week.
    """

    setting: str
    window: int
    curve: pd.DataFrame
    level: float
    band: float
    suggested_days: int


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
    curve = pd.DataFrame(
        {"day": mean.index, "date": dates.loc[mean.index].to_numpy(), "mean": mean.to_numpy()}
    )
    curve["smoothed"] = smoothed
    return WarmupAdvice(
        setting=setting,
        window=window,
        curve=curve,
        level=level,
        band=band,
        suggested_days=suggested,
    )
