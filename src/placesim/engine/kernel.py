"""The compiled kernel (the ``fast`` engine): docs/model.md's network as one numba loop.

Why a second engine: SimPy spends most of a replication creating event objects and
resuming generators, about 1 s per place-year and proportionally more at region and
England size. This loop keeps the same queueing network in flat arrays (one row per
episode, a binary heap of pending events, a linked FIFO queue per setting, so granting
and releasing a place cost O(1) and O(log events)) and runs compiled.

Same semantics, same answers: it mirrors SimPy's event order exactly. Events are ordered
by (time, priority, sequence number) as in SimPy; starting a person's journey is urgent
(SimPy's ``Initialize``), everything else normal; a granted place, a stay and an
assessment each cost one event; times are computed with the same floating-point
operations. Given the same episodes and plan, :func:`run_kernel` records the same stays
as :func:`placesim.engine.reference.run_reference_engine`
(tests/property/test_engines_agree.py), which stays the reference and the engine to
extend with processes of your own.
"""

from __future__ import annotations

from pathlib import Path

import numba
import numpy as np
import numpy.typing as npt

from placesim.demand import Episodes
from placesim.engine.records import OperationsLog, StayRecords
from placesim.errors import interrupts_held
from placesim.plan import Plan, pathway_after_moves
from placesim.plan.operations import (
    NOT_TAKEN,
    added_places,
    day_workforce,
    escalation_step,
    in_service_at_start,
    level_effects,
    next_window_open,
    staff_need,
    watched_value,
)
from placesim.plan.pathways import (
    ACUTE,
    CARE_HOME,
    HOME,
    HOME_ENDS,
    INTERMEDIATE_CARE,
    RAPID_RESPONSE,
    REABLEMENT,
    SOURCES,
    VIRTUAL_WARD,
)
from placesim.scenario import SETTINGS

__all__ = ["needs_compiling", "run_kernel"]

_N = len(SETTINGS)
_URGENT = 0
_NORMAL = 1 << 62  # priority in the top bits of the heap key
_ESCALATION = SOURCES.index("escalation")
_READMISSION = SOURCES.index("readmission")
_ELECTIVE = SOURCES.index("elective")
# Heap targets of processes: the arrivals, -2 - s the capacity changes of setting s, the
# daily escalation check, the staff day, and _OPENS - k the opening of level k's places.
_ARRIVALS = -1
_CHECKS = -2 - _N
_DAYS = -3 - _N
_OPENS = -4 - _N

# What a person's next event means (their process's resumption point, as in SimPy):
# _TAKE takes a granted place when its discharge window opens, _HOME leaves acute for home
# when the window home opens.
_INIT, _START, _GRANTED, _STAY_END, _ASSESSED, _MOVED, _DONE, _TAKE, _HOME = range(9)
# The window of each destination code (-1: none): home, intermediate care, reablement,
# care home (operations.WINDOW_DESTINATIONS).
_WINDOW = np.full(11, -1, dtype=np.int64)
_WINDOW[HOME], _WINDOW[INTERMEDIATE_CARE], _WINDOW[REABLEMENT], _WINDOW[CARE_HOME] = 0, 1, 2, 3

Staff = tuple[
    npt.NDArray[np.bool_],  # staffed: per setting
    npt.NDArray[np.float64],  # the day's workforce
    npt.NDArray[np.float64],  # booked need
    npt.NDArray[np.float64],  # first-day need
    npt.NDArray[np.int64],  # slot: each staffed setting's list
    npt.NDArray[np.int32],  # svc_list: people in service, a row per slot
    npt.NDArray[np.int64],  # svc_len: the lists' lengths
    npt.NDArray[np.int64],  # svc_pos: each person's position in their list
    npt.NDArray[np.int64],  # svc_day0: the day index the place was taken (or NOT_TAKEN)
    npt.NDArray[np.float64],  # svc_need: each person's booked need today
    npt.NDArray[np.float64],  # needed: the peak of booked need by setting and day
]
"""The staff state the kernel's helpers share (one tuple, so calls stay short)."""

# Record columns: floats and small integers.
_REQUESTED, _ARRIVE, _READY, _LEAVE = range(4)
_SETTING, _SOURCE, _NEXT, _OVERFLOW, _AT_START = range(5)

# numba's on-disk cache keys a function to its own file: after editing one of these
# functions in placesim.plan, delete src/placesim/engine/__pycache__/kernel.*.nb* or the
# loop keeps the old one (an installed release replaces every file, so it recompiles).
_pathway = numba.njit(cache=True)(pathway_after_moves)
_next_open = numba.njit(cache=True)(next_window_open)
_need = numba.njit(cache=True)(staff_need)
_in_service_at_start = numba.njit(cache=True)(in_service_at_start)
_escalation_step = numba.njit(cache=True)(escalation_step)
_watched = numba.njit(cache=True)(watched_value)
_level_effects = numba.njit(cache=True)(level_effects)
_added_places = numba.njit(cache=True)(added_places)
_day_workforce = numba.njit(cache=True)(day_workforce)


@numba.njit(cache=True)
def _push(
    h_time: npt.NDArray[np.float64],
    h_key: npt.NDArray[np.int64],
    h_who: npt.NDArray[np.int64],
    size: int,
    time: float,
    key: int,
    who: int,
) -> int:
    """Add an event to the heap ordered by (time, key); return the new size."""
    k = size
    while k > 0:
        parent = (k - 1) >> 1
        pt, pk = h_time[parent], h_key[parent]
        if pt < time or (pt == time and pk < key):
            break
        h_time[k], h_key[k], h_who[k] = pt, pk, h_who[parent]
        k = parent
    h_time[k], h_key[k], h_who[k] = time, key, who
    return size + 1


