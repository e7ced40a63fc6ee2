"""Length-of-stay distributions held against theory.

Every statistical assertion uses a fixed seed and allows |estimate - theory| <= 4 standard
errors, the standard error coming from theory (or, where theory has no closed form, from
the sample's own variance). Theoretical moments are computed here from the textbook
formulas, independently of the module under test.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from placesim.scenario.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
)

N = 200_000  # draws for moment checks
N_REMAINING = 20_000  # draws per elapsed time for conditional checks (scipy isf is slower)
Z = 4.0  # standard errors allowed

LengthOfStay = Exponential | Lognormal | Gamma | Fixed | Empirical

EXPONENTIAL = Exponential(mean=5.0)
LOGNORMAL_MEDIAN = Lognormal(mean=9.0, median=4.5)
LOGNORMAL_CV = Lognormal(mean=9.0, cv=0.6)
LOGNORMAL_NARROW = Lognormal(mean=9.0, cv=0.15)  # thin tail: sf(1000 * mean) underflows
GAMMA = Gamma(mean=9.0, cv=0.7)
GAMMA_WIDE = Gamma(mean=4.0, cv=1.6)  # shape < 1: decreasing density, mode at 0
FIXED = Fixed(days=2.5)
EMPIRICAL = Empirical(values=[1.0, 2.0, 2.0, 5.0, 10.0, 0.0, 3.5])

ALL = [
    EXPONENTIAL,
    LOGNORMAL_MEDIAN,
    LOGNORMAL_CV,
    LOGNORMAL_NARROW,
    GAMMA,
    GAMMA_WIDE,
    FIXED,
    EMPIRICAL,
]


def _id(dist: LengthOfStay) -> str:
    return dist.describe()


# --- theory, from the textbook formulas -----------------------------------------------------


def lognormal_mu_sigma2(dist: Lognormal) -> tuple[float, float]:
    """Return (mu, sigma^2) of ln L from mean and median or cv."""
    if dist.median is not None:
        sigma2 = 2.0 * math.log(dist.mean / dist.median)
    else:
        assert dist.cv is not None
        sigma2 = math.log(1.0 + dist.cv**2)
    return math.log(dist.mean) - sigma2 / 2.0, sigma2


def raw_moment(dist: LengthOfStay, n: int) -> float:
    """Return E[L^n] in days^n."""
    if isinstance(dist, Exponential):
        return math.factorial(n) * dist.mean**n
    if isinstance(dist, Lognormal):
        mu, sigma2 = lognormal_mu_sigma2(dist)
        return math.exp(n * mu + n * n * sigma2 / 2.0)
    if isinstance(dist, Gamma):
        k, theta = 1.0 / dist.cv**2, dist.mean * dist.cv**2
        return theta**n * math.prod(k + i for i in range(n))
    if isinstance(dist, Fixed):
        return dist.days**n
    return float(np.mean(np.asarray(dist.values) ** n))


def mean_var(dist: LengthOfStay) -> tuple[float, float]:
    m1, m2 = raw_moment(dist, 1), raw_moment(dist, 2)
    return m1, m2 - m1 * m1


def scipy_frozen(dist: LengthOfStay) -> Any:
    """Return the scipy.stats frozen distribution of a continuous LengthOfStay."""
    if isinstance(dist, Exponential):
        return stats.expon(scale=dist.mean)
    if isinstance(dist, Lognormal):
        mu, sigma2 = lognormal_mu_sigma2(dist)
        return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(mu))
    if isinstance(dist, Gamma):
        return stats.gamma(a=1.0 / dist.cv**2, scale=dist.mean * dist.cv**2)
    raise TypeError(dist)


def assert_mean_within(sample: npt.NDArray[np.float64], expected: float, variance: float) -> None:
    se = math.sqrt(variance / sample.size)
    assert abs(float(sample.mean()) - expected) <= Z * se, (
        f"sample mean {sample.mean()} vs theory {expected}, 4 SE = {Z * se}"
    )


# --- theoretical properties ------------------------------------------------------------------


@pytest.mark.parametrize("dist", ALL, ids=_id)
def test_theoretical_mean_and_variance(dist: LengthOfStay) -> None:
    mean, var = mean_var(dist)
    assert dist.mean_days == pytest.approx(mean, rel=1e-12)
    assert dist.variance_days2 == pytest.approx(var, rel=1e-9, abs=1e-12)


def test_lognormal_from_median_and_from_cv_agree() -> None:
    # median 4.5, mean 9 gives sigma^2 = 2 ln 2, so cv^2 = exp(sigma^2) - 1 = 3.
    from_cv = Lognormal(mean=9.0, cv=math.sqrt(3.0))
    assert from_cv.mu == pytest.approx(LOGNORMAL_MEDIAN.mu, rel=1e-12)
    assert from_cv.sigma == pytest.approx(LOGNORMAL_MEDIAN.sigma, rel=1e-12)
    assert LOGNORMAL_MEDIAN.variance_days2 == pytest.approx(243.0, rel=1e-12)


def test_lognormal_huge_cv_does_not_overflow() -> None:
    dist = Lognormal(mean=1.0, cv=1e200)
    assert math.isfinite(dist.sigma) and math.isfinite(dist.mu)


@pytest.mark.parametrize(
    ("dist", "text"),
    [
        (EXPONENTIAL, "exponential(mean 5 d)"),
        (LOGNORMAL_MEDIAN, "lognormal(mean 9 d, median 4.5 d)"),
        (LOGNORMAL_CV, "lognormal(mean 9 d, cv 0.6)"),
        (GAMMA, "gamma(mean 9 d, cv 0.7)"),
        (FIXED, "fixed(2.5 d)"),
        (Empirical(values=[1, 2, 6]), "empirical(3 values, mean 3 d)"),
    ],
)
def test_describe(dist: LengthOfStay, text: str) -> None:
    assert dist.describe() == text


# --- sample ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dist", [d for d in ALL if not isinstance(d, Fixed)], ids=_id)
def test_sample_mean_matches_theory(dist: LengthOfStay) -> None:
    sample = dist.sample(np.random.default_rng(101), N)
    assert sample.shape == (N,)
    assert sample.dtype == np.float64
    mean, var = mean_var(dist)
    assert_mean_within(sample, mean, var)


def test_fixed_sample_is_exact() -> None:
    assert np.array_equal(FIXED.sample(np.random.default_rng(102), 7), np.full(7, 2.5))


def test_empirical_sample_draws_listed_values_uniformly() -> None:
    dist = Empirical(values=[1.0, 2.0, 2.0, 5.0])
    sample = dist.sample(np.random.default_rng(103), N)
    assert set(np.unique(sample)) == {1.0, 2.0, 5.0}
    # 2.0 is listed twice of four: its count is Binomial(N, 1/2).
    count = int(np.count_nonzero(sample == 2.0))
    assert abs(count - N / 2) <= Z * math.sqrt(N / 4)


@pytest.mark.parametrize("dist", [LOGNORMAL_MEDIAN, Lognormal(mean=3.0, median=2.9)], ids=_id)
def test_lognormal_sample_median(dist: Lognormal) -> None:
    # The number of draws at or below the true median is Binomial(N, 1/2) whatever the
    # distribution, so this bound on the median's rank is exact, not asymptotic.
    assert dist.median is not None
    sample = dist.sample(np.random.default_rng(104), N)
    below = int(np.count_nonzero(sample <= dist.median))
    assert abs(below - N / 2) <= Z * math.sqrt(N / 4)


@pytest.mark.parametrize("dist", [EXPONENTIAL, GAMMA, GAMMA_WIDE, LOGNORMAL_CV], ids=_id)
def test_sample_variance_matches_theory(dist: LengthOfStay) -> None:
    # The sample variance s^2 has Var(s^2) = (mu4 - sigma^4) / n + O(1/n^2), mu4 the fourth
    # central moment (Cramer, Mathematical Methods of Statistics, 1946, 27.4), so its standard
    # error follows from theory. mu4 is built from the raw moments.
    sample = dist.sample(np.random.default_rng(105), N)
    m1, m2, m3, m4 = (raw_moment(dist, n) for n in (1, 2, 3, 4))
    var = m2 - m1**2
    mu4 = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
    se = math.sqrt((mu4 - var**2) / N)
    assert abs(float(sample.var(ddof=1)) - var) <= Z * se


# --- sample_residual -------------------------------------------------------------------------


@pytest.mark.parametrize("dist", ALL, ids=_id)
def test_residual_mean_matches_renewal_theory(dist: LengthOfStay) -> None:
    # Equilibrium residual life R: E[R] = E[L^2] / (2 E[L]), E[R^2] = E[L^3] / (3 E[L]).
    sample = dist.sample_residual(np.random.default_rng(106), N)
    assert sample.shape == (N,)
    m1, m2, m3 = (raw_moment(dist, n) for n in (1, 2, 3))
    residual_mean = m2 / (2 * m1)
    residual_var = m3 / (3 * m1) - residual_mean**2
    assert_mean_within(sample, residual_mean, residual_var)


def test_exponential_residual_is_a_fresh_stay() -> None:
    # Memoryless: the residual is again exponential, so its variance is mean^2 too.
    sample = EXPONENTIAL.sample_residual(np.random.default_rng(107), N)
    m = EXPONENTIAL.mean
    se_var = math.sqrt((9 * m**4 - m**4) / N)  # exponential: mu4 = 9 m^4
    assert abs(float(sample.var(ddof=1)) - m**2) <= Z * se_var


# --- sample_remaining ------------------------------------------------------------------------


def test_exponential_remaining_is_memoryless() -> None:
    elapsed = np.linspace(0.0, 50.0, N)
    sample = EXPONENTIAL.sample_remaining(np.random.default_rng(108), elapsed)
    assert sample.shape == elapsed.shape
    assert_mean_within(sample, EXPONENTIAL.mean, EXPONENTIAL.mean**2)


def _conditional_mean_remaining(dist: LengthOfStay, a: float) -> float:
    """E[L - a | L > a] = integral of sf from a to infinity, over sf(a)."""
    frozen = scipy_frozen(dist)
    area, err = integrate.quad(frozen.sf, a, np.inf, epsabs=1e-12, epsrel=1e-10, limit=200)
    assert err < 1e-6 * area
    return float(area / frozen.sf(a))


@pytest.mark.parametrize("dist", [LOGNORMAL_MEDIAN, LOGNORMAL_CV, GAMMA, GAMMA_WIDE], ids=_id)
@pytest.mark.parametrize("elapsed_means", [0.0, 0.5, 2.0, 6.0])
def test_remaining_mean_matches_integral_of_survival(
    dist: LengthOfStay, elapsed_means: float
) -> None:
    a = elapsed_means * dist.mean_days
    sample = dist.sample_remaining(np.random.default_rng(109), np.full(N_REMAINING, a))
    assert np.all(sample >= 0.0) and np.all(np.isfinite(sample))
    # No closed-form variance is used here: the SE comes from the sample's own variance.
    assert_mean_within(sample, _conditional_mean_remaining(dist, a), float(sample.var(ddof=1)))


def _tail_mean_remaining(dist: LengthOfStay, a: float) -> float:
    """E[L - a | L > a] for a far in the tail, where sf(a) itself underflows.

    The remaining stay x has density f(a + x) / sf(a); dividing f(a + x) by f(a) in log
    space keeps every number representable.
    """
    frozen = scipy_frozen(dist)
    log_fa = float(frozen.logpdf(a))

    def g(x: float) -> float:
        return math.exp(float(frozen.logpdf(a + x)) - log_fa)

    mass, _ = integrate.quad(g, 0.0, np.inf, epsrel=1e-10, limit=200)
    first, _ = integrate.quad(lambda x: x * g(x), 0.0, np.inf, epsrel=1e-10, limit=200)
    return float(first / mass)


@pytest.mark.parametrize(
    ("dist", "elapsed_means", "underflows"),
    [
        (LOGNORMAL_MEDIAN, 1000.0, False),  # sf(a) about 5e-11: the inverse-survival path
        (LOGNORMAL_NARROW, 1000.0, True),  # sf(a) underflows: the truncated-normal path
        (GAMMA, 1000.0, True),  # sf(a) underflows: the rejection path, shape > 1
        (GAMMA_WIDE, 1000.0, False),  # sf(a) about 3e-172: inverse survival, shape < 1
        (GAMMA_WIDE, 10_000.0, True),  # the rejection path, shape < 1
    ],
    ids=lambda v: v.describe() if hasattr(v, "describe") else str(v),
)
def test_remaining_far_in_the_tail(
    dist: LengthOfStay, elapsed_means: float, underflows: bool
) -> None:
    a = elapsed_means * dist.mean_days
    assert (scipy_frozen(dist).sf(a) < 1e-290) == underflows  # the path the case is meant for
    sample = dist.sample_remaining(np.random.default_rng(110), np.full(N_REMAINING, a))
    assert np.all(sample >= 0.0) and np.all(np.isfinite(sample))
    assert np.count_nonzero(sample) > N_REMAINING // 2
    assert_mean_within(sample, _tail_mean_remaining(dist, a), float(sample.var(ddof=1)))


@pytest.mark.parametrize("dist", [LOGNORMAL_MEDIAN, LOGNORMAL_NARROW, GAMMA, GAMMA_WIDE], ids=_id)
def test_remaining_is_finite_for_extreme_elapsed(dist: LengthOfStay) -> None:
    elapsed = np.array([0.0, 1e-300, 1e6, 1e100, 1e300])
    sample = dist.sample_remaining(np.random.default_rng(111), elapsed)
    assert np.all(sample >= 0.0) and np.all(np.isfinite(sample))


def test_fixed_remaining_hand_worked() -> None:
    elapsed = np.array([0.0, 1.0, 2.5, 4.0])
    result = Fixed(days=2.5).sample_remaining(np.random.default_rng(112), elapsed)
    assert np.array_equal(result, [2.5, 1.5, 0.0, 0.0])


def test_empirical_remaining_hand_worked() -> None:
    dist = Empirical(values=[1.0, 2.0, 2.0, 5.0])
    rng = np.random.default_rng(113)
    # Stayed 1.5 days: the stay is one of 2, 2, 5, equally likely, so 0.5 w.p. 2/3, else 3.5.
    result = dist.sample_remaining(rng, np.full(N_REMAINING, 1.5))
    assert set(np.unique(result)) == {0.5, 3.5}
    count = int(np.count_nonzero(result == 0.5))
    p = 2.0 / 3.0
    assert abs(count - N_REMAINING * p) <= Z * math.sqrt(N_REMAINING * p * (1 - p))
    # Stayed exactly 2 days: only the 5-day stay is longer.
    assert np.array_equal(dist.sample_remaining(rng, np.full(10, 2.0)), np.full(10, 3.0))
    # Stayed 5 days or more: longer than any observed stay, so they leave at once.
    assert np.array_equal(dist.sample_remaining(rng, np.array([5.0, 80.0])), [0.0, 0.0])


def test_empirical_remaining_from_zero_is_a_fresh_stay() -> None:
    sample = EMPIRICAL.sample_remaining(np.random.default_rng(114), np.zeros(N))
    # The value 0.0 is never > 0 elapsed, so the stay is uniform over the six positive values.
    positive = [v for v in EMPIRICAL.values if v > 0]
    mean, var = float(np.mean(positive)), float(np.var(positive))
    assert_mean_within(sample, mean, var)


@pytest.mark.parametrize("dist", ALL, ids=_id)
@pytest.mark.parametrize("elapsed", [-1.0, math.nan, math.inf])
def test_remaining_rejects_bad_elapsed(dist: LengthOfStay, elapsed: float) -> None:
    with pytest.raises(ValueError, match="elapsed"):
        dist.sample_remaining(np.random.default_rng(115), np.array([1.0, elapsed]))


def test_remaining_keeps_the_shape_of_elapsed() -> None:
    elapsed = np.arange(6.0).reshape(2, 3)
    for dist in ALL:
        assert dist.sample_remaining(np.random.default_rng(116), elapsed).shape == (2, 3)


def test_same_seed_same_draws() -> None:
    elapsed = np.linspace(0.0, 30.0, 20)
    for dist in ALL:
        for seed in (1, 2):
            first, second = np.random.default_rng(seed), np.random.default_rng(seed)
            assert np.array_equal(dist.sample(first, 20), dist.sample(second, 20))
            assert np.array_equal(dist.sample_residual(first, 20), dist.sample_residual(second, 20))
            assert np.array_equal(
                dist.sample_remaining(first, elapsed), dist.sample_remaining(second, elapsed)
            )


# --- validation ------------------------------------------------------------------------------

ADAPTER: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(Distribution)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"kind": "exponential", "mean": 5}, EXPONENTIAL),
        ({"kind": "lognormal", "mean": 9, "median": 4.5}, LOGNORMAL_MEDIAN),
        ({"kind": "lognormal", "mean": 9, "cv": 0.6}, LOGNORMAL_CV),
        ({"kind": "gamma", "mean": 9, "cv": 0.7}, GAMMA),
        ({"kind": "fixed", "days": 2.5}, FIXED),
        ({"kind": "empirical", "values": [1, 2, 2, 5, 10, 0, 3.5]}, EMPIRICAL),
    ],
)
def test_union_parses_dicts(data: dict[str, Any], expected: LengthOfStay) -> None:
    parsed = ADAPTER.validate_python(data)
    assert type(parsed) is type(expected)
    assert parsed == expected


def test_union_rejects_unknown_kind() -> None:
    with pytest.raises(pydantic.ValidationError, match="beta"):
        ADAPTER.validate_python({"kind": "beta", "mean": 3})


def _messages(error: pytest.ExceptionInfo[pydantic.ValidationError]) -> str:
    return " | ".join(e["msg"] for e in error.value.errors())


def test_lognormal_rejects_both_median_and_cv() -> None:
    with pytest.raises(pydantic.ValidationError) as error:
        Lognormal(mean=9.0, median=4.5, cv=1.0)
    assert "median 4.5 and cv 1.0 are both given: give exactly one of median or cv" in (
        _messages(error)
    )


def test_lognormal_rejects_neither_median_nor_cv() -> None:
    with pytest.raises(pydantic.ValidationError) as error:
        Lognormal(mean=9.0)
    assert "neither median nor cv is given" in _messages(error)


@pytest.mark.parametrize("median", [9.0, 12.0])
def test_lognormal_rejects_median_not_below_mean(median: float) -> None:
    with pytest.raises(pydantic.ValidationError) as error:
        Lognormal(mean=9.0, median=median)
    assert (
        f"median {median} is not allowed: must be less than mean 9.0 "
        "(a lognormal's median is below its mean)"
    ) in _messages(error)


BAD_POSITIVE = [-1.0, 0.0, math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("bad", BAD_POSITIVE)
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "exponential"}, "mean"),
        ({"kind": "lognormal", "median": 1.0}, "mean"),
        ({"kind": "lognormal", "mean": 9.0}, "median"),
        ({"kind": "lognormal", "mean": 9.0}, "cv"),
        ({"kind": "gamma", "cv": 0.5}, "mean"),
        ({"kind": "gamma", "mean": 9.0}, "cv"),
    ],
)
def test_positive_fields_reject_bad_values(data: dict[str, Any], field: str, bad: float) -> None:
    with pytest.raises(pydantic.ValidationError) as error:
        ADAPTER.validate_python({**data, field: bad})
    assert any(e["loc"][-1] == field for e in error.value.errors())


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_fixed_rejects_bad_days(bad: float) -> None:
    with pytest.raises(pydantic.ValidationError):
        Fixed(days=bad)


def test_fixed_accepts_zero_days() -> None:
    assert Fixed(days=0.0).sample_residual(np.random.default_rng(117), 3).tolist() == [0.0] * 3


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "at least 1 item"),
        ([0.0, 0.0], "values [0.0, 0.0] are not allowed: at least one must be > 0"),
        ([1.0, -2.0], "greater than or equal to 0"),
        ([1.0, math.nan], "finite number"),
        ([math.inf], "finite number"),
    ],
)
def test_empirical_rejects_bad_values(values: list[float], message: str) -> None:
    with pytest.raises(pydantic.ValidationError) as error:
        Empirical(values=values)
    assert message in _messages(error)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "exponential", "mean": 5, "mena": 5},
        {"kind": "lognormal", "mean": 9, "median": 4.5, "sd": 2},
        {"kind": "gamma", "mean": 9, "cv": 0.5, "shape": 4},
        {"kind": "fixed", "days": 2, "mean": 2},
        {"kind": "empirical", "values": [1], "weights": [1]},
    ],
)
def test_unknown_key_rejected(data: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        ADAPTER.validate_python(data)


def test_models_are_frozen() -> None:
    with pytest.raises(pydantic.ValidationError):
        GAMMA.mean = 3.0  # type: ignore[misc]


# --- properties for any valid parameters -----------------------------------------------------

means = st.floats(min_value=0.01, max_value=1e4)
cvs = st.floats(min_value=0.05, max_value=5.0)

valid_distributions = st.one_of(
    st.builds(Exponential, mean=means),
    st.builds(
        lambda mean, ratio: Lognormal(mean=mean, median=mean * ratio),
        means,
        st.floats(min_value=0.05, max_value=0.999),
    ),
    st.builds(Lognormal, mean=means, cv=cvs),
    st.builds(Gamma, mean=means, cv=cvs),
    st.builds(Fixed, days=st.floats(min_value=0.0, max_value=1e4)),
    st.builds(
        Empirical,
        values=st.lists(st.floats(min_value=0.0, max_value=1e4), min_size=1, max_size=20).filter(
            lambda vs: any(v > 0 for v in vs)
        ),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    dist=valid_distributions,
    size=st.integers(min_value=0, max_value=30),
    elapsed_means=st.lists(st.floats(min_value=0.0, max_value=1e4), max_size=30),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_draws_are_finite_non_negative_and_shaped(
    dist: LengthOfStay, size: int, elapsed_means: list[float], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    elapsed = np.asarray(elapsed_means) * dist.mean_days
    for draws, shape in [
        (dist.sample(rng, size), (size,)),
        (dist.sample_residual(rng, size), (size,)),
        (dist.sample_remaining(rng, elapsed), elapsed.shape),
    ]:
        assert draws.shape == shape
        assert draws.dtype == np.float64
        assert np.all(np.isfinite(draws))
        assert np.all(draws >= 0.0)
