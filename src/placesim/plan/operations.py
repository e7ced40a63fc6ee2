"""Operations compiled: escalation levels, elective schedules, workforces and discharge
windows as the flat arrays both engines read (docs/model.md, "Operations").

Day index k covers [k - warmup_days, k + 1 - warmup_days), as in :class:`Policy`; locality
codes are the policy's. A scenario with none of these parts compiles to
:data:`Operations.active` False, and the engines then run exactly as before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from placesim.plan.policy import Policy, lever_strength, lever_targets
from placesim.scenario import SETTINGS, Distribution, Scenario
from placesim.scenario.levers import (
    DischargeWindowChange,
    EscalationLevelChange,
    StaffLever,
)
from placesim.scenario.operations import (
    WINDOW_DESTINATIONS,
    EscalationLevel,
    Workforce,
    clock_hours,
    window_days,
)

__all__ = [
    "ELECTIVE_GROUP",
    "NOT_TAKEN",
    "TRIGGER_MEASURES",
    "ElectiveGroup",
    "Operations",
    "added_places",
    "compile_operations",
    "day_workforce",
    "escalation_step",
    "in_service_at_start",
    "level_effects",
    "next_window_open",
    "staff_need",
    "watched_value",
]

ELECTIVE_GROUP = 4_000_000
"""Group key of the first elective stream (docs/decisions.md, "Seed keys")."""
TRIGGER_MEASURES: tuple[str, ...] = ("occupancy_rate", "census", "waiting")
"""Codes of a trigger's measure, in this order."""
_N = len(SETTINGS)
NOT_TAKEN = -(1 << 50)
"""The first day of a stay whose place is granted but not yet taken (a discharge window)."""
_NEVER = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class ElectiveGroup:
    """One elective stream: how many are admitted each simulated day, when, and their stay.

    Attributes
    ----------
    key
        The group part of the seed key, ``ELECTIVE_GROUP + k``.
    name
        The stream's name.
    locality, age_band
        Codes into ``Plan.localities`` and ``Plan.age_bands``.
    per_day
        Admissions scheduled on each simulated day (warm-up included).
    admit_at
        Time of day of the admissions, as a fraction of a day.
    los
        The length-of-stay distribution of their acute stay.
    cancel_when_full
        Whether finding no free bed cancels the operation (else it queues).
    """

    key: int
    name: str
    locality: int
    age_band: int
    per_day: npt.NDArray[np.int64]
    admit_at: float
    los: Distribution
    cancel_when_full: bool