@numba.njit(cache=True)
def _pop(
    h_time: npt.NDArray[np.float64],
    h_key: npt.NDArray[np.int64],
    h_who: npt.NDArray[np.int64],
    size: int,
) -> int:
    """Remove the first event (whose fields the caller has read); return the new size."""
    size -= 1
    time, key, who = h_time[size], h_key[size], h_who[size]
    k = 0
    while True:
        child = 2 * k + 1
        if child >= size:
            break
        right = child + 1
        if right < size and (
            h_time[right] < h_time[child]
            or (h_time[right] == h_time[child] and h_key[right] < h_key[child])
        ):
            child = right
        if time < h_time[child] or (time == h_time[child] and key < h_key[child]):
            break
        h_time[k], h_key[k], h_who[k] = h_time[child], h_key[child], h_who[child]
        k = child
    h_time[k], h_key[k], h_who[k] = time, key, who
    return size


@numba.njit(cache=True)
def _starter(
    time: npt.NDArray[np.float64], entry: npt.NDArray[np.int8], end: float, i: int, stop: int
) -> int:
    """The first row from `i` (before `stop`) whose journey starts in the run: a time before
    the end (not NaN: a child) and a service to enter; `stop` if none."""
    while i < stop and not (time[i] < end and entry[i] >= 0):
        i += 1
    return i


@numba.njit(cache=True)
def _staff_ok(
    s: int,
    staffed: npt.NDArray[np.bool_],
    st_w: npt.NDArray[np.float64],
    st_s: npt.NDArray[np.float64],
    first: npt.NDArray[np.float64],
) -> bool:
    """Whether the day's spare staff time of `s` covers a newcomer's first-day need."""
    return not staffed[s] or st_s[s] + first[s] <= st_w[s]


@numba.njit(cache=True)
def _book(s: int, i: int, day: int, staff: Staff) -> None:
    """Count person `i`, just granted a place of staffed `s`, against its staff time."""
    _, _, st_s, first, slot, svc_list, svc_len, svc_pos, svc_day0, svc_need, needed = staff
    j = slot[s]
    svc_list[j, svc_len[j]] = i
    svc_pos[i] = svc_len[j]
    svc_len[j] += 1
    svc_day0[i] = NOT_TAKEN
    svc_need[i] = first[s]
    st_s[s] += first[s]
    if st_s[s] > needed[s, day]:  # the day's peak of booked need
        needed[s, day] = st_s[s]


@numba.njit(cache=True)
def _unbook(
    s: int,
    i: int,
    slot: npt.NDArray[np.int64],
    svc_list: npt.NDArray[np.int32],
    svc_len: npt.NDArray[np.int64],
    svc_pos: npt.NDArray[np.int64],
    svc_need: npt.NDArray[np.float64],
    st_s: npt.NDArray[np.float64],
) -> None:
    """Free the staff time of person `i`, leaving staffed `s` (the last of the list takes
    their position, as the reference engine's list does)."""
    st_s[s] -= svc_need[i]
    j = slot[s]
    p = svc_pos[i]
    moved = svc_list[j, svc_len[j] - 1]
    svc_list[j, p] = moved
    svc_pos[moved] = p
    svc_len[j] -= 1


@numba.njit(cache=True)
def _fill(
    s: int,
    occupied: npt.NDArray[np.int64],
    capacity: npt.NDArray[np.float64],
    q_head: npt.NDArray[np.int64],
    q_next: npt.NDArray[np.int32],
    q_len: npt.NDArray[np.int64],
    n_key: npt.NDArray[np.int64],
    n_who: npt.NDArray[np.int64],
    nt: int,
    eid: int,
    day: int,
    staff: Staff,
) -> tuple[int, int]:
    """Grant places of `s` to the head of its queue while there is room, and staff time
    for a staffed setting (engine._Stage._fill).

    Each grant is an event now, appended at `nt` to the ring of this instant's normal
    events (`n_key`, `n_who`). Returns the ring's new end and the next sequence number.
    """
    staffed, st_w, st_s, first = staff[0], staff[1], staff[2], staff[3]
    while q_head[s] >= 0 and occupied[s] < capacity[s] and _staff_ok(s, staffed, st_w, st_s, first):
        occupied[s] += 1
        j = q_head[s]
        q_head[s] = q_next[j]
        q_len[s] -= 1
        if staffed[s]:
            _book(s, j, day, staff)
        n_key[nt] = _NORMAL + eid
        n_who[nt] = j
        nt += 1
        if nt == n_key.size:
            nt = 0
        eid += 1
    return nt, eid


