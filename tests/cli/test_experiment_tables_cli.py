"""`size`, `size --weekly`, `warmup` and `sweep` from the command line: labelled tables that
can be saved (--out) and console tables whose headings name the measure and its unit.

Each saved table is checked against the same experiment run from Python (the same seed gives
the same figures), and its JSON record against the table.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import placesim
from placesim.cli import main
from placesim.experiments.size import SIZE_COLUMNS, WEEKLY_COLUMNS
from placesim.experiments.warmup import CURVE_COLUMNS
from small_scenario import small_scenario

TARGET = "capacity_gap<=0"
RAW_FLOAT = re.compile(r"\d\.\d{4,}")  # 33.777778: a figure not formatted for people


@pytest.fixture
def short() -> dict[str, Any]:
    """The small scenario over 60 days: quick to size and to warm up."""
    return small_scenario({"calendar": {"horizon_days": 60, "warmup_days": 14}})


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _table_lines(out: str, heading: str) -> list[str]:
    """The console table that starts with the line holding `heading`."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if heading in line)
    table = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        table.append(line)
    return table


def _check_record(folder: Path, name: str, table: pd.DataFrame) -> dict[str, Any]:
    """NAME.json matches NAME.csv: rows, bytes, SHA-256 and the columns."""
    csv = folder / f"{name}.csv"
    record: dict[str, Any] = json.loads((folder / f"{name}.json").read_text())
    assert record["table"] == csv.name
    assert record["rows"] == len(table)
    assert record["bytes"] == csv.stat().st_size
    assert record["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert record["columns"] == list(table.columns)
    assert record["placesim_version"] == placesim.__version__
    return record


def test_size_out_writes_a_labelled_table_equal_to_the_python_result(
    tmp_path: Path, short: dict[str, Any], capsys: Any
) -> None:
    path, out = _write(tmp_path, short), tmp_path / "sized"
    argv = ["size", str(path), "--setting", "intermediate_care", "--target", TARGET, "-n", "2"]
    assert main([*argv, "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out

    # The console: a header row naming the measure and its unit, figures for people.
    table = _table_lines(printed, "capacity (beds)")
    assert "capacity_gap (beds): mean" in table[0] and "upper 95% bound" in table[0]
    assert len(table) >= 3 and not any(RAW_FLOAT.search(line) for line in table)
    assert f"wrote size.csv, size.json to {out}" in printed

    # The file: labelled like the summary, and the same as the Python result's table.
    written = pd.read_csv(out / "size.csv")
    assert tuple(written.columns) == SIZE_COLUMNS
    assert set(written["measure"]) == {"capacity_gap"}
    assert set(written["setting"]) == {"intermediate_care"}
    assert set(written["sized_setting"]) == {"intermediate_care"}
    assert set(written["unit"]) == {"beds"}
    result = placesim.size(
        placesim.load_scenario(path), "intermediate_care", TARGET, replications=2, seed=3
    )
    pd.testing.assert_frame_equal(written, result.tried, check_dtype=False)
    record = _check_record(out, "size", written)
    assert record["capacity"] == result.capacity == written.loc[written["met"], "capacity"].min()
    assert record["target"] == "capacity_gap:intermediate_care<=0"
    assert (record["seed"], record["replications"], record["scenario"]) == (3, 2, "small")
    assert record["answer"] == result.describe() and result.describe() in printed


def test_size_target_on_another_setting_names_it(
    tmp_path: Path, short: dict[str, Any], capsys: Any
) -> None:
    path = _write(tmp_path, short)
    target = "acute.waiting_mean<=30"
    assert main(["size", str(path), "--setting", "intermediate_care", "--target", target]) == 0
    header = _table_lines(capsys.readouterr().out, "capacity (beds)")[0]
    assert "acute waiting_mean (people): mean" in header


def test_size_weekly_out_writes_a_labelled_table(
    tmp_path: Path, short: dict[str, Any], capsys: Any
) -> None:
    path, out = _write(tmp_path, short), tmp_path / "weeks"
    argv = ["size", str(path), "--setting", "acute", "--weekly", "-n", "2", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    table = _table_lines(printed, "capacity_needed (beds)")
    assert "capacity (beds)" in table[0] and "week of" in table[0]
    assert len(table) == 1 + 9 and not any(RAW_FLOAT.search(line) for line in table)

    written = pd.read_csv(out / "weekly.csv", parse_dates=["week_start"])
    assert tuple(written.columns) == WEEKLY_COLUMNS
    assert set(written["measure"]) == {"capacity_needed"} and set(written["unit"]) == {"beds"}
    expected = placesim.weekly_need(placesim.load_scenario(path), "acute", replications=2)
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    record = _check_record(out, "weekly", written)
    assert record["experiment"] == "weekly_need" and record["target_occupancy"] == 0.92


def test_warmup_out_writes_the_curve_and_the_suggestion(
    tmp_path: Path, short: dict[str, Any], capsys: Any
) -> None:
    path, out = _write(tmp_path, short), tmp_path / "warm"
    assert main(["warmup", str(path), "-n", "2", "--window", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    table = _table_lines(printed, "census (beds)")
    assert table[0].split() == ["day", "date", "census", "(beds)", "smoothed", "census", "(beds)"]
    assert len(table) == 1 + len(range(0, 74, 7))  # every 7th of the 14 + 60 days
    assert not any(RAW_FLOAT.search(line) for line in table)
    assert "suggested warm-up" in printed

    written = pd.read_csv(out / "warmup.csv", parse_dates=["date"])
    assert tuple(written.columns) == CURVE_COLUMNS and len(written) == 74
    assert set(written["measure"]) == {"census"} and set(written["unit"]) == {"beds"}
    advice = placesim.suggest_warmup(placesim.load_scenario(path), replications=2, window=3)
    pd.testing.assert_frame_equal(written, advice.curve, check_dtype=False)
    record = _check_record(out, "warmup", written)
    assert record["suggested_days"] == advice.suggested_days
    assert record["level"] == pytest.approx(advice.level)
    assert record["window"] == 3 and record["scenario_warmup_days"] == 14


def test_out_leaves_other_files_and_refuses_a_file(
    tmp_path: Path, short: dict[str, Any], capsys: Any
) -> None:
    path = _write(tmp_path, short)
    mine = tmp_path / "mine.txt"
    mine.write_text("keep me")
    assert main(["warmup", str(path), "-n", "1", "--out", str(tmp_path)]) == 0
    assert mine.read_text() == "keep me" and (tmp_path / "warmup.csv").is_file()
    capsys.readouterr()
    assert main(["warmup", str(path), "-n", "1", "--out", str(mine)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: out: cannot create") and len(err.splitlines()) == 1
    with pytest.raises(SystemExit) as exit_:
        main(["warmup", str(path), "--out", ""])  # not the current folder by accident
    assert exit_.value.code == 2
    assert "give a folder" in capsys.readouterr().err


def test_sweep_csv_has_the_summary_labels(
    tmp_path: Path, short: dict[str, Any], capsys: Any
) -> None:
    path, out = _write(tmp_path, short), tmp_path / "swept"
    axis = "settings.intermediate_care.capacity"
    assert main(["sweep", str(path), "--set", f"{axis}=6,8", "-n", "1", "--out", str(out)]) == 0
    table = pd.read_csv(out / "sweep.csv")
    summary = placesim.simulate(placesim.load_scenario(path), replications=1).summary()
    assert list(table.columns) == ["point", axis, *summary.columns]
    assert {"measure", "setting", "unit"} <= set(table.columns)
    first = table[table["point"] == 0].drop(columns=["point", axis]).reset_index(drop=True)
    pd.testing.assert_frame_equal(first, summary, check_dtype=False, check_categorical=False)
