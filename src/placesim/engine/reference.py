"""The reference engine: a SimPy queueing network with blocking after service.

It resolves only the competition for places, in simulated time; every decision about a
person was drawn beforehand (:mod:`placesim.demand`). Its semantics are written down in
docs/model.md so that a second engine can match them:

- Each setting has a capacity (changing on dates) and one first-come-first-served queue.
- A person moving forward (acute -> intermediate care, reablement or care home; rapid
  response -> intermediate care; intermediate care -> reablement or care home; reablement ->
  care home) keeps their place while waiting for the next one: those days are delayed days.
- Escalation to acute gives the place up first, so the network cannot deadlock.
- Rapid response and virtual ward, when full, send the person to acute (overflow) if the
  scenario says so.
- A capacity drop takes effect as people leave; nobody is evicted. A starting census above
  the capacity drains the same way: nobody is admitted until it is below the capacity.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from placesim.demand import Episodes
from placesim.engine.records import OperationsLog, StayRecords
from placesim.plan import Plan, pathway_after_moves
from placesim.plan.operations import (
    NOT_TAKEN,
    added_places,
    day_workforce,
    escalation_step,
    in_service_at_start,
    level_effects,
    next_window_open,
    staff_need,
    watched_value,
)
from placesim.plan.pathways import (
    ACUTE,
    ASSESSED_DESTINATIONS,
    CARE_HOME,
    HOME,
    HOME_ENDS,
    INTERMEDIATE_CARE,
    PATHWAY_DESTINATION,
    RAPID_RESPONSE,
    REABLEMENT,
    SOURCES,
    VIRTUAL_WARD,
)
from placesim.scenario import SETTINGS

__all__ = ["run_reference_engine"]

_ESCALATION = SOURCES.index("escalation")
_READMISSION = SOURCES.index("readmission")
_N_SETTINGS = len(SETTINGS)
_ELECTIVE = SOURCES.index("elective")
_WINDOW = {HOME: 0, INTERMEDIATE_CARE: 1, REABLEMENT: 2, CARE_HOME: 3}
"""The discharge window of each destination (operations.WINDOW_DESTINATIONS)."""


class _Staff:
    """The staff time of one staffed setting: the day's workforce, the need booked, and the
    people in service (a list with swap-removal, as the kernel's)."""

    __slots__ = ("booked", "days", "first", "first_day", "last", "need", "needed", "people")

    def __init__(self, first: float, last: float, needed: npt.NDArray[np.float64]) -> None:
        self.first = first
        self.last = last
        self.needed = needed  # booked need by day: the log's row of this setting
        self.booked = 0.0
        self.people: list[int] = []
        self.need: dict[int, float] = {}
        self.first_day: dict[int, int] = {}
        self.days: dict[int, int] = {}

    def book(self, i: int, day: int) -> None:
        self.people.append(i)
        self.first_day[i] = NOT_TAKEN
        self.need[i] = self.first
        self.booked += self.first
        if self.booked > self.needed[day]:  # the day's peak of booked need
            self.needed[day] = self.booked

    def unbook(self, i: int) -> None:
        self.booked -= self.need.pop(i)
        p = self.people.index(i)
        moved = self.people.pop()
        if p < len(self.people):
            self.people[p] = moved

    def take(self, i: int, now: float, stay: float, first_day: int) -> None:
        """Person `i` takes the place at `now` for `stay` days: the profile's first day is
        that day's index (days from the simulation's `first_day`)."""
        self.first_day[i] = int(np.floor(now)) - first_day
        self.days[i] = int(np.floor(now + stay)) - int(np.floor(now)) + 1

    def new_day(self, day: int) -> None:
        total = 0.0
        for i in self.people:
            self.need[i] = staff_need(
                day, self.first_day[i], self.days.get(i, 0), self.first, self.last
            )
            total += self.need[i]
        self.booked = total
        self.needed[day] = total


class _Stage:
    """Places of one setting with a FIFO queue; capacity may change while people stay, and a
    staffed setting also needs the day's spare staff time for each newcomer."""

    __slots__ = ("base", "capacity", "env", "occupied", "queue", "run", "staff", "workforce")

    def __init__(self, run: _Run, capacity: float) -> None:
        self.run = run
        self.env = run.env
        self.base = capacity
        self.capacity = capacity
        self.occupied = 0
        self.queue: deque[tuple[int, simpy.Event]] = deque()
        self.staff: _Staff | None = None
        self.workforce = 0.0

    def staff_ok(self) -> bool:
        return self.staff is None or self.staff.booked + self.staff.first <= self.workforce

    def has_room(self) -> bool:
        return self.occupied < self.capacity and not self.queue and self.staff_ok()

    def request(self, i: int) -> simpy.Event:
        event = self.env.event()
        if self.has_room():
            self._grant(i, event)
        else:
            self.queue.append((i, event))
        return event

    def release(self, i: int) -> None:
        self.occupied -= 1
        if self.staff is not None:
            self.staff.unbook(i)
        self.fill()

    def set_capacity(self, base: float, extra: float) -> None:
        self.base = base
        self.capacity = base + extra

    def fill(self) -> None:
        while self.queue and self.occupied < self.capacity and self.staff_ok():
            i, event = self.queue.popleft()
            self._grant(i, event)

    def _grant(self, i: int, event: simpy.Event) -> None:
        self.occupied += 1
        if self.staff is not None:
            self.staff.book(i, self.run.policy.day(self.env.now))
        event.succeed()


class _Run:
    """One replication: the stages, the journeys and the growing stay records."""

    def __init__(self, plan: Plan, episodes: Episodes) -> None:
        self.ep = episodes
        self.env = simpy.Environment(initial_time=plan.first_time)
        self.end = plan.end_time
        self.plan = plan
        self.ops = plan.operations
        self.policy = plan.policy
        self.stages: list[_Stage | None] = []
        self.overflows = [bool(x) for x in plan.overflow]
        for s in range(_N_SETTINGS):
            if plan.defined[s]:
                schedule = plan.capacity_steps[s]
                self.stages.append(_Stage(self, schedule[0][1]))
                self.env.process(self._capacity_changes(s, list(schedule[1:])))
            else:
                self.stages.append(None)
        ops = self.ops
        n_days = plan.policy.demand_factor.shape[0]
        n_levels = len(ops.levels)
        any_staff = bool(ops.staffed.any())
        self.needed = np.zeros((_N_SETTINGS, n_days if any_staff else 1))
        self.available = np.zeros((_N_SETTINGS, n_days if any_staff else 1))
        for s in np.flatnonzero(ops.staffed).tolist():
            self._stage(s).staff = _Staff(
                float(ops.first_need[s]), float(ops.last_need[s]), self.needed[s]
            )
        self.extra = np.zeros(_N_SETTINGS)
        self.on = np.zeros(n_levels, dtype=bool)
        self.opened = np.zeros(n_levels, dtype=bool)
        self.up = np.zeros(n_levels, dtype=np.int64)
        self.down = np.zeros(n_levels, dtype=np.int64)
        self.used = np.zeros((n_levels, int(ops.year[-1]) + 1), dtype=np.int64)
        self.pending: list[object | None] = [None] * n_levels
        self.level_on = np.zeros((n_days if n_levels else 0, n_levels), dtype=bool)
        self.changes: list[tuple[float, int, float]] = []
        self.cancelled: list[tuple[float, int, int]] = []
        self.esc_cancel = 0.0
        self.esc_assess = 1.0
        self.source = episodes.source.copy()
        self.los = episodes.los.tolist()
        self.after = episodes.after.tolist()
        self.shift_pathways = self.policy.pathways_vary
        self.pathway_probs = plan.pathway_probs
        self.assessment = episodes.assessment.tolist()
        self.assessed = plan.assessed
        self.r_episode: list[int] = []
        self.r_setting: list[int] = []
        self.r_source: list[int] = []
        self.r_requested: list[float] = []
        self.r_arrive: list[float] = []
        self.r_ready: list[float] = []
        self.r_leave: list[float] = []
        self.r_next: list[int] = []
        self.r_overflow: list[bool] = []
        self.r_at_start: list[bool] = []

    def _capacity_changes(
        self, s: int, steps: list[tuple[float, float]]
    ) -> Generator[simpy.Event, Any, None]:
        stage = self.stages[s]
        assert stage is not None
        for time, capacity in steps:
            yield self.env.timeout(time - self.env.now)
            stage.set_capacity(capacity, float(self.extra[s]))
            stage.fill()

    def _checks(self) -> Generator[simpy.Event, Any, None]:
        """The daily escalation check (the kernel's _CHECKS process)."""
        ops, env = self.ops, self.env
        first_day = self.policy.first_day
        k = 0
        while True:
            at = float(first_day + k) + ops.check_at
            yield env.timeout(at - env.now)
            self._check()
            k += 1

    def _check(self) -> None:
        ops, env = self.ops, self.env
        day = self.policy.day(env.now)
        values = np.zeros(len(ops.levels))
        for k in range(values.size):
            stage = self._stage(int(ops.trigger_setting[k]))
            values[k] = watched_value(
                int(ops.trigger_measure[k]),
                float(stage.occupied),
                stage.capacity,
                float(len(stage.queue)),
            )
        changed = np.zeros(values.size, dtype=np.int8)
        escalation_step(
            values,
            day,
            self.on,
            self.up,
            self.down,
            self.used,
            ops.trigger_at_least,
            ops.trigger_days,
            ops.down_below,
            ops.down_days,
            ops.max_days,
            ops.level_first_day,
            ops.level_last_day,
            ops.year,
            changed,
        )
        closing = False
        for k in range(values.size):
            self.level_on[day, k] = self.on[k]
            if changed[k] == 1 and ops.add_capacity[k].any():
                token = object()
                self.pending[k] = token
                opening = env.timeout(float(ops.open_after[k]))
                opening.callbacks.append(partial(self._open, k, token))
            elif changed[k] == -1:
                self.pending[k] = None
                if self.opened[k]:
                    self.opened[k] = False
                    closing = True
        self.esc_cancel, self.esc_assess = level_effects(
            self.on, ops.cancel_electives, ops.assessment_factor
        )
        if closing:
            self._set_extra()

    def _open(self, k: int, token: object, _: simpy.Event) -> None:
        """Level `k`'s places open, unless it stepped down meanwhile."""
        if self.pending[k] is not token:
            return
        self.pending[k] = None
        self.opened[k] = True
        self._set_extra()
        for stage in self.stages:
            if stage is not None:
                stage.fill()

    def _set_extra(self) -> None:
        ops = self.ops
        for s in range(_N_SETTINGS):
            total = float(added_places(self.opened, ops.add_capacity, ops.max_extra, s))
            if total != self.extra[s]:
                self.extra[s] = total
                stage = self._stage(s)
                stage.set_capacity(stage.base, total)
                self.changes.append((self.env.now, s, total))

    def _days(self) -> Generator[simpy.Event, Any, None]:
        """The staff day (the kernel's _DAYS process): each day's workforce and needs."""
        ops, env = self.ops, self.env
        first_day = self.policy.first_day
        k = 0
        while True:
            day = self.policy.day(env.now)
            staffed = [s for s in range(_N_SETTINGS) if ops.staffed[s]]
            for s in staffed:
                stage = self._stage(s)
                workforce = float(day_workforce(ops.staff_per_day, self.on, ops.add_staff, s, day))
                stage.workforce = workforce
                assert stage.staff is not None
                stage.staff.new_day(day)
                self.available[s, day] = workforce
            for s in staffed:
                self._stage(s).fill()
            k += 1
            at = float(first_day + k)
            yield env.timeout(at - env.now)

    def _window_wait(self, i: int, w: int) -> float:
        """Days until window `w` is open for person `i` (0 inside it)."""
        ops = self.ops
        at = next_window_open(
            ops.window_open,
            ops.window_close,
            w,
            self.env.now,
            int(self.ep.locality[i]),
            self.policy.first_day,
        )
        return at - self.env.now if at > self.env.now else 0.0

    def _record(self, i: int, s: int, overflow: bool = False, at_start: bool = False) -> int:
        self.r_episode.append(i)
        self.r_setting.append(s)
        self.r_source.append(int(self.source[i]))
        self.r_requested.append(self.env.now)
        self.r_arrive.append(np.nan)
        self.r_ready.append(np.nan)
        self.r_leave.append(np.nan)
        self.r_next.append(-1)
        self.r_overflow.append(overflow)
        self.r_at_start.append(at_start)
        return len(self.r_episode) - 1

    def _stage(self, s: int) -> _Stage:
        stage = self.stages[s]
        assert stage is not None, f"no stage for {SETTINGS[s]}"
        return stage

    def _stay(self, i: int, s: int) -> float:
        """The stay drawn for setting `s`, times the policy's multiplier on this day."""
        los: float = self.los[i][s]
        if self.policy.active and s in (ACUTE, INTERMEDIATE_CARE):
            day, loc = self.policy.day(self.env.now), self.ep.locality[i]
            factors = (
                self.policy.acute_los_factor
                if s == ACUTE
                else self.policy.intermediate_care_los_factor
            )
            los *= float(factors[day, loc])
        return los

    def _after(self, i: int, s: int) -> int:
        """Where a stay in `s` leads: the drawn outcome, or the pathway in force today."""
        if s != ACUTE or not self.shift_pathways:
            return int(self.after[i][s])
        p, day, loc = self.policy, self.policy.day(self.env.now), self.ep.locality[i]
        pathway = pathway_after_moves(
            float(self.ep.u_pathway[i]),
            self.pathway_probs[self.ep.age_band[i]],
            float(p.p2_to_p1[day, loc]),
            float(p.p3_to_p2_moved[day, loc]),
            float(p.p3_to_p1_moved[day, loc]),
            float(p.home_shift[day, loc]),
        )
        return int(PATHWAY_DESTINATION[pathway])

    def _assessment(self, i: int, dest: int) -> float:
        """Days of assessment in hospital before asking for the next service."""
        days: float = self.assessment[i][ASSESSED_DESTINATIONS.index(dest)]
        if self.policy.active:
            day = self.policy.day(self.env.now)
            days *= float(self.policy.assessment_factor[day, self.ep.locality[i]])
        if self.ops.levels:
            days *= self.esc_assess
        return days

    def journey(self, i: int) -> Generator[simpy.Event, Any, None]:
        """One episode's path through the settings."""
        env = self.env
        s = int(self.ep.entry[i])
        if self.ep.in_place[i]:
            rec = self._record(i, s, at_start=True)
            self.r_arrive[rec] = env.now  # the place was taken before the run began
            stay = self.los[i][s]  # a remaining stay, drawn for the census
        else:
            if self.source[i] == _ELECTIVE and self._cancelled(i, s):
                return
            overflow = False
            if self.overflows[s] and not self._stage(s).has_room():
                s, overflow = ACUTE, True
            rec = self._record(i, s, overflow)
            yield self._stage(s).request(i)
            self.r_arrive[rec] = env.now
            stay = self._stay(i, s)
            self._take(i, s, stay)
        had_acute = s == ACUTE
        while True:
            yield env.timeout(stay)
            self.r_ready[rec] = env.now
            dest = self._after(i, s)
            self.r_next[rec] = dest
            if dest < _N_SETTINGS and dest != ACUTE:
                # Moving forward: keep this place until the next one is free.
                if s == ACUTE and self.assessed:
                    assessment = self._assessment(i, dest)
                    if assessment > 0.0:
                        yield env.timeout(assessment)
                nxt = self._record(i, dest)
                yield self._stage(dest).request(i)
                w = _WINDOW.get(dest, -1)
                if w >= 0 and self.ops.windowed[w]:
                    wait = self._window_wait(i, w)
                    if wait > 0.0:  # granted outside its window: taken when it opens
                        yield env.timeout(wait)
                self.r_leave[rec] = env.now
                self._stage(s).release(i)
                self.r_arrive[nxt] = env.now
                s, rec = dest, nxt
                stay = self._stay(i, s)
                self._take(i, s, stay)
                continue
            if s == ACUTE and dest == HOME and self.ops.windowed[0]:
                wait = self._window_wait(i, 0)
                if wait > 0.0:
                    yield env.timeout(wait)
            self.r_leave[rec] = env.now
            self._stage(s).release(i)
            if dest == ACUTE:
                if s in (RAPID_RESPONSE, VIRTUAL_WARD):
                    s = ACUTE
                    rec = self._record(i, s)
                    yield self._stage(s).request(i)
                    self.r_arrive[rec] = env.now
                    stay = self._stay(i, s)
                    had_acute = True
                    continue
                self._start_child(i, _ESCALATION, 0.0)
            elif dest in HOME_ENDS and had_acute and self.ep.readmit[i]:
                self._start_child(i, _READMISSION, float(self.ep.readmit_delay[i]))
            return

    def _cancelled(self, i: int, s: int) -> bool:
        """Whether elective `i` is cancelled on arrival: by the escalation level's share, or
        (for a stream that cancels when full) for want of a free bed. Logged if so."""
        reason = -1
        if self.esc_cancel > 0.0 and self.ep.u_cancel[i] < self.esc_cancel:
            reason = 0
        elif self.ops.electives[int(self.ep.elective[i])].cancel_when_full and not (
            self._stage(s).has_room()
        ):
            reason = 1
        if reason < 0:
            return False
        self.cancelled.append((self.env.now, i, reason))
        return True

    def _take(self, i: int, s: int, stay: float) -> None:
        """Person `i` takes their place in `s` now, for `stay` days: the staff profile starts."""
        staff = self._stage(s).staff
        if staff is not None:
            staff.take(i, self.env.now, stay, self.policy.first_day)

    def _start_child(self, i: int, source: int, delay: float) -> None:
        c = int(self.ep.child[i])
        if c < 0:
            return  # beyond the generations drawn (demand.MAX_GENERATIONS)
        self.source[c] = source
        self.env.process(self._delayed(c, delay))

    def _delayed(self, c: int, delay: float) -> Generator[simpy.Event, Any, None]:
        if delay > 0.0:
            yield self.env.timeout(delay)
        yield from self.journey(c)

    def arrivals(self, order: npt.NDArray[np.int64]) -> Generator[simpy.Event, Any, None]:
        """Start each episode's journey at its arrival time, in time order."""
        env = self.env
        times = self.ep.time
        for i in order.tolist():
            t = float(times[i])
            if t > env.now:
                yield env.timeout(t - env.now)
            env.process(self.journey(i))

    def run(self) -> StayRecords:
        ep = self.ep
        if self.ops.levels:
            self.env.process(self._checks())
        if self.ops.staffed.any():
            self.env.process(self._days())
        # The starting census holds its places, even above the capacity (the kernel's
        # census): has_room and fill ask for occupied < capacity, so the stage admits
        # nobody until it has drained below it.
        for i in np.flatnonzero(ep.in_place).tolist():
            stage_s = int(ep.entry[i])
            stage = self._stage(stage_s)
            stage.occupied += 1
            if stage.staff is not None:
                stage.staff.book(i, 0)
                day0, days = in_service_at_start(self.plan.first_time, self.los[i][stage_s])
                stage.staff.first_day[i], stage.staff.days[i] = day0, days
        starters = np.flatnonzero(~np.isnan(ep.time) & (ep.time < self.end) & (ep.entry >= 0))
        order = starters[np.argsort(ep.time[starters], kind="stable")]
        self.env.process(self.arrivals(order))
        self.env.run(until=self.end)
        return StayRecords(
            episode=np.array(self.r_episode, dtype=np.int64),
            setting=np.array(self.r_setting, dtype=np.int8),
            source=np.array(self.r_source, dtype=np.int8),
            requested=np.array(self.r_requested, dtype=float),
            arrive=np.array(self.r_arrive, dtype=float),
            ready=np.array(self.r_ready, dtype=float),
            leave=np.array(self.r_leave, dtype=float),
            next=np.array(self.r_next, dtype=np.int8),
            overflow=np.array(self.r_overflow, dtype=bool),
            at_start=np.array(self.r_at_start, dtype=bool),
            operations=self._log() if self.ops.active else None,
        )

    def _log(self) -> OperationsLog:
        changes = np.array(self.changes, dtype=float).reshape(-1, 3)
        cancelled = np.array(self.cancelled, dtype=float).reshape(-1, 3)
        return OperationsLog(
            level_on=self.level_on,
            change_time=changes[:, 0].copy(),
            change_setting=changes[:, 1].astype(np.int8),
            change_extra=changes[:, 2].copy(),
            staff_needed=self.needed,
            staff_available=self.available,
            cancelled_time=cancelled[:, 0].copy(),
            cancelled_episode=cancelled[:, 1].astype(np.int64),
            cancelled_reason=cancelled[:, 2].astype(np.int8),
        )


def run_reference_engine(plan: Plan, episodes: Episodes) -> StayRecords:
    """Run one replication of `plan` on pre-sampled `episodes` and record every stay."""
    return _Run(plan, episodes).run()
