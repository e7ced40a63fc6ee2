"""Policy levers, run against the same people (common random numbers).

Every test runs a baseline and a variant on the same seed, so the variant sees the same
people with the same needs, and compares them person by person (episodes have the same ids
in both runs unless the variant changes arrivals) or through paired replication
differences. Exact facts are asserted exactly. Where the variant's effect is random, the
test allows |estimate - expected| <= 4 standard errors and names the standard error it
used: the binomial or Poisson one where the count has that law, otherwise s_D / sqrt(R)
for the per-replication differences D (replications are independent, so that is honest).

"Unlimited" scenarios give every setting unlimited capacity: nobody queues, so a change to
one person cannot move anybody else, and facts about the people a lever does not touch are
exact. Scenarios with capacities check what sharing capacity does (delays).

The levers and their order of application are described in docs/interventions.md and in
the docstring of :mod:`placesim.interventions`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

import placesim
from placesim.demand import generate_episodes
from placesim.plan import compile_plan
from small_scenario import small_scenario

Z = 4.0  # standard errors allowed
SEED = 20250401
START = dt.date(2025, 4, 1)
HORIZON = 120
GO_LIVE = "2025-06-01"  # inside the reporting window [0, 120)

BASE: dict[str, Any] = small_scenario(
    {
        "name": "interventions",
        "population": {
            "annual_growth": None,
            "localities": [
                {
                    "name": "A",
                    "partnership": "North",
                    "people": {"0-64": 8000, "65+": 2000},
                    "care_home_residents": {"65+": 600},
                },
                {"name": "B", "partnership": "South", "people": {"0-64": 8000, "65+": 2000}},
            ],
        },
        "demand": {"seasonality": None},
        "discharge": {
            "assessment_days": {
                "P1": {"kind": "exponential", "mean": 1},
                "P2": {"kind": "exponential", "mean": 2},
                "P3": {"kind": "exponential", "mean": 3},
            }
        },
    }
)
"""Two localities (A in North, B in South), two age bands, every setting; runs in ~0.1 s."""


# --------------------------------------------------------------------------- helpers


def scenario(
    interventions: list[dict[str, Any]] | None = None,
    *,
    unlimited: bool = False,
    capacity: dict[str, int | str] | None = None,
    assessment: bool = True,
    people: int = 1,
) -> dict[str, Any]:
    """A copy of BASE with `interventions`, optionally with every capacity unlimited.

    `capacity` then sets named settings' capacities; `assessment` False drops the
    assessment days after medically ready; `people` multiplies the population.
    """
    data = copy.deepcopy(BASE)
    for loc in data["population"]["localities"]:
        for key in ("people", "care_home_residents"):
            if key in loc:
                loc[key] = {band: n * people for band, n in loc[key].items()}
    if unlimited:
        for s in data["settings"].values():
            s["capacity"] = "unlimited"
        data["initial_state"] = {}
    for name, places in (capacity or {}).items():
        data["settings"][name]["capacity"] = places
    if not assessment:
        del data["discharge"]["assessment_days"]
    data["interventions"] = interventions or []
    return data


@cache
def _run_cached(text: str, replications: int, seed: int) -> placesim.SimulationResult:
    return placesim.simulate(
        placesim.parse_scenario(json.loads(text)), replications=replications, seed=seed
    )


def run(data: dict[str, Any], replications: int = 4, seed: int = SEED) -> placesim.SimulationResult:
    """Run a scenario dict (cached: baselines are shared between tests)."""
    return _run_cached(json.dumps(data, sort_keys=True), replications, seed)


def day(date: str) -> int:
    """Days from the scenario's start date to `date`."""
    return (dt.date.fromisoformat(date) - START).days


def first_stays(stays: pd.DataFrame) -> pd.DataFrame:
    """Each episode's first stay (rows are recorded in time order), indexed by episode."""
    first = stays.drop_duplicates(["replication", "episode"], keep="first")
    return first.set_index(["replication", "episode"])


def per_replication(res: placesim.SimulationResult, measure: str, setting: str) -> pd.Series:
    m = res.measures
    rows = m[(m["measure"] == measure) & (m["setting"] == setting)]
    return rows.set_index("replication")["value"]


def paired(base: pd.Series, variant: pd.Series) -> tuple[float, float]:
    """Mean of the paired replication differences variant - base, and its SE s_D / sqrt(R)."""
    d = (variant - base).to_numpy(dtype=float)
    assert d.size >= 2 and np.all(np.isfinite(d))
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))


