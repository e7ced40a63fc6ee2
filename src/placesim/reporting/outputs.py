"""Output folders: the tables of a run written to disk, and read back.

A run's folder is replaced whole once the new run is complete
(:mod:`placesim.reporting.folders`); single files (a comparison table, a report) are
written to a temporary name and renamed into place. Either way an interrupted command
leaves complete files or the previous ones, never a truncated table that looks complete.
A folder written by :func:`write_results` can be read back as the result it came from
(:func:`read_results`), and a folder written by :func:`write_comparison` as the comparison
(:func:`read_comparison`), so a report can be rebuilt from either later.

``--format xlsx`` adds a workbook for spreadsheets (the ``excel`` extra, openpyxl) to the
CSV tables, never instead of them: the CSV tables are what is read back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from placesim.errors import PlacesimError, ScenarioError
from placesim.measures import Comparison, Period, SimulationResult, find_period
from placesim.plan.pathways import DESTINATIONS, SOURCES
from placesim.reporting.folders import os_error_message, replace_folder
from placesim.scenario import (
    RESIDENCES,
    SETTINGS,
    Scenario,
    load_scenario,
    parse_scenario,
    scenario_data,
    scenario_warnings,
)
from placesim.version import __version__

__all__ = [
    "COMPARE_JSON",
    "FORMATS",
    "SCENARIO_JSON",
    "WORKBOOK",
    "check_format",
    "read_checked_table",
    "read_comparison",
    "read_folder",
    "read_results",
    "recorded_period",
    "sheet_names",
    "write_checked_table",
    "write_comparison",
    "write_experiment",
    "write_results",
    "write_table",
    "write_text",
    "write_workbook",
]

FORMATS = ("csv", "parquet", "xlsx")
"""Formats of a run's tables: ``xlsx`` is the tables as CSV plus the workbook :data:`WORKBOOK`."""
_EXTRAS = {"xlsx": ("openpyxl", "excel")}
"""What each format needs: (module, placesim extra that installs it)."""
SCENARIO_JSON = "scenario.json"
"""The file, next to run.json, that holds the scenario as it ran."""
WORKBOOK = "results.xlsx"
"""The workbook of a run written with ``fmt="xlsx"``: sheets summary, outcomes (when the run
kept its stays) and about."""
COMPARE_JSON = "compare.json"
"""The file of a comparison folder that names its scenarios' run folders, base first."""
COMPARISON_TABLE = "comparison.csv"
DECISIONS_TABLE = "decisions.csv"
"""The decision table of a comparison folder."""
COMPARISON_WORKBOOK = "comparison.xlsx"
SCENARIOS_FOLDER = "scenarios"
"""The folder of a comparison folder that holds each scenario's run folder."""
_SHEET_NAME_MAX = 31  # Excel's limit
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FOLDER_NAME_MAX = 80


