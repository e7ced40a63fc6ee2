"""The engine held against queueing theory and against cases worked by hand.

Every statistical assertion has a fixed seed and replication count and allows
|estimate - theory| <= 4 standard errors, the standard error coming from the spread of the
per-replication estimates (replications are independent, so s / sqrt(R) is honest however
strongly each replication's own observations are autocorrelated). The theory (Erlang C,
M/G/inf, the equilibrium residual stay) is computed here from the textbook formulas,
independently of placesim.

References: Gross, Shortle, Thompson and Harris, *Fundamentals of Queueing Theory* (4th ed.,
2008), sections 2.3 (M/M/c, Erlang C) and 2.8 / 6.1 (M/G/inf); Little's law, section 1.5;
Cox, *Renewal Theory* (1962), ch. 5 (the equilibrium residual life).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from scipy import stats

import placesim

Z = 4.0  # standard errors allowed
FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------- helpers


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu.

    C(c, a) = [a^c / c! * c / (c - a)] / [sum_{k<c} a^k / k! + a^c / c! * c / (c - a)].
    """
    assert a < c, "the queue is unstable"
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def mean_se(values: pd.Series | FloatArray) -> tuple[float, float]:
    """Mean of per-replication estimates and its standard error s / sqrt(R)."""
    v = np.asarray(values, dtype=float)
    assert v.size >= 2 and np.all(np.isfinite(v))
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))


def assert_within(estimate: float, theory: float, se: float, what: str) -> None:
    """|estimate - theory| <= Z standard errors, with the figures in the message."""
    assert se > 0.0, f"{what}: standard error {se} is not positive"
    assert abs(estimate - theory) <= Z * se, (
        f"{what}: estimate {estimate:.5g} vs theory {theory:.5g}, "
        f"difference {(estimate - theory) / se:+.2f} SE (SE {se:.3g}, allowed {Z:g} SE)"
    )


class LognormalStay:
    """Closed forms for a lognormal stay S given its mean and coefficient of variation."""

    def __init__(self, mean: float, cv: float) -> None:
        self.mean = mean
        self.cv = cv
        self.sigma2 = math.log1p(cv * cv)
        self.sigma = math.sqrt(self.sigma2)
        self.mu = math.log(mean) - self.sigma2 / 2.0

    def survival(self, t: float) -> float:
        """P(S > t)."""
        return float(stats.norm.sf((math.log(t) - self.mu) / self.sigma)) if t > 0 else 1.0

    def equilibrium_survival(self, h: float) -> float:
        """P(R > h) = E[(S - h)^+] / E[S] for the equilibrium residual stay R.

        E[(S - h)^+] = E[S] Phi(d1) - h Phi(d2), d1 = (mu + sigma^2 - ln h) / sigma,
        d2 = d1 - sigma (the lognormal partial expectation). In an M/G/inf system it is
        also the autocorrelation of the census at lag h.
        """
        if h <= 0:
            return 1.0
        d1 = (self.mu + self.sigma2 - math.log(h)) / self.sigma
        d2 = d1 - self.sigma
        return float(stats.norm.cdf(d1) - h / self.mean * stats.norm.cdf(d2))

    @property
    def residual_mean(self) -> float:
        """E[R] = E[S^2] / (2 E[S]) = E[S] (1 + cv^2) / 2."""
        return self.mean * (1.0 + self.cv * self.cv) / 2.0

    def as_los(self) -> dict[str, Any]:
        return {"kind": "lognormal", "mean": self.mean, "cv": self.cv}


def single_setting(
    *,
    capacity: int | str,
    los: dict[str, Any],
    rate_per_day: float,
    horizon_days: int,
    warmup_days: int,
    initial_state: dict[str, Any] | None = None,
) -> placesim.Scenario:
    """Referrals (a Poisson stream) into one intermediate-care setting, home afterwards."""
    data: dict[str, Any] = {
        "name": "single_setting",
        "calendar": {
            "start_date": "2025-01-01",
            "horizon_days": horizon_days,
            "warmup_days": warmup_days,
        },
        "settings": {
            "intermediate_care": {"capacity": capacity, "los": los, "outcomes": {"home": 1.0}}
        },
        "referrals": [{"name": "gp", "setting": "intermediate_care", "rate_per_day": rate_per_day}],
    }
    if initial_state is not None:
        data["initial_state"] = {"intermediate_care": initial_state}
    return placesim.parse_scenario(data)


