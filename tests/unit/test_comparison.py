"""Paired comparisons on common random numbers.

(`placesim compare`: tests/cli/test_comparison_cli.py.)
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import placesim


def _named(data: dict[str, Any], name: str) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["name"] = name
    return out


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(small: dict[str, Any]) -> None:
    a = placesim.parse_scenario(_named(small, "a"))
    b = placesim.parse_scenario(_named(small, "b"))
    result = placesim.compare(a, b, replications=3, seed=5)
    rows = result.table[result.table["scenario"] == "b"]
    finite = rows["diff"].notna()
    assert finite.sum() > 0
    assert (rows.loc[finite, ["diff", "diff_ci_low", "diff_ci_high"]] == 0.0).all().all()
    assert result.significant() == []


def test_more_beds_is_found_significantly_better(small: dict[str, Any]) -> None:
    # The small scenario's acute beds are far too few: people queue for a bed. With more
    # beds the same people (common random numbers) wait less.
    base = placesim.parse_scenario(_named(small, "base"))
    more = _named(small, "more beds")
    more["settings"]["acute"]["capacity"] = 120
    result = placesim.compare(base, placesim.parse_scenario(more), replications=4, seed=2)
    t = result.table.set_index(["scenario", "measure", "setting"])
    row = t.loc[("more beds", "waiting_mean", "acute")]
    assert row["diff_ci_high"] < 0
    # The paired difference is the mean of per-replication differences.
    per_rep = [
        r.measures.query("measure == 'waiting_mean' and setting == 'acute'")["value"].to_numpy()
        for r in result.results
    ]
    assert np.isclose(row["diff"], float(np.mean(per_rep[1] - per_rep[0])))
    lines = result.significant()
    assert any(line.startswith("acute people waiting (mean): more beds is") for line in lines)


def test_names_must_differ(small: dict[str, Any]) -> None:
    sc = placesim.parse_scenario(small)
    with pytest.raises(placesim.PlacesimError, match="names"):
        placesim.compare(sc, sc, replications=1)
