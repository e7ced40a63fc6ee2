"""Hypothesis strategies that build small, valid placesim scenarios as plain dicts.

Every scenario drawn here passes :func:`placesim.parse_scenario`, and is small enough to
simulate in a few tens of milliseconds: horizons of 30-120 days, warm-up of 0-20 days and
typically a few hundred stays (at most about a thousand). They reach the corners the
engine has to get right: capacities of 0 and "unlimited", capacity changes (rises and
drops) inside the run, every kind of length of stay (including fixed stays, which make
simultaneous events), forward moves that block, escalations and readmissions, overflow to
acute, and starting states with people in place and waiting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from placesim.scenario import SETTINGS
from placesim.scenario.routes import OUTCOME_ROUTES, PATHWAY_ROUTES

FRONT_DOOR = ("rapid_response", "virtual_ward", "acute")


def _as_setting(routes: dict[str, str]) -> dict[str, str | None]:
    """Share key -> the setting it sends people to (None: out of the modelled services)."""
    return {key: dest if dest in SETTINGS else None for key, dest in routes.items()}


OUTCOMES = {setting: _as_setting(routes) for setting, routes in OUTCOME_ROUTES.items()}
PATHWAYS = _as_setting(PATHWAY_ROUTES)
REMAINING = ("residual", "fresh", "uniform", "elapsed")

days = st.floats(min_value=0.2, max_value=12.0, allow_nan=False, allow_infinity=False)
cvs = st.floats(min_value=0.2, max_value=2.5, allow_nan=False, allow_infinity=False)


@st.composite
def lengths_of_stay(draw: st.DrawFn) -> dict[str, Any]:
    """Any kind of length-of-stay distribution, with a mean of a fraction of a day to 12."""
    kind = draw(st.sampled_from(["exponential", "lognormal", "gamma", "fixed", "empirical"]))
    if kind == "exponential":
        return {"kind": kind, "mean": draw(days)}
    if kind == "lognormal":
        mean = draw(days)
        if draw(st.booleans()):
            return {"kind": kind, "mean": mean, "cv": draw(cvs)}
        ratio = draw(st.floats(min_value=0.2, max_value=0.95))
        return {"kind": kind, "mean": mean, "median": mean * ratio}
    if kind == "gamma":
        return {"kind": kind, "mean": draw(days), "cv": draw(cvs)}
    if kind == "fixed":
        # Whole and half days (including 0) put many events at the same instant.
        return {"kind": kind, "days": draw(st.integers(0, 16)) / 2.0}
    values = draw(st.lists(st.integers(0, 20).map(lambda v: v / 2.0), min_size=1, max_size=6))
    if not any(values):
        values[0] = 1.0
    return {"kind": kind, "values": values}


@st.composite
def shares(draw: st.DrawFn, keys: list[str]) -> dict[str, float]:
    """Shares over `keys` (at least one positive) that sum to 1."""
    weights = draw(st.lists(st.integers(0, 4), min_size=len(keys), max_size=len(keys)))
    if sum(weights) == 0:
        weights[draw(st.integers(0, len(keys) - 1))] = 1
    total = sum(weights)
    return {k: w / total for k, w in zip(keys, weights, strict=True) if w > 0}


def _reachable(routes: dict[str, str | None], defined: set[str]) -> list[str]:
    return [key for key, target in routes.items() if target is None or target in defined]


@st.composite
def capacities(draw: st.DrawFn) -> int | str:
    return draw(st.one_of(st.just("unlimited"), st.integers(0, 6)))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A small valid scenario as a dict (see the module docstring)."""
    horizon = draw(st.integers(30, 120))
    warmup = draw(st.integers(0, 20))
    start = dt.date(2025, 1, 1) + dt.timedelta(days=draw(st.integers(0, 364)))
    names = draw(st.sets(st.sampled_from(SETTINGS), min_size=1))
    defined = set(names)

    front = [s for s in FRONT_DOOR if s in defined]
    has_population = bool(front) and draw(st.booleans())
    # Without a population the scenario has the single age band `all`.
    two_bands = has_population and draw(st.booleans())
    bands = ["0-64", "65+"] if two_bands else ["0-64"] if has_population else ["all"]

    settings: dict[str, Any] = {}
    for name in SETTINGS:
        if name not in defined:
            continue
        capacity = draw(capacities())
        setting: dict[str, Any] = {"capacity": capacity, "los": draw(lengths_of_stay())}
        if two_bands and draw(st.booleans()):
            setting["los_by_age_band"] = {"65+": draw(lengths_of_stay())}
        if capacity != "unlimited":
            # Dates strictly after the first simulated day, up to the last day.
            offsets = draw(st.lists(st.integers(1, warmup + horizon - 1), max_size=2, unique=True))
            setting["capacity_changes"] = [
                {
                    "date": (start + dt.timedelta(days=o - warmup)).isoformat(),
                    "capacity": draw(st.integers(0, 6)),
                }
                for o in sorted(offsets)
            ]
        if name in ("rapid_response", "virtual_ward") and "acute" in defined:
            setting["when_full"] = draw(st.sampled_from(["queue", "overflow_to_acute"]))
        if name in OUTCOMES:
            setting["outcomes"] = draw(shares(_reachable(OUTCOMES[name], defined)))
        settings[name] = setting

    data: dict[str, Any] = {
        "name": "drawn",
        "calendar": {
            "start_date": start.isoformat(),
            "horizon_days": horizon,
            "warmup_days": warmup,
        },
        "settings": settings,
    }
    if "acute" in defined:
        discharge: dict[str, Any] = {
            "pathways": {"all": draw(shares(_reachable(PATHWAYS, defined)))}
        }
        if draw(st.booleans()):
            discharge["readmission"] = {
                "probability": {"all": draw(st.integers(0, 40)) / 100.0},
                "within_days": draw(st.floats(1.0, 30.0)),
            }
        data["discharge"] = discharge

    if has_population:
        data.update(draw(_population(bands, front)))

    data["referrals"] = draw(_referrals(sorted(defined), bands, needed="population" not in data))
    data["initial_state"] = draw(_initial_state(settings))
    return data


