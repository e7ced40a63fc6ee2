"""How a place runs its services day to day: escalation plans, electives, staff and
discharge hours.

Each part is optional; a scenario without it runs exactly as before (docs/model.md,
"Operations"). Nothing here is random: the engine applies these rules to the same pre-drawn
people, so a winter plan's effect is a paired difference.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from placesim.scenario.distributions import Distribution
from placesim.scenario.fields import Date

__all__ = [
    "DAY_NAMES",
    "WINDOW_DESTINATIONS",
    "DischargeWindow",
    "ElectiveStream",
    "Escalation",
    "EscalationLevel",
    "StaffChange",
    "StepDown",
    "Trigger",
    "Workforce",
    "clock_hours",
    "window_days",
]

DAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WINDOW_DESTINATIONS: tuple[str, ...] = ("home", "intermediate_care", "reablement", "care_home")
"""Where a discharge window applies: acute discharges home (P0), and the starts of
intermediate care, reablement and care-home placements moved on from another setting."""

StaffedSetting = Literal["rapid_response", "virtual_ward", "reablement"]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Places = Annotated[int, Field(ge=0)]

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _quoted_time(value: object) -> object:
    # YAML 1.1 reads an unquoted 8:00 as the base-60 number 480.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f"{value} is not allowed: write a time of day in quotes, as '08:00' (unquoted, "
            "YAML reads 8:00 as the number 480)"
        )
    return value


ClockTime = Annotated[str, BeforeValidator(_quoted_time)]
"""A time of day written "HH:MM", in quotes."""


def clock_hours(text: str) -> float:
    """Hours after midnight of a clock time "HH:MM" (00:00 to 24:00)."""
    match = _CLOCK.match(text)
    if not match:
        raise ValueError(f"{text!r} is not allowed: write a time of day as HH:MM, e.g. 08:00")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{text!r} is not allowed: a time of day is 00:00 to 24:00")
    return hours + minutes / 60.0


def window_days(days: str | list[str]) -> tuple[bool, ...]:
    """Which weekdays (Mon..Sun) a list of day names, ``all`` or ``weekdays`` names."""
    if isinstance(days, str):
        if days == "all":
            return (True,) * 7
        if days == "weekdays":
            return (True,) * 5 + (False,) * 2
        days = [days]
    unknown = [d for d in days if d not in DAY_NAMES]
    if unknown:
        raise ValueError(
            f"{unknown[0]!r} is not allowed: days are 'all', 'weekdays' or a list of "
            f"{', '.join(DAY_NAMES)}"
        )
    return tuple(name in days for name in DAY_NAMES)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DischargeWindow(_Model):
    """Days and hours in which a move may take place, e.g. Monday-Friday 09:00-17:00."""

    days: str | list[str] = Field(
        default="all", description="'all', 'weekdays', or a list of Mon, Tue, ... Sun."
    )
    hours: ClockTime = Field(default="00:00-24:00", description="Opening hours, HH:MM-HH:MM.")

    @field_validator("days")
    @classmethod
    def _known_days(cls, days: str | list[str]) -> str | list[str]:
        if not any(window_days(days)):
            raise ValueError("no day is open: give at least one day")
        return days

    @field_validator("hours")
    @classmethod
    def _opening_hours(cls, hours: str) -> str:
        opens, sep, closes = hours.partition("-")
        if not sep:
            raise ValueError(f"{hours!r} is not allowed: write opening hours as 09:00-17:00")
        if clock_hours(opens) >= clock_hours(closes):
            raise ValueError(f"{hours!r} is not allowed: the window must close after it opens")
        return hours

    def open_close(self) -> tuple[float, float]:
        """Opening and closing time as fractions of a day."""
        opens, _, closes = self.hours.partition("-")
        return clock_hours(opens) / 24.0, clock_hours(closes) / 24.0


class StaffChange(_Model):
    """A dated change of a workforce (visits or hours a day from this date on)."""

    date: Date = Field(description="The day the new workforce applies from.")
    per_day: NonNegative | list[NonNegative] = Field(
        description="Visits or hours a day: one figure, or seven (Mon..Sun)."
    )

    @field_validator("per_day")
    @classmethod
    def _seven(cls, value: float | list[float]) -> float | list[float]:
        return _seven_days(value)


def _seven_days(value: float | list[float]) -> float | list[float]:
    if isinstance(value, list) and len(value) != 7:
        raise ValueError(f"{len(value)} figures is not allowed: give one, or seven (Mon..Sun)")
    return value


class Workforce(_Model):
    """The staff time of a home-based service, and each person's need of it (IPACS's visit
    model, ref Q15-Q16): a person starts only when the day's spare time covers their first
    day's need."""

    unit: Literal["visits", "hours"] = Field(
        default="visits", description="What per_day counts: visits, or staff hours."
    )
    per_day: NonNegative | list[NonNegative] = Field(
        description="Visits or hours the workforce gives a day: one figure, or seven (Mon..Sun)."
    )
    changes: list[StaffChange] = Field(
        default_factory=list, description="Dated changes of per_day (a recruitment, a cut)."
    )
    first_day_visits: NonNegative = Field(
        description="Visits a person needs on the first day of a stay (IPACS: 4, ref Q15)."
    )
    last_day_visits: NonNegative = Field(
        description="Visits on the last day; the need tapers linearly in between (IPACS: 1)."
    )
    visit_hours: Positive | None = Field(
        default=None,
        description="Staff hours a visit takes, travel included (needed when unit is hours, "
        "and for whole-time equivalents).",
    )
    wte_hours_per_week: Positive = Field(
        default=37.5,
        description="Hours a week of one whole-time equivalent (Agenda for Change, ref Q18).",
    )

    @field_validator("per_day")
    @classmethod
    def _seven(cls, value: float | list[float]) -> float | list[float]:
        return _seven_days(value)

    @model_validator(mode="after")
    def _hours_need_a_visit_length(self) -> Workforce:
        if self.unit == "hours" and self.visit_hours is None:
            raise ValueError("unit 'hours' needs visit_hours: the staff hours one visit takes")
        return self


