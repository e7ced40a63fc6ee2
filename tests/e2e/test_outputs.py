"""Outputs survive a killed run: complete files or none, and run.json says which."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
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
            assert len(pd.read_csv(path)) == info["rows"]


@pytest.mark.slow
def test_killed_run_leaves_no_truncated_table(tmp_path: Path, small: dict[str, Any]) -> None:
    scenario = _scenario(tmp_path, small)
    killed_while_writing = False
    for attempt in range(8):
        out = tmp_path / f"out{attempt}"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "placesim",
                "run",
                str(scenario),
                "-n",
                "6",
                "-q",
                "--out",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if out.exists() and any(p.name.endswith(".tmp") for p in out.iterdir()):
                os.kill(proc.pid, signal.SIGKILL)
                killed_while_writing = True
                break
            time.sleep(0.001)
        proc.wait()
        if out.exists():
            _check_complete(out)
        if killed_while_writing:
            assert not (out / "run.json").exists() or proc.returncode == 0
            break
    assert killed_while_writing, "never caught the run while it was writing"


def test_finished_run_records_its_tables(tmp_path: Path, small: dict[str, Any]) -> None:
    from placesim.cli import main

    out = tmp_path / "out"
    assert main(["run", str(_scenario(tmp_path, small)), "-n", "1", "-q", "--out", str(out)]) == 0
    _check_complete(out)
    meta = json.loads((out / "run.json").read_text())
    assert set(meta["files"]) == {"summary.csv", "daily.csv", "stays.csv", "measures.csv"}
    assert meta["seed"] == 7 and meta["replications"] == 1
    assert len(meta["scenario_sha256"]) == 64
