"""Uncertain inputs held against statistics worked here, independently of placesim.

The scenario: the small one with intermediate care as an M/G/inf service (unlimited beds,
everyone home afterwards, so nothing downstream can hold a bed) fed by pathway 2 (30% of
acute discharges, about 1.7 a day), with two uncertain inputs:

- the intermediate-care mean stay, lognormal with 10th-90th percentile 10 to 40 days: by
  Little's law the beds in use are arrivals x mean stay, so bed days rise with it (a
  factor of 4 between the two percentiles, against a spread of about 12% from arrivals
  and stays with the inputs fixed);
- the cost of an intermediate-care bed day, 100 to 300: costs only price the outcomes, so
  it cannot change bed days (checked exactly below, on common random numbers).

40 replications from one seed, run once for the module (about 1 s each run).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from scipy import stats

import placesim
from placesim.measures import SimulationResult
from placesim.scenario import Scenario, fix_inputs, override
from placesim.scenario.uncertainty import draw_uniform
from small_scenario import small_scenario

LOS = "settings.intermediate_care.los.mean"
COST = "costs.intermediate_care_bed_day"
SEED = 4_242
N = 40  # replications
K = 2  # uncertain inputs
SETTING = "intermediate_care"
FloatArray = npt.NDArray[np.float64]


def uncertain_scenario() -> Scenario:
    return placesim.parse_scenario(
        small_scenario(
            {
                "settings": {
                    "intermediate_care": {
                        "capacity": "unlimited",
                        "los": {"mean": {"low": 10, "high": 40}, "cv": 0.3},
                        "outcomes": {"home": 1.0, "reablement": 0, "care_home": 0, "acute": 0},
                    }
                },
                "discharge": {"pathways": {"all": {"P0": 0.46, "P2": 0.3}}},
                "costs": {"intermediate_care_bed_day": {"low": 100, "high": 300}},
            }
        )
    )


@pytest.fixture(scope="module")
def runs() -> dict[str, SimulationResult]:
    """The same seed three ways: inputs drawn; inputs at their medians; the cost fixed at
    200 with the stay still drawn (its draws are the first run's: keyed by path)."""
    scenario = uncertain_scenario()
    return {
        "drawn": placesim.simulate(scenario, N, SEED, keep_stays=False),
        "medians": placesim.simulate(fix_inputs(scenario), N, SEED, keep_stays=False),
        "cost fixed": placesim.simulate(override(scenario, {COST: 200}), N, SEED, keep_stays=False),
    }


def bed_days(result: SimulationResult) -> FloatArray:
    """Intermediate-care bed days of each replication, in replication order."""
    m = result.measures
    rows = m[(m["measure"] == "bed_days") & (m["setting"] == SETTING)].sort_values("replication")
    assert list(rows["replication"]) == list(range(result.replications))
    return rows["value"].to_numpy(dtype=float)


def prcc(x: FloatArray, others: FloatArray, y: FloatArray) -> float:
    """Partial rank correlation of x and y given the other inputs (Marino et al. 2008):
    the Pearson correlation of the residuals of rank(x) and rank(y) after a least-squares
    fit on the ranks of the others."""
    design = np.column_stack([np.ones(len(y)), *(stats.rankdata(o) for o in others.T)])

    def residual(v: FloatArray) -> FloatArray:
        coef = np.linalg.lstsq(design, v, rcond=None)[0]
        out: FloatArray = v - design @ coef
        return out

    return float(stats.pearsonr(residual(stats.rankdata(x)), residual(stats.rankdata(y)))[0])


# --------------------------------------------------------------------------- A. ranking


def test_the_cost_cannot_change_bed_days(runs: dict[str, SimulationResult]) -> None:
    """With the stay drawn as before and the cost fixed, every replication's bed days are
    the same: the cost input's true effect is exactly 0, so its PRCC below is a null."""
    drawn, fixed = runs["drawn"], runs["cost fixed"]
    p = drawn.parameters
    q = fixed.parameters
    pd.testing.assert_frame_equal(
        p[p["path"] == LOS].reset_index(drop=True), q.reset_index(drop=True)
    )
    np.testing.assert_array_equal(bed_days(drawn), bed_days(fixed))


def test_sensitivity_ranks_the_stay_first_and_finds_no_effect_of_the_cost(
    runs: dict[str, SimulationResult],
) -> None:
    """PRCC with Fisher's z: atanh(r) has standard error 1 / sqrt(n - 3 - (k - 1)) = 1/6
    for n = 40 replications and k = 2 inputs.

    - The stay: its 95% interval's lower end above 0.5 (r above tanh(atanh(0.5) + 1.96/6)
      = 0.70). With bed days near proportional to the mean stay, which spans a factor of 4
      between its 10th and 90th percentiles against about 12% of other spread, r is
      above 0.9: more than 5 standard errors (on the z scale) clear of the bound.
    - The cost, whose effect is exactly 0 (test above): |atanh(r)| within z(0.9995) = 3.29
      standard errors, i.e. |r| <= tanh(3.29/6) = 0.50, at alpha = 0.001 two-sided.
    The table's PRCCs are also recomputed here from the drawn values and bed days, and its
    intervals from Fisher's formula."""
    result = runs["drawn"]
    table = result.sensitivity("bed_days", SETTING)
    assert list(table["path"]) == [LOS, COST]
    assert set(table["replications"]) == {N}
    rows = {
        str(row["path"]): {str(k): float(v) for k, v in row.items() if k != "path"}
        for row in table.to_dict("records")
    }
    se = 1.0 / math.sqrt(N - 3 - (K - 1))

    wide = result.parameters.pivot(index="replication", columns="path", values="value")
    y = bed_days(result)
    for path, other in ((LOS, COST), (COST, LOS)):
        x = wide[path].to_numpy(dtype=float)
        expected = prcc(x, wide[[other]].to_numpy(dtype=float), y)
        assert rows[path]["prcc"] == pytest.approx(expected, abs=1e-9)
        z = math.atanh(rows[path]["prcc"])
        z975 = float(stats.norm.ppf(0.975))
        assert rows[path]["prcc_low"] == pytest.approx(math.tanh(z - z975 * se), abs=1e-9)
        assert rows[path]["prcc_high"] == pytest.approx(math.tanh(z + z975 * se), abs=1e-9)

    assert rows[LOS]["prcc_low"] > 0.5, rows[LOS]
    null_bound = float(stats.norm.ppf(1 - 0.001 / 2)) * se
    r_cost = rows[COST]["prcc"]
    assert abs(math.atanh(r_cost)) <= null_bound, f"cost PRCC {r_cost:.3f}, bound {null_bound:.3f}"
    assert abs(r_cost) < rows[LOS]["prcc_low"]


# --------------------------------------------------------------------------- B. variance


def test_uncertain_inputs_add_variance(runs: dict[str, SimulationResult]) -> None:
    """The spread of bed days over replications with the stay drawn is significantly more
    than with every input at its median (same seed, so the same arrivals: common random
    numbers).

    F test: s_drawn^2 / s_medians^2 above the F(n-1, n-1) 99.9th percentile (2.7 for
    n = 40), one-sided at alpha = 0.001. The two samples share their arrivals, so they
    are not independent; the Pitman-Morgan test, which allows for that (corr(X+Y, X-Y) =
    0 exactly when var X = var Y; t with n-2 degrees of freedom), is checked at the same
    alpha too. Power: the drawn stay alone moves bed days by about +-50% (its log sd
    0.54), against about 12% with it fixed, so the ratio expected is some 20."""
    drawn, medians = bed_days(runs["drawn"]), bed_days(runs["medians"])
    assert runs["medians"].parameters.empty
    ratio = float(np.var(drawn, ddof=1) / np.var(medians, ddof=1))
    critical = float(stats.f.ppf(1 - 0.001, N - 1, N - 1))
    assert ratio > critical, f"variance ratio {ratio:.3g}, F critical value {critical:.3g}"

    r = float(np.corrcoef(drawn + medians, drawn - medians)[0, 1])
    t = r * math.sqrt(N - 2) / math.sqrt(1 - r * r)
    assert t > float(stats.t.ppf(1 - 0.001, N - 2)), f"Pitman-Morgan t = {t:.3g}"


# --------------------------------------------------------------------------- C. engines


def test_both_engines_draw_the_same_inputs() -> None:
    """The reference engine (SimPy) and the fast one run each replication's drawn scenario
    with the same values: the inverse CDF at the keyed uniform, worked here."""
    scenario = placesim.parse_scenario(
        small_scenario(
            {
                "calendar": {"horizon_days": 30, "warmup_days": 0},
                "settings": {
                    "intermediate_care": {
                        "capacity": {"low": 4, "high": 9},
                        "los": {"mean": {"low": 10, "high": 40}},
                    }
                },
                "discharge": {"pathways": {"all": {"P1": {"low": 0.1, "high": 0.2}}}},
            }
        )
    )
    fast = placesim.simulate(scenario, 2, SEED, keep_stays=False)
    reference = placesim.simulate(scenario, 2, SEED, engine="simpy", keep_stays=False)
    pd.testing.assert_frame_equal(fast.parameters, reference.parameters, check_exact=True)
    assert len(fast.parameters) == 2 * len(scenario.uncertain_inputs) == 6
    for row in fast.parameters.itertuples():
        spec = next(s for s in scenario.uncertain_inputs if s.path == row.path)
        u = draw_uniform(SEED, int(row.replication), str(row.path))  # type: ignore[arg-type]
        assert row.value == pytest.approx(spec.value_at(u), rel=1e-12)
    pd.testing.assert_frame_equal(fast.measures, reference.measures, check_exact=False, rtol=1e-9)
