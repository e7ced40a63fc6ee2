"""Regions: each place is its own run on its own seed, wherever and with whatever else runs.

The promises of docs/howto/run-a-region.md, checked against independent runs: a place of
a region equals `simulate` of that place alone on its recorded seed, bit for bit (serial,
processes, Dask); the region's totals are the sums of its places; adding a place changes
no other place; a worker killed mid-run loses nothing; an interrupted run resumes from
the places it wrote.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import signal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import placesim
from placesim.cli import main
from placesim.experiments.simulate import Replication, run_replication
from placesim.scenario import parse_region, place_seed

REGION = importlib.import_module("placesim.experiments.region")
DIE_AT = "PLACESIM_TEST_REGION_DIE_AT"  # "place:replication" whose process kills itself
DIE_ONCE = "PLACESIM_TEST_REGION_DIE_ONCE"
REPS = 2


def _places(small: dict[str, Any], tmp_path: Path, names: list[str]) -> dict[str, Any]:
    """Region data whose places are the small scenario with different capacities."""
    template = tmp_path / "template.yaml"
    template.write_text(yaml.safe_dump(small), encoding="utf-8")
    places = []
    for name in names:
        beds = 4 + len(name)  # each place its own capacity, whatever else is in the region
        changes = {"settings": {"intermediate_care": {"capacity": beds}}}
        places.append({"name": name, "extends": "template.yaml", **changes})
    return {"name": "test region", "seed": 11, "replications": REPS, "places": places}


def _region(small: dict[str, Any], tmp_path: Path, names: list[str]) -> placesim.Region:
    return parse_region(_places(small, tmp_path, names), tmp_path)


def _measures_of(result: placesim.RegionResult, name: str) -> pd.DataFrame:
    rows = result.measures[
        (result.measures["place"] == name) & (result.measures["measure"] != "days_over_target")
    ]
    return rows.drop(columns="place").reset_index(drop=True)


def _alone(place: Any) -> pd.DataFrame:
    alone = placesim.simulate(place.scenario, replications=REPS, seed=place.seed)
    table = alone.measures.copy()
    table["setting"] = table["setting"].astype(str)
    return table


def test_place_seed_is_the_documented_hash() -> None:
    digest = hashlib.sha256(b"placesim-place:11:North").digest()
    assert place_seed(11, "North") == int.from_bytes(digest[:8], "big") >> 1
    assert 0 <= place_seed(11, "North") < 2**63
    assert place_seed(11, "North") != place_seed(12, "North") != place_seed(11, "South")


def test_each_place_equals_its_run_alone_and_totals_are_sums(
    small: dict[str, Any], tmp_path: Path
) -> None:
    region = _region(small, tmp_path, ["North", "South", "East"])
    result = placesim.simulate_region(region)
    for place in region.places:
        pd.testing.assert_frame_equal(_measures_of(result, place.name), _alone(place))
    # Region totals are the sums of the places, replication by replication.
    totals = placesim.measures.region_totals(result.measures)
    m = result.measures
    for measure in ("admissions", "bed_days"):
        for rep in range(REPS):
            want = m[
                (m["measure"] == measure) & (m["setting"] == "acute") & (m["replication"] == rep)
            ]
            got = totals[
                (totals["measure"] == measure)
                & (totals["setting"] == "acute")
                & (totals["replication"] == rep)
            ]["value"]
            assert float(got.iloc[0]) == pytest.approx(float(want["value"].sum()), rel=1e-12)


def test_adding_a_place_changes_no_other_place(small: dict[str, Any], tmp_path: Path) -> None:
    two = placesim.simulate_region(_region(small, tmp_path, ["North", "South"]))
    three = placesim.simulate_region(_region(small, tmp_path, ["West", "North", "South"]))
    for name in ("North", "South"):
        pd.testing.assert_frame_equal(_measures_of(two, name), _measures_of(three, name))


def test_processes_and_dask_give_the_serial_tables(small: dict[str, Any], tmp_path: Path) -> None:
    region = _region(small, tmp_path, ["North", "South"])
    serial = placesim.simulate_region(region)
    parallel = placesim.simulate_region(region, workers=2)
    pd.testing.assert_frame_equal(serial.measures, parallel.measures)
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = placesim.simulate_region(region, client=client)
    pd.testing.assert_frame_equal(serial.measures, remote.measures)


def _dies(scenario: Any, replication: int, seed: int, **options: Any) -> Replication:
    """`run_replication`, but the process running DIE_AT ("place:replication") is killed."""
    target = os.environ.get(DIE_AT, "")
    if target == f"{scenario.name}:{replication}":
        once = os.environ.get(DIE_ONCE)
        if once is None or not Path(once).exists():
            if once is not None:
                Path(once).touch()
            os.kill(os.getpid(), signal.SIGKILL)
    return run_replication(scenario, replication, seed, **options)


def test_a_worker_killed_mid_region_loses_nothing(
    small: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    region = _region(small, tmp_path, ["North", "South"])
    serial = placesim.simulate_region(region)
    monkeypatch.setattr(REGION, "run_replication", _dies)
    monkeypatch.setenv(DIE_AT, "South:1")
    monkeypatch.setenv(DIE_ONCE, str(tmp_path / "died"))
    parallel = placesim.simulate_region(region, workers=2)
    assert (tmp_path / "died").exists(), "the worker was never killed"
    pd.testing.assert_frame_equal(serial.measures, parallel.measures)


@pytest.mark.slow
def test_a_dask_worker_its_nanny_restarts_loses_nothing(
    small: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("dask.distributed")
    region = _region(small, tmp_path, ["North", "South"])
    serial = placesim.simulate_region(region)
    monkeypatch.setattr(REGION, "run_replication", _dies)
    monkeypatch.setenv(DIE_AT, "North:1")  # set before the cluster starts: workers inherit
    monkeypatch.setenv(DIE_ONCE, str(tmp_path / "died"))
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = placesim.simulate_region(region, client=client, worker_timeout=30)
    assert (tmp_path / "died").exists(), "the worker was never killed"
    pd.testing.assert_frame_equal(serial.measures, remote.measures)


class _Stop(Exception):
    """Stands in for a Ctrl-C or a killed client after some places are written."""


def test_an_interrupted_region_resumes_from_the_places_written(
    small: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    region = _region(small, tmp_path, ["North", "South", "East"])
    out = tmp_path / "out"
    straight = placesim.simulate_region(region, out=tmp_path / "straight")
    ran: list[str] = []

    def stops_at_east(scenario: Any, replication: int, seed: int, **options: Any) -> Replication:
        if scenario.name == "East":
            raise _Stop
        ran.append(scenario.name)
        return run_replication(scenario, replication, seed, **options)

    monkeypatch.setattr(REGION, "run_replication", stops_at_east)
    with pytest.raises(_Stop):
        placesim.simulate_region(region, out=out)
    written = sorted(p.name for p in (out / "places").glob("*.json"))
    assert written == ["North.json", "South.json"]

    def counts(scenario: Any, replication: int, seed: int, **options: Any) -> Replication:
        ran.append(scenario.name)
        return run_replication(scenario, replication, seed, **options)

    ran.clear()
    monkeypatch.setattr(REGION, "run_replication", counts)
    resumed = placesim.simulate_region(region, out=out)
    assert ran == ["East"] * REPS  # only the place that was not written ran
    pd.testing.assert_frame_equal(straight.measures, resumed.measures)
    # A damaged place runs again, with a warning; the result is the same.
    part = out / "measures" / "place=South" / "part-0.parquet"
    part.write_bytes(part.read_bytes()[:-10])
    ran.clear()
    with pytest.warns(placesim.PlacesimWarning, match="South: its measures table changed"):
        again = placesim.simulate_region(region, out=out)
    assert ran == ["South"] * REPS
    pd.testing.assert_frame_equal(straight.measures, again.measures)
    # The folder reads back as the same result, and as one dataset with a place column.
    back = placesim.read_region(out)
    pd.testing.assert_frame_equal(back.measures, straight.measures)
    stays = pd.read_parquet(out / "stays")
    assert set(stays["place"].astype(str)) == {"North", "South", "East"}


def test_a_folder_of_something_else_is_refused(small: dict[str, Any], tmp_path: Path) -> None:
    region = _region(small, tmp_path, ["North"])
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(placesim.PlacesimError, match="not a region run's folder"):
        placesim.simulate_region(region, out=other)
    assert (other / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_cli_runs_a_region_and_refuses_a_bad_one(
    small: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "region.yaml"
    path.write_text(yaml.safe_dump(_places(small, tmp_path, ["North", "South"])), "utf-8")
    out = tmp_path / "out"
    assert main(["run", str(path), "-n", "2", "--out", str(out), "--no-stays"]) == 0
    text = capsys.readouterr().out
    assert "2 places x 2 replication(s)" in text and "North" in text
    meta = json.loads((out / "region.json").read_text(encoding="utf-8"))
    assert meta["complete"] and meta["places"]["North"] == place_seed(11, "North")
    assert (out / "summary_by_place.csv").is_file() and not (out / "stays").exists()
    # A place with a typo: one line naming the place and the field, exit 2.
    data = _places(small, tmp_path, ["North"])
    data["places"][0]["settings"] = {"acute": {"capacty": 3}}
    path.write_text(yaml.safe_dump(data), "utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "places[0] (North)" in err and "capacty" in err and "Traceback" not in err
    data = _places(small, tmp_path, ["North", "North"])
    path.write_text(yaml.safe_dump(data), "utf-8")
    assert main(["run", str(path)]) == 2
    assert "given twice" in capsys.readouterr().err
