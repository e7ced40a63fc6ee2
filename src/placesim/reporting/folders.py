"""Output folders replaced whole: a new run is written beside the folder, then swapped in.

What an output folder promises (docs/reports.md, "What an output folder promises"):

- The previous complete run stays readable and untouched until the new one is complete;
  then the new folder takes its place in one step (``renameat2(RENAME_EXCHANGE)`` on Linux;
  elsewhere two renames, and a run that dies between them is put back by the next one).
  No previous run is kept after that.
- One writer at a time: a second run into the same folder is refused, naming the first.
  The lock is an OS file lock, released when its process ends however it ends, so a killed
  run never leaves the folder locked.
- Nothing temporary outlives the command: the staging folder is removed on any error or
  Ctrl-C, and one left by a killed run is removed by the next run into the same folder.
- Only a folder that holds nothing but placesim's own files (a run's tables, run.json,
  scenario.json, its report and workbooks) is replaced; a folder with anything else in it,
  even beside an earlier run, is refused rather than swept away.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from placesim.errors import PlacesimError

__all__ = ["OWN_FILES", "claim_folder", "os_error_message", "replace_folder"]

OWN_FILES = frozenset(
    {
        *(
            f"{table}.{fmt}"
            for table in ("summary", "daily", "stays", "measures", "parameters", "sensitivity")
            for fmt in ("csv", "parquet")
        ),
        "run.json",
        "scenario.json",
        "report.html",
        "results.xlsx",
        "by_month.csv",
        "by_financial_year.csv",
    }
)
"""Files a run writes: a folder holding only these (and placesim's hidden temporaries) is
an earlier run's, even without its run.json."""

_STAGING = ".new-"
_PREVIOUS = ".old-"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def os_error_message(exc: OSError, path: Path, doing: str) -> str:
    """One line for an OS fault while writing `path`: what happened and what to do."""
    what = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        hint = "free some space or choose another folder with --out"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = "choose a folder you can write to with --out"
    elif exc.errno == errno.EDQUOT:
        hint = "your disk quota is used up: free some space or choose another folder"
    else:
        hint = "check the folder and try again, or choose another with --out"
    return f"out: cannot {doing} {path}: {what}; {hint}"


def _hidden(out: Path, kind: str) -> str:
    return f".{out.name}{kind}"


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold the lock of output folder `out` (a lock file beside it), or refuse at once."""
    lock_path = out.parent / f".{out.name}.lock"
    while True:
        handle = _open_lock(lock_path)
        if not _try_lock(handle):
            owner = handle.read().strip() or "another process"
            handle.close()
            raise PlacesimError(
                f"out: {out} is being written by another placesim run ({owner}); wait for it "
                "to finish, or choose another folder with --out"
            )
        # The file may have been removed by the holder we waited behind: lock the one there.
        try:
            same = os.stat(lock_path).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        handle.close()
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        lock_path.unlink(missing_ok=True)
        handle.close()


def _open_lock(path: Path) -> IO[str]:
    try:
        return open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise PlacesimError(os_error_message(exc, path.parent, "write to")) from None


def _try_lock(handle: IO[str]) -> bool:
    handle.seek(0)
    if sys.platform == "win32":  # pragma: no cover - not run on this project's machines
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _leftovers(out: Path) -> list[Path]:
    """Staging and previous folders of `out` left by a run that was killed."""
    names = (_hidden(out, _STAGING), _hidden(out, _PREVIOUS))
    return sorted(p for p in out.parent.iterdir() if p.name.startswith(names))


def _recover(out: Path) -> None:
    """Put back a run that a killed swap took away, then remove what killed runs left."""
    leftovers = _leftovers(out)
    if not out.exists():
        previous = [p for p in leftovers if p.name.startswith(_hidden(out, _PREVIOUS))]
        if previous:
            os.rename(previous[-1], out)
            leftovers.remove(previous[-1])
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    if out.is_dir():
        for tmp in out.glob(".*.tmp"):  # a killed single-file write (placesim report)
            tmp.unlink(missing_ok=True)


def _check_replaceable(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise PlacesimError(f"out: {out} is a file, not a folder: choose a folder with --out")
    others = sorted(
        p.name
        for p in out.iterdir()
        if p.name not in OWN_FILES and not (p.name.startswith(".") and p.name.endswith(".tmp"))
    )
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise PlacesimError(
            f"out: {out} holds files that are not placesim's ({shown}); a run replaces its "
            "whole folder, so move them out, or choose a new or empty folder with --out"
        )


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2: Any = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # the file system cannot exchange: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


def _with_parent(out: Path) -> Path:
    """`out` as an absolute path whose parent folder exists (created if need be)."""
    out = Path(os.path.abspath(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlacesimError(os_error_message(exc, out.parent, "create")) from None
    return out


_CLAIMED: set[Path] = set()
"""Output folders this process holds for a whole command (:func:`claim_folder`)."""


@contextmanager
def claim_folder(out: Path) -> Iterator[None]:
    """Hold output folder `out` for a whole command, from before its run to its writing, so
    a second command into the same folder is refused at once rather than after running;
    :func:`replace_folder` inside it writes without taking the lock again."""
    out = _with_parent(out)
    with _locked(out):
        _CLAIMED.add(out)
        try:
            yield
        finally:
            _CLAIMED.discard(out)


@contextmanager
def _held(out: Path) -> Iterator[None]:
    if out in _CLAIMED:
        yield
    else:
        with _locked(out):
            yield


def replace_folder(out: Path, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Write a run with `write(staging_folder)` and swap it in for `out` when it is complete.

    Returns the paths written, inside `out`. OS faults become one-line
    :class:`PlacesimError` messages naming the path; the previous run in `out` is then
    untouched.
    """
    out = _with_parent(out)
    with _held(out):
        try:
            _recover(out)
        except OSError as exc:
            raise PlacesimError(
                os_error_message(exc, out, "tidy up after a killed run in")
            ) from None
        _check_replaceable(out)
        staging = out.parent / f"{_hidden(out, _STAGING)}{os.getpid()}"
        try:
            staging.mkdir()
            written = write(staging)
            _sync_folder(staging)
            _swap_in(staging, out)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise PlacesimError(os_error_message(exc, Path(exc.filename or out), "write")) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return [out / p.name for p in written]


def _sync_folder(folder: Path) -> None:
    """Flush the staged files to disk, so the swap never shows a folder of empty files."""
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _swap_in(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging)  # now the previous run
        return
    previous = out.parent / f"{_hidden(out, _PREVIOUS)}{os.getpid()}"
    os.rename(out, previous)
    os.rename(staging, out)  # a run killed between the renames is put back by _recover
    shutil.rmtree(previous)
