"""Reading scenario files: the only module that reads YAML.

A file is read with hard limits (size, nesting, alias expansion, duplicate keys), merged
along its ``extends`` chain as plain data, validated by the schema and then checked across
fields, so every problem reaches the user as one :class:`~placesim.errors.ScenarioError`
naming the field, the value and what is allowed.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import io
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from placesim.errors import ScenarioError
from placesim.scenario.checks import check_scenario
from placesim.scenario.extends import resolve_extends
from placesim.scenario.messages import clip, describe_validation_error, listing
from placesim.scenario.schema import (
    MAX_SERIES_DAYS,
    SERIES_FILE_KEYS,
    Scenario,
    SeriesFile,
    check_series,
)
from placesim.scenario.uncertainty import (
    QUANTILE_LIMIT,
    UncertainInput,
    Uncertainty,
    explain_ranges,
    find_uncertain,
    looks_uncertain,
    place_values,
)

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "MAX_SERIES_FILE_BYTES",
    "MAX_YAML_VALUES",
    "load_scenario",
    "parse_scenario",
    "parse_value",
    "read_scenario_file",
    "read_yaml",
    "scenario_json_schema",
]

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


MAX_SERIES_FILE_BYTES = 4 * 1024 * 1024
"""Largest CSV file of a dated series read, in bytes (4 MiB: 36,600 rows of over 100 bytes,
so room for a few other columns). The csv module reads it in a fraction of a second."""

_MAX_SERIES_PROBLEMS = 10
"""Most problems listed for one series file; the rest are counted."""


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


def read_yaml(file: Path) -> Any:
    """Read one YAML file (a scenario or a region) as plain data, within the limits above;
    every problem is a :class:`ScenarioError`."""
    try:
        kind = file.stat().st_mode
    except FileNotFoundError:
        raise ScenarioError([f"file not found: {file}"]) from None
    except (OSError, ValueError, RuntimeError) as exc:  # a loop of links, a NUL in the name
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioError([f"cannot read {file}: {reason}"]) from None
    if not stat.S_ISREG(kind):
        what = "a folder" if stat.S_ISDIR(kind) else "a pipe, device or socket"
        raise ScenarioError(
            [f"cannot read {file}: it is {what}, not a regular file; a scenario is a YAML file"]
        )
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
    checked as a whole. A dated series given as a CSV file is read relative to the file
    that names it, before the merge (:func:`read_scenario_file`).

    Raises
    ------
    ScenarioError
        With every problem found, each naming the field, the value and what is allowed; a
        missing file or malformed YAML is named with its line. Problems of the merged
        scenario name `path` as their source.
    """
    path = Path(path)
    data = resolve_extends(path, read_scenario_file)
    try:
        return parse_scenario(data)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, source=str(path)) from None


def parse_scenario(data: Any) -> Scenario:
    """Build a :class:`Scenario` from plain data (a dict as read from YAML) and check it.

    Values written as ranges or distributions (docs/uncertainty.md) are checked against
    what their fields allow, and the scenario is checked with each at its median. A dated
    series may be a mapping of dates to values or a CSV file at an absolute path (a
    relative path needs the scenario file it is relative to: :func:`load_scenario`).
    """
    if data is None:
        raise ScenarioError(["the file is empty: a scenario is a mapping of keys to values"])
    if not isinstance(data, dict):
        raise ScenarioError(
            [f"the scenario must be a mapping of keys to values, not {type(data).__name__}"]
        )
    data, problems = _read_series_files(data, None)
    if problems:
        raise ScenarioError(problems)
    inputs, problems = find_uncertain(data, _schema)
    if problems:
        raise ScenarioError(problems)
    source = data
    if inputs:  # checked at the medians; each replication draws its own values
        data = copy.deepcopy(data)
        place_values(data, inputs, [spec.median for spec in inputs])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        ranges = explain_ranges(data, _schema())
        said = tuple(p.split(":", 1)[0] for p in ranges)
        others = [
            p for p in describe_validation_error(exc, data) if not p.startswith(said or ("\0",))
        ]
        raise ScenarioError(ranges + others) from None
    problems = check_scenario(scenario)
    if problems:
        raise ScenarioError(problems)
    if inputs:
        _check_corners(source, inputs)
        scenario._uncertain = Uncertainty(inputs, copy.deepcopy(source))
    return scenario


def read_scenario_file(file: Path) -> Any:
    """Read one scenario file as plain data (:func:`read_yaml`), with each dated series it
    gives as a CSV file read into a mapping of dates to values, the CSV's path taken
    relative to `file`.

    Each file of an ``extends`` chain is read so, before the merge: a path is relative to
    the file that names it, and a variant's series merges date by date with its parent's,
    as any mapping does.

    Raises
    ------
    ScenarioError
        For the file (:func:`read_yaml`) or a series file that cannot be read, or a row of
        one that is not allowed, naming the field, the row and the value; the source is
        `file`.
    """
    data = read_yaml(file)
    if isinstance(data, dict):
        data, problems = _read_series_files(data, file.parent)
        if problems:
            raise ScenarioError(problems, source=str(file))
    return data


