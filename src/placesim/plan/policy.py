"""Policy: the scenario's interventions compiled to daily arrays by locality and age band.

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

import numpy as np
import numpy.typing as npt

from placesim.scenario import (
    CareHomeSupport,
    DemandChange,
    HomeFirst,
    IntegratedLocality,
    Lever,
    LocalityRollout,
    Scenario,
)

__all__ = [
    "Policy",
    "compile_policy",
    "lever_strength",
    "lever_targets",
    "p3_moves",
    "pathway_after_moves",
    "shift_pathway",
    "shifted_pathways",
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
    localities: tuple[str, ...]  # the locality labels of the arrays' locality axis
    partnerships: tuple[str, ...]
    demand_factor: npt.NDArray[np.float64]  # [day, locality, band, residence]
    locality_divert: npt.NDArray[np.float64]  # [day, locality, band, residence]
    locality_to_rr: npt.NDArray[np.float64]  # [day, locality, band, residence]
    care_home_divert: npt.NDArray[np.float64]
    care_home_to_rr: npt.NDArray[np.float64]
    p2_to_p1: npt.NDArray[np.float64]  # [day, locality]
    p3_to_p2: npt.NDArray[np.float64]  # as written: the two P3 moves may sum to more than 1
    p3_to_p1: npt.NDArray[np.float64]
    p3_to_p2_moved: npt.NDArray[np.float64]  # scaled to sum to at most 1 (p3_moves)
    p3_to_p1_moved: npt.NDArray[np.float64]
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
    p3_to_p1, p3_to_p2 = p3_moves(p3_to_p1, p3_to_p2)
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


def p3_moves(p3_to_p1: float, p3_to_p2: float) -> tuple[float, float]:
    """P3 moves scaled down to sum to at most 1 (several Home First levers can compound)."""
    total = p3_to_p1 + p3_to_p2
    if total <= 1.0:
        return p3_to_p1, p3_to_p2
    return p3_to_p1 / total, p3_to_p2 / total


def lever_targets(
    lever: Lever, localities: list[str], partnerships: list[str]
) -> npt.NDArray[np.bool_]:
    """Which localities `lever` acts in (all when it names none)."""
    mask = np.ones(len(localities), dtype=bool)
    if lever.localities is not None:
        mask &= np.isin(localities, lever.localities)
    if lever.partnerships is not None:
        mask &= np.isin(partnerships, lever.partnerships)
    return mask


def lever_strength(
    lever: Lever, days: npt.NDArray[np.float64], start_date: dt.date
) -> npt.NDArray[np.float64]:
    """Fraction of `lever`'s full effect on each day (0 before start and after end)."""
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
    localities += [
        *dict.fromkeys(
            name
            for name in [r.locality for r in scenario.referrals]
            + [e.locality for e in scenario.electives]
            if name not in localities
        ),
        "unspecified",
    ]
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

    levers: list[Lever] = []
    for item in scenario.interventions:
        levers.extend(item.expand() if isinstance(item, LocalityRollout) else [item])

    for lever in levers:
        strength = lever_strength(lever, days, cal.start_date)
        where = lever_targets(lever, localities, partnerships)
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
            share = lever.effect_scale * np.array(
                [_band_share(lever.admission_diversion, b) for b in bands]
            )
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

    moves = np.vectorize(p3_moves, otypes=[float, float])
    p3_to_p1_moved, p3_to_p2_moved = moves(by_loc["p3_to_p1"], by_loc["p3_to_p2"])
    return Policy(
        active=bool(scenario.interventions),
        first_day=-cal.warmup_days,
        localities=tuple(localities),
        partnerships=tuple(partnerships),
        demand_factor=demand,
        locality_divert=divert["locality"],
        locality_to_rr=to_rr["locality"],
        care_home_divert=divert["care_home"],
        care_home_to_rr=to_rr["care_home"],
        p2_to_p1=by_loc["p2_to_p1"],
        p3_to_p2=by_loc["p3_to_p2"],
        p3_to_p1=by_loc["p3_to_p1"],
        p3_to_p2_moved=p3_to_p2_moved,
        p3_to_p1_moved=p3_to_p1_moved,
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
    p3_to_p1, p3_to_p2 = p3_moves(float(p3_to_p1), float(p3_to_p2))
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
    (:mod:`placesim.engine.kernel`) makes exactly the same choice as the reference engine.
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


def _band_share(table: dict[str, float], band: str) -> float:
    if band in table:
        return table[band]
    return table.get("all", 0.0)
