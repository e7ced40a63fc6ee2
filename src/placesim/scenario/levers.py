"""Policy levers as the planner writes them: dated, local changes to a scenario's parameters.

A planner writes the policy itself (`home_first`, `integrated_locality`, ...) in a
scenario's `interventions:` list; :func:`placesim.plan.compile_policy` turns the list into
daily arrays by locality and age band that demand and the engine read. Nothing here is
random: interventions act through the same pre-drawn numbers as the baseline (common
random numbers), so differences come from the policy. The order in which levers apply
is :mod:`placesim.plan.policy`'s (docs/interventions.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from placesim.scenario.fields import Date
from placesim.scenario.operations import DischargeWindow, EscalationLevel

__all__ = [
    "PILOT_DIVERSION",
    "CapacityChangeIntervention",
    "CareHomeSupport",
    "DemandChange",
    "DischargeWindowChange",
    "EscalationLevelChange",
    "HomeFirst",
    "IntegratedLocality",
    "Intervention",
    "Lever",
    "LocalityRollout",
    "Phase",
    "StaffLever",
]

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]

# Relative falls in emergency admissions in the Health Village pilot against the other
# localities (ref P24): all ages -2.8%, 65+ -1.6%, 85+ -1.3%. 0-64 solved from the all-ages
# figure with 49.6% of admissions aged 65+ (ref P5): (2.8 - 0.496 x 1.6) / 0.504 = 4.0%.
# 65-74 and 75-84 take the 65+ figure. Derivation in docs/interventions.md.
PILOT_DIVERSION: dict[str, float] = {"0-64": 0.040, "65-74": 0.016, "75-84": 0.016, "85+": 0.013}


class Lever(BaseModel):
    """What every dated lever has: when it acts, how fast it ramps up and where."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, description="A label for reports.")
    start: Date = Field(description="First day the lever acts (its go-live date).")
    end: Date | None = Field(default=None, description="Last day it acts (default: to the end).")
    ramp_up_days: float = Field(
        default=0.0,
        ge=0.0,
        allow_inf_nan=False,
        description="Days over which the effect grows linearly from 0 to full.",
    )
    localities: list[str] | None = Field(
        default=None, description="Localities it applies to (default: all)."
    )
    partnerships: list[str] | None = Field(
        default=None, description="Partnerships it applies to (default: all)."
    )


class HomeFirst(Lever):
    """Home First / discharge to assess: fewer bed-based discharges, assessment at home."""

    type: Literal["home_first"]
    p2_to_p1: Share = Field(
        default=0.2, description="Share of P2 (intermediate-care bed) discharges sent to P1."
    )
    p3_to_p2: Share = Field(
        default=0.2, description="Share of P3 (care-home) discharges sent to P2."
    )
    p3_to_p1: Share = Field(default=0.5, description="Share of P3 discharges sent to P1.")
    assessment_reduction: Share = Field(
        default=0.5,
        description="Share cut from the assessment days between medically ready and leaving "
        "acute (assessment moves home).",
    )
    intermediate_care_los_reduction: Share = Field(
        default=0.2, description="Share cut from intermediate-care stays."
    )


class _LocalityEffects(BaseModel):
    """What an integrated locality team changes for its residents."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    admission_diversion: dict[str, Share] = Field(
        default_factory=lambda: dict(PILOT_DIVERSION),
        description="Share of acute-bound crises diverted, by age band (or `all`); default "
        "from the Health Village pilot (ref P24).",
    )
    effect_scale: float = Field(
        default=1.0,
        ge=0.0,
        allow_inf_nan=False,
        description="Multiplier on every band's admission_diversion: 1 is the table as "
        "written. The pilot measured one effect, so doubt about its size is one range "
        "here (docs/uncertainty.md), not one per band.",
    )
    to_rapid_response: Share = Field(
        default=0.5,
        description="Of the diverted, the share sent to rapid response (the rest: virtual ward).",
    )
    acute_los_reduction: Share = Field(
        default=0.0, description="Share cut from acute stays of the locality's residents."
    )
    home_shift: Share = Field(
        default=0.0, description="Share of P1-P3 discharges of its residents sent home (P0)."
    )


class IntegratedLocality(_LocalityEffects, Lever):
    """An integrated locality team: fewer admissions, shorter stays, more people home."""

    type: Literal["integrated_locality"]


class Phase(BaseModel):
    """One go-live step of a roll-out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Date = Field(description="Go-live date of this phase's localities.")
    localities: list[str] | None = Field(
        default=None, description="Localities that go live (or give partnerships)."
    )
    partnerships: list[str] | None = Field(
        default=None, description="Partnerships whose localities go live."
    )


