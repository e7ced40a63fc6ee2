"""Regression tests: scenario files that crashed, hung or were silently misread.

Each input here was found by tests/property/test_fuzz_scenarios.py or by reading the loader
with it in mind; before the fix it raised something other than ScenarioError, ran for
minutes, or loaded without a word. Each now is a ScenarioError with a one-line problem that
names the field or the line of the file.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import placesim
from placesim.scenario import MAX_FILE_BYTES, MAX_NESTING, MAX_YAML_VALUES

ROOT = Path(__file__).resolve().parents[2]
BASELINE_TEXT = (ROOT / "scenarios" / "rotherham_baseline.yaml").read_text(encoding="utf-8")


def _problems(path: Path) -> list[str]:
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.load_scenario(path)
    assert info.value.source == str(path)
    assert all("\n" not in p for p in info.value.problems)
    return info.value.problems


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _line(text: str, needle: str) -> int:
    """The line number (from 1) of the first line of `text` containing `needle`."""
    return text[: text.index(needle)].count("\n") + 1


def _laughs(breadth: int = 10, depth: int = 10) -> str:
    lines = ["x_laughs:", "  l0: &l0 [" + ", ".join(['"lol"'] * breadth) + "]"]
    for i in range(1, depth):
        lines.append(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * breadth) + "]")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- YAML level


def test_integer_too_long_to_convert_names_its_line(tmp_path: Path) -> None:
    # Was ValueError (Python's 4300-digit limit on int(str)) from inside PyYAML.
    text = BASELINE_TEXT.replace("capacity: 541", "capacity: 1" + "0" * 5000)
    line = _line(text, "capacity: 1000")
    problems = _problems(_write(tmp_path, text))
    assert problems[0].startswith(f"malformed YAML: line {line}, column 15: '1000")
    assert "is not a valid int: more than 4300 digits" in problems[0]


@pytest.mark.parametrize(
    ("value", "reason"),
    [("2025-02-30", "day is out of range"), ("2025-04-01 25:00:00", "hour must be")],
)
def test_impossible_unquoted_date_names_its_line(tmp_path: Path, value: str, reason: str) -> None:
    # Was ValueError from PyYAML's timestamp constructor (a quoted date was already fine).
    text = BASELINE_TEXT.replace("start_date: 2025-04-01", f"start_date: {value}")
    line = _line(text, "start_date:")
    [problem] = _problems(_write(tmp_path, text))
    assert problem.startswith(f"malformed YAML: line {line}, column 15: '{value}' is not a")
    assert reason in problem


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_deep_nesting_is_refused_at_its_line(tmp_path: Path, opener: str) -> None:
    # Was RecursionError from PyYAML's composer, after seconds of parsing.
    closer = "]" if opener == "[" else "}"
    value = opener * 20_000 + "1" + closer * 20_000
    text = BASELINE_TEXT.replace("description: >-", f"description: {value}\nx_description: >-")
    [problem] = _problems(_write(tmp_path, text))
    assert problem.startswith(f"malformed YAML: line {_line(text, 'description:')}, column ")
    assert f"nested more than {MAX_NESTING} levels deep" in problem


def test_nesting_up_to_the_limit_is_read(tmp_path: Path) -> None:
    # Levels count the top-level mapping and the value at the bottom: 1 + 30 lists + 1.
    value = "[" * (MAX_NESTING - 2) + "1" + "]" * (MAX_NESTING - 2)
    deeper = _problems(_write(tmp_path, BASELINE_TEXT + f"x_deep: [{value}]\n"))
    assert deeper[0].endswith(f"nested more than {MAX_NESTING} levels deep")
    problems = _problems(_write(tmp_path, BASELINE_TEXT + f"x_deep: {value}\n"))
    assert problems == [
        "x_deep: unknown key 'x_deep' (allowed: schema_version, name, description, calendar, "
        "population, demand, triage, settings, discharge, referrals, initial_state, measures, "
        "costs, interventions, periods, escalation, electives, staff, discharge_windows)"
    ]


@pytest.mark.parametrize(
    "where",
    [
        ("description: >-", "description: *l9\nx_description: >-"),
        ("  localities:\n", "  localities: *l9\n  x_localities:\n"),
        ("initial_state:", "referrals: *l9\ninitial_state:"),
    ],
    ids=["description", "localities", "referrals"],
)
def test_billion_laughs_is_refused_in_a_moment(tmp_path: Path, where: tuple[str, str]) -> None:
    # Was a hang: the message repr()'d the 10**10-string value it was given.
    text = _laughs() + BASELINE_TEXT.replace(*where, 1)
    start = time.perf_counter()
    [problem] = _problems(_write(tmp_path, text))
    assert time.perf_counter() - start < 5.0
    assert problem.startswith("malformed YAML: line ")
    assert f"expand this to more than {MAX_YAML_VALUES:,} values (an alias bomb?)" in problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("!!timestamp 2025-9", "'2025-9' is not a valid timestamp"),
        ("!!bool maybe", "'maybe' is not a valid bool"),
        ("!!int x", "'x' is not a valid int: invalid literal for int() with base 10: 'x'"),
    ],
)
def test_explicit_tag_on_a_value_it_does_not_fit(tmp_path: Path, value: str, problem: str) -> None:
    # !!timestamp was AttributeError and !!bool KeyError from inside PyYAML (fuzz, 2,405th
    # example of the text mutations).
    [got] = _problems(_write(tmp_path, f"name: x\nstart: {value}\n"))
    assert got == f"malformed YAML: line 2, column 8: {problem}"


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    text = BASELINE_TEXT.replace(
        '"75-84": {kind: lognormal, mean: 9.0, median: 4.5} # ref P12',
        '"75-84": &old {kind: lognormal, mean: 9.0, median: 4.5} # ref P12',
    ).replace('"85+": {kind: lognormal, mean: 9.0, median: 4.5}', '"85+": *old')
    path = _write(tmp_path, text)
    assert placesim.load_scenario(path) == placesim.load_scenario(
        ROOT / "scenarios" / "rotherham_baseline.yaml"
    )


@pytest.mark.parametrize("value", ["&s [*s]", "&s {a: *s}"])
def test_alias_inside_its_own_value_is_refused(tmp_path: Path, value: str) -> None:
    text = BASELINE_TEXT.replace("description: >-", f"description: {value}\nx_description: >-")
    [problem] = _problems(_write(tmp_path, text))
    line = _line(text, "description:")
    assert problem == (
        f"malformed YAML: line {line}, column 14: an alias refers to a value that contains it"
    )


def test_chain_of_merge_keys_is_refused(tmp_path: Path) -> None:
    lines = ["x_merge:", "  m0: &m0 {kind: fixed, days: 1}"]
    lines += [f"  m{i}: &m{i} {{<<: *m{i - 1}}}" for i in range(1, 200)]
    problems = _problems(_write(tmp_path, "\n".join(lines) + "\n" + BASELINE_TEXT))
    assert f"aliases or merge keys nest this more than {MAX_NESTING} levels deep" in problems[0]


def test_merge_key_may_be_overridden_but_a_key_not_repeated(tmp_path: Path) -> None:
    merged = BASELINE_TEXT.replace(
        "los: {kind: exponential, mean: 708.0}",
        "los: {<<: *ic_los, kind: exponential, mean: 708.0}",
    ).replace(
        "los: {kind: lognormal, mean: 38.0, median: 32.0}",
        "los: &ic_los {kind: lognormal, mean: 38.0, median: 32.0}",
    )
    with pytest.raises(placesim.ScenarioError, match=r"care_home\.los\.median: unknown key"):
        placesim.load_scenario(_write(tmp_path, merged))
    # Was silent: the second value won.
    repeated = BASELINE_TEXT.replace("capacity: 541", "capacity: 541\n    capacity: 0")
    [problem] = _problems(_write(tmp_path, repeated))
    line = _line(repeated, "capacity: 541")
    assert problem == (
        f"malformed YAML: line {line + 1}, column 5: duplicate key 'capacity' (first given on "
        f"line {line})"
    )


def test_control_character_is_one_line_naming_its_line(tmp_path: Path) -> None:
    # Was a message of two lines ('... in "<unicode string>", position 4').
    path = tmp_path / "s.yaml"
    path.write_bytes(b"name: x\nfoo: a\x00b\n")
    assert _problems(path) == [
        "malformed YAML: line 2: #x0000 is not allowed (a control character)"
    ]


def test_several_documents_say_so(tmp_path: Path) -> None:
    [problem] = _problems(_write(tmp_path, BASELINE_TEXT + "---\nname: other\n"))
    assert problem.startswith("malformed YAML: line ")
    assert "but found another document (expected a single document in the stream)" in problem


def test_empty_file_says_so(tmp_path: Path) -> None:
    assert _problems(_write(tmp_path, "# nothing here\n")) == [
        "the file is empty: a scenario is a mapping of keys to values"
    ]


# ---------------------------------------------------------------------------- file level


def test_file_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    pad = "x_pad: [" + ",".join(["1"] * MAX_FILE_BYTES) + "]\n"
    start = time.perf_counter()
    [problem] = _problems(_write(tmp_path, BASELINE_TEXT + pad))
    assert time.perf_counter() - start < 1.0
    assert problem.startswith(f"file too large: more than {MAX_FILE_BYTES:,} bytes")


def test_endless_file_is_not_read() -> None:
    # Was a read of /dev/zero until memory ran out; then read only to the size limit; now a
    # device is refused before it is opened, like a pipe (which would block forever).
    with pytest.raises(placesim.ScenarioError, match="not a regular file"):
        placesim.load_scenario("/dev/zero")


def test_comments_up_to_the_limit_are_fine(tmp_path: Path) -> None:
    room = MAX_FILE_BYTES - len(BASELINE_TEXT.encode("utf-8")) - 1
    path = _write(tmp_path, BASELINE_TEXT + "\n" + "#" * room)
    assert path.stat().st_size == MAX_FILE_BYTES
    assert placesim.load_scenario(path).name == "rotherham_baseline"


@pytest.mark.parametrize(
    ("target", "reason"),
    [('"a\\0b"', "embedded null byte"), ("x" * 5000, "File name too long")],
    ids=["nul", "long"],
)
def test_extends_a_name_the_os_refuses(tmp_path: Path, target: str, reason: str) -> None:
    # Was ValueError / OSError from Path.resolve() or is_file().
    path = _write(tmp_path, f"extends: {target}\nname: x\n")
    [problem] = _problems(path)
    assert problem.startswith("extends: ")
    assert f"is not a usable file name ({reason})" in problem


def test_file_name_with_nul_byte() -> None:
    with pytest.raises(placesim.ScenarioError, match="cannot read"):
        placesim.load_scenario("a\x00b.yaml")


# ---------------------------------------------------------------------------- data level


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"start_date": "9999-12-31"},
            "calendar: start_date 9999-12-31 with horizon_days 365 ends after 2262-04-10",
        ),
        (
            {"start_date": "0001-01-01"},
            "calendar: start_date 0001-01-01 with warmup_days 90 starts the simulation "
            "before 1677-09-22",
        ),
        (
            {"start_date": "2262-01-01"},
            "calendar: start_date 2262-01-01 with horizon_days 365 ends after 2262-04-10",
        ),
    ],
)
def test_calendar_outside_the_dates_tables_hold(change: dict[str, Any], message: str) -> None:
    # Was OverflowError (date arithmetic) from check_scenario, or a valid scenario that
    # crashed in pandas when run.
    data = yaml.safe_load(BASELINE_TEXT)
    data["calendar"].update(change)
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(data)
    [problem] = info.value.problems
    assert problem.startswith(message)


def test_key_with_a_newline_is_shown_escaped_on_one_line() -> None:
    # Was a problem of two lines (fuzz, 759th example of the data mutations).
    data = yaml.safe_load(BASELINE_TEXT)
    data["\n"] = 1
    data["settings"]["a\tb"] = 2
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(data)
    assert [p.split(" (allowed")[0] for p in info.value.problems] == [
        "settings.a\\tb: unknown key 'a\\tb'",
        "\\n: unknown key '\\n'",
    ]


def test_key_read_as_a_number_is_named_as_a_key() -> None:
    # Was '[2025]: ...', like a list index (fuzz: a cut left '2025:' at the top level).
    data = yaml.safe_load(BASELINE_TEXT)
    data[2025] = 1
    data["triage"]["home"][7] = {"acute": 1.0}
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(data)
    assert info.value.problems == [
        "triage.home.7: key 7 is not allowed: keys must be text (put it in quotes)",
        "2025: key 2025 is not allowed: keys must be text (put it in quotes)",
    ]


def test_integer_too_long_to_show_in_a_message() -> None:
    # Was ValueError from str() of the value while writing the message.
    data = yaml.safe_load(BASELINE_TEXT)
    data["calendar"]["horizon_days"] = 10**5000
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(data)
    assert info.value.problems == [
        "calendar.horizon_days: a number too long to show is not allowed: must be <= 36600"
    ]


def test_many_age_bands_and_wrong_keys_are_checked_quickly() -> None:
    # Was quadratic: difflib compared each of 1,500 wrong keys with 10,000 bands (minutes).
    data = yaml.safe_load(BASELINE_TEXT)
    bands = [f"b{i}" for i in range(10_000)]
    data["population"]["age_bands"] = bands
    data["population"]["localities"][0]["people"] = {f"z{i}": 1 for i in range(1_500)}
    start = time.perf_counter()
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(data)
    assert time.perf_counter() - start < 5.0
    first = info.value.problems[0]
    assert first == (
        "population.localities[0].people: age band 'z0' is not one of the scenario's bands "
        "(b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, ... (10000 in all))"
    )


def test_many_repeated_names_are_checked_quickly() -> None:
    # Was quadratic in the number of localities (list.count in a loop).
    data = yaml.safe_load(BASELINE_TEXT)
    locality = copy.deepcopy(data["population"]["localities"][0])
    data["population"]["localities"] = [locality] * 20_000
    data["referrals"] = [
        {"name": "gp", "setting": "acute", "rate_per_day": 1, "age_band": "85+"}
    ] * 20_000
    start = time.perf_counter()
    with pytest.raises(placesim.ScenarioError) as info:
        placesim.parse_scenario(data)
    assert time.perf_counter() - start < 5.0
    assert "population.localities: locality name 'Wentworth North' is repeated" in (
        info.value.problems
    )
