"""Periods, tails and chances: the answers for the weeks that matter (issue 15).

Each figure is held against a hand count from the stays or daily table, or against the
whole-run measures it must reproduce.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

import placesim
from placesim.measures import (
    Period,
    calendar_periods,
    parse_period,
    parse_target,
    wilson_interval,
)
from small_scenario import small_scenario

WINTER = "2025-06-01:2025-07-15"  # inside the small scenario's window (2025-04-01, 120 days)


@pytest.fixture(scope="module")
def result() -> placesim.SimulationResult:
    data = small_scenario()
    data["periods"] = {"early_summer": WINTER}
    return placesim.simulate(placesim.parse_scenario(data), replications=3, seed=5, progress=False)


def _clip_days(start: np.ndarray, end: np.ndarray, a: float, b: float) -> float:
    end = np.where(np.isfinite(end), end, np.inf)
    return float(np.clip(np.minimum(end, b) - np.maximum(start, a), 0.0, None).sum())


def test_a_period_summary_is_the_hand_computed_window_sum(
    result: placesim.SimulationResult,
) -> None:
    a, b = 61.0, 106.0  # 2025-06-01 .. 2025-07-15 inclusive, days from 2025-04-01
    assert parse_period(WINTER, result.plan).window(result.plan) == (a, b)
    assert result.stays is not None
    per_rep = []
    for _, stays in result.stays.groupby("replication"):
        acute = stays[(stays["setting"] == "acute") & stays["arrive"].notna()]
        came = acute[~acute["at_start"] & (acute["arrive"] >= a) & (acute["arrive"] < b)]
        bed_days = _clip_days(acute["arrive"].to_numpy(), acute["leave"].to_numpy(), a, b)
        ready = acute[acute["ready"].notna()]
        delayed = _clip_days(ready["ready"].to_numpy(), ready["leave"].to_numpy(), a, b)
        per_rep.append((len(came), bed_days, delayed))
    hand = np.mean(per_rep, axis=0)
    table = result.summary(period=WINTER).set_index(["measure", "setting"])["mean"]
    assert table[("admissions", "acute")] == pytest.approx(hand[0], rel=1e-12)
    assert table[("bed_days", "acute")] == pytest.approx(hand[1], rel=1e-9)
    assert table[("delayed_bed_days", "acute")] == pytest.approx(hand[2], rel=1e-9, abs=1e-9)
    named = result.summary(period="early_summer")
    pd.testing.assert_frame_equal(named, result.summary(period=WINTER))


def test_the_whole_window_as_a_period_gives_the_run_measures(
    result: placesim.SimulationResult,
) -> None:
    whole = f"{result.plan.start_date}:{result.plan.end_date}"
    got = result.replication_measures(whole).set_index(["replication", "measure", "setting"])
    run = result.measures.set_index(["replication", "measure", "setting"])
    pd.testing.assert_series_equal(got["value"], run["value"], check_exact=True)


def test_without_stays_a_period_has_its_daily_measures(
    result: placesim.SimulationResult,
) -> None:
    lean = placesim.simulate(
        result.scenario, replications=3, seed=5, progress=False, keep_stays=False
    )
    full = result.summary(period=WINTER).set_index(["measure", "setting"])["mean"]
    part = lean.summary(period=WINTER).set_index(["measure", "setting"])["mean"]
    for measure in ("admissions", "bed_days", "delayed_bed_days", "occupancy_mean"):
        assert part[(measure, "acute")] == pytest.approx(full[(measure, "acute")], rel=1e-9)
    assert ("los_mean", "acute") not in part.index  # needs the stays, and is left out


def test_months_add_up_to_the_run(result: placesim.SimulationResult) -> None:
    months = calendar_periods(result.plan, "month")
    assert [m.label for m in months][:2] == ["2025-04", "2025-05"]
    assert months[-1].label == "2025-07 (part: 2025-07-01 to 2025-07-29)"
    table = result.by_period("month")
    bed_days = table[(table["measure"] == "bed_days") & (table["setting"] == "acute")]
    run = result.summary().set_index(["measure", "setting"])["mean"][("bed_days", "acute")]
    assert bed_days["mean"].sum() == pytest.approx(run, rel=1e-9)
    years = calendar_periods(result.plan, "financial_year")
    assert [y.label for y in years] == ["2025/26 (part: 2025-04-01 to 2025-07-29)"]


def test_periods_outside_the_run_or_malformed_are_refused(
    result: placesim.SimulationResult,
) -> None:
    plan = result.plan
    with pytest.raises(placesim.PlacesimError, match="inside the run's reporting window"):
        parse_period("2026-01-01:2026-02-01", plan)
    with pytest.raises(placesim.PlacesimError, match="write START:END"):
        parse_period("winter", plan)
    with pytest.raises(placesim.PlacesimError, match="ends before it starts"):
        parse_period(Period(dt.date(2025, 6, 2), dt.date(2025, 6, 1)), plan)
    data = small_scenario()
    data["periods"] = {"winter": "2025-12-01:2026-03-31"}
    with pytest.raises(placesim.ScenarioError, match=r"periods\.winter: .* inside the reporting"):
        placesim.parse_scenario(data)


def test_intervals_of_counts_are_never_negative_and_tails_are_given(
    result: placesim.SimulationResult,
) -> None:
    table = result.summary()
    can_be_negative = table["measure"] == "capacity_gap"
    assert (table.loc[~can_be_negative, "ci_low"].dropna() >= 0).all()
    assert {"median", "p05", "p95"} <= set(table.columns)
    values = result.measures[
        (result.measures["measure"] == "bed_days") & (result.measures["setting"] == "acute")
    ]["value"]
    row = table[(table["measure"] == "bed_days") & (table["setting"] == "acute")].iloc[0]
    assert row["median"] == pytest.approx(float(np.median(values)))
    assert row["p05"] <= row["median"] <= row["p95"]


def test_chance_is_the_hand_counted_share(result: placesim.SimulationResult) -> None:
    values = result.measures[
        (result.measures["measure"] == "occupancy_rate") & (result.measures["setting"] == "acute")
    ]["value"].to_numpy()
    threshold = float(np.median(values))
    chance = result.chance("occupancy_rate", "acute", "<=", threshold)
    assert chance.held == int((values <= threshold).sum())
    assert chance.share == pytest.approx(chance.held / len(values))
    assert (chance.ci_low, chance.ci_high) == pytest.approx(
        wilson_interval(chance.held, len(values))
    )
    same = result.chance(f"occupancy_rate:acute<={threshold!r}")
    assert same.held == chance.held
    assert "held in" in str(chance)


def test_wilson_interval_matches_a_worked_value() -> None:
    # 7 of 10 at 95%: Wilson (1927) gives 0.3968 to 0.8922 (Brown, Cai and DasGupta 2001).
    low, high = wilson_interval(7, 10)
    assert (low, high) == pytest.approx((0.3968, 0.8922), abs=5e-4)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("capacity_gap:acute<=0", ("capacity_gap", "acute", "<=", 0.0)),
        ("occupancy_rate:acute < 0.92", ("occupancy_rate", "acute", "<", 0.92)),
        ("dtoc_rate<=0.02", ("dtoc_rate", "acute", "<=", 0.02)),
        ("acute.wait_mean<=1", ("wait_mean", "acute", "<=", 1.0)),  # the older syntax
        (
            "avoided_admissions:rapid_response>=100",
            ("avoided_admissions", "rapid_response", ">=", 100.0),
        ),
    ],
)
def test_one_target_syntax(text: str, expected: tuple[str, str, str, float]) -> None:
    t = parse_target(text)
    assert (t.measure, t.setting, t.op, t.value) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("capacity_gap<=0", "names no setting"),
        ("capacity_gap:acute<=nan", "finite number"),
        ("nope:acute<=1", "measure 'nope'"),
        ("capacity_gap:nowhere<=1", "setting 'nowhere'"),
        ("capacity_gap:acute=1", "write MEASURE"),
    ],
)
def test_bad_targets_say_what_is_allowed(text: str, problem: str) -> None:
    with pytest.raises(placesim.PlacesimError, match=problem):
        parse_target(text)


def test_stays_carry_calendar_date_times(result: placesim.SimulationResult) -> None:
    assert result.stays is not None
    stays = result.stays.dropna(subset=["leave"]).head(50)
    start = pd.Timestamp(result.plan.start_date)
    expected = start + pd.to_timedelta((stays["leave"] * 86_400).round(), unit="s")
    assert (stays["leave_at"] == expected).all()
    assert result.stays["leave_at"].isna().sum() == result.stays["leave"].isna().sum()


def test_levers_outside_the_run_warn(small: dict[str, Any]) -> None:
    small["interventions"] = [
        {
            "type": "capacity_change",
            "name": "next winter",
            "setting": "acute",
            "change": 5,
            "start": "2027-12-01",
            "end": "2028-03-31",
        },
        {
            "type": "capacity_change",
            "setting": "acute",
            "change": 5,
            "start": "2025-07-01",
            "end": "2025-12-31",
        },
    ]
    warnings = placesim.scenario.scenario_warnings(placesim.parse_scenario(small))
    assert warnings[0] == (
        "interventions[0] (capacity_change 'next winter'): 2027-12-01 to 2028-03-31 is wholly "
        "outside the run's reporting window, 2025-04-01 to 2025-07-29: it changes nothing"
    )
    assert "partly outside" in warnings[1] and "only 2025-07-01 to 2025-07-29" in warnings[1]
    assert len(warnings) == 2


def test_capacity_warnings_use_the_gap_rule_and_name_each_service(
    result: placesim.SimulationResult,
) -> None:
    table = result.summary().set_index(["measure", "setting"])["mean"]
    lines = result.capacity_warnings()
    for setting in result.plan.defined_settings():
        if ("capacity_gap", setting) not in table.index:
            continue
        named = [line for line in lines if line.startswith(setting.replace("_", " ") + ":")]
        gap = table[("capacity_gap", setting)]
        rate = table[("occupancy_rate", setting)]
        target = result.plan.measure_options.target(setting)
        assert bool(named) == (gap > 0 or rate >= target), (setting, gap, rate, named)
        if gap > 0:
            assert f"short of {gap:,.0f} " in named[0]


def test_the_offered_load_check_warns_at_the_target_occupancy() -> None:
    from builders import intermediate_care_unit

    plan = placesim.compile_plan(placesim.parse_scenario(intermediate_care_unit(1.82, 10)))
    (line,) = placesim.load_warnings(plan)  # 9.1 places of 10: above the 90% target
    assert "above its 90% target occupancy" in line
    data = intermediate_care_unit(1.82, 10)
    data["measures"] = {"target_occupancy": {"intermediate_care": 0.95}}
    assert placesim.load_warnings(placesim.compile_plan(placesim.parse_scenario(data))) == []
