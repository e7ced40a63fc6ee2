"""How many intermediate-care beds does winter 2026/27 need for demand to fit on 95% of days?

Sizes the intermediate-care beds of scenarios/winter_2026_27.yaml (or the scenario given
with --scenario, such as scenarios/rotherham_baseline.yaml for the whole year) with
`placesim.size`, the engine of `placesim size`: the smallest capacity whose
capacity gap (people in beds plus people waiting for one, at 90% target occupancy, on 95%
of days, minus the beds) is at most 0, with 95% confidence. Every capacity tried runs on
the same seed, and the answer is compared with the beds the scenario has.

    python examples/size_intermediate_care.py [--replications N] [--seed S] [--scenario FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import placesim
from placesim import size

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "winter_2026_27.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    args = parser.parse_args()

    scenario = placesim.load_scenario(args.scenario)
    beds = scenario.settings.intermediate_care
    if beds is None:
        raise SystemExit(f"{args.scenario.name} has no intermediate_care setting")
    result = size(
        scenario,
        "intermediate_care",
        "capacity_gap<=0",
        replications=args.replications,
        seed=args.seed,
    )
    print(
        f"{scenario.name}, {scenario.calendar.start_date} to {scenario.calendar.end_date}: "
        f"intermediate-care beds ({args.replications} replications, seed {args.seed})"
    )
    print(f"  beds in the scenario: {beds.capacity}")
    print(f"  {result.describe()}")
    if args.replications < 5:
        print(
            "  (few replications: the one-sided confidence bound is wide, so the answer is "
            "high; use --replications 10 or more)"
        )
    print("  capacities tried (capacity_gap: mean and one-sided upper bound):")
    for row in result.tried.itertuples(index=False):
        verdict = "meets" if row.met else "short"
        print(f"    {row.capacity:4d} beds: {row.mean:7.1f} (upper {row.upper:7.1f}) {verdict}")


if __name__ == "__main__":
    main()
