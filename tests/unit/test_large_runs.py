"""Options for large runs: the engine choice and dropping the per-stay table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import placesim
from placesim.cli import main
from placesim.errors import PlacesimError
from placesim.reporting import read_results


def test_both_engines_give_the_same_tables(small: dict[str, Any]) -> None:
    sc = placesim.parse_scenario(small)
    fast = placesim.simulate(sc, replications=2, seed=5)
    simpy = placesim.simulate(sc, replications=2, seed=5, engine="simpy")
    pd.testing.assert_frame_equal(fast.measures, simpy.measures)
    pd.testing.assert_frame_equal(fast.daily, simpy.daily)
    assert fast.stays is not None and simpy.stays is not None
    pd.testing.assert_frame_equal(fast.stays, simpy.stays)


def test_without_stays_the_measures_are_the_same_and_stay_tables_are_refused(
    small: dict[str, Any],
) -> None:
    sc = placesim.parse_scenario(small)
    full = placesim.simulate(sc, replications=2, seed=5)
    lean = placesim.simulate(sc, replications=2, seed=5, keep_stays=False, workers=2)
    assert lean.stays is None
    pd.testing.assert_frame_equal(full.summary(), lean.summary())
    pd.testing.assert_frame_equal(full.daily, lean.daily)
    for needs_stays in (lambda: lean.outcomes(), lambda: lean.summary(by="locality")):
        with pytest.raises(PlacesimError, match=r"needs the per-stay table.*keep_stays=True"):
            needs_stays()


def test_an_unknown_engine_is_named(small: dict[str, Any]) -> None:
    with pytest.raises(PlacesimError, match="engine: 'numba' is not allowed"):
        placesim.simulate(placesim.parse_scenario(small), replications=1, engine="numba")


def test_cli_no_stays_writes_no_stays_file_and_reads_back(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small))
    out = tmp_path / "out"
    argv = ["run", str(path), "-n", "2", "--out", str(out), "--no-stays", "--engine", "simpy"]
    assert main(argv) == 0
    assert not (out / "stays.csv").exists()
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
