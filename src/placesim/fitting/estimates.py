"""Fitting a scenario to an extract: every figure estimated from the stays, with its source.

Journeys first: stays of one person that follow each other (the earlier stay's `next`
names the later one's setting, and the later begins within a day of the earlier's end)
are one journey; a journey that begins in acute within ``READMISSION_DAYS`` of an earlier
journey of the same person ending at home after an acute stay is a readmission, not a new
crisis. A crisis is the first stay of any other journey that begins at rapid response,
the virtual ward or acute; a journey that begins anywhere else is a referral. Then each
figure of the scenario is the estimate its section of docs/data.md describes, with a
note of how many observations it rests on, over which dates, and its 95% interval.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from placesim.errors import PlacesimError
from placesim.fitting.extract import Extract
from placesim.scenario import SETTINGS

__all__ = [
    "MIN_BAND_STAYS",
    "READMISSION_DAYS",
    "Estimate",
    "Fit",
    "fit_los",
    "fit_scenario_data",
]

READMISSION_DAYS = 30.0
"""A readmission follows the end of a journey home within this many days (the NHS
30-day emergency readmission measure)."""
MIN_BAND_STAYS = 50
"""Fewest ended stays for a length of stay of its own in an age band; fewer share the
setting's."""
_LINK_DAYS = 1.0
_FOLLOWS = {
    "P1": "reablement",
    "P2": "intermediate_care",
    "P3": "care_home",
    "intermediate_care": "intermediate_care",
    "reablement": "reablement",
    "care_home": "care_home",
    "acute": "acute",
}
_HOME_ENDS = frozenset({"P0", "home", "independent", "home_care"})
_FRONT_DOOR = ("rapid_response", "virtual_ward", "acute")
_Z95 = 1.959963984540054
_Z90 = 1.2815515655446004
_FLOOR_DAYS = 1.0 / 1440.0  # a stay of no time is taken as one minute for the log families
_EMPIRICAL_POINTS = 200


@dataclass(frozen=True)
class Estimate:
    """One fitted figure: where it goes in the scenario, and its source in words."""

    path: str
    value: Any
    note: str
    n: int = 0
    low: float = math.nan
    high: float = math.nan


@dataclass
class Fit:
    """A fitted scenario as plain data, with one note per fitted figure."""

    data: dict[str, Any]
    estimates: list[Estimate] = field(default_factory=list)

    def note(
        self,
        path: str,
        value: Any,
        words: str,
        n: int = 0,
        low: float = math.nan,
        high: float = math.nan,
    ) -> Any:
        """Record `value` at `path` with its note; returns the value."""
        self.estimates.append(Estimate(path, value, words, n, low, high))
        return value

    def table(self) -> pd.DataFrame:
        """The estimates as a tidy table: path, value, n, low, high, note."""
        return pd.DataFrame(
            [
                (
                    e.path,
                    e.value if np.isscalar(e.value) else str(e.value),
                    e.n,
                    e.low,
                    e.high,
                    e.note,
                )
                for e in self.estimates
            ],
            columns=["path", "value", "n", "low", "high", "note"],
        )


def _days(a: pd.Series, b: pd.Series) -> npt.NDArray[np.float64]:
    return np.asarray((b - a).dt.total_seconds() / 86400.0, dtype=np.float64)


def _count(n: int, suppress: int) -> str:
    return f"fewer than {suppress}" if 0 < n < suppress else f"{n:,}"


def journeys(stays: pd.DataFrame) -> pd.DataFrame:
    """`stays` (sorted by person and arrive) with columns journey (a number), first (the
    journey's first stay), kind (crisis, referral or readmission, on first stays) and
    arrival (the journey's request or arrival)."""
    s = stays.reset_index(drop=True)
    person = s["person"].to_numpy()
    same = np.concatenate([[False], person[1:] == person[:-1]])
    prev_next = np.concatenate([[""], s["next"].to_numpy()[:-1]])
    prev_leave = np.concatenate([[np.datetime64("NaT")], s["leave"].to_numpy()[:-1]])
    follows = pd.Series(prev_next, dtype=object).map(_FOLLOWS).fillna("").to_numpy()
    gap = (s["arrive"].to_numpy() - prev_leave) / np.timedelta64(1, "D")
    linked = (
        same
        & (follows == s["setting"].to_numpy())
        & (np.abs(np.nan_to_num(gap, nan=1e9)) <= _LINK_DAYS)
    )
    journey = np.cumsum(~linked)
    s["journey"] = journey
    s["first"] = ~linked
    arrival = s["requested"].where(s["requested"].notna(), s["arrive"])
    # A journey's end: its last stay's leave and next; home ends after an acute stay.
    last = s.groupby("journey", sort=False).tail(1).set_index("journey")
    had_acute = (s["setting"] == "acute").groupby(s["journey"], sort=False).any()
    ended_home = last["next"].isin(_HOME_ENDS) & had_acute.reindex(last.index).to_numpy()
    first = s[s["first"]]
    kinds = np.where(first["setting"].isin(_FRONT_DOOR), "crisis", "referral").astype(object)
    # Readmission: an acute start within READMISSION_DAYS of the person's previous journey
    # ending at home after acute.
    fp = first["person"].to_numpy()
    fj = first["journey"].to_numpy()
    same_person = np.concatenate([[False], fp[1:] == fp[:-1]])
    prev_j = np.concatenate([[-1], fj[:-1]])
    prev_end = last["leave"].reindex(prev_j).to_numpy()
    prev_home = ended_home.reindex(prev_j).fillna(False).to_numpy(dtype=bool)
    since = (first["arrive"].to_numpy() - prev_end) / np.timedelta64(1, "D")
    readmit = (
        same_person
        & prev_home
        & (first["setting"].to_numpy() == "acute")
        & (np.nan_to_num(since, nan=1e9) >= 0)
        & (np.nan_to_num(since, nan=1e9) <= READMISSION_DAYS)
    )
    kinds[readmit] = "readmission"
    s["kind"] = ""
    s.loc[first.index, "kind"] = kinds
    s["arrival"] = arrival
    s["ended_home"] = s["journey"].map(ended_home).fillna(False).astype(bool)
    return s