def per_replication(res: placesim.SimulationResult, measure: str, setting: str) -> pd.Series:
    m = res.measures
    rows = m[(m["measure"] == measure) & (m["setting"] == setting)]
    return rows.set_index("replication")["value"]


def waiting_area(stays: pd.DataFrame, horizon: float) -> pd.Series:
    """Per replication: integral over [0, horizon) of the number waiting (request to place)."""
    arrive = stays["arrive"].fillna(horizon).clip(upper=horizon)
    start = stays["requested"].clip(lower=0.0)
    return (arrive - start).clip(lower=0.0).groupby(stays["replication"]).sum()


# --------------------------------------------------------------------------- 1. M/M/c

MMC_LAMBDA = 1.6  # referrals a day
MMC_MEAN_STAY = 5.0  # days, so mu = 0.2 a day
MMC_C = 10  # beds: offered load a = 8, rho = 0.8
MMC_HORIZON = 10_000
MMC_WARMUP = 200  # the relaxation time is about 1 / (c mu (1 - sqrt(rho))^2) = 45 days
MMC_REPLICATIONS = 30
MMC_SEED = 20250101


@pytest.fixture(scope="module")
def mmc() -> placesim.SimulationResult:
    sc = single_setting(
        capacity=MMC_C,
        los={"kind": "exponential", "mean": MMC_MEAN_STAY},
        rate_per_day=MMC_LAMBDA,
        horizon_days=MMC_HORIZON,
        warmup_days=MMC_WARMUP,
    )
    return placesim.simulate(sc, replications=MMC_REPLICATIONS, seed=MMC_SEED)


def _mmc_theory() -> tuple[float, float, float]:
    mu = 1.0 / MMC_MEAN_STAY
    a = MMC_LAMBDA / mu
    p_wait = erlang_c(MMC_C, a)
    wq = p_wait / (MMC_C * mu - MMC_LAMBDA)
    return a, p_wait, wq


@pytest.mark.slow
def test_mmc_mean_occupancy_is_offered_load(mmc: placesim.SimulationResult) -> None:
    a, _, _ = _mmc_theory()
    estimate, se = mean_se(per_replication(mmc, "occupancy_mean", "intermediate_care"))
    assert_within(estimate, a, se, "M/M/c occupancy_mean = lambda / mu")


@pytest.mark.slow
def test_mmc_probability_of_waiting_is_erlang_c(mmc: placesim.SimulationResult) -> None:
    _, p_wait, _ = _mmc_theory()
    s = mmc.stays
    asked = s[(s["requested"] >= 0.0) & (s["requested"] < MMC_HORIZON)]
    # Someone still waiting at the end (arrive NaN) has waited.
    waited = (asked["waited"] > 0.0) | asked["arrive"].isna()
    estimate, se = mean_se(waited.groupby(asked["replication"]).mean())
    assert_within(estimate, p_wait, se, "M/M/c share of arrivals who wait = Erlang C")


@pytest.mark.slow
def test_mmc_mean_wait(mmc: placesim.SimulationResult) -> None:
    _, _, wq = _mmc_theory()
    estimate, se = mean_se(per_replication(mmc, "wait_mean", "intermediate_care"))
    assert_within(estimate, wq, se, "M/M/c wait_mean = C(c, a) / (c mu - lambda)")


@pytest.mark.slow
def test_mmc_littles_law_for_the_queue(mmc: placesim.SimulationResult) -> None:
    _, _, wq = _mmc_theory()
    lq = waiting_area(mmc.stays, MMC_HORIZON) / MMC_HORIZON
    estimate, se = mean_se(lq)
    assert_within(estimate, MMC_LAMBDA * wq, se, "M/M/c time-average queue L_q = lambda W_q")

    # The same law on each sample path: the waiting area equals the sum of the waits of the
    # people placed in the window, up to the waits straddling its two edges, whose expected
    # contributions are equal in steady state (both lambda E[W^2] / 2), so the per-
    # replication difference has mean 0.
    placed = per_replication(mmc, "admissions", "intermediate_care")
    wait = per_replication(mmc, "wait_mean", "intermediate_care")
    difference = lq - placed / MMC_HORIZON * wait
    estimate, se = mean_se(difference)
    assert_within(estimate, 0.0, se, "L_q - (admissions / horizon) * wait_mean")


