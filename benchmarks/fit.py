"""Benchmark `placesim fit` on an extract of about one million stays (issue 14: under 30 s
on one core).

    python benchmarks/fit.py [--people N] [--keep DIR]

Writes a synthetic extract of the default scenario scaled to N people (default 7 million:
about a million stays in the year) as CSV, untimed, then times reading and checking it
(`read_extract`) and fitting the year (`fit`) in this process, and prints the seconds of
each with the number of stays. Reported beside the time of one replication of the same
scenario in the same process, as a ratio (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import placesim
from placesim.fitting import fit, read_extract, write_extract

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for run.py when run from anywhere

from run import scaled_scenario


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=7_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="write the extract here")
    args = parser.parse_args(argv)
    scenario = scaled_scenario(args.people)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "extract"
        t = time.perf_counter()
        placesim.run_replication(scenario, 0, 1, keep_stays=False)
        replication_s = time.perf_counter() - t
        t = time.perf_counter()
        write_extract(scenario, folder)
        write_s = time.perf_counter() - t
        t = time.perf_counter()
        extract = read_extract(folder)
        read_s = time.perf_counter() - t
        start = scenario.calendar.start_date
        end = scenario.calendar.end_date + dt.timedelta(days=1)
        t = time.perf_counter()
        fitted = fit(extract, start, end, suppress=0)
        fit_s = time.perf_counter() - t
    stays = len(extract.stays)
    print(f"people {args.people:,}; stays {stays:,}; extract written in {write_s:.1f} s (untimed)")
    print(f"read and checked {read_s:.1f} s, fitted {fit_s:.1f} s, total {read_s + fit_s:.1f} s")
    ratio = (read_s + fit_s) / replication_s
    print(f"one replication of the same scenario: {replication_s:.1f} s; ratio {ratio:.2f}")
    print(f"{len(fitted.estimates)} figures fitted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
