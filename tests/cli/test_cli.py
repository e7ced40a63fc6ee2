"""The command line: exit codes, messages and files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from placesim.cli import main


def _write(tmp_path: Path, data: dict[str, Any], name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_run_writes_tables_and_prints_summary(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    path = _write(tmp_path, small)
    out = tmp_path / "out"
    assert main(["run", str(path), "-n", "2", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "acute" in printed and "bed_days" in printed and "capacity_gap" in printed
    for name in ("summary.csv", "daily.csv", "stays.parquet", "measures.csv", "run.json"):
        assert (out / name).is_file()
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns[:6]) == ["measure", "setting", "unit", "mean", "ci_low", "ci_high"]
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 3 and meta["replications"] == 2
    assert not list(out.glob("*.tmp")), "temporary files left behind"


def test_stays_as_csv_on_request_read_back_as_the_parquet_default(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    import placesim

    path = _write(tmp_path, small)
    runs = {}
    for fmt in ("parquet", "csv"):
        out = tmp_path / fmt
        argv = ["run", str(path), "-n", "2", "-q", "--out", str(out), "--stays-format", fmt]
        assert main(argv) == 0
        assert (out / f"stays.{fmt}").is_file() and (out / "summary.csv").is_file()
        runs[fmt] = placesim.read_results(out).stays
    pd.testing.assert_frame_equal(runs["parquet"], runs["csv"])
    capsys.readouterr()


def test_summary_is_printed_before_the_files_are_written(
    tmp_path: Path, small: dict[str, Any], capsys: Any, monkeypatch: Any
) -> None:
    # The answer is on screen while the tables are written: a run whose writing fails (a
    # full disk, say) has already printed its summary, then says why it could not write.
    import placesim.reporting
    from placesim.errors import PlacesimError

    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise PlacesimError("out: no space left on device")

    monkeypatch.setattr(placesim.reporting, "write_results", full_disk)
    path = _write(tmp_path, small)
    assert main(["run", str(path), "-n", "1", "--out", str(tmp_path / "o")]) == 2
    printed = capsys.readouterr()
    assert "bed_days" in printed.out and "no space left on device" in printed.err


def test_invalid_scenario_exits_2_with_one_line_per_problem(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    small["settings"]["acute"]["capacity"] = -5
    small["calendar"]["horizon_days"] = 0
    path = _write(tmp_path, small)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "settings.acute.capacity: -5 is not allowed" in err
    assert "calendar.horizon_days: 0 is not allowed: must be > 0" in err
    assert "Traceback" not in err


def test_invalid_run_writes_nothing(tmp_path: Path, small: dict[str, Any]) -> None:
    small["settings"]["acute"]["capacity"] = -5
    out = tmp_path / "out"
    assert main(["run", str(_write(tmp_path, small)), "--out", str(out)]) == 2
    assert not out.exists()


def test_validate_ok(tmp_path: Path, small: dict[str, Any], capsys: Any) -> None:
    assert main(["validate", str(_write(tmp_path, small))]) == 0
    assert "valid scenario 'small'" in capsys.readouterr().out


def test_schema_prints_json(capsys: Any) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "placesim scenario"


def test_missing_file_exit_code_from_a_real_process(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "placesim", "run", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "file not found" in proc.stderr
    assert "Traceback" not in proc.stderr
