"""Every fault is one clear line and exit code 2 (130 for Ctrl-C), and nothing hangs.

Each case was a traceback (exit 1) or a hang before issue 17; each is run as the user
would meet it, most through real processes.
"""

from __future__ import annotations

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

import placesim
from placesim.cli import MAX_REPLICATIONS, main
from placesim.scenario import MAX_REPLICATIONS as SCHEMA_MAX_REPLICATIONS

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "rotherham_baseline.yaml"


def _error(capsys: Any) -> str:
    """The one error line of a command (warnings may come before it), never a traceback."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _write(tmp_path: Path, data: dict[str, Any], name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_too_many_replications_is_refused(capsys: Any) -> None:
    huge = "99999999999999999999"
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(BASELINE), "-n", huge])
    assert exit_.value.code == 2
    assert f"{huge} is not allowed: must be at most 100,000" in capsys.readouterr().err
    assert MAX_REPLICATIONS == SCHEMA_MAX_REPLICATIONS
    with pytest.raises(placesim.PlacesimError, match="must be from 1 to 100,000"):
        placesim.simulate(placesim.load_scenario(BASELINE), replications=10**20)


def test_a_scheduler_that_is_not_an_address(capsys: Any) -> None:
    pytest.importorskip("dask.distributed")
    assert main(["run", str(BASELINE), "-n", "1", "--scheduler", "not-a-url"]) == 2
    assert "'not-a-url' is not a Dask scheduler address" in _error(capsys)


def test_a_sweep_value_that_is_not_yaml(tmp_path: Path, capsys: Any) -> None:
    code = main(["sweep", str(BASELINE), "--set", "settings.acute.capacity=[1,2", "-n", "1"])
    assert code == 2
    line = _error(capsys)
    assert line.startswith("error: --set 'settings.acute.capacity=[1,2': '[1' is not a value")


def test_extends_through_a_loop_of_links(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    child = tmp_path / "child.yaml"
    child.write_text("extends: loop.yaml\n")
    assert main(["validate", str(child)]) == 2
    assert "extends: 'loop.yaml' is not a usable file name" in _error(capsys)


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_what_is_not_a_regular_file_is_refused_without_waiting(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        target = tmp_path / "pipe"
        os.mkfifo(target)  # opening it to read would wait for a writer forever
    elif kind == "folder":
        target = tmp_path
    else:
        target = Path("/dev/zero")
    proc = subprocess.run(
        [sys.executable, "-m", "placesim", "validate", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not a regular file" in proc.stderr, proc.stderr


def test_a_huge_grid_is_refused_before_anything_runs(capsys: Any) -> None:
    start = time.perf_counter()
    assert main(["sweep", str(BASELINE), "--set", "settings.acute.capacity=1:1000000:1"]) == 2
    assert "a range of 1,000,000 values; at most 100,000" in _error(capsys)
    code = main(["sweep", str(BASELINE), "--set", "settings.acute.capacity=1:2000:1"])
    assert code == 2
    assert "2,000 points (2,000), more than --max-points 1,000" in _error(capsys)
    assert time.perf_counter() - start < 10


def test_a_sweep_says_its_size_first(small: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    path = _write(tmp_path, small)
    grid = "settings.acute.capacity=40:50:10"
    assert main(["sweep", str(path), "--set", grid, "-n", "1", "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "sweep: 2 point(s) x 1 replication(s)"


@pytest.mark.parametrize("damage", ["truncated", "empty", "no manifest", "edited"])
def test_a_damaged_sweep_point_is_run_again_and_said(
    small: dict[str, Any], tmp_path: Path, capsys: Any, damage: str
) -> None:
    path = _write(tmp_path, small)
    out = tmp_path / "sweep"
    args = ["sweep", str(path), "--set", "settings.acute.capacity=40:60:10", "-n", "1"]
    assert main([*args, "--out", str(out)]) == 0
    whole = pd.read_csv(out / "sweep.csv")
    point = out / "points" / "point-00001.csv"
    text = point.read_text()
    if damage == "truncated":
        point.write_text(text[: len(text) // 2])
    elif damage == "empty":
        point.write_text("")
    elif damage == "no manifest":
        point.with_suffix(".json").unlink()
    else:
        point.write_text(text.replace("\n1,", "\n1,", 1).replace(",", ";", 1))
    capsys.readouterr()
    assert main([*args, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: sweep point 1 (settings.acute.capacity=50):" in err, err
    assert "running it again" in err
    pd.testing.assert_frame_equal(pd.read_csv(out / "sweep.csv"), whole)


def test_a_damaged_sweep_manifest_is_one_line(
    small: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    path = _write(tmp_path, small)
    out = tmp_path / "sweep"
    args = ["sweep", str(path), "--set", "settings.acute.capacity=40", "-n", "1"]
    assert main([*args, "--out", str(out)]) == 0
    (out / "sweep.json").write_text("{")
    assert main([*args, "--out", str(out)]) == 2
    assert "sweep.json is damaged" in _error(capsys)


def test_a_run_too_big_for_memory_is_refused_before_drawing(tmp_path: Path, capsys: Any) -> None:
    data = yaml.safe_load(BASELINE.read_text())
    for table in data["demand"]["crisis_rate_per_person_year"].values():
        for band in table:
            table[band] *= 1e6
    path = _write(tmp_path, data)
    start = time.perf_counter()
    assert main(["run", str(path), "-n", "1", "--out", str(tmp_path / "out")]) == 2
    line = _error(capsys)
    assert line.startswith("error: memory: this run needs about")
    assert "episodes a replication" in line and "--no-memory-check" in line
    assert time.perf_counter() - start < 30
    assert not (tmp_path / "out").exists()


def test_the_memory_estimate_holds_the_real_run_and_is_not_far_above_it() -> None:
    """Expected episodes bound the drawn ones from above, within a factor of 1.5."""
    from placesim.demand import generate_episodes
    from placesim.experiments.resources import expected_episodes

    for name in ("rotherham_baseline", "place_plan", "winter_2026_27"):
        plan = placesim.compile_plan(placesim.load_scenario(ROOT / "scenarios" / f"{name}.yaml"))
        drawn = [generate_episodes(plan, r, 1).size for r in range(3)]
        expected = expected_episodes(plan)
        assert max(drawn) <= expected <= 1.5 * min(drawn), (name, drawn, expected)


def test_a_target_that_is_not_a_number_is_refused(capsys: Any) -> None:
    code = main(["size", str(BASELINE), "--setting", "acute", "--target", "capacity_gap<=nan"])
    assert code == 2
    assert "'nan' is not allowed: must be a finite number" in _error(capsys)


def test_zero_capacity_reads_as_no_places(small: dict[str, Any]) -> None:
    small["settings"]["intermediate_care"]["capacity"] = 0
    warnings = placesim.load_warnings(placesim.compile_plan(placesim.parse_scenario(small)))
    (line,) = [w for w in warnings if w.startswith("intermediate care")]
    assert "against no places" in line and "inf" not in line


def test_ctrl_c_while_a_command_starts_is_one_line(tmp_path: Path) -> None:
    """SIGINT at several moments of start-up (imports, loading, running): never a traceback."""
    outcomes = []
    for delay in (0.1, 0.3, 0.5, 0.8, 1.2, 2.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "placesim", "run", str(BASELINE), "-n", "1", "-q"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, err
        if proc.returncode == 0:
            continue  # it finished before the signal
        assert proc.returncode == 130, err
        assert err.splitlines()[-1] == "interrupted"
        outcomes.append(delay)
    assert outcomes, "the command always finished before the signal"


def test_ctrl_c_while_the_engine_compiles_is_one_line(tmp_path: Path) -> None:
    """With no cached machine code (a fresh NUMBA_CACHE_DIR), the first run says it is
    compiling; a Ctrl-C then ends it at once with one line and exit code 130, where
    numba's compiler would swallow the interrupt and carry on."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "placesim", "run", str(BASELINE), "-n", "1", "-q"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert first.startswith("compiling the fast engine"), first
    time.sleep(0.5)  # inside the compiler
    proc.send_signal(signal.SIGINT)
    # At once: the compile takes about 10 s, so a held interrupt would miss this timeout.
    assert proc.wait(timeout=4) == 130
    assert proc.stderr.read() == "interrupted\n"
    assert not (tmp_path / "placesim-out").exists() or not any(
        (tmp_path / "placesim-out").iterdir()
    )
