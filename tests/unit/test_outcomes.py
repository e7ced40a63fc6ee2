"""Results by locality and partnership, the Joint Outcomes Framework and its costs."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import placesim
from placesim.measures import (
    GROUP_MEASURES,
    OUTCOMES,
    group_measures,
    population_65_plus,
    replication_outcomes,
    supported_discharges,
)
from placesim.plan import age_band_lower_bound, compile_plan
from placesim.plan.pathways import DESTINATIONS
from placesim.scenario import SETTINGS, Costs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "outcomes.md"
ADDITIVE_MEASURES = [
    "admissions",
    "admissions_from_care_homes",
    "avoided_admissions",
    "bed_days",
    "delayed_bed_days",
]
NOT_ADDITIVE_OUTCOMES = {
    "new_care_home_placements_per_100k",
    "supported_discharges_to_long_term_care_pct",
}
COSTS = {
    "acute_bed_day": 400.0,
    "acute_delayed_bed_day": 346.0,
    "intermediate_care_bed_day": 150.0,
    "reablement_episode": 1900.0,
    "care_home_bed_day": 164.0,
    "rapid_response_day": 90.0,
    "virtual_ward_day": 200.0,
}


@pytest.fixture
def result(small: dict[str, Any]) -> placesim.SimulationResult:
    """The small scenario with a third locality, so North has two localities."""
    small["population"]["localities"].append(
        {
            "name": "C",
            "partnership": "North",
            "people": {"0-64": 5000, "65+": 1500},
            "care_home_residents": {"65+": 60},
        }
    )
    return placesim.simulate(placesim.parse_scenario(small), replications=3, seed=11)


def with_costs(res: placesim.SimulationResult, **costs: float) -> placesim.SimulationResult:
    """The same run with unit costs (costs change no simulated figure)."""
    scenario = res.scenario.model_copy(update={"costs": Costs(**costs)})
    return dataclasses.replace(res, scenario=scenario)


# ------------------------------------------------------------------ results by group


@pytest.mark.parametrize("by", ["locality", "partnership"])
def test_group_measures_add_up_to_the_place(result: placesim.SimulationResult, by: str) -> None:
    table = group_measures(result.plan, result.stays, by)
    assert set(table[by].unique()) == set(result.stays[by].cat.categories)
    summed = (
        table[table["measure"].isin(ADDITIVE_MEASURES)]
        .groupby(["replication", "measure", "setting"], observed=True)["value"]
        .sum()
    )
    place = result.measures.set_index(["replication", "measure", "setting"])["value"]
    place = place.reindex(summed.index)
    assert summed.index.get_level_values("replication").nunique() == result.replications
    assert len(summed) == result.replications * (len(ADDITIVE_MEASURES) * 6 - 4)
    assert (summed.loc[(slice(None), "admissions", "acute")] > 0).all()
    np.testing.assert_allclose(summed.to_numpy(), place.to_numpy(), rtol=1e-12, atol=1e-9)


def test_whole_place_group_measures_are_the_measures(result: placesim.SimulationResult) -> None:
    table = group_measures(result.plan, result.stays)
    place = result.measures[result.measures["measure"].isin(GROUP_MEASURES)]
    merged = place.merge(table, on=["replication", "measure", "setting"], how="outer")
    assert len(merged) == len(place) == len(table)
    np.testing.assert_allclose(merged["value_x"], merged["value_y"], rtol=1e-12, atol=1e-9)


def test_summary_by_locality(result: placesim.SimulationResult) -> None:
    by_locality = result.summary(by="locality")
    assert list(by_locality.columns) == [
        "measure",
        "setting",
        "locality",
        "unit",
        "mean",
        "ci_low",
        "ci_high",
        "median",
        "p05",
        "p95",
        "replications",
    ]
    assert set(by_locality["measure"]) == set(GROUP_MEASURES)
    assert set(by_locality["locality"]) == {"A", "B", "C"}
    assert (by_locality["replications"] <= result.replications).all()
    # A mean over localities of per-replication sums is the place's mean.
    admissions = by_locality[by_locality["measure"] == "admissions"]
    place = result.summary().set_index(["measure", "setting"])["mean"]
    for setting, rows in admissions.groupby("setting"):
        assert rows["mean"].sum() == pytest.approx(place[("admissions", setting)], rel=1e-12)
    assert list(result.summary().columns)[:3] == ["measure", "setting", "unit"]


def test_by_must_be_locality_or_partnership(result: placesim.SimulationResult) -> None:
    with pytest.raises(placesim.PlacesimError, match=r"by: 'ward' is not allowed"):
        result.summary(by="ward")
    with pytest.raises(placesim.PlacesimError, match=r"by: 'age_band' is not allowed"):
        result.outcomes(by="age_band")


# --------------------------------------------------------------------- the outcomes


@pytest.mark.parametrize("by", ["locality", "partnership"])
def test_outcomes_by_group_add_up_to_the_place(result: placesim.SimulationResult, by: str) -> None:
    res = with_costs(result, **COSTS)
    place = replication_outcomes(res.plan, res.stays).set_index(["replication", "outcome"])
    groups = replication_outcomes(res.plan, res.stays, by)
    assert set(groups[by]) == set(res.stays[by].cat.categories)
    additive = groups[~groups["outcome"].isin(NOT_ADDITIVE_OUTCOMES)]
    summed = additive.groupby(["replication", "outcome"])[["value", "cost_gbp"]].sum(min_count=1)
    expected = place.loc[summed.index, ["value", "cost_gbp"]]
    assert len(summed) == res.replications * (len(OUTCOMES) - len(NOT_ADDITIVE_OUTCOMES))
    np.testing.assert_allclose(summed.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-9)
    # The summaries add up too (means of sums are sums of means).
    summary = res.outcomes(by=by)
    means = summary[~summary["outcome"].isin(NOT_ADDITIVE_OUTCOMES)].groupby("outcome")["mean"]
    whole = res.outcomes().set_index("outcome")["mean"]
    for outcome, total in means.sum().items():
        assert total == pytest.approx(whole[outcome], rel=1e-12, abs=1e-9)


def test_outcomes_are_the_measures_they_name(result: placesim.SimulationResult) -> None:
    out = replication_outcomes(result.plan, result.stays).set_index(["replication", "outcome"])
    measures = result.measures.set_index(["replication", "measure", "setting"])["value"]
    pairs = {
        "admissions_into_hospital": ("admissions", "acute"),
        "admissions_from_care_homes": ("admissions_from_care_homes", "acute"),
        "non_elective_bed_days": ("bed_days", "acute"),
        "delayed_acute_bed_days": ("delayed_bed_days", "acute"),
        "intermediate_care_admissions": ("admissions", "intermediate_care"),
        "intermediate_care_bed_days": ("bed_days", "intermediate_care"),
        "reablement_packages_started": ("admissions", "reablement"),
        "reablement_days": ("bed_days", "reablement"),
        "care_home_bed_days": ("bed_days", "care_home"),
        "rapid_response_days": ("bed_days", "rapid_response"),
        "virtual_ward_bed_days": ("bed_days", "virtual_ward"),
    }
    for r in range(result.replications):
        for outcome, (measure, setting) in pairs.items():
            assert out.loc[(r, outcome), "value"] == pytest.approx(
                measures[(r, measure, setting)], rel=1e-12, abs=1e-9
            ), outcome
    # New home-care packages: reablement stays ending in the window with a home-care package.
    stays = result.stays
    ends = (
        (stays["setting"] == "reablement")
        & (stays["next"] == "home_care")
        & (stays["leave"] >= 0)
        & (stays["leave"] < result.scenario.calendar.horizon_days)
    )
    counts = stays[ends].groupby("replication").size()
    for r in range(result.replications):
        assert out.loc[(r, "new_home_care_packages"), "value"] == counts.get(r, 0)


def test_outcomes_table_columns_and_directions(result: placesim.SimulationResult) -> None:
    out = result.outcomes()
    assert list(out.columns) == [
        "outcome",
        "unit",
        "direction",
        "mean",
        "ci_low",
        "ci_high",
        "replications",
    ]
    assert list(out["outcome"]) == [o.name for o in OUTCOMES]
    direction = out.set_index("outcome")["direction"]
    assert direction["reablement_packages_started"] == "higher is better"
    assert direction["intermediate_care_admissions"] == "context"
    assert direction["admissions_into_hospital"] == "lower is better"
    by = result.outcomes(by="partnership")
    assert list(by.columns[:3]) == ["outcome", "partnership", "unit"]
    assert len(by) == len(OUTCOMES) * 2


def test_outcome_names_are_snake_case_and_documented() -> None:
    docs = DOCS.read_text()
    names = [o.name for o in OUTCOMES]
    assert len(set(names)) == len(names)
    for o in OUTCOMES:
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", o.name)
        assert o.direction in ("lower is better", "higher is better", "context")
        assert o.unit_cost is None or o.unit_cost in Costs.model_fields
        assert f"| `{o.name}` | {o.unit} | {o.direction} |" in docs, o.name
    priced = {o.unit_cost for o in OUTCOMES if o.unit_cost}
    # Every unit cost prices one outcome, but for capacity, which prices places provided.
    assert priced == set(Costs.model_fields) - {"capacity_place_day"}


# ------------------------------------------------------------- supported discharges


def stays_by_hand() -> pd.DataFrame:
    """A tiny stays table: ten journeys of replication 0, horizon 100 days."""
    nan = np.nan
    rows = [
        # episode, locality, setting, leave, next
        (1, "A", "acute", 10.0, "reablement"),
        (1, "A", "reablement", 20.0, "home_care"),  # P1 -> home care: long-term care
        (2, "A", "acute", 20.0, "intermediate_care"),
        (2, "A", "intermediate_care", 40.0, "home"),  # P2 -> home: not
        (3, "A", "acute", 30.0, "care_home"),
        (3, "A", "care_home", nan, None),  # P3, still in the home: long-term care
        (4, "A", "acute", 50.0, "intermediate_care"),
        (4, "A", "intermediate_care", nan, None),  # still in the bed: unknown, left out
        (5, "A", "acute", 60.0, "home"),  # P0: not a supported discharge
        (6, "B", "acute", 105.0, "reablement"),  # after the window
        (6, "B", "reablement", 110.0, "home_care"),
        (7, "B", "acute", -5.0, "care_home"),  # in the warm-up
        (7, "B", "care_home", nan, None),
        (8, "B", "acute", 70.0, "reablement"),
        (8, "B", "reablement", 75.0, "acute"),  # escalated: a new episode, not long-term care
        (9, "B", "acute", 80.0, "intermediate_care"),
        (9, "B", "intermediate_care", 95.0, "care_home"),
        (9, "B", "care_home", nan, None),  # waiting for the home at the end: long-term care
        (10, "B", "acute", 90.0, "reablement"),
        (10, "B", "reablement", 95.0, "death"),  # not
        (11, "B", "acute", nan, None),  # replication 1: still in hospital
    ]
    table = pd.DataFrame(rows, columns=["episode", "locality", "setting", "leave", "next"])
    table.insert(0, "replication", [0] * (len(rows) - 1) + [1])
    table["locality"] = pd.Categorical(table["locality"], categories=["A", "B"])
    table["setting"] = pd.Categorical(table["setting"], categories=list(SETTINGS))
    table["next"] = pd.Categorical(table["next"], categories=list(DESTINATIONS))
    return table


def test_supported_discharges_to_long_term_care_by_hand() -> None:
    place = supported_discharges(stays_by_hand(), 100.0).set_index("replication")
    # Supported in the window: episodes 1, 2, 3, 4, 8, 9, 10; 4 is unknown;
    # long-term care: 1 (home care), 3 (care home), 9 (waiting for a care home).
    assert place.loc[0, "supported_discharges"] == 7
    assert place.loc[0, "outcome_known"] == 6
    assert place.loc[0, "to_long_term_care"] == 3
    assert place.loc[0, "pct"] == pytest.approx(50.0)
    assert place.loc[1, "supported_discharges"] == 0
    assert np.isnan(place.loc[1, "pct"])

    local = supported_discharges(stays_by_hand(), 100.0, by="locality")
    local = local.set_index(["replication", "locality"])
    assert local.loc[(0, "A"), "pct"] == pytest.approx(200.0 / 3.0)  # 2 of 3 known
    assert local.loc[(0, "B"), "pct"] == pytest.approx(100.0 / 3.0)  # 1 of 3
    assert local.loc[(0, "A"), "supported_discharges"] == 4
    assert len(local) == 4  # every replication x locality


def test_supported_discharges_outcome_is_the_counts(result: placesim.SimulationResult) -> None:
    horizon = result.scenario.calendar.horizon_days
    counts = supported_discharges(result.stays, horizon).set_index("replication")
    out = replication_outcomes(result.plan, result.stays).set_index(["replication", "outcome"])
    for r in range(result.replications):
        expected = 100.0 * counts.loc[r, "to_long_term_care"] / counts.loc[r, "outcome_known"]
        got = out.loc[(r, "supported_discharges_to_long_term_care_pct"), "value"]
        assert got == pytest.approx(expected, rel=1e-12)
        assert 0 < counts.loc[r, "outcome_known"] <= counts.loc[r, "supported_discharges"]


# ---------------------------------------------------------------- per 100k aged 65+


def test_age_band_lower_bound() -> None:
    assert age_band_lower_bound("65-74") == 65
    assert age_band_lower_bound("85+") == 85
    assert age_band_lower_bound("0-64") == 0
    assert age_band_lower_bound(" 90 and over") == 90
    assert age_band_lower_bound("all") is None


def test_population_65_plus_counts_bands_from_65(small: dict[str, Any]) -> None:
    small["population"]["age_bands"] = ["0-64", "65-74", "75+"]
    small["population"]["localities"] = [
        {
            "name": "A",
            "partnership": "North",
            "people": {"0-64": 8000, "65-74": 1200, "75+": 800},
            "care_home_residents": {"75+": 100},
        },
        {
            "name": "B",
            "partnership": "South",
            "people": {"0-64": 9000, "65-74": 700, "75+": 0},
        },
    ]
    small["demand"]["crisis_rate_per_person_year"] = {
        "home": {"all": 0.1},
        "care_home": {"all": 0.7},
    }
    pop = population_65_plus(compile_plan(placesim.parse_scenario(small)))
    assert pop.to_dict("list") == {
        "locality": ["A", "B"],
        "partnership": ["North", "South"],
        "people": [2000.0, 700.0],  # care-home residents are part of `people`
    }


def test_care_home_placements_per_100k_aged_65_plus(result: placesim.SimulationResult) -> None:
    stays, horizon = result.stays, result.scenario.calendar.horizon_days
    placed = stays[
        (stays["setting"] == "care_home")
        & ~stays["at_start"]
        & (stays["arrive"] >= 0)
        & (stays["arrive"] < horizon)
    ]
    assert (placed["age_band"] == "0-64").any(), "the test needs younger people placed too"
    older = placed[placed["age_band"] == "65+"]
    people_65 = {"A": 2000.0, "B": 2000.0, "C": 1500.0}
    place = replication_outcomes(result.plan, stays).set_index(["replication", "outcome"])
    local = replication_outcomes(result.plan, stays, "locality")
    local = local.set_index(["replication", "outcome", "locality"])
    name = "new_care_home_placements_per_100k"
    for r in range(result.replications):
        mine = older[older["replication"] == r]
        expected = 1e5 * len(mine) / sum(people_65.values())
        assert place.loc[(r, name), "value"] == pytest.approx(expected, rel=1e-12)
        for loc, people in people_65.items():
            n = int((mine["locality"] == loc).sum())
            assert local.loc[(r, name, loc), "value"] == pytest.approx(1e5 * n / people)


def test_without_population_the_rate_is_nan() -> None:
    sc = placesim.parse_scenario(
        {
            "calendar": {"start_date": "2025-04-01", "horizon_days": 60, "replications": 2},
            "settings": {
                "acute": {"capacity": "unlimited", "los": {"kind": "exponential", "mean": 3}},
                "care_home": {"capacity": 10, "los": {"kind": "exponential", "mean": 100}},
            },
            "discharge": {"pathways": {"all": {"P0": 0.8, "P3": 0.2}}},
            "referrals": [{"name": "ed", "setting": "acute", "rate_per_day": 3}],
        }
    )
    out = placesim.simulate(sc).outcomes().set_index("outcome")
    assert np.isnan(out.loc["new_care_home_placements_per_100k", "mean"])
    assert out.loc["admissions_into_hospital", "mean"] > 0
    assert np.isnan(out.loc["reablement_packages_started", "mean"])  # not modelled
    assert out.loc["supported_discharges_to_long_term_care_pct", "mean"] == 100.0  # all P3


# --------------------------------------------------------------------------- costs


def test_costs_are_quantity_times_unit_cost(result: placesim.SimulationResult) -> None:
    res = with_costs(result, **COSTS)
    table = replication_outcomes(res.plan, res.stays)
    unit = {o.name: COSTS.get(o.unit_cost, np.nan) if o.unit_cost else np.nan for o in OUTCOMES}
    expected = table["value"] * table["outcome"].map(unit)
    np.testing.assert_array_equal(table["cost_gbp"].to_numpy(), expected.to_numpy())
    assert table.loc[table["outcome"] == "reablement_days", "cost_gbp"].isna().all()
    assert table.loc[table["outcome"] == "admissions_into_hospital", "cost_gbp"].isna().all()

    summary = res.outcomes().set_index("outcome")
    for o in OUTCOMES:
        row = summary.loc[o.name]
        if o.unit_cost in COSTS:
            price = COSTS[o.unit_cost]
            for ours, theirs in [("mean", "cost_gbp_mean"), ("ci_low", "cost_gbp_ci_low")]:
                assert row[theirs] == pytest.approx(row[ours] * price, rel=1e-12), o.name
            assert row["cost_gbp_ci_high"] == pytest.approx(row["ci_high"] * price, rel=1e-12)
        else:
            assert np.isnan(row["cost_gbp_mean"]), o.name
    # Delayed acute bed days at the P21 rate: 346 GBP a day, exactly.
    delayed = result.measures.query("measure == 'delayed_bed_days' and setting == 'acute'")
    costed = table[table["outcome"] == "delayed_acute_bed_days"]
    np.testing.assert_allclose(
        costed["cost_gbp"].to_numpy(), 346.0 * delayed["value"].to_numpy(), rtol=1e-12
    )


def test_reablement_by_the_day(result: placesim.SimulationResult) -> None:
    res = with_costs(result, reablement_day=125.0)
    out = res.outcomes().set_index("outcome")
    days = out.loc["reablement_days"]
    assert days["cost_gbp_mean"] == pytest.approx(125.0 * days["mean"], rel=1e-12)
    assert np.isnan(out.loc["reablement_packages_started", "cost_gbp_mean"])
    assert np.isnan(out.loc["non_elective_bed_days", "cost_gbp_mean"])


def test_no_costs_section_no_cost_columns(result: placesim.SimulationResult) -> None:
    assert result.scenario.costs is None
    assert not [c for c in result.outcomes().columns if c.startswith("cost")]
    assert not [c for c in result.outcomes(by="locality").columns if c.startswith("cost")]
    table = replication_outcomes(result.plan, result.stays)
    assert "cost_gbp" not in table.columns


def test_costs_section_is_checked(small: dict[str, Any]) -> None:
    small["costs"] = {"acute_bed_day": -1, "reablement_episod": 1900}
    with pytest.raises(placesim.ScenarioError) as err:
        placesim.parse_scenario(small)
    text = str(err.value)
    assert "costs.acute_bed_day: -1 is not allowed: must be >= 0" in text
    assert "did you mean 'reablement_episode'" in text
    small["costs"] = {"reablement_episode": 1900, "acute_delayed_bed_day": 346}
    costs = placesim.parse_scenario(small).costs
    assert costs is not None
    assert costs.reablement_episode == 1900.0
    assert costs.acute_bed_day is None