# -------------------------------------------------------------------- lengths of stay


def _censored_fit(
    family: str, x: npt.NDArray[np.float64], open_: npt.NDArray[np.bool_], start: Sequence[float]
) -> tuple[tuple[float, float], float]:
    """Maximum likelihood of a two-parameter family (shape, scale) on stays `x`, those
    marked `open_` right-censored (still in place: only known to last at least x).

    The ended stays enter through their sufficient statistics where the family has them
    (lognormal, gamma), so each step of the search costs little more than the censored
    stays: a million stays fit in a fraction of a second."""
    from scipy.optimize import minimize
    from scipy.special import gammaincc, gammaln, log_ndtr

    done, still = x[~open_], x[open_]
    n = done.size
    log_done, log_still = np.log(done), np.log(still)
    s_log, s_log2, s_x = float(log_done.sum()), float((log_done**2).sum()), float(done.sum())

    def nll(theta: npt.NDArray[np.float64]) -> float:
        shape, scale = (float(v) for v in np.exp(theta))
        if family == "lognormal":  # shape: sigma; scale: exp(mu)
            mu = math.log(scale)
            ll = (
                -s_log
                - n * math.log(shape * math.sqrt(2 * math.pi))
                - (s_log2 - 2 * mu * s_log + n * mu * mu) / (2 * shape * shape)
            )
            ll += float(log_ndtr(-(log_still - mu) / shape).sum())
        elif family == "gamma":  # shape: a; scale: theta
            ll = (shape - 1) * s_log - s_x / scale - n * (shape * math.log(scale) + gammaln(shape))
            if still.size:
                tail = gammaincc(shape, still / scale)
                ll += float(np.log(np.where(tail > 0, tail, 1e-300)).sum())
        else:  # weibull: shape k; scale lambda
            z = np.exp(shape * (log_done - math.log(scale)))
            ll = n * math.log(shape / scale) + (shape - 1) * float(
                (log_done - math.log(scale)).sum()
            )
            ll -= float(z.sum()) + float(np.exp(shape * (log_still - math.log(scale))).sum())
        return -ll if math.isfinite(ll) else 1e300

    found = minimize(
        nll,
        np.log(np.asarray(start, dtype=float)),
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-6, "maxiter": 4000},
    )
    shape, scale = (float(v) for v in np.exp(found.x))
    return (shape, scale), -float(found.fun)


