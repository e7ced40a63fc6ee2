"""How many intermediate-care beds does the place need this winter, with and without Home First?

Runs the winter 2026/27 scenario as it is and with Home First from its first day, on the
same seed (common random numbers: the same people with the same needs), and prints the
intermediate-care beds needed to keep people in beds plus people waiting for one within
the target occupancy on 95% of days, with the paired difference.

    python examples/winter_ic_beds_home_first.py [--replications N] [--seed S]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy import stats

import placesim
from placesim import HomeFirst

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "winter_2026_27.yaml"


def _beds_needed(result: placesim.SimulationResult) -> np.ndarray:
    m = result.measures
    rows = m[(m["measure"] == "capacity_needed") & (m["setting"] == "intermediate_care")]
    return rows.sort_values("replication")["value"].to_numpy(dtype=float)


def _interval(values: np.ndarray) -> str:
    half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return f"{values.mean():.0f} (95% CI {values.mean() - half:.0f} to {values.mean() + half:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    winter = placesim.load_scenario(SCENARIO)
    home_first = winter.model_copy(
        update={
            "name": f"{winter.name} + Home First",
            "interventions": [
                *winter.interventions,
                HomeFirst(type="home_first", start=winter.calendar.start_date),
            ],
        }
    )
    runs = {
        sc.name: placesim.simulate(sc, replications=args.replications, seed=args.seed)
        for sc in (winter, home_first)
    }
    needed = {name: _beds_needed(res) for name, res in runs.items()}
    beds = winter.settings.intermediate_care
    provided = beds.capacity if beds is not None else "none"
    print(f"Intermediate-care beds, {winter.calendar.start_date} to {winter.calendar.end_date}")
    print(f"({args.replications} replications, seed {args.seed}; beds provided: {provided})")
    for name, values in needed.items():
        print(f"  needed, {name}: {_interval(values)}")
    base, alt = needed.values()
    print(f"  Home First changes the need by {_interval(alt - base)} beds")


if __name__ == "__main__":
    main()
