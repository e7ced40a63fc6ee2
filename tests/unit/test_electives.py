"""Elective (planned) admissions (issue 13): scheduled by weekday at their admission
time, with their own length of stay and no readmission, cancelled when acute is full
(or queued, as the stream says), and cancelled by an escalation level's share.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import placesim
from builders import operations_log, run_both
from placesim.plan.pathways import ACUTE, SOURCES

ELECTIVE = SOURCES.index("elective")
REFERRAL = SOURCES.index("referral")
READMISSION = SOURCES.index("readmission")
START = "2025-01-06"  # a Monday
HOUR = 1.0 / 24.0


def _scenario(
    streams: list[dict[str, Any]], beds: int | str = "unlimited", **extra: Any
) -> dict[str, Any]:
    """Acute beds (7-day stays for emergencies, all home), no emergency demand unless
    `extra` says, and the elective `streams`."""
    data: dict[str, Any] = {
        "name": "electives",
        "calendar": {"start_date": START, "horizon_days": 21, "warmup_days": 7},
        "settings": {"acute": {"capacity": beds, "los": {"kind": "fixed", "days": 7}}},
        "discharge": {"pathways": {"all": {"P0": 1.0}}},
        "referrals": [{"name": "none", "setting": "acute", "rate_per_day": 0.0}],
        "electives": streams,
    }
    data.update(extra)
    return data


def _stream(name: str = "list", **fields: Any) -> dict[str, Any]:
    return {"name": name, "per_weekday": [1] * 7, "los": {"kind": "fixed", "days": 1.5}, **fields}


# --------------------------------------------------------------------------- schedules


def test_electives_arrive_as_scheduled_by_weekday_and_date() -> None:
    """Four weeks of simulated days (a week of warm-up, from Monday 30 December, then
    three from Monday 6 January): a stream of 1, 0, 2, 3, 0, 4, 5 (Mon..Sun) at 07:30 gives
    four times each day's count, every one at 07:30; a stream of 1 a day dated 13-19
    January gives seven, on those days. All are admitted at once (unlimited beds)."""
    week = [1, 0, 2, 3, 0, 4, 5]
    streams = [
        _stream("weekly", per_weekday=week, admit_time="07:30"),
        _stream("dated", admit_time="12:00", start="2025-01-13", end="2025-01-19"),
    ]
    stays, ep = run_both(_scenario(streams))
    assert (stays.source == ELECTIVE).all()
    assert not operations_log(stays).cancelled_episode.size
    np.testing.assert_array_equal(stays.arrive, stays.requested)
    weekly = ep.elective[stays.episode] == 0
    day = np.floor(stays.requested).astype(int)
    assert np.bincount(day[weekly] % 7, minlength=7).tolist() == [4 * n for n in week]
    assert day[weekly].min() == -7 and day[weekly].max() == 20
    np.testing.assert_allclose(stays.requested[weekly] - day[weekly], 7.5 * HOUR)
    dated = ~weekly
    assert sorted(day[dated].tolist()) == list(range(7, 14))
    np.testing.assert_allclose(stays.requested[dated] - day[dated], 12 * HOUR)


def test_electives_have_their_own_length_of_stay_and_are_never_readmitted() -> None:
    """Emergencies (referrals) stay 7 days in acute and are always readmitted a day after
    going home; the electives' list stays exactly 1.5 days, and a second stream draws
    lognormal stays of mean 3 (cv 0.5): their mean is within its 99.9% interval. No
    readmission follows an elective; emergencies' do."""
    streams = [
        _stream("fixed"),
        _stream("drawn", per_weekday=[6] * 7, los={"kind": "lognormal", "mean": 3, "cv": 0.5}),
    ]
    data = _scenario(
        streams,
        referrals=[{"name": "ae", "setting": "acute", "rate_per_day": 2.0}],
        calendar={"start_date": START, "horizon_days": 120, "warmup_days": 0},
    )
    data["discharge"]["readmission"] = {"probability": {"all": 1.0}, "within_days": 1.0}
    stays, ep = run_both(data, seed=8)
    done = np.isfinite(stays.ready)
    length = stays.ready - stays.arrive
    elective = stays.source == ELECTIVE
    fixed = elective & (ep.elective[stays.episode] == 0) & done
    drawn = elective & (ep.elective[stays.episode] == 1) & done
    emergency = (stays.source == REFERRAL) & done
    assert fixed.sum() >= 100 and drawn.sum() >= 600 and emergency.sum() >= 100
    np.testing.assert_allclose(length[fixed], 1.5)
    np.testing.assert_allclose(length[emergency], 7.0)
    np.testing.assert_allclose(length[drawn], ep.los[stays.episode[drawn], ACUTE])
    sd = 0.5 * 3.0
    assert abs(length[drawn].mean() - 3.0) < 3.3 * sd / math.sqrt(drawn.sum())
    assert not ep.readmit[ep.source == ELECTIVE].any()
    readmitted = stays.source == READMISSION
    assert readmitted.sum() >= 50  # emergencies come back
    # Every readmission is a child of an emergency's episode, never of an elective's.
    parents = np.flatnonzero(np.isin(ep.child, stays.episode[readmitted]))
    assert parents.size == readmitted.sum()
    assert (ep.source[parents] != ELECTIVE).all()