def _kaplan_meier(
    x: npt.NDArray[np.float64], open_: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The Kaplan-Meier estimate of the stay distribution's survival (stays still in place
    censored): the sorted times and the survival just after each."""
    order = np.argsort(x, kind="stable")
    t, ended = x[order], ~open_[order]
    at_risk = np.arange(t.size, 0, -1)
    survival = np.cumprod(np.where(ended, 1.0 - 1.0 / at_risk, 1.0)).astype(np.float64)
    return t, survival


def _km_quantiles(
    t: npt.NDArray[np.float64], survival: npt.NDArray[np.float64], points: int
) -> list[float]:
    wanted = 1.0 - (np.arange(points) + 0.5) / points
    index = np.searchsorted(-survival, -wanted, side="left")
    return [float(t[min(i, t.size - 1)]) for i in index]


def fit_los(
    values: npt.NDArray[np.float64],
    families: Sequence[str],
    still_in_place: npt.NDArray[np.bool_] | None = None,
) -> tuple[dict[str, Any], str, float]:
    """The length-of-stay distribution of `values` (days) among `families` by AIC, as the
    scenario writes it, a note (each family's AIC against the best, the chosen one's
    Kolmogorov-Smirnov distance, and the mean with its 95% CI), and the mean's standard
    error.

    Stays `still_in_place` when the data ends are right-censored: each lasts at least its
    value, and the fit is by maximum likelihood with their survival terms (Klein and
    Moeschberger, Survival Analysis, ch. 3), so long stays are not lost at the end of the
    extract. The empirical distribution (Kaplan-Meier quantiles) is chosen when the best
    family fails the KS test at 0.1% on 200 or more ended stays.
    """
    from scipy import stats

    x = np.maximum(np.asarray(values, dtype=float), _FLOOR_DAYS)
    open_ = (
        np.zeros(x.size, dtype=bool)
        if still_in_place is None
        else np.asarray(still_in_place, dtype=bool)
    )
    done = x[~open_]
    n = int(done.size)
    if n == 0:
        raise PlacesimError("no ended stay: a length of stay cannot be fitted")
    fits: dict[str, tuple[float, dict[str, Any], Any, float]] = {}
    if "exponential" in families:
        mean = float(x.sum() / n)  # the censored exponential's closed form
        ll = float(
            stats.expon.logpdf(done, scale=mean).sum()
            + stats.expon.logsf(x[open_], scale=mean).sum()
        )
        fits["exponential"] = (
            2 - 2 * ll,
            {"kind": "exponential", "mean": mean},
            stats.expon(scale=mean),
            mean,
        )
    if n > 1 and float(np.log(done).std()) > 0:
        logs = np.log(done)
        mu0, sigma0 = float(logs.mean()), float(logs.std())
        if "lognormal" in families:
            (sigma, scale), ll = _censored_fit("lognormal", x, open_, (sigma0, math.exp(mu0)))
            mean = scale * math.exp(sigma**2 / 2)
            spec = {"kind": "lognormal", "mean": mean, "cv": math.sqrt(math.expm1(sigma**2))}
            fits["lognormal"] = (4 - 2 * ll, spec, stats.lognorm(sigma, scale=scale), mean)
        m, v = float(done.mean()), float(done.var())
        if "gamma" in families:
            (a, scale), ll = _censored_fit("gamma", x, open_, (m * m / v, v / m))
            spec = {"kind": "gamma", "mean": a * scale, "cv": 1 / math.sqrt(a)}
            fits["gamma"] = (4 - 2 * ll, spec, stats.gamma(a, scale=scale), a * scale)
        if "weibull" in families:
            (c, scale), ll = _censored_fit("weibull", x, open_, (1.0, m))
            mean = scale * math.gamma(1 + 1 / c)
            spec = {"kind": "weibull", "shape": c, "scale": scale}
            fits["weibull"] = (4 - 2 * ll, spec, stats.weibull_min(c, scale=scale), mean)
    if not fits:
        raise PlacesimError("no length-of-stay family could be fitted")
    best = min(fits, key=lambda k: fits[k][0])
    others = ", ".join(f"{k} +{fits[k][0] - fits[best][0]:.1f}" for k in fits if k != best)
    spec, model, mean = fits[best][1], fits[best][2], fits[best][3]
    chosen = f"{best} by AIC" + (f" ({others})" if others else "")
    # Goodness of fit: Kolmogorov-Smirnov distance between the fitted CDF and the
    # Kaplan-Meier estimate (the empirical CDF when nothing is censored), its p-value from
    # the asymptotic distribution with the number of ended stays (approximate when some
    # stays are censored).
    t, survival = _kaplan_meier(x, open_)
    distance = float(np.max(np.abs((1.0 - survival) - model.cdf(t))))
    p_value = float(stats.kstwobign.sf(distance * math.sqrt(n)))
    covered = float(survival[-1]) < 0.5 / _EMPIRICAL_POINTS  # the estimate reaches its tail
    if "empirical" in families and n >= 200 and p_value < 0.001 and covered:
        quantiles = [round(v, 4) for v in _km_quantiles(t, survival, _EMPIRICAL_POINTS)]
        spec = {"kind": "empirical", "values": quantiles}
        chosen = (
            f"empirical ({_EMPIRICAL_POINTS} Kaplan-Meier quantiles): the best family, "
            f"{best}, fails KS"
        )
        mean = float(np.mean(quantiles))
    # With censored stays the information is about that of the ended ones: the standard
    # error of the mean is the fitted spread over the square root of their number.
    sd = float(math.sqrt(model.var())) if math.isfinite(model.var()) else float(np.std(done))
    se = sd / math.sqrt(n)
    censored = f", {int(open_.sum()):,} still in place (censored)" if open_.any() else ""
    note = (
        f"{chosen}; KS D={distance:.3f} (p={p_value:.2g}); mean {mean:.2f} d "
        f"(95% CI {max(mean - _Z95 * se, 0.0):.2f} to {mean + _Z95 * se:.2f}){censored}"
    )
    return spec, note, se


# ----------------------------------------------------------------------------- the fit


def _wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    p = k / n
    d = 1 + _Z95**2 / n
    centre = (p + _Z95**2 / (2 * n)) / d
    half = _Z95 * math.sqrt(p * (1 - p) / n + _Z95**2 / (4 * n * n)) / d
    return centre - half, centre + half


def _poisson_ci(k: int) -> tuple[float, float]:
    from scipy import stats

    low = float(stats.chi2.ppf(0.025, 2 * k) / 2) if k > 0 else 0.0
    high = float(stats.chi2.ppf(0.975, 2 * k + 2) / 2)
    return low, high


def fit_scenario_data(
    extract: Extract,
    start: dt.date,
    end: dt.date,
    *,
    name: str = "fitted",
    suppress: int = 5,
    ranges: bool = False,
    families: Sequence[str] = ("exponential", "gamma", "lognormal", "weibull", "empirical"),
) -> Fit:
    """A scenario fitted to `extract` over the dates [start, end) as plain data, with a
    note for every fitted figure (docs/data.md, "What is fitted").

    Counts under `suppress` are not written in the notes. With `ranges`, crisis rates and
    mean lengths of stay are written as uncertain inputs, their 10th-90th percentiles
    from the estimate's standard error (docs/uncertainty.md).
    """
    if end <= start:
        raise PlacesimError(f"end: {end} is not allowed: must be after start {start}")
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    window = f"{start} to {end - dt.timedelta(days=1)}"
    times = extract.stays[["arrive", "leave", "requested", "ready"]]
    last_day = pd.Timestamp(np.nanmax(times.to_numpy())).normalize()
    first_day = extract.stays["arrive"].min().normalize()
    if t1 > last_day + pd.Timedelta(days=1):
        raise PlacesimError(
            f"end: {end} is not allowed: the extract's last record is on {last_day:%Y-%m-%d}, "
            "and days after it would count as days without crises (every rate diluted); "
            f"give --end {last_day + pd.Timedelta(days=1):%Y-%m-%d} or earlier"
        )
    if t0 < first_day:
        raise PlacesimError(
            f"start: {start} is not allowed: the extract's first stay begins on "
            f"{first_day:%Y-%m-%d}; give --start {first_day:%Y-%m-%d} or later"
        )
    stays = journeys(extract.stays)
    inside = (stays["arrive"] >= t0) & (stays["arrive"] < t1)
    if not inside.any():
        raise PlacesimError(
            f"the extract has no stay that begins from {start} to {end}: its stays begin "
            f"{extract.stays['arrive'].min():%Y-%m-%d} to {extract.stays['arrive'].max():%Y-%m-%d}"
        )
    years = (end - start).days / 365.25
    bands = extract.age_bands
    fit = Fit(data={})
    fit.data["name"] = name
    fit.data["description"] = (
        f"Fitted by placesim fit to {extract.source}, stays from {window} "
        "(each figure's source is in the comment beside it)."
    )
    fit.data["calendar"] = {
        "start_date": str(start),
        "horizon_days": (end - start).days,
        "warmup_days": 0,
        "replications": 10,
        "seed": 1,
    }
    _population(fit, extract)
    crises = stays[stays["first"] & (stays["kind"] == "crisis")]
    crises = crises[(crises["arrival"] >= t0) & (crises["arrival"] < t1)]
    _crisis_rates(fit, extract, crises, years, window, suppress, ranges)
    _seasonality(fit, crises, start, end, suppress)
    _triage(fit, crises, bands, window, suppress)
    defined = sorted(set(stays["setting"]), key=SETTINGS.index)
    settings: dict[str, Any] = {}
    for setting in defined:
        settings[setting] = _setting(
            fit, extract, stays, setting, defined, bands, t0, t1, window, suppress, ranges, families
        )
    fit.data["settings"] = settings
    if "acute" in defined:
        _discharge(fit, stays, defined, bands, t0, t1, window, suppress, families)
    _referrals(fit, stays, t0, t1, years, window, suppress)
    _initial_state(fit, extract, stays, t0)
    return fit


def _population(fit: Fit, extract: Extract) -> None:
    pop = extract.population
    localities = []
    for name, rows in pop.groupby("locality", sort=False):
        people = rows.groupby("age_band")["people"].sum()
        homes = rows[rows["residence"] == "care_home"].groupby("age_band")["people"].sum()
        localities.append(
            {
                "name": str(name),
                "partnership": str(rows["partnership"].iloc[0]),
                "people": {b: int(people.get(b, 0)) for b in extract.age_bands},
                "care_home_residents": {
                    b: int(homes.get(b, 0)) for b in extract.age_bands if homes.get(b, 0) > 0
                },
            }
        )
    fit.data["population"] = {"age_bands": list(extract.age_bands), "localities": localities}
    fit.note(
        "population", None, f"the extract's population table ({int(pop['people'].sum()):,} people)"
    )


def _crisis_rates(
    fit: Fit,
    extract: Extract,
    crises: pd.DataFrame,
    years: float,
    window: str,
    suppress: int,
    ranges: bool,
) -> None:
    pop = extract.population
    people = pop.groupby(["age_band", "residence"])["people"].sum()
    counts = crises.groupby(["age_band", "residence"]).size()
    table: dict[str, dict[str, Any]] = {"home": {}, "care_home": {}}
    for residence in ("home", "care_home"):
        for band in extract.age_bands:
            n_people = float(people.get((band, residence), 0))
            k = int(counts.get((band, residence), 0))
            if n_people <= 0:
                continue
            rate = k / (n_people * years)
            low, high = (x / (n_people * years) for x in _poisson_ci(k))
            value: Any = round(rate, 6)
            if ranges and k > 0:
                se = math.sqrt(k) / (n_people * years)
                value = {
                    "low": round(max(rate - _Z90 * se, rate / 10), 6),
                    "high": round(rate + _Z90 * se, 6),
                }
            table[residence][band] = fit.note(
                f"demand.crisis_rate_per_person_year.{residence}.{band}",
                value,
                f"{_count(k, suppress)} crises / {n_people:,.0f} people x {years:.2f} years, "
                f"{window}: {rate:.4g} (95% CI {low:.4g} to {high:.4g})",
                k,
                low,
                high,
            )
    if not table["care_home"]:
        del table["care_home"]
    fit.data["demand"] = {"crisis_rate_per_person_year": table}
    # Each locality's rate against the place's (indirect standardisation).
    rates = {key: table[key[1]].get(key[0]) for key in people.index if key[1] in table}
    for loc in fit.data["population"]["localities"]:
        rows = pop[pop["locality"] == loc["name"]]
        expected = 0.0
        for band, residence, n_people in zip(
            rows["age_band"], rows["residence"], rows["people"], strict=True
        ):
            given = rates.get((band, residence))
            if isinstance(given, dict):
                given = (given["low"] + given["high"]) / 2
            expected += float(given or 0.0) * n_people * years
        k = int((crises["locality"] == loc["name"]).sum())
        if expected <= 0:
            continue
        low, high = (x / expected for x in _poisson_ci(k))
        loc["crisis_rate_factor"] = fit.note(
            f"population.localities[{loc['name']}].crisis_rate_factor",
            round(k / expected, 4),
            f"{_count(k, suppress)} crises against {expected:,.1f} expected at the place's "
            f"rates, {window}: {k / expected:.3f} (95% CI {low:.3f} to {high:.3f})",
            k,
            low,
            high,
        )


def _seasonality(
    fit: Fit, crises: pd.DataFrame, start: dt.date, end: dt.date, suppress: int
) -> None:
    days = pd.date_range(start, end - dt.timedelta(days=1), freq="D")
    when = crises["arrival"].dt.normalize()
    per_day = when.value_counts().reindex(days, fill_value=0)
    weekday = per_day.groupby(per_day.index.day_of_week).mean()
    if len(days) >= 28 and weekday.mean() > 0:
        factors = [round(float(weekday.get(d, 0.0) / weekday.mean()), 4) for d in range(7)]
        fit.data["demand"]["day_of_week"] = fit.note(
            "demand.day_of_week",
            factors,
            f"crises by weekday (Mon..Sun) over {len(days)} days, each over the mean",
            int(per_day.sum()),
        )
    if len(days) >= 365:
        by_month = per_day.groupby(per_day.index.month).mean()
        if by_month.mean() > 0:
            monthly = [
                round(float(by_month.get(m, by_month.mean()) / by_month.mean()), 4)
                for m in range(1, 13)
            ]
            fit.data["demand"]["seasonality"] = {
                "monthly": fit.note(
                    "demand.seasonality.monthly",
                    monthly,
                    f"crises a day in each month (Jan..Dec) over the mean, {len(days)} days",
                    int(per_day.sum()),
                )
            }
    else:
        fit.note(
            "demand.seasonality",
            None,
            f"not fitted: {len(days)} days is less than a year (monthly factors need one)",
        )


def _triage(
    fit: Fit, crises: pd.DataFrame, bands: Sequence[str], window: str, suppress: int
) -> None:
    triage: dict[str, dict[str, Any]] = {}
    overall = crises["setting"].value_counts()
    for residence in ("home", "care_home"):
        rows = crises[crises["residence"] == residence]
        table: dict[str, Any] = {}
        for band in bands:
            mine = rows[rows["age_band"] == band]["setting"].value_counts()
            n = int(mine.sum())
            small = n < max(suppress, 1)  # a share of a few people could reveal them
            use = rows["setting"].value_counts() if small else mine
            if int(use.sum()) == 0:
                use = overall
            total = int(use.sum())
            if total == 0:
                continue
            shares = {s: round(float(use.get(s, 0)) / total, 6) for s in _FRONT_DOOR}
            _close(shares)
            table[band] = fit.note(
                f"triage.{residence}.{band}",
                shares,
                f"first services of {_count(n, suppress)} crises, {window}"
                + (" (too few in this band: the residence's shares)" if small else ""),
                n,
            )
        if table:
            triage[residence] = table
    fit.data["triage"] = triage


def _fold(shares: dict[str, float], defined: Sequence[str], home: str) -> str:
    """Move the shares that lead to settings the extract has no stays of into `home` (the
    journey leaves the modelled services there); returns words saying so, or ''."""
    gone = [
        k for k in shares if _FOLLOWS.get(k, "") and _FOLLOWS[k] not in defined and shares[k] > 0
    ]
    for key in gone:
        shares[home] = round(shares[home] + shares[key], 6)
        shares[key] = 0.0
    if not gone:
        return ""
    return (
        f" ({', '.join(gone)} lead to services the extract has no stays of: counted as "
        f"{home}, leaving the modelled services)"
    )


def _close(shares: dict[str, float]) -> None:
    """Make rounded shares sum to exactly 1 (the largest takes the rounding)."""
    largest = max(shares, key=lambda k: shares[k])
    shares[largest] = round(1.0 - sum(v for k, v in shares.items() if k != largest), 6)


def _durations(
    rows: pd.DataFrame, data_end: pd.Timestamp
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Days until ready to leave (to `ready` where given, otherwise to `leave`), and which
    stays were still going when the data ends (their days so far: right-censored)."""
    until = rows["ready"].where(rows["ready"].notna(), rows["leave"])
    still = until.isna().to_numpy()
    return _days(rows["arrive"], until.fillna(data_end)), still


