"""The scenario schema: a validated, typed description of one place and its services.

Frozen pydantic models with ``extra="forbid"`` (a typo is an error) whose field
descriptions document the file format (``placesim schema``). Reading files is
:mod:`placesim.scenario.loading`; the checks across fields are
:mod:`placesim.scenario.checks`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from placesim.scenario.distributions import Distribution
from placesim.scenario.fields import Date
from placesim.scenario.levers import Intervention
from placesim.scenario.operations import DischargeWindow, ElectiveStream, Escalation, Workforce
from placesim.scenario.uncertainty import UncertainInput, Uncertainty

__all__ = [
    "MAX_REPLICATIONS",
    "MAX_SERIES_DAYS",
    "RESIDENCES",
    "SCHEMA_VERSION",
    "SERIES_FILE_KEYS",
    "SETTINGS",
    "DailySeries",
    "Scenario",
    "SeriesFile",
    "SettingName",
    "Window",
    "band_value",
    "check_series",
]

SettingName = Literal[
    "acute", "rapid_response", "virtual_ward", "intermediate_care", "reablement", "care_home"
]
SETTINGS: tuple[str, ...] = (
    "acute",
    "rapid_response",
    "virtual_ward",
    "intermediate_care",
    "reablement",
    "care_home",
)
RESIDENCES: tuple[str, ...] = ("home", "care_home")

MAX_REPLICATIONS = 100_000
"""Most replications a run may ask for (the scenario's default, ``simulate`` and the CLI)."""

SCHEMA_VERSION = 1
"""The meaning of scenario files this placesim reads. A file without ``schema_version``
is version 1; a later change of meaning raises it, and old files are then migrated with a
warning instead of being read the new way (docs/decisions.md)."""

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Factor = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# pandas' datetime64[ns] holds 1677-09-21 to 2262-04-11; whole days inside that range.
_FIRST_DATE = dt.date(1677, 9, 22)
_LAST_DATE = dt.date(2262, 4, 10)


class Calendar(_Model):
    """When the simulation runs and how often it is repeated."""

    start_date: Date = Field(description="First day of the reporting window.")
    horizon_days: int = Field(
        gt=0, le=36_600, description="Length of the reporting window, in days."
    )
    warmup_days: int = Field(
        default=0,
        ge=0,
        le=36_600,
        description="Days simulated before start_date and left out of every measure.",
    )
    replications: int = Field(
        default=10, ge=1, le=MAX_REPLICATIONS, description="Default replications."
    )
    seed: int = Field(default=0, ge=0, description="Root seed of the run's SeedSequence.")

    @model_validator(mode="after")
    def _period_has_calendar_dates(self) -> Calendar:
        # The daily table dates every day of the run (pandas datetime64[ns]), so the whole
        # simulated period must lie within the dates it can hold; this also keeps the date
        # arithmetic of the warm-up and the end from overflowing.
        first, last = _FIRST_DATE, _LAST_DATE
        if (self.start_date - first).days < self.warmup_days:
            raise ValueError(
                f"start_date {self.start_date} with warmup_days {self.warmup_days} starts the "
                f"simulation before {first}: the simulated period must lie within {first} to "
                f"{last}, the dates the result tables can hold"
            )
        if (last - self.start_date).days < self.horizon_days - 1:
            raise ValueError(
                f"start_date {self.start_date} with horizon_days {self.horizon_days} ends after "
                f"{last}: the simulated period must lie within {first} to {last}, the dates "
                "the result tables can hold"
            )
        return self

    @property
    def end_date(self) -> dt.date:
        """The last day of the reporting window."""
        return self.start_date + dt.timedelta(days=self.horizon_days - 1)

    @property
    def sim_start_date(self) -> dt.date:
        """The first simulated day (start of the warm-up)."""
        return self.start_date - dt.timedelta(days=self.warmup_days)


class Locality(_Model):
    """One GP locality: its partnership and its people by age band."""

    name: str = Field(min_length=1)
    partnership: str = Field(min_length=1, description="The partnership the locality is in.")
    people: dict[str, Annotated[int, Field(ge=0)]] = Field(
        description="All residents by age band (including care-home residents), at start_date."
    )
    care_home_residents: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict,
        description="Care-home residents by age band (part of `people`); missing bands are 0.",
    )
    crisis_rate_factor: float = Field(
        default=1.0,
        ge=0.0,
        allow_inf_nan=False,
        description="Multiplier on the crisis rates of this locality's people (1: the "
        "place's rates; a fitted scenario gives each locality its own, docs/data.md).",
    )


