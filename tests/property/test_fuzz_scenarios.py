"""Hostile and broken scenario files: each is valid or a ScenarioError that names the field.

Hypothesis mutates the shipped scenarios three ways and feeds every result to
``placesim.load_scenario`` and to ``placesim validate`` (in-process, for speed):

- the data of ``rotherham_baseline.yaml`` (deleted keys, wrong types, negative, zero, huge and
  NaN numbers, bad dates, shares that are not probabilities, deep nesting, unknown keys, an
  ``extends`` that points at the file itself, at a variant, at nothing or at a device);
- the text of every file in scenarios/ (cut, spliced, re-indented, with hostile number
  literals, with bytes that are not UTF-8 or control characters), each written next to
  copies of the shipped files so that ``extends:`` still finds its parent;
- YAML-level attacks: alias bombs ("billion laughs"), aliases that contain themselves,
  chains of merge keys, nesting hundreds or thousands deep, files over the size limit,
  unsafe and odd tags, several documents, loops and long chains of ``extends``.

The property: loading either succeeds or raises :class:`placesim.ScenarioError` with at
least one problem, each problem one line that starts with the field path (its first part a
top-level key of the file) or with a file-level message (``malformed YAML: line 3, ...``,
``not UTF-8 text``, ``file too large``); never any other exception, never a hang (a timer
stops an example after :data:`HANG_SECONDS`, and hypothesis's deadline flags a slow one);
and the CLI agrees: exit code 0 for a valid file, 2 with ``error:`` lines and no traceback
otherwise. A few inputs also go through a real ``python -m placesim validate`` process.

Every example runs in well under a second, so CI runs the default profile (100 examples
per test, 300 in all, derandomized by the "ci" profile); ``HYPOTHESIS_PROFILE=fuzz`` runs
5,000 per test.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import math
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import placesim
from placesim.cli import main
from placesim.scenario import MAX_FILE_BYTES, MAX_NESTING

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
BASELINE_FILE = ROOT / "scenarios" / "rotherham_baseline.yaml"
BASELINE_TEXT = BASELINE_FILE.read_text(encoding="utf-8")
BASELINE: dict[str, Any] = yaml.safe_load(BASELINE_TEXT)
TEXTS = {path.name: path.read_text(encoding="utf-8") for path in SHIPPED}

CANDIDATE = "candidate.yaml"
"""The name every generated file is written under, in a folder with copies of scenarios/."""

HANG_SECONDS = 20.0
"""An example still running after this long is a hang: the timer stops it and fails."""

FILE_LEVEL = (
    "malformed YAML: ",
    "not UTF-8 text",
    "file too large",
    "file not found",
    "cannot read",
    "the file is empty",
    "the scenario must be a mapping",
)
"""How a problem with the file as a whole (not one field) starts."""

SCENARIO_KEYS = frozenset(placesim.Scenario.model_fields) | {"extends"}

FUZZ = settings(
    deadline=dt.timedelta(seconds=5),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


# --------------------------------------------------------------------------- the property


class Hang(Exception):
    """An example ran for longer than HANG_SECONDS."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread if the block runs longer than `seconds`."""

    def stop(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def top_level_keys(path: Path) -> set[str]:
    """The top-level keys of the file, as the messages spell them (for field paths)."""
    try:
        data = yaml.safe_load(path.read_bytes().decode("utf-8"))
    except Exception:  # only called for files that load; this is a fallback
        return set()
    return {str(key) for key in data} if isinstance(data, dict) else set()


def assert_explained(problems: list[str], keys: set[str]) -> None:
    """Each problem is one line naming a field (by its top-level key) or the whole file."""
    assert problems, "a ScenarioError with no problems"
    heads = SCENARIO_KEYS | keys
    for problem in problems:
        assert "\n" not in problem, f"a problem of several lines: {problem!r}"
        if problem.startswith(FILE_LEVEL):
            continue
        assert ": " in problem, f"no 'field: message' in {problem!r}"
        # A path begins with its top-level key, escaped if it has a newline or another
        # unprintable character, and cut to 57 characters if long.
        shown = {key if key.isprintable() else repr(key)[1:-1] for key in heads}
        named = any(problem.startswith(key[:57]) for key in shown if key) or (
            "" in keys and problem.startswith("(top level)")
        )
        assert named, f"{problem!r} names no field of the file ({sorted(heads)[:20]})"


def _kind(problem: str) -> str:
    """The kind of a problem, for hypothesis's statistics: file-level, or its first word."""
    for start in FILE_LEVEL:
        if problem.startswith(start):
            return start.rstrip(": ") + (
                f" ({problem.split(': ')[-1][:30]})" if "YAML" in start else ""
            )
    return "field " + problem.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0][:20]


