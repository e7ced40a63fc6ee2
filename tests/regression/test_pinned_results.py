"""Exact results of the shipped scenarios, pinned: a change of numbers is a decision.

Every shipped scenario, run for 2 replications on seed 7, must give the stays, daily
table, measures and outcomes whose fingerprints are in ``pinned_results.json``. Refactors
(such as the move to sub-packages, which these figures were recorded across) leave them
bit-identical. A change that alters results on purpose regenerates the file with

    python tests/regression/test_pinned_results.py --regenerate

and says why in CHANGELOG.md, as docs/decisions.md asks.

The fingerprint is a SHA-256 of each column's name, kind and raw values (float64 and
int64 bytes, category labels as text), so it does not depend on pandas' own hashing.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import placesim

ROOT = Path(__file__).resolve().parents[2]
PINNED = Path(__file__).with_name("pinned_results.json")
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
REPLICATIONS = 2
SEED = 7


def fingerprint(table: pd.DataFrame) -> str:
    """SHA-256 of a table's columns: names, kinds and values, in row order."""
    digest = hashlib.sha256()
    for name in table.columns:
        column = table[name]
        digest.update(str(name).encode())
        if isinstance(column.dtype, pd.CategoricalDtype):
            values = column.astype(str).fillna("<NA>").to_numpy()
            digest.update(b"category" + "\x1f".join(values).encode())
        elif pd.api.types.is_datetime64_any_dtype(column):
            digest.update(
                b"datetime" + column.to_numpy(dtype="datetime64[ns]").view(np.int64).tobytes()
            )
        elif pd.api.types.is_bool_dtype(column):
            digest.update(b"bool" + column.to_numpy(dtype=bool).tobytes())
        elif pd.api.types.is_integer_dtype(column):
            digest.update(b"int" + column.to_numpy(dtype=np.int64).tobytes())
        elif pd.api.types.is_float_dtype(column):
            digest.update(b"float" + column.to_numpy(dtype=np.float64).tobytes())
        else:
            digest.update(b"text" + "\x1f".join(column.astype(str)).encode())
    return digest.hexdigest()


def fingerprints(path: Path) -> dict[str, str]:
    """Fingerprints of one scenario's tables."""
    scenario = placesim.load_scenario(path)
    result = placesim.simulate(scenario, replications=REPLICATIONS, seed=SEED, progress=False)
    assert result.stays is not None
    return {
        "stays": fingerprint(result.stays),
        "daily": fingerprint(result.daily),
        "measures": fingerprint(result.measures),
        "outcomes": fingerprint(result.outcomes()),
    }


def pinned() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = json.loads(PINNED.read_text(encoding="utf-8"))
    return table


def test_every_shipped_scenario_is_pinned() -> None:
    assert sorted(pinned()) == [p.name for p in SCENARIOS]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_gives_its_pinned_results(path: Path) -> None:
    assert fingerprints(path) == pinned()[path.name]


# The default scenario's fingerprints before escalation, electives, staff and discharge
# windows existed (commit d172e04, 2 replications on seed 7): the baseline without its
# standing escalation must still give them, bit for bit. The daily table and measures were
# re-recorded when the measures moved to day bins (CHANGELOG: last digits of bed days);
# the stays and outcomes are still those of d172e04.
BEFORE_OPERATIONS = {
    "daily": "d9a15d6c75db1ab03e8a94606ba756f42de6e54d1ba5c2d39f67ef98dd178f39",
    "measures": "19e79ec69d3187b69be4f3e20ea020a182b17f5c8a31a2e99ae83074fe4482d3",
    "outcomes": "a1b1f8dd0a6513fd66429624713272cfdebac2eecab1054f66a37c1fe65314c0",
    "stays": "e849eef8e5bfb03a6312f07ab1aa4bd24f7517fd4eb414a0b6796d9af2df71a6",
}


def test_a_scenario_without_operations_gives_the_results_from_before_them(
    tmp_path: Path,
) -> None:
    baseline = ROOT / "scenarios" / "rotherham_baseline.yaml"
    variant = tmp_path / "no_escalation.yaml"
    variant.write_text(f"extends: {baseline}\nescalation: null\n", encoding="utf-8")
    assert fingerprints(variant) == BEFORE_OPERATIONS


def test_fingerprint_sees_one_changed_value() -> None:
    table = pd.DataFrame({"a": [1.0, 2.0], "s": pd.Categorical(["x", "y"])})
    changed = table.copy()
    changed.loc[1, "a"] = np.nextafter(2.0, 3.0)
    assert fingerprint(table) == fingerprint(table.copy())
    assert fingerprint(table) != fingerprint(changed)
    assert fingerprint(table) != fingerprint(table.rename(columns={"a": "b"}))


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python tests/regression/test_pinned_results.py --regenerate")
    figures = {p.name: fingerprints(p) for p in SCENARIOS}
    PINNED.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {PINNED} ({len(figures)} scenarios)")