class Population(_Model):
    """The people of the place, by locality, age band and residence."""

    age_bands: list[str] = Field(
        default=["0-64", "65-74", "75-84", "85+"], min_length=1, description="Age band labels."
    )
    annual_growth: float = Field(
        default=0.0, gt=-1.0, le=1.0, description="Growth per year (0.0035 = 0.35%)."
    )
    localities: list[Locality] = Field(min_length=1)


class AnnualCurve(_Model):
    """A smooth seasonal curve: 1 + amplitude * cos(2 pi (day - peak_day) / 365.25)."""

    amplitude: float = Field(ge=0.0, lt=1.0, description="Peak excess over the mean (0.03 = 3%).")
    peak_day_of_year: int = Field(
        ge=1, le=366, description="Day of year of the peak (15 = Jan 15)."
    )


class Seasonality(_Model):
    """Monthly factors (January first) or a smooth annual curve; give one."""

    monthly: list[Factor] | None = Field(
        default=None, min_length=12, max_length=12, description="Twelve multipliers, Jan..Dec."
    )
    annual_curve: AnnualCurve | None = None


class ResidenceTable(_Model):
    """Values by residence, each by age band (or `all` for every band)."""

    home: dict[str, NonNegative] = Field(description="People living at home, by age band.")
    care_home: dict[str, NonNegative] = Field(
        default_factory=dict, description="Care-home residents, by age band."
    )


# -- dated series: a value a day, given inline or as a CSV file (docs/scenarios.md) ---------

MAX_SERIES_DAYS = 36_600
"""Most days a dated series may give: 100 years, the longest reporting window. A series is
checked and compiled a day at a time, so this bounds the time that takes, as the file-size
limits bound reading the scenario file."""

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SHOW_CHARS = 40
_SERIES_FORMS = (
    "a mapping of dates to numbers ({2025-04-01: 1.02, 2025-04-02: 0.98, ...}) or a CSV "
    "file ({csv: FILE, date: COLUMN, value: COLUMN})"
)
SERIES_FILE_KEYS = ("csv", "date", "value")
"""The keys of a CSV series reference; no date can be one of them."""


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _SHOW_CHARS else text[: _SHOW_CHARS - 3] + "..."