def validate_cli(path: Path) -> tuple[int, str]:
    """Run ``placesim validate path`` in-process: exit code and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(path)])
    return code, err.getvalue()


def check_file(path: Path) -> bool:
    """The property, for one file: valid, or explained; the CLI agrees. Returns validity."""
    with time_limit(HANG_SECONDS):
        try:
            placesim.load_scenario(path)
        except placesim.ScenarioError as exc:
            valid = False
            event(f"refused: {_kind(exc.problems[0]) if exc.problems else 'no problem'}")
            assert exc.source is not None, "a problem with a file does not name the file"
            keys = set() if all(p.startswith(FILE_LEVEL) for p in exc.problems) else None
            assert_explained(exc.problems, keys if keys is not None else top_level_keys(path))
        else:
            valid = True
            event("valid")
        code, err = validate_cli(path)
    assert code == (0 if valid else 2), f"exit code {code} for a {'valid' if valid else 'bad'} file"
    if not valid:
        assert err.startswith("error: "), err[:200]
        assert "Traceback" not in err
    return valid


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with copies of scenarios/*.yaml, where each generated file is written."""
    folder = tmp_path_factory.mktemp("fuzz")
    for path in SHIPPED:
        shutil.copy(path, folder / path.name)
    return folder


# --------------------------------------------------------------------------- values


def nested(depth: int, inner: Any = 1) -> Any:
    for _ in range(depth):
        inner = [inner]
    return inner


numbers = st.one_of(
    st.sampled_from(
        [0, -1, 1, -0.0, 0.5, -0.5, 1.5, 2, 10**6, 10**12, 2**63, 10**100, 10**300, 5e-324]
    ),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
)
bad_dates = st.one_of(
    st.sampled_from(
        [
            "2025-13-01",
            "2025-02-30",
            "2025-04-31",
            "0001-01-01",
            "9999-12-31",
            "1677-09-21",
            "2262-04-12",
            "yesterday",
            "01/04/2025",
            "2025-04-01T25:00",
            "",
        ]
    ),
    st.dates(),
    st.datetimes(),
)
words = st.sampled_from(
    ["", "unlimited", "all", "lognormal", "gamma", "queue", "acute", "P1", "home", "0-64", "x"]
)
scalars = st.one_of(st.none(), st.booleans(), numbers, words, st.text(max_size=12), bad_dates)
hostile = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.dictionaries(st.one_of(words, st.text(max_size=6)), scalars, max_size=3),
    st.builds(nested, st.integers(1, MAX_NESTING + 20), scalars),
)
"""Values put in place of any value of the scenario."""


class Change:
    """A mutation: a function with a readable repr, so that a failing example says what
    was done to the file."""

    def __init__(self, label: str, fn: Callable[[Any], Any]) -> None:
        self.label = label if len(label) <= 200 else label[:197] + "..."
        self.fn = fn

    def __call__(self, value: Any) -> Any:
        return self.fn(value)

    def __repr__(self) -> str:
        return f"<{self.label}>"


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += _paths(child, (*prefix, i))
    return out


