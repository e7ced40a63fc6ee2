"""Discharge windows (issue 13): nobody leaves outside them, and the waiting they cause
is counted as delayed days, as a hand-worked week says.

A window applies to acute discharges home (P0; not deaths) and to moves into
intermediate care, reablement and a care home from another setting (not first entries):
a place granted outside the window is taken when it next opens, and the person keeps
their old place meanwhile (leave - ready are delayed days).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

import placesim
from builders import run_both
from placesim.engine import StayRecords
from placesim.plan import compile_plan
from placesim.plan.pathways import (
    ACUTE,
    CARE_HOME,
    DEATH,
    HOME,
    INTERMEDIATE_CARE,
    REABLEMENT,
    SOURCES,
)
from small_scenario import small_scenario

ELECTIVE = SOURCES.index("elective")
START = "2025-01-06"  # a Monday
HOUR = 1.0 / 24.0
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --------------------------------------------------------------------------- a hand-worked week

# Where each pathway leads, and the window that governs it.
PATHWAY = {
    "P0": ("home", HOME),
    "P1": ("reablement", REABLEMENT),
    "P2": ("intermediate_care", INTERMEDIATE_CARE),
    "P3": ("care_home", CARE_HOME),
}


def _electives(pathway: str, window: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    """Four weeks and a day from a Monday (days 0-28, the last a Monday): one elective a
    day admitted at 10:00 for exactly 2 days (ready at 10:00 two days later), all
    discharged on `pathway` to unlimited places, with `window` on its destination."""
    unlimited = {"capacity": "unlimited", "los": {"kind": "fixed", "days": 100}}
    data: dict[str, Any] = {
        "name": "weekends",
        "calendar": {"start_date": START, "horizon_days": 29, "warmup_days": 0},
        "settings": {
            "acute": {"capacity": "unlimited", "los": {"kind": "fixed", "days": 5}},
            "reablement": {**unlimited, "outcomes": {"independent": 1.0}},
            "intermediate_care": {**unlimited, "outcomes": {"home": 1.0}},
            "care_home": unlimited,
        },
        "discharge": {"pathways": {"all": {pathway: 1.0}}},
        "referrals": [{"name": "none", "setting": "acute", "rate_per_day": 0.0}],
        "electives": [
            {
                "name": "list",
                "per_weekday": [1] * 7,
                "admit_time": "10:00",
                "los": {"kind": "fixed", "days": 2},
            }
        ],
        **extra,
    }
    if window is not None:
        data["discharge_windows"] = {PATHWAY[pathway][0]: window}
    return data


WEEKDAYS = {"days": "weekdays", "hours": "09:00-17:00"}
EVERY_DAY = {"days": "all", "hours": "09:00-17:00"}
# Ready at 10:00 on a Saturday: out on Monday at 09:00, 1 day 23 hours later; on a Sunday,
# 23 hours later; on a weekday at once (10:00 is inside 09:00-17:00).
WEEKEND_WAIT = {5: 2.0 - HOUR, 6: 1.0 - HOUR}


def _acute(stays: StayRecords) -> dict[str, np.ndarray]:
    """The elective acute stays that were ready by the horizon, in admission order."""
    keep = (stays.setting == ACUTE) & (stays.source == ELECTIVE) & np.isfinite(stays.ready)
    order = np.argsort(stays.arrive[keep])
    return {c: getattr(stays, c)[keep][order] for c in ("arrive", "ready", "leave", "next")}


@pytest.mark.parametrize("pathway", list(PATHWAY))
def test_weekday_windows_hold_weekend_discharges_until_monday_morning(pathway: str) -> None:
    """One elective a day, ready at 10:00 two days later. With the destination's window on
    weekdays 09:00-17:00, those ready on a Saturday leave on Monday at 09:00 (47 hours
    delayed) and those ready on a Sunday too (23 hours); the others at once. Four
    weekends fall in the run (ready on days 5-6, 12-13, 19-20, 26-27): 4 x 70 hours
    delayed in all."""
    code = PATHWAY[pathway][1]
    stays, _ = run_both(_electives(pathway, WEEKDAYS))
    acute = _acute(stays)
    assert acute["ready"].size == 27  # admitted on days 0-26
    assert (acute["next"] == code).all()
    weekday = np.floor(acute["ready"]).astype(int) % 7  # day 0 is a Monday
    wait = np.array([WEEKEND_WAIT.get(int(d), 0.0) for d in weekday])
    np.testing.assert_allclose(acute["leave"], acute["ready"] + wait, atol=1e-9)
    delayed = np.sum(acute["leave"] - acute["ready"])
    assert delayed == pytest.approx(4 * 70 * HOUR)
    if code != HOME:  # the next place is taken at the moment the acute bed is left
        moved = (stays.setting == code) & np.isfinite(stays.arrive)
        np.testing.assert_allclose(np.sort(stays.arrive[moved]), np.sort(acute["leave"]))
        # It was asked for (and free) when they were ready: the wait is the window's.
        np.testing.assert_allclose(
            np.sort(stays.requested[stays.setting == code]), np.sort(acute["ready"])
        )


@pytest.mark.parametrize(
    ("window", "sunday_wait"),
    [
        (None, 0.0),
        (EVERY_DAY, 0.0),
        # Monday-Saturday, all day: Sunday's 10:00 leaver waits to Monday 00:00.
        ({"days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]}, 14 * HOUR),
    ],
)
def test_windows_open_at_the_weekend_delay_only_whom_they_close_on(
    window: dict[str, Any] | None, sunday_wait: float
) -> None:
    """No window, or every day 09:00-17:00: nobody waits (10:00 is inside). Monday to
    Saturday all day: only those ready on a Sunday wait, 14 hours."""
    stays, _ = run_both(_electives("P0", window))
    acute = _acute(stays)
    delayed = acute["leave"] - acute["ready"]
    sunday = np.floor(acute["ready"]).astype(int) % 7 == 6
    assert sunday.sum() == 4
    np.testing.assert_allclose(delayed[sunday], sunday_wait, atol=1e-12)
    np.testing.assert_allclose(delayed[~sunday], 0.0, atol=1e-12)


def test_a_seven_day_team_lever_removes_the_weekend_delay_from_its_start() -> None:
    """Weekday windows home, and a discharge_window lever opening every day 09:00-17:00
    from Monday 20 January (day 14): only the first two weekends delay anyone (2 x 70 h)."""
    lever = {
        "type": "discharge_window",
        "start": "2025-01-20",
        "destinations": ["home"],
        "window": EVERY_DAY,
    }
    stays, _ = run_both(_electives("P0", WEEKDAYS, interventions=[lever]))
    acute = _acute(stays)
    delayed = acute["leave"] - acute["ready"]
    late = np.flatnonzero(delayed > 1e-9)
    np.testing.assert_allclose(np.floor(acute["ready"][late]), [5, 6, 12, 13])
    assert np.nansum(delayed) == pytest.approx(2 * 70 * HOUR)


def test_those_ready_in_the_last_closed_days_are_still_waiting_at_the_horizon() -> None:
    """The run ends on a Sunday (days 0-27): those ready on the last Saturday and Sunday
    (days 26 and 27) would leave on Monday, after the horizon, so they are still in
    their beds at the end (leave NaN), as everyone granted a place outside the window."""
    data = _electives("P0", WEEKDAYS)
    data["calendar"]["horizon_days"] = 28
    stays, _ = run_both(data)
    acute = _acute(stays)
    last_weekend = np.floor(acute["ready"]) >= 26
    assert last_weekend.sum() == 2
    assert np.isnan(acute["leave"][last_weekend]).all(), acute["leave"][last_weekend]


def test_deaths_are_not_held_by_the_window_home() -> None:
    """The window home applies to P0 discharges only: deaths leave when ready."""
    data = _electives("P0", WEEKDAYS)
    data["discharge"]["pathways"] = {"all": {"P0": 0.5, "death": 0.5}}
    stays, _ = run_both(data, seed=3)
    acute = _acute(stays)
    died = acute["next"] == DEATH
    home = acute["next"] == HOME
    assert died.sum() >= 5 and home.sum() >= 5
    np.testing.assert_array_equal(acute["leave"][died], acute["ready"][died])
    weekend = np.floor(acute["ready"]).astype(int) % 7 >= 5
    assert (weekend & died).any(), "some died at a weekend, and left at once"
    assert (acute["leave"][home & weekend] > acute["ready"][home & weekend]).all()


# --------------------------------------------------------------------------- a random run

WINDOWS: dict[str, dict[str, Any]] = {
    "home": {"days": "all", "hours": "08:00-20:00"},
    "intermediate_care": {"days": "weekdays", "hours": "09:00-17:00"},
    "reablement": {"days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], "hours": "09:00-18:00"},
    "care_home": {"days": "weekdays", "hours": "10:00-16:00"},
}
LEVER_START = dt.date(2025, 6, 2)
LEVER_WINDOW: dict[str, Any] = {
    "days": "all",
    "hours": "07:00-22:00",
}  # care homes, locality A, from 2 June


def _open(window: dict[str, Any]) -> tuple[set[int], float, float]:
    days = window.get("days", "all")
    if days == "all":
        names = list(DAYS)
    elif days == "weekdays":
        names = list(DAYS[:5])
    else:
        names = list(days)
    opens, closes = window.get("hours", "00:00-24:00").split("-")

    def hours(text: str) -> float:
        h, m = text.split(":")
        return (int(h) + int(m) / 60.0) / 24.0

    return {DAYS.index(n) for n in names}, hours(opens), hours(closes)


def _window(destination: str, locality: str, t: float, start: dt.date) -> dict[str, Any]:
    date = start + dt.timedelta(days=math.floor(t))
    if destination == "care_home" and locality == "A" and date >= LEVER_START:
        return LEVER_WINDOW
    return WINDOWS[destination]


def inside(destination: str, locality: str, t: float, start: dt.date) -> bool:
    """Whether time `t` (days from `start`) is inside the window for `locality`."""
    days, opens, closes = _open(_window(destination, locality, t, start))
    day = math.floor(t)
    weekday = (start + dt.timedelta(days=day)).weekday()
    return weekday in days and opens - 1e-9 <= t - day < closes


def next_open(destination: str, locality: str, t: float, start: dt.date) -> float:
    """The first time at or after `t` inside the window (searched day by day)."""
    day = math.floor(t)
    for d in range(day, day + 8):
        days, opens, closes = _open(_window(destination, locality, float(d), start))
        if (start + dt.timedelta(days=d)).weekday() in days and t < d + closes:
            return max(t, d + opens)
    raise AssertionError("no open window within a week")


def test_nobody_leaves_or_moves_outside_the_windows() -> None:
    """The small scenario (two localities, every setting, people queueing and blocking,
    a 20-day warm-up) with windows on all four destinations, a lever giving locality A's
    care-home moves longer hours from 2 June, and referrals that enter intermediate care
    and reablement directly (first entries, which no window holds):

    - every P0 discharge from acute leaves at the first time inside the window home at
      or after it was ready; deaths leave when ready;
    - every move into intermediate care, reablement or a care home from another setting
      happens inside that setting's window (the locality's, the lever's where it acts),
      at the instant the old place is left;
    - first entries are not held: some of them start outside the window."""
    data = small_scenario(
        {
            "discharge_windows": WINDOWS,
            "interventions": [
                {
                    "type": "discharge_window",
                    "start": LEVER_START.isoformat(),
                    "localities": ["A"],
                    "destinations": ["care_home"],
                    "window": LEVER_WINDOW,
                }
            ],
            "referrals": [
                {
                    "name": "ic",
                    "setting": "intermediate_care",
                    "rate_per_day": 0.3,
                    "age_band": "65+",
                },
                {"name": "re", "setting": "reablement", "rate_per_day": 0.3, "age_band": "65+"},
            ],
            "discharge": {
                "pathways": {"all": {"P0": 0.55, "P1": 0.15, "P2": 0.1, "P3": 0.15, "death": 0.05}}
            },
        }
    )
    sc = placesim.parse_scenario(data)
    start = sc.calendar.start_date
    localities = list(compile_plan(sc).localities)
    stays, ep = run_both(data, seed=2)
    locality = [localities[k] for k in ep.locality[stays.episode]]

    home = np.flatnonzero(
        (stays.setting == ACUTE) & (stays.next == HOME) & np.isfinite(stays.leave)
    )
    assert home.size > 100
    for k in home:
        expected = next_open("home", locality[k], float(stays.ready[k]), start)
        assert stays.leave[k] == pytest.approx(expected, abs=1e-9), k
    held = stays.leave[home] > stays.ready[home] + 1e-9
    assert held.sum() >= 10, "the window home held some discharges"
    died = (stays.setting == ACUTE) & (stays.next == DEATH) & np.isfinite(stays.leave)
    assert died.any()
    np.testing.assert_array_equal(stays.leave[died], stays.ready[died])

    # Moves: a stay of the same episode that led here and was left as this one began.
    rows: dict[int, list[int]] = {}
    for row, e in enumerate(stays.episode.tolist()):
        rows.setdefault(e, []).append(row)
    names = {
        INTERMEDIATE_CARE: "intermediate_care",
        REABLEMENT: "reablement",
        CARE_HOME: "care_home",
    }
    moves = {code: 0 for code in names}
    first_outside = 0
    for k in np.flatnonzero(np.isin(stays.setting, list(names)) & np.isfinite(stays.arrive)):
        code = int(stays.setting[k])
        before = [
            j
            for j in rows[int(stays.episode[k])]
            if j < k and stays.next[j] == code and stays.setting[j] != code
        ]
        t = float(stays.arrive[k])
        if before:
            assert stays.leave[before[-1]] == t, "the old place is kept until the move"
            assert inside(names[code], locality[k], t, start), (k, names[code], t)
            moves[code] += 1
        elif not stays.at_start[k] and not inside(names[code], locality[k], t, start):
            first_outside += 1
    assert min(moves.values()) >= 5, moves
    assert first_outside >= 5
    # The lever acted: locality A had care-home moves outside the scenario's own window.
    lever_moves = [
        k
        for k in np.flatnonzero((stays.setting == CARE_HOME) & np.isfinite(stays.arrive))
        if locality[k] == "A"
        and start + dt.timedelta(days=math.floor(stays.arrive[k])) >= LEVER_START
        and not inside("care_home", "B", float(stays.arrive[k]), start)
        and not stays.at_start[k]
    ]
    assert lever_moves


# --------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        (
            {"reablement": {"days": "weekdays"}},
            "discharge_windows.reablement: 'reablement' is not defined in settings",
        ),
        (
            {"home": {"days": ["Monday"]}},
            "discharge_windows.home.days: 'Monday' is not allowed",
        ),
        ({"home": {"days": []}}, "discharge_windows.home.days: no day is open"),
        (
            {"home": {"hours": "17:00-09:00"}},
            "discharge_windows.home.hours: '17:00-09:00' is not allowed: the window must close",
        ),
        (
            {"home": {"hours": "9-17"}},
            "discharge_windows.home.hours: '9' is not allowed: write a time of day as HH:MM",
        ),
        pytest.param(
            {"acute": {"days": "all"}},
            "discharge_windows.acute: 'acute' is not allowed",
        ),
    ],
)
def test_a_bad_window_gives_one_message_naming_the_field(
    windows: dict[str, Any], message: str
) -> None:
    data = _electives("P0", None)
    del data["settings"]["reablement"]
    data["discharge_windows"] = windows
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(data)
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(message), problems[0]


def test_a_window_lever_names_defined_destinations() -> None:
    data = _electives("P0", None)
    del data["settings"]["care_home"]
    lever = {"type": "discharge_window", "start": START, "destinations": ["care_home"]}
    data["interventions"] = [{**lever, "window": EVERY_DAY}]
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(data)
    assert info.value.problems == [
        "interventions[0].destinations: 'care_home' is not defined in settings"
    ]
