"""Backtesting: a scenario run over its dates from an extract's census, held against what
happened.

A fitted scenario reproduces the figures it was fitted to by construction; what it has to
show is that, run as a whole, it behaves like the place: that the census it makes from
its crises, stays, pathways and blocking moves as the real one did. :func:`backtest`
starts the scenario from the extract's census at ``calendar.start_date`` (each occupant
with the days they had stayed, the people waiting), runs it over the scenario's
reporting window, and compares four series per setting with the extract's own:

- ``census``: the midnight census, people holding a place at the midnight that ends each
  day (the daily table's ``census``);
- ``admissions``: places taken in each 7-day block from the start (whole blocks only);
- ``delayed``: people in a place after their ``ready`` time at each midnight (the daily
  table's ``ready_not_discharged``), in the settings where people wait for the next
  service in their place, and only where the extract gives ``ready``;
- ``los``: the mean length of stay (leave - arrive, days) of the stays that began in the
  window and ended in each 7-day block.

For each (series, setting) the share of points inside the simulated 90% band (5th to
95th percentile across replications), the bias of the simulated mean, the mean absolute
percentage error of the simulated median, and a verdict in words (:data:`GOOD_COVERAGE`
and the other thresholds, widened where the model's own runs scatter wider; see
:func:`_limits` and docs/decisions.md). Nothing written carries a person identifier, and the
observed figures about fewer than ``suppress`` people are not written.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from placesim.errors import PlacesimError
from placesim.experiments import simulate
from placesim.fitting.extract import Extract, read_extract
from placesim.measures import SimulationResult
from placesim.reporting.outputs import write_experiment, write_table, write_text
from placesim.reporting.plots import HOLDING_SETTINGS, QUANTILES
from placesim.scenario import SETTINGS, Scenario, override

__all__ = [
    "BACKTEST_REPLICATIONS",
    "FAIR_SHARE",
    "GOOD_BIAS_PCT",
    "GOOD_COVERAGE",
    "MIN_LEVEL",
    "MIN_REPLICATIONS",
    "POOR_BIAS_PCT",
    "POOR_COVERAGE",
    "POOR_SHARE",
    "READY_MISSING_MAX",
    "SERIES",
    "SERIES_WORDS",
    "BacktestResult",
    "backtest",
    "observed_series",
    "start_from_census",
]

SERIES: dict[str, tuple[str, str]] = {
    "census": ("people", "day"),
    "admissions": ("admissions", "week"),
    "delayed": ("people", "day"),
    "los": ("days", "week"),
}
"""The series compared: each one's unit and its points (days, or 7-day blocks from the
start)."""

SERIES_WORDS: dict[str, str] = {
    "census": "midnight census",
    "admissions": "admissions a week",
    "delayed": "delayed at midnight (ready, not discharged)",
    "los": "mean length of stay of the stays ended each week",
}
"""Each series in words, for tables and pages."""

BACKTEST_REPLICATIONS = 40
"""Fewest replications :func:`backtest` runs by default: the 5th and 95th percentiles of
40 replications lie between the 2nd and 3rd smallest and largest values, close enough to
the band they estimate that a point's chance of falling outside it by chance is near 10%."""

MIN_REPLICATIONS = 10
"""Fewest replications a backtest accepts: with fewer, a 90% band is the smallest and
largest value."""

GOOD_COVERAGE = 0.75
"""A series is good when at least this share of its points lie inside the 90% band (and its
bias is within :data:`GOOD_BIAS_PCT`). Not 0.9: days are autocorrelated (a day's census is
mostly yesterday's people), so a run's coverage is a mean of few independent points and
scatters round 90% (for acute, with a mean stay of 6 days, a year of days holds some 15
independent ones: a standard deviation of about 8 points). Where the model's own runs
scatter wider still (a small service, a care home), the threshold is their 10th
percentile instead."""

GOOD_BIAS_PCT = 10.0
"""...and its bias (simulated mean - observed, over the observed mean) is at most this, in
percent, or the 90th percentile of the model's own runs' where that is wider."""

POOR_COVERAGE = 0.5
"""A series is poor when fewer than this share of its points lie inside the band..."""

POOR_BIAS_PCT = 20.0
"""...or its bias is more than this, in percent (each widened to four times the scatter of
the model's own runs where that is wider)."""

