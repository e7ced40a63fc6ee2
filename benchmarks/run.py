"""Benchmark placesim at place, region and England size against a plain SimPy baseline.

    python benchmarks/run.py --size place region england [--replications N] [--json FILE]
    python benchmarks/run.py --size place --replications 100 --workers 2

Each size is the default scenario (Rotherham, one year) with its people, care-home
residents, capacities, starting census and referrals scaled to the size's population, so the
network keeps its shape and its load. Each size runs in a fresh process, so that its peak
memory is its own. It prints a table and writes (merges into) a JSON object keyed by size,
and a log-log plot of time and memory against people next to it (``FILE`` with ``.png``).

Figures per replication: ``wall_s`` (demand + engine + measures, the measures without the
per-stay table at region and England size), ``episodes_per_s``, ``events`` (the fast
engine's), ``peak_rss_mb`` (before the baseline runs), and ``simpy_baseline_ratio``: the
baseline's engine time over placesim's on the same episodes in the same process
(``benchmarks/simpy_baseline.py``), and ``simpy_baseline_ratio_whole_run`` the same for the
whole replication (the baseline engine with placesim's demand and measures); at England
size both are extrapolated from the smaller sizes (``simpy_baseline_extrapolated``). The
numba compilation (or cache load) is done before any timing and reported as
``jit_warmup_s``.

Per event: ``events_per_episode`` and ``ns_per_event`` (engine time over events); per
episode, ``bytes_per_episode``: the peak RSS above the loaded interpreter over the episodes
(all that a replication holds at its peak: draws, engine state, stays, measures). Right
after each of placesim's replications (up to ``YARDSTICK_RUNS``), in the same process, the
yardstick runs (``benchmarks/yardstick.py``: a plain numba event loop of acute ->
intermediate care with blocking, with as many patients as the replication's episodes over
the same days): ``yardstick_s`` (mean), ``yardstick_events``, ``yardstick_ns_per_event``,
``yardstick_ratio``, placesim's whole replication over the yardstick's time (issue 12's
target: at most 3), and ``engine_yardstick_ratio``, placesim's engine alone over it.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for simpy_baseline when run from anywhere

SCENARIO = HERE.parent / "scenarios" / "rotherham_baseline.yaml"
SIZES = {"place": None, "region": 2_650_000, "england": 57_000_000}
"""People (residents at home and in care homes) at each size; None keeps the place as it
is (270,431: 269,100 at home and 1,331 in care homes)."""
BASELINE_SIZES = ("place", "region")
KEEP_STAYS = {"place": True, "region": False, "england": False}
YARDSTICK_RUNS = 10
"""Yardstick runs per size: one right after each of placesim's first timed replications, at
that replication's number of episodes, so that both see the same load on a shared machine."""


