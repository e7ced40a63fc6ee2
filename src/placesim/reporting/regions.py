"""A region's output folder, written place by place as the places finish.

Layout (``pandas.read_parquet(out / "measures")`` reads every place, with a ``place``
column, as Parquet datasets partitioned by place are read)::

    region.json                      the region, seeds, replications; complete at the end
    measures/place=NAME/part-0.parquet
    daily/place=NAME/part-0.parquet
    stays/place=NAME/part-0.parquet  (when the run keeps its stays)
    bands/place=NAME/part-0.parquet  the census bands the report draws
    parameters/place=NAME/...        (when the place has uncertain inputs)
    scenarios/NAME.json              the place's scenario as it ran
    places/NAME.json                 the place's manifest, written after its files
    summary_by_place.csv, region_summary.csv, places.csv   at the end

Names are percent-encoded in paths (pyarrow decodes them when it reads the dataset). A
place is done when its manifest exists and every file it lists has the recorded size and
SHA-256; anything else is run again.
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from placesim.errors import PlacesimError, PlacesimWarning
from placesim.measures import RegionResult
from placesim.reporting.outputs import _atomic_write, _file_hash, write_table, write_text
from placesim.scenario import Region, Scenario, scenario_data
from placesim.version import __version__

__all__ = [
    "REGION_JSON",
    "REGION_TABLES",
    "claim_region_folder",
    "finish_region_folder",
    "read_region",
    "read_region_place",
    "write_region_place",
]

REGION_JSON = "region.json"
_SUMMARIES = ("summary_by_place.csv", "region_summary.csv", "places.csv", "report.html")
REGION_TABLES = ("measures", "daily", "stays", "bands", "parameters")
"""The tables a place may have in a region folder, each a Parquet dataset by place."""


def _key(name: str) -> str:
    return quote(name, safe="")


def _part(out: Path, table: str, name: str) -> Path:
    return out / table / f"place={_key(name)}" / "part-0.parquet"


def _manifest(out: Path, name: str) -> Path:
    return out / "places" / f"{_key(name)}.json"


def _parquet(frame: pd.DataFrame) -> Callable[[Path], None]:
    return lambda path: frame.to_parquet(path, index=False)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def claim_region_folder(out: Path, region: Region, replications: int) -> None:
    """Make `out` this region's folder, or check that it already is one.

    Refused: a folder with other files in it (it is not a region run's), or another
    region's. Places written before that are no longer in the region are removed, so the
    folder's datasets hold only this region's places.
    """
    meta_path = out / REGION_JSON
    if out.exists() and not out.is_dir():
        raise PlacesimError(f"out: {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        meta = _read_json(meta_path)
        if not isinstance(meta, dict):
            raise PlacesimError(
                f"out: {out} has files in it but no readable {REGION_JSON}: it is not a region "
                "run's folder; choose an empty or new folder"
            )
        if meta.get("region") != region.name:
            raise PlacesimError(
                f"out: {out} holds region {meta.get('region')!r}, not {region.name!r}; choose "
                "another folder or remove it"
            )
    out.mkdir(parents=True, exist_ok=True)
    # The summaries of an earlier run describe it, not this one: they go until this one
    # writes its own (its places, checked against their manifests, are kept to resume).
    for name in _SUMMARIES:
        (out / name).unlink(missing_ok=True)
    names = {p.name for p in region.places}
    for manifest in sorted((out / "places").glob("*.json")):
        held = _read_json(manifest)
        place = held.get("place") if isinstance(held, dict) else None
        if place not in names:
            _remove_place(out, str(place) if place is not None else None, manifest)
    meta = {
        "placesim_version": __version__,
        "region": region.name,
        "seed": region.seed,
        "replications": replications,
        "places": {p.name: p.seed for p in region.places},
        "complete": False,
    }
    write_text(meta_path, json.dumps(meta, indent=2) + "\n")


def _remove_place(out: Path, name: str | None, manifest: Path) -> None:
    manifest.unlink(missing_ok=True)
    if name is None:
        return
    for table in REGION_TABLES:
        shutil.rmtree(_part(out, table, name).parent, ignore_errors=True)
    (out / "scenarios" / f"{_key(name)}.json").unlink(missing_ok=True)


def write_region_place(
    out: Path,
    name: str,
    seed: int,
    fingerprint: str,
    scenario: Scenario,
    tables: Mapping[str, pd.DataFrame],
) -> None:
    """Write one place's tables into the region folder `out`, then its manifest."""
    manifest = _manifest(out, name)
    manifest.unlink(missing_ok=True)  # not done until the new manifest is written
    files: dict[str, dict[str, Any]] = {}
    for table in REGION_TABLES:
        path = _part(out, table, name)
        if table not in tables:
            shutil.rmtree(path.parent, ignore_errors=True)  # an earlier run's, now stale
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = tables[table]
        _atomic_write(path, _parquet(frame))
        files[table] = {
            "path": path.relative_to(out).as_posix(),
            "rows": len(frame),
            "bytes": path.stat().st_size,
            "sha256": _file_hash(path),
        }
    scenario_path = out / "scenarios" / f"{_key(name)}.json"
    scenario_path.parent.mkdir(parents=True, exist_ok=True)
    write_text(scenario_path, json.dumps(scenario_data(scenario), indent=2) + "\n")
    about = {
        "place": name,
        "seed": seed,
        "fingerprint": fingerprint,
        "scenario": scenario_path.relative_to(out).as_posix(),
        "files": files,
    }
    manifest.parent.mkdir(parents=True, exist_ok=True)
    write_text(manifest, json.dumps(about, indent=2) + "\n")


def read_region_place(
    out: Path, name: str, fingerprint: str
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """A place's measures and census bands from the region folder `out`, if it was written
    completely for the same scenario, seed and replications (`fingerprint`); else None,
    with a warning when a written place has to run again."""
    path = _manifest(out, name)
    if not path.exists():
        return None
    about = _read_json(path)
    problem = None
    if not isinstance(about, dict) or "files" not in about:
        problem = "its manifest is damaged"
    elif about.get("fingerprint") != fingerprint:
        return None  # another scenario, seed or replications: simply run it now
    else:
        for table, info in about["files"].items():
            file = out / str(info["path"])
            if not file.is_file():
                problem = f"its {table} table is missing"
            elif file.stat().st_size != info["bytes"] or _file_hash(file) != info["sha256"]:
                problem = f"its {table} table changed after it was written"
            if problem:
                break
        if problem is None and not {"measures", "bands"} <= set(about["files"]):
            problem = "its manifest lists no measures"
    if problem is not None:
        warnings.warn(PlacesimWarning(f"place {name}: {problem}; running it again"), stacklevel=3)
        return None
    measures = pd.read_parquet(_part(out, "measures", name)).assign(place=name)
    bands = pd.read_parquet(_part(out, "bands", name)).assign(place=name)
    return measures, bands


def finish_region_folder(out: Path, result: RegionResult) -> list[Path]:
    """Write the region's summaries into `out` and mark it complete in region.json."""
    written = [
        write_table(result.summary(), out / "summary_by_place.csv"),
        write_table(result.region_summary(), out / "region_summary.csv"),
    ]
    settings = set(result.measures["setting"].astype(str))
    if "acute" in settings:
        written.append(write_table(result.place_table("acute"), out / "places.csv"))
    meta = {
        "placesim_version": __version__,
        "region": result.name,
        "seed": result.seed,
        "replications": result.replications,
        "places": result.seeds,
        "targets": result.targets,
        "timings_s": result.timings,
        "complete": True,
    }
    written.append(write_text(out / REGION_JSON, json.dumps(meta, indent=2) + "\n"))
    return written


def read_region(out: str | Path) -> RegionResult:
    """Read back the result of a finished region run from its folder."""
    folder = Path(out)
    meta = _read_json(folder / REGION_JSON)
    if not isinstance(meta, dict):
        raise PlacesimError(f"{folder}: has no readable {REGION_JSON}: not a region run's folder")
    if not meta.get("complete"):
        raise PlacesimError(
            f"{folder}: the region run did not finish: run it again into the same folder to "
            "resume from the places already written"
        )
    seeds = {str(k): int(v) for k, v in meta["places"].items()}
    names = list(seeds)
    frames = {}
    for table in ("measures", "bands"):
        frame = pd.read_parquet(folder / table)
        frame["place"] = pd.Categorical(frame["place"].astype(str), categories=names)
        frames[table] = frame.sort_values("place", kind="stable").reset_index(drop=True)
    frames["measures"]["setting"] = frames["measures"]["setting"].astype(str)
    return RegionResult(
        name=str(meta["region"]),
        seed=int(meta["seed"]),
        replications=int(meta["replications"]),
        seeds=seeds,
        measures=frames["measures"],
        targets={str(k): dict(v) for k, v in meta.get("targets", {}).items()},
        bands=frames["bands"],
        out=folder,
        timings={str(k): float(v) for k, v in meta.get("timings_s", {}).items()},
    )
