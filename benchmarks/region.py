"""Benchmark a region: a synthetic England of about 150 places, each its own scenario.

    python benchmarks/region.py [--replications N] [--places K] [--workers W [W ...]]
        [--dask W [W ...]] [--pooled] [--seed S] [--json FILE]
    python benchmarks/region.py --places 4 --replications 2 --dask 2 --pooled   # a quick check
    python benchmarks/region.py --write-table      # rebuild benchmarks/england_places.csv

The places are the rows of ``england_places.csv`` (NHS region, ICB, place, population;
built by :func:`england_table` from published totals, see ``england_places.md``). Each
place is the default scenario (``scenarios/rotherham_baseline.yaml``) scaled to its
population by ``run.py``'s :func:`scaled_scenario` (people and care-home residents,
capacities, starting census, referral rates), and further by :func:`place_scenario`:
the escalation levels' added places (``add_capacity``), their most extra places
(``max_extra_capacity``), their added staff (``add_staff``) and the thresholds of
triggers on people counts (``waiting``, ``census``: ``at_least`` and ``step_down.below``,
never below 1), which run.py leaves at Rotherham's values. Occupancy thresholds, rates,
shares, lengths of stay and unit costs are per person or per bed and stay as they are.

Each configuration runs in a fresh process (so its peak memory is its own), after a
7-day run of the default scenario has compiled or loaded the numba engine and imported
what a replication needs (run.py's ``_jit_warmup``: ``jit_warmup_s``, not timed), and calls
``placesim.simulate_region(region, N, keep_stays=False, out=None)``:

- ``--workers W``: W local processes (1: serially in the measuring process);
- ``--dask W``: a ``dask.distributed.LocalCluster(n_workers=W, threads_per_worker=1,
  processes=True)``, started (``cluster_start_s``) and warmed up before timing;
- ``--pooled``: the same people as one pooled place (the default scenario scaled to the
  sum of the places' populations), for the same replications, on the first ``--workers``.

Figures: ``wall_s`` (the call to simulate_region), ``task_s`` (the place replications'
summed demand, engine and measures seconds, ``RegionResult.timings``: wall time inside
each task, so CPU time only on an otherwise idle core), ``place_reps_per_s_per_core``,
``episodes`` and ``episodes_per_s`` (``RegionResult.timings``), ``admissions_per_s``
(acute admissions, from the measures),
``us_per_episode`` (task_s per episode), ``client_peak_rss_mb`` (the measuring process),
``worker_peak_rss_mb`` (the largest worker process's peak: ``RUSAGE_CHILDREN`` for local
processes, each Dask worker's own ``RUSAGE_SELF``), ``parallel_efficiency`` (task_s over
wall_s x cores: how busy the workers were kept), ``speedup`` (wall_s on 1 worker of the
same kind over this run's, when ``--workers 1 2`` or ``--dask 1 2`` ran 1 first),
``england_x10_estimate_s`` (wall_s scaled linearly to all of England's people and 10
replications on the same cores) and ``load_1min`` (the 1-minute load average, the larger
of before and after the run; it includes this benchmark's own processes of the moments
before, and other work on a shared machine slows parallel runs most).

With ``--pooled`` it also compares blocking in acute, pooled against the places (mean
over replications): people waiting for a bed (``waiting_mean``, summed over places, and
per 100k people), delayed bed days per 100k people, occupancy (beds occupied over beds
in the region, and the median, 90th percentile and largest place's rate), the share of
place-days whose midnight census is over the 92% target, and escalated days per place.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import math
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for run.py when run from anywhere

from run import SCENARIO, _jit_warmup, _machine, scaled_scenario  # noqa: E402

TABLE = HERE / "england_places.csv"

ENGLAND_PEOPLE = 58_600_000
"""England mid-2024, about 58.6 million [E] (planning-facts Q24)."""

NHS_REGIONS: tuple[tuple[str, int], ...] = (
    ("London", 9_300_000),
    ("South East", 9_600_000),
    ("South West", 5_900_000),
    ("East of England", 6_500_000),
    ("Midlands", 11_200_000),
    ("North East and Yorkshire", 8_500_000),
    ("North West", 7_600_000),
)
"""NHS England's 7 regions, synthetic populations [E] (planning-facts Q26: ONS region
shares mapped to NHS regions x 58.6 million); they sum to ENGLAND_PEOPLE."""

ICBS = 42
"""42 ICBs / ICSs [R] (planning-facts Q27), each about 0.5 to 3 million people [R]."""
ICB_RANGE = (500_000, 3_000_000)
PLACES = 150
"""About 150 places (issue 18) [E]."""
MIN_PLACES_PER_ICB = 2
ICB_WEIGHTS = (3.0, 1.0)
"""An ICB's share of its region: weights from 3 (the first, largest) down to 1 (the last)
in equal steps [E]."""
PLACE_WEIGHTS = (2.0, 1.0)
"""A place's share of its ICB: weights from 2 (the first) down to 1 (the last) [E]."""
SOURCE = "Q24,Q26 region; Q27 ICB count; ICB/place split by rule [E] (england_places.md)"

