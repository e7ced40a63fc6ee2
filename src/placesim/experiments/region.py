"""Regions: every place of a region run as its own scenario, side by side.

Places x replications are independent tasks (each a plain function of the place's
scenario, the replication and the place's seed), run serially, on local processes or on a
Dask cluster. A place's tables are written as soon as its last replication is in (Parquet
partitioned by place, then the place's manifest), so the client holds only measures, and
a run interrupted after some places resumes from them: a place whose manifest and files
check out, for the same scenario, seed and replications, is read back instead of run.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from placesim.engine import check_engine
from placesim.errors import PlacesimError
from placesim.experiments.progress import Progress
from placesim.experiments.simulate import Replication, parameter_table, run_replication
from placesim.experiments.tasks import WORKER_TIMEOUT_S, Work, run_tasks
from placesim.measures import RegionResult, days_over_target
from placesim.reporting.folders import claim_folder
from placesim.reporting.regions import (
    claim_region_folder,
    finish_region_folder,
    read_region_place,
    write_region_place,
)
from placesim.scenario import MAX_REPLICATIONS, Region, Scenario, scenario_data

__all__ = ["census_bands_of", "place_fingerprint", "simulate_region"]

Task = tuple[Scenario, int, int]


def place_fingerprint(scenario: Scenario, seed: int, replications: int, keep_stays: bool) -> str:
    """What a place's written tables depend on: its scenario as run, seed, replications
    and whether it kept its stays (SHA-256 of them as JSON)."""
    spec = {
        "scenario": scenario_data(scenario),
        "seed": seed,
        "replications": replications,
        "keep_stays": keep_stays,
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()


def census_bands_of(daily: pd.DataFrame) -> pd.DataFrame:
    """A place's midnight census over replications, day by day and setting: setting, day,
    date, p05, median, p95, capacity (the median capacity in force)."""
    keys = ["setting", "day", "date"]
    grouped = daily.groupby(keys, observed=True, sort=True)
    census = grouped["census"]
    out = pd.DataFrame(
        {
            "p05": census.quantile(0.05),
            "median": census.quantile(0.5),
            "p95": census.quantile(0.95),
            "capacity": grouped["capacity"].median(),
        }
    ).reset_index()
    out["setting"] = out["setting"].astype(str)
    return out


def simulate_region(
    region: Region,
    replications: int | None = None,
    seed: int | None = None,
    *,
    out: str | Path | None = None,
    workers: int = 1,
    client: Any = None,
    keep_stays: bool = True,
    progress: bool | None = None,
    engine: str = "fast",
    worker_timeout: float = WORKER_TIMEOUT_S,
) -> RegionResult:
    """Run every place of `region` for `replications` replications (default the region's).

    Each place runs on its own seed (``region.places[i].seed``, from the region's seed and
    the place's name), so a place gives the same tables here as run alone with
    :func:`placesim.simulate` on that seed, whichever other places run and wherever.

    Parameters
    ----------
    region
        From :func:`placesim.load_region`.
    seed
        The region's root seed (default the file's); each place's is derived from it.
    out
        A folder to write each place's tables to as it finishes: ``measures/``, ``daily/``,
        ``stays/`` (with `keep_stays`) and ``bands/``, each Parquet partitioned by place
        (``pandas.read_parquet(out / "measures")`` reads every place, with a ``place``
        column), then ``places/NAME.json``, and at the end the region's summaries. Run
        again into the same folder, the places already written (and checked against their
        manifests) are read back, not run again.
    workers, client, engine, worker_timeout
        As for :func:`placesim.simulate`.
    keep_stays
        Write each place's per-stay table (only with `out`: a region's stays are never
        held in memory).
    progress
        Show a progress line of places done (default: on a terminal, after a few seconds).
    """
    n = region.replications if replications is None else replications
    if seed is not None:
        if seed < 0:
            raise PlacesimError(f"seed: {seed} is not allowed: must be >= 0")
        region = region.with_seed(seed)
    if not 1 <= n <= MAX_REPLICATIONS:
        raise PlacesimError(
            f"replications: {n} is not allowed: must be from 1 to {MAX_REPLICATIONS:,}"
        )
    if workers < 1:
        raise PlacesimError(f"workers: {workers} is not allowed: must be >= 1")
    check_engine(engine)
    folder = Path(out) if out is not None else None
    if folder is None:
        return _simulate_region(
            region, n, None, workers, client, keep_stays, progress, engine, worker_timeout
        )
    with claim_folder(folder):  # a second run into the folder is refused at once
        return _simulate_region(
            region, n, folder, workers, client, keep_stays, progress, engine, worker_timeout
        )


def _simulate_region(
    region: Region,
    n: int,
    folder: Path | None,
    workers: int,
    client: Any,
    keep_stays: bool,
    progress: bool | None,
    engine: str,
    worker_timeout: float,
) -> RegionResult:
    start = time.perf_counter()
    keep = keep_stays and folder is not None
    prints = {p.name: place_fingerprint(p.scenario, p.seed, n, keep) for p in region.places}
    done: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    if folder is not None:
        claim_region_folder(folder, region, n)
        for p in region.places:
            found = read_region_place(folder, p.name, prints[p.name])
            if found is not None:
                done[p.name] = found
    left = [p for p in region.places if p.name not in done]
    ran = {p.name for p in left}
    tasks: list[Task] = [(p.scenario, r, p.seed) for p in left for r in range(n)]
    collected: dict[str, dict[int, Replication]] = {p.name: {} for p in left}
    timings: dict[str, float] = {}
    bar = Progress(len(region.places), f"{region.name}: places", enabled=progress)
    bar.advance(len(done))

    def finished(index: int, rep: Replication) -> None:
        place = left[index // n]
        parts = collected[place.name]
        parts[index % n] = rep
        counts = {**rep.timings, "episodes": rep.episodes, "events": rep.events}
        for key, value in counts.items():
            timings[key] = timings.get(key, 0.0) + value
        if len(parts) == n:
            ordered = [parts[r] for r in range(n)]
            del collected[place.name]  # its stays go once written
            done[place.name] = _finish_place(
                place.name, place.seed, place.scenario, ordered, folder, prints[place.name]
            )
            bar.advance()

    job = partial(run_replication, engine=engine, keep_stays=keep)
    work = Work(
        "place replications",
        lambda i: f"place {left[i // n].name}, replication {i % n}",
        "or run again into the same folder to resume from the places already written",
    )
    try:
        run_tasks(
            job,
            tasks,
            finished,
            work,
            workers=workers,
            client=client,
            worker_timeout=worker_timeout,
        )
    finally:
        bar.close()
    timings["wall_s"] = time.perf_counter() - start
    names = [p.name for p in region.places]
    measures = pd.concat([done[name][0] for name in names], ignore_index=True)
    measures["place"] = pd.Categorical(measures["place"], categories=names)
    bands = pd.concat([done[name][1] for name in names], ignore_index=True)
    bands["place"] = pd.Categorical(bands["place"], categories=names)
    result = RegionResult(
        name=region.name,
        seed=region.seed,
        replications=n,
        seeds={p.name: p.seed for p in region.places},
        measures=measures,
        targets={p.name: _targets(p.scenario) for p in region.places},
        bands=bands,
        out=folder,
        timings=timings,
        resumed=tuple(name for name in names if name not in ran),
    )
    if folder is not None:
        finish_region_folder(folder, result)
    return result


def _targets(scenario: Scenario) -> dict[str, float]:
    options = scenario.measures
    return {name: options.target(name) for name in scenario.settings.defined()}


def _finish_place(
    name: str,
    seed: int,
    scenario: Scenario,
    parts: Sequence[Replication],
    folder: Path | None,
    fingerprint: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A place's tables from its replications: written to `folder` when given; returns its
    measures (with ``days_over_target``) and census bands, each with a ``place`` column."""
    daily = pd.concat([p.daily for p in parts], ignore_index=True)
    measures = pd.concat(
        [*(p.measures for p in parts), days_over_target(daily, _targets(scenario))],
        ignore_index=True,
    )
    measures["setting"] = measures["setting"].astype(str)
    bands = census_bands_of(daily)
    if folder is not None:
        tables = {"measures": measures, "daily": daily, "bands": bands}
        if parts[0].stays is not None:
            tables["stays"] = pd.concat([p.stays for p in parts], ignore_index=True)
        parameters = parameter_table(parts)
        if not parameters.empty:
            tables["parameters"] = parameters
        write_region_place(folder, name, seed, fingerprint, scenario, tables)
    return measures.assign(place=name), bands.assign(place=name)
