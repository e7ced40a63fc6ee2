"""Measure tables: tidy tables built once from the engine's stay records.

Definitions follow DESIGN.md and docs/model.md. The reporting window is [0, horizon) in days
from start_date; warm-up (negative times) is a filter applied here, not engine state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from placesim.demand import Episodes
from placesim.engine import StayRecords
from placesim.errors import PlacesimError
from placesim.measures.statistics import spread, t_interval
from placesim.plan import Plan
from placesim.plan.pathways import ACUTE, DESTINATIONS, RAPID_RESPONSE, SOURCES, VIRTUAL_WARD
from placesim.scenario import RESIDENCES, SETTINGS

__all__ = [
    "CAN_BE_NEGATIVE",
    "GROUPINGS",
    "GROUP_MEASURES",
    "LEVEL_DAYS",
    "MEASURES",
    "OPERATIONS_COLUMNS",
    "PLACE",
    "DailyArrays",
    "StayArrays",
    "daily_table",
    "group_labels",
    "group_measures",
    "measure_unit",
    "replication_measures",
    "stays_table",
    "summarise",
    "window_measures",
]

MEASURES: dict[str, str] = {
    "admissions": "admissions",
    "admissions_from_care_homes": "admissions",
    "avoided_admissions": "admissions",
    "bed_days": "bed days",
    "los_mean": "days",
    "los_median": "days",
    "los_p90": "days",
    "delayed_bed_days": "bed days",
    "dtoc_rate": "ratio",
    "wait_mean": "days",
    "occupancy_mean": "beds",
    "occupancy_p95": "beds",
    "occupancy_rate": "ratio",
    "waiting_mean": "people",
    "capacity": "beds",
    "capacity_needed": "beds",
    "capacity_gap": "beds",
    "extra_capacity": "beds",
    "extra_place_days": "bed days",
    "electives_cancelled": "operations",
    "electives_admitted": "admissions",
    "electives_cancelled_no_bed": "operations",
    "days_escalated": "days",
    "escalation_cost": "GBP",
    "visits_needed": "visits a day",
    "visits_available": "visits a day",
    "visits_used": "visits a day",
    "visits_short": "visits a day",
    "hours_needed": "hours a day",
    "hours_available": "hours a day",
    "hours_used": "hours a day",
    "hours_short": "hours a day",
    "shortfall_days": "days",
    "wte_needed": "WTE",
    "days_over_target": "days",
    "places_over_target": "places",
    "places_with_days_over_target": "places",
    "place_days_over_target": "days",
    "occupancy_rate_place_median": "ratio",
    "occupancy_rate_place_p90": "ratio",
    "capacity_gap_place_median": "beds",
    "capacity_gap_place_p90": "beds",
}
"""Measure names (stable: scripts rely on them) and their units in a setting of beds; the
caseload settings count places instead (:func:`measure_unit`)."""

CAN_BE_NEGATIVE: frozenset[str] = frozenset(
    {"capacity_gap", "capacity_gap_place_median", "capacity_gap_place_p90"}
)
"""Measures that can be below zero (spare capacity); every other measure is a count, a
time or a share, so its interval is cut at zero (:func:`summarise`)."""

_CASELOAD = frozenset({"rapid_response", "reablement"})


PLACE = "place"
"""The `setting` of measures of the whole place: the escalation level's days and cost."""
LEVEL_DAYS = "days_at_level_"
"""Prefix of the measures ``days_at_level_1``, ``days_at_level_2``, ...: days at each level."""


def measure_unit(measure: str, setting: str) -> str:
    """The unit of `measure` in `setting`: rapid response and reablement are caseloads of
    places (people on the books), not beds."""
    unit = "days" if measure.startswith(LEVEL_DAYS) else MEASURES[measure]
    if setting in _CASELOAD:
        return {"beds": "places", "bed days": "place days"}.get(unit, unit)
    return unit


GROUP_MEASURES: tuple[str, ...] = (
    "admissions",
    "admissions_from_care_homes",
    "avoided_admissions",
    "bed_days",
    "delayed_bed_days",
    "los_mean",
    "los_median",
    "los_p90",
    "wait_mean",
)
"""Measures that belong to people, so can be split by where they live (:func:`group_measures`).

Occupancy, waiting, capacity and the capacity gap are about a setting shared by the whole
place: they have no by-locality version."""

GROUPINGS: tuple[str, ...] = ("locality", "partnership")
"""The columns of the stays table that results can be split by."""