def check_format(fmt: str) -> None:
    """Refuse a format placesim does not write, or one whose extra is not installed.

    One line naming what to install: ``xlsx`` needs openpyxl (``placesim[excel]``).
    """
    if fmt not in FORMATS:
        raise PlacesimError(f"format: {fmt!r} is not allowed: must be one of {', '.join(FORMATS)}")
    if fmt in _EXTRAS:
        module, extra = _EXTRAS[fmt]
        if importlib.util.find_spec(module) is None:
            raise PlacesimError(
                f"format: {fmt!r} needs {module}, which is not installed "
                f"(pip install 'placesim[{extra}]'), or use --format csv"
            )


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are ordinary files
        write(Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise PlacesimError(os_error_message(exc, path, "write")) from None
    except BaseException:
        if tmp is not None:
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
    *,
    extra_files: Mapping[str, str] | None = None,
    period: str | Period | None = None,
    stays_format: str = "parquet",
) -> list[Path]:
    """Write summary, daily and stays tables and run metadata to `out_dir`, replacing it.

    The run is written to a staging folder beside `out_dir` and swapped in only when every
    file is complete, so the previous run stays readable and untouched until then, and an
    interrupted run (Ctrl-C, a full disk, SIGKILL) leaves the previous one as it was; a
    second run into the same folder at the same time is refused
    (:mod:`placesim.reporting.folders`). run.json, written last, lists each table's rows
    and bytes.

    Parameters
    ----------
    fmt
        ``csv``, ``parquet`` or ``xlsx``:
        the tables as CSV plus the workbook results.xlsx, with sheets summary, outcomes
        (when the run kept its stays) and about (needs openpyxl:
        ``pip install 'placesim[excel]'``). The workbook is for people taking figures into
        their own spreadsheets; :func:`read_results` reads the CSV tables.
    scenario_path
        The scenario file, whose hash goes into run.json.
    extra_files
        Other text files, by name, written into the same folder and swapped in with it
        (``placesim run --report`` puts its report.html here).
    stays_format
        ``parquet`` (the default: a place-year of stays writes in a fraction of a second
        into a file a third the size) or ``csv``: the per-stay table's format when `fmt`
        is ``csv`` or ``xlsx`` (with ``parquet`` every table is Parquet).
    period
        The window the run was reported on (``--period``): summary.csv (and the workbook's
        summary and outcomes) are of that window, and run.json records it (``period``:
        label, start, end), so ``placesim report`` rebuilds the same page. The daily,
        stays and measures tables are always of the whole run.

    A run with uncertain inputs also gets parameters.csv (or .parquet): the value each
    input took in each replication. The folder also gets scenario.json, the scenario as it
    ran (after ``extends`` and defaults; with its ranges, where it has uncertain inputs),
    and run.json records the type of each column (and the categories of the
    categorical ones), so that :func:`read_results` gives back the same result.

    Returns
    -------
    The paths written.
    """
    check_format(fmt)
    if stays_format not in ("parquet", "csv"):
        raise PlacesimError(f"stays format: {stays_format!r} is not allowed: parquet or csv")
    found = find_period(period, result.plan)
    return replace_folder(
        Path(out_dir),
        lambda folder: _write_run(
            result, folder, fmt, scenario_path, extra_files or {}, found, stays_format
        ),
    )


def _write_run(
    result: SimulationResult,
    out: Path,
    fmt: str,
    scenario_path: str | Path | None,
    extra_files: Mapping[str, str],
    period: Period | None,
    stays_format: str,
) -> list[Path]:
    """Every file of a run, into the (new, empty) folder `out`; run.json last."""
    table_fmt = "csv" if fmt == "xlsx" else fmt
    tables = {
        "summary": result.summary(period=period),
        "daily": result.daily,
        **({"stays": result.stays} if result.stays is not None else {}),
        "measures": result.measures,
        **({"parameters": result.parameters} if not result.parameters.empty else {}),
    }
    written = []
    files: dict[str, dict[str, int]] = {}
    columns: dict[str, dict[str, dict[str, Any]]] = {}
    for name, table in tables.items():
        suffix = stays_format if name == "stays" and table_fmt == "csv" else table_fmt
        path = out / f"{name}.{suffix}"
        _writer(table, suffix)(path)
        written.append(path)
        files[path.name] = {"rows": len(table), "bytes": path.stat().st_size}
        columns[path.name] = _column_types(table)
    # The scenario as it ran (after extends and defaults), so that read_results can
    # rebuild the result even when the scenario file has changed or gone.
    scenario_json = out / SCENARIO_JSON
    _write_text(scenario_json, json.dumps(scenario_data(result.scenario), indent=2) + "\n")
    written.append(scenario_json)
    workbook: dict[str, Any] | None = None
    if fmt == "xlsx":
        sheets = _run_sheets(result, tables["summary"], period)
        path = out / WORKBOOK
        _write_workbook(path, sheets)
        written.append(path)
        workbook = {
            "file": WORKBOOK,
            "bytes": path.stat().st_size,
            "sheets": {name: len(table) for name, table in sheets},
        }
    for name, text in extra_files.items():
        written.append(out / name)
        _write_text(written[-1], text)
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
        "scenario_warnings": scenario_warnings(result.scenario),
        "period": None
        if period is None
        else {"label": period.label, "start": str(period.start), "end": str(period.end)},
        "files": files,
        "scenario_json": SCENARIO_JSON,
        "columns": columns,
        "format": fmt,
        **({"workbook": workbook} if workbook is not None else {}),
    }
    meta_path = out / "run.json"
    _write_text(meta_path, json.dumps(meta, indent=2) + "\n")
    written.append(meta_path)
    return written


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write one table as CSV, atomically, creating its folder; returns the path."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlacesimError(os_error_message(exc, target.parent, "create")) from None
    _atomic_write(target, _writer(table, "csv"))
    return target


