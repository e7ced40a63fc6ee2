"""The offered-load check: arrival rate x mean stay against capacity, before a run.

By Little's law a setting's mean occupancy, if nobody had to wait, is its arrival rate
times its mean stay: the offered load. Where that reaches the capacity the queue grows
without bound (acute, intermediate care, reablement, care home) or the surplus overflows
to acute (rapid response, virtual ward): real winters do this, and a planner should be
told in words rather than read it off a queue. Arrivals are first visits through the
routing tables (``Plan.visit_probabilities``) plus readmissions after acute; delays after
being ready add to a setting's occupancy and are not counted here, so the check can only
under-state the pressure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placesim.plan import Plan
from placesim.scenario import SETTINGS

__all__ = ["SettingLoad", "load_warnings", "offered_load"]


@dataclass(frozen=True)
class SettingLoad:
    """Offered load of one setting over the reporting window."""

    setting: str
    arrivals_per_day: float
    mean_stay_days: float
    offered_load: float
    capacity: float

    @property
    def utilisation(self) -> float:
        """Offered load / capacity (0 for an unlimited setting)."""
        if not np.isfinite(self.capacity):
            return 0.0
        if self.capacity > 0:
            return self.offered_load / self.capacity
        return float("inf") if self.offered_load > 0 else 0.0


def offered_load(plan: Plan) -> list[SettingLoad]:
    """Arrival rate, mean stay and offered load of every setting, over the reporting window."""
    defined = plan.defined_settings()
    window = slice(plan.warmup_days, plan.warmup_days + plan.horizon_days)
    rate = dict.fromkeys(defined, 0.0)
    bed_days = dict.fromkeys(defined, 0.0)
    for group in plan.groups:
        b = group.age_band
        per_day = float(np.mean(group.daily_rate[window])) if group.daily_rate.size else 0.0
        visits = plan.visit_probabilities(b, group.entry_shares())
        if "acute" in defined:
            visits["acute"] *= 1.0 + float(plan.readmit_probability[b])
        for name in defined:
            r = per_day * visits[name]
            rate[name] += r
            bed_days[name] += r * plan.los_distribution(SETTINGS.index(name), b).mean_days
    days = np.arange(plan.horizon_days, dtype=float)
    out = []
    for name in defined:
        capacity = float(np.mean(plan.capacity_by_day(name, days)))
        mean_stay = bed_days[name] / rate[name] if rate[name] > 0 else float("nan")
        out.append(SettingLoad(name, rate[name], mean_stay, bed_days[name], capacity))
    return out


def load_warnings(plan: Plan) -> list[str]:
    """Plain-language warnings for settings whose offered load reaches the target occupancy
    of their capacity (``measures.target_occupancy``: the rule of the capacity gap too)."""
    lines = []
    for load in offered_load(plan):
        u = load.utilisation
        if u < plan.measure_options.target(load.setting):
            continue
        what = (
            f"{load.setting.replace('_', ' ')}: offered load {load.offered_load:,.0f} places "
            f"({load.arrivals_per_day:,.1f} arrivals a day x {load.mean_stay_days:.1f} days' "
            f"mean stay) against "
            + (
                f"a capacity of {load.capacity:,.0f} ({u:.0%})"
                if load.capacity > 0
                else "no places"
            )
        )
        if load.setting in ("rapid_response", "virtual_ward"):
            lines.append(f"{what}: it will often be full and send people to acute instead")
        elif u >= 1.0:
            lines.append(f"{what}: overloaded, its queue will grow without bound over the run")
        else:
            target = plan.measure_options.target(load.setting)
            lines.append(f"{what}: above its {target:.0%} target occupancy, expect waits")
    return lines
