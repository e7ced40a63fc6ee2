"""Capacity steps: each setting's places over time, from its own changes and the levers'."""

from __future__ import annotations

from placesim.scenario import CapacityChangeIntervention, Scenario

__all__ = ["capacity_schedule"]


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
