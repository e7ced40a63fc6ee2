"""Periods: the measures of any window of dates inside a run, and its months and years.

A December-March winter plan in a one-year run is diluted by the months it does not act
in; these give the measures of exactly the weeks that matter, with the definitions of
:func:`placesim.measures.tables.window_measures` (docs/model.md, "Measures").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from placesim.errors import PlacesimError
from placesim.measures.tables import DailyArrays, StayArrays, window_measures
from placesim.plan import Plan

__all__ = [
    "BREAKDOWNS",
    "Period",
    "calendar_periods",
    "find_period",
    "parse_period",
    "period_measures",
    "period_window",
    "stay_arrays",
]

BREAKDOWNS: tuple[str, ...] = ("month", "financial_year")
"""Calendar breakdowns of a run: months, and NHS financial years (April to March)."""


@dataclass(frozen=True)
class Period:
    """A window of dates, both included, inside a run's reporting window."""

    start: dt.date
    end: dt.date
    name: str | None = None

    @property
    def label(self) -> str:
        """The period's name, or ``START:END``."""
        return self.name if self.name is not None else f"{self.start}:{self.end}"

    def window(self, plan: Plan) -> tuple[float, float]:
        """[start, end) in days from the run's start_date."""
        return float((self.start - plan.start_date).days), float(
            (self.end - plan.start_date).days + 1
        )


def parse_period(period: str | Period, plan: Plan) -> Period:
    """A period from ``START:END`` (dates, both included), or a name the scenario's
    ``periods`` defines; it must lie inside the reporting window.

    Raises
    ------
    PlacesimError
        Naming the text, and the window and named periods allowed.
    """
    window = f"{plan.start_date} to {plan.end_date}"
    if isinstance(period, Period):
        found = period
    elif period in plan.periods:
        start, end = plan.periods[period]
        found = Period(start, end, period)
    else:
        first, sep, last = str(period).partition(":")
        named = (
            f"; or one of the scenario's periods: {', '.join(plan.periods)}" if plan.periods else ""
        )
        try:
            if not sep:
                raise ValueError
            found = Period(
                dt.date.fromisoformat(first.strip()), dt.date.fromisoformat(last.strip())
            )
        except ValueError:
            raise PlacesimError(
                f"period: {period!r} is not allowed: write START:END (dates, both included), "
                f"e.g. {plan.start_date}:{plan.end_date}{named}"
            ) from None
    if found.end < found.start:
        raise PlacesimError(f"period: {found.label} ends before it starts")
    if found.start < plan.start_date or found.end > plan.end_date:
        raise PlacesimError(
            f"period: {found.label} ({found.start} to {found.end}) is not allowed: it must lie "
            f"inside the run's reporting window, {window}"
        )
    return found


def find_period(period: str | Period | None, plan: Plan) -> Period | None:
    """:func:`parse_period`, or None (the whole run) when no period is asked for."""
    return None if period is None else parse_period(period, plan)


def period_window(period: str | Period | None, plan: Plan) -> tuple[float, float] | None:
    """The [start, end) days of :func:`find_period`, or None for the whole run."""
    found = find_period(period, plan)
    return None if found is None else found.window(plan)


def calendar_periods(plan: Plan, kind: str) -> list[Period]:
    """The months (``month``) or financial years (``financial_year``, April to March) of
    the reporting window, the first and last cut to the window (their labels say so)."""
    if kind not in BREAKDOWNS:
        raise PlacesimError(f"by: {kind!r} is not allowed: must be one of {', '.join(BREAKDOWNS)}")
    periods = []
    start = plan.start_date
    while start <= plan.end_date:
        if kind == "month":
            following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
            label = f"{start:%Y-%m}"
        else:
            year = start.year if start.month >= 4 else start.year - 1
            following = dt.date(year + 1, 4, 1)
            label = f"{year}/{(year + 1) % 100:02d}"
        end = min(following - dt.timedelta(days=1), plan.end_date)
        whole = (kind == "month" and start.day == 1) or (
            kind == "financial_year" and (start.month, start.day) == (4, 1)
        )
        whole = whole and end == following - dt.timedelta(days=1)
        periods.append(Period(start, end, label if whole else f"{label} (part: {start} to {end})"))
        start = following
    return periods


def stay_arrays(stays: pd.DataFrame | None) -> dict[int, StayArrays] | None:
    """Each replication's stays as measure arrays (None without a stays table), built once
    for the many windows of a breakdown."""
    if stays is None:
        return None
    groups = stays.groupby("replication", sort=True)
    return {int(str(r)): StayArrays.from_table(rows) for r, rows in groups}


def _daily_arrays(
    day: pd.DataFrame, cache: dict[int, DailyArrays] | None, replication: int
) -> DailyArrays:
    if cache is None:
        return DailyArrays.from_table(day)
    if replication not in cache:
        cache[replication] = DailyArrays.from_table(day)
    return cache[replication]


def period_measures(
    plan: Plan,
    stays: pd.DataFrame | None,
    daily: pd.DataFrame,
    period: Period,
    arrays: dict[int, StayArrays] | None = None,
    daily_cache: dict[int, DailyArrays] | None = None,
    plan_of: Callable[[int], Plan] | None = None,
) -> pd.DataFrame:
    """Every measure of every replication over `period`: replication, measure, setting, value.

    Without a stays table (a run with ``keep_stays=False``) only the measures the daily
    table holds are given (:func:`placesim.measures.tables.window_measures`). `arrays`
    (:func:`stay_arrays`) saves building the stays' arrays again for each period.
    `plan_of` gives the plan each replication ran, where it differs from `plan` (a run
    with uncertain inputs).
    """
    window = period.window(plan)
    if arrays is None:
        arrays = stay_arrays(stays)
    empty = StayArrays.from_table(stays.iloc[:0]) if stays is not None else None
    frames = []
    for key, day in daily.groupby("replication", sort=True):
        r = int(str(key))
        mine = arrays.get(r, empty) if arrays is not None else None
        own = plan_of(r) if plan_of is not None else plan
        rows = window_measures(own, mine, _daily_arrays(day, daily_cache, r), window)
        frame = pd.DataFrame(rows, columns=["measure", "setting", "value"])
        frame.insert(0, "replication", r)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
