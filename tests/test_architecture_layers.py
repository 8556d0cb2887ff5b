"""The package boundaries, read from the source with ``ast`` (docs/architecture.md):

* a package is used by the others only through its public ``__init__``;
* imports run downward through the layers below, never up, never round in a cycle;
* importing a package pulls in only the heavy libraries it needs (``doors`` never FastAPI).

Every import counts, at module level or inside a function: a lazy import still ties the two
packages together. Tests may import private names; only ``tracktwo/`` is read.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tracktwo"
TOP = "tracktwo"  # the root package, tracktwo/__init__.py

# Lower numbers sit lower. A package may import from its own layer only when no cycle follows.
LAYERS: dict[str, int] = {
    # foundations: the root package and the top-level private helpers (errors, home folder,
    # translations, CSV and e-mail checks, JSON-safe values), the taxonomy, the store and the
    # shipped data files
    TOP: 0,
    "_errors": 0,
    "_config": 0,
    "_i18n": 0,
    "_csv": 0,
    "_email": 0,
    "_json": 0,
    "taxonomy": 0,
    "store": 0,
    "datasets": 0,
    # capabilities on the foundations
    "events": 1,
    "pulse": 1,
    "bridges": 1,
    "accounts": 1,
    # built on the capabilities
    "match": 2,
    "doors": 2,
    "report": 2,
    # the demo drives the libraries
    "demo": 3,
    # thin shells
    "web": 4,
    "cli": 4,
    "api": 4,  # the notebook API, tracktwo.open
    # ``python -m tracktwo``: runs the command line, above everything
    "__main__": 5,
}

# The one import allowed up the layers: the root package's PEP 562 ``__getattr__`` loads
# ``tracktwo.api`` when a notebook first asks for ``tracktwo.open`` (never on ``import
# tracktwo``, which the heavy-module test below keeps light), so the API a notebook user
# learns first is one attribute of the package they import.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    (TOP, "api"): "tracktwo.open, loaded lazily by tracktwo.__getattr__",
}


@dataclass(frozen=True)
class Import:
    """One imported ``tracktwo`` module, and where."""

    file: str  # relative to the repository
    line: int
    module: str  # e.g. tracktwo.bridges._registry

    @property
    def target(self) -> str:
        """The top-level package or module imported (``bridges``, ``_errors``, or the root)."""
        parts = self.module.split(".")
        return parts[1] if len(parts) > 1 else TOP

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.module}"


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The module a relative ``from . import`` names, from the importing file's package."""
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(source: str, file: str, package: str) -> Iterator[Import]:
    """Every ``tracktwo`` module a source imports, at any depth. ``from tracktwo import x``
    counts as importing ``tracktwo.x`` when ``x`` is a subpackage or module, else the root."""
    for node in ast.walk(ast.parse(source, filename=file)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == TOP or alias.name.startswith(TOP + "."):
                    yield Import(file, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            if module == TOP:
                for alias in node.names:
                    sub = SOURCE / alias.name
                    is_module = sub.is_dir() or sub.with_suffix(".py").is_file()
                    yield Import(file, node.lineno, f"{TOP}.{alias.name}" if is_module else TOP)
            elif module.startswith(TOP + "."):
                yield Import(file, node.lineno, module)


def owner(file: Path) -> str:
    """The top-level package (or module) a source file belongs to."""
    parts = file.relative_to(SOURCE).with_suffix("").parts
    return TOP if parts == ("__init__",) else parts[0]


def source_imports() -> Iterator[tuple[str, Import]]:
    """(owner of the importing file, import) for every source file under tracktwo/."""
    for file in sorted(SOURCE.rglob("*.py")):
        rel = file.relative_to(ROOT).as_posix()
        package = ".".join(file.relative_to(ROOT).parts[:-1])
        for found in imports_of(file.read_text(encoding="utf-8"), rel, package):
            yield owner(file), found


def private_imports(source: str, file: str, package: str, owner_name: str) -> list[Import]:
    """Imports that go below another package's ``__init__``: ``tracktwo.X._y`` or
    ``tracktwo.X.y`` (at any depth below X) from a file outside X. The top-level private
    helpers (``tracktwo._errors``) are shared by design and not counted."""
    found = []
    for item in imports_of(source, file, package):
        parts = item.module.split(".")
        if len(parts) > 2 and item.target != owner_name:
            found.append(item)
    return found


def package_graph() -> dict[str, dict[str, list[Import]]]:
    """owner -> imported package -> the imports that make the edge (self-edges left out)."""
    graph: dict[str, dict[str, list[Import]]] = {}
    for source_owner, found in source_imports():
        graph.setdefault(source_owner, {})
        if found.target != source_owner:
            graph[source_owner].setdefault(found.target, []).append(found)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph as [a, b, ..., a], or None (depth-first search)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return False


def layer_violations(graph: dict[str, dict[str, list[Import]]]) -> list[str]:
    """An import from a lower layer to a higher one, or to a package of the same layer that
    imports (directly or not) the importer back."""
    edges = {a: set(targets) for a, targets in graph.items()}
    problems = []
    for a, targets in sorted(graph.items()):
        for b, where in sorted(targets.items()):
            if a not in LAYERS or b not in LAYERS:
                problems.append(f"{a} -> {b}: give {a if a not in LAYERS else b} a layer")
                continue
            upward = LAYERS[b] > LAYERS[a] and (a, b) not in ALLOWED_UPWARD
            if upward or (LAYERS[b] == LAYERS[a] and reaches(edges, b, a)):
                kind = "upward" if upward else "same-layer cycle"
                first = where[0]
                problems.append(f"{a} (layer {LAYERS[a]}) -> {b} (layer {LAYERS[b]}), {kind}: "
                                f"{first} (+{len(where) - 1} more)")  # fmt: skip
    return problems


# -- a: private names stay inside their package ----------------------------------------------


def test_no_private_import_across_packages() -> None:
    found = []
    for file in sorted(SOURCE.rglob("*.py")):
        rel = file.relative_to(ROOT).as_posix()
        package = ".".join(file.relative_to(ROOT).parts[:-1])
        found += private_imports(file.read_text(encoding="utf-8"), rel, package, owner(file))
    assert not found, "private imports across packages (use the package's __init__):\n" + (
        "\n".join(str(item) for item in found)
    )


SNIPPET = """
import os
import tracktwo.bridges._registry
from tracktwo import _errors
from tracktwo._errors import InputError
from tracktwo.bridges import Registry
from tracktwo.match._portfolio import choose_portfolio
from tracktwo.accounts.deep import thing

def lazy():
    from tracktwo.bridges._scorecard import scorecard
    from tracktwo.match._explain import describe
"""


def test_private_import_checker_catches_a_snippet() -> None:
    found = private_imports(SNIPPET, "tracktwo/match/_x.py", "tracktwo.match", "match")
    assert [(item.line, item.module) for item in found] == [
        (3, "tracktwo.bridges._registry"),
        (8, "tracktwo.accounts.deep"),
        (11, "tracktwo.bridges._scorecard"),
    ]  # match's own private modules, public packages and tracktwo._errors are allowed
    # the same lines read from a file outside every package: match's private modules count
    elsewhere = private_imports(SNIPPET, "tracktwo/cli/_x.py", "tracktwo.cli", "cli")
    assert [item.line for item in elsewhere] == [3, 7, 8, 11, 12]
    # a relative import is resolved against the importing file's package
    relative = "from ._registry import Registry\nfrom .._errors import InputError\n"
    inside = private_imports(relative, "tracktwo/bridges/_x.py", "tracktwo.bridges", "bridges")
    assert inside == []


# -- b: imports run downward -----------------------------------------------------------------


def test_every_package_has_a_layer() -> None:
    owners = {owner(file) for file in SOURCE.rglob("*.py")}
    assert owners - set(LAYERS) == set(), "add the new package to LAYERS"


def test_imports_run_downward() -> None:
    problems = layer_violations(package_graph())
    assert not problems, "imports against the layers:\n" + "\n".join(problems)


def test_layer_checker_catches_upward_and_same_layer_cycles() -> None:
    def edge(a: str, b: str) -> dict[str, list[Import]]:
        return {b: [Import(f"tracktwo/{a}/_m.py", 1, f"tracktwo.{b}")]}

    fine = {"cli": edge("cli", "match"), "match": edge("match", "bridges"), "bridges": {}}
    assert layer_violations(fine) == []
    up = {"bridges": edge("bridges", "web"), "web": {}}
    # the root package's lazy tracktwo.open is the one upward import let through; any other
    # upward import of the root still counts
    assert layer_violations({TOP: edge(TOP, "api"), "api": {}}) == []
    assert layer_violations({TOP: edge(TOP, "cli"), "cli": {}})[0].startswith(
        "tracktwo (layer 0) -> cli (layer 4), upward"
    )
    assert layer_violations(up) == [
        "bridges (layer 1) -> web (layer 4), upward: tracktwo/bridges/_m.py:1: tracktwo.web "
        "(+0 more)"
    ]
    # pulse -> events is fine on its own; events -> pulse as well makes both a cycle
    both = {"pulse": edge("pulse", "events"), "events": edge("events", "pulse")}
    assert [p.split(",")[0] for p in layer_violations(both)] == [
        "events (layer 1) -> pulse (layer 1)",
        "pulse (layer 1) -> events (layer 1)",
    ]


# -- c: no cycle between packages --------------------------------------------------------------


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph()
    cycle = find_cycle({a: set(targets) for a, targets in graph.items()})
    if cycle:
        steps = [f"{a} -> {b} ({graph[a][b][0]})" for a, b in pairwise(cycle)]
        pytest.fail("import cycle between packages:\n" + "\n".join(steps))


def test_cycle_finder() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"b"}}) == ["b", "b"]


