"""Options for large runs on the command line: --no-stays, and what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from placesim.cli import main
from placesim.reporting import read_results


def test_cli_no_stays_writes_no_stays_file_and_reads_back(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small))
    out = tmp_path / "out"
    argv = ["run", str(path), "-n", "2", "--out", str(out), "--no-stays", "--engine", "simpy"]
    assert main(argv) == 0
    assert not (out / "stays.csv").exists() and not (out / "stays.parquet").exists()
    back = read_results(out)
    assert back.stays is None and len(back.measures) > 0
    capsys.readouterr()
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the HTML report needs the per-stay table" in err and "Traceback" not in err
    assert not (out / "report.html").exists()


def test_cli_refuses_a_report_without_stays_before_running(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-stays", "--report"]) == 2
    assert "--report needs the per-stay table" in capsys.readouterr().err
    assert not out.exists()
