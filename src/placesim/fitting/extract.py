"""Reading an extract: a planner's tables, checked row by row, in placesim's words.

The only module that reads extract files (docs/data.md). Every row is checked, and every
problem is kept with its table, row number (the header is row 1, as a spreadsheet shows
it), field, value and what is allowed; rows that cannot be used are dropped and counted
with their reason, rows with one unusable optional field keep the rest. Nothing is
dropped silently.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from placesim.errors import PlacesimError
from placesim.scenario import RESIDENCES, SETTINGS

__all__ = [
    "NEXT",
    "TABLES",
    "Extract",
    "Problem",
    "band_of_ages",
    "read_extract",
]

TABLES = ("stays", "population", "census", "capacity", "codes")
"""The tables of an extract; stays and population are required."""

NEXT: dict[str, tuple[str, ...]] = {
    "acute": ("P0", "P1", "P2", "P3", "death"),
    "rapid_response": ("home", "intermediate_care", "acute"),
    "virtual_ward": ("home", "acute"),
    "intermediate_care": ("home", "reablement", "care_home", "acute", "death"),
    "reablement": ("independent", "home_care", "care_home", "acute", "death"),
    "care_home": ("death",),
}
"""Where a stay in each setting may lead (the `next` column)."""

_STAY_COLUMNS = ("person", "setting", "locality", "residence", "arrive")
_TIMES = ("arrive", "leave", "requested", "ready")
_NEXT_WORDS = (
    "a destination the setting has ("
    + "; ".join(f"{s}: {', '.join(d)}" for s, d in NEXT.items())
    + ")"
)
_ONE_OF_SETTINGS = f"one of {', '.join(SETTINGS)}"
_BAND = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)|\+)\s*$")


@dataclass(frozen=True)
class Problem:
    """One problem of one row: where, what it says, and what is allowed."""

    table: str
    row: int
    field: str
    value: str
    allowed: str
    outcome: str  # "dropped", or what was kept

    def __str__(self) -> str:
        return (
            f"{self.table} row {self.row}: {self.field}: {self.value!r} is not allowed: "
            f"{self.allowed} ({self.outcome})"
        )


@dataclass(frozen=True)
class Extract:
    """An extract read and checked: its tables in placesim's words, and its problems."""

    source: str
    stays: pd.DataFrame
    population: pd.DataFrame
    age_bands: list[str]
    census: pd.DataFrame | None
    capacity: dict[str, int | str]
    problems: list[Problem] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)

    @property
    def dropped(self) -> dict[str, int]:
        """Rows dropped, by table and reason."""
        out: dict[str, int] = {}
        for p in self.problems:
            if p.outcome == "dropped":
                key = f"{p.table}: {p.field}"
                out[key] = out.get(key, 0) + 1
        return out

    def report(self, shown: int = 5) -> str:
        """The problems in words: up to `shown` of each kind, then the counts kept and
        dropped."""
        lines: list[str] = []
        kinds: dict[tuple[str, str, str], list[Problem]] = {}
        for p in self.problems:
            kinds.setdefault((p.table, p.field, p.outcome), []).append(p)
        for (table, name, outcome), found in kinds.items():
            lines.append(f"{table}.{name}: {len(found):,} row(s) ({outcome})")
            lines += [f"  {p}" for p in found[:shown]]
            if len(found) > shown:
                lines.append(f"  ... and {len(found) - shown:,} more")
        kept = len(self.stays)
        read = self.rows_read.get("stays", kept)
        lines.append(
            f"stays: {read:,} rows read, {kept:,} kept, {read - kept:,} dropped"
            + (
                " (" + ", ".join(f"{n:,} {k}" for k, n in self.dropped.items()) + ")"
                if read > kept
                else ""
            )
        )
        return "\n".join(lines)


def _band_range(label: str) -> tuple[int, int] | None:
    match = _BAND.match(label)
    if match is None:
        return None
    low = int(match[1])
    high = int(match[2]) if match[2] is not None else 200
    return low, high


def band_of_ages(ages: np.ndarray, bands: Sequence[str]) -> np.ndarray:
    """The band label of each age (NaN-safe: ages outside every band give '')."""
    out = np.full(ages.shape, "", dtype=object)
    for label in bands:
        limits = _band_range(label)
        if limits is None:
            continue
        inside = (ages >= limits[0]) & (ages <= limits[1])
        out[inside & (out == "")] = label
    return out


