"""The fast engine records the same stays as the reference SimPy engine.

:func:`placesim.fast_engine.run_fast_engine` promises to record exactly what
:func:`placesim.engine.run_engine` records on the same pre-sampled episodes
(``placesim.demand.generate_episodes``): the same rows in the same order, identical
episode, setting, source, next, overflow and at_start, and requested, arrive, ready and
leave equal to floating-point tolerance (NaN where a stay did not get that far).

Checked on every shipped scenario, on small scenarios drawn by hypothesis (``scenarios()``
from tests/strategies.py: capacities of 0 and unlimited, capacity changes, fixed stays
that make simultaneous events, blocking, escalation, readmission, overflow, starting
census and queues) extended here with assessment days and a drawn list of interventions,
and on explicit intervention cases. Agreement alone cannot catch a mistake both engines
share, so a few tiny cases are also worked out by hand (or by the Lindley recursion of a
FIFO queue with fixed stays) and both engines must give that answer.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import placesim
from placesim.demand import Episodes, generate_episodes
from placesim.engine import StayRecords, run_kernel, run_reference_engine
from placesim.engine.records import OperationsLog
from placesim.plan import compile_plan, compile_policy
from placesim.plan.pathways import (
    ACUTE,
    HOME,
    INDEPENDENT,
    INTERMEDIATE_CARE,
    REABLEMENT,
    SOURCES,
)
from placesim.scenario import Scenario
from small_scenario import small_scenario
from strategies import lengths_of_stay, scenarios, with_operations

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))

TOLERANCE = 1e-9  # days
INT_COLUMNS = ("episode", "setting", "source", "next", "overflow", "at_start")
FLOAT_COLUMNS = ("requested", "arrive", "ready", "leave")
COLUMNS = INT_COLUMNS[:3] + FLOAT_COLUMNS + INT_COLUMNS[3:]
INITIAL = SOURCES.index("initial")
REFERRAL = SOURCES.index("referral")
IC = INTERMEDIATE_CARE


# --------------------------------------------------------------------------- helpers


def _row(records: StayRecords, k: int) -> dict[str, Any]:
    return {c: getattr(records, c)[k].item() for c in COLUMNS}


def _first_difference(a: StayRecords, b: StayRecords) -> int | None:
    """Index of the first row where `a` and `b` differ (None: the common rows agree)."""
    n = min(a.size, b.size)
    bad = np.zeros(n, dtype=bool)
    for c in INT_COLUMNS:
        bad |= getattr(a, c)[:n] != getattr(b, c)[:n]
    for c in FLOAT_COLUMNS:
        x, y = getattr(a, c)[:n], getattr(b, c)[:n]
        nan_x, nan_y = np.isnan(x), np.isnan(y)
        with np.errstate(invalid="ignore"):
            far = np.abs(x - y) > TOLERANCE
        bad |= (nan_x != nan_y) | (far & ~nan_x & ~nan_y)
    rows = np.flatnonzero(bad)
    return int(rows[0]) if rows.size else None


def assert_same_stays(reference: StayRecords, fast: StayRecords) -> None:
    """The two engines' stays are the same: integer and boolean columns equal, times equal
    to within TOLERANCE days with NaN in the same places, same rows in the same order.

    On failure the message shows the first differing row of each engine."""
    k = _first_difference(reference, fast)
    if k is None and reference.size != fast.size:
        k = min(reference.size, fast.size)
    if k is not None:
        ref_row = _row(reference, k) if k < reference.size else "(no row)"
        fast_row = _row(fast, k) if k < fast.size else "(no row)"
        raise AssertionError(
            f"the engines differ from row {k} (of {reference.size} reference, "
            f"{fast.size} fast rows):\n  reference: {ref_row}\n  fast:      {fast_row}"
        )
    # The same checks again, column by column, so dtypes and shapes are covered too.
    for c in INT_COLUMNS:
        x, y = getattr(reference, c), getattr(fast, c)
        assert x.dtype == y.dtype, f"{c}: dtype {x.dtype} != {y.dtype}"
        np.testing.assert_array_equal(x, y, err_msg=c)
    for c in FLOAT_COLUMNS:
        x, y = getattr(reference, c), getattr(fast, c)
        assert x.dtype == y.dtype == np.float64, f"{c}: dtype {x.dtype}, {y.dtype}"
        np.testing.assert_allclose(x, y, rtol=0, atol=TOLERANCE, equal_nan=True, err_msg=c)


def run_both(scenario: Scenario, episodes: Episodes) -> tuple[StayRecords, StayRecords]:
    """Both engines on the same episodes; asserts they agree and returns both."""
    plan = compile_plan(scenario)
    reference = run_reference_engine(plan, episodes)
    fast, events = run_kernel(plan, episodes)
    assert_same_stays(reference, fast)
    assert events >= fast.size, "every stay is recorded while handling an event"
    return reference, fast


def agree_scenario(sc: Scenario, replication: int = 0, seed: int = 1) -> StayRecords:
    """Run both engines on one replication of `sc`, check they agree, return the stays."""
    reference, _ = run_both(sc, generate_episodes(compile_plan(sc), replication, seed))
    return reference


def agree(data: dict[str, Any], replication: int = 0, seed: int = 1) -> StayRecords:
    """:func:`agree_scenario` on the scenario dict `data`."""
    return agree_scenario(placesim.parse_scenario(data), replication, seed)


def _date(start: str, offset: int) -> str:
    return (dt.date.fromisoformat(start) + dt.timedelta(days=offset)).isoformat()


def _columns(records: StayRecords) -> dict[str, list[Any]]:
    return {c: getattr(records, c).tolist() for c in COLUMNS}


# --------------------------------------------------------------------------- shipped


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_engines_agree_on_shipped_scenarios(path: Path) -> None:
    """Replication 0, seed 1 of every shipped scenario, as shipped (1-3 s each)."""
    sc = placesim.load_scenario(path)
    reference = agree_scenario(sc)
    assert reference.size > 1000
    assert np.isnan(reference.leave).any(), "some stays are still open at the horizon"
    assert (reference.arrive > reference.requested).any(), "somebody waited for a place"


# --------------------------------------------------------------------------- hand-worked


TINY: dict[str, Any] = {
    "name": "tiny",
    "calendar": {"start_date": "2025-01-01", "horizon_days": 20, "warmup_days": 0},
    "settings": {"acute": {"capacity": 1, "los": {"kind": "fixed", "days": 2}}},
    "discharge": {"pathways": {"all": {"P0": 1.0}}},
}
"""One acute bed, stays of exactly two days, everyone home afterwards; no demand."""


def test_second_of_two_waiting_gets_the_bed_when_the_first_leaves() -> None:
    """Two people ask for one bed at time 0: the first stays 0-2, the second 2-4."""
    data = copy.deepcopy(TINY)
    data["initial_state"] = {"acute": {"occupied": 0, "waiting": 2}}
    stays = agree(data)
    assert _columns(stays) == {
        "episode": [0, 1],
        "setting": [ACUTE, ACUTE],
        "source": [INITIAL, INITIAL],
        "requested": [0.0, 0.0],
        "arrive": [0.0, 2.0],
        "ready": [2.0, 4.0],
        "leave": [2.0, 4.0],
        "next": [HOME, HOME],
        "overflow": [False, False],
        "at_start": [False, False],
    }


@pytest.mark.parametrize("capacity", [1, 2])
def test_fifo_queue_with_fixed_stays_follows_the_lindley_recursion(capacity: int) -> None:
    """Referrals at 1.5 a day per bed to `capacity` beds with 1.5-day stays (a queue builds):
    with fixed stays, people leave in the order they arrived, so the k-th person gets a
    bed at max(their request, the leaving time of person k - capacity)."""
    data = copy.deepcopy(TINY)
    data["settings"]["acute"].update(capacity=capacity, los={"kind": "fixed", "days": 1.5})
    data["referrals"] = [{"name": "r", "setting": "acute", "rate_per_day": 1.5 * capacity}]
    horizon = float(data["calendar"]["horizon_days"])
    sc = placesim.parse_scenario(data)
    ep = generate_episodes(compile_plan(sc), 0, 7)
    stays, _ = run_both(sc, ep)

    due = np.flatnonzero(np.isfinite(ep.time) & (ep.time < horizon) & (ep.entry >= 0))
    due = due[np.argsort(ep.time[due], kind="stable")]
    assert due.size > 10
    np.testing.assert_array_equal(stays.episode, due)
    assert (stays.source == REFERRAL).all()
    np.testing.assert_allclose(stays.requested, ep.time[due], rtol=0, atol=TOLERANCE)
    arrive = np.empty(due.size)
    for k in range(due.size):
        free = arrive[k - capacity] + 1.5 if k >= capacity else -np.inf
        arrive[k] = max(float(ep.time[due[k]]), free)
    ready = arrive + 1.5
    arrive[arrive >= horizon] = np.nan
    ready[~(ready < horizon)] = np.nan
    np.testing.assert_allclose(stays.arrive, arrive, rtol=0, atol=TOLERANCE, equal_nan=True)
    np.testing.assert_allclose(stays.ready, ready, rtol=0, atol=TOLERANCE, equal_nan=True)
    np.testing.assert_allclose(stays.leave, ready, rtol=0, atol=TOLERANCE, equal_nan=True)
    assert (
        stays.arrive[np.isfinite(stays.arrive)] > stays.requested[np.isfinite(stays.arrive)]
    ).any()
    assert np.isnan(stays.arrive).any() or np.isnan(stays.ready).any()


def test_blocked_discharge_keeps_the_acute_bed_until_intermediate_care_frees() -> None:
    """One acute bed (2-day stays, all to intermediate care), one intermediate-care bed
    (3-day stays) held at the start by someone with 3 days to go, two people waiting for
    acute. Worked by hand:

    - A: acute 0-2, blocked until the IC bed frees at 3; IC 3-6.
    - occupant: IC 0-3, home.
    - B: waits for acute until A leaves at 3; acute 3-5, blocked until A leaves IC at 6;
      IC 6-9.
    """
    data = copy.deepcopy(TINY)
    data["settings"]["intermediate_care"] = {
        "capacity": 1,
        "los": {"kind": "fixed", "days": 3},
        "outcomes": {"home": 1.0},
    }
    data["discharge"]["pathways"] = {"all": {"P2": 1.0}}
    data["initial_state"] = {
        "acute": {"occupied": 0, "waiting": 2},
        "intermediate_care": {"occupied": 1, "remaining": "fresh"},
    }
    stays = agree(data)
    a, b, occupant = 0, 1, 2
    assert _columns(stays) == {
        "episode": [a, b, occupant, a, b],
        "setting": [ACUTE, ACUTE, IC, IC, IC],
        "source": [INITIAL] * 5,
        "requested": [0.0, 0.0, 0.0, 2.0, 5.0],
        "arrive": [0.0, 3.0, 0.0, 3.0, 6.0],
        "ready": [2.0, 5.0, 3.0, 6.0, 9.0],
        "leave": [3.0, 6.0, 3.0, 6.0, 9.0],
        "next": [IC, IC, HOME, HOME, HOME],
        "overflow": [False] * 5,
        "at_start": [False, False, True, False, False],
    }


def test_capacity_rises_on_dates_and_a_drop_evicts_nobody() -> None:
    """No bed until day 3, one from day 3 (a dated change), a second on day 4 only (a
    capacity_change lever, end inclusive); three people waiting with 4-day stays:

    - first: 3-7; second: 4-8 (the second bed opens at 4);
    - at 5 the second bed closes but its occupant stays; at 7 the first leaves, 1 of
      capacity 1 is still taken, so the third waits until 8: 8-12.
    """
    data = copy.deepcopy(TINY)
    start = data["calendar"]["start_date"]
    data["settings"]["acute"] = {
        "capacity": 0,
        "capacity_changes": [{"date": _date(start, 3), "capacity": 1}],
        "los": {"kind": "fixed", "days": 4},
    }
    data["initial_state"] = {"acute": {"occupied": 0, "waiting": 3}}
    data["interventions"] = [
        {
            "type": "capacity_change",
            "setting": "acute",
            "start": _date(start, 4),
            "end": _date(start, 4),
            "change": 1,
        }
    ]
    stays = agree(data)
    assert stays.arrive.tolist() == [3.0, 4.0, 8.0]
    assert stays.leave.tolist() == [7.0, 8.0, 12.0]
    assert stays.requested.tolist() == [0.0, 0.0, 0.0]


def test_policy_is_read_when_stays_start_and_when_acute_stays_end() -> None:
    """Home First from day 3 (all of P2 to P1, half the assessment days, half the
    intermediate-care stays). One acute bed (2-day stays, every discharge P2), assessment
    1 day for P1 and P2, intermediate care and reablement 1-day stays. Two people waiting:

    - A: acute 0-2, ready on day 2 (no policy): P2, assesses 1 day, intermediate care
      asked for and had at 3; that stay starts on day 3, so it lasts 0.5: 3-3.5, home.
    - B: acute 3-5, ready on day 5 (policy): P1, assesses 0.5 days, reablement at 5.5 for
      a full day (the lever does not touch reablement): 5.5-6.5, independent.
    """
    data = copy.deepcopy(TINY)
    start = data["calendar"]["start_date"]
    one_day = {"kind": "fixed", "days": 1}
    data["settings"].update(
        intermediate_care={"capacity": "unlimited", "los": one_day, "outcomes": {"home": 1.0}},
        reablement={"capacity": "unlimited", "los": one_day, "outcomes": {"independent": 1.0}},
    )
    data["discharge"] = {
        "pathways": {"all": {"P2": 1.0}},
        "assessment_days": {"P1": one_day, "P2": one_day},
    }
    data["initial_state"] = {"acute": {"occupied": 0, "waiting": 2}}
    data["interventions"] = [
        {
            "type": "home_first",
            "start": _date(start, 3),
            "p2_to_p1": 1.0,
            "p3_to_p2": 0.0,
            "p3_to_p1": 0.0,
            "assessment_reduction": 0.5,
            "intermediate_care_los_reduction": 0.5,
        }
    ]
    stays = agree(data)
    a, b = 0, 1
    assert _columns(stays) == {
        "episode": [a, b, a, b],
        "setting": [ACUTE, ACUTE, IC, REABLEMENT],
        "source": [INITIAL] * 4,
        "requested": [0.0, 0.0, 3.0, 5.5],
        "arrive": [0.0, 3.0, 3.0, 5.5],
        "ready": [2.0, 5.0, 3.5, 6.5],
        "leave": [3.0, 5.5, 3.5, 6.5],
        "next": [IC, REABLEMENT, HOME, INDEPENDENT],
        "overflow": [False] * 4,
        "at_start": [False] * 4,
    }


# --------------------------------------------------------------------------- interventions

SMALL: dict[str, Any] = small_scenario(
    {
        # Fixed stays and assessments make simultaneous events; people wait at the start.
        "settings": {"virtual_ward": {"los": {"kind": "fixed", "days": 3}}},
        "discharge": {
            "readmission": {"probability": {"all": 0.15}},
            "assessment_days": {
                "P1": {"kind": "exponential", "mean": 1},
                "P2": {"kind": "fixed", "days": 1},
                "P3": {"kind": "exponential", "mean": 3},
            },
        },
        "initial_state": {"intermediate_care": {"occupied": 5, "waiting": 1}},
    }
)
"""Two localities in two partnerships, two age bands, every setting, capacity tight enough
that people queue and block; about 800 stays in 105 days."""

LEVERS: dict[str, list[dict[str, Any]]] = {
    "home_first": [
        {"type": "home_first", "start": "2025-05-01", "ramp_up_days": 10},
    ],
    "home_first_compounding_in_one_locality": [
        {
            "type": "home_first",
            "start": "2025-04-20",
            "localities": ["A"],
            "p2_to_p1": 0.5,
            "p3_to_p2": 0.4,
            "p3_to_p1": 0.6,
        },
        {
            "type": "home_first",
            "start": "2025-05-10",
            "end": "2025-06-10",
            "p3_to_p2": 0.5,
            "p3_to_p1": 0.5,
            "assessment_reduction": 1.0,
            "intermediate_care_los_reduction": 0.3,
        },
    ],
    "integrated_locality": [
        {
            "type": "integrated_locality",
            "start": "2025-04-10",
            "end": "2025-06-01",
            "ramp_up_days": 7,
            "partnerships": ["South"],
            "admission_diversion": {"all": 0.3},
            "acute_los_reduction": 0.25,
            "home_shift": 0.4,
        },
    ],
    "capacity_changes": [
        {"type": "capacity_change", "setting": "acute", "start": "2025-04-15", "change": -12},
        {
            "type": "capacity_change",
            "setting": "acute",
            "start": "2025-05-01",
            "end": "2025-05-20",
            "change": 8,
        },
        {
            "type": "capacity_change",
            "setting": "intermediate_care",
            "start": "2025-03-20",
            "change": 3,
        },
        {"type": "capacity_change", "setting": "reablement", "start": "2025-05-05", "change": -6},
    ],
    "locality_rollout": [
        {
            "type": "locality_rollout",
            "ramp_up_days": 14,
            "admission_diversion": {"0-64": 0.1, "65+": 0.2},
            "to_rapid_response": 0.7,
            "acute_los_reduction": 0.1,
            "home_shift": 0.2,
            "phases": [
                {"start": "2025-04-05", "partnerships": ["North"]},
                {"start": "2025-05-15", "localities": ["B"]},
            ],
        },
    ],
    "care_home_support_and_demand": [
        {"type": "care_home_support", "start": "2025-04-01", "to_rapid_response": 0.5},
        {"type": "demand_change", "start": "2025-05-01", "factor": 1.3, "age_bands": ["65+"]},
    ],
}
LEVERS["all_together"] = [lever for levers in LEVERS.values() for lever in levers]


@pytest.mark.parametrize("name", list(LEVERS))
def test_engines_agree_with_interventions(name: str) -> None:
    """Each kind of lever on a small scenario: the engines agree, and the lever changed
    the stays (it is applied, not ignored by both engines)."""
    baseline = agree(SMALL, 0, 3)
    data = copy.deepcopy(SMALL)
    data["interventions"] = copy.deepcopy(LEVERS[name])
    variant = agree(data, 0, 3)
    assert variant.size > 300
    assert _first_difference(baseline, variant) is not None or baseline.size != variant.size


def test_the_helper_sees_a_difference() -> None:
    """assert_same_stays fails on a moved time, a changed code and a missing row."""
    sc = placesim.parse_scenario(SMALL)
    plan = compile_plan(sc)
    records = run_reference_engine(plan, generate_episodes(plan, 0, 1))
    assert records.size > 10
    assert_same_stays(records, records)

    def changed(**columns: npt.NDArray[Any]) -> StayRecords:
        fields = {c: getattr(records, c).copy() for c in COLUMNS}
        fields.update(columns)
        return StayRecords(**fields)

    leave = records.leave.copy()
    k = int(np.flatnonzero(np.isfinite(leave))[3])
    leave[k] += 1e-6
    with pytest.raises(AssertionError, match=f"from row {k} "):
        assert_same_stays(records, changed(leave=leave))
    leave[k] = np.nan
    with pytest.raises(AssertionError, match=f"from row {k} "):
        assert_same_stays(records, changed(leave=leave))
    leave = records.leave.copy()
    leave[k] += 1e-12  # within tolerance
    assert_same_stays(records, changed(leave=leave))
    nxt = records.next.copy()
    nxt[5] = nxt[5] + 1
    with pytest.raises(AssertionError, match="from row 5 "):
        assert_same_stays(records, changed(next=nxt))
    shorter = {c: getattr(records, c)[:-1] for c in COLUMNS}
    with pytest.raises(AssertionError, match=f"from row {records.size - 1} "):
        assert_same_stays(records, StayRecords(**shorter))


# --------------------------------------------------------------------------- hypothesis

shares = st.integers(0, 10).map(lambda k: k / 10.0)


@st.composite
def targets(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """Where a lever acts: everywhere, or some localities and/or partnerships."""
    if "population" not in data or draw(st.booleans()):
        return {}
    localities = [loc["name"] for loc in data["population"]["localities"]]
    partnerships = sorted({loc["partnership"] for loc in data["population"]["localities"]})
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["localities"] = draw(st.lists(st.sampled_from(localities), min_size=1, unique=True))
    if not out or draw(st.booleans()):
        out["partnerships"] = draw(st.lists(st.sampled_from(partnerships), min_size=1, unique=True))
    return out


@st.composite
def locality_effects(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """Effects of an integrated locality team that the scenario can carry out."""
    defined = set(data["settings"])
    rr, vw = "rapid_response" in defined, "virtual_ward" in defined
    effects: dict[str, Any] = {
        "acute_los_reduction": draw(shares),
        "home_shift": draw(shares),
        "admission_diversion": {"all": 0.0},
    }
    if rr or vw:
        effects["admission_diversion"] = {"all": draw(shares)}
        effects["to_rapid_response"] = draw(shares) if rr and vw else 1.0 if rr else 0.0
    return effects


@st.composite
def levers(draw: st.DrawFn, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Up to three interventions of any type, valid for the scenario `data`, acting from
    before the warm-up to after the horizon."""
    cal = data["calendar"]
    start = cal["start_date"]
    day = st.integers(-cal["warmup_days"] - 3, cal["horizon_days"] + 2)
    defined = data["settings"]
    finite = sorted(name for name, s in defined.items() if s["capacity"] != "unlimited")
    kinds = ["home_first", "integrated_locality", "locality_rollout", "demand_change"]
    kinds += ["care_home_support"] + (["capacity_change"] * 2 if finite else [])
    out = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(kinds))
        first = draw(day)
        lever: dict[str, Any] = {"type": kind, "name": f"{kind} {len(out)}"}
        if kind != "locality_rollout":
            lever["start"] = _date(start, first)
            if draw(st.booleans()):
                lever["end"] = _date(start, first + draw(st.integers(0, 60)))
        if kind not in ("capacity_change", "locality_rollout") and draw(st.booleans()):
            lever["ramp_up_days"] = draw(st.sampled_from([0, 0.5, 1, 7, 30]))
        if kind not in ("capacity_change", "locality_rollout"):
            lever.update(draw(targets(data)))
        if kind == "home_first":
            p3_to_p1 = draw(st.integers(0, 10)) if "reablement" in defined else 0
            p3_to_p2 = draw(st.integers(0, 10 - p3_to_p1)) if "intermediate_care" in defined else 0
            lever.update(
                p2_to_p1=draw(shares) if "reablement" in defined else 0.0,
                p3_to_p1=p3_to_p1 / 10.0,
                p3_to_p2=p3_to_p2 / 10.0,
                assessment_reduction=draw(shares),
                intermediate_care_los_reduction=draw(shares),
            )
        elif kind == "integrated_locality":
            lever.update(draw(locality_effects(data)))
        elif kind == "locality_rollout":
            lever.update(draw(locality_effects(data)))
            if draw(st.booleans()):
                lever["ramp_up_days"] = draw(st.sampled_from([0, 1, 14]))
            lever["phases"] = [
                {"start": _date(start, draw(day)), **draw(targets(data))}
                for _ in range(draw(st.integers(1, 3)))
            ]
        elif kind == "care_home_support":
            lever["admission_reduction"] = draw(shares)
            lever["to_rapid_response"] = draw(shares) if "rapid_response" in defined else 0.0
        elif kind == "demand_change":
            lever["factor"] = draw(st.sampled_from([0.0, 0.5, 0.9, 1.2, 2.0]))
            bands = data["population"]["age_bands"] if "population" in data else []
            if bands and draw(st.booleans()):
                lever["age_bands"] = draw(st.lists(st.sampled_from(bands), min_size=1, unique=True))
            if draw(st.booleans()):
                lever["residence"] = draw(st.sampled_from(["home", "care_home"]))
        else:
            lever["setting"] = draw(st.sampled_from(finite))
            lever["change"] = draw(st.integers(-4, 4))
        out.append(lever)
    return out


