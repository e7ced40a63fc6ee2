"""The scenario: a validated, typed description of one place and its services.

This is the only module that reads YAML. A :class:`Scenario` is built and checked in
full before anything runs; the rest of placesim reads nothing global.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from placesim.distributions import Distribution
from placesim.errors import ScenarioError
from placesim.fields import Date
from placesim.inheritance import resolve_extends
from placesim.interventions import Intervention
from placesim.validation import check_scenario, describe_validation_error

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "MAX_YAML_VALUES",
    "RESIDENCES",
    "SETTINGS",
    "Scenario",
    "SettingName",
    "load_scenario",
    "parse_scenario",
    "scenario_json_schema",
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
    replications: int = Field(default=10, ge=1, le=100_000, description="Default replications.")
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


class Demand(_Model):
    """Crises generated by the population."""

    crisis_rate_per_person_year: ResidenceTable = Field(
        description="Crises (urgent needs reaching the single point of access) per person-year."
    )
    seasonality: Seasonality | None = None
    day_of_week: list[Factor] | None = Field(
        default=None, min_length=7, max_length=7, description="Seven multipliers, Mon..Sun."
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


class Scenario(_Model):
    """A whole place: its people, their crises, the services and the starting state."""

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

    @property
    def age_bands(self) -> list[str]:
        """Age band labels; a scenario with no population has the single band `all`."""
        return list(self.population.age_bands) if self.population else ["all"]


def band_value(table: dict[str, Any], band: str) -> Any:
    """Look a value up in an age-band table that is keyed by band or by `all`."""
    return table[band] if band in table else table["all"]


# ---------------------------------------------------------------------------- loading

MAX_FILE_BYTES = 256 * 1024
"""Largest scenario file read, in bytes (256 KiB, some 17 times the Rotherham baseline).

PyYAML's pure-Python parser takes about 15 microseconds a byte at worst (a flow list of
small numbers), so this bounds one file to a few seconds. libyaml is faster but crashes the
interpreter on deep nesting, so it is not used."""

MAX_NESTING = 32
"""Deepest nesting of YAML collections accepted, counting through aliases and merge keys.

The deepest value of a valid scenario is about seven levels down, so this rejects nothing
valid; it stops deep nesting before it exhausts Python's recursion limit."""

MAX_YAML_VALUES = 250_000
"""Most values (scalars and collections) a file may expand to through anchors and aliases.

A file within :data:`MAX_FILE_BYTES` and without aliases has fewer (each value takes at
least two bytes), so this only stops an alias bomb ("billion laughs"): a short file whose
aliases expand to billions of values, cheap to parse as shared objects but not to check."""


class _ScenarioLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with limits on nesting and alias expansion, that refuses
    duplicate keys and turns a scalar it cannot construct into an error with its line."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        # The composer recurses once per level: count levels before Python's limit does.
        if self._depth >= MAX_NESTING:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_NESTING} levels deep", mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node)
        return node

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:
            # A value its tag's constructor cannot make: an unquoted 2025-02-30, an int of
            # more than 4300 digits (ValueError); !!timestamp x (AttributeError) or
            # !!bool maybe (KeyError). Only a ValueError's reason is worth showing.
            kind = str(node.tag).rsplit(":", 1)[-1]
            text = str(node.value) if isinstance(node, yaml.ScalarNode) else kind
            shown = repr(text if len(text) <= 40 else text[:37] + "...")
            reason = ""
            if isinstance(exc, ValueError | OverflowError):
                reason = ": more than 4300 digits" if "digits" in str(exc) else f": {exc}"
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown} is not a valid {kind}{reason}", node.start_mark
            ) from None

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        # Before merge keys (<<) are flattened, so that overriding a merged key is allowed.
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node)
                try:
                    earlier = first.get(key)
                except TypeError:  # unhashable: the constructor says so with its line
                    continue
                if earlier is not None:
                    shown = repr(key)
                    shown = shown if len(shown) <= 40 else shown[:37] + "..."
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {shown} (first given on line {earlier.line + 1})",
                        key_node.start_mark,
                    )
                first[key] = key_node.start_mark
        return super().construct_mapping(node, deep)


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph that expands too far through aliases, or that contains itself.

    Sizes and depths are computed once per node (aliases share nodes), depth first without
    recursion, so the check costs as much as the file, not as much as its expansion.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_YAML_VALUES:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"anchors and aliases expand this to more than {MAX_YAML_VALUES:,} values "
                    "(an alias bomb?); write repeated values out, or use fewer aliases",
                    node.start_mark,
                )
            if depth[key] > MAX_NESTING:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"aliases or merge keys nest this more than {MAX_NESTING} levels deep",
                    node.start_mark,
                )
            continue
        if key in size:
            continue
        if key in open_:
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to a value that contains it", node.start_mark
            )
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _read_yaml(file: Path) -> Any:
    """Read one YAML file as plain data; every problem is a :class:`ScenarioError`."""
    try:
        with file.open("rb") as stream:
            # Read no more than the limit (and one byte), whatever the file: /dev/zero too.
            raw_bytes = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([f"file not found: {file}"]) from None
    except OSError as exc:
        raise ScenarioError([f"cannot read {file}: {exc.strerror}"]) from None
    except ValueError as exc:  # a NUL byte in the name
        raise ScenarioError([f"cannot read {file!r}: {exc}"]) from None
    if len(raw_bytes) > MAX_FILE_BYTES:
        raise ScenarioError(
            [
                f"file too large: more than {MAX_FILE_BYTES:,} bytes; a scenario file may be "
                f"at most {MAX_FILE_BYTES // 1024} KiB (long lists of values belong in a "
                "fitted distribution)"
            ],
            source=str(file),
        )
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [f"not UTF-8 text (byte {exc.start}): save the file as UTF-8"], source=str(file)
        ) from None
    try:
        # The reader checks the characters as the loader is made, so that is inside too.
        loader = _ScenarioLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else "a character"
        raise ScenarioError(
            [f"malformed YAML: line {line}: {char} is not allowed (a control character)"],
            source=str(file),
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        context = getattr(exc, "context", None)
        if context and getattr(exc, "problem", None):
            problem += f" ({' '.join(str(context).split())})"
        raise ScenarioError([f"malformed YAML: {where}{problem}"], source=str(file)) from None
    except RecursionError:
        # Not expected within the limits above; a last guard so that it is never a crash.
        raise ScenarioError(
            ["malformed YAML: nested too deeply to read"], source=str(file)
        ) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read, parse and check a scenario YAML file.

    A file may say ``extends: other.yaml`` (relative to itself) and give only its changes:
    the chain of files is merged as raw data first (:mod:`placesim.inheritance`), then
    checked as a whole.

    Raises
    ------
    ScenarioError
        With every problem found, each naming the field, the value and what is allowed; a
        missing file or malformed YAML is named with its line. Problems of the merged
        scenario name `path` as their source.
    """
    path = Path(path)
    data = resolve_extends(path, _read_yaml)
    try:
        return parse_scenario(data)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, source=str(path)) from None


def parse_scenario(data: Any) -> Scenario:
    """Build a :class:`Scenario` from plain data (a dict as read from YAML) and check it."""
    if data is None:
        raise ScenarioError(["the file is empty: a scenario is a mapping of keys to values"])
    if not isinstance(data, dict):
        raise ScenarioError(
            [f"the scenario must be a mapping of keys to values, not {type(data).__name__}"]
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(describe_validation_error(exc, data)) from None
    problems = check_scenario(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenario


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, for editors that complete and check YAML."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "placesim scenario"
    return schema