# --------------------------------------------------------------------------- 2. M/G/inf

MGI_LAMBDA = 5.0
MGI_STAY = LognormalStay(mean=4.0, cv=1.5)  # m = lambda E[S] = 20
MGI_HORIZON = 2_000
MGI_WARMUP = 200  # P(R > 200) = 3e-4: started empty, the census mean is m(1 - 3e-4)
MGI_REPLICATIONS = 10
MGI_SEED = 77


@pytest.fixture(scope="module")
def mginf() -> placesim.SimulationResult:
    sc = single_setting(
        capacity="unlimited",
        los=MGI_STAY.as_los(),
        rate_per_day=MGI_LAMBDA,
        horizon_days=MGI_HORIZON,
        warmup_days=MGI_WARMUP,
    )
    return placesim.simulate(sc, replications=MGI_REPLICATIONS, seed=MGI_SEED)


def test_mginf_mean_occupancy_from_summary(mginf: placesim.SimulationResult) -> None:
    m = MGI_LAMBDA * MGI_STAY.mean
    row = (
        mginf.summary()
        .set_index(["measure", "setting"])
        .loc[("occupancy_mean", "intermediate_care")]
    )
    n = int(row["replications"])
    assert n == MGI_REPLICATIONS
    # The summary's interval is mean +/- t(n-1) s / sqrt(n): recover s / sqrt(n) from it.
    se = float(row["ci_high"] - row["mean"]) / float(stats.t.ppf(0.975, n - 1))
    assert_within(float(row["mean"]), m, se, "M/G/inf occupancy_mean (summary) = lambda E[S]")


def test_mginf_midnight_census_is_poisson(mginf: placesim.SimulationResult) -> None:
    """Mean and index of dispersion of the daily midnight census of an M/G/inf system.

    Started empty, the census at time t is exactly Poisson with mean
    lambda int_0^(200 + t) S(u) du = m (1 - P(R > 200 + t)), within 3e-4 of m. Within one
    replication the days are correlated, with autocorrelation P(R > k) at lag k (R the
    equilibrium residual stay), so the sample variance of n days has expectation
    var (1 - (1/n)(1 + 2 sum_k (1 - k/n) P(R > k))): below var by about (1 + 2 E[R]) / n
    (0.7% here), a factor the theory compared against includes. Dividing by the sample mean
    adds a bias of order (1 + 2 E[R]) / (m n), below 1e-3 and far inside the 4 SE allowed.
    The standard error is the spread of the per-replication indices.
    """
    m = MGI_LAMBDA * MGI_STAY.mean
    census = mginf.daily[mginf.daily["setting"] == "intermediate_care"]
    by_rep = census.groupby("replication")["census"]

    mean, se = mean_se(by_rep.mean())
    assert_within(mean, m, se, "M/G/inf mean midnight census = lambda E[S]")

    n = MGI_HORIZON
    lags = np.arange(1, n)
    rho = np.array([MGI_STAY.equilibrium_survival(float(k)) for k in lags])
    shrink = 1.0 - (1.0 + 2.0 * np.sum((1.0 - lags / n) * rho)) / n
    dispersion, se = mean_se(by_rep.var(ddof=1) / by_rep.mean())
    assert_within(dispersion, shrink, se, "M/G/inf census index of dispersion (Poisson: 1)")


# --------------------------------------------------------------------------- 3. census start

START_LAMBDA = 4.0
START_STAY = LognormalStay(mean=5.0, cv=2.0)  # m = 20; E[R] = 12.5 days against E[S] = 5
START_DAYS = 5  # midnights ending days 0..4
START_REPLICATIONS = 200
START_SEED = 4242


def _census_start(remaining: str) -> pd.Series:
    """Per replication: the mean midnight census over days 0..4 of a run started full."""
    m = START_LAMBDA * START_STAY.mean
    sc = single_setting(
        capacity="unlimited",
        los=START_STAY.as_los(),
        rate_per_day=START_LAMBDA,
        horizon_days=START_DAYS,
        warmup_days=0,
        initial_state={"occupied": round(m), "remaining": remaining},
    )
    res = placesim.simulate(sc, replications=START_REPLICATIONS, seed=START_SEED)
    return res.daily.groupby("replication")["census"].mean()