PATHS = _paths(BASELINE)
"""Every place in the baseline's data: the root, each mapping, list and value."""


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


@st.composite
def data_mutation(draw: st.DrawFn) -> Change:
    """One change to the scenario data, as a function of the data."""
    path = draw(st.sampled_from(PATHS))
    op = draw(
        st.sampled_from(
            ["delete", "replace", "replace", "probability", "unknown_key", "wrap", "extends"]
        )
    )

    def apply(data: Any) -> Any:
        try:
            here = _get(data, path)
        except (KeyError, IndexError, TypeError):
            return data  # an earlier change removed or replaced this place
        if op == "delete" and path:
            del _get(data, path[:-1])[path[-1]]
            return data
        if op == "probability":
            return _set(data, path, p_value)
        if op == "unknown_key":
            if isinstance(here, dict):
                here[key] = value
            return data
        if op == "wrap":
            return _set(data, path, nested(depth, copy.deepcopy(here)))
        if op == "extends":
            if isinstance(data, dict):
                data["extends"] = extends
            return data
        return _set(data, path, value)

    value = draw(hostile)
    p_value = draw(st.floats(min_value=-0.5, max_value=1.5) | st.sampled_from([math.nan, 1.0]))
    key = draw(st.one_of(words, st.text(max_size=8), st.integers(-2, 2), st.none()))
    depth = draw(st.integers(1, MAX_NESTING + 10))
    extends = draw(
        st.sampled_from(
            [
                CANDIDATE,
                "./" + CANDIDATE,
                "rotherham_baseline.yaml",
                "nope.yaml",
                "",
                ".",
                "/dev/zero",
            ]
            + [name for name in TEXTS if name != "rotherham_baseline.yaml"]
        )
        | st.sampled_from(["a\x00b", "x" * 5000, "../" * 50 + "etc/passwd"])
        | hostile
    )
    detail = {
        "delete": "",
        "replace": f" = {value!r}",
        "probability": f" = {p_value!r}",
        "unknown_key": f" gets {key!r}: {value!r}",
        "wrap": f" in {depth} lists",
        "extends": f": extends {extends!r}",
    }[op]
    return Change(f"{op} {list(path)}{detail}", apply)


# --------------------------------------------------------------------------- text


NUMBER_LITERALS = [
    ".nan",
    "-.inf",
    ".inf",
    "1e999",
    "-0",
    "0x1F",
    "0o17",
    "1_000",
    "12:30:45",
    "2025-02-30",
    "0001-01-01",
    "9999-12-31",
    "~",
    "null",
    "yes",
    "off",
    "'5'",
    "1" + "0" * 5000,
    "-" + "9" * 400,
    "!!int x",
    "!!float nope",
    "!!timestamp 2025-99-99",
    "!!timestamp 2025-9",
    "!!bool maybe",
    "!!binary aGVsbG8=",
    "!!python/object/apply:os.system ['true']",
    "!custom 3",
    "*undefined",
    "&anchor 3",
]
BAD_BYTES = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80", b"\xfe\xfe", b"\x00", b"\x01", b"\x1b"]
yaml_text = st.text(alphabet=st.sampled_from(list(":-[]{}&*!|>'\"%@`#,? \t\nab01.")), max_size=30)


