"""Shared test configuration and fixtures.

pytest puts this file's folder (tests/) on sys.path (rootdir-relative "prepend" import
mode, as tests/ is not a package), so test modules in every folder below can
``import strategies`` for the shared hypothesis strategies in tests/strategies.py,
``import small_scenario`` and ``import report_pages``. Because no test folder is a
package either, each test module's file name must be unique across all of tests/.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import settings

import placesim
from placesim.measures import SimulationResult
from report_pages import HOSTILE
from small_scenario import small_scenario

# CI explores the same examples on every run (a red CI blocks landing, so it must not
# depend on luck); locally hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
# Opt-in long runs of the fuzz tests (tests/property/test_fuzz_scenarios.py) and of every
# other test that leaves max_examples to the profile: HYPOTHESIS_PROFILE=fuzz pytest ...
settings.register_profile("fuzz", max_examples=5000)
if os.environ.get("CI"):
    settings.load_profile("ci")
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


@pytest.fixture
def small() -> dict[str, Any]:
    """A fresh copy of a small valid scenario with every setting."""
    return small_scenario()


@pytest.fixture(scope="module")
def store() -> dict[str, Any]:
    """Results and reports shared by one module's tests, each built once."""
    return {}


@pytest.fixture
def small_result(small: dict[str, Any], store: dict[str, Any]) -> SimulationResult:
    """Two replications of the small scenario, its description HOSTILE (built once a module)."""
    if "small" not in store:
        small["description"] = HOSTILE
        store["small"] = placesim.simulate(placesim.parse_scenario(small), replications=2, seed=3)
    result: SimulationResult = store["small"]
    return result