def assert_within(estimate: float, expected: float, se: float, what: str) -> None:
    """|estimate - expected| <= Z standard errors, with the figures in the message."""
    assert se > 0.0, f"{what}: standard error {se} is not positive"
    assert abs(estimate - expected) <= Z * se, (
        f"{what}: estimate {estimate:.5g} vs expected {expected:.5g}, "
        f"difference {(estimate - expected) / se:+.2f} SE (SE {se:.3g}, allowed {Z:g} SE)"
    )


def assert_tables_equal(a: placesim.SimulationResult, b: placesim.SimulationResult) -> None:
    pd.testing.assert_frame_equal(a.stays, b.stays)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    pd.testing.assert_frame_equal(a.measures, b.measures)


def episode_rows(stays: pd.DataFrame, keys: pd.MultiIndex) -> pd.DataFrame:
    """Every stay of the episodes `keys` ((replication, episode) pairs), in a fixed order."""
    index = pd.MultiIndex.from_frame(stays[["replication", "episode"]])
    rows = stays[index.isin(keys)]
    return rows.sort_values(["replication", "episode"], kind="stable").reset_index(drop=True)


def acute_pathways(stays: pd.DataFrame) -> pd.Series:
    """Where each crisis episode's acute stay led, indexed by (replication, episode)."""
    acute = stays[
        (stays["setting"] == "acute") & (stays["source"] == "crisis") & stays["ready"].notna()
    ]
    return acute.set_index(["replication", "episode"])["next"].astype(str)


def crisis_firsts(stays: pd.DataFrame) -> pd.DataFrame:
    first = first_stays(stays)
    return first[first["source"] == "crisis"]


# --------------------------------------------------------------------------- no effect

ZERO_EFFECT: dict[str, dict[str, Any]] = {
    "home_first": {
        "type": "home_first",
        "start": GO_LIVE,
        "p2_to_p1": 0,
        "p3_to_p2": 0,
        "p3_to_p1": 0,
        "assessment_reduction": 0,
        "intermediate_care_los_reduction": 0,
    },
    "integrated_locality": {
        "type": "integrated_locality",
        "start": GO_LIVE,
        "admission_diversion": {"all": 0},
        "acute_los_reduction": 0,
        "home_shift": 0,
    },
    "locality_rollout": {
        "type": "locality_rollout",
        "phases": [{"start": "2025-05-01", "localities": ["A"]}, {"start": GO_LIVE}],
        "admission_diversion": {"all": 0},
        "acute_los_reduction": 0,
        "home_shift": 0,
    },
    "care_home_support": {
        "type": "care_home_support",
        "start": GO_LIVE,
        "admission_reduction": 0,
        "to_rapid_response": 0.5,
    },
    "capacity_change": {
        "type": "capacity_change",
        "start": GO_LIVE,
        "end": "2025-06-30",
        "setting": "acute",
        "change": 0,
    },
    "demand_change": {"type": "demand_change", "start": GO_LIVE, "factor": 1.0},
}


@pytest.mark.parametrize("lever", list(ZERO_EFFECT))
def test_a_lever_with_zero_effect_changes_nothing(lever: str) -> None:
    # With capacities, so a stray change to anybody would spread through the queues.
    base = run(scenario())
    variant = run(scenario([ZERO_EFFECT[lever]]))
    assert_tables_equal(base, variant)


def test_capacity_changes_wholly_outside_the_run_change_nothing() -> None:
    # The run covers 2025-03-12 (warm-up) to 2025-07-29.
    outside = [
        {
            "type": "capacity_change",
            "start": "2025-01-01",
            "end": "2025-03-11",
            "setting": "intermediate_care",
            "change": -6,
        },
        {
            "type": "capacity_change",
            "start": "2025-07-30",
            "setting": "acute",
            "change": -40,
        },
        {
            "type": "capacity_change",
            "start": "2026-01-01",
            "end": "2026-03-31",
            "setting": "reablement",
            "change": 10,
        },
    ]
    assert_tables_equal(run(scenario()), run(scenario(outside)))


# --------------------------------------------------------------------------- integrated locality

DIVERSION = {"0-64": 0.1, "65+": 0.3}
INTEGRATED_A = {
    "type": "integrated_locality",
    "start": GO_LIVE,
    "localities": ["A"],
    "admission_diversion": DIVERSION,
    "to_rapid_response": 0.6,
}


