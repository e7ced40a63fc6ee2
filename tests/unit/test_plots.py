"""Plots: figures with the expected lines and bands, and the tables they draw.

(Whole HTML report pages: tests/e2e/test_report.py and tests/cli/test_report_cli.py.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import placesim
from placesim.measures import SimulationResult
from placesim.reporting.plots import census_bands, daily_delayed, los_days

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402


def test_plots_return_figures_with_the_expected_lines_and_bands(
    small_result: SimulationResult,
) -> None:
    census = small_result.plot.census("acute")
    assert isinstance(census, Figure)
    ax = census.axes[0]
    assert len(ax.lines) == 2  # median, capacity
    assert len(ax.collections) == 2  # 50% and 90% bands
    assert ax.get_legend() is not None

    waiting = small_result.plot.waiting("acute").axes[0]
    assert len(waiting.lines) == 2 and len(waiting.collections) == 2  # waiting, delayed
    care_home = small_result.plot.waiting("care_home").axes[0]
    assert len(care_home.lines) == 1 and len(care_home.collections) == 1  # nobody is held there

    los = small_result.plot.los("acute", bins=40).axes[0]
    assert len(los.patches) == 40 + 1  # bars, and the outline of the time until ready
    assert len(los.lines) == 2  # mean, median

    gap = small_result.plot.capacity_gap().axes[0]
    assert len(gap.patches) == 6  # one bar per setting, all with a finite capacity
    labels = [t.get_text() for t in gap.get_xticklabels()]
    assert labels == [
        "acute",
        "rapid response",
        "virtual ward",
        "intermediate care",
        "reablement",
        "care home",
    ]


def test_plots_draw_into_given_axes_and_refuse_unknown_settings(
    small_result: SimulationResult,
) -> None:
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert small_result.plot.census("acute", ax=left) is fig
    assert small_result.plot.los("reablement", ax=right) is fig
    assert len(left.lines) == 2
    with pytest.raises(placesim.PlacesimError, match="'hospital' is not allowed"):
        small_result.plot.census("hospital")


def test_plots_of_several_results_overlay_each_scenario(small_result: SimulationResult) -> None:
    from placesim.reporting.plots import plot_census, plot_waiting

    both = [small_result, small_result]
    census = plot_census(both, "acute").axes[0]
    assert len(census.lines) == 2 + 1  # two medians, one shared capacity line
    assert len(census.collections) == 2  # a 90% band each
    waiting = plot_waiting(both, "acute").axes[0]
    assert len(waiting.lines) == 4 and len(waiting.collections) == 0


def test_census_bands_are_quantiles_of_the_daily_census(small_result: SimulationResult) -> None:
    bands = census_bands(small_result, "acute")
    daily = small_result.daily[small_result.daily["setting"] == "acute"]
    wide = daily.pivot(index="day", columns="replication", values="census").to_numpy(float)
    assert np.allclose(bands["median"], np.median(wide, axis=1))
    assert (bands["p05"] <= bands["p25"]).all() and (bands["p75"] <= bands["p95"]).all()
    assert (bands["capacity"] == 40).all()


def test_daily_delayed_counts_stays_between_ready_and_leave_at_each_midnight(
    small: dict[str, Any],
) -> None:
    small["calendar"]["horizon_days"] = 5
    scenario = placesim.parse_scenario(small)
    stays = pd.DataFrame(
        {
            "replication": 0,
            "setting": ["acute", "acute", "acute", "acute", "care_home"],
            "ready": [0.5, 1.0, np.nan, 3.0, 0.0],
            "leave": [2.5, np.nan, np.nan, 3.0, np.nan],
        }
    )
    measures = pd.DataFrame({"replication": [0], "measure": ["x"], "setting": ["acute"]})
    result = SimulationResult(scenario, 0, 1, stays, pd.DataFrame(), measures)
    # Midnights 1..5 end days 0..4. Stay 1 is delayed at 1 and 2; stay 2 from 1 on (still
    # in at the end); stay 3 never ready; stay 4 left when ready; stay 5 is elsewhere.
    assert daily_delayed(result, "acute")["delayed"].tolist() == [2, 2, 1, 1, 1]


def test_delayed_people_are_part_of_the_census(small_result: SimulationResult) -> None:
    delayed = daily_delayed(small_result, "acute")
    daily = small_result.daily[small_result.daily["setting"] == "acute"]
    merged = delayed.merge(daily, on=["replication", "day"])
    assert len(merged) == len(delayed) > 0
    assert (merged["delayed"] <= merged["census"]).all()
    assert merged["delayed"].max() > 0  # the small scenario's beds are short downstream


def test_los_days_are_the_stays_of_the_los_measures(small_result: SimulationResult) -> None:
    los = los_days(small_result, "acute")
    m = small_result.measures
    for rep, g in los.groupby("replication"):
        expected = m[(m["replication"] == rep) & (m["measure"] == "los_mean")]
        assert g["los"].mean() == pytest.approx(
            float(expected[expected["setting"] == "acute"]["value"].iloc[0]), rel=1e-12
        )
    assert np.allclose(los["los"], los["until_ready"] + los["delayed"])


def test_report_refuses_a_path_that_is_not_html(small_result: SimulationResult) -> None:
    with pytest.raises(placesim.PlacesimError, match=r"must be a \.html file or a folder"):
        small_result.report("out/report.pdf")
