"""mkdocs hook: reference pages generated from the code at build time, so they never drift.

- ``reference/scenario.md``: every section and field of a scenario file, from
  :func:`placesim.scenario_json_schema` (the schema ``placesim schema`` prints), with its
  type, default, constraints and description; nested models get a section each, and the
  discriminated unions (length-of-stay distributions by ``kind``, interventions by
  ``type``) list their members. Defaults the schema cannot show (a ``default_factory``) are
  read from the pydantic models themselves.
- ``reference/measures.md``: the measures (names and units from
  ``placesim.MEASURES``, definitions from the table in ``docs/model.md``) and the
  outcomes (``placesim.OUTCOMES``). A measure missing from docs/model.md's table,
  or a row there that is not a measure, is a warning, so ``mkdocs build --strict`` fails.

Pages of docs/ that the nav in mkdocs.yml does not list (a new page another change adds)
are appended to the nav rather than failing the strict build. On the API pages, the Sphinx
roles some docstrings use (``:class:`X```) are dropped, as mkdocstrings shows them as text.
"""

from __future__ import annotations

import json
import logging
import re
import typing
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.reference")

SCENARIO_PAGE = "reference/scenario.md"
MEASURES_PAGE = "reference/measures.md"

UNION_TITLES = {
    "kind": (
        "Length-of-stay distributions",
        "A distribution is a mapping whose `kind` says which family it is; the other keys "
        "depend on the family. Each has a theoretical mean and variance "
        "(`placesim.scenario.distributions`).",
    ),
    "type": (
        "Interventions",
        "Each item of `interventions:` is a policy lever whose `type` says which; "
        "[Policy levers](../interventions.md) explains what each does, its defaults and "
        "their sources.",
    ),
}


# --------------------------------------------------------------------------- nav


def on_config(config: Any) -> Any:
    """Append pages of docs/ that the nav does not list, so a new page cannot break --strict."""
    nav = config.get("nav")
    if not nav:
        return config
    listed: set[str] = set()

    def walk(items: Any) -> None:
        for item in items:
            if isinstance(item, str):
                listed.add(item)
            elif isinstance(item, dict):
                for value in item.values():
                    if isinstance(value, str):
                        listed.add(value)
                    else:
                        walk(value)

    walk(nav)
    docs = Path(config["docs_dir"])
    for path in sorted(docs.rglob("*.md")):
        rel = path.relative_to(docs).as_posix()
        if rel.startswith("hooks/") or rel in listed or rel in (SCENARIO_PAGE, MEASURES_PAGE):
            continue
        log.info("page %s is not in mkdocs.yml's nav: appended", rel)
        position = next(
            (i for i, item in enumerate(nav) if isinstance(item, dict) and "Validation" in item),
            len(nav),
        )
        nav.insert(position, rel)
        listed.add(rel)
    return config


_SPHINX_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):(?=<code>)")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Drop the Sphinx roles (`:class:`, `:func:`, ...) some docstrings use: mkdocstrings
    shows them as text, while the name after them is already shown as code."""
    if page.file.src_uri.startswith("reference/api/"):
        html = _SPHINX_ROLE.sub("", html)
    return html


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    pages = {
        SCENARIO_PAGE: scenario_reference(),
        MEASURES_PAGE: measures_reference(Path(config["docs_dir"]) / "model.md"),
    }
    for uri, content in pages.items():
        existing = files.get_file_from_path(uri)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, uri, content=content))
    return files


# --------------------------------------------------------------------------- scenario


def _models_by_name() -> dict[str, type]:
    """Every pydantic model reachable from Scenario's fields, by class name ($defs key)."""
    from pydantic import BaseModel

    from placesim.scenario import Scenario

    found: dict[str, type] = {}

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp.__name__ in found:
                return
            found[tp.__name__] = tp
            for field in tp.model_fields.values():
                visit(field.annotation)
            return
        for arg in typing.get_args(tp):
            visit(arg)

    visit(Scenario)
    return found


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    text = re.sub(r"``([^`]+)``", r"`\1`", text.strip())
    text = re.sub(r"\s*\n\s*\n\s*", "<br>", text)
    text = re.sub(r"\s*\n\s*", " ", text)
    return text.replace("|", "\\|")


def _value(value: Any) -> str:
    return "`" + json.dumps(value, ensure_ascii=False).replace("|", "\\|") + "`"


