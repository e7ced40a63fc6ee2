"""Replications give identical tables whatever runs them: serial, processes or Dask."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest

import placesim
from placesim.experiments.progress import Progress


def _tables(res: placesim.SimulationResult) -> list[pd.DataFrame]:
    return [res.stays, res.daily, res.measures]


def test_processes_give_identical_tables(small: dict[str, Any]) -> None:
    sc = placesim.parse_scenario(small)
    serial = placesim.simulate(sc, replications=3, seed=4)
    parallel = placesim.simulate(sc, replications=3, seed=4, workers=2)
    for a, b in zip(_tables(serial), _tables(parallel), strict=True):
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
def test_dask_gives_identical_tables(small: dict[str, Any]) -> None:
    distributed = pytest.importorskip("dask.distributed")
    sc = placesim.parse_scenario(small)
    serial = placesim.simulate(sc, replications=3, seed=4)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = placesim.simulate(sc, replications=3, seed=4, client=client)
    for a, b in zip(_tables(serial), _tables(remote), strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_workers_must_be_positive(small: dict[str, Any]) -> None:
    with pytest.raises(placesim.PlacesimError, match="workers: 0"):
        placesim.simulate(placesim.parse_scenario(small), replications=1, workers=0)


def test_progress_is_quiet_off_a_terminal_and_before_its_delay() -> None:
    stream = io.StringIO()
    bar = Progress(4, "reps", stream=stream)  # StringIO is not a terminal
    bar.advance(4)
    bar.close()
    assert stream.getvalue() == ""
    forced = io.StringIO()
    bar = Progress(4, "reps", enabled=True, stream=forced, delay_s=0.0)
    bar.advance(2)
    bar.close()
    assert forced.getvalue() == "\rreps 2/4 [############............] 0 s\n"


def test_precision_adds_replications_until_met(small: dict[str, Any]) -> None:
    from placesim.experiments import imprecise_measures

    sc = placesim.parse_scenario(small)
    res = placesim.simulate(sc, replications=3, seed=6, precision=0.15, max_replications=80)
    assert res.precision_met is True
    assert imprecise_measures(res.measures, 0.15) == []
    # The replications are the first n of the seed: the same as asking for n outright.
    direct = placesim.simulate(sc, replications=res.replications, seed=6)
    pd.testing.assert_frame_equal(res.measures, direct.measures)
    # It had to add replications: three were not enough.
    start = placesim.simulate(sc, replications=3, seed=6)
    assert imprecise_measures(start.measures, 0.15) != []
    assert res.replications > 3


def test_precision_cap_is_reported(small: dict[str, Any]) -> None:
    sc = placesim.parse_scenario(small)
    res = placesim.simulate(sc, replications=3, seed=6, precision=0.0001, max_replications=4)
    assert res.precision_met is False
    assert res.replications == 4