_CARE_HOME_RESIDENCE = RESIDENCES.index("care_home")
_ELECTIVE = SOURCES.index("elective")


@dataclass(frozen=True)
class Intervals:
    """Intervals [start, end) binned by whole day, for counts at midnights and time inside days.

    ``open_at[d]`` is how many hold time d (start <= d < end), and ``part[d]`` the part of
    day d-1 that the intervals starting in it miss, less the part that those ending in it
    keep, so that the time inside day d is ``open_at[d] + part[d + 1]``; times before day 0
    count at day 0. Made in one pass with :func:`numpy.bincount` instead of sorting each
    setting's starts and ends (at England size the sorts were most of the measures' time),
    and each day's time is a sum of small numbers, with no difference of large totals.
    """

    open_at: npt.NDArray[np.intp]
    part: npt.NDArray[np.float64]

    @classmethod
    def of(cls, starts: npt.NDArray[np.float64], ends: npt.NDArray[np.float64]) -> Intervals:
        """The intervals [starts, ends) (a NaN end: still open)."""
        ends = ends[np.isfinite(ends)]
        size = int(np.ceil(max(starts.max(initial=0.0), ends.max(initial=0.0)))) + 2
        started, start_part = _by_day(starts, size)
        ended, end_part = _by_day(ends, size)
        return cls(np.cumsum(started - ended), start_part - end_part)

    def count_at(self, days: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        """How many intervals hold each time `days` (whole days from day 0)."""
        k = days.astype(np.int64)
        if (k != days).any() or (k < 0).any():
            raise ValueError("intervals are counted at whole days from day 0 only")
        return self.open_at[np.minimum(k, self.open_at.size - 1)]

    def per_day(self, n: int) -> npt.NDArray[np.float64]:
        """The time the intervals spend inside each day [d, d + 1), for d = 0 .. n - 1."""
        m = min(n, self.open_at.size - 1)
        out = np.empty(n)
        out[:m] = self.open_at[:m] + self.part[1 : m + 1]
        out[m:] = self.open_at[-1]  # beyond the last start or end nothing changes
        return out


def _by_day(
    times: npt.NDArray[np.float64], size: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """How many of `times` first count at each whole day (the day d with d - 1 < t <= d;
    times before day 0 at day 0) and, for each day, the sum of d - t over them."""
    day = np.ceil(times)
    np.clip(day, 0, size - 1, out=day)
    k = day.astype(np.int64)
    part = np.asarray(np.bincount(k, weights=day - times, minlength=size), dtype=np.float64)
    return np.bincount(k, minlength=size), part


@dataclass(frozen=True)
class _SettingStays:
    """One setting's stays, as :meth:`StayArrays.view` gives them."""

    arrive: npt.NDArray[np.float64]
    leave: npt.NDArray[np.float64]
    requested: npt.NDArray[np.float64]
    at_start: npt.NDArray[np.bool_]
    next: npt.NDArray[np.integer[Any]]
    from_care_home: npt.NDArray[np.bool_]
    inside: npt.NDArray[np.bool_]
    occupied: Intervals
    delayed: Intervals


@dataclass(frozen=True)
class DailyArrays:
    """One replication's daily table as arrays per setting, split once for many windows."""

    columns: dict[str, dict[str, npt.NDArray[Any]]]

    @classmethod
    def from_table(cls, daily: pd.DataFrame) -> DailyArrays:
        """The arrays of one replication's rows of a daily table (:func:`daily_table`)."""
        names = (
            "day",
            "census",
            "occupied_mean",
            "capacity",
            "waiting",
            "admissions",
            "ready_days",
            *(c for c in OPERATIONS_COLUMNS if c in daily.columns),
        )
        columns = {}
        for name in SETTINGS:
            d = daily[daily["setting"] == name]
            if len(d):
                columns[name] = {c: d[c].to_numpy() for c in names}
        return cls(columns)

    def window(self, setting: str, start: float, end: float, whole: bool) -> dict[str, Any]:
        """The columns of `setting` over the days in [start, end) (all when `whole`)."""
        d = self.columns[setting]
        if whole:
            return d
        keep = (d["day"] >= start) & (d["day"] < end)
        return {c: v[keep] for c, v in d.items()}


@dataclass(frozen=True)
class StayArrays:
    """The columns of one replication's stays that the measures read.

    Built from the engine's records (:meth:`from_records`) while a run is measured, or
    from a stays table afterwards (:meth:`from_table`), so a measure has one definition
    whichever it is computed from.
    """

    setting: npt.NDArray[np.integer[Any]]
    requested: npt.NDArray[np.float64]
    arrive: npt.NDArray[np.float64]
    ready: npt.NDArray[np.float64]
    leave: npt.NDArray[np.float64]
    at_start: npt.NDArray[np.bool_]
    next: npt.NDArray[np.integer[Any]]
    from_care_home: npt.NDArray[np.bool_]

    _views: dict[int, _SettingStays] = field(default_factory=dict, compare=False, repr=False)
    _rows: list[npt.NDArray[np.intp]] = field(default_factory=list, compare=False, repr=False)

    def view(self, s: int) -> _SettingStays:
        """The stays of setting code `s` (in their order), with their intervals (cached)."""
        if s not in self._views:
            if not self._rows:  # each setting's rows, from one stable sort by setting
                order = np.argsort(self.setting, kind="stable")
                cuts = np.searchsorted(self.setting[order], np.arange(len(SETTINGS) + 1))
                self._rows.extend(order[a:b] for a, b in pairwise(cuts))
            m = self._rows[s]
            arrive, ready, leave = self.arrive[m], self.ready[m], self.leave[m]
            inside = np.isfinite(arrive)
            has_ready = np.isfinite(ready)
            self._views[s] = _SettingStays(
                arrive=arrive,
                leave=leave,
                requested=self.requested[m],
                at_start=self.at_start[m],
                next=self.next[m],
                from_care_home=self.from_care_home[m],
                inside=inside,
                occupied=Intervals.of(arrive[inside], leave[inside]),
                delayed=Intervals.of(ready[has_ready], leave[has_ready]),
            )
        return self._views[s]

    @classmethod
    def from_records(cls, episodes: Episodes | None, records: StayRecords) -> StayArrays:
        """The arrays of a replication's stay records (without `episodes`, nobody counts as
        living in a care home: enough for the daily table)."""
        return cls(
            setting=records.setting,
            requested=records.requested,
            arrive=records.arrive,
            ready=records.ready,
            leave=records.leave,
            at_start=records.at_start,
            next=records.next,
            from_care_home=(
                episodes.residence[records.episode] == _CARE_HOME_RESIDENCE
                if episodes is not None
                else np.zeros(records.size, dtype=bool)
            ),
        )

    @classmethod
    def from_table(cls, stays: pd.DataFrame) -> StayArrays:
        """The arrays of one replication's rows of a stays table (:func:`stays_table`)."""

        def codes(column: str, labels: Sequence[str]) -> npt.NDArray[np.int64]:
            values = pd.Categorical(stays[column].astype("object"), categories=list(labels))
            return np.asarray(values.codes, dtype=np.int64)

        return cls(
            setting=codes("setting", SETTINGS),
            requested=stays["requested"].to_numpy(dtype=float),
            arrive=stays["arrive"].to_numpy(dtype=float),
            ready=stays["ready"].to_numpy(dtype=float),
            leave=stays["leave"].to_numpy(dtype=float),
            at_start=stays["at_start"].to_numpy(dtype=bool),
            next=codes("next", DESTINATIONS),
            from_care_home=(stays["residence"].astype("object") == "care_home").to_numpy(bool),
        )


def daily_table(
    plan: Plan, records: StayRecords, replication: int, stays: StayArrays | None = None
) -> pd.DataFrame:
    """Daily series of each setting over the reporting window (from `stays`, the records'
    :class:`StayArrays`, when the caller has them: their sorted intervals are shared).

    ``census`` counts people holding a place at the midnight that ends the day (the NHS
    midnight census); ``occupied_mean`` is the mean number over the day (its sum is the bed
    days); ``waiting`` counts people waiting for the setting at that midnight; ``capacity``
    is the capacity in force on the day; ``admissions`` counts people who took a place that
    day; ``ready_not_discharged`` counts people still in a place at that midnight after
    their discharge-ready time (no criteria to reside), and ``ready_days`` is the time
    they spent so during the day (its sum is the delayed bed days).

    A run with operations (docs/model.md, "Operations") adds ``extra_capacity`` (places
    the escalation plan added, averaged over the day, and part of ``capacity``),
    ``escalation_level`` (the highest level held after the day's check, 0 for none),
    ``escalation_held`` (bit k set when level k + 1 held), ``escalation_cost`` (the day's
    cost of levels and added places, for the whole place), ``electives_cancelled`` (of
    them ``electives_cancelled_no_bed`` for want of a bed, the rest by an escalation level)
    and ``electives_admitted`` (acute rows; admissions include the electives) and
    ``staff_needed`` and ``staff_available`` (staffed settings; NaN elsewhere).
    """
    horizon = plan.horizon_days
    days = np.arange(horizon, dtype=float)
    midnight = days + 1.0
    if stays is None:
        stays = StayArrays.from_records(None, records)
    frames = []
    for s, name in enumerate(SETTINGS):
        if not plan.defined[s]:
            continue
        v = stays.view(s)  # each setting's intervals sorted once, for these and the measures
        arrive = v.arrive
        came = v.inside & ~v.at_start & (arrive >= 0.0) & (arrive < horizon)
        frames.append(
            pd.DataFrame(
                {
                    "replication": replication,
                    "day": days.astype(np.int64),
                    "setting": name,
                    "census": v.occupied.count_at(midnight),
                    "occupied_mean": v.occupied.per_day(horizon),
                    "waiting": Intervals.of(v.requested, arrive).count_at(midnight),
                    "capacity": plan.capacity_by_day(name, days),
                    "admissions": np.bincount(
                        np.floor(arrive[came]).astype(np.int64), minlength=horizon
                    ),
                    "ready_not_discharged": v.delayed.count_at(midnight),
                    "ready_days": v.delayed.per_day(horizon),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    if records.operations is not None:
        _add_operations(out, plan, records)
    out.insert(1, "date", pd.Timestamp(plan.start_date) + pd.to_timedelta(out["day"], "D"))
    out["setting"] = pd.Categorical(out["setting"], categories=list(SETTINGS))
    return out


OPERATIONS_COLUMNS: tuple[str, ...] = (
    "extra_capacity",
    "escalation_level",
    "escalation_held",
    "escalation_cost",
    "electives_cancelled",
    "electives_cancelled_no_bed",
    "electives_admitted",
    "staff_needed",
    "staff_available",
)
"""Daily columns of a run with operations (docs/model.md, "Operations")."""


def _step_integral(
    times: npt.NDArray[np.float64], values: npt.NDArray[np.float64], edges: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The integral up to each of `edges` of a step function that is 0 until ``times[0]``
    and ``values[j]`` from ``times[j]`` on (times sorted)."""
    ends = np.append(times[1:], np.inf)
    spans = np.clip(edges[:, None] - times[None, :], 0.0, (ends - times)[None, :])
    return np.asarray(spans @ values, dtype=float)


def _add_operations(out: pd.DataFrame, plan: Plan, records: StayRecords) -> None:
    """The daily columns of escalation, electives and staff (rows: setting-major, as
    :func:`daily_table` builds them), in place."""
    ops = plan.operations
    log = records.operations
    assert log is not None
    horizon = plan.horizon_days
    edges = np.arange(horizon + 1, dtype=float)
    sim = np.arange(horizon) + plan.warmup_days  # the reporting days' simulated indices
    shown = [s for s in range(len(SETTINGS)) if plan.defined[s]]
    extra = {
        s: np.diff(
            _step_integral(
                log.change_time[log.change_setting == s],
                log.change_extra[log.change_setting == s],
                edges,
            )
        )
        for s in shown
    }
    if ops.levels:
        on = log.level_on[sim]
        level = (on * np.arange(1, len(ops.levels) + 1)[None, :]).max(axis=1)
        held = on.astype(np.int64) @ (1 << np.arange(len(ops.levels), dtype=np.int64))
        cost = on.astype(float) @ ops.cost_per_day
    else:
        level = held = np.zeros(horizon, dtype=np.int64)
        cost = np.zeros(horizon)
    for s in shown:
        cost = cost + extra[s] * ops.place_day_cost[s]

    def per_day(times: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        times = times[(times >= 0.0) & (times < horizon)]
        return np.bincount(np.floor(times).astype(np.int64), minlength=horizon)

    cancelled = per_day(log.cancelled_time)
    no_bed = per_day(log.cancelled_time[log.cancelled_reason == 1])
    elective = (records.source == _ELECTIVE) & (records.setting == ACUTE)
    admitted = per_day(records.arrive[elective])  # NaN (still waiting) falls out
    columns: dict[str, list[npt.NDArray[Any]]] = {c: [] for c in OPERATIONS_COLUMNS}
    for s in shown:
        columns["extra_capacity"].append(extra[s])
        columns["escalation_level"].append(level)
        columns["escalation_held"].append(held)
        columns["escalation_cost"].append(cost)
        columns["electives_cancelled"].append(
            cancelled if s == ACUTE else np.zeros(horizon, dtype=np.int64)
        )
        columns["electives_cancelled_no_bed"].append(
            no_bed if s == ACUTE else np.zeros(horizon, dtype=np.int64)
        )
        columns["electives_admitted"].append(
            admitted if s == ACUTE else np.zeros(horizon, dtype=np.int64)
        )
        staffed = bool(ops.staffed[s])
        columns["staff_needed"].append(
            log.staff_needed[s, sim] if staffed else np.full(horizon, np.nan)
        )
        columns["staff_available"].append(
            log.staff_available[s, sim] if staffed else np.full(horizon, np.nan)
        )
    for name, parts in columns.items():
        out[name] = np.concatenate(parts)
    out["capacity"] = out["capacity"] + out["extra_capacity"]


def _operations_measures(
    plan: Plan, name: str, d: dict[str, Any], place: bool
) -> list[tuple[str, str, float]]:
    """Measures of escalation, electives and staff of setting `name` over a window's days
    `d` (and, with `place`, the measures of the whole place)."""
    ops = plan.operations
    s = SETTINGS.index(name)
    rows: list[tuple[str, str, float]] = []
    if "extra_capacity" not in d:
        return rows
    if ops.levels and ops.add_capacity[:, s].any():
        extra = d["extra_capacity"].astype(float)
        rows += [
            ("extra_capacity", name, float(extra.mean())),
            ("extra_place_days", name, float(extra.sum())),
        ]
    if s == ACUTE and ops.electives:
        rows.append(("electives_admitted", name, float(d["electives_admitted"].sum())))
        rows.append(("electives_cancelled", name, float(d["electives_cancelled"].sum())))
        rows.append(
            ("electives_cancelled_no_bed", name, float(d["electives_cancelled_no_bed"].sum()))
        )
    if ops.staffed[s]:
        unit = ops.staff_unit[s]
        needed = d["staff_needed"].astype(float)
        available = d["staff_available"].astype(float)
        short = np.maximum(needed - available, 0.0)
        rows += [
            (f"{unit}_needed", name, float(needed.mean())),
            (f"{unit}_available", name, float(available.mean())),
            (f"{unit}_used", name, float(np.minimum(needed, available).mean())),
            (f"{unit}_short", name, float(short.mean())),
            ("shortfall_days", name, float((short > 1e-9).sum())),
        ]
        hours = needed if unit == "hours" else needed * ops.visit_hours[s]
        if bool(np.all(np.isfinite(hours))):
            rows.append(
                ("wte_needed", name, float(hours.mean()) * 7.0 / float(ops.wte_hours_per_week[s]))
            )
    if place and ops.levels:
        held = d["escalation_held"].astype(np.int64)
        rows.append(("days_escalated", PLACE, float((held > 0).sum())))
        rows += [
            (f"{LEVEL_DAYS}{k + 1}", PLACE, float(((held >> k) & 1).sum()))
            for k in range(len(ops.levels))
        ]
        if ops.cost_per_day.any() or ops.place_day_cost.any():
            rows.append(("escalation_cost", PLACE, float(d["escalation_cost"].sum())))
    return rows


def replication_measures(
    plan: Plan,
    episodes: Episodes | None,
    records: StayRecords,
    daily: pd.DataFrame,
    replication: int,
    stays: StayArrays | None = None,
) -> pd.DataFrame:
    """Every measure of one replication: columns replication, measure, setting, value
    (`stays`: the records' :class:`StayArrays`, when the caller has them; `episodes` are
    needed only without them)."""
    if stays is None:
        if episodes is None:
            raise ValueError("replication_measures needs the episodes or their StayArrays")
        stays = StayArrays.from_records(episodes, records)
    rows = window_measures(plan, stays, daily, (0.0, plan.end_time))
    out = pd.DataFrame(rows, columns=["measure", "setting", "value"])
    out.insert(0, "replication", replication)
    return out


def window_measures(
    plan: Plan,
    stays: StayArrays | None,
    daily: pd.DataFrame | DailyArrays,
    window: tuple[float, float],
) -> list[tuple[str, str, float]]:
    """Every measure of one replication over `window` [start, end) in days from start_date.

    The definitions of docs/model.md, on any window inside the reporting window: counts
    are of stays that begin (admissions) or end (lengths of stay) inside it, bed days and
    delayed bed days are the time inside it, and the daily measures (occupancy, waiting,
    capacity and its gap) are over its days. `daily` is the replication's daily table (or
    its :class:`DailyArrays`). Without the stays (a run that kept none), the measures that
    need them (lengths of stay, waits, admissions from care homes, avoided admissions) are
    left out, and admissions are summed from the daily table. Bed days and delayed bed
    days are always the daily table's days summed, so the two never differ.
    """
    start, end = window
    whole = not (start > 0.0 or end < plan.end_time)
    days = daily if isinstance(daily, DailyArrays) else DailyArrays.from_table(daily)
    opts = plan.measure_options
    rows: list[tuple[str, str, float]] = []
    for s, name in enumerate(SETTINGS):
        if not plan.defined[s]:
            continue
        d = days.window(name, start, end, whole)
        census = d["census"].astype(float)
        occupied = d["occupied_mean"].astype(float)
        capacity = d["capacity"].astype(float)
        demand = census + d["waiting"].astype(float)
        bed_days = float(occupied.sum())  # each day's time, as the daily table bins it
        delayed = float(d["ready_days"].sum())
        if stays is None:
            rows.append(("admissions", name, float(d["admissions"].sum())))
            rows.append(("bed_days", name, bed_days))
            rows.append(("delayed_bed_days", name, delayed))
        else:
            v = stays.view(s)
            arrive, leave = v.arrive, v.leave
            came = v.inside & ~v.at_start & (arrive >= start) & (arrive < end)
            ended = np.isfinite(leave) & (leave >= start) & (leave < end)
            ended_fresh = ended & ~v.at_start
            los = (leave - arrive)[ended_fresh]
            waited = (arrive - v.requested)[came]
            rows += [
                ("admissions", name, float(came.sum())),
                ("admissions_from_care_homes", name, float((came & v.from_care_home).sum())),
                ("bed_days", name, bed_days),
                ("los_mean", name, float(los.mean()) if los.size else np.nan),
                ("los_median", name, float(np.median(los)) if los.size else np.nan),
                ("los_p90", name, float(np.quantile(los, 0.9)) if los.size else np.nan),
                ("delayed_bed_days", name, delayed),
                ("wait_mean", name, float(waited.mean()) if waited.size else np.nan),
            ]
        target = opts.target(name)
        rows += [
            ("occupancy_mean", name, float(occupied.mean())),
            ("occupancy_p95", name, float(np.quantile(census, 0.95))),
            ("waiting_mean", name, float(d["waiting"].mean())),
            ("capacity_needed", name, float(np.quantile(demand / target, opts.share_of_days))),
        ]
        if bool(np.all(np.isfinite(capacity))):
            mean_cap = float(capacity.mean())
            rows += [
                ("capacity", name, mean_cap),
                (
                    "occupancy_rate",
                    name,
                    float(occupied.mean()) / mean_cap if mean_cap > 0 else np.nan,
                ),
                (
                    "capacity_gap",
                    name,
                    float(np.quantile(demand / target - capacity, opts.share_of_days)),
                ),
            ]
        if s == ACUTE:
            rows.append(("dtoc_rate", name, delayed / bed_days if bed_days > 0 else np.nan))
        if s in (RAPID_RESPONSE, VIRTUAL_WARD) and stays is not None:
            v = stays.view(s)
            came = v.inside & ~v.at_start & (v.arrive >= start) & (v.arrive < end)
            avoided = came & np.isfinite(v.leave) & (v.next != ACUTE)
            rows.append(("avoided_admissions", name, float(avoided.sum())))
        if plan.operations.active:
            first_shown = not any(plan.defined[:s])
            rows += _operations_measures(plan, name, d, place=first_shown)
    return rows


def group_labels(stays: pd.DataFrame, by: str | None) -> list[str]:
    """The groups of column `by` of a stays table, in its category order (every category).

    Raises
    ------
    PlacesimError
        If `by` is not None, ``"locality"`` or ``"partnership"``.
    """
    if by is None:
        return []
    if by not in GROUPINGS:
        raise PlacesimError(
            f"by: {by!r} is not allowed: must be None, {' or '.join(map(repr, GROUPINGS))}"
        )
    column = stays[by]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    return sorted(str(c) for c in column.dropna().unique())


def group_measures(
    plan: Plan,
    stays: pd.DataFrame,
    by: str | None = None,
    replications: Iterable[int] | None = None,
    window: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """The measures of people (:data:`GROUP_MEASURES`) per replication, setting and group.

    Computed from the stays table with the definitions of :func:`replication_measures`, so
    that admissions, bed days and delayed bed days summed over the localities (or the
    partnerships) of a replication are the place's. A person belongs to the locality of
    their episode; referral streams carry their own ``locality`` label (default
    ``external``), which is also their partnership. Every group, setting and replication
    gets a row: counts and bed days are 0 where nobody came, lengths of stay and waits NaN.

    Parameters
    ----------
    plan
        The compiled scenario that was run (its horizon and settings).
    stays
        The stays table (:func:`stays_table`), one or many replications.
    by
        ``"locality"``, ``"partnership"``, or None for the whole place.
    replications
        The replications to report; default those in `stays`.
    window
        [start, end) in days from start_date (default the reporting window), with the
        definitions of :func:`window_measures`.

    Returns
    -------
    pandas.DataFrame
        Columns replication, measure, setting, `by` (when given), value.
    """
    labels = group_labels(stays, by)
    start, end = (0.0, plan.end_time) if window is None else window
    settings = plan.defined_settings()
    reps = (
        sorted(int(r) for r in stays["replication"].unique())
        if replications is None
        else [int(r) for r in replications]
    )

    arrive = stays["arrive"].to_numpy(dtype=float)
    ready = stays["ready"].to_numpy(dtype=float)
    leave = stays["leave"].to_numpy(dtype=float)
    requested = stays["requested"].to_numpy(dtype=float)
    at_start = stays["at_start"].to_numpy(dtype=bool)
    inside = np.isfinite(arrive)
    finished = np.isfinite(leave)
    came = inside & ~at_start & (arrive >= start) & (arrive < end)
    ended_fresh = finished & (leave >= start) & (leave < end) & ~at_start
    # An unfinished stay runs on past the window: clip its end at the window's.
    until = np.minimum(np.where(finished, leave, np.inf), end)
    bed_days = np.where(inside, np.clip(until - np.maximum(arrive, start), 0.0, None), 0.0)
    has_ready = np.isfinite(ready)
    delayed = np.where(has_ready, np.clip(until - np.maximum(ready, start), 0.0, None), 0.0)
    from_care_home = (stays["residence"] == "care_home").to_numpy(dtype=bool)
    to_acute = (stays["next"] == "acute").to_numpy(dtype=bool)

    keys = ["replication", "setting"] + ([by] if by is not None else [])
    frame = pd.DataFrame(
        {
            "replication": stays["replication"].to_numpy(dtype=np.int64),
            "setting": stays["setting"].astype(str).to_numpy(),
            **({by: stays[by].astype(str).to_numpy()} if by is not None else {}),
            "admissions": came.astype(float),
            "admissions_from_care_homes": (came & from_care_home).astype(float),
            "avoided_admissions": (came & finished & ~to_acute).astype(float),
            "bed_days": bed_days,
            "delayed_bed_days": delayed,
            "los": np.where(ended_fresh, leave - arrive, np.nan),
            "wait": np.where(came, arrive - requested, np.nan),
        }
    )
    levels: list[list[Any]] = [list(reps), list(settings)]
    if by is not None:
        levels.append(labels)
    full = pd.MultiIndex.from_product(levels, names=keys)
    grouped = frame.groupby(keys, sort=False)
    totals = ["admissions", "admissions_from_care_homes", "avoided_admissions"]
    totals += ["bed_days", "delayed_bed_days"]
    wide = grouped[totals].sum().reindex(full, fill_value=0.0)
    los = frame.dropna(subset=["los"]).groupby(keys, sort=False)["los"]
    wide["los_mean"] = los.mean().reindex(full)
    wide["los_median"] = los.median().reindex(full)
    wide["los_p90"] = los.quantile(0.9).reindex(full)
    wide["wait_mean"] = frame.dropna(subset=["wait"]).groupby(keys)["wait"].mean().reindex(full)

    out = (
        wide[list(GROUP_MEASURES)]
        .reset_index()
        .melt(id_vars=keys, var_name="measure", value_name="value")
    )
    keep = (out["measure"] != "avoided_admissions") | out["setting"].isin(
        [SETTINGS[RAPID_RESPONSE], SETTINGS[VIRTUAL_WARD]]
    )
    # Rows in the order of replication_measures: by setting, then measure, then group.
    order: dict[str, Any] = {
        "setting": pd.Categorical(out["setting"], categories=settings),
        "measure": pd.Categorical(out["measure"], categories=list(GROUP_MEASURES)),
    }
    if by is not None:
        out[by] = pd.Categorical(out[by], categories=labels)
        order[by] = out[by]
    rank = pd.DataFrame({"replication": out["replication"], **order})
    rows = rank[keep].sort_values(list(rank.columns), kind="stable").index
    columns = ["replication", "measure", "setting"] + ([by] if by is not None else [])
    return out.loc[rows, [*columns, "value"]].reset_index(drop=True)


def _categorical(codes: npt.NDArray[np.integer[Any]], labels: Sequence[str]) -> pd.Categorical[Any]:
    """A categorical column from integer codes (-1 = missing)."""
    return pd.Categorical.from_codes(
        codes.astype(np.int64), dtype=pd.CategoricalDtype(list(labels))
    )


def stays_table(
    plan: Plan, episodes: Episodes, records: StayRecords, replication: int
) -> pd.DataFrame:
    """One row per stay with the person's segment and the stay's times: days from the
    start_date, and the same as calendar date-times (``*_at``; NaT where not reached)."""
    e = records.episode
    loc = episodes.locality[e]
    partnership_codes = np.array(
        [sorted(set(episodes.partnerships)).index(p) for p in episodes.partnerships],
        dtype=np.int64,
    )
    return pd.DataFrame(
        {
            "replication": replication,
            "episode": e,
            "locality": _categorical(loc, episodes.localities),
            "partnership": _categorical(partnership_codes[loc], sorted(set(episodes.partnerships))),
            "age_band": _categorical(episodes.age_band[e], episodes.age_bands),
            "residence": _categorical(episodes.residence[e], RESIDENCES),
            "source": _categorical(records.source, SOURCES),
            "setting": _categorical(records.setting, SETTINGS),
            "requested": records.requested,
            "arrive": records.arrive,
            "ready": records.ready,
            "leave": records.leave,
            "waited": records.arrive - records.requested,
            "delayed": records.leave - records.ready,
            "next": _categorical(records.next, DESTINATIONS),
            "overflow": records.overflow,
            "at_start": records.at_start,
            **{
                f"{name}_at": _calendar(plan, getattr(records, name))
                for name in ("requested", "arrive", "ready", "leave")
            },
        }
    )


def _calendar(plan: Plan, days: npt.NDArray[np.float64]) -> npt.NDArray[np.datetime64]:
    """Days from start_date as date-times to the second (NaT for NaN)."""
    seconds = np.round(days * 86_400.0)
    at = np.datetime64(plan.start_date, "s") + np.where(np.isfinite(seconds), seconds, 0).astype(
        "timedelta64[s]"
    )
    return np.where(np.isfinite(days), at, np.datetime64("NaT", "s"))


def summarise(
    measures: pd.DataFrame, confidence: float = 0.95, by: str | None = None
) -> pd.DataFrame:
    """Mean and Student-t confidence interval of each measure over replications.

    The interval is mean +/- t_{n-1} s / sqrt(n) (Law, Simulation Modeling and Analysis,
    section 9.4.1); with one replication it is NaN. Replications where a measure is NaN
    (no stay ended, say) are left out of that measure.

    Parameters
    ----------
    measures
        Columns replication, measure, setting, value (and `by`), as from
        :func:`replication_measures` or :func:`group_measures`.
    confidence
        Confidence level of the interval.
    by
        A group column of `measures` (``"locality"``, ``"partnership"``) to summarise
        within, or None.

    Returns
    -------
    pandas.DataFrame
        Columns measure, setting, `by` (when given), unit, mean, ci_low, ci_high (the
        interval, cut at zero for a measure that cannot be negative: the t interval's
        symmetry is an approximation that a skewed count over few replications can push
        below a bound the measure itself never crosses), median, p05, p95 (the 5th and 95th
        percentiles across replications: the tail a planner should see beside the mean),
        replications.
    """
    keys = ["measure", "setting"] + ([by] if by is not None else [])
    out = []
    for key, g in measures.groupby(keys, sort=False, observed=True):
        measure, setting = str(key[0]), str(key[1])
        mean, low, high, n = t_interval(g["value"], confidence)
        if measure not in CAN_BE_NEGATIVE and low < 0.0:
            low = 0.0
        p05, median, p95 = spread(g["value"])
        unit = measure_unit(measure, setting)
        out.append((*key, unit, mean, low, high, median, p05, p95, n))
    columns = ["unit", "mean", "ci_low", "ci_high", "median", "p05", "p95", "replications"]
    return pd.DataFrame(out, columns=[*keys, *columns])
