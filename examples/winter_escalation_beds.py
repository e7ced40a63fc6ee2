"""Are winter 2026/27's acute escalation beds enough, week by week?

Runs scenarios/winter_2026_27.yaml with acute beds unlimited (`placesim.weekly_need`,
the engine of `placesim size --weekly`), so that the census is the demand the hospital must
meet, and prints for each week the beds needed to keep people in beds plus people waiting
for one within the 92% target occupancy on 95% of days, with its 95% CI, against the core
beds. Escalation beds are not counted there: they open only under pressure (the winter
plan's level adds 26 when acute is 94% full, the standing OPEL 3 level 25 more at 98%), so
a week short by less than about 50 beds is one the escalation levels can cover. Then it
names the weeks whose shortfall is clear (the CI lies above the core beds).

    python examples/winter_escalation_beds.py [--replications N] [--seed S]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import placesim
from placesim import weekly_need

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "winter_2026_27.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    winter = placesim.load_scenario(SCENARIO)
    weeks = weekly_need(winter, "acute", replications=args.replications, seed=args.seed)
    print(
        f"{winter.name}: acute beds needed at {winter.measures.target('acute'):.0%} occupancy "
        f"on {winter.measures.share_of_days:.0%} of days "
        f"({args.replications} replications, seed {args.seed})"
    )
    print("  week of       needed (95% CI)        core beds  short by")
    for w in weeks.itertuples(index=False):
        short = w.needed_mean - w.capacity
        print(
            f"  {w.week_start:%Y-%m-%d}  {w.needed_mean:6.1f} ({w.ci_low:6.1f} to "
            f"{w.ci_high:6.1f})  {w.capacity:6.1f}  {short:+8.1f}"
        )
    clear = weeks[weeks["ci_low"] > weeks["capacity"]]
    worst = weeks.loc[(weeks["needed_mean"] - weeks["capacity"]).idxmax()]
    print(
        f"Largest shortfall: {worst['needed_mean'] - worst['capacity']:+.0f} beds in the week "
        f"of {worst['week_start']:%d %B %Y}."
    )
    if clear.empty:
        print("No week is short beyond its 95% CI.")
    else:
        dates = ", ".join(f"{d:%d %b}" for d in clear["week_start"])
        print(f"Weeks short beyond their 95% CI ({len(clear)}): {dates}.")


if __name__ == "__main__":
    main()
