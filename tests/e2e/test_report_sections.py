"""What the HTML report says, section by section, on real pages (issue 15).

Each test reads a page's text with tests/report_pages.py and checks it against the
result's own API: the figures of a window (``summary(period=...)``), the warnings before
and after the run on one rule, the tails and chances the headline leads with, the tables
by month and financial year, and a comparison's decision table. The pages are of small
two-service runs (acute and care home) so they build in about a second each.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import placesim
from placesim.measures import Comparison, SimulationResult
from placesim.reporting import format_number
from placesim.reporting.html import (
    COMPARISON_SECTIONS,
    RESULT_SECTIONS,
    comparison_html,
    result_html,
    write_report,
)
from report_pages import HOSTILE, NO_WARNING, _Page, check_page, check_warnings, row_of, value

matplotlib = pytest.importorskip("matplotlib")

SPRING = "2026-03-15:2026-04-15"
NAMED = "<i>spring</i> & co"  # a period's name is scenario text too: escaped


def _two_services(name: str, care_home_start: int) -> dict[str, Any]:
    """Acute and a care home, 2026-03-01 to 2026-04-30 (two months across two financial
    years). The care home starts with `care_home_start` of its 60 beds taken: full, it is
    short of beds for weeks though its offered load (arrivals x stay) is half its beds."""
    from small_scenario import small_scenario

    data = small_scenario()
    data["name"] = name
    data["description"] = HOSTILE
    data["calendar"].update({"start_date": "2026-03-01", "horizon_days": 61, "warmup_days": 0})
    data["triage"] = {"home": {"all": {"acute": 1.0}}, "care_home": {"all": {"acute": 1.0}}}
    data["settings"] = {
        "acute": {"capacity": 80, "los": {"kind": "lognormal", "mean": 6, "median": 3}},
        "care_home": {"capacity": 60, "los": {"kind": "exponential", "mean": 100}},
    }
    data["discharge"]["pathways"] = {"all": {"P0": 0.9, "P3": 0.05, "death": 0.05}}
    data["initial_state"] = {"care_home": {"occupied": care_home_start}, "acute": {"occupied": 30}}
    data["periods"] = {NAMED: SPRING}
    data["costs"] = {"care_home_bed_day": 164, "capacity_place_day": {"care_home": 120}}
    return data


def _result(store: dict[str, Any], name: str, care_home_start: int) -> SimulationResult:
    if name not in store:
        scenario = placesim.parse_scenario(_two_services(name, care_home_start))
        store[name] = placesim.simulate(scenario, replications=4, seed=3)
    result: SimulationResult = store[name]
    return result


@pytest.fixture
def starved(store: dict[str, Any]) -> SimulationResult:
    return _result(store, "starved", 60)


@pytest.fixture
def roomy(store: dict[str, Any]) -> SimulationResult:
    return _result(store, "roomy", 10)


def _page(store: dict[str, Any], result: SimulationResult, period: str | None = None) -> _Page:
    key = f"page {result.scenario.name} {period}"
    if key not in store:
        text = result_html(result, period)
        store[key] = check_page(text, RESULT_SECTIONS)
        store[key + " html"] = text
    page: _Page = store[key]
    return page


def _table(page: _Page, section: str, index: int = 0) -> list[list[str]]:
    return page.tables[section][index]


# ---------------------------------------------------------------------- 2: warnings


def test_a_starved_service_is_named_in_the_warnings_though_its_offered_load_is_low(
    starved: SimulationResult, store: dict[str, Any]
) -> None:
    # The case of the issue: nothing is overloaded before the run (arrivals x stay is
    # half the care home's beds), but it starts full and is short of beds for weeks.
    assert starved.warnings == ()
    after = starved.capacity_warnings()
    assert len(after) == 1 and after[0].startswith("care home: short of")
    page = _page(store, starved)
    check_warnings(page, starved)
    text = page.section("warnings")
    assert NO_WARNING not in text
    assert "No service's offered load reaches its target occupancy." in text
    assert "care home: short of" in text and "occupied on average" in text
    # One rule: the gap table beside the chart is above zero for exactly the services
    # the warnings say are short.
    gap = _table(page, "capacity-gap")
    assert gap[0][:2] == ["Service", "Target occupancy"]
    for row in gap[1:]:
        shortfall = float(row[-1].split()[0].replace(",", "")) > 0
        assert shortfall == any(
            line.startswith(f"{row[0].lower()}: short of") for line in page.items["warnings"]
        ), row


def test_nothing_is_near_capacity_only_when_both_checks_are_empty(
    roomy: SimulationResult, starved: SimulationResult, store: dict[str, Any]
) -> None:
    assert roomy.warnings == () and roomy.capacity_warnings() == []
    page = _page(store, roomy)
    check_warnings(page, roomy)
    assert NO_WARNING in page.section("warnings")
    # The small scenario warns before the run and after it: both lists, one line each.
    check_warnings(_page(store, starved, SPRING), starved, SPRING)


# ------------------------------------------------------------------------ 1: a period


def test_a_report_of_a_period_is_of_that_window_and_says_so_at_the_top(
    starved: SimulationResult, store: dict[str, Any]
) -> None:
    page = _page(store, starved, SPRING)
    whole = _page(store, starved)
    header = " ".join(" ".join(page.header).split())
    assert "Reported window: 2026-03-15 to 2026-04-15 (32 days), of the run 2026-03-01 to " in (
        header
    )
    assert page.ids["window"] == 1 and whole.ids["window"] == 0
    assert "Reported window" not in " ".join(whole.header)

    summary, run = starved.summary(period=SPRING), starved.summary()
    # Headline: each service's admissions of the window, not of the run.
    head = _table(page, "headline", 1)
    admissions = head[0].index("Admissions")
    shown = row_of(head, "Acute")[admissions].split()[0]
    assert shown == format_number(value(summary, "admissions", "acute"), "admissions")
    assert shown != format_number(value(run, "admissions", "acute"), "admissions")
    # Length of stay and the capacity gap of the window.
    los = row_of(_table(page, "los"), "Acute")
    assert los[1].split()[0] == format_number(value(summary, "los_mean", "acute"), "days")
    gap = row_of(_table(page, "capacity-gap"), "Care home")
    assert gap[-1].split()[0] == format_number(value(summary, "capacity_gap", "care_home"), "beds")
    # The outcomes of the window.
    outcomes = starved.outcomes(period=SPRING)
    admitted = outcomes[outcomes["outcome"] == "admissions_into_hospital"]
    row = row_of(_table(page, "outcomes"), "Admissions into hospital")
    assert row[3].split()[0] == format_number(float(admitted["mean"].iloc[0]), "admissions")
    # The warnings after the run are of the window; before it, of the whole run.
    check_warnings(page, starved, SPRING)
    assert "After the run: capacity gap, 2026-03-15:2026-04-15" in page.section("warnings")


def test_a_named_period_is_named_and_escaped(
    starved: SimulationResult, store: dict[str, Any], tmp_path: Path
) -> None:
    path = write_report(starved, tmp_path / "spring.html", period=NAMED)
    text = path.read_text(encoding="utf-8")
    page = check_page(text, RESULT_SECTIONS)
    assert "<i>spring" not in text and "&lt;i&gt;spring&lt;/i&gt; &amp; co" in text
    header = " ".join(" ".join(page.header).split())
    assert f"placesim report: starved, {NAMED}" in header
    assert f"Reported window: {NAMED}, 2026-03-15 to 2026-04-15" in header
    assert f"Named periods {NAMED}: 2026-03-15 to 2026-04-15" in page.section("scenario")
    # A name and its dates are the same window: the same figures.
    by_dates = _page(store, starved, SPRING)
    assert page.tables["headline"] == by_dates.tables["headline"]
    assert page.items["warnings"] == by_dates.items["warnings"]
    with pytest.raises(placesim.PlacesimError, match="inside the run's reporting window"):
        result_html(starved, "2026-01-01:2026-02-01")


def test_a_period_page_is_reproducible_and_the_result_report_still_writes_the_whole_run(
    starved: SimulationResult, store: dict[str, Any], tmp_path: Path
) -> None:
    _page(store, starved, SPRING)
    assert result_html(starved, SPRING) == store[f"page starved {SPRING} html"]
    _page(store, starved)
    written = starved.report(tmp_path / "r.html").read_text(encoding="utf-8")
    assert written == store["page starved None html"]


def test_the_charts_of_a_period_shade_it_or_are_of_it(starved: SimulationResult) -> None:
    from placesim.reporting.plots import los_days, plot_capacity_gap, plot_census

    fig = plot_census(starved, "acute", period=NAMED)
    labels = [p.get_label() for p in fig.axes[0].patches]
    assert f"reported window: {NAMED}" in labels
    # The gap chart is of the window: its bars are summary(period=...)'s means.
    fig = plot_capacity_gap(starved, period=SPRING)
    bars = [p.get_height() for p in fig.axes[0].patches]
    summary = starved.summary(period=SPRING)
    expected = [value(summary, "capacity_gap", s) for s in ("acute", "care_home")]
    assert bars == pytest.approx(expected)
    assert "2026-03-15:2026-04-15" in fig.axes[0].get_title(loc="left")
    # The length-of-stay histogram draws the stays behind the window's los_mean.
    stays = los_days(starved, "acute", SPRING)
    mean = stays.groupby("replication")["los"].mean().mean()
    assert mean == pytest.approx(value(summary, "los_mean", "acute"))
    assert len(stays) < len(los_days(starved, "acute"))


# --------------------------------------------------------------- 3: tails and chances


def test_the_chances_of_a_period_are_of_that_window(
    starved: SimulationResult, store: dict[str, Any]
) -> None:
    page = _page(store, starved, SPRING)
    line = page.items["headline"][1]
    chance = starved.chance("capacity_gap:care_home<=0", period=SPRING)
    assert line.startswith("Care home: people fit within 90% of its beds on 95% of days in ")
    assert f"in {chance.held} of {chance.replications} replications, {chance.share:.0%}" in line


# ------------------------------------------------------- 4: by month, by financial year


def test_tables_by_month_and_financial_year(
    starved: SimulationResult, store: dict[str, Any]
) -> None:
    page = _page(store, starved)
    for key, by in (("months", "month"), ("financial-years", "financial_year")):
        table = _table(page, key)
        expected = starved.by_period(by)
        labels = list(dict.fromkeys(str(p) for p in expected["period"]))
        assert table[0] == ["Service", "Measure", *labels]
        # Acute, then the care home; no delayed days where nobody is held waiting.
        assert [row[1] for row in table[1:]] == [
            "Admissions",
            "Bed days",
            "Delayed bed days",
            "Occupancy rate",
            "Capacity gap (beds)",
            "Admissions",
            "Bed days",
            "Occupancy rate",
            "Capacity gap (beds)",
        ]
        assert [row[0] for row in table[1:]] == ["Acute"] + [""] * 4 + ["Care home"] + [""] * 3
        for i, label in enumerate(labels):
            rows = expected[expected["period"] == label]
            gap = value(rows, "capacity_gap", "care_home")
            assert table[-1][2 + i].split()[0] == format_number(gap, "beds")
            admissions = value(rows, "admissions", "acute")
            assert table[1][2 + i].split()[0] == format_number(admissions, "admissions")
    assert _table(page, "financial-years")[0][2:] == [
        "2025/26 (part: 2026-03-01 to 2026-03-31)",
        "2026/27 (part: 2026-04-01 to 2026-04-30)",
    ]


# --------------------------------------------------------------------- 5: comparisons


@pytest.fixture
def comparison(store: dict[str, Any]) -> Comparison:
    if "comparison" not in store:
        base = _two_services("base", 60)
        more = copy.deepcopy(base)
        more["name"] = "more <beds>"
        more["settings"]["care_home"]["capacity"] = 80
        store["comparison"] = placesim.compare(
            placesim.parse_scenario(base),
            placesim.parse_scenario(more),
            replications=4,
            seed=3,
            period=NAMED,
            min_difference={"bed_days": 1e9},
        )
    found: Comparison = store["comparison"]
    return found


def test_comparison_leads_with_the_decision_table_of_its_window(comparison: Comparison) -> None:
    text = comparison_html(comparison)
    page = check_page(text, COMPARISON_SECTIONS)
    assert page.order[:4] == ["scenarios", "decisions", "significant", "warnings"]
    header = " ".join(" ".join(page.header).split())
    assert f"Reported window: {NAMED}, 2026-03-15 to 2026-04-15 (32 days)" in header
    assert "&lt;i&gt;spring" in text and "<i>spring" not in text
    decisions = comparison.decisions()
    table = _table(page, "decisions")
    assert table[0][3:5] == ["base (base)", "This scenario"]
    assert len(table) - 1 == len(decisions)
    assert {row[0] for row in table[1:]} == {"more <beds>"}
    # The net cost (activity and the care-home beds provided) is a row of its own.
    cost = decisions[decisions["measure"] == "net_cost"].iloc[0]
    row = row_of(table, "more <beds>", "Net cost (GBP): activity and capacity")
    assert row[3] == f"£{float(cost['base']):,.0f}"
    assert row[6].startswith(f"{float(cost['chance_better']):.0%}")
    gap = decisions[decisions["measure"] == "capacity_gap"].iloc[-1]
    row = row_of(table, "more <beds>", "Care home capacity gap (beds)")
    assert row[4] == format_number(float(gap["value"]), "beds")
    # Then the significant differences, already cut to those worth a line.
    lines = comparison.significant()
    assert page.items["significant"] == lines
    assert not any(line.startswith("care home bed days") for line in lines)
    assert "bed_days 1e+09" in page.section("significant")
    # The sections after it are of the window too.
    for res in comparison.results:
        after = res.capacity_warnings(NAMED)
        assert all(line in page.items["warnings"] for line in after)
