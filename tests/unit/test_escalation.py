"""Escalation levels on hand-worked timelines, on both engines (issue 13).

The census is made known exactly with elective admissions (they arrive at a set time each
day, as many as the weekday says) that stay a fixed day, or with a starting census of fixed
stays and people waiting, so the value each daily check sees is known without running
anything. The expected levels, capacity changes and cancellations are then worked out by
hand from the contract in docs/model.md ("Operations"): a level starts on the check at
which its trigger has held for ``for_days`` consecutive checks, stops on the check at which
its measure has been below ``below`` for the step-down's ``for_days`` checks (or outside its
dates, or past ``max_days_per_year``); added places open ``open_after_days`` after the
triggering check unless it stepped down first, and close at once on step-down.

Day indices are simulated days; these scenarios have no warm-up unless a test says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

import placesim
from builders import operations_log, run_both
from placesim.engine.records import OperationsLog
from placesim.plan.pathways import ACUTE, SOURCES
from placesim.scenario import SETTINGS

ELECTIVE = SOURCES.index("elective")
START = "2025-01-06"  # a Monday
CHECK = 8.0 / 24.0  # the daily check at 08:00
ADMIT = 7.0 / 24.0  # electives admitted at 07:00, an hour before the check
WEEK = [0, 5, 5, 5, 3, 5, 0]  # electives admitted Mon..Sun, each staying exactly a day
"""The census at each 08:00 check is the day's admissions: Mon 0, Tue-Thu 5, Fri 3,
Sat 5, Sun 0 (yesterday's left at 07:00, before the check)."""


def _date(offset: int) -> str:
    return (dt.date.fromisoformat(START) + dt.timedelta(days=offset)).isoformat()


def _weekly(levels: list[dict[str, Any]], **escalation: Any) -> dict[str, Any]:
    """Three weeks from a Monday: 10 acute beds, the electives of WEEK, and `levels`."""
    return {
        "name": "escalation",
        "calendar": {"start_date": START, "horizon_days": 21, "warmup_days": 0},
        "settings": {"acute": {"capacity": 10, "los": {"kind": "fixed", "days": 5}}},
        "discharge": {"pathways": {"all": {"P0": 1.0}}},
        # No emergency demand: a referral stream at rate 0 (a scenario needs some demand).
        "referrals": [{"name": "none", "setting": "acute", "rate_per_day": 0.0}],
        "electives": [
            {
                "name": "day cases",
                "per_weekday": WEEK,
                "admit_time": "07:00",
                "los": {"kind": "fixed", "days": 1},
            }
        ],
        "escalation": {"check_time": "08:00", "levels": levels, **escalation},
    }


def _level(name: str = "L", **fields: Any) -> dict[str, Any]:
    """A level watching the acute census, starting at 5 on one check (`fields` override)."""
    level: dict[str, Any] = {
        "name": name,
        "trigger": {"setting": "acute", "measure": "census", "at_least": 5, "for_days": 1},
    }
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(level.get(key), dict):
            level[key] = {**level[key], **value}
        else:
            level[key] = value
    return level


def _changes(log: OperationsLog) -> list[tuple[float, int, float]]:
    return [
        (round(float(t), 9), int(s), float(x))
        for t, s, x in zip(log.change_time, log.change_setting, log.change_extra, strict=True)
    ]


# --------------------------------------------------------------------------- the census


def test_the_census_the_checks_see_is_the_days_electives() -> None:
    """The premise of the timelines below: every elective is admitted at 07:00 of its day
    (none cancelled: 10 beds, at most 5 in) and leaves exactly a day later, so the census
    at 08:00 of day d is WEEK[weekday of d]."""
    stays, _ = run_both(_weekly([_level(trigger={"at_least": 99})]))
    assert (stays.source == ELECTIVE).all()
    assert stays.size == 3 * sum(WEEK)
    np.testing.assert_allclose(stays.arrive, stays.requested)
    np.testing.assert_allclose(stays.arrive % 1.0, ADMIT, atol=1e-12)
    finished = np.isfinite(stays.ready)
    np.testing.assert_allclose(stays.ready[finished] - stays.arrive[finished], 1.0)
    checks = np.arange(21) + CHECK
    census = ((stays.arrive[:, None] <= checks) & ~(stays.leave[:, None] <= checks)).sum(0)
    np.testing.assert_array_equal(census, WEEK * 3)
    assert not operations_log(stays).level_on.any()


# --------------------------------------------------------------------------- start and stop


@pytest.mark.parametrize(
    ("trigger", "step_down", "week"),
    [
        # Census Mon 0, Tue 5, Wed 5, Thu 5, Fri 3, Sat 5, Sun 0, at_least 5:
        ({"for_days": 1}, {}, [0, 1, 1, 1, 0, 1, 0]),
        # Two checks in a row: Wed (Tue and Wed), Thu; Fri is below; Sat alone is not enough.
        ({"for_days": 2}, {}, [0, 0, 1, 1, 0, 0, 0]),
        ({"for_days": 3}, {}, [0, 0, 0, 1, 0, 0, 0]),
        # The census is never at 5 or more on four checks in a row: it never starts.
        ({"for_days": 4}, {}, [0, 0, 0, 0, 0, 0, 0]),
        # Stops after two checks below: Fri is below but Sat is not (the count restarts),
        # Sun is below, Mon is the second in a row: it stops on Monday's check.
        ({"for_days": 2}, {"for_days": 2}, [0, 0, 1, 1, 1, 1, 1]),
        ({"for_days": 1}, {"for_days": 2}, [0, 1, 1, 1, 1, 1, 1]),
        # Steps down below 2 only: Friday's 3 keeps it on, Sunday's 0 stops it.
        ({"for_days": 1}, {"below": 2}, [0, 1, 1, 1, 1, 1, 0]),
        # Occupancy of the 10 beds, 0.5 at 5 in: the same as a census of 5.
        ({"measure": "occupancy_rate", "at_least": 0.5}, {}, [0, 1, 1, 1, 0, 1, 0]),
    ],
)
def test_a_level_starts_and_stops_on_the_hand_worked_checks(
    trigger: dict[str, Any], step_down: dict[str, Any], week: list[int]
) -> None:
    """A level starts on the check at which its trigger has held for its days (not
    before), and stops on the check at which the measure has been below for its days;
    the place's level on a day is what holds after that day's check (three weeks alike)."""
    stays, _ = run_both(_weekly([_level(trigger=trigger, step_down=step_down)]))
    level_on = operations_log(stays).level_on
    assert level_on.shape == (21, 1)
    np.testing.assert_array_equal(level_on[:, 0].astype(int), week * 3)
    assert operations_log(stays).change_time.size == 0  # the level adds no places


def test_occupancy_counts_the_places_escalation_adds() -> None:
    """Occupancy is people in place over the capacity in force, escalation places
    included: 10 places added at once on Tuesday's check halve Wednesday's occupancy to
    0.25, below 0.5, so the level stops on Wednesday, starts again on Thursday (the
    places have closed), and stops on Friday; Saturday starts it once more."""
    trigger = {"measure": "occupancy_rate", "at_least": 0.5}
    stays, _ = run_both(_weekly([_level(trigger=trigger, add_capacity={"acute": 10})]))
    log = operations_log(stays)
    np.testing.assert_array_equal(log.level_on[:, 0].astype(int), [0, 1, 0, 1, 0, 1, 0] * 3)
    expected = []
    for week in range(3):
        for day in (1, 3, 5):  # opens at that check, closes at the next
            expected += [(7 * week + day + CHECK, 10.0), (7 * week + day + 1 + CHECK, 0.0)]
    assert [(t, x) for t, _, x in _changes(log)] == [(round(t, 9), x) for t, x in expected]
    assert (log.change_setting == ACUTE).all()


# --------------------------------------------------------------------------- places


def test_places_open_after_the_lag_and_not_when_the_level_stepped_down_first() -> None:
    """Two levels with the same trigger (two checks at 5 or more: on Wed and Thu of each
    week, off on Friday's check). A adds 3 beds 1.5 days after Wednesday's check, on
    Thursday at 20:00, which close at Friday's 08:00 check; B's 4 beds would open 2.5 days
    after it, Friday at 20:00, but B stepped down at 08:00 that day, so they never open."""
    trigger = {"for_days": 2}
    levels = [
        _level("A", trigger=trigger, add_capacity={"acute": 3}, open_after_days=1.5),
        _level("B", trigger=trigger, add_capacity={"acute": 4}, open_after_days=2.5),
    ]
    stays, _ = run_both(_weekly(levels))
    log = operations_log(stays)
    week = [0, 0, 1, 1, 0, 0, 0]
    np.testing.assert_array_equal(log.level_on.astype(int), np.array([week * 3, week * 3]).T)
    expected = []
    for w in range(3):
        expected += [(7 * w + 2 + CHECK + 1.5, ACUTE, 3.0), (7 * w + 4 + CHECK, ACUTE, 0.0)]
    assert _changes(log) == [(round(t, 9), s, x) for t, s, x in expected]


def test_max_extra_capacity_caps_the_places_all_levels_add() -> None:
    """On from Wednesday's check to the next Monday's (two checks below to stop). A adds 3
    beds after 0.5 days (Wed 20:00), B 4 beds after a day (Thu 08:00); together at most 5.
    Both close on Monday's check; the third week's run is still open at the horizon."""
    trigger, down = {"for_days": 2}, {"for_days": 2}
    levels = [
        _level(
            "A", trigger=trigger, step_down=down, add_capacity={"acute": 3}, open_after_days=0.5
        ),
        _level("B", trigger=trigger, step_down=down, add_capacity={"acute": 4}, open_after_days=1),
    ]
    stays, _ = run_both(_weekly(levels, max_extra_capacity={"acute": 5}))
    expected = []
    for w in range(3):
        expected += [(7 * w + 2.5 + CHECK, 3.0), (7 * w + 3 + CHECK, 5.0)]
        if w < 2:
            expected.append((7 * w + 7 + CHECK, 0.0))
    log = operations_log(stays)
    assert [(t, x) for t, _, x in _changes(log)] == [(round(t, 9), x) for t, x in expected]
    assert (log.change_setting == ACUTE).all()


def _queue_for_beds(**level: Any) -> dict[str, Any]:
    """Two acute beds held by people staying 200 days, three more waiting from the start
    (every stay 200 days), 100 days from Monday 2025-01-06 (the financial year turns on
    day 85, 2025-04-01), and one level watching the queue."""
    return {
        "name": "queue",
        "calendar": {"start_date": START, "horizon_days": 100, "warmup_days": 0},
        "settings": {"acute": {"capacity": 2, "los": {"kind": "fixed", "days": 200}}},
        "discharge": {"pathways": {"all": {"P0": 1.0}}},
        "initial_state": {
            "acute": {"remaining": "elapsed", "elapsed_days": [0.0, 0.0], "waiting": 3}
        },
        "escalation": {
            "check_time": "08:00",
            "levels": [
                {
                    "name": "beds",
                    "trigger": {"setting": "acute", "measure": "waiting", "at_least": 1},
                    **level,
                }
            ],
        },
    }


def test_added_places_take_people_from_the_queue_and_a_step_down_evicts_nobody() -> None:
    """Three waiting for two full beds; the level starts on day 0's check (3 waiting), its
    2 beds open a day later (day 1, 08:00) and the first two in the queue take them then.
    It may hold 3 days a financial year: days 0-2, so it stops on day 3's check and the
    beds close, but their occupants stay (their 200-day stays run past the horizon). The
    third person waits all along, so it starts again on the first check of the new
    financial year (day 85, 1 April) and holds days 85-87."""
    stays, _ = run_both(
        _queue_for_beds(add_capacity={"acute": 2}, open_after_days=1, max_days_per_year=3)
    )
    log = operations_log(stays)
    on = np.flatnonzero(log.level_on[:, 0])
    assert on.tolist() == [0, 1, 2, 85, 86, 87]
    assert dt.date.fromisoformat(START) + dt.timedelta(days=85) == dt.date(2025, 4, 1)
    assert _changes(log) == [
        (round(1 + CHECK, 9), ACUTE, 2.0),
        (round(3 + CHECK, 9), ACUTE, 0.0),
        (round(86 + CHECK, 9), ACUTE, 2.0),
        (round(88 + CHECK, 9), ACUTE, 0.0),
    ]
    arrive = np.sort(stays.arrive)  # NaN last
    np.testing.assert_allclose(arrive[:4], [0.0, 0.0, 1 + CHECK, 1 + CHECK])
    assert np.isnan(arrive[4])
    assert np.isnan(stays.leave).all(), "nobody leaves: the beds closing evicts nobody"


def test_without_the_limit_the_level_holds_all_along() -> None:
    """The same queue without max_days_per_year: the level holds every day (the third
    person waits all along) and its beds open once."""
    stays, _ = run_both(_queue_for_beds(add_capacity={"acute": 2}, open_after_days=1))
    log = operations_log(stays)
    assert log.level_on.all()
    assert _changes(log) == [(round(1 + CHECK, 9), ACUTE, 2.0)]


@pytest.mark.parametrize("warmup", [0, 4])
def test_a_level_holds_only_within_its_dates_and_a_lever_adds_one(warmup: int) -> None:
    """A trigger that always holds (census at least 0, never below 0): a level dated
    days 5-9 holds on days 6-9 when it needs two checks (counted only within its dates),
    and a level added by an escalation_level lever from day 12 to 14 holds days 12-14.
    With a warm-up, the same dates are `warmup` simulated days later."""
    always = {"at_least": 0, "for_days": 2}
    data = _weekly([_level("dated", trigger=always, start=_date(5), end=_date(9))])
    data["calendar"]["warmup_days"] = warmup
    lever_level = _level("winter", trigger={"at_least": 0})
    data["interventions"] = [
        {"type": "escalation_level", "start": _date(12), "end": _date(14), "level": lever_level}
    ]
    stays, _ = run_both(data)
    log = operations_log(stays)
    assert log.level_on.shape == (21 + warmup, 2)
    assert np.flatnonzero(log.level_on[:, 0]).tolist() == [warmup + d for d in (6, 7, 8, 9)]
    assert np.flatnonzero(log.level_on[:, 1]).tolist() == [warmup + d for d in (12, 13, 14)]


# --------------------------------------------------------------------------- electives


def _cancelling(levels: list[dict[str, Any]]) -> dict[str, Any]:
    """Two electives every day at 07:00 (ample beds), levels dated by their start/end
    with a trigger that always holds."""
    data = _weekly(levels)
    data["electives"][0]["per_weekday"] = [2] * 7
    return data


def test_cancel_electives_cancels_the_share_while_the_level_holds() -> None:
    """A level holding days 3-5 with cancel_electives 1: the electives of days 4, 5 and 6
    are cancelled (07:00, after day 3's 08:00 check started it and before day 6's stopped
    it). Levels of 0.5 on days 10-20 and 15-20: on days 11-14 an elective is cancelled
    when its own uniform is below 0.5, on days 16-20 below 1 - 0.5 * 0.5 = 0.75. Nobody
    is cancelled for want of a bed, and a cancelled elective has no stay."""
    always = {"at_least": 0}
    levels = [
        _level("all", trigger=always, start=_date(3), end=_date(5), cancel_electives=1.0),
        _level("half", trigger=always, start=_date(10), end=_date(20), cancel_electives=0.5),
        _level("half again", trigger=always, start=_date(15), end=_date(20), cancel_electives=0.5),
    ]
    stays, ep = run_both(_cancelling(levels), seed=5)
    log = operations_log(stays)
    electives = np.flatnonzero(ep.source == ELECTIVE)
    day = np.floor(ep.time[electives]).astype(int)
    u = ep.u_cancel[electives]
    share = np.select(
        [(day >= 4) & (day <= 6), (day >= 11) & (day <= 15), day >= 16], [1.0, 0.5, 0.75], 0.0
    )
    expected = electives[u < share]
    assert 10 < expected.size < electives.size - 10  # the shares cut some, not all
    assert sorted(log.cancelled_episode.tolist()) == expected.tolist()
    assert (log.cancelled_reason == 0).all()
    np.testing.assert_allclose(log.cancelled_time, ep.time[log.cancelled_episode])
    assert not np.isin(stays.episode, log.cancelled_episode).any()
    assert np.isin(electives, np.concatenate([stays.episode, log.cancelled_episode])).all()


# --------------------------------------------------------------------------- checks


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(data)
    return info.value.problems


def _unlimited(data: dict[str, Any]) -> dict[str, Any]:
    data["settings"]["acute"]["capacity"] = "unlimited"
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["escalation"]["levels"][0]["trigger"].update(setting="care_home"),
            "escalation.levels[0].trigger.setting: 'care_home' is not defined in settings",
        ),
        (
            lambda d: d["escalation"]["levels"][0].update(add_staff={"reablement": 3}),
            "escalation.levels[0].add_staff.reablement: 'reablement' has no workforce",
        ),
        (
            lambda d: d["escalation"]["levels"][0].update(add_capacity={"care_home": 2}),
            "escalation.levels[0].add_capacity.care_home: 'care_home' is not a setting",
        ),
        (
            lambda d: d["escalation"]["levels"][0].update(step_down={"below": 9}),
            "escalation.levels[0].step_down.below: 9 is not allowed",
        ),
        (
            lambda d: d["escalation"]["levels"][0]["trigger"].update(measure="beds"),
            "escalation.levels[0].trigger.measure: 'beds' is not allowed",
        ),
        (
            lambda d: d["escalation"]["levels"][0].update(cancel_electives=1.5),
            "escalation.levels[0].cancel_electives: 1.5 is not allowed",
        ),
        (
            lambda d: d["escalation"].update(max_extra_capacity={"care_home": 2}),
            "escalation.max_extra_capacity.care_home: 'care_home' is not a setting",
        ),
        (
            lambda d: d["escalation"].update(check_time="24:00"),
            "escalation.check_time: '24:00' is not allowed",
        ),
        (
            lambda d: (
                _unlimited(d),
                d["escalation"]["levels"][0]["trigger"].update(measure="occupancy_rate"),
            ),
            "escalation.levels[0].trigger.measure: occupancy_rate is not allowed for 'acute'",
        ),
        (
            lambda d: (
                _unlimited(d),
                d["escalation"]["levels"][0].update(add_capacity={"acute": 2}),
            ),
            "escalation.levels[0].add_capacity.acute: 'acute' has unlimited capacity",
        ),
        (
            lambda d: (
                d.pop("escalation"),
                d.update(
                    interventions=[
                        {"type": "escalation_level", "start": _date(3), "level": _level()}
                    ]
                ),
            ),
            "interventions[0]: an escalation level needs an `escalation:` plan",
        ),
    ],
)
def test_a_bad_escalation_plan_gives_one_message_naming_the_field(
    change: Any, message: str
) -> None:
    data = _weekly([_level()])
    change(data)
    problems = _problems(data)
    assert len(problems) == 1, problems
    assert problems[0].startswith(message), problems[0]