def _setting(
    fit: Fit,
    extract: Extract,
    stays: pd.DataFrame,
    setting: str,
    defined: Sequence[str],
    bands: Sequence[str],
    t0: pd.Timestamp,
    t1: pd.Timestamp,
    window: str,
    suppress: int,
    ranges: bool,
    families: Sequence[str],
) -> dict[str, Any]:
    rows = stays[stays["setting"] == setting]
    begun = rows[(rows["arrive"] >= t0) & (rows["arrive"] < t1)]
    ended = begun[begun["leave"].notna()]
    data_end = pd.Timestamp(np.nanmax(stays[["arrive", "leave"]].to_numpy()))
    out: dict[str, Any] = {}
    given = extract.capacity.get(setting)
    peak, over = _peak_census(rows, t0, t1, given)
    if given is not None:
        words = "the extract's capacity table"
        if over:
            words += (
                f"; the census was above it on {over} days of {window} (at most {peak}): "
                "places the extract does not describe (escalation beds?), so expect queues "
                "the place did not have, or add them as an escalation plan"
            )
        out["capacity"] = fit.note(f"settings.{setting}.capacity", given, words)
    else:
        out["capacity"] = fit.note(
            f"settings.{setting}.capacity",
            peak,
            f"not given: the largest midnight census observed, {window} (at least this many "
            "places existed; give the true capacity in a capacity table)",
        )
    if ended.empty:
        raise PlacesimError(
            f"{setting}: no stay begins and ends from {window}: its length of stay cannot be "
            "fitted; give a longer extract, or leave the setting out of it"
        )
    # To `ready` where most ended stays give it; then ended stays without it are left out
    # (their stays run to leave and hold any delay, which the model adds itself).
    ready_share = float(ended["ready"].notna().mean())
    sample = begun[begun["ready"].notna() | begun["leave"].isna()] if ready_share >= 0.5 else begun
    if ready_share >= 0.5:
        left_out = len(begun) - len(sample)
        until = "`ready`" + (
            f" ({_count(left_out, suppress)} ended stays without it left out)" if left_out else ""
        )
    else:
        until = (
            f"`leave`: only {ready_share:.0%} of ended stays give `ready`, so the stays hold "
            "their delays and run long"
        )
    values, still = _durations(sample, data_end)
    spec, words, se = fit_los(values, families, still)
    n = len(values)
    by_band: dict[str, Any] = {}
    for band in bands:
        mine = sample[sample["age_band"] == band]
        if mine["leave"].notna().sum() >= MIN_BAND_STAYS and len(mine) < n:
            band_values, band_still = _durations(mine, data_end)
            band_spec, band_words, band_se = fit_los(band_values, families, band_still)
            by_band[band] = fit.note(
                f"settings.{setting}.los_by_age_band.{band}",
                _rounded(_ranged(band_spec, band_se) if ranges else band_spec),
                f"{_count(len(mine), suppress)} stays, {window}; {band_words}",
                len(mine),
            )
    covered = len(by_band) == len(bands)  # then `los` applies to no band: no range on it
    ranged = _ranged(spec, se) if ranges and not covered else spec
    out["los"] = fit.note(
        f"settings.{setting}.los",
        _rounded(ranged),
        f"{_count(n, suppress)} stays begun {window}, to {until}; {words}",
        n,
    )
    if by_band:
        out["los_by_age_band"] = by_band
    if setting != "acute" and setting != "care_home":
        out["outcomes"] = _outcomes(fit, setting, ended, window, suppress, defined)
    return out


