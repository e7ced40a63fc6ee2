"""The result of a run: its tables, and the summaries, outcomes, plots and report of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from placesim.errors import PlacesimError
from placesim.measures.outcomes import replication_outcomes, summarise_outcomes
from placesim.measures.periods import (
    Period,
    calendar_periods,
    find_period,
    parse_period,
    period_measures,
    period_window,
    stay_arrays,
)
from placesim.measures.tables import DailyArrays, group_measures, summarise
from placesim.measures.targets import Chance, Target, chance_of, parse_target
from placesim.plan import Plan, compile_plan
from placesim.scenario import Scenario, draw_inputs

if TYPE_CHECKING:
    from placesim.reporting.plots import ResultPlots

__all__ = ["SimulationResult"]


def _no_parameters() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "replication": pd.Series(dtype="int64"),
            "path": pd.Series(dtype="object"),
            "value": pd.Series(dtype="float64"),
        }
    )


def _places(setting: str) -> str:
    return "places" if setting in ("rapid_response", "reablement") else "beds"


@dataclass(frozen=True)
class SimulationResult:
    """Tables of a run: one row per stay, per setting and day, per measure and replication.

    Attributes
    ----------
    scenario
        The scenario that was run.
    seed, replications
        The root seed and the number of replications.
    stays
        One row per stay: replication, episode, locality, partnership, age_band, residence,
        source, setting, requested, arrive, ready, leave, waited, delayed (days from
        start_date; NaN where not reached by the end), next, overflow, at_start. None for a
        run with ``keep_stays=False``.
    daily
        replication, date, day, setting, census, occupied_mean, waiting, capacity.
    measures
        Every measure of every replication: replication, measure, setting, value.
    timings
        Seconds spent in demand generation, the engine and the measures (summed over
        replications), and the wall time of the run.
    precision_met
        With ``simulate(precision=...)``: whether every headline measure reached it (else
        the replication cap was hit); None otherwise.
    warnings
        The offered-load check's words for settings near or over capacity
        (:func:`placesim.measures.load_warnings`).
    parameters
        The value each uncertain input took in each replication: replication, path, value
        (docs/uncertainty.md); empty when the scenario has none.
    """

    scenario: Scenario
    seed: int
    replications: int
    stays: pd.DataFrame | None
    daily: pd.DataFrame
    measures: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    precision_met: bool | None = None
    warnings: tuple[str, ...] = ()
    parameters: pd.DataFrame = field(default_factory=_no_parameters)
    _plans: dict[int, Plan] = field(default_factory=dict, init=False, repr=False, compare=False)

    def summary(
        self, confidence: float = 0.95, by: str | None = None, period: str | Period | None = None
    ) -> pd.DataFrame:
        """Mean, confidence interval, median and 5th-95th percentiles of each measure over
        replications.

        Parameters
        ----------
        confidence
            Confidence level of the Student-t interval.
        by
            None for the whole place (every measure); ``"locality"`` or ``"partnership"``
            for the measures of people (``placesim.measures.GROUP_MEASURES``) by where they
            live. Occupancy, waiting and capacity measures are about settings the whole
            place shares, so they are only in the whole-place table.
        period
            ``"START:END"`` (dates, both included) or a name from the scenario's
            ``periods``: every measure over that window only (docs/model.md, "Measures").
            Default: the whole reporting window.

        Returns
        -------
        pandas.DataFrame
            Columns measure, setting, `by` (when given), unit, mean, ci_low, ci_high,
            median, p05, p95, replications (:func:`placesim.measures.tables.summarise`).
        """
        if by is None:
            return summarise(self.replication_measures(period), confidence)
        window = period_window(period, self.plan)
        stays = self.stays_table(f"summary(by={by!r})")
        table = group_measures(self.plan, stays, by, self._replication_numbers(), window)
        return summarise(table, confidence, by=by)

    def replication_measures(self, period: str | Period | None = None) -> pd.DataFrame:
        """Every measure of every replication (replication, measure, setting, value): the
        run's ``measures``, or those of `period` (as :meth:`summary`)."""
        if period is None:
            return self.measures
        found = parse_period(period, self.plan)
        return period_measures(self.plan, self.stays, self.daily, found, plan_of=self._own_plans())

    def by_period(self, by: str = "month", confidence: float = 0.95) -> pd.DataFrame:
        """The summary of each month (``by="month"``) or NHS financial year
        (``"financial_year"``, April to March) of the run, with a ``period`` column first;
        a month or year cut by the run's start or end says so in its label."""
        frames = []
        arrays = stay_arrays(self.stays)
        days: dict[int, DailyArrays] = {}
        for found in calendar_periods(self.plan, by):
            measures = period_measures(
                self.plan, self.stays, self.daily, found, arrays, days, self._own_plans()
            )
            table = summarise(measures, confidence)
            table.insert(0, "period", found.label)
            frames.append(table)
        return pd.concat(frames, ignore_index=True)

    def chance(
        self,
        measure: str | Target,
        setting: str | None = None,
        op: str = "<=",
        value: float | None = None,
        *,
        period: str | Period | None = None,
        confidence: float = 0.95,
    ) -> Chance:
        """The share of replications in which a target holds, with its Wilson interval.

        ``res.chance("capacity_gap", "acute", "<=", 0)`` or
        ``res.chance("capacity_gap:acute<=0")`` (the target syntax of ``--target`` and
        ``placesim size``). With the default targets (92% acute occupancy on 95% of days),
        ``capacity_gap:acute<=0`` is "acute people fit within 92% of its beds on 95% of
        days".
        """
        if isinstance(measure, Target):
            target = measure
        elif value is None:
            target = parse_target(measure, setting)
        else:
            target = parse_target(f"{measure}{':' + setting if setting else ''}{op}{value!r}")
        found = find_period(period, self.plan)
        label = None if found is None else found.label
        return chance_of(self.replication_measures(period), target, confidence, label)

    def capacity_warnings(self, period: str | Period | None = None) -> list[str]:
        """Each service near or over its capacity in the run, named in words.

        The rule of the capacity gap (docs/model.md): a service is over when the places it
        would need to keep people in place plus people waiting within its target
        occupancy on the chosen share of days exceed its capacity (``capacity_gap`` above
        zero), and near when its mean occupancy reaches the target. The same rule as the
        offered-load check before the run, now on what the run showed.
        """
        summary = self.summary(period=period)
        mean = {
            (str(m), str(st)): float(v)
            for m, st, v in zip(
                summary["measure"], summary["setting"], summary["mean"], strict=True
            )
        }
        options = self.plan.measure_options
        lines = []
        for setting in self.plan.defined_settings():
            if ("capacity_gap", setting) not in mean:
                continue  # unlimited
            gap, rate = mean[("capacity_gap", setting)], mean[("occupancy_rate", setting)]
            target = options.target(setting)
            places = _places(setting)
            where = setting.replace("_", " ")
            if gap > 0.0:
                lines.append(
                    f"{where}: short of {gap:,.0f} {places} to keep the people in it and those "
                    f"waiting for it within its {target:.0%} target occupancy on "
                    f"{options.share_of_days:.0%} of days ({rate:.1%} occupied on average; "
                    f"capacity gap, mean of {self.replications} "
                    f"replication{'s' if self.replications != 1 else ''})"
                )
            elif rate >= target:
                lines.append(
                    f"{where}: near capacity: {rate:.1%} occupied on average, at or above its "
                    f"{target:.0%} target"
                )
        return lines

    def outcomes(
        self,
        by: str | None = None,
        confidence: float = 0.95,
        period: str | Period | None = None,
    ) -> pd.DataFrame:
        """The Joint Outcomes Framework: mean and confidence interval of each outcome.

        Definitions in ``placesim.measures.OUTCOMES`` and docs/outcomes.md.

        Parameters
        ----------
        by
            None for the whole place, ``"locality"`` or ``"partnership"``.
        confidence
            Confidence level of the Student-t interval.
        period
            As for :meth:`summary`: the outcomes of that window only.

        Returns
        -------
        pandas.DataFrame
            Columns outcome, `by` (when given), unit, direction, mean, ci_low, ci_high,
            replications; and cost_gbp_mean, cost_gbp_ci_low, cost_gbp_ci_high when the
            scenario has a ``costs`` section (NaN for rows it does not price).
        """
        stays = self.stays_table("outcomes()")
        window = period_window(period, self.plan)
        reps = self._replication_numbers()
        if not self.scenario.uncertain_inputs:
            table = replication_outcomes(self.plan, stays, by, reps, window)
        else:  # each replication priced and counted with its own drawn inputs
            table = pd.concat(
                [
                    replication_outcomes(
                        self.plan_of(r), stays[stays["replication"] == r], by, [r], window
                    )
                    for r in reps
                ],
                ignore_index=True,
            )
        return summarise_outcomes(table, confidence, by=by)

    def _own_plans(self) -> Callable[[int], Plan] | None:
        """Each replication's plan, when the replications ran different plans."""
        return self.plan_of if self.scenario.uncertain_inputs else None

    def plan_of(self, replication: int) -> Plan:
        """The plan replication `replication` ran: :attr:`plan`, or with uncertain inputs,
        the scenario compiled with that replication's drawn values."""
        if not self.scenario.uncertain_inputs:
            return self.plan
        if replication not in self._plans:
            drawn, _ = draw_inputs(self.scenario, self.seed, replication)
            self._plans[replication] = compile_plan(drawn)
        return self._plans[replication]

    def sensitivity(
        self,
        measure: str = "bed_days",
        setting: str | None = None,
        period: str | Period | None = None,
    ) -> pd.DataFrame:
        """Which uncertain inputs matter for `measure` in `setting` (default: acute, or the
        first setting the scenario defines), over the run or `period` (as :meth:`summary`):
        each input's partial rank correlation with it, its share of the measure's
        variance, and the measure at the input's 10th and 90th percentile with the others
        at their medians (a tornado chart's bars;
        :func:`placesim.measures.sensitivity.sensitivity_table`, docs/uncertainty.md).
        """
        from placesim.measures.sensitivity import sensitivity_table

        if setting is None:
            defined = self.plan.defined_settings()
            setting = "acute" if "acute" in defined else defined[0]
        table = sensitivity_table(
            self.scenario.uncertain_inputs,
            self.parameters,
            self.replication_measures(period),
            measure,
            setting,
        )
        found = find_period(period, self.plan)
        table.attrs["period"] = "the whole run" if found is None else found.label
        return table

    @cached_property
    def plan(self) -> Plan:
        """The scenario compiled as it was run (:func:`placesim.plan.compile_plan`)."""
        return compile_plan(self.scenario)

    def stays_table(self, needed_by: str) -> pd.DataFrame:
        """The per-stay table, or a clear error naming what needs it when it was not kept."""
        if self.stays is None:
            raise PlacesimError(
                f"{needed_by} needs the per-stay table, which this run did not keep: "
                "run with keep_stays=True (the CLI's default; --no-stays drops it)"
            )
        return self.stays

    @property
    def plot(self) -> ResultPlots:
        """Plots of this result: ``census(setting)``, ``waiting(setting)``, ``los(setting)``
        and ``capacity_gap()``, each a matplotlib Figure (docs/reports.md).

        Needs matplotlib: ``pip install 'placesim[plot]'``.
        """
        # Imported here: plots belong to the reporting stage, after the measures.
        from placesim.reporting.plots import ResultPlots

        return ResultPlots(self)

    def report(self, path: str | Path, period: str | Period | None = None) -> Path:
        """Write a self-contained HTML report of this result (docs/reports.md).

        One file, its figures embedded as PNG: the scenario and its inputs, the headline
        measures, census fan charts, waiting and delays, lengths of stay, capacity gaps, the
        Joint Outcomes Framework and the results by locality and partnership. Needs
        matplotlib: ``pip install 'placesim[plot]'``.

        Parameters
        ----------
        path
            The HTML file to write (written atomically; its folder is created). A folder
            that exists gets ``report.html`` in it.
        period
            Report this window of dates (``START:END`` or a named period): the summary,
            chances, lengths of stay, gaps and outcomes of the window, the charts with it
            shaded (docs/reports.md, "A report of a window").

        Returns
        -------
        pathlib.Path
            The file written.
        """
        from placesim.reporting.html import write_report

        return write_report(self, path, period)

    def _replication_numbers(self) -> list[int]:
        # Every replication has measures, even one in which nobody stayed anywhere.
        return sorted(int(r) for r in self.measures["replication"].unique())
