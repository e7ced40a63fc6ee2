"""Every scenario in scenarios/ loads and runs, and every example in examples/ runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import placesim

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_there_is_a_default_scenario() -> None:
    assert ROOT / "scenarios" / "rotherham_baseline.yaml" in SCENARIOS


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_loads_and_runs(path: Path) -> None:
    scenario = placesim.load_scenario(path)
    # 30 days, without the named periods that would fall outside them: a scenario with
    # uncertain inputs is checked again with each replication's values, so it must be valid.
    short = scenario.model_copy(
        update={
            "calendar": scenario.calendar.model_copy(update={"horizon_days": 30}),
            "periods": {},
        }
    )
    result = placesim.simulate(short, replications=1, seed=1)
    summary = result.summary()
    assert {"bed_days", "los_mean", "capacity_gap"} <= set(summary["measure"])
    assert (summary.loc[summary["measure"] == "bed_days", "mean"] >= 0).all()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(path), "--replications", "2"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
