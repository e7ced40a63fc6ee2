"""Stay records: what both engines write, one row per stay, as columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["StayRecords"]


@dataclass(frozen=True)
class StayRecords:
    """One row per stay (or attempted stay) of one replication, as columns.

    Times are days from start_date. ``arrive`` is NaN for someone still waiting at the end,
    ``ready`` and ``leave`` are NaN for stays not finished by then, ``next`` is -1 then.
    ``at_start`` marks the stays of people already in their place when the run began.
    """

    episode: npt.NDArray[np.int64]
    setting: npt.NDArray[np.int8]
    source: npt.NDArray[np.int8]
    requested: npt.NDArray[np.float64]
    arrive: npt.NDArray[np.float64]
    ready: npt.NDArray[np.float64]
    leave: npt.NDArray[np.float64]
    next: npt.NDArray[np.int8]
    overflow: npt.NDArray[np.bool_]
    at_start: npt.NDArray[np.bool_]

    @property
    def size(self) -> int:
        """Number of stays."""
        return int(self.episode.size)
