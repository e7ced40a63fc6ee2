"""Which engine runs a replication: the compiled kernel (default) or the SimPy reference."""

from __future__ import annotations

from collections.abc import Callable

from placesim.demand import Episodes
from placesim.engine.kernel import run_kernel
from placesim.engine.records import StayRecords
from placesim.engine.reference import run_reference_engine
from placesim.errors import PlacesimError
from placesim.plan import Plan

__all__ = ["ENGINES", "check_engine", "run_engine"]


def _reference(plan: Plan, episodes: Episodes) -> tuple[StayRecords, int]:
    return run_reference_engine(plan, episodes), -1  # SimPy does not count its events


_ENGINES: dict[str, Callable[[Plan, Episodes], tuple[StayRecords, int]]] = {
    "fast": run_kernel,
    "simpy": _reference,
}
ENGINES: tuple[str, ...] = tuple(_ENGINES)
"""The engines: ``fast`` (compiled, the default) and ``simpy`` (the reference)."""


def check_engine(name: str) -> None:
    """Refuse an engine name that is not one of ``ENGINES``, naming those there are."""
    if name not in _ENGINES:
        raise PlacesimError(f"engine: {name!r} is not allowed: must be one of {ENGINES}")


def run_engine(plan: Plan, episodes: Episodes, engine: str = "fast") -> tuple[StayRecords, int]:
    """Run one replication of `plan` on `episodes` with `engine`: the stays and the events
    processed (-1 where the engine does not count them)."""
    check_engine(engine)
    return _ENGINES[engine](plan, episodes)
