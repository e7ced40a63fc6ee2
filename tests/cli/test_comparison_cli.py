"""`placesim compare`: paired comparisons on common random numbers, from the command line."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from placesim.cli import main


def _named(data: dict[str, Any], name: str) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["name"] = name
    return out


def test_cli_compare_writes_table(tmp_path: Path, small: dict[str, Any], capsys: Any) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(yaml.safe_dump(_named(small, "a")))
    more = _named(small, "b")
    more["settings"]["acute"]["capacity"] = 120
    b.write_text(yaml.safe_dump(more))
    out = tmp_path / "out"
    assert main(["compare", str(a), str(b), "-n", "2", "--out", str(out)]) == 0
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["scenario"]) == {"a", "b"}
    assert capsys.readouterr().out.startswith("Against a (2 replications, seed 7):")
