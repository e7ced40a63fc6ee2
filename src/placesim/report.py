"""Reports: the summary as readable text, and the tables written to an output folder.

Files are written atomically (a temporary file renamed into place), so an interrupted run
leaves complete files or none, never a truncated table that looks complete.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from placesim.errors import PlacesimError
from placesim.experiment import SimulationResult
from placesim.scenario import SETTINGS

__all__ = ["format_summary", "write_results", "write_table", "write_text"]

_FORMATS = ("csv", "parquet")


def _number(x: float, unit: str) -> str:
    if not math.isfinite(x):
        return "-"
    if unit == "ratio":
        return f"{100 * x:.1f}%"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def format_summary(result: SimulationResult) -> str:
    """The summary as a text table: one block per setting, mean and 95% CI per measure."""
    sc = result.scenario
    cal = sc.calendar
    lines = [
        f"{sc.name}: {result.replications} replication(s), seed {result.seed}, "
        f"{cal.start_date} to {cal.end_date}"
        + (f" after a {cal.warmup_days}-day warm-up" if cal.warmup_days else ""),
        "",
    ]
    if result.warnings:
        lines += ["Offered-load check (before the run):"]
        lines += [f"  ! {w}" for w in result.warnings]
        lines.append("")
    summary = result.summary()
    width = max(len(m) for m in summary["measure"]) + 2
    for setting in SETTINGS:
        block = summary[summary["setting"] == setting]
        if block.empty:
            continue
        lines.append(setting.replace("_", " "))
        for measure, unit, mean, low, high in zip(
            block["measure"],
            block["unit"],
            block["mean"].to_numpy(dtype=float),
            block["ci_low"].to_numpy(dtype=float),
            block["ci_high"].to_numpy(dtype=float),
            strict=True,
        ):
            unit = str(unit)
            ci = f"({_number(low, unit)} to {_number(high, unit)})" if math.isfinite(low) else ""
            shown_unit = "" if unit == "ratio" else unit
            lines.append(f"  {measure:<{width}}{_number(mean, unit):>10}  {ci:<26}{shown_unit}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_hash(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_results(
    result: SimulationResult,
    out_dir: str | Path,
    fmt: str = "csv",
    scenario_path: str | Path | None = None,
) -> list[Path]:
    """Write summary, daily and stays tables and run metadata to `out_dir`.

    Each file is written to a temporary name and renamed into place, so a killed run leaves
    complete files or none. run.json goes last, with each table's rows and bytes, and the
    previous run.json is removed first: a folder whose run.json is missing, or does not
    match its tables, was not finished.

    Parameters
    ----------
    fmt
        ``csv`` or ``parquet`` (Parquet needs pyarrow: ``pip install placesim[parquet]``).
    scenario_path
        The scenario file, whose hash goes into run.json.

    Returns
    -------
    The paths written.
    """
    if fmt not in _FORMATS:
        raise PlacesimError(f"format: {fmt!r} is not allowed: must be one of {', '.join(_FORMATS)}")
    if fmt == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise PlacesimError(
            "format: 'parquet' needs pyarrow, which is not installed "
            "(pip install 'placesim[parquet]'), or use --format csv"
        )
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlacesimError(f"out: cannot create {out}: {exc.strerror}") from None
    tables = {
        "summary": result.summary(),
        "daily": result.daily,
        "stays": result.stays,
        "measures": result.measures,
    }
    meta_path = out / "run.json"
    meta_path.unlink(missing_ok=True)
    written = []
    files: dict[str, dict[str, int]] = {}
    for name, table in tables.items():
        path = out / f"{name}.{fmt}"
        _atomic_write(path, _writer(table, fmt))
        written.append(path)
        files[path.name] = {"rows": len(table), "bytes": path.stat().st_size}
    from placesim import __version__

    meta = {
        "placesim_version": __version__,
        "scenario": result.scenario.name,
        "scenario_file": str(scenario_path) if scenario_path else None,
        "scenario_sha256": _file_hash(Path(scenario_path) if scenario_path else None),
        "seed": result.seed,
        "replications": result.replications,
        "timings_s": result.timings,
        "precision_met": result.precision_met,
        "warnings": list(result.warnings),
        "files": files,
    }
    text = json.dumps(meta, indent=2) + "\n"
    _atomic_write(meta_path, lambda p: _write_text(p, text))
    written.append(meta_path)
    return written


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write one table as CSV, atomically, creating its folder; returns the path."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlacesimError(f"out: cannot create {target.parent}: {exc.strerror}") from None
    _atomic_write(target, _writer(table, "csv"))
    return target


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file atomically, creating its folder; returns the path."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlacesimError(f"out: cannot create {target.parent}: {exc.strerror}") from None
    _atomic_write(target, lambda p: _write_text(p, text))
    return target


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _writer(table: pd.DataFrame, fmt: str) -> Callable[[Path], None]:
    if fmt == "csv":
        return lambda p: table.to_csv(p, index=False)
    return lambda p: table.to_parquet(p, index=False)
