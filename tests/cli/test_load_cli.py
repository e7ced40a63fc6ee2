"""The offered-load check's warning from `placesim run`, and in the result."""

from __future__ import annotations

from typing import Any

import placesim
from builders import intermediate_care_unit
from placesim.cli import main
from placesim.measures import load_warnings
from placesim.plan import compile_plan


def _scenario(rate: float, capacity: int | str, mean: float = 5.0) -> placesim.Scenario:
    return placesim.parse_scenario(intermediate_care_unit(rate, capacity, mean))


def test_cli_run_warns_and_result_says_so(tmp_path: Any, capsys: Any) -> None:
    import yaml

    sc = _scenario(3.0, 12)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(sc.model_dump(mode="json", exclude_unset=True)))
    assert main(["run", str(path), "-n", "2", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "warning: intermediate care: offered load 15 places" in captured.err
    assert "Offered-load check" in captured.out
    result = placesim.simulate(sc, replications=1)
    assert result.warnings == tuple(load_warnings(compile_plan(sc)))
