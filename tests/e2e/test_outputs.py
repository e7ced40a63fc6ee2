"""A finished run records its tables in run.json (killed and refused runs: tests/faults)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml


def _scenario(tmp_path: Path, small: dict[str, Any]) -> Path:
    small["calendar"]["horizon_days"] = 365  # enough stays that writing takes a while
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small))
    return path


def _check_complete(out: Path) -> None:
    """Every visible table parses whole; run.json, if there, matches the tables."""
    for csv in out.glob("*.csv"):
        assert not csv.name.startswith("."), csv
        pd.read_csv(csv)  # a truncated CSV would fail to parse or lose its last row
    meta_path = out / "run.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        for name, info in meta["files"].items():
            path = out / name
            assert path.stat().st_size == info["bytes"]
            read = pd.read_parquet if path.suffix == ".parquet" else pd.read_csv
            assert len(read(path)) == info["rows"]


def test_finished_run_records_its_tables(tmp_path: Path, small: dict[str, Any]) -> None:
    from placesim.cli import main

    out = tmp_path / "out"
    assert main(["run", str(_scenario(tmp_path, small)), "-n", "1", "-q", "--out", str(out)]) == 0
    _check_complete(out)
    meta = json.loads((out / "run.json").read_text())
    assert set(meta["files"]) == {"summary.csv", "daily.csv", "stays.parquet", "measures.csv"}
    assert meta["seed"] == 7 and meta["replications"] == 1
    assert len(meta["scenario_sha256"]) == 64
