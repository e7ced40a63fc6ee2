"""Policy levers: dated, local changes to a scenario's parameters, compiled to daily arrays.

A planner writes the policy itself (`home_first`, `integrated_locality`, ...) in a
scenario's `interventions:` list; :func:`compile_policy` turns the list into a
:class:`Policy`: per-day multipliers and shares by locality and age band that demand and
the engine read. Nothing here is random: interventions act through the same pre-drawn
numbers as the baseline (common random numbers), so differences come from the policy.

Order of application (docs/interventions.md): demand changes multiply crisis rates;
diversions of acute-bound crises apply one after another to what is still acute-bound
(integrated locality, then care-home support), each kind on its own slice of a person's
diversion draw; pathway shifts apply Home First first, then the integrated locality's
shift home (:func:`shift_pathway`); length-of-stay and assessment multipliers multiply;
capacity changes add up, and capacity never goes below zero. Levers of one kind compound:
two diversions of 10% divert 19%.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from placesim.fields import Date

if TYPE_CHECKING:
    from placesim.scenario import Scenario

__all__ = [
    "CapacityChangeIntervention",
    "CareHomeSupport",
    "DemandChange",
    "HomeFirst",
    "IntegratedLocality",
    "Intervention",
    "LocalityRollout",
    "Policy",
    "capacity_schedule",
    "compile_policy",
    "shift_pathway",
    "shifted_pathways",
]

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]

# Relative falls in emergency admissions in the Health Village pilot against the other
# localities (ref P24): all ages -2.8%, 65+ -1.6%, 85+ -1.3%. 0-64 solved from the all-ages
# figure with 49.6% of admissions aged 65+ (ref P5): (2.8 - 0.496 x 1.6) / 0.504 = 4.0%.
# 65-74 and 75-84 take the 65+ figure. Derivation in docs/interventions.md.
PILOT_DIVERSION: dict[str, float] = {"0-64": 0.040, "65-74": 0.016, "75-84": 0.016, "85+": 0.013}


class _Lever(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, description="A label for reports.")
    start: Date = Field(description="First day the lever acts (its go-live date).")
    end: Date | None = Field(default=None, description="Last day it acts (default: to the end).")
    ramp_up_days: float = Field(
        default=0.0,
        ge=0.0,
        allow_inf_nan=False,
        description="Days over which the effect grows linearly from 0 to full.",
    )
    localities: list[str] | None = Field(
        default=None, description="Localities it applies to (default: all)."
    )
    partnerships: list[str] | None = Field(
        default=None, description="Partnerships it applies to (default: all)."
    )


class HomeFirst(_Lever):
    """Home First / discharge to assess: fewer bed-based discharges, assessment at home."""

    type: Literal["home_first"]
    p2_to_p1: Share = Field(
        default=0.2, description="Share of P2 (intermediate-care bed) discharges sent to P1."
    )
    p3_to_p2: Share = Field(
        default=0.2, description="Share of P3 (care-home) discharges sent to P2."
    )
    p3_to_p1: Share = Field(default=0.5, description="Share of P3 discharges sent to P1.")
    assessment_reduction: Share = Field(
        default=0.5,
        description="Share cut from the assessment days between medically ready and leaving "
        "acute (assessment moves home).",
    )
    intermediate_care_los_reduction: Share = Field(
        default=0.2, description="Share cut from intermediate-care stays."
    )


class _LocalityEffects(BaseModel):
    """What an integrated locality team changes for its residents."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    admission_diversion: dict[str, Share] = Field(
        default_factory=lambda: dict(PILOT_DIVERSION),
        description="Share of acute-bound crises diverted, by age band (or `all`); default "
        "from the Health Village pilot (ref P24).",
    )
    to_rapid_response: Share = Field(
        default=0.5,
        description="Of the diverted, the share sent to rapid response (the rest: virtual ward).",
    )
    acute_los_reduction: Share = Field(
        default=0.0, description="Share cut from acute stays of the locality's residents."
    )
    home_shift: Share = Field(
        default=0.0, description="Share of P1-P3 discharges of its residents sent home (P0)."
    )


