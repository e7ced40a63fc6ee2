"""Demand: every episode generated up front, vectorised, with every random draw it needs.

Each episode is one person's journey from a crisis, a referral or the starting census. Its
arrival time and all of its draws (triage, lengths of stay, pathway, onward outcomes,
readmission) are made here with numpy, before the engine runs, from named streams spawned
from one seed. Keys are ``(replication, group, generation, stream)``, where a group is a
population segment, a referral or a setting's starting census: two scenarios run with the
same seed therefore see the same people with the same needs (common random numbers), and a
change to one segment leaves every other segment's draws alone.

Arrivals are a non-homogeneous Poisson process per group, made by mapping a unit-rate
process through the inverse of the cumulative intensity (rate constant within each day).
This couples scenarios monotonically: a higher rate brings the same people earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from placesim.distributions import Distribution
from placesim.interventions import Policy, compile_policy
from placesim.pathways import (
    ACUTE,
    INTERMEDIATE_CARE,
    RAPID_RESPONSE,
    REABLEMENT,
    SOURCES,
    VIRTUAL_WARD,
    categorical,
    outcome_table,
    visit_probabilities,
)
from placesim.population import DAYS_PER_YEAR, Population, build_population
from placesim.scenario import SETTINGS, Scenario, band_value

__all__ = [
    "STREAMS",
    "ArrivalStream",
    "Episodes",
    "arrival_streams",
    "generate_episodes",
    "sim_days",
]

STREAMS: tuple[str, ...] = (
    "arrivals",
    "triage",
    *(f"los_{s}" for s in SETTINGS),
    *(f"outcome_{s}" for s in SETTINGS),
    "readmission",
    "readmission_delay",
    "initial_mix",
    "initial_remaining",
    "divert",
    "assessment_P1",
    "assessment_P2",
    "assessment_P3",
)
"""Named random streams; new streams go at the end so existing ones keep their numbers."""
_STREAM = {name: i for i, name in enumerate(STREAMS)}

_REFERRAL_GROUP = 1_000_000
_INITIAL_GROUP = 2_000_000
_MAX_GENERATIONS = 64
"""Readmission/escalation chains are followed this far; beyond, nobody is readmitted."""

_CRISIS, _REFERRAL, _INITIAL = (SOURCES.index(s) for s in ("crisis", "referral", "initial"))
_UNSET = -1  # a child's source (readmission or escalation) is settled by the engine
_TRIAGE_SETTINGS = np.array([1, 2, 0])  # rapid_response, virtual_ward, acute
ASSESSED_PATHWAYS: tuple[str, ...] = ("P1", "P2", "P3")
NO_SERVICE = -1


@dataclass(frozen=True)
class Episodes:
    """All episodes of one replication, as columns (one row per episode).

    Children (readmissions and escalations) have ``time`` NaN: the engine sets it when the
    parent's journey reaches that point. Columns ``los`` and ``after`` have one column per
    setting (in ``SETTINGS`` order): the stay drawn for that setting and where it leads
    (a code of ``pathways.DESTINATIONS``). ``u_pathway`` is the uniform behind the pathway,
    so the engine can apply pathway shares in force on the discharge date;
    ``assessment`` holds the assessment days drawn for P1, P2 and P3. ``entry`` is -1 for
    a crisis that an intervention resolved without any service (it never starts).
    """

    time: npt.NDArray[np.float64]
    source: npt.NDArray[np.int8]
    locality: npt.NDArray[np.int32]
    age_band: npt.NDArray[np.int32]
    residence: npt.NDArray[np.int8]
    entry: npt.NDArray[np.int8]
    in_place: npt.NDArray[np.bool_]
    los: npt.NDArray[np.float64]
    after: npt.NDArray[np.int8]
    pathway: npt.NDArray[np.int8]
    u_pathway: npt.NDArray[np.float64]
    assessment: npt.NDArray[np.float64]
    readmit: npt.NDArray[np.bool_]
    readmit_delay: npt.NDArray[np.float64]
    child: npt.NDArray[np.int64]
    localities: tuple[str, ...]
    partnerships: tuple[str, ...]
    age_bands: tuple[str, ...]

    @property
    def size(self) -> int:
        """Number of episodes, children included."""
        return int(self.time.size)


def sim_days(scenario: Scenario) -> npt.NDArray[np.float64]:
    """Start of each simulated day, in days from start_date (negative in the warm-up)."""
    cal = scenario.calendar
    return np.arange(-cal.warmup_days, cal.horizon_days, dtype=float)


@dataclass
class _Group:
    key: int
    locality: int
    age_band: int
    residence: int
    daily_rate: npt.NDArray[np.float64]
    entry_probs: npt.NDArray[np.float64] | None  # over SETTINGS; None for a fixed entry
    entry: int = ACUTE


@dataclass
class _Chunk:
    time: npt.NDArray[np.float64]
    source: int
    locality: npt.NDArray[np.int32]
    age_band: npt.NDArray[np.int32]
    residence: npt.NDArray[np.int8]
    entry: npt.NDArray[np.int8]
    in_place: npt.NDArray[np.bool_]
    needs: dict[str, npt.NDArray[np.generic]]
    parents: npt.NDArray[np.int64] | None = None  # indices of parents in the previous chunk
    parent_chunk: int = -1
    offset: int = 0


class _Draws:
    """Generators keyed by (replication, group, generation, stream)."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication

    def rng(self, group: int, generation: int, stream: str) -> np.random.Generator:
        seq = np.random.SeedSequence(
            self.seed, spawn_key=(self.replication, group, generation, _STREAM[stream])
        )
        return np.random.Generator(np.random.PCG64(seq))