def _anchor(name: str) -> str:
    return "def-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class _Reference:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.defs: dict[str, dict[str, Any]] = schema.get("$defs", {})
        self.models = _models_by_name()
        self.used_at: dict[str, list[str]] = {}
        self.unions: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        # ("def", name, top-level key, union it was found in) or ("union", key, ...), in the
        # order first seen
        self.order: list[tuple[str, Any, str, Any]] = []
        self.owner: Any = None
        self.seen: set[Any] = set()
        self.missing: list[str] = []

    # ---- discovery: walk from the root, record where each model is used, in file order

    def discover(self, node: dict[str, Any], path: str) -> None:
        top = path.split(".")[0].split("[")[0]
        if "$ref" in node:
            name = node["$ref"].split("/")[-1]
            self.used_at.setdefault(name, []).append(path)
            if ("def", name) not in self.seen:
                self.seen.add(("def", name))
                self.order.append(("def", name, top, self.owner))
                for key, prop in self.defs[name].get("properties", {}).items():
                    self.discover(prop, f"{path}.{key}")
            return
        if "discriminator" in node:
            prop = node["discriminator"]["propertyName"]
            members = tuple(ref["$ref"].split("/")[-1] for ref in node["oneOf"])
            key = (prop, members)
            self.unions.setdefault(key, []).append(path)
            if ("union", key) not in self.seen:
                self.seen.add(("union", key))
                self.order.append(("union", key, top, self.owner))
                outer, self.owner = self.owner, key
                for name in members:
                    self.seen.add(("def", name))
                    for sub, sub_prop in self.defs[name].get("properties", {}).items():
                        self.discover(sub_prop, f"{path}.{sub}")
                self.owner = outer
            return
        for alt in node.get("anyOf", []) + node.get("oneOf", []):
            self.discover(alt, path)
        if isinstance(node.get("items"), dict):
            self.discover(node["items"], f"{path}[]")
        if isinstance(node.get("additionalProperties"), dict):
            names = node.get("propertyNames", {}).get("enum")
            label = "<key>"
            if names and "acute" in names:
                label = "<setting>"
            elif names and "P1" in names:
                label = "<pathway>"
            self.discover(node["additionalProperties"], f"{path}.{label}")

    # ---- rendering of one schema node as a type, with its constraints

    def type_of(self, node: dict[str, Any]) -> str:
        if "$ref" in node:
            name = node["$ref"].split("/")[-1]
            return f"[{name}](#{_anchor(name)})"
        if "discriminator" in node:
            prop = node["discriminator"]["propertyName"]
            title = UNION_TITLES.get(prop, (f"one of, by `{prop}`", ""))[0]
            return f"[{title.lower()}](#{_anchor('union-' + prop)}) (by `{prop}`)"
        alts = node.get("anyOf") or node.get("oneOf")
        if alts:
            parts = [self.type_of(a) for a in alts if a.get("type") != "null"]
            text = " or ".join(parts)
            if any(a.get("type") == "null" for a in alts):
                text += " or null"
            return text
        if "const" in node:
            return _value(node["const"])
        if "enum" in node:
            return "one of " + ", ".join(_value(v) for v in node["enum"])
        kind = node.get("type")
        inner = self.constraints(node)
        if kind == "array":
            items = node.get("items", {})
            text = f"list of {self.type_of(items)}"
            sizes = []
            if node.get("minItems") is not None and node.get("minItems") == node.get("maxItems"):
                sizes.append(f"exactly {node['minItems']} items")
            else:
                if "minItems" in node:
                    n = node["minItems"]
                    sizes.append(f"at least {n} item" + ("s" if n != 1 else ""))
                if "maxItems" in node:
                    sizes.append(f"at most {node['maxItems']} items")
            return text + (f" ({', '.join(sizes)})" if sizes else "")
        if kind == "object":
            value = node.get("additionalProperties")
            names = node.get("propertyNames", {}).get("enum")
            keys = ("keys " + ", ".join(_value(n) for n in names)) if names else "any keys"
            if isinstance(value, dict):
                return f"mapping ({keys}) of {self.type_of(value)}"
            return "mapping"
        base = {
            "integer": "integer",
            "number": "number",
            "string": "string",
            "boolean": "true/false",
            "null": "null",
        }.get(str(kind), str(kind))
        if node.get("format") == "date":
            base = "date (YYYY-MM-DD)"
        return base + (f", {inner}" if inner else "")

    @staticmethod
    def constraints(node: dict[str, Any]) -> str:
        out = []
        if "minimum" in node:
            out.append(f"≥ {node['minimum']:g}")
        if "exclusiveMinimum" in node:
            out.append(f"> {node['exclusiveMinimum']:g}")
        if "maximum" in node:
            out.append(f"≤ {node['maximum']:g}")
        if "exclusiveMaximum" in node:
            out.append(f"< {node['exclusiveMaximum']:g}")
        if "minLength" in node:
            out.append("not empty" if node["minLength"] == 1 else f"≥ {node['minLength']} chars")
        return ", ".join(out)

    def default_of(self, model: str, field: str, prop: dict[str, Any], required: bool) -> str:
        if required:
            return "**required**"
        if "default" in prop:
            value = prop["default"]
            return "none" if value is None else _value(value)
        cls = self.models.get(model)
        info = getattr(cls, "model_fields", {}).get(field) if cls is not None else None
        factory = getattr(info, "default_factory", None) if info is not None else None
        if factory is not None:
            try:
                value = factory()
            except TypeError:
                return "computed"
            if hasattr(value, "model_dump"):
                value = value.model_dump(mode="json")
            if isinstance(value, dict | list) and not value:
                return "empty" if value == {} else "`[]`"
            return _value(json.loads(json.dumps(value, default=str)))
        return "—"

    def model_table(self, name: str) -> list[str]:
        node = self.defs[name]
        props: dict[str, Any] = node.get("properties", {})
        required = set(node.get("required", []))
        lines = [
            "| field | type | default | description |",
            "|---|---|---|---|",
        ]
        # Python attribute names can differ from the YAML keys (aliases).
        cls = self.models.get(name)
        by_alias = {}
        if cls is not None:
            for attr, info in cls.model_fields.items():
                by_alias[info.alias or attr] = attr
        for key, prop in props.items():
            description = prop.get("description", "")
            if not description:
                refs = [prop, *prop.get("anyOf", [])]
                named = [r["$ref"].split("/")[-1] for r in refs if "$ref" in r]
                if named:
                    description = self.defs[named[0]].get("description", "")
            if not description and "const" in prop:
                description = f"Says which: always {_value(prop['const'])} here."
            if not description:
                self.missing.append(f"{name}.{key}")
            default = self.default_of(name, by_alias.get(key, key), prop, key in required)
            lines.append(
                f"| `{key}` | {self.type_of(prop)} | {default} | {_cell(description) or '—'} |"
            )
        return lines

    def model_section(self, name: str, level: str = "###") -> list[str]:
        node = self.defs[name]
        out = [f"{level} {name} {{#{_anchor(name)}}}", ""]
        if node.get("description"):
            out += [_cell(node["description"]).replace("<br>", "\n\n"), ""]
        paths = self.used_at.get(name, [])
        if paths:
            shown = ", ".join(f"`{p}`" for p in paths)
            out += [f"At {shown}.", ""]
        if node.get("properties"):
            out += [*self.model_table(name), ""]
        return out

    def render(self) -> str:
        root = self.schema
        out = [
            "# Scenario file reference",
            "",
            "Every section and field of a scenario file: its type, default, constraints and "
            "description. This page is generated when the documentation is built, from "
            "`placesim.scenario_json_schema()` (the JSON Schema that `placesim schema` "
            "prints), so it always matches the code it was built from. "
            "[Writing a scenario](../scenarios.md) explains the sections with examples, and "
            "`placesim validate FILE` checks a file.",
            "",
            '!!! note "Reading the tables"',
            "    *required* fields must be given. *none* means the field may be left out "
            "(or set to null) and the feature is then off. Constraints (≥, >, ≤, <) "
            "follow the type. A key written `<key>` in a path stands for any name "
            "(an age band, `all`, a band label); `<setting>` for one of the six settings; "
            "`[]` for every item of a list. Unknown keys are errors everywhere.",
            "",
            "## The scenario {#def-scenario}",
            "",
            _cell(root.get("description", "")),
            "",
        ]
        self.discover_root()
        out += [*self.model_table_root(), ""]
        for top in root.get("properties", {}):
            items = [e for e in self.order if e[2] == top and e[3] is None]
            if not items:
                continue
            deferred = []
            if items[0][0] == "union":
                out += self.union_section(items[0][1], f" (`{top}`)")
                items = items[1:]
            else:
                out += [f"## `{top}` {{#{_anchor('section-' + top)}}}", ""]
            for kind, key, _, _ in items:
                if kind == "def":
                    out += self.model_section(key)
                else:
                    deferred.append(key)
            for key in deferred:
                out += self.union_section(key, "")
        leftover = [n for n in self.defs if ("def", n) not in self.seen]
        if leftover:
            out += ["## Other definitions", ""]
            for name in leftover:
                out += self.model_section(name)
        return "\n".join(out) + "\n"

    def union_section(self, key: tuple[str, tuple[str, ...]], suffix: str) -> list[str]:
        prop, members = key
        title, intro = UNION_TITLES.get(prop, (f"One of, by `{prop}`", ""))
        out = [f"## {title}{suffix} {{#{_anchor('union-' + prop)}}}", ""]
        if intro:
            out += [intro, ""]
        shown = ", ".join(f"`{p}`" for p in self.unions[key])
        out += [f"At {shown}.", ""]
        out += [f"| `{prop}` | model | what it is |", "|---|---|---|"]
        for member in members:
            const = self.defs[member]["properties"][prop].get("const", member)
            desc = _cell(self.defs[member].get("description", "")).split("<br>")[0]
            out.append(f"| `{const}` | [{member}](#{_anchor(member)}) | {desc} |")
        out.append("")
        for member in members:
            out += self.model_section(member)
        for kind, child, _, owner in self.order:
            if owner == key and kind == "def":
                out += self.model_section(child)
        return out

    def discover_root(self) -> None:
        for key, prop in self.schema.get("properties", {}).items():
            self.discover(prop, key)

    def model_table_root(self) -> list[str]:
        self.defs.setdefault("Scenario", self.schema)

        lines = self.model_table("Scenario")
        self.defs.pop("Scenario")
        return lines