@numba.njit(cache=True)
def _leave(
    s: int,
    i: int,
    row: int,
    now: float,
    r_f: npt.NDArray[np.float64],
    occupied: npt.NDArray[np.int64],
    capacity: npt.NDArray[np.float64],
    q_head: npt.NDArray[np.int64],
    q_next: npt.NDArray[np.int32],
    q_len: npt.NDArray[np.int64],
    n_key: npt.NDArray[np.int64],
    n_who: npt.NDArray[np.int64],
    nt: int,
    eid: int,
    day: int,
    staff: Staff,
) -> tuple[int, int]:
    """Person `i` leaves their place of `s` now (stay `row`), which may admit the people
    waiting for it (freed staff time can admit several at once): as :func:`_fill`."""
    r_f[_LEAVE, row] = now
    occupied[s] -= 1
    if staff[0][s]:
        _, _, st_s, _, slot, svc_list, svc_len, svc_pos, _, svc_need, _ = staff
        _unbook(s, i, slot, svc_list, svc_len, svc_pos, svc_need, st_s)
    return _fill(s, occupied, capacity, q_head, q_next, q_len, n_key, n_who, nt, eid, day, staff)


@numba.njit(cache=True)
def _grown_records(
    r_ep: npt.NDArray[np.int64],
    r_f: npt.NDArray[np.float64],
    r_i: npt.NDArray[np.int8],
    used: int,
    size: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    """The stay records' arrays with `size` rows (the first `used` kept).

    Copied in loops: a slice assignment compiles numba's shape-mismatch error path with its
    string formatting, seconds of the first compile."""
    ep, f, it = np.empty(size, dtype=np.int64), np.empty((4, size)), np.empty((5, size), np.int8)
    for j in range(used):
        ep[j] = r_ep[j]
        for c in range(4):
            f[c, j] = r_f[c, j]
        for c in range(5):
            it[c, j] = r_i[c, j]
    return ep, f, it


@numba.njit(cache=True)
def _record(
    r_ep: npt.NDArray[np.int64],
    r_f: npt.NDArray[np.float64],
    r_i: npt.NDArray[np.int8],
    row: int,
    i: int,
    s: int,
    source: int,
    now: float,
    overflow: bool,
    at_start: bool,
) -> None:
    """Write stay `row`: episode `i` asks for setting `s` now (as engine._Run._record)."""
    r_ep[row] = i
    r_f[_REQUESTED, row] = now
    r_f[_ARRIVE, row] = np.nan
    r_f[_READY, row] = np.nan
    r_f[_LEAVE, row] = np.nan
    r_i[_SETTING, row] = s
    r_i[_SOURCE, row] = source
    r_i[_NEXT, row] = -1
    r_i[_OVERFLOW, row] = overflow
    r_i[_AT_START, row] = at_start


@numba.njit(cache=True)
def _day(now: float, first_day: int, n_days: int) -> int:
    """Index of the policy day holding `now` (as interventions.Policy.day)."""
    k = int(np.floor(now)) - first_day
    return min(max(k, 0), n_days - 1)


@numba.njit(cache=True)
def _loop(
    time: npt.NDArray[np.float64],
    source: npt.NDArray[np.int8],
    locality: npt.NDArray[np.int32],
    age_band: npt.NDArray[np.int32],
    entry: npt.NDArray[np.int8],
    in_place: npt.NDArray[np.bool_],
    los: npt.NDArray[np.float64],
    after: npt.NDArray[np.int8],
    u_pathway: npt.NDArray[np.float64],
    assessment: npt.NDArray[np.float64],
    readmit: npt.NDArray[np.bool_],
    readmit_delay: npt.NDArray[np.float64],
    child: npt.NDArray[np.int64],
    elective: npt.NDArray[np.int16],
    u_cancel: npt.NDArray[np.float64],
    runs: npt.NDArray[np.int64],
    defined: npt.NDArray[np.bool_],
    overflows: npt.NDArray[np.bool_],
    cap_time: npt.NDArray[np.float64],
    cap_value: npt.NDArray[np.float64],
    cap_steps: npt.NDArray[np.int64],
    start: float,
    end: float,
    policy_active: bool,
    shift_pathways: bool,
    assessed: bool,
    first_day: int,
    acute_los_factor: npt.NDArray[np.float64],
    ic_los_factor: npt.NDArray[np.float64],
    assessment_factor: npt.NDArray[np.float64],
    p2_to_p1: npt.NDArray[np.float64],
    p3_to_p2: npt.NDArray[np.float64],
    p3_to_p1: npt.NDArray[np.float64],
    home_shift: npt.NDArray[np.float64],
    pathway_probs: npt.NDArray[np.float64],
    pathway_dest: npt.NDArray[np.int64],
    assessed_column: npt.NDArray[np.int64],
    record_guess: int,
    windowed: npt.NDArray[np.bool_],
    window_open: npt.NDArray[np.float64],
    window_close: npt.NDArray[np.float64],
    staffed: npt.NDArray[np.bool_],
    staff_per_day: npt.NDArray[np.float64],
    first: npt.NDArray[np.float64],
    last: npt.NDArray[np.float64],
    cancel_when_full: npt.NDArray[np.bool_],
    check_at: float,
    trigger_setting: npt.NDArray[np.int64],
    trigger_measure: npt.NDArray[np.int64],
    trigger_at_least: npt.NDArray[np.float64],
    trigger_days: npt.NDArray[np.int64],
    down_below: npt.NDArray[np.float64],
    down_days: npt.NDArray[np.int64],
    add_capacity: npt.NDArray[np.float64],
    add_staff: npt.NDArray[np.float64],
    open_after: npt.NDArray[np.float64],
    level_assessment: npt.NDArray[np.float64],
    level_cancel: npt.NDArray[np.float64],
    max_days: npt.NDArray[np.int64],
    level_first_day: npt.NDArray[np.int64],
    level_last_day: npt.NDArray[np.int64],
    year: npt.NDArray[np.int64],
    max_extra: npt.NDArray[np.float64],
) -> tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
    npt.NDArray[np.int8],
    int,
    npt.NDArray[np.bool_],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]:
    """The replication's event loop: episode, float and integer columns of the stays (as
    views of the record arrays), the number of events processed, and the operations log
    (levels held by day, changes of escalation places as (time, setting, places) rows,
    staff needed and available by setting and day, cancelled electives as (time, episode,
    reason) rows)."""
    n = time.size
    n_days = acute_los_factor.shape[0]
    # Typed constants, not literals: numba compiles a helper once per argument type, and
    # a literal 0 or False is a type of its own, as is an int8 index (each extra version cost
    # 0.1-0.5 s). So settings read from int8 columns are widened by adding `zero`.
    zero = int(np.int64(0))
    no = bool(np.bool_(False))
    n_levels = trigger_setting.size
    escalates = n_levels > 0
    any_staff = staffed.any()
    any_window = windowed.any()
    # Stages: capacity, places taken, FIFO queue as a linked list through q_next.
    capacity = np.zeros(_N)
    base_capacity = np.zeros(_N)
    extra = np.zeros(_N)
    occupied = np.zeros(_N, dtype=np.int64)
    q_head = np.full(_N, -1, dtype=np.int64)
    q_tail = np.full(_N, -1, dtype=np.int64)
    q_next = np.full(n, -1, dtype=np.int32)
    q_len = np.zeros(_N, dtype=np.int64)
    cap_k = np.full(_N, -1, dtype=np.int64)
    # People: resumption point, current record, record being asked for, setting, flags.
    phase = np.full(n, _DONE, dtype=np.int8)
    cur = np.full(n, -1, dtype=np.int32)  # rows of the stay records (< 2**31 stays)
    nxt = np.full(n, -1, dtype=np.int32)
    where = np.zeros(n, dtype=np.int8)
    had_acute = np.zeros(n, dtype=np.bool_)
    delay = np.zeros(n)  # a child's wait before its journey starts (readmission delay)
    src = source.copy()
    # Staff: the day's workforce and booked need per setting; people in service of each
    # staffed setting (a list per slot), with the day they took the place and its length.
    st_w = np.zeros(_N)
    st_s = np.zeros(_N)
    slot = np.full(_N, -1, dtype=np.int64)
    n_slots = 0
    for s in range(_N):
        if staffed[s]:
            slot[s] = n_slots
            n_slots += 1
    n_svc = n if any_staff else 1
    svc_list = np.zeros((max(n_slots, 1), n_svc), dtype=np.int32)
    svc_len = np.zeros(max(n_slots, 1), dtype=np.int64)
    svc_pos = np.zeros(n_svc, dtype=np.int64)
    svc_day0 = np.zeros(n_svc, dtype=np.int64)
    svc_days = np.zeros(n_svc, dtype=np.int64)
    svc_need = np.zeros(n_svc)
    needed = np.zeros((_N, n_days if any_staff else 1))
    available = np.zeros((_N, n_days if any_staff else 1))
    staff = (
        staffed,
        st_w,
        st_s,
        first,
        slot,
        svc_list,
        svc_len,
        svc_pos,
        svc_day0,
        svc_need,
        needed,
    )
    # Escalation: levels' state, opened places, the log.
    on = np.zeros(n_levels, dtype=np.bool_)
    opened = np.zeros(n_levels, dtype=np.bool_)
    up = np.zeros(n_levels, dtype=np.int64)
    down = np.zeros(n_levels, dtype=np.int64)
    used = np.zeros((n_levels, int(year[-1]) + 1), dtype=np.int64)
    pending = np.full(n_levels, -1, dtype=np.int64)
    changed = np.zeros(n_levels, dtype=np.int8)
    values = np.zeros(n_levels)
    level_on = np.zeros((n_days if escalates else 0, n_levels), dtype=np.bool_)
    n_changes_max = 2 * _N * n_levels * (n_days + 1) if escalates else 0
    ch_f = np.zeros((3, n_changes_max))  # time, setting, places
    n_changes = zero
    esc_cancel = 0.0
    esc_assess = 1.0
    check_k = 0
    day_k = 0
    n_cancel_max = 0
    for i in range(n):
        if src[i] == _ELECTIVE:
            n_cancel_max += 1
    cancelled = np.zeros((3, n_cancel_max))  # time, episode, reason
    n_cancelled = 0
    # Pending events: at most one per person and per process, so the heap and the queues
    # below never need to grow (and only the part used is ever touched). An array that the
    # loop reassigned cost two atomic reference counts per event, a quarter of its time.
    n_pending = n + _N + n_levels + 8
    h_time = np.empty(n_pending)
    h_key = np.empty(n_pending, dtype=np.int64)
    h_who = np.empty(n_pending, dtype=np.int64)
    hn = zero
    eid = 0
    # Stay records: a first guess, grown between events if needed.
    r_cap = max(record_guess, 16)
    r_ep = np.empty(r_cap, dtype=np.int64)
    r_f = np.empty((4, r_cap))  # a column per field, handed back without a copy
    r_i = np.empty((5, r_cap), dtype=np.int8)
    nrec = zero

    for s in range(_N):
        if defined[s]:
            base_capacity[s] = cap_value[s, 0]
            capacity[s] = cap_value[s, 0]
            hn = _push(h_time, h_key, h_who, hn, start, _URGENT + eid, -2 - s)
            eid += 1
    if escalates:
        hn = _push(h_time, h_key, h_who, hn, start, _URGENT + eid, _CHECKS + zero)
        eid += 1
    if any_staff:
        hn = _push(h_time, h_key, h_who, hn, start, _URGENT + eid, _DAYS + zero)
        eid += 1
    # The starting census holds its places, even above the capacity: every grant asks for
    # occupied < capacity, so the setting admits nobody until it has drained below it.
    for i in range(n):
        if in_place[i]:
            s = entry[i] + zero
            occupied[s] += 1
            if staffed[s]:
                _book(s, i, zero, staff)
                svc_day0[i], svc_days[i] = _in_service_at_start(start, los[i, s])
    hn = _push(h_time, h_key, h_who, hn, start, _URGENT + eid, _ARRIVALS + zero)
    eid += 1
    # Arrivals: each batch of episodes (rows runs[k] to runs[k + 1]) is in time order, so
    # the next to start is the earliest next row of a batch, ties to the lower row as a
    # stable sort of all starters would have it: a small heap of (time, row, batch), no
    # sort. Its entries hold the times, so its comparisons stay in cache.
    b_time = np.empty(runs.size)
    b_row = np.empty(runs.size, dtype=np.int64)
    b_run = np.empty(runs.size, dtype=np.int64)
    bn = zero
    for k in range(runs.size - 1):
        row = _starter(time, entry, end, runs[k], runs[k + 1])
        if row < runs[k + 1]:
            bn = _push(b_time, b_row, b_run, bn, time[row], row, k)
    a_resumed = False
    events = 0
    # Events scheduled for the instant being processed (a journey's start, a granted
    # place) go to two first-in-first-out queues, urgent and normal, instead of the heap:
    # their keys only grow, so they leave in SimPy's (time, priority, sequence) order at
    # O(1), and the heap holds only later events. Each queue restarts at 0 when it empties;
    # a journey starts once, so the urgent one never holds more than n, and the normal one
    # wraps around (a person can be granted several places in one instant, one at a time).
    u_key = np.empty(n_pending, dtype=np.int64)
    u_who = np.empty(n_pending, dtype=np.int64)
    n_key = np.empty(n_pending, dtype=np.int64)
    n_who = np.empty(n_pending, dtype=np.int64)
    uh = ut = nh = nt = zero
    now = start

    finished = False
    while not finished:
        # The stay records grow here, outside the event loop: each event adds at most one,
        # and an array that the event loop itself could reassign would cost it two atomic
        # reference counts per event.
        if nrec == r_cap:
            r_cap = r_cap + r_cap // 2 + 16
            r_ep, r_f, r_i = _grown_records(r_ep, r_f, r_i, nrec, r_cap)
        while nrec < r_cap:
            heap_now = hn > 0 and h_time[0] == now
            if uh < ut and not (heap_now and h_key[0] < u_key[uh]):
                who = u_who[uh]
                key = u_key[uh]
                uh += 1
                if uh == ut:
                    uh = ut = 0
            elif uh == ut and nh != nt and not (heap_now and h_key[0] < n_key[nh]):
                who = n_who[nh]
                key = n_key[nh]
                nh += 1
                if nh == n_key.size:
                    nh = 0
                if nh == nt:
                    nh = nt = 0
            elif hn > 0:
                now = h_time[0]
                if now >= end:
                    finished = True
                    break
                who = h_who[0]
                key = h_key[0]
                hn = _pop(h_time, h_key, h_who, hn)
            else:
                finished = True
                break
            events += 1

            if who == _ARRIVALS:
                while bn > 0:
                    i = b_row[0]
                    t = b_time[0]
                    if t > now and not a_resumed:
                        hn = _push(h_time, h_key, h_who, hn, now + (t - now), _NORMAL + eid, who)
                        eid += 1
                        a_resumed = True
                        break
                    a_resumed = False  # resumed at its time: it starts, whatever the clock
                    k = b_run[0]
                    bn = _pop(b_time, b_row, b_run, bn)
                    phase[i] = _INIT
                    u_key[ut] = _URGENT + eid
                    u_who[ut] = i
                    ut += 1
                    eid += 1
                    row = _starter(time, entry, end, i + 1, runs[k + 1])
                    if row < runs[k + 1]:  # the batch's next arrival
                        bn = _push(b_time, b_row, b_run, bn, time[row], row, k)
                continue

            if who == _CHECKS:  # the daily escalation check (the first event only starts it)
                if check_k > 0:
                    d = _day(now, first_day, n_days)
                    for k in range(n_levels):
                        s = trigger_setting[k]
                        values[k] = _watched(
                            trigger_measure[k], float(occupied[s]), capacity[s], float(q_len[s])
                        )
                    _escalation_step(
                        values,
                        d,
                        on,
                        up,
                        down,
                        used,
                        trigger_at_least,
                        trigger_days,
                        down_below,
                        down_days,
                        max_days,
                        level_first_day,
                        level_last_day,
                        year,
                        changed,
                    )
                    closing = False
                    for k in range(n_levels):
                        level_on[d, k] = on[k]
                        if changed[k] == 1 and add_capacity[k].any():
                            pending[k] = _NORMAL + eid
                            hn = _push(
                                h_time,
                                h_key,
                                h_who,
                                hn,
                                now + open_after[k],
                                pending[k],
                                _OPENS - k,
                            )
                            eid += 1
                        elif changed[k] == -1:
                            pending[k] = -1
                            if opened[k]:
                                opened[k] = False
                                closing = True
                    esc_cancel, esc_assess = _level_effects(on, level_cancel, level_assessment)
                    if closing:
                        n_changes = _set_extra(
                            now,
                            opened,
                            add_capacity,
                            max_extra,
                            extra,
                            base_capacity,
                            capacity,
                            ch_f,
                            n_changes,
                        )
                check_k += 1
                at = float(first_day + check_k - 1) + check_at
                hn = _push(h_time, h_key, h_who, hn, now + (at - now), _NORMAL + eid, who)
                eid += 1
                continue

            if who == _DAYS:  # the staff day: the day's workforce, and everyone's need today
                d = _day(now, first_day, n_days)
                for s in range(_N):
                    if staffed[s]:
                        w = _day_workforce(staff_per_day, on, add_staff, s, d)
                        st_w[s] = w
                        total = 0.0
                        j = slot[s]
                        for p in range(svc_len[j]):
                            i = svc_list[j, p]
                            svc_need[i] = _need(d, svc_day0[i], svc_days[i], first[s], last[s])
                            total += svc_need[i]
                        st_s[s] = total
                        needed[s, d] = total
                        available[s, d] = w
                for s in range(_N):
                    if staffed[s]:
                        nt, eid = _fill(
                            s,
                            occupied,
                            capacity,
                            q_head,
                            q_next,
                            q_len,
                            n_key,
                            n_who,
                            nt,
                            eid,
                            d,
                            staff,
                        )
                day_k += 1
                at = float(first_day + day_k)
                hn = _push(h_time, h_key, h_who, hn, now + (at - now), _NORMAL + eid, who)
                eid += 1
                continue

            if who <= _OPENS:  # a level's places open (unless it stepped down meanwhile)
                k = _OPENS - who
                if pending[k] == key:
                    pending[k] = -1
                    opened[k] = True
                    n_changes = _set_extra(
                        now,
                        opened,
                        add_capacity,
                        max_extra,
                        extra,
                        base_capacity,
                        capacity,
                        ch_f,
                        n_changes,
                    )
                    d = _day(now, first_day, n_days)
                    for s in range(_N):
                        if defined[s]:
                            nt, eid = _fill(
                                s,
                                occupied,
                                capacity,
                                q_head,
                                q_next,
                                q_len,
                                n_key,
                                n_who,
                                nt,
                                eid,
                                d,
                                staff,
                            )
                continue

            if who < 0:  # a capacity process
                s = -2 - who
                k = cap_k[s]
                if k < 0:  # started: wait for the first change (step 0 is the opening value)
                    k = 1
                else:
                    base_capacity[s] = cap_value[s, k]
                    capacity[s] = cap_value[s, k] + extra[s]
                    nt, eid = _fill(
                        s,
                        occupied,
                        capacity,
                        q_head,
                        q_next,
                        q_len,
                        n_key,
                        n_who,
                        nt,
                        eid,
                        _day(now, first_day, n_days),
                        staff,
                    )
                    k += 1
                if k < cap_steps[s]:
                    at = cap_time[s, k]
                    hn = _push(h_time, h_key, h_who, hn, now + (at - now), _NORMAL + eid, who)
                    eid += 1
                cap_k[s] = k
                continue

            i = who
            p = phase[i]
            today = _day(now, first_day, n_days)

            if p == _INIT and delay[i] > 0.0:
                phase[i] = _START
                hn = _push(h_time, h_key, h_who, hn, now + delay[i], _NORMAL + eid, i)
                eid += 1
                continue

            ask = -1  # a setting to request a place in, after the step
            leave = False  # leave the current place now, for `dest`
            dest = -1
            if p in (_INIT, _START):
                s = entry[i] + zero
                if src[i] == _ELECTIVE and not in_place[i]:
                    reason = -1
                    if esc_cancel > 0.0 and u_cancel[i] < esc_cancel:
                        reason = 0
                    elif cancel_when_full[elective[i]] and not (
                        occupied[s] < capacity[s] and q_head[s] < 0
                    ):
                        reason = 1
                    if reason >= 0:
                        cancelled[0, n_cancelled] = now
                        cancelled[1, n_cancelled] = i
                        cancelled[2, n_cancelled] = reason
                        n_cancelled += 1
                        phase[i] = _DONE
                        continue
                overflow = False
                full = not (
                    occupied[s] < capacity[s]
                    and q_head[s] < 0
                    and _staff_ok(s, staffed, st_w, st_s, first)
                )
                if not in_place[i] and overflows[s] and full:
                    s = ACUTE
                    overflow = True
                _record(r_ep, r_f, r_i, nrec, i, s, src[i], now, overflow, in_place[i])
                cur[i] = nrec
                nrec += 1
                where[i] = s
                had_acute[i] = s == ACUTE
                if in_place[i]:
                    r_f[_ARRIVE, cur[i]] = now
                    phase[i] = _STAY_END
                    hn = _push(h_time, h_key, h_who, hn, now + los[i, s], _NORMAL + eid, i)
                    eid += 1
                    continue
                ask = s
                phase[i] = _GRANTED

            elif p in (_GRANTED, _MOVED, _TAKE):
                s = where[i] + zero
                if p == _MOVED and any_window:  # granted outside its window: take it when it opens
                    w = _WINDOW[r_i[_SETTING, nxt[i]]]
                    if w >= 0 and windowed[w]:
                        at = _next_open(window_open, window_close, w, now, locality[i], first_day)
                        if at > now:
                            phase[i] = _TAKE
                            hn = _push(h_time, h_key, h_who, hn, now + (at - now), _NORMAL + eid, i)
                            eid += 1
                            continue
                if p != _GRANTED:  # the next place is granted: leave this one at the same instant
                    nt, eid = _leave(
                        s,
                        i,
                        cur[i],
                        now,
                        r_f,
                        occupied,
                        capacity,
                        q_head,
                        q_next,
                        q_len,
                        n_key,
                        n_who,
                        nt,
                        eid,
                        today,
                        staff,
                    )
                    cur[i] = nxt[i]
                    s = r_i[_SETTING, cur[i]] + zero
                    where[i] = s
                r_f[_ARRIVE, cur[i]] = now
                stay = los[i, s]
                if policy_active and (s in (ACUTE, INTERMEDIATE_CARE)):
                    if s == ACUTE:
                        stay *= acute_los_factor[today, locality[i]]
                    else:
                        stay *= ic_los_factor[today, locality[i]]
                if staffed[s]:
                    svc_day0[i] = int(np.floor(now)) - first_day
                    svc_days[i] = int(np.floor(now + stay)) - int(np.floor(now)) + 1
                phase[i] = _STAY_END
                hn = _push(h_time, h_key, h_who, hn, now + stay, _NORMAL + eid, i)
                eid += 1
                continue

            elif p in (_STAY_END, _ASSESSED):
                s = where[i] + zero
                c = cur[i]
                if p == _STAY_END:
                    r_f[_READY, c] = now
                    if s != ACUTE or not shift_pathways:
                        dest = after[i, s] + zero
                    else:
                        loc = locality[i]
                        pw = _pathway(
                            u_pathway[i],
                            pathway_probs[age_band[i]],
                            p2_to_p1[today, loc],
                            p3_to_p2[today, loc],
                            p3_to_p1[today, loc],
                            home_shift[today, loc],
                        )
                        dest = int(pathway_dest[pw])
                    r_i[_NEXT, c] = dest
                    forward = dest < _N and dest != ACUTE
                    if forward and s == ACUTE and assessed:
                        days = assessment[i, assessed_column[dest]]
                        if policy_active:
                            days *= assessment_factor[today, locality[i]]
                        if escalates:
                            days *= esc_assess
                        if days > 0.0:
                            phase[i] = _ASSESSED
                            hn = _push(h_time, h_key, h_who, hn, now + days, _NORMAL + eid, i)
                            eid += 1
                            continue
                    if s == ACUTE and dest == HOME and windowed[0]:
                        at = _next_open(
                            window_open, window_close, zero, now, locality[i], first_day
                        )
                        if at > now:
                            phase[i] = _HOME
                            hn = _push(h_time, h_key, h_who, hn, now + (at - now), _NORMAL + eid, i)
                            eid += 1
                            continue
                else:
                    dest = r_i[_NEXT, c] + zero
                    forward = True
                if forward:  # keep this place while asking for the next one
                    _record(r_ep, r_f, r_i, nrec, i, dest, src[i], now, no, no)
                    nxt[i] = nrec
                    nrec += 1
                    ask = dest
                    phase[i] = _MOVED
                else:
                    leave = True

            elif p == _HOME:  # the window home has opened
                s = where[i] + zero
                dest = r_i[_NEXT, cur[i]] + zero
                leave = True

            if leave:
                nt, eid = _leave(
                    s,
                    i,
                    cur[i],
                    now,
                    r_f,
                    occupied,
                    capacity,
                    q_head,
                    q_next,
                    q_len,
                    n_key,
                    n_who,
                    nt,
                    eid,
                    today,
                    staff,
                )
                phase[i] = _DONE
                if dest == ACUTE and (s in (RAPID_RESPONSE, VIRTUAL_WARD)):
                    _record(r_ep, r_f, r_i, nrec, i, ACUTE + zero, src[i], now, no, no)
                    cur[i] = nrec
                    nrec += 1
                    where[i] = ACUTE
                    had_acute[i] = True
                    ask = ACUTE
                    phase[i] = _GRANTED
                else:
                    c = child[i]
                    wait = -1.0
                    kind = 0
                    if dest == ACUTE:
                        wait = 0.0
                        kind = _ESCALATION
                    elif dest in HOME_ENDS and had_acute[i] and readmit[i]:
                        wait = readmit_delay[i]
                        kind = _READMISSION
                    if wait >= 0.0 and c >= 0:
                        src[c] = kind
                        delay[c] = wait
                        phase[c] = _INIT
                        u_key[ut] = _URGENT + eid
                        u_who[ut] = c
                        ut += 1
                        eid += 1
                    continue

            if ask >= 0:  # request a place: granted now if free, nobody queues, and staff allow
                if (
                    occupied[ask] < capacity[ask]
                    and q_head[ask] < 0
                    and _staff_ok(ask, staffed, st_w, st_s, first)
                ):
                    occupied[ask] += 1
                    if staffed[ask]:
                        _book(ask, i, today, staff)
                    n_key[nt] = _NORMAL + eid
                    n_who[nt] = i
                    nt += 1
                    if nt == n_key.size:
                        nt = 0
                    eid += 1
                else:
                    q_next[i] = -1
                    q_len[ask] += 1
                    if q_head[ask] < 0:
                        q_head[ask] = i
                    else:
                        q_next[q_tail[ask]] = i
                    q_tail[ask] = i

    return (
        r_ep[:nrec],
        r_f[:, :nrec],
        r_i[:, :nrec],
        events,
        level_on,
        ch_f[:, :n_changes],
        needed,
        available,
        cancelled[:, :n_cancelled],
    )


