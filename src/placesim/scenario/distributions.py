"""Length-of-stay distributions: how long a person stays in a setting, in days.

Each distribution is a small frozen pydantic model that a scenario names by its ``kind``
(``Distribution`` is the discriminated union a scenario field uses). Besides drawing fresh
stays with :meth:`sample`, each can draw

* :meth:`sample_residual`, the remaining stay of a person found in the setting at a random
  moment in steady state (the equilibrium residual life of renewal theory), used to fill a
  setting at the start of a run without a long warm-up; and
* :meth:`sample_remaining`, the remaining stay of a person who has already stayed a known
  number of days (the conditional distribution of ``L - a`` given ``L > a``), used when a
  run starts from a census of people already in the setting.

Every sampler takes a :class:`numpy.random.Generator` and uses nothing else for randomness,
so that streams can be spawned per purpose and common random numbers work.

Theoretical values are named ``mean_days`` and ``variance_days2`` on every class (not
``mean``, which is a parameter of several of them), so tests can hold samples against theory.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Weibull",
]

FloatArray = npt.NDArray[np.float64]

# Below this survival probability, U * sf(a) with U >= 2**-53 could fall into the subnormal
# range and lose precision (or be 0), so the inverse-survival method is not used there.
_SF_FLOOR = float(np.finfo(np.float64).tiny) * 2.0**53

# (2^n - 2) zeta(n) / n for n = 2..8: the series of ln(Gamma(1 + 2x) / Gamma(1 + x)^2) / x^2
# in powers of -x.
_WEIBULL_LOG_RATIO = (
    math.pi**2 / 6.0,
    2.0 * 1.2020569031595942,
    3.5 * math.pi**4 / 90.0,
    6.0 * 1.0369277551433699,
    (62.0 / 6.0) * math.pi**6 / 945.0,
    18.0 * 1.0083492773819228,
    (254.0 / 8.0) * math.pi**8 / 9450.0,
)
# The smallest Weibull scale, days (a normal float: its logarithm and powers keep precision).
_SMALLEST_SCALE = float(np.finfo(np.float64).tiny)
# Gamma(1 + x) is beyond a float from x = 170.6 on (math.gamma raises there).
_GAMMA_OVERFLOWS = 170.0
_LOG_LARGEST = math.log(float(np.finfo(np.float64).max))


def _unit_open_closed(rng: np.random.Generator, size: int | tuple[int, ...]) -> FloatArray:
    """Draw uniforms on (0, 1], so that isf(U * p) never receives 0 and returns infinity."""
    return 1.0 - rng.random(size)


def _exponential_by_inversion(rng: np.random.Generator, size: int | tuple[int, ...]) -> FloatArray:
    """Draw unit exponentials as the inverse CDF ``-ln(1 - U)`` of uniforms ``U`` on [0, 1).

    ``log1p`` keeps the small draws (``U`` near 0) to full relative precision, which
    ``-ln(1 - U)`` would round away; every draw is finite (at most ``53 ln 2``).
    """
    return -np.log1p(-rng.random(size))


def _check_elapsed(elapsed: npt.ArrayLike) -> FloatArray:
    """Return ``elapsed`` as a float array, rejecting negative or non-finite entries."""
    a = np.asarray(elapsed, dtype=np.float64)
    bad = ~np.isfinite(a) | (a < 0.0)
    if bad.any():
        raise ValueError(
            f"elapsed {a[bad][0]!r} days is not allowed: must be finite and >= 0 "
            "(the time a person has already stayed)"
        )
    return a


class _LengthOfStay(BaseModel, ABC):
    """Shared configuration and the residual-life sampler of every distribution."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    @abstractmethod
    def mean_days(self) -> float:
        """Theoretical mean length of stay, days."""

    @property
    @abstractmethod
    def variance_days2(self) -> float:
        """Theoretical variance of the length of stay, days squared."""

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` independent lengths of stay, days.

        Parameters
        ----------
        rng
            The only source of randomness used.
        size
            Number of draws.

        Returns
        -------
        numpy.ndarray
            Array of shape ``(size,)``, days, all finite and >= 0.
        """

    @abstractmethod
    def _sample_length_biased(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw from the length-biased distribution, density ``x f(x) / mean``."""

    def sample_residual(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw remaining stays of people found in the setting at a random moment.

        In steady state a person present at a random moment has a length-biased stay
        ``L~`` (density ``x f(x) / mean``, since long stays are more likely to be caught) and
        has been in for a uniform fraction of it, so the remaining stay is ``U * L~`` with
        ``U ~ Uniform(0, 1)``. Its density is ``S(x) / mean`` and its mean is
        ``E[L^2] / (2 E[L])`` (equilibrium residual life; Cox, *Renewal Theory*, 1962, ch. 5).

        Parameters
        ----------
        rng
            The only source of randomness used: ``size`` length-biased draws, then ``size``
            uniforms.
        size
            Number of draws.

        Returns
        -------
        numpy.ndarray
            Array of shape ``(size,)``, days, all >= 0.
        """
        biased = self._sample_length_biased(rng, size)
        return rng.random(size) * biased

    @abstractmethod
    def sample_remaining(self, rng: np.random.Generator, elapsed: FloatArray) -> FloatArray:
        """Draw the remaining stay of people who have already stayed ``elapsed`` days.

        Each entry is a draw of ``L - a`` given ``L > a`` with ``a = elapsed[i]``.

        Parameters
        ----------
        rng
            The only source of randomness used.
        elapsed
            Days each person has already stayed; finite and >= 0.

        Returns
        -------
        numpy.ndarray
            Array of the shape of ``elapsed``, days, all finite and >= 0.

        Raises
        ------
        ValueError
            If an entry of ``elapsed`` is negative or not finite.
        """

    @abstractmethod
    def describe(self) -> str:
        """Return a short human description, such as ``lognormal(mean 9 d, median 4.5 d)``."""


class Exponential(_LengthOfStay):
    """Exponential length of stay: memoryless, coefficient of variation 1."""

    kind: Literal["exponential"] = Field(
        default="exponential", description="Distribution family: exponential."
    )
    mean: float = Field(gt=0, allow_inf_nan=False, description="Mean length of stay, days.")

    @property
    def mean_days(self) -> float:
        """Theoretical mean length of stay, days."""
        return self.mean

    @property
    def variance_days2(self) -> float:
        """Theoretical variance of the length of stay, days squared."""
        return self.mean * self.mean

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` independent lengths of stay, days."""
        return rng.exponential(self.mean, size)

    def _sample_length_biased(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.gamma(2.0, self.mean, size)

    def sample_remaining(self, rng: np.random.Generator, elapsed: FloatArray) -> FloatArray:
        """Draw remaining stays after ``elapsed`` days: a fresh stay, by memorylessness."""
        a = _check_elapsed(elapsed)
        return rng.exponential(self.mean, a.shape)

    def describe(self) -> str:
        """Return a short human description, such as ``exponential(mean 9 d)``."""
        return f"exponential(mean {self.mean:g} d)"


class Lognormal(_LengthOfStay):
    """Lognormal length of stay, given by its mean and either its median or its cv.

    With ``sigma^2 = 2 ln(mean / median)`` or ``sigma^2 = ln(1 + cv^2)`` and
    ``mu = ln(mean) - sigma^2 / 2``, ``ln L ~ Normal(mu, sigma^2)``.
    """

    kind: Literal["lognormal"] = Field(
        default="lognormal", description="Distribution family: lognormal."
    )
    mean: float = Field(gt=0, allow_inf_nan=False, description="Mean length of stay, days.")
    median: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Median length of stay, days; below the mean. Give this or cv, not both.",
    )
    cv: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description=(
            "Coefficient of variation (standard deviation / mean), dimensionless. "
            "Give this or median, not both."
        ),
    )

    @model_validator(mode="after")
    def _one_shape_parameter(self) -> Lognormal:
        if self.median is not None and self.cv is not None:
            raise ValueError(
                f"median {self.median!r} and cv {self.cv!r} are both given: "
                "give exactly one of median or cv"
            )
        if self.median is None and self.cv is None:
            raise ValueError(
                "neither median nor cv is given: give exactly one of median or cv "
                "(with the mean, either one fixes the lognormal)"
            )
        if self.median is not None and not self.median < self.mean:
            raise ValueError(
                f"median {self.median!r} is not allowed: must be less than mean {self.mean!r} "
                "(a lognormal's median is below its mean)"
            )
        return self

    @property
    def sigma2(self) -> float:
        """Variance of ``ln L``, dimensionless."""
        if self.median is not None:
            return 2.0 * math.log(self.mean / self.median)
        assert self.cv is not None  # the validator requires median or cv
        cv = self.cv
        if cv > 1.0:
            # ln(1 + cv^2) rearranged so that cv^2 cannot overflow.
            return 2.0 * math.log(cv) + math.log1p(1.0 / (cv * cv))
        return math.log1p(cv * cv)

    @property
    def sigma(self) -> float:
        """Standard deviation of ``ln L``, dimensionless."""
        return math.sqrt(self.sigma2)

    @property
    def mu(self) -> float:
        """Mean of ``ln L`` (``ln`` of the median in days)."""
        return math.log(self.mean) - self.sigma2 / 2.0

    @property
    def mean_days(self) -> float:
        """Theoretical mean length of stay, days."""
        return self.mean

    @property
    def variance_days2(self) -> float:
        """Theoretical variance of the length of stay, days squared."""
        return self.mean * self.mean * math.expm1(self.sigma2)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` independent lengths of stay, days."""
        return rng.lognormal(self.mu, self.sigma, size)

    def _sample_length_biased(self, rng: np.random.Generator, size: int) -> FloatArray:
        # x f(x) for a lognormal(mu, sigma) is proportional to lognormal(mu + sigma^2, sigma).
        return rng.lognormal(self.mu + self.sigma2, self.sigma, size)

    def sample_remaining(self, rng: np.random.Generator, elapsed: FloatArray) -> FloatArray:
        """Draw remaining stays after ``elapsed`` days from ``L - a`` given ``L > a``.

        Uses the inverse survival function, ``L = isf(U * sf(a))`` with ``U`` on (0, 1].
        Where ``sf(a)`` is too small for that to be accurate (``a`` far in the tail), the same
        ``U`` is used in log space instead: ``ln L`` given ``L > a`` is a normal truncated
        below at ``z_a = (ln a - mu) / sigma``, which ``scipy.stats.truncnorm`` inverts
        stably, and the remaining stay is ``a * expm1(sigma * (Z - z_a))``, which keeps its
        relative precision even when it is small beside ``a``. Exactly ``elapsed.size``
        uniforms are drawn.
        """
        from scipy import stats  # here: scipy.stats takes a second to import

        a = _check_elapsed(elapsed)
        u = _unit_open_closed(rng, a.shape)
        dist = stats.lognorm(s=self.sigma, scale=math.exp(self.mu))
        sf = np.asarray(dist.sf(a), dtype=np.float64)
        remaining = np.zeros(a.shape, dtype=np.float64)
        body = sf >= _SF_FLOOR
        if body.any():
            remaining[body] = np.asarray(dist.isf(u[body] * sf[body]), dtype=np.float64) - a[body]
        tail = ~body | ~np.isfinite(remaining)
        if tail.any():
            a_tail = a[tail]
            z_a = (np.log(a_tail) - self.mu) / self.sigma
            z = np.asarray(stats.truncnorm(a=z_a, b=np.inf).isf(u[tail]), dtype=np.float64)
            remaining[tail] = a_tail * np.expm1(self.sigma * (z - z_a))
        # Rounding in isf can put L a hair below a; the person then leaves at once.
        return np.maximum(remaining, 0.0)

    def describe(self) -> str:
        """Return a short human description, such as ``lognormal(mean 9 d, median 4.5 d)``."""
        if self.median is not None:
            return f"lognormal(mean {self.mean:g} d, median {self.median:g} d)"
        return f"lognormal(mean {self.mean:g} d, cv {self.cv:g})"


