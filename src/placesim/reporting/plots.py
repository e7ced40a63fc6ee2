"""Plots of a run: census fan charts, waiting and delays, lengths of stay, capacity gaps.

Each plot returns a matplotlib :class:`~matplotlib.figure.Figure` that a planner can
restyle (titles, colours, limits) and save. matplotlib is an optional extra
(``pip install 'placesim[plot]'``), imported only when a plot is drawn. Figures are drawn
on the Agg canvas (no screen) and are not registered with pyplot, so a script or a server
draws them without a display and without changing the session's backend; in Jupyter a
figure returned as the last expression shows as usual.

The series behind each plot are plain tables (:func:`census_bands`, :func:`daily_delayed`,
:func:`los_days`), so the numbers can be checked or drawn another way.

Each plot takes ``period=`` (``"START:END"`` or a name from the scenario's ``periods:``,
as :meth:`placesim.SimulationResult.summary`): the census and waiting charts still draw
the whole run, with the window shaded; the length-of-stay histogram and the capacity gap
are of the window only, so they agree with ``summary(period=...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from placesim.errors import PlacesimError
from placesim.measures.periods import Period, find_period
from placesim.scenario import SETTINGS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from placesim.measures import RegionResult, SimulationResult

__all__ = [
    "HOLDING_SETTINGS",
    "QUANTILES",
    "ResultPlots",
    "census_bands",
    "daily_delayed",
    "input_label",
    "los_days",
    "plot_backtest",
    "plot_capacity_gap",
    "plot_census",
    "plot_escalation",
    "plot_los",
    "plot_places",
    "plot_staff",
    "plot_tornado",
    "plot_waiting",
    "require_matplotlib",
]

QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles across replications drawn by the fan charts: a 90% band, a 50% band, the median."""

HOLDING_SETTINGS: tuple[str, ...] = ("acute", "rapid_response", "intermediate_care", "reablement")
"""Settings whose people keep their place while they wait for the next service (blocking
after service, docs/model.md): the only ones where someone can be delayed after ready."""

# Okabe-Ito colours: told apart with the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
)
_SHORTFALL = "#D55E00"
_SPARE = "#0072B2"
_CAPACITY = "#222222"
_WINDOW = "#7a7a7a"

_MISSING = "plots need matplotlib, which is not installed: pip install 'placesim[plot]'"


def _label(setting: str) -> str:
    return setting.replace("_", " ")


def require_matplotlib() -> None:
    """Raise :class:`PlacesimError` saying how to install matplotlib if it is missing.

    Called before long work whose end needs plots (``placesim run --report``), so that a
    missing extra is reported at once rather than after the run.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlacesimError(_MISSING) from None


def _figure(ax: Axes | None, size: tuple[float, float] = (9.0, 4.0)) -> tuple[Figure, Axes]:
    """A new figure on the Agg canvas with one axes, or the figure of `ax`."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if ax is not None:
        root = ax.figure
        while not isinstance(root, Figure):  # a SubFigure: its parent holds the canvas
            root = root.figure
        return root, ax
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    # Fixed margins (inches) that fit these plots' labels: a layout engine would draw
    # every figure twice when saved. fig.set_layout_engine("constrained") after
    # restyling with larger text.
    w, h = size
    fig.subplots_adjust(left=0.85 / w, right=1 - 0.2 / w, bottom=0.65 / h, top=1 - 0.6 / h)
    return fig, fig.add_subplot()


def _date_axis(ax: Axes) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _counts(ax: Axes) -> None:
    """People are whole: no ticks between them."""
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _style(ax: Axes) -> None:
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _as_list(results: SimulationResult | Sequence[SimulationResult]) -> list[SimulationResult]:
    out = [results] if not isinstance(results, Sequence) else list(results)
    if not out:
        raise PlacesimError("results: none given: a plot needs at least one result")
    return out


def _check_setting(result: SimulationResult, setting: str) -> None:
    if setting not in SETTINGS:
        raise PlacesimError(
            f"setting: {setting!r} is not allowed: must be one of {', '.join(SETTINGS)}"
        )
    defined = result.scenario.settings.defined()
    if setting not in defined:
        raise PlacesimError(
            f"setting: {setting!r} is not in scenario {result.scenario.name!r} "
            f"(its settings: {', '.join(defined)})"
        )


def _dates(result: SimulationResult) -> npt.NDArray[np.datetime64]:
    cal = result.scenario.calendar
    start = np.datetime64(cal.start_date, "D")
    return start + np.arange(cal.horizon_days).astype("timedelta64[D]")


