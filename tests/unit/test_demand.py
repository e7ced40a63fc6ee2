"""Demand: Poisson arrivals against their rates, and common random numbers."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import placesim
from builders import referral_only
from placesim.demand import generate_episodes
from placesim.plan import compile_plan
from placesim.plan.pathways import SOURCES

CRISIS = SOURCES.index("crisis")


def test_arrival_count_is_poisson_with_the_rate() -> None:
    sc = placesim.parse_scenario(referral_only(3.0))
    counts = np.array([generate_episodes(compile_plan(sc), r, 11).size for r in range(200)])
    expected = 3.0 * 364
    se = np.sqrt(expected / counts.size)
    assert abs(counts.mean() - expected) <= 4 * se, (counts.mean(), expected, se)
    # Poisson: variance equals the mean; the SE of a sample variance of n Poisson counts is
    # about sqrt(2 m^2 / n) for large m.
    assert abs(counts.var(ddof=1) - expected) <= 4 * np.sqrt(2 * expected**2 / counts.size)


def test_day_of_week_factors_shape_arrivals() -> None:
    dow = [1.2, 1.2, 1.2, 1.2, 1.2, 0.5, 0.5]
    sc = placesim.parse_scenario(referral_only(4.0, day_of_week=dow))
    times = np.concatenate([generate_episodes(compile_plan(sc), r, 5).time for r in range(20)])
    weekday = np.floor(times).astype(int) % 7  # start_date 2025-01-06 is a Monday
    for day, factor in enumerate(dow):
        expected = 4.0 * factor * 52 * 20
        got = int((weekday == day).sum())
        assert abs(got - expected) <= 4 * np.sqrt(expected), (day, got, expected)


def test_crisis_volume_matches_rate_times_people(small: dict[str, Any]) -> None:
    small["population"]["annual_growth"] = 0.0
    small["demand"].pop("seasonality")
    sc = placesim.parse_scenario(small)
    days = sc.calendar.horizon_days + sc.calendar.warmup_days
    expected = 0.0
    for loc in small["population"]["localities"]:
        residents = loc.get("care_home_residents", {}).get("65+", 0)
        expected += loc["people"]["0-64"] * 0.07
        expected += (loc["people"]["65+"] - residents) * 0.3 + residents * 0.7
    expected *= days / 365.25
    reps = 30
    plan = compile_plan(sc)
    got = np.mean([(generate_episodes(plan, r, 1).source == CRISIS).sum() for r in range(reps)])
    assert abs(got - expected) <= 4 * np.sqrt(expected / reps), (got, expected)


def test_same_seed_same_episodes_whatever_the_capacity(small: dict[str, Any]) -> None:
    a = placesim.parse_scenario(small)
    changed = copy.deepcopy(small)
    changed["settings"]["acute"]["capacity"] = 400
    b = placesim.parse_scenario(changed)
    ea, eb = generate_episodes(compile_plan(a), 0, 3), generate_episodes(compile_plan(b), 0, 3)
    np.testing.assert_array_equal(ea.time, eb.time)
    np.testing.assert_array_equal(ea.los, eb.los)
    np.testing.assert_array_equal(ea.after, eb.after)


def test_triage_change_keeps_people_and_their_stays(small: dict[str, Any]) -> None:
    changed = copy.deepcopy(small)
    changed["triage"]["home"]["all"] = {"rapid_response": 0.2, "virtual_ward": 0.05, "acute": 0.75}
    ea = generate_episodes(compile_plan(placesim.parse_scenario(small)), 0, 3)
    eb = generate_episodes(compile_plan(placesim.parse_scenario(changed)), 0, 3)
    crisis = ea.source == CRISIS
    np.testing.assert_array_equal(ea.time[crisis], eb.time[eb.source == CRISIS])
    np.testing.assert_array_equal(ea.los[crisis], eb.los[eb.source == CRISIS])
    moved = ea.entry[crisis] != eb.entry[eb.source == CRISIS]
    # Only a move from acute to rapid response (shares shifted by inverse CDF), never back.
    assert moved.any()
    assert set(ea.entry[crisis][moved].tolist()) == {0}
    assert set(eb.entry[eb.source == CRISIS][moved].tolist()) == {1}


def test_other_localities_unchanged_when_one_grows(small: dict[str, Any]) -> None:
    changed = copy.deepcopy(small)
    changed["population"]["localities"][0]["people"]["0-64"] = 16000
    ea = generate_episodes(compile_plan(placesim.parse_scenario(small)), 0, 9)
    eb = generate_episodes(compile_plan(placesim.parse_scenario(changed)), 0, 9)
    for e in (ea, eb):
        assert e.localities[1] == "B"
    b_a = (ea.locality == 1) & (ea.source == CRISIS)
    b_b = (eb.locality == 1) & (eb.source == CRISIS)
    np.testing.assert_array_equal(ea.time[b_a], eb.time[b_b])
    np.testing.assert_array_equal(ea.los[b_a], eb.los[b_b])


@pytest.mark.parametrize("remaining", ["residual", "fresh", "uniform"])
def test_initial_state_people_start_in_place(small: dict[str, Any], remaining: str) -> None:
    small["initial_state"]["acute"]["remaining"] = remaining
    sc = placesim.parse_scenario(small)
    ep = generate_episodes(compile_plan(sc), 0, 2)
    initial = ep.source == SOURCES.index("initial")
    assert int((initial & ep.in_place).sum()) == 30 + 40
    assert int((initial & ~ep.in_place).sum()) == 2
    assert np.all(ep.time[initial] == -20.0)


def test_overflow_when_rapid_response_has_no_places(small: dict[str, Any]) -> None:
    small["settings"]["rapid_response"]["capacity"] = 0
    res = placesim.simulate(placesim.parse_scenario(small), replications=1, seed=4)
    stays = res.stays
    assert not (stays["setting"] == "rapid_response").any()
    ep = generate_episodes(compile_plan(res.scenario), 0, 4)
    to_rr = np.flatnonzero((ep.entry == 1) & (ep.source == CRISIS) & (ep.time < 120))
    acute = stays[(stays["setting"] == "acute") & stays["episode"].isin(to_rr)]
    assert len(acute) > 0 and acute["overflow"].all()
    assert set(acute["episode"]) == set(to_rr.tolist())


def test_episodes_are_the_same_when_their_columns_must_grow(
    small: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Episodes are drawn into columns sized by a guess; with no room set aside, the
    columns grow (by copying) many times and must hold exactly the same episodes, children
    linked to the same rows."""
    from placesim.demand import episodes

    small["initial_state"] = {"acute": {"occupied": 40, "waiting": 5}}
    plan = compile_plan(placesim.parse_scenario(small))
    roomy = generate_episodes(plan, 0, 9)
    monkeypatch.setattr(episodes, "_ROWS_GUESS", 0.0)
    monkeypatch.setattr(episodes, "_ROWS_SLACK", 0)
    grown = generate_episodes(plan, 0, 9)
    assert (roomy.child >= 0).sum() > 100  # children (readmissions, escalations) were drawn
    for name in ("time", "source", "entry", "in_place", "los", "after", "u_pathway", "child"):
        np.testing.assert_array_equal(getattr(grown, name), getattr(roomy, name), err_msg=name)