def scaled_scenario(people: int | None) -> Any:
    """The default scenario with everything that grows with the population scaled to `people`.

    People and care-home residents per locality and age band, every setting's capacity (and
    dated capacity), the starting census and referral rates are multiplied by the same
    factor, rounded to whole numbers.
    """
    import placesim

    raw = yaml.safe_load(SCENARIO.read_text())
    if people is None:
        return placesim.parse_scenario(raw)
    total = sum(n for loc in raw["population"]["localities"] for n in loc["people"].values()) + sum(
        n
        for loc in raw["population"]["localities"]
        for n in loc.get("care_home_residents", {}).values()
    )
    k = people / total
    for loc in raw["population"]["localities"]:
        for key in ("people", "care_home_residents"):
            loc[key] = {band: round(n * k) for band, n in loc.get(key, {}).items()}
    for setting in raw["settings"].values():
        if isinstance(setting.get("capacity"), int):
            setting["capacity"] = round(setting["capacity"] * k)
        for change in setting.get("capacity_changes", []):
            change["capacity"] = round(change["capacity"] * k)
    for state in raw.get("initial_state", {}).values():
        for key in ("occupied", "waiting"):
            if key in state:
                state[key] = round(state[key] * k)
    for ref in raw.get("referrals", []):
        ref["rate_per_day"] *= k
    raw["name"] = f"{raw['name']}_x{k:.2f}"
    return placesim.parse_scenario(raw)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _rss_mb() -> float:
    """Resident memory now (Linux; the peak elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return _peak_rss_mb()
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _jit_warmup() -> float:
    """Compile (or load from cache) the fast engine on a short run, before any timing."""
    import placesim
    from placesim.experiments import run_replication

    raw = yaml.safe_load(SCENARIO.read_text())
    raw["calendar"].update(horizon_days=7, warmup_days=0)
    start = time.perf_counter()
    run_replication(placesim.parse_scenario(raw), 0, 1)
    return time.perf_counter() - start


def measure(size: str, replications: int, seed: int, workers: int) -> dict[str, Any]:
    """Run one size in this process and return its figures."""
    from simpy_baseline import run_baseline
    from yardstick import compile_yardstick, run_yardstick

    import placesim
    from placesim.demand import generate_episodes
    from placesim.engine import run_kernel
    from placesim.experiments import run_replication
    from placesim.plan import compile_plan

    warmup = _jit_warmup()
    scenario = scaled_scenario(SIZES[size])
    people = sum(int(n) for loc in scenario.population.localities for n in loc.people.values())
    people += sum(
        int(n) for loc in scenario.population.localities for n in loc.care_home_residents.values()
    )
    keep = KEEP_STAYS[size]
    figures: dict[str, Any] = {"people": people, "replications": replications}
    base_rss = _rss_mb()  # the interpreter, numpy, pandas, numba and the compiled engine
    if workers > 1:
        start = time.perf_counter()
        placesim.simulate(scenario, replications, seed, workers=workers, progress=False)
        figures["workers"] = workers
        figures["total_wall_s"] = time.perf_counter() - start
    timings = {"demand_s": 0.0, "engine_s": 0.0, "measures_s": 0.0}
    episodes = events = stays = 0
    days = scenario.calendar.warmup_days + scenario.calendar.horizon_days
    yard_compile_s = compile_yardstick()
    yard: list[dict[str, Any]] = []
    for r in range(replications if workers == 1 else 1):
        rep = run_replication(scenario, r, seed, keep_stays=keep)
        for key in timings:
            timings[key] += rep.timings[key]
        episodes += rep.episodes
        events += rep.events
        stays += rep.stays_count
        patients = rep.episodes
        del rep
        # Right after it, so both see the same load; the yardstick's arrays (about 60 bytes
        # a patient) stay well below a replication's peak, so peak_rss_mb is placesim's.
        if len(yard) < YARDSTICK_RUNS:
            yard.append(run_yardstick(patients, days, seed=seed + r))
    n = replications if workers == 1 else 1
    wall = sum(timings.values()) / n
    figures.update(
        episodes=episodes / n,
        stays=stays / n,
        events=events / n,
        wall_s=wall,
        **{key: value / n for key, value in timings.items()},
        episodes_per_s=episodes / n / wall,
        peak_rss_mb=_peak_rss_mb(),
        base_rss_mb=base_rss,
        keep_stays=keep,
        jit_warmup_s=warmup,
        events_per_episode=events / episodes,
        ns_per_event=timings["engine_s"] / events * 1e9,
        bytes_per_episode=(_peak_rss_mb() - base_rss) * 2**20 / (episodes / n),
    )
    figures.update(_yardstick_figures(yard, wall, yard_compile_s))
    figures["engine_yardstick_ratio"] = figures["engine_s"] / figures["yardstick_s"]
    if size in BASELINE_SIZES:
        plan = compile_plan(scenario)
        ep = generate_episodes(plan, 0, seed)
        start = time.perf_counter()
        run_kernel(plan, ep)
        engine_s = time.perf_counter() - start
        start = time.perf_counter()
        run_baseline(scenario, ep)
        baseline_s = time.perf_counter() - start
        figures.update(
            simpy_baseline_s=baseline_s,
            simpy_baseline_engine_s=engine_s,
            simpy_baseline_ratio=baseline_s / engine_s,
            simpy_baseline_ratio_whole_run=_whole_run_ratio(figures, baseline_s),
            simpy_baseline_extrapolated=False,
        )
    return figures


def _yardstick_figures(out: list[dict[str, Any]], wall: float, compile_s: float) -> dict[str, Any]:
    """The yardstick's figures (means over its runs), and placesim's `wall` over its time."""
    runs = len(out)
    seconds = sum(o["seconds"] for o in out) / runs
    events = sum(o["events"] for o in out) / runs
    return {
        "yardstick_s": seconds,
        "yardstick_events": events,
        "yardstick_ns_per_event": seconds / events * 1e9,
        "yardstick_events_per_patient": events / (sum(o["arrivals"] for o in out) / runs),
        "yardstick_ratio": wall / seconds,
        "yardstick_runs": runs,
        "yardstick_compile_s": compile_s,
        "yardstick_beds": [out[0]["acute_beds"], out[0]["ic_beds"]],
        "yardstick_occupancy": [
            sum(o["acute_occupancy"] for o in out) / runs,
            sum(o["ic_occupancy"] for o in out) / runs,
        ],
    }


def _whole_run_ratio(figures: dict[str, Any], baseline_s: float) -> float:
    """The baseline's engine with placesim's demand and measures, over placesim's run."""
    return float((figures["demand_s"] + baseline_s + figures["measures_s"]) / figures["wall_s"])


