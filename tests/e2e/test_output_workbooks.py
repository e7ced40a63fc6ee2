"""The Python side of issue 15's outputs: workbooks (fmt="xlsx"), comparison folders written
and read back, and the sizing and warm-up tables written by their results."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import placesim
from builders import acute_only
from placesim.measures import Comparison
from placesim.reporting.folders import OWN_FILES
from placesim.reporting.outputs import (
    WORKBOOK,
    read_comparison,
    read_folder,
    sheet_names,
    write_comparison,
    write_workbook,
)

openpyxl = pytest.importorskip("openpyxl")


def _one_service(small: dict[str, Any], name: str, beds: int) -> placesim.Scenario:
    return placesim.parse_scenario(acute_only(small, name, beds))


@pytest.fixture
def comparison(small: dict[str, Any], store: dict[str, Any]) -> Comparison:
    """Two one-service scenarios, the second with a name no folder or sheet can take as is."""
    if "cmp" not in store:
        base = _one_service(small, "base", 40)
        other = _one_service(small, "=more/beds: [winter]?", 50)
        store["cmp"] = placesim.compare(base, other, replications=2, seed=5)
    cmp: Comparison = store["cmp"]
    return cmp


def test_write_results_xlsx_adds_a_workbook_and_reads_back(
    small_result: placesim.SimulationResult, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    written = placesim.write_results(small_result, out, fmt="xlsx")
    assert out / WORKBOOK in written and WORKBOOK in OWN_FILES
    assert not list(tmp_path.glob(".*"))  # written inside the swapped-in folder
    sheets = pd.read_excel(out / WORKBOOK, sheet_name=None)
    assert list(sheets) == ["summary", "outcomes", "about"]
    for name, table in (("summary", small_result.summary()), ("outcomes", small_result.outcomes())):
        assert list(sheets[name].columns) == list(table.columns)
        numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
        pd.testing.assert_frame_equal(sheets[name][numeric], table[numeric], check_dtype=False)
        for column in set(table.columns) - set(numeric):
            assert list(sheets[name][column].astype(str)) == list(table[column].astype(str))
    back = placesim.read_results(out)
    pd.testing.assert_frame_equal(back.summary(), small_result.summary())
    assert json.loads((out / "run.json").read_text())["format"] == "xlsx"


def test_xlsx_without_openpyxl_names_the_extra(
    small_result: placesim.SimulationResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a, **k: None if name == "openpyxl" else real(name, *a, **k),
    )
    message = r"'xlsx' needs openpyxl, which is not installed \(pip install 'placesim\[excel\]'\)"
    with pytest.raises(placesim.PlacesimError, match=message):
        placesim.write_results(small_result, tmp_path / "run", fmt="xlsx")
    with pytest.raises(placesim.PlacesimError, match=message):
        write_workbook(tmp_path / "w.xlsx", [("a", pd.DataFrame({"x": [1]}))])
    assert list(tmp_path.iterdir()) == []
    placesim.write_results(small_result, tmp_path / "csv")  # csv needs nothing


def test_workbook_sheet_names_and_text_are_safe(tmp_path: Path) -> None:
    names = ["a/b:c", "x" * 40, "X" * 40, "History", "'quoted'", "", "ok"]
    assert sheet_names(names) == [
        "a_b_c",
        "x" * 31,
        "X" * 27 + " (2)",
        "history_",
        "quoted",
        "sheet",
        "ok",
    ]
    table = pd.DataFrame({"name": ["=1+1", "bell\x07", None], "value": [1.5, float("nan"), 3.0]})
    path = write_workbook(tmp_path / "w.xlsx", [("=sheet", table)])
    book = openpyxl.load_workbook(path)
    sheet = book["=sheet"]
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"  # text, not a formula
    assert sheet["A3"].value == "bell"  # a character no cell can hold is dropped
    assert sheet["B3"].value is None and sheet.freeze_panes == "A2"


def test_comparison_written_and_read_back(comparison: Comparison, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    write_comparison(comparison, out, fmt="xlsx")
    meta = json.loads((out / "compare.json").read_text())
    assert [s["name"] for s in meta["scenarios"]] == ["base", "=more/beds: [winter]?"]
    assert meta["scenarios"][1]["folder"] == "scenarios/more-beds-winter"
    back = read_folder(out)
    assert isinstance(back, Comparison)
    pd.testing.assert_frame_equal(back.table, comparison.table, check_dtype=False)
    for item in dataclasses.fields(Comparison):  # its window, thresholds, whatever it has
        if item.name not in ("results", "table"):
            assert getattr(back, item.name) == getattr(comparison, item.name), item.name
    for got, ran in zip(back.results, comparison.results, strict=True):
        assert got.scenario == ran.scenario
        pd.testing.assert_frame_equal(got.measures, ran.measures, check_dtype=False)
    assert back.significant() == comparison.significant()
    sheets = pd.read_excel(out / "comparison.xlsx", sheet_name=None)
    assert list(sheets) == ["comparison", "decisions", "base", "=more_beds_ _winter__", "about"]
    numeric = [c for c in comparison.table.columns if c not in ("scenario", "measure", "setting")]
    numeric = [c for c in numeric if pd.api.types.is_numeric_dtype(comparison.table[c])]
    pd.testing.assert_frame_equal(
        sheets["comparison"][numeric], comparison.table[numeric], check_dtype=False
    )
    assert list(sheets["comparison"]["scenario"]) == list(comparison.table["scenario"])
    assert sheets["=more_beds_ _winter__"].shape == comparison.results[1].summary().shape


def test_rebuilt_comparison_report_is_the_same_page(comparison: Comparison, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from placesim.reporting.html import comparison_html

    write_comparison(comparison, tmp_path / "cmp")
    assert comparison_html(read_comparison(tmp_path / "cmp")) == comparison_html(comparison)


def test_sizing_and_warmup_results_write_their_tables(
    small: dict[str, Any], tmp_path: Path
) -> None:
    small["calendar"]["horizon_days"] = 60
    scenario = placesim.parse_scenario(small)
    sized = placesim.size(scenario, "intermediate_care", "capacity_gap<=0", replications=2)
    paths = sized.write(tmp_path)
    assert [p.name for p in paths] == ["size.csv", "size.json"]
    pd.testing.assert_frame_equal(pd.read_csv(paths[0]), sized.tried, check_dtype=False)
    assert json.loads(paths[1].read_text())["capacity"] == sized.capacity
    advice = placesim.suggest_warmup(scenario, "acute", replications=2)
    paths = advice.write(tmp_path)
    assert [p.name for p in paths] == ["warmup.csv", "warmup.json"]
    curve = pd.read_csv(paths[0], parse_dates=["date"])
    pd.testing.assert_frame_equal(curve, advice.curve, check_dtype=False)
    assert json.loads(paths[1].read_text())["suggested_days"] == advice.suggested_days
    assert (tmp_path / "size.csv").is_file()  # the second write left the first alone