def _table_record(path: Path, rows: int) -> dict[str, Any]:
    """What a manifest records of a table written at `path`: rows, bytes and SHA-256."""
    return {"rows": rows, "bytes": path.stat().st_size, "sha256": _file_hash(path)}


def write_checked_table(
    table: pd.DataFrame, path: Path, about: Mapping[str, Any] | None = None
) -> list[Path]:
    """Write `table` as CSV and then, beside it, a manifest of its rows, bytes and SHA-256
    (after `about`, anything else worth recording with it).

    The manifest (``NAME.json``) is written after the table, so a table without one, or
    one that does not match it, did not finish writing or was changed since
    (:func:`read_checked_table`). Returns the two paths written.
    """
    write_table(table, path)
    manifest = {**(about or {}), **_table_record(path, len(table))}
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    return [path, write_text(path.with_suffix(".json"), text)]


def read_checked_table(path: Path) -> pd.DataFrame | str:
    """The table :func:`write_checked_table` wrote at `path`, or why it cannot be trusted."""
    manifest_path = path.with_suffix(".json")
    if not path.is_file():
        return "its table is missing"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        rows, size, digest = manifest["rows"], manifest["bytes"], manifest["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return "it has no complete manifest (it did not finish writing)"
    if path.stat().st_size != size:
        return f"its table is {path.stat().st_size} bytes, not the {size} its manifest records"
    if _file_hash(path) != digest:
        return "its table changed after it was written (its SHA-256 differs from the manifest's)"
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        return f"its table cannot be read ({exc})"
    if len(table) != rows:
        return f"its table has {len(table)} rows, not the {rows} its manifest records"
    return table


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file atomically, creating its folder; returns the path."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlacesimError(os_error_message(exc, target.parent, "create")) from None
    _atomic_write(target, lambda p: _write_text(p, text))
    return target


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _writer(table: pd.DataFrame, fmt: str) -> Callable[[Path], None]:
    if fmt == "csv":
        return lambda p: table.to_csv(p, index=False)
    return lambda p: table.to_parquet(p, index=False)


# ----------------------------------------------------------------------------- workbooks

_ILLEGAL_IN_CELLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Characters a worksheet cell cannot hold (openpyxl refuses them)."""


def write_workbook(path: str | Path, sheets: Sequence[tuple[str, pd.DataFrame]]) -> Path:
    """Write `sheets` (name, table), in order, to an .xlsx workbook, atomically.

    Needs openpyxl (``pip install 'placesim[excel]'``). Each table is one sheet with its
    column names in the first row (frozen) and no index; sheet names are made valid for
    Excel (at most 31 characters, none of ``[]:*?/\\``, unique ignoring case). Missing
    values are empty cells; text is written as text, never as a formula.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    check_format("xlsx")
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlacesimError(os_error_message(exc, target.parent, "create")) from None
    _atomic_write(target, lambda p: _write_workbook(p, sheets))
    return target


def sheet_names(names: Sequence[str]) -> list[str]:
    """`names` made valid, unique worksheet names (Excel's rules), in order."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = _ILLEGAL_IN_CELLS.sub("", _SHEET_FORBIDDEN.sub("_", str(name))).strip("'")
        base = base[:_SHEET_NAME_MAX] or "sheet"
        if base.lower() == "history":  # reserved by Excel
            base = "history_"
        candidate, k = base, 2
        while candidate.lower() in seen:
            suffix = f" ({k})"
            candidate = base[: _SHEET_NAME_MAX - len(suffix)] + suffix
            k += 1
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def _write_workbook(path: Path, sheets: Sequence[tuple[str, pd.DataFrame]]) -> None:
    names = sheet_names([name for name, _ in sheets])
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, (_, table) in zip(names, sheets, strict=True):
            clean = _cell_safe(table)
            clean.to_excel(writer, sheet_name=name, index=False)
            _tidy_sheet(writer.sheets[name], clean)


def _cell_safe(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with its text free of characters a cell cannot hold (a copy if changed)."""
    out = table
    for name, column in table.items():
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            if isinstance(column.dtype, pd.CategoricalDtype):
                continue
            cleaned = column.map(
                lambda v: _ILLEGAL_IN_CELLS.sub("", v) if isinstance(v, str) else v
            )
            if not cleaned.equals(column):
                out = out.copy() if out is table else out
                out[name] = cleaned
    return out


def _column_letter(number: int) -> str:
    """Excel's name of the `number`-th column (1: A, 27: AA)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _tidy_sheet(sheet: Any, table: pd.DataFrame) -> None:
    """Freeze the header row, fit the columns' widths, keep text that starts with = as text."""
    sheet.freeze_panes = "A2"
    head = table.head(200)
    for i, (name, column) in enumerate(head.items(), start=1):
        width = max([len(str(name)), *(len(str(v)) for v in column)])
        sheet.column_dimensions[_column_letter(i)].width = min(60, width + 2)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":  # text such as "=1+1" from a scenario's name
                cell.data_type = "s"


def _run_sheets(
    result: SimulationResult, summary: pd.DataFrame, period: Period | None = None
) -> list[tuple[str, pd.DataFrame]]:
    """The sheets of a run's workbook: summary, outcomes (with the stays) and about."""
    sheets = [("summary", summary)]
    if result.stays is not None:
        sheets.append(("outcomes", result.outcomes(period=period)))
    sheets.append(("about", _about(result, period)))
    return sheets


def _about(result: SimulationResult, period: Period | None = None) -> pd.DataFrame:
    """What a run was, as rows of item and value, for a workbook's about sheet."""
    cal = result.scenario.calendar
    window = (
        "the whole run" if period is None else f"{period.label}: {period.start} to {period.end}"
    )
    rows: list[tuple[str, object]] = [
        ("scenario", result.scenario.name),
        ("period", window),
        ("start_date", cal.start_date.isoformat()),
        ("end_date", cal.end_date.isoformat()),
        ("warmup_days", cal.warmup_days),
        ("replications", result.replications),
        ("seed", result.seed),
        ("placesim_version", __version__),
        ("intervals", "Student-t 95% confidence intervals over replications"),
    ]
    return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": object})


# --------------------------------------------------------------- experiments' tables


def write_experiment(
    table: pd.DataFrame, out_dir: str | Path, name: str, about: Mapping[str, Any]
) -> list[Path]:
    """Write an experiment's table as ``NAME.csv`` in `out_dir`, then ``NAME.json`` beside it.

    For ``placesim size``, ``size --weekly`` and ``warmup``: the table is written
    atomically (a reader sees the previous file or the new one, never half of one), and
    then the JSON, which records `about` (the scenario, seed, replications and the
    experiment's answer), the placesim version, and the table's rows, bytes, SHA-256 and
    columns. A table without its JSON, or one that does not match it, did not finish
    writing. Other files in `out_dir` are left alone.

    Returns
    -------
    The two paths written.
    """
    about = {
        "placesim_version": __version__,
        **about,
        "table": f"{name}.csv",
        "columns": [str(c) for c in table.columns],
    }
    return write_checked_table(table, Path(out_dir) / f"{name}.csv", about)


# ----------------------------------------------------------------------------- comparisons


def _folder_names(names: Sequence[str]) -> list[str]:
    """A folder name for each scenario name: letters, digits, ``.``, ``_`` and ``-``; unique."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:_FOLDER_NAME_MAX] or "scenario"
        candidate, k = base, 2
        while candidate.lower() in seen:
            candidate = f"{base}-{k}"
            k += 1
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def write_comparison(
    comparison: Comparison,
    out_dir: str | Path,
    fmt: str = "csv",
    scenario_paths: Sequence[str | Path | None] | None = None,
) -> list[Path]:
    """Write a comparison to `out_dir` so that its report can be rebuilt from it later.

    ``out_dir`` gets:

    - ``scenarios/NAME/``: each scenario's result as a run folder (:func:`write_results`,
      replaced whole), NAME being the scenario's name with characters other than letters,
      digits, ``.``, ``_`` and ``-`` made ``-``;
    - ``comparison.csv``: ``comparison.table``, whatever its columns;
    - ``decisions.csv``: the decision table (:meth:`placesim.Comparison.decisions`): the
      headline measures and the net cost against the base, with the chance of improvement;
    - ``comparison.xlsx`` with ``fmt="xlsx"``: a sheet ``comparison`` (the table), one
      sheet per scenario (its summary, the sheet named after the scenario) and ``about``;
    - ``compare.json``, written last: the scenarios in order, base first, with their
      folders and the SHA-256 of each folder's run.json, and the rows, bytes, SHA-256 and
      column types of comparison.csv.

    compare.json is removed first and written only when everything else is, so a folder
    whose compare.json is there holds a complete comparison (:func:`read_comparison`).
    Other files in `out_dir` are left alone, but run folders under ``scenarios/`` that
    the comparison does not name (an earlier comparison's) are removed.

    Parameters
    ----------
    fmt
        The scenarios' tables, as for :func:`write_results`.
    scenario_paths
        Each scenario's file, in order, whose hash goes into its run.json.

    Returns
    -------
    The paths written.
    """
    check_format(fmt)
    results = comparison.results
    paths = list(scenario_paths) if scenario_paths is not None else [None] * len(results)
    if len(paths) != len(results):
        raise PlacesimError(
            f"scenario_paths: {len(paths)} given for {len(results)} scenarios: give one each"
        )
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / COMPARE_JSON).unlink(missing_ok=True)  # incomplete until written again
    except OSError as exc:
        raise PlacesimError(os_error_message(exc, out, "write to")) from None
    names = [r.scenario.name for r in results]
    folders = _folder_names(names)
    written: list[Path] = []
    entries = []
    for result, folder, source in zip(results, folders, paths, strict=True):
        target = out / SCENARIOS_FOLDER / folder
        written += write_results(result, target, fmt=fmt, scenario_path=source)
        entries.append(
            {
                "name": result.scenario.name,
                "folder": f"{SCENARIOS_FOLDER}/{folder}",
                "run_json_sha256": _file_hash(target / "run.json"),
            }
        )
    _remove_stale_runs(out / SCENARIOS_FOLDER, set(folders))
    table = comparison.table
    table_path = write_table(table, out / COMPARISON_TABLE)
    written.append(table_path)
    files: dict[str, dict[str, Any]] = {COMPARISON_TABLE: _table_record(table_path, len(table))}
    decisions = comparison.decisions()
    written.append(write_table(decisions, out / DECISIONS_TABLE))
    if fmt == "xlsx":
        # The tables' and the about sheet's names first, so a scenario called "about" gets
        # "about (2)" rather than taking the name.
        first, decided, last, *each = sheet_names(["comparison", "decisions", "about", *names])
        sheets = [
            (first, table),
            (decided, decisions),
            *((sheet, r.summary()) for sheet, r in zip(each, results, strict=True)),
            (last, _comparison_about(comparison)),
        ]
        written.append(write_workbook(out / COMPARISON_WORKBOOK, sheets))
        files[COMPARISON_WORKBOOK] = {
            "bytes": written[-1].stat().st_size,
            "sheets": sheet_names([name for name, _ in sheets]),
        }
    meta = {
        "placesim_version": __version__,
        "base": names[0] if names else None,
        "seed": results[0].seed if results else None,
        "replications": results[0].replications if results else None,
        "scenarios": entries,
        "comparison": COMPARISON_TABLE,
        "files": files,
        "columns": {COMPARISON_TABLE: _column_types(table)},
        "format": fmt,
        "fields": _comparison_fields(comparison),
    }
    written.append(write_text(out / COMPARE_JSON, json.dumps(meta, indent=2) + "\n"))
    return written


def _comparison_fields(comparison: Comparison) -> dict[str, Any]:
    """The comparison's settings besides its results and table (its window, thresholds...),
    whatever they are, as JSON, so that :func:`read_comparison` gives them back."""
    out: dict[str, Any] = {}
    for item in dataclasses.fields(comparison):
        if item.name in ("results", "table"):
            continue
        value = getattr(comparison, item.name)
        value = dict(value) if isinstance(value, Mapping) else value
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue  # not plain data: the comparison read back takes its default
        out[item.name] = value
    return out


def _comparison_about(comparison: Comparison) -> pd.DataFrame:
    first = comparison.results[0]
    rows: list[tuple[str, object]] = [
        ("base", first.scenario.name),
        *((f"scenario {i + 1}", r.scenario.name) for i, r in enumerate(comparison.results)),
        ("replications", first.replications),
        ("seed", first.seed),
        ("placesim_version", __version__),
        (
            "intervals",
            "Student-t 95% confidence intervals over replications; differences "
            "from the base are paired replication by replication",
        ),
    ]
    return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": object})


def _remove_stale_runs(folder: Path, keep: set[str]) -> None:
    """Remove the run folders in `folder` not named in `keep` (an earlier comparison's)."""
    try:
        stale = [
            p
            for p in folder.iterdir()
            if p.name not in keep and p.is_dir() and (p / "run.json").is_file()
        ]
        for path in stale:
            shutil.rmtree(path)
    except OSError as exc:
        raise PlacesimError(os_error_message(exc, folder, "tidy up")) from None


def read_comparison(out_dir: str | Path) -> Comparison:
    """Read back the comparison that :func:`write_comparison` wrote to `out_dir`.

    Each scenario's result is read from its run folder (:func:`read_results`), in the
    order compare.json gives, base first; the table is comparison.csv, with the column
    types compare.json records. So ``placesim report`` rebuilds the same page as
    ``placesim compare --report`` wrote.

    Raises
    ------
    PlacesimError
        If the folder has no compare.json (not a comparison, or one that did not finish),
        a scenario's folder changed since (its run.json differs), or a table does not
        match what compare.json records.
    """
    out = Path(out_dir)
    meta_path = out / COMPARE_JSON
    meta = _read_meta(meta_path, "placesim compare", "comparison")
    try:
        entries = [
            (str(e["name"]), str(e["folder"]), e.get("run_json_sha256")) for e in meta["scenarios"]
        ]
        table_name = str(meta.get("comparison") or COMPARISON_TABLE)
        info = meta["files"][table_name]
        types = meta.get("columns", {}).get(table_name)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PlacesimError(f"{meta_path}: cannot read: {exc}") from None
    again = "run `placesim compare` again"
    results = []
    for name, folder, digest in entries:
        where = Path(folder)
        if where.is_absolute() or ".." in where.parts:
            raise PlacesimError(f"{meta_path}: scenario {name!r}: {folder!r} is not inside {out}")
        run_json = out / where / "run.json"
        if digest and _file_hash(run_json) != digest:
            raise PlacesimError(
                f"{out / where}: scenario {name!r} is not the run this comparison was made of "
                f"(its run.json is missing or changed since): {again}"
            )
        result = read_results(out / where)
        if result.scenario.name != name:
            raise PlacesimError(
                f"{out / where}: is scenario {result.scenario.name!r}, but {COMPARE_JSON} "
                f"names {name!r}: {again}"
            )
        results.append(result)
    path = out / table_name
    if not path.is_file():
        raise PlacesimError(f"{path}: is missing: {again}")
    if path.stat().st_size != info.get("bytes") or _file_hash(path) != info.get("sha256"):
        raise PlacesimError(
            f"{path}: does not match {COMPARE_JSON} (changed after the comparison, or the "
            f"comparison did not finish): {again}"
        )
    table = _read_table(path, types)
    if len(table) != info.get("rows"):
        raise PlacesimError(f"{path}: {len(table)} rows, {COMPARE_JSON} says {info.get('rows')}")
    known = {item.name for item in dataclasses.fields(Comparison)} - {"results", "table"}
    fields = meta.get("fields") or {}
    settings = {k: v for k, v in fields.items() if k in known} if isinstance(fields, dict) else {}
    return Comparison(results=results, table=table, **settings)


def read_folder(out_dir: str | Path) -> SimulationResult | Comparison:
    """What `out_dir` holds: a run (:func:`read_results`) or a comparison (:func:`read_comparison`).

    A folder with compare.json is a comparison, one with run.json a run; anything else is
    one clear error.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise PlacesimError(f"{out}: no such folder")
    if (out / COMPARE_JSON).is_file():
        return read_comparison(out)
    if (out / "run.json").is_file():
        return read_results(out)
    if (out / COMPARISON_TABLE).is_file():
        raise PlacesimError(
            f"{out}: has {COMPARISON_TABLE} but no run.json or {COMPARE_JSON}: a comparison "
            "that did not finish, or one written by a placesim that did not keep its "
            "scenarios; run `placesim compare ... --out` again to rebuild its report"
        )
    raise PlacesimError(
        f"{out}: has no run.json or {COMPARE_JSON}: not a folder written by `placesim run` or "
        "`placesim compare`, or it did not finish"
    )


def _column_types(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each column's dtype, and a categorical column's categories, for read_results."""
    out: dict[str, dict[str, Any]] = {}
    for name, column in table.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = [str(c) for c in column.cat.categories]
            out[str(name)] = {"dtype": "category", "categories": categories}
        else:
            out[str(name)] = {"dtype": str(column.dtype)}
    return out


def _known_categories(scenario: Scenario) -> dict[str, dict[str, list[str]]]:

    return {
        "stays": {
            "age_band": list(scenario.age_bands),
            "residence": list(RESIDENCES),
            "source": list(SOURCES),
            "setting": list(SETTINGS),
            "next": list(DESTINATIONS),
        },
        "daily": {"setting": list(SETTINGS)},
    }


def _read_table(path: Path, types: dict[str, dict[str, Any]] | None) -> pd.DataFrame:
    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
        for name, t in (types or {}).items():
            # Parquet stores date-times to the millisecond at the coarsest: back to the unit
            # they were written in.
            if name in table.columns and t["dtype"].startswith("datetime64"):
                table[name] = table[name].astype(t["dtype"])
        return table
    if types is None:
        return pd.read_csv(path)
    # Text is read as written: only an empty field is missing (a locality called "NA"
    # stays "NA"), then each column gets its recorded type back.
    text = [c for c, t in types.items() if t["dtype"] not in ("bool",) and not _numeric(t)]
    table = pd.read_csv(
        path,
        dtype=dict.fromkeys(text, str),
        keep_default_na=False,
        na_values={c: [""] for c in types},
    )
    for name, t in types.items():
        if name not in table.columns:
            raise PlacesimError(f"{path.name}: column {name!r} is missing")
        if t["dtype"] == "category":
            table[name] = pd.Categorical(table[name], categories=t["categories"])
        elif t["dtype"].startswith("datetime64"):
            table[name] = pd.to_datetime(table[name]).astype(t["dtype"])
        elif t["dtype"] == "object":
            table[name] = table[name].astype(object)  # text as it was held, not pandas' str
        elif t["dtype"] not in ("str", "string"):
            table[name] = table[name].astype(t["dtype"])
    return table


def _numeric(t: dict[str, Any]) -> bool:
    dtype = str(t["dtype"])
    return dtype.startswith(("int", "uint", "float"))


def _read_meta(meta_path: Path, command: str, what: str) -> Any:
    """The JSON that `command` writes last in its folder, or why the folder is not one."""
    out = meta_path.parent
    if not out.is_dir():
        raise PlacesimError(f"{out}: no such folder")
    if not meta_path.is_file():
        raise PlacesimError(
            f"{out}: has no {meta_path.name}: not a folder written by `{command}`, or the "
            f"{what} did not finish"
        )
    try:
        return json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlacesimError(f"{meta_path}: cannot read: {exc}") from None


def recorded_period(out_dir: str | Path) -> str | None:
    """The window a run folder was reported on (run.json's ``period``, written by
    ``run --period``), or None for the whole run."""
    recorded = _read_meta(Path(out_dir) / "run.json", "placesim run", "run").get("period")
    return str(recorded["label"]) if isinstance(recorded, dict) and "label" in recorded else None


def read_results(out_dir: str | Path) -> SimulationResult:
    """Read back the result that :func:`write_results` wrote to `out_dir`.

    The tables come from their files, with the column types recorded in run.json; the
    seed, replications, timings and offered-load warnings from run.json; the scenario
    from scenario.json or, for a folder written before scenario.json existed, from the
    scenario file named in run.json if it is still there and unchanged (same SHA-256).

    Parameters
    ----------
    out_dir
        A folder written by ``placesim run`` or :func:`write_results`.

    Returns
    -------
    SimulationResult
        The same tables, summary and outcomes as the result that was written.

    Raises
    ------
    PlacesimError
        If the folder has no run.json (not a finished run), a table does not match
        run.json (an interrupted or edited run), or the scenario cannot be found.
    """
    out = Path(out_dir)
    meta = _read_meta(out / "run.json", "placesim run", "run")
    scenario = _read_scenario(out, meta)
    files: dict[str, dict[str, int]] = meta.get("files", {})
    columns: dict[str, dict[str, dict[str, Any]]] = meta.get("columns", {})
    tables: dict[str, pd.DataFrame] = {}
    for name in ("daily", "stays", "measures", "parameters"):
        path = next((out / f for f in files if Path(f).stem == name), None)
        if name in ("stays", "parameters") and path is None:
            continue
        if path is None or not path.is_file():
            raise PlacesimError(f"{out}: {name} table is missing (run.json lists {list(files)})")
        info = files[path.name]
        if path.stat().st_size != info["bytes"]:
            raise PlacesimError(
                f"{path}: {path.stat().st_size} bytes, run.json says {info['bytes']}: the "
                "file changed after the run, or the run did not finish"
            )
        table = _read_table(path, columns.get(path.name))
        if path.name not in columns and path.suffix == ".csv":
            for column, categories in _known_categories(scenario).get(name, {}).items():
                if column in table.columns:
                    table[column] = pd.Categorical(table[column], categories=categories)
        if len(table) != info["rows"]:
            raise PlacesimError(f"{path}: {len(table)} rows, run.json says {info['rows']}")
        tables[name] = table
    return SimulationResult(
        scenario=scenario,
        seed=int(meta["seed"]),
        replications=int(meta["replications"]),
        stays=tables.get("stays"),  # None for a run with keep_stays=False
        daily=tables["daily"],
        measures=tables["measures"],
        timings={str(k): float(v) for k, v in (meta.get("timings_s") or {}).items()},
        precision_met=meta.get("precision_met"),
        warnings=tuple(str(w) for w in meta.get("warnings", [])),
        **({"parameters": tables["parameters"]} if "parameters" in tables else {}),
    )


def _read_scenario(out: Path, meta: dict[str, Any]) -> Scenario:
    stored = out / str(meta.get("scenario_json") or SCENARIO_JSON)
    if stored.is_file():
        try:
            data = json.loads(stored.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PlacesimError(f"{stored}: cannot read: {exc}") from None
        try:
            return parse_scenario(data)
        except ScenarioError as exc:
            raise ScenarioError(exc.problems, source=str(stored)) from None
    source = meta.get("scenario_file")
    if not source:
        raise PlacesimError(f"{out}: has no {SCENARIO_JSON} and run.json names no scenario file")
    path = Path(source)
    if not path.is_file():
        raise PlacesimError(
            f"{out}: has no {SCENARIO_JSON}, and the scenario file {source} named in run.json "
            "is not there any more"
        )
    if meta.get("scenario_sha256") and _file_hash(path) != meta["scenario_sha256"]:
        raise PlacesimError(
            f"{out}: has no {SCENARIO_JSON}, and the scenario file {source} has changed since "
            "the run: run it again to report on it"
        )
    scenario = load_scenario(path)
    if scenario.name != meta.get("scenario", scenario.name):
        raise PlacesimError(
            f"{path}: is scenario {scenario.name!r}, but the run was of {meta['scenario']!r}"
        )
    return scenario
