"""Field types shared by the scenario's pydantic models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BeforeValidator

__all__ = ["Date"]


def _not_a_number(value: object) -> object:
    # pydantic reads a number as seconds since 1970 (0 is 1970-01-01): never what a planner
    # means by a date.
    if isinstance(value, int | float):
        raise ValueError(f"{value} is not allowed: must be a date such as 2025-04-01")
    return value


Date = Annotated[dt.date, BeforeValidator(_not_a_number)]
"""A calendar date, written 2025-04-01; numbers are refused."""
