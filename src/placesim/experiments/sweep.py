"""Sweeps: one scenario run at every point of a grid of values, as one tidy table.

Each point is written as soon as it finishes, with a manifest of its rows and checksum
written after it; a sweep run again into the same folder skips the points whose files
match their manifests and runs again (with a warning) any that do not, so an interrupted
sweep resumes where it stopped and gives the same table as one run straight through (every
point uses the same seed: common random numbers across points, too).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from placesim.errors import PlacesimError, PlacesimWarning
from placesim.experiments.simulate import simulate
from placesim.experiments.tasks import WORKER_TIMEOUT_S
from placesim.reporting import read_checked_table, write_checked_table, write_table, write_text
from placesim.scenario import (
    Scenario,
    fit_census,
    override,
    parse_path,
    parse_value,
    scenario_data,
)

__all__ = ["MAX_POINTS", "MAX_RANGE_VALUES", "grid_points", "parse_values", "sweep"]

MAX_POINTS = 1000
"""Most points a sweep runs unless told otherwise (``max_points``, ``--max-points``): each
point is a whole run, so a larger grid is more often a typo than a plan."""
MAX_RANGE_VALUES = 100_000
"""Most values one ``start:stop:step`` range may expand to."""


def parse_values(text: str) -> list[Any]:
    """Values of a sweep axis: ``40:80:5`` (start:stop:step, stop included), ``a,b,c``, or one.

    Items of a list are read as YAML scalars, so numbers stay numbers.
    """
    if text.count(":") == 2 and "," not in text:
        start, stop, step = (parse_value(part) for part in text.split(":"))
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in (start, stop, step)
        ):
            raise PlacesimError(f"{text!r}: a range needs numbers, as in 40:80:5")
        if step <= 0 or stop < start:
            raise PlacesimError(f"{text!r}: a range needs start <= stop and a step > 0")
        count = int((stop - start) / step + 1e-9) + 1
        if count > MAX_RANGE_VALUES:
            raise PlacesimError(
                f"{text!r}: a range of {count:,} values; at most {MAX_RANGE_VALUES:,} (use a "
                "larger step)"
            )
        values = [start + k * step for k in range(count)]
        return [int(v) if isinstance(start, int) and isinstance(step, int) else v for v in values]
    return [parse_value(part.strip()) for part in text.split(",")]


def _fingerprint(scenario: Scenario, grid: Mapping[str, Sequence[Any]], n: int, seed: int) -> str:
    spec = {
        "scenario": scenario_data(scenario),
        "grid": {k: list(v) for k, v in grid.items()},
        "replications": n,
        "seed": seed,
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def grid_points(grid: Mapping[str, Sequence[Any]]) -> int:
    """How many points `grid` has: the product of its axes' lengths."""
    return math.prod(len(values) for values in grid.values())


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Sequence[Any]],
    replications: int | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    workers: int = 1,
    client: Any = None,
    worker_timeout: float = WORKER_TIMEOUT_S,
    max_points: int = MAX_POINTS,
) -> pd.DataFrame:
    """Run `scenario` at every combination of `grid` values; one summary table for all.

    Parameters
    ----------
    scenario
        The scenario every point starts from.
    grid
        Dotted path -> values, e.g. ``{"settings.intermediate_care.capacity": [60, 70, 80]}``.
    replications, seed, workers, client
        As for :func:`placesim.simulate`; every point uses the same seed.
    out
        Folder to write each point to as it finishes, and ``sweep.csv`` at the end. Run
        again with the same arguments, the points already written (and matching their
        manifests) are not run again; a damaged point is run again with a
        :class:`~placesim.errors.PlacesimWarning`. Every point is validated first; a
        capacity below the starting census cuts the census to fit
        (:func:`placesim.scenario.fit_census`).
    max_points
        Refuse a grid with more points than this (default :data:`MAX_POINTS`).

    Returns
    -------
    Columns: point, one column per path, then measure, setting, unit, mean, ci_low, ci_high,
    replications.
    """
    if not grid or any(len(v) == 0 for v in grid.values()):
        raise PlacesimError("grid: give at least one path with at least one value")
    count = grid_points(grid)
    if count > max_points:
        sizes = " x ".join(f"{len(v):,}" for v in grid.values())
        raise PlacesimError(
            f"grid: {count:,} points ({sizes}), more than the {max_points:,} allowed; each "
            "point is a whole run: use fewer values, or raise max_points (--max-points)"
        )
    for path in grid:
        parse_path(path)
    n = scenario.calendar.replications if replications is None else replications
    root = scenario.calendar.seed if seed is None else seed
    folder = Path(out) if out is not None else None
    paths = list(grid)
    points = list(itertools.product(*grid.values()))
    # Every point is checked before anything runs or the folder is claimed.
    variants = [
        override(scenario, fit_census(scenario, dict(zip(paths, point, strict=True))))
        for point in points
    ]
    if folder is not None:
        _claim(folder, _fingerprint(scenario, grid, n, root))
    tables = []
    for k, (point, variant) in enumerate(zip(points, variants, strict=True)):
        file = folder / "points" / f"point-{k:05d}.csv" if folder is not None else None
        if file is not None and (file.exists() or file.with_suffix(".json").exists()):
            done = read_checked_table(file)
            if isinstance(done, pd.DataFrame):
                tables.append(done)
                continue
            where = ", ".join(f"{p}={v}" for p, v in zip(paths, point, strict=True))
            warnings.warn(
                PlacesimWarning(f"sweep point {k} ({where}): {done}; running it again"),
                stacklevel=2,
            )
        result = simulate(
            variant,
            replications=n,
            seed=root,
            workers=workers,
            client=client,
            worker_timeout=worker_timeout,
        )
        table = result.summary()
        for j, (path, value) in enumerate(zip(paths, point, strict=True)):
            table.insert(j, path, value)
        table.insert(0, "point", k)
        if file is not None:
            write_checked_table(table, file)
            table = pd.read_csv(file)  # the same values whether run now or resumed
        tables.append(table)
    combined = pd.concat(tables, ignore_index=True)
    if folder is not None:
        write_table(combined, folder / "sweep.csv")
    return combined


def _claim(folder: Path, fingerprint: str) -> None:
    """Mark `folder` as this sweep's, or refuse if it holds another sweep."""
    manifest = folder / "sweep.json"
    if manifest.exists():
        try:
            held = json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint")
        except (OSError, ValueError, AttributeError):
            raise PlacesimError(
                f"out: {manifest} is damaged, so the sweep in {folder} cannot be resumed; "
                "remove the folder or choose another"
            ) from None
        if held != fingerprint:
            raise PlacesimError(
                f"out: {folder} holds a different sweep (scenario, grid, replications or "
                "seed differ); choose another folder or remove it"
            )
        return
    write_text(manifest, json.dumps({"fingerprint": fingerprint}, indent=2) + "\n")