def _ranged(spec: dict[str, Any], se: float) -> dict[str, Any]:
    """`spec` with its mean as a 10th-90th percentile range from its standard error."""
    if "mean" not in spec or not math.isfinite(se) or se <= 0:
        return spec
    mean = float(spec["mean"])
    low = max(mean - _Z90 * se, mean / 10)
    return {**spec, "mean": {"low": round(low, 4), "high": round(mean + _Z90 * se, 4)}}


def _rounded(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in spec.items()}


def _peak_census(
    rows: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp, capacity: int | str | None = None
) -> tuple[int, int]:
    """The largest midnight census in [t0, t1), and the days it is above `capacity`."""
    midnights = pd.date_range(t0, t1, freq="D", inclusive="right")
    arrive = np.sort(rows["arrive"].to_numpy())
    leave = np.sort(rows["leave"].fillna(pd.Timestamp.max).to_numpy())
    times = midnights.to_numpy()
    census = np.searchsorted(arrive, times, side="right") - np.searchsorted(
        leave, times, side="right"
    )
    if not census.size:
        return 0, 0
    over = int((census > capacity).sum()) if isinstance(capacity, int) else 0
    return int(census.max()), over


def _outcomes(
    fit: Fit,
    setting: str,
    ended: pd.DataFrame,
    window: str,
    suppress: int,
    defined: Sequence[str],
) -> dict[str, Any]:
    from placesim.fitting.extract import NEXT

    nexts = ended["next"][ended["next"] != ""].value_counts()
    n = int(nexts.sum())
    if n == 0:
        raise PlacesimError(f"{setting}: no ended stay says where the person went (`next`)")
    shares = {d: round(float(nexts.get(d, 0)) / n, 6) for d in NEXT[setting]}
    cis = {d: _wilson(int(nexts.get(d, 0)), n) for d in shares}
    words = ", ".join(f"{d} {shares[d]:.3f} ({cis[d][0]:.3f}-{cis[d][1]:.3f})" for d in shares)
    folded = _fold(shares, defined, "independent" if setting == "reablement" else "home")
    _close(shares)
    noted: dict[str, Any] = fit.note(
        f"settings.{setting}.outcomes",
        shares,
        f"where {_count(n, suppress)} stays ended {window} went (95% CIs): {words}{folded}",
        n,
    )
    return noted