def _extrapolate_baseline(results: dict[str, dict[str, Any]]) -> None:
    """Baseline time at sizes where it was not run, from a power law fitted to the others."""
    known = [v for v in results.values() if not v.get("simpy_baseline_extrapolated", True)]
    if not known:
        return
    x = np.log([v["episodes"] for v in known])
    y = np.log([v["simpy_baseline_s"] for v in known])
    slope = float(np.polyfit(x, y, 1)[0]) if len(known) > 1 else 1.0
    slope = max(slope, 1.0)  # never assume the baseline scales better than linearly
    ref = max(known, key=lambda v: v["episodes"])
    for v in results.values():
        if v.get("simpy_baseline_extrapolated", True):
            baseline_s = ref["simpy_baseline_s"] * (v["episodes"] / ref["episodes"]) ** slope
            v.update(
                simpy_baseline_s=baseline_s,
                simpy_baseline_ratio=baseline_s / v["engine_s"],
                simpy_baseline_ratio_whole_run=_whole_run_ratio(v, baseline_s),
                simpy_baseline_extrapolated=True,
                simpy_baseline_scaling_exponent=slope,
            )


def _plot(results: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(results.values(), key=lambda v: v["people"])
    people = np.array([v["people"] for v in rows], dtype=float)
    linear = people / people[-1]  # slope 1 through the largest size
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
    wall = np.array([v["wall_s"] for v in rows])
    ax_t.loglog(people, wall, "o-", label="placesim, whole replication")
    ax_t.loglog(people, [v["engine_s"] for v in rows], "s--", label="placesim engine")
    measured = [v for v in rows if not v.get("simpy_baseline_extrapolated", True)]
    if measured:
        ax_t.loglog(
            [v["people"] for v in measured],
            [v["simpy_baseline_s"] for v in measured],
            "o-",
            label="SimPy baseline engine",
        )
        guessed = [measured[-1], *(v for v in rows if v.get("simpy_baseline_extrapolated"))]
        if len(guessed) > 1:
            ax_t.loglog(
                [v["people"] for v in guessed],
                [v["simpy_baseline_s"] for v in guessed],
                "o:",
                mfc="none",
                color="C2",
                label="SimPy baseline, extrapolated",
            )
    ax_t.loglog(people, wall[-1] * linear, ":", color="grey", label="linear")
    ax_t.set(xlabel="people", ylabel="seconds per replication", title="Time")
    ax_t.legend(fontsize=8)
    run_mb = np.array([v["peak_rss_mb"] - v.get("base_rss_mb", 0.0) for v in rows])
    ax_m.loglog(people, [v["peak_rss_mb"] for v in rows], "o-", label="peak RSS")
    ax_m.loglog(people, run_mb, "s--", label="peak RSS above the loaded process")
    ax_m.loglog(people, run_mb[-1] * linear, ":", color="grey", label="linear")
    ax_m.set(xlabel="people", ylabel="MB", title="Peak memory")
    ax_m.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def _cells(v: dict[str, Any], columns: tuple[str, ...], widths: list[int]) -> str:
    cells = []
    for c, w in zip(columns, widths, strict=True):
        value = v.get(c, math.nan)
        cells.append(f"{value:>{w},.0f}" if abs(value) >= 100 else f"{value:>{w}.3f}")
    return "".join(cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", nargs="+", choices=list(SIZES), default=["place"])
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    results: dict[str, dict[str, Any]] = {}
    if args.json is not None and args.json.exists():
        results = {k: v for k, v in json.loads(args.json.read_text()).items() if k in SIZES}
    spawn = multiprocessing.get_context("spawn")
    for size in args.size:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            results[size] = pool.submit(
                measure, size, args.replications, args.seed, args.workers
            ).result()
        results[size]["machine"] = _machine()
    _extrapolate_baseline(results)

    columns = ("people", "episodes", "events", "wall_s", "demand_s", "engine_s", "measures_s")
    columns += ("episodes_per_s", "peak_rss_mb", "simpy_baseline_ratio")
    widths = [max(len(c), 9) + 2 for c in columns]
    print(f"{'size':<8}" + "".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for size, v in results.items():
        mark = " (extrapolated)" if v.get("simpy_baseline_extrapolated") else ""
        print(f"{size:<8}" + _cells(v, columns, widths) + mark)
        if "total_wall_s" in v:
            print(
                f"{'':<8}{v['replications']} replications on {v['workers']} workers: "
                f"{v['total_wall_s']:.1f} s"
            )
    columns = ("events_per_episode", "ns_per_event", "bytes_per_episode", "yardstick_s")
    columns += ("yardstick_events",)
    columns += ("yardstick_ns_per_event", "yardstick_ratio", "engine_yardstick_ratio")
    widths = [max(len(c), 9) + 2 for c in columns]
    print(f"\n{'size':<8}" + "".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for size, v in results.items():
        print(f"{size:<8}" + _cells(v, columns, widths))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        if len(results) > 1:
            _plot(results, args.json.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