def _calendar_factors(
    scenario: Scenario, monthly: list[float] | None, dow: list[float] | None
) -> npt.NDArray[np.float64]:
    days = sim_days(scenario)
    start = np.datetime64(scenario.calendar.start_date, "D")
    dates = start + days.astype(np.int64)
    factor = np.ones(days.size)
    if monthly is not None:
        month = dates.astype("datetime64[M]").astype(np.int64) % 12
        factor *= np.asarray(monthly)[month]
    if dow is not None:
        weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        factor *= np.asarray(dow)[weekday]
    return factor


def _seasonal_factors(scenario: Scenario) -> npt.NDArray[np.float64]:
    demand = scenario.demand
    assert demand is not None
    season = demand.seasonality
    monthly = season.monthly if season is not None else None
    factor = _calendar_factors(scenario, monthly, demand.day_of_week)
    if season is not None and season.annual_curve is not None:
        curve = season.annual_curve
        days = sim_days(scenario)
        start = np.datetime64(scenario.calendar.start_date, "D")
        dates = start + days.astype(np.int64)
        year_start = dates.astype("datetime64[Y]").astype("datetime64[D]")
        day_of_year = (dates - year_start).astype(np.int64) + 1.5  # mid-day
        factor *= 1.0 + curve.amplitude * np.cos(
            2.0 * np.pi * (day_of_year - curve.peak_day_of_year) / DAYS_PER_YEAR
        )
    return factor


def _build_groups(
    scenario: Scenario, population: Population | None, localities: list[str], policy: Policy
) -> list[_Group]:
    groups: list[_Group] = []
    bands = scenario.age_bands
    if population is not None:
        assert scenario.demand is not None and scenario.triage is not None
        days = sim_days(scenario)
        people = population.people_at(days + 0.5)
        season = _seasonal_factors(scenario)
        rates = scenario.demand.crisis_rate_per_person_year
        for j in range(population.size):
            band = bands[population.age_band[j]]
            residence = "home" if population.residence[j] == 0 else "care_home"
            rate_table = getattr(rates, residence)
            triage_table = getattr(scenario.triage, residence)
            has_rate = band in rate_table or "all" in rate_table
            has_triage = band in triage_table or "all" in triage_table
            rate = float(band_value(rate_table, band)) if has_rate and has_triage else 0.0
            probs = np.zeros(len(SETTINGS))
            if rate > 0.0:
                shares = band_value(triage_table, band)
                probs[_TRIAGE_SETTINGS] = [
                    shares.rapid_response,
                    shares.virtual_ward,
                    shares.acute,
                ]
            groups.append(
                _Group(
                    key=j,
                    locality=int(population.locality[j]),
                    age_band=int(population.age_band[j]),
                    residence=int(population.residence[j]),
                    daily_rate=rate
                    / DAYS_PER_YEAR
                    * people[:, j]
                    * season
                    * policy.demand_factor[
                        :,
                        population.locality[j],
                        population.age_band[j],
                        population.residence[j],
                    ],
                    entry_probs=probs,
                )
            )
    for k, ref in enumerate(scenario.referrals):
        if ref.locality not in localities:
            localities.append(ref.locality)
        band = ref.age_band if ref.age_band is not None else bands[0]
        groups.append(
            _Group(
                key=_REFERRAL_GROUP + k,
                locality=localities.index(ref.locality),
                age_band=bands.index(band),
                residence=0 if ref.residence == "home" else 1,
                daily_rate=ref.rate_per_day
                * _calendar_factors(scenario, ref.monthly, ref.day_of_week),
                entry_probs=None,
                entry=SETTINGS.index(ref.setting),
            )
        )
    return groups


