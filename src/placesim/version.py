"""The version of placesim, first in the flow so that every stage may record it."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