def _discharge(
    fit: Fit,
    stays: pd.DataFrame,
    defined: Sequence[str],
    bands: Sequence[str],
    t0: pd.Timestamp,
    t1: pd.Timestamp,
    window: str,
    suppress: int,
    families: Sequence[str],
) -> None:
    acute = stays[(stays["setting"] == "acute") & (stays["arrive"] >= t0) & (stays["arrive"] < t1)]
    told = acute[acute["next"] != ""]
    overall = told["next"].value_counts()
    pathways: dict[str, Any] = {}
    for band in bands:
        mine = told[told["age_band"] == band]["next"].value_counts()
        n = int(mine.sum())
        small = n < max(suppress, 1)
        use = overall if small else mine
        total = int(use.sum())
        if total == 0:
            raise PlacesimError("acute: no stay says where the person went (`next`: P0-P3, death)")
        shares = {
            p: round(float(use.get(p, 0)) / total, 6) for p in ("P0", "P1", "P2", "P3", "death")
        }
        folded = _fold(shares, defined, "P0")
        _close(shares)
        pathways[band] = fit.note(
            f"discharge.pathways.{band}",
            shares,
            f"pathways of {_count(n, suppress)} acute stays begun {window}"
            + (" (too few in this band: every band's shares)" if small else "")
            + folded,
            n,
        )
    discharge: dict[str, Any] = {"pathways": pathways}
    # Readmission within READMISSION_DAYS of journeys that ended at home after acute.
    firsts = stays[stays["first"]]
    last = stays.groupby("journey", sort=False).tail(1)
    home = last[
        last["ended_home"]
        & (last["leave"] >= t0)
        & (last["leave"] < t1 - pd.Timedelta(days=READMISSION_DAYS))
    ]
    # A readmission journey's previous journey (the one number before, the same person's).
    readmitted = firsts.loc[firsts["kind"] == "readmission", "journey"].to_numpy() - 1
    probability: dict[str, Any] = {}
    for band in bands:
        ended = home[home["age_band"] == band]
        n = len(ended)
        if n == 0:
            continue
        k = int(np.isin(ended["journey"].to_numpy(), readmitted).sum())
        low, high = _wilson(k, n)
        probability[band] = fit.note(
            f"discharge.readmission.probability.{band}",
            round(k / n, 6),
            f"{_count(k, suppress)} of {_count(n, suppress)} journeys home after acute (ended "
            f"{window}, at least {READMISSION_DAYS:.0f} days before its end) readmitted within "
            f"{READMISSION_DAYS:.0f} days: {k / n:.3f} (95% CI {low:.3f} to {high:.3f})",
            n,
            low,
            high,
        )
    discharge["readmission"] = {"probability": probability, "within_days": READMISSION_DAYS}
    # Assessment: from ready in acute to the request of the next service, by pathway.
    nxt = stays.shift(-1)
    linked = (
        (stays["setting"] == "acute")
        & nxt["journey"].eq(stays["journey"])
        & stays["ready"].notna()
        & nxt["requested"].notna()
    )
    assessment: dict[str, Any] = {}
    for pathway in ("P1", "P2", "P3"):
        rows = (
            linked & (stays["next"] == pathway) & (stays["arrive"] >= t0) & (stays["arrive"] < t1)
        )
        days = _days(stays.loc[rows, "ready"], nxt.loc[rows, "requested"])
        days = days[days >= 0]
        if days.size < 10:
            continue
        if float(days.max()) <= 0:
            spec, words = {"kind": "fixed", "days": 0.0}, "every one asked at once"
        else:
            spec, words, _ = fit_los(days, [f for f in families if f != "empirical"])
        assessment[pathway] = fit.note(
            f"discharge.assessment_days.{pathway}",
            _rounded(spec),
            f"ready to the next service's request, {_count(days.size, suppress)} {pathway} "
            f"discharges, {window}; {words}",
            int(days.size),
        )
    if assessment:
        discharge["assessment_days"] = assessment
    fit.data["discharge"] = discharge


