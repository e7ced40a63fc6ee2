"""Nothing lost, nothing hangs: parallel runs with real processes that die or are stopped.

A replication is a plain function of (plan, replication, seed), so one lost with a worker
is rerun and the tables are still those of a serial run. Workers are killed for real:
`_dies` stands in for `run_replication` and SIGKILLs the process running one replication
(the first time only, when given a marker file), as the OOM killer would. Every wait is
bounded, so a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import importlib
import os
import re
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
from placesim.cli import main
from placesim.experiments.simulate import Replication, run_replication

try:
    import psutil
except ImportError:  # it comes with dask.distributed; without it, read /proc
    psutil = None

SIMULATE = importlib.import_module("placesim.experiments.simulate")
DIE_AT = "PLACESIM_TEST_DIE_AT"  # the replication whose process kills itself
DIE_ONCE = "PLACESIM_TEST_DIE_ONCE"  # a marker file: die only if it does not exist yet


def _dies(plan: Any, replication: int, seed: int, **options: Any) -> Replication:
    """`run_replication`, but the process running replication DIE_AT is killed (SIGKILL)."""
    if replication == int(os.environ.get(DIE_AT, -1)):
        once = os.environ.get(DIE_ONCE)
        if once is None or not Path(once).exists():
            if once is not None:
                Path(once).touch()
            os.kill(os.getpid(), signal.SIGKILL)
    return run_replication(plan, replication, seed, **options)


@pytest.fixture
def dying(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Replications run by `_dies` (in this process and in the processes it starts)."""
    monkeypatch.setattr(SIMULATE, "run_replication", _dies)
    return monkeypatch


def _assert_same_tables(a: placesim.SimulationResult, b: placesim.SimulationResult) -> None:
    for x, y in ((a.stays, b.stays), (a.daily, b.daily), (a.measures, b.measures)):
        pd.testing.assert_frame_equal(x, y)


def test_a_worker_process_killed_mid_run_loses_nothing(
    small: dict[str, Any], tmp_path: Path, dying: pytest.MonkeyPatch
) -> None:
    sc = placesim.parse_scenario(small)
    serial = placesim.simulate(sc, replications=6, seed=4)  # in this process: nothing dies
    dying.setenv(DIE_AT, "3")
    dying.setenv(DIE_ONCE, str(tmp_path / "died"))
    parallel = placesim.simulate(sc, replications=6, seed=4, workers=2)
    assert (tmp_path / "died").exists(), "the worker was never killed"
    _assert_same_tables(serial, parallel)


def test_a_pool_that_breaks_twice_is_one_clear_error(
    small: dict[str, Any], tmp_path: Path, dying: pytest.MonkeyPatch, capsys: Any
) -> None:
    dying.setenv(DIE_AT, "1")  # every time: the fresh pool breaks too
    sc = placesim.parse_scenario(small)
    with pytest.raises(placesim.PlacesimError) as caught:
        placesim.simulate(sc, replications=4, seed=4, workers=2)
    message = str(caught.value)
    assert "a worker process died twice" in message
    assert " of 4 replications not finished" in message
    assert "--workers" in message and "--no-stays" in message and "more memory" in message
    error = caught.value  # no chained BrokenProcessPool traceback
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    # The command says it in one line, exit code 2.
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small))
    out = tmp_path / "out"
    assert main(["run", str(path), "-n", "4", "-w", "2", "-q", "--out", str(out)]) == 2
    err = [x for x in capsys.readouterr().err.splitlines() if not x.startswith("warning: ")]
    assert len(err) == 1 and err[0].startswith("error: a worker process died twice"), err
    assert not out.exists()