@dataclass(frozen=True)
class Operations:
    """The scenario's operations as arrays (every array is empty-shaped when unused).

    Attributes
    ----------
    active
        Whether the scenario has any of escalation, electives, staff or windows.
    windowed
        Per window destination (``WINDOW_DESTINATIONS``): whether any window applies.
    window_open, window_close
        [destination, day, locality]: the window's opening and closing time as fractions of
        the day; open >= close means closed all day.
    staffed
        Per setting: whether its admissions need staff time.
    staff_per_day
        [setting, day]: the workforce (visits or hours a day) before escalation.
    first_need, last_need
        Per setting: the need on the first and last day of a stay, in the workforce's unit.
    staff_unit, visit_hours, wte_hours_per_week
        Per setting: the workforce's unit ("" where none), a visit's hours (NaN where not
        given) and the hours of a whole-time equivalent.
    levels
        The escalation levels' names, lowest first (empty: no plan).
    check_at
        Time of the daily check, as a fraction of the day.
    trigger_setting, trigger_measure, trigger_at_least, trigger_days
        Per level: what it watches (``TRIGGER_MEASURES`` code), the threshold and the
        consecutive checks needed.
    down_below, down_days
        Per level: the step-down threshold and consecutive checks.
    add_capacity, add_staff
        [level, setting]: places and staff time added while the level holds.
    open_after
        Per level: days from the trigger until its places open.
    assessment_factor, cancel_electives, cost_per_day
        Per level: the multiplier on assessment days, the share of electives cancelled and
        the cost of a day at the level.
    max_days
        Per level: most days a financial year it may hold (a very large number: no limit).
    level_first_day, level_last_day
        Per level: the day indices within which it may hold.
    year
        Per day index: its financial year (April to March), counted from 0.
    max_extra
        Per setting: most places the levels together may add (inf: no limit).
    place_day_cost
        Per setting: the cost of one added place for a day.
    electives
        The elective streams.
    """

    active: bool
    windowed: npt.NDArray[np.bool_]
    window_open: npt.NDArray[np.float64]
    window_close: npt.NDArray[np.float64]
    staffed: npt.NDArray[np.bool_]
    staff_per_day: npt.NDArray[np.float64]
    first_need: npt.NDArray[np.float64]
    last_need: npt.NDArray[np.float64]
    staff_unit: tuple[str, ...]
    visit_hours: npt.NDArray[np.float64]
    wte_hours_per_week: npt.NDArray[np.float64]
    levels: tuple[str, ...]
    check_at: float
    trigger_setting: npt.NDArray[np.int64]
    trigger_measure: npt.NDArray[np.int64]
    trigger_at_least: npt.NDArray[np.float64]
    trigger_days: npt.NDArray[np.int64]
    down_below: npt.NDArray[np.float64]
    down_days: npt.NDArray[np.int64]
    add_capacity: npt.NDArray[np.float64]
    add_staff: npt.NDArray[np.float64]
    open_after: npt.NDArray[np.float64]
    assessment_factor: npt.NDArray[np.float64]
    cancel_electives: npt.NDArray[np.float64]
    cost_per_day: npt.NDArray[np.float64]
    max_days: npt.NDArray[np.int64]
    level_first_day: npt.NDArray[np.int64]
    level_last_day: npt.NDArray[np.int64]
    year: npt.NDArray[np.int64]
    max_extra: npt.NDArray[np.float64]
    place_day_cost: npt.NDArray[np.float64]
    electives: tuple[ElectiveGroup, ...]

    def need_unit(self, setting: str) -> str:
        """The unit of staff time of `setting`: ``visits`` or ``hours``."""
        return self.staff_unit[SETTINGS.index(setting)]