def scenario_reference() -> str:
    import placesim

    ref = _Reference(placesim.scenario_json_schema())
    text = ref.render()
    if ref.missing:
        log.info(
            "scenario fields with no description (Field(description=...)): %s",
            ", ".join(ref.missing),
        )
    return text


# --------------------------------------------------------------------------- measures

_STATISTICS = {"_mean": "the mean", "_median": "the median", "_p90": "the 90th percentile"}
_ROW = re.compile(r"^\|\s*(?P<names>`[^|]+`)\s*\|\s*(?P<definition>.+?)\s*\|\s*$")


def _model_md_measures(model_md: Path) -> dict[str, str]:
    """measure name -> definition, from the table under '## Measures' in docs/model.md."""
    text = model_md.read_text(encoding="utf-8")
    section = text.split("\n## Measures", 1)[-1].split("\n## ", 1)[0]
    found: dict[str, str] = {}
    for line in section.splitlines():
        match = _ROW.match(line)
        if match is None:
            continue
        names = re.findall(r"`([^`]+)`", match["names"])
        for name in names:
            which = ""
            if len(names) > 1:  # one row for several statistics: say which this one is
                for suffix, word in _STATISTICS.items():
                    if name.endswith(suffix):
                        which = f"{word}: "
            found[name] = which + match["definition"]
    return found