def _diverted(base: pd.DataFrame, variant: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Crisis episodes' first stays in the baseline; and the variant's diverted people."""
    b, v = crisis_firsts(base), crisis_firsts(variant)
    assert b.index.sort_values().equals(v.index.sort_values()), "crises were lost or gained"
    v = v.loc[b.index]
    moved = (b["setting"] != v["setting"]).to_numpy()
    assert (b.loc[moved, "setting"] == "acute").all(), "only acute-bound crises move"
    assert v.loc[moved, "setting"].isin(["rapid_response", "virtual_ward"]).all()
    return b, v[moved]


def test_integrated_locality_acts_only_on_its_locality_from_go_live() -> None:
    base = run(scenario(unlimited=True), replications=10)
    variant = run(scenario([INTEGRATED_A], unlimited=True), replications=10)
    g = day(GO_LIVE)
    b, diverted = _diverted(base.stays, variant.stays)

    # Untouched: every stay of B's episodes and of episodes that began before go-live.
    first = first_stays(base.stays)
    untouched = first.index[(first["locality"] == "B") | (first["requested"] < g)]
    pd.testing.assert_frame_equal(
        episode_rows(base.stays, untouched), episode_rows(variant.stays, untouched)
    )
    assert (diverted["locality"] == "A").all()
    assert (diverted["requested"] >= g).all()

    # Every crisis that was not diverted has the same journey, stay for stay.
    kept = b.index.difference(diverted.index)
    pd.testing.assert_frame_equal(episode_rows(base.stays, kept), episode_rows(variant.stays, kept))

    # Rapid response and virtual ward admissions rise by exactly the people diverted to them.
    for setting in ("rapid_response", "virtual_ward"):
        moved_here = diverted[diverted["setting"] == setting].groupby(level=0).size()
        rise = per_replication(variant, "admissions", setting) - per_replication(
            base, "admissions", setting
        )
        assert rise.to_numpy().tolist() == moved_here.reindex(rise.index, fill_value=0).tolist()
    assert (
        per_replication(variant, "admissions", "acute")
        < per_replication(base, "admissions", "acute")
    ).all()

    # Diverted ~ Binomial(n, p) per band, n = A's acute-bound crises after go-live;
    # SE sqrt(sum n p (1 - p)). Of them, a share to_rapid_response ~ Binomial too.
    at_risk = b[(b["locality"] == "A") & (b["requested"] >= g) & (b["setting"] == "acute")]
    n = at_risk.groupby("age_band", observed=True).size().rename(index=str)
    p = pd.Series(DIVERSION)
    expected, se = float((n * p).sum()), math.sqrt(float((n * p * (1 - p)).sum()))
    assert_within(float(len(diverted)), expected, se, "diverted from acute in A")
    # Here n = 828 (0-64) and 1,096 (65+) over 10 replications: expected 411.6, SE 17.5.
    to_rr = float((diverted["setting"] == "rapid_response").sum())
    k = len(diverted)
    assert_within(to_rr, 0.6 * k, math.sqrt(k * 0.6 * 0.4), "diverted to rapid response")


def test_integrated_locality_shorter_stays_and_more_people_home_in_its_locality() -> None:
    lever = {
        **INTEGRATED_A,
        "admission_diversion": {"all": 0.0},
        "acute_los_reduction": 0.25,
        "home_shift": 0.5,
    }
    data = scenario(unlimited=True, assessment=False)
    base = run(data)
    variant = run(scenario([lever], unlimited=True, assessment=False))
    g = day(GO_LIVE)

    def acute(stays: pd.DataFrame) -> pd.DataFrame:
        a = stays[(stays["setting"] == "acute") & (stays["source"] == "crisis")]
        return a.set_index(["replication", "episode"])

    b, v = acute(base.stays), acute(variant.stays)
    assert b.index.equals(v.index)
    started = b["arrive"].to_numpy()
    in_a = (b["locality"] == "A").to_numpy() & (started >= g)
    los_b = (b["ready"] - b["arrive"]).to_numpy()
    los_v = (v["ready"] - v["arrive"]).to_numpy()
    done = np.isfinite(los_v) & np.isfinite(los_b)
    # Stays that start in A after go-live are 25% shorter; every other stay is the same.
    np.testing.assert_allclose(los_v[in_a & done], 0.75 * los_b[in_a & done], rtol=1e-12)
    np.testing.assert_array_equal(los_v[~in_a & done], los_b[~in_a & done])

    # Half of A's P1-P3 discharges after go-live go home instead; nobody else's change.
    pb, pv = acute_pathways(base.stays), acute_pathways(variant.stays)
    both = pb.index.intersection(pv.index)
    pb, pv = pb[both], pv[both]
    ready = b.loc[both, "ready"].to_numpy()
    shifted = (b.loc[both, "locality"] == "A").to_numpy() & (ready >= g)
    assert (pb[~shifted] == pv[~shifted]).all()
    assert (pb[shifted].map(RANK) >= pv[shifted].map(RANK)).all(), "moves only towards home"
    assert ((pb == "death") == (pv == "death")).all()
    # Home rises by Binomial(n, 0.5), n = A's P1-P3 discharges after go-live.
    n = int((shifted & pb.isin(["reablement", "intermediate_care", "care_home"])).sum())
    home = int((pv[shifted] == "home").sum() - (pb[shifted] == "home").sum())
    assert_within(home, 0.5 * n, math.sqrt(n * 0.25), "discharges shifted home")


def test_locality_rollout_moves_each_locality_from_its_own_phase() -> None:
    phases = {"A": "2025-05-01", "B": "2025-06-15"}
    rollout = {
        "type": "locality_rollout",
        "phases": [
            {"start": phases["A"], "localities": ["A"]},
            {"start": phases["B"], "partnerships": ["South"]},
        ],
        "admission_diversion": {"all": 0.3},
    }
    base = run(scenario(unlimited=True), replications=6)
    variant = run(scenario([rollout], unlimited=True), replications=6)
    b, diverted = _diverted(base.stays, variant.stays)
    first = first_stays(base.stays)
    for locality, date in phases.items():
        g = day(date)
        mine = first["locality"] == locality
        before = first.index[mine & (first["requested"] < g)]
        pd.testing.assert_frame_equal(
            episode_rows(base.stays, before), episode_rows(variant.stays, before)
        )
        moved = diverted[diverted["locality"] == locality]
        assert (moved["requested"] >= g).all(), f"{locality} moved before its phase"
        # SE sqrt(n p (1 - p)) with n the locality's acute-bound crises after its phase.
        n = int(
            ((b["locality"] == locality) & (b["requested"] >= g) & (b["setting"] == "acute")).sum()
        )
        assert_within(len(moved), 0.3 * n, math.sqrt(n * 0.3 * 0.7), f"diverted in {locality}")

    # A roll-out is one integrated_locality lever per phase.
    levers = [
        {
            "type": "integrated_locality",
            "start": phases["A"],
            "localities": ["A"],
            "admission_diversion": {"all": 0.3},
        },
        {
            "type": "integrated_locality",
            "start": phases["B"],
            "partnerships": ["South"],
            "admission_diversion": {"all": 0.3},
        },
    ]
    assert_tables_equal(variant, run(scenario(levers, unlimited=True), replications=6))


# --------------------------------------------------------------------------- home first

RANK = {"home": 0, "death": 0, "reablement": 1, "intermediate_care": 2, "care_home": 3}
"""Pathways from home (P0) to the most bed-based (P3)."""

PATHWAYS_ONLY = {"assessment_reduction": 0, "intermediate_care_los_reduction": 0}


def _pathways(
    *levers: dict[str, Any], replications: int = 6
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Crisis acute stays' next setting in baseline and variant, and whether shifted."""
    lever = levers[0]
    data = scenario(unlimited=True, assessment=False)
    base = run(data, replications=replications)
    variant = run(
        scenario(list(levers), unlimited=True, assessment=False), replications=replications
    )
    pb, pv = acute_pathways(base.stays), acute_pathways(variant.stays)
    both = pb.index.intersection(pv.index)
    ready = (
        base.stays[(base.stays["setting"] == "acute") & (base.stays["source"] == "crisis")]
        .set_index(["replication", "episode"])
        .loc[both, "ready"]
    )
    after = pd.Series(ready.to_numpy() >= day(lever["start"]), index=both)
    return pb[both], pv[both], after


def test_home_first_p2_to_p1_moves_only_p2_people_to_p1() -> None:
    lever = {"type": "home_first", "start": GO_LIVE, "p2_to_p1": 0.3, "p3_to_p2": 0, "p3_to_p1": 0}
    pb, pv, after = _pathways({**lever, **PATHWAYS_ONLY})
    assert (pb[~after] == pv[~after]).all(), "discharges before the start changed"
    to_ic_b = set(pb.index[pb == "intermediate_care"])
    to_ic_v = set(pv.index[pv == "intermediate_care"])
    assert to_ic_v < to_ic_b, "P2 in the variant must be a subset of P2 in the baseline"
    changed = pb != pv
    assert set(pb.index[changed]) == to_ic_b - to_ic_v
    assert (pv[changed] == "reablement").all()
    # Moved ~ Binomial(n, 0.3), n = baseline P2 discharges after the start.
    n = int(((pb == "intermediate_care") & after).sum())
    assert_within(int(changed.sum()), 0.3 * n, math.sqrt(n * 0.3 * 0.7), "P2 moved to P1")


def test_home_first_defaults_move_people_only_towards_home() -> None:
    lever = {"type": "home_first", "start": GO_LIVE}  # p2_to_p1 0.2, p3_to_p2 0.2, p3_to_p1 0.5
    pb, pv, after = _pathways({**lever, **PATHWAYS_ONLY})
    assert (pb[~after] == pv[~after]).all()
    rb, rv = pb.map(RANK), pv.map(RANK)
    assert ((pb == "home") == (pv == "home")).all(), "P0 unchanged"
    assert ((pb == "death") == (pv == "death")).all(), "deaths unchanged"
    assert (rv <= rb).all(), "nobody moves to a more bed-based pathway"
    assert set(pv.index[pv == "care_home"]) < set(pb.index[pb == "care_home"])
    assert set(pb.index[pb == "reablement"]) < set(pv.index[pv == "reablement"])
    # P2 now: only people who were P2 or P3.
    assert pb[pv == "intermediate_care"].isin(["intermediate_care", "care_home"]).all()


def test_home_first_p3_to_p1_alone_leaves_p2_people_alone() -> None:
    lever = {"type": "home_first", "start": GO_LIVE, "p2_to_p1": 0, "p3_to_p2": 0, "p3_to_p1": 0.5}
    pb, pv = _pathways({**lever, **PATHWAYS_ONLY})[:2]
    moved = pd.crosstab(pb, pv)
    assert ((pb == "intermediate_care") == (pv == "intermediate_care")).all(), moved.to_string()


def test_home_first_never_changes_deaths_in_hospital() -> None:
    # Two levers whose P3 moves compound past 1 (0.6 + 0.4, then 0.8 more to P1): the moves
    # are scaled to fit, and nobody who dies in hospital is moved.
    first = {
        "type": "home_first",
        "start": GO_LIVE,
        "p2_to_p1": 0,
        "p3_to_p2": 0.6,
        "p3_to_p1": 0.4,
    }
    second = {"type": "home_first", "start": GO_LIVE, "p2_to_p1": 0, "p3_to_p2": 0, "p3_to_p1": 0.8}
    pb, pv, after = _pathways({**first, **PATHWAYS_ONLY}, {**second, **PATHWAYS_ONLY})
    assert ((pb == "death") == (pv == "death")).all(), pd.crosstab(pb, pv).to_string()
    assert (pb[after] == "care_home").any()
    assert not (pv[after] == "care_home").any()  # every P3 discharge after the start moved


def test_home_first_p3_moves_beyond_one_are_rejected() -> None:
    data = scenario([{"type": "home_first", "start": GO_LIVE, "p3_to_p2": 0.6, "p3_to_p1": 0.8}])
    with pytest.raises(placesim.ScenarioError, match=r"interventions\[0\]\.p3_to_p1"):
        placesim.parse_scenario(data)


def test_home_first_lowers_intermediate_care_admissions() -> None:
    # More P2 than BASE (0.15, not 0.06) from the first day: the defaults' net fall in P2,
    # p3 x 0.2 x 0.8 - 0.2 x (p2 + 0.2 p3) = -0.025 of discharges, is small beside the
    # people the inverse-CDF coupling swaps in and out of P2 (see the xfail test above).
    def data(levers: list[dict[str, Any]]) -> dict[str, Any]:
        d = scenario(levers, unlimited=True, assessment=False)
        d["discharge"]["pathways"]["all"].update(P0=0.61, P2=0.15)
        return d

    base = run(data([]), replications=10)
    variant = run(data([{"type": "home_first", "start": "2025-04-01"}]), replications=10)
    diff, se = paired(
        per_replication(base, "admissions", "intermediate_care"),
        per_replication(variant, "admissions", "intermediate_care"),
    )
    assert diff < -Z * se, f"intermediate-care admissions changed by {diff:+.1f} (SE {se:.2f})"


IC_BOTTLENECK = {
    "acute": "unlimited",
    "intermediate_care": 20,
    "reablement": "unlimited",
    "care_home": "unlimited",
    "rapid_response": "unlimited",
    "virtual_ward": "unlimited",
}


@pytest.mark.slow
def test_home_first_cuts_acute_delays_when_intermediate_care_is_the_bottleneck() -> None:
    # Three times BASE's people and 20 intermediate-care beds: offered load about 25 beds
    # in the baseline (P2 0.06 of discharges, 20-day stays), about 18 with Home First
    # (P2 0.054, stays 16 days). Delays in an overloaded queue vary a lot between
    # replications, hence the larger cohort.
    def data(levers: list[dict[str, Any]]) -> dict[str, Any]:
        return scenario(levers, capacity=IC_BOTTLENECK, assessment=False, people=3)

    base = run(data([]), replications=10)
    variant = run(data([{"type": "home_first", "start": "2025-04-01"}]), replications=10)
    diff, se = paired(
        per_replication(base, "delayed_bed_days", "acute"),
        per_replication(variant, "delayed_bed_days", "acute"),
    )
    assert diff < -Z * se, f"acute delayed bed days changed by {diff:+.1f} (SE {se:.2f})"


def test_home_first_without_more_reablement_moves_delays_to_reablement() -> None:
    tight = {**IC_BOTTLENECK, "intermediate_care": "unlimited", "reablement": 12}
    lever = {"type": "home_first", "start": "2025-04-01", **PATHWAYS_ONLY}
    base = run(scenario(capacity=tight, assessment=False), replications=10)
    variant = run(scenario([lever], capacity=tight, assessment=False), replications=10)
    # Acute delays here are all waits for reablement (everything else is unlimited).
    diff, se = paired(
        per_replication(base, "delayed_bed_days", "acute"),
        per_replication(variant, "delayed_bed_days", "acute"),
    )
    assert diff > Z * se, f"acute delayed bed days changed by {diff:+.1f} (SE {se:.2f})"


def _assessed(stays: pd.DataFrame) -> pd.DataFrame:
    acute = stays[
        (stays["setting"] == "acute")
        & (stays["source"] == "crisis")
        & stays["next"].isin(["reablement", "intermediate_care", "care_home"])
    ]
    return acute.set_index(["replication", "episode"])


def test_assessment_reduction_cuts_each_assessment_by_its_share() -> None:
    lever = {
        "type": "home_first",
        "start": GO_LIVE,
        "p2_to_p1": 0,
        "p3_to_p2": 0,
        "p3_to_p1": 0,
        "intermediate_care_los_reduction": 0,
        "assessment_reduction": 0.5,
    }
    base = run(scenario(unlimited=True))
    variant = run(scenario([lever], unlimited=True))
    b, v = _assessed(base.stays), _assessed(variant.stays)
    b = b[b["leave"].notna()]
    v = v.loc[b.index]
    assert (b["ready"] == v["ready"]).all()
    after = (b["ready"] >= day(GO_LIVE)).to_numpy()
    assert after.sum() > 100 and (~after).sum() > 100
    delayed_b, delayed_v = b["delayed"].to_numpy(), v["delayed"].to_numpy()
    np.testing.assert_array_equal(delayed_v[~after], delayed_b[~after])
    np.testing.assert_allclose(delayed_v[after], 0.5 * delayed_b[after], rtol=0, atol=1e-9)
    assert (delayed_b > 0).all()

    # With unlimited capacity the baseline's delay is the assessment drawn for the pathway.
    sc = placesim.parse_scenario(scenario(unlimited=True))
    column = {"reablement": 0, "intermediate_care": 1, "care_home": 2}
    for r in range(4):
        drawn = generate_episodes(compile_plan(sc), r, SEED).assessment
        rows = b.loc[r]
        k = rows["next"].astype(str).map(column).to_numpy()
        np.testing.assert_allclose(
            rows["delayed"].to_numpy(), drawn[rows.index.to_numpy(), k], rtol=0, atol=1e-9
        )


def test_ramp_up_and_end_shape_the_effect_day_by_day() -> None:
    # Full effect 0.6 reached over 10 days from 2025-05-01 (day 30); off after 2025-06-19.
    lever = {
        "type": "home_first",
        "start": "2025-05-01",
        "end": "2025-06-19",
        "ramp_up_days": 10,
        "p2_to_p1": 0,
        "p3_to_p2": 0,
        "p3_to_p1": 0,
        "intermediate_care_los_reduction": 0,
        "assessment_reduction": 0.6,
    }
    base = run(scenario(unlimited=True))
    variant = run(scenario([lever], unlimited=True))
    b = _assessed(base.stays)
    b = b[b["leave"].notna()]
    v = _assessed(variant.stays).loc[b.index]
    k = np.floor(b["ready"].to_numpy())
    strength = np.clip((k + 0.5 - 30) / 10, 0, 1) * (k <= day("2025-06-19"))
    np.testing.assert_allclose(
        v["delayed"].to_numpy(), b["delayed"].to_numpy() * (1 - 0.6 * strength), atol=1e-9
    )
    assert ((strength > 0) & (strength < 1)).sum() > 10, "the ramp was not exercised"


def test_home_first_shortens_intermediate_care_stays_from_the_start() -> None:
    lever = {
        "type": "home_first",
        "start": GO_LIVE,
        "p2_to_p1": 0,
        "p3_to_p2": 0,
        "p3_to_p1": 0,
        "assessment_reduction": 0,
        "intermediate_care_los_reduction": 0.2,
    }
    base = run(scenario(unlimited=True))
    variant = run(scenario([lever], unlimited=True))

    def ic(stays: pd.DataFrame) -> pd.DataFrame:
        s = stays[(stays["setting"] == "intermediate_care") & (stays["source"] == "crisis")]
        return s.set_index(["replication", "episode"])

    b = ic(base.stays)
    v = ic(variant.stays).loc[b.index]
    assert (b["arrive"] == v["arrive"]).all()
    after = (b["arrive"] >= day(GO_LIVE)).to_numpy()
    los_b, los_v = (b["ready"] - b["arrive"]).to_numpy(), (v["ready"] - v["arrive"]).to_numpy()
    done = np.isfinite(los_b) & np.isfinite(los_v)
    np.testing.assert_array_equal(los_v[~after & done], los_b[~after & done])
    np.testing.assert_allclose(los_v[after & done], 0.8 * los_b[after & done], rtol=1e-12)


# --------------------------------------------------------------------------- care homes


def test_care_home_support_avoids_only_care_home_admissions() -> None:
    lever = {"type": "care_home_support", "start": GO_LIVE}  # admission_reduction 0.2
    base = run(scenario(unlimited=True), replications=10)
    variant = run(scenario([lever], unlimited=True), replications=10)
    g = day(GO_LIVE)

    # Home residents: every stay the same.
    def home(stays: pd.DataFrame) -> pd.DataFrame:
        rows = stays[stays["residence"] == "home"]
        return rows.sort_values(["replication", "episode"], kind="stable").reset_index(drop=True)

    pd.testing.assert_frame_equal(home(base.stays), home(variant.stays))

    # The avoided are a subset of the baseline's care-home acute-bound crises after go-live,
    # and (to_rapid_response 0) get no service at all.
    b, v = crisis_firsts(base.stays), crisis_firsts(variant.stays)
    assert v.index.isin(b.index).all()
    avoided = b.index.difference(v.index)
    assert (b.loc[avoided, "residence"] == "care_home").all()
    assert (b.loc[avoided, "setting"] == "acute").all()
    assert (b.loc[avoided, "requested"] >= g).all()
    kept = v.index
    pd.testing.assert_frame_equal(episode_rows(base.stays, kept), episode_rows(variant.stays, kept))

    fewer = per_replication(base, "admissions_from_care_homes", "acute") - per_replication(
        variant, "admissions_from_care_homes", "acute"
    )
    assert (fewer >= 0).all() and fewer.sum() > 0
    # Avoided ~ Binomial(n, 0.2), n = care-home acute-bound crises after go-live.
    n = int(
        ((b["residence"] == "care_home") & (b["setting"] == "acute") & (b["requested"] >= g)).sum()
    )
    assert_within(len(avoided), 0.2 * n, math.sqrt(n * 0.2 * 0.8), "care-home admissions avoided")


def test_diversions_apply_in_a_fixed_order_whatever_the_file_order() -> None:
    integrated = {**INTEGRATED_A, "admission_diversion": {"all": 0.2}}
    care_homes = {"type": "care_home_support", "start": "2025-05-15", "to_rapid_response": 0.5}
    # With capacities, so that any difference would spread through the queues.
    assert_tables_equal(
        run(scenario([integrated, care_homes])), run(scenario([care_homes, integrated]))
    )

    # Care-home support takes its share of what is still acute-bound after the integrated
    # team: A's care-home residents lose 0.2 + 0.8 x 0.2 = 0.36 of their acute-bound crises
    # once both act, ~ Binomial(n, 0.36).
    base = run(scenario(unlimited=True), replications=10)
    both = run(scenario([care_homes, integrated], unlimited=True), replications=10)
    b, v = crisis_firsts(base.stays), crisis_firsts(both.stays)
    at_risk = b[
        (b["locality"] == "A")
        & (b["residence"] == "care_home")
        & (b["setting"] == "acute")
        & (b["requested"] >= day(GO_LIVE))
    ]
    n = len(at_risk)
    still_acute = v["setting"].reindex(at_risk.index) == "acute"  # NaN: no service
    moved = int((~still_acute).sum())
    assert_within(moved, 0.36 * n, math.sqrt(n * 0.36 * 0.64), "care-home crises diverted")


# --------------------------------------------------------------------------- capacity


def test_capacity_changes_add_up_clamp_at_zero_and_end_inclusive() -> None:
    def change(setting: str, places: int, start: str, end: str) -> dict[str, Any]:
        return {
            "type": "capacity_change",
            "setting": setting,
            "change": places,
            "start": start,
            "end": end,
        }

    data = scenario(
        [
            change("intermediate_care", 3, "2025-05-01", "2025-05-31"),
            change("intermediate_care", 2, "2025-05-20", "2025-06-10"),
            change("reablement", -10, "2025-06-15", "2025-06-30"),
            change("reablement", 3, "2025-06-25", "2025-07-05"),
            change("acute", 5, "2025-06-20", "2025-07-10"),
        ]
    )
    data["settings"]["acute"]["capacity_changes"] = [{"date": "2025-07-01", "capacity": 30}]
    res = run(data, replications=2)

    def between(first: str, last: str) -> np.ndarray:
        days = np.arange(HORIZON)
        return (days >= day(first)) & (days <= day(last))

    expected = {
        "intermediate_care": 6
        + 3 * between("2025-05-01", "2025-05-31")
        + 2 * between("2025-05-20", "2025-06-10"),
        # 8 - 10 clamps at 0; with the +3 on top, 8 - 10 + 3 = 1; then 8 + 3.
        "reablement": np.maximum(
            8 - 10 * between("2025-06-15", "2025-06-30") + 3 * between("2025-06-25", "2025-07-05"),
            0,
        ),
        # The setting's own change (to 30 from 2025-07-01) with 5 added on top while it acts.
        "acute": np.where(np.arange(HORIZON) < day("2025-07-01"), 40, 30)
        + 5 * between("2025-06-20", "2025-07-10"),
        "care_home": np.full(HORIZON, 60),
    }
    d = res.daily
    for setting, capacity in expected.items():
        for r in range(2):
            got = d[(d["setting"] == setting) & (d["replication"] == r)]["capacity"]
            np.testing.assert_array_equal(got.to_numpy(), capacity, err_msg=setting)
    assert set(expected["reablement"][day("2025-06-15") : day("2025-06-25")]) == {0}
    assert set(expected["reablement"][day("2025-06-25") : day("2025-07-01")]) == {1}

    # Nobody gets a reablement place while it has none.
    s = res.stays
    arrive = s.loc[s["setting"] == "reablement", "arrive"]
    closed = (arrive >= day("2025-06-15")) & (arrive < day("2025-06-25"))
    assert not closed.any()


# --------------------------------------------------------------------------- demand


def test_demand_change_multiplies_one_band_from_its_date() -> None:
    lever = {"type": "demand_change", "start": GO_LIVE, "factor": 1.5, "age_bands": ["65+"]}
    reps = 10
    base = run(scenario(unlimited=True), replications=reps)
    variant = run(scenario([lever], unlimited=True), replications=reps)
    g = day(GO_LIVE)

    def arrivals(
        res: placesim.SimulationResult, band: str
    ) -> dict[tuple[int, str, str], np.ndarray]:
        f = crisis_firsts(res.stays).reset_index()
        f = f[f["age_band"] == band]
        return {
            key: np.sort(rows["requested"].to_numpy())
            for key, rows in f.groupby(["replication", "locality", "residence"], observed=True)
        }

    # 0-64: the same arrival times, exactly; 65+: the same up to the date.
    young_b, young_v = arrivals(base, "0-64"), arrivals(variant, "0-64")
    assert young_b.keys() == young_v.keys()
    for key in young_b:
        np.testing.assert_array_equal(young_b[key], young_v[key])
    old_b, old_v = arrivals(base, "65+"), arrivals(variant, "65+")
    assert old_b.keys() == old_v.keys()
    n_b = n_v = 0
    for key in old_b:
        tb, tv = old_b[key], old_v[key]
        np.testing.assert_array_equal(tb[tb < g], tv[tv < g])
        n_b += int((tb >= g).sum())
        n_v += int((tv >= g).sum())
        assert (tv >= g).sum() >= (tb >= g).sum(), "more demand brings the same people earlier"

    # Coupled Poisson counts: N_b ~ Poisson(L) and the extra D = N_v - N_b ~ Poisson(0.5 L),
    # independent; D - 0.5 N_b has mean 0 and variance 0.75 L, estimated by 0.75 N_b.
    extra = n_v - n_b
    assert_within(extra, 0.5 * n_b, math.sqrt(0.75 * n_b), "extra 65+ crises after the date")
