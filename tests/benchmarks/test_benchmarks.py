"""The benchmark script runs, and scales the default scenario as it says.

benchmarks/run.py is not part of the package, so nothing else runs it: a smoke run at place
size (one replication, no timing asserted) checks that it still works with the engines and
writes the figures it promises, and :func:`scaled_scenario` is checked for the factor it
applies at region size and at ten times the place.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

import placesim
from placesim.demand import generate_episodes
from placesim.plan import compile_plan

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
FIGURES = (
    "people",
    "episodes",
    "events",
    "wall_s",
    "demand_s",
    "engine_s",
    "measures_s",
    "episodes_per_s",
    "peak_rss_mb",
    "simpy_baseline_ratio",
)


def _load_run() -> ModuleType:
    """benchmarks/run.py as a module (under its own name: "run" is too common to import)."""
    sys.path.insert(0, str(BENCHMARKS))  # run.py imports simpy_baseline from there
    spec = importlib.util.spec_from_file_location("placesim_benchmarks_run", BENCHMARKS / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load_run()


def _people(sc: placesim.Scenario) -> int:
    """People at home plus care-home residents, as the benchmark counts them."""
    assert sc.population is not None
    locs = sc.population.localities
    return sum(int(n) for loc in locs for n in loc.people.values()) + sum(
        int(n) for loc in locs for n in loc.care_home_residents.values()
    )


@pytest.mark.slow
def test_benchmark_runs_at_place_size(tmp_path: Path) -> None:
    """One replication at place size writes every figure, all positive numbers, for the
    default scenario unscaled (about 5 s)."""
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            "benchmarks/run.py",
            "--size",
            "place",
            "--replications",
            "1",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "place" in proc.stdout
    results: dict[str, Any] = json.loads(out.read_text())
    assert set(results) == {"place"}
    place = results["place"]
    for key in FIGURES:
        value = place[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
        assert math.isfinite(value) and value > 0, (key, value)
    assert place["replications"] == 1
    assert place["simpy_baseline_extrapolated"] is False
    assert place["events"] >= place["episodes"] / 2  # each stay takes events

    # Place size is the default scenario as shipped.
    sc = placesim.load_scenario(ROOT / "scenarios" / "rotherham_baseline.yaml")
    assert place["people"] == _people(sc)
    assert place["episodes"] == generate_episodes(compile_plan(sc), 0, 1).size
    assert place["wall_s"] == pytest.approx(
        place["demand_s"] + place["engine_s"] + place["measures_s"]
    )
    assert place["episodes_per_s"] == pytest.approx(place["episodes"] / place["wall_s"])


def test_place_size_is_the_default_scenario_unscaled(bench: ModuleType) -> None:
    raw = yaml.safe_load((ROOT / "scenarios" / "rotherham_baseline.yaml").read_text())
    assert bench.SIZES["place"] is None
    assert bench.scaled_scenario(None) == placesim.parse_scenario(raw)


@pytest.mark.parametrize("factor", [10.0, None], ids=["10x_place", "region"])
def test_scaled_scenario_scales_people_and_capacities(
    bench: ModuleType, factor: float | None
) -> None:
    """Everything that grows with the population is multiplied by target / place people,
    rounded: people and residents per cell, capacities, the starting census, referral
    rates. Stay lengths, rates per person and shares stay as they are."""
    place = bench.scaled_scenario(None)
    place_people = _people(place)
    target = round(factor * place_people) if factor else bench.SIZES["region"]
    k = target / place_people
    sc = bench.scaled_scenario(target)

    cells = sum(
        len(loc.people) + len(loc.care_home_residents) for loc in place.population.localities
    )
    assert abs(_people(sc) - target) <= cells / 2  # each cell rounded to a whole person
    for big, small in zip(sc.population.localities, place.population.localities, strict=True):
        assert big.name == small.name
        for band, n in small.people.items():
            assert big.people[band] == round(n * k)
        for band, n in small.care_home_residents.items():
            assert big.care_home_residents[band] == round(n * k)

    assert place.settings.acute.capacity == 541
    assert sc.settings.acute.capacity == round(541 * k)
    if factor == 10.0:
        assert sc.settings.acute.capacity == 5410
    for name, setting in place.settings.defined().items():
        scaled = getattr(sc.settings, name)
        if setting.capacity == "unlimited":
            assert scaled.capacity == "unlimited"
        else:
            assert scaled.capacity == round(setting.capacity * k), name
        assert [c.capacity for c in scaled.capacity_changes] == [
            round(c.capacity * k) for c in setting.capacity_changes
        ]
        assert scaled.los == setting.los
    for name, state in place.initial_state.items():
        assert sc.initial_state[name].occupied == round(state.occupied * k)
        assert sc.initial_state[name].waiting == round(state.waiting * k)
    for big_ref, small_ref in zip(sc.referrals, place.referrals, strict=True):
        assert big_ref.rate_per_day == pytest.approx(small_ref.rate_per_day * k)
    assert sc.demand == place.demand
    assert sc.discharge == place.discharge
    assert sc.calendar == place.calendar
    assert sc.name.endswith(f"_x{k:.2f}")
