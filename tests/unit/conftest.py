"""Small scenarios for unit tests, as plain dicts (as read from YAML)."""

from __future__ import annotations

from typing import Any

import pytest

from small_scenario import small_scenario


@pytest.fixture
def small() -> dict[str, Any]:
    """A fresh copy of a small valid scenario with every setting."""
    return small_scenario()
