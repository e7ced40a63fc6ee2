"""Statistics over replications, used by every measure and comparison."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["t_interval"]


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