# --------------------------------------------------------------------------- when full


def _tight(when_full: str) -> dict[str, Any]:
    """Three acute beds, two electives a day at 08:00 staying 2.5 days (out at 20:00)."""
    stream = _stream(per_weekday=[2] * 7, admit_time="08:00", when_full=when_full)
    stream["los"] = {"kind": "fixed", "days": 2.5}
    data = _scenario([stream], beds=3)
    data["calendar"] = {"start_date": START, "horizon_days": 12, "warmup_days": 0}
    return data


def test_an_elective_finding_no_free_bed_is_cancelled() -> None:
    """Worked by hand, a three-day cycle: day 0, two in (2 of 3 beds taken); day 1, one
    in, one cancelled (3 of 3); day 2 at 08:00, both cancelled (the day-0 pair leave at
    20:00, leaving 1 taken); day 3, two in (3 of 3; the day-1 one leaves at 20:00): 2, 1,
    0 admitted and 0, 1, 2 cancelled each cycle. A cancelled operation has no stay."""
    stays, ep = run_both(_tight("cancel"))
    log = operations_log(stays)
    admitted = np.bincount(np.floor(stays.requested).astype(int), minlength=12)
    cancelled = np.bincount(np.floor(log.cancelled_time).astype(int), minlength=12)
    assert admitted.tolist() == [2, 1, 0] * 4
    assert cancelled.tolist() == [0, 1, 2] * 4
    assert (log.cancelled_reason == 1).all()
    np.testing.assert_allclose(log.cancelled_time % 1.0, 8 * HOUR)
    np.testing.assert_allclose(log.cancelled_time, ep.time[log.cancelled_episode])
    assert not np.isin(log.cancelled_episode, stays.episode).any()
    np.testing.assert_array_equal(stays.arrive, stays.requested)  # nobody waits
    electives = np.flatnonzero(ep.source == ELECTIVE)
    assert np.sort(np.concatenate([stays.episode, log.cancelled_episode])).tolist() == (
        electives.tolist()
    )


def test_the_measures_count_electives_admitted_and_cancelled_for_want_of_a_bed() -> None:
    """The hand-worked cycle above as measures: over 12 days, 12 admitted and 12 cancelled,
    every one of them for want of a bed; all 24 scheduled are one or the other."""
    result = placesim.simulate(placesim.parse_scenario(_tight("cancel")), replications=1, seed=1)
    summary = result.summary().set_index(["measure", "setting"])["mean"]
    assert summary[("electives_admitted", "acute")] == 12
    assert summary[("electives_cancelled", "acute")] == 12
    assert summary[("electives_cancelled_no_bed", "acute")] == 12


def test_an_elective_stream_that_queues_waits_first_come_first_served() -> None:
    """The same list with when_full queue: nobody is cancelled, and with fixed stays the
    k-th gets a bed at max(their admission time, the (k-3)-th's arrival + 2.5)."""
    stays, _ = run_both(_tight("queue"))
    assert operations_log(stays).cancelled_episode.size == 0
    order = np.argsort(stays.requested, kind="stable")
    requested = stays.requested[order]
    arrive = np.empty(requested.size)
    for k in range(requested.size):
        arrive[k] = max(requested[k], arrive[k - 3] + 2.5 if k >= 3 else -np.inf)
    arrive[arrive >= 12] = np.nan
    np.testing.assert_allclose(np.sort(stays.arrive), np.sort(arrive), equal_nan=True)
    assert (stays.arrive > stays.requested).any()


# --------------------------------------------------------------------------- escalation