def _scale_demand(data: dict[str, Any], k: int) -> None:
    """Multiply the scenario's people and referral rates by `k`, in place."""
    for ref in data["referrals"]:
        ref["rate_per_day"] *= k
    for loc in data.get("population", {}).get("localities", []):
        for key in ("people", "care_home_residents"):
            if key in loc:
                loc[key] = {band: n * k for band, n in loc[key].items()}


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario from strategies.scenarios(), perhaps with more demand (so that more
    people queue and block), with assessment days in hospital before P1-P3 discharges
    (0-length ones too) and with interventions."""
    data = draw(scenarios())
    _scale_demand(data, draw(st.sampled_from([1, 4])))
    if "discharge" in data and draw(st.booleans()):
        keys = draw(st.sets(st.sampled_from(["P1", "P2", "P3"]), min_size=1))
        data["discharge"]["assessment_days"] = {k: draw(lengths_of_stay()) for k in sorted(keys)}
    if draw(st.integers(0, 3)) != 1:  # most examples (0 is a frequent draw)
        data["interventions"] = draw(levers(data))
    return data


@settings(
    # max_examples is left to the profile: 100 by default (about 2 s), 5,000 with
    # HYPOTHESIS_PROFILE=fuzz (tests/conftest.py).
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(cases(), st.integers(0, 3), st.integers(min_value=0, max_value=2**32 - 1))
def test_engines_agree_on_drawn_scenarios(
    data: dict[str, Any], replication: int, seed: int
) -> None:
    """Small scenarios with every corner of the network, with and without interventions."""
    sc = placesim.parse_scenario(data)
    stays = agree_scenario(sc, replication, seed)
    # What the example reached (hypothesis --hypothesis-show-statistics).
    policy = compile_policy(sc)
    event(f"interventions: {len(sc.interventions)}")
    event(f"pathway shifts: {policy.pathways_vary}")
    event(f"stays: {'0' if stays.size == 0 else '1-99' if stays.size < 100 else '100+'}")
    waited = stays.arrive > stays.requested
    event(f"someone waited: {bool(waited.any())}")
    event(f"someone still waiting at the end: {bool(np.isnan(stays.arrive).any())}")
    blocked = stays.leave > stays.ready
    event(f"someone blocked or assessed after ready: {bool(blocked.any())}")
    event(f"overflow: {bool(stays.overflow.any())}")
    event(
        f"escalation or readmission: {bool((stays.source >= SOURCES.index('readmission')).any())}"
    )


# --------------------------------------------------------------------------- operations


def assert_same_operations(reference: OperationsLog, fast: OperationsLog) -> None:
    """The two engines' operations logs are the same: every array of the same shape and
    dtype, integers and flags equal, times and staff time equal to within TOLERANCE."""
    for name in OperationsLog.__dataclass_fields__:
        x, y = getattr(reference, name), getattr(fast, name)
        assert x.shape == y.shape, f"{name}: shape {x.shape} != {y.shape}"
        assert x.dtype == y.dtype, f"{name}: dtype {x.dtype} != {y.dtype}"
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, rtol=0, atol=TOLERANCE, equal_nan=True, err_msg=name)
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)


@st.composite
def operations_cases(draw: st.DrawFn) -> dict[str, Any]:
    """A drawn case (cases()) with an escalation plan, electives, workforces, discharge
    windows and levers on them (strategies.with_operations)."""
    return draw(with_operations(draw(cases())))


@settings(
    # Each example runs both engines once; the profile's max_examples (100 by default)
    # takes a few seconds.
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(operations_cases(), st.integers(0, 3), st.integers(min_value=0, max_value=2**32 - 1))
def test_engines_agree_on_drawn_operations(
    data: dict[str, Any], replication: int, seed: int
) -> None:
    """Drawn escalation rules, elective streams, staff profiles and discharge windows: the
    engines record the same stays and the same operations log."""
    sc = placesim.parse_scenario(data)
    plan = compile_plan(sc)
    episodes = generate_episodes(plan, replication, seed)
    reference = run_reference_engine(plan, episodes)
    fast, _ = run_kernel(plan, episodes)
    assert_same_stays(reference, fast)
    ops = plan.operations
    if not ops.active:
        assert reference.operations is None and fast.operations is None
        return
    assert reference.operations is not None and fast.operations is not None
    assert_same_operations(reference.operations, fast.operations)
    log = reference.operations
    event(f"levels: {len(ops.levels)}")
    event(f"a level held: {bool(log.level_on.any())}")
    event(f"places added: {bool(log.change_time.size)}")
    event(f"electives cancelled: {sorted(set(log.cancelled_reason.tolist()))}")
    event(f"staffed: {bool(ops.staffed.any())}")
    event(f"staff short: {bool((log.staff_needed > log.staff_available).any())}")
    event(f"windows: {int(ops.windowed.sum())}")
    event(f"someone waited: {bool((reference.arrive > reference.requested).any())}")


def test_the_operations_helper_sees_a_difference() -> None:
    """assert_same_operations fails on a changed level, time, staff figure or shape."""
    data = copy.deepcopy(SMALL)
    data["escalation"] = {
        "levels": [
            {
                "name": "full",
                "trigger": {"setting": "acute", "measure": "occupancy_rate", "at_least": 0.9},
                "add_capacity": {"acute": 4},
            }
        ]
    }
    data["staff"] = {"reablement": {"per_day": 20, "first_day_visits": 3, "last_day_visits": 1}}
    sc = placesim.parse_scenario(data)
    plan = compile_plan(sc)
    log = run_reference_engine(plan, generate_episodes(plan, 0, 1)).operations
    assert log is not None
    assert log.level_on.any() and log.change_time.size and log.staff_needed.any()
    assert_same_operations(log, log)
    fields = {name: getattr(log, name).copy() for name in OperationsLog.__dataclass_fields__}

    def changed(name: str, value: npt.NDArray[Any]) -> OperationsLog:
        return OperationsLog(**{**fields, name: value})

    level_on = fields["level_on"].copy()
    level_on[0, 0] = ~level_on[0, 0]
    with pytest.raises(AssertionError, match="level_on"):
        assert_same_operations(log, changed("level_on", level_on))
    with pytest.raises(AssertionError, match="change_time"):
        assert_same_operations(log, changed("change_time", fields["change_time"] + 1e-6))
    needed = fields["staff_needed"].copy()
    needed[needed > 0] += 0.5
    with pytest.raises(AssertionError, match="staff_needed"):
        assert_same_operations(log, changed("staff_needed", needed))
    with pytest.raises(AssertionError, match="cancelled_episode: shape"):
        assert_same_operations(log, changed("cancelled_episode", np.zeros(1, dtype=np.int64)))
