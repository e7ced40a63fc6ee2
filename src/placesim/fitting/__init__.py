"""Fitting: a planner's own data turned into a scenario, and the scenario checked against it.

The last stage of the flow before the command line, as it runs simulations to check what
it fits and to make data.

- ``extract``: the only module that reads extract files (docs/data.md), checking every row.
- ``estimates``: journeys, and every figure of a scenario estimated from the stays.
- ``scenario_file``: the fitted scenario as YAML with each figure's source as a comment.
- ``fitted``: :func:`fit`, from an extract to a checked scenario.
- ``synth``: a synthetic extract written from a scenario's simulated stays.
- ``backtest``: :func:`backtest`, a scenario run from an extract's census and held
  against what happened, series by series, with a verdict in words.
"""

from __future__ import annotations

from placesim.fitting.backtest import BacktestResult, backtest
from placesim.fitting.extract import NEXT, Extract, Problem, read_extract
from placesim.fitting.fitted import FittedScenario, fit
from placesim.fitting.synth import Messy, synth_extract, write_extract

__all__ = [
    "NEXT",
    "BacktestResult",
    "Extract",
    "FittedScenario",
    "Messy",
    "Problem",
    "backtest",
    "fit",
    "read_extract",
    "synth_extract",
    "write_extract",
]