def test_residual_start_has_no_transient() -> None:
    """Started at the mean census with equilibrium remaining stays, the census stays at m.

    The N0 occupants still present at t number N0 P(R > t) on average, and the Poisson
    arrivals since 0 that are still present lambda int_0^t S = m (1 - P(R > t)): with
    N0 = m the sum is m at every t, so there is no transient to warm up through.
    """
    m = START_LAMBDA * START_STAY.mean
    estimate, se = mean_se(_census_start("residual"))
    assert_within(estimate, m, se, "mean census, days 0-4, residual start at m")


def test_fresh_start_undershoots_when_stays_vary_a_lot() -> None:
    """A `fresh` start gives each occupant a whole new stay, mean E[S] = 5 days, whereas
    people found in the setting in steady state have E[R] = E[S](1 + cv^2)/2 = 12.5 days
    left (long stays are more likely to be caught). With cv > 1 the fresh occupants leave
    too early, so the census dips below m: expected N0 P(S > t) + m (1 - P(R > t)), which
    averages 16.5 over days 0-4 against m = 20. The run must show that dip, beyond 4 SE of
    the steady state, and match the formula.
    """
    m = START_LAMBDA * START_STAY.mean
    n0 = round(m)
    assert START_STAY.residual_mean > START_STAY.mean  # the reason for the dip
    midnights = np.arange(1, START_DAYS + 1, dtype=float)
    expected = float(
        np.mean(
            [
                n0 * START_STAY.survival(t) + m * (1.0 - START_STAY.equilibrium_survival(t))
                for t in midnights
            ]
        )
    )
    estimate, se = mean_se(_census_start("fresh"))
    assert estimate < m - Z * se, (
        f"fresh start: mean census {estimate:.4g} is not below m = {m:g} by more than "
        f"{Z:g} SE (SE {se:.3g}); theory {expected:.4g}"
    )
    assert_within(estimate, expected, se, "mean census, days 0-4, fresh start at m")


# --------------------------------------------------------------------------- 4. blocking

BLOCK_HORIZON = 200


def _two_stage(ic_capacity: int | str) -> placesim.Scenario:
    """Acute (unlimited) fed by referrals; 30% go on to an intermediate-care bed (P2)."""
    return placesim.parse_scenario(
        {
            "name": "blocking",
            "calendar": {
                "start_date": "2025-01-01",
                "horizon_days": BLOCK_HORIZON,
                "warmup_days": 30,
            },
            "settings": {
                "acute": {"capacity": "unlimited", "los": {"kind": "exponential", "mean": 4.0}},
                "intermediate_care": {
                    "capacity": ic_capacity,
                    "los": {"kind": "exponential", "mean": 2.0},
                    "outcomes": {"home": 1.0},
                },
            },
            "discharge": {"pathways": {"all": {"P0": 0.7, "P2": 0.3}}},
            "referrals": [{"name": "ed", "setting": "acute", "rate_per_day": 3.0}],
        }
    )