# --------------------------------------------------------------------------- discharge and staff


def test_assessment_days_shrink_while_the_level_holds_and_staff_comes_the_next_day() -> None:
    """Two electives a day at 07:00 for a day, then P1: a day's assessment in hospital
    before reablement (unlimited places; 2 visits a day of staff, 0 visits each). A level
    dated days 3-5 (trigger always true) halves assessment days and adds 3 visits a day:

    - assessments that start while it holds (ready at 07:00 on days 4, 5 and 6, after
      the checks of days 3, 4 and 5) last half a day, the others a day;
    - the workforce is 5 on days 4, 5 and 6 (from the midnight after each check at which
      the level holds), 2 on the others."""
    level = _level(
        "fast",
        trigger={"at_least": 0},
        start=_date(3),
        end=_date(5),
        assessment_days_factor=0.5,
        add_staff={"reablement": 3},
    )
    data = _cancelling([level])
    data["settings"]["reablement"] = {
        "capacity": "unlimited",
        "los": {"kind": "fixed", "days": 2},
        "outcomes": {"independent": 1.0},
    }
    data["discharge"] = {
        "pathways": {"all": {"P1": 1.0}},
        "assessment_days": {"P1": {"kind": "fixed", "days": 1}},
    }
    data["staff"] = {"reablement": {"per_day": 2, "first_day_visits": 0, "last_day_visits": 0}}
    stays, _ = run_both(data)
    log = operations_log(stays)
    assert np.flatnonzero(log.level_on[:, 0]).tolist() == [3, 4, 5]
    acute = (stays.setting == ACUTE) & np.isfinite(stays.leave)
    ready_day = np.floor(stays.ready[acute]).astype(int)
    assessed = stays.leave[acute] - stays.ready[acute]
    expected = np.where(np.isin(ready_day, [4, 5, 6]), 0.5, 1.0)
    np.testing.assert_allclose(assessed, expected)
    assert acute.sum() == 2 * 19  # ready on days 1-19 and assessed by the horizon
    available = log.staff_available[SETTINGS.index("reablement")]
    assert available.tolist() == [2.0] * 4 + [5.0] * 3 + [2.0] * 14
