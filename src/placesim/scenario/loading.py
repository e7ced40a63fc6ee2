"""Reading scenario files: the only module that reads YAML.

A file is read with hard limits (size, nesting, alias expansion, duplicate keys), merged
along its ``extends`` chain as plain data, validated by the schema and then checked across
fields, so every problem reaches the user as one :class:`~placesim.errors.ScenarioError`
naming the field, the value and what is allowed.
"""

from __future__ import annotations

import copy
import functools
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from placesim.errors import ScenarioError
from placesim.scenario.checks import check_scenario
from placesim.scenario.extends import resolve_extends
from placesim.scenario.messages import describe_validation_error
from placesim.scenario.schema import Scenario
from placesim.scenario.uncertainty import (
    QUANTILE_LIMIT,
    UncertainInput,
    Uncertainty,
    find_uncertain,
    place_values,
)

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "MAX_YAML_VALUES",
    "load_scenario",
    "parse_scenario",
    "parse_value",
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
    checked as a whole.

    Raises
    ------
    ScenarioError
        With every problem found, each naming the field, the value and what is allowed; a
        missing file or malformed YAML is named with its line. Problems of the merged
        scenario name `path` as their source.
    """
    path = Path(path)
    data = resolve_extends(path, read_yaml)
    try:
        return parse_scenario(data)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, source=str(path)) from None


def parse_scenario(data: Any) -> Scenario:
    """Build a :class:`Scenario` from plain data (a dict as read from YAML) and check it.

    Values written as ranges or distributions (docs/uncertainty.md) are checked against
    what their fields allow, and the scenario is checked with each at its median.
    """
    if data is None:
        raise ScenarioError(["the file is empty: a scenario is a mapping of keys to values"])
    if not isinstance(data, dict):
        raise ScenarioError(
            [f"the scenario must be a mapping of keys to values, not {type(data).__name__}"]
        )
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
        raise ScenarioError(describe_validation_error(exc, data)) from None
    problems = check_scenario(scenario)
    if problems:
        raise ScenarioError(problems)
    if inputs:
        _check_corners(source, inputs)
        scenario._uncertain = Uncertainty(inputs, copy.deepcopy(source))
    return scenario


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