class LocalityRollout(_LocalityEffects):
    """A phased roll-out of integrated locality teams (the Place Plan, ref P25)."""

    type: Literal["locality_rollout"]
    name: str | None = Field(default=None, description="A label for reports.")
    phases: list[Phase] = Field(min_length=1, description="Go-live steps, each with its date.")
    ramp_up_days: float = Field(
        default=0.0,
        ge=0.0,
        allow_inf_nan=False,
        description="Days over which each phase's effect grows linearly from 0 to full.",
    )

    def expand(self) -> list[IntegratedLocality]:
        """One integrated-locality lever per phase, with the roll-out's effects."""
        effects = {name: getattr(self, name) for name in _LocalityEffects.model_fields}
        return [
            IntegratedLocality(
                type="integrated_locality",
                name=f"{self.name or 'rollout'} phase {i + 1}",
                start=phase.start,
                ramp_up_days=self.ramp_up_days,
                localities=phase.localities,
                partnerships=phase.partnerships,
                **effects,
            )
            for i, phase in enumerate(self.phases)
        ]


class CareHomeSupport(Lever):
    """Integrated care-home support (named GP, red bag, upskilled staff): fewer admissions."""

    type: Literal["care_home_support"]
    admission_reduction: Share = Field(
        default=0.2,
        description="Share of care-home residents' acute-bound crises that no longer become "
        "admissions [E: no reference row; an assumption to test].",
    )
    to_rapid_response: Share = Field(
        default=0.0,
        description="Of those, the share seen by rapid response (the rest: managed in the home).",
    )


class CapacityChangeIntervention(Lever):
    """Places added (or removed) in a setting between two dates; several stack."""

    type: Literal["capacity_change"]
    setting: Literal[
        "acute", "rapid_response", "virtual_ward", "intermediate_care", "reablement", "care_home"
    ]
    change: int = Field(description="Places added (negative: removed) while it acts.")


class DemandChange(Lever):
    """A multiplier on crisis rates (a flu surge; social prescribing, ref P26)."""

    type: Literal["demand_change"]
    factor: float = Field(ge=0.0, allow_inf_nan=False, description="Multiplier on crisis rates.")
    age_bands: list[str] | None = Field(default=None, description="Age bands (default: all).")
    residence: Literal["home", "care_home"] | None = Field(
        default=None, description="Residence (default: both)."
    )


class StaffLever(Lever):
    """Staff time added to (or taken from) a home-based service's workforce; several stack.

    The workforce is one pool per service: staff added for a partnership's localities
    (a roll-out's reablement hours) join that pool.
    """

    type: Literal["staff_change"]
    setting: Literal["rapid_response", "virtual_ward", "reablement"]
    change: float = Field(
        allow_inf_nan=False,
        description="Visits or hours a day added (negative: removed), in the workforce's unit.",
    )


class DischargeWindowChange(Lever):
    """New discharge hours for people of some localities (a seven-day discharge team)."""

    type: Literal["discharge_window"]
    destinations: list[Literal["home", "intermediate_care", "reablement", "care_home"]] = Field(
        min_length=1, description="Where the window applies (home: acute discharges home)."
    )
    window: DischargeWindow = Field(description="The days and hours while the lever acts.")


class EscalationLevelChange(Lever):
    """An escalation level added to the plan between two dates (a winter plan's extra level)."""

    type: Literal["escalation_level"]
    level: EscalationLevel = Field(description="The level, as in escalation.levels.")


Intervention = Annotated[
    HomeFirst
    | IntegratedLocality
    | LocalityRollout
    | CareHomeSupport
    | CapacityChangeIntervention
    | DemandChange
    | StaffLever
    | DischargeWindowChange
    | EscalationLevelChange,
    Field(discriminator="type"),
]
