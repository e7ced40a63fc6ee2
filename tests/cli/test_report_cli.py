"""The HTML report from the command line: run/compare --report and placesim report OUT_DIR."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import placesim
from placesim.cli import main
from placesim.measures import SimulationResult
from placesim.reporting.html import COMPARISON_SECTIONS, RESULT_SECTIONS
from report_pages import check_page

matplotlib = pytest.importorskip("matplotlib")


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