FAIR_SHARE = 1 / 3
"""The backtest as a whole is good when no comparison is poor and at most this share are
fair: each row's good thresholds are ones a run of the model itself misses about one time
in ten each, so a true model has about one row in five fair by chance (with 20 rows, more
than a third fair happens to a true model about one time in twenty)."""

POOR_SHARE = 1 / 2
"""...and poor when any comparison is poor, or more than this share are fair."""

MIN_LEVEL = 1.0
"""A bias is judged as a share of the observed mean only where that mean, and the mean of
nine in ten of the model's own runs, is at least this (one person, admission or day): a
series that is mostly 0 (a few people delayed now and then) has a relative bias that
swings from -100% to hundreds by chance, so it is judged by its coverage alone."""

READY_MISSING_MAX = 0.05
"""The delayed series of a setting is compared only when at most this share of its stays
that ended (in or after the window) have no ``ready`` time: a count from fewer would be
too low by about that share."""

_LEVELS = ("good", "fair", "poor")


def _days(times: pd.Series, t0: pd.Timestamp) -> npt.NDArray[np.float64]:
    """Date-times as days from `t0` (NaN where missing)."""
    return np.asarray((times - t0) / pd.Timedelta(days=1), dtype=float)


def _last_time(stays: pd.DataFrame) -> pd.Timestamp:
    """The latest time the extract records (it shows the place up to then)."""
    found = [stays[c].max() for c in ("arrive", "leave", "requested", "ready")]
    return max(pd.Timestamp(x) for x in found if not pd.isna(x))


# ------------------------------------------------------------------- the starting census


def start_from_census(scenario: Scenario, extract: Extract) -> tuple[Scenario, list[str]]:
    """The scenario started from the extract's census at its ``start_date``, with no warm-up.

    Each setting's occupants at the start are those whose stay began before it and had not
    ended (each with the days they had stayed: ``remaining: elapsed``), and its waiting
    people those who had asked for a place before the start, took it after, and held no
    other place meanwhile (someone blocked in acute is in acute's census). A census table
    whose snapshot is at the start is used instead. A census above a setting's capacity
    (flex beds the scenario does not have) is kept: the setting admits nobody until it has
    drained below its capacity (docs/model.md, "Starting census").

    Returns
    -------
    The scenario, and notes of what was changed to fit it.
    """
    t0 = pd.Timestamp(scenario.calendar.start_date)
    stays = extract.stays
    notes: list[str] = []
    census = extract.census
    snapshot = census is not None and not census.empty and pd.Timestamp(census["at"].iloc[0]) == t0
    arrive = _days(stays["arrive"], t0)
    leave = _days(stays["leave"], t0)
    requested = _days(stays["requested"], t0)
    holding = (arrive < 0.0) & ~(leave <= 0.0)
    held_by = set(stays.loc[holding, "person"])
    state: dict[str, Any] = {}
    for setting, spec in scenario.settings.defined().items():
        mine = (stays["setting"] == setting).to_numpy()
        if snapshot:
            assert census is not None
            rows = census[census["setting"] == setting]
            held = rows[rows["status"] == "in_place"]
            elapsed = -_days(held["since"], t0)
            waiting = int((rows["status"] == "waiting").sum())
        else:
            elapsed = -arrive[mine & holding]
            asked = mine & (requested < 0.0) & (arrive >= 0.0)
            waiting = int((~stays.loc[asked, "person"].isin(held_by)).sum())
        elapsed = np.sort(np.round(elapsed[np.isfinite(elapsed)], 4))[::-1]
        capacity = spec.capacity
        if capacity != "unlimited" and elapsed.size > capacity:
            notes.append(
                f"{setting}: {elapsed.size:,} in place at the start, more than the scenario's "
                f"{capacity} places: it admits nobody until it has drained below them"
            )
        if waiting and spec.when_full == "overflow_to_acute":
            notes.append(
                f"{setting}: {waiting:,} waiting at the start, but it overflows to acute, "
                "so nobody waits for it: they are left out"
            )
            waiting = 0
        if elapsed.size or waiting:
            entry: dict[str, Any] = {"waiting": waiting}
            if elapsed.size:
                entry |= {"remaining": "elapsed", "elapsed_days": [float(x) for x in elapsed]}
            state[setting] = entry
    if not snapshot and not (arrive < 0.0).any():
        notes.append(
            f"the extract has no stay that began before {t0:%Y-%m-%d} and no census table "
            "at that date: the simulation starts empty, as the extract's own census does"
        )
    changes = {"calendar.warmup_days": 0, "initial_state": state}
    return override(scenario, changes), notes


