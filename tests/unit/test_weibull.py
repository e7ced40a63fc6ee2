"""The Weibull length of stay held against scipy.stats.weibull_min and against theory.

Distributional checks are Kolmogorov-Smirnov tests at a fixed seed: the statistic D_n of n
draws against the exact CDF must not exceed the critical value of D_n at alpha 0.001,
computed from the exact null distribution of D_n (``scipy.stats.kstwo``; Marsaglia, Tsang
and Wang, J. Stat. Softw. 8(18), 2003), not found by trial. A sampler that is right fails
each check with probability 0.001; one that is wrong by the KS distance it is meant to
catch (about 1.95 / sqrt(n), 0.014 at n = 20,000) fails it almost surely. Moments use
4 standard errors, as tests/unit/test_distributions.py does.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import placesim
from placesim.demand import generate_episodes
from placesim.engine import StayRecords, run_kernel, run_reference_engine
from placesim.plan import compile_plan
from placesim.scenario.distributions import Distribution, Exponential, Weibull
from small_scenario import small_scenario

N = 20_000  # draws per KS check
ALPHA = 0.001
Z = 4.0  # standard errors allowed
CRITICAL = float(stats.kstwo(N).isf(ALPHA))  # about 0.0138: sqrt(-ln(alpha / 2) / 2n)

ADAPTER: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(Distribution)

FALLING = Weibull(shape=0.6, scale=5.0)  # falling hazard: a long tail
EXPONENTIAL_SHAPE = Weibull(shape=1.0, scale=4.0)
RISING = Weibull(shape=2.3, scale=12.0)  # rising hazard: stays bunch around 10 days
STEEP = Weibull(shape=8.0, scale=30.0)
BY_MEAN = Weibull(mean=9.0, shape=1.4)
ALL = [FALLING, EXPONENTIAL_SHAPE, RISING, STEEP, BY_MEAN]


def _id(dist: Weibull) -> str:
    return dist.describe()


def frozen(dist: Weibull) -> Any:
    """The scipy distribution: weibull_min with c = shape and the scale in days."""
    return stats.weibull_min(c=dist.shape, scale=dist.scale_days)


def assert_ks(sample: npt.NDArray[np.float64], cdf: Any) -> None:
    assert sample.shape == (N,)
    d = float(stats.kstest(sample, cdf).statistic)
    assert d <= CRITICAL, f"KS statistic {d:.5f} > critical value {CRITICAL:.5f} at {ALPHA}"


def conditional_cdf(dist: Weibull, a: float) -> Any:
    """CDF of L - a given L > a: 1 - S(a + r) / S(a), from scipy's log survival function,
    so that it stays exact where S(a) itself underflows."""
    base = frozen(dist)
    log_sf_a = float(base.logsf(a))

    def cdf(r: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(-np.expm1(base.logsf(a + np.asarray(r)) - log_sf_a), dtype=float)

    return cdf


# --------------------------------------------------------------------------- theory


@pytest.mark.parametrize("dist", ALL, ids=_id)
def test_mean_and_variance_are_scipys(dist: Weibull) -> None:
    ref = frozen(dist)
    assert dist.mean_days == pytest.approx(float(ref.mean()), rel=1e-12)
    assert dist.variance_days2 == pytest.approx(float(ref.var()), rel=1e-10)


@pytest.mark.parametrize(("shape", "scale"), [(0.1, 1.0), (0.5, 2.0), (1.0, 3.0), (3.0, 7.0)])
def test_mean_and_variance_from_the_gamma_function(shape: float, scale: float) -> None:
    """The textbook formulas, lambda Gamma(1 + 1/k) and lambda^2 (Gamma(1 + 2/k) -
    Gamma(1 + 1/k)^2), where they do not cancel."""
    dist = Weibull(shape=shape, scale=scale)
    g1, g2 = math.gamma(1 + 1 / shape), math.gamma(1 + 2 / shape)
    assert dist.mean_days == pytest.approx(scale * g1, rel=1e-13)
    assert dist.variance_days2 == pytest.approx(scale**2 * (g2 - g1**2), rel=1e-12)


def test_shape_one_is_the_exponential() -> None:
    assert EXPONENTIAL_SHAPE.mean_days == pytest.approx(4.0, rel=1e-15)
    assert EXPONENTIAL_SHAPE.variance_days2 == pytest.approx(16.0, rel=1e-13)
    draws = EXPONENTIAL_SHAPE.sample(np.random.default_rng(1), N)
    assert_ks(draws, stats.expon(scale=Exponential(mean=4.0).mean_days).cdf)


@pytest.mark.parametrize("shape", [50.0, 1e3, 1e6, 1e12])
def test_variance_of_a_large_shape_keeps_its_precision(shape: float) -> None:
    """Gamma(1 + 2/k) - Gamma(1 + 1/k)^2 cancels for a large shape. With x = 1/k,
    ln Gamma(1 + x) = -gamma x + zeta(2) x^2 / 2 - ..., so the variance is
    lambda^2 zeta(2) x^2 (1 - (2 gamma + 2 zeta(3) / zeta(2)) x + O(x^2))."""
    dist = Weibull(shape=shape, scale=10.0)
    x = 1.0 / shape
    euler, zeta2, zeta3 = 0.5772156649015329, math.pi**2 / 6, 1.2020569031595942
    leading = 100.0 * zeta2 * x * x * (1.0 - (2.0 * euler + 2.0 * zeta3 / zeta2) * x)
    # The next terms are O(x^2) relative: bounded by 20 x^2 here.
    assert dist.variance_days2 == pytest.approx(leading, rel=20 * x * x + 1e-13)
    if shape <= 1e3:  # where scipy's own formula still has digits to compare
        assert dist.variance_days2 == pytest.approx(float(frozen(dist).var()), rel=1e-6)


def test_mean_form_gives_the_scale_a_fit_would_write() -> None:
    assert BY_MEAN.scale_days == pytest.approx(9.0 / math.gamma(1 + 1 / 1.4), rel=1e-15)
    assert BY_MEAN.mean_days == 9.0
    again = Weibull(shape=1.4, scale=BY_MEAN.scale_days)
    assert again.mean_days == pytest.approx(9.0, rel=1e-14)
    assert again.variance_days2 == pytest.approx(BY_MEAN.variance_days2, rel=1e-13)


@pytest.mark.parametrize(
    ("dist", "text"),
    [(RISING, "weibull(shape 2.3, scale 12 d)"), (BY_MEAN, "weibull(mean 9 d, shape 1.4)")],
)
def test_describe(dist: Weibull, text: str) -> None:
    assert dist.describe() == text


# --------------------------------------------------------------------------- sample


@pytest.mark.parametrize("dist", ALL, ids=_id)
def test_sample_follows_scipys_cdf(dist: Weibull) -> None:
    sample = dist.sample(np.random.default_rng(11), N)
    assert sample.dtype == np.float64
    assert np.all(np.isfinite(sample)) and np.all(sample >= 0.0)
    assert_ks(sample, frozen(dist).cdf)


@pytest.mark.parametrize("dist", ALL, ids=_id)
def test_sample_is_the_inverse_cdf_of_the_streams_uniforms(dist: Weibull) -> None:
    """One uniform a draw, mapped through scipy's quantile function (so two scenarios
    that differ in the Weibull's parameters keep their draws paired, as the decisions
    ask of every category and stay)."""
    u = np.random.default_rng(12).random(1000)
    sample = dist.sample(np.random.default_rng(12), 1000)
    np.testing.assert_allclose(sample, frozen(dist).ppf(u), rtol=1e-12)


def test_sample_mean_within_four_standard_errors() -> None:
    sample = RISING.sample(np.random.default_rng(13), 200_000)
    se = math.sqrt(RISING.variance_days2 / sample.size)
    assert abs(float(sample.mean()) - RISING.mean_days) <= Z * se


# --------------------------------------------------------------------------- residual


@pytest.mark.parametrize("dist", ALL, ids=_id)
def test_residual_follows_the_equilibrium_distribution(dist: Weibull) -> None:
    """The equilibrium residual R has density S(x) / E[L]; integrating,
    P(R <= x) = P(1/k, (x / lambda)^k), the regularised lower incomplete gamma function:
    (R / lambda)^k is gamma(1/k, 1)."""
    k, scale = dist.shape, dist.scale_days
    sample = dist.sample_residual(np.random.default_rng(14), N)
    assert np.all(np.isfinite(sample)) and np.all(sample >= 0.0)
    assert_ks(sample, lambda x: stats.gamma(1.0 / k).cdf((np.asarray(x) / scale) ** k))


@pytest.mark.parametrize("dist", ALL, ids=_id)
def test_residual_mean_matches_renewal_theory(dist: Weibull) -> None:
    """E[R] = E[L^2] / (2 E[L]) and E[R^2] = E[L^3] / (3 E[L]) (Cox, Renewal Theory)."""
    m1, m2, m3 = (float(frozen(dist).moment(n)) for n in (1, 2, 3))
    mean, var = m2 / (2 * m1), m3 / (3 * m1) - (m2 / (2 * m1)) ** 2
    sample = dist.sample_residual(np.random.default_rng(15), 200_000)
    assert abs(float(sample.mean()) - mean) <= Z * math.sqrt(var / sample.size)


# --------------------------------------------------------------------------- remaining


@pytest.mark.parametrize("dist", ALL, ids=_id)
@pytest.mark.parametrize("quantile", [0.0, 0.3, 0.9, 0.999])
def test_remaining_follows_scipys_conditional_cdf(dist: Weibull, quantile: float) -> None:
    a = float(frozen(dist).ppf(quantile))
    sample = dist.sample_remaining(np.random.default_rng(16), np.full(N, a))
    assert np.all(np.isfinite(sample)) and np.all(sample >= 0.0)
    assert_ks(sample, conditional_cdf(dist, a))


@pytest.mark.parametrize(
    ("dist", "scales"),
    [(FALLING, 1e6), (RISING, 30.0), (STEEP, 2.5), (STEEP, 4.0)],
    ids=lambda v: v.describe() if isinstance(v, Weibull) else f"a = {v} scales",
)
def test_remaining_far_in_the_tail_where_the_survival_underflows(
    dist: Weibull, scales: float
) -> None:
    """Elapsed far beyond the scale, where S(a) is below 1e-300 (or 0 in floating point):
    the draw still follows the conditional distribution, and is not all zeros."""
    a = scales * dist.scale_days
    assert float(frozen(dist).logsf(a)) < -690.0  # S(a) < 1e-300: the case it is meant for
    sample = dist.sample_remaining(np.random.default_rng(17), np.full(N, a))
    assert np.all(np.isfinite(sample)) and np.all(sample > 0.0)
    assert_ks(sample, conditional_cdf(dist, a))


def test_remaining_with_shape_one_is_memoryless() -> None:
    elapsed = np.linspace(0.0, 200.0, N)
    sample = EXPONENTIAL_SHAPE.sample_remaining(np.random.default_rng(18), elapsed)
    assert_ks(sample, stats.expon(scale=4.0).cdf)


def test_remaining_from_zero_is_a_fresh_stay() -> None:
    sample = RISING.sample_remaining(np.random.default_rng(19), np.zeros(N))
    assert_ks(sample, frozen(RISING).cdf)


def test_remaining_small_beside_the_elapsed_keeps_its_precision() -> None:
    """With a steep shape far out, L - a is tiny beside a: worked with expm1, not by
    subtracting two nearly equal stays. Given t = (a / lambda)^k and E = -ln(1 - u), the
    remaining stay is a ((1 + E / t)^(1/k) - 1), here about a E / (k t)."""
    dist = Weibull(shape=50.0, scale=10.0)
    a = 20.0
    u = np.random.default_rng(20).random(100)
    e = -np.log1p(-u)
    t = (a / 10.0) ** 50
    expected = a * np.expm1(np.log1p(e / t) / 50.0)
    sample = dist.sample_remaining(np.random.default_rng(20), np.full(100, a))
    assert np.all(sample > 0.0) and np.all(sample < 1e-15 * a)
    np.testing.assert_allclose(sample, expected, rtol=1e-12)


@pytest.mark.parametrize("dist", ALL, ids=_id)
def test_remaining_is_finite_for_extreme_elapsed(dist: Weibull) -> None:
    elapsed = np.array([0.0, 1e-300, 5e-324, 1e6, 1e100, 1e300, 1.7e308])
    sample = dist.sample_remaining(np.random.default_rng(21), elapsed)
    assert np.all(np.isfinite(sample)) and np.all(sample >= 0.0)


@pytest.mark.parametrize("elapsed", [-1.0, math.nan, math.inf])
def test_remaining_rejects_bad_elapsed(elapsed: float) -> None:
    with pytest.raises(ValueError, match="elapsed"):
        RISING.sample_remaining(np.random.default_rng(22), np.array([1.0, elapsed]))


def test_remaining_keeps_the_shape_of_elapsed_and_draws_one_uniform_each() -> None:
    rng, twin = np.random.default_rng(23), np.random.default_rng(23)
    out = RISING.sample_remaining(rng, np.arange(6.0).reshape(2, 3))
    assert out.shape == (2, 3)
    twin.random(6)
    assert rng.random() == twin.random(), "the stream moved on by exactly six uniforms"


@settings(max_examples=150, deadline=None)
@given(
    shape=st.floats(min_value=0.02, max_value=1e3),
    scale=st.floats(min_value=1e-3, max_value=1e4),
    size=st.integers(min_value=0, max_value=30),
    elapsed_means=st.lists(st.floats(min_value=0.0, max_value=1e4), max_size=30),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_draws_are_finite_non_negative_and_shaped(
    shape: float, scale: float, size: int, elapsed_means: list[float], seed: int
) -> None:
    """From a shape of 0.02 (a coefficient of variation of 1e46) to 1000 (nearly fixed)."""
    dist = Weibull(shape=shape, scale=scale)
    rng = np.random.default_rng(seed)
    elapsed = np.asarray(elapsed_means) * dist.mean_days
    for draws, drawn_shape in [
        (dist.sample(rng, size), (size,)),
        (dist.sample_residual(rng, size), (size,)),
        (dist.sample_remaining(rng, elapsed), elapsed.shape),
    ]:
        assert draws.shape == drawn_shape
        assert draws.dtype == np.float64
        assert np.all(np.isfinite(draws))
        assert np.all(draws >= 0.0)


def test_same_seed_same_draws() -> None:
    elapsed = np.linspace(0.0, 30.0, 20)
    for dist in ALL:
        one, two = np.random.default_rng(24), np.random.default_rng(24)
        assert np.array_equal(dist.sample(one, 20), dist.sample(two, 20))
        assert np.array_equal(dist.sample_residual(one, 20), dist.sample_residual(two, 20))
        assert np.array_equal(
            dist.sample_remaining(one, elapsed), dist.sample_remaining(two, elapsed)
        )


# --------------------------------------------------------------------------- validation


def _messages(error: pytest.ExceptionInfo[pydantic.ValidationError]) -> str:
    return " | ".join(e["msg"] for e in error.value.errors())


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"kind": "weibull", "shape": 2.3, "scale": 12}, RISING),
        ({"kind": "weibull", "mean": 9, "shape": 1.4}, BY_MEAN),
    ],
)
def test_union_parses_weibull(data: dict[str, Any], expected: Weibull) -> None:
    parsed = ADAPTER.validate_python(data)
    assert type(parsed) is Weibull
    assert parsed == expected


def test_a_fit_as_scipy_writes_it_loads() -> None:
    """What ``scipy.stats.weibull_min.fit`` gives (c, loc 0, scale) loads as shape and
    scale, and the loaded distribution is the fitted one."""
    data = Weibull(shape=1.7, scale=6.0).sample(np.random.default_rng(25), 2000)
    c, _, scale = stats.weibull_min.fit(data, floc=0)
    dist = ADAPTER.validate_python({"kind": "weibull", "shape": float(c), "scale": float(scale)})
    fitted = stats.weibull_min(c, scale=scale)
    assert dist.mean_days == pytest.approx(float(fitted.mean()), rel=1e-12)
    assert dist.variance_days2 == pytest.approx(float(fitted.var()), rel=1e-10)


def test_rejects_both_scale_and_mean() -> None:
    with pytest.raises(pydantic.ValidationError) as error:
        Weibull(shape=2.0, scale=3.0, mean=2.5)
    assert "scale 3.0 and mean 2.5 are both given: give exactly one of scale or mean" in (
        _messages(error)
    )


def test_rejects_neither_scale_nor_mean() -> None:
    with pytest.raises(pydantic.ValidationError) as error:
        Weibull(shape=2.0)
    assert "neither scale nor mean is given: give exactly one of scale or mean" in (
        _messages(error)
    )


@pytest.mark.parametrize("bad", [-1.0, 0.0, math.nan, math.inf])
def test_rejects_a_shape_not_positive_or_not_finite(bad: float) -> None:
    with pytest.raises(pydantic.ValidationError) as error:
        ADAPTER.validate_python({"kind": "weibull", "shape": bad, "scale": 3.0})
    assert any(e["loc"][-1] == "shape" for e in error.value.errors())


@pytest.mark.parametrize("field", ["scale", "mean"])
@pytest.mark.parametrize("bad", [-1.0, 0.0, math.nan, math.inf])
def test_rejects_a_bad_scale_or_mean(field: str, bad: float) -> None:
    with pytest.raises(pydantic.ValidationError) as error:
        ADAPTER.validate_python({"kind": "weibull", "shape": 2.0, field: bad})
    assert any(e["loc"][-1] == field for e in error.value.errors())


@pytest.mark.parametrize(
    ("data", "given"),
    [
        ({"shape": 0.1, "scale": 1e300}, "scale 1e+300"),  # a mean beyond a float
        ({"shape": 0.2, "mean": 1e200}, "mean 1e+200"),  # a variance beyond a float
        ({"shape": 0.005, "scale": 1.0}, "scale 1.0"),  # Gamma(1 + 2/k) is
        ({"shape": 1e-300, "mean": 1.0}, "mean 1.0"),  # and so is lgamma
        ({"shape": 2.0, "mean": 1e-320}, "mean 1e-320"),  # a scale below the normal floats
    ],
)
def test_rejects_stays_that_overflow(data: dict[str, float], given: str) -> None:
    with pytest.raises(pydantic.ValidationError) as error:
        Weibull(**data)
    assert f"shape {data['shape']!r} with {given} is not allowed: the stays' mean and " in (
        _messages(error)
    )


def test_unknown_key_rejected() -> None:
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        ADAPTER.validate_python({"kind": "weibull", "shape": 2, "scale": 3, "loc": 0})


def test_scenario_messages_name_the_field_value_and_rule() -> None:
    data = small_scenario()
    data["settings"]["acute"]["los"] = {"kind": "weibull", "shape": 0, "scale": 3}
    with pytest.raises(placesim.ScenarioError) as error:
        placesim.parse_scenario(data)
    (problem,) = error.value.problems
    assert problem.startswith("settings.acute.los")
    assert problem.endswith("shape: 0 is not allowed: must be > 0.0")


def test_schema_lists_weibull_with_its_fields() -> None:
    schema = placesim.scenario_json_schema()
    weibull = schema["$defs"]["Weibull"]
    assert set(weibull["properties"]) == {"kind", "shape", "scale", "mean"}
    assert weibull["required"] == ["shape"]
    assert weibull["properties"]["shape"]["exclusiveMinimum"] == 0
    refs = str(schema["$defs"]["AcuteSetting"])
    assert "#/$defs/Weibull" in refs


# --------------------------------------------------------------------------- in a scenario

WEIBULL_SCENARIO: dict[str, Any] = small_scenario(
    {
        "settings": {
            "acute": {
                "los": {"kind": "weibull", "shape": 0.9, "scale": 5.5},
                "los_by_age_band": {"65+": {"kind": "weibull", "mean": 8, "shape": 1.3}},
            },
            "intermediate_care": {"los": {"kind": "weibull", "shape": 2.2, "scale": 22}},
            "reablement": {"los": {"kind": "weibull", "mean": 14, "shape": 0.7}},
        },
        "initial_state": {
            "acute": {"occupied": 30, "waiting": 2},  # residual stays
            "intermediate_care": {"elapsed_days": [0.5, 3, 9, 20, 41]},  # remaining stays
            "reablement": {"occupied": 4, "remaining": "uniform"},
        },
    }
)
"""The shared small scenario with Weibull stays in three settings, in both forms and by
age band, and a starting census drawn by each of the remaining-stay rules."""


def _assert_same_stays(a: StayRecords, b: StayRecords) -> None:
    for column in ("episode", "setting", "source", "next", "overflow", "at_start"):
        np.testing.assert_array_equal(getattr(a, column), getattr(b, column), err_msg=column)
    for column in ("requested", "arrive", "ready", "leave"):
        x, y = getattr(a, column), getattr(b, column)
        np.testing.assert_array_equal(x, y, err_msg=column)  # NaN in the same places


@pytest.mark.parametrize("replication", [0, 1])
def test_a_scenario_with_weibull_stays_runs_the_same_on_both_engines(replication: int) -> None:
    sc = placesim.parse_scenario(copy.deepcopy(WEIBULL_SCENARIO))
    acute = sc.settings.acute
    assert acute is not None and isinstance(acute.los, Weibull)
    plan = compile_plan(sc)
    episodes = generate_episodes(plan, replication, 5)
    reference = run_reference_engine(plan, episodes)
    fast, _ = run_kernel(plan, episodes)
    _assert_same_stays(reference, fast)
    assert reference.size > 300
    in_place = sum(len(s.elapsed_days or ()) or s.occupied for s in sc.initial_state.values())
    assert in_place == 30 + 5 + 4 + 40  # the small scenario's care-home census as well
    assert reference.at_start.sum() == in_place
    done = np.isfinite(reference.ready) & ~reference.at_start
    assert np.all(reference.ready[done] >= reference.arrive[done])


def test_a_scenario_with_weibull_stays_simulates() -> None:
    sc = placesim.parse_scenario(copy.deepcopy(WEIBULL_SCENARIO))
    res = placesim.simulate(sc, replications=2, seed=3)
    m = res.measures
    los = m[(m["measure"] == "los_mean") & (m["setting"] == "intermediate_care")]["value"]
    assert np.isfinite(los.to_numpy(dtype=float)).all()
    # Intermediate-care stays are drawn from weibull(2.2, 22) and policy leaves them alone.
    assert res.stays is not None
    stays = res.stays[(res.stays["setting"] == "intermediate_care") & ~res.stays["at_start"]]
    done = stays["ready"].notna()
    lengths = (stays.loc[done, "ready"] - stays.loc[done, "arrive"]).to_numpy(dtype=float)
    assert lengths.size > 20
    # Only stays that ended are seen, which shortens them a little: a loose check that the
    # family, not a default, was used (a mean of about 19.5 days, not under 10 or over 30).
    assert 10.0 < float(lengths.mean()) < 30.0
