"""Extreme but valid scenarios: they run, and their results are right for a reason we can say.

Each test takes a small scenario to an edge (no capacity, a hundredfold surge, a single day,
a locality with nobody in it, one discharge pathway, capacity dropping to nothing mid-run,
ten years) and checks the result against something that does not come from the engine: an
accounting identity, the episodes the engine was given (``placesim.demand.generate_episodes``
is deterministic for a seed and replication), the stays each person drew, or a Poisson
expectation computed from the scenario by hand.

Shared with every test here: everyone who should arrive does, at the time they were due,
and every journey ends somewhere (still in a place, still waiting, or at a destination out
of the modelled services): :func:`assert_everyone_accounted_for`.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

import placesim
from placesim.demand import generate_episodes
from placesim.plan import compile_plan
from placesim.scenario import SETTINGS
from small_scenario import small_scenario

SEED = 20240917
REPLICATIONS = 2
Z = 4.0  # standard errors allowed in the one statistical check
START = dt.date(2025, 4, 1)

SMALL: dict[str, Any] = small_scenario(
    {
        "name": "extreme",
        "calendar": {"horizon_days": 60, "warmup_days": 10, "replications": REPLICATIONS},
        "population": {"annual_growth": 0.0},
        "demand": {"seasonality": None},
        "initial_state": {"intermediate_care": {"occupied": 5}},
    }
)

TERMINAL = {"home", "independent", "home_care", "death", "left"}
ESCALATE_AS_CHILD = {"intermediate_care", "reablement"}  # to acute as a new episode


def small() -> dict[str, Any]:
    return copy.deepcopy(SMALL)


def run(data: dict[str, Any]) -> tuple[placesim.Scenario, placesim.SimulationResult]:
    scenario = placesim.parse_scenario(data)
    return scenario, placesim.simulate(scenario, replications=REPLICATIONS, seed=SEED)


def stays_of(res: placesim.SimulationResult, setting: str) -> pd.DataFrame:
    return res.stays[res.stays["setting"] == setting]


def measure(res: placesim.SimulationResult, name: str, setting: str) -> npt.NDArray[np.float64]:
    m = res.measures
    rows = m[(m["measure"] == name) & (m["setting"] == setting)].sort_values("replication")
    return rows["value"].to_numpy(dtype=float)


def assert_everyone_accounted_for(
    scenario: placesim.Scenario, res: placesim.SimulationResult
) -> None:
    """Each episode due in the run has stays from its due time, and each journey ends in a
    place, in a queue, at a destination out of the services, or in an escalation."""
    horizon = float(scenario.calendar.horizon_days)
    for r in range(REPLICATIONS):
        ep = generate_episodes(compile_plan(scenario), r, SEED)
        stays = res.stays[res.stays["replication"] == r].astype({"next": object})
        due = np.flatnonzero(np.isfinite(ep.time) & (ep.time < horizon) & (ep.entry >= 0))
        first = stays.groupby("episode", sort=False).head(1).set_index("episode")
        missing = set(due.tolist()) - set(first.index)
        assert not missing, f"replication {r}: {len(missing)} due episodes never arrived"
        np.testing.assert_allclose(
            first.loc[due, "requested"].to_numpy(), ep.time[due], rtol=1e-12, atol=1e-9
        )
        last = stays.groupby("episode", sort=False).tail(1)
        open_ = last["leave"].isna()  # in a place, or waiting for one, at the end
        ended = last[~open_]
        escalated = (ended["next"] == "acute") & ended["setting"].isin(ESCALATE_AS_CHILD)
        assert (ended["next"].isin(TERMINAL) | escalated).all(), "a journey ended nowhere"


# --------------------------------------------------------------------------- zero capacity


@pytest.mark.parametrize("setting", SETTINGS)
def test_zero_capacity_admits_nobody_and_everyone_who_asks_is_still_waiting(setting: str) -> None:
    data = small()
    data["settings"][setting]["capacity"] = 0
    data["initial_state"].pop(setting, None)  # nobody can be in place in a setting of 0
    if setting in ("rapid_response", "virtual_ward"):
        data["settings"][setting]["when_full"] = "queue"
    scenario, res = run(data)
    assert_everyone_accounted_for(scenario, res)

    asked = stays_of(res, setting)
    assert asked["arrive"].isna().all(), f"someone was admitted to {setting} with 0 places"
    assert (measure(res, "admissions", setting) == 0).all()
    assert (measure(res, "bed_days", setting) == 0).all()
    # Occupancy rate is undefined with no places: NaN, never inf or a division error.
    assert np.isnan(measure(res, "occupancy_rate", setting)).all()
    # Waiting at the end (the last midnight) = everyone who ever asked for the setting.
    last = res.daily[
        (res.daily["setting"] == setting) & (res.daily["day"] == res.daily["day"].max())
    ]
    waiting_at_end = last.sort_values("replication")["waiting"].to_numpy()
    asked_per_rep = asked.groupby("replication").size().reindex(range(REPLICATIONS), fill_value=0)
    np.testing.assert_array_equal(waiting_at_end, asked_per_rep.to_numpy())
    if setting == "acute":
        # Independent of the engine: every crisis triaged to acute in the run is in the queue.
        for r in range(REPLICATIONS):
            ep = generate_episodes(compile_plan(scenario), r, SEED)
            horizon = scenario.calendar.horizon_days
            to_acute = np.isfinite(ep.time) & (ep.time < horizon) & (ep.entry == 0)
            assert to_acute.sum() > 0
            queued = set(asked.loc[asked["replication"] == r, "episode"])
            assert set(np.flatnonzero(to_acute).tolist()) <= queued
            # Nobody left acute, so nobody was discharged onwards or readmitted.
            onward = res.stays[
                (res.stays["replication"] == r) & (res.stays["source"] == "readmission")
            ]
            assert onward.empty
    assert not res.summary()["mean"].isin([np.inf, -np.inf]).any()


def test_zero_capacity_with_overflow_sends_everyone_to_acute() -> None:
    data = small()
    data["settings"]["rapid_response"]["capacity"] = 0
    scenario, res = run(data)
    assert_everyone_accounted_for(scenario, res)
    assert stays_of(res, "rapid_response").empty
    for r in range(REPLICATIONS):
        ep = generate_episodes(compile_plan(scenario), r, SEED)
        horizon = scenario.calendar.horizon_days
        to_rr = np.flatnonzero(np.isfinite(ep.time) & (ep.time < horizon) & (ep.entry == 1))
        stays = res.stays[res.stays["replication"] == r]
        overflowed = stays[stays["overflow"]]
        assert (overflowed["setting"] == "acute").all()
        assert set(overflowed["episode"]) == set(to_rr.tolist())


# --------------------------------------------------------------------------- surge


def test_hundredfold_surge_brings_a_hundred_times_the_crises_and_loses_nobody() -> None:
    data = small()
    horizon = 14
    data["calendar"].update(horizon_days=horizon, warmup_days=0)
    data["interventions"] = [
        {"type": "demand_change", "name": "surge", "start": START.isoformat(), "factor": 100}
    ]
    scenario, res = run(data)
    assert_everyone_accounted_for(scenario, res)
    assert (res.daily["census"] <= res.daily["capacity"]).all()

    # Expected crises by hand: people at home and in care homes times their rate.
    rates = SMALL["demand"]["crisis_rate_per_person_year"]
    per_year = 0.0
    for loc in SMALL["population"]["localities"]:
        residents = loc.get("care_home_residents", {})
        for band, people in loc["people"].items():
            in_home = residents.get(band, 0)
            per_year += (people - in_home) * rates["home"][band]
            per_year += in_home * rates["care_home"].get(band, 0.0)
    expected = 100 * per_year / 365.25 * horizon * REPLICATIONS
    crises = res.stays[res.stays["source"] == "crisis"].groupby(["replication", "episode"]).ngroups
    assert abs(crises - expected) <= Z * math.sqrt(expected), (crises, expected)

    # The queue for acute is what arrived and did not get in; it is reported, not dropped.
    acute = stays_of(res, "acute")
    last = res.daily[(res.daily["setting"] == "acute") & (res.daily["day"] == horizon - 1)]
    still_waiting = acute[acute["arrive"].isna()].groupby("replication").size()
    np.testing.assert_array_equal(
        last.sort_values("replication")["waiting"].to_numpy(), still_waiting.to_numpy()
    )
    assert (still_waiting > 1000).all()
    assert np.isfinite(res.summary()["mean"].dropna()).all()


# --------------------------------------------------------------------------- one day


def test_one_day_horizon_gives_tables_of_one_day() -> None:
    data = small()
    data["calendar"]["horizon_days"] = 1
    scenario, res = run(data)
    assert_everyone_accounted_for(scenario, res)
    defined = list(scenario.settings.defined())
    assert len(res.daily) == REPLICATIONS * len(defined)
    assert (res.daily["day"] == 0).all()
    assert (res.daily["date"] == pd.Timestamp(START)).all()
    for setting in defined:
        daily = res.daily[res.daily["setting"] == setting].sort_values("replication")
        np.testing.assert_allclose(
            measure(res, "bed_days", setting), daily["occupied_mean"].to_numpy(), rtol=1e-12
        )
        np.testing.assert_allclose(
            measure(res, "occupancy_mean", setting), daily["occupied_mean"].to_numpy()
        )
    # Everything in the reporting window happens in [0, 1).
    s = res.stays
    for column in ("requested", "arrive", "ready", "leave"):
        assert (s[column].dropna() < 1.0).all()
    summary = res.summary()
    assert {"bed_days", "capacity_gap", "occupancy_p95"} <= set(summary["measure"])


# --------------------------------------------------------------------------- empty locality


def test_locality_with_no_people_has_no_crises() -> None:
    data = small()
    data["population"]["localities"].append(
        {"name": "Empty", "partnership": "South", "people": {"0-64": 0, "65+": 0}}
    )
    scenario, res = run(data)
    assert_everyone_accounted_for(scenario, res)
    for r in range(REPLICATIONS):
        ep = generate_episodes(compile_plan(scenario), r, SEED)
        empty = ep.localities.index("Empty")
        assert not (ep.locality == empty).any()
    assert (res.stays["locality"] != "Empty").all()
    # It is still reported, with nobody admitted (not missing from the table).
    by_locality = res.summary(by="locality")
    admissions = by_locality[
        (by_locality["measure"] == "admissions") & (by_locality["locality"] == "Empty")
    ]
    assert not admissions.empty and (admissions["mean"] == 0).all()
    others = by_locality[
        (by_locality["measure"] == "admissions") & (by_locality["locality"] == "A")
    ]
    assert (others["mean"] > 0).any()


# --------------------------------------------------------------------------- one pathway


def test_every_discharge_on_p1_goes_to_reablement() -> None:
    data = small()
    data["discharge"]["pathways"] = {"all": {"P1": 1.0}}
    scenario, res = run(data)
    assert_everyone_accounted_for(scenario, res)
    s = res.stays.astype({"setting": object, "next": object})
    acute = s[s["setting"] == "acute"]
    discharged = acute[acute["ready"].notna()]
    assert len(discharged) > 50
    assert (discharged["next"] == "reablement").all(), set(discharged["next"])
    # Each acute discharge asks for reablement at the moment it was medically ready.
    following = s.groupby(["replication", "episode"], sort=False).shift(-1)
    after = following.loc[discharged.index]
    assert (after["setting"] == "reablement").all()
    np.testing.assert_array_equal(after["requested"], discharged["ready"])
    # And nobody reaches intermediate care or a care home from acute.
    assert not (
        (s["setting"] == "acute") & s["next"].isin(["intermediate_care", "care_home"])
    ).any()


# --------------------------------------------------------------------------- capacity to zero


def test_capacity_falling_to_zero_lets_nobody_in_and_drains_without_eviction() -> None:
    data = small()
    drop_day = 20
    drop = START + dt.timedelta(days=drop_day)
    data["settings"]["intermediate_care"]["capacity_changes"] = [
        {"date": drop.isoformat(), "capacity": 0}
    ]
    scenario, res = run(data)
    assert_everyone_accounted_for(scenario, res)
    ic = stays_of(res, "intermediate_care")

    # Nobody arrives from the drop on; whoever asks afterwards waits to the end.
    assert not (ic["arrive"] >= drop_day).any()
    asked_after = ic[ic["requested"] >= drop_day]
    assert len(asked_after) > 0 and asked_after["arrive"].isna().all()

    # Those in place at the drop stay exactly the stay they drew (nobody is cut short) and
    # leave when ready or, if they wait for their next place, later, never earlier.
    in_place = ic[(ic["arrive"] < drop_day) & ~(ic["leave"] < drop_day)]
    assert len(in_place) > 0
    for r in range(REPLICATIONS):
        ep = generate_episodes(compile_plan(scenario), r, SEED)
        mine = in_place[(in_place["replication"] == r) & in_place["ready"].notna()]
        drawn = ep.los[
            mine["episode"].to_numpy(dtype=np.int64), SETTINGS.index("intermediate_care")
        ]
        np.testing.assert_allclose(mine["ready"] - mine["arrive"], drawn, rtol=1e-9, atol=1e-9)
    done = in_place[in_place["leave"].notna()]
    assert (done["leave"] >= done["ready"]).all()

    # The census drains: never rises after the drop, and is 0 once the last has left.
    daily = res.daily[res.daily["setting"] == "intermediate_care"]
    for r, g in daily.groupby("replication"):
        g = g.sort_values("day")
        after = g[g["day"] >= drop_day]
        assert (np.diff(after["census"].to_numpy()) <= 0).all()
        assert (after["capacity"] == 0).all() and (g[g["day"] < drop_day]["capacity"] == 6).all()
        # At the end: exactly those of them who have not left yet (nobody else came in).
        mine = in_place[in_place["replication"] == r]
        assert after["census"].iloc[-1] == mine["leave"].isna().sum()
        if mine["leave"].notna().all():
            gone = mine["leave"].max()
            assert (after.loc[after["day"] >= math.ceil(gone), "census"] == 0).all()


# --------------------------------------------------------------------------- ten years


def test_ten_year_horizon_bed_days_are_the_daily_integral() -> None:
    data = small()
    horizon = 3653  # 1 April 2025 to 31 March 2035
    data["calendar"].update(horizon_days=horizon, warmup_days=30)
    data["population"]["annual_growth"] = 0.0035
    for loc in data["population"]["localities"]:
        loc["people"] = {band: n // 10 for band, n in loc["people"].items()}
        loc.pop("care_home_residents", None)
    data["initial_state"]["care_home"] = {"occupied": 10}
    scenario, res = run(data)
    assert_everyone_accounted_for(scenario, res)
    defined = list(scenario.settings.defined())
    assert len(res.daily) == REPLICATIONS * len(defined) * horizon
    assert res.daily["date"].max() == pd.Timestamp(START + dt.timedelta(days=horizon - 1))

    s = res.stays[res.stays["arrive"].notna()]
    leave = s["leave"].fillna(float(horizon)).clip(upper=float(horizon))
    held = (leave - s["arrive"].clip(lower=0.0)).clip(lower=0.0)
    by_stays = held.groupby([s["replication"], s["setting"]], observed=True).sum()
    daily = res.daily.groupby(["replication", "setting"], observed=True)["occupied_mean"].sum()
    for setting in defined:
        bed_days = measure(res, "bed_days", setting)
        for r in range(REPLICATIONS):
            np.testing.assert_allclose(bed_days[r], daily.loc[(r, setting)], rtol=1e-9)
            np.testing.assert_allclose(
                bed_days[r], by_stays.get((r, setting), 0.0), rtol=1e-9, atol=1e-9
            )
    # People keep arriving to the end: the last year has crises, as the first does.
    crisis = res.stays[res.stays["source"] == "crisis"]
    assert (crisis["requested"] < 365).any() and (crisis["requested"] >= horizon - 365).any()