@st.composite
def text_mutation(draw: st.DrawFn) -> Change:
    """One change to the text of a scenario file."""
    op = draw(
        st.sampled_from(
            [
                "cut",
                "insert",
                "literal",
                "duplicate_line",
                "drop_line",
                "swap_lines",
                "indent",
                "truncate",
            ]
        )
    )
    where = draw(st.floats(min_value=0.0, max_value=1.0))
    other = draw(st.floats(min_value=0.0, max_value=1.0))
    length = draw(st.integers(1, 200))
    snippet = draw(yaml_text)
    literal = draw(st.sampled_from(NUMBER_LITERALS))
    shift = draw(st.sampled_from([-4, -2, -1, 1, 2, 4]))

    def apply(text: str) -> str:
        i = int(where * len(text))
        lines = text.split("\n")
        k, m = int(where * (len(lines) - 1)), int(other * (len(lines) - 1))
        if op == "cut":
            return text[:i] + text[i + length :]
        if op == "insert":
            return text[:i] + snippet + text[i:]
        if op == "literal":
            # Put the literal in place of the value of the k-th "key: value" line.
            with_value = [j for j, line in enumerate(lines) if ": " in line]
            if not with_value:
                return text
            j = with_value[int(where * (len(with_value) - 1))]
            head = lines[j].split(": ", 1)[0]
            lines[j] = f"{head}: {literal}"
        elif op == "duplicate_line":
            lines.insert(k, lines[k])
        elif op == "drop_line":
            del lines[k]
        elif op == "swap_lines":
            lines[k], lines[m] = lines[m], lines[k]
        elif op == "indent":
            lines[k] = " " * shift + lines[k] if shift > 0 else lines[k][-shift:]
        elif op == "truncate":
            return text[:i]
        return "\n".join(lines)

    detail = {
        "cut": f" {length} characters",
        "insert": f" {snippet!r}",
        "literal": f" {literal[:40]!r}",
        "indent": f" by {shift}",
        "swap_lines": f" with {other:.4f}",
    }.get(op, "")
    return Change(f"{op} at {where:.4f}{detail}", apply)


@st.composite
def byte_mutation(draw: st.DrawFn) -> Change:
    """A change to the bytes: not UTF-8, a control character, a BOM or another encoding."""
    op = draw(st.sampled_from(["bad_bytes", "bad_bytes", "bom", "utf16", "latin1"]))
    where = draw(st.floats(min_value=0.0, max_value=1.0))
    bad = draw(st.sampled_from(BAD_BYTES))

    def apply(raw: bytes) -> bytes:
        i = int(where * len(raw))
        if op == "bad_bytes":
            return raw[:i] + bad + raw[i:]
        if op == "bom":
            return b"\xef\xbb\xbf" + raw
        text = raw.decode("utf-8", errors="replace")
        if op == "utf16":
            return text.encode("utf-16")
        return text.replace("-", "\u2013").encode("utf-8").replace(b"\xe2\x80\x93", b"\x96")

    return Change(f"{op} {bad!r} at {where:.4f}" if op == "bad_bytes" else op, apply)


# --------------------------------------------------------------------------- attacks


def laughs(breadth: int, depth: int, indent: str = "") -> str:
    """The lines of a billion-laughs ladder: l{depth-1} expands to breadth**depth strings."""
    lines = [f"{indent}l0: &l0 [" + ", ".join(['"lol"'] * breadth) + "]"]
    for i in range(1, depth):
        lines.append(f"{indent}l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * breadth) + "]")
    return "\n".join(lines) + "\n"


# Places in the baseline text where a value can be swapped for an alias or a construct.
SLOTS = {
    "description": ("description: >-", "description: {value}\nx_description: >-"),
    "localities": ("  localities:\n", "  localities: {value}\n  x_localities:\n"),
    "los": ("los: {kind: exponential, mean: 708.0}", "los: {value}"),
    "elapsed": (
        "acute: {occupied: 505, remaining: residual}",
        "acute: {{remaining: elapsed, elapsed_days: {value}}}",
    ),
    "referrals": ("initial_state:", "referrals: {value}\ninitial_state:"),
    "monthly": (
        "monthly: [1.03, 1.02, 1.00, 0.9914, 0.9914, 0.9914, 0.9914, 0.9914, 0.9914, 0.9914, "
        "0.9914, 1.02]",
        "monthly: {value}",
    ),
}


def in_slot(slot: str, value: str, prelude: str = "") -> str:
    old, new = SLOTS[slot]
    assert old in BASELINE_TEXT, f"slot {slot} is no longer in the baseline"
    return prelude + BASELINE_TEXT.replace(old, new.format(value=value), 1)