def series_date(value: object) -> dt.date:
    """A date of a dated series: a date (YAML reads an unquoted 2025-04-01 as one) or text
    written YYYY-MM-DD.

    Raises
    ------
    ValueError
        Naming the value and what is allowed.
    """
    if isinstance(value, dt.datetime):  # a datetime is a date too: refuse it first
        raise ValueError(
            f"{_shown(value)} is not allowed: a series date has no time of day "
            f"(write {value.date()})"
        )
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _ISO_DATE.fullmatch(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError as exc:
                raise ValueError(f"{_shown(value)} is not allowed: no such day ({exc})") from None
        if not text:
            raise ValueError("is empty: every row needs a date, written YYYY-MM-DD")
        if "/" in text:
            raise ValueError(
                f"{_shown(value)} is not allowed: write dates as YYYY-MM-DD, such as "
                "2025-04-01 (in a spreadsheet, format the column as yyyy-mm-dd before saving)"
            )
    raise ValueError(
        f"{_shown(value)} is not allowed: write dates as YYYY-MM-DD, such as 2025-04-01"
    )


def series_value(value: object) -> float:
    """A value of a dated series: a finite number >= 0 (text such as ``1.02`` is read as a
    number, as a CSV file gives it).

    Raises
    ------
    ValueError
        Naming the value and what is allowed.
    """
    number: float | None = None
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("is empty: every row needs a number (0 for a day with none)")
        try:
            number = float(value)
        except ValueError:
            number = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            number = math.inf
    if number is None or not math.isfinite(number) or number < 0.0:
        raise ValueError(f"{_shown(value)} is not allowed: must be a finite number >= 0")
    return number


def check_series(
    entries: Sequence[tuple[int | None, object, object]], source: str | None = None
) -> tuple[dict[dt.date, float], list[str]]:
    """Check a dated series and return it as a mapping of dates to values, in date order.

    A series gives every day from its first date to its last, each date once: a missing
    day would be ambiguous (no referrals that day, or the usual rate?), so it must be
    written, as 0 if that is what it was.

    Parameters
    ----------
    entries
        ``(row, date, value)`` for each entry as given: `row` is the CSV file's row
        (the header being row 1), or None for a mapping written in the scenario.
    source
        The CSV file's name as the scenario gives it, for the messages (with `row`).

    Returns
    -------
    series, problems
        The series (empty if there are problems) and every problem found, each naming
        the row (or the date), the value and what is allowed.
    """
    if not entries:
        return {}, ["is empty: give at least one date, or leave the series out"]
    if len(entries) > MAX_SERIES_DAYS:
        return {}, [f"gives {len(entries):,} dates: a series may give at most {MAX_SERIES_DAYS:,}"]
    problems: list[str] = []
    series: dict[dt.date, float] = {}
    rows: dict[dt.date, int | None] = {}
    for row, raw_date, raw_value in entries:
        where = f"{source} row {row}: " if row is not None else ""
        try:
            date = series_date(raw_date)
        except ValueError as exc:
            problems.append(f"{where}date {exc}")
            continue
        if date in series:
            earlier = rows[date]
            also = f" (first in row {earlier})" if earlier is not None else ""
            problems.append(f"{where}date {date} is given twice{also}: give each date once")
            continue
        try:
            series[date] = series_value(raw_value)
        except ValueError as exc:
            problems.append(f"{where}{'' if row is not None else f'{date}: '}value {exc}")
            continue
        rows[date] = row
    if problems:
        return {}, problems
    dates = sorted(series)
    first, last = dates[0], dates[-1]
    if (last - first).days + 1 != len(dates):
        day = first
        for date in dates:
            if date != day:
                break
            day += dt.timedelta(days=1)
        before = day - dt.timedelta(days=1)
        where = f"{source}: " if source is not None else ""
        after = f" (after {before} in row {rows[before]})" if rows[before] is not None else ""
        return {}, [
            f"{where}{day} is missing{after}: a series gives every day from its first date "
            f"to its last ({first} to {last}), each once; give 0 for a day with none"
        ]
    return {date: series[date] for date in dates}, []


def _inline_series(value: Any) -> Any:
    if isinstance(value, Mapping) and any(key in value for key in SERIES_FILE_KEYS):
        raise ValueError(
            "a CSV series ({csv: FILE, ...}) is read by load_scenario or parse_scenario, "
            "which put its values in place; the model itself takes a mapping of dates to "
            "numbers"
        )
    if not isinstance(value, Mapping):
        raise ValueError(f"{_shown(value)} is not allowed: give {_SERIES_FORMS}")
    series, problems = check_series([(None, date, v) for date, v in value.items()])
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise ValueError(problems[0] + more)
    return series


class SeriesFile(_Model):
    """A dated series in a CSV file: a header row, then a row a day with a column of dates
    and one of values (other columns are ignored)."""

    csv: str = Field(
        min_length=1,
        description="Path of the CSV file (UTF-8), relative to the scenario file that names it.",
    )
    date: str = Field(
        default="date", min_length=1, description="The column of dates, written 2025-04-01."
    )
    value: str = Field(default="value", min_length=1, description="The column of values.")


DailySeries = Annotated[
    dict[dt.date, float],
    BeforeValidator(_inline_series),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "object",
                    "propertyNames": {"format": "date"},
                    "additionalProperties": {"type": "number", "minimum": 0},
                    "minProperties": 1,
                    "maxProperties": MAX_SERIES_DAYS,
                },
                SeriesFile.model_json_schema(),
            ]
        }
    ),
]
"""A value a day by date (docs/scenarios.md, "Dated series"): every day from the first date
to the last, each once, a finite number >= 0 on each. Written inline or as a
:class:`SeriesFile`, which loading reads into the inline form, so a checked scenario always
holds the values themselves (and its JSON round-trips without the file)."""