def test_blocking_after_service_delays_acute_discharges() -> None:
    """With 2 intermediate-care beds for 0.9 people a day staying 2 days (rho = 0.9), people
    ready to leave acute wait in their acute bed. Identities checked exactly: each P2
    person's intermediate-care request is made the moment they are medically ready, and
    they leave acute the moment they get the bed, so acute (leave - ready) is the same
    person's intermediate-care wait; acute delayed bed days are the waiting area for
    intermediate care in the window (nobody else asks for it).
    """
    res = placesim.simulate(_two_stage(ic_capacity=2), replications=3, seed=11)
    s = res.stays
    acute = s[s["setting"] == "acute"]
    ic = s[s["setting"] == "intermediate_care"]
    key = ["replication", "episode"]

    assert (per_replication(res, "delayed_bed_days", "acute") > 0.0).all()

    # Every P2 acute stay has exactly one intermediate-care stay, and nobody else has one.
    p2 = acute[acute["next"] == "intermediate_care"]
    assert len(p2) > 100
    assert not ic.duplicated(key).any()
    joined = p2.merge(ic, on=key, suffixes=("_acute", "_ic"), validate="one_to_one")
    assert len(joined) == len(ic) == len(p2)
    np.testing.assert_array_equal(joined["requested_ic"], joined["ready_acute"])
    np.testing.assert_array_equal(joined["arrive_ic"], joined["leave_acute"])  # NaN == NaN
    done = joined["leave_acute"].notna()
    np.testing.assert_array_equal(joined["delayed_acute"][done], joined["waited_ic"][done])
    assert (joined["delayed_acute"][done] > 0.0).any()

    # Stays that go home leave the moment they are ready.
    home = acute[acute["next"] == "home"]
    np.testing.assert_array_equal(home["leave"], home["ready"])

    # los_mean is leave - arrive of fresh stays ended in the window, which exceeds the
    # time to medically ready of the same stays by their mean delay.
    h = float(BLOCK_HORIZON)
    ended = acute[(acute["leave"] >= 0.0) & (acute["leave"] < h) & (acute["source"] != "initial")]
    los_mean = per_replication(res, "los_mean", "acute")
    by_rep = ended.groupby("replication")
    np.testing.assert_allclose(
        los_mean.sort_index(),
        (ended["leave"] - ended["arrive"]).groupby(ended["replication"]).mean().sort_index(),
        rtol=1e-12,
    )
    to_ready = by_rep.apply(lambda g: float((g["ready"] - g["arrive"]).mean()))
    assert (los_mean.sort_index() > to_ready.sort_index()).all()

    np.testing.assert_allclose(
        per_replication(res, "delayed_bed_days", "acute").sort_index(),
        waiting_area(ic, h).sort_index(),
        rtol=1e-9,
    )


def test_no_delays_when_the_next_setting_is_unlimited() -> None:
    res = placesim.simulate(_two_stage(ic_capacity="unlimited"), replications=3, seed=11)
    assert (per_replication(res, "delayed_bed_days", "acute") == 0.0).all()
    acute = res.stays[res.stays["setting"] == "acute"]
    done = acute["leave"].notna()
    np.testing.assert_array_equal(acute["leave"][done], acute["ready"][done])
    assert (res.stays["waited"].dropna() == 0.0).all()


# --------------------------------------------------------------------------- 5. by hand


def _by_hand(
    capacity_changes: list[dict[str, Any]] | None = None, warmup_days: int = 0
) -> placesim.SimulationResult:
    """2 beds, both taken at the start by people with 3 days to go, and 3 people waiting.

    Every stay is exactly 3 days (`fixed`); `fresh` gives the occupants a whole stay.
    """
    ic: dict[str, Any] = {
        "capacity": 2,
        "los": {"kind": "fixed", "days": 3.0},
        "outcomes": {"home": 1.0},
    }
    if capacity_changes:
        ic["capacity_changes"] = capacity_changes
    sc = placesim.parse_scenario(
        {
            "name": "by_hand",
            "calendar": {
                "start_date": "2025-01-01",
                "horizon_days": 12,
                "warmup_days": warmup_days,
            },
            "settings": {"intermediate_care": ic},
            "initial_state": {
                "intermediate_care": {"occupied": 2, "waiting": 3, "remaining": "fresh"}
            },
        }
    )
    return placesim.simulate(sc, replications=1, seed=0)


def _measure(res: placesim.SimulationResult, name: str) -> float:
    return float(per_replication(res, name, "intermediate_care").iloc[0])