def _referrals(
    fit: Fit,
    stays: pd.DataFrame,
    t0: pd.Timestamp,
    t1: pd.Timestamp,
    years: float,
    window: str,
    suppress: int,
) -> None:
    refs = stays[stays["first"] & (stays["kind"] == "referral")]
    refs = refs[(refs["arrival"] >= t0) & (refs["arrival"] < t1)]
    days = (t1 - t0).days
    streams = []
    grouped = refs.groupby(["setting", "age_band", "residence"], sort=True).size()
    counts: dict[tuple[str, str, str], int] = {
        (str(key[0]), str(key[1]), str(key[2])): int(v)  # type: ignore[index]
        for key, v in grouped.items()
    }
    for (setting, band, residence), k in counts.items():
        mine = {key: v for key, v in counts.items() if key[0] == setting}
        largest = max(mine, key=lambda key: mine[key]) == (setting, band, residence)
        if k < suppress and not largest:
            continue  # pooled into the setting's largest stream, which takes its count
        if largest:  # the setting's streams too small to show join it
            k = sum(v for v in mine.values() if v < suppress) + (k if k >= suppress else 0)
        low, high = (x / days for x in _poisson_ci(k))
        streams.append(
            {
                "name": f"{setting} referrals, {band}, {residence}",
                "setting": str(setting),
                "rate_per_day": fit.note(
                    f"referrals[{setting} referrals, {band}, {residence}].rate_per_day",
                    round(k / days, 6),
                    f"{_count(k, suppress)} journeys that began in {setting} with no crisis "
                    f"before, {window}: {k / days:.4g} a day (95% CI {low:.4g} to {high:.4g})",
                    k,
                    low,
                    high,
                ),
                "age_band": str(band),
                "residence": str(residence),
            }
        )
    streams += _pending_readmissions(fit, stays, t0, suppress)
    if streams:
        fit.data["referrals"] = streams


