"""Plots and the HTML report: figures, a self-contained page, and a report rebuilt from a folder."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
import yaml

import placesim
from placesim.cli import main
from placesim.measures import SimulationResult
from placesim.reporting import read_results, write_results
from placesim.reporting.html import COMPARISON_SECTIONS, RESULT_SECTIONS
from placesim.reporting.plots import census_bands, daily_delayed, los_days

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "rotherham_baseline.yaml"
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


# ---------------------------------------------------------------------------- helpers


class _Page(HTMLParser):
    """Parses a page, checks its tags nest, and collects its ids and outward references."""

    VOID: ClassVar[set[str]] = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
    }
    REFERRING: ClassVar[set[str]] = {
        "src",
        "href",
        "srcset",
        "action",
        "formaction",
        "poster",
        "data",
        "background",
    }

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: Counter[str] = Counter()
        self.refs: list[tuple[str, str]] = []
        self.tags: Counter[str] = Counter()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for key, value in attrs:
            if key == "id":
                self.ids[value or ""] += 1
            if key in self.REFERRING:
                self.refs.append((tag, value or ""))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_page(text: str, sections: tuple[str, ...]) -> _Page:
    """The page parses, nests, holds every section once and refers to nothing outside."""
    assert text.startswith("<!DOCTYPE html>")
    page = _Page(text)
    assert page.errors == [] and page.stack == [], (page.errors, page.stack)
    for section in sections:
        assert page.ids[section] == 1, section
    for tag in ("script", "link", "iframe", "object", "embed", "base"):
        assert page.tags[tag] == 0, tag
    for tag, ref in page.refs:
        if ref.startswith("#"):
            assert page.ids[ref[1:]] == 1, ref
        else:
            assert ref.startswith("data:image/png;base64,"), (tag, ref[:80])
    lowered = text.lower()
    assert "url(" not in lowered and "@import" not in lowered
    assert "http://" not in lowered and "https://" not in lowered
    return page


def _figures(page: _Page) -> int:
    return sum(1 for tag, ref in page.refs if tag == "img" and ref.startswith("data:image/png"))


def _one_service(small: dict[str, Any]) -> dict[str, Any]:
    """The small scenario with acute beds only: a quick report for the command-line tests."""
    data = copy.deepcopy(small)
    data["name"] = "one service"
    data["triage"] = {"home": {"all": {"acute": 1.0}}, "care_home": {"all": {"acute": 1.0}}}
    data["settings"] = {"acute": small["settings"]["acute"]}
    data["discharge"] = {
        "pathways": {"all": {"P0": 0.95, "death": 0.05}},
        "readmission": {"probability": {"all": 0.1}},
    }
    data["initial_state"] = {"acute": {"occupied": 30, "waiting": 2}}
    return data


def _write(tmp_path: Path, data: dict[str, Any], name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def store() -> dict[str, Any]:
    """Results and reports shared by this module's tests, each built once."""
    return {}


@pytest.fixture
def small_result(small: dict[str, Any], store: dict[str, Any]) -> SimulationResult:
    if "small" not in store:
        small["description"] = HOSTILE
        store["small"] = placesim.simulate(placesim.parse_scenario(small), replications=2, seed=3)
    result: SimulationResult = store["small"]
    return result


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


# ------------------------------------------------------------------------------ plots


def test_plots_return_figures_with_the_expected_lines_and_bands(
    small_result: SimulationResult,
) -> None:
    census = small_result.plot.census("acute")
    assert isinstance(census, Figure)
    ax = census.axes[0]
    assert len(ax.lines) == 2  # median, capacity
    assert len(ax.collections) == 2  # 50% and 90% bands
    assert ax.get_legend() is not None

    waiting = small_result.plot.waiting("acute").axes[0]
    assert len(waiting.lines) == 2 and len(waiting.collections) == 2  # waiting, delayed
    care_home = small_result.plot.waiting("care_home").axes[0]
    assert len(care_home.lines) == 1 and len(care_home.collections) == 1  # nobody is held there

    los = small_result.plot.los("acute", bins=40).axes[0]
    assert len(los.patches) == 40 + 1  # bars, and the outline of the time until ready
    assert len(los.lines) == 2  # mean, median

    gap = small_result.plot.capacity_gap().axes[0]
    assert len(gap.patches) == 6  # one bar per setting, all with a finite capacity
    labels = [t.get_text() for t in gap.get_xticklabels()]
    assert labels == [
        "acute",
        "rapid response",
        "virtual ward",
        "intermediate care",
        "reablement",
        "care home",
    ]


def test_plots_draw_into_given_axes_and_refuse_unknown_settings(
    small_result: SimulationResult,
) -> None:
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert small_result.plot.census("acute", ax=left) is fig
    assert small_result.plot.los("reablement", ax=right) is fig
    assert len(left.lines) == 2
    with pytest.raises(placesim.PlacesimError, match="'hospital' is not allowed"):
        small_result.plot.census("hospital")


def test_plots_of_several_results_overlay_each_scenario(small_result: SimulationResult) -> None:
    from placesim.reporting.plots import plot_census, plot_waiting

    both = [small_result, small_result]
    census = plot_census(both, "acute").axes[0]
    assert len(census.lines) == 2 + 1  # two medians, one shared capacity line
    assert len(census.collections) == 2  # a 90% band each
    waiting = plot_waiting(both, "acute").axes[0]
    assert len(waiting.lines) == 4 and len(waiting.collections) == 0


