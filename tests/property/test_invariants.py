"""Properties that hold for every scenario, checked on small scenarios drawn by hypothesis.

Each property is checked on the public tables (``stays``, ``daily``, ``measures``) of a run
of a scenario from ``strategies.scenarios()``. The accounting check also regenerates the
episodes the engine was given (``placesim.demand.generate_episodes``, deterministic for a
seed and replication) to see that every person who should have arrived did, and that every
readmission and escalation started exactly when its parent's journey said it should.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import placesim
from placesim.demand import generate_episodes
from placesim.plan import compile_plan
from placesim.plan.pathways import SOURCES
from placesim.scenario import SETTINGS
from strategies import scenarios

REPLICATIONS = 2
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
seeds = st.integers(min_value=0, max_value=2**32 - 1)

FORWARD_FROM = {
    "acute": {"intermediate_care", "reablement", "care_home"},
    "rapid_response": {"intermediate_care"},
    "intermediate_care": {"reablement", "care_home"},
    "reablement": {"care_home"},
}
ESCALATE_IN_EPISODE = {"rapid_response", "virtual_ward"}  # to acute, same episode
ESCALATE_AS_CHILD = {"intermediate_care", "reablement"}  # to acute, a new episode
HOME_ENDS = {"home", "independent", "home_care"}
TERMINAL = HOME_ENDS | {"death", "left"}


def run(data: dict[str, Any], seed: int, replications: int = REPLICATIONS) -> Any:
    return placesim.simulate(placesim.parse_scenario(data), replications=replications, seed=seed)


def change_times(data: dict[str, Any], setting: str) -> npt.NDArray[np.float64]:
    """Times of the setting's capacity changes (00:00 of each date), days from start_date."""
    start = dt.date.fromisoformat(data["calendar"]["start_date"])
    changes = data["settings"][setting].get("capacity_changes", [])
    return np.array([float((dt.date.fromisoformat(c["date"]) - start).days) for c in changes])


def capacity_in_force(
    data: dict[str, Any], setting: str, t: npt.NDArray[np.float64], at_change: str = "max"
) -> npt.NDArray[np.float64]:
    """Capacity of `setting` at times `t`, from the scenario dict (inf = unlimited).

    At the very instant of a change, events of that instant may have happened under the
    old or the new value (the order of events at one instant is a tie): ``at_change="max"``
    returns the larger of the two there, ``"after"`` the new one (in force once all the
    events of the instant are done).
    """
    s = data["settings"][setting]
    if s["capacity"] == "unlimited":
        return np.full(t.shape, np.inf)
    times = np.concatenate(([-np.inf], change_times(data, setting)))
    values = np.array([s["capacity"]] + [c["capacity"] for c in s.get("capacity_changes", [])])
    after = values[np.searchsorted(times, t, side="right") - 1].astype(float)
    if at_change == "after":
        return after
    before = values[np.searchsorted(times, t, side="left") - 1].astype(float)
    return np.maximum(after, before)


def window_overlap(
    start: npt.NDArray[np.float64], end: npt.NDArray[np.float64], horizon: float
) -> npt.NDArray[np.float64]:
    """Length of [start, end) inside [0, horizon); a NaN end is open until the horizon."""
    end = np.where(np.isnan(end), horizon, end)
    return np.clip(np.minimum(end, horizon) - np.maximum(start, 0.0), 0.0, None)


# --------------------------------------------------------------------------- accounting