TRIGGER_COUNTS = ("waiting", "census")
"""Escalation trigger measures that count people, whose thresholds scale with the place."""


# --- The table of places ---------------------------------------------------------------


def apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Whole numbers in proportion to `weights` that sum to `total` (largest remainders,
    ties to the earlier item), each at least `minimum` (taken from the largest)."""
    scale = sum(weights)
    exact = [total * w / scale for w in weights]
    out = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    for i in range(len(out)):
        while out[i] < minimum:
            out[max(range(len(out)), key=lambda j: (out[j], -j))] -= 1
            out[i] += 1
    return out


def _ramp(n: int, high: float, low: float) -> list[float]:
    """`n` weights from `high` down to `low` in equal steps (one weight: `high`)."""
    if n == 1:
        return [high]
    return [high - (high - low) * i / (n - 1) for i in range(n)]


def england_table() -> list[dict[str, Any]]:
    """England's places [E], from the regions' populations: ICBs per region in proportion
    to population (42 in all), each region's people split between its ICBs by weights
    3 .. 1, places per ICB in proportion to its people (150 in all, at least 2 each), each
    ICB's people split between its places by weights 2 .. 1. Every split is whole people
    by largest remainders, so every level sums exactly to the one above."""
    regions = [pop for _, pop in NHS_REGIONS]
    if sum(regions) != ENGLAND_PEOPLE:
        raise ValueError(f"the regions sum to {sum(regions):,}, not {ENGLAND_PEOPLE:,}")
    icb_counts = apportion(ICBS, regions, minimum=1)
    icbs: list[tuple[str, str, int]] = []  # region, ICB, people
    for (region, people), n in zip(NHS_REGIONS, icb_counts, strict=True):
        for i, pop in enumerate(apportion(people, _ramp(n, *ICB_WEIGHTS))):
            icbs.append((region, f"{region} ICB {i + 1}", pop))
    for _, icb, pop in icbs:
        if not ICB_RANGE[0] <= pop <= ICB_RANGE[1]:
            raise ValueError(f"{icb}: {pop:,} people is outside Q27's 0.5-3 million")
    place_counts = apportion(PLACES, [pop for *_, pop in icbs], minimum=MIN_PLACES_PER_ICB)
    rows = []
    for (region, icb, pop), n in zip(icbs, place_counts, strict=True):
        for j, people in enumerate(apportion(pop, _ramp(n, *PLACE_WEIGHTS))):
            rows.append(
                {
                    "nhs_region": region,
                    "icb": icb,
                    "place": f"{icb} place {j + 1}",
                    "population": people,
                    "source": SOURCE,
                }
            )
    return rows


def write_table(path: Path = TABLE) -> list[dict[str, Any]]:
    rows = england_table()
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def read_table(path: Path = TABLE) -> list[dict[str, Any]]:
    """The places of ``england_places.csv``, populations as integers."""
    with path.open(newline="") as f:
        return [{**row, "population": int(row["population"])} for row in csv.DictReader(f)]


# --- Scenarios and the region ----------------------------------------------------------


@functools.cache
def _base_people() -> int:
    """People in the default scenario (at home and in care homes): 270,431."""
    import yaml

    raw = yaml.safe_load(SCENARIO.read_text())
    return sum(
        int(n)
        for loc in raw["population"]["localities"]
        for key in ("people", "care_home_residents")
        for n in loc.get(key, {}).values()
    )


def place_scenario(people: int, name: str) -> Any:
    """The default scenario scaled to `people` (run.py's `scaled_scenario`), with its
    escalation scaled too (added places and staff, their cap, and the thresholds of
    triggers that count people), named `name`."""
    import placesim
    from placesim.scenario import scenario_data

    k = people / _base_people()
    data = scenario_data(scaled_scenario(people))
    esc = data.get("escalation") or {}
    for level in esc.get("levels", []):
        level["add_capacity"] = {s: round(n * k) for s, n in level["add_capacity"].items()}
        level["add_staff"] = {s: n * k for s, n in level.get("add_staff", {}).items()}
        if level["trigger"]["measure"] in TRIGGER_COUNTS:
            level["trigger"]["at_least"] = max(1, round(level["trigger"]["at_least"] * k))
            below = (level.get("step_down") or {}).get("below")
            if below is not None:
                level["step_down"]["below"] = max(1, round(below * k))
    esc["max_extra_capacity"] = {
        s: n if n == "unlimited" else round(n * k)
        for s, n in esc.get("max_extra_capacity", {}).items()
    }
    data["name"] = name
    return placesim.parse_scenario(data)


def scenario_people(scenario: Any) -> int:
    """People in a scenario, at home and in care homes (after rounding by age band)."""
    return sum(
        int(n)
        for loc in scenario.population.localities
        for band in (loc.people, loc.care_home_residents)
        for n in band.values()
    )


def england_region(rows: Sequence[dict[str, Any]], seed: int, name: str = "england") -> Any:
    """The region of `rows` (name, population), each place its own scaled scenario."""
    from placesim.scenario import Place, Region, place_seed

    places = tuple(
        Place(r["place"], place_seed(seed, r["place"]), place_scenario(r["population"], r["place"]))
        for r in rows
    )
    return Region(
        name=name,
        description="A synthetic England: benchmarks/england_places.csv",
        seed=seed,
        replications=10,
        places=places,
    )


def pooled_region(people: int, seed: int) -> Any:
    """One pooled place of `people`: the default scenario scaled to them."""
    return england_region([{"place": "pooled", "population": people}], seed, "pooled")


# --- Measuring -------------------------------------------------------------------------


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


def _worker_peak_rss_mb() -> float:
    """This process's peak resident memory (run on each Dask worker)."""
    import resource as r

    return r.getrusage(r.RUSAGE_SELF).ru_maxrss / 1024.0


def blocking(result: Any, people: dict[str, int], horizon_days: int) -> dict[str, float]:
    """Acute blocking of a region run, means over replications: summed over the places,
    per 100k people, and the spread of the places' occupancy."""
    import numpy as np

    m = result.measures
    acute = m[m["setting"] == "acute"]
    wide = acute.pivot_table(
        index=["replication", "place"], columns="measure", values="value", observed=True
    )
    reps = wide.groupby(level="replication").sum()
    total = sum(people.values())
    per_place = wide.groupby(level="place", observed=True).mean()
    rate = per_place["occupancy_rate"].to_numpy(dtype=float)
    n = len(people)
    return {
        "places": n,
        "people": total,
        "admissions_per_100k": float(reps["admissions"].mean() / total * 1e5),
        "waiting_mean": float(reps["waiting_mean"].mean()),
        "waiting_per_100k": float(reps["waiting_mean"].mean() / total * 1e5),
        "delayed_bed_days_per_100k": float(reps["delayed_bed_days"].mean() / total * 1e5),
        "dtoc_rate": float((reps["delayed_bed_days"] / reps["bed_days"]).mean()),
        "occupancy_rate": float((reps["occupancy_mean"] / reps["capacity"]).mean()),
        "occupancy_rate_place_median": float(np.median(rate)),
        "occupancy_rate_place_p90": float(np.quantile(rate, 0.9)),
        "occupancy_rate_place_max": float(rate.max()),
        "share_place_days_over_target": float(reps["days_over_target"].mean() / (n * horizon_days)),
        "days_escalated_per_place": float(
            m[m["measure"] == "days_escalated"].groupby("replication")["value"].sum().mean() / n
        ),
    }


def measure(
    kind: str,
    workers: int,
    rows: list[dict[str, Any]],
    replications: int,
    seed: int,
    start_method: str | None = None,
) -> dict[str, Any]:
    """Run one configuration in this process: `kind` "processes", "dask" or "pooled".

    `start_method` is the multiprocessing start method simulate_region's local workers
    use: the caller's own default (fork on Linux before Python 3.14). Without it, a
    process started by spawn makes spawn its default, and every local worker would
    import placesim and load the engine inside the timed run.
    """
    import placesim

    if start_method is not None:
        multiprocessing.set_start_method(start_method, force=True)
    figures: dict[str, Any] = {"jit_warmup_s": _jit_warmup(), "load_before": os.getloadavg()}
    start = time.perf_counter()
    region = (
        pooled_region(sum(r["population"] for r in rows), seed)
        if kind == "pooled"
        else england_region(rows, seed)
    )
    figures["build_s"] = time.perf_counter() - start
    people = {p.name: scenario_people(p.scenario) for p in region.places}
    horizon = region.places[0].scenario.calendar.horizon_days
    if kind == "dask":
        figures.update(_run_on_dask(region, replications, workers))
        result = figures.pop("result")
    else:
        start = time.perf_counter()
        result = placesim.simulate_region(
            region, replications, workers=workers, keep_stays=False, out=None, progress=False
        )
        figures["wall_s"] = time.perf_counter() - start
        who = resource.RUSAGE_SELF if workers == 1 else resource.RUSAGE_CHILDREN
        figures["worker_peak_rss_mb"] = _peak_rss_mb(who)
    figures["client_peak_rss_mb"] = _peak_rss_mb()
    figures["load_after"] = os.getloadavg()
    figures["load_1min"] = max(figures["load_before"][0], figures["load_after"][0])
    t = result.timings
    task = t["demand_s"] + t["engine_s"] + t["measures_s"]
    m = result.measures
    admissions = float(m[(m["measure"] == "admissions") & (m["setting"] == "acute")]["value"].sum())
    wall = figures["wall_s"]
    tasks = len(region.places) * replications
    figures.update(
        kind=kind,
        workers=workers,
        places=len(region.places),
        people=sum(people.values()),
        replications=replications,
        task_s=task,
        demand_s=t["demand_s"],
        engine_s=t["engine_s"],
        measures_s=t["measures_s"],
        place_reps_per_s_per_core=tasks / wall / workers,
        task_s_per_place_rep=task / tasks,
        admissions=admissions,
        admissions_per_s=admissions / wall,
        parallel_efficiency=task / (wall * workers),
        england_x10_estimate_s=wall * ENGLAND_PEOPLE / sum(people.values()) * 10 / replications,
    )
    episodes = int(t["episodes"])
    figures.update(
        episodes=episodes,
        events=int(t["events"]),
        episodes_per_s=episodes / wall,
        us_per_episode=task / episodes * 1e6,
    )
    figures["blocking"] = blocking(result, people, horizon)
    return figures


def _run_on_dask(region: Any, replications: int, workers: int) -> dict[str, Any]:
    import logging

    from dask.distributed import Client, LocalCluster

    import placesim

    start = time.perf_counter()
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        client.run(_jit_warmup)
        figures: dict[str, Any] = {"cluster_start_s": time.perf_counter() - start}
        start = time.perf_counter()
        figures["result"] = placesim.simulate_region(
            region, replications, client=client, keep_stays=False, out=None, progress=False
        )
        figures["wall_s"] = time.perf_counter() - start
        peaks = client.run(_worker_peak_rss_mb)
    figures["worker_peak_rss_mb"] = max(peaks.values())
    figures["worker_peak_rss_mb_each"] = sorted(peaks.values())
    return figures


# --- Output ----------------------------------------------------------------------------

COLUMNS = (
    ("places", "places", "{:,.0f}"),
    ("people", "people", "{:,.0f}"),
    ("replications", "reps", "{:.0f}"),
    ("workers", "cores", "{:.0f}"),
    ("wall_s", "wall s", "{:.2f}"),
    ("task_s", "task s", "{:.2f}"),
    ("place_reps_per_s_per_core", "place-reps/s/core", "{:.2f}"),
    ("episodes_per_s", "episodes/s", "{:,.0f}"),
    ("admissions_per_s", "admissions/s", "{:,.0f}"),
    ("us_per_episode", "us/episode", "{:.2f}"),
    ("parallel_efficiency", "efficiency", "{:.2f}"),
    ("speedup", "speedup", "{:.2f}"),
    ("client_peak_rss_mb", "client MB", "{:,.0f}"),
    ("worker_peak_rss_mb", "worker MB", "{:,.0f}"),
    ("england_x10_estimate_s", "England x10 s", "{:,.0f}"),
    ("load_1min", "load", "{:.2f}"),
)

BLOCKING = (
    ("admissions_per_100k", "acute admissions per 100k", "{:,.0f}"),
    ("waiting_mean", "people waiting for a bed (mean)", "{:,.1f}"),
    ("waiting_per_100k", "  per 100k people", "{:.3f}"),
    ("delayed_bed_days_per_100k", "delayed bed days per 100k", "{:,.0f}"),
    ("dtoc_rate", "delayed share of bed days", "{:.2%}"),
    ("occupancy_rate", "occupancy (beds used / beds)", "{:.2%}"),
    ("occupancy_rate_place_median", "  place median", "{:.2%}"),
    ("occupancy_rate_place_p90", "  place p90", "{:.2%}"),
    ("occupancy_rate_place_max", "  largest place", "{:.2%}"),
    ("share_place_days_over_target", "place-days over 92%", "{:.1%}"),
    ("days_escalated_per_place", "days escalated per place", "{:.1f}"),
)


def _cell(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return fmt.format(value)


def print_table(results: dict[str, dict[str, Any]]) -> None:
    width = max(len(k) for k in results) + 2
    widths = [max(len(head), 9) + 2 for _, head, _ in COLUMNS]
    header = "".join(f"{head:>{w}}" for (_, head, _), w in zip(COLUMNS, widths, strict=True))
    print(f"{'run':<{width}}{header}")
    for name, v in results.items():
        cells = (
            f"{_cell(v.get(key), fmt):>{w}}"
            for (key, _, fmt), w in zip(COLUMNS, widths, strict=True)
        )
        print(f"{name:<{width}}" + "".join(cells))
        if "cluster_start_s" in v:
            each = ", ".join(f"{x:,.0f}" for x in v["worker_peak_rss_mb_each"])
            print(
                f"{'':<{width}}cluster started and warmed in {v['cluster_start_s']:.1f} s; "
                f"worker peaks {each} MB"
            )
    if "pooled" not in results:
        return
    places = next(v for k, v in results.items() if k != "pooled")
    pooled = results["pooled"]
    print(
        f"\nacute blocking, mean of {pooled['replications']} replications: "
        f"{places['places']} places against one pooled place of the same "
        f"{pooled['people']:,} people"
    )
    a, b = places["blocking"], pooled["blocking"]
    print(f"{'':<34}{'places':>12}{'pooled':>12}{'places/pooled':>15}")
    for key, label, fmt in BLOCKING:
        ratio = a[key] / b[key] if b[key] else math.nan
        print(
            f"{label:<34}{_cell(a[key], fmt):>12}{_cell(b[key], fmt):>12}"
            f"{_cell(ratio, '{:.2f}'):>15}"
        )
    for name, v in (("places", places), ("pooled", pooled)):
        if "us_per_episode" in v:
            print(
                f"{name}: {v['us_per_episode']:.2f} us of replication time per episode, "
                f"{v['task_s'] / v['admissions'] * 1e6:.2f} us per admission"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--places", type=int, default=None, help="run only the first K places")
    parser.add_argument("--workers", type=int, nargs="+", default=None)
    parser.add_argument("--dask", type=int, nargs="+", default=[])
    parser.add_argument("--pooled", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--write-table", action="store_true", help="rebuild the CSV and stop")
    args = parser.parse_args(argv)

    if args.write_table:
        rows = write_table()
        print(f"wrote {TABLE}: {len(rows)} places, {sum(r['population'] for r in rows):,} people")
        return 0
    rows = read_table()
    if rows != [{**r, "population": int(r["population"])} for r in england_table()]:
        print(f"warning: {TABLE.name} differs from england_table(); --write-table rebuilds it")
    rows = rows[: args.places] if args.places else rows
    workers = args.workers or ([1] if not args.dask else [])
    runs = [("processes", w) for w in workers] + [("dask", w) for w in args.dask]
    if args.pooled:
        runs.append(("pooled", workers[0] if workers else 1))
    spawn = multiprocessing.get_context("spawn")
    method = multiprocessing.get_start_method()  # what simulate_region would use from here
    results: dict[str, dict[str, Any]] = {}
    for kind, w in runs:
        name = "pooled" if kind == "pooled" else f"{kind}:{w}"
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            job = pool.submit(measure, kind, w, rows, args.replications, args.seed, method)
            results[name] = job.result()
        results[name]["machine"] = _machine()
        one = results.get(f"{kind}:1")
        if one is not None and kind != "pooled":
            results[name]["speedup"] = one["wall_s"] / results[name]["wall_s"]
    print_table(results)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