class IntegratedLocality(_LocalityEffects, _Lever):
    """An integrated locality team: fewer admissions, shorter stays, more people home."""

    type: Literal["integrated_locality"]


class Phase(BaseModel):
    """One go-live step of a roll-out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Date = Field(description="Go-live date of this phase's localities.")
    localities: list[str] | None = Field(
        default=None, description="Localities that go live (or give partnerships)."
    )
    partnerships: list[str] | None = Field(
        default=None, description="Partnerships whose localities go live."
    )


class LocalityRollout(_LocalityEffects):
    """A phased roll-out of integrated locality teams (the Place Plan, ref P25)."""

    type: Literal["locality_rollout"]
    name: str | None = Field(default=None, description="A label for reports.")
    phases: list[Phase] = Field(min_length=1, description="Go-live steps, each with its date.")
    ramp_up_days: float = Field(
        default=0.0,
        ge=0.0,
        allow_inf_nan=False,
        description="Days over which each phase's effect grows linearly from 0 to full.",
    )

    def expand(self) -> list[IntegratedLocality]:
        """One integrated-locality lever per phase, with the roll-out's effects."""
        effects = {name: getattr(self, name) for name in _LocalityEffects.model_fields}
        return [
            IntegratedLocality(
                type="integrated_locality",
                name=f"{self.name or 'rollout'} phase {i + 1}",
                start=phase.start,
                ramp_up_days=self.ramp_up_days,
                localities=phase.localities,
                partnerships=phase.partnerships,
                **effects,
            )
            for i, phase in enumerate(self.phases)
        ]


class CareHomeSupport(_Lever):
    """Integrated care-home support (named GP, red bag, upskilled staff): fewer admissions."""

    type: Literal["care_home_support"]
    admission_reduction: Share = Field(
        default=0.2,
        description="Share of care-home residents' acute-bound crises that no longer become "
        "admissions [E: no reference row; an assumption to test].",
    )
    to_rapid_response: Share = Field(
        default=0.0,
        description="Of those, the share seen by rapid response (the rest: managed in the home).",
    )


class CapacityChangeIntervention(_Lever):
    """Places added (or removed) in a setting between two dates; several stack."""

    type: Literal["capacity_change"]
    setting: Literal[
        "acute", "rapid_response", "virtual_ward", "intermediate_care", "reablement", "care_home"
    ]
    change: int = Field(description="Places added (negative: removed) while it acts.")


class DemandChange(_Lever):
    """A multiplier on crisis rates (a flu surge; social prescribing, ref P26)."""

    type: Literal["demand_change"]
    factor: float = Field(ge=0.0, allow_inf_nan=False, description="Multiplier on crisis rates.")
    age_bands: list[str] | None = Field(default=None, description="Age bands (default: all).")
    residence: Literal["home", "care_home"] | None = Field(
        default=None, description="Residence (default: both)."
    )


Intervention = Annotated[
    HomeFirst
    | IntegratedLocality
    | LocalityRollout
    | CareHomeSupport
    | CapacityChangeIntervention
    | DemandChange,
    Field(discriminator="type"),
]