class Demand(_Model):
    """Crises generated by the population."""

    crisis_rate_per_person_year: ResidenceTable = Field(
        description="Crises (urgent needs reaching the single point of access) per person-year."
    )
    seasonality: Seasonality | None = None
    day_of_week: list[Factor] | None = Field(
        default=None, min_length=7, max_length=7, description="Seven multipliers, Mon..Sun."
    )
    daily_factors: DailySeries | None = Field(
        default=None,
        description="Multipliers on the crisis rates by date, in place of seasonality and "
        "day_of_week on the dates given (which run every day from the first to the last); "
        "a mapping of dates to factors, or a CSV file. To replay a past year or follow a "
        "forecast (docs/scenarios.md, 'Dated series').",
    )


def _share(text: str) -> Any:
    """A share field (0 to 1, default 0) with its description."""
    return Field(default=0.0, description=text)


class TriageShares(_Model):
    """Where the single point of access sends a crisis; shares sum to 1."""

    rapid_response: Share = _share("Share sent to integrated rapid response.")
    virtual_ward: Share = _share("Share sent to the virtual ward.")
    acute: Share = _share("Share admitted to acute (non-elective) beds.")


class Triage(_Model):
    """Triage shares by residence and age band."""

    home: dict[str, TriageShares] = Field(description="People living at home, by age band.")
    care_home: dict[str, TriageShares] = Field(
        default_factory=dict, description="Care-home residents, by age band."
    )


class CapacityChange(_Model):
    """A dated change of capacity; a drop takes effect as people leave (nobody is evicted)."""

    date: Date = Field(description="The day the new capacity applies from (00:00).")
    capacity: int = Field(ge=0, description="Places from this date on.")


Capacity = Annotated[int, Field(ge=0)] | Literal["unlimited"]


class _Setting(_Model):
    capacity: Capacity = Field(description="Beds or places, or 'unlimited'.")
    capacity_changes: list[CapacityChange] = Field(
        default_factory=list, description="Dated changes, such as winter escalation beds."
    )
    los: Distribution = Field(description="Length of stay until ready to leave, in days.")
    los_by_age_band: dict[str, Distribution] = Field(
        default_factory=dict, description="Length of stay for named age bands (overrides `los`)."
    )
    when_full: Literal["queue", "overflow_to_acute"] = Field(
        default="queue",
        description="queue: wait in first-come-first-served order (people moving on from "
        "another setting keep their place there while they wait); overflow_to_acute: go to "
        "the acute queue instead (rapid response and virtual ward only).",
    )


class RapidResponseOutcomes(_Model):
    """Where rapid response sends people at the end of their episode."""

    home: Share = _share("Resolved at home.")
    intermediate_care: Share = _share("Stepped up to an intermediate-care bed.")
    acute: Share = _share("Escalated to acute (gives up the place first).")


class VirtualWardOutcomes(_Model):
    """Where the virtual ward sends people at the end of their stay."""

    home: Share = _share("Home at the end of the stay.")
    acute: Share = _share("Escalated to acute (gives up the place first).")


class IntermediateCareOutcomes(_Model):
    """Where people go after an intermediate-care bed."""

    home: Share = _share("Home with no new support.")
    reablement: Share = _share("Home with reablement (waits in the bed for a package).")
    care_home: Share = _share("A care-home placement (waits in the bed for a place).")
    acute: Share = _share("Readmitted to acute: a new episode.")
    death: Share = _share("Died.")


class ReablementOutcomes(_Model):
    """Outcome of a reablement episode."""

    independent: Share = _share("Independent: no further support.")
    home_care: Share = _share("A long-term home-care package.")
    care_home: Share = _share("A care-home placement (waits in reablement for a place).")
    acute: Share = _share("Admitted to acute: a new episode.")
    death: Share = _share("Died.")


