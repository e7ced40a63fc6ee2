"""The HTML report end to end: self-contained pages, folders read back, a browser's view.

Each test builds a whole page (the small scenario, the default one, a comparison) or a
results folder; the page written by the commands is checked in tests/cli/test_report_cli.py
and the plots alone in tests/unit/test_plots.py.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import placesim
from placesim.measures import SimulationResult
from placesim.reporting import format_number, read_results, write_results
from placesim.reporting.html import COMPARISON_SECTIONS, RESULT_SECTIONS
from report_pages import HOSTILE, _Page, check_page, check_warnings, row_of, value

matplotlib = pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "rotherham_baseline.yaml"


# ---------------------------------------------------------------------------- helpers


def _figures(page: _Page) -> int:
    return sum(1 for tag, ref in page.refs if tag == "img" and ref.startswith("data:image/png"))


def _write(tmp_path: Path, data: dict[str, Any], name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def small_report(
    small_result: SimulationResult, store: dict[str, Any], tmp_path_factory: Any
) -> Path:
    if "small_report" not in store:
        store["small_report"] = small_result.report(
            tmp_path_factory.mktemp("report") / "small.html"
        )
    path: Path = store["small_report"]
    return path


# ----------------------------------------------------------------------------- report


def test_report_of_the_small_scenario_is_one_self_contained_page(
    small_result: SimulationResult, small_report: Path
) -> None:
    text = small_report.read_text(encoding="utf-8")
    page = check_page(text, RESULT_SECTIONS)
    # Census and length of stay for each of the six settings, waiting where anyone
    # waited, and the capacity gaps.
    assert _figures(page) >= 6 + 6 + 1 + 1
    shown = " ".join(page.text)
    assert HOSTILE in shown  # the text reads as written ...
    assert "<script>" not in text and "<b>bold" not in text  # ... and is escaped
    for needle in ("small", "offered-load check", "overloaded", "Admissions into hospital"):
        assert needle in shown, needle
    assert "North" in shown and "South" in shown  # the partnership table


def test_the_small_scenarios_page_warns_before_and_after_the_run(
    small_result: SimulationResult, small_report: Path
) -> None:
    page = check_page(small_report.read_text(encoding="utf-8"), RESULT_SECTIONS)
    check_warnings(page, small_result)
    assert small_result.warnings and small_result.capacity_warnings()
    text = page.section("warnings")
    assert "Before the run: offered-load check" in text
    assert "After the run: capacity gap" in text


def test_the_headline_leads_with_tails_and_chances(
    small_result: SimulationResult, small_report: Path
) -> None:
    page = check_page(small_report.read_text(encoding="utf-8"), RESULT_SECTIONS)
    summary = small_result.summary()
    lines = page.items["headline"]
    settings = ("acute", "intermediate_care", "reablement", "care_home")
    assert len(lines) == len(settings)
    for line, setting in zip(lines, settings, strict=True):
        chance = small_result.chance(f"capacity_gap:{setting}<=0")
        target = small_result.scenario.measures.target(setting)
        places = "places" if setting == "reablement" else "beds"
        name = setting.replace("_", " ").capitalize()
        assert line == (
            f"{name}: people fit within {target:.0%} of its {places} on 95% of days in "
            f"{chance.held} of {chance.replications} replications, {chance.share:.0%} "
            f"(95% CI {chance.ci_low:.0%} to {chance.ci_high:.0%})."
        )
    # The chances come first, then the table of tails, then the table of means.
    text = page.section("headline")
    assert text.index("Acute: people fit within") < text.index("Delayed discharges take")
    tails = page.tables["headline"][0]
    assert tails[0][1:4] == ["Capacity gap: mean (95% CI)", "Median", "5th to 95th percentile"]
    row = row_of(tails, "Acute")
    gap = [value(summary, "capacity_gap", "acute", c) for c in ("mean", "median", "p05", "p95")]
    assert row[1].split()[0] == format_number(gap[0], "beds")
    assert row[2] == format_number(gap[1], "beds")
    assert row[3] == f"{format_number(gap[2], 'beds')} to {format_number(gap[3], 'beds')}"
    rate = value(summary, "occupancy_rate", "acute", "median")
    assert row[5] == format_number(rate, "ratio")
    chance = small_result.chance("capacity_gap:acute<=0")
    assert row[7].startswith(f"{chance.share:.0%} ({chance.held} of {chance.replications})")


def test_report_of_the_default_scenario(tmp_path: Path) -> None:
    scenario = placesim.override(placesim.load_scenario(BASELINE), {"calendar.horizon_days": 60})
    result = placesim.simulate(scenario, replications=2, seed=1)
    path = result.report(tmp_path)  # a folder: report.html in it
    assert path == tmp_path / "report.html"
    page = check_page(path.read_text(encoding="utf-8"), RESULT_SECTIONS)
    shown = " ".join(page.text)
    assert "Health Village" in shown and "rotherham_baseline" in shown
    assert _figures(page) >= 6 + 6 + 1


def test_comparison_report_shows_paired_differences(small: dict[str, Any], tmp_path: Path) -> None:
    base = copy.deepcopy(small)
    base["name"] = "base"
    more = copy.deepcopy(small)
    more["name"] = "more <beds>"
    more["settings"]["acute"]["capacity"] = 120
    comparison = placesim.compare(
        placesim.parse_scenario(base), placesim.parse_scenario(more), replications=2, seed=5
    )
    path = comparison.report(tmp_path / "compare.html")
    text = path.read_text(encoding="utf-8")
    page = check_page(text, COMPARISON_SECTIONS)
    shown = " ".join(page.text)
    assert "more <beds> - base" in shown and "more &lt;beds&gt;" in text
    assert "settings.acute.capacity: 40 -> 120" in shown  # what differs
    for line in comparison.significant():
        assert line in shown
    assert _figures(page) >= 6 + 6 + 1


# ---------------------------------------------------------------------------- folders


def test_results_read_back_from_a_folder_are_the_same(
    small_result: SimulationResult, tmp_path: Path
) -> None:
    write_results(small_result, tmp_path)
    assert (tmp_path / "scenario.json").is_file()
    back = read_results(tmp_path)
    assert back.scenario == small_result.scenario
    assert (back.seed, back.replications, back.warnings) == (
        small_result.seed,
        small_result.replications,
        small_result.warnings,
    )
    for name in ("stays", "daily", "measures"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(small_result, name))
    pd.testing.assert_frame_equal(back.summary(), small_result.summary())
    pd.testing.assert_frame_equal(
        back.outcomes(by="locality"), small_result.outcomes(by="locality")
    )


def test_an_older_folder_is_read_with_its_scenario_file_if_unchanged(
    small: dict[str, Any], tmp_path: Path
) -> None:
    small["calendar"]["horizon_days"] = 30
    path = _write(tmp_path, small)
    result = placesim.simulate(placesim.load_scenario(path), replications=1, seed=2)
    out = tmp_path / "out"
    write_results(result, out, scenario_path=path)
    # As written before scenario.json and the column types were kept.
    (out / "scenario.json").unlink()
    meta = json.loads((out / "run.json").read_text())
    del meta["columns"], meta["scenario_json"]
    (out / "run.json").write_text(json.dumps(meta))
    back = read_results(out)
    pd.testing.assert_frame_equal(back.summary(), result.summary())
    pd.testing.assert_frame_equal(back.outcomes(), result.outcomes())
    path.write_text(path.read_text() + "\n# edited\n")
    with pytest.raises(placesim.PlacesimError, match="has changed since the run"):
        read_results(out)
    path.unlink()
    with pytest.raises(placesim.PlacesimError, match="is not there any more"):
        read_results(out)


# ------------------------------------------------------------------------- screenshot


def _chromium() -> str | None:
    found = shutil.which("chromium")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    return found


def test_report_renders_in_a_browser_with_its_figures(small_report: Path, tmp_path: Path) -> None:
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not installed: CI must install Debian's chromium")
        pytest.skip("chromium not installed: CI installs Debian's chromium")
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,4000",
            small_report.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert shot.is_file() and shot.stat().st_size > 50_000
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (4000, 1280)
    assert float(pixels.std()) > 0.05  # not blank
    # The page itself is black and grey on white: coloured pixels come from the figures.
    coloured = (pixels.max(axis=2) - pixels.min(axis=2)) > 0.15
    assert int(coloured.sum()) > 20_000