@PROPERTY
@given(scenarios(), seeds)
def test_everyone_who_arrives_is_accounted_for(data: dict[str, Any], seed: int) -> None:
    """Every episode due before the horizon has stays, beginning at its arrival time; a
    child (readmission or escalation) has stays exactly when its parent's journey ended
    that way early enough (a readmission only after an acute stay), beginning at that
    moment; nobody else has any; and every stay
    lasts the length the episode drew for that setting (the engine draws nothing)."""
    sc = placesim.parse_scenario(data)
    res = placesim.simulate(sc, replications=REPLICATIONS, seed=seed)
    horizon = float(sc.calendar.horizon_days)
    setting_codes = {name: i for i, name in enumerate(SETTINGS)}
    for r in range(REPLICATIONS):
        ep = generate_episodes(compile_plan(sc), r, seed)
        stays = res.stays[res.stays["replication"] == r]
        first = stays.groupby("episode", sort=False).head(1).set_index("episode")
        last = stays.groupby("episode", sort=False).tail(1).set_index("episode")

        expected: dict[int, tuple[float, str]] = {}  # episode -> (request time, source)
        had_acute = set(stays.loc[stays["setting"] == "acute", "episode"].tolist())
        due = np.isfinite(ep.time) & (ep.time < horizon) & (ep.entry >= 0)
        for i in np.flatnonzero(due).tolist():
            expected[i] = (float(ep.time[i]), SOURCES[int(ep.source[i])])
        for i, row in last.iterrows():
            c = int(ep.child[int(i)])
            if c < 0 or np.isnan(row["leave"]):
                continue
            if row["next"] == "acute" and row["setting"] in ESCALATE_AS_CHILD:
                expected[c] = (float(row["leave"]), "escalation")
            elif row["next"] in HOME_ENDS and ep.readmit[int(i)] and int(i) in had_acute:
                when = float(row["leave"]) + float(ep.readmit_delay[int(i)])
                if when < horizon:
                    expected[c] = (when, "readmission")

        assert set(first.index) == set(expected), "episodes with stays != episodes due"
        for i, (when, source) in expected.items():
            # The engine reaches a time by adding the delay from the last event (SimPy
            # timeouts), which may differ from the drawn time in the last bit.
            assert np.isclose(first.at[i, "requested"], when, rtol=1e-12, atol=1e-12), (
                f"episode {i} requested at {first.at[i, 'requested']!r}, due at {when!r}"
            )
            assert first.at[i, "source"] == source
            if not ep.in_place[i]:
                entry = SETTINGS[int(ep.entry[i])]
                assert first.at[i, "setting"] == entry or (
                    first.at[i, "overflow"] and first.at[i, "setting"] == "acute"
                )

        done = stays[stays["ready"].notna()]
        codes = done["setting"].map(setting_codes).to_numpy(dtype=np.int64)
        drawn = ep.los[done["episode"].to_numpy(dtype=np.int64), codes]
        np.testing.assert_allclose(done["ready"] - done["arrive"], drawn, rtol=1e-9, atol=1e-9)


@PROPERTY
@given(scenarios(), seeds)
def test_every_journey_is_a_chain(data: dict[str, Any], seed: int) -> None:
    """The stays of one episode follow one another: each leads (``next``) to the setting
    of the following stay, asked for at the right moment, so a person holds at most one
    place at a time, except at the instant of a forward move; the last stay ends at a
    terminal destination, in an escalation to a new episode, or is still open at the end."""
    res = run(data, seed)
    # Rows are in the order the stays were asked for, so an episode's rows are in order.
    s = res.stays.astype({"setting": object, "next": object, "source": object})
    episode = s.groupby(["replication", "episode"], sort=False)
    assert (episode["source"].nunique() == 1).all()
    assert not (s["overflow"] & (episode.cumcount() > 0)).any(), "overflow after the start"

    following = episode.shift(-1)
    has_next = following["setting"].notna()
    prev, nxt = s[has_next], following[has_next]
    assert (prev["next"] == nxt["setting"]).all()
    assert prev["ready"].notna().all()
    in_episode = prev["setting"].isin(ESCALATE_IN_EPISODE) & (nxt["setting"] == "acute")
    # Escalation from rapid response or virtual ward: the place is given up, then acute is
    # asked for.
    e, ne = prev[in_episode], nxt[in_episode]
    np.testing.assert_array_equal(e["leave"], e["ready"])
    np.testing.assert_array_equal(ne["requested"], e["leave"])
    # A forward move: asked for when ready; the old place is kept until the new one is had.
    f, nf = prev[~in_episode], nxt[~in_episode]
    moves = set(zip(f["setting"], nf["setting"], strict=True))
    assert all(b in FORWARD_FROM.get(a, set()) for a, b in moves), f"moves {moves}"
    np.testing.assert_array_equal(nf["requested"], f["ready"])
    np.testing.assert_array_equal(nf["arrive"], f["leave"])  # both NaN while still waiting

    last = s[~has_next]
    open_ = last["leave"].isna()
    assert last.loc[open_, "next"].isna().all(), "an open stay has no destination yet"
    ended = last[~open_]
    escalated = (ended["next"] == "acute") & ended["setting"].isin(ESCALATE_AS_CHILD)
    assert (ended["next"].isin(TERMINAL) | escalated).all(), (
        f"journeys end at {set(zip(ended['setting'], ended['next'], strict=True))}"
    )


