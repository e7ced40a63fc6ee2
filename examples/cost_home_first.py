"""What does Home First change in the Joint Outcomes Framework, and what does it cost or save?

Runs the baseline year and the Home First variant (scenarios/home_first.yaml) on the same
seed (common random numbers: the same people with the same needs), prices both with the
unit costs of reference P21 (docs/outcomes.md), and prints each outcome's paired
difference with its 95% CI, then the net change over the priced rows that do not overlap
(delayed acute bed days, intermediate-care bed days, reablement episodes and care-home bed
days). Ordinary acute bed days have no P21 unit cost, so they are counted but not priced.

    python examples/cost_home_first.py [--replications N] [--seed S]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import placesim
from placesim import OUTCOMES, replication_outcomes, t_interval

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

# Reference P21 (docs/outcomes.md, "Unit costs a scenario can use"), GBP.
P21_COSTS = {
    "acute_delayed_bed_day": 346,  # a delayed acute bed day [R]
    "intermediate_care_bed_day": 150,  # BNSSG, a day on pathway 2
    "reablement_episode": 1900,  # a reablement episode, 2022/23 [R]
    "care_home_bed_day": 164,  # BNSSG, a day on pathway 3
}


def _outcomes(scenario: placesim.Scenario, replications: int, seed: int) -> pd.DataFrame:
    priced = placesim.override(scenario, {"costs": P21_COSTS})
    result = placesim.simulate(priced, replications=replications, seed=seed)
    table = replication_outcomes(result.plan, result.stays)
    return table.set_index(["outcome", "replication"]).sort_index()


def _show(values: np.ndarray, money: bool = False) -> str:
    mean, low, high, _ = t_interval(values)
    if money:
        return f"{mean / 1e3:+,.0f}k GBP (95% CI {low / 1e3:+,.0f}k to {high / 1e3:+,.0f}k)"
    return f"{mean:+,.1f} (95% CI {low:+,.1f} to {high:+,.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    base = placesim.load_scenario(SCENARIOS / "rotherham_baseline.yaml")
    home_first = placesim.load_scenario(SCENARIOS / "home_first.yaml")
    before = _outcomes(base, args.replications, args.seed)
    after = _outcomes(home_first, args.replications, args.seed)
    diff = after - before  # paired: replication r of each saw the same people

    print(
        f"Home First against the baseline, {base.calendar.start_date} for "
        f"{base.calendar.horizon_days} days ({args.replications} replications, seed {args.seed})"
    )
    print("Paired difference, Home First minus baseline:")
    for outcome in (o.name for o in OUTCOMES):
        row = diff.loc[outcome]
        text = f"  {outcome:44s} {_show(row['value'].to_numpy(dtype=float))}"
        cost = row["cost_gbp"].to_numpy(dtype=float)
        if np.isfinite(cost).all():
            text += f"; cost {_show(cost, money=True)}"
        print(text)

    # The four priced rows price different days and packages, so their costs add up.
    net = diff["cost_gbp"].groupby(level="replication").sum(min_count=1)
    print(f"Net change in the priced rows: {_show(net.to_numpy(dtype=float), money=True)}")
    print("(negative is a saving; P21's BNSSG day costs stand in for Rotherham's)")


if __name__ == "__main__":
    main()
