"""The result of a region run: each place's measures side by side, and the region's.

A region's places are independent runs (each on its own seed), so replication r of the
region is replication r of every place: region totals of additive measures are the sums
over places within a replication, summarised over replications like any measure. What a
regional team also asks is how the places spread: how many are over their target
occupancy, and on how many days (:func:`place_spread`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from placesim.errors import PlacesimError
from placesim.measures.tables import summarise

__all__ = [
    "ADDITIVE_MEASURES",
    "RegionResult",
    "days_over_target",
    "place_spread",
    "region_totals",
]

ADDITIVE_MEASURES: tuple[str, ...] = (
    "admissions",
    "admissions_from_care_homes",
    "avoided_admissions",
    "bed_days",
    "delayed_bed_days",
    "occupancy_mean",
    "waiting_mean",
    "capacity",
    "extra_place_days",
    "electives_cancelled",
    "electives_admitted",
    "electives_cancelled_no_bed",
    "escalation_cost",
)
"""Measures whose region total is the sum of the places' (counts, bed days, beds,
people, costs): lengths of stay, rates and percentiles are not summed."""


def days_over_target(daily: pd.DataFrame, targets: dict[str, float]) -> pd.DataFrame:
    """Per replication and setting with a capacity, the days whose midnight census is above
    the setting's target occupancy of capacity (``targets``: setting -> share): rows
    replication, measure ``days_over_target``, setting, value."""
    rows = []
    finite = daily[np.isfinite(daily["capacity"].to_numpy(dtype=float))]
    for (_, setting), g in finite.groupby(["replication", "setting"], observed=True, sort=True):
        target = targets.get(str(setting))
        if target is None:
            continue
        over = g["census"].to_numpy(dtype=float) > target * g["capacity"].to_numpy(dtype=float)
        rep = int(g["replication"].to_numpy()[0])
        rows.append((rep, "days_over_target", str(setting), float(over.sum())))
    return pd.DataFrame(rows, columns=["replication", "measure", "setting", "value"])


def region_totals(measures: pd.DataFrame) -> pd.DataFrame:
    """The region's additive measures in each replication: the sum over places
    (replication, measure, setting, value)."""
    add = measures[measures["measure"].isin(ADDITIVE_MEASURES)]
    keys = ["replication", "measure", "setting"]
    return add.groupby(keys, observed=True, sort=False)["value"].sum().reset_index()


def place_spread(measures: pd.DataFrame, targets: dict[str, float]) -> pd.DataFrame:
    """How the places spread in each replication, per setting with a capacity: how many
    places are over their target occupancy on average (``places_over_target``), how many
    are over it on at least one day (``places_with_days_over_target``), the place-days
    over it (``place_days_over_target``), and the occupancy rate and capacity gap of the
    median and the worst-but-one-in-ten place (``occupancy_rate_place_median``,
    ``occupancy_rate_place_p90``, ``capacity_gap_place_median``,
    ``capacity_gap_place_p90``). Rows replication, measure, setting, value."""
    rows = []
    for (_, setting), g in measures.groupby(["replication", "setting"], observed=True):
        target = targets.get(str(setting))
        if target is None:
            continue
        rep = int(g["replication"].to_numpy()[0])
        rate = g[g["measure"] == "occupancy_rate"]["value"].to_numpy(dtype=float)
        gap = g[g["measure"] == "capacity_gap"]["value"].to_numpy(dtype=float)
        over = g[g["measure"] == "days_over_target"]["value"].to_numpy(dtype=float)
        if rate.size == 0:
            continue
        values = {
            "places_over_target": float((rate > target).sum()),
            "places_with_days_over_target": float((over > 0).sum()),
            "place_days_over_target": float(over.sum()),
            "occupancy_rate_place_median": float(np.median(rate)),
            "occupancy_rate_place_p90": float(np.quantile(rate, 0.9)),
            "capacity_gap_place_median": float(np.median(gap)) if gap.size else np.nan,
            "capacity_gap_place_p90": float(np.quantile(gap, 0.9)) if gap.size else np.nan,
        }
        rows += [(rep, m, str(setting), v) for m, v in values.items()]
    return pd.DataFrame(rows, columns=["replication", "measure", "setting", "value"])


@dataclass(frozen=True)
class RegionResult:
    """A region run: every place's measures, with a ``place`` column.

    Attributes
    ----------
    name, seed, replications
        The region, its seed and the replications of every place.
    seeds
        Each place's root seed (:func:`placesim.scenario.place_seed`): run the place alone
        with it to get the same numbers.
    measures
        Every measure of every place and replication: place, replication, measure,
        setting, value (``days_over_target`` included).
    targets
        Each place's target occupancy by setting (place -> setting -> share).
    bands
        Each place's midnight census over replications, day by day (place, setting, day,
        date, p05, median, p95, capacity): what the report's small multiples draw.
    out
        The folder the places' tables were written to (None: not written).
    timings
        Wall time of the run and the places' summed timings, in seconds, and the episodes
        and events of the replications run now (not of places read back on resuming).
    resumed
        The places read back from `out` (written by an earlier run of the same region,
        scenario, seed and replications) rather than run.
    """

    name: str
    seed: int
    replications: int
    seeds: dict[str, int]
    measures: pd.DataFrame
    targets: dict[str, dict[str, float]]
    bands: pd.DataFrame
    out: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    resumed: tuple[str, ...] = ()

    @property
    def places(self) -> list[str]:
        """The places, in the region file's order."""
        return list(self.seeds)

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Each place's summary: measure, setting, place, unit, mean, ci_low, ci_high,
        median, p05, p95, replications."""
        return summarise(self.measures, confidence, by="place")

    def region_summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """The region's totals (sums over places of :data:`ADDITIVE_MEASURES`) and the
        spread of its places (:func:`place_spread`), summarised over replications."""
        totals = region_totals(self.measures)
        spread = place_spread(self.measures, self._shared_targets())
        table = summarise(pd.concat([totals, spread], ignore_index=True), confidence)
        # A count of places lies between none and all of them, whatever a t interval says.
        places = table["unit"] == "places"
        for column in ("ci_low", "ci_high"):
            table.loc[places, column] = table.loc[places, column].clip(0, len(self.places))
        return table

    def _shared_targets(self) -> dict[str, float]:
        """The target occupancy per setting, when every place has the same one."""
        out: dict[str, float] = {}
        settings = {s for t in self.targets.values() for s in t}
        for setting in sorted(settings):
            values = {t[setting] for t in self.targets.values() if setting in t}
            if len(values) > 1:
                raise PlacesimError(
                    f"{setting}: the places have different target occupancies "
                    f"({', '.join(f'{v:.0%}' for v in sorted(values))}): the region's spread "
                    "across places needs one target per setting"
                )
            out[setting] = values.pop()
        return out

    def place_table(self, setting: str = "acute") -> pd.DataFrame:
        """One row per place, for `setting`: the mean over replications of its occupancy
        rate, days over target, capacity gap, bed days, delayed bed days and admissions."""
        wanted = (
            "occupancy_rate",
            "days_over_target",
            "capacity_gap",
            "bed_days",
            "delayed_bed_days",
            "admissions",
        )
        rows = self.measures[
            (self.measures["setting"] == setting) & self.measures["measure"].isin(wanted)
        ]
        if rows.empty:
            raise PlacesimError(f"setting: {setting!r} has no measures in this region's places")
        table = rows.pivot_table(
            index="place", columns="measure", values="value", aggfunc="mean", observed=True
        )
        table = table.reindex(index=self.places, columns=[m for m in wanted if m in table])
        return table.reset_index()

    def report(self, path: str | Path) -> Path:
        """Write the region's HTML report (a table of places and small multiples of their
        acute census); needs matplotlib (``pip install 'placesim[plot]'``)."""
        from placesim.reporting.html import write_region_report

        return write_region_report(self, path)