def _arrivals(
    rng: np.random.Generator, daily_rate: npt.NDArray[np.float64], first_day: float
) -> npt.NDArray[np.float64]:
    """Arrival times of a Poisson process with a rate constant within each day."""
    cum = np.concatenate(([0.0], np.cumsum(daily_rate)))
    total = float(cum[-1])
    if total <= 0.0:
        return np.empty(0)
    points: list[npt.NDArray[np.float64]] = []
    reached = 0.0
    while reached < total:
        # Enough unit-rate gaps for the total with high probability; rarely a second batch.
        n = int(total - reached + 6.0 * np.sqrt(total - reached) + 16)
        batch = reached + np.cumsum(rng.standard_exponential(n))
        points.append(batch)
        reached = float(batch[-1])
    unit = np.concatenate(points)
    unit = unit[unit < total]
    # Day k holds the unit points in [cum[k], cum[k+1]); side="right" skips days with no rate.
    day = np.searchsorted(cum, unit, side="right") - 1
    return first_day + day + (unit - cum[day]) / daily_rate[day]


class _NeedDrawer:
    """Draws the needs of a batch of episodes from one group's streams."""

    def __init__(self, scenario: Scenario, draws: _Draws) -> None:
        self.scenario = scenario
        self.draws = draws
        self.bands = scenario.age_bands
        self.defined = scenario.settings.defined()
        readmission = scenario.discharge.readmission if scenario.discharge else None
        self.readmit_within = readmission.within_days if readmission else 30.0
        self.readmit_p = [
            float(band_value(readmission.probability, b))
            if readmission and (b in readmission.probability or "all" in readmission.probability)
            else 0.0
            for b in self.bands
        ]
        self.assessment: dict[str, Distribution] = (
            {str(k): v for k, v in scenario.discharge.assessment_days.items()}
            if scenario.discharge
            else {}
        )
        self.outcomes = {
            name: [outcome_table(scenario, name, b) for b in self.bands]
            for name in self.defined
            if name != "acute" or scenario.discharge is not None
        }

    def los_distribution(self, setting: str, band: int) -> Distribution:
        """The length-of-stay distribution of `setting` for age band code `band`."""
        s = self.defined[setting]
        return s.los_by_age_band.get(self.bands[band], s.los)

    def draw(
        self, group: int, generation: int, bands: npt.NDArray[np.int32]
    ) -> dict[str, npt.NDArray[np.generic]]:
        n = bands.size
        u_pathway = np.full(n, np.nan)
        los = np.full((n, len(SETTINGS)), np.nan)
        after = np.full((n, len(SETTINGS)), -1, dtype=np.int8)
        pathway = np.full(n, -1, dtype=np.int8)
        unique = np.unique(bands)
        masks = [(int(b), bands == b) for b in unique]
        for s, name in enumerate(SETTINGS):
            if name not in self.defined:
                continue
            rng = self.draws.rng(group, generation, f"los_{name}")
            for b, mask in masks:
                dist = self.los_distribution(name, b)
                los[mask, s] = dist.sample(rng, int(mask.sum()))
            if name not in self.outcomes:
                continue
            u = self.draws.rng(group, generation, f"outcome_{name}").random(n)
            if name == "acute":
                u_pathway = u
            for b, mask in masks:
                probs, dests = self.outcomes[name][b]
                idx = categorical(u[mask], probs)
                after[mask, s] = dests[idx]
                if name == "acute":
                    pathway[mask] = idx
        assessment = np.zeros((n, len(ASSESSED_PATHWAYS)))
        for k, p in enumerate(ASSESSED_PATHWAYS):
            assess = self.assessment.get(p)
            if assess is not None:
                assessment[:, k] = assess.sample(
                    self.draws.rng(group, generation, f"assessment_{p}"), n
                )
        p_readmit = np.asarray(self.readmit_p)[bands]
        readmit = self.draws.rng(group, generation, "readmission").random(n) < p_readmit
        delay = (
            self.draws.rng(group, generation, "readmission_delay").random(n) * self.readmit_within
        )
        return {
            "los": los,
            "after": after,
            "pathway": pathway,
            "u_pathway": u_pathway,
            "assessment": assessment,
            "readmit": readmit,
            "readmit_delay": delay,
        }


