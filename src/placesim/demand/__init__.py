"""Demand: every episode of a replication drawn up front, with every random number it needs.

The third stage of the flow; it reads the :class:`~placesim.plan.Plan` (never the
scenario) and the seed, and is the only place that draws random numbers for a run.

- ``episodes``: :func:`generate_episodes` and the :class:`Episodes` columns; the named
  streams (``STREAMS``) and their keys (docs/decisions.md, "Seed keys").
"""

from __future__ import annotations

from placesim.demand.episodes import (
    MAX_GENERATIONS,
    NO_SERVICE,
    STREAMS,
    Episodes,
    generate_episodes,
)

__all__ = ["MAX_GENERATIONS", "NO_SERVICE", "STREAMS", "Episodes", "generate_episodes"]
