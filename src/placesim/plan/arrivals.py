"""Arrival groups: who arrives, where they first go, and how many a day, before any draw.

A group is a population segment (locality x age band x residence), a referral stream or a
setting's starting census. Its daily rate is the segment's head count times its crisis rate,
the season, the day of the week and the demand levers in force: the same for every
replication, so it is compiled once. Demand then draws the arrival times from it.

A dated series takes the place of the calendar's factors on the days it gives:
``demand.daily_factors`` of the season and day of the week (head count, locality factor and
levers still apply), a referral's ``daily_rates`` of its whole rate. The rate stays constant
within a day, so the arrivals keep their monotone coupling (docs/decisions.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from placesim.plan.pathways import ACUTE
from placesim.plan.policy import Policy
from placesim.plan.segments import DAYS_PER_YEAR, Segments
from placesim.scenario import SETTINGS, Scenario, band_value

__all__ = [
    "INITIAL_GROUP",
    "REFERRAL_GROUP",
    "ArrivalGroup",
    "build_groups",
    "sim_days",
]

REFERRAL_GROUP = 1_000_000
"""Group key of the first referral stream (docs/decisions.md, "Seed keys")."""
INITIAL_GROUP = 2_000_000
"""Group key of the starting census of setting 0; setting s has ``INITIAL_GROUP + s``."""

_TRIAGE_SETTINGS = np.array([1, 2, 0])  # rapid_response, virtual_ward, acute


@dataclass(frozen=True)
class ArrivalGroup:
    """One stream of arrivals with the same locality, age band, residence and entry.

    Attributes
    ----------
    key
        The group part of the seed key: the segment's index, ``REFERRAL_GROUP + k`` for
        the k-th referral stream.
    locality, age_band, residence
        Codes into ``Plan.localities``, ``Plan.age_bands`` and ``RESIDENCES``.
    daily_rate
        Expected arrivals on each simulated day (warm-up included).
    entry_probs
        Triage shares over ``SETTINGS`` for a population segment; None for a referral
        stream, which always enters `entry`.
    entry
        The setting code a referral stream enters.
    """

    key: int
    locality: int
    age_band: int
    residence: int
    daily_rate: npt.NDArray[np.float64]
    entry_probs: npt.NDArray[np.float64] | None
    entry: int = ACUTE

    def entry_shares(self) -> dict[str, float]:
        """Share of the group's arrivals that first enter each setting."""
        if self.entry_probs is None:
            return {SETTINGS[self.entry]: 1.0}
        return {SETTINGS[i]: float(p) for i, p in enumerate(self.entry_probs) if p > 0}


def sim_days(scenario: Scenario) -> npt.NDArray[np.float64]:
    """Start of each simulated day, in days from start_date (negative in the warm-up)."""
    cal = scenario.calendar
    return np.arange(-cal.warmup_days, cal.horizon_days, dtype=float)


def _calendar_factors(
    scenario: Scenario, monthly: list[float] | None, dow: list[float] | None
) -> npt.NDArray[np.float64]:
    days = sim_days(scenario)
    start = np.datetime64(scenario.calendar.start_date, "D")
    dates = start + days.astype(np.int64)
    factor = np.ones(days.size)
    if monthly is not None:
        month = dates.astype("datetime64[M]").astype(np.int64) % 12
        factor *= np.asarray(monthly)[month]
    if dow is not None:
        weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        factor *= np.asarray(dow)[weekday]
    return factor