class AcuteSetting(_Setting):
    """Acute (non-elective) beds; the stay ends when medically ready, then the pathway applies."""


class RapidResponseSetting(_Setting):
    """Integrated rapid response: 2-hour community crisis response (caseload places)."""

    outcomes: RapidResponseOutcomes = Field(
        description="Where people go at the end of a stay; sums to 1."
    )


class VirtualWardSetting(_Setting):
    """Virtual ward: hospital care at home (places)."""

    outcomes: VirtualWardOutcomes = Field(
        description="Where people go at the end of a stay; sums to 1."
    )


class IntermediateCareSetting(_Setting):
    """Intermediate-care beds (bed-based rehabilitation, discharge pathway 2)."""

    outcomes: IntermediateCareOutcomes = Field(
        description="Where people go at the end of a stay; sums to 1."
    )


class ReablementSetting(_Setting):
    """Home-based reablement packages (discharge pathway 1)."""

    outcomes: ReablementOutcomes = Field(
        description="Where people go at the end of a stay; sums to 1."
    )


class CareHomeSetting(_Setting):
    """Care-home placements made by the system (discharge pathway 3); a stay ends the journey."""


class Settings(_Model):
    """The services of the place; leave out those the scenario does not model."""

    acute: AcuteSetting | None = None
    rapid_response: RapidResponseSetting | None = None
    virtual_ward: VirtualWardSetting | None = None
    intermediate_care: IntermediateCareSetting | None = None
    reablement: ReablementSetting | None = None
    care_home: CareHomeSetting | None = None

    def defined(self) -> dict[str, _Setting]:
        """The settings present, in the canonical order."""
        out: dict[str, _Setting] = {}
        for name in SETTINGS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


class PathwayShares(_Model):
    """Discharge pathways from acute; shares sum to 1."""

    P0: Share = Field(default=0.0, description="Home with no new support.")
    P1: Share = Field(default=0.0, description="Home with reablement.")
    P2: Share = Field(default=0.0, description="Intermediate-care bed.")
    P3: Share = Field(default=0.0, description="Care-home placement.")
    death: Share = Field(default=0.0, description="Death in hospital.")


class Readmission(_Model):
    """Emergency readmission of people whose journey ended at home."""

    probability: dict[str, Share] = Field(
        default_factory=dict, description="Share readmitted, by age band (or `all`)."
    )
    within_days: float = Field(
        default=30.0,
        gt=0.0,
        allow_inf_nan=False,
        description="Readmission delay is uniform on (0, within_days) after the journey ends.",
    )


class Discharge(_Model):
    """What happens when an acute stay ends."""

    pathways: dict[str, PathwayShares] = Field(description="Pathway shares by age band (or `all`).")
    readmission: Readmission = Field(default_factory=Readmission)
    assessment_days: dict[Literal["P1", "P2", "P3"], Distribution] = Field(
        default_factory=dict,
        description="Days between medically ready and asking for the next service, for "
        "assessment in hospital, by pathway (default: none). Counted as delayed days.",
    )


class Referral(_Model):
    """External referrals straight into a setting, not driven by the population."""

    name: str = Field(min_length=1, description="A label for the stream (unique).")
    setting: SettingName = Field(description="The setting referred to.")
    rate_per_day: float = Field(ge=0.0, allow_inf_nan=False, description="Mean referrals a day.")
    day_of_week: list[Factor] | None = Field(
        default=None, min_length=7, max_length=7, description="Seven multipliers, Mon..Sun."
    )
    monthly: list[Factor] | None = Field(
        default=None, min_length=12, max_length=12, description="Twelve multipliers, Jan..Dec."
    )
    daily_rates: DailySeries | None = Field(
        default=None,
        description="Mean referrals a day by date, in place of rate_per_day x monthly x "
        "day_of_week on the dates given (which run every day from the first to the last); "
        "outside them rate_per_day and its factors apply. A mapping of dates to rates, or a "
        "CSV file (docs/scenarios.md, 'Dated series').",
    )
    locality: str = Field(default="external", description="Locality label for reporting.")
    age_band: str | None = Field(
        default=None, description="Age band of the people referred (needed with several bands)."
    )
    residence: Literal["home", "care_home"] = Field(
        default="home", description="Where the people referred live."
    )


