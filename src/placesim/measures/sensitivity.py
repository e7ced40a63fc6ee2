"""Which uncertain inputs matter: their share of a measure's spread over replications.

Each replication of a run with uncertain inputs draws its own values of them, so the
replications are a Monte Carlo sample of inputs and outcomes together. Two standard
summaries of such a sample (Marino et al. 2008, "A methodology for performing global
uncertainty and sensitivity analysis in systems biology", J Theor Biol 254:178-196):

- the partial rank correlation coefficient (PRCC) of each input with the measure: the
  correlation of their ranks once the other inputs' ranks are regressed out; monotone, not
  only linear, effects count, and its 95% interval is Fisher's;
- the standardised regression coefficient (SRC) of a linear regression of the measure on
  the inputs: SRC squared is the share of the measure's variance the input explains when
  the inputs are independent and the effect near linear, and 1 - R squared is what the
  inputs leave unexplained: the randomness of arrivals and stays, and any non-linearity.

The tornado's ends are the regression's prediction with the input at its 10th and 90th
percentile and every other input at its median.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from placesim.errors import PlacesimError
from placesim.measures.tables import measure_unit
from placesim.scenario import UncertainInput

__all__ = [
    "SENSITIVITY_COLUMNS",
    "VALUE_OF_INFORMATION_COLUMNS",
    "sensitivity_table",
    "value_of_information",
]

SENSITIVITY_COLUMNS = (
    "path",
    "prcc",
    "prcc_low",
    "prcc_high",
    "src",
    "share_of_variance",
    "low",
    "median",
    "high",
    "measure_at_low",
    "measure_at_high",
    "r_squared",
    "replications",
)


def _residuals(y: npt.NDArray[np.float64], x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return y - design @ coef  # type: ignore[no-any-return]


def _ranks(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return pd.DataFrame(values).rank(method="average").to_numpy(dtype=float)


def _correlation(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    sa, sb = float(np.std(a)), float(np.std(b))
    if sa == 0.0 or sb == 0.0:
        return math.nan
    return float(np.mean((a - a.mean()) * (b - b.mean())) / (sa * sb))


def sensitivity_table(
    inputs: Sequence[UncertainInput],
    parameters: pd.DataFrame,
    measures: pd.DataFrame,
    measure: str,
    setting: str,
) -> pd.DataFrame:
    """How much of the spread of `measure` in `setting` each uncertain input explains.

    Parameters
    ----------
    inputs
        The scenario's uncertain inputs (``scenario.uncertain_inputs``).
    parameters
        The run's drawn values (replication, path, value).
    measures
        The run's measures (replication, measure, setting, value), of the whole run or of a
        period.
    measure, setting
        The measure to explain.

    Returns
    -------
    pandas.DataFrame
        One row per input, the most influential (largest |PRCC|) first:
        ``SENSITIVITY_COLUMNS``; ``attrs`` holds the measure, setting, unit and the
        fit's prediction with every input at its median (``centre``).

    Raises
    ------
    PlacesimError
        If the run has no uncertain inputs, the measure is not there, or there are too few
        replications (at least the number of inputs + 3).
    """
    if not inputs or parameters.empty:
        raise PlacesimError(
            "sensitivity: the run has no uncertain inputs; write a range for a figure "
            "(docs/uncertainty.md), e.g. los: {kind: lognormal, mean: {low: 30, high: 45}, ...}"
        )
    rows = measures[(measures["measure"] == measure) & (measures["setting"] == setting)]
    if rows.empty:
        known = sorted(set(measures["measure"].astype(str)))
        raise PlacesimError(
            f"sensitivity: measure {measure!r} in setting {setting!r} is not in the results: "
            f"the measures are {', '.join(known)}, in the settings the scenario defines"
        )
    paths = [spec.path for spec in inputs]
    wide = parameters.pivot(index="replication", columns="path", values="value")[paths]
    y_by_rep = rows.set_index("replication")["value"].astype(float)
    joined = wide.join(y_by_rep.rename("__y__"), how="inner").dropna()
    n, k = len(joined), len(paths)
    if n < k + 3:
        raise PlacesimError(
            f"sensitivity: {n} replications with a value of {measure} is too few for {k} "
            f"uncertain inputs: run at least {k + 3} (more is better: docs/uncertainty.md)"
        )
    x = joined[paths].to_numpy(dtype=float)
    y = joined["__y__"].to_numpy(dtype=float)
    rx, ry = _ranks(x), _ranks(y[:, None])[:, 0]
    design = np.column_stack([np.ones(n), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    fitted = design @ coef
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y - fitted) ** 2)) / total if total > 0 else math.nan
    sd_y = float(np.std(y))
    medians = np.array([spec.median for spec in inputs])
    centre = float(coef[0] + coef[1:] @ medians)
    z = 1.959963984540054  # the normal's 97.5th percentile
    out = []
    for j, spec in enumerate(inputs):
        others = np.delete(rx, j, axis=1)
        prcc = _correlation(_residuals(rx[:, j], others), _residuals(ry, others))
        se = 1.0 / math.sqrt(n - 3 - (k - 1)) if n - 3 - (k - 1) > 0 else math.inf
        fisher = math.atanh(max(min(prcc, 1 - 1e-12), -1 + 1e-12)) if math.isfinite(prcc) else 0
        src = float(coef[j + 1]) * float(np.std(x[:, j])) / sd_y if sd_y > 0 else math.nan
        low, high = spec.low, spec.high
        out.append(
            {
                "path": spec.path,
                "prcc": prcc,
                "prcc_low": math.tanh(fisher - z * se) if math.isfinite(prcc) else math.nan,
                "prcc_high": math.tanh(fisher + z * se) if math.isfinite(prcc) else math.nan,
                "src": src,
                "share_of_variance": src**2 if math.isfinite(src) else math.nan,
                "low": low,
                "median": spec.median,
                "high": high,
                "measure_at_low": centre + float(coef[j + 1]) * (low - spec.median),
                "measure_at_high": centre + float(coef[j + 1]) * (high - spec.median),
                "r_squared": r2,
                "replications": n,
            }
        )
    table = pd.DataFrame(out, columns=list(SENSITIVITY_COLUMNS))
    order = table["prcc"].abs().fillna(-1.0).sort_values(ascending=False, kind="stable").index
    table = table.loc[order].reset_index(drop=True)
    unit = measure_unit(measure, setting)
    table.attrs.update({"measure": measure, "setting": setting, "unit": unit, "centre": centre})
    return table


VALUE_OF_INFORMATION_COLUMNS = ("path", "evppi", "evpi", "chance_better", "replications")


def value_of_information(
    inputs: Sequence[UncertainInput],
    parameters: pd.DataFrame,
    gain: pd.Series,
    degree: int = 3,
) -> pd.DataFrame:
    """The expected value of partial perfect information of each uncertain input for a
    choice between two options (Strong, Oakley and Brennan 2014, "Estimating multiparameter
    partial expected value of perfect information from a probabilistic sensitivity analysis
    sample", Med Decis Making 34:311-326, with a polynomial in place of their GAM).

    `gain` is what choosing the option gains over the other in each replication (index:
    replication; positive is better, e.g. bed days saved). Each input's EVPPI is
    mean(max(0, g(x))) - max(0, mean(g(x))), where g(x) is the expected gain given the
    input's value (a least-squares polynomial of `degree` over the replications): what
    knowing that input before choosing is worth, in the gain's unit. EVPI is the same for
    every input together (a regression on all of them, linear). Both are 0 when the choice
    is the same whatever the input is.
    """
    paths = [spec.path for spec in inputs]
    wide = parameters.pivot(index="replication", columns="path", values="value")[paths]
    joined = wide.join(gain.rename("__gain__"), how="inner").dropna()
    n = len(joined)
    if n < 2 * (degree + 1) or not inputs:
        raise PlacesimError(
            f"value of information: {n} replications is too few (at least "
            f"{2 * (degree + 1)}, and 100 or more for a steady estimate)"
        )
    y = joined["__gain__"].to_numpy(dtype=float)
    evpi = _worth(_fitted(joined[paths].to_numpy(dtype=float), y))
    rows = []
    for path in paths:
        x = joined[path].to_numpy(dtype=float)
        z = (x - x.mean()) / (float(np.std(x)) or 1.0)
        fitted = _fitted(np.column_stack([z**k for k in range(1, degree + 1)]), y)
        rows.append((path, _worth(fitted), evpi, float((y > 0).mean()), n))
    table = pd.DataFrame(rows, columns=list(VALUE_OF_INFORMATION_COLUMNS))
    return table.sort_values("evppi", ascending=False, kind="stable").reset_index(drop=True)


def _fitted(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The least-squares fit of `y` on the columns of `x` (and a constant), at each row."""
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return np.asarray(design @ coef, dtype=np.float64)


def _worth(expected_gain: npt.NDArray[np.float64]) -> float:
    """What choosing after learning is worth over choosing now: E[max(0, g)] - max(0, E[g])."""
    later = float(np.maximum(expected_gain, 0.0).mean())
    return max(later - max(0.0, float(expected_gain.mean())), 0.0)
