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


# --------------------------------------------------------------------------- operations

STAFFED = ("rapid_response", "virtual_ward", "reablement")
WINDOWED = ("intermediate_care", "reablement", "care_home")
CLOCKS = ("00:00", "07:30", "08:00", "09:00", "12:00", "17:00", "23:30")
HOURS = ("00:00-24:00", "09:00-17:00", "08:00-20:00", "10:00-16:00", "06:00-07:00")
DAY_LISTS: tuple[str | list[str], ...] = (
    "all",
    "weekdays",
    ["Mon", "Wed", "Fri"],
    ["Sat", "Sun"],
    ["Tue"],
)


def _day(data: dict[str, Any], offset: int) -> str:
    """The date `offset` days from the scenario's start (negative: in the warm-up)."""
    start = dt.date.fromisoformat(data["calendar"]["start_date"])
    return (start + dt.timedelta(days=offset)).isoformat()


@st.composite
def windows(draw: st.DrawFn) -> dict[str, Any]:
    """Days and opening hours of a discharge window."""
    return {"days": draw(st.sampled_from(DAY_LISTS)), "hours": draw(st.sampled_from(HOURS))}


@st.composite
def workforces(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """A workforce: visits or hours a day (one figure or by weekday, with dated changes)
    and a tapering need of 0-4 visits (half visits too)."""
    per_day = st.integers(0, 24).map(lambda k: k / 2.0)
    workforce: dict[str, Any] = {
        "per_day": draw(st.one_of(per_day, st.lists(per_day, min_size=7, max_size=7))),
        "first_day_visits": draw(st.integers(0, 8)) / 2.0,
        "last_day_visits": draw(st.integers(0, 8)) / 2.0,
    }
    if draw(st.booleans()):
        workforce.update(unit="hours", visit_hours=draw(st.sampled_from([0.25, 0.5, 1.0])))
    cal = data["calendar"]
    offsets = draw(
        st.lists(st.integers(-cal["warmup_days"], cal["horizon_days"]), max_size=2, unique=True)
    )
    workforce["changes"] = [
        {"date": _day(data, o), "per_day": draw(per_day)} for o in sorted(offsets)
    ]
    return workforce


@st.composite
def escalation_levels(
    draw: st.DrawFn, data: dict[str, Any], name: str, staffed: list[str]
) -> dict[str, Any]:
    """A level watching any defined setting, adding places to finite settings and staff
    to workforces, cancelling electives, with limits and dates."""
    settings = data["settings"]
    watched = draw(st.sampled_from(sorted(settings)))
    finite = sorted(s for s, v in settings.items() if v["capacity"] != "unlimited")
    measures = ["census", "waiting"] + (["occupancy_rate"] if watched in finite else [])
    measure = draw(st.sampled_from(measures))
    if measure == "occupancy_rate":
        at_least = draw(st.integers(0, 12)) / 10.0
    else:
        at_least = float(draw(st.integers(0, 6)))
    level: dict[str, Any] = {
        "name": name,
        "trigger": {
            "setting": watched,
            "measure": measure,
            "at_least": at_least,
            "for_days": draw(st.integers(1, 3)),
        },
        "step_down": {
            "below": at_least * draw(st.sampled_from([0.0, 0.5, 1.0])),
            "for_days": draw(st.integers(1, 3)),
        },
        "open_after_days": draw(st.sampled_from([0.0, 0.25, 1.0, 2.5])),
        "assessment_days_factor": draw(st.sampled_from([1.0, 0.5, 0.0, 1.5])),
        "cancel_electives": draw(st.integers(0, 4)) / 4.0,
    }
    if finite:
        chosen = draw(st.lists(st.sampled_from(finite), max_size=2, unique=True))
        level["add_capacity"] = {s: draw(st.integers(0, 4)) for s in chosen}
    if draw(st.booleans()) and staffed:
        level["add_staff"] = {draw(st.sampled_from(staffed)): draw(st.integers(0, 8)) / 2.0}
    if draw(st.booleans()):
        level["max_days_per_year"] = draw(st.integers(1, 20))
    if draw(st.booleans()):
        cal = data["calendar"]
        first = draw(st.integers(-cal["warmup_days"], cal["horizon_days"]))
        level["start"] = _day(data, first)
        level["end"] = _day(data, first + draw(st.integers(0, 40)))
    return level


@st.composite
def with_operations(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """`data` with some of an escalation plan, elective streams, workforces and discharge
    windows, and levers changing them (every part valid for the scenario)."""
    out = dict(data)
    settings = data["settings"]
    bands = data["population"]["age_bands"] if "population" in data else ["all"]
    cal = data["calendar"]
    day = st.integers(-cal["warmup_days"] - 3, cal["horizon_days"] + 2)
    interventions = list(data.get("interventions", []))

    services = [s for s in STAFFED if s in settings]
    staffed = sorted(draw(st.sets(st.sampled_from(services)))) if services else []
    if staffed:
        out["staff"] = {s: draw(workforces(data)) for s in staffed}
        for k in range(draw(st.integers(0, 2))):
            first = draw(day)
            lever = {
                "type": "staff_change",
                "name": f"staff {k}",
                "setting": draw(st.sampled_from(staffed)),
                "start": _day(data, first),
                "change": draw(st.integers(-6, 6)) / 2.0,
            }
            if draw(st.booleans()):
                lever["end"] = _day(data, first + draw(st.integers(0, 40)))
            interventions.append(lever)

    destinations = [d for d in WINDOWED if d in settings]
    if "acute" in settings and "discharge" in data:
        destinations.insert(0, "home")
    windowed = draw(st.sets(st.sampled_from(destinations))) if destinations else set()
    if windowed:
        out["discharge_windows"] = {d: draw(windows()) for d in sorted(windowed)}
    if draw(st.booleans()) and destinations:
        first = draw(day)
        lever = {
            "type": "discharge_window",
            "name": "seven-day team",
            "start": _day(data, first),
            "destinations": draw(
                st.lists(st.sampled_from(destinations), min_size=1, max_size=2, unique=True)
            ),
            "window": draw(windows()),
        }
        if draw(st.booleans()):
            lever["end"] = _day(data, first + draw(st.integers(0, 40)))
        if "population" in data and draw(st.booleans()):
            names = [loc["name"] for loc in data["population"]["localities"]]
            lever["localities"] = [draw(st.sampled_from(names))]
        interventions.append(lever)

    if "acute" in settings and draw(st.booleans()):
        streams = []
        for k in range(draw(st.integers(1, 2))):
            stream: dict[str, Any] = {
                "name": f"list {k}",
                "per_weekday": draw(st.lists(st.integers(0, 3), min_size=7, max_size=7)),
                "admit_time": draw(st.sampled_from(CLOCKS)),
                "los": draw(lengths_of_stay()),
                "when_full": draw(st.sampled_from(["cancel", "queue"])),
            }
            if len(bands) > 1:
                stream["age_band"] = draw(st.sampled_from(bands))
            if draw(st.booleans()):
                first = draw(day)
                stream["start"] = _day(data, first)
                stream["end"] = _day(data, first + draw(st.integers(0, 60)))
            streams.append(stream)
        out["electives"] = streams

    nothing_yet = not (staffed or windowed or "electives" in out)
    if nothing_yet or draw(st.integers(0, 3)) > 0:  # most examples escalate, and all others
        levels = [
            draw(escalation_levels(data, f"level {k}", staffed))
            for k in range(draw(st.integers(1, 3)))
        ]
        finite = sorted(s for s, v in settings.items() if v["capacity"] != "unlimited")
        plan: dict[str, Any] = {"check_time": draw(st.sampled_from(CLOCKS)), "levels": levels}
        if draw(st.booleans()) and finite:
            plan["max_extra_capacity"] = {draw(st.sampled_from(finite)): draw(st.integers(0, 5))}
        out["escalation"] = plan
        if draw(st.booleans()):
            first = draw(day)
            interventions.append(
                {
                    "type": "escalation_level",
                    "name": "winter",
                    "start": _day(data, first),
                    "end": _day(data, first + draw(st.integers(0, 40))),
                    "level": draw(escalation_levels(data, "winter level", staffed)),
                }
            )
    if interventions:
        out["interventions"] = interventions
    return out
