"""The people of a place as arrays by segment (locality x age band x residence).

Not to be confused with ``placesim.scenario.schema.Population``, the section of the file
these are built from.

No Python object per person: a segment is a row, and its head count grows by date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from placesim.scenario import RESIDENCES, Scenario

__all__ = ["DAYS_PER_YEAR", "Segments", "build_segments"]

DAYS_PER_YEAR = 365.25
"""Days in a year for per-year rates and growth (the Julian year)."""


@dataclass(frozen=True)
class Segments:
    """Segments of the population at the scenario's start date.

    Attributes
    ----------
    localities, partnerships
        Locality names and, for each, its partnership.
    age_bands
        Age band labels.
    locality, age_band, residence
        Codes of each segment (indices into the label lists and ``RESIDENCES``).
    people
        Head count of each segment on start_date.
    annual_growth
        Growth per year applied to every segment.
    """

    localities: tuple[str, ...]
    partnerships: tuple[str, ...]
    age_bands: tuple[str, ...]
    locality: npt.NDArray[np.int32]
    age_band: npt.NDArray[np.int32]
    residence: npt.NDArray[np.int32]
    people: npt.NDArray[np.float64]
    annual_growth: float

    @property
    def size(self) -> int:
        """Number of segments."""
        return int(self.people.size)

    def people_at(self, days: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Head count of each segment at times `days` (days from start_date).

        Returns an array of shape (len(days), segments).
        """
        factor = (1.0 + self.annual_growth) ** (np.asarray(days, dtype=float) / DAYS_PER_YEAR)
        return np.outer(factor, self.people)


def build_segments(scenario: Scenario) -> Segments | None:
    """The population of `scenario` as segment arrays, or None if it has none."""
    pop = scenario.population
    if pop is None:
        return None
    bands = list(pop.age_bands)
    loc_codes: list[int] = []
    band_codes: list[int] = []
    res_codes: list[int] = []
    people: list[float] = []
    for li, loc in enumerate(pop.localities):
        for bi, band in enumerate(bands):
            total = loc.people.get(band, 0)
            in_homes = loc.care_home_residents.get(band, 0)
            for ri, count in enumerate((total - in_homes, in_homes)):
                loc_codes.append(li)
                band_codes.append(bi)
                res_codes.append(ri)
                people.append(float(count))
    assert len(RESIDENCES) == 2
    return Segments(
        localities=tuple(loc.name for loc in pop.localities),
        partnerships=tuple(loc.partnership for loc in pop.localities),
        age_bands=tuple(bands),
        locality=np.array(loc_codes, dtype=np.int32),
        age_band=np.array(band_codes, dtype=np.int32),
        residence=np.array(res_codes, dtype=np.int32),
        people=np.array(people, dtype=float),
        annual_growth=pop.annual_growth,
    )