class ElectiveStream(_Model):
    """Planned (elective) admissions into acute beds, scheduled by weekday."""

    name: str = Field(min_length=1, description="A label for the stream (unique).")
    per_weekday: list[Places] = Field(
        min_length=7, max_length=7, description="Admissions scheduled each day, Mon..Sun."
    )
    admit_time: ClockTime = Field(
        default="08:00", description="Time of day they are admitted, HH:MM."
    )
    los: Distribution = Field(description="Length of stay until ready to leave, in days.")
    age_band: str | None = Field(
        default=None, description="Age band of the patients (needed with several bands)."
    )
    locality: str = Field(default="elective", description="Locality label for reporting.")
    start: Date | None = Field(default=None, description="First day scheduled (default: all).")
    end: Date | None = Field(default=None, description="Last day scheduled (default: all).")
    when_full: Literal["cancel", "queue"] = Field(
        default="cancel",
        description="cancel: no free bed on the day cancels the operation (counted); queue: "
        "wait for a bed like an emergency.",
    )

    @field_validator("admit_time")
    @classmethod
    def _clock(cls, value: str) -> str:
        if clock_hours(value) >= 24.0:
            raise ValueError(f"{value!r} is not allowed: admissions are at 00:00 to 23:59")
        return value


Measure = Literal["occupancy_rate", "census", "waiting"]


class Trigger(_Model):
    """When a level starts: a setting's measure at or above a threshold at the daily check,
    on `for_days` consecutive checks."""

    setting: Literal[
        "acute", "rapid_response", "virtual_ward", "intermediate_care", "reablement", "care_home"
    ] = Field(description="The setting watched.")
    measure: Measure = Field(
        description="occupancy_rate (people in place / capacity in force), census (people in "
        "place) or waiting (people waiting for a place)."
    )
    at_least: NonNegative = Field(description="Threshold: the level starts at or above it.")
    for_days: Annotated[int, Field(ge=1)] = Field(
        default=1, description="Consecutive daily checks the condition must hold."
    )


class StepDown(_Model):
    """When a level stops: the trigger's measure below a threshold on consecutive checks."""

    below: NonNegative | None = Field(
        default=None, description="Threshold (default: the trigger's at_least)."
    )
    for_days: Annotated[int, Field(ge=1)] = Field(
        default=1, description="Consecutive daily checks the measure must stay below it."
    )


class EscalationLevel(_Model):
    """One level of a winter plan: its trigger, what it does, when it stops, and its limits."""

    name: str = Field(min_length=1, description="A label, such as 'OPEL 3'.")
    trigger: Trigger
    step_down: StepDown = Field(default_factory=StepDown)
    add_capacity: dict[str, Places] = Field(
        default_factory=dict,
        description="Places opened by setting while the level holds (escalation beds, spot "
        "care-home or intermediate-care placements).",
    )
    open_after_days: NonNegative = Field(
        default=0.0, description="Days from the trigger until the added places open."
    )
    add_staff: dict[StaffedSetting, NonNegative] = Field(
        default_factory=dict,
        description="Visits or hours a day added to a workforce, from the day after the trigger.",
    )
    assessment_days_factor: NonNegative = Field(
        default=1.0,
        description="Multiplier on assessment days of discharges that start assessment while "
        "the level holds (0.5 halves them).",
    )
    cancel_electives: Share = Field(
        default=0.0, description="Share of elective admissions cancelled while the level holds."
    )
    cost_per_day: NonNegative = Field(
        default=0.0, description="Cost of a day at this level (staff, management), GBP."
    )
    max_days_per_year: Annotated[int, Field(ge=1)] | None = Field(
        default=None,
        description="Most days a financial year (April-March) the level may hold; then it "
        "steps down until the next year.",
    )
    start: Date | None = Field(default=None, description="First day the level may trigger.")
    end: Date | None = Field(default=None, description="Last day it may hold.")


class Escalation(_Model):
    """A place's escalation plan (OPEL-style triggers, ref Q1-Q4): levels checked once a day.

    Each level starts and stops on its own; the place's level on a day is the highest
    level holding after that day's check.
    """

    check_time: ClockTime = Field(default="08:00", description="Time of the daily check, HH:MM.")
    levels: list[EscalationLevel] = Field(
        default_factory=list,
        description="The levels, lowest first (levers may add dated levels of their own).",
    )
    max_extra_capacity: dict[str, Places] = Field(
        default_factory=dict,
        description="Most places all levels together may add, by setting (default: no limit).",
    )
    place_day_cost: dict[str, NonNegative] = Field(
        default_factory=dict,
        description="Cost of one added place for one day, by setting, GBP (an escalation bed, "
        "a spot placement).",
    )

    @field_validator("check_time")
    @classmethod
    def _clock(cls, value: str) -> str:
        clock_hours(value)
        return value