def compile_operations(scenario: Scenario, policy: Policy) -> Operations:
    """Compile the scenario's escalation, electives, staff and windows (see
    :class:`Operations`), on the policy's days and localities."""
    cal = scenario.calendar
    days = np.arange(-cal.warmup_days, cal.horizon_days, dtype=float)
    dates = np.datetime64(cal.start_date, "D") + days.astype(np.int64)
    weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    n_days = days.size

    localities, partnerships = list(policy.localities), list(policy.partnerships)
    electives = _electives(scenario, localities, days, weekday)
    n_loc = len(localities)

    # Discharge windows: open all day unless the scenario or a lever says otherwise.
    n_w = len(WINDOW_DESTINATIONS)
    opens = np.zeros((n_w, n_days, n_loc))
    closes = np.ones((n_w, n_days, n_loc))
    windowed = np.zeros(n_w, dtype=bool)
    for destination, window in scenario.discharge_windows.items():
        w = WINDOW_DESTINATIONS.index(destination)
        windowed[w] = True
        _set_window(opens[w], closes[w], window.days, window.open_close(), weekday, None)
    for lever in scenario.interventions:
        if isinstance(lever, DischargeWindowChange):
            acting = lever_strength(lever, days, cal.start_date) > 0.0
            where = lever_targets(lever, localities, partnerships)
            cell = acting[:, None] & where[None, :]
            for destination in lever.destinations:
                w = WINDOW_DESTINATIONS.index(destination)
                windowed[w] = True
                window = lever.window
                _set_window(opens[w], closes[w], window.days, window.open_close(), weekday, cell)

    # Workforces.
    staffed = np.zeros(_N, dtype=bool)
    per_day = np.zeros((_N, n_days))
    first = np.zeros(_N)
    last = np.zeros(_N)
    units = [""] * _N
    visit_hours = np.full(_N, np.nan)
    wte = np.full(_N, np.nan)
    for service, workforce in scenario.staff.items():
        s = SETTINGS.index(service)
        staffed[s] = True
        per_day[s] = _workforce(workforce, cal.start_date, dates, weekday)
        scale = workforce.visit_hours if workforce.unit == "hours" else 1.0
        assert scale is not None
        first[s] = workforce.first_day_visits * scale
        last[s] = workforce.last_day_visits * scale
        units[s] = workforce.unit
        visit_hours[s] = workforce.visit_hours if workforce.visit_hours is not None else np.nan
        wte[s] = workforce.wte_hours_per_week
    change = np.zeros((_N, n_days))
    for lever in scenario.interventions:
        if isinstance(lever, StaffLever):
            change[SETTINGS.index(lever.setting)] += lever.change * lever_strength(
                lever, days, cal.start_date
            )
    per_day = np.maximum(per_day + change, 0.0)  # the levers' total, cut at zero once

    # Escalation levels: the plan's, then those levers add (with their dates).
    dated: list[tuple[EscalationLevel, dt.date | None, dt.date | None]] = []
    plan = scenario.escalation
    if plan is not None:
        dated += [(level, level.start, level.end) for level in plan.levels]
    for lever in scenario.interventions:
        if isinstance(lever, EscalationLevelChange):
            first_date = max(d for d in (lever.start, lever.level.start) if d is not None)
            ends = [d for d in (lever.end, lever.level.end) if d is not None]
            dated.append((lever.level, first_date, min(ends) if ends else None))
    n_lv = len(dated)
    add_capacity = np.zeros((n_lv, _N))
    add_staff = np.zeros((n_lv, _N))
    for k, (level, _, _) in enumerate(dated):
        for name, places in level.add_capacity.items():
            add_capacity[k, SETTINGS.index(name)] = places
        for staffed_name, amount in level.add_staff.items():
            add_staff[k, SETTINGS.index(staffed_name)] = amount
    first_index = -cal.warmup_days

    def day_index(date: dt.date | None, default: int) -> int:
        return default if date is None else (date - cal.start_date).days - first_index

    max_extra = np.full(_N, np.inf)
    place_cost = np.zeros(_N)
    if plan is not None:
        for setting, places in plan.max_extra_capacity.items():
            max_extra[SETTINGS.index(setting)] = places
        for setting, cost in plan.place_day_cost.items():
            place_cost[SETTINGS.index(setting)] = cost
    fy = dates.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    year = (fy - 3) // 12  # April starts a financial year
    return Operations(
        active=bool(dated or electives or scenario.staff or windowed.any() or scenario.escalation),
        windowed=windowed,
        window_open=opens,
        window_close=closes,
        staffed=staffed,
        staff_per_day=per_day,
        first_need=first,
        last_need=last,
        staff_unit=tuple(units),
        visit_hours=visit_hours,
        wte_hours_per_week=wte,
        levels=tuple(level.name for level, _, _ in dated),
        check_at=clock_hours(plan.check_time) / 24.0 if plan is not None else 0.0,
        trigger_setting=np.array(
            [SETTINGS.index(lv.trigger.setting) for lv, _, _ in dated], dtype=np.int64
        ),
        trigger_measure=np.array(
            [TRIGGER_MEASURES.index(lv.trigger.measure) for lv, _, _ in dated], dtype=np.int64
        ),
        trigger_at_least=np.array([lv.trigger.at_least for lv, _, _ in dated], dtype=float),
        trigger_days=np.array([lv.trigger.for_days for lv, _, _ in dated], dtype=np.int64),
        down_below=np.array(
            [
                lv.step_down.below if lv.step_down.below is not None else lv.trigger.at_least
                for lv, _, _ in dated
            ],
            dtype=float,
        ),
        down_days=np.array([lv.step_down.for_days for lv, _, _ in dated], dtype=np.int64),
        add_capacity=add_capacity,
        add_staff=add_staff,
        open_after=np.array([lv.open_after_days for lv, _, _ in dated], dtype=float),
        assessment_factor=np.array([lv.assessment_days_factor for lv, _, _ in dated], dtype=float),
        cancel_electives=np.array([lv.cancel_electives for lv, _, _ in dated], dtype=float),
        cost_per_day=np.array([lv.cost_per_day for lv, _, _ in dated], dtype=float),
        max_days=np.array([lv.max_days_per_year or _NEVER for lv, _, _ in dated], dtype=np.int64),
        level_first_day=np.array([day_index(a, 0) for _, a, _ in dated], dtype=np.int64),
        level_last_day=np.array([day_index(b, n_days - 1) for _, _, b in dated], dtype=np.int64),
        year=year - year[0],
        max_extra=max_extra,
        place_day_cost=place_cost,
        electives=tuple(electives),
    )


