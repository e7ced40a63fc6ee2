"""How many acute beds does the place need to stay within 92% occupancy on 95% of days?

Runs the default scenario and compares the acute capacity it has with the capacity the
measure `capacity_needed` says would keep people in beds plus people waiting for one within
the target occupancy on 95% of days (DESIGN.md's capacity gap).

    python examples/acute_beds_needed.py [--replications N] [--seed S]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import placesim

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "rotherham_baseline.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    scenario = placesim.load_scenario(SCENARIO)
    result = placesim.simulate(scenario, replications=args.replications, seed=args.seed)
    summary = result.summary().set_index(["measure", "setting"])

    def row(measure: str) -> str:
        r = summary.loc[(measure, "acute")]
        return f"{r['mean']:.0f} (95% CI {r['ci_low']:.0f} to {r['ci_high']:.0f})"

    target = scenario.measures.target("acute")
    print(f"{scenario.name}, {args.replications} replications, seed {args.seed}")
    print(f"acute beds provided:        {row('capacity')}")
    print(f"acute beds needed at {target:.0%}:  {row('capacity_needed')}")
    print(f"gap (positive = shortfall): {row('capacity_gap')}")


if __name__ == "__main__":
    main()
