"""A fitted scenario as a YAML file a planner can read: every fitted figure with its
source as a comment beside it or on the line above."""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from placesim.fitting.estimates import Fit

__all__ = ["scenario_text"]

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .,()+-]*$")
_WIDTH = 92


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    special = (
        text in ("true", "false", "null", "yes", "no", "on", "off", "unlimited")
        and text != "unlimited"
    )
    if _PLAIN.match(text) and not special and not text[0].isdigit() and ": " not in text:
        return text
    return json.dumps(text)


def _key(key: str) -> str:
    return key if _PLAIN.match(key) and not key[0].isdigit() and " " not in key else json.dumps(key)


def _flow(value: Any) -> str | None:
    """A short mapping of scalars or a list of numbers on one line, else None."""
    if isinstance(value, dict) and all(not isinstance(v, dict | list) for v in value.values()):
        text = "{" + ", ".join(f"{_key(str(k))}: {_scalar(v)}" for k, v in value.items()) + "}"
        return text if len(text) <= 70 else None
    if isinstance(value, list) and all(isinstance(v, int | float) for v in value):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return None


def _comment(note: str, indent: str) -> list[str]:
    return [f"{indent}# {line}" for line in textwrap.wrap(note, _WIDTH - len(indent) - 2)]


def _emit(value: Any, path: str, indent: str, notes: dict[str, str], out: list[str]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            sub = f"{path}.{key}" if path else str(key)
            _entry(f"{indent}{_key(str(key))}:", child, sub, indent, notes, out)
    elif isinstance(value, list):
        names = [c.get("name") for c in value if isinstance(c, dict)]
        for i, child in enumerate(value):
            name = child.get("name") if isinstance(child, dict) else None
            part = f"[{name}]" if isinstance(name, str) and names.count(name) == 1 else f"[{i}]"
            _entry(f"{indent}-", child, path + part, indent, notes, out, item=True)


def _entry(
    head: str,
    value: Any,
    path: str,
    indent: str,
    notes: dict[str, str],
    out: list[str],
    item: bool = False,
) -> None:
    note = notes.get(path)
    inner_notes = isinstance(value, dict) and any(f"{path}.{k}" in notes for k in value)
    flow = _flow(value) if not isinstance(value, str) and not inner_notes else None
    if isinstance(value, dict | list) and flow is None:
        if note:
            out += _comment(note, indent)
        if item and isinstance(value, dict):
            inner: list[str] = []
            _emit(value, path, indent + "  ", notes, inner)
            first = next(i for i, line in enumerate(inner) if not line.lstrip().startswith("#"))
            inner[first] = f"{indent}- {inner[first].lstrip()}"
            out += inner
        else:
            out.append(head)
            _emit(value, path, indent + "  ", notes, out)
        return
    text = flow if flow is not None else _scalar(value)
    line = f"{head} {text}"
    if note and len(line) + len(note) + 3 <= _WIDTH:
        out.append(f"{line} # {note}")
    else:
        if note:
            out += _comment(note, indent)
        out.append(line)


def scenario_text(fit: Fit, header: str) -> str:
    """The fitted scenario as YAML text, `header` (a paragraph) at the top as comments."""
    notes = {e.path: e.note for e in fit.estimates if e.note}
    out = _comment(header, "")
    out.append("")
    for key, value in fit.data.items():
        _entry(f"{_key(key)}:", value, key, "", notes, out)
        if isinstance(value, dict | list):
            out.append("")
    return "\n".join(out).rstrip() + "\n"