# --------------------------------------------------------------------------- capacity


@PROPERTY
@given(scenarios(), seeds)
def test_nobody_is_placed_beyond_capacity(data: dict[str, Any], seed: int) -> None:
    """After the arrivals at each instant, the people holding places in a setting number
    at most its capacity then (a drop takes effect as people leave, so before anyone
    arrives the count may stay above a reduced capacity, but nobody is let in)."""
    res = run(data, seed)
    for (_, setting), g in res.stays.groupby(["replication", "setting"], observed=True):
        arrive = g["arrive"].to_numpy(dtype=float)
        leave = g["leave"].to_numpy(dtype=float)
        starts = np.sort(arrive[np.isfinite(arrive)])
        ends = np.sort(leave[np.isfinite(leave)])
        t = np.unique(starts)
        occupied = np.searchsorted(starts, t, side="right") - np.searchsorted(ends, t, "right")
        cap = capacity_in_force(data, str(setting), t)
        over = occupied > cap
        assert not over.any(), (
            f"{setting}: {occupied[over][0]} in place at t={t[over][0]} with capacity "
            f"{cap[over][0]}"
        )


@PROPERTY
@given(scenarios(), seeds)
def test_nobody_waits_while_a_place_is_free(data: dict[str, Any], seed: int) -> None:
    """After the events of each instant, if anyone is waiting for a setting, every place in
    force is taken: a place that frees, or a rise in capacity, goes to the queue at once."""
    res = run(data, seed)
    for (_, setting), g in res.stays.groupby(["replication", "setting"], observed=True):
        requested = np.sort(g["requested"].to_numpy(dtype=float))
        arrive = g["arrive"].to_numpy(dtype=float)
        leave = g["leave"].to_numpy(dtype=float)
        starts = np.sort(arrive[np.isfinite(arrive)])
        ends = np.sort(leave[np.isfinite(leave)])
        t = np.unique(np.concatenate([requested, starts, ends, change_times(data, str(setting))]))
        waiting = np.searchsorted(requested, t, "right") - np.searchsorted(starts, t, "right")
        occupied = np.searchsorted(starts, t, "right") - np.searchsorted(ends, t, "right")
        # After all the events of an instant the new capacity is in force.
        s = data["settings"][str(setting)]
        cap = capacity_in_force(data, str(setting), t, at_change="after")
        idle = (waiting > 0) & (occupied < cap)
        assert not idle.any(), (
            f"{setting} ({s['capacity']}, changes {s.get('capacity_changes')}): "
            f"{waiting[idle][0]} waiting at t={t[idle][0]} with {occupied[idle][0]} of "
            f"{cap[idle][0]} places taken"
        )


@PROPERTY
@given(scenarios(), seeds)
def test_queues_are_first_come_first_served(data: dict[str, Any], seed: int) -> None:
    """Requests are recorded in time order, and places are granted in that order: in each
    setting, sorted by request (ties in the order asked), nobody gets a place before
    someone who asked earlier, and nobody still waiting at the end asked before someone
    placed."""
    res = run(data, seed)
    for (_, setting), g in res.stays.groupby(["replication", "setting"], observed=True):
        requested = g["requested"].to_numpy(dtype=float)
        assert np.all(np.diff(requested) >= 0.0)
        arrive = g["arrive"].fillna(np.inf).to_numpy(dtype=float)
        assert np.all(arrive[1:] >= arrive[:-1]), f"{setting}: a later request was served first"