# ------------------------------------------------------------------------- the series


@dataclass(frozen=True)
class _Observed:
    """One observed series of one setting: a value per point, and how many people each
    value is about (to suppress small numbers)."""

    values: npt.NDArray[np.float64]
    people: npt.NDArray[np.int64]


def _count_at(
    starts: npt.NDArray[np.float64], ends: npt.NDArray[np.float64], at: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """Intervals [start, end) (NaN end: still open) that contain each time `at`."""
    s = np.sort(starts[np.isfinite(starts)])
    e = np.sort(ends[np.isfinite(starts) & np.isfinite(ends)])
    return np.searchsorted(s, at, side="right") - np.searchsorted(e, at, side="right")


def _weekly_mean(
    week: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    weeks: int,
    groups: int = 1,
    group: npt.NDArray[np.int64] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Mean of `values` in each (group, week), NaN where there is none, and the counts."""
    key = week if group is None else group * weeks + week
    total = np.bincount(key, weights=values, minlength=groups * weeks)
    count = np.bincount(key, minlength=groups * weeks)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return mean.reshape(groups, weeks), count.reshape(groups, weeks).astype(np.int64)


def _ready_missing(stays: pd.DataFrame, t0: pd.Timestamp) -> float:
    """Share of the stays that ended on or after `t0` with no ready time (NaN if none)."""
    ended = stays["leave"].notna() & (stays["leave"] >= t0)
    if not ended.any():
        return math.nan
    return float(stays.loc[ended, "ready"].isna().mean())


def observed_series(
    extract: Extract, start: dt.date, horizon_days: int, settings: Sequence[str]
) -> tuple[dict[tuple[str, str], _Observed], list[str]]:
    """What happened, as the simulation measures it: each (series, setting) of
    :data:`SERIES` over the `horizon_days` days from `start`, from the extract's stays,
    and notes of what could not be compared."""
    t0 = pd.Timestamp(start)
    weeks = horizon_days // 7
    midnight = np.arange(1, horizon_days + 1, dtype=float)
    out: dict[tuple[str, str], _Observed] = {}
    notes: list[str] = []
    for setting in settings:
        stays = extract.stays[extract.stays["setting"] == setting]
        arrive = _days(stays["arrive"], t0)
        leave = _days(stays["leave"], t0)
        census = _count_at(arrive, leave, midnight)
        out["census", setting] = _Observed(census.astype(float), census)
        came = (arrive >= 0.0) & (arrive < 7 * weeks)
        admitted = np.bincount(np.floor(arrive[came] / 7).astype(np.int64), minlength=weeks)
        out["admissions", setting] = _Observed(admitted.astype(float), admitted)
        ended = (arrive >= 0.0) & np.isfinite(leave) & (leave < 7 * weeks) & (leave >= 0.0)
        mean, count = _weekly_mean(
            np.floor(leave[ended] / 7).astype(np.int64), (leave - arrive)[ended], weeks
        )
        out["los", setting] = _Observed(mean[0], count[0])
        if setting not in HOLDING_SETTINGS:
            continue
        missing = _ready_missing(stays, t0)
        if math.isnan(missing) or missing >= 1.0:
            notes.append(
                f"{setting}: the extract gives no ready time, so delayed days are not compared"
            )
            continue
        if missing > READY_MISSING_MAX:
            notes.append(
                f"{setting}: {missing:.0%} of the stays that ended have no ready time, so "
                "the count of people delayed would be too low: delayed days are not compared "
                f"(at most {READY_MISSING_MAX:.0%} may be missing)"
            )
            continue
        if missing > 0.0:
            notes.append(
                f"{setting}: {missing:.1%} of the stays that ended have no ready time: the "
                "observed count of people delayed may be that much too low"
            )
        ready = _days(stays["ready"], t0)
        delayed = _count_at(ready, np.where(np.isfinite(ready), leave, np.nan), midnight)
        out["delayed", setting] = _Observed(delayed.astype(float), delayed)
    return out, notes


def _simulated_series(
    result: SimulationResult, settings: Sequence[str], wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], npt.NDArray[np.float64]]:
    """The same series in each replication: arrays of replications x points."""
    horizon = result.scenario.calendar.horizon_days
    weeks = horizon // 7
    reps = sorted(int(r) for r in result.daily["replication"].unique())
    out: dict[tuple[str, str], npt.NDArray[np.float64]] = {}
    stays = result.stays_table("backtest")
    for setting in settings:
        d = result.daily[result.daily["setting"] == setting]

        def wide(column: str, d: pd.DataFrame = d) -> npt.NDArray[np.float64]:
            table = d.pivot(index="replication", columns="day", values=column)
            return table.reindex(index=reps, columns=range(horizon)).to_numpy(dtype=float)

        out["census", setting] = wide("census")
        admitted = wide("admissions")[:, : 7 * weeks]
        out["admissions", setting] = admitted.reshape(len(reps), weeks, 7).sum(axis=2)
        if ("delayed", setting) in wanted:
            out["delayed", setting] = wide("ready_not_discharged")
        s = stays[(stays["setting"] == setting).to_numpy()]
        arrive = s["arrive"].to_numpy(dtype=float)
        leave = s["leave"].to_numpy(dtype=float)
        ended = (arrive >= 0.0) & np.isfinite(leave) & (leave >= 0.0) & (leave < 7 * weeks)
        ended &= ~s["at_start"].to_numpy(dtype=bool)
        rep = np.searchsorted(reps, s["replication"].to_numpy(dtype=np.int64)[ended])
        mean, _ = _weekly_mean(
            np.floor(leave[ended] / 7).astype(np.int64),
            (leave - arrive)[ended],
            weeks,
            len(reps),
            rep.astype(np.int64),
        )
        out["los", setting] = mean
    return out


# ------------------------------------------------------------------------ the comparison


def _quantiles(sims: npt.NDArray[np.float64], q: Sequence[float]) -> npt.NDArray[np.float64]:
    """Quantiles over replications (rows) of each point (NaN-aware only where needed: the
    NaN-aware quantile works column by column)."""
    if not np.isnan(sims).any():
        return np.quantile(sims, q, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN points stay NaN
        return np.nanquantile(sims, q, axis=0)


def _mean(sims: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The mean over replications of each point (NaN where none has a value)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN points stay NaN
        return np.asarray(np.nanmean(sims, axis=0), dtype=float)


@dataclass(frozen=True)
class _Scores:
    points: int
    observed_mean: float
    coverage: float
    bias: float
    bias_pct: float
    mape: float


def _scores(
    observed: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    median: npt.NDArray[np.float64],
    mean: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
) -> _Scores:
    """Coverage of the band [low, high]; bias, the simulated mean - observed (positive when
    the simulation runs high), also as a percentage of the observed mean; and the mean
    absolute percentage error of the simulated median over the points with observed > 0.

    The bias is of the mean over replications, not the median: the median of a small
    count is a whole number below the mean of a right-skewed count (the median of a
    Poisson count of mean 1.35 is 1), which would read as a bias of a quarter for a
    model that is exactly right.
    """
    ok = np.isfinite(observed) & np.isfinite(low) & np.isfinite(median) & np.isfinite(high)
    o, lo, m, mu, hi = observed[ok], low[ok], median[ok], mean[ok], high[ok]
    if o.size == 0:
        return _Scores(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    bias = float(np.mean(mu - o))
    level = float(np.mean(o))
    positive = o > 0
    return _Scores(
        points=int(o.size),
        observed_mean=level,
        coverage=float(np.mean((o >= lo) & (o <= hi))),
        bias=bias,
        bias_pct=100.0 * bias / level if level > 0 else math.nan,
        mape=(
            100.0 * float(np.mean(np.abs(m[positive] - o[positive]) / o[positive]))
            if positive.any()
            else math.nan
        ),
    )


def _own_scatter(sims: npt.NDArray[np.float64], keep: npt.NDArray[np.bool_]) -> list[_Scores]:
    """The scores each replication gets against the band of the others (leave one out):
    how a run of the model itself scatters, with this series' autocorrelation."""
    out = []
    for r in range(sims.shape[0]):
        others = np.delete(sims, r, axis=0)[:, keep]
        q = _quantiles(others, (0.05, 0.5, 0.95))
        out.append(_scores(sims[r, keep], q[0], q[1], _mean(others), q[2]))
    return out


def _judged(s: _Scores) -> bool:
    """Whether a bias is judged as a share: not on an observed mean under MIN_LEVEL."""
    return math.isfinite(s.bias_pct) and s.observed_mean >= MIN_LEVEL


@dataclass(frozen=True)
class _Limits:
    """The thresholds a row is judged by: the fixed ones, widened to the scatter of the
    model's own runs where that is wider."""

    good_coverage: float
    good_bias_pct: float
    poor_coverage: float
    poor_bias_pct: float
    bias_judged: bool


def _limits(own: Sequence[_Scores]) -> _Limits:
    """Good: coverage at least min(GOOD_COVERAGE, the own runs' 10th percentile), |bias| at
    most max(GOOD_BIAS_PCT, their 90th percentile of |bias|): a run of the model itself
    misses each about one time in ten at most. Poor: coverage below min(POOR_COVERAGE, their
    mean - 4 sd) or |bias| beyond max(POOR_BIAS_PCT, 4 x their root mean square bias): the
    house's four standard errors, so that among a backtest's twenty-odd rows a true model
    has a poor one by chance very rarely. The bias is judged only where nine in ten of the
    own runs have a mean of at least MIN_LEVEL (else the series is too sparse: its
    relative bias swings by chance)."""
    cover = np.array([o.coverage for o in own if math.isfinite(o.coverage)])
    bias = np.array([o.bias_pct for o in own if math.isfinite(o.bias_pct)])
    sparse = np.mean([not _judged(o) for o in own]) > 0.1 if own else True
    good_c, poor_c = GOOD_COVERAGE, POOR_COVERAGE
    good_b, poor_b = GOOD_BIAS_PCT, POOR_BIAS_PCT
    if cover.size > 1:
        good_c = min(good_c, float(np.quantile(cover, 0.1)))
        poor_c = min(poor_c, float(cover.mean() - 4.0 * cover.std(ddof=1)))
    if bias.size > 1:
        good_b = max(good_b, float(np.quantile(np.abs(bias), 0.9)))
        poor_b = max(poor_b, 4.0 * float(np.sqrt(np.mean(bias**2))))
    return _Limits(good_c, good_b, max(poor_c, 0.0), poor_b, not sparse)


def _verdict(series: str, s: _Scores, limits: _Limits, zero: bool) -> tuple[str, str]:
    """The level (good, fair, poor; none when nothing could be compared, or when observed
    and simulated are 0 throughout, which says nothing) and the verdict in words."""
    points = "days" if SERIES[series][1] == "day" else "weeks"
    if s.points == 0:
        return "none", f"not compared: no {points} with both an observed and a simulated value"
    if zero:
        return "none", f"nothing to compare: 0 on every one of the {points}, observed and simulated"
    bias_known = _judged(s) and limits.bias_judged
    off = abs(s.bias_pct) if bias_known else 0.0
    if s.coverage < limits.poor_coverage or off > limits.poor_bias_pct:
        level = "poor"
    elif s.coverage >= limits.good_coverage and off <= limits.good_bias_pct:
        level = "good"
    else:
        level = "fair"
    only = "only " if s.coverage < min(limits.good_coverage, GOOD_COVERAGE) else ""
    words = f"{level}: {only}{s.coverage:.0%} of {points} inside the 90% band"
    if not bias_known:
        words += (
            f", bias {s.bias:+.2g} {SERIES[series][0]} on an observed mean of "
            f"{s.observed_mean:.2g} (too few to judge as a share)"
        )
    elif off > limits.good_bias_pct:
        words += f"; the simulation runs {off:.0f}% {'high' if s.bias_pct > 0 else 'low'}"
    elif off > GOOD_BIAS_PCT:
        words += (
            f", bias {s.bias_pct:+.1f}%: within chance for this series (the model's own "
            f"runs: up to {limits.good_bias_pct:.0f}% one time in ten)"
        )
    else:
        words += f", bias {s.bias_pct:+.1f}%"
    return level, words


def _overall(table: pd.DataFrame) -> str:
    rated = table[table["level"].isin(_LEVELS)]
    n = len(rated)
    if n == 0:
        return "none: nothing could be compared"

    def listing(rows: pd.DataFrame) -> str:
        items = [
            f"{str(r['setting']).replace('_', ' ')} {SERIES_WORDS[str(r['series'])]} "
            f"({str(r['verdict']).split(': ', 1)[1]})"
            for r in rows.to_dict("records")
        ]
        shown = "; ".join(items[:4])
        return shown + (f"; and {len(items) - 4} more" if len(items) > 4 else "")

    poor = rated[rated["level"] == "poor"]
    fair = rated[rated["level"] == "fair"]
    if len(poor) or len(fair) > POOR_SHARE * n:
        worse = poor if len(poor) else fair
        return (
            f"poor: {len(poor)} of {n} comparisons poor and {len(fair)} fair: "
            f"{listing(worse)}. The scenario does not behave like the place there: look at "
            "those settings' stays, pathways and capacity before relying on it"
        )
    if len(fair) > FAIR_SHARE * n:
        return f"fair: {len(fair)} of {n} comparisons fair, none poor: {listing(fair)}"
    if len(fair):
        return (
            f"good: {n - len(fair)} of {n} comparisons good and {len(fair)} fair (a true "
            f"model has about one in five fair by chance), none poor; fair: {listing(fair)}"
        )
    return (
        f"good: all {n} comparisons good: the simulation's 90% bands hold what happened, "
        "with little bias"
    )


# ---------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class BacktestResult:
    """A backtest: the scenario as run (from the extract's census), the run, the tidy
    table of scores, the series point by point, the overall verdict and notes.

    ``table``: one row per (series, setting): series, setting, unit, points (days or
    weeks compared), coverage (share of them inside the 90% band), bias (simulated mean -
    observed, averaged over the points, in the unit: positive when the simulation runs
    high), bias_pct (bias over the observed mean, percent), mape (mean absolute percentage
    error of the simulated median over points with observed > 0, percent), the thresholds
    the row was judged by (good_coverage, good_bias_pct, poor_coverage, poor_bias_pct:
    the fixed ones, widened to the scatter of the model's own runs where that is wider),
    level (good, fair, poor; none where there was nothing to compare) and verdict (in
    words).

    ``series``: one row per point: series, setting, unit, point (day or 7-day block from
    the start), date (its first day), observed, people (how many people the observed
    figure is about), p05, p25, median, p75, p95 and mean (across replications), inside
    (whether observed lies in [p05, p95]) and capacity (census rows: the places in force,
    blank where unlimited). It holds small numbers: :meth:`shared_series` is the one to
    write.
    """

    scenario: Scenario
    result: SimulationResult
    table: pd.DataFrame
    series: pd.DataFrame
    verdict: str
    notes: tuple[str, ...]
    source: str
    suppress: int

    @property
    def level(self) -> str:
        """The overall level: good, fair or poor (or none)."""
        return self.verdict.split(":", 1)[0]

    def shared_series(self) -> pd.DataFrame:
        """:attr:`series` to share: an observed figure about fewer than ``suppress`` people
        (a census, a week's admissions or a count of people delayed under it; a week's
        mean stay of fewer stays) is blank, as is whether it was inside the band, and
        ``suppressed`` says so; the ``people`` column is dropped."""
        out = self.series.copy()
        small = (out["people"] < self.suppress).to_numpy() & out["observed"].notna().to_numpy()
        out["observed"] = out["observed"].mask(small)
        out["inside"] = out["inside"].astype(object).mask(small)
        out.insert(list(out.columns).index("observed") + 1, "suppressed", small)
        return out.drop(columns=["people"])

    def html(self) -> str:
        """The backtest page (self-contained HTML): the verdict, the table, and observed over
        simulated fan charts of each series in each setting."""
        from placesim.reporting.html import backtest_html

        cal = self.scenario.calendar
        title = f"placesim backtest: {self.scenario.name}"
        lead = (
            f"{cal.start_date} to {cal.end_date}, started from the census on {cal.start_date} "
            f"of the extract '{Path(self.source).name}'; {self.result.replications} "
            f"replications on seed {self.result.seed}."
        )
        return backtest_html(
            title,
            lead,
            self.table,
            self.shared_series(),
            self.verdict,
            list(self.notes),
            suppress=self.suppress,
            thresholds={
                "good_coverage": GOOD_COVERAGE,
                "good_bias_pct": GOOD_BIAS_PCT,
                "poor_coverage": POOR_COVERAGE,
                "poor_bias_pct": POOR_BIAS_PCT,
            },
        )

    def write(self, out: str | Path, *, report: bool = False) -> list[Path]:
        """Write ``backtest.csv`` (the table) with ``backtest.json`` (what was run, the
        verdict and its thresholds), ``backtest_series.csv`` (the points, small numbers
        suppressed) and, with `report`, ``backtest.html``, to the folder `out`. Other files
        there are left alone. Returns the files written."""
        folder = Path(out)
        cal = self.scenario.calendar
        about = {
            "experiment": "backtest",
            "scenario": self.scenario.name,
            "extract": self.source,
            "start_date": str(cal.start_date),
            "end_date": str(cal.end_date),
            "seed": self.result.seed,
            "replications": self.result.replications,
            "suppress": self.suppress,
            "verdict": self.verdict,
            "notes": list(self.notes),
            "thresholds": {
                "good": f"coverage >= min({GOOD_COVERAGE}, the 10th percentile of the model's "
                f"own runs) and |bias_pct| <= max({GOOD_BIAS_PCT}, their 90th percentile)",
                "poor": f"coverage < min({POOR_COVERAGE}, the own runs' mean - 3 sd) or "
                f"|bias_pct| > max({POOR_BIAS_PCT}, 3 x their root mean square)",
                "bias_judged_from": f"an observed mean of {MIN_LEVEL}",
                "overall": f"poor if any row is poor or more than {POOR_SHARE:.2f} of rows are "
                f"fair; fair if more than {FAIR_SHARE:.2f} are fair; good otherwise",
            },
        }
        written = write_experiment(self.table, folder, "backtest", about)
        written.append(write_table(self.shared_series(), folder / "backtest_series.csv"))
        if report:
            written.append(write_text(folder / "backtest.html", self.html()))
        return written


def backtest(
    scenario: Scenario,
    extract: str | Path | Extract,
    replications: int | None = None,
    seed: int | None = None,
    *,
    suppress: int = 5,
    from_census: bool = True,
    **options: Any,
) -> BacktestResult:
    """Run `scenario` over its reporting window from the extract's census and compare it
    with what happened: daily census, weekly admissions, daily delayed people and weekly
    mean length of stay per setting (module docstring; docs/howto/model-your-own-place.md).

    Parameters
    ----------
    scenario
        The scenario (a fitted one, or any other): its window (``calendar.start_date`` to
        ``end_date``) is the period compared, and must lie inside the extract's dates.
    extract
        A folder of tables, an Excel workbook, or an :class:`Extract` already read.
    replications
        Replications; default the scenario's, and at least :data:`BACKTEST_REPLICATIONS`.
    seed
        Root seed; default the scenario's. A synthetic extract made on the same seed shares
        its people with replication 0: backtest it on another.
    suppress
        Observed figures about fewer people than this are not written (NHS small-number
        rules; 0 writes every figure). The scores use every point.
    from_census
        Start from the extract's census at the start date with no warm-up
        (:func:`start_from_census`); False runs the scenario as it is.
    options
        Passed to :func:`placesim.simulate` (``workers``, ``client``, ``progress``, ...).

    Raises
    ------
    PlacesimError
        If the extract cannot be read, does not reach the window's end, or shares no
        setting with the scenario; or if fewer than 10 replications are asked for.
    """
    if suppress < 0:
        raise PlacesimError(f"suppress: {suppress} is not allowed: must be 0 or more")
    n = (
        replications
        if replications is not None
        else max(scenario.calendar.replications, BACKTEST_REPLICATIONS)
    )
    if n < MIN_REPLICATIONS:
        raise PlacesimError(
            f"replications: {n} is not allowed: a 90% band needs at least {MIN_REPLICATIONS}"
        )
    found = extract if isinstance(extract, Extract) else read_extract(extract)
    cal = scenario.calendar
    if found.stays.empty:
        raise PlacesimError(f"{found.source}: the extract has no usable stay")
    last = _last_time(found.stays)
    if last < pd.Timestamp(cal.end_date):
        raise PlacesimError(
            f"the extract's stays end on {last:%Y-%m-%d}, before the scenario's window "
            f"({cal.start_date} to {cal.end_date}) does: backtest over dates the extract "
            "covers (calendar.start_date and horizon_days)"
        )
    defined = list(scenario.settings.defined())
    present = set(found.stays["setting"])
    settings = [s for s in SETTINGS if s in defined and s in present]
    notes: list[str] = []
    if not settings:
        raise PlacesimError(
            f"the extract's settings ({', '.join(sorted(present))}) and the scenario's "
            f"({', '.join(defined)}) have none in common: nothing to compare"
        )
    for s in SETTINGS:
        if s in present and s not in defined:
            notes.append(f"{s}: in the extract, not in the scenario: not compared")
        elif s in defined and s not in present:
            notes.append(f"{s}: in the scenario, not in the extract: not compared")
    run = scenario
    if from_census:
        run, census_notes = start_from_census(scenario, found)
        notes += census_notes
    if cal.horizon_days % 7:
        notes.append(
            f"weekly series use the window's {cal.horizon_days // 7} whole weeks from "
            f"{cal.start_date}; its last {cal.horizon_days % 7} day(s) are in the daily ones"
        )
    observed, series_notes = observed_series(found, cal.start_date, cal.horizon_days, settings)
    notes += series_notes
    result = simulate(run, replications=n, seed=seed, keep_stays=True, **options)
    simulated = _simulated_series(result, settings, set(observed))
    rows, points = _compare(observed, simulated, cal.start_date)
    _add_capacity(points, result)
    table = pd.DataFrame(rows)
    verdict = _overall(table)
    return BacktestResult(
        scenario=run,
        result=result,
        table=table,
        series=points,
        verdict=verdict,
        notes=tuple(notes),
        source=found.source,
        suppress=suppress,
    )


def _add_capacity(points: pd.DataFrame, result: SimulationResult) -> None:
    """The places in force on each day of a census row (mean over replications, as
    escalation can add some), blank where unlimited and on other rows."""
    capacity = result.daily.groupby(["setting", "day"], observed=True)["capacity"].mean()
    census = (points["series"] == "census").to_numpy()
    key = pd.MultiIndex.from_arrays(
        [points.loc[census, "setting"].astype(str), points.loc[census, "point"]]
    )
    places = np.full(len(points), np.nan)
    places[census] = capacity.reindex(key).to_numpy(dtype=float)
    points["capacity"] = np.where(np.isfinite(places), places, np.nan)


def _compare(
    observed: Mapping[tuple[str, str], _Observed],
    simulated: Mapping[tuple[str, str], npt.NDArray[np.float64]],
    start: dt.date,
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    rows: list[dict[str, Any]] = []
    frames: list[pd.DataFrame] = []
    for series in SERIES:
        for (name, setting), obs in observed.items():
            if name != series:
                continue
            sims = simulated[series, setting]
            # A point needs a simulated value in at least half the replications (a week's
            # mean stay has none in a replication where no stay ended that week).
            keep = np.isfinite(sims).sum(axis=0) >= max(sims.shape[0] / 2, 1)
            q = np.full((len(QUANTILES), sims.shape[1]), np.nan)
            if keep.any():
                q[:, keep] = _quantiles(sims[:, keep], QUANTILES)
            low, median, high = q[0], q[2], q[4]
            mean = np.where(keep, _mean(sims), np.nan)
            scores = _scores(obs.values, low, median, mean, high)
            limits = _limits(_own_scatter(sims, keep & np.isfinite(obs.values)))
            compared = np.isfinite(obs.values) & np.isfinite(low)
            zero = not (obs.values[compared] > 0).any() and not (high[compared] > 0).any()
            level, words = _verdict(series, scores, limits, zero)
            unit, step = SERIES[series]
            rows.append(
                {
                    "series": series,
                    "setting": setting,
                    "unit": unit,
                    "points": scores.points,
                    "coverage": scores.coverage,
                    "bias": scores.bias,
                    "bias_pct": scores.bias_pct,
                    "mape": scores.mape,
                    "good_coverage": limits.good_coverage,
                    "good_bias_pct": limits.good_bias_pct,
                    "poor_coverage": limits.poor_coverage,
                    "poor_bias_pct": limits.poor_bias_pct,
                    "level": level,
                    "verdict": words,
                }
            )
            width = 7 if step == "week" else 1
            point = np.arange(obs.values.size, dtype=np.int64)
            inside = (obs.values >= low) & (obs.values <= high)
            frames.append(
                pd.DataFrame(
                    {
                        "series": series,
                        "setting": setting,
                        "unit": unit,
                        "point": point,
                        "date": pd.Timestamp(start) + pd.to_timedelta(point * width, "D"),
                        "observed": obs.values,
                        "people": obs.people,
                        "p05": q[0],
                        "p25": q[1],
                        "median": q[2],
                        "p75": q[3],
                        "p95": q[4],
                        "mean": mean,
                        "inside": pd.Series(inside, dtype="boolean").mask(~compared),
                    }
                )
            )
    return rows, pd.concat(frames, ignore_index=True)
