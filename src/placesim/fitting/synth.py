"""Synthetic extracts: a scenario's simulated stays written in the extract format.

So that fitting, backtesting and every how-to run with no restricted data, and so that a
fit can be checked against the parameters that made the data (a round trip). A person is
an episode and its readmissions and escalations, numbered from 1: made-up numbers, never
anyone's identifier. `messy` makes the extract look like real data: some `ready` times
missing, local codes for settings and destinations (with the codes table that maps them),
and a few broken rows, each of a kind the reader reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from placesim.demand import generate_episodes
from placesim.engine import run_engine
from placesim.plan import compile_plan
from placesim.plan.pathways import DESTINATIONS
from placesim.reporting import write_table
from placesim.scenario import RESIDENCES, SETTINGS, Scenario

__all__ = ["Messy", "synth_extract", "write_extract"]

_PATHWAY = {"home": "P0", "reablement": "P1", "intermediate_care": "P2", "care_home": "P3"}
_LOCAL_SETTING = {
    "acute": "WARD-GEN",
    "rapid_response": "UCR",
    "virtual_ward": "VW-HOME",
    "intermediate_care": "IC-BEDS",
    "reablement": "REAB",
    "care_home": "CH-PLACE",
}
_LOCAL_NEXT = {"P0": "DD19", "P1": "DD51", "P2": "DD54", "P3": "DD65", "death": "DD79"}


@dataclass(frozen=True)
class Messy:
    """How to make a synthetic extract look like real data."""

    missing_ready: float = 0.0
    """Share of `ready` times left blank."""
    local_codes: bool = False
    """Write local codes for settings and acute destinations, with a codes table."""
    broken_rows: int = 0
    """Rows made unusable, one of each kind in turn (bad date, leave before arrive, unknown
    setting, duplicate, blank person, unknown locality)."""
    seed: int = 0


def _persons(child: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Each episode's person: the root of its chain of parents (readmissions, escalations)."""
    parent = np.full(child.size, -1, dtype=np.int64)
    has = child >= 0
    parent[child[has]] = np.flatnonzero(has)
    root = np.arange(child.size, dtype=np.int64)
    up = parent.copy()
    while (up >= 0).any():  # pointer jumping: each pass halves the chains' lengths
        moving = up >= 0
        root[moving] = up[moving]
        up = np.where(moving, parent[root], -1)
    return root


def _times(start: dt.date, days: npt.NDArray[np.float64]) -> pd.Series:
    base = pd.Timestamp(start)
    finite = np.isfinite(days)
    out = pd.Series(pd.NaT, index=range(days.size), dtype="datetime64[ns]")
    out[finite] = base + pd.to_timedelta(np.round(days[finite] * 1440.0), unit="min")
    return out


def synth_extract(
    scenario: Scenario, replication: int = 0, seed: int | None = None
) -> dict[str, pd.DataFrame]:
    """The extract one replication of `scenario` gives: stays, population and capacity
    tables (docs/data.md), over the whole simulated period (the warm-up included, as a
    real extract reaches back before the dates a fit uses)."""
    plan = compile_plan(scenario)
    root_seed = scenario.calendar.seed if seed is None else seed
    episodes = generate_episodes(plan, replication, root_seed)
    records, _ = run_engine(plan, episodes, "fast")
    person = _persons(episodes.child)[records.episode]
    setting = np.asarray(SETTINGS, dtype=object)[records.setting]
    after = np.asarray(DESTINATIONS, dtype=object)[records.next]
    nexts = np.where(
        setting == "acute",
        pd.Series(after).map(lambda d: _PATHWAY.get(d, d)).to_numpy(dtype=object),
        after,
    )
    nexts = np.where((after == "left") | ~np.isfinite(records.leave), "", nexts)
    # Every place held in the simulated period, the warm-up's too (a real extract reaches
    # back before the dates fitted, so recent discharges are seen), but not requests still
    # waiting for a place when the run ends (they never arrived).
    keep = np.isfinite(records.arrive)
    start = scenario.calendar.start_date
    order = np.lexsort((records.arrive, person))
    order = order[keep[order]]
    _, person_number = np.unique(person[order], return_inverse=True)
    stays = pd.DataFrame(
        {
            "person": person_number + 1,
            "setting": setting[order],
            "locality": np.asarray(episodes.localities, dtype=object)[
                episodes.locality[records.episode[order]]
            ],
            "age_band": np.asarray(episodes.age_bands, dtype=object)[
                episodes.age_band[records.episode[order]]
            ],
            "residence": np.asarray(RESIDENCES, dtype=object)[
                episodes.residence[records.episode[order]]
            ],
            "arrive": _times(start, records.arrive[order]),
            "leave": _times(start, records.leave[order]),
            "next": nexts[order],
            "requested": _times(start, records.requested[order]),
            "ready": _times(start, records.ready[order]),
        }
    )
    population = _population_table(scenario)
    capacity = pd.DataFrame(
        {
            "setting": list(scenario.settings.defined()),
            "capacity": [str(s.capacity) for s in scenario.settings.defined().values()],
        }
    )
    return {"stays": stays, "population": population, "capacity": capacity}