@numba.njit(cache=True)
def _set_extra(
    now: float,
    opened: npt.NDArray[np.bool_],
    add_capacity: npt.NDArray[np.float64],
    max_extra: npt.NDArray[np.float64],
    extra: npt.NDArray[np.float64],
    base_capacity: npt.NDArray[np.float64],
    capacity: npt.NDArray[np.float64],
    ch_f: npt.NDArray[np.float64],
    n_changes: int,
) -> int:
    """Set the places escalation adds to each setting from the opened levels (at most
    ``max_extra``), log each change, and return the log's length."""
    for s in range(_N):
        total = _added_places(opened, add_capacity, max_extra, s)
        if total != extra[s]:
            extra[s] = total
            capacity[s] = base_capacity[s] + total
            ch_f[0, n_changes] = now
            ch_f[1, n_changes] = s
            ch_f[2, n_changes] = total
            n_changes += 1
    return n_changes


def run_kernel(plan: Plan, episodes: Episodes) -> tuple[StayRecords, int]:
    """Run one replication on pre-sampled `episodes`: the stays and the number of events.

    Records exactly what :func:`placesim.engine.reference.run_reference_engine` records, in
    the same order.
    """
    ep = episodes
    end = plan.end_time
    cap_time, cap_value, cap_steps = plan.capacity_arrays()
    policy = plan.policy
    ops = plan.operations
    starters = int(np.count_nonzero((ep.time < end) & (ep.entry >= 0)))  # NaN: not before
    with interrupts_held():  # a Ctrl-C takes effect when the loop returns (see errors.py)
        out = _loop(
            ep.time,
            ep.source,
            ep.locality,
            ep.age_band,
            ep.entry,
            ep.in_place,
            ep.los,
            ep.after,
            ep.u_pathway,
            ep.assessment,
            ep.readmit,
            ep.readmit_delay,
            ep.child,
            ep.elective,
            ep.u_cancel,
            ep.runs,
            plan.defined,
            plan.overflow,
            cap_time,
            cap_value,
            cap_steps,
            plan.first_time,
            end,
            bool(policy.active),
            bool(policy.pathways_vary),
            plan.assessed,
            int(policy.first_day),
            np.ascontiguousarray(policy.acute_los_factor, dtype=float),
            np.ascontiguousarray(policy.intermediate_care_los_factor, dtype=float),
            np.ascontiguousarray(policy.assessment_factor, dtype=float),
            np.ascontiguousarray(policy.p2_to_p1, dtype=float),
            np.ascontiguousarray(policy.p3_to_p2_moved, dtype=float),
            np.ascontiguousarray(policy.p3_to_p1_moved, dtype=float),
            np.ascontiguousarray(policy.home_shift, dtype=float),
            np.ascontiguousarray(plan.pathway_probs, dtype=float),
            plan.pathway_destination,
            plan.assessed_column,
            int(starters * 1.3) + 64,
            ops.windowed,
            ops.window_open,
            ops.window_close,
            ops.staffed,
            ops.staff_per_day,
            ops.first_need,
            ops.last_need,
            np.array([g.cancel_when_full for g in ops.electives] or [False]),
            ops.check_at,
            ops.trigger_setting,
            ops.trigger_measure,
            ops.trigger_at_least,
            ops.trigger_days,
            ops.down_below,
            ops.down_days,
            ops.add_capacity,
            ops.add_staff,
            ops.open_after,
            ops.assessment_factor,
            ops.cancel_electives,
            ops.max_days,
            ops.level_first_day,
            ops.level_last_day,
            ops.year,
            ops.max_extra,
        )
    r_ep, r_f, r_i, events, level_on, changes, needed, available, cancelled = out
    log = (
        OperationsLog(
            level_on=level_on,
            change_time=changes[0].copy(),
            change_setting=changes[1].astype(np.int8),
            change_extra=changes[2].copy(),
            staff_needed=needed,
            staff_available=available,
            cancelled_time=cancelled[0].copy(),
            cancelled_episode=cancelled[1].astype(np.int64),
            cancelled_reason=cancelled[2].astype(np.int8),
        )
        if ops.active
        else None
    )
    records = StayRecords(
        episode=r_ep,
        setting=r_i[_SETTING],
        source=r_i[_SOURCE],
        requested=r_f[_REQUESTED],
        arrive=r_f[_ARRIVE],
        ready=r_f[_READY],
        leave=r_f[_LEAVE],
        next=r_i[_NEXT],
        overflow=r_i[_OVERFLOW].view(np.bool_),
        at_start=r_i[_AT_START].view(np.bool_),
        operations=log,
    )
    return records, events


def needs_compiling() -> bool:
    """Whether the first run in this environment will compile the loop (no cached machine
    code yet), so the command line can say why it takes a while. Reads numba's cache index;
    False when numba's cache layout is not the one known here."""
    try:
        index = Path(getattr(_loop, "_cache")._cache_file._index_path)  # noqa: B009 - private
    except AttributeError:
        return False
    return not index.is_file()