def _wide(result: SimulationResult, setting: str, column: str) -> npt.NDArray[np.float64]:
    """Daily `column` of `setting`: one row per day, one column per replication."""
    d = result.daily[result.daily["setting"] == setting]
    wide = d.pivot(index="day", columns="replication", values=column)
    days = np.arange(result.scenario.calendar.horizon_days)
    return wide.reindex(days).to_numpy(dtype=float)


def _quantiles(wide: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """QUANTILES over replications (rows of the result) of each day (columns)."""
    return np.quantile(wide, QUANTILES, axis=1)


def census_bands(result: SimulationResult, setting: str) -> pd.DataFrame:
    """The midnight census of a setting across replications, day by day.

    Parameters
    ----------
    result
        A run.
    setting
        One of the scenario's settings.

    Returns
    -------
    pandas.DataFrame
        Columns day, date, p05, p25, median, p75, p95 (quantiles of the census over
        replications, people), capacity (in force that day; inf = unlimited).
    """
    _check_setting(result, setting)
    q = _quantiles(_wide(result, setting, "census"))
    days = np.arange(result.scenario.calendar.horizon_days, dtype=float)
    return pd.DataFrame(
        {
            "day": days.astype(np.int64),
            "date": _dates(result),
            "p05": q[0],
            "p25": q[1],
            "median": q[2],
            "p75": q[3],
            "p95": q[4],
            "capacity": result.plan.capacity_by_day(setting, days),
        }
    )


def daily_delayed(result: SimulationResult, setting: str = "acute") -> pd.DataFrame:
    """People in `setting` after they were ready to leave, at each midnight.

    For acute these are the delayed discharges: people medically ready and still in a
    bed, waiting for intermediate care, reablement or a care home (or being assessed
    before asking). A stay counts at the midnight ``t`` that ends day ``d`` (``t = d + 1``,
    as the midnight census) when ``ready <= t < leave``; a stay still open at the end has
    no leave and counts on every midnight after ready.

    Returns
    -------
    pandas.DataFrame
        Columns replication, day, date, delayed (people), one row per replication and day
        of the reporting window.
    """
    _check_setting(result, setting)
    horizon = result.scenario.calendar.horizon_days
    midnight = np.arange(1, horizon + 1, dtype=float)
    stays = result.stays_table("daily_delayed()")
    stays = stays[stays["setting"] == setting]
    by_rep = dict(iter(stays.groupby("replication", sort=False)[["ready", "leave"]]))
    frames = []
    for rep in sorted(int(r) for r in result.measures["replication"].unique()):
        s = by_rep.get(rep, stays.iloc[:0])
        ready = s["ready"].to_numpy(dtype=float)
        leave = s["leave"].to_numpy(dtype=float)
        has_ready = np.isfinite(ready)
        r = np.sort(ready[has_ready])
        e = np.sort(leave[has_ready & np.isfinite(leave)])
        # leave >= ready, so every stay that has left by t was ready by t.
        count = np.searchsorted(r, midnight, side="right") - np.searchsorted(
            e, midnight, side="right"
        )
        frames.append(
            pd.DataFrame(
                {
                    "replication": rep,
                    "day": np.arange(horizon, dtype=np.int64),
                    "date": _dates(result),
                    "delayed": count.astype(np.int64),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def los_days(
    result: SimulationResult, setting: str, period: str | Period | None = None
) -> pd.DataFrame:
    """Lengths of stay of the stays in `setting` that ended in the reporting window.

    The stays of the ``los_*`` measures: leave in ``[0, horizon)``, people already in the
    setting at the start left out (their start is unknown). With `period` (as
    :meth:`placesim.SimulationResult.summary`), the stays that ended in that window: those
    of ``summary(period=...)``'s ``los_*``.

    Returns
    -------
    pandas.DataFrame
        Columns replication, los (leave - arrive, days), until_ready (ready - arrive: for
        acute, the time until medically ready), delayed (leave - ready), one row per stay.
    """
    _check_setting(result, setting)
    found = find_period(period, result.plan)
    start, end = (
        (0.0, float(result.scenario.calendar.horizon_days))
        if found is None
        else found.window(result.plan)
    )
    s = result.stays_table("los_days()")
    s = s[s["setting"] == setting]
    leave = s["leave"].to_numpy(dtype=float)
    ended = np.isfinite(leave) & (leave >= start) & (leave < end)
    ended &= ~s["at_start"].to_numpy(dtype=bool)
    s = s[ended]
    arrive = s["arrive"].to_numpy(dtype=float)
    ready = s["ready"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "replication": s["replication"].to_numpy(dtype=np.int64),
            "los": s["leave"].to_numpy(dtype=float) - arrive,
            "until_ready": ready - arrive,
            "delayed": s["leave"].to_numpy(dtype=float) - ready,
        }
    )


def _shade(ax: Axes, result: SimulationResult, period: str | Period | None) -> None:
    """Shade `period` (both its days included) on a chart of the whole run."""
    found = find_period(period, result.plan)
    if found is None:
        return
    start = np.datetime64(found.start, "D")
    end = np.datetime64(found.end, "D") + np.timedelta64(1, "D")
    ax.axvspan(
        start,  # type: ignore[arg-type]  # a date on the date axis
        end,  # type: ignore[arg-type]
        color=_WINDOW,
        alpha=0.13,
        lw=0,
        label=f"reported window: {found.label}",
        zorder=0,
    )


def _in_window(what: str, result: SimulationResult, period: str | Period | None) -> str:
    found = find_period(period, result.plan)
    return what if found is None else f"{what}, {found.label}"


def _replications(result: SimulationResult) -> int:
    return int(result.measures["replication"].nunique())


def _title(results: list[SimulationResult], what: str) -> str:
    n = _replications(results[0])
    reps = f"{n} replication{'s' if n != 1 else ''}"
    if len(results) == 1:
        return f"{results[0].scenario.name}: {what} ({reps})"
    return f"{what} ({reps} of each scenario)"


def plot_census(
    results: SimulationResult | Sequence[SimulationResult],
    setting: str = "acute",
    *,
    ax: Axes | None = None,
    period: str | Period | None = None,
) -> Figure:
    """Fan chart of the daily midnight census across replications, against capacity.

    For one result: the median, a 50% band (25th to 75th percentile over replications)
    and a 90% band (5th to 95th), and the capacity in force as a step line. For several
    (a comparison): each scenario's median and 90% band in its own colour, and one
    capacity line, or one per scenario when their capacities differ.

    Parameters
    ----------
    results
        A result, or several run on the same seed (``comparison.results``).
    setting
        The setting to draw.
    ax
        Axes to draw into (default: a new figure).
    period
        A window to shade (``"START:END"`` or a named period); the chart is of the whole run.

    Returns
    -------
    matplotlib.figure.Figure
    """
    runs = _as_list(results)
    fig, ax = _figure(ax)
    _shade(ax, runs[0], period)
    capacities: list[tuple[str, npt.NDArray[np.float64]]] = []
    shown: list[float] = []
    dates = []
    for i, res in enumerate(runs):
        bands = census_bands(res, setting)
        shown += [float(bands["p05"].min()), float(bands["p95"].max())]
        x = bands["date"].to_numpy()
        dates.append(x)
        colour = PALETTE[i % len(PALETTE)]
        name = res.scenario.name
        if len(runs) == 1:
            ax.fill_between(
                x,
                bands["p05"],
                bands["p95"],
                color=colour,
                alpha=0.18,
                lw=0,
                label="90% of replications",
            )
            ax.fill_between(
                x,
                bands["p25"],
                bands["p75"],
                color=colour,
                alpha=0.35,
                lw=0,
                label="50% of replications",
            )
            ax.plot(x, bands["median"], color=colour, lw=1.6, label="median")
        else:
            ax.fill_between(x, bands["p05"], bands["p95"], color=colour, alpha=0.15, lw=0)
            ax.plot(x, bands["median"], color=colour, lw=1.6, label=f"{name} (median, 90% band)")
        capacities.append((name, bands["capacity"].to_numpy(dtype=float)))
    x = dates[0]
    finite = [(n, c) for n, c in capacities if np.all(np.isfinite(c))]
    same = all(np.array_equal(finite[0][1], c) for _, c in finite) if finite else True
    for i, (name, cap) in enumerate(finite):
        if same and i > 0:
            break
        colour = _CAPACITY if same else PALETTE[i % len(PALETTE)]
        label = "capacity" if same else f"capacity ({name})"
        ax.step(x, cap, where="post", color=colour, lw=1.2, ls="--", label=label)
    for _, cap in finite:
        shown += [float(cap.min()), float(cap.max())]
    # Close enough to see the spread, with room round it (a full service is a flat line).
    low, high = min(shown), max(shown)
    pad = max(0.08 * max(high - low, abs(high)), 1.0)
    ax.set_ylim(max(low - pad, 0.0), high + pad)
    title = f"{_label(setting).capitalize()}: midnight census"
    if not finite:
        title += " (capacity unlimited)"
    ax.set_title(_title(runs, title), loc="left", fontsize=11)
    ax.set_ylabel("people")
    _counts(ax)
    _date_axis(ax)
    _style(ax)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return fig


def plot_waiting(
    results: SimulationResult | Sequence[SimulationResult],
    setting: str = "acute",
    *,
    ax: Axes | None = None,
    period: str | Period | None = None,
) -> Figure:
    """People waiting for a setting, and people delayed in it, at each midnight.

    *Waiting* is the daily table's ``waiting``: people who asked for a place in `setting`
    and have not got it, wherever they wait (at home, or blocked in an earlier setting).
    *Delayed* (:func:`daily_delayed`) is drawn for the settings that hold people while they
    wait for the next one (:data:`HOLDING_SETTINGS`); for acute it is the delayed
    discharges. For one result each series is its median over replications with a 90%
    band; for several, each scenario's medians (waiting solid, delayed dashed). `period`
    is shaded on the whole run, as in :func:`plot_census`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    runs = _as_list(results)
    fig, ax = _figure(ax)
    _shade(ax, runs[0], period)
    for i, res in enumerate(runs):
        _check_setting(res, setting)
        x = _dates(res)
        series = [("waiting for a place", _quantiles(_wide(res, setting, "waiting")), "-")]
        if setting in HOLDING_SETTINGS:
            d = daily_delayed(res, setting).pivot(
                index="day", columns="replication", values="delayed"
            )
            what = "delayed discharges" if setting == "acute" else "delayed after ready"
            series.append((what, _quantiles(d.to_numpy(dtype=float)), "--"))
        for j, (what, q, style) in enumerate(series):
            if len(runs) == 1:
                colour = PALETTE[j]
                ax.fill_between(
                    x,
                    q[0],
                    q[4],
                    color=colour,
                    alpha=0.18,
                    lw=0,
                    label=f"{what}: 90% of replications",
                )
                ax.plot(x, q[2], color=colour, lw=1.6, label=f"{what}: median")
            else:
                colour = PALETTE[i % len(PALETTE)]
                name = res.scenario.name
                ax.plot(x, q[2], color=colour, lw=1.4, ls=style, label=f"{name}: {what}")
    ax.set_title(
        _title(runs, f"{_label(setting).capitalize()}: waiting and delayed at midnight"),
        loc="left",
        fontsize=11,
    )
    ax.set_ylabel("people")
    _counts(ax)
    ax.set_ylim(bottom=0)
    _date_axis(ax)
    _style(ax)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return fig


def plot_los(
    results: SimulationResult | Sequence[SimulationResult],
    setting: str = "acute",
    *,
    ax: Axes | None = None,
    bins: int = 50,
    period: str | Period | None = None,
) -> Figure:
    """Distribution of length of stay (leave - arrive) of stays ended in the window.

    The stays of :func:`los_days`, pooled over replications, as a histogram of stays per
    replication up to the 99th percentile (longer stays are counted in the title, not
    drawn). For one result: bars, with the time until ready as an outline where people can
    be delayed (:data:`HOLDING_SETTINGS`; the gap between the two is the delay), and lines
    at the mean and median. For several: one outline and a mean line per scenario.

    Parameters
    ----------
    bins
        Number of bins between 0 and the 99th percentile.
    period
        Draw the stays that ended in this window only (:func:`los_days`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    runs = _as_list(results)
    fig, ax = _figure(ax)
    tables = [los_days(res, setting, period) for res in runs]
    what = _in_window(f"{_label(setting).capitalize()}: length of stay", runs[0], period)
    pooled = np.concatenate([t["los"].to_numpy(dtype=float) for t in tables])
    if pooled.size == 0:
        ax.text(
            0.5,
            0.5,
            "no stays ended in the reporting window",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_title(_title(runs, what), loc="left", fontsize=11)
        return fig
    top = float(np.quantile(pooled, 0.99))
    top = top if top > 0 else float(pooled.max()) or 1.0
    edges = [float(e) for e in np.linspace(0.0, top, bins + 1)]
    beyond = 0
    for i, (res, table) in enumerate(zip(runs, tables, strict=True)):
        los = table["los"].to_numpy(dtype=float)
        weight = np.full(los.size, 1.0 / max(_replications(res), 1))
        beyond += int((los > top).sum())
        colour = PALETTE[i % len(PALETTE)]
        if len(runs) == 1:
            ax.hist(
                los, bins=edges, weights=weight, color=colour, alpha=0.55, label="length of stay"
            )
            if setting in HOLDING_SETTINGS and float(np.nanmax(table["delayed"], initial=0)) > 0:
                ready = table["until_ready"].to_numpy(dtype=float)
                ax.hist(
                    ready,
                    bins=edges,
                    weights=weight,
                    histtype="step",
                    color=PALETTE[1],
                    lw=1.4,
                    label="until medically ready" if setting == "acute" else "until ready",
                )
            ax.axvline(
                float(los.mean()),
                color=_CAPACITY,
                lw=1.2,
                ls="--",
                label=f"mean {los.mean():.1f} days",
            )
            ax.axvline(
                float(np.median(los)),
                color=_CAPACITY,
                lw=1.2,
                ls=":",
                label=f"median {np.median(los):.1f} days",
            )
        elif los.size:
            name = res.scenario.name
            ax.hist(
                los, bins=edges, weights=weight, histtype="step", color=colour, lw=1.5, label=name
            )
            ax.axvline(
                float(los.mean()),
                color=colour,
                lw=1.0,
                ls="--",
                label=f"{name}: mean {los.mean():.1f} days",
            )
    title = _title(runs, what)
    if beyond:
        title += f"\n{beyond:,} of {pooled.size:,} stays, over {top:.0f} days, are not drawn"
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_xlabel("days")
    ax.set_ylabel("stays per replication")
    ax.set_xlim(0, top)
    _style(ax)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return fig


def plot_capacity_gap(
    results: SimulationResult | Sequence[SimulationResult],
    *,
    ax: Axes | None = None,
    period: str | Period | None = None,
) -> Figure:
    """The capacity gap of each setting, with its 95% confidence interval.

    The ``capacity_gap`` measure (docs/model.md): the places to add so that people in the
    setting plus people waiting for it fit within the target occupancy on the chosen
    share of days. Positive (above the line) is a shortfall, negative is spare capacity.
    Settings with unlimited capacity have no gap and are left out. For several results,
    one bar per scenario in each setting. With `period`, the gap over that window
    (``summary(period=...)``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    runs = _as_list(results)
    fig, ax = _figure(ax)
    found = find_period(period, runs[0].plan)
    tables = []
    for res in runs:
        s = res.summary(period=found)
        tables.append(s[s["measure"] == "capacity_gap"].set_index("setting"))
    finite = set()
    for t in tables:
        finite |= {str(k) for k, v in t["mean"].items() if np.isfinite(float(v))}
    settings = [name for name in SETTINGS if name in finite]
    width = 0.8 / len(runs)
    x = np.arange(len(settings), dtype=float)
    for i, (res, t) in enumerate(zip(runs, tables, strict=True)):
        t = t.reindex(settings)
        mean = t["mean"].to_numpy(dtype=float)
        low = np.nan_to_num(mean - t["ci_low"].to_numpy(dtype=float), nan=0.0)
        high = np.nan_to_num(t["ci_high"].to_numpy(dtype=float) - mean, nan=0.0)
        pos = x - 0.4 + width * (i + 0.5)
        kwargs: dict[str, Any] = {}
        if len(runs) == 1:
            kwargs["color"] = [_SHORTFALL if m > 0 else _SPARE for m in np.nan_to_num(mean)]
        else:
            kwargs["color"] = PALETTE[i % len(PALETTE)]
            kwargs["label"] = res.scenario.name
        bars = ax.bar(
            pos,
            np.nan_to_num(mean),
            width=width * 0.9,
            yerr=np.vstack([low, high]),
            capsize=4,
            ecolor=_CAPACITY,
            **kwargs,
        )
        labels = [f"{m:+,.0f}" if abs(m) >= 10 else f"{m:+.1f}" for m in np.nan_to_num(mean)]
        ax.bar_label(bars, labels, padding=2, fontsize=8)
    ax.axhline(0.0, color=_CAPACITY, lw=0.8)
    ax.set_xticks(x, [_label(s) for s in settings])
    ax.set_ylabel("places (positive: shortfall)")
    what = _in_window("Capacity gap with 95% confidence interval", runs[0], found)
    ax.set_title(_title(runs, what), loc="left", fontsize=11)
    _style(ax)
    ax.grid(False, axis="x")
    if len(runs) > 1:
        ax.legend(loc="best", fontsize=8, frameon=False)
    return fig


class ResultPlots:
    """The plots of one result, as ``result.plot.census("acute")`` and so on.

    Every method returns a new matplotlib Figure (or draws into ``ax=`` when given).
    """

    def __init__(self, result: SimulationResult) -> None:
        self._result = result

    def census(
        self,
        setting: str = "acute",
        *,
        ax: Axes | None = None,
        period: str | Period | None = None,
    ) -> Figure:
        """Fan chart of the daily midnight census against capacity (:func:`plot_census`)."""
        return plot_census(self._result, setting, ax=ax, period=period)

    def waiting(
        self,
        setting: str = "acute",
        *,
        ax: Axes | None = None,
        period: str | Period | None = None,
    ) -> Figure:
        """People waiting for, and delayed in, a setting each day (:func:`plot_waiting`)."""
        return plot_waiting(self._result, setting, ax=ax, period=period)

    def los(
        self,
        setting: str = "acute",
        *,
        ax: Axes | None = None,
        bins: int = 50,
        period: str | Period | None = None,
    ) -> Figure:
        """Length-of-stay distribution of stays ended in the window (:func:`plot_los`)."""
        return plot_los(self._result, setting, ax=ax, bins=bins, period=period)

    def capacity_gap(self, *, ax: Axes | None = None, period: str | Period | None = None) -> Figure:
        """Capacity gap by setting with 95% CIs (:func:`plot_capacity_gap`)."""
        return plot_capacity_gap(self._result, ax=ax, period=period)

    def escalation(self, *, ax: Axes | None = None) -> Figure:
        """Share of replications at each escalation level by day (:func:`plot_escalation`)."""
        return plot_escalation(self._result, ax=ax)

    def staff(self, setting: str = "reablement", *, ax: Axes | None = None) -> Figure:
        """Staff time needed and available by day (:func:`plot_staff`)."""
        return plot_staff(self._result, setting, ax=ax)

    def tornado(
        self, measure: str = "bed_days", setting: str | None = None, *, ax: Axes | None = None
    ) -> Figure:
        """The measure at each uncertain input's 10th and 90th percentile (:func:`plot_tornado`)."""
        table = self._result.sensitivity(measure, setting)
        return plot_tornado(table, self._result.scenario.name, ax=ax)


def plot_places(
    result: RegionResult, setting: str = "acute", *, columns: int = 5, fig: Figure | None = None
) -> Figure:
    """Small multiples of a region's places: each place's midnight census of `setting`
    (median and 90% band over replications) against its capacity, one panel a place,
    each on its own scale, in the region file's order.

    Returns
    -------
    matplotlib.figure.Figure
    """
    bands = result.bands[result.bands["setting"] == setting]
    if bands.empty:
        raise PlacesimError(f"setting: {setting!r} is not a setting of this region's places")
    places = [p for p in result.places if (bands["place"] == p).any()]
    rows = -(-len(places) // columns)
    if fig is None:
        require_matplotlib()
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure as NewFigure

        fig = NewFigure(figsize=(2.2 * columns, 0.4 + 1.6 * rows))
        FigureCanvasAgg(fig)
    axes = fig.subplots(rows, columns, squeeze=False, sharex=True)
    fig.subplots_adjust(
        left=0.04, right=0.99, top=1 - 0.35 / (0.4 + 1.6 * rows), hspace=0.45, wspace=0.25
    )
    for k, ax in enumerate(axes.flat):
        if k >= len(places):
            ax.set_visible(False)
            continue
        one = bands[bands["place"] == places[k]].sort_values("day")
        x = pd.to_datetime(one["date"]).to_numpy()
        ax.fill_between(x, one["p05"], one["p95"], color=PALETTE[0], alpha=0.25, lw=0)
        ax.plot(x, one["median"], color=PALETTE[0], lw=1.0)
        capacity = one["capacity"].to_numpy(dtype=float)
        if np.isfinite(capacity).all():
            ax.step(x, capacity, where="post", color=_CAPACITY, lw=0.8, ls="--")
        ax.set_title(str(places[k]), fontsize=7, loc="left")
        ax.tick_params(labelsize=6)
        _date_axis(ax)
        _style(ax)
    fig.suptitle(
        f"{result.name}: {_label(setting)} midnight census by place, median and 90% of "
        f"{result.replications} replications; dashed: capacity",
        x=0.01,
        ha="left",
        fontsize=9,
    )
    return fig


def input_label(path: str) -> str:
    """An uncertain input's path as a short label: ``respiratory surge: factor`` for
    ``interventions[respiratory surge].factor``, the last two parts otherwise."""
    if "[" in path and "]" in path:
        name = path[path.rindex("[") + 1 : path.rindex("]")]
        rest = path[path.rindex("]") + 1 :].lstrip(".")
        if not name.isdigit():
            return f"{name}: {rest}" if rest else name
    parts = [p for p in path.replace("]", "").replace("[", ".").split(".") if p]
    return " ".join(parts[-2:]).replace("_", " ")


def plot_tornado(table: pd.DataFrame, name: str = "", *, ax: Axes | None = None) -> Figure:
    """A tornado chart of a sensitivity table (:meth:`SimulationResult.sensitivity`): for each
    uncertain input, a bar from the measure with the input at its 10th percentile to the
    measure at its 90th, the others at their medians; the widest bar on top.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = table.assign(width=(table["measure_at_high"] - table["measure_at_low"]).abs())
    rows = rows.sort_values("width", kind="stable")
    labels = [input_label(str(p)) for p in rows["path"]]
    size = (9.0, 1.3 + 0.45 * len(rows))
    fig, ax = _figure(ax, size)
    if ax.figure is fig and len(fig.axes) == 1:  # our own figure: room for the labels
        left = min(0.5, (0.3 + 0.065 * max(len(t) for t in labels)) / size[0])
        fig.subplots_adjust(left=left, top=1 - 0.45 / size[1], bottom=0.55 / size[1])
    centre = float(table.attrs.get("centre", np.nan))
    y = np.arange(len(rows), dtype=float)
    lows, highs = rows["measure_at_low"].to_numpy(float), rows["measure_at_high"].to_numpy(float)
    for i, (at_low, at_high, low, high) in enumerate(
        zip(lows, highs, rows["low"].to_numpy(float), rows["high"].to_numpy(float), strict=True)
    ):
        for end, colour in ((at_low, PALETTE[0]), (at_high, PALETTE[1])):
            ax.barh(y[i], end - centre, left=centre, height=0.6, color=colour)
        for end, value in ((at_low, low), (at_high, high)):
            right = end >= centre
            ax.annotate(
                f"{value:.3g}",
                (end, y[i]),
                xytext=(3 if right else -3, 0),
                textcoords="offset points",
                ha="left" if right else "right",
                va="center",
                fontsize=7,
            )
    ax.axvline(centre, color=_CAPACITY, lw=0.8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.margins(x=0.12)
    measure = str(table.attrs.get("measure", "measure"))
    setting = str(table.attrs.get("setting", ""))
    period = table.attrs.get("period")
    ax.set_xlabel(
        f"{measure.replace('_', ' ')}, {_label(setting)}" + (f", {period}" if period else "")
    )
    if table.attrs.get("unit") == "ratio":
        from matplotlib.ticker import PercentFormatter

        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    reps = int(table["replications"].to_numpy()[0]) if len(table) else 0
    ax.set_title(
        f"{name + ', ' if name else ''}{reps} replications: each input at its 10th (blue) "
        "and 90th (orange) percentile",
        loc="right",
        fontsize=9,
    )
    _style(ax)
    ax.grid(False, axis="y")
    return fig


def plot_escalation(result: SimulationResult, *, ax: Axes | None = None) -> Figure:
    """The share of replications in which each escalation level held, day by day.

    Read from the daily table's ``escalation_held`` (docs/model.md, "Operations"): a
    winter plan that works shows its levels holding in the weeks of pressure and stepping
    down after.

    Returns
    -------
    matplotlib.figure.Figure
    """
    levels = result.plan.operations.levels
    if not levels:
        raise PlacesimError(f"{result.scenario.name}: the scenario has no escalation plan")
    fig, ax = _figure(ax)
    first = result.plan.defined_settings()[0]
    held = _wide(result, first, "escalation_held").astype(np.int64)
    x = _dates(result)
    for k, name in enumerate(levels):
        share = ((held >> k) & 1).mean(axis=1)
        ax.step(x, share, where="post", color=PALETTE[k % len(PALETTE)], lw=1.5, label=name)
    ax.set_title(
        _title([result], "Escalation: share of replications at each level"), loc="left", fontsize=11
    )
    ax.set_ylabel("share of replications")
    ax.set_ylim(0, 1.02)
    _date_axis(ax)
    _style(ax)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return fig


def plot_staff(result: SimulationResult, setting: str, *, ax: Axes | None = None) -> Figure:
    """Staff time a staffed setting needed and had each day: medians over replications,
    with a 90% band of the need.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_setting(result, setting)
    ops = result.plan.operations
    if not ops.staffed[SETTINGS.index(setting)]:
        raise PlacesimError(f"setting: {setting!r} has no workforce in the scenario's `staff:`")
    unit = ops.need_unit(setting)
    fig, ax = _figure(ax)
    x = _dates(result)
    needed = _quantiles(_wide(result, setting, "staff_needed"))
    available = _quantiles(_wide(result, setting, "staff_available"))
    ax.fill_between(
        x,
        needed[0],
        needed[4],
        color=PALETTE[0],
        alpha=0.18,
        lw=0,
        label="needed: 90% of replications",
    )
    ax.plot(x, needed[2], color=PALETTE[0], lw=1.4, label="needed: median")
    ax.step(x, available[2], where="post", color=PALETTE[1], lw=1.4, label="workforce: median")
    ax.set_title(
        _title([result], f"{_label(setting).capitalize()}: staff {unit} a day"),
        loc="left",
        fontsize=11,
    )
    ax.set_ylabel(f"{unit} a day")
    ax.set_ylim(bottom=0)
    _date_axis(ax)
    _style(ax)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return fig


def plot_backtest(
    points: pd.DataFrame,
    title: str,
    *,
    suppress: int = 0,
    counts: bool = True,
    columns: int = 2,
    fig: Figure | None = None,
) -> Figure:
    """Observed over simulated: one panel per setting of a backtest's series, the simulated
    median with its 50% and 90% bands across replications, and what happened in black,
    the points outside the 90% band marked.

    Parameters
    ----------
    points
        One series of a backtest's shared table of points (``BacktestResult.shared_series``
        of one ``series``): columns setting, unit, date, observed (blank where
        suppressed), suppressed, p05, p25, median, p75, p95, and optionally capacity
        (drawn dashed where given on every day).
    title
        What the series is, for the figure's title.
    suppress
        The small-number threshold used: where an observed count of people was
        suppressed, the panel shades 0 to it ("under N: not shown") so the gap is not read
        as missing data.
    counts
        Whether the series counts people (a census, admissions): False for a mean stay,
        which is suppressed for the number of stays behind it, not for its value.
    columns
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    settings = [s for s in SETTINGS if (points["setting"] == s).any()]
    if not settings:
        raise PlacesimError("points: none given: a backtest chart needs at least one setting")
    columns = min(columns, len(settings))
    rows = -(-len(settings) // columns)
    width, height = 4.8 * columns, 0.7 + 2.5 * rows
    if fig is None:
        require_matplotlib()
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure as NewFigure

        fig = NewFigure(figsize=(width, height))
        FigureCanvasAgg(fig)
    axes = fig.subplots(rows, columns, squeeze=False)
    fig.subplots_adjust(
        left=0.55 / width,
        right=1 - 0.15 / width,
        top=1 - 0.6 / height,
        bottom=0.4 / height,
        hspace=0.55,
        wspace=0.18,
    )
    for k, ax in enumerate(axes.flat):
        if k >= len(settings):
            ax.set_visible(False)
            continue
        one = points[points["setting"] == settings[k]].sort_values("date")
        x = pd.to_datetime(one["date"]).to_numpy()
        colour = PALETTE[0]
        ax.fill_between(
            x, one["p05"], one["p95"], color=colour, alpha=0.18, lw=0, label="simulated 90%"
        )
        ax.fill_between(
            x, one["p25"], one["p75"], color=colour, alpha=0.35, lw=0, label="simulated 50%"
        )
        ax.plot(x, one["median"], color=colour, lw=1.2, label="simulated median")
        observed = one["observed"].to_numpy(dtype=float)
        weekly = len(x) > 1 and (x[1] - x[0]) > np.timedelta64(1, "D")
        ax.plot(
            x,
            observed,
            color="#000000",
            lw=1.0,
            marker="o" if weekly else None,
            ms=2.5,
            label="observed",
        )
        low, high = one["p05"].to_numpy(dtype=float), one["p95"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            outside = (observed < low) | (observed > high)
        if outside.any():
            ax.plot(
                x[outside],
                observed[outside],
                ls="none",
                marker="o",
                ms=3.5,
                color=_SHORTFALL,
                label="observed outside 90%",
            )
        capacity = (
            one["capacity"].to_numpy(dtype=float) if "capacity" in one else np.full(len(x), np.nan)
        )
        if np.isfinite(capacity).all():
            ax.step(x, capacity, where="post", color=_CAPACITY, lw=1.0, ls="--", label="capacity")
        shaded = counts and suppress > 0 and bool(one["suppressed"].astype(bool).any())
        if shaded:
            ax.axhspan(
                0.0, suppress, color=_WINDOW, alpha=0.15, lw=0, label=f"under {suppress}: not shown"
            )
        ax.set_title(_label(settings[k]).capitalize(), fontsize=9, loc="left")
        ax.set_ylabel(str(one["unit"].iloc[0]), fontsize=8)
        ax.tick_params(labelsize=7)
        # Close enough to see the spread, with room round it (as plot_census); never below 0.
        drawn = np.concatenate([low, high, observed, capacity, [0.0, suppress] if shaded else []])
        drawn = drawn[np.isfinite(drawn)]
        if drawn.size:
            bottom, top = float(drawn.min()), float(drawn.max())
            pad = max(0.08 * (top - bottom), 0.5)
            ax.set_ylim(max(bottom - pad, 0.0), top + pad)
        _date_axis(ax)
        _style(ax)
        if k == 0:
            ax.legend(loc="best", fontsize=6, frameon=False)
    fig.suptitle(
        f"{title}: observed (black) over simulated (median, 50% and 90% of replications)",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    return fig
