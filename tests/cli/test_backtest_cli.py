"""`placesim backtest SCENARIO EXTRACT`: the scores, the verdict and the files, or one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import placesim
from placesim.cli import main
from placesim.fitting import write_extract
from placesim.reporting.html import BACKTEST_SECTIONS
from report_pages import HOSTILE, check_page
from small_scenario import small_scenario


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A short scenario and its synthetic extract (replication 0 of seed 11)."""
    folder = tmp_path_factory.mktemp("backtest")
    data = small_scenario({"name": HOSTILE, "calendar": {"horizon_days": 56, "warmup_days": 30}})
    path = folder / "place.yaml"
    path.write_text(yaml.safe_dump(data))
    write_extract(placesim.parse_scenario(data), folder / "extract", seed=11)
    return path, folder / "extract"


def test_backtest_writes_scores_series_and_page(
    files: tuple[Path, Path], tmp_path: Path, capsys: Any
) -> None:
    scenario, extract = files
    out = tmp_path / "out"
    argv = ["backtest", str(scenario), str(extract), "-n", "10", "--seed", "3"]
    assert main([*argv, "--out", str(out), "--report"]) == 0
    captured = capsys.readouterr()
    assert "verdict: " in captured.out
    assert "census" in captured.out and "acute" in captured.out
    assert "stays: " in captured.err  # the extract's report: rows read, kept and dropped
    names = sorted(p.name for p in out.iterdir())
    assert names == ["backtest.csv", "backtest.html", "backtest.json", "backtest_series.csv"]
    table = pd.read_csv(out / "backtest.csv")
    assert {
        "series",
        "setting",
        "points",
        "coverage",
        "bias",
        "bias_pct",
        "mape",
        "verdict",
    } <= set(table.columns)
    assert set(table["series"]) == {"census", "admissions", "delayed", "los"}
    about = json.loads((out / "backtest.json").read_text())
    assert about["replications"] == 10 and about["seed"] == 3 and about["suppress"] == 5
    assert about["verdict"].split(":")[0] in ("good", "fair", "poor")
    series = pd.read_csv(out / "backtest_series.csv")
    counts = series[(series["series"] != "los") & series["observed"].notna()]
    assert (counts["observed"] >= 5).all()  # small numbers are not written
    assert series["suppressed"].any()
    page = (out / "backtest.html").read_text()
    parsed = check_page(page, BACKTEST_SECTIONS)  # self-contained, every section once
    assert HOSTILE not in page and "&lt;script&gt;" in page  # the name is escaped
    assert len(parsed.tables["scores"][0]) == 1 + len(table)
    assert about["verdict"].split(": ", 1)[1].replace("'", "&#x27;") in page
    for text in (page, (out / "backtest_series.csv").read_text(), json.dumps(about)):
        assert "person" not in text


def test_suppress_zero_writes_every_figure(
    files: tuple[Path, Path], tmp_path: Path, capsys: Any
) -> None:
    scenario, extract = files
    out = tmp_path / "all"
    argv = ["backtest", str(scenario), str(extract), "-n", "10", "--suppress", "0"]
    assert main([*argv, "--out", str(out)]) == 0
    capsys.readouterr()
    series = pd.read_csv(out / "backtest_series.csv")
    assert not series["suppressed"].any()
    assert not (out / "backtest.html").exists()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["/no/such/extract"], "error: /no/such/extract: no such folder or workbook"),
        (["EXTRACT", "-n", "3"], "error: --replications: 3 is not allowed"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    files: tuple[Path, Path], tmp_path: Path, capsys: Any, extra: list[str], expected: str
) -> None:
    scenario, extract = files
    args = [str(extract) if a == "EXTRACT" else a for a in extra]
    out = tmp_path / "out"
    assert main(["backtest", str(scenario), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(expected), err
    assert not out.exists()


def test_extract_that_ends_before_the_window_exits_2(
    files: tuple[Path, Path], tmp_path: Path, capsys: Any
) -> None:
    scenario, extract = files
    data = yaml.safe_load(scenario.read_text())
    data["calendar"]["start_date"] = "2026-04-01"
    late = tmp_path / "late.yaml"
    late.write_text(yaml.safe_dump(data))
    assert main(["backtest", str(late), str(extract), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: the extract's stays end on "), err
