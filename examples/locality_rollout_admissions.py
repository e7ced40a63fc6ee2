"""How many emergency admissions does the locality roll-out avoid, in each locality and year?

Runs the two-year baseline (scenarios/rotherham_baseline_2y.yaml) and the Place Plan
roll-out of integrated locality teams (scenarios/locality_rollout.yaml) on the same seed
(common random numbers: the same people with the same needs), and prints, for each
locality and for the whole place, the paired difference in acute admissions in each year
with its 95% CI. Admissions are acute stays begun in the year by people living there,
however they came in (the `admissions` measure of `acute`, split by year).

    python examples/locality_rollout_admissions.py [--replications N] [--seed S]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import placesim
from placesim import t_interval

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
YEAR = 365


def _admissions(result: placesim.SimulationResult) -> pd.DataFrame:
    """Acute admissions per replication, locality and year of the run (1 or 2)."""
    s = result.stays
    acute = s[(s["setting"] == "acute") & ~s["at_start"] & (s["arrive"] >= 0)]
    horizon = result.scenario.calendar.horizon_days
    acute = acute[acute["arrive"] < horizon]
    year = (acute["arrive"] // YEAR).astype(int) + 1
    counts = acute.groupby(
        [acute["replication"], acute["locality"].astype(str), year.rename("year")]
    ).size()
    return counts.unstack("year", fill_value=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    base = placesim.load_scenario(SCENARIOS / "rotherham_baseline_2y.yaml")
    rollout = placesim.load_scenario(SCENARIOS / "locality_rollout.yaml")
    before, after = (
        _admissions(placesim.simulate(sc, replications=args.replications, seed=args.seed))
        for sc in (base, rollout)
    )
    # Paired: replication r of each run saw the same people. A locality with no admissions
    # in a replication of one run and some in the other counts 0 there.
    diff = after.sub(before, fill_value=0)
    place = diff.groupby(level="replication").sum()

    print(
        f"{rollout.name} against {base.name}, from {base.calendar.start_date} "
        f"({args.replications} replications, seed {args.seed})"
    )
    print("Change in acute admissions (negative: avoided), mean and 95% CI:")
    years = [int(y) for y in diff.columns]
    print(f"  {'locality':22s}" + "".join(f"{'year ' + str(y):>30s}" for y in years))

    def line(label: str, table: pd.DataFrame) -> str:
        cells = []
        for y in years:
            mean, low, high, _ = t_interval(table[y].to_numpy(dtype=float))
            cells.append(f"{mean:+8.1f} ({low:+7.1f} to {high:+7.1f})")
        return f"  {label:22s}" + "".join(f"{c:>30s}" for c in cells)

    localities = [loc.name for loc in rollout.population.localities] if rollout.population else []
    for name in localities:
        if name in diff.index.get_level_values("locality"):
            print(line(name, diff.xs(name, level="locality")))
    print(line("whole place", place))
    base_total = before.groupby(level="replication").sum().sum(axis=1)
    mean, low, high, _ = t_interval(100 * place.sum(axis=1) / base_total)
    print(
        f"Over both years: {mean:+.2f}% of the baseline's admissions "
        f"(95% CI {low:+.2f}% to {high:+.2f}%)"
    )
    if not np.isfinite(low):
        print("(one replication: no interval; use --replications 2 or more)")


if __name__ == "__main__":
    main()
