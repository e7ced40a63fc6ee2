"""Fuzzed command lines: whatever the arguments, one line and exit code 0 or 2, never a
traceback (as tests/property/test_fuzz_scenarios.py does for scenario files).

Arguments are drawn from each command's own options with hostile values: huge, negative,
zero, not-a-number, empty, unclosed YAML, paths that are folders, pipes or missing. Valid
runs are kept small (a 20-day scenario, few replications) so the fuzz stays quick.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placesim.cli import main
from small_scenario import small_scenario

NUMBERS = st.sampled_from(
    ["0", "1", "2", "-1", "99999999999999999999", "1e3", "nan", "inf", "x", "", " 1", "0x10"]
)
TEXT = st.one_of(
    NUMBERS,
    st.text(min_size=0, max_size=12),
    st.sampled_from(["[1,2", "{a:", "'", "a: b: c", "\x00", "--", "-n", "🙂", "../"]),
)
GRIDS = st.sampled_from(
    [
        "settings.acute.capacity=40:50:10",
        "settings.acute.capacity=[1,2",
        "settings.acute.capacity=1:1000000:1",
        "settings.nope=1",
        "settings.acute.capacity=",
        "=1",
        "settings.acute.capacity=50:40:10",
        "settings.acute.capacity=a:b:c",
        "interventions[9].start=2025-01-01",
        "calendar.horizon_days=0",
    ]
)
TARGETS = st.sampled_from(
    ["capacity_gap<=0", "capacity_gap<=nan", "capacity_gap>=0", "nope<=1", "acute.wait_mean<=1"]
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small valid scenario, a broken one, a folder, a pipe and a missing path."""
    root = tmp_path_factory.mktemp("fuzz")
    data = small_scenario()
    data["calendar"]["horizon_days"] = 20
    data["calendar"]["replications"] = 1
    good = root / "good.yaml"
    good.write_text(yaml.safe_dump(data))
    broken = root / "broken.yaml"
    broken.write_text("calendar: [1,2\n")
    pipe = root / "pipe"
    os.mkfifo(pipe)
    return {
        "good": str(good),
        "broken": str(broken),
        "folder": str(root),
        "pipe": str(pipe),
        "missing": str(root / "missing.yaml"),
        "out": str(root / "out"),
    }


def _file(files: dict[str, str]) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [files[k] for k in ("good", "good", "broken", "folder", "pipe", "missing")]
    )


def _options(files: dict[str, str], command: str) -> st.SearchStrategy[list[str]]:
    common: dict[str, st.SearchStrategy[str]] = {
        "--replications": st.sampled_from(["1", "2", "0", "-1", "99999999999999999999", "x"]),
        "--seed": NUMBERS,
        "--out": st.sampled_from([files["out"], files["folder"], files["good"], ""]),
    }
    extra: dict[str, dict[str, st.SearchStrategy[str]]] = {
        "run": {
            "--format": st.sampled_from(["csv", "parquet", "xlsx", ""]),
            "--precision": st.sampled_from(["0.5", "0", "1", "-1", "nan", "x"]),
            "--max-replications": st.sampled_from(["2", "0", "x"]),
            "--engine": st.sampled_from(["fast", "simpy", "warp"]),
            "--workers": st.sampled_from(["1", "0", "-1", "99999999999999999999", "x"]),
            "--scheduler": st.sampled_from(["not-a-url", "tcp://", ""]),
        },
        "sweep": {"--set": GRIDS, "--max-points": NUMBERS},
        "size": {
            "--setting": st.sampled_from(["acute", "intermediate_care", "nope", ""]),
            "--target": TARGETS,
            "--max-capacity": st.sampled_from(["60", "0", "x"]),
        },
        "warmup": {
            "--setting": st.sampled_from(["acute", "nope"]),
            "--window": st.sampled_from(["1", "0", "99999999999999999999", "x"]),
        },
    }
    choices = {**common, **extra.get(command, {})}
    pairs = st.lists(
        st.sampled_from(sorted(choices)).flatmap(
            lambda flag: choices[flag].map(lambda value: [flag, value])
        ),
        max_size=4,
    )
    flags = st.lists(st.sampled_from(["--quiet", "--no-stays", "--report", "--weekly", "--bogus"]))
    return st.tuples(pairs, flags, st.lists(TEXT, max_size=1)).map(
        lambda parts: [x for pair in parts[0] for x in pair] + parts[1] + parts[2]
    )


COMMANDS = ["run", "validate", "diff", "compare", "report", "sweep", "size", "warmup", "schema"]


@pytest.mark.parametrize("command", COMMANDS)
def test_fuzzed_arguments_give_one_line_and_code_0_or_2(
    command: str, files: dict[str, str], capsys: Any
) -> None:
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        positional = data.draw(st.lists(_file(files), min_size=0, max_size=3), label="files")
        options = data.draw(_options(files, command), label="options")
        argv = [command, *positional, *options]
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse: usage errors and --help
            code = int(exit_.code or 0)
        err = capsys.readouterr().err
        codes.append(code)
        assert code in (0, 2), (argv, code, err)
        assert "Traceback" not in err, (argv, err)
        if code == 2:
            problems = [x for x in err.splitlines() if x.startswith(("error:", "placesim"))]
            assert problems, (argv, err)

    codes: list[int] = []
    check()
    assert len(codes) >= 40
    assert not Path(files["out"]).with_name(".out.lock").exists()