def _population_table(scenario: Scenario) -> pd.DataFrame:
    pop = scenario.population
    rows = []
    if pop is not None:
        for loc in pop.localities:
            for band in pop.age_bands:
                residents = loc.care_home_residents.get(band, 0)
                rows.append(
                    (loc.name, loc.partnership, band, "home", loc.people.get(band, 0) - residents)
                )
                rows.append((loc.name, loc.partnership, band, "care_home", residents))
    return pd.DataFrame(
        rows, columns=["locality", "partnership", "age_band", "residence", "people"]
    )


def _make_messy(tables: dict[str, pd.DataFrame], messy: Messy) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(messy.seed)
    stays = tables["stays"].astype(object).copy()
    for name in ("arrive", "leave", "requested", "ready"):
        stays[name] = tables["stays"][name].dt.strftime("%Y-%m-%d %H:%M").fillna("")
    if messy.missing_ready > 0:
        blank = rng.random(len(stays)) < messy.missing_ready
        stays.loc[blank, "ready"] = ""
    out = dict(tables)
    if messy.local_codes:
        stays["setting"] = stays["setting"].map(_LOCAL_SETTING)
        acute = stays["setting"] == _LOCAL_SETTING["acute"]
        stays.loc[acute, "next"] = stays.loc[acute, "next"].map(lambda v: _LOCAL_NEXT.get(v, v))
        codes = [("setting", c, s) for s, c in _LOCAL_SETTING.items()]
        codes += [("next", c, p) for p, c in _LOCAL_NEXT.items()]
        out["codes"] = pd.DataFrame(codes, columns=["field", "code", "value"])
    kinds = ("arrive", "leave", "setting", "duplicate", "person", "locality")
    rows = rng.choice(len(stays), size=min(messy.broken_rows, len(stays)), replace=False)
    extra = []
    for k, i in enumerate(rows):
        kind = kinds[k % len(kinds)]
        if kind == "arrive":
            stays.at[i, "arrive"] = "31/02/2025 25:00"
        elif kind == "leave":
            stays.at[i, "leave"] = "2000-01-01 00:00"
        elif kind == "setting":
            stays.at[i, "setting"] = "acut"
        elif kind == "duplicate":
            extra.append(stays.iloc[i].copy())
        elif kind == "person":
            stays.at[i, "person"] = ""
        else:
            stays.at[i, "locality"] = "Nowhere"
    if extra:
        stays = pd.concat([stays, pd.DataFrame(extra)], ignore_index=True)
    out["stays"] = stays
    return out


def write_extract(
    scenario: Scenario,
    out: str | Path,
    *,
    replication: int = 0,
    seed: int | None = None,
    messy: Messy | None = None,
) -> list[Path]:
    """Write the synthetic extract of one replication of `scenario` to the folder `out`, as
    CSV tables (docs/data.md); `messy` makes it look like real data. Returns the files."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    tables = synth_extract(scenario, replication, seed)
    if messy is not None:
        tables = _make_messy(tables, messy)
    else:
        for name in ("arrive", "leave", "requested", "ready"):
            tables["stays"][name] = tables["stays"][name].dt.strftime("%Y-%m-%d %H:%M").fillna("")
    return [write_table(table, folder / f"{name}.csv") for name, table in tables.items()]