class InitialState(_Model):
    """People in a setting and waiting for it when the simulation starts (a census snapshot)."""

    occupied: int = Field(default=0, ge=0, description="People in the setting at the start.")
    waiting: int = Field(default=0, ge=0, description="People waiting, holding no other place.")
    remaining: Literal["residual", "fresh", "uniform", "elapsed"] = Field(
        default="residual",
        description="residual: equilibrium remaining stay; fresh: a full new stay; uniform: a "
        "uniform fraction of a new stay; elapsed: drawn given `elapsed_days`.",
    )
    elapsed_days: list[NonNegative] | None = Field(
        default=None, description="Days each occupant has already stayed (one per person)."
    )


def _default_targets() -> dict[SettingName, float]:
    return {"acute": 0.92}


class MeasureOptions(_Model):
    """Options of the capacity-gap measure."""

    share_of_days: float = Field(
        default=0.95, gt=0.0, le=1.0, description="Share of days on which demand must fit."
    )
    target_occupancy: dict[SettingName, Annotated[float, Field(gt=0.0, le=1.0)]] = Field(
        default_factory=_default_targets,
        description="Target occupancy by setting (NHS planning target 92% for acute, ref P9).",
    )
    default_target_occupancy: float = Field(
        default=0.90, gt=0.0, le=1.0, description="Target occupancy of settings not named above."
    )

    def target(self, setting: str) -> float:
        """Target occupancy of `setting`."""
        return float(self.target_occupancy.get(setting, self.default_target_occupancy))  # type: ignore[call-overload]


class Costs(_Model):
    """Unit costs, in GBP, that put a cost on the outcomes (docs/outcomes.md, ref P21).

    Every cost is optional: what is left out is not costed. Each prices one outcome row:
    cost = the row's quantity x its unit cost. Give reablement per day or per episode.
    """

    acute_bed_day: NonNegative | None = Field(
        default=None, description="Cost of an acute (non-elective) bed day, GBP."
    )
    acute_delayed_bed_day: NonNegative | None = Field(
        default=None,
        description="Cost of an acute bed day spent waiting after medically ready (delayed "
        "discharge), GBP.",
    )
    intermediate_care_bed_day: NonNegative | None = Field(
        default=None, description="Cost of an intermediate-care bed day, GBP."
    )
    reablement_day: NonNegative | None = Field(
        default=None, description="Cost of a day of a reablement package, GBP."
    )
    reablement_episode: NonNegative | None = Field(
        default=None, description="Cost of a whole reablement episode (package), GBP."
    )
    care_home_bed_day: NonNegative | None = Field(
        default=None, description="Cost of a care-home bed day, GBP."
    )
    rapid_response_day: NonNegative | None = Field(
        default=None, description="Cost of a person-day on the rapid-response caseload, GBP."
    )
    virtual_ward_day: NonNegative | None = Field(
        default=None, description="Cost of a virtual-ward bed day, GBP."
    )
    capacity_place_day: dict[SettingName, NonNegative] = Field(
        default_factory=dict,
        description="Cost of providing one place (bed, package, caseload place) for one day, "
        "by setting, GBP: comparisons then cost capacity added or removed too (the net cost).",
    )


class Window(_Model):
    """A period of dates, both included: ``2025-12-01:2026-03-31``, or ``start`` and ``end``."""

    start: Date = Field(description="First day of the period.")
    end: Date = Field(description="Last day of the period (included).")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            start, sep, end = value.partition(":")
            if not sep:
                raise ValueError(
                    f"{value!r} is not allowed: write START:END, e.g. 2025-12-01:2026-03-31"
                )
            return {"start": start.strip(), "end": end.strip()}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"ends ({self.end}) before it starts ({self.start})")
        return self