def _needs_child(needs: dict[str, npt.NDArray[np.generic]]) -> npt.NDArray[np.bool_]:
    after = needs["after"]
    return np.asarray(
        (after[:, INTERMEDIATE_CARE] == ACUTE) | (after[:, REABLEMENT] == ACUTE) | needs["readmit"]
    )


def _entry_shares(g: _Group) -> dict[str, float]:
    """Share of the group's arrivals that first enter each setting."""
    if g.entry_probs is None:
        return {SETTINGS[g.entry]: 1.0}
    return {SETTINGS[i]: float(p) for i, p in enumerate(g.entry_probs) if p > 0}


@dataclass(frozen=True)
class ArrivalStream:
    """Where one group's people first go and how many arrive each simulated day."""

    age_band: int
    entry: dict[str, float]  # setting -> share of the group's arrivals that enter it
    daily_rate: npt.NDArray[np.float64]


def arrival_streams(scenario: Scenario) -> list[ArrivalStream]:
    """Expected arrivals of every group (population segment or referral), day by day.

    The same rates the episodes are drawn from, for checks that need no random numbers
    (the offered-load check).
    """
    population = build_population(scenario)
    localities = list(population.localities) if population is not None else []
    groups = _build_groups(scenario, population, localities, compile_policy(scenario))
    return [
        ArrivalStream(
            age_band=g.age_band,
            entry=_entry_shares(g),
            daily_rate=g.daily_rate,
        )
        for g in groups
    ]


def generate_episodes(scenario: Scenario, replication: int, seed: int) -> Episodes:
    """Every episode of one replication with all of its draws.

    Parameters
    ----------
    scenario
        A checked scenario.
    replication
        Replication number (0-based); each gets its own streams.
    seed
        Root seed; the same seed gives the same episodes in any scenario with the same
        population structure (common random numbers).
    """
    population = build_population(scenario)
    localities = list(population.localities) if population is not None else []
    partnerships = list(population.partnerships) if population is not None else []
    policy = compile_policy(scenario)
    groups = _build_groups(scenario, population, localities, policy)
    draws = _Draws(seed, replication)
    drawer = _NeedDrawer(scenario, draws)
    first_day = -float(scenario.calendar.warmup_days)
    chunks: list[_Chunk] = []

    for g in groups:
        times = _arrivals(draws.rng(g.key, 0, "arrivals"), g.daily_rate, first_day)
        n = times.size
        bands = np.full(n, g.age_band, dtype=np.int32)
        if g.entry_probs is not None:
            u = draws.rng(g.key, 0, "triage").random(n)
            entry = categorical(u, g.entry_probs).astype(np.int8)
            if policy.active:
                entry = _divert(entry, times, g, policy, draws.rng(g.key, 0, "divert"))
            source = _CRISIS
        else:
            entry = np.full(n, g.entry, dtype=np.int8)
            source = _REFERRAL
        needs = drawer.draw(g.key, 0, bands)
        chunks.append(_chunk(times, source, g, bands, entry, needs))
        _add_children(chunks, drawer, g.key)

    _add_initial_state(chunks, scenario, groups, drawer, draws, localities)

    while len(partnerships) < len(localities):
        partnerships.append(localities[len(partnerships)])
    return _concatenate(chunks, localities, partnerships, scenario.age_bands)


