"""Reading an extract: every kind of broken row is reported with its row number, field,
value and what is allowed, and counted; nothing is dropped silently (docs/data.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from placesim.cli import main
from placesim.errors import PlacesimError
from placesim.fitting import read_extract

GOOD = {
    "person": "7",
    "setting": "acute",
    "locality": "North",
    "age": "70",
    "residence": "home",
    "arrive": "2025-04-03 10:00",
    "leave": "2025-04-06 12:00",
    "next": "P0",
    "requested": "2025-04-03 09:30",
    "ready": "2025-04-05 12:00",
}
POPULATION = pd.DataFrame(
    {
        "locality": ["North", "North", "South", "South"],
        "partnership": ["A", "A", "B", "B"],
        "age_band": ["0-64", "65+", "0-64", "65+"],
        "residence": ["home", "home", "home", "home"],
        "people": ["1000", "200", "900", "150"],
    }
)


def _write(folder: Path, stays: list[dict[str, str]], **tables: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(stays).to_csv(folder / "stays.csv", index=False)
    POPULATION.to_csv(folder / "population.csv", index=False)
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _row(**changes: str) -> dict[str, str]:
    return {**GOOD, **changes}


def test_each_kind_of_broken_row_is_reported_with_its_row(tmp_path: Path) -> None:
    stays = [
        _row(),  # row 2: fine
        _row(person="8", arrive="31/02/2025 25:00"),  # row 3: unparseable date
        _row(person="9", leave="2025-04-01 00:00"),  # row 4: leave before arrive
        _row(person="10", setting="acut"),  # row 5: unknown setting
        _row(person="11", locality="Nowhere"),  # row 6: unknown locality
        _row(),  # row 7: duplicate of row 2
        _row(person="7", arrive="2025-04-04 10:00", leave="2025-04-08 10:00"),  # 8: overlap
        _row(person=""),  # row 9: no person
        _row(person="12", next="P9"),  # row 10: a destination acute does not have
        _row(person="13", ready="2025-01-01 00:00"),  # row 11: ready before arrive
        _row(person="14", age="seventy"),  # row 12: not an age
        _row(person="15", residence="hospital"),  # row 13: unknown residence
    ]
    extract = read_extract(_write(tmp_path / "x", stays))
    found = {(p.row, p.field, p.outcome) for p in extract.problems}
    assert found == {
        (3, "arrive", "dropped"),
        (4, "leave", "dropped"),
        (5, "setting", "dropped"),
        (6, "locality", "dropped"),
        (7, "duplicate", "dropped"),
        (8, "overlap", "dropped"),
        (9, "person", "dropped"),
        (10, "next", "kept without next"),
        (11, "ready", "kept without ready"),
        (12, "age", "dropped"),
        (13, "residence", "dropped"),
    }
    by_row = {p.row: p for p in extract.problems if p.outcome == "dropped"}
    assert by_row[5].value == "acut" and "did you mean 'acute'" in by_row[5].allowed
    assert "31/02/2025 25:00" in str(by_row[3])
    assert str(by_row[7]).endswith("as row 2 (dropped)")  # the duplicate names its first
    assert len(extract.stays) == 3  # rows 2, 10 and 11 kept
    report = extract.report()
    assert "12 rows read, 3 kept, 9 dropped" in report
    assert "stays row 5: setting: 'acut' is not allowed" in report


def test_local_codes_and_column_names_are_mapped(tmp_path: Path) -> None:
    stays = [
        {**_row(setting="WARD 7", next="DD51"), "AdmitDate": GOOD["arrive"]},
        _row(
            person="8",
            setting="IC-BEDS",
            next="home",
            arrive="2025-04-06 13:00",
            leave="2025-04-20 10:00",
            requested="2025-04-06 12:00",
            ready="",
        ),
    ]
    stays[0].pop("arrive")
    stays[1]["AdmitDate"] = stays[1].pop("arrive")
    codes = pd.DataFrame(
        {
            "field": ["setting", "setting", "next", "column"],
            "code": ["WARD 7", "IC-BEDS", "DD51", "AdmitDate"],
            "value": ["acute", "intermediate_care", "P1", "arrive"],
        }
    )
    extract = read_extract(_write(tmp_path / "x", stays, codes=codes))
    assert extract.problems == []
    assert list(extract.stays["setting"]) == ["acute", "intermediate_care"]
    assert list(extract.stays["next"]) == ["P1", "home"]
    assert list(extract.stays["age_band"]) == ["65+", "65+"]


def test_an_extract_with_no_usable_stay_is_one_clear_error(tmp_path: Path, capsys: Any) -> None:
    folder = _write(tmp_path / "x", [_row(setting="ward"), _row(person="", arrive="x")])
    with pytest.raises(PlacesimError, match="no usable stay is left") as caught:
        read_extract(folder)
    assert "stays row 2: setting: 'ward'" in str(caught.value)
    code = main(
        [
            "fit",
            str(folder),
            "--start",
            "2025-04-01",
            "--end",
            "2025-05-01",
            "-o",
            str(tmp_path / "p.yaml"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    assert not (tmp_path / "p.yaml").exists()


def test_missing_tables_and_columns_say_what_is_needed(tmp_path: Path) -> None:
    with pytest.raises(PlacesimError, match="no such folder"):
        read_extract(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PlacesimError, match="has no stays table"):
        read_extract(tmp_path / "empty")
    folder = _write(tmp_path / "x", [{k: v for k, v in GOOD.items() if k != "arrive"}])
    with pytest.raises(PlacesimError, match=r"stays: column\(s\) arrive missing"):
        read_extract(folder)


def test_a_workbook_reads_like_a_folder(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    book = tmp_path / "extract.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame([_row()]).to_excel(writer, sheet_name="stays", index=False)
        POPULATION.to_excel(writer, sheet_name="population", index=False)
    from_book = read_extract(book)
    from_folder = read_extract(_write(tmp_path / "x", [_row()]))
    pd.testing.assert_frame_equal(from_book.stays, from_folder.stays)


def test_dates_are_read_exactly_or_reported_never_guessed(tmp_path: Path) -> None:
    stays = [
        _row(arrive="2025-04-03T14:20:00+01:00"),  # a time zone: converted to UTC
        _row(person="8", arrive="03/04/2025 10:00", leave="06/04/2025 12:00", ready=""),
        _row(person="9", arrive="2025-13-01 10:00"),  # no 13th month: not a day-first guess
        _row(person="10", arrive="2025-04-03 02:20:00 PM"),  # not ISO, not day-first
    ]
    extract = read_extract(_write(tmp_path / "x", stays))
    kept = extract.stays.set_index("person")["arrive"]
    assert kept["7"] == pd.Timestamp("2025-04-03 13:20")
    assert kept["8"] == pd.Timestamp("2025-04-03 10:00")
    assert {(p.row, p.field) for p in extract.problems} == {(4, "arrive"), (5, "arrive")}


def test_a_fit_past_the_end_of_the_data_is_refused(tmp_path: Path) -> None:
    from placesim.fitting import fit

    folder = _write(tmp_path / "x", [_row()])
    with pytest.raises(PlacesimError, match=r"end: 2026-04-01 is not allowed: the extract's last"):
        fit(folder, "2025-04-03", "2026-04-01")


def test_figures_resting_on_few_people_are_pooled_and_counts_suppressed(tmp_path: Path) -> None:
    from placesim.fitting import fit

    stays = []
    for i in range(12):  # twelve acute stays of people under 65, home after a few days
        day = 3 + 2 * i
        stays.append(
            _row(
                person=str(100 + i),
                age="40",
                arrive=f"2025-04-{day:02d} 10:00",
                leave=f"2025-04-{day + 1:02d} 10:00",
                requested=f"2025-04-{day:02d} 09:00",
                ready=f"2025-04-{day + 1:02d} 09:00",
            )
        )
    stays.append(_row(person="200", age="80", next="P3"))  # one person over 65
    folder = _write(tmp_path / "x", stays)
    fitted = fit(folder, "2025-04-03", "2025-04-27", suppress=5)
    notes = fitted.estimates.set_index("path")["note"]
    assert "too few in this band" in notes["triage.home.65+"]
    assert "too few in this band" in notes["discharge.pathways.65+"]
    shares = fitted.scenario.discharge.pathways["65+"]
    assert shares.P3 < 0.1  # every band's shares, not the one person's P3
    assert notes["triage.home.65+"].startswith("first services of fewer than 5 crises")
