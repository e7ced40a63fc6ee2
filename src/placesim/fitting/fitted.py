"""`placesim.fit`: from an extract to a checked scenario file with every figure's source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from placesim.errors import PlacesimError, ScenarioError
from placesim.fitting.estimates import fit_scenario_data
from placesim.fitting.extract import Extract, read_extract
from placesim.fitting.scenario_file import scenario_text
from placesim.reporting import write_text
from placesim.scenario import Scenario, parse_scenario, parse_value

__all__ = ["FittedScenario", "fit"]


@dataclass(frozen=True)
class FittedScenario:
    """A scenario fitted to an extract: the scenario, its file's text, the estimates
    (path, value, n, low, high, note) and the extract it came from (with its problems)."""

    scenario: Scenario
    text: str
    estimates: pd.DataFrame
    extract: Extract

    def write(self, path: str | Path) -> Path:
        """Write the scenario file (atomically); returns its path."""
        return write_text(Path(path), self.text)


def _date(value: str | dt.date, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PlacesimError(
            f"{name}: {value!r} is not allowed: a date such as 2025-04-01"
        ) from None


def fit(
    extract: str | Path | Extract,
    start: str | dt.date,
    end: str | dt.date,
    *,
    name: str = "fitted",
    suppress: int = 5,
    ranges: bool = False,
) -> FittedScenario:
    """Fit a scenario to a planner's extract over the dates [start, end) (docs/data.md).

    Parameters
    ----------
    extract
        A folder of tables, an Excel workbook, or an :class:`Extract` already read.
    start, end
        The first day fitted and the day after the last; the scenario starts at `start`
        from the census then (each occupant with the days they had stayed).
    name
        The scenario's name.
    suppress
        Counts under this are written as "fewer than N" in the file's comments (NHS
        small-number rules; 0 writes every count).
    ranges
        Write crisis rates and mean stays as uncertain inputs (docs/uncertainty.md).

    Raises
    ------
    PlacesimError
        If the extract cannot be read or is not enough to fit a scenario; the message
        says what is missing.
    """
    if suppress < 0:
        raise PlacesimError(f"suppress: {suppress} is not allowed: must be 0 or more")
    found = extract if isinstance(extract, Extract) else read_extract(extract)
    first, last = _date(start, "start"), _date(end, "end")
    result = fit_scenario_data(found, first, last, name=name, suppress=suppress, ranges=ranges)
    header = (
        f"Scenario {name!r}, fitted by placesim fit to the extract {found.source}, from "
        f"{first} to {last - dt.timedelta(days=1)}. Each fitted figure's comment says what it "
        "rests on (how many stays or people, which dates) and its 95% interval; figures "
        "not in the data take placesim's documented defaults. Check it with placesim "
        "backtest before relying on it (docs/howto/model-your-own-place.md)."
    )
    text = scenario_text(result, header)
    try:
        scenario = parse_scenario(parse_value(text))  # read back as a user would
    except ScenarioError as exc:
        raise PlacesimError(
            "the fitted scenario is not valid (a fault of the fit, please report it): "
            + "; ".join(exc.problems)
        ) from None
    return FittedScenario(scenario, text, result.table(), found)