def _read_table(path: Path, name: str, sheets: Mapping[str, pd.DataFrame] | None) -> Any:
    """One table as text columns (row order kept), or None when the extract has none."""
    if sheets is not None:
        return sheets.get(name)
    for suffix in (".csv", ".parquet"):
        file = path / f"{name}{suffix}"
        if file.is_file():
            try:
                if suffix == ".csv":
                    return pd.read_csv(file, dtype=str, keep_default_na=False)
                return pd.read_parquet(file).astype(str).replace({"nan": "", "NaT": "", "None": ""})
            except (OSError, ValueError) as exc:
                raise PlacesimError(f"{file}: cannot read: {exc}") from None
    return None


def _sheets(path: Path) -> dict[str, pd.DataFrame]:
    try:
        import openpyxl  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        raise PlacesimError(
            f"{path}: an Excel extract needs openpyxl (pip install 'placesim[excel]'), or "
            "give a folder of CSV files"
        ) from None
    try:
        book = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise PlacesimError(f"{path}: cannot read the workbook: {exc}") from None
    return {str(k).strip().lower(): v for k, v in book.items()}


def _suggest(value: str, words: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(words), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Checker:
    """Collects problems for one table, and which of its rows to drop."""

    def __init__(self, table: str, frame: pd.DataFrame, problems: list[Problem]) -> None:
        self.table = table
        self.frame = frame
        self.problems = problems
        self.drop = np.zeros(len(frame), dtype=bool)

    def flag(
        self, bad: np.ndarray, name: str, allowed: str | Callable[[str], str], outcome: str
    ) -> None:
        """Record a problem for every row where `bad` is set; drop them if outcome says.
        A row already dropped is not reported again for a field it would have kept."""
        if outcome != "dropped":
            bad = bad & ~self.drop
        if not bad.any():
            return
        values = self.frame[name].to_numpy() if name in self.frame else np.full(len(bad), "")
        for i in np.flatnonzero(bad):
            value = str(values[i])
            words = allowed(value) if callable(allowed) else allowed
            self.problems.append(Problem(self.table, int(i) + 2, name, value, words, outcome))
        if outcome == "dropped":
            self.drop |= bad

    def known(
        self, name: str, words: Sequence[str], allowed: str, values: pd.Series | None = None
    ) -> None:
        """Drop and report every row whose `name` (or `values`) is not one of `words`, with
        the nearest word as a "did you mean"."""
        column = self.frame[name] if values is None else values
        self.flag(
            ~column.isin(words).to_numpy(),
            name,
            lambda v: f"{allowed}{_suggest(v, words)}",
            "dropped",
        )


def _apply_codes(
    frame: pd.DataFrame, codes: Mapping[str, Mapping[str, str]], names: Sequence[str]
) -> None:
    for name in names:
        mapping = codes.get(name)
        if mapping and name in frame:
            frame[name] = frame[name].map(lambda v, m=mapping: m.get(v, v))


_DAY_FIRST = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")


def _times(column: pd.Series) -> pd.Series:
    """Date-times from text: ``2025-04-03 14:20`` and the rest of ISO 8601 (a time zone is
    converted to UTC and dropped), and the UK's day-first ``03/04/2025 14:20`` (3 April).
    Anything else is left missing, to be reported: never guessed."""
    text = column.str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d %H:%M", errors="coerce")  # the usual
    other = (parsed.isna() & (text != "")).to_numpy()
    if other.any():
        iso = pd.to_datetime(text[other], format="ISO8601", errors="coerce", utc=True)
        parsed[other] = iso.dt.tz_convert(None).to_numpy()
    slash = (parsed.isna() & text.str.match(_DAY_FIRST)).to_numpy()
    if slash.any():
        parsed[slash] = pd.to_datetime(
            text[slash], dayfirst=True, format="mixed", errors="coerce"
        ).to_numpy()
    return parsed.astype("datetime64[ns]")


def read_extract(path: str | Path) -> Extract:
    """Read and check the extract at `path`: a folder of CSV or Parquet tables, or an Excel
    workbook with one sheet per table (docs/data.md).

    Raises
    ------
    PlacesimError
        If the extract cannot be read, a required table or column is missing, or no usable
        stay is left (the message then carries the report of problems).
    """
    path = Path(path)
    if not path.exists():
        raise PlacesimError(f"{path}: no such folder or workbook")
    sheets = _sheets(path) if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm") else None
    if sheets is None and not path.is_dir():
        raise PlacesimError(
            f"{path}: an extract is a folder of tables (stays.csv, population.csv, ...) or an "
            ".xlsx workbook with one sheet per table"
        )
    raw = {name: _read_table(path, name, sheets) for name in TABLES}
    for name in ("stays", "population"):
        if raw[name] is None:
            raise PlacesimError(
                f"{path}: has no {name} table ({name}.csv, {name}.parquet or a sheet "
                f"'{name}'): docs/data.md lists the tables"
            )
    problems: list[Problem] = []
    codes, renames = _codes(raw["codes"], problems)
    frames: dict[str, pd.DataFrame] = {}
    for name, frame in raw.items():
        if frame is None or name == "codes":
            continue
        frame = frame.rename(columns=lambda c: renames.get(str(c).strip(), str(c).strip().lower()))
        frames[name] = frame.reset_index(drop=True)
    population, bands = _population(frames["population"], codes, problems)
    localities = list(dict.fromkeys(population["locality"]))
    stays = _stays(frames["stays"], codes, bands, localities, problems)
    census = _census(frames.get("census"), codes, bands, problems)
    capacity = _capacity(frames.get("capacity"), codes, problems)
    extract = Extract(
        source=str(path),
        stays=stays,
        population=population,
        age_bands=bands,
        census=census,
        capacity=capacity,
        problems=problems,
        rows_read={name: len(frame) for name, frame in frames.items()},
    )
    if stays.empty:
        raise PlacesimError(f"{path}: no usable stay is left:\n{extract.report()}")
    return extract


def _codes(
    frame: pd.DataFrame | None, problems: list[Problem]
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    codes: dict[str, dict[str, str]] = {}
    renames: dict[str, str] = {}
    if frame is None:
        return codes, renames
    frame = frame.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in ("field", "code", "value") if c not in frame]
    if missing:
        raise PlacesimError(f"codes: column(s) {', '.join(missing)} missing: field, code, value")
    known = ("setting", "locality", "next", "residence", "column")
    for i, (name, code, value) in enumerate(
        zip(frame["field"], frame["code"], frame["value"], strict=True)
    ):
        name = str(name).strip()
        if name not in known:
            problems.append(
                Problem("codes", i + 2, "field", name, f"one of {', '.join(known)}", "dropped")
            )
            continue
        if name == "column":
            renames[str(code).strip()] = str(value).strip().lower()
        else:
            codes.setdefault(name, {})[str(code).strip()] = str(value).strip()
    return codes, renames


def _require(frame: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise PlacesimError(
            f"{table}: column(s) {', '.join(missing)} missing (it has {', '.join(frame.columns)}): "
            "docs/data.md lists the columns; a codes table with field 'column' renames local ones"
        )


def _population(
    frame: pd.DataFrame, codes: Mapping[str, Mapping[str, str]], problems: list[Problem]
) -> tuple[pd.DataFrame, list[str]]:
    _require(frame, "population", ("locality", "residence", "people"))
    if "age_band" not in frame and "age" not in frame:
        raise PlacesimError("population: needs an age_band or an age column")
    frame = frame.copy()
    _apply_codes(frame, codes, ("locality", "residence"))
    check = _Checker("population", frame, problems)
    people = pd.to_numeric(frame["people"].str.strip(), errors="coerce")
    check.flag(
        (people.isna() | (people < 0) | (people % 1 != 0)).to_numpy(),
        "people",
        "a whole number >= 0",
        "dropped",
    )
    check.known("residence", RESIDENCES, "home or care_home")
    check.flag((frame["locality"].str.strip() == "").to_numpy(), "locality", "a name", "dropped")
    if "age_band" in frame:
        bands = list(dict.fromkeys(b for b in frame["age_band"].str.strip() if b))
        bands.sort(key=lambda b: (_band_range(b) or (10**6, 0))[0])
        band = frame["age_band"].str.strip()
    else:
        bands = ["0-64", "65-74", "75-84", "85+"]
        ages = pd.to_numeric(frame["age"].str.strip(), errors="coerce")
        check.flag(
            (ages.isna() | (ages < 0) | (ages > 120)).to_numpy(),
            "age",
            "a whole number of years from 0 to 120",
            "dropped",
        )
        band = pd.Series(band_of_ages(ages.to_numpy(dtype=float), bands), index=frame.index)
    check.flag((band == "").to_numpy(), "age_band", "a band label", "dropped")
    keep = ~check.drop
    out = pd.DataFrame(
        {
            "locality": frame["locality"].str.strip()[keep],
            "partnership": (
                frame["partnership"].str.strip()[keep]
                if "partnership" in frame
                else frame["locality"].str.strip()[keep]
            ),
            "age_band": band[keep],
            "residence": frame["residence"][keep],
            "people": people[keep].astype("int64"),
        }
    )
    keys = ["locality", "partnership", "age_band", "residence"]
    summed = pd.DataFrame(out.groupby(keys, sort=False, as_index=False)["people"].sum())
    if summed.empty:
        raise PlacesimError(
            "population: no usable row (each needs a locality, band, residence and people)"
        )
    return summed, bands


def _stays(
    frame: pd.DataFrame,
    codes: Mapping[str, Mapping[str, str]],
    bands: Sequence[str],
    localities: Sequence[str],
    problems: list[Problem],
) -> pd.DataFrame:
    _require(frame, "stays", _STAY_COLUMNS)
    if "age_band" not in frame and "age" not in frame:
        raise PlacesimError("stays: needs an age_band or an age column")
    frame = frame.copy()
    for name in ("leave", "next", "requested", "ready"):
        if name not in frame:
            frame[name] = ""
    for name in ("person", "setting", "locality", "residence", "next"):
        frame[name] = frame[name].astype(str).str.strip()
    _apply_codes(frame, codes, ("setting", "locality", "next", "residence"))
    check = _Checker("stays", frame, problems)
    check.flag(
        (frame["person"] == "").to_numpy(), "person", "an identifier for every stay", "dropped"
    )
    check.known("setting", SETTINGS, f"{_ONE_OF_SETTINGS} (or a code of the codes table)")
    check.known("locality", localities, "a locality of the population table")
    check.known("residence", RESIDENCES, "home or care_home")
    if "age_band" in frame:
        band = frame["age_band"].astype(str).str.strip()
        check.known("age_band", bands, f"a band of the population table ({', '.join(bands)})", band)
    else:
        ages = pd.to_numeric(frame["age"].astype(str).str.strip(), errors="coerce")
        band = pd.Series(band_of_ages(ages.to_numpy(dtype=float), bands), index=frame.index)
        check.flag(
            (ages.isna() | (band == "")).to_numpy(),
            "age",
            f"a whole number of years in one of the bands {', '.join(bands)}",
            "dropped",
        )
    times = {name: _times(frame[name].astype(str)) for name in _TIMES}
    blank = {name: (frame[name].astype(str).str.strip() == "").to_numpy() for name in _TIMES}
    check.flag(
        times["arrive"].isna().to_numpy(),
        "arrive",
        "a date-time such as 2025-04-03 14:20",
        "dropped",
    )
    check.flag(
        (times["leave"].isna().to_numpy() & ~blank["leave"]),
        "leave",
        "a date-time, or blank for a stay not ended when the extract ends",
        "dropped",
    )
    backwards = (times["leave"] < times["arrive"]).to_numpy()
    check.flag(backwards, "leave", "on or after arrive", "dropped")
    for name in ("requested", "ready"):
        bad = times[name].isna().to_numpy() & ~blank[name]
        check.flag(bad, name, "a date-time, or blank", f"kept without {name}")
        times[name][bad] = pd.NaT
    early = (times["requested"] > times["arrive"]).to_numpy()
    check.flag(early, "requested", "on or before arrive", "kept without requested")
    times["requested"][early] = pd.NaT
    ready_bad = ((times["ready"] < times["arrive"]) | (times["ready"] > times["leave"])).to_numpy()
    check.flag(ready_bad, "ready", "between arrive and leave", "kept without ready")
    times["ready"][ready_bad] = pd.NaT
    settings = frame["setting"].to_numpy()
    nexts = frame["next"].to_numpy()
    wrong = np.array(
        [bool(n) and s in NEXT and n not in NEXT[s] for s, n in zip(settings, nexts, strict=True)],
        dtype=bool,
    )
    check.flag(
        wrong,
        "next",
        _NEXT_WORDS,
        "kept without next",
    )
    frame.loc[wrong, "next"] = ""
    out = pd.DataFrame(
        {
            "row": np.arange(len(frame)) + 2,
            "person": frame["person"],
            "setting": frame["setting"],
            "locality": frame["locality"],
            "age_band": band,
            "residence": frame["residence"],
            **{name: times[name] for name in _TIMES},
            "next": frame["next"],
        }
    )
    out = out[~check.drop]
    # Duplicates, then overlapping stays of one person in one setting: the later is dropped.
    out = out.sort_values(["person", "setting", "arrive", "row"], kind="stable")
    same = (out["person"].to_numpy()[1:] == out["person"].to_numpy()[:-1]) & (
        out["setting"].to_numpy()[1:] == out["setting"].to_numpy()[:-1]
    )
    arrive = out["arrive"].to_numpy()
    leave = out["leave"].to_numpy()
    duplicate = np.concatenate([[False], same & (arrive[1:] == arrive[:-1])])
    previous_leave = np.concatenate([[np.datetime64("NaT")], leave[:-1]])
    open_before = np.isnat(previous_leave) & np.concatenate([[False], same])
    overlap = (
        np.concatenate([[False], same])
        & ~duplicate
        & (open_before | (arrive < np.where(np.isnat(previous_leave), arrive, previous_leave)))
    )
    rows = out["row"].to_numpy()
    for mask, name, allowed in (
        (duplicate, "duplicate", "a stay given once: the same person, setting and arrive as row"),
        (overlap, "overlap", "a stay that begins after the person's stay there in row"),
    ):
        for i in np.flatnonzero(mask):
            when = f"{pd.Timestamp(arrive[i]):%Y-%m-%d %H:%M}"
            words = f"{allowed} {int(rows[i - 1])}" + (" ends" if name == "overlap" else "")
            problems.append(Problem("stays", int(rows[i]), name, when, words, "dropped"))
    out = out[~(duplicate | overlap)].sort_values(["person", "arrive", "row"], kind="stable")
    return pd.DataFrame(out.reset_index(drop=True))


def _census(
    frame: pd.DataFrame | None,
    codes: Mapping[str, Mapping[str, str]],
    bands: Sequence[str],
    problems: list[Problem],
) -> pd.DataFrame | None:
    if frame is None:
        return None
    _require(frame, "census", ("at", "setting", "status", "since"))
    frame = frame.copy()
    _apply_codes(frame, codes, ("setting",))
    check = _Checker("census", frame, problems)
    at, since = _times(frame["at"].astype(str)), _times(frame["since"].astype(str))
    check.flag(at.isna().to_numpy(), "at", "a date-time", "dropped")
    check.flag(since.isna().to_numpy(), "since", "a date-time", "dropped")
    check.known("setting", SETTINGS, _ONE_OF_SETTINGS)
    status = frame["status"].astype(str).str.strip()
    check.flag(
        ~status.isin(("in_place", "waiting")).to_numpy(), "status", "in_place or waiting", "dropped"
    )
    keep = ~check.drop
    table = {"at": at, "setting": frame["setting"], "status": status, "since": since}
    out: pd.DataFrame = pd.DataFrame(table)[keep]
    if out["at"].nunique() > 1:
        raise PlacesimError(
            f"census: the snapshot has {out['at'].nunique()} different `at` values: a census is "
            "one snapshot, at one date-time"
        )
    return out.reset_index(drop=True)


def _capacity(
    frame: pd.DataFrame | None, codes: Mapping[str, Mapping[str, str]], problems: list[Problem]
) -> dict[str, int | str]:
    if frame is None:
        return {}
    _require(frame, "capacity", ("setting", "capacity"))
    frame = frame.copy()
    _apply_codes(frame, codes, ("setting",))
    out: dict[str, int | str] = {}
    for i, (setting, value) in enumerate(zip(frame["setting"], frame["capacity"], strict=True)):
        text = str(value).strip()
        if setting not in SETTINGS:
            problems.append(
                Problem(
                    "capacity",
                    i + 2,
                    "setting",
                    str(setting),
                    f"one of {', '.join(SETTINGS)}",
                    "dropped",
                )
            )
        elif text == "unlimited":
            out[str(setting)] = "unlimited"
        elif text.isdigit():
            out[str(setting)] = int(text)
        else:
            problems.append(
                Problem(
                    "capacity", i + 2, "capacity", text, "a whole number or 'unlimited'", "dropped"
                )
            )
    return out