def test_worked_by_hand_fifo() -> None:
    """Occupants A, B leave at 3; C, D (first in the queue) take their beds from 3 to 6;
    E waits until 6 and leaves at 9.

    midnight ending day   0  1  2  3  4  5  6  7  8  9 10 11
    census                2  2  2  2  2  1  1  1  0  0  0  0   (at t = day + 1)
    waiting               3  3  1  1  1  0  0  0  0  0  0  0
    mean occupied         2  2  2  2  2  2  1  1  1  0  0  0   sum = 15 bed days
    """
    res = _by_hand()
    s = res.stays.sort_values("episode")
    assert list(s["source"]) == ["initial"] * 5
    np.testing.assert_array_equal(s["requested"], [0, 0, 0, 0, 0])
    np.testing.assert_array_equal(s["arrive"], [0, 0, 3, 3, 6])
    np.testing.assert_array_equal(s["ready"], [3, 3, 6, 6, 9])
    np.testing.assert_array_equal(s["leave"], [3, 3, 6, 6, 9])
    np.testing.assert_array_equal(s["waited"], [0, 0, 3, 3, 6])
    np.testing.assert_array_equal(s["delayed"], [0, 0, 0, 0, 0])
    assert list(s["next"]) == ["home"] * 5

    d = res.daily.sort_values("day")
    np.testing.assert_array_equal(d["census"], [2, 2, 2, 2, 2, 1, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(d["waiting"], [3, 3, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(d["occupied_mean"], [2, 2, 2, 2, 2, 2, 1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(d["capacity"], [2] * 12)

    assert _measure(res, "bed_days") == 15.0
    assert _measure(res, "delayed_bed_days") == 0.0
    assert _measure(res, "occupancy_mean") == 15.0 / 12.0
    assert _measure(res, "occupancy_rate") == 15.0 / 12.0 / 2.0
    assert _measure(res, "occupancy_p95") == 2.0
    assert _measure(res, "waiting_mean") == 9.0 / 12.0


def test_worked_by_hand_capacity_rise_and_drop() -> None:
    """As above, but a third bed opens at 00:00 of day 4 and capacity falls to 1 on day 5.

    The rise lets E (head of the queue) in at 4, not 6; the drop evicts nobody: C, D and E
    stay their 3 days, so 3 beds are in use after capacity has fallen to 1.
    """
    res = _by_hand([{"date": "2025-01-05", "capacity": 3}, {"date": "2025-01-06", "capacity": 1}])
    s = res.stays.sort_values("episode")
    np.testing.assert_array_equal(s["arrive"], [0, 0, 3, 3, 4])
    np.testing.assert_array_equal(s["leave"], [3, 3, 6, 6, 7])
    d = res.daily.sort_values("day")
    np.testing.assert_array_equal(d["capacity"], [2, 2, 2, 2, 3] + [1] * 7)
    np.testing.assert_array_equal(d["census"], [2, 2, 2, 3, 3, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(d["occupied_mean"], [2, 2, 2, 2, 3, 3, 1, 0, 0, 0, 0, 0])
    assert _measure(res, "bed_days") == 15.0


def test_worked_by_hand_warmup_is_clipped() -> None:
    """The same run with 1 day of warm-up: every time moves 1 day earlier, and the first
    day (A and B's last day before 0) drops out of the window: 15 - 2 = 13 bed days."""
    res = _by_hand(warmup_days=1)
    s = res.stays.sort_values("episode")
    np.testing.assert_array_equal(s["arrive"], [-1, -1, 2, 2, 5])
    np.testing.assert_array_equal(s["leave"], [2, 2, 5, 5, 8])
    assert _measure(res, "bed_days") == 13.0
    assert _measure(res, "admissions") == 3.0  # C, D, E took their beds in the window
    assert _measure(res, "wait_mean") == (3.0 + 3.0 + 6.0) / 3.0


def test_starting_occupants_are_not_admissions_without_warmup() -> None:
    res = _by_hand(warmup_days=0)
    assert _measure(res, "admissions") == 3.0  # C, D, E; A and B were already in bed
    assert _measure(res, "wait_mean") == (3.0 + 3.0 + 6.0) / 3.0


def test_los_counts_people_who_were_waiting_at_the_start() -> None:
    res = _by_hand()
    assert _measure(res, "los_mean") == 3.0  # C, D and E: whole 3-day stays in the window

    # Three people in acute at the start, ready after 1 day, then 2 days in intermediate
    # care: their intermediate-care stays, [1, 3), are seen whole.
    onward = placesim.parse_scenario(
        {
            "name": "onward",
            "calendar": {"start_date": "2025-01-01", "horizon_days": 10},
            "settings": {
                "acute": {"capacity": "unlimited", "los": {"kind": "fixed", "days": 1.0}},
                "intermediate_care": {
                    "capacity": "unlimited",
                    "los": {"kind": "fixed", "days": 2.0},
                    "outcomes": {"home": 1.0},
                },
            },
            "discharge": {"pathways": {"all": {"P2": 1.0}}},
            "initial_state": {"acute": {"occupied": 3, "remaining": "fresh"}},
        }
    )
    res = placesim.simulate(onward, replications=1, seed=0)
    assert float(per_replication(res, "los_mean", "intermediate_care").iloc[0]) == 2.0
