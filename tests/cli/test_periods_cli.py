"""`--period`, `--target` and `--min-difference` on run and compare, and lever warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import placesim
from builders import write_yaml
from placesim.cli import main

PERIOD = "2025-06-01:2025-07-15"


def test_run_reports_a_period_and_its_targets(
    small: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    path = write_yaml(tmp_path / "s.yaml", small)
    args = ["run", str(path), "-n", "2", "--out", str(tmp_path / "out"), "--period", PERIOD]
    assert main([*args, "--target", "capacity_gap:acute<=0"]) == 0
    out = capsys.readouterr().out
    assert "2025-06-01 to 2025-07-15 (of a run 2025-04-01 to 2025-07-29)" in out
    assert "capacity_gap:acute<=0 (beds) in 2025-06-01:2025-07-15: held in " in out
    res = placesim.simulate(placesim.parse_scenario(small), replications=2)
    summary = res.summary(period=PERIOD)
    bed_days = summary[(summary["measure"] == "bed_days") & (summary["setting"] == "acute")]
    shown = placesim.reporting.format_number(float(bed_days["mean"].iloc[0]), "bed days")
    assert f"bed_days {shown}".replace(" ", "") in out.replace(" ", "")


def test_a_period_outside_the_run_is_refused_before_it_runs(
    small: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    path = write_yaml(tmp_path / "s.yaml", small)
    out = tmp_path / "out"
    assert main(["run", str(path), "--period", "2026-01-01:2026-02-01", "--out", str(out)]) == 2
    assert "inside the run's reporting window" in capsys.readouterr().err
    assert not out.exists()


def test_compare_leads_with_the_decision_table(
    small: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    base = write_yaml(tmp_path / "base.yaml", small)
    more = dict(small, name="more beds")
    more["settings"] = {
        **small["settings"],
        "acute": {**small["settings"]["acute"], "capacity": 80},
    }
    other = write_yaml(tmp_path / "more.yaml", more)
    args = ["compare", str(base), str(other), "-n", "3", "--out", str(tmp_path / "cmp")]
    assert main([*args, "--period", PERIOD, "--min-difference", "bed_days=1e9"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first == "Against small (3 replications, seed 7, 2025-06-01:2025-07-15):"
    assert "acute capacity gap" in out and "chance better" in out
    assert "bed days:" not in out.split("reach their minimum:")[1]  # below 1e9: not listed
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert "better_share" in table.columns
    assert main([*args, "--min-difference", "nope=1"]) == 2


def test_validate_and_run_warn_of_a_lever_outside_the_run(
    small: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    small["interventions"] = [
        {"type": "capacity_change", "setting": "acute", "change": 5, "start": "2027-12-01"}
    ]
    path = write_yaml(tmp_path / "s.yaml", small)
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: interventions[0] (capacity_change): 2027-12-01 to the end")
    assert "wholly outside the run's reporting window" in err


def test_size_judges_the_target_over_a_period(
    small: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    from placesim.experiments.size import size

    scenario = placesim.parse_scenario(small)
    sized = size(scenario, "acute", "capacity_gap<=0", replications=2, period=PERIOD)
    row = sized.tried[sized.tried["capacity"] == sized.tried["capacity"].max()].iloc[0]
    more = placesim.override(scenario, {"settings.acute.capacity": int(row["capacity"])})
    again = placesim.simulate(more, replications=2, seed=scenario.calendar.seed)
    period_gap = again.summary(period=PERIOD).set_index(["measure", "setting"])["mean"]
    assert row["mean"] == pytest.approx(period_gap[("capacity_gap", "acute")])
    path = write_yaml(tmp_path / "s.yaml", small)
    bad = ["size", str(path), "--setting", "acute", "--target", "capacity_gap<=0"]
    assert main([*bad, "--period", "2030-01-01:2030-02-01"]) == 2
    assert "inside the run's reporting window" in capsys.readouterr().err


def test_run_writes_month_and_year_breakdowns(small: dict[str, Any], tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "s.yaml", small)
    out = tmp_path / "out"
    args = ["run", str(path), "-n", "2", "-q", "--out", str(out)]
    assert main([*args, "--by", "month", "--by", "financial_year"]) == 0
    months = pd.read_csv(out / "by_month.csv")
    assert list(months["period"].unique())[:2] == ["2025-04", "2025-05"]
    res = placesim.simulate(placesim.parse_scenario(small), replications=2)
    expected = res.by_period("month")
    pd.testing.assert_series_equal(months["mean"], expected["mean"], check_exact=False)
    assert (out / "by_financial_year.csv").is_file()
    assert placesim.read_results(out).replications == 2  # the folder still reads back


def test_reports_of_a_period_from_run_and_from_a_folder(
    small: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("the report needs matplotlib")
    path = write_yaml(tmp_path / "s.yaml", small)
    out = tmp_path / "out"
    args = ["run", str(path), "-n", "2", "-q", "--out", str(out), "--report", "--period", PERIOD]
    assert main(args) == 0
    page = (out / "report.html").read_text()
    assert 'id="window"' in page and "2025-06-01" in page
    assert (
        main(["report", str(out), "--out", str(tmp_path / "again.html"), "--period", PERIOD]) == 0
    )
    assert (tmp_path / "again.html").read_text() == page
    # Without --period, the report rebuilds the window the run recorded in run.json.
    assert main(["report", str(out), "--out", str(tmp_path / "third.html")]) == 0
    assert (tmp_path / "third.html").read_text() == page
    assert main(["report", str(out), "--period", "2030-01-01:2030-01-02"]) == 2
    assert "inside the run's reporting window" in capsys.readouterr().err


def test_a_period_run_records_its_window_on_disk(small: dict[str, Any], tmp_path: Path) -> None:
    import json

    path = write_yaml(tmp_path / "s.yaml", small)
    out = tmp_path / "out"
    assert main(["run", str(path), "-n", "2", "-q", "--out", str(out), "--period", PERIOD]) == 0
    meta = json.loads((out / "run.json").read_text())
    assert meta["period"] == {"label": PERIOD, "start": "2025-06-01", "end": "2025-07-15"}
    written = pd.read_csv(out / "summary.csv")
    res = placesim.read_results(out)
    expected = res.summary(period=PERIOD)
    assert written["mean"].to_numpy() == pytest.approx(expected["mean"].to_numpy(), nan_ok=True)


def test_python_runs_and_reports_warn_of_a_lever_outside_the_run(
    small: dict[str, Any],
) -> None:
    import warnings

    from placesim.reporting.html import result_html

    small["interventions"] = [
        {"type": "capacity_change", "setting": "acute", "change": 5, "start": "2027-12-01"}
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = placesim.simulate(placesim.parse_scenario(small), replications=1)
    said = [str(w.message) for w in caught if isinstance(w.message, placesim.PlacesimWarning)]
    assert said and said[0].startswith("small: interventions[0] (capacity_change): 2027-12-01")
    page = result_html(res)
    assert "Levers dated outside the run" in page and "wholly outside" in page