def test_a_level_watching_the_electives_census_cancels_the_next_days_lists() -> None:
    """Ten beds, two electives a day at 08:00 staying 2.5 days, and a level at a census of
    3 or more (checked at 09:00) that cancels every elective. Worked by hand, a four-day
    cycle: day 0, 2 in (census 2 at the check); day 1, 2 more (census 4: the level
    starts); day 2, both cancelled (census 4 at the check: the day-0 pair leave at
    20:00); day 3, both cancelled (census 2 at the check, the day-1 pair: it stops);
    day 4, 2 in again (census 2 after the day-1 pair left at 20:00 on day 3)."""
    stream = _stream(per_weekday=[2] * 7, admit_time="08:00")
    stream["los"] = {"kind": "fixed", "days": 2.5}
    data = _scenario([stream], beds=10)
    data["calendar"] = {"start_date": START, "horizon_days": 16, "warmup_days": 0}
    trigger = {"setting": "acute", "measure": "census", "at_least": 3}
    level = {"name": "cancel", "trigger": trigger, "cancel_electives": 1.0}
    data["escalation"] = {"check_time": "09:00", "levels": [level]}
    stays, _ = run_both(data)
    log = operations_log(stays)
    admitted = np.bincount(np.floor(stays.requested).astype(int), minlength=16)
    cancelled = np.bincount(np.floor(log.cancelled_time).astype(int), minlength=16)
    assert admitted.tolist() == [2, 2, 0, 0] * 4
    assert cancelled.tolist() == [0, 0, 2, 2] * 4
    assert (log.cancelled_reason == 0).all()
    assert log.level_on[:, 0].astype(int).tolist() == [0, 1, 1, 0] * 4


@pytest.mark.parametrize("when_full", ["cancel", "queue"])
def test_the_escalation_share_is_decided_before_a_free_bed(when_full: str) -> None:
    """A level holding all along (census at least 0) with cancel_electives 1: every
    elective is cancelled for the level's reason (0), whether its stream cancels or
    queues when full, except the first day's (admitted before the first check)."""
    stream = _stream(per_weekday=[3] * 7, admit_time="07:00", when_full=when_full)
    data = _scenario([stream], beds=1)
    data["calendar"] = {"start_date": START, "horizon_days": 10, "warmup_days": 0}
    trigger = {"setting": "acute", "measure": "census", "at_least": 0}
    data["escalation"] = {"levels": [{"name": "all", "trigger": trigger, "cancel_electives": 1.0}]}
    stays, _ = run_both(data)
    log = operations_log(stays)
    later = np.floor(log.cancelled_time) >= 1
    assert later.sum() == 27
    assert (log.cancelled_reason[later] == 0).all()
    first_day = np.floor(log.cancelled_time) == 0
    if when_full == "cancel":  # one bed: two of day 0's three find it full
        assert first_day.sum() == 2 and (log.cancelled_reason[first_day] == 1).all()
        assert stays.size == 1
    else:
        assert first_day.sum() == 0
        assert stays.size == 3


# --------------------------------------------------------------------------- checks


def _no_acute(data: dict[str, Any]) -> None:
    data["settings"] = {
        "intermediate_care": {
            "capacity": 3,
            "los": {"kind": "fixed", "days": 1},
            "outcomes": {"home": 1.0},
        }
    }
    data.pop("discharge")
    data["referrals"][0]["setting"] = "intermediate_care"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_no_acute, "electives[0]: admits to acute, which is not defined"),
        (
            lambda d: d["electives"][0].update(age_band="90+"),
            "electives[0].age_band: '90+' is not one of all",
        ),
        (
            lambda d: d["electives"][0].update(admit_time="8am"),
            "electives[0].admit_time: '8am' is not allowed: write a time of day as HH:MM",
        ),
        (
            lambda d: d["electives"][0].update(per_weekday=[1] * 6),
            "electives[0].per_weekday: has 6 items",
        ),
        (
            lambda d: d["electives"][0].update(start="2025-01-20", end="2025-01-10"),
            "electives[0].end: 2025-01-10 is not allowed: must be on or after start",
        ),
        (
            lambda d: d["electives"][0].update(when_full="bump"),
            "electives[0].when_full: 'bump' is not allowed",
        ),
    ],
)
def test_a_bad_elective_stream_gives_one_message_naming_the_field(
    change: Any, message: str
) -> None:
    data = _scenario([_stream()])
    change(data)
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(data)
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(message), problems[0]
