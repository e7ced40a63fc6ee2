"""The plan: a scenario compiled once into the plain arrays and tables the stages after it read.

Like Ciw's ``Network`` built from its parameters, a :class:`Plan` is made once per scenario
by :func:`compile_plan`; demand, both engines and the measures read it and never the
:class:`~placesim.scenario.Scenario`, so nothing is compiled twice and the two engines
cannot disagree about what the scenario means.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from placesim.plan.arrivals import INITIAL_GROUP, ArrivalGroup, build_groups
from placesim.plan.capacity import capacity_schedule
from placesim.plan.operations import Operations, compile_operations
from placesim.plan.pathways import (
    ASSESSED_DESTINATIONS,
    DESTINATIONS,
    PATHWAY_DESTINATION,
    OutcomeTables,
    outcome_table,
    visit_probabilities,
)
from placesim.plan.policy import Policy, compile_policy
from placesim.plan.segments import Segments, build_segments
from placesim.scenario import SETTINGS, Distribution, Scenario, band_value
from placesim.scenario.schema import Costs, InitialState, MeasureOptions

__all__ = [
    "ASSESSED_PATHWAYS",
    "OLDER_AGE",
    "InitialCensus",
    "Plan",
    "age_band_lower_bound",
    "compile_plan",
    "older_bands",
]

ASSESSED_PATHWAYS: tuple[str, ...] = ("P1", "P2", "P3")
"""Pathways with assessment days: the columns of ``Episodes.assessment``, in this order."""
OLDER_AGE = 65
"""Age at which a band counts as older people (ASCOF 2A part 2: aged 65 and over)."""


@dataclass(frozen=True)
class InitialCensus:
    """The people in one setting, and waiting for it, when the run starts.

    Attributes
    ----------
    setting
        The setting's code.
    occupied, waiting
        How many hold a place and how many wait for one.
    remaining
        How their remaining stays are drawn (``residual``, ``uniform``, ``fresh``, or the
        ``elapsed_days`` rule when `elapsed_days` is given).
    elapsed_days
        Days each occupant has already stayed, or None.
    mix
        Probability that a person of the census belongs to each arrival group (Little's
        law: the group's daily visits times its mean stay); None when no group reaches the
        setting, and then everyone is of locality ``unspecified``.
    """

    setting: int
    occupied: int
    waiting: int
    remaining: str
    elapsed_days: npt.NDArray[np.float64] | None
    mix: npt.NDArray[np.float64] | None

    @property
    def key(self) -> int:
        """The group part of the census's seed keys."""
        return INITIAL_GROUP + self.setting


@dataclass(frozen=True)
class Plan:
    """A scenario compiled for demand, the engines and the measures.

    Times are days from ``start_date``; the simulation runs from ``-warmup_days`` to
    ``horizon_days``. Setting codes index ``SETTINGS``; locality, age-band and residence
    codes index ``localities``, ``age_bands`` and ``RESIDENCES``.

    Attributes
    ----------
    name, start_date, warmup_days, horizon_days
        The scenario's name and calendar.
    age_bands, localities, partnerships
        Labels; ``partnerships[k]`` is locality k's partnership (its own name where the
        scenario gives none, as for a referral-only locality or ``unspecified``).
    segments
        The population by segment, or None.
    policy
        The interventions as daily arrays.
    groups
        Every arrival group (segments, then referral streams), with daily rates.
    initial
        The starting census of each setting that has one.
    los
        Per setting code, the length-of-stay distribution of each age band (None for a
        setting the scenario does not define).
    outcomes
        Per setting code, the shares and destination codes of what follows a stay, by age
        band (None where no outcome is drawn).
    assessment
        Assessment-days distribution of each of ``ASSESSED_PATHWAYS`` (absent: none).
    readmit_probability, readmit_within_days
        Readmission probability by age band and the window it falls in.
    defined, overflow
        Per setting: whether the scenario has it, and whether a full rapid-response or
        virtual-ward caseload sends people to acute instead of queueing.
    capacity_steps
        Per setting, the (time, places) steps (inf: unlimited); empty where undefined.
    pathway_probs
        Discharge pathway shares [P0, P1, P2, P3, death] of each age band.
    assessed
        Whether any discharge pathway has assessment days.
    measure_options
        The scenario's options for the capacity-gap measure.
    older_people
        People aged 65+ (bands whose label starts at 65 or above) in each of the
        population's localities on start_date, for outcomes per 100,000 people aged 65+.
    costs
        The scenario's unit costs, or None when it prices nothing.
    periods
        The scenario's named periods: name -> (first day, last day), both included.
    operations
        Escalation levels, electives, workforces and discharge windows.
    """

    name: str
    start_date: dt.date
    warmup_days: int
    horizon_days: int
    age_bands: tuple[str, ...]
    localities: tuple[str, ...]
    partnerships: tuple[str, ...]
    segments: Segments | None
    policy: Policy
    groups: tuple[ArrivalGroup, ...]
    initial: tuple[InitialCensus, ...]
    los: tuple[tuple[Distribution, ...] | None, ...]
    outcomes: tuple[tuple[tuple[npt.NDArray[np.float64], npt.NDArray[np.int8]], ...] | None, ...]
    assessment: dict[str, Distribution]
    readmit_probability: npt.NDArray[np.float64]
    readmit_within_days: float
    defined: npt.NDArray[np.bool_]
    overflow: npt.NDArray[np.bool_]
    capacity_steps: tuple[tuple[tuple[float, float], ...], ...]
    pathway_probs: npt.NDArray[np.float64]
    assessed: bool
    measure_options: MeasureOptions
    older_people: tuple[float, ...]
    costs: Costs | None
    periods: dict[str, tuple[dt.date, dt.date]]
    operations: Operations

    @property
    def first_time(self) -> float:
        """When the simulation starts: the start of the warm-up."""
        return -float(self.warmup_days)

    @property
    def end_time(self) -> float:
        """When the simulation stops: the end of the reporting window."""
        return float(self.horizon_days)

    @property
    def end_date(self) -> dt.date:
        """The last day of the reporting window."""
        return self.start_date + dt.timedelta(days=self.horizon_days - 1)

    @property
    def pathway_destination(self) -> npt.NDArray[np.int64]:
        """Destination code of each pathway P0, P1, P2, P3, death."""
        return PATHWAY_DESTINATION.astype(np.int64)

    @property
    def assessed_column(self) -> npt.NDArray[np.int64]:
        """For each destination code, its column of ``Episodes.assessment`` (-1: none)."""
        column = np.full(len(DESTINATIONS), -1, dtype=np.int64)
        column[list(ASSESSED_DESTINATIONS)] = np.arange(len(ASSESSED_DESTINATIONS))
        return column

    def defined_settings(self) -> list[str]:
        """Names of the settings the scenario defines, in ``SETTINGS`` order."""
        return [name for s, name in enumerate(SETTINGS) if self.defined[s]]

    def capacity_by_day(
        self, setting: str, days: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Capacity of `setting` in force at each time `days` (inf = unlimited)."""
        steps = self.capacity_steps[SETTINGS.index(setting)]
        times = np.array([t for t, _ in steps])
        values = np.array([c for _, c in steps])
        return values[np.searchsorted(times, days, side="right") - 1]

    def capacity_arrays(
        self,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """The capacity steps as (time, places, count) arrays, one row per setting."""
        n = len(SETTINGS)
        width = max(1, *(len(steps) for steps in self.capacity_steps))
        cap_time = np.zeros((n, width))
        cap_value = np.zeros((n, width))
        cap_steps = np.zeros(n, dtype=np.int64)
        for s, steps in enumerate(self.capacity_steps):
            cap_steps[s] = len(steps)
            for k, (at, value) in enumerate(steps):
                cap_time[s, k], cap_value[s, k] = at, value
        return cap_time, cap_value, cap_steps

    def visit_probabilities(self, band: int, entry: dict[str, float]) -> dict[str, float]:
        """Expected first visits to each setting per episode of age band code `band`
        entering with shares `entry` (:func:`placesim.plan.pathways.visit_probabilities`)."""
        return visit_probabilities(self.outcomes, band, entry)

    def los_distribution(self, setting: int, band: int) -> Distribution:
        """The length-of-stay distribution of setting code `setting` for age band `band`."""
        table = self.los[setting]
        assert table is not None, f"no stays in {SETTINGS[setting]}"
        return table[band]


def compile_plan(scenario: Scenario) -> Plan:
    """Compile a checked scenario into its :class:`Plan` (deterministic; no random draws)."""
    cal = scenario.calendar
    bands = scenario.age_bands
    defined = scenario.settings.defined()
    segments = build_segments(scenario)
    policy = compile_policy(scenario)
    # The policy's localities: the population's, those only referrals and electives name,
    # then "unspecified", kept below only when a starting census needs it.
    localities = list(policy.localities[:-1])
    partnerships = list(policy.partnerships[:-1])
    groups = build_groups(scenario, segments, localities, policy)
    operations = compile_operations(scenario, policy)

    los = tuple(
        tuple(defined[name].los_by_age_band.get(band, defined[name].los) for band in bands)
        if name in defined
        else None
        for name in SETTINGS
    )
    outcomes = tuple(
        tuple(outcome_table(scenario, name, band) for band in bands)
        if name in defined and (name != "acute" or scenario.discharge is not None)
        else None
        for name in SETTINGS
    )
    readmission = scenario.discharge.readmission if scenario.discharge else None
    readmit_p = np.array(
        [
            float(band_value(readmission.probability, b))
            if readmission and (b in readmission.probability or "all" in readmission.probability)
            else 0.0
            for b in bands
        ]
    )
    assessment = (
        {str(k): v for k, v in scenario.discharge.assessment_days.items()}
        if scenario.discharge
        else {}
    )

    initial: list[InitialCensus] = []
    visits = _group_visits(groups, outcomes) if scenario.initial_state else []
    for name, state in scenario.initial_state.items():
        census = _initial_census(name, state, groups, visits, los)
        if census.occupied + census.waiting == 0:
            continue
        if census.mix is None and "unspecified" not in localities:
            localities.append("unspecified")
        initial.append(census)
    while len(partnerships) < len(localities):
        partnerships.append(localities[len(partnerships)])

    acute = outcomes[SETTINGS.index("acute")]
    pathway_probs = (
        np.array([probs for probs, _ in acute])
        if acute is not None
        else np.zeros((len(bands), len(PATHWAY_DESTINATION)))
    )
    return Plan(
        name=scenario.name,
        start_date=cal.start_date,
        warmup_days=cal.warmup_days,
        horizon_days=cal.horizon_days,
        age_bands=tuple(bands),
        localities=tuple(localities),
        partnerships=tuple(partnerships),
        segments=segments,
        policy=policy,
        groups=tuple(groups),
        initial=tuple(initial),
        los=los,
        outcomes=outcomes,
        assessment=assessment,
        readmit_probability=readmit_p,
        readmit_within_days=readmission.within_days if readmission else 30.0,
        defined=np.array([name in defined for name in SETTINGS]),
        overflow=np.array(
            [
                name in defined and defined[name].when_full == "overflow_to_acute"
                for name in SETTINGS
            ]
        ),
        capacity_steps=tuple(
            tuple(capacity_schedule(scenario, name)) if name in defined else () for name in SETTINGS
        ),
        pathway_probs=pathway_probs,
        assessed=bool(scenario.discharge and scenario.discharge.assessment_days),
        measure_options=scenario.measures,
        older_people=_older_people(scenario),
        costs=scenario.costs,
        periods={name: (w.start, w.end) for name, w in scenario.periods.items()},
        operations=operations,
    )


def older_bands(bands: Sequence[str]) -> list[str]:
    """The age bands that count as 65+: those whose label starts at 65 or above ("65-74",
    "85+"); a band such as "60-69" that straddles 65 does not count."""
    out = []
    for band in bands:
        low = age_band_lower_bound(band)
        if low is not None and low >= OLDER_AGE:
            out.append(band)
    return out


def age_band_lower_bound(label: str) -> int | None:
    """The youngest age of an age band label: 65 for "65-74" or "65+", 0 for "0-64".

    None for a label that does not start with a number (such as "all").
    """
    match = re.match(r"\s*(\d+)", label)
    return int(match.group(1)) if match else None


def _older_people(scenario: Scenario) -> tuple[float, ...]:
    pop = scenario.population
    if pop is None:
        return ()
    older = older_bands(pop.age_bands)
    return tuple(float(sum(loc.people.get(b, 0) for b in older)) for loc in pop.localities)


def _group_visits(groups: list[ArrivalGroup], outcomes: OutcomeTables) -> list[dict[str, float]]:
    """Each group's expected visits to each setting, worked out once per age band and mix
    of first settings (many groups share them: every locality and residence)."""
    found: dict[tuple[int, tuple[tuple[str, float], ...]], dict[str, float]] = {}
    out = []
    for g in groups:
        entry = g.entry_shares()
        key = (g.age_band, tuple(entry.items()))
        if key not in found:
            found[key] = visit_probabilities(outcomes, g.age_band, entry)
        out.append(found[key])
    return out


def _initial_census(
    name: str,
    state: InitialState,
    groups: list[ArrivalGroup],
    visits: list[dict[str, float]],
    los: tuple[tuple[Distribution, ...] | None, ...],
) -> InitialCensus:
    s = SETTINGS.index(name)
    occupied = len(state.elapsed_days) if state.elapsed_days is not None else state.occupied
    table = los[s]
    assert table is not None
    weights = np.array(
        [_reach_weight(g, v[name], table) for g, v in zip(groups, visits, strict=True)]
    )
    mix = weights / weights.sum() if groups and weights.sum() > 0 else None
    return InitialCensus(
        setting=s,
        occupied=occupied,
        waiting=state.waiting,
        remaining=state.remaining,
        elapsed_days=(
            np.asarray(state.elapsed_days, dtype=float) if state.elapsed_days is not None else None
        ),
        mix=mix,
    )


def _reach_weight(g: ArrivalGroup, visits: float, los: tuple[Distribution, ...]) -> float:
    """Expected number of group `g`'s people in a setting at the start (Little's law).

    Daily visits (first visits through the routing tables, `visits` per episode) times
    the mean stay of the group's age band: older people stay longer, so they make up more
    of a census than of its admissions.
    """
    rate = float(g.daily_rate[0]) if g.daily_rate.size else 0.0
    if rate == 0.0:
        return 0.0
    return rate * visits * los[g.age_band].mean_days