def _series_slots(data: dict[str, Any]) -> list[tuple[str, tuple[str | int, ...], str]]:
    """Where scenario `data` gives a dated series: the field's path, the location of the
    mapping that holds it, and its key there."""
    slots: list[tuple[str, tuple[str | int, ...], str]] = []
    demand = data.get("demand")
    if isinstance(demand, dict) and demand.get("daily_factors") is not None:
        slots.append(("demand.daily_factors", ("demand",), "daily_factors"))
    referrals = data.get("referrals")
    if isinstance(referrals, list):
        for i, ref in enumerate(referrals):
            if isinstance(ref, dict) and ref.get("daily_rates") is not None:
                slots.append((f"referrals[{i}].daily_rates", ("referrals", i), "daily_rates"))
    return slots


def _read_series_files(
    data: dict[str, Any], folder: Path | None
) -> tuple[dict[str, Any], list[str]]:
    """`data` with each dated series given as a CSV file replaced by its values, and the
    problems found; `data` itself is not changed (what is replaced is copied).

    `folder` is the folder of the scenario file, which relative paths are taken from;
    None for plain data, which may name a CSV file by an absolute path only. Dates become
    text (2025-04-01), as JSON has them, so that a variant's dates merge with its
    parent's whichever way each was written, and the data stays JSON. A range written for
    one date is refused here, before uncertain inputs are looked for: a series takes
    numbers.
    """
    problems: list[str] = []
    out = data
    for field, location, key in _series_slots(data):
        holder: Any = data
        for part in location:
            holder = holder[part]
        value = holder[key]
        if not isinstance(value, dict) or looks_uncertain(value):
            continue  # the schema's check names what is wrong
        series: dict[Any, Any] | None = value
        if any(k in value for k in SERIES_FILE_KEYS):
            read = _read_series_file(field, value, folder, problems)
            series = {d.isoformat(): v for d, v in read.items()} if read is not None else None
        else:
            shown = next((str(d) for d, v in value.items() if looks_uncertain(v)), None)
            if shown is not None:
                problems.append(
                    f"{field}: {clip(shown)}: a range or distribution is not allowed in a "
                    "dated series: each date takes a number"
                )
                continue
            keys = [_date_text(d) for d in value]
            if len(set(keys)) == len(keys):  # else the schema names the date given twice
                series = dict(zip(keys, value.values(), strict=True))
        if series is None or series == value:
            continue
        if out is data:
            out = dict(data)
        if location == ("demand",):
            out["demand"] = {**out["demand"], key: series}
        else:
            i = int(location[1])
            out["referrals"] = list(out["referrals"])
            out["referrals"][i] = {**out["referrals"][i], key: series}
    return out, problems


def _date_text(key: Any) -> Any:
    """A date key as text (YAML reads an unquoted 2025-04-01 as a date); others as given."""
    if isinstance(key, dt.date) and not isinstance(key, dt.datetime):
        return key.isoformat()
    return key


