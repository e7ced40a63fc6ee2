"""Every cited reference row resolves: docs/reference-figures.md holds P1-P26 and Q1-Q28.

Scenario comments, the docs and the code cite sourced figures by row (``# ref P4``,
"(refs P4/P5)", "ref P13 and P17"). This checks the page's tables (each row there, with a
source) and that every such citation in scenarios/, docs/, src/, examples/ and README.md
names a row of the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reference-figures.md"
EXPECTED = {f"P{n}" for n in range(1, 27)} | {f"Q{n}" for n in range(1, 29)}
# Where citations live: folders searched recursively, and single files.
CITING_FOLDERS = ("scenarios", "docs", "src", "examples")
CITING_FILES = ("README.md",)
CITING_SUFFIXES = {".md", ".py", ".yaml", ".yml"}

ROW = r"[PQ]\d+"
JOIN = r"\s*(?:/|,|-|\u2013|\.\.|\band\b|\bor\b|\bto\b)\s*"
# "ref P4", "refs P4/P5", "ref P13 and P17", "Ref P18", "reference P21", "ref P10-P11":
# the keyword, then one row or a list of rows joined by / , - .. "and" "or" "to".
CITATION = re.compile(
    rf"\b(?:refs?|references?)\b\.?:?\s+(?P<rows>{ROW}(?:{JOIN}{ROW})*)\b", re.IGNORECASE
)
# "rows P1..P26", "rows P1-P26": a range of rows named in prose.
ROW_RANGE = re.compile(rf"\brows\s+(?P<first>{ROW})\s*(?:\.\.|-|\u2013|to)\s*(?P<last>{ROW})\b")
TABLE_ROW = re.compile(r"^\|\s*(?P<ref>[PQ]\d+)\s*\|(?P<rest>.*)\|\s*$")


def page_rows(text: str) -> dict[str, dict[str, str]]:
    """The rows of the page's tables: ref -> {column header: cell}, for every P and Q row.

    Each table's header row names its columns; a row is any table line whose first cell is
    a row number such as ``P4``.
    """
    rows: dict[str, dict[str, str]] = {}
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not header:
            header = [cell.lower() for cell in cells]
            continue
        match = TABLE_ROW.match(line)
        if match is None:
            continue
        ref = match["ref"]
        if ref in rows:
            raise ValueError(f"row {ref} appears twice in {PAGE.name}")
        rows[ref] = dict(zip(header, cells, strict=False))
    return rows


def cited_rows(text: str) -> Iterator[str]:
    """Every row a text cites with ``ref``/``refs``/``reference``, ranges expanded."""
    for match in CITATION.finditer(text):
        yield from _expand(match["rows"])
    for match in ROW_RANGE.finditer(text):
        yield from _expand(f"{match['first']}-{match['last']}")


def _expand(rows: str) -> list[str]:
    """``"P4/P5"`` -> P4, P5; ``"P10-P11"`` or ``"P1..P26"`` -> every row between."""
    tokens = re.findall(rf"{ROW}|\.\.|-|\u2013|\bto\b", rows)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        is_range = i + 2 < len(tokens) and tokens[i + 1] in ("-", "\u2013", "..", "to")
        if is_range and tokens[i + 2][0] == token[0]:
            first, last = int(token[1:]), int(tokens[i + 2][1:])
            out += [f"{token[0]}{n}" for n in range(first, last + 1)]
            i += 3
            continue
        if re.fullmatch(ROW, token):
            out.append(token)
        i += 1
    return out


def citing_files() -> list[Path]:
    """The files searched for citations, in a stable order (the page itself included)."""
    found = [ROOT / name for name in CITING_FILES]
    for folder in CITING_FOLDERS:
        found += sorted(
            path
            for path in (ROOT / folder).rglob("*")
            if path.is_file() and path.suffix in CITING_SUFFIXES and "__pycache__" not in path.parts
        )
    return found


ROWS = page_rows(PAGE.read_text(encoding="utf-8"))


def test_every_row_is_on_the_page() -> None:
    """P1-P26 and Q1-Q28 are all there, and nothing else."""
    assert set(ROWS) == EXPECTED, (
        f"missing: {sorted(EXPECTED - set(ROWS))}; unexpected: {sorted(set(ROWS) - EXPECTED)}"
    )


@pytest.mark.parametrize("ref", sorted(EXPECTED, key=lambda r: (r[0], int(r[1:]))))
def test_row_has_figure_source_and_method(ref: str) -> None:
    """Each row gives a figure, its source, a date and whether it was read or estimated."""
    row = ROWS.get(ref)
    assert row is not None, f"{ref} is not on {PAGE.name}"
    for column in ("figure", "source", "date"):
        assert row.get(column), f"{ref}: the {column!r} cell is empty"
    assert re.search(r"\[(R|E)\b", row.get("[r]/[e] and method", "")), (
        f"{ref}: the [R]/[E] cell must say [R] or [E]"
    )


def test_citations_resolve() -> None:
    """Every ``ref Pn``/``ref Qn`` (lists and ranges too) in the repository names a row."""
    broken = []
    count = 0
    for path in citing_files():
        text = path.read_text(encoding="utf-8")
        for ref in cited_rows(text):
            count += 1
            if ref not in ROWS:
                broken.append(f"{path.relative_to(ROOT)}: ref {ref}")
    assert not broken, "citations of rows not on docs/reference-figures.md:\n" + "\n".join(broken)
    assert count > 100, f"only {count} citations found: is the citation pattern broken?"


def test_scenarios_point_at_the_page() -> None:
    """Scenario comments name docs/reference-figures.md, not a table outside the repository."""
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
        assert "parameters.md" not in comments, f"{path.name} cites parameters.md"
        if list(cited_rows(text)):
            assert "docs/reference-figures.md" in comments, (
                f"{path.name} cites rows but does not say where they are"
            )


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("# ref P4", ["P4"]),
        ("(refs P4/P5, see demand)", ["P4", "P5"]),
        ("set against ref P13 and P17", ["P13", "P17"]),
        ("Ref P18: typically", ["P18"]),
        ("unit costs of reference P21 (docs)", ["P21"]),
        ("ref P25 phasing, ref P24 effect", ["P25", "P24"]),
        ("ref P10-P11", ["P10", "P11"]),
        ("rows P1..P3 of the table", ["P1", "P2", "P3"]),
        ("ref Q7: arrivals", ["Q7"]),
        ("ref P13: P1 >= 45%, P2 <= 4%", ["P13"]),
        ("References (`ref Pnn`) are rows", []),
        ("pathways P0-P3 with blocking", []),
    ],
)
def test_citation_pattern(text: str, rows: list[str]) -> None:
    """The pattern reads lists and ranges, and not pathway names (P0-P3) nor placeholders."""
    assert list(cited_rows(text)) == rows
