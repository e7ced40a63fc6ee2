"""Dated series: crisis factors and referral rates by date, inline or from a CSV file.

The compiled daily rates are checked by hand, a replayed referral series against the
arrivals it gives (Poisson, within 4 standard errors), CSV paths against the scenario file
that names them, and every kind of bad input against its one-line message.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import placesim
from builders import referral_only, write_yaml
from placesim.cli import main
from placesim.demand import generate_episodes
from placesim.errors import ScenarioError
from placesim.plan import compile_plan
from placesim.plan.arrivals import REFERRAL_GROUP
from placesim.plan.pathways import SOURCES
from placesim.scenario.schema import MAX_SERIES_DAYS

REFERRAL = SOURCES.index("referral")
BASE = 0.07 * 8000 / 365.25  # locality A, 0-64 at home: 8,000 people, 0.07 crises a year
DOW = [1.1, 1.0, 1.2, 0.9, 0.95, 0.8, 0.7]  # Mon..Sun
MONTHLY = [1.03, 1.03, 0.9, 1.05, 1, 1, 1, 1, 1, 1, 1, 1.03]  # Jan..Dec


def _days(first: str, values: list[float]) -> dict[str, float]:
    start = dt.date.fromisoformat(first)
    return {str(start + dt.timedelta(days=i)): v for i, v in enumerate(values)}


def _group(plan: Any, locality: str, band: str, residence: int) -> Any:
    loc, age = plan.localities.index(locality), plan.age_bands.index(band)
    return next(
        g
        for g in plan.groups
        if (g.locality, g.age_band, g.residence) == (loc, age, residence) and g.key < REFERRAL_GROUP
    )


# -- compiled rates, by hand -------------------------------------------------------------


def test_crisis_factors_replace_the_calendar_on_their_dates(small: dict[str, Any]) -> None:
    # The simulation starts 2025-03-12 (start_date 2025-04-01, 20 days of warm-up), a
    # Wednesday. The series starts two days before it (left out) and gives its first two
    # days; outside it the months and weekdays apply as before; the lever still applies.
    small["population"]["annual_growth"] = 0.0
    small["demand"]["seasonality"] = {"monthly": MONTHLY}
    small["demand"]["day_of_week"] = DOW
    small["demand"]["daily_factors"] = _days("2025-03-10", [9.0, 9.0, 1.5, 0.5])
    small["interventions"] = [
        {"type": "demand_change", "start": "2025-03-12", "factor": 0.8, "localities": ["B"]}
    ]
    plan = compile_plan(placesim.parse_scenario(small))
    rate = _group(plan, "A", "0-64", 0).daily_rate
    assert rate.size == 140
    assert rate[0] == pytest.approx(BASE * 1.5, rel=1e-12)  # Wed 12 March: the series
    assert rate[1] == pytest.approx(BASE * 0.5, rel=1e-12)  # Thu 13 March: the series
    assert rate[2] == pytest.approx(BASE * 0.9 * 0.95, rel=1e-12)  # Fri 14 March: March, Fri
    assert rate[26] == pytest.approx(BASE * 1.05 * 1.1, rel=1e-12)  # Mon 7 April: April, Mon
    # Every segment takes the factor: A's 100 care-home residents at 0.7 a year, and B's
    # people with the lever's 0.8 on top.
    care_home = _group(plan, "A", "65+", 1).daily_rate
    assert care_home[0] == pytest.approx(0.7 * 100 / 365.25 * 1.5, rel=1e-12)
    assert _group(plan, "B", "0-64", 0).daily_rate[1] == pytest.approx(BASE * 0.5 * 0.8, rel=1e-12)


def test_referral_rates_replace_the_stream_rate_on_their_dates() -> None:
    # 2025-01-06 is a Monday; the series gives days 2 to 4; rate_per_day x day_of_week
    # holds before and after it.
    data = referral_only(3.0, day_of_week=DOW, daily_rates=_days("2025-01-08", [0, 7.5, 2]))
    rate = compile_plan(placesim.parse_scenario(data)).groups[0].daily_rate
    np.testing.assert_array_equal(rate[:7], [3.0 * 1.1, 3.0, 0.0, 7.5, 2.0, 3.0 * 0.8, 3.0 * 0.7])
    assert rate[7] == 3.0 * 1.1


def test_a_series_of_ones_compiles_to_the_same_numbers_as_none() -> None:
    plain = compile_plan(placesim.parse_scenario(referral_only(2.5)))
    ones = referral_only(2.5, daily_rates=_days("2025-01-06", [2.5] * 364))
    np.testing.assert_array_equal(
        compile_plan(placesim.parse_scenario(ones)).groups[0].daily_rate,
        plain.groups[0].daily_rate,
    )


# -- a replay round trip -------------------------------------------------------------------


def test_a_replayed_referral_series_gives_its_counts_on_average() -> None:
    # Known daily counts (a weekly pattern with a day of none) over the first 26 weeks;
    # the stream's 2 a day with no factors after them. Each day's count is the mean of a
    # Poisson count, so over R replications the arrivals on the n days of one level have
    # mean level and standard error sqrt(level / (n R)).
    week = [6.0, 4.0, 4.0, 5.0, 3.0, 1.0, 0.0]
    counts = week * 26
    data = referral_only(2.0, daily_rates=_days("2025-01-06", counts))
    plan = compile_plan(placesim.parse_scenario(data))
    reps = 100
    per_day = np.zeros((reps, 364))
    for r in range(reps):
        episodes = generate_episodes(plan, r, 5)
        times = episodes.time[episodes.source == REFERRAL]
        per_day[r] = np.bincount(np.floor(times).astype(int), minlength=364)
    given = np.array([*counts, *[math.nan] * (364 - len(counts))])
    assert per_day[:, given == 0.0].sum() == 0  # a day of none has none
    for level in [6.0, 4.0, 5.0, 3.0, 1.0]:
        days = given == level
        mean = per_day[:, days].mean()
        se = math.sqrt(level / (days.sum() * reps))
        assert abs(mean - level) <= 4 * se, (level, mean, se)
    after = per_day[:, len(counts) :].mean()
    assert abs(after - 2.0) <= 4 * math.sqrt(2.0 / ((364 - len(counts)) * reps)), after


# -- CSV files, relative to the scenario file --------------------------------------------


def _csv(path: Path, rows: list[str], header: str = "day,referrals,note") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _referral_file(folder: Path, series: Any, name: str = "s.yaml") -> Path:
    data = referral_only(3.0, daily_rates=series)
    return write_yaml(folder / name, data)


def test_csv_path_is_relative_to_the_scenario_file(tmp_path: Path, monkeypatch: Any) -> None:
    _csv(
        tmp_path / "place" / "data" / "gp.csv",
        ["2025-01-06,4,a", "2025-01-07,0,", "", "2025-01-08,2.5,c"],
    )
    ref = {"csv": "data/gp.csv", "date": "day", "value": "referrals"}
    _referral_file(tmp_path / "place", ref)
    monkeypatch.chdir(tmp_path)  # elsewhere than the scenario's folder
    scenario = placesim.load_scenario(Path("place") / "s.yaml")
    inline = {dt.date(2025, 1, 6): 4.0, dt.date(2025, 1, 7): 0.0, dt.date(2025, 1, 8): 2.5}
    assert scenario.referrals[0].daily_rates == inline
    # The scenario holds the values, so it round-trips without the file.
    assert placesim.parse_scenario(scenario.model_dump(mode="json")) == scenario
    assert scenario == placesim.parse_scenario(referral_only(3.0, daily_rates=inline))


def test_each_file_of_a_variant_reads_its_own_csv(tmp_path: Path) -> None:
    _csv(tmp_path / "base" / "gp.csv", ["2025-01-06,1,", "2025-01-07,1,"])
    _referral_file(tmp_path / "base", {"csv": "gp.csv", "date": "day", "value": "referrals"})
    _csv(tmp_path / "variants" / "more.csv", ["2025-01-08,5,", "2025-01-09,6,"])
    ref = {"csv": "more.csv", "date": "day", "value": "referrals"}
    child = {
        "extends": "../base/s.yaml",
        "referrals": [referral_only(3.0, daily_rates=ref)["referrals"][0]],
    }
    # The parent's file is read next to the parent; the list of referrals then replaces
    # the parent's whole, as lists do.
    variant = placesim.load_scenario(write_yaml(tmp_path / "variants" / "v.yaml", child))
    assert variant.referrals[0].daily_rates == {
        dt.date(2025, 1, 8): 5.0,
        dt.date(2025, 1, 9): 6.0,
    }


def test_a_variants_series_merges_date_by_date_with_its_parents(
    tmp_path: Path, small: dict[str, Any]
) -> None:
    small["demand"]["daily_factors"] = {"csv": "factors.csv"}  # columns date and value
    _csv(tmp_path / "base" / "factors.csv", ["2025-04-01,1.0", "2025-04-02,1.1"], "date,value")
    write_yaml(tmp_path / "base" / "small.yaml", small)
    child = {"extends": "../base/small.yaml", "demand": {"daily_factors": {"2025-04-02": 1.4}}}
    merged = placesim.load_scenario(write_yaml(tmp_path / "variants" / "c.yaml", child))
    assert merged.demand is not None
    assert merged.demand.daily_factors == {dt.date(2025, 4, 1): 1.0, dt.date(2025, 4, 2): 1.4}


def test_a_series_goes_with_uncertain_inputs(tmp_path: Path) -> None:
    # The data kept for each replication's draws holds the series as JSON has it.
    data = referral_only({"low": 2.0, "high": 4.0})
    path = tmp_path / "s.yaml"
    text = yaml.safe_dump(data, sort_keys=False)
    assert text.endswith("    high: 4.0\n")  # the referral's last key
    path.write_text(text + "  daily_rates: {2025-01-06: 1, 2025-01-07: 2.5}\n")
    scenario = placesim.load_scenario(path)
    assert [spec.path for spec in scenario.uncertain_inputs] == ["referrals[gp].rate_per_day"]
    drawn, values = placesim.scenario.draw_inputs(scenario, seed=1, replication=0)
    assert drawn.referrals[0].daily_rates == scenario.referrals[0].daily_rates
    assert drawn.referrals[0].rate_per_day == values["referrals[gp].rate_per_day"]
    again = placesim.parse_scenario(
        json.loads(json.dumps(placesim.scenario.scenario_data(scenario)))
    )
    assert again.referrals[0].daily_rates == {dt.date(2025, 1, 6): 1.0, dt.date(2025, 1, 7): 2.5}


def test_plain_data_takes_an_absolute_csv_path_but_not_a_relative_one(tmp_path: Path) -> None:
    csv_file = _csv(tmp_path / "gp.csv", ["2025-01-06,2,"])
    ref = {"csv": str(csv_file), "date": "day", "value": "referrals"}
    data = referral_only(3.0, daily_rates=ref)
    before = copy.deepcopy(data)
    scenario = placesim.parse_scenario(data)
    assert scenario.referrals[0].daily_rates == {dt.date(2025, 1, 6): 2.0}
    assert data == before  # the caller's data is not changed
    data["referrals"][0]["daily_rates"]["csv"] = "gp.csv"
    with pytest.raises(ScenarioError) as caught:
        placesim.parse_scenario(data)
    assert caught.value.problems == [
        "referrals[0].daily_rates.csv: 'gp.csv' is a relative path, which only a scenario "
        "file can give (it is read relative to that file): load the scenario from its file, "
        "or give an absolute path or the values as a mapping of dates to numbers"
    ]


def test_inline_dates_may_be_yaml_dates_or_text(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    text = yaml.safe_dump(referral_only(3.0)).replace(
        "  rate_per_day: 3.0\n",
        "  rate_per_day: 3.0\n  daily_rates: {2025-01-06: 1, '2025-01-07': 2.5}\n",
    )
    assert "daily_rates" in text
    path.write_text(text)
    scenario = placesim.load_scenario(path)
    assert scenario.referrals[0].daily_rates == {
        dt.date(2025, 1, 6): 1.0,
        dt.date(2025, 1, 7): 2.5,
    }


# -- bad input: one clear problem each ---------------------------------------------------

GOOD = ["2025-01-06,1,", "2025-01-07,2,", "2025-01-08,3,"]
FIELD = "referrals[0].daily_rates"


@pytest.mark.parametrize(
    ("rows", "header", "ref", "expected"),
    [
        (
            ["2025-01-06,1,", "2025-02-30,2,", "2025-01-08,3,"],
            None,
            None,
            f"{FIELD}: gp.csv row 3: date '2025-02-30' is not allowed: no such day (day is "
            "out of range for month)",
        ),
        (
            ["2025-01-06,1,", "06/01/2025,2,"],
            None,
            None,
            f"{FIELD}: gp.csv row 3: date '06/01/2025' is not allowed: write dates as "
            "YYYY-MM-DD, such as 2025-04-01 (in a spreadsheet, format the column as "
            "yyyy-mm-dd before saving)",
        ),
        (
            [*GOOD, "2025-01-07,5,"],
            None,
            None,
            f"{FIELD}: gp.csv row 5: date 2025-01-07 is given twice (first in row 3): give "
            "each date once",
        ),
        (
            ["2025-01-06,1,", "2025-01-07,-2,", "2025-01-08,3,"],
            None,
            None,
            f"{FIELD}: gp.csv row 3: value '-2' is not allowed: must be a finite number >= 0",
        ),
        (
            ["2025-01-06,1,", "2025-01-07,inf,"],
            None,
            None,
            f"{FIELD}: gp.csv row 3: value 'inf' is not allowed: must be a finite number >= 0",
        ),
        (
            ["2025-01-06,1,", "2025-01-07,,"],
            None,
            None,
            f"{FIELD}: gp.csv row 3: value is empty: every row needs a number (0 for a day "
            "with none)",
        ),
        (
            ["2025-01-06,1,", "2025-01-08,3,"],
            None,
            None,
            f"{FIELD}: gp.csv: 2025-01-07 is missing (after 2025-01-06 in row 2): a series "
            "gives every day from its first date to its last (2025-01-06 to 2025-01-08), "
            "each once; give 0 for a day with none",
        ),
        (
            GOOD,
            "date,referrals",
            None,
            f"{FIELD}.date: column 'day' is not in gp.csv (its columns: date, referrals)",
        ),
        (
            GOOD,
            None,
            {"csv": "gp.csv", "date": "day", "value": "count"},
            f"{FIELD}.value: column 'count' is not in gp.csv (its columns: day, referrals, note)",
        ),
        (
            GOOD,
            None,
            {"csv": "gp.csv", "date": "day", "colum": "count"},
            f"{FIELD}: unknown key 'colum' in a CSV series (allowed: csv, date, value)",
        ),
        (
            GOOD,
            None,
            {"date": "day", "value": "referrals"},
            f"{FIELD}.csv: is required but missing: a series with `date` or `value` columns "
            "is read from the CSV file `csv` names",
        ),
        ([], None, None, f"{FIELD}: gp.csv has no rows of data: give a row a day"),
    ],
    ids=[
        "no-such-day",
        "day-first",
        "duplicate",
        "negative",
        "infinite",
        "empty-value",
        "gap",
        "missing-date-column",
        "missing-value-column",
        "unknown-key",
        "no-csv-key",
        "no-rows",
    ],
)
def test_bad_csv_series_is_one_problem_naming_field_and_row(
    tmp_path: Path, rows: list[str], header: str | None, ref: Any, expected: str
) -> None:
    _csv(tmp_path / "gp.csv", rows, header or "day,referrals,note")
    path = _referral_file(tmp_path, ref or {"csv": "gp.csv", "date": "day", "value": "referrals"})
    with pytest.raises(ScenarioError) as caught:
        placesim.load_scenario(path)
    assert caught.value.problems == [expected]
    assert caught.value.source == str(path)


def test_a_missing_csv_file_is_named_with_where_it_was_looked_for(tmp_path: Path) -> None:
    path = _referral_file(tmp_path, {"csv": "data/gp.csv", "date": "day", "value": "n"})
    with pytest.raises(ScenarioError) as caught:
        placesim.load_scenario(path)
    assert caught.value.problems == [
        f"{FIELD}.csv: 'data/gp.csv' not found (looked for {tmp_path / 'data' / 'gp.csv'})"
    ]


def test_a_series_longer_than_the_cap_is_refused(tmp_path: Path) -> None:
    start = dt.date(1900, 1, 1)
    rows = [f"{start + dt.timedelta(days=i)},1," for i in range(MAX_SERIES_DAYS + 1)]
    path = _referral_file(
        tmp_path, {"csv": _csv(tmp_path / "gp.csv", rows).name, "date": "day", "value": "referrals"}
    )
    with pytest.raises(ScenarioError) as caught:
        placesim.load_scenario(path)
    assert caught.value.problems == [
        f"{FIELD}: gp.csv has more than 36,600 rows of data: a series may give at most 36,600 days"
    ]
    inline = {str(start + dt.timedelta(days=i)): 1.0 for i in range(MAX_SERIES_DAYS + 1)}
    with pytest.raises(ScenarioError, match="gives 36,601 dates: a series may give at most"):
        placesim.parse_scenario(referral_only(3.0, daily_rates=inline))


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        (
            {"2025-01-06": 1, "2025-13-01": 2},
            f"{FIELD}: date '2025-13-01' is not allowed: no such day (month must be in 1..12)",
        ),
        (
            {"2025-01-06": 1, "2025-01-07": -0.5},
            f"{FIELD}: 2025-01-07: value -0.5 is not allowed: must be a finite number >= 0",
        ),
        (
            {"2025-01-06": 1, dt.date(2025, 1, 6): 2},
            f"{FIELD}: date 2025-01-06 is given twice: give each date once",
        ),
        ({}, f"{FIELD}: is empty: give at least one date, or leave the series out"),
        (
            [1.0, 2.0],
            f"{FIELD}: [1.0, 2.0] is not allowed: give a mapping of dates to numbers "
            "({2025-04-01: 1.02, 2025-04-02: 0.98, ...}) or a CSV file ({csv: FILE, date: "
            "COLUMN, value: COLUMN})",
        ),
        (
            {"2025-01-06": {"low": 1, "high": 2}},
            f"{FIELD}: 2025-01-06: a range or distribution is not allowed in a dated series: "
            "each date takes a number",
        ),
    ],
    ids=["bad-date", "negative", "duplicate", "empty", "a-list", "a-range"],
)
def test_bad_inline_series_is_one_problem(series: Any, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        placesim.parse_scenario(referral_only(3.0, daily_rates=series))
    assert caught.value.problems == [expected]


def test_bad_crisis_factors_name_their_field(small: dict[str, Any]) -> None:
    small["demand"]["daily_factors"] = {"2025-04-01": math.nan}
    with pytest.raises(ScenarioError) as caught:
        placesim.parse_scenario(small)
    assert caught.value.problems == [
        "demand.daily_factors: 2025-04-01: value nan is not allowed: must be a finite number >= 0"
    ]


def test_validate_exits_2_with_one_line_for_a_bad_row(tmp_path: Path, capsys: Any) -> None:
    _csv(tmp_path / "gp.csv", ["2025-01-06,1,", "2025-01-07,-1,"])
    path = _referral_file(tmp_path, {"csv": "gp.csv", "date": "day", "value": "referrals"})
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"error: {path}: {FIELD}: gp.csv row 3: value '-1' is not allowed: must be a finite "
        "number >= 0"
    ]