def _divert(
    entry: npt.NDArray[np.int8],
    times: npt.NDArray[np.float64],
    g: _Group,
    policy: Policy,
    rng: np.random.Generator,
) -> npt.NDArray[np.int8]:
    """Acute-bound crises an intervention sends elsewhere, decided on the arrival day.

    A uniform of its own decides, so only acute-bound people move, each lever kind moves
    people from its own slice, and more diversion moves a superset of the same people
    (common random numbers).
    """
    u = rng.random(entry.size)
    day = policy.days(times)
    cell = (day, g.locality, g.age_band, g.residence)
    # The integrated locality takes the bottom of [0, 1), care-home support the top (a
    # share of what is still acute-bound); within its slice, a person's position decides
    # rapid response or the other destination.
    local = policy.locality_divert[cell]
    home_width = (1.0 - local) * policy.care_home_divert[cell]
    acute = entry == ACUTE
    out = entry.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        in_local = acute & (u < local)
        local_pos = u / local
        out[in_local] = np.where(
            local_pos[in_local] < policy.locality_to_rr[cell][in_local],
            RAPID_RESPONSE,
            VIRTUAL_WARD,
        )
        in_home = acute & (u >= 1.0 - home_width) & (home_width > 0)
        home_pos = (u - (1.0 - home_width)) / home_width
        out[in_home] = np.where(
            home_pos[in_home] < policy.care_home_to_rr[cell][in_home],
            RAPID_RESPONSE,
            NO_SERVICE,
        )
    return out


def _chunk(
    times: npt.NDArray[np.float64],
    source: int,
    g: _Group,
    bands: npt.NDArray[np.int32],
    entry: npt.NDArray[np.int8],
    needs: dict[str, npt.NDArray[np.generic]],
) -> _Chunk:
    n = times.size
    return _Chunk(
        time=times,
        source=source,
        locality=np.full(n, g.locality, dtype=np.int32),
        age_band=bands,
        residence=np.full(n, g.residence, dtype=np.int8),
        entry=entry,
        in_place=np.zeros(n, dtype=bool),
        needs=needs,
    )


def _add_children(chunks: list[_Chunk], drawer: _NeedDrawer, key: int) -> None:
    """Readmissions and escalations of the last chunk, generation by generation."""
    for generation in range(1, _MAX_GENERATIONS + 1):
        parent_index = len(chunks) - 1
        parent = chunks[parent_index]
        needy = np.flatnonzero(_needs_child(parent.needs))
        if needy.size == 0:
            return
        child_bands = parent.age_band[needy]
        needs = drawer.draw(key, generation, child_bands)
        chunks.append(
            _Chunk(
                time=np.full(needy.size, np.nan),
                source=_UNSET,
                locality=parent.locality[needy],
                age_band=child_bands,
                residence=parent.residence[needy],
                entry=np.full(needy.size, ACUTE, dtype=np.int8),
                in_place=np.zeros(needy.size, dtype=bool),
                needs=needs,
                parents=needy.astype(np.int64),
                parent_chunk=parent_index,
            )
        )