def measures_reference(model_md: Path) -> str:
    from placesim.measures import GROUP_MEASURES, MEASURES, OUTCOMES

    definitions = _model_md_measures(model_md)
    for name in MEASURES:
        if name not in definitions:
            log.warning(
                "measure %r (placesim.MEASURES) has no row in docs/model.md's Measures table",
                name,
            )
    for name in definitions:
        if name not in MEASURES:
            log.warning(
                "docs/model.md's Measures table has %r, which is not a measure (placesim.MEASURES)",
                name,
            )
    out = [
        "# Measures and outcomes",
        "",
        "Generated when the documentation is built: names and units from "
        "`placesim.MEASURES`, definitions from [the model](../model.md#measures), "
        "outcomes from `placesim.OUTCOMES`.",
        "",
        "## Measures",
        "",
        "Each measure is computed per setting and per replication in the reporting window "
        "`[0, horizon_days)`, then summarised as the mean and a Student-t 95% confidence "
        "interval over replications (`res.summary()`; per replication in `res.measures`). "
        '*By locality* marks the measures `res.summary(by="locality")` and '
        '`by="partnership"` split (`placesim.GROUP_MEASURES`).',
        "",
        "| measure | unit | by locality | definition |",
        "|---|---|---|---|",
    ]
    for name, unit in MEASURES.items():
        split = "yes" if name in GROUP_MEASURES else "—"
        definition = definitions.get(name, "—")
        out.append(f"| `{name}` | {unit} | {split} | {definition} |")
    out += [
        "",
        "## Outcomes (Joint Outcomes Framework)",
        "",
        "`res.outcomes()` (and `res.outcomes(by=...)`): one row per outcome. "
        "[Outcomes and costs](../outcomes.md) gives the definitions in full and how costs "
        "are worked out.",
        "",
        "| outcome | unit | direction | priced by `costs:` | in the framework | definition |",
        "|---|---|---|---|---|---|",
    ]
    for o in OUTCOMES:
        cost = f"`{o.unit_cost}`" if o.unit_cost else "—"
        framework = "yes" if o.framework else "no"
        out.append(
            f"| `{o.name}` | {o.unit} | {o.direction} | {cost} | {framework} | "
            f"{_cell(o.description)} |"
        )
    return "\n".join(out) + "\n"
