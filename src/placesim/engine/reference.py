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
- A capacity drop takes effect as people leave; nobody is evicted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from placesim.demand import Episodes
from placesim.engine.records import StayRecords
from placesim.plan import Plan, pathway_after_moves
from placesim.plan.pathways import (
    ACUTE,
    ASSESSED_DESTINATIONS,
    HOME_ENDS,
    INTERMEDIATE_CARE,
    PATHWAY_DESTINATION,
    RAPID_RESPONSE,
    SOURCES,
    VIRTUAL_WARD,
)
from placesim.scenario import SETTINGS

__all__ = ["run_reference_engine"]

_ESCALATION = SOURCES.index("escalation")
_READMISSION = SOURCES.index("readmission")
_N_SETTINGS = len(SETTINGS)


class _Stage:
    """Places of one setting with a FIFO queue; capacity may change while people stay."""

    __slots__ = ("capacity", "env", "occupied", "queue")

    def __init__(self, env: simpy.Environment, capacity: float) -> None:
        self.env = env
        self.capacity = capacity
        self.occupied = 0
        self.queue: deque[simpy.Event] = deque()

    def has_room(self) -> bool:
        return self.occupied < self.capacity and not self.queue

    def request(self) -> simpy.Event:
        event = self.env.event()
        if self.has_room():
            self.occupied += 1
            event.succeed()
        else:
            self.queue.append(event)
        return event

    def release(self) -> None:
        self.occupied -= 1
        self._fill()

    def set_capacity(self, capacity: float) -> None:
        self.capacity = capacity
        self._fill()

    def _fill(self) -> None:
        while self.queue and self.occupied < self.capacity:
            self.occupied += 1
            self.queue.popleft().succeed()


class _Run:
    """One replication: the stages, the journeys and the growing stay records."""

    def __init__(self, plan: Plan, episodes: Episodes) -> None:
        self.ep = episodes
        self.env = simpy.Environment(initial_time=plan.first_time)
        self.end = plan.end_time
        self.stages: list[_Stage | None] = []
        self.overflows = [bool(x) for x in plan.overflow]
        for s in range(_N_SETTINGS):
            if plan.defined[s]:
                schedule = plan.capacity_steps[s]
                self.stages.append(_Stage(self.env, schedule[0][1]))
                self.env.process(self._capacity_changes(s, list(schedule[1:])))
            else:
                self.stages.append(None)
        self.source = episodes.source.copy()
        self.los = episodes.los.tolist()
        self.after = episodes.after.tolist()
        self.policy = plan.policy
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
            stage.set_capacity(capacity)

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
            overflow = False
            if self.overflows[s] and not self._stage(s).has_room():
                s, overflow = ACUTE, True
            rec = self._record(i, s, overflow)
            yield self._stage(s).request()
            self.r_arrive[rec] = env.now
            stay = self._stay(i, s)
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
                yield self._stage(dest).request()
                self.r_leave[rec] = env.now
                self._stage(s).release()
                self.r_arrive[nxt] = env.now
                s, rec = dest, nxt
                stay = self._stay(i, s)
                continue
            self.r_leave[rec] = env.now
            self._stage(s).release()
            if dest == ACUTE:
                if s in (RAPID_RESPONSE, VIRTUAL_WARD):
                    s = ACUTE
                    rec = self._record(i, s)
                    yield self._stage(s).request()
                    self.r_arrive[rec] = env.now
                    stay = self._stay(i, s)
                    had_acute = True
                    continue
                self._start_child(i, _ESCALATION, 0.0)
            elif dest in HOME_ENDS and had_acute and self.ep.readmit[i]:
                self._start_child(i, _READMISSION, float(self.ep.readmit_delay[i]))
            return

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
        for i in np.flatnonzero(ep.in_place).tolist():
            self._stage(int(ep.entry[i])).occupied += 1
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
        )


def run_reference_engine(plan: Plan, episodes: Episodes) -> StayRecords:
    """Run one replication of `plan` on pre-sampled `episodes` and record every stay."""
    return _Run(plan, episodes).run()
