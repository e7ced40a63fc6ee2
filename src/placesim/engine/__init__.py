"""The engine: resolves only the competition for places, in simulated time.

The fourth stage of the flow. It reads the :class:`~placesim.plan.Plan` and the
:class:`~placesim.demand.Episodes` (never the scenario), decides nothing at random, and
records every stay. Its semantics are docs/model.md; both engines record identical stays.

- ``records``: :class:`StayRecords`, what both engines write.
- ``kernel``: the compiled event loop (numba), the default ``fast`` engine.
- ``reference``: the SimPy engine, the readable reference (``engine="simpy"``).
- ``choice``: :func:`run_engine`, which runs the one asked for.
"""

from __future__ import annotations

from placesim.engine.choice import ENGINES, check_engine, run_engine
from placesim.engine.kernel import run_kernel
from placesim.engine.records import OperationsLog, StayRecords
from placesim.engine.reference import run_reference_engine

__all__ = [
    "ENGINES",
    "OperationsLog",
    "StayRecords",
    "check_engine",
    "run_engine",
    "run_kernel",
    "run_reference_engine",
]
