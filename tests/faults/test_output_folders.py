"""An interrupted re-run keeps the last good results: faults on real processes and disks.

Each test runs `placesim run` as a real process into a folder that already holds a good
run, then kills it (SIGKILL, Ctrl-C), fills its disk or makes its file system read-only,
and checks that the good run is still there byte for byte, that the command said so in one
line, and that nothing temporary is left behind (docs/reports.md, "What an output folder
promises").
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from placesim.cli import main
from placesim.reporting.folders import OWN_FILES, replace_folder

RUN = [sys.executable, "-m", "placesim", "run"]


def _scenario(tmp_path: Path, small: dict[str, Any], days: int = 365) -> Path:
    small["calendar"]["horizon_days"] = days  # enough stays that writing takes a while
    path = tmp_path / f"s{days}.yaml"
    path.write_text(yaml.safe_dump(small))
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _snapshot_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _error_line(err: str) -> str:
    """The one error line of a command's stderr (warnings may come before it)."""
    lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}"))


def _good_run(scenario: Path, out: Path) -> dict[str, bytes]:
    assert main(["run", str(scenario), "-n", "1", "-q", "--out", str(out)]) == 0
    return _snapshot(out)


def _start(scenario: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*RUN, str(scenario), "-n", "6", "-q", "--out", str(out), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_staging(proc: subprocess.Popen[str], out: Path) -> bool:
    """Poll until the run has started writing its staging folder (True) or ended (False)."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if any(name.startswith(f".{out.name}.new-") for name in _leftovers(out)):
            return True
        time.sleep(0.001)
    return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
def test_rerun_killed_while_writing_keeps_the_previous_run(
    tmp_path: Path, small: dict[str, Any], sig: signal.Signals
) -> None:
    scenario = _scenario(tmp_path, small)
    out = tmp_path / "out"
    before = _good_run(scenario, out)
    for _ in range(5):
        proc = _start(scenario, out)
        if _wait_for_staging(proc, out):
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
            now = _snapshot(out)
            if now == before or set(now) != set(before):
                break
            # The staging name was seen after the swap (it then holds the previous run until
            # it is deleted): the signal came too late, and the new run, whole, is the good
            # run now. A half-written run would have other files and fail below.
            before = now
            continue
        proc.communicate(timeout=60)
        before = _snapshot(out)  # it finished first: that is the good run now
    else:
        pytest.fail("never caught the run while it was writing")
    assert _snapshot(out) == before, "the previous run changed"
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert err.splitlines()[-1] == "interrupted" and "Traceback" not in err, err
        assert _leftovers(out) == [], "Ctrl-C left temporary files"
    else:
        assert proc.returncode == -signal.SIGKILL
    # The next run tidies whatever a killed run left, and replaces the folder whole.
    small["calendar"]["seed"] = 99
    again = _scenario(tmp_path, small, days=30)
    assert main(["run", str(again), "-n", "1", "-q", "--out", str(out)]) == 0
    assert _leftovers(out) == []
    assert set(_snapshot(out)) <= OWN_FILES and _snapshot(out) != before


def test_a_second_run_into_a_folder_being_written_is_refused(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    scenario = _scenario(tmp_path, small, days=30)
    out = tmp_path / "out"
    before = _good_run(scenario, out)

    def second_run(folder: Path) -> list[Path]:
        # While this run holds the folder, another command tries to write it.
        assert main(["run", str(scenario), "-n", "1", "-q", "--out", str(out)]) == 2
        (folder / "run.json").write_text("{}")
        return [folder / "run.json"]

    replace_folder(out, second_run)
    err = _error_line(capsys.readouterr().err)
    assert f"being written by another placesim run (pid {os.getpid()})" in err
    assert _snapshot(out) == {"run.json": b"{}"} != before


def test_a_killed_lock_holder_leaves_no_stuck_lock(tmp_path: Path, small: dict[str, Any]) -> None:
    scenario = _scenario(tmp_path, small, days=30)
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import time
                from pathlib import Path
                from placesim.reporting.folders import replace_folder
                def hold(folder):
                    print("holding", flush=True)
                    time.sleep(600)
                    return []
                replace_folder(Path({str(out)!r}), hold)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    assert main(["run", str(scenario), "-n", "1", "-q", "--out", str(out)]) == 2
    holder.kill()
    holder.wait()
    assert main(["run", str(scenario), "-n", "1", "-q", "--out", str(out)]) == 0
    assert _leftovers(out) == []


def test_a_folder_with_other_files_is_not_replaced(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    scenario = _scenario(tmp_path, small, days=30)
    out = tmp_path / "notes"
    out.mkdir()
    (out / "my notes.txt").write_text("keep me")
    assert main(["run", str(scenario), "-n", "1", "-q", "--out", str(out)]) == 2
    err = _error_line(capsys.readouterr().err)
    assert "holds files that are not placesim's (my notes.txt)" in err
    assert _snapshot(out) == {"my notes.txt": b"keep me"}


def test_notes_beside_an_earlier_run_are_not_swept_away(
    tmp_path: Path, small: dict[str, Any], capsys: Any
) -> None:
    scenario = _scenario(tmp_path, small, days=30)
    out = tmp_path / "out"
    before = _good_run(scenario, out)
    (out / "my notes.txt").write_text("keep me")
    (out / "charts").mkdir()
    assert main(["run", str(scenario), "-n", "1", "-q", "--out", str(out)]) == 2
    assert "holds files that are not placesim's (charts, my notes.txt)" in _error_line(
        capsys.readouterr().err
    )
    after = _snapshot_files(out)
    assert after.pop("my notes.txt") == b"keep me" and (out / "charts").is_dir()
    assert after == before


def _in_private_mount(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run `script` (sh) in a private mount namespace, where it may mount a small tmpfs."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare for a private mount namespace (CI has both)")
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-ec", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_disk_full_keeps_the_previous_run_and_says_so(
    tmp_path: Path, small: dict[str, Any]
) -> None:
    big = _scenario(tmp_path, small, days=365)
    tiny = _scenario(tmp_path, small, days=20)
    run = " ".join(RUN)
    result = _in_private_mount(
        tmp_path,
        f"""
        mkdir -p disk
        mount -t tmpfs -o size=600k tmpfs disk
        {run} {tiny} -n 1 -q --out disk/out >/dev/null
        sha256sum disk/out/* > before.txt
        set +e
        {run} {big} -n 4 -q --out disk/out >/dev/null 2>err.txt
        echo $? > code.txt
        set -e
        sha256sum disk/out/* > after.txt
        ls -A disk > left.txt
        """,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "code.txt").read_text().strip() == "2"
    err = _error_line((tmp_path / "err.txt").read_text())
    assert "No space left on device" in err, err
    assert "free some space or choose another folder with --out" in err
    assert (tmp_path / "after.txt").read_text() == (tmp_path / "before.txt").read_text()
    assert (tmp_path / "left.txt").read_text().split() == ["out"]


def test_a_read_only_file_system_is_one_line(tmp_path: Path, small: dict[str, Any]) -> None:
    scenario = _scenario(tmp_path, small, days=20)
    run = " ".join(RUN)
    result = _in_private_mount(
        tmp_path,
        f"""
        mkdir -p disk
        mount -t tmpfs -o size=1m,ro tmpfs disk
        set +e
        {run} {scenario} -n 1 -q --out disk/out >/dev/null 2>err.txt
        echo $? > code.txt
        """,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "code.txt").read_text().strip() == "2"
    err = _error_line((tmp_path / "err.txt").read_text())
    assert "Read-only file system" in err, err
    assert "choose a folder you can write to with --out" in err


def test_a_second_run_is_refused_before_it_runs(
    tmp_path: Path, small: dict[str, Any], capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder is held from the start of a run, so a second run does not simulate first."""
    import placesim.experiments
    from placesim.reporting.folders import claim_folder

    def must_not_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the second run simulated before it was refused")

    monkeypatch.setattr(placesim.experiments, "simulate", must_not_run)
    scenario = _scenario(tmp_path, small, days=30)
    out = tmp_path / "out"
    with claim_folder(out):
        assert main(["run", str(scenario), "-n", "1", "-q", "--out", str(out)]) == 2
    assert "is being written by another placesim run" in _error_line(capsys.readouterr().err)
    assert not out.exists()
