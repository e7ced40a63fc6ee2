"""Checks across the fields of a parsed scenario.

pydantic checks each value on its own; :func:`check_scenario` checks what needs the whole
scenario (age-band keys, shares summing to 1, dates inside the horizon, routes to settings
that exist). Every message names the field path, the value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from placesim.scenario.levers import (
    CapacityChangeIntervention,
    CareHomeSupport,
    DemandChange,
    DischargeWindowChange,
    EscalationLevelChange,
    HomeFirst,
    IntegratedLocality,
    LocalityRollout,
    StaffLever,
)
from placesim.scenario.messages import clip, did_you_mean, listing
from placesim.scenario.operations import EscalationLevel, clock_hours
from placesim.scenario.routes import OUTCOME_ROUTES, PATHWAY_ROUTES
from placesim.scenario.schema import Scenario

__all__ = ["check_scenario", "scenario_warnings"]

_SUM_TOLERANCE = 1e-6

_SETTING_NAMES = frozenset(
    ("acute", "rapid_response", "virtual_ward", "intermediate_care", "reablement", "care_home")
)


def _setting_or_none(destination: str) -> str | None:
    """The setting a destination is, or None if it leaves the modelled services."""
    return destination if destination in _SETTING_NAMES else None


def _check_sum(problems: list[str], path: str, shares: Mapping[str, float]) -> None:
    total = math.fsum(shares.values())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        parts = ", ".join(f"{k} {v:g}" for k, v in shares.items())
        problems.append(f"{path}: shares must sum to 1, but {parts} sum to {total:.6g}")


def _check_band_keys(
    problems: list[str], path: str, table: Mapping[str, Any], bands: Sequence[str], *, full: bool
) -> None:
    keys = list(table)
    if "all" in table and len(keys) > 1:
        problems.append(f"{path}: give either 'all' or one entry per age band, not both")
        return
    known = set(bands)
    for key in keys:
        if key != "all" and key not in known:
            problems.append(
                f"{path}: age band '{clip(key)}' is not one of the scenario's bands "
                f"({listing(bands)}){did_you_mean(key, bands, 0.5)}"
            )
    if full and "all" not in table:
        missing = [b for b in bands if b not in table]
        if missing:
            problems.append(f"{path}: missing age band(s) {listing(missing)} (or give 'all')")


def _check_route(
    problems: list[str], path: str, share: float, target: str | None, defined: Mapping[str, Any]
) -> None:
    if target is not None and share > 0 and target not in defined:
        problems.append(
            f"{path}: share {share:g} sends people to '{target}', which the scenario does not "
            f"define (add settings.{target} or set this share to 0)"
        )


def check_scenario(sc: Scenario) -> list[str]:
    """Every cross-field problem in a parsed scenario, as plain messages (empty if none)."""
    problems: list[str] = []
    bands = sc.age_bands
    defined = sc.settings.defined()
    cal = sc.calendar
    first_day = cal.sim_start_date
    last_day = cal.end_date

    if not defined:
        problems.append("settings: no setting is defined; define at least one")

    repeated = sorted(b for b, k in Counter(bands).items() if k > 1)
    if repeated:
        problems.append(f"population.age_bands: repeated labels {listing(repeated)}")
    if "all" in bands and len(bands) > 1:
        problems.append("population.age_bands: 'all' is reserved for the single-band case")

    if sc.population is not None:
        _check_population(problems, sc, bands)
        if sc.demand is None:
            problems.append("demand: is required when the scenario has a population")
        if sc.triage is None:
            problems.append("triage: is required when the scenario has a population")
    else:
        if sc.demand is not None:
            problems.append("demand: needs a population (add `population:` or remove `demand:`)")
        census = any(s.occupied or s.waiting or s.elapsed_days for s in sc.initial_state.values())
        if not sc.referrals and not sc.electives and not census:
            problems.append(
                "population: a scenario with no population needs referrals, electives or an "
                "initial state"
            )

    if sc.demand is not None:
        rates = sc.demand.crisis_rate_per_person_year
        _check_band_keys(
            problems, "demand.crisis_rate_per_person_year.home", rates.home, bands, full=True
        )
        _check_band_keys(
            problems,
            "demand.crisis_rate_per_person_year.care_home",
            rates.care_home,
            bands,
            full=False,
        )
        season = sc.demand.seasonality
        if season is not None and (season.monthly is None) == (season.annual_curve is None):
            problems.append("demand.seasonality: give exactly one of 'monthly' or 'annual_curve'")

    if sc.triage is not None:
        for residence in ("home", "care_home"):
            table = getattr(sc.triage, residence)
            base = f"triage.{residence}"
            _check_band_keys(problems, base, table, bands, full=residence == "home")
            for band, shares in table.items():
                path = f"{base}.{band}"
                _check_sum(problems, path, shares.model_dump())
                for key in ("rapid_response", "virtual_ward", "acute"):
                    _check_route(problems, f"{path}.{key}", getattr(shares, key), key, defined)
        if sc.population is not None and sc.demand is not None:
            _check_care_home_tables(problems, sc)

    for name, setting in defined.items():
        base = f"settings.{name}"
        if setting.when_full == "overflow_to_acute":
            if name not in ("rapid_response", "virtual_ward"):
                problems.append(
                    f"{base}.when_full: 'overflow_to_acute' is not allowed here: only rapid "
                    "response and virtual ward overflow to acute; use 'queue'"
                )
            elif "acute" not in defined:
                problems.append(f"{base}.when_full: overflows to acute, which is not defined")
        _check_band_keys(
            problems, f"{base}.los_by_age_band", setting.los_by_age_band, bands, full=False
        )
        previous: dt.date | None = None
        for i, change in enumerate(setting.capacity_changes):
            cpath = f"{base}.capacity_changes[{i}].date"
            if not first_day <= change.date <= last_day:
                problems.append(
                    f"{cpath}: {change.date} is outside the simulated period "
                    f"{first_day} to {last_day}"
                )
            if previous is not None and change.date <= previous:
                problems.append(f"{cpath}: {change.date} must be later than {previous}")
            previous = change.date
        if setting.capacity == "unlimited" and setting.capacity_changes:
            problems.append(f"{base}.capacity_changes: an unlimited setting cannot change capacity")
        outcomes = getattr(setting, "outcomes", None)
        if outcomes is not None:
            shares = outcomes.model_dump()
            _check_sum(problems, f"{base}.outcomes", shares)
            for key, dest in OUTCOME_ROUTES[name].items():
                target = _setting_or_none(dest)
                _check_route(problems, f"{base}.outcomes.{key}", shares[key], target, defined)

    _check_discharge(problems, sc, bands, defined)
    _check_referrals(problems, sc, bands, defined)
    _check_initial_state(problems, sc, defined)
    for name, window in sc.periods.items():
        if window.start < cal.start_date or window.end > last_day:
            problems.append(
                f"periods.{name}: {window.start} to {window.end} is not allowed: a period must "
                f"lie inside the reporting window, {cal.start_date} to {last_day}"
            )
    _check_interventions(problems, sc, bands, defined)
    _check_operations(problems, sc, bands, defined)
    return problems


def _check_setting_keys(
    problems: list[str], path: str, keys: Sequence[str], defined: Mapping[str, Any]
) -> None:
    for key in keys:
        if key not in defined:
            problems.append(
                f"{path}.{key}: '{clip(key)}' is not a setting of the scenario "
                f"({listing(list(defined)) or 'none'})"
            )


def _check_level(
    problems: list[str], path: str, level: EscalationLevel, sc: Scenario, defined: Mapping[str, Any]
) -> None:
    trigger = level.trigger
    if trigger.setting not in defined:
        problems.append(f"{path}.trigger.setting: '{trigger.setting}' is not defined in settings")
    elif trigger.measure == "occupancy_rate" and defined[trigger.setting].capacity == "unlimited":
        problems.append(
            f"{path}.trigger.measure: occupancy_rate is not allowed for '{trigger.setting}', "
            "whose capacity is unlimited; watch its census or waiting"
        )
    below = level.step_down.below
    if below is not None and below > trigger.at_least:
        problems.append(
            f"{path}.step_down.below: {below:g} is not allowed: must be at most the trigger's "
            f"at_least ({trigger.at_least:g}), or the level would step down while triggered"
        )
    _check_setting_keys(problems, f"{path}.add_capacity", list(level.add_capacity), defined)
    for name, places in level.add_capacity.items():
        if name in defined and places and defined[name].capacity == "unlimited":
            problems.append(
                f"{path}.add_capacity.{name}: '{name}' has unlimited capacity, which cannot grow"
            )
    for name in level.add_staff:
        if name not in sc.staff:
            problems.append(
                f"{path}.add_staff.{name}: '{name}' has no workforce in `staff:` to add to"
            )
    if level.start and level.end and level.end < level.start:
        problems.append(
            f"{path}.end: {level.end} is not allowed: must be on or after start {level.start}"
        )


def _check_operations(
    problems: list[str], sc: Scenario, bands: Sequence[str], defined: Mapping[str, Any]
) -> None:
    """Escalation, electives, staff and discharge windows name what the scenario has."""
    plan = sc.escalation
    if plan is not None:
        if clock_hours(plan.check_time) >= 24.0:
            problems.append(
                f"escalation.check_time: '{plan.check_time}' is not allowed: the daily check "
                "is at 00:00 to 23:59"
            )
        names = Counter(level.name for level in plan.levels)
        for i, level in enumerate(plan.levels):
            path = f"escalation.levels[{i}]"
            if names[level.name] > 1:
                problems.append(f"{path}.name: '{clip(level.name)}' is repeated; names must differ")
            _check_level(problems, path, level, sc, defined)
        _check_setting_keys(
            problems, "escalation.max_extra_capacity", list(plan.max_extra_capacity), defined
        )
        _check_setting_keys(
            problems, "escalation.place_day_cost", list(plan.place_day_cost), defined
        )
    counts = Counter(e.name for e in sc.electives)
    for i, stream in enumerate(sc.electives):
        base = f"electives[{i}]"
        if "acute" not in defined:
            problems.append(f"{base}: admits to acute, which is not defined")
        if counts[stream.name] > 1:
            problems.append(f"{base}.name: '{clip(stream.name)}' is repeated; names must differ")
        if stream.age_band is None:
            if len(bands) > 1:
                problems.append(
                    f"{base}.age_band: is required when the scenario has several age bands "
                    f"({listing(bands)})"
                )
        elif stream.age_band not in bands:
            problems.append(
                f"{base}.age_band: '{clip(stream.age_band)}' is not one of {listing(bands)}"
            )
        if stream.start and stream.end and stream.end < stream.start:
            problems.append(
                f"{base}.end: {stream.end} is not allowed: must be on or after start {stream.start}"
            )
    for name, workforce in sc.staff.items():
        if name not in defined:
            problems.append(f"staff.{name}: '{name}' is not defined in settings")
        previous: dt.date | None = None
        for k, change in enumerate(workforce.changes):
            if previous is not None and change.date <= previous:
                problems.append(
                    f"staff.{name}.changes[{k}].date: {change.date} must be later than {previous}"
                )
            previous = change.date
    for destination in sc.discharge_windows:
        if destination == "home":
            if "acute" not in defined or sc.discharge is None:
                problems.append(
                    "discharge_windows.home: applies to acute discharges home, but the scenario "
                    "has no acute setting with discharge pathways"
                )
        elif destination not in defined:
            problems.append(
                f"discharge_windows.{destination}: '{destination}' is not defined in settings"
            )
    plan_names = {level.name for level in plan.levels} if plan is not None else set()
    for i, lever in enumerate(sc.interventions):
        base = f"interventions[{i}]"
        if isinstance(lever, EscalationLevelChange) and lever.level.name in plan_names:
            problems.append(
                f"{base}.level.name: '{clip(lever.level.name)}' is a level of escalation.levels "
                "already; give the lever's level a name of its own"
            )
        plan_names |= {lever.level.name} if isinstance(lever, EscalationLevelChange) else set()
        if isinstance(lever, StaffLever) and lever.setting not in sc.staff:
            problems.append(
                f"{base}.setting: '{lever.setting}' has no workforce in `staff:` to change"
            )
        elif isinstance(lever, EscalationLevelChange):
            if sc.escalation is None:
                problems.append(
                    f"{base}: an escalation level needs an `escalation:` plan (its check time)"
                )
            _check_level(problems, f"{base}.level", lever.level, sc, defined)
            if lever.localities is not None or lever.partnerships is not None:
                problems.append(
                    f"{base}: escalation is place-wide: localities and partnerships are not "
                    "allowed here"
                )
        elif isinstance(lever, DischargeWindowChange):
            for destination in lever.destinations:
                if destination != "home" and destination not in defined:
                    problems.append(
                        f"{base}.destinations: '{destination}' is not defined in settings"
                    )


def _check_names(
    problems: list[str], path: str, given: Sequence[str] | None, known: Sequence[str], what: str
) -> None:
    known_set = set(known)
    for i, name in enumerate(given or []):
        if name not in known_set:
            problems.append(
                f"{path}[{i}]: {what} '{clip(name)}' is not in the scenario "
                f"({listing(known) or 'none'}){did_you_mean(name, known, 0.5)}"
            )


def _check_interventions(
    problems: list[str], sc: Scenario, bands: Sequence[str], defined: Mapping[str, Any]
) -> None:
    """Interventions name real localities, bands and settings, and send people somewhere."""
    pop = sc.population
    localities = [loc.name for loc in pop.localities] if pop else []
    partnerships = sorted({loc.partnership for loc in pop.localities}) if pop else []
    for i, lever in enumerate(sc.interventions):
        base = f"interventions[{i}]"
        targets: list[tuple[str, Any]] = (
            [(f"{base}.phases[{k}]", p) for k, p in enumerate(lever.phases)]
            if isinstance(lever, LocalityRollout)
            else [(base, lever)]
        )
        for path, target in targets:
            _check_names(problems, f"{path}.localities", target.localities, localities, "locality")
            _check_names(
                problems, f"{path}.partnerships", target.partnerships, partnerships, "partnership"
            )
        if not isinstance(lever, LocalityRollout) and lever.end and lever.end < lever.start:
            problems.append(
                f"{base}.end: {lever.end} is not allowed: must be on or after start {lever.start}"
            )
        if isinstance(lever, IntegratedLocality | LocalityRollout):
            band_set = set(bands)
            unknown = [k for k in lever.admission_diversion if k != "all" and k not in band_set]
            if unknown:
                problems.append(
                    f"{base}.admission_diversion: age band(s) {listing(unknown)} are not the "
                    f"scenario's bands ({listing(bands)}); give a share per band or 'all'"
                )
            largest = max(lever.admission_diversion.values(), default=0.0)
            if largest * lever.effect_scale > 1.0:
                problems.append(
                    f"{base}.effect_scale: {lever.effect_scale:g} is not allowed: times the "
                    f"largest admission_diversion ({largest:g}) it diverts more than all (1) "
                    "of the crises"
                )
            if any(v > 0 for v in lever.admission_diversion.values()):
                _check_diversion(problems, base, lever.to_rapid_response, defined, vw=True)
        elif isinstance(lever, CareHomeSupport):
            _check_diversion(problems, base, lever.to_rapid_response, defined, vw=False)
        elif isinstance(lever, HomeFirst):
            if lever.p3_to_p1 + lever.p3_to_p2 > 1.0:
                problems.append(
                    f"{base}.p3_to_p1: {lever.p3_to_p1:g} with p3_to_p2 {lever.p3_to_p2:g} "
                    "is not allowed: together they move at most all (1) of P3"
                )
            if (lever.p2_to_p1 > 0 or lever.p3_to_p1 > 0) and "reablement" not in defined:
                problems.append(f"{base}: moves discharges to P1, but reablement is not defined")
            if lever.p3_to_p2 > 0 and "intermediate_care" not in defined:
                problems.append(
                    f"{base}.p3_to_p2: moves discharges to P2, but intermediate_care is not defined"
                )
        elif isinstance(lever, CapacityChangeIntervention):
            if lever.localities is not None or lever.partnerships is not None:
                problems.append(
                    f"{base}: a capacity change is place-wide: localities and partnerships "
                    "are not allowed here"
                )
            if lever.ramp_up_days > 0:
                problems.append(
                    f"{base}.ramp_up_days: {lever.ramp_up_days:g} is not allowed: a capacity "
                    "change adds whole places from its start (stack several changes to phase it)"
                )
            if lever.setting not in defined:
                problems.append(f"{base}.setting: '{lever.setting}' is not defined in settings")
            elif defined[lever.setting].capacity == "unlimited":
                problems.append(
                    f"{base}.setting: '{lever.setting}' has unlimited capacity, which cannot change"
                )
        elif isinstance(lever, DemandChange):
            _check_names(problems, f"{base}.age_bands", lever.age_bands, bands, "age band")


def _check_diversion(
    problems: list[str], base: str, to_rr: float, defined: Mapping[str, Any], *, vw: bool
) -> None:
    if to_rr > 0 and "rapid_response" not in defined:
        problems.append(
            f"{base}.to_rapid_response: {to_rr:g} sends people to rapid response, which the "
            "scenario does not define"
        )
    if vw and to_rr < 1 and "virtual_ward" not in defined:
        problems.append(
            f"{base}.to_rapid_response: {to_rr:g} sends the rest to the virtual ward, which "
            "the scenario does not define (set it to 1)"
        )


def _check_population(problems: list[str], sc: Scenario, bands: Sequence[str]) -> None:
    assert sc.population is not None
    counts = Counter(loc.name for loc in sc.population.localities)
    for name in sorted(n for n, k in counts.items() if k > 1):
        problems.append(f"population.localities: locality name '{clip(name)}' is repeated")
    for i, loc in enumerate(sc.population.localities):
        base = f"population.localities[{i}]"
        _check_band_keys(problems, f"{base}.people", loc.people, bands, full=True)
        if "all" in loc.people and len(bands) > 1:
            problems.append(f"{base}.people: give people for each age band, not 'all'")
        _check_band_keys(
            problems, f"{base}.care_home_residents", loc.care_home_residents, bands, full=False
        )
        for band, residents in loc.care_home_residents.items():
            people = loc.people.get(band, loc.people.get("all", 0))
            if residents > people:
                problems.append(
                    f"{base}.care_home_residents.{band}: {residents} is not allowed: must be "
                    f"<= people.{band} ({people}), of whom care-home residents are a part"
                )


def _check_care_home_tables(problems: list[str], sc: Scenario) -> None:
    """Care-home residents need a crisis rate and triage shares for their bands."""
    assert sc.population is not None and sc.demand is not None and sc.triage is not None
    bands_with_residents = {
        band
        for loc in sc.population.localities
        for band, n in loc.care_home_residents.items()
        if n > 0
    }
    rates = sc.demand.crisis_rate_per_person_year.care_home
    triage = sc.triage.care_home
    for band in sorted(bands_with_residents):
        if band not in rates and "all" not in rates:
            problems.append(
                f"demand.crisis_rate_per_person_year.care_home: missing age band {band}, which "
                "has care-home residents"
            )
        if band not in triage and "all" not in triage and (band in rates or "all" in rates):
            problems.append(
                f"triage.care_home: missing age band {band}, which has care-home residents"
            )


def _check_discharge(
    problems: list[str], sc: Scenario, bands: Sequence[str], defined: Mapping[str, Any]
) -> None:
    if sc.discharge is None:
        if "acute" in defined:
            problems.append("discharge: is required when the scenario has an acute setting")
        return
    _check_band_keys(problems, "discharge.pathways", sc.discharge.pathways, bands, full=True)
    for band, shares in sc.discharge.pathways.items():
        path = f"discharge.pathways.{band}"
        values = shares.model_dump()
        _check_sum(problems, path, values)
        for key, dest in PATHWAY_ROUTES.items():
            _check_route(problems, f"{path}.{key}", values[key], _setting_or_none(dest), defined)
    readmit = sc.discharge.readmission.probability
    _check_band_keys(problems, "discharge.readmission.probability", readmit, bands, full=False)
    if any(p > 0 for p in readmit.values()) and "acute" not in defined:
        problems.append("discharge.readmission: readmits to acute, which is not defined")


def _check_referrals(
    problems: list[str], sc: Scenario, bands: Sequence[str], defined: Mapping[str, Any]
) -> None:
    counts = Counter(r.name for r in sc.referrals)
    band_set = set(bands)
    for i, ref in enumerate(sc.referrals):
        base = f"referrals[{i}]"
        if counts[ref.name] > 1:
            problems.append(
                f"{base}.name: '{clip(ref.name)}' is repeated; referral names must differ"
            )
        if ref.setting not in defined:
            problems.append(
                f"{base}.setting: '{ref.setting}' is not defined in settings "
                f"(defined: {', '.join(defined) or 'none'})"
            )
        if ref.age_band is None:
            if len(bands) > 1:
                problems.append(
                    f"{base}.age_band: is required when the scenario has several age bands "
                    f"({listing(bands)})"
                )
        elif ref.age_band not in band_set:
            problems.append(
                f"{base}.age_band: '{clip(ref.age_band)}' is not one of {listing(bands)}"
            )


def _check_initial_state(problems: list[str], sc: Scenario, defined: Mapping[str, Any]) -> None:
    for name, state in sc.initial_state.items():
        base = f"initial_state.{name}"
        setting = defined.get(name)
        if setting is None:
            problems.append(f"{base}: '{name}' is not defined in settings")
            continue
        if state.elapsed_days is not None:
            if state.remaining not in ("elapsed", "residual"):
                problems.append(
                    f"{base}.remaining: '{state.remaining}' does not go with elapsed_days; "
                    "use 'elapsed'"
                )
            if state.occupied not in (0, len(state.elapsed_days)):
                problems.append(
                    f"{base}.occupied: {state.occupied} does not match the "
                    f"{len(state.elapsed_days)} values of elapsed_days"
                )
        elif state.remaining == "elapsed":
            problems.append(f"{base}.elapsed_days: is required when remaining is 'elapsed'")
        # A census above the capacity is allowed: everyone in it holds a place, and the
        # setting admits nobody until it has drained below its capacity (docs/model.md).
        if state.waiting and setting.when_full == "overflow_to_acute":
            problems.append(
                f"{base}.waiting: {state.waiting} is not allowed: {name} overflows to acute, "
                "so nobody waits for it"
            )


def scenario_warnings(sc: Scenario) -> list[str]:
    """What is valid but probably not meant: levers and dated changes outside the run.

    A lever dated wholly outside the reporting window changes nothing, so a typo in a year
    would read as "the policy made no difference"; one partly outside acts only on the
    part inside. Each line names the lever, its dates and the window.
    """
    cal = sc.calendar
    first, last = cal.start_date, cal.end_date
    window = f"the run's reporting window, {first} to {last}"
    lines: list[str] = []
    for i, lever in enumerate(sc.interventions):
        label = f"interventions[{i}] ({lever.type}{f' {lever.name!r}' if lever.name else ''})"
        if isinstance(lever, LocalityRollout):
            for k, phase in enumerate(lever.phases):
                if phase.start > last:
                    lines.append(
                        f"{label}.phases[{k}]: goes live on {phase.start}, after {window}: "
                        "those localities never go live in this run"
                    )
            continue
        end = lever.end
        dates = f"{lever.start} to {end if end is not None else 'the end'}"
        if lever.start > last or (end is not None and end < first):
            lines.append(f"{label}: {dates} is wholly outside {window}: it changes nothing")
        elif lever.start < first or (end is not None and end > last):
            acts_from = max(lever.start, first)
            acts_to = min(end, last) if end is not None else last
            lines.append(
                f"{label}: {dates} is partly outside {window}: only {acts_from} to {acts_to} "
                "is measured"
            )
    for name, setting in sc.settings.defined().items():
        for k, change in enumerate(setting.capacity_changes):
            if change.date > last:
                lines.append(
                    f"settings.{name}.capacity_changes[{k}]: dated {change.date}, after {window}: "
                    "it changes nothing"
                )
    lines += _operations_warnings(sc)
    return lines


def _operations_warnings(sc: Scenario) -> list[str]:
    """Escalation levels that can never act as written."""
    levels = [
        (f"escalation.levels[{k}]", lv)
        for k, lv in enumerate(sc.escalation.levels if sc.escalation else [])
    ]
    levels += [
        (f"interventions[{i}].level", lv.level)
        for i, lv in enumerate(sc.interventions)
        if isinstance(lv, EscalationLevelChange)
    ]
    lines = []
    for path, level in levels:
        trigger = level.trigger
        if trigger.measure == "occupancy_rate" and trigger.at_least > 1.0:
            lines.append(
                f"{path}.trigger.at_least: {trigger.at_least:g} is above 1: people in place "
                "exceed the places only while a capacity drop takes effect, so the level will "
                "hardly ever start"
            )
        if level.cancel_electives > 0 and not sc.electives:
            lines.append(
                f"{path}.cancel_electives: {level.cancel_electives:g} cancels electives, but "
                "the scenario has none (`electives:`)"
            )
    return lines