# --------------------------------------------------------------------------- times


@PROPERTY
@given(scenarios(), seeds)
def test_times_are_ordered_and_durations_non_negative(data: dict[str, Any], seed: int) -> None:
    res = run(data, seed)
    s = res.stays
    warmup = float(data["calendar"]["warmup_days"])
    horizon = float(data["calendar"]["horizon_days"])
    assert (s["requested"] >= -warmup).all() and (s["requested"] < horizon).all()
    for earlier, later in [("requested", "arrive"), ("arrive", "ready"), ("ready", "leave")]:
        both = s[earlier].notna() & s[later].notna()
        assert (s.loc[both, earlier] <= s.loc[both, later]).all(), f"{earlier} > {later}"
        # What has not happened by the end is NaN, and so is everything after it.
        assert not (s[earlier].isna() & s[later].notna()).any()
    for column in ("arrive", "ready", "leave"):
        assert (s[column].dropna() >= -warmup).all() and (s[column].dropna() < horizon).all()
    assert (s["waited"].dropna() >= 0.0).all()
    assert (s["delayed"].dropna() >= 0.0).all()
    assert ((s["leave"] - s["arrive"]).dropna() >= 0.0).all()
    np.testing.assert_array_equal(s["waited"], s["arrive"] - s["requested"])
    np.testing.assert_array_equal(s["delayed"], s["leave"] - s["ready"])


# --------------------------------------------------------------------------- seeds


@PROPERTY
@given(scenarios(), seeds)
def test_same_seed_same_tables(data: dict[str, Any], seed: int) -> None:
    """The same seed gives identical tables, and replication 0 is the same however many
    replications run (each has its own streams)."""
    a = run(data, seed)
    b = run(data, seed)
    pd.testing.assert_frame_equal(a.stays, b.stays)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    pd.testing.assert_frame_equal(a.measures, b.measures)
    one = run(data, seed, replications=1)
    for table in ("stays", "daily", "measures"):
        full = getattr(a, table)
        pd.testing.assert_frame_equal(
            getattr(one, table), full[full["replication"] == 0].reset_index(drop=True)
        )


# --------------------------------------------------------------------------- bed days


@PROPERTY
@given(scenarios(), seeds)
def test_bed_days_are_the_integral_of_occupancy(data: dict[str, Any], seed: int) -> None:
    """Bed days (measure) = sum of the daily mean occupancy = the parts of the stays
    [arrive, leave) inside the window [0, horizon), a stay not ended being open until the
    horizon; likewise delayed bed days with [ready, leave)."""
    res = run(data, seed)
    horizon = float(data["calendar"]["horizon_days"])
    m = res.measures.pivot_table(
        index=["replication", "setting"], columns="measure", values="value", observed=True
    )
    daily = res.daily.groupby(["replication", "setting"], observed=True)["occupied_mean"].sum()
    s = res.stays[res.stays["arrive"].notna()]
    held = window_overlap(s["arrive"].to_numpy(), s["leave"].to_numpy(), horizon)
    ready = s["ready"].to_numpy()
    delayed = np.where(
        np.isnan(ready), 0.0, window_overlap(np.nan_to_num(ready), s["leave"].to_numpy(), horizon)
    )
    keys = [s["replication"], s["setting"]]
    by_stays = pd.Series(held, index=s.index).groupby(keys, observed=True).sum()
    delayed_by_stays = pd.Series(delayed, index=s.index).groupby(keys, observed=True).sum()
    for (r, setting), row in m.iterrows():
        bed_days = row["bed_days"]
        np.testing.assert_allclose(bed_days, daily.loc[(r, setting)], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(bed_days, by_stays.get((r, setting), 0.0), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(
            row["delayed_bed_days"], delayed_by_stays.get((r, setting), 0.0), rtol=1e-9, atol=1e-9
        )
        np.testing.assert_allclose(row["occupancy_mean"], bed_days / horizon, rtol=1e-9)