class Gamma(_LengthOfStay):
    """Gamma length of stay with shape ``1 / cv^2`` and scale ``mean * cv^2``."""

    kind: Literal["gamma"] = Field(default="gamma", description="Distribution family: gamma.")
    mean: float = Field(gt=0, allow_inf_nan=False, description="Mean length of stay, days.")
    cv: float = Field(
        gt=0,
        allow_inf_nan=False,
        description="Coefficient of variation (standard deviation / mean), dimensionless.",
    )

    @property
    def shape(self) -> float:
        """Shape parameter ``k = 1 / cv^2``, dimensionless."""
        return 1.0 / (self.cv * self.cv)

    @property
    def scale_days(self) -> float:
        """Scale parameter ``theta = mean * cv^2``, days."""
        return self.mean * self.cv * self.cv

    @property
    def mean_days(self) -> float:
        """Theoretical mean length of stay, days."""
        return self.mean

    @property
    def variance_days2(self) -> float:
        """Theoretical variance of the length of stay, days squared."""
        return (self.mean * self.cv) ** 2

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` independent lengths of stay, days."""
        return rng.gamma(self.shape, self.scale_days, size)

    def _sample_length_biased(self, rng: np.random.Generator, size: int) -> FloatArray:
        # x f(x) for a gamma(k, theta) is proportional to gamma(k + 1, theta).
        return rng.gamma(self.shape + 1.0, self.scale_days, size)

    def sample_remaining(self, rng: np.random.Generator, elapsed: FloatArray) -> FloatArray:
        """Draw remaining stays after ``elapsed`` days from ``L - a`` given ``L > a``.

        Uses the inverse survival function, ``L = isf(U * sf(a))`` with ``U`` on (0, 1].
        Where ``sf(a)`` is too small for that to be accurate (``a`` far in the tail, where
        the remaining stay tends to an exponential with mean ``theta``), it draws exactly
        from the tail by rejection: the remaining stay ``x`` has density proportional to
        ``(1 + x/a)^(k-1) exp(-x/theta)``; proposals are exponential with rate
        ``1/theta - max(k-1, 0)/a`` and are accepted with probability
        ``(1 + x/a)^(k-1) exp(-max(k-1, 0) x/a) <= 1``, which is close to 1 that far out.
        The rejection step draws a random number of further variates from ``rng``.
        """
        from scipy import stats  # here: scipy.stats takes a second to import

        a = _check_elapsed(elapsed)
        u = _unit_open_closed(rng, a.shape)
        k, theta = self.shape, self.scale_days
        dist = stats.gamma(a=k, scale=theta)
        sf = np.asarray(dist.sf(a), dtype=np.float64)
        remaining = np.zeros(a.shape, dtype=np.float64)
        body = sf >= _SF_FLOOR
        if body.any():
            remaining[body] = np.asarray(dist.isf(u[body] * sf[body]), dtype=np.float64) - a[body]
        tail = ~body
        if tail.any():
            remaining[tail] = self._tail_remaining(rng, a[tail])
        # Rounding in isf can put L a hair below a; the person then leaves at once.
        return np.maximum(remaining, 0.0)

    def _tail_remaining(self, rng: np.random.Generator, a: FloatArray) -> FloatArray:
        """Draw ``L - a`` given ``L > a`` exactly by rejection, for ``a`` far in the tail."""
        k, theta = self.shape, self.scale_days
        excess_shape = max(k - 1.0, 0.0)
        # sf(a) is tiny here, so a is far above the mode (k - 1) theta and the rate is > 0.
        rate = 1.0 / theta - excess_shape / a
        out = np.empty(a.shape, dtype=np.float64)
        pending = np.arange(a.size)
        while pending.size:
            x = rng.exponential(1.0, pending.size) / rate[pending]
            y = x / a[pending]
            log_accept = (k - 1.0) * np.log1p(y) - excess_shape * y
            accepted = np.log(_unit_open_closed(rng, pending.size)) <= log_accept
            out[pending[accepted]] = x[accepted]
            pending = pending[~accepted]
        return out

    def describe(self) -> str:
        """Return a short human description, such as ``gamma(mean 9 d, cv 0.5)``."""
        return f"gamma(mean {self.mean:g} d, cv {self.cv:g})"


class Weibull(_LengthOfStay):
    """Weibull length of stay, given by its shape and either its scale or its mean.

    ``S(x) = exp(-(x / scale)^shape)``, as ``scipy.stats.weibull_min(c=shape, scale=scale)``
    (what a fit writes). A shape below 1 gives a falling hazard (the longer someone
    has stayed, the longer they are likely to stay: a long tail), 1 is exponential, above 1
    a rising hazard (stays bunched around a typical length).
    """

    kind: Literal["weibull"] = Field(default="weibull", description="Distribution family: weibull.")
    shape: float = Field(
        gt=0,
        allow_inf_nan=False,
        description=(
            "Shape k, dimensionless. Below 1 the longer a stay has lasted the less likely it "
            "is to end (a long tail); 1 is exponential; above 1 stays bunch around a typical "
            "length. A very small shape (about 0.01) gives a variance beyond any number."
        ),
    )
    scale: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Scale lambda, days (63% of stays are shorter). Give this or mean, not both.",
    )
    mean: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Mean length of stay, days. Give this or scale, not both.",
    )

    @model_validator(mode="after")
    def _one_size_parameter(self) -> Weibull:
        if self.scale is not None and self.mean is not None:
            raise ValueError(
                f"scale {self.scale!r} and mean {self.mean!r} are both given: "
                "give exactly one of scale or mean (with the shape, either one fixes the "
                "weibull)"
            )
        if self.scale is None and self.mean is None:
            raise ValueError(
                "neither scale nor mean is given: give exactly one of scale or mean "
                "(with the shape, either one fixes the weibull)"
            )
        given = f"scale {self.scale!r}" if self.scale is not None else f"mean {self.mean!r}"
        if not (
            math.isfinite(self.mean_days)
            and math.isfinite(self.variance_days2)
            and self.scale_days >= _SMALLEST_SCALE
        ):
            raise ValueError(
                f"shape {self.shape!r} with {given} is not allowed: the stays' mean and "
                "variance must be finite numbers of days and the scale at least "
                f"{_SMALLEST_SCALE:g} days"
            )
        return self

    @property
    def scale_days(self) -> float:
        """Scale parameter ``lambda``, days: the scale given, or ``mean / Gamma(1 + 1/k)``."""
        if self.scale is not None:
            return self.scale
        assert self.mean is not None  # the validator requires scale or mean
        x = 1.0 / self.shape
        if x < _GAMMA_OVERFLOWS:
            return self.mean / math.gamma(1.0 + x)
        try:
            return math.exp(math.log(self.mean) - math.lgamma(1.0 + x))
        except OverflowError:  # lgamma itself overflows: the scale is 0 as a float
            return 0.0

    @property
    def mean_days(self) -> float:
        """Theoretical mean length of stay, ``lambda Gamma(1 + 1/k)``, days (inf where that
        is beyond a float, which the validator refuses)."""
        if self.mean is not None:
            return self.mean
        x = 1.0 / self.shape
        return self.scale_days * math.gamma(1.0 + x) if x < _GAMMA_OVERFLOWS else math.inf

    @property
    def variance_days2(self) -> float:
        """Theoretical variance, ``lambda^2 (Gamma(1 + 2/k) - Gamma(1 + 1/k)^2)``, days squared.

        Written as ``mean^2 (Gamma(1 + 2/k) / Gamma(1 + 1/k)^2 - 1)`` with the ratio in log
        space and ``expm1``, so that a large shape (a variance small beside the squared mean)
        keeps its relative precision instead of cancelling.
        """
        x = 1.0 / self.shape
        if x < 1e-2:
            # ln Gamma(1 + x) = -gamma x + sum_{n>=2} (-1)^n zeta(n) x^n / n, so the ratio's
            # log is sum_{n>=2} (-1)^n zeta(n) (2^n - 2) x^n / n. The lgamma difference
            # cancels to its last digits here (and to nothing where 1 + x rounds to 1); the
            # series to n = 8 is good to a relative 4e-13.
            log_ratio = x * x * sum(c * (-x) ** j for j, c in enumerate(_WEIBULL_LOG_RATIO))
        else:
            try:
                log_ratio = math.lgamma(1.0 + 2.0 * x) - 2.0 * math.lgamma(1.0 + x)
            except OverflowError:
                return math.inf
        if log_ratio > _LOG_LARGEST:
            return math.inf
        mean = self.mean_days
        return mean * mean * math.expm1(log_ratio)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` stays by inverse CDF, ``lambda (-ln(1 - U))^(1/k)``, days."""
        return self.scale_days * _exponential_by_inversion(rng, size) ** (1.0 / self.shape)

    def _sample_length_biased(self, rng: np.random.Generator, size: int) -> FloatArray:
        # With y = (x / lambda)^k, f(x) dx = exp(-y) dy and x = lambda y^(1/k), so x f(x) is
        # proportional to y^(1/k) exp(-y): y is gamma(1 + 1/k, 1).
        k = self.shape
        return self.scale_days * rng.gamma(1.0 + 1.0 / k, 1.0, size) ** (1.0 / k)

    def sample_remaining(self, rng: np.random.Generator, elapsed: FloatArray) -> FloatArray:
        """Draw remaining stays after ``elapsed`` days from ``L - a`` given ``L > a``.

        Inverts the conditional survival ``S(a + r) / S(a) = U`` in closed form:
        ``((a + r) / lambda)^k = t + E`` with ``t = (a / lambda)^k`` and ``E = -ln U`` a unit
        exponential (drawn as :meth:`sample` draws it), so ``S(a)`` itself, which
        underflows far in the tail, is never formed. Everything is worked in logs:
        ``w = ln(1 + E / t) / k`` is ``ln(L / a)``; where ``w < 1`` the remaining stay is
        ``a expm1(w)``, which keeps its relative precision when it is small beside ``a``
        (a large shape, or ``a`` far in the tail), and elsewhere it is
        ``exp(ln lambda + ln(t + E) / k) - a``, which also covers ``a = 0`` (a fresh stay).
        Exactly ``elapsed.size`` uniforms are drawn.
        """
        a = _check_elapsed(elapsed)
        k = self.shape
        log_scale = math.log(self.scale_days)
        e = _exponential_by_inversion(rng, a.shape)
        with np.errstate(divide="ignore"):  # ln 0 = -inf: a = 0, or E = 0 (U = 1)
            log_a = np.log(a)
            log_e = np.log(e)
        log_t = k * (log_a - log_scale)
        remaining = np.empty(a.shape, dtype=np.float64)
        with np.errstate(invalid="ignore"):  # log_e - log_t is nan only where both are -inf
            w = np.logaddexp(0.0, log_e - log_t) / k
        near = (a > 0.0) & (w < 1.0)
        remaining[near] = a[near] * np.expm1(w[near])
        far = ~near
        whole = log_scale + np.logaddexp(log_t[far], log_e[far]) / k
        remaining[far] = np.exp(whole) - a[far]
        # Rounding can put L a hair below a; the person then leaves at once.
        return np.maximum(remaining, 0.0)

    def describe(self) -> str:
        """Return a short human description, such as ``weibull(shape 1.5, scale 10 d)``."""
        if self.scale is not None:
            return f"weibull(shape {self.shape:g}, scale {self.scale:g} d)"
        return f"weibull(mean {self.mean:g} d, shape {self.shape:g})"


class Fixed(_LengthOfStay):
    """Every stay lasts exactly ``days``."""

    kind: Literal["fixed"] = Field(default="fixed", description="Distribution family: fixed.")
    days: float = Field(ge=0, allow_inf_nan=False, description="Length of every stay, days.")

    @property
    def mean_days(self) -> float:
        """Theoretical mean length of stay, days."""
        return self.days

    @property
    def variance_days2(self) -> float:
        """Theoretical variance of the length of stay, days squared (always 0)."""
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Return ``size`` copies of ``days``; ``rng`` is not used."""
        return np.full(size, self.days, dtype=np.float64)

    def _sample_length_biased(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.full(size, self.days, dtype=np.float64)

    def sample_remaining(self, rng: np.random.Generator, elapsed: FloatArray) -> FloatArray:
        """Return ``max(days - elapsed, 0)``; ``rng`` is not used.

        Someone who has already stayed ``days`` or longer leaves at once.
        """
        a = _check_elapsed(elapsed)
        return np.maximum(self.days - a, 0.0)

    def describe(self) -> str:
        """Return a short human description, such as ``fixed(3 d)``."""
        return f"fixed({self.days:g} d)"


class Empirical(_LengthOfStay):
    """Stays drawn uniformly, with replacement, from a list of observed values."""

    kind: Literal["empirical"] = Field(
        default="empirical", description="Distribution family: empirical."
    )
    values: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] = Field(
        min_length=1,
        description=(
            "Observed lengths of stay, days; each finite and >= 0, not all 0. "
            "Each listed value is equally likely."
        ),
    )

    @field_validator("values")
    @classmethod
    def _not_all_zero(cls, values: list[float]) -> list[float]:
        if not any(v > 0.0 for v in values):
            shown = (
                str(values) if len(values) <= 5 else f"[{values[0]!r}, ... ({len(values)} in all)]"
            )
            raise ValueError(
                f"values {shown} are not allowed: at least one must be > 0 "
                "(use kind fixed with days 0 for stays that always end at once)"
            )
        return values

    def _array(self) -> FloatArray:
        return np.asarray(self.values, dtype=np.float64)

    @property
    def mean_days(self) -> float:
        """Theoretical mean length of stay (the mean of the values), days."""
        return float(np.mean(self._array()))

    @property
    def variance_days2(self) -> float:
        """Theoretical variance (of the values, divisor n), days squared."""
        return float(np.var(self._array()))

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` values uniformly, with replacement, days."""
        return rng.choice(self._array(), size)

    def _sample_length_biased(self, rng: np.random.Generator, size: int) -> FloatArray:
        values = self._array()
        return rng.choice(values, size, p=values / values.sum())

    def sample_remaining(self, rng: np.random.Generator, elapsed: FloatArray) -> FloatArray:
        """Draw remaining stays after ``elapsed`` days from ``L - a`` given ``L > a``.

        Chooses uniformly among the listed values greater than ``a`` (repeats counting as
        often as they are listed) and subtracts ``a``. If no value exceeds ``a`` the
        person has outstayed every observed stay and the remaining stay is 0: they leave
        at once. Exactly ``elapsed.size`` uniforms are drawn.
        """
        a = _check_elapsed(elapsed)
        values = np.sort(self._array())
        first_above = np.searchsorted(values, a, side="right")
        n_above = values.size - first_above
        u = rng.random(a.shape)
        index = np.minimum(first_above + np.floor(u * n_above).astype(np.intp), values.size - 1)
        return np.where(n_above > 0, values[index] - a, 0.0)

    def describe(self) -> str:
        """Return a short human description, such as ``empirical(5 values, mean 4.2 d)``."""
        return f"empirical({len(self.values)} values, mean {self.mean_days:g} d)"


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Weibull | Fixed | Empirical, Field(discriminator="kind")
]
"""Any length-of-stay distribution; a scenario picks one by its ``kind`` field."""
