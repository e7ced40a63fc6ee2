"""Stay records: what both engines write, one row per stay, as columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["OperationsLog", "StayRecords"]


@dataclass(frozen=True)
class OperationsLog:
    """What the escalation plan, the electives and the workforces did in one replication.

    Days are simulated day indices (warm-up included), as the plan's policy arrays.

    Attributes
    ----------
    level_on
        [day, level]: whether each escalation level held after that day's check.
    change_time, change_setting, change_extra
        Each change of the places escalation adds to a setting: when, which setting, and
        the places added from then on (after ``max_extra_capacity``).
    staff_needed, staff_available
        [setting, day]: the day's peak of staff time booked by the people in service (the
        sum of their needs that day; a grant books the newcomer's first day, a leaver frees
        theirs) and the workforce of the day, in the workforce's unit. Grants keep the
        booked need within the workforce, so the peak exceeds it only when the people
        already in service need more than a day's workforce gives (a weekend, a cut).
    cancelled_time, cancelled_episode, cancelled_reason
        Each cancelled elective admission: when, whose, and why (0: the escalation level's
        cancellations, 1: no free bed).
    """

    level_on: npt.NDArray[np.bool_]
    change_time: npt.NDArray[np.float64]
    change_setting: npt.NDArray[np.int8]
    change_extra: npt.NDArray[np.float64]
    staff_needed: npt.NDArray[np.float64]
    staff_available: npt.NDArray[np.float64]
    cancelled_time: npt.NDArray[np.float64]
    cancelled_episode: npt.NDArray[np.int64]
    cancelled_reason: npt.NDArray[np.int8]


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
    operations: OperationsLog | None = None

    @property
    def size(self) -> int:
        """Number of stays."""
        return int(self.episode.size)
