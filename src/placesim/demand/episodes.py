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
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from placesim.demand.keys import KeyedState, pcg64_states
from placesim.plan import (
    ASSESSED_PATHWAYS,
    ArrivalGroup,
    ElectiveGroup,
    InitialCensus,
    Plan,
    Policy,
)
from placesim.plan.pathways import (
    ACUTE,
    INTERMEDIATE_CARE,
    RAPID_RESPONSE,
    REABLEMENT,
    SOURCES,
    VIRTUAL_WARD,
    categorical,
)
from placesim.scenario import SETTINGS

__all__ = ["MAX_GENERATIONS", "NO_SERVICE", "STREAMS", "Episodes", "generate_episodes"]

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
    "los_elective",
    "elective_cancel",
)
"""Named random streams; new streams go at the end so existing ones keep their numbers."""
_STREAM = {name: i for i, name in enumerate(STREAMS)}

MAX_GENERATIONS = 64
"""Readmission/escalation chains are followed this far; beyond, nobody is readmitted."""

_CRISIS, _REFERRAL, _INITIAL, _ELECTIVE = (
    SOURCES.index(s) for s in ("crisis", "referral", "initial", "elective")
)
_UNSET = -1  # a child's source (readmission or escalation) is settled by the engine
NO_SERVICE = -1
"""Entry code of a crisis that a lever resolved without any service (it never starts)."""


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
    ``elective`` is the elective stream of each episode (-1: none) and ``u_cancel`` the
    uniform that an escalation level's share of cancellations is compared with (NaN for
    other episodes); both are empty when the plan has no electives. Episodes are made in
    batches (a group's arrivals, their children, a census, an elective stream) whose rows
    run from ``runs[k]`` to ``runs[k + 1]``; within a batch, times never decrease (children
    have none), so the engine merges the batches instead of sorting every arrival.
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
    elective: npt.NDArray[np.int16]
    u_cancel: npt.NDArray[np.float64]
    runs: npt.NDArray[np.int64]
    localities: tuple[str, ...]
    partnerships: tuple[str, ...]
    age_bands: tuple[str, ...]

    @property
    def size(self) -> int:
        """Number of episodes, children included."""
        return int(self.time.size)


_ROWS_GUESS = 1.5
"""Rows set aside per expected arrival, census place and elective: room for children and
chance (the rows beyond those used are never touched, so cost no memory)."""
_ROWS_SLACK = 4096
_N = len(SETTINGS)
_COLUMNS: dict[str, tuple[Any, tuple[int, ...]]] = {
    "time": (np.float64, ()),
    "source": (np.int8, ()),
    "locality": (np.int32, ()),
    "age_band": (np.int32, ()),
    "residence": (np.int8, ()),
    "entry": (np.int8, ()),
    "in_place": (np.bool_, ()),
    "los": (np.float64, (_N,)),
    "after": (np.int8, (_N,)),
    "pathway": (np.int8, ()),
    "u_pathway": (np.float64, ()),
    "assessment": (np.float64, (len(ASSESSED_PATHWAYS),)),
    "readmit": (np.bool_, ()),
    "readmit_delay": (np.float64, ()),
    "child": (np.int64, ()),
    "elective": (np.int16, ()),
    "u_cancel": (np.float64, ()),
}


class _Columns:
    """The episodes' columns, written in place a batch of rows at a time.

    Rows are reserved in the order the episodes are made, and each batch is drawn straight
    into its rows: the columns are touched once, where concatenating batches drawn apart
    wrote every value twice (a third of demand's time at England size, most of it the
    operating system giving out fresh memory). The first guess of the number of rows is
    generous (only rows written are ever touched); a wrong guess costs one copy.
    """

    def __init__(self, guess: int, electives: bool) -> None:
        self.cuts = [0]  # where each batch begins, and the rows used at the end
        self.electives = electives
        self.arrays = {
            name: np.empty((guess, *shape), dtype=dtype)
            for name, (dtype, shape) in _COLUMNS.items()
            if electives or name not in ("elective", "u_cancel")
        }

    @property
    def size(self) -> int:
        """Rows reserved so far."""
        return self.cuts[-1]

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        return self.arrays[name]

    def reserve(self, n: int) -> slice:
        """The next `n` rows (a child's link, an elective's stream and cancel draw unset)."""
        start = self.size
        if start + n > len(self.arrays["time"]):
            cap = max(2 * len(self.arrays["time"]), start + n)
            for name, old in self.arrays.items():
                new = np.empty((cap, *old.shape[1:]), dtype=old.dtype)
                new[:start] = old[:start]
                self.arrays[name] = new
        self.cuts.append(start + n)
        rows = slice(start, start + n)
        self.arrays["child"][rows] = -1
        if self.electives:
            self.arrays["elective"][rows] = -1
            self.arrays["u_cancel"][rows] = np.nan
        return rows

    def fill(self, rows: slice, **values: Any) -> None:
        """Set columns of `rows` (each value an array of the rows, or one for all)."""
        for name, value in values.items():
            self.arrays[name][rows] = value

    def episodes(self, plan: Plan) -> Episodes:
        """The finished columns (views of the first `size` rows)."""
        n = self.size
        a = {name: v[:n] for name, v in self.arrays.items()}
        return Episodes(
            time=a["time"],
            source=a["source"],
            locality=a["locality"],
            age_band=a["age_band"],
            residence=a["residence"],
            entry=a["entry"],
            in_place=a["in_place"],
            los=a["los"],
            after=a["after"],
            pathway=a["pathway"],
            u_pathway=a["u_pathway"],
            assessment=a["assessment"],
            readmit=a["readmit"],
            readmit_delay=a["readmit_delay"],
            child=a["child"],
            elective=a.get("elective", np.empty(0, dtype=np.int16)),
            u_cancel=a.get("u_cancel", np.empty(0)),
            runs=np.array(self.cuts, dtype=np.int64),
            localities=plan.localities,
            partnerships=plan.partnerships,
            age_bands=plan.age_bands,
        )


class _Draws:
    """Generators keyed by (replication, group, generation, stream).

    Each is ``PCG64(SeedSequence(seed, spawn_key=key))``; the keys' states are hashed a
    generation at a time for every group (:mod:`placesim.demand.keys`), which gives the
    same numbers at a fraction of the cost of building each SeedSequence.
    """

    def __init__(self, seed: int, replication: int, groups: list[int]) -> None:
        self.seed = seed
        self.replication = replication
        self.groups = groups
        self.row = {g: i for i, g in enumerate(groups)}
        self.states: dict[int, npt.NDArray[np.uint64]] = {}  # generation -> [group, stream]

    def rng(self, group: int, generation: int, stream: str) -> np.random.Generator:
        states = self.states.get(generation)
        if states is None:
            grid = np.array(
                [
                    (self.replication, g, generation, k)
                    for g in self.groups
                    for k in range(len(STREAMS))
                ],
                dtype=np.int64,
            ).reshape(-1, 4)
            states = pcg64_states(self.seed, grid).reshape(len(self.groups), len(STREAMS), 4)
            self.states[generation] = states
        state = states[self.row[group], _STREAM[stream]]
        return np.random.Generator(np.random.PCG64(cast(Any, KeyedState(state))))


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

    def __init__(self, plan: Plan, draws: _Draws) -> None:
        self.plan = plan
        self.draws = draws

    def draw(self, group: int, generation: int, cols: _Columns, rows: slice) -> None:
        """Draw the needs of `rows` (whose age bands are set) into their columns."""
        plan = self.plan
        bands = cols["age_band"][rows]
        n = bands.size
        u_pathway = cols["u_pathway"][rows]
        los = cols["los"][rows]
        after = cols["after"][rows]
        pathway = cols["pathway"][rows]
        u_pathway[:] = np.nan
        los[:] = np.nan
        after[:] = -1
        pathway[:] = -1
        # Each age band's rows (a group of arrivals is one band: all rows, no mask to index).
        unique = np.unique(bands)
        masks: list[tuple[int, npt.NDArray[np.bool_] | slice, int]] = (
            [(int(unique[0]), slice(None), n)]
            if unique.size == 1
            else [(int(b), m, int(m.sum())) for b in unique for m in [bands == b]]
        )
        for s, name in enumerate(SETTINGS):
            dists = plan.los[s]
            if dists is None:
                continue
            rng = self.draws.rng(group, generation, f"los_{name}")
            for b, mask, k in masks:
                los[mask, s] = dists[b].sample(rng, k)
            tables = plan.outcomes[s]
            if tables is None:
                continue
            u = self.draws.rng(group, generation, f"outcome_{name}").random(n)
            if s == ACUTE:
                u_pathway[:] = u
            for b, mask, _ in masks:
                probs, dests = tables[b]
                idx = categorical(u[mask], probs)
                after[mask, s] = dests[idx]
                if s == ACUTE:
                    pathway[mask] = idx
        assessment = cols["assessment"][rows]
        assessment[:] = 0.0
        for k, p in enumerate(ASSESSED_PATHWAYS):
            assess = plan.assessment.get(p)
            if assess is not None:
                assessment[:, k] = assess.sample(
                    self.draws.rng(group, generation, f"assessment_{p}"), n
                )
        p_readmit = plan.readmit_probability[bands]
        cols["readmit"][rows] = (
            self.draws.rng(group, generation, "readmission").random(n) < p_readmit
        )
        cols["readmit_delay"][rows] = (
            self.draws.rng(group, generation, "readmission_delay").random(n)
            * plan.readmit_within_days
        )


def _needs_child(cols: _Columns, rows: slice) -> npt.NDArray[np.bool_]:
    after = cols["after"][rows]
    return np.asarray(
        (after[:, INTERMEDIATE_CARE] == ACUTE)
        | (after[:, REABLEMENT] == ACUTE)
        | cols["readmit"][rows]
    )


def generate_episodes(plan: Plan, replication: int, seed: int) -> Episodes:
    """Every episode of one replication with all of its draws.

    Parameters
    ----------
    plan
        The compiled scenario (:func:`placesim.plan.compile_plan`).
    replication
        Replication number (0-based); each gets its own streams.
    seed
        Root seed; the same seed gives the same episodes in any scenario with the same
        population structure (common random numbers).
    """
    policy = plan.policy
    electives = plan.operations.electives
    keys = [g.key for g in plan.groups] + [c.key for c in plan.initial]
    draws = _Draws(seed, replication, keys + [e.key for e in electives])
    drawer = _NeedDrawer(plan, draws)
    expected = sum(float(g.daily_rate.sum()) for g in plan.groups)
    expected += sum(c.occupied + c.waiting for c in plan.initial)
    expected += sum(int(e.per_day.sum()) for e in electives)
    cols = _Columns(int(_ROWS_GUESS * expected) + _ROWS_SLACK, bool(electives))

    for g in plan.groups:
        times = _arrivals(draws.rng(g.key, 0, "arrivals"), g.daily_rate, plan.first_time)
        n = times.size
        if g.entry_probs is not None:
            u = draws.rng(g.key, 0, "triage").random(n)
            entry = categorical(u, g.entry_probs).astype(np.int8)
            if policy.active:
                entry = _divert(entry, times, g, policy, draws.rng(g.key, 0, "divert"))
            source = _CRISIS
        else:
            entry = np.full(n, g.entry, dtype=np.int8)
            source = _REFERRAL
        rows = cols.reserve(n)
        cols.fill(
            rows,
            time=times,
            source=source,
            locality=g.locality,
            age_band=g.age_band,
            residence=g.residence,
            entry=entry,
            in_place=False,
        )
        drawer.draw(g.key, 0, cols, rows)
        _add_children(cols, rows, drawer, g.key)

    for census in plan.initial:
        _add_initial_state(cols, plan, census, drawer, draws)

    for k, stream in enumerate(electives):
        _add_electives(cols, plan, k, stream, drawer, draws)

    return cols.episodes(plan)


def _add_electives(
    cols: _Columns,
    plan: Plan,
    k: int,
    stream: ElectiveGroup,
    drawer: _NeedDrawer,
    draws: _Draws,
) -> None:
    """The admissions of elective stream `k`: as many a day as scheduled, at its admission
    time, with the stream's own acute stay and no readmission."""
    days = plan.first_time + np.arange(stream.per_day.size, dtype=float)
    times = np.repeat(days + stream.admit_at, stream.per_day)
    n = times.size
    rows = cols.reserve(n)
    cols.fill(
        rows,
        time=times,
        source=_ELECTIVE,
        locality=stream.locality,
        age_band=stream.age_band,
        residence=0,
        entry=ACUTE,
        in_place=False,
    )
    drawer.draw(stream.key, 0, cols, rows)
    cols["los"][rows, ACUTE] = stream.los.sample(draws.rng(stream.key, 0, "los_elective"), n)
    cols.fill(
        rows,
        readmit=False,
        u_cancel=draws.rng(stream.key, 0, "elective_cancel").random(n),
        elective=k,
    )
    _add_children(cols, rows, drawer, stream.key)


def _divert(
    entry: npt.NDArray[np.int8],
    times: npt.NDArray[np.float64],
    g: ArrivalGroup,
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


def _add_children(cols: _Columns, rows: slice, drawer: _NeedDrawer, key: int) -> None:
    """Readmissions and escalations of the episodes in `rows`, generation by generation."""
    for generation in range(1, MAX_GENERATIONS + 1):
        needy = np.flatnonzero(_needs_child(cols, rows))
        if needy.size == 0:
            return
        parents = rows.start + needy
        bands = cols["age_band"][parents]
        locality = cols["locality"][parents]
        residence = cols["residence"][parents]
        rows = cols.reserve(needy.size)
        cols["child"][parents] = np.arange(rows.start, rows.stop)
        cols.fill(
            rows,
            time=np.nan,
            source=_UNSET,
            locality=locality,
            age_band=bands,
            residence=residence,
            entry=ACUTE,
            in_place=False,
        )
        drawer.draw(key, generation, cols, rows)


def _add_initial_state(
    cols: _Columns, plan: Plan, census: InitialCensus, drawer: _NeedDrawer, draws: _Draws
) -> None:
    """People in one setting, and waiting for it, at the start."""
    s, occupied = census.setting, census.occupied
    n = occupied + census.waiting
    key = census.key
    if census.mix is not None:
        groups = plan.groups
        pick = draws.rng(key, 0, "initial_mix").choice(len(groups), size=n, p=census.mix)
        loc = np.array([groups[i].locality for i in pick], dtype=np.int32)
        band = np.array([groups[i].age_band for i in pick], dtype=np.int32)
        res = np.array([groups[i].residence for i in pick], dtype=np.int8)
    else:
        loc = np.full(n, plan.localities.index("unspecified"), dtype=np.int32)
        band = np.zeros(n, dtype=np.int32)
        res = np.zeros(n, dtype=np.int8)
    in_place = np.zeros(n, dtype=bool)
    in_place[:occupied] = True
    rows = cols.reserve(n)
    cols.fill(
        rows,
        time=plan.first_time,
        source=_INITIAL,
        locality=loc,
        age_band=band,
        residence=res,
        entry=s,
        in_place=in_place,
    )
    drawer.draw(key, 0, cols, rows)
    los = cols["los"][rows]
    rng = draws.rng(key, 0, "initial_remaining")
    for b in np.unique(band[:occupied]):
        mask = np.zeros(n, dtype=bool)
        mask[:occupied] = band[:occupied] == b
        dist = plan.los_distribution(s, int(b))
        k = int(mask.sum())
        if census.remaining == "residual" and census.elapsed_days is None:
            los[mask, s] = dist.sample_residual(rng, k)
        elif census.remaining == "uniform":
            los[mask, s] = rng.random(k) * dist.sample(rng, k)
        elif census.elapsed_days is not None:
            los[mask, s] = dist.sample_remaining(rng, census.elapsed_days[mask[:occupied]])
        # 'fresh' keeps the full stay already drawn.
    _add_children(cols, rows, drawer, key)
