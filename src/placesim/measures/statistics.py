"""Statistics over replications, used by every measure and comparison."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["spread", "t_interval", "wilson_interval"]


def t_interval(values: npt.ArrayLike, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and Student-t confidence interval of replication values: (mean, low, high, n).

    The interval is mean +/- t_{n-1} s / sqrt(n) (Law, Simulation Modeling and Analysis,
    section 9.4.1); with one replication it is NaN. Values that are not finite (NaN: no stay
    ended, say) are left out.
    """
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = v.size
    mean = float(v.mean()) if n else np.nan
    if n >= 2:
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
    else:
        half = np.nan
    return mean, mean - half, mean + half, n


def spread(values: npt.ArrayLike) -> tuple[float, float, float]:
    """5th percentile, median and 95th percentile of replication values (finite ones).

    Linear interpolation between order statistics (numpy's default), so with 10
    replications the 5th and 95th percentiles lie between the two lowest and the two
    highest values. NaN when no value is finite.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return np.nan, np.nan, np.nan
    p05, median, p95 = np.percentile(v, [5.0, 50.0, 95.0])
    return float(p05), float(median), float(p95)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion `successes` / `n`.

    Unlike the normal approximation it stays inside [0, 1] and holds for shares near 0 or 1
    and small n (Wilson 1927; Brown, Cai and DasGupta, Statistical Science 16(2), 2001).
    """
    from scipy import stats

    if n == 0:
        return np.nan, np.nan
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))
