"""Time replications of the default scenario, split into demand, engine and measures.

    python benchmarks/place.py [--replications N] [--seed S] [--json FILE]

Prints wall seconds per replication and episodes per second; the full benchmark suite
(region and England sizes, the SimPy baseline ratio) is issue 7's.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import placesim
from placesim.demand import generate_episodes

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "rotherham_baseline.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    scenario = placesim.load_scenario(SCENARIO)
    episodes = sum(generate_episodes(scenario, r, args.seed).size for r in range(args.replications))
    start = time.perf_counter()
    result = placesim.simulate(scenario, replications=args.replications, seed=args.seed)
    wall = time.perf_counter() - start
    per_rep = wall / args.replications
    figures = {
        "scenario": scenario.name,
        "replications": args.replications,
        "episodes_per_replication": episodes / args.replications,
        "stays_per_replication": len(result.stays) / args.replications,
        "wall_s_per_replication": per_rep,
        **{k: v / args.replications for k, v in result.timings.items()},
        "episodes_per_s": episodes / wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    for key, value in figures.items():
        print(f"{key:<26}{value:>14,.3f}" if isinstance(value, float) else f"{key:<26}{value:>14}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