def test_dask_reruns_the_replications_of_a_worker_its_nanny_restarts(
    small: dict[str, Any], tmp_path: Path, dying: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("dask.distributed")
    sc = placesim.parse_scenario(small)
    serial = placesim.simulate(sc, replications=4, seed=4)
    dying.setenv(DIE_AT, "2")  # set before the cluster starts: its worker inherits them
    dying.setenv(DIE_ONCE, str(tmp_path / "died"))
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = placesim.simulate(sc, replications=4, seed=4, client=client, worker_timeout=30)
    assert (tmp_path / "died").exists(), "the worker was never killed"
    _assert_same_tables(serial, remote)


def test_a_replication_that_keeps_killing_dask_workers_is_one_clear_error(
    small: dict[str, Any], dying: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("dask.distributed")
    import dask

    sc = placesim.parse_scenario(small)
    dying.setenv(DIE_AT, "1")  # every time, on whichever worker the nanny brings back
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),  # give up at once
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        pytest.raises(placesim.PlacesimError) as caught,
    ):
        placesim.simulate(sc, replications=3, seed=4, client=client)
    # Dask fails every replication queued on the dead worker, so it may name another one.
    assert re.fullmatch(
        r"replication [0-2]: the Dask workers running it died 1 time \(most often for lack of "
        r"memory\): give the workers more memory, or keep no per-stay table \(--no-stays\)",
        str(caught.value),
    ), caught.value


def test_dask_with_no_worker_left_stops_with_a_clear_error(
    small: dict[str, Any], dying: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("dask.distributed")
    sc = placesim.parse_scenario(small)
    tests = Path(__file__).resolve().parents[1]
    # A scheduler with one worker, no nanny: the worker killed on replication 1 stays dead.
    env = {
        **os.environ,
        DIE_AT: "1",
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(tests), *sys.path]),
    }
    with (
        distributed.LocalCluster(
            n_workers=0, protocol="tcp", host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "distributed.cli.dask_worker"),
                *(cluster.scheduler_address, "--no-nanny", "--nthreads", "1", "--no-dashboard"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            client.wait_for_workers(1, timeout=30)
            start = time.monotonic()
            with pytest.raises(placesim.PlacesimError) as caught:
                placesim.simulate(sc, replications=3, seed=4, client=client, worker_timeout=1.5)
            took = time.monotonic() - start
            assert worker.wait(timeout=10) == -signal.SIGKILL
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    message = str(caught.value)
    assert message.startswith("no Dask worker has been connected to tcp://"), message
    assert "for 1.5 s, with " in message and " of 3 replications not finished" in message
    assert "start workers (dask worker tcp://" in message and "worker_timeout" in message
    assert took < 15, f"took {took:.1f} s to give up"

    # And a cluster that never had a worker says so as soon.
    with (
        distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        start = time.monotonic()
        with pytest.raises(placesim.PlacesimError, match=r"no Dask worker .* 0\.5 s, with 2 of 2"):
            placesim.simulate(sc, replications=2, seed=4, client=client, worker_timeout=0.5)
        assert time.monotonic() - start < 10


def test_worker_timeout_must_be_positive(small: dict[str, Any]) -> None:
    sc = placesim.parse_scenario(small)
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(placesim.PlacesimError, match="worker_timeout: "):
            placesim.simulate(sc, replications=1, worker_timeout=bad)


def _children(pid: int) -> list[int]:
    """The processes `pid` started (and theirs)."""
    if psutil is not None:
        try:
            return [c.pid for c in psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:  # pid (name) state ppid ...
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, todo = [], [pid]
    while todo:
        this = todo.pop()
        kids = [child for child, parent in parents.items() if parent == this]
        found += kids
        todo += kids
    return found


def _running(pid: int) -> bool:
    """Whether `pid` is alive (a zombie is not: it has exited and only awaits reaping)."""
    if psutil is not None:
        try:
            return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
        except psutil.NoSuchProcess:
            return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("group", [True, False], ids=["terminal-Ctrl-C", "SIGINT-to-parent"])
def test_ctrl_c_stops_a_parallel_run_and_its_workers(
    small: dict[str, Any], tmp_path: Path, group: bool
) -> None:
    small["calendar"]["horizon_days"] = 365  # long enough to be caught running
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "placesim", "run", str(path), "-n", "200", "-w", "2"),
            *("-q", "--no-stays", "--out", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 60
        while len(children := _children(proc.pid)) < 2 and proc.poll() is None:
            assert time.monotonic() < deadline, "the worker processes never started"
            time.sleep(0.01)
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.5)  # well into the run
        if group:  # a terminal sends Ctrl-C to every process of the foreground job
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        start = time.monotonic()
        _, err = proc.communicate(timeout=20)
        took = time.monotonic() - start
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.splitlines()[-1] == "interrupted" and "Traceback" not in err, err
    assert took < 2, f"took {took:.1f} s to stop"
    assert not [pid for pid in children if _running(pid)], "worker processes left running"
    assert not out.exists()
