"""Every ```python block of README.md and docs/ runs, so the docs cannot drift from the code.

Each page reads like one session: its blocks run in order in one shared namespace, so a later
block may use names an earlier one made. One test per page, run from a temporary folder that
holds copies of scenarios/, examples/ and regions/, so the relative paths the docs use resolve
and any file a snippet writes lands there, not in the repository. Plots draw on the Agg backend and
the network is off.

A block that truly cannot run (say it needs a Dask cluster's address) is opted out with an
HTML comment on the line right before its fence, which mkdocs does not render::

    <!-- snippet: skip (needs a running Dask scheduler) -->
    ```python
    ...

The reason is required; each skipped block is reported as a warning with it. Prefer making the
snippet runnable: keep such skips to none.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import socket
import sys
import textwrap
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# docs/hooks holds the mkdocs build hooks (Python, not pages).
EXCLUDED = (DOCS / "hooks",)
# Folders a snippet reads by relative path; copied into the temporary working folder.
COPIED = ("scenarios", "examples", "regions")

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,}|~{3,})(?P<info>.*)$")
SKIP = re.compile(r"^\s*<!--\s*snippet:\s*skip\s*(?:\((?P<reason>[^)]*)\))?\s*-->\s*$")


class SnippetSkipped(UserWarning):
    """A ```python block opted out of running by a ``<!-- snippet: skip (reason) -->`` line."""


@dataclass(frozen=True)
class Block:
    """One fenced ```python block: its page, the line of its opening fence and its code."""

    page: str  # path relative to the repository, e.g. "docs/reports.md"
    line: int  # 1-based line of the opening fence
    code: str
    skip: str | None = None  # the reason, when the block is opted out


def pages() -> list[Path]:
    """README.md and every docs/**/*.md page outside docs/hooks, in a stable order."""
    found = [
        path
        for path in sorted(DOCS.rglob("*.md"))
        if not any(path.is_relative_to(folder) for folder in EXCLUDED)
    ]
    return [ROOT / "README.md", *found]


def python_blocks(text: str, page: str) -> list[Block]:
    """The ```python blocks of one page's Markdown, in order.

    Only a fence whose info string's first word is ``python`` counts (```yaml, ```text and bare
    fences are not code to run). A fence may be indented (inside a list or an admonition): its
    indent is removed from every line of the block.
    """
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, ticks = opening["indent"], opening["ticks"]
        words = opening["info"].split()
        closing = re.compile(rf"^[ \t]*{re.escape(ticks[0])}{{{len(ticks)},}}[ \t]*$")
        end = i + 1
        while end < len(lines) and closing.match(lines[end]) is None:
            end += 1
        if end == len(lines):
            raise ValueError(f"{page}:{i + 1}: a code fence that is never closed")
        if words and words[0] == "python":
            body = [line.removeprefix(indent) for line in lines[i + 1 : end]]
            blocks.append(Block(page, i + 1, "\n".join(body) + "\n", _skip_reason(lines, i, page)))
        i = end + 1
    return blocks


def _skip_reason(lines: list[str], fence: int, page: str) -> str | None:
    """The reason of a ``<!-- snippet: skip (reason) -->`` line right before the fence, if any."""
    before = fence - 1
    while before >= 0 and not lines[before].strip():
        before -= 1
    marker = SKIP.match(lines[before]) if before >= 0 else None
    if marker is None:
        return None
    reason = (marker["reason"] or "").strip()
    if not reason:
        raise ValueError(f"{page}:{before + 1}: a snippet skip needs a reason in brackets")
    return reason


def page_blocks() -> list[tuple[str, list[Block]]]:
    """Every page that has a ```python block, with its blocks."""
    result = []
    for path in pages():
        page = path.relative_to(ROOT).as_posix()
        blocks = python_blocks(path.read_text(encoding="utf-8"), page)
        if blocks:
            result.append((page, blocks))
    return result


PAGES = page_blocks()


def _loopback(host: str) -> bool:
    """Whether a host names this machine (only such connections are allowed)."""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every connection and name look-up that would leave this machine."""

    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(str(address[0])):
            raise OSError(f"a doc snippet tried to reach the network: {address!r}")
        real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback(str(host)):
            raise OSError(f"a doc snippet tried to look up a host name: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary working folder with copies of scenarios/, examples/ and regions/; plots on Agg.

    Copies, not links: a snippet that writes next to a scenario must not touch the repository.
    """
    for name in COPIED:
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if "matplotlib" in sys.modules:  # imported by an earlier test: the variable is read too late
        sys.modules["matplotlib"].use("Agg")
    yield tmp_path
    if "matplotlib.pyplot" in sys.modules:  # free any figure a snippet made through pyplot
        sys.modules["matplotlib.pyplot"].close("all")


def _failure(block: Block, error: BaseException) -> str:
    """The message for a failing block: where it is, its code and the error's traceback."""
    numbered = "\n".join(
        f"{block.line + n:5d} | {line}" for n, line in enumerate(block.code.splitlines(), 1)
    )
    # Only the frames from the snippet onwards: the first frame is this module's exec call.
    tb = traceback.format_exception(type(error), error, error.__traceback__.tb_next)
    where = f"the ```python block at {block.page}:{block.line} failed"
    return f"{where}:\n\n{numbered}\n\n{''.join(tb)}"


@pytest.mark.parametrize(("page", "blocks"), PAGES, ids=[page for page, _ in PAGES])
@pytest.mark.usefixtures("workdir", "no_network")
def test_page_snippets_run(page: str, blocks: list[Block]) -> None:
    """A page's ```python blocks run in order in one namespace, as a reader would type them."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for block in blocks:
        if block.skip is not None:
            warnings.warn(
                SnippetSkipped(f"{block.page}:{block.line} not run: {block.skip}"), stacklevel=1
            )
            continue
        # Blank lines in front put the code on its page's line numbers, so a traceback names
        # the Markdown file and the line a reader sees.
        code = compile("\n" * block.line + block.code, str(ROOT / block.page), "exec")
        failure = None
        try:
            exec(code, namespace)
        except Exception as error:
            failure = _failure(block, error)
        if failure is not None:  # failed outside the except: no "during handling" noise
            pytest.fail(failure, pytrace=False)


def test_pages_have_snippets() -> None:
    """The collector finds the pages known to hold code: a broken parser must not pass empty."""
    found = {page for page, _ in PAGES}
    assert {"README.md", "docs/index.md", "docs/reports.md"} <= found


def test_collector_reads_fences_and_skips() -> None:
    """Only ```python fences count, indented fences lose their indent, and skips need a reason."""
    text = textwrap.dedent(
        """\
        ```yaml
        a: 1
        ```

        1. A step:

           ```python
           x = 1
           ```

        <!-- snippet: skip (needs a Dask scheduler) -->
        ```python
        connect()
        ```
        """
    )
    blocks = python_blocks(text, "page.md")
    assert [(b.line, b.code, b.skip) for b in blocks] == [
        (7, "x = 1\n", None),
        (12, "connect()\n", "needs a Dask scheduler"),
    ]
    with pytest.raises(ValueError, match="needs a reason"):
        python_blocks("<!-- snippet: skip -->\n```python\nx = 1\n```\n", "page.md")
