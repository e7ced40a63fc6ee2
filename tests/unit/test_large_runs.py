"""Options for large runs: the engine choice and dropping the per-stay table.

(Without stays in worker processes: tests/parallel/test_parallel.py; --no-stays on the
command line: tests/cli/test_large_runs_cli.py.)
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import placesim
from placesim.errors import PlacesimError


def test_both_engines_give_the_same_tables(small: dict[str, Any]) -> None:
    sc = placesim.parse_scenario(small)
    fast = placesim.simulate(sc, replications=2, seed=5)
    simpy = placesim.simulate(sc, replications=2, seed=5, engine="simpy")
    pd.testing.assert_frame_equal(fast.measures, simpy.measures)
    pd.testing.assert_frame_equal(fast.daily, simpy.daily)
    assert fast.stays is not None and simpy.stays is not None
    pd.testing.assert_frame_equal(fast.stays, simpy.stays)


def test_an_unknown_engine_is_named(small: dict[str, Any]) -> None:
    with pytest.raises(PlacesimError, match="engine: 'numba' is not allowed"):
        placesim.simulate(placesim.parse_scenario(small), replications=1, engine="numba")