@st.composite
def _population(draw: st.DrawFn, bands: list[str], front: list[str]) -> dict[str, Any]:
    """Population, demand and triage: up to some 800 crises a year in all."""
    n_localities = draw(st.integers(1, 2))
    localities = []
    residents_bands: set[str] = set()
    for i in range(n_localities):
        people = {b: draw(st.integers(0, 15)) * 100 for b in bands}
        locality: dict[str, Any] = {
            "name": f"L{i}",
            "partnership": draw(st.sampled_from(["North", "South"])),
            "people": people,
        }
        if draw(st.booleans()):
            band = bands[-1]
            locality["care_home_residents"] = {band: draw(st.integers(0, people[band]))}
            residents_bands.add(band)
        localities.append(locality)
    rate = st.integers(0, 30).map(lambda k: k / 100.0)
    home = {b: draw(rate) for b in bands}
    triage_home = {"all": draw(shares(front))}
    demand: dict[str, Any] = {"crisis_rate_per_person_year": {"home": home}}
    triage: dict[str, Any] = {"home": triage_home}
    if residents_bands:
        demand["crisis_rate_per_person_year"]["care_home"] = {"all": draw(rate)}
        triage["care_home"] = {"all": draw(shares(front))}
    return {
        "population": {"age_bands": bands, "localities": localities},
        "demand": demand,
        "triage": triage,
    }


@st.composite
def _referrals(
    draw: st.DrawFn, defined: list[str], bands: list[str], needed: bool
) -> list[dict[str, Any]]:
    n = draw(st.integers(1 if needed else 0, 2))
    out = []
    for k in range(n):
        referral: dict[str, Any] = {
            "name": f"r{k}",
            "setting": draw(st.sampled_from(defined)),
            # A tenth of a referral a day to 3; the first is never 0 when it is all the demand.
            "rate_per_day": draw(st.integers(1 if needed and k == 0 else 0, 30)) / 10.0,
        }
        if len(bands) > 1:
            referral["age_band"] = draw(st.sampled_from(bands))
        out.append(referral)
    return out


@st.composite
def _initial_state(draw: st.DrawFn, settings: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in draw(st.sets(st.sampled_from(sorted(settings)), max_size=3)):
        s = settings[name]
        room = 8 if s["capacity"] == "unlimited" else s["capacity"]
        occupied = draw(st.integers(0, room))
        waiting = 0 if s.get("when_full") == "overflow_to_acute" else draw(st.integers(0, 4))
        remaining = draw(st.sampled_from(REMAINING))
        state: dict[str, Any] = {"waiting": waiting, "remaining": remaining}
        if remaining == "elapsed":
            state["elapsed_days"] = draw(
                st.lists(st.floats(0.0, 30.0), min_size=occupied, max_size=occupied)
            )
        else:
            state["occupied"] = occupied
        out[name] = state
    return out
