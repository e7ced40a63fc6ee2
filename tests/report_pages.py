"""Checks of an HTML report page, shared by the tests that build one.

Used by tests/e2e/test_report.py (the pages of the API) and tests/cli/test_report_cli.py
(the pages the commands write); the small result's description is :data:`HOSTILE`
(tests/conftest.py), so every page shows that text is escaped.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from typing import ClassVar

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


class _Page(HTMLParser):
    """Parses a page, checks its tags nest, and collects its ids and outward references."""

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
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for key, value in attrs:
            if key == "id":
                self.ids[value or ""] += 1
            if key in self.REFERRING:
                self.refs.append((tag, value or ""))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_page(text: str, sections: tuple[str, ...]) -> _Page:
    """The page parses, nests, holds every section once and refers to nothing outside."""
    assert text.startswith("<!DOCTYPE html>")
    page = _Page(text)
    assert page.errors == [] and page.stack == [], (page.errors, page.stack)
    for section in sections:
        assert page.ids[section] == 1, section
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