class Scenario(_Model):
    """A whole place: its people, their crises, the services and the starting state."""

    schema_version: int = Field(
        default=SCHEMA_VERSION,
        description="Version of the scenario format the file was written for (absent: 1).",
    )
    name: str = Field(default="scenario", min_length=1, description="Labels results.")
    description: str = Field(default="", description="What the scenario is, in words.")
    calendar: Calendar = Field(description="Dates, warm-up, replications and seed.")
    population: Population | None = Field(
        default=None, description="People by locality, age band and residence (optional)."
    )
    demand: Demand | None = Field(default=None, description="Crisis rates and seasonality.")
    triage: Triage | None = Field(default=None, description="Where crises are sent.")
    settings: Settings = Field(description="The services, with capacity and stays.")
    discharge: Discharge | None = Field(
        default=None, description="Pathways from acute, assessment days and readmission."
    )
    referrals: list[Referral] = Field(
        default_factory=list, description="External referral streams into settings."
    )
    initial_state: dict[SettingName, InitialState] = Field(
        default_factory=dict, description="A census snapshot to start from, by setting."
    )
    measures: MeasureOptions = Field(
        default_factory=MeasureOptions, description="Options of the capacity-gap measure."
    )
    costs: Costs | None = Field(
        default=None, description="Unit costs in GBP (docs/outcomes.md); none: not costed."
    )
    interventions: list[Intervention] = Field(
        default_factory=list,
        description="Policy levers: dated, local changes (docs/interventions.md).",
    )
    periods: dict[str, Window] = Field(
        default_factory=dict,
        description="Named periods to report on (e.g. winter: 2025-12-01:2026-03-31), each "
        "inside the reporting window; used as --period NAME.",
    )
    escalation: Escalation | None = Field(
        default=None, description="The escalation plan: levels that react to pressure."
    )
    electives: list[ElectiveStream] = Field(
        default_factory=list, description="Planned admissions into acute beds, by weekday."
    )
    staff: dict[Literal["rapid_response", "virtual_ward", "reablement"], Workforce] = Field(
        default_factory=dict,
        description="Staff time of home-based services (places still apply as well).",
    )
    discharge_windows: dict[
        Literal["home", "intermediate_care", "reablement", "care_home"], DischargeWindow
    ] = Field(
        default_factory=dict,
        description="Days and hours in which acute discharges home (home), and moves into "
        "intermediate care, reablement and care homes, may happen (default: any time).",
    )

    _uncertain: Uncertainty | None = PrivateAttr(default=None)

    @property
    def uncertain_inputs(self) -> tuple[UncertainInput, ...]:
        """The inputs written as ranges or distributions (docs/uncertainty.md); the
        scenario's own values of them are their medians. Empty for a scenario of numbers."""
        return self._uncertain.inputs if self._uncertain is not None else ()

    @property
    def uncertainty(self) -> Uncertainty | None:
        """The uncertain inputs with the data they were read from (None: there are none)."""
        return self._uncertain

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy with top-level fields replaced (pydantic's, unchecked), whose uncertain
        inputs follow: those under a replaced field go (it now holds plain values), the rest
        stay. A copy that keeps uncertain inputs is checked with each replication's values
        when it runs, so it must be a valid scenario (``placesim.override`` checks at once)."""
        out = super().model_copy(update=update, deep=deep)
        found = self._uncertain
        if found is not None and update:
            source = dict(found.source)
            source.update(out.model_dump(mode="json", include=set(update)))
            kept = tuple(spec for spec in found.inputs if spec.location[0] not in update)
            out._uncertain = Uncertainty(kept, source) if kept else None
        return out

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        if not 1 <= version <= SCHEMA_VERSION:
            raise ValueError(
                f"{version} is not allowed: this placesim reads schema_version 1 to "
                f"{SCHEMA_VERSION} (leave it out for 1); a newer file needs a newer placesim"
            )
        return version

    @property
    def age_bands(self) -> list[str]:
        """Age band labels; a scenario with no population has the single band `all`."""
        return list(self.population.age_bands) if self.population else ["all"]


def band_value(table: dict[str, Any], band: str) -> Any:
    """Look a value up in an age-band table that is keyed by band or by `all`."""
    return table[band] if band in table else table["all"]
