"""Replications: the progress line, and adding replications until a precision is met.

(Serial, process and Dask runs giving identical tables: tests/parallel/test_parallel.py.)
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

import placesim
from placesim.experiments.progress import Progress


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
