"""Backtests: a scenario against its own synthetic extract passes, a wrong one fails clearly.

The source is the small scenario with room in every service (nothing saturates, so a
change of stay shows in the census rather than in a queue), over a year. Its synthetic
extract is replication 0 of one seed; the backtests run 30 replications on another seed,
so the extract is a run the backtest has not seen, as a place's real year would be.

Tolerances. Days are autocorrelated: the acute census forgets in about E[S^2] / (2 E[S])
= 12 days (lognormal stays of mean 6 and median 3), so a year holds some 15 independent
days, and the share of one run's days inside a 90% band scatters round 90% with a
standard deviation near sqrt(0.09 / 15) = 0.08 (less in practice: the start is the
extract's own census). Measured over 20 extracts of this source (seeds 500 to 519,
backtest seed 2, 30 replications): the acute census had 0.86 of its days inside the band
(sd 0.04, lowest 0.73) and a bias of -0.5% (sd 4.3); 19 of the 20 backtests were good
and one poor (extract 502, a year with a quarter fewer intermediate-care admissions than
the model's mean, 3.3 sd). With every stay 30% longer: 0.42 of days inside (sd 0.11,
highest 0.60), a bias of +33% (sd 5.7, lowest +22%), all 20 poor. The assertions sit
three to four standard deviations from those means: coverage >= 0.7 and |bias| <= 15%
for the true scenario (and the mean over settings >= 0.75: measured 0.89, sd 0.04),
coverage at least 0.2 lower and a bias of at least +15% for the wrong one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

import placesim
from placesim.errors import PlacesimError
from placesim.fitting import BacktestResult, backtest, read_extract, write_extract
from placesim.fitting.backtest import start_from_census
from small_scenario import small_scenario

EXTRACT_SEED = 500
BACKTEST_SEED = 2
REPLICATIONS = 30


def _source() -> placesim.Scenario:
    return placesim.parse_scenario(
        small_scenario(
            {
                "calendar": {"horizon_days": 365, "warmup_days": 60},
                "settings": {
                    "acute": {"capacity": 90},
                    "rapid_response": {"capacity": 20},
                    "virtual_ward": {"capacity": 20},
                    "intermediate_care": {"capacity": 12},
                    "reablement": {"capacity": 30},
                    "care_home": {"capacity": 120},
                },
            }
        )
    )


def _longer_stays(scenario: placesim.Scenario, factor: float) -> placesim.Scenario:
    """Every setting's stays `factor` times as long: mean (and median, where given) scaled,
    the shape kept."""
    changes: dict[str, Any] = {}
    for name, setting in scenario.settings.defined().items():
        changes[f"settings.{name}.los.mean"] = setting.los.mean * factor
        median = getattr(setting.los, "median", None)
        if median is not None:
            changes[f"settings.{name}.los.median"] = median * factor
    return placesim.override(scenario, changes)


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("extract")
    write_extract(_source(), folder, seed=EXTRACT_SEED)
    return folder


@pytest.fixture(scope="module")
def own(extract: Path) -> BacktestResult:
    return backtest(_source(), extract, replications=REPLICATIONS, seed=BACKTEST_SEED)


@pytest.fixture(scope="module")
def wrong(extract: Path) -> BacktestResult:
    return backtest(
        _longer_stays(_source(), 1.3), extract, replications=REPLICATIONS, seed=BACKTEST_SEED
    )


def _row(result: BacktestResult, series: str, setting: str) -> dict[str, Any]:
    table = result.table
    found = table[(table["series"] == series) & (table["setting"] == setting)]
    assert len(found) == 1
    row: dict[str, Any] = found.iloc[0].to_dict()
    return row


@pytest.mark.slow
def test_own_extract_census_inside_the_band_with_little_bias(own: BacktestResult) -> None:
    acute = _row(own, "census", "acute")
    assert acute["points"] == 365
    assert acute["coverage"] >= 0.7, acute
    assert abs(acute["bias_pct"]) <= 15.0, acute
    census = own.table[own.table["series"] == "census"]
    assert census["coverage"].mean() >= 0.75, census
    assert not (own.table["level"] == "poor").any(), own.table
    assert own.level == "good", own.verdict


@pytest.mark.slow
def test_longer_stays_fail_clearly(own: BacktestResult, wrong: BacktestResult) -> None:
    right, bad = _row(own, "census", "acute"), _row(wrong, "census", "acute")
    assert bad["coverage"] <= right["coverage"] - 0.2, (right, bad)
    assert bad["bias_pct"] >= 15.0, bad
    assert bad["level"] == "poor"
    assert "the simulation runs" in bad["verdict"] and "high" in bad["verdict"]
    los = _row(wrong, "los", "acute")
    assert los["bias_pct"] > 15.0 and los["level"] != "good", los
    assert wrong.level == "poor" and wrong.verdict.startswith("poor: ")
    assert "acute midnight census" in wrong.verdict


def _same_but_for_minutes(observed: pd.Series, simulated: npt.NDArray[Any]) -> None:
    """Equal but where the extract's times, written to the minute, moved an event across a
    midnight: an event within 30 s of one, a few a year."""
    diff = np.abs(observed.to_numpy(float) - np.asarray(simulated, dtype=float))
    assert diff.max() <= 1.0 and (diff > 0).mean() <= 0.01, np.flatnonzero(diff)


@pytest.mark.slow
def test_series_are_those_of_the_simulation(own: BacktestResult) -> None:
    """The observed series are what the simulation counts: replication 0 of the extract's
    seed, run as the extract was made, gives the same daily census, weekly admissions and
    people delayed."""
    source = _source()
    same = placesim.simulate(source, replications=1, seed=EXTRACT_SEED)
    points = own.series
    horizon = source.calendar.horizon_days
    for setting in source.settings.defined():
        daily = same.daily[same.daily["setting"] == setting].sort_values("day")
        census = points[(points["series"] == "census") & (points["setting"] == setting)]
        _same_but_for_minutes(census["observed"], daily["census"].to_numpy())
        weekly = daily["admissions"].to_numpy()[: 7 * (horizon // 7)].reshape(-1, 7).sum(axis=1)
        admitted = points[(points["series"] == "admissions") & (points["setting"] == setting)]
        _same_but_for_minutes(admitted["observed"], weekly)
        delayed = points[(points["series"] == "delayed") & (points["setting"] == setting)]
        if len(delayed):
            _same_but_for_minutes(delayed["observed"], daily["ready_not_discharged"].to_numpy())


def test_starting_census_is_the_extracts(extract: Path) -> None:
    found = read_extract(extract)
    source = _source()
    run, _ = start_from_census(source, found)
    assert run.calendar.warmup_days == 0
    t0 = pd.Timestamp(source.calendar.start_date)
    stays = found.stays
    for setting in source.settings.defined():
        mine = stays[stays["setting"] == setting]
        there = (mine["arrive"] < t0) & (mine["leave"].isna() | (mine["leave"] > t0))
        state = run.initial_state.get(setting)  # type: ignore[call-overload]
        held = len(state.elapsed_days or []) if state is not None else 0
        assert held == int(there.sum()), setting
        if held:
            expected = sorted(((t0 - mine.loc[there, "arrive"]) / pd.Timedelta(days=1)).round(4))
            assert sorted(state.elapsed_days) == pytest.approx(expected, abs=1e-4)


@pytest.mark.slow
def test_shared_tables_hold_no_small_numbers_and_no_person(
    own: BacktestResult, tmp_path: Path
) -> None:
    shared = own.shared_series()
    assert "person" not in shared.columns and "people" not in shared.columns
    small = own.series["people"] < own.suppress
    assert shared.loc[small.to_numpy(), "observed"].isna().all()
    assert shared.loc[small.to_numpy(), "inside"].isna().all()
    assert (
        shared["suppressed"].to_numpy().tolist()
        == (small & own.series["observed"].notna()).to_numpy().tolist()
    )
    counts = shared[shared["series"] != "los"]["observed"].dropna()
    assert (counts >= own.suppress).all()
    written = own.write(tmp_path / "out")
    assert sorted(p.name for p in written) == [
        "backtest.csv",
        "backtest.json",
        "backtest_series.csv",
    ]
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "person" not in text
    table = pd.read_csv(tmp_path / "out" / "backtest.csv")
    assert list(table.columns[:8]) == [
        "series",
        "setting",
        "unit",
        "points",
        "coverage",
        "bias",
        "bias_pct",
        "mape",
    ]
    assert "verdict" in table.columns
    unsuppressed = dataclasses.replace(own, suppress=0).shared_series()
    assert not unsuppressed["suppressed"].any()


def test_bias_is_of_the_mean_and_judged_as_a_share_only_on_real_counts() -> None:
    """A small count's median is a whole number below its mean: a model that is right
    must not read as biased (the median of Poisson(1.35) is 1)."""
    from placesim.fitting.backtest import _scores

    rng = np.random.default_rng(5)
    sims = rng.poisson(1.35, size=(2000, 400)).astype(float)
    observed = rng.poisson(1.35, size=400).astype(float)
    q = np.quantile(sims, (0.05, 0.5, 0.95), axis=0)
    scores = _scores(observed, q[0], q[1], sims.mean(axis=0), q[2])
    se = 100.0 * math.sqrt(1.35 / 400) / 1.35
    assert abs(scores.bias_pct) <= 4 * se
    assert scores.coverage >= 0.9


def test_the_extract_must_cover_the_window(extract: Path) -> None:
    late = placesim.override(_source(), {"calendar.start_date": "2025-10-01"})
    with pytest.raises(PlacesimError, match="the extract's stays end on 2026-03-31"):
        backtest(late, extract, replications=10)
    with pytest.raises(PlacesimError, match="replications: 3 is not allowed"):
        backtest(_source(), extract, replications=3)
    with pytest.raises(PlacesimError, match="suppress: -1"):
        backtest(_source(), extract, suppress=-1)


@pytest.mark.slow
def test_window_dates_are_the_scenarios(own: BacktestResult) -> None:
    cal = own.scenario.calendar
    assert cal.start_date == dt.date(2025, 4, 1) and cal.warmup_days == 0
    census = own.series[own.series["series"] == "census"]
    assert census["date"].min() == pd.Timestamp(cal.start_date)
    assert census["date"].max() == pd.Timestamp(cal.end_date)