def _add_initial_state(
    chunks: list[_Chunk],
    scenario: Scenario,
    groups: list[_Group],
    drawer: _NeedDrawer,
    draws: _Draws,
    localities: list[str],
) -> None:
    """People in each setting, and waiting for it, at the start."""
    for name, state in scenario.initial_state.items():
        s = SETTINGS.index(name)
        occupied = len(state.elapsed_days) if state.elapsed_days is not None else state.occupied
        n = occupied + state.waiting
        if n == 0:
            continue
        key = _INITIAL_GROUP + s
        weights = np.array([_reach_weight(scenario, g, name, drawer) for g in groups])
        if groups and weights.sum() > 0:
            pick = draws.rng(key, 0, "initial_mix").choice(
                len(groups), size=n, p=weights / weights.sum()
            )
            loc = np.array([groups[i].locality for i in pick], dtype=np.int32)
            band = np.array([groups[i].age_band for i in pick], dtype=np.int32)
            res = np.array([groups[i].residence for i in pick], dtype=np.int8)
        else:
            if "unspecified" not in localities:
                localities.append("unspecified")
            loc = np.full(n, localities.index("unspecified"), dtype=np.int32)
            band = np.zeros(n, dtype=np.int32)
            res = np.zeros(n, dtype=np.int8)
        needs = drawer.draw(key, 0, band)
        los = needs["los"]
        assert isinstance(los, np.ndarray)
        rng = draws.rng(key, 0, "initial_remaining")
        for b in np.unique(band[:occupied]):
            mask = np.zeros(n, dtype=bool)
            mask[:occupied] = band[:occupied] == b
            dist = drawer.los_distribution(name, int(b))
            k = int(mask.sum())
            if state.remaining == "residual" and state.elapsed_days is None:
                los[mask, s] = dist.sample_residual(rng, k)
            elif state.remaining == "uniform":
                los[mask, s] = rng.random(k) * dist.sample(rng, k)
            elif state.elapsed_days is not None:
                elapsed = np.asarray(state.elapsed_days, dtype=float)[mask[:occupied]]
                los[mask, s] = dist.sample_remaining(rng, elapsed)
            # 'fresh' keeps the full stay already drawn.
        in_place = np.zeros(n, dtype=bool)
        in_place[:occupied] = True
        chunks.append(
            _Chunk(
                time=np.full(n, -float(scenario.calendar.warmup_days)),
                source=_INITIAL,
                locality=loc,
                age_band=band,
                residence=res,
                entry=np.full(n, s, dtype=np.int8),
                in_place=in_place,
                needs=needs,
            )
        )
        _add_children(chunks, drawer, key)


def _reach_weight(scenario: Scenario, g: _Group, setting: str, drawer: _NeedDrawer) -> float:
    """Expected number of group `g`'s people in `setting` at the start (Little's law).

    Daily visits (first visits through the routing tables) times the mean stay of the
    group's age band: older people stay longer, so they make up more of a census than of
    its admissions.
    """
    rate = float(g.daily_rate[0]) if g.daily_rate.size else 0.0
    if rate == 0.0:
        return 0.0
    visits = visit_probabilities(scenario, scenario.age_bands[g.age_band], _entry_shares(g))
    mean_stay = drawer.los_distribution(setting, g.age_band).mean_days
    return rate * visits[setting] * mean_stay


def _concatenate(
    chunks: list[_Chunk],
    localities: list[str],
    partnerships: list[str],
    age_bands: list[str],
) -> Episodes:
    offset = 0
    for c in chunks:
        c.offset = offset
        offset += c.time.size
    child = np.full(offset, -1, dtype=np.int64)
    for c in chunks:
        if c.parents is not None:
            parent = chunks[c.parent_chunk]
            child[parent.offset + c.parents] = c.offset + np.arange(c.time.size)

    def cat(arrays: list[npt.NDArray[Any]], dtype: Any) -> npt.NDArray[Any]:
        if not arrays:
            return np.empty(0, dtype=dtype)
        out = np.concatenate(arrays).astype(dtype, copy=False)
        arrays.clear()
        return out

    def column(name: str, dtype: Any) -> npt.NDArray[Any]:
        # Each chunk gives up its part as it is copied, so at most one column is held twice.
        parts: list[npt.NDArray[Any]] = [c.needs.pop(name) for c in chunks]
        return cat(parts, dtype)

    def field(name: str, dtype: Any) -> npt.NDArray[Any]:
        parts: list[npt.NDArray[Any]] = [getattr(c, name) for c in chunks]
        for c in chunks:
            setattr(c, name, None)
        return cat(parts, dtype)

    sizes = [c.time.size for c in chunks]
    return Episodes(
        source=np.repeat(np.array([c.source for c in chunks], dtype=np.int8), sizes),
        time=field("time", float),
        locality=field("locality", np.int32),
        age_band=field("age_band", np.int32),
        residence=field("residence", np.int8),
        entry=field("entry", np.int8),
        in_place=field("in_place", bool),
        los=column("los", float).reshape(-1, len(SETTINGS)),
        after=column("after", np.int8).reshape(-1, len(SETTINGS)),
        pathway=column("pathway", np.int8),
        u_pathway=column("u_pathway", float),
        assessment=column("assessment", float).reshape(-1, len(ASSESSED_PATHWAYS)),
        readmit=column("readmit", bool),
        readmit_delay=column("readmit_delay", float),
        child=child,
        localities=tuple(localities),
        partnerships=tuple(partnerships),
        age_bands=tuple(age_bands),
    )
