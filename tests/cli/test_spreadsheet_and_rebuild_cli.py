"""`--format xlsx` on run and compare, and `placesim report` rebuilding a comparison folder.

The workbooks are read back with openpyxl (through pandas) and compared with the tables in
memory; the rebuilt comparison report must be the page `compare --report` wrote, byte for
byte, with the scenario files gone.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import placesim
from builders import acute_only
from placesim.cli import main
from placesim.reporting.folders import OWN_FILES

openpyxl = pytest.importorskip("openpyxl")


def _files(tmp_path: Path, small: dict[str, Any]) -> list[Path]:
    paths = []
    for name, beds in (("base", 40), ("more beds", 50)):
        path = tmp_path / f"{name.replace(' ', '_')}.yaml"
        path.write_text(yaml.safe_dump(acute_only(small, name, beds)))
        paths.append(path)
    return paths


def _sheets(path: Path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(path, sheet_name=None, engine="openpyxl")


def _same(sheet: pd.DataFrame, table: pd.DataFrame) -> None:
    """A sheet holds the table: the same columns and values (a missing value: empty cell)."""
    expected = table.reset_index(drop=True).astype(
        {c: str for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])}
    )
    got = sheet.astype({c: str for c in expected.columns if expected[c].dtype == object})
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=False)


def _no_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "openpyxl" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_run_format_xlsx_writes_the_csv_tables_and_a_workbook(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    path, out = _files(tmp_path, small)[0], tmp_path / "run"
    assert main(["run", str(path), "-n", "2", "-q", "--format", "xlsx", "--out", str(out)]) == 0
    assert "results.xlsx" in capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert {"summary.csv", "daily.csv", "stays.parquet", "measures.csv", "results.xlsx"} <= names
    assert names <= OWN_FILES  # the folder stays replaceable by the next run
    result = placesim.read_results(out)  # read back from the CSV tables, as before
    sheets = _sheets(out / "results.xlsx")
    assert list(sheets) == ["summary", "outcomes", "about"]
    _same(sheets["summary"], result.summary())
    _same(sheets["outcomes"], result.outcomes())
    about = dict(zip(sheets["about"]["item"], sheets["about"]["value"], strict=True))
    assert about["scenario"] == "base" and int(about["replications"]) == 2
    meta = json.loads((out / "run.json").read_text())
    assert meta["format"] == "xlsx"
    assert meta["workbook"]["sheets"] == {
        "summary": len(result.summary()),
        "outcomes": len(result.outcomes()),
        "about": len(sheets["about"]),
    }
    assert set(meta["files"]) == {"summary.csv", "daily.csv", "stays.parquet", "measures.csv"}


def test_run_format_xlsx_without_stays_has_no_outcomes_sheet(
    tmp_path: Path, small: dict[str, Any]
) -> None:
    path, out = _files(tmp_path, small)[0], tmp_path / "run"
    argv = ["run", str(path), "-n", "1", "-q", "--no-stays", "--format", "xlsx"]
    assert main([*argv, "--out", str(out)]) == 0
    assert list(_sheets(out / "results.xlsx")) == ["summary", "about"]


def test_xlsx_without_openpyxl_is_one_line_before_anything_runs(
    tmp_path: Path, small: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    _no_openpyxl(monkeypatch)
    a, b = _files(tmp_path, small)
    out = tmp_path / "out"
    for argv in (
        ["run", str(a), "--format", "xlsx", "--out", str(out)],
        ["compare", str(a), str(b), "--format", "xlsx", "--out", str(out)],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err == (
            "error: format: 'xlsx' needs openpyxl, which is not installed "
            "(pip install 'placesim[excel]'), or use --format csv\n"
        )
        assert not out.exists()


def test_compare_format_xlsx_writes_a_comparison_workbook(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    a, b = _files(tmp_path, small)
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "-n", "2", "--format", "xlsx", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "comparison.xlsx" in printed and "scenarios/base, scenarios/more-beds" in printed
    sheets = _sheets(out / "comparison.xlsx")
    assert list(sheets) == ["comparison", "decisions", "base", "more beds", "about"]
    _same(sheets["decisions"], pd.read_csv(out / "decisions.csv"))
    cmp = placesim.reporting.outputs.read_comparison(out)
    _same(sheets["comparison"], cmp.table)
    for result in cmp.results:
        _same(sheets[result.scenario.name], result.summary())
        folder = out / "scenarios" / result.scenario.name.replace(" ", "-")
        assert list(_sheets(folder / "results.xlsx")) == ["summary", "outcomes", "about"]
    # the table in the workbook is the one in comparison.csv
    _same(sheets["comparison"], pd.read_csv(out / "comparison.csv"))


def test_report_rebuilds_a_comparison_byte_for_byte(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    pytest.importorskip("matplotlib")
    a, b = _files(tmp_path, small)
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "-n", "2", "--out", str(out), "--report"]) == 0
    capsys.readouterr()
    written = (out / "report.html").read_bytes()
    meta = json.loads((out / "compare.json").read_text())
    assert [s["name"] for s in meta["scenarios"]] == ["base", "more beds"]  # base first
    assert [s["folder"] for s in meta["scenarios"]] == ["scenarios/base", "scenarios/more-beds"]
    for entry in meta["scenarios"]:
        assert (out / entry["folder"] / "run.json").is_file()
    a.unlink()
    b.unlink()  # the folder holds all the report needs
    rebuilt = tmp_path / "rebuilt.html"
    assert main(["report", str(out), "--out", str(rebuilt)]) == 0
    assert rebuilt.read_bytes() == written
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0  # default: OUT_DIR/report.html
    assert (out / "report.html").read_bytes() == written
    assert f"wrote {out / 'report.html'}" in capsys.readouterr().out


def test_report_refuses_a_comparison_that_changed(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    a, b = _files(tmp_path, small)
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "-n", "2", "--out", str(out)]) == 0
    kept = tmp_path / "kept"
    shutil.copytree(out, kept)
    # a scenario folder rewritten since (a later compare into it that did not finish)
    assert main(["run", str(b), "-n", "1", "-q", "--out", str(out / "scenarios/more-beds")]) == 0
    capsys.readouterr()
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not the run this comparison was made of" in err and len(err.splitlines()) == 1
    # an edited comparison table
    table = kept / "comparison.csv"
    table.write_text(table.read_text().replace("base", "bass", 1))
    assert main(["report", str(kept)]) == 2
    assert "comparison.csv: does not match compare.json" in capsys.readouterr().err


def test_report_explains_a_folder_that_is_neither(tmp_path: Path, capsys: Any) -> None:
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {tmp_path}: has no run.json or compare.json: not a folder written by "
        "`placesim run` or `placesim compare`, or it did not finish\n"
    )
    (tmp_path / "comparison.csv").write_text("scenario\n")  # an older compare's folder
    assert main(["report", str(tmp_path)]) == 2
    assert "run `placesim compare ... --out` again" in capsys.readouterr().err


def test_a_later_comparison_replaces_the_scenario_folders(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    a, b = _files(tmp_path, small)
    third = tmp_path / "third.yaml"
    third.write_text(yaml.safe_dump(acute_only(small, "third", 45)))
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), str(third), "-n", "1", "--out", str(out)]) == 0
    (out / "notes.txt").write_text("mine")
    assert main(["compare", str(third), str(a), "-n", "1", "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "scenarios").iterdir()) == ["base", "third"]
    assert (out / "notes.txt").read_text() == "mine"
    cmp = placesim.reporting.outputs.read_comparison(out)
    assert [r.scenario.name for r in cmp.results] == ["third", "base"]
