"""The yardstick of benchmarks/run.py: a plain compiled event loop, the near-limit reference.

Issue 12 asks placesim to run within 3 times a plain numba event loop of the simplest network
that has its shape, at the same number of patients, timed in the same process. This module is
that loop, written with nothing but numba and numpy (no placesim in the loop):

- Poisson arrivals into acute (``acute_beds`` beds, FIFO queue), exponential acute stay;
- at the end of the acute stay one pathway draw: with probability ``p_ic`` the person needs
  an intermediate-care bed (``ic_beds`` beds, FIFO queue, exponential stay) and keeps the
  acute bed until the intermediate-care bed is granted (blocking after service); otherwise
  they leave;
- its own random numbers drawn inside the loop (numba's generator, seeded);
- a binary heap of pending events ordered by (time, sequence number), one linear FIFO array
  per setting, and one record per stay (setting, requested, arrived, ready, left, and the
  acute stay an intermediate-care stay blocks) in a preallocated array, as placesim keeps.
  Heap entries and stay records are structs (numpy structured arrays), so a heap node or a
  stay is one cache line, not one per field: at England size (12 million patients) that
  runs the loop in about 9 s instead of 15.

The run goes from time 0 to ``days``; the arrival rate is ``patients / days``, so the same
number of patients as placesim's episodes arrives (on average: the count is Poisson) over
the same days. It starts, as placesim does, with a census: each setting holds its offered
load (rate x mean stay, at most its beds) with exponential remaining stays, so it is near
its steady state from the start. Capacities, unless given, are sized by Little's law so
each setting is about 90% occupied (``capacities``).

    python benchmarks/yardstick.py --check             # against M/M/inf and Erlang C
    python benchmarks/yardstick.py --patients 557168   # one timed run at region size
"""

# ruff: noqa: NPY002
# The loop draws with numba's own np.random (legacy API, seeded by np.random.seed inside the
# compiled function): inlined, the cheapest draws numba offers, and what a plain numba model
# would use.

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numba
import numpy as np

__all__ = ["capacities", "erlang_c_wait", "run_yardstick"]

ACUTE_MEAN = 9.0
"""Mean acute stay, days (the default scenario's acute mean for people over 75)."""
IC_MEAN = 38.0
"""Mean intermediate-care stay, days (the default scenario's)."""
P_IC = 0.1
"""Share of acute stays that need an intermediate-care bed."""
OCCUPANCY = 0.9
"""Occupancy the capacities are sized for."""

_ARRIVE, _ACUTE_END, _IC_END = 0, 1, 2
_EVENT = np.dtype([("t", np.float64), ("seq", np.int64), ("what", np.int64)])
"""A pending event: 24 bytes, so a node's two children share one or two cache lines."""
_STAY = np.dtype(
    [
        ("req", np.float64),
        ("arr", np.float64),
        ("rdy", np.float64),
        ("lft", np.float64),
        ("blocks", np.int64),
        ("setting", np.int64),
    ]
)
"""A stay record: its fields side by side, so updating a stay touches one cache line."""
_ACUTE, _IC = 0, 1


@numba.njit(cache=True)
def _push(h: np.ndarray, n: int, t: float, seq: int, what: int) -> int:
    """Add an event ordered by (time, seq); return the new heap size."""
    k = n
    while k > 0:
        parent = (k - 1) >> 1
        pt = h[parent].t
        if pt < t or (pt == t and h[parent].seq < seq):
            break
        h[k] = h[parent]
        k = parent
    h[k].t = t
    h[k].seq = seq
    h[k].what = what
    return n + 1


@numba.njit(cache=True)
def _pop(h: np.ndarray, n: int) -> int:
    """Remove the first event (the caller has read it); return the new heap size."""
    n -= 1
    t, seq, what = h[n].t, h[n].seq, h[n].what
    k = 0
    while True:
        child = 2 * k + 1
        if child >= n:
            break
        right = child + 1
        if right < n and (
            h[right].t < h[child].t or (h[right].t == h[child].t and h[right].seq < h[child].seq)
        ):
            child = right
        if t < h[child].t or (t == h[child].t and seq < h[child].seq):
            break
        h[k] = h[child]
        k = child
    h[k].t = t
    h[k].seq = seq
    h[k].what = what
    return n


