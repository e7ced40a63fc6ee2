"""Staff time of home-based services (issue 13): queueing theory, hand-worked tapers,
and the need recorded against the stays.

- With one visit a day each (first = last = 1) and V visits a day, at most V people are
  in service and a leaver frees their visit at once: the service is an M/M/V queue when
  referrals are Poisson and stays exponential, so Erlang C gives the chance of waiting
  and the mean wait.
- A person's need tapers linearly from first_day_visits on the day the place is taken
  to last_day_visits on the last calendar day the stay touches (and after, while blocked);
  the recorded need per day is worked out by hand for known fixed stays.
- The need recorded each day is the sum of the profiles of the people in service,
  computed here from the stay records and the drawn stays alone.
- A workforce cut below the need of those in service records a shortfall and leaves
  their stays as drawn.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

import placesim
from builders import operations_log, run_both
from placesim.demand import Episodes, generate_episodes
from placesim.engine import StayRecords, run_kernel
from placesim.plan import compile_plan
from placesim.plan.pathways import REABLEMENT
from placesim.scenario.extends import merge_scenario_data
from small_scenario import small_scenario

START = "2025-01-06"  # a Monday
NONE = [{"name": "none", "setting": "acute", "rate_per_day": 0.0}]  # no emergency demand


# --------------------------------------------------------------------------- Erlang C


def erlang_c(servers: int, load: float) -> float:
    """Chance that an arrival waits in an M/M/c queue with offered load `load` (< c)."""
    terms = [load**k / math.factorial(k) for k in range(servers)]
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    return top / (sum(terms) + top)


@pytest.mark.parametrize(("visits", "utilisation"), [(1, 0.6), (5, 0.75)])
def test_one_visit_a_day_each_makes_an_m_m_v_queue(visits: int, utilisation: float) -> None:
    """Poisson referrals straight into reablement with unlimited places and exponential
    stays (mean 5 days), one visit a day each and `visits` visits a day of staff: the chance
    of waiting and the mean wait are Erlang C's. 60 replications of 10,000 days after a
    100-day warm-up (fast engine); the tolerance is the 99.9% confidence interval of the
    mean over replications (the replications are independent)."""
    mean_stay, horizon, replications = 5.0, 10_000, 60
    rate = utilisation * visits / mean_stay
    data = {
        "name": "erlang",
        "calendar": {"start_date": START, "horizon_days": horizon, "warmup_days": 100},
        "settings": {
            "reablement": {
                "capacity": "unlimited",
                "los": {"kind": "exponential", "mean": mean_stay},
                "outcomes": {"independent": 1.0},
            }
        },
        "referrals": [{"name": "gp", "setting": "reablement", "rate_per_day": rate}],
        "staff": {"reablement": {"per_day": visits, "first_day_visits": 1, "last_day_visits": 1}},
    }
    plan = compile_plan(placesim.parse_scenario(data))
    waits, waited = np.empty(replications), np.empty(replications)
    for r in range(replications):
        stays, _ = run_kernel(plan, generate_episodes(plan, r, 2025))
        # After the warm-up, and early enough that everyone has been served by the end.
        kept = (stays.requested >= 0.0) & (stays.requested < horizon - 60)
        wait = stays.arrive[kept] - stays.requested[kept]
        assert np.isfinite(wait).all()
        waits[r], waited[r] = wait.mean(), (wait > 0).mean()
        # Never more than `visits` people in service: count at each arrival.
        arrive, leave = stays.arrive, np.nan_to_num(stays.leave, nan=np.inf)
        order = np.argsort(arrive)
        in_service = np.searchsorted(np.sort(arrive), arrive[order], side="right")
        in_service -= np.searchsorted(np.sort(leave), arrive[order], side="right")
        assert in_service.max() == visits
        # One visit each: the booked visits never exceed the day's workforce.
        log = operations_log(stays)
        assert (log.staff_needed[REABLEMENT] <= visits).all()
        assert log.staff_needed[REABLEMENT].max() == visits

    load = rate * mean_stay
    chance = erlang_c(visits, load)
    mean_wait = chance / (visits / mean_stay - rate)
    z = stats.t.ppf(0.9995, replications - 1)
    for estimates, theory in ((waits, mean_wait), (waited, chance)):
        half_width = z * estimates.std(ddof=1) / math.sqrt(replications)
        assert abs(estimates.mean() - theory) < half_width, (estimates.mean(), theory, half_width)
        assert half_width < 0.15 * theory  # a test that can fail: the interval is narrow


# --------------------------------------------------------------------------- tapers


def _one_person(**changes: Any) -> dict[str, Any]:
    """One person in acute at the start, ready at 0.75 (Mon 18:00; fixed 1-day stays, 0.25
    done), who goes on to reablement (P1) for a fixed 4.5 days, then is blocked there for
    good (care home, no place). Reablement needs 4 visits on the first day, 1 on the last."""
    data: dict[str, Any] = {
        "name": "taper",
        "calendar": {"start_date": START, "horizon_days": 12, "warmup_days": 0},
        "settings": {
            "acute": {"capacity": 5, "los": {"kind": "fixed", "days": 1}},
            "reablement": {
                "capacity": 5,
                "los": {"kind": "fixed", "days": 4.5},
                "outcomes": {"care_home": 1.0},
            },
            "care_home": {"capacity": 0, "los": {"kind": "fixed", "days": 100}},
        },
        "discharge": {"pathways": {"all": {"P1": 1.0}}},
        "referrals": NONE,
        "initial_state": {"acute": {"remaining": "elapsed", "elapsed_days": [0.25]}},
        "staff": {"reablement": {"per_day": 10, "first_day_visits": 4, "last_day_visits": 1}},
    }
    return merge_scenario_data(data, changes)


def _needed(data: dict[str, Any]) -> tuple[list[float], StayRecords]:
    stays, _ = run_both(data)
    return np.round(operations_log(stays).staff_needed[REABLEMENT], 9).tolist(), stays


def test_a_tapering_need_follows_the_hand_worked_schedule() -> None:
    """Reablement taken at 0.75 for 4.5 days, to 5.25: it touches calendar days 0-5 (K =
    6), so the need is 4 on day 0, then 4 - 3k/5 on day k (3.4, 2.8, 2.2, 1.6), 1 on day
    5, and 1 while blocked after (days 6-11)."""
    needed, stays = _needed(_one_person())
    assert needed == [4.0, 3.4, 2.8, 2.2, 1.6] + [1.0] * 7
    reablement = stays.setting == REABLEMENT
    assert stays.arrive[reablement].tolist() == [0.75]
    assert stays.ready[reablement].tolist() == [5.25]
    np.testing.assert_array_equal(operations_log(stays).staff_available[REABLEMENT], [10.0] * 12)


def test_a_need_in_hours_is_visits_times_the_visit_length() -> None:
    """The same person in a workforce counted in hours with half-hour visits."""
    staff = {"unit": "hours", "per_day": 20, "visit_hours": 0.5}
    needed, _ = _needed(_one_person(staff={"reablement": staff}))
    assert needed == [2.0, 1.7, 1.4, 1.1, 0.8] + [0.5] * 7


def test_a_place_granted_outside_its_window_needs_the_first_day_until_taken() -> None:
    """Reablement starts only Mon-Fri 09:00-17:00: the place granted on Monday at 18:00
    is taken on Tuesday at 09:00 (1.375). Until then the need is the first day's (4 on
    days 0 and 1); the stay then runs to 5.875, touching days 1-5 (K = 5): 3.25, 2.5,
    1.75 on days 2-4, then 1."""
    windows = {"reablement": {"days": "weekdays", "hours": "09:00-17:00"}}
    needed, stays = _needed(_one_person(discharge_windows=windows))
    assert needed == [4.0, 4.0, 3.25, 2.5, 1.75] + [1.0] * 7
    reablement = stays.setting == REABLEMENT
    assert stays.requested[reablement].tolist() == [0.75]
    assert stays.arrive[reablement].tolist() == [1.375]


def test_someone_in_service_at_the_start_is_halfway_through_the_taper() -> None:
    """Someone already in reablement at the start (fixed 4.5-day stays, 2 days done, so 2.5
    to go: days 0-2 ahead) is taken to have as long behind them as ahead: 3 days before day
    0, a stay touching 6 calendar days. So day 0 is day 3 of the taper, 4 - 3 x 3/5 = 2.2
    visits (not the first day's 4), then 1.6, then the last day's 1 from day 2 on, blocked
    (IPACS gives people in service at the start the tail of a longer taper, ref Q15)."""
    data = _one_person(
        initial_state={
            "acute": None,
            "reablement": {"remaining": "elapsed", "elapsed_days": [2.0]},
        }
    )
    needed, stays = _needed(data)
    assert needed == [2.2, 1.6] + [1.0] * 10
    assert stays.ready[stays.setting == REABLEMENT].tolist() == [2.5]


@pytest.mark.parametrize("warmup", [0, 3])
def test_the_taper_counts_days_of_the_stay_after_a_warm_up(warmup: int) -> None:
    """With a warm-up the same person (ready 0.75 days after the first simulated instant)
    has the same schedule on the same simulated day indices."""
    needed, _ = _needed(_one_person(calendar={"warmup_days": warmup, "horizon_days": 12 - warmup}))
    assert needed == [4.0, 3.4, 2.8, 2.2, 1.6] + [1.0] * 7


# --------------------------------------------------------------------------- against the stays


def booked_peaks(
    stays: StayRecords, ep: Episodes, n_days: int, warmup: int, first: float, last: float
) -> np.ndarray:
    """Each simulated day's peak of booked reablement need, from the stays alone.

    A person's need on day d of a stay taken on day d0 and touching K calendar days (from
    the drawn stay) is `first` on d0 and `last` from d0 + K - 1 on (blocked days
    included), linear in between. At each midnight the booked need is the sum of the
    needs of the people in service; during the day a grant books the newcomer's `first`
    and a leaver frees their need of the day (a leaver before a newcomer at the same
    instant: the place is released, then given). The peak is the largest booked need
    of the day, midnight included.
    """

    def need(day: int, day0: int, days: int) -> float:
        k = day - day0
        if k <= 0:
            return first
        if k >= days - 1:
            return last
        return first + (last - first) * k / (days - 1)

    midnight = np.zeros(n_days)
    events: list[list[tuple[float, int, float]]] = [[] for _ in range(n_days)]
    for k in np.flatnonzero((stays.setting == REABLEMENT) & np.isfinite(stays.arrive)):
        arrive, leave = float(stays.arrive[k]), float(stays.leave[k])
        day0 = math.floor(arrive)
        days = math.floor(arrive + ep.los[stays.episode[k], REABLEMENT]) - day0 + 1
        events[day0 + warmup].append((arrive, 1, first))
        end = n_days - warmup if math.isnan(leave) else math.ceil(leave)
        for t in range(day0 + 1, end):  # the midnights while in place
            midnight[t + warmup] += need(t, day0, days)
        if not math.isnan(leave):
            events[math.floor(leave) + warmup].append(
                (leave, 0, -need(math.floor(leave), day0, days))
            )
    peaks = midnight.copy()
    for d in range(n_days):
        booked = midnight[d]
        for _, _, change in sorted(events[d]):
            booked += change
            peaks[d] = max(peaks[d], booked)
    return peaks


@pytest.mark.parametrize("warmup", [0, 10])
def test_needed_visits_are_the_sum_of_the_profiles_of_the_people_in_service(
    warmup: int,
) -> None:
    """The small scenario (crises into acute, P1 discharges and intermediate care into 8
    reablement places, some blocked waiting for a care home) plus referrals straight into
    reablement, with a weekend workforce short enough that people wait: the need recorded
    each day is the day's peak of the sum of the tapers (3 visits to 1) of the people in
    service, from the stays and their drawn lengths alone (with and without a warm-up)."""
    data = small_scenario(
        {
            "calendar": {"warmup_days": warmup},
            "settings": {
                "reablement": {
                    "outcomes": {"independent": 0.5, "home_care": 0.2, "care_home": 0.25}
                },
                "care_home": {"capacity": 42},
            },
            "referrals": [
                {"name": "gp", "setting": "reablement", "rate_per_day": 0.4, "age_band": "65+"}
            ],
            "staff": {
                "reablement": {
                    "per_day": [14, 14, 14, 14, 14, 6, 6],
                    "first_day_visits": 3,
                    "last_day_visits": 1,
                }
            },
        }
    )
    stays, ep = run_both(data, seed=4)
    log = operations_log(stays)
    reablement = stays.setting == REABLEMENT
    done = reablement & np.isfinite(stays.ready)
    np.testing.assert_allclose(
        stays.ready[done] - stays.arrive[done], ep.los[stays.episode[done], REABLEMENT]
    )
    n_days = log.staff_needed.shape[1]
    expected = booked_peaks(stays, ep, n_days, warmup, 3.0, 1.0)
    np.testing.assert_allclose(log.staff_needed[REABLEMENT], expected, atol=1e-9)
    # The run reached what the test is about: waits for staff, tapers, blocking.
    waited = reablement & (stays.arrive > stays.requested)
    assert waited.sum() >= 5
    assert (reablement & (stays.leave > stays.ready)).any()
    assert reablement.sum() >= 40


# --------------------------------------------------------------------------- shortfall


def test_a_workforce_below_the_need_of_those_in_service_records_a_shortfall() -> None:
    """Three people in reablement at the start with 9.5 days to go, one visit a day each,
    two waiting; three visits a day of staff, cut to one from day 4 (a dated change), and
    a staff_change lever adding one from day 12:

    - days 0-8: 3 needed; from day 4 only 1 available, a shortfall of 2; nobody is cut
      short: the three leave at 9.5 as drawn;
    - at 9.5 the three leave and the first waiting person starts (0 + 1 <= 1): day 9's
      peak is still 3;
    - days 10-11: 1 needed; at midnight of day 12 the workforce is 2 and the second
      waiting person starts: 2 needed from day 12."""
    data = {
        "name": "cut",
        "calendar": {"start_date": START, "horizon_days": 15, "warmup_days": 0},
        "settings": {
            "reablement": {
                "capacity": 10,
                "los": {"kind": "fixed", "days": 10},
                "outcomes": {"independent": 1.0},
            }
        },
        "referrals": [{"name": "none", "setting": "reablement", "rate_per_day": 0.0}],
        "initial_state": {
            "reablement": {"remaining": "elapsed", "elapsed_days": [0.5] * 3, "waiting": 2}
        },
        "staff": {
            "reablement": {
                "per_day": 3,
                "changes": [{"date": "2025-01-10", "per_day": 1}],
                "first_day_visits": 1,
                "last_day_visits": 1,
            }
        },
        "interventions": [
            {"type": "staff_change", "setting": "reablement", "start": "2025-01-18", "change": 1}
        ],
    }
    stays, _ = run_both(data)
    log = operations_log(stays)
    np.testing.assert_array_equal(
        log.staff_available[REABLEMENT], [3.0] * 4 + [1.0] * 8 + [2.0] * 3
    )
    np.testing.assert_array_equal(
        log.staff_needed[REABLEMENT], [3.0] * 10 + [1.0, 1.0, 2.0, 2.0, 2.0]
    )
    shortfall = log.staff_needed[REABLEMENT] - log.staff_available[REABLEMENT]
    assert np.flatnonzero(shortfall > 0).tolist() == [4, 5, 6, 7, 8, 9]
    at_start = stays.at_start
    assert at_start.sum() == 3
    np.testing.assert_array_equal(stays.leave[at_start], [9.5] * 3)  # as drawn
    assert stays.arrive[~at_start].tolist() == [9.5, 12.0]


# --------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["staff"].update(rapid_response=d["staff"]["reablement"]),
            "staff.rapid_response: 'rapid_response' is not defined in settings",
        ),
        (
            lambda d: d["staff"]["reablement"].update(unit="hours"),
            "staff.reablement: unit 'hours' needs visit_hours",
        ),
        (
            lambda d: d["staff"]["reablement"].update(per_day=[3, 3, 3, 3, 3]),
            "staff.reablement.per_day: 5 figures is not allowed: give one, or seven",
        ),
        (
            lambda d: d["staff"]["reablement"].update(
                changes=[
                    {"date": "2025-02-01", "per_day": 2},
                    {"date": "2025-01-20", "per_day": 1},
                ]
            ),
            "staff.reablement.changes[1].date: 2025-01-20 must be later than 2025-02-01",
        ),
        (
            lambda d: d["staff"]["reablement"].update(first_day_visits=-1),
            "staff.reablement.first_day_visits: -1 is not allowed: must be >= 0",
        ),
        (
            lambda d: d.update(
                interventions=[
                    {"type": "staff_change", "setting": "virtual_ward", "start": START, "change": 1}
                ]
            ),
            "interventions[0].setting: 'virtual_ward' has no workforce in `staff:`",
        ),
        pytest.param(
            lambda d: d["staff"].update(acute=d["staff"]["reablement"]),
            "staff.acute: 'acute' is not allowed",
        ),
    ],
)
def test_a_bad_workforce_gives_one_message_naming_the_field(change: Any, message: str) -> None:
    data = _one_person()
    change(data)
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(data)
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(message), problems[0]


def test_one_leaver_freeing_the_staff_of_hundreds_admits_them_all_at_once() -> None:
    """No first-day need and no weekend workforce: on Saturday the booked need of those
    still in service (1 visit each, their last day) exceeds the day's 0, so newcomers
    queue; when the last of them leaves, the booked need is 0 again and every one of the
    hundreds queued is granted at that instant (the kernel once overran its queue of
    same-instant events here). Both engines agree; nobody is left waiting at the end."""
    data = {
        "name": "burst",
        "calendar": {"start_date": START, "horizon_days": 14, "warmup_days": 0},
        "settings": {
            "reablement": {
                "capacity": "unlimited",
                "los": {"kind": "fixed", "days": 1.5},
                "outcomes": {"independent": 1.0},
            }
        },
        "referrals": [{"name": "gp", "setting": "reablement", "rate_per_day": 1000.0}],
        "staff": {
            "reablement": {
                "per_day": [1e6, 1e6, 1e6, 1e6, 1e6, 0, 0],
                "first_day_visits": 0,
                "last_day_visits": 1,
            }
        },
    }
    stays, _ = run_both(data)
    assert np.isfinite(stays.arrive).all()
    friday = (stays.requested >= 4.0) & (stays.requested < 5.0)
    saturday = (stays.requested >= 5.0) & (stays.requested < 6.0)
    # Everyone referred on Saturday starts at one instant: when the last person taken on
    # Friday leaves (Friday's referrals were all taken at once, with staff to spare).
    assert saturday.sum() > 200
    assert np.unique(stays.arrive[saturday]).tolist() == [stays.leave[friday].max()]
