"""The Joint Outcomes Framework: the outcomes the partners agreed, and their costs.

Every outcome is counted in the reporting window [0, horizon) of each replication, from the
stays table (:func:`placesim.measures.tables.stays_table`), for the whole place or by locality or
partnership, then summarised over replications like the measures (mean and Student-t
interval). The definitions live in one table, :data:`OUTCOMES`, which docs/outcomes.md
follows (a test holds the two together). Where the scenario gives unit costs (its
``costs`` section), each costed row also gets its cost: the row's value x its unit cost.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from placesim.measures.statistics import t_interval
from placesim.measures.tables import group_labels, group_measures
from placesim.plan import Plan
from placesim.plan.compiled import older_bands

__all__ = [
    "CONTEXT",
    "HIGHER_IS_BETTER",
    "LOWER_IS_BETTER",
    "OUTCOMES",
    "OutcomeDefinition",
    "outcome_definitions",
    "population_65_plus",
    "replication_outcomes",
    "summarise_outcomes",
    "supported_discharges",
]

LOWER_IS_BETTER = "lower is better"
HIGHER_IS_BETTER = "higher is better"
CONTEXT = "context"
"""Direction of an outcome that is neither good nor bad in itself: read it with the others."""

PER_100K = 100_000.0


class OutcomeDefinition(NamedTuple):
    """One row of the outcomes table.

    Attributes
    ----------
    name
        Stable snake_case name (scripts rely on it).
    unit
        Unit of the value.
    direction
        ``"lower is better"``, ``"higher is better"`` or ``"context"``.
    unit_cost
        The field of the scenario's ``costs`` that prices the row (cost = value x unit
        cost), or None if the row is not costed.
    framework
        True for the Joint Outcomes Framework's own measures; False for the rows added to
        carry a cost or to explain the others.
    description
        The definition, as docs/outcomes.md gives it.
    """

    name: str
    unit: str
    direction: str
    unit_cost: str | None
    framework: bool
    description: str


OUTCOMES: tuple[OutcomeDefinition, ...] = (
    OutcomeDefinition(
        "admissions_into_hospital",
        "admissions",
        LOWER_IS_BETTER,
        None,
        True,
        "Acute (non-elective) admissions: acute stays begun in the window, whatever the way "
        "in (crisis, referral, overflow, escalation, readmission). People already in a bed "
        "at the start are not admissions.",
    ),
    OutcomeDefinition(
        "admissions_from_care_homes",
        "admissions",
        LOWER_IS_BETTER,
        None,
        True,
        "Acute admissions (as above) of people who live in a care home.",
    ),
    OutcomeDefinition(
        "non_elective_bed_days",
        "bed days",
        LOWER_IS_BETTER,
        "acute_bed_day",
        True,
        "Time spent in acute beds inside the window, clipped at its edges (delayed days included).",
    ),
    OutcomeDefinition(
        "delayed_acute_bed_days",
        "bed days",
        LOWER_IS_BETTER,
        "acute_delayed_bed_day",
        False,
        "The part of the non-elective bed days spent after medically ready, waiting to "
        "leave (delayed discharge).",
    ),
    OutcomeDefinition(
        "intermediate_care_admissions",
        "admissions",
        CONTEXT,
        None,
        True,
        "Admissions to intermediate-care beds (stays begun in the window). Neither good nor "
        "bad alone: Home First wants fewer people in beds (P2) and more at home (P1), but a "
        "step-up admission that avoids a hospital stay is a success.",
    ),
    OutcomeDefinition(
        "intermediate_care_bed_days",
        "bed days",
        CONTEXT,
        "intermediate_care_bed_day",
        False,
        "Time spent in intermediate-care beds inside the window, clipped at its edges.",
    ),
    OutcomeDefinition(
        "reablement_packages_started",
        "packages",
        HIGHER_IS_BETTER,
        "reablement_episode",
        True,
        "Home-based reablement packages begun in the window. Higher is better: more people "
        "get a chance to regain independence at home instead of going into long-term care.",
    ),
    OutcomeDefinition(
        "reablement_days",
        "package days",
        CONTEXT,
        "reablement_day",
        False,
        "Time spent in reablement inside the window, clipped at its edges.",
    ),
    OutcomeDefinition(
        "new_home_care_packages",
        "packages",
        LOWER_IS_BETTER,
        None,
        True,
        "Reablement packages that ended in the window with a long-term home-care package "
        "(including packages under way at the start).",
    ),
    OutcomeDefinition(
        "new_care_home_placements_per_100k",
        "per 100,000 aged 65+",
        LOWER_IS_BETTER,
        None,
        True,
        "Care-home placements begun in the window for people aged 65+, per 100,000 people "
        "aged 65+ at start_date (ASCOF 2A convention; over the window, not a year). NaN "
        "without a population.",
    ),
    OutcomeDefinition(
        "care_home_bed_days",
        "bed days",
        CONTEXT,
        "care_home_bed_day",
        False,
        "Time spent in the care-home placements the model makes, inside the window.",
    ),
    OutcomeDefinition(
        "supported_discharges_to_long_term_care_pct",
        "%",
        LOWER_IS_BETTER,
        None,
        True,
        "Of acute discharges in the window on pathways P1-P3 (to reablement, intermediate "
        "care or a care home) whose journey's end is known, the share whose journey ends in "
        "a care-home placement or a new home-care package.",
    ),
    OutcomeDefinition(
        "rapid_response_days",
        "caseload days",
        CONTEXT,
        "rapid_response_day",
        False,
        "Time people spent on the rapid-response caseload inside the window.",
    ),
    OutcomeDefinition(
        "virtual_ward_bed_days",
        "bed days",
        CONTEXT,
        "virtual_ward_day",
        False,
        "Time people spent on the virtual ward inside the window.",
    ),
)
"""Every outcome: name, unit, direction, unit cost, whether the framework names it, and
its definition. Names are stable; rows are in report order."""

_DEFINITION = {o.name: o for o in OUTCOMES}
_SUPPORTED_PATHWAYS = ("reablement", "intermediate_care", "care_home")


def outcome_definitions() -> pd.DataFrame:
    """The outcomes table as a DataFrame (one row per outcome, columns as
    :class:`OutcomeDefinition`)."""
    return pd.DataFrame(OUTCOMES, columns=list(OutcomeDefinition._fields))


def population_65_plus(plan: Plan) -> pd.DataFrame:
    """People aged 65+ by locality at start_date (before growth), as ASCOF 2A counts them.

    A band counts as 65+ when its label starts at 65 or above ("65-74", "85+"); a band
    such as "60-69" that straddles 65 does not count.

    Returns
    -------
    pandas.DataFrame
        Columns locality, partnership, people; empty if the scenario has no population.
    """
    n = len(plan.older_people)
    return pd.DataFrame(
        {
            "locality": list(plan.localities[:n]),
            "partnership": list(plan.partnerships[:n]),
            "people": list(plan.older_people),
        }
    )


def _reps(stays: pd.DataFrame, replications: Iterable[int] | None) -> list[int]:
    if replications is None:
        return sorted(int(r) for r in stays["replication"].unique())
    return [int(r) for r in replications]


def _index(reps: list[int], by: str | None, labels: list[str]) -> pd.Index:
    if by is None:
        return pd.Index(reps, name="replication")
    return pd.MultiIndex.from_product([reps, labels], names=["replication", by])


def _keys(stays: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """The replication (and group, as text) of each stay: what outcomes are grouped by."""
    keys = {"replication": stays["replication"].to_numpy(dtype=np.int64)}
    if by is not None:
        keys[by] = stays[by].astype(str).to_numpy()
    return pd.DataFrame(keys)


def _count(keys: pd.DataFrame, mask: npt.NDArray[np.bool_], index: pd.Index) -> pd.Series:
    counts = keys[mask].groupby(list(keys.columns)).size()
    return counts.reindex(index, fill_value=0).astype(float)


def supported_discharges(
    stays: pd.DataFrame,
    horizon_days: float,
    by: str | None = None,
    replications: Iterable[int] | None = None,
    *,
    start_day: float = 0.0,
) -> pd.DataFrame:
    """Supported discharges from acute, and how many of them end in long-term care.

    A *supported discharge* is an acute stay that ends in the window [start_day, horizon_days)
    with ``next`` reablement (P1), intermediate care (P2) or care home (P3); people in a
    bed at the start count, as their discharge is in the window. Its *journey* is the rest
    of the same episode (same replication and episode; each setting is used at most once
    per episode). The journey *ends in long-term care* if the episode has a care-home stay
    (placed, or waiting for the place at the end of the run) or a reablement stay whose
    ``next`` is home_care. Its end is *known* if so, or if every stay of the episode has
    finished. Journeys still under way at the end of the run are left out of the
    percentage (censored) rather than counted either way. An escalation back to hospital
    ends the episode (the new admission is a new episode), so it does not count as
    long-term care.

    Parameters
    ----------
    stays
        A stays table; needs columns replication, episode, setting, leave, next (and `by`).
    horizon_days
        End of the window, days from start_date (the end of the reporting window, or of a
        period).
    by
        ``"locality"``, ``"partnership"`` or None for the whole place.
    replications
        The replications to report; default those in `stays`.
    start_day
        Start of the window, days from start_date.

    Returns
    -------
    pandas.DataFrame
        Columns replication, `by` (when given), supported_discharges, outcome_known,
        to_long_term_care, pct (100 x to_long_term_care / outcome_known; NaN when no
        supported discharge's outcome is known).
    """
    labels = group_labels(stays, by)
    reps = _reps(stays, replications)
    index = _index(reps, by, labels)
    setting = stays["setting"]
    nxt = stays["next"]
    leave = stays["leave"].to_numpy(dtype=float)
    ltc = ((setting == "care_home") | ((setting == "reablement") & (nxt == "home_care"))).to_numpy(
        dtype=bool
    )
    unfinished = nxt.isna().to_numpy(dtype=bool)
    flags = pd.DataFrame(
        {
            "replication": stays["replication"].to_numpy(dtype=np.int64),
            "episode": stays["episode"].to_numpy(dtype=np.int64),
            "ltc": ltc,
            "open": unfinished,
        }
    )
    journey = flags.groupby(["replication", "episode"], sort=False)[["ltc", "open"]].transform(
        "max"
    )
    ends_in_ltc = journey["ltc"].to_numpy(dtype=bool)
    known = ends_in_ltc | ~journey["open"].to_numpy(dtype=bool)
    supported = (
        (setting == "acute").to_numpy(dtype=bool)
        & np.isfinite(leave)
        & (leave >= start_day)
        & (leave < horizon_days)
        & nxt.isin(_SUPPORTED_PATHWAYS).to_numpy(dtype=bool)
    )
    keys = _keys(stays, by)
    out = pd.DataFrame(
        {
            "supported_discharges": _count(keys, supported, index),
            "outcome_known": _count(keys, supported & known, index),
            "to_long_term_care": _count(keys, supported & ends_in_ltc, index),
        }
    )
    known_n = out["outcome_known"]
    out["pct"] = 100.0 * out["to_long_term_care"] / known_n.where(known_n > 0)
    out = out.reset_index()
    if by is not None:
        out[by] = pd.Categorical(out[by], categories=labels)
    return out


def replication_outcomes(
    plan: Plan,
    stays: pd.DataFrame,
    by: str | None = None,
    replications: Iterable[int] | None = None,
    window: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Every outcome of :data:`OUTCOMES` per replication (and group), with its cost.

    Counts and bed days use the definitions of :func:`placesim.group_measures`,
    so they add up over localities (or partnerships) to the place; the rate and the
    percentage do not add up. An outcome about a setting the scenario does not model is
    NaN. ``new_care_home_placements_per_100k`` is NaN without a population, and for groups
    with no people aged 65+ (such as a referral stream's ``external`` locality).

    Parameters
    ----------
    scenario
        The scenario that was run (horizon, settings, population, costs).
    stays
        Its stays table.
    by
        ``"locality"``, ``"partnership"`` or None for the whole place.
    replications
        The replications to report; default those in `stays`.
    window
        [start, end) in days from start_date; default the reporting window.

    Returns
    -------
    pandas.DataFrame
        Columns replication, outcome, `by` (when given), value, and cost_gbp (value x the
        row's unit cost; NaN when not costed) only when the scenario has a ``costs``
        section.
    """
    labels = group_labels(stays, by)
    reps = _reps(stays, replications)
    index = _index(reps, by, labels)
    start, end = (0.0, plan.end_time) if window is None else window
    defined = plan.defined_settings()
    measures = group_measures(plan, stays, by, reps, window)
    key_names = list(index.names)
    if by is not None:
        measures[by] = measures[by].astype(str)
    nan = pd.Series(np.nan, index=index)

    def measure(name: str, setting: str) -> pd.Series:
        if setting not in defined:
            return nan
        rows = measures[(measures["measure"] == name) & (measures["setting"] == setting)]
        return rows.set_index(key_names)["value"].reindex(index)

    keys = _keys(stays, by)
    setting = stays["setting"]
    arrive = stays["arrive"].to_numpy(dtype=float)
    leave = stays["leave"].to_numpy(dtype=float)
    at_start = stays["at_start"].to_numpy(dtype=bool)
    came = np.isfinite(arrive) & ~at_start & (arrive >= start) & (arrive < end)
    left = np.isfinite(leave) & (leave >= start) & (leave < end)

    home_care = nan
    if "reablement" in defined:
        to_home_care = ((setting == "reablement") & (stays["next"] == "home_care")).to_numpy(
            dtype=bool
        )
        home_care = _count(keys, to_home_care & left, index)

    placements = nan
    if "care_home" in defined:
        older = stays["age_band"].astype(str).isin(older_bands(plan.age_bands))
        placed = (setting == "care_home").to_numpy(dtype=bool) & came & older.to_numpy(dtype=bool)
        people = _people_65_plus(plan, by, index)
        placements = PER_100K * _count(keys, placed, index) / people.where(people > 0)

    pct = nan
    if "acute" in defined:
        supported = supported_discharges(stays, end, by, reps, start_day=start)
        if by is not None:
            supported[by] = supported[by].astype(str)
        pct = supported.set_index(key_names)["pct"].reindex(index)

    values = {
        "admissions_into_hospital": measure("admissions", "acute"),
        "admissions_from_care_homes": measure("admissions_from_care_homes", "acute"),
        "non_elective_bed_days": measure("bed_days", "acute"),
        "delayed_acute_bed_days": measure("delayed_bed_days", "acute"),
        "intermediate_care_admissions": measure("admissions", "intermediate_care"),
        "intermediate_care_bed_days": measure("bed_days", "intermediate_care"),
        "reablement_packages_started": measure("admissions", "reablement"),
        "reablement_days": measure("bed_days", "reablement"),
        "new_home_care_packages": home_care,
        "new_care_home_placements_per_100k": placements,
        "care_home_bed_days": measure("bed_days", "care_home"),
        "supported_discharges_to_long_term_care_pct": pct,
        "rapid_response_days": measure("bed_days", "rapid_response"),
        "virtual_ward_bed_days": measure("bed_days", "virtual_ward"),
    }
    assert list(values) == [o.name for o in OUTCOMES]
    frames = []
    for o in OUTCOMES:
        frame = values[o.name].rename("value").reset_index()
        frame.insert(1, "outcome", o.name)
        if plan.costs is not None:
            unit_cost = getattr(plan.costs, o.unit_cost) if o.unit_cost else None
            frame["cost_gbp"] = frame["value"] * unit_cost if unit_cost is not None else np.nan
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    # Rows grouped by replication, then outcome in report order, then group.
    out = out.sort_values(["replication"], kind="stable").reset_index(drop=True)
    columns = ["replication", "outcome"] + ([by] if by is not None else [])
    columns += [c for c in ("value", "cost_gbp") if c in out.columns]
    out = out[columns]
    if by is not None:
        out[by] = pd.Categorical(out[by], categories=labels)
    return out


def _people_65_plus(plan: Plan, by: str | None, index: pd.Index) -> pd.Series:
    """People aged 65+ of the group of each row of `index` (NaN for unknown groups)."""
    pop = population_65_plus(plan)
    if by is None:
        total = float(pop["people"].sum()) if len(pop) else np.nan
        return pd.Series(total, index=index)
    per_group = pop.groupby(by)["people"].sum()
    groups = index.get_level_values(by)
    return pd.Series(groups.map(per_group.to_dict()).to_numpy(dtype=float), index=index)


def summarise_outcomes(
    outcomes: pd.DataFrame, confidence: float = 0.95, by: str | None = None
) -> pd.DataFrame:
    """Mean and Student-t confidence interval of each outcome (and cost) over replications.

    The same interval as :func:`placesim.measures.tables.summarise`; replications where an outcome
    is NaN are left out of it.

    Parameters
    ----------
    outcomes
        A table from :func:`replication_outcomes`.
    confidence
        Confidence level of the interval.
    by
        The group column of `outcomes`, or None.

    Returns
    -------
    pandas.DataFrame
        Columns outcome, `by` (when given), unit, direction, mean, ci_low, ci_high,
        replications, and cost_gbp_mean, cost_gbp_ci_low, cost_gbp_ci_high when `outcomes`
        has costs.
    """
    keys = ["outcome"] + ([by] if by is not None else [])
    costed = "cost_gbp" in outcomes.columns
    rows = []
    for key, g in outcomes.groupby(keys, sort=False, observed=True):
        d = _DEFINITION[str(key[0])]
        row = [*key, d.unit, d.direction, *t_interval(g["value"], confidence)]
        if costed:
            row += list(t_interval(g["cost_gbp"], confidence)[:3])
        rows.append(row)
    columns = [*keys, "unit", "direction", "mean", "ci_low", "ci_high", "replications"]
    if costed:
        columns += ["cost_gbp_mean", "cost_gbp_ci_low", "cost_gbp_ci_high"]
    return pd.DataFrame(rows, columns=columns)