@st.composite
def attack(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    """Files to write (name, bytes); the last is the one loaded."""
    kind = draw(
        st.sampled_from(
            [
                "laughs",
                "laughs_in_field",
                "self_alias",
                "merge_chain",
                "merge_bomb",
                "deep_flow",
                "deep_block",
                "huge",
                "long_value",
                "tags",
                "documents",
                "extends_loop",
                "extends_chain",
                "root",
            ]
        )
    )
    slot = draw(st.sampled_from(sorted(SLOTS)))
    breadth, depth = draw(st.integers(2, 12)), draw(st.integers(2, 12))
    n = draw(st.integers(2, 100_000))

    def file(text: str) -> list[tuple[str, bytes]]:
        return [(CANDIDATE, text.encode("utf-8"))]

    if kind == "laughs":
        return file("x_laughs:\n" + laughs(breadth, depth, "  ") + BASELINE_TEXT)
    if kind == "laughs_in_field":
        return file(in_slot(slot, f"*l{depth - 1}", "x_laughs:\n" + laughs(breadth, depth, "  ")))
    if kind == "self_alias":
        value = draw(st.sampled_from(["&s [*s]", "&s {a: *s}", "&s [1, [2, *s]]"]))
        return file(in_slot(slot, value))
    if kind == "merge_chain":
        links = min(n, 500)
        lines = ["x_merge:", "  m0: &m0 {kind: fixed, days: 1}"]
        lines += [f"  m{i}: &m{i} {{<<: *m{i - 1}}}" for i in range(1, links)]
        return file("\n".join(lines) + "\n" + in_slot("los", f"*m{links - 1}"))
    if kind == "merge_bomb":
        lines = ["x_merge:", "  m0: &m0 {kind: fixed, days: 1}"]
        lines += [
            f"  m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * breadth)}]}}"
            for i in range(1, depth)
        ]
        return file("\n".join(lines) + "\n" + in_slot("los", f"*m{depth - 1}"))
    if kind == "deep_flow":
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
        return file(in_slot(slot, opener * n + "1" + closer * n))
    if kind == "deep_block":
        levels = min(n, 400)
        block = "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "1\n"
        return file(
            BASELINE_TEXT + "x_deep:\n" + "".join("  " + line + "\n" for line in block.splitlines())
        )
    if kind == "huge":
        size = draw(
            st.sampled_from(
                [MAX_FILE_BYTES - 4096, MAX_FILE_BYTES + 1, 2 * MAX_FILE_BYTES, 4_000_000]
            )
        )
        filler = draw(st.sampled_from(["comment", "data"]))
        room = size - len(BASELINE_TEXT.encode("utf-8")) - 1
        if filler == "comment" or size <= MAX_FILE_BYTES:
            pad = ("# " + "x" * 78 + "\n") * (room // 81)
        else:  # data is only ever padded past the limit (parsing it would take seconds)
            pad = "x_pad: [" + ",".join(["1"] * (room // 2)) + "]\n"
        return file(BASELINE_TEXT + "\n" + pad)
    if kind == "long_value":
        value = draw(st.sampled_from(["x" * n, '"' + "\\u00e9" * min(n, 30_000) + '"', "9" * n]))
        return file(in_slot(slot, value))
    if kind == "tags":
        tag = draw(
            st.sampled_from(
                [
                    "!!python/object/apply:os.system ['true']",
                    "!!python/name:os.system",
                    "!!binary aGVsbG8=",
                    "!!set {a, b}",
                    "!!omap [a: 1, b: 2]",
                    "!!pairs [a: 1, a: 2]",
                    "!custom {a: 1}",
                    "!!str",
                    "!!map [1, 2]",
                    "!!seq {a: 1}",
                ]
            )
        )
        return file(in_slot(slot, tag))
    if kind == "documents":
        text = draw(
            st.sampled_from(
                [
                    BASELINE_TEXT + "\n---\n" + BASELINE_TEXT,
                    "---\n...\n",
                    "",
                    "# only a comment\n",
                    "%YAML 1.1\n---\n" + BASELINE_TEXT,
                    "%YAML 9.9\n---\n" + BASELINE_TEXT,
                    "%TAG ! tag:example.com,2000:\n---\n" + BASELINE_TEXT,
                ]
            )
        )
        return file(text)
    if kind == "extends_loop":
        # A -> B -> A, or A -> A through another spelling.
        a = "extends: b_loop.yaml\nname: a\n"
        b = f"extends: {CANDIDATE}\nname: b\n"
        return [("b_loop.yaml", b.encode()), (CANDIDATE, a.encode())]
    if kind == "extends_chain":
        links = min(n, 40)
        files = [(f"chain{i}.yaml", f"extends: chain{i + 1}.yaml\n".encode()) for i in range(links)]
        files.append((f"chain{links}.yaml", BASELINE_TEXT.encode()))
        return [*files, (CANDIDATE, b"extends: chain0.yaml\n")]
    root = draw(st.sampled_from(["[1, 2]", "3", "'text'", "~", "{}", "[]", "!!binary aGVsbG8="]))
    return file(root + "\n")


# --------------------------------------------------------------------------- the tests


@FUZZ
@given(st.lists(data_mutation(), min_size=1, max_size=4))
def test_mutated_data_is_valid_or_explained(workdir: Path, changes: list[Change]) -> None:
    data: Any = copy.deepcopy(BASELINE)
    for change in changes:
        data = change(data)
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (RecursionError, ValueError):
        # Nothing to test: PyYAML cannot write it (a reused object deeper than its limit).
        return
    path = workdir / CANDIDATE
    path.write_text(text, encoding="utf-8")
    valid = check_file(path)
    # The same data, handed over directly rather than through a file.
    if valid or (isinstance(data, dict) and "extends" in data):
        return
    with time_limit(HANG_SECONDS), pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(copy.deepcopy(data))
    keys = {str(key) for key in data} if isinstance(data, dict) else set()
    assert_explained(info.value.problems, keys)


@FUZZ
@given(
    st.sampled_from(sorted(TEXTS)),
    st.lists(text_mutation(), min_size=1, max_size=3),
    # Mostly text changes only, so that most examples get past the UTF-8 check.
    st.one_of(st.just([]), st.just([]), st.lists(byte_mutation(), min_size=1, max_size=1)),
)
def test_mutated_text_is_valid_or_explained(
    workdir: Path,
    name: str,
    changes: list[Change],
    byte_changes: list[Change],
) -> None:
    text = TEXTS[name]
    for change in changes:
        text = change(text)
    raw = text.encode("utf-8")
    for byte_change in byte_changes:
        raw = byte_change(raw)
    path = workdir / CANDIDATE
    path.write_bytes(raw)
    check_file(path)


@FUZZ
@given(attack())
def test_yaml_attacks_are_refused_quickly(workdir: Path, files: list[tuple[str, bytes]]) -> None:
    for name, raw in files:
        (workdir / name).write_bytes(raw)
    check_file(workdir / files[-1][0])


# --------------------------------------------------------------------------- real processes


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x_laughs:\n" + laughs(10, 10, "  ") + BASELINE_TEXT, id="billion-laughs"),
        pytest.param(in_slot("description", "[" * 100_000 + "]" * 100_000), id="deep-nesting"),
        pytest.param(
            BASELINE_TEXT.replace("start_date: 2025-04-01", "start_date: 2025-02-30"),
            id="impossible-date",
        ),
    ],
)
def test_cli_process_exits_2_without_traceback(tmp_path: Path, text: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "placesim", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_cli_process_refuses_an_endless_device_without_reading_it() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "placesim", "validate", "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "not a regular file" in proc.stderr and "Traceback" not in proc.stderr
