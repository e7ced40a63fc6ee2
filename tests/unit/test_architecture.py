"""The floor plan: packages follow the flow of a run, and nothing imports against it.

docs/architecture.md names the stages; these tests read every module's imports (with
``ast``, without importing anything) and hold the rules it states, so a change that points
an import back up the flow, adds a cycle, or lets the engine read the scenario fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import placesim

SRC = Path(__file__).resolve().parents[2] / "src" / "placesim"
ROOT = SRC.parents[1]

STAGES: tuple[str, ...] = (
    "version",
    "errors",
    "scenario",
    "plan",
    "demand",
    "engine",
    "measures",
    "reporting",
    "experiments",
    "fitting",
    "cli",
    "__init__",
    "__main__",
)
"""The flow, first to last: a module may import only from its own stage or earlier ones."""

LAZY_ACCESSORS: frozenset[tuple[str, str]] = frozenset(
    {
        ("placesim.measures.result", "placesim.reporting.plots"),
        ("placesim.measures.result", "placesim.reporting.html"),
        ("placesim.measures.comparison", "placesim.reporting.html"),
        ("placesim.measures.region", "placesim.reporting.html"),
    }
)
"""Documented exceptions: ``SimulationResult.plot``/``.report``, ``Comparison.report`` and
``RegionResult.report``
import the reporting stage inside the accessor, so reading a result needs no matplotlib."""


def module_name(path: Path) -> str:
    """``placesim.plan.compiled`` for src/placesim/plan/compiled.py."""
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1 and parts[-2] != "placesim":
        parts = parts[:-1]
    elif parts == ["placesim", "__init__"]:
        return "placesim.__init__"
    return ".".join(parts)


def stage(module: str) -> int:
    """Position in the flow of the package (or top-level module) that holds `module`."""
    return STAGES.index(module.split(".")[1])


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name."""
    return {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def imports(path: Path) -> Iterator[tuple[str, list[str], bool, int]]:
    """(module imported, names imported from it, at module level?, line) of placesim imports.

    Imports under ``if TYPE_CHECKING:`` and inside functions are not module level.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def walk(node: ast.AST, top: bool) -> Iterator[tuple[str, list[str], bool, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if child.module.split(".")[0] == "placesim":
                    yield child.module, [a.name for a in child.names], top, child.lineno
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "placesim":
                        yield alias.name, [], top, child.lineno
            inner = top
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = False
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                inner = False
            yield from walk(child, inner)

    yield from walk(tree, True)


def resolve(target: str, names: list[str], known: dict[str, Path]) -> list[str]:
    """The modules an import statement reaches: ``from placesim.plan import compiled`` reaches
    the submodule, ``from placesim.plan import Plan`` the package."""
    if target == "placesim":
        target = "placesim.__init__"
    out = [target] if target in known else []
    out += [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
    return out


def edges(top_only: bool) -> list[tuple[str, str, int]]:
    """(importer, imported, line) for every placesim import, or module-level ones only."""
    known = modules()
    out = []
    for name, path in known.items():
        for target, names, top, line in imports(path):
            if top_only and not top:
                continue
            out += [(name, t, line) for t in resolve(target, names, known) if t != name]
    return out


def test_every_module_belongs_to_a_stage() -> None:
    """A new top-level module must take its place in the flow (and in architecture.md)."""
    for name in modules():
        assert name.split(".")[1] in STAGES, f"{name}: not in a stage of the flow"


def test_no_import_points_back_up_the_flow() -> None:
    upward = [
        f"{a} (line {line}) imports {b}"
        for a, b, line in edges(top_only=False)
        if stage(b) > stage(a) and (a, b) not in LAZY_ACCESSORS
    ]
    assert upward == []


def test_no_import_cycles() -> None:
    """Imports form a DAG (those inside functions too, but for the lazy accessors), and so do
    the packages their module-level imports join."""
    everything: dict[str, set[str]] = {m: set() for m in modules()}
    for a, b, _ in edges(top_only=False):
        if (a, b) not in LAZY_ACCESSORS:
            everything[a].add(b)
    assert find_cycle(everything) is None
    graph: dict[str, set[str]] = {m: set() for m in modules()}
    for a, b, _ in edges(top_only=True):
        graph[a].add(b)
    assert find_cycle(graph) is None
    packages: dict[str, set[str]] = {}
    for a, targets in graph.items():
        pa = a.split(".")[1]
        packages.setdefault(pa, set()).update(t.split(".")[1] for t in targets)
        packages[pa].discard(pa)
    assert find_cycle(packages) is None


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as a list of nodes, or None (iterative depth-first search)."""
    colour = dict.fromkeys(graph, 0)
    for start in graph:
        if colour[start]:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour.get(child, 2) == 1:
                return [*path[path.index(child) :], child]
            elif colour.get(child, 2) == 0:
                colour[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return None


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


@pytest.mark.parametrize("package", ["demand", "engine"])
def test_demand_and_engine_read_the_plan_not_the_scenario(package: str) -> None:
    """They may take the setting and residence vocabulary from the scenario, nothing else."""
    allowed = {"SETTINGS", "RESIDENCES"}
    for name, path in modules().items():
        if name.split(".")[1] != package:
            continue
        for target, names, _, line in imports(path):
            if target.startswith("placesim.scenario"):
                assert set(names) <= allowed, f"{name} line {line}: imports {names} from {target}"


def test_only_the_loading_module_reads_yaml() -> None:
    readers = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(a.name == "yaml" for a in node.names):
                readers.append(name)
            if isinstance(node, ast.ImportFrom) and node.module == "yaml":
                readers.append(name)
    assert readers == ["placesim.scenario.loading"]


def test_the_engines_share_one_plan_and_one_record_type() -> None:
    """Neither engine compiles anything: both read ``Plan`` and write ``StayRecords``."""
    for engine in ("kernel", "reference"):
        path = SRC / "engine" / f"{engine}.py"
        found = {(t, n) for t, names, _, _ in imports(path) for n in names}
        assert ("placesim.plan", "Plan") in found
        assert ("placesim.engine.records", "StayRecords") in found
        assert not any(n.startswith(("compile_", "capacity_schedule")) for _, n in found)


def test_examples_use_only_the_public_api() -> None:
    """Examples import ``placesim`` or names from its ``__all__``, never a module's insides."""
    for path in sorted((ROOT / "examples").glob("*.py")):
        for target, names, _, line in imports(path):
            where = f"{path.name} line {line}"
            assert target == "placesim", f"{where}: imports from {target}"
            missing = set(names) - set(placesim.__all__)
            assert not missing, f"{where}: {sorted(missing)} not in placesim.__all__"


def test_public_names_resolve() -> None:
    for name in placesim.__all__:
        assert hasattr(placesim, name), name
    for package in ("scenario", "plan", "demand", "engine", "measures", "reporting", "experiments"):
        module = getattr(placesim, package)
        for name in module.__all__:
            assert hasattr(module, name), f"placesim.{package}.{name}"