# -- d: what importing each package costs ------------------------------------------------------

WEB_STACK = ("fastapi", "starlette", "uvicorn")
# loaded only by the command that needs them: the PDF, the optional embeddings, Spark, the CLI
ON_DEMAND = ("weasyprint", "torch", "sentence_transformers", "pyspark", "typer")
SOLVERS = ("sklearn", "ortools")  # the matchmaker's
DATA = ("pandas", "numpy", "duckdb", "ibis", "sqlalchemy")
HEAVY = sorted({*WEB_STACK, *ON_DEMAND, *SOLVERS, *DATA, "altair", "scipy", "polars"})

# package -> (modules it must load, modules it must not load)
EXPECTED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    TOP: ((), tuple(HEAVY)),
    "tracktwo.taxonomy": ((), tuple(HEAVY)),
    "tracktwo.datasets": ((), tuple(HEAVY)),
    # the store's DuckDB/Ibis half loads on first use, so the registry starts without it
    "tracktwo.store": ((), (*WEB_STACK, *ON_DEMAND, *SOLVERS, "sqlalchemy", "duckdb", "ibis")),
    "tracktwo.events": (("duckdb", "ibis"), (*WEB_STACK, *ON_DEMAND, *SOLVERS, "sqlalchemy")),
    "tracktwo.pulse": ((), (*WEB_STACK, *ON_DEMAND, *SOLVERS, "sqlalchemy")),
    "tracktwo.bridges": (("sqlalchemy",), (*WEB_STACK, *ON_DEMAND, *SOLVERS, "duckdb", "ibis")),
    "tracktwo.accounts": ((), (*WEB_STACK, *ON_DEMAND, *SOLVERS)),
    "tracktwo.match": ((), (*WEB_STACK, *ON_DEMAND, "duckdb", "ibis")),
    "tracktwo.doors": ((), (*WEB_STACK, *ON_DEMAND)),
    "tracktwo.report": ((), (*WEB_STACK, *ON_DEMAND, *SOLVERS)),
    "tracktwo.demo": ((), (*WEB_STACK, *ON_DEMAND, *SOLVERS)),
    "tracktwo.web": (("fastapi",), ON_DEMAND),
    "tracktwo.cli": (("typer",), (*WEB_STACK, "weasyprint", "torch", "pyspark")),
    # the notebook API loads the libraries behind each table on its first call
    "tracktwo.api": (
        ("pandas",),
        (*WEB_STACK, *ON_DEMAND, *SOLVERS, "duckdb", "ibis", "sqlalchemy", "polars"),
    ),
}

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(name for name in json.loads(sys.argv[2]) if name in sys.modules)))
"""


@pytest.fixture(scope="module")
def loaded() -> dict[str, list[str] | str]:
    """package -> the heavy modules importing it loads, each package in a fresh interpreter
    (all started at once); the error text when the import fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", _PROBE]
    runs = {
        package: subprocess.Popen(
            [*command, package, json.dumps(HEAVY)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for package in EXPECTED
    }
    result: dict[str, list[str] | str] = {}
    for package, run in runs.items():
        out, err = run.communicate(timeout=300)
        result[package] = json.loads(out) if run.returncode == 0 else err.strip()
    return result


@pytest.mark.parametrize("package", list(EXPECTED))
def test_heavy_modules_a_package_loads(package: str, loaded: dict[str, list[str] | str]) -> None:
    found = loaded[package]
    assert isinstance(found, list), f"import {package} failed:\n{found}"
    must, must_not = EXPECTED[package]
    assert set(must) <= set(found), f"import {package} should load {sorted(set(must))}"
    pulled = sorted(set(must_not) & set(found))
    assert not pulled, f"import {package} loads {pulled}; it loads {found}"
