"""Will a run fit? Episodes and memory estimated from the plan before anything is drawn.

A scenario with a thousand times the demand it meant (a typo in a rate, a population in
people instead of thousands) would otherwise draw for minutes and die of MemoryError; the
expected number of episodes is known from the plan's daily rates, so the run can be
refused at once, with the figures, when it cannot fit in the memory available.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from placesim.errors import PlacesimError
from placesim.plan import Plan
from placesim.plan.pathways import ACUTE, INTERMEDIATE_CARE, REABLEMENT

__all__ = [
    "RETAINED_BYTES_PER_EPISODE",
    "WORKING_BYTES_PER_EPISODE",
    "RunEstimate",
    "available_memory_bytes",
    "estimate_run",
    "require_memory",
]

WORKING_BYTES_PER_EPISODE = 400
"""Peak memory of one replication per episode drawn: about 200 bytes were measured at
England size (a 2.4 GB peak for 12.0 million episodes, benchmarks/README.md; 250 before the
second round of issue 12); the margin covers pandas' temporaries, which weigh more in small
runs."""
RETAINED_BYTES_PER_EPISODE = 100
"""Memory a finished replication keeps per episode when the per-stay table is kept: about
71 bytes a stay and up to 1.3 stays an episode (measured on the Rotherham baseline)."""


@dataclass(frozen=True)
class RunEstimate:
    """Expected size of a run."""

    episodes_per_replication: float
    peak_bytes: float


def expected_episodes(plan: Plan) -> float:
    """Expected episodes of one replication, children included (an upper estimate).

    First episodes are the sum of the arrival groups' daily rates plus the starting census.
    Each episode may have a child (readmission, escalation from intermediate care or
    reablement), drawn up front, with at most the largest such probability q of any age
    band, so children add at most a factor 1 / (1 - q).
    """
    first = sum(float(g.daily_rate.sum()) for g in plan.groups)
    first += sum(c.occupied + c.waiting for c in plan.initial)
    q = 0.0
    for b in range(len(plan.age_bands)):
        band_q = float(plan.readmit_probability[b])
        for s in (INTERMEDIATE_CARE, REABLEMENT):
            tables = plan.outcomes[s]
            if tables is not None:
                probs, dests = tables[b]
                band_q += float(np.asarray(probs)[np.asarray(dests) == ACUTE].sum())
        q = max(q, band_q)
    return first / (1.0 - min(q, 0.9))


def estimate_run(plan: Plan, replications: int, keep_stays: bool, workers: int) -> RunEstimate:
    """Expected episodes a replication and peak memory of a run in this process and its
    `workers` local processes (each holds one replication's working set at a time; this
    process keeps every finished replication's tables)."""
    episodes = expected_episodes(plan)
    working = WORKING_BYTES_PER_EPISODE * episodes * min(workers, replications)
    kept = RETAINED_BYTES_PER_EPISODE * episodes * replications if keep_stays else 0.0
    return RunEstimate(episodes_per_replication=episodes, peak_bytes=working + kept)


def available_memory_bytes() -> float | None:
    """Memory the system can give without swapping (Linux MemAvailable), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def require_memory(plan: Plan, replications: int, keep_stays: bool, workers: int) -> None:
    """Refuse a run that cannot fit in the memory available, with the figures."""
    available = available_memory_bytes()
    if available is None:
        return
    estimate = estimate_run(plan, replications, keep_stays, workers)
    if estimate.peak_bytes <= available:
        return
    raise PlacesimError(
        f"memory: this run needs about {_gb(estimate.peak_bytes)} "
        f"({estimate.episodes_per_replication:,.0f} episodes a replication, {replications:,} "
        f"replication(s), {workers} process(es)"
        f"{', keeping every stay' if keep_stays else ''}), more than the "
        f"{_gb(available)} available: check the scenario's rates and population, run fewer "
        "replications or workers, keep no per-stay table (--no-stays), or run anyway with "
        "--no-memory-check (check_memory=False)"
    )


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.0f} MB"