@dataclass(frozen=True)
class Policy:
    """Interventions compiled to daily arrays over the simulated days.

    Day index k covers [k - warmup_days, k + 1 - warmup_days) in days from start_date.
    Arrays are indexed [day, locality] or [day, locality, age band]; a scenario with no
    interventions has every multiplier 1 and every share 0 (and ``active`` False).
    """

    active: bool
    first_day: int
    demand_factor: npt.NDArray[np.float64]  # [day, locality, band, residence]
    locality_divert: npt.NDArray[np.float64]  # [day, locality, band, residence]
    locality_to_rr: npt.NDArray[np.float64]  # [day, locality, band, residence]
    care_home_divert: npt.NDArray[np.float64]
    care_home_to_rr: npt.NDArray[np.float64]
    p2_to_p1: npt.NDArray[np.float64]  # [day, locality]
    p3_to_p2: npt.NDArray[np.float64]
    p3_to_p1: npt.NDArray[np.float64]
    home_shift: npt.NDArray[np.float64]
    acute_los_factor: npt.NDArray[np.float64]
    intermediate_care_los_factor: npt.NDArray[np.float64]
    assessment_factor: npt.NDArray[np.float64]

    @property
    def pathways_vary(self) -> bool:
        """Whether any pathway share changes over time or between localities."""
        return bool(
            self.p2_to_p1.any()
            or self.p3_to_p2.any()
            or self.p3_to_p1.any()
            or self.home_shift.any()
        )

    def day(self, t: float) -> int:
        """Index of the simulated day that holds time `t`."""
        k = int(np.floor(t)) - self.first_day
        return min(max(k, 0), int(self.demand_factor.shape[0]) - 1)

    def days(self, t: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """Indices of the simulated days that hold times `t`."""
        k = np.floor(t).astype(np.int64) - self.first_day
        return np.clip(k, 0, self.demand_factor.shape[0] - 1)


def shifted_pathways(
    probs: npt.NDArray[np.float64],
    p2_to_p1: float,
    p3_to_p2: float,
    p3_to_p1: float,
    home_shift: float,
) -> npt.NDArray[np.float64]:
    """Pathway shares [P0, P1, P2, P3, death] after Home First, then the shift home."""
    p0, p1, p2, p3, death = (float(x) for x in probs)
    p3_to_p1, p3_to_p2 = _p3_moves(p3_to_p1, p3_to_p2)
    from_p3_to_p1 = p3 * p3_to_p1
    from_p3_to_p2 = p3 * p3_to_p2
    p3 -= from_p3_to_p1 + from_p3_to_p2
    p2 += from_p3_to_p2
    from_p2 = p2 * p2_to_p1
    p2 -= from_p2
    p1 += from_p2 + from_p3_to_p1
    home = (p1 + p2 + p3) * home_shift
    p0 += home
    p1, p2, p3 = (p * (1.0 - home_shift) for p in (p1, p2, p3))
    return np.array([p0, p1, p2, p3, death])


def _p3_moves(p3_to_p1: float, p3_to_p2: float) -> tuple[float, float]:
    """P3 moves scaled down to sum to at most 1 (several Home First levers can compound)."""
    total = p3_to_p1 + p3_to_p2
    if total <= 1.0:
        return p3_to_p1, p3_to_p2
    return p3_to_p1 / total, p3_to_p2 / total


def _targets(
    lever: _Lever, localities: list[str], partnerships: list[str]
) -> npt.NDArray[np.bool_]:
    mask = np.ones(len(localities), dtype=bool)
    if lever.localities is not None:
        mask &= np.isin(localities, lever.localities)
    if lever.partnerships is not None:
        mask &= np.isin(partnerships, lever.partnerships)
    return mask


def _strength(
    lever: _Lever, days: npt.NDArray[np.float64], start_date: dt.date
) -> npt.NDArray[np.float64]:
    """Fraction of the full effect on each day (0 before start and after end)."""
    start = float((lever.start - start_date).days)
    mid = days + 0.5
    if lever.ramp_up_days > 0:
        strength = np.clip((mid - start) / lever.ramp_up_days, 0.0, 1.0)
    else:
        strength = (mid >= start).astype(float)
    if lever.end is not None:
        strength[mid > float((lever.end - start_date).days) + 1.0] = 0.0
    return strength


def compile_policy(scenario: Scenario) -> Policy:
    """The scenario's interventions as daily arrays (see :class:`Policy`)."""
    cal = scenario.calendar
    days = np.arange(-cal.warmup_days, cal.horizon_days, dtype=float)
    n_days = days.size
    pop = scenario.population
    localities = [loc.name for loc in pop.localities] if pop else []
    partnerships = [loc.partnership for loc in pop.localities] if pop else []
    referral_localities = [r.locality for r in scenario.referrals if r.locality not in localities]
    localities += [*dict.fromkeys(referral_localities), "unspecified"]
    partnerships += localities[len(partnerships) :]
    bands = scenario.age_bands
    n_loc, n_band = len(localities), len(bands)

    demand = np.ones((n_days, n_loc, n_band, 2))
    shape = (n_days, n_loc, n_band, 2)
    # Diverted shares of acute-bound crises by lever kind, and the part of each sent to
    # rapid response (several levers of a kind compound: 1 - prod(1 - share)).
    divert = {kind: np.zeros(shape) for kind in ("locality", "care_home")}
    to_rr = {kind: np.zeros(shape) for kind in ("locality", "care_home")}
    by_loc = {
        name: np.zeros((n_days, n_loc))
        for name in ("p2_to_p1", "p3_to_p2", "p3_to_p1", "home_shift")
    }
    acute_los = np.ones((n_days, n_loc))
    ic_los = np.ones((n_days, n_loc))
    assessment = np.ones((n_days, n_loc))

    levers: list[_Lever] = []
    for item in scenario.interventions:
        levers.extend(item.expand() if isinstance(item, LocalityRollout) else [item])

    for lever in levers:
        strength = _strength(lever, days, cal.start_date)
        where = _targets(lever, localities, partnerships)
        s = strength[:, None] * where[None, :]  # [day, locality]
        if isinstance(lever, DemandChange):
            band_mask = (
                np.isin(bands, lever.age_bands) if lever.age_bands else np.ones(n_band, bool)
            )
            res_mask = np.array(
                [lever.residence in (None, r) for r in ("home", "care_home")], dtype=bool
            )
            cell = (
                s[:, :, None, None] * band_mask[None, None, :, None] * res_mask[None, None, None, :]
            )
            demand *= 1.0 + (lever.factor - 1.0) * cell
        elif isinstance(lever, IntegratedLocality):
            share = np.array([_band_share(lever.admission_diversion, b) for b in bands])
            d = s[:, :, None, None] * share[None, None, :, None] * np.ones((1, 1, 1, 2))
            _compound(divert["locality"], to_rr["locality"], d, lever.to_rapid_response)
            acute_los *= 1.0 - lever.acute_los_reduction * s
            by_loc["home_shift"] = 1.0 - (1.0 - by_loc["home_shift"]) * (1.0 - lever.home_shift * s)
        elif isinstance(lever, CareHomeSupport):
            d = np.zeros(shape)
            d[..., 1] = (s * lever.admission_reduction)[:, :, None]
            _compound(divert["care_home"], to_rr["care_home"], d, lever.to_rapid_response)
        elif isinstance(lever, HomeFirst):
            for name in ("p2_to_p1", "p3_to_p2", "p3_to_p1"):
                value = getattr(lever, name) * s
                by_loc[name] = 1.0 - (1.0 - by_loc[name]) * (1.0 - value)
            assessment *= 1.0 - lever.assessment_reduction * s
            ic_los *= 1.0 - lever.intermediate_care_los_reduction * s

    return Policy(
        active=bool(scenario.interventions),
        first_day=-cal.warmup_days,
        demand_factor=demand,
        locality_divert=divert["locality"],
        locality_to_rr=to_rr["locality"],
        care_home_divert=divert["care_home"],
        care_home_to_rr=to_rr["care_home"],
        p2_to_p1=by_loc["p2_to_p1"],
        p3_to_p2=by_loc["p3_to_p2"],
        p3_to_p1=by_loc["p3_to_p1"],
        home_shift=by_loc["home_shift"],
        acute_los_factor=acute_los,
        intermediate_care_los_factor=ic_los,
        assessment_factor=assessment,
    )


def _compound(
    share: npt.NDArray[np.float64],
    to_rr: npt.NDArray[np.float64],
    extra: npt.NDArray[np.float64],
    extra_to_rr: float,
) -> None:
    """Add a lever's diverted share to its kind's, in place: shares compound, and the part
    sent to rapid response is the diverted-weighted mean of the levers'."""
    new = 1.0 - (1.0 - share) * (1.0 - extra)
    added = new - share
    with np.errstate(invalid="ignore", divide="ignore"):
        mixed = np.where(new > 0, (share * to_rr + added * extra_to_rr) / new, 0.0)
    share[...] = new
    to_rr[...] = mixed


def shift_pathway(
    u: float,
    probs: npt.NDArray[np.float64],
    p2_to_p1: float,
    p3_to_p2: float,
    p3_to_p1: float,
    home_shift: float,
) -> int:
    """The pathway (0-4: P0, P1, P2, P3, death) of one discharge under pathway shifts.

    The baseline pathway comes from the stored uniform `u`; the person's position within
    that pathway's slice of [0, 1) then decides the moves, one after another: a P3 person
    moves to P1 or P2 by `p3_to_p1` and `p3_to_p2`; a P2 person (also one just moved from
    P3) to P1 by `p2_to_p1`; then anyone on P1-P3 goes home by `home_shift`. So only people
    who would have been on a more bed-based pathway move, and a larger share moves a
    superset of the same people (common random numbers). The shares that result are
    :func:`shifted_pathways`.
    """
    p3_to_p1, p3_to_p2 = _p3_moves(float(p3_to_p1), float(p3_to_p2))
    return pathway_after_moves(u, probs, float(p2_to_p1), p3_to_p2, p3_to_p1, float(home_shift))


def pathway_after_moves(
    u: float,
    probs: npt.NDArray[np.float64],
    p2_to_p1: float,
    p3_to_p2: float,
    p3_to_p1: float,
    home_shift: float,
) -> int:
    """:func:`shift_pathway` once the P3 moves are scaled to sum to at most 1.

    Plain scalar code that numba compiles as it is, so the fast engine
    (:mod:`placesim.fast_engine`) makes exactly the same choice as the reference engine.
    """
    cdf = np.cumsum(probs)
    cdf[-1] = 1.0  # as pathways.categorical: rounding never leaves u past the last share
    pathway: int = min(int(np.searchsorted(cdf, u, side="right")), len(probs) - 1)
    width = float(probs[pathway])
    v = (u - (float(cdf[pathway]) - width)) / width if width > 0 else 0.0
    if pathway == 3:
        if v < p3_to_p1:
            pathway, v = 1, v / p3_to_p1
        elif v < p3_to_p1 + p3_to_p2:
            pathway, v = 2, (v - p3_to_p1) / p3_to_p2
        else:
            v = (v - p3_to_p1 - p3_to_p2) / (1.0 - p3_to_p1 - p3_to_p2)
    if pathway == 2:
        if v < p2_to_p1:
            pathway, v = 1, v / p2_to_p1
        else:
            v = (v - p2_to_p1) / (1.0 - p2_to_p1)
    if 1 <= pathway <= 3 and v < home_shift:
        pathway = 0
    return pathway


def capacity_schedule(scenario: Scenario, setting: str) -> list[tuple[float, float]]:
    """(time, capacity) steps of a setting from the start of the simulation; inf = unlimited.

    The setting's own dated changes, plus every `capacity_change` intervention's places
    while it acts (from 00:00 of `start` to the end of `end`). Changes stack, and capacity
    never goes below zero. A change wholly outside the simulated period changes nothing.
    """
    s = getattr(scenario.settings, setting)
    start_date = scenario.calendar.start_date
    first = -float(scenario.calendar.warmup_days)
    if s.capacity == "unlimited":
        return [(first, float("inf"))]
    base = [(first, float(s.capacity))]
    base += [(float((c.date - start_date).days), float(c.capacity)) for c in s.capacity_changes]
    deltas: list[tuple[float, int]] = []
    for lever in scenario.interventions:
        if isinstance(lever, CapacityChangeIntervention) and lever.setting == setting:
            deltas.append((float((lever.start - start_date).days), lever.change))
            if lever.end is not None:
                deltas.append((float((lever.end - start_date).days) + 1.0, -lever.change))
    times = sorted({max(t, first) for t, _ in base + deltas})
    steps: list[tuple[float, float]] = []
    for t in times:
        level = [c for tb, c in base if tb <= t][-1]
        level += sum(d for td, d in deltas if max(td, first) <= t)
        value = max(level, 0.0)
        if not steps or steps[-1][1] != value:
            steps.append((t, value))
    return steps


def _band_share(table: dict[str, float], band: str) -> float:
    if band in table:
        return table[band]
    return table.get("all", 0.0)
