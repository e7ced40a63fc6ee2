"""The public API: the documented names exist, and the docs name nothing that does not."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import placesim

ROOT = Path(__file__).resolve().parents[2]
API_PAGE = ROOT / "docs" / "reference" / "api" / "index.md"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SUBPACKAGES = ("scenario", "plan", "demand", "engine", "measures", "reporting", "experiments")


def test_names_on_the_api_page_are_exported() -> None:
    documented = set(re.findall(r"^::: placesim\.(\w+)\s*$", API_PAGE.read_text(), re.MULTILINE))
    assert len(documented) > 10
    assert documented <= set(placesim.__all__) - set(SUBPACKAGES)


def test_every_dotted_name_in_the_docs_resolves() -> None:
    """``placesim.x`` or ``placesim.pkg.module.name`` in README.md or docs/ names something."""
    missing = []
    for page in PAGES:
        for dotted in sorted(set(re.findall(r"\bplacesim(?:\.\w+)+", page.read_text()))):
            if not _resolves(dotted):
                missing.append(f"{page.relative_to(ROOT)}: {dotted}")
    assert missing == []


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_scenario_error_is_a_placesim_error() -> None:
    assert issubclass(placesim.ScenarioError, placesim.PlacesimError)
