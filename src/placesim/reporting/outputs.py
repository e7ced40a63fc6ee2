"""Output folders: the tables of a run written to disk, and read back.

A run's folder is replaced whole once the new run is complete
(:mod:`placesim.reporting.folders`); single files (a comparison table, a report) are
written to a temporary name and renamed into place. Either way an interrupted command
leaves complete files or the previous ones, never a truncated table that looks complete.
A folder written by :func:`write_results` can be read back as the result it came from
(:func:`read_results`), so a report can be rebuilt from it later.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from placesim.errors import PlacesimError, ScenarioError
from placesim.measures import SimulationResult
from placesim.plan.pathways import DESTINATIONS, SOURCES
from placesim.reporting.folders import os_error_message, replace_folder
from placesim.scenario import RESIDENCES, SETTINGS, Scenario, load_scenario, parse_scenario
from placesim.version import __version__

__all__ = [
    "SCENARIO_JSON",
    "read_checked_table",
    "read_results",
    "write_checked_table",
    "write_results",
    "write_table",
    "write_text",
]

_FORMATS = ("csv", "parquet")
SCENARIO_JSON = "scenario.json"
"""The file, next to run.json, that holds the scenario as it ran."""


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
        ``csv`` or ``parquet`` (Parquet needs pyarrow: ``pip install placesim[parquet]``).
    scenario_path
        The scenario file, whose hash goes into run.json.
    extra_files
        Other text files, by name, written into the same folder and swapped in with it
        (``placesim run --report`` puts its report.html here).

    The folder also gets scenario.json, the scenario as it ran (after ``extends`` and
    defaults), and run.json records the type of each column (and the categories of the
    categorical ones), so that :func:`read_results` gives back the same result.

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
    return replace_folder(
        Path(out_dir),
        lambda folder: _write_run(result, folder, fmt, scenario_path, extra_files or {}),
    )


def _write_run(
    result: SimulationResult,
    out: Path,
    fmt: str,
    scenario_path: str | Path | None,
    extra_files: Mapping[str, str],
) -> list[Path]:
    """Every file of a run, into the (new, empty) folder `out`; run.json last."""
    tables = {
        "summary": result.summary(),
        "daily": result.daily,
        **({"stays": result.stays} if result.stays is not None else {}),
        "measures": result.measures,
    }
    written = []
    files: dict[str, dict[str, int]] = {}
    columns: dict[str, dict[str, dict[str, Any]]] = {}
    for name, table in tables.items():
        path = out / f"{name}.{fmt}"
        _writer(table, fmt)(path)
        written.append(path)
        files[path.name] = {"rows": len(table), "bytes": path.stat().st_size}
        columns[path.name] = _column_types(table)
    # The scenario as it ran (after extends and defaults), so that read_results can
    # rebuild the result even when the scenario file has changed or gone.
    scenario_json = out / SCENARIO_JSON
    _write_text(scenario_json, json.dumps(result.scenario.model_dump(mode="json"), indent=2) + "\n")
    written.append(scenario_json)
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
        "files": files,
        "scenario_json": SCENARIO_JSON,
        "columns": columns,
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


def write_checked_table(table: pd.DataFrame, path: Path) -> Path:
    """Write `table` as CSV and then, beside it, a manifest of its rows, bytes and SHA-256.

    The manifest (``NAME.json``) is written after the table, so a table without one, or
    one that does not match it, did not finish writing or was changed since
    (:func:`read_checked_table`).
    """
    write_table(table, path)
    manifest = {"rows": len(table), "bytes": path.stat().st_size, "sha256": _file_hash(path)}
    write_text(path.with_suffix(".json"), json.dumps(manifest, indent=2) + "\n")
    return path


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
        if importlib.util.find_spec("pyarrow") is None:
            raise PlacesimError(
                f"{path.name}: reading Parquet needs pyarrow (pip install 'placesim[parquet]')"
            )
        return pd.read_parquet(path)
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
        elif t["dtype"] not in ("object", "str", "string"):
            table[name] = table[name].astype(t["dtype"])
    return table


def _numeric(t: dict[str, Any]) -> bool:
    dtype = str(t["dtype"])
    return dtype.startswith(("int", "uint", "float"))


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
    meta_path = out / "run.json"
    if not out.is_dir():
        raise PlacesimError(f"{out}: no such folder")
    if not meta_path.is_file():
        raise PlacesimError(
            f"{out}: has no run.json: not a folder written by `placesim run`, or the run "
            "did not finish"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlacesimError(f"{meta_path}: cannot read: {exc}") from None
    scenario = _read_scenario(out, meta)
    files: dict[str, dict[str, int]] = meta.get("files", {})
    columns: dict[str, dict[str, dict[str, Any]]] = meta.get("columns", {})
    tables: dict[str, pd.DataFrame] = {}
    for name in ("daily", "stays", "measures"):
        path = next((out / f for f in files if Path(f).stem == name), None)
        if name == "stays" and path is None:
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
