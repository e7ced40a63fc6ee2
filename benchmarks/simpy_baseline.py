"""A plain SimPy model of placesim's network: the speed baseline of benchmarks/run.py.

placesim's speed is reported as a ratio over this module, so it is deliberately written the
way a modeller would write it with SimPy and nothing else: one process per patient, one
``simpy.Resource`` per setting, explicit requests held while asking for the next setting
(blocking after service), and each stay appended to plain Python lists.

It runs the same pre-sampled episodes as :func:`placesim.engine.run_reference_engine`
(entry settings, lengths of stay, onward destinations, assessment days, overflow,
escalations, readmissions, initial occupants), with these differences:

- No policy: interventions are ignored (no length-of-stay or assessment factors, no pathway
  shifts); an acute stay leads to the destination drawn in ``episodes.after``.
- No capacity changes: a ``simpy.Resource`` cannot change its capacity, so each setting keeps
  its starting capacity (``unlimited`` becomes 10**9; a capacity must be at least 1).
- Initial occupants beyond a setting's capacity queue for it (the engine lets them all in
  and fills the setting again only once it is below capacity).
- A stay is recorded when the place is granted, so people still waiting at the end are not
  counted (the engine records them with a NaN arrival).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from placesim.demand import Episodes
from placesim.plan import capacity_schedule
from placesim.plan.pathways import (
    ACUTE,
    ASSESSED_DESTINATIONS,
    HOME_ENDS,
    RAPID_RESPONSE,
    VIRTUAL_WARD,
)
from placesim.scenario import SETTINGS, Scenario

__all__ = ["run_baseline"]

UNLIMITED = 10**9


def run_baseline(scenario: Scenario, episodes: Episodes) -> int:
    """Run one replication of `scenario` on `episodes`; return the number of stays recorded."""
    env = simpy.Environment(initial_time=-float(scenario.calendar.warmup_days))
    horizon = float(scenario.calendar.horizon_days)
    defined = scenario.settings.defined()

    resources: dict[int, simpy.Resource] = {}
    overflow_to_acute: dict[int, bool] = {}
    for s, name in enumerate(SETTINGS):
        if name in defined:
            capacity = capacity_schedule(scenario, name)[0][1]
            resources[s] = simpy.Resource(
                env, capacity=UNLIMITED if math.isinf(capacity) else int(capacity)
            )
            overflow_to_acute[s] = defined[name].when_full == "overflow_to_acute"

    assessed = bool(scenario.discharge and scenario.discharge.assessment_days)

    # The stay table, one row per place granted.
    st_episode: list[int] = []
    st_setting: list[int] = []
    st_arrive: list[float] = []
    st_ready: list[float] = []
    st_leave: list[float] = []

    def record(i: int, s: int) -> int:
        """Append a stay that starts now; return its row."""
        st_episode.append(i)
        st_setting.append(s)
        st_arrive.append(env.now)
        st_ready.append(math.nan)
        st_leave.append(math.nan)
        return len(st_episode) - 1

    def has_room(s: int) -> bool:
        """A place is free and nobody is queueing for it."""
        res = resources[s]
        return res.count < res.capacity and not res.queue

    def start_child(i: int, delay: float) -> None:
        """Start episode `i`'s child (escalation or readmission) after `delay` days."""
        c = int(episodes.child[i])
        if c >= 0:
            env.process(patient(c, delay=delay))

    def patient(i: int, delay: float = 0.0, req: Any = None) -> Generator[simpy.Event, Any, None]:
        """One episode's journey through the settings."""
        if delay > 0.0:
            yield env.timeout(delay)
        s = int(episodes.entry[i])
        if req is not None:  # an initial occupant, already holding its place
            row = record(i, s)
        else:
            if overflow_to_acute[s] and not has_room(s):
                s = ACUTE
            req = resources[s].request()
            yield req
            row = record(i, s)
        had_acute = s == ACUTE

        while True:
            yield env.timeout(float(episodes.los[i, s]))
            st_ready[row] = env.now
            dest = int(episodes.after[i, s])

            if dest in resources and dest != ACUTE:
                # Blocking after service: keep this place until the next one is granted.
                if s == ACUTE and assessed:
                    days = float(episodes.assessment[i, ASSESSED_DESTINATIONS.index(dest)])
                    if days > 0.0:
                        yield env.timeout(days)
                next_req = resources[dest].request()
                yield next_req
                st_leave[row] = env.now
                resources[s].release(req)
                s, req = dest, next_req
                row = record(i, s)
                continue

            st_leave[row] = env.now
            resources[s].release(req)
            if dest == ACUTE:
                if s in (RAPID_RESPONSE, VIRTUAL_WARD):
                    s = ACUTE
                    req = resources[s].request()
                    yield req
                    row = record(i, s)
                    had_acute = True
                    continue
                start_child(i, 0.0)  # escalation from intermediate care or reablement
            elif dest in HOME_ENDS and had_acute and episodes.readmit[i]:
                start_child(i, float(episodes.readmit_delay[i]))
            return

    def arrivals(order: list[int]) -> Generator[simpy.Event, Any, None]:
        """Start each patient at their arrival time."""
        for i in order:
            t = float(episodes.time[i])
            if t > env.now:
                yield env.timeout(t - env.now)
            env.process(patient(i))

    # Initial occupants take their places at the first instant, before anyone else asks.
    for i in np.flatnonzero(episodes.in_place).tolist():
        res = resources[int(episodes.entry[i])]
        env.process(patient(i, req=res.request()))

    t = episodes.time
    starters = np.flatnonzero(
        ~episodes.in_place & ~np.isnan(t) & (t < horizon) & (episodes.entry >= 0)
    )
    env.process(arrivals(starters[np.argsort(t[starters], kind="stable")].tolist()))
    env.run(until=horizon)
    return len(st_episode)