def _dated(
    scenario: Scenario, series: Mapping[dt.date, float]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Which simulated days a dated series gives, and its value on each (0 on the others);
    dates outside the simulated period are left out."""
    n = sim_days(scenario).size
    first = scenario.calendar.sim_start_date
    day = np.fromiter(((date - first).days for date in series), dtype=np.int64, count=len(series))
    value = np.fromiter(series.values(), dtype=float, count=len(series))
    inside = (day >= 0) & (day < n)
    given = np.zeros(n, dtype=bool)
    values = np.zeros(n)
    given[day[inside]] = True
    values[day[inside]] = value[inside]
    return given, values


def _seasonal_factors(scenario: Scenario) -> npt.NDArray[np.float64]:
    demand = scenario.demand
    assert demand is not None
    season = demand.seasonality
    monthly = season.monthly if season is not None else None
    factor = _calendar_factors(scenario, monthly, demand.day_of_week)
    if season is not None and season.annual_curve is not None:
        curve = season.annual_curve
        days = sim_days(scenario)
        start = np.datetime64(scenario.calendar.start_date, "D")
        dates = start + days.astype(np.int64)
        year_start = dates.astype("datetime64[Y]").astype("datetime64[D]")
        day_of_year = (dates - year_start).astype(np.int64) + 1.5  # mid-day
        factor *= 1.0 + curve.amplitude * np.cos(
            2.0 * np.pi * (day_of_year - curve.peak_day_of_year) / DAYS_PER_YEAR
        )
    if demand.daily_factors is not None:
        # A replayed year or a forecast already holds its season and weekdays: in place of
        # them, not on top (docs/scenarios.md, "Dated series").
        given, values = _dated(scenario, demand.daily_factors)
        factor = np.where(given, values, factor)
    return factor


def build_groups(
    scenario: Scenario, segments: Segments | None, localities: Sequence[str], policy: Policy
) -> list[ArrivalGroup]:
    """Every arrival group of `scenario`: the population's segments, then the referrals,
    with locality codes into `localities` (the policy's, which list every referral's)."""
    groups: list[ArrivalGroup] = []
    bands = scenario.age_bands
    if segments is not None:
        assert scenario.demand is not None and scenario.triage is not None
        days = sim_days(scenario)
        people = segments.people_at(days + 0.5)
        season = _seasonal_factors(scenario)
        rates = scenario.demand.crisis_rate_per_person_year
        assert scenario.population is not None
        factors = [loc.crisis_rate_factor for loc in scenario.population.localities]
        for j in range(segments.size):
            band = bands[segments.age_band[j]]
            residence = "home" if segments.residence[j] == 0 else "care_home"
            rate_table = getattr(rates, residence)
            triage_table = getattr(scenario.triage, residence)
            has_rate = band in rate_table or "all" in rate_table
            has_triage = band in triage_table or "all" in triage_table
            rate = float(band_value(rate_table, band)) if has_rate and has_triage else 0.0
            rate *= factors[segments.locality[j]]
            probs = np.zeros(len(SETTINGS))
            if rate > 0.0:
                shares = band_value(triage_table, band)
                probs[_TRIAGE_SETTINGS] = [
                    shares.rapid_response,
                    shares.virtual_ward,
                    shares.acute,
                ]
            groups.append(
                ArrivalGroup(
                    key=j,
                    locality=int(segments.locality[j]),
                    age_band=int(segments.age_band[j]),
                    residence=int(segments.residence[j]),
                    daily_rate=rate
                    / DAYS_PER_YEAR
                    * people[:, j]
                    * season
                    * policy.demand_factor[
                        :,
                        segments.locality[j],
                        segments.age_band[j],
                        segments.residence[j],
                    ],
                    entry_probs=probs,
                )
            )
    for k, ref in enumerate(scenario.referrals):
        band = ref.age_band if ref.age_band is not None else bands[0]
        rate_by_day = ref.rate_per_day * _calendar_factors(scenario, ref.monthly, ref.day_of_week)
        if ref.daily_rates is not None:
            given, values = _dated(scenario, ref.daily_rates)
            rate_by_day = np.where(given, values, rate_by_day)
        groups.append(
            ArrivalGroup(
                key=REFERRAL_GROUP + k,
                locality=localities.index(ref.locality),
                age_band=bands.index(band),
                residence=0 if ref.residence == "home" else 1,
                daily_rate=rate_by_day,
                entry_probs=None,
                entry=SETTINGS.index(ref.setting),
            )
        )
    return groups
