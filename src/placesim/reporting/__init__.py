"""Reporting: what a run says to people, on the terminal, on disk and in HTML.

The sixth stage of the flow; it reads measures (and the scenario, to describe the
inputs), and is the only package that writes output folders.

- ``summary``: the summary as text for the terminal.
- ``outputs``: output folders written atomically, and read back.
- ``regions``: a region's folder, written place by place, and read back.
- ``plots``: matplotlib figures of a result (the ``plot`` extra).
- ``html``: the self-contained HTML report of a run or a comparison.
"""

from __future__ import annotations

from placesim.reporting.outputs import (
    read_checked_table,
    read_results,
    write_checked_table,
    write_results,
    write_table,
    write_text,
)
from placesim.reporting.regions import read_region
from placesim.reporting.summary import (
    format_decisions,
    format_number,
    format_region,
    format_sensitivity,
    format_summary,
    text_table,
)

__all__ = [
    "format_decisions",
    "format_number",
    "format_region",
    "format_sensitivity",
    "format_summary",
    "read_checked_table",
    "read_region",
    "read_results",
    "text_table",
    "write_checked_table",
    "write_results",
    "write_table",
    "write_text",
]
