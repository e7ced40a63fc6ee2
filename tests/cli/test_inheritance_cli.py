"""`placesim diff`: the differences between scenarios, variants (`extends`) seen through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builders import write_yaml
from placesim.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "rotherham_baseline.yaml"


def test_cli_diff_prints_lines_and_exits_0(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    a = write_yaml(tmp_path / "a.yaml", small)
    b = write_yaml(
        tmp_path / "b.yaml",
        {"extends": "a.yaml", "settings": {"acute": {"capacity": 41}}},
    )
    assert main(["diff", str(a), str(b)]) == 0
    assert capsys.readouterr().out == "settings.acute.capacity: 40 -> 41\n"


def test_cli_diff_of_equal_scenarios_says_so_and_exits_0(capsys: Any) -> None:
    assert main(["diff", str(BASELINE), str(BASELINE)]) == 0
    assert capsys.readouterr().out == "no differences\n"


def test_cli_diff_of_an_invalid_scenario_exits_2(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    a = write_yaml(tmp_path / "a.yaml", small)
    b = write_yaml(
        tmp_path / "b.yaml", {"extends": "a.yaml", "settings": {"acute": {"capacity": -5}}}
    )
    assert main(["diff", str(a), str(b)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"error: {b}: settings.acute.capacity: -5 is not allowed: must be >= 0 or 'unlimited'\n"
    )


def test_cli_diff_of_a_loop_or_a_missing_file_exits_2(tmp_path: Path, capsys: Any) -> None:
    loop = write_yaml(tmp_path / "loop.yaml", {"extends": "loop.yaml"})
    assert main(["diff", str(loop), str(BASELINE)]) == 2
    assert "extends: loop loop.yaml -> loop.yaml" in capsys.readouterr().err
    assert main(["diff", str(BASELINE), str(tmp_path / "missing.yaml")]) == 2
    assert f"file not found: {tmp_path / 'missing.yaml'}" in capsys.readouterr().err
