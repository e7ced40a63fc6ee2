"""Checks of an HTML report page, shared by the tests that build one.

Used by tests/e2e/test_report.py (the pages of the API) and tests/cli/test_report_cli.py
(the pages the commands write); the small result's description is :data:`HOSTILE`
(tests/conftest.py), so every page shows that text is escaped.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import pandas as pd

    from placesim.measures import Period, SimulationResult

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'

NO_WARNING = "No service is near or over its capacity."
"""What the warnings section says when neither check before nor after the run warns."""


class _Page(HTMLParser):
    """Parses a page, checks its tags nest, and collects its ids and outward references.

    Also what each ``<section id=...>`` says, to check a section's content: its text
    (``section_text``), its list items (``items``) and its tables (``tables``: a list of
    tables, each a list of rows, each a list of cell texts, the header row first), and the
    order of the section ids (``order``) and the page's header text (``header``).
    """

    VOID: ClassVar[set[str]] = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
    }
    REFERRING: ClassVar[set[str]] = {
        "src",
        "href",
        "srcset",
        "action",
        "formaction",
        "poster",
        "data",
        "background",
    }

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: Counter[str] = Counter()
        self.refs: list[tuple[str, str]] = []
        self.tags: Counter[str] = Counter()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.order: list[str] = []
        self.header: list[str] = []
        self.section_text: dict[str, list[str]] = {}
        self.items: dict[str, list[str]] = {}
        self.tables: dict[str, list[list[list[str]]]] = {}
        self._section: str | None = None
        self._in_header = False
        self._item: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    @staticmethod
    def _join(parts: list[str]) -> str:
        return " ".join(" ".join(parts).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for key, value in attrs:
            if key == "id":
                self.ids[value or ""] += 1
            if key in self.REFERRING:
                self.refs.append((tag, value or ""))
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "header":
            self._in_header = True
        section = self._section
        if tag == "section":
            self._section = dict(attrs).get("id") or ""
            self.order.append(self._section)
            self.section_text[self._section] = []
            self.items[self._section] = []
            self.tables[self._section] = []
        elif section is not None and tag == "li":
            self._item = []
        elif section is not None and tag == "table":
            self.tables[section].append([])
        elif section is not None and tag == "tr" and self.tables[section]:
            self.tables[section][-1].append([])
        elif section is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        section = self._section
        if tag == "header":
            self._in_header = False
        elif tag == "section":
            self._section = None
        elif section is not None and tag == "li" and self._item is not None:
            self.items[section].append(self._join(self._item))
            self._item = None
        elif section is not None and tag in ("td", "th") and self._cell is not None:
            self.tables[section][-1][-1].append(self._join(self._cell))
            self._cell = None
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_header:
            self.header.append(data)
        if self._section is not None:
            self.section_text[self._section].append(data)
        for open_part in (self._item, self._cell):
            if open_part is not None:
                open_part.append(data)

    def section(self, key: str) -> str:
        """The text of section `key`, its whitespace runs made single spaces."""
        return self._join(self.section_text[key])


def check_page(text: str, sections: tuple[str, ...]) -> _Page:
    """The page parses, nests, holds every section once and in order, and refers to nothing
    outside."""
    assert text.startswith("<!DOCTYPE html>")
    page = _Page(text)
    assert page.errors == [] and page.stack == [], (page.errors, page.stack)
    for section in sections:
        assert page.ids[section] == 1, section
    assert page.order == list(sections), page.order
    for tag in ("script", "link", "iframe", "object", "embed", "base"):
        assert page.tags[tag] == 0, tag
    for tag, ref in page.refs:
        if ref.startswith("#"):
            assert page.ids[ref[1:]] == 1, ref
        else:
            assert ref.startswith("data:image/png;base64,"), (tag, ref[:80])
    lowered = text.lower()
    assert "url(" not in lowered and "@import" not in lowered
    assert "http://" not in lowered and "https://" not in lowered
    return page


def row_of(table: list[list[str]], *first: str) -> list[str]:
    """The one row of a parsed table (``_Page.tables``) whose first cells are `first`."""
    found = [r for r in table if r[: len(first)] == list(first)]
    assert len(found) == 1, (first, [r[:3] for r in table])
    return found[0]


def value(summary: pd.DataFrame, measure: str, setting: str, column: str = "mean") -> float:
    """`column` of one measure and setting of a summary (``res.summary()``)."""
    rows = summary[(summary["measure"] == measure) & (summary["setting"] == setting)]
    return float(rows[column].iloc[0])


def check_warnings(
    page: _Page, result: SimulationResult, period: str | Period | None = None
) -> None:
    """The warnings section lists exactly the offered-load lines (before the run) and the
    capacity warnings of the window (after it), and says that no service is near capacity
    only when both are empty."""
    before, after = list(result.warnings), result.capacity_warnings(period)
    assert page.items["warnings"] == before + after
    assert (NO_WARNING in page.section("warnings")) == (not before and not after)