def _set_window(
    opens: npt.NDArray[np.float64],
    closes: npt.NDArray[np.float64],
    days: str | list[str],
    hours: tuple[float, float],
    weekday: npt.NDArray[np.int64],
    cell: npt.NDArray[np.bool_] | None,
) -> None:
    """Write a window into [day, locality] arrays, where `cell` (all when None) is true."""
    open_day = np.asarray(window_days(days))[weekday]  # [day]
    o = np.where(open_day, hours[0], 1.0)[:, None] * np.ones(opens.shape[1])[None, :]
    c = np.where(open_day, hours[1], 0.0)[:, None] * np.ones(opens.shape[1])[None, :]
    if cell is None:
        opens[...], closes[...] = o, c
    else:
        opens[cell], closes[cell] = o[cell], c[cell]


def _per_weekday(
    value: float | list[float], weekday: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    if isinstance(value, list):
        return np.asarray(value, dtype=float)[weekday]
    return np.full(weekday.size, float(value))


def _workforce(
    workforce: Workforce,
    start_date: dt.date,
    dates: npt.NDArray[np.datetime64],
    weekday: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """The workforce of each simulated day, with its dated changes."""
    out = _per_weekday(workforce.per_day, weekday)
    for change in workforce.changes:
        after = dates >= np.datetime64(change.date, "D")
        out[after] = _per_weekday(change.per_day, weekday)[after]
    return out


def _electives(
    scenario: Scenario,
    localities: list[str],
    days: npt.NDArray[np.float64],
    weekday: npt.NDArray[np.int64],
) -> list[ElectiveGroup]:
    start = scenario.calendar.start_date
    age_bands = scenario.age_bands
    out = []
    for k, stream in enumerate(scenario.electives):
        per_day = np.asarray(stream.per_weekday, dtype=np.int64)[weekday]
        if stream.start is not None:
            per_day[days < (stream.start - start).days] = 0
        if stream.end is not None:
            per_day[days > (stream.end - start).days] = 0
        band = stream.age_band if stream.age_band is not None else age_bands[0]
        out.append(
            ElectiveGroup(
                key=ELECTIVE_GROUP + k,
                name=stream.name,
                locality=localities.index(stream.locality),
                age_band=age_bands.index(band),
                per_day=per_day,
                admit_at=clock_hours(stream.admit_time) / 24.0,
                los=stream.los,
                cancel_when_full=stream.when_full == "cancel",
            )
        )
    return out


def next_window_open(
    opens: npt.NDArray[np.float64],
    closes: npt.NDArray[np.float64],
    w: int,
    t: float,
    locality: int,
    first_day: int,
) -> float:
    """The first time at or after `t` inside destination `w`'s window for `locality`, or
    inf when it does not open again before the run ends (the person is still waiting then).

    Plain scalar code that numba compiles as it is, so both engines wait the same time.
    """
    n_days = opens.shape[1]
    day = int(np.floor(t))
    for k in range(max(day - first_day, 0), n_days):
        d = first_day + k
        o = opens[w, k, locality]
        c = closes[w, k, locality]
        if o < c and t < d + c:
            start = d + o
            return start if start > t else t
    return np.inf


def staff_need(day: int, first_day: int, days: int, first: float, last: float) -> float:
    """A person's need of staff time on simulated day index `day` of a stay taken on day
    index `first_day` and touching `days` calendar days (IPACS's taper, ref Q15): `first`
    on the first day, `last` on the last and after (while waiting to move on), linear in
    between; `first` while the place is granted but not yet taken (``NOT_TAKEN``)."""
    k = day - first_day
    if first_day == NOT_TAKEN or k <= 0:
        return first
    if k >= days - 1:
        return last
    return first + (last - first) * k / (days - 1)


def escalation_step(
    values: npt.NDArray[np.float64],
    day: int,
    on: npt.NDArray[np.bool_],
    up: npt.NDArray[np.int64],
    down: npt.NDArray[np.int64],
    used: npt.NDArray[np.int64],
    trigger_at_least: npt.NDArray[np.float64],
    trigger_days: npt.NDArray[np.int64],
    down_below: npt.NDArray[np.float64],
    down_days: npt.NDArray[np.int64],
    max_days: npt.NDArray[np.int64],
    level_first_day: npt.NDArray[np.int64],
    level_last_day: npt.NDArray[np.int64],
    year: npt.NDArray[np.int64],
    changed: npt.NDArray[np.int8],
) -> None:
    """One daily check of every level, given each level's watched measure `values`.

    Updates the levels' state in place (`on`, the consecutive counts `up` and `down`, and
    `used`: days held per [level, financial year]) and writes `changed`: 1 for a level
    that starts at this check, -1 for one that stops, 0 otherwise. A level starts on the
    check at which its trigger has held for ``trigger_days`` consecutive checks, and stops
    on the check at which its measure has been below ``down_below`` for ``down_days``
    consecutive checks, or when it leaves its dates or has held ``max_days`` days in the
    financial year. Plain scalar code that numba compiles as it is, so both engines decide
    alike.
    """
    fy = year[day]
    for k in range(values.size):
        allowed = level_first_day[k] <= day <= level_last_day[k] and used[k, fy] < max_days[k]
        changed[k] = 0
        if not on[k]:
            if allowed and values[k] >= trigger_at_least[k]:
                up[k] += 1
            else:
                up[k] = 0
            if up[k] >= trigger_days[k]:
                on[k] = True
                up[k] = 0
                down[k] = 0
                changed[k] = 1
        else:
            if values[k] < down_below[k]:
                down[k] += 1
            else:
                down[k] = 0
            if not allowed or down[k] >= down_days[k]:
                on[k] = False
                up[k] = 0
                down[k] = 0
                changed[k] = -1
        if on[k]:
            used[k, fy] += 1


def watched_value(measure: int, occupied: float, capacity: float, waiting: float) -> float:
    """A trigger's measure (``TRIGGER_MEASURES`` code) of a setting at the check."""
    if measure == 0:
        if capacity > 0.0:
            return occupied / capacity
        return np.inf if occupied > 0.0 else 0.0
    if measure == 1:
        return occupied
    return waiting


def in_service_at_start(start: float, remaining: float) -> tuple[int, int]:
    """The staff profile (first day index, calendar days) of someone already in service
    when the run starts, with `remaining` days to go: halfway through their stay (as long
    behind them as ahead, the equilibrium's expectation), so their need starts at the
    middle of the taper and reaches its last-day value on their last day (IPACS gives
    them the tail of a longer taper, ref Q15). Day indices count from the first
    simulated day, so the start is day 0."""
    ahead = int(np.floor(start + remaining)) - int(np.floor(start))
    return -(ahead + 1), 2 * ahead + 2


def level_effects(
    on: npt.NDArray[np.bool_],
    cancel_electives: npt.NDArray[np.float64],
    assessment_factor: npt.NDArray[np.float64],
) -> tuple[float, float]:
    """The holding levels' combined share of electives cancelled (1 - prod(1 - share)) and
    multiplier on assessment days (the product), for both engines alike."""
    kept = 1.0
    assess = 1.0
    for k in range(on.size):
        if on[k]:
            kept *= 1.0 - cancel_electives[k]
            assess *= assessment_factor[k]
    return 1.0 - kept, assess


def added_places(
    opened: npt.NDArray[np.bool_],
    add_capacity: npt.NDArray[np.float64],
    max_extra: npt.NDArray[np.float64],
    setting: int,
) -> float:
    """Places the opened levels add to `setting`, at most its ``max_extra``."""
    total = 0.0
    for k in range(opened.size):
        if opened[k]:
            total += add_capacity[k, setting]
    limit: float = max_extra[setting]
    return min(total, limit)


def day_workforce(
    staff_per_day: npt.NDArray[np.float64],
    on: npt.NDArray[np.bool_],
    add_staff: npt.NDArray[np.float64],
    setting: int,
    day: int,
) -> float:
    """The workforce of `setting` on day index `day`: its own, plus what holding levels add."""
    workforce: float = staff_per_day[setting, day]
    for k in range(on.size):
        if on[k]:
            workforce += add_staff[k, setting]
    return workforce