def _read_series_file(
    field: str, ref: dict[Any, Any], folder: Path | None, problems: list[str]
) -> dict[dt.date, float] | None:
    """The series in the CSV file `ref` names ({csv, date, value}), or None with the
    problems added; each problem names the field, the file's row and the value."""
    for key in ref:
        if key not in SERIES_FILE_KEYS:
            problems.append(
                f"{field}: unknown key '{clip(str(key))}' in a CSV series (allowed: "
                f"{', '.join(SERIES_FILE_KEYS)})"
            )
            return None
    if "csv" not in ref:
        problems.append(
            f"{field}.csv: is required but missing: a series with `date` or `value` columns "
            "is read from the CSV file `csv` names"
        )
        return None
    for key in SERIES_FILE_KEYS:
        given = ref.get(key)
        if key in ref and (not isinstance(given, str) or not given.strip()):
            shown = repr(given) if isinstance(given, str) else clip(str(given))
            what = "the path of a CSV file" if key == "csv" else "the name of a column"
            problems.append(f"{field}.{key}: {shown} is not allowed: must be {what}")
            return None
    spec = SeriesFile.model_validate(ref)
    name = clip(spec.csv)
    path = Path(spec.csv)
    if folder is not None:
        path = folder / path  # an absolute path stays as it is
    elif not path.is_absolute():
        problems.append(
            f"{field}.csv: {spec.csv!r} is a relative path, which only a scenario file can "
            "give (it is read relative to that file): load the scenario from its file, or "
            "give an absolute path or the values as a mapping of dates to numbers"
        )
        return None
    text = _read_series_text(field, name, path, problems)
    if text is None:
        return None
    entries: list[tuple[int | None, object, object]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        columns: dict[str, int] = {}
        for key, column in (("date", spec.date), ("value", spec.value)):
            count = header.count(column.strip())
            if count == 1:
                columns[key] = header.index(column.strip())
                continue
            columns_are = (
                f"its columns: {listing(header)}" if any(header) else "it has no header row"
            )
            problems.append(
                f"{field}.{key}: column {clip(column)!r} is not in {name} ({columns_are})"
                if count == 0
                else f"{field}.{key}: column {clip(column)!r} is named {count} times in the "
                f"header of {name}: name the column to read once"
            )
        if len(columns) < 2:
            return None
        # Rows are numbered as a spreadsheet shows them: the header is row 1, and a blank
        # line is a row (skipped, as a spreadsheet shows it empty).
        for row, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(entries) == MAX_SERIES_DAYS:
                problems.append(
                    f"{field}: {name} has more than {MAX_SERIES_DAYS:,} rows of data: a series "
                    f"may give at most {MAX_SERIES_DAYS:,} days"
                )
                return None
            cells = [record[i] if i < len(record) else "" for i in columns.values()]
            entries.append((row, cells[0], cells[1]))
    except csv.Error as exc:
        problems.append(f"{field}: {name} line {reader.line_num}: not readable as CSV: {exc}")
        return None
    if not entries:
        problems.append(f"{field}: {name} has no rows of data: give a row a day")
        return None
    series, found = check_series(entries, name)
    problems += [f"{field}: {problem}" for problem in found[:_MAX_SERIES_PROBLEMS]]
    if len(found) > _MAX_SERIES_PROBLEMS:
        problems.append(f"{field}: ... and {len(found) - _MAX_SERIES_PROBLEMS} more in {name}")
    return series if not found else None


def _read_series_text(field: str, name: str, path: Path, problems: list[str]) -> str | None:
    """The text of the series file at `path`, within the size limit, or None with the
    problem added."""
    where = f"{field}.csv: {name!r}"
    try:
        kind = path.stat().st_mode
        if not stat.S_ISREG(kind):
            what = "a folder" if stat.S_ISDIR(kind) else "a pipe, device or socket"
            problems.append(f"{where} is {what}, not a CSV file")
            return None
        with path.open("rb") as stream:
            raw = stream.read(MAX_SERIES_FILE_BYTES + 1)
    except FileNotFoundError:
        problems.append(f"{where} not found (looked for {os.path.abspath(path)})")
        return None
    except (OSError, ValueError, RuntimeError) as exc:  # a loop of links, a NUL in the name
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problems.append(f"{where} cannot be read: {reason}")
        return None
    if len(raw) > MAX_SERIES_FILE_BYTES:
        problems.append(
            f"{where} is larger than {MAX_SERIES_FILE_BYTES // (1024 * 1024)} MiB: a series "
            f"file may be at most that (a row a day, at most {MAX_SERIES_DAYS:,} days)"
        )
        return None
    try:
        return raw.decode("utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        problems.append(f"{where} is not UTF-8 text (byte {exc.start}): save it as CSV UTF-8")
        return None


def _check_corners(source: Any, inputs: tuple[UncertainInput, ...]) -> None:
    """Refuse ranges whose joint extremes break a rule across fields (two shares of one
    lever that together pass 1, a drawn mean below a fixed median): with every input at
    its lowest, then at its highest drawable quantile, the scenario must still be valid,
    or some replication would stop part-way through a run."""
    for q, word in ((QUANTILE_LIMIT, "lowest"), (1.0 - QUANTILE_LIMIT, "highest")):
        data = copy.deepcopy(source)
        place_values(data, inputs, [spec.value_at(q) for spec in inputs])
        try:
            parse_scenario(data)
        except ScenarioError as exc:
            raise ScenarioError(
                [
                    f"{problem} (with every uncertain input at the {word} value it can draw, "
                    f"its {q:.1%} quantile: a replication that draws near there would stop; "
                    "narrow the ranges, or give hard ends with uniform or triangular)"
                    for problem in exc.problems
                ]
            ) from None


@functools.cache
def _schema() -> dict[str, Any]:
    return Scenario.model_json_schema()


def parse_value(text: str) -> Any:
    """One value written on the command line (``--set path=value``), read as YAML so that
    numbers stay numbers and ``unlimited`` stays text.

    Raises
    ------
    ScenarioError
        If `text` is not a YAML value (an unclosed bracket or quote, say).
    """
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise ScenarioError(
            [f"{text!r} is not a value: {problem} (quote text, close brackets)"]
        ) from None


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, for editors that complete and check YAML."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "placesim scenario"
    return schema
