"""Replications give identical tables whatever runs them: serial, processes or Dask.

Also the lean run of large runs (no per-stay table) in worker processes: the same measures
as a full serial run.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import placesim
from placesim.errors import PlacesimError


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


def test_without_stays_the_measures_are_the_same_and_stay_tables_are_refused(
    small: dict[str, Any],
) -> None:
    sc = placesim.parse_scenario(small)
    full = placesim.simulate(sc, replications=2, seed=5)
    lean = placesim.simulate(sc, replications=2, seed=5, keep_stays=False, workers=2)
    assert lean.stays is None
    pd.testing.assert_frame_equal(full.summary(), lean.summary())
    pd.testing.assert_frame_equal(full.daily, lean.daily)
    for needs_stays in (lambda: lean.outcomes(), lambda: lean.summary(by="locality")):
        with pytest.raises(PlacesimError, match=r"needs the per-stay table.*keep_stays=True"):
            needs_stays()