def _pending_readmissions(
    fit: Fit, stays: pd.DataFrame, t0: pd.Timestamp, suppress: int
) -> list[dict[str, Any]]:
    """Readmissions still to come at the start from journeys that ended home after acute in
    the READMISSION_DAYS before it: a scenario that starts from a census has nobody who
    left hospital just before, so their readmissions are a dated stream into acute, by
    band: each such journey is readmitted with its band's fitted probability, uniformly
    over the READMISSION_DAYS after it ended (the model's readmission rule)."""
    probability = fit.data.get("discharge", {}).get("readmission", {}).get("probability", {})
    last = stays.groupby("journey", sort=False).tail(1)
    recent = last[
        last["ended_home"]
        & (last["leave"] < t0)
        & (last["leave"] >= t0 - pd.Timedelta(days=READMISSION_DAYS))
    ]
    days = math.ceil(READMISSION_DAYS)
    out = []
    for band, rows in recent.groupby("age_band", sort=True):
        p = probability.get(str(band))
        if not p:
            continue
        ended = (rows["leave"] - t0).dt.total_seconds().to_numpy() / 86400.0  # < 0
        edges = np.arange(days + 1, dtype=float)
        # Expected readmissions on day d: p x overlap of [d, d+1) with [e, e + 30), / 30.
        low = np.maximum(edges[:-1][None, :], ended[:, None])
        high = np.minimum(edges[1:][None, :], ended[:, None] + READMISSION_DAYS)
        per_day = p * np.clip(high - low, 0.0, None).sum(axis=0) / READMISSION_DAYS
        dates = pd.date_range(t0, periods=days, freq="D").date
        name = f"readmissions pending at the start, {band}"
        out.append(
            {
                "name": name,
                "setting": "acute",
                "rate_per_day": 0.0,
                "daily_rates": fit.note(
                    f"referrals[{name}].daily_rates",
                    {str(d): round(float(v), 6) for d, v in zip(dates, per_day, strict=True)},
                    f"{_count(len(rows), suppress)} journeys ended at home after acute in the "
                    f"{READMISSION_DAYS:.0f} days before the start, each readmitted with "
                    f"probability {p:.3f} uniformly over the {READMISSION_DAYS:.0f} days after "
                    f"it ended: {float(per_day.sum()):.1f} readmissions expected",
                    len(rows),
                ),
                "age_band": str(band),
                "residence": "home",
            }
        )
    return out


def _initial_state(fit: Fit, extract: Extract, stays: pd.DataFrame, t0: pd.Timestamp) -> None:
    state: dict[str, Any] = {}
    census = extract.census
    snapshot = census is not None and not census.empty and census["at"].iloc[0] == t0
    for setting in fit.data["settings"]:
        rows = stays[stays["setting"] == setting]
        there = rows[(rows["arrive"] < t0) & (rows["leave"].isna() | (rows["leave"] > t0))]
        elapsed = sorted(
            round(float(d), 4) for d in _days(there["arrive"], pd.Series(t0, index=there.index))
        )
        waiting = int(((rows["requested"] < t0) & (rows["arrive"] >= t0)).sum())
        source = "stays in place at the start"
        if snapshot:
            assert census is not None
            mine = census[census["setting"] == setting]
            held = mine[mine["status"] == "in_place"]
            elapsed = sorted(
                round(float(d), 4) for d in _days(held["since"], pd.Series(t0, index=held.index))
            )
            waiting = int((mine["status"] == "waiting").sum())
            source = "the extract's census at the start"
        if not elapsed and not waiting:
            continue
        entry: dict[str, Any] = {"waiting": waiting}
        if elapsed:
            entry.update({"remaining": "elapsed", "elapsed_days": elapsed})
        state[setting] = fit.note(
            f"initial_state.{setting}",
            entry,
            f"{source}: {len(elapsed):,} in place (with the days each had stayed), "
            f"{waiting:,} waiting",
            len(elapsed),
        )
    if state:
        fit.data["initial_state"] = state