@numba.njit(cache=True)
def _grown(a: np.ndarray) -> np.ndarray:
    b = np.empty(2 * a.size, dtype=a.dtype)
    b[: a.size] = a
    return b


@numba.njit(cache=True)
def _loop(
    rate: float,
    days: float,
    acute_beds: int,
    ic_beds: int,
    p_ic: float,
    acute_mean: float,
    ic_mean: float,
    seed: int,
    acute_start: int,
    ic_start: int,
    record_guess: int,
    heap_guess: int,
) -> tuple[np.ndarray, int, int]:
    """The event loop. Returns the stay records, the events processed and the arrivals."""
    np.random.seed(seed)
    # Stay records: setting, requested, arrived (bed granted), ready (clinical stay over),
    # left; nan where it had not happened by `days`. `blocks` is, for an intermediate-care
    # stay, the acute stay it holds a bed in until granted.
    cap = max(record_guess, 16)
    r = np.empty(cap, dtype=_STAY)
    # Linear FIFO queues: stay numbers, appended at the tail, taken at the head.
    q_acute = np.empty(cap, dtype=np.int64)
    q_ic = np.empty(cap, dtype=np.int64)
    qa_head = qa_tail = qi_head = qi_tail = 0
    # Pending events: time, sequence number (ties in time keep the order of scheduling),
    # and what: kind + 4 * stay.
    h = np.empty(max(heap_guess, 16), dtype=_EVENT)
    hn = 0
    seq = 0
    nrec = 0
    events = 0
    arrivals = 0
    acute_free = acute_beds
    ic_free = ic_beds
    gap = 1.0 / rate

    # The starting census: people already in a bed at time 0, with exponential (memoryless)
    # remaining stays; recorded as stays requested and granted at 0.
    for k in range(acute_start + ic_start):
        b = nrec
        nrec += 1
        r[b].setting = _ACUTE if k < acute_start else _IC
        r[b].req = 0.0
        r[b].arr = 0.0
        r[b].rdy = np.nan
        r[b].lft = np.nan
        r[b].blocks = -1
        if k < acute_start:
            acute_free -= 1
            t = np.random.exponential(acute_mean)
            hn = _push(h, hn, t, seq, _ACUTE_END + 4 * b)
        else:
            ic_free -= 1
            t = np.random.exponential(ic_mean)
            hn = _push(h, hn, t, seq, _IC_END + 4 * b)
        seq += 1
    t0 = np.random.exponential(gap)
    if t0 < days:
        hn = _push(h, hn, t0, seq, _ARRIVE)
        seq += 1
    while hn > 0:
        now = h[0].t
        if now >= days:
            break
        what = h[0].what
        hn = _pop(h, hn)
        events += 1
        if hn + 2 > h.size:
            h = _grown(h)
        if nrec + 1 >= r.size:
            r = _grown(r)
            q_acute = _grown(q_acute)
            q_ic = _grown(q_ic)
        kind = what & 3
        s = what >> 2

        if kind == _ARRIVE:
            arrivals += 1
            nxt = now + np.random.exponential(gap)
            if nxt < days:
                hn = _push(h, hn, nxt, seq, _ARRIVE)
                seq += 1
            a = nrec
            nrec += 1
            r[a].setting = _ACUTE
            r[a].req = now
            r[a].arr = np.nan
            r[a].rdy = np.nan
            r[a].lft = np.nan
            r[a].blocks = -1
            if acute_free > 0:
                acute_free -= 1
                r[a].arr = now
                t = now + np.random.exponential(acute_mean)
                hn = _push(h, hn, t, seq, _ACUTE_END + 4 * a)
                seq += 1
            else:
                q_acute[qa_tail] = a
                qa_tail += 1
            continue

        release_acute = -1  # the acute stay whose bed this event frees
        if kind == _ACUTE_END:
            r[s].rdy = now
            if np.random.random() < p_ic:
                b = nrec
                nrec += 1
                r[b].setting = _IC
                r[b].req = now
                r[b].arr = np.nan
                r[b].rdy = np.nan
                r[b].lft = np.nan
                r[b].blocks = s
                if ic_free > 0:
                    ic_free -= 1
                    r[b].arr = now
                    t = now + np.random.exponential(ic_mean)
                    hn = _push(h, hn, t, seq, _IC_END + 4 * b)
                    seq += 1
                    release_acute = s
                else:
                    q_ic[qi_tail] = b
                    qi_tail += 1  # keeps the acute bed: blocked
            else:
                release_acute = s
        else:  # _IC_END
            r[s].rdy = now
            r[s].lft = now
            if qi_head < qi_tail:
                b = q_ic[qi_head]
                qi_head += 1
                r[b].arr = now
                t = now + np.random.exponential(ic_mean)
                hn = _push(h, hn, t, seq, _IC_END + 4 * b)
                seq += 1
                release_acute = r[b].blocks
            else:
                ic_free += 1

        if release_acute >= 0:
            r[release_acute].lft = now
            if qa_head < qa_tail:
                a = q_acute[qa_head]
                qa_head += 1
                r[a].arr = now
                t = now + np.random.exponential(acute_mean)
                hn = _push(h, hn, t, seq, _ACUTE_END + 4 * a)
                seq += 1
            else:
                acute_free += 1

    return r[:nrec], events, arrivals