def test_census_bands_are_quantiles_of_the_daily_census(small_result: SimulationResult) -> None:
    bands = census_bands(small_result, "acute")
    daily = small_result.daily[small_result.daily["setting"] == "acute"]
    wide = daily.pivot(index="day", columns="replication", values="census").to_numpy(float)
    assert np.allclose(bands["median"], np.median(wide, axis=1))
    assert (bands["p05"] <= bands["p25"]).all() and (bands["p75"] <= bands["p95"]).all()
    assert (bands["capacity"] == 40).all()


def test_daily_delayed_counts_stays_between_ready_and_leave_at_each_midnight(
    small: dict[str, Any],
) -> None:
    small["calendar"]["horizon_days"] = 5
    scenario = placesim.parse_scenario(small)
    stays = pd.DataFrame(
        {
            "replication": 0,
            "setting": ["acute", "acute", "acute", "acute", "care_home"],
            "ready": [0.5, 1.0, np.nan, 3.0, 0.0],
            "leave": [2.5, np.nan, np.nan, 3.0, np.nan],
        }
    )
    measures = pd.DataFrame({"replication": [0], "measure": ["x"], "setting": ["acute"]})
    result = SimulationResult(scenario, 0, 1, stays, pd.DataFrame(), measures)
    # Midnights 1..5 end days 0..4. Stay 1 is delayed at 1 and 2; stay 2 from 1 on (still
    # in at the end); stay 3 never ready; stay 4 left when ready; stay 5 is elsewhere.
    assert daily_delayed(result, "acute")["delayed"].tolist() == [2, 2, 1, 1, 1]


def test_delayed_people_are_part_of_the_census(small_result: SimulationResult) -> None:
    delayed = daily_delayed(small_result, "acute")
    daily = small_result.daily[small_result.daily["setting"] == "acute"]
    merged = delayed.merge(daily, on=["replication", "day"])
    assert len(merged) == len(delayed) > 0
    assert (merged["delayed"] <= merged["census"]).all()
    assert merged["delayed"].max() > 0  # the small scenario's beds are short downstream


def test_los_days_are_the_stays_of_the_los_measures(small_result: SimulationResult) -> None:
    los = los_days(small_result, "acute")
    m = small_result.measures
    for rep, g in los.groupby("replication"):
        expected = m[(m["replication"] == rep) & (m["measure"] == "los_mean")]
        assert g["los"].mean() == pytest.approx(
            float(expected[expected["setting"] == "acute"]["value"].iloc[0]), rel=1e-12
        )
    assert np.allclose(los["los"], los["until_ready"] + los["delayed"])


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
    for needle in ("small", "Offered-load check", "overloaded", "Admissions into hospital"):
        assert needle in shown, needle
    assert "North" in shown and "South" in shown  # the partnership table


def test_report_of_the_default_scenario(tmp_path: Path) -> None:
    scenario = placesim.override(placesim.load_scenario(BASELINE), {"calendar.horizon_days": 60})
    result = placesim.simulate(scenario, replications=2, seed=1)
    path = result.report(tmp_path)  # a folder: report.html in it
    assert path == tmp_path / "report.html"
    page = check_page(path.read_text(encoding="utf-8"), RESULT_SECTIONS)
    shown = " ".join(page.text)
    assert "Health Village" in shown and "rotherham_baseline" in shown
    assert _figures(page) >= 6 + 6 + 1


def test_report_refuses_a_path_that_is_not_html(small_result: SimulationResult) -> None:
    with pytest.raises(placesim.PlacesimError, match=r"must be a \.html file or a folder"):
        small_result.report("out/report.pdf")


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


# --------------------------------------------------------------- folders and commands


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


def test_run_report_and_report_command_rebuild_the_same_page(
    small: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    path = _write(tmp_path, _one_service(small))
    out = tmp_path / "out"
    assert main(["run", str(path), "-n", "2", "-q", "--report", "--out", str(out)]) == 0
    assert "report.html" in capsys.readouterr().out
    written = (out / "report.html").read_text(encoding="utf-8")
    check_page(written, RESULT_SECTIONS)
    path.unlink()  # the folder holds all the report needs (scenario.json)
    rebuilt = tmp_path / "rebuilt.html"
    assert main(["report", str(out), "--out", str(rebuilt)]) == 0
    assert rebuilt.read_text(encoding="utf-8") == written
    assert main(["report", str(out)]) == 0  # default: OUT_DIR/report.html
    assert (out / "report.html").read_text(encoding="utf-8") == written
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*"))


def test_report_command_explains_a_folder_that_is_not_a_run(tmp_path: Path, capsys: Any) -> None:
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "has no run.json" in err and "Traceback" not in err


def test_compare_report_command(small: dict[str, Any], tmp_path: Path) -> None:
    one = _one_service(small)
    more = copy.deepcopy(one)
    more["name"] = "more beds"
    more["settings"]["acute"]["capacity"] = 60
    a, b = _write(tmp_path, one, "a.yaml"), _write(tmp_path, more, "b.yaml")
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "-n", "2", "--out", str(out), "--report"]) == 0
    check_page((out / "report.html").read_text(encoding="utf-8"), COMPARISON_SECTIONS)
    assert (out / "comparison.csv").is_file()


def test_missing_matplotlib_is_a_clear_error(
    small_result: SimulationResult,
    small: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(placesim.PlacesimError, match=r"pip install 'placesim\[plot\]'"):
        small_result.plot.census("acute")
    with pytest.raises(placesim.PlacesimError, match="matplotlib, which is not installed"):
        small_result.report(tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()
    out = tmp_path / "out"
    path = _write(tmp_path, _one_service(small))
    assert main(["run", str(path), "--report", "--out", str(out)]) == 2
    assert "pip install 'placesim[plot]'" in capsys.readouterr().err
    assert not out.exists()  # refused before the run, not after it


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