def erlang_c_wait(arrival_rate: float, mean_stay: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C), from the Erlang B recursion."""
    a = arrival_rate * mean_stay
    if a >= servers:
        return math.inf
    b = 1.0
    for k in range(1, servers + 1):
        b = a * b / (k + a * b)
    c = servers * b / (servers - a * (1.0 - b))
    return c * mean_stay / (servers - a)


def capacities(
    rate: float,
    p_ic: float = P_IC,
    acute_mean: float = ACUTE_MEAN,
    ic_mean: float = IC_MEAN,
    occupancy: float = OCCUPANCY,
) -> tuple[int, int]:
    """Acute and intermediate-care beds that put each at about `occupancy` (Little's law).

    Intermediate care is sized for its offered load ``rate * p_ic * ic_mean``; acute for
    ``rate * (acute_mean + p_ic * W)``, where W is the mean wait for an intermediate-care
    bed (Erlang C, taking its arrivals as Poisson), which each of them spends in an acute
    bed, blocked.
    """
    ic_load = rate * p_ic * ic_mean
    ic_beds = max(1, math.ceil(ic_load / occupancy))
    blocked = p_ic * erlang_c_wait(rate * p_ic, ic_mean, ic_beds) if p_ic > 0 else 0.0
    acute_beds = max(1, math.ceil(rate * (acute_mean + blocked) / occupancy))
    return acute_beds, ic_beds


def _simulate(
    patients: int,
    days: float,
    acute_beds: int,
    ic_beds: int,
    p_ic: float,
    acute_mean: float,
    ic_mean: float,
    seed: int,
    start_full: bool = True,
) -> tuple[tuple[Any, ...], float]:
    rate = patients / days
    acute_start = min(round(rate * acute_mean), acute_beds) if start_full else 0
    ic_start = min(round(rate * p_ic * ic_mean), ic_beds) if start_full else 0
    load = rate * (acute_mean + p_ic * ic_mean)  # people in the system, about
    record_guess = int(patients * (1.0 + p_ic) + 8.0 * math.sqrt(patients + 1) + 64)
    record_guess += acute_start + ic_start
    heap_guess = int(1.5 * load + acute_start + ic_start + 64)
    start = time.perf_counter()
    out = _loop(
        rate,
        float(days),
        int(acute_beds),
        int(ic_beds),
        float(p_ic),
        float(acute_mean),
        float(ic_mean),
        int(seed),
        acute_start,
        ic_start,
        record_guess,
        heap_guess,
    )
    seconds = time.perf_counter() - start
    r, events, arrivals = out
    fields = (r["setting"], r["req"], r["arr"], r["rdy"], r["lft"], r["blocks"])
    return (*fields, r.size, events, arrivals), seconds


_compiled = False


def compile_yardstick() -> float:
    """Compile (or load from numba's cache) the loop on a tiny case; return the seconds."""
    global _compiled
    start = time.perf_counter()
    _simulate(50, 10.0, 5, 2, 0.5, 1.0, 2.0, 0)
    _compiled = True
    return time.perf_counter() - start


def _occupancy(arrive: np.ndarray, left: np.ndarray, days: float) -> float:
    """Mean beds occupied over [0, days] (a stay still there at `days` counts to `days`)."""
    on = ~np.isnan(arrive)
    return float(np.sum(np.where(np.isnan(left[on]), days, left[on]) - arrive[on]) / days)


def run_yardstick(
    patients: int,
    days: float,
    acute_beds: int | None = None,
    ic_beds: int | None = None,
    p_ic: float = P_IC,
    acute_mean: float = ACUTE_MEAN,
    ic_mean: float = IC_MEAN,
    seed: int = 1,
) -> dict[str, Any]:
    """Run the yardstick once, timed after compilation; return its figures.

    `patients` is the expected number of arrivals over `days` (the arrival rate is their
    ratio). Capacities left as None are sized by :func:`capacities` for 90% occupancy.
    ``seconds`` is the loop alone (its allocations, draws, events and records), not the
    compilation nor the occupancies computed afterwards from the records.
    """
    if not _compiled:
        compile_yardstick()
    rate = patients / days
    auto = capacities(rate, p_ic, acute_mean, ic_mean)
    c1 = auto[0] if acute_beds is None else acute_beds
    c2 = auto[1] if ic_beds is None else ic_beds
    out, seconds = _simulate(patients, days, c1, c2, p_ic, acute_mean, ic_mean, seed)
    setting, _req, arrive, _ready, left, _blocks, stays, events, arrivals = out
    acute = setting == _ACUTE
    return {
        "seconds": seconds,
        "events": int(events),
        "stays": int(stays),
        "arrivals": int(arrivals),
        "ns_per_event": seconds / max(events, 1) * 1e9,
        "events_per_patient": events / max(arrivals, 1),
        "patients": patients,
        "days": days,
        "arrival_rate": rate,
        "acute_beds": c1,
        "ic_beds": c2,
        "p_ic": p_ic,
        "acute_mean": acute_mean,
        "ic_mean": ic_mean,
        "acute_occupancy": _occupancy(arrive[acute], left[acute], days) / c1,
        "ic_occupancy": _occupancy(arrive[~acute], left[~acute], days) / c2,
    }


# The self-check: the loop against queueing theory, computed independently from the records.


def _time_average_in(arrive: np.ndarray, left: np.ndarray, lo: float, hi: float) -> float:
    """Time-averaged number of stays present over [lo, hi], from their arrive/leave times."""
    on = ~np.isnan(arrive)
    a = np.clip(arrive[on], lo, hi)
    b = np.clip(np.where(np.isnan(left[on]), hi, left[on]), lo, hi)
    return float(np.sum(b - a) / (hi - lo))


def _ci(values: list[float], level: float = 0.99) -> tuple[float, float]:
    """Mean and half-width of the `level` confidence interval (Student t) of replications."""
    from scipy.stats import t

    x = np.asarray(values)
    q = float(t.ppf(0.5 + level / 2, x.size - 1))
    return float(x.mean()), float(q * x.std(ddof=1) / math.sqrt(x.size))


def check(replications: int = 20, days: float = 10000.0, warmup: float = 200.0) -> bool:
    """Compare the loop with M/M/inf and Erlang C; print the figures; True when all agree.

    Each expected figure is computed from its formula (``erlang_c_wait`` from the Erlang B
    recursion) and each simulated one from the stay records with numpy, outside the loop.
    Agreement: the expected figure lies within the 99% confidence interval of the mean over
    independent replications (seven comparisons, so a chance miss is rare but possible).
    """
    ok = True

    def report(name: str, expected: float, values: list[float]) -> None:
        nonlocal ok
        mean, half = _ci(values)
        agree = abs(mean - expected) <= half
        ok &= agree
        print(
            f"{name:<58} expected {expected:9.4f}  simulated {mean:9.4f} +- {half:.4f}"
            f"  {'ok' if agree else 'OUTSIDE THE 99% CI'}"
        )

    def runs(
        rate: float, c1: int, c2: int, p: float, m1: float, m2: float
    ) -> list[tuple[Any, ...]]:
        return [
            _simulate(int(rate * days), days, c1, c2, p, m1, m2, 1000 + r)[0]
            for r in range(replications)
        ]

    print(
        f"{replications} replications of {days:g} days each, the first {warmup:g} left out; "
        "simulated: mean +- 99% CI half-width over the replications"
    )
    # 1. No blocking, acute beds unlimited: M/M/inf, mean number in acute = rate x mean stay.
    rate, m1 = 20.0, 4.0
    out = runs(rate, 10**9, 1, 0.0, m1, 1.0)
    report(
        "M/M/inf: mean number in acute (rate x mean stay)",
        rate * m1,
        [_time_average_in(o[2], o[4], warmup, days) for o in out],
    )
    # 2. Finite acute, no intermediate care: M/M/c, mean wait = Erlang C.
    rate, m1, c1 = 8.0, 1.0, 10
    out = runs(rate, c1, 1, 0.0, m1, 1.0)
    waits = []
    for o in out:
        late = (o[1] >= warmup) & ~np.isnan(o[2])
        waits.append(float(np.mean(o[2][late] - o[1][late])))
    report(
        f"M/M/{c1} at load {rate * m1 / c1:.2f}: mean wait for acute (Erlang C)",
        erlang_c_wait(rate, m1, c1),
        waits,
    )
    report(
        f"M/M/{c1}: mean number in acute (rate x mean stay)",
        rate * m1,
        [_time_average_in(o[2], o[4], warmup, days) for o in out],
    )
    # 3. Blocking: acute unlimited, so the acute departures are Poisson (an M/M/inf queue's
    # output) and those needing intermediate care (a thinning) are too: intermediate care is
    # M/M/c2, its wait is Erlang C, and each of those people waits in an acute bed.
    rate, m1, m2, p, c2 = 10.0, 3.0, 5.0, 0.3, 17
    out = runs(rate, 10**9, c2, p, m1, m2)
    ic_waits, blocked, acute_n, ic_n = [], [], [], []
    for o in out:
        setting, req, arr, rdy, lft, blocks = o[:6]
        ic = (setting == _IC) & (req >= warmup) & ~np.isnan(arr)
        ic_waits.append(float(np.mean(arr[ic] - req[ic])))
        src = blocks[ic]
        blocked.append(float(np.mean(lft[src] - rdy[src])))
        ac = setting == _ACUTE
        acute_n.append(_time_average_in(arr[ac], lft[ac], warmup, days))
        ic_n.append(_time_average_in(arr[~ac], lft[~ac], warmup, days))
    wq = erlang_c_wait(rate * p, m2, c2)
    report(
        f"blocking, M/M/{c2} at load {rate * p * m2 / c2:.2f}: mean wait for IC (Erlang C)",
        wq,
        ic_waits,
    )
    report("blocking: mean time blocked in acute (the same wait)", wq, blocked)
    report(
        "blocking: mean number in acute (rate x (stay + p x wait))", rate * (m1 + p * wq), acute_n
    )
    report("blocking: mean number in IC (rate x p x IC stay)", rate * p * m2, ic_n)
    print("all agree" if ok else "SOME FIGURES DISAGREE")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with M/M/inf, Erlang C")
    parser.add_argument("--patients", type=int, default=56_730)
    parser.add_argument("--days", type=float, default=455.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.check:
        return 0 if check() else 1
    print(f"compile: {compile_yardstick():.2f} s")
    for key, value in run_yardstick(args.patients, args.days, seed=args.seed).items():
        print(f"{key:>20}: {value:,.4g}" if isinstance(value, float) else f"{key:>20}: {value:,}")
    return 0


if __name__ == "__main__":
    # Run as the module `yardstick`, not `__main__`: numba's cache then holds one compiled
    # copy under that name, whether the loop is first compiled here or from run.py.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from yardstick import main as _main

    sys.exit(_main())
