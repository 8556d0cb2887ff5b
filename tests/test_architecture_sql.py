"""Every SQL string lives in tracktwo/store/: no other module holds one (issue 15).

The checker reads each module with ``ast``: plain string constants, and f-strings taken whole
(their placeholders read as ``{}``), so an SQL statement built with an f-string is caught while
a phrase inside a message f-string (``f"... {kind} with id {n}"``) is not. Docstrings are
skipped. A string is SQL when it starts, after whitespace, with a statement keyword in any case
followed by the shape that statement takes (``DELETE FROM``, ``INSERT INTO``, ``CREATE TABLE``,
``WITH name AS (`` ...): the keyword alone would flag prose such as "Delete your account".
Alembic migrations (tracktwo/bridges/migrations/) are the registry's schema history and may
hold SQL.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracktwo"
ALLOWED = ("tracktwo/store/", "tracktwo/bridges/migrations/")

_OBJECT = (
    r"(?:TEMP(?:ORARY)?\s+|UNIQUE\s+)?(?:TABLE|VIEW|INDEX|SEQUENCE|SCHEMA|TRIGGER|MACRO|TYPE)\b"
)
_SHAPES = {
    # the first selected item followed by what follows a column: "(", ",", "::", AS, FROM or
    # the end of the literal (the rest concatenated on)
    "SELECT": r"(?:ALL\s+|DISTINCT\s+)?(?:\*|\(|[\w.{}']+\s*(?:\(|,|::|\bAS\b|\bFROM\b|$))",
    "INSERT": r"(?:OR\s+\w+\s+)?INTO\b",
    "UPDATE": r"[\w.{}\"]+\s+SET\b",
    "DELETE": r"FROM\b",
    "CREATE": r"(?:OR\s+REPLACE\s+)?" + _OBJECT,
    "DROP": _OBJECT,
    "ALTER": _OBJECT,
    "WITH": r"(?:RECURSIVE\s+)?[\w{}]+(?:\s*\([^)]*\))?\s+AS\s*(?:NOT\s+)?(?:MATERIALIZED\s*)?\(",
    "PRAGMA": r"[\w.]+",
    "COPY": r"(?:\(|[\w.{}\"]+\s+(?:TO|FROM)\b)",
    "ATTACH": r"(?:DATABASE\s+)?[\w'\"{$:]",
}
SQL = re.compile(
    r"\s*(?:" + "|".join(rf"{word}\s+{shape}" for word, shape in _SHAPES.items()) + ")",
    re.IGNORECASE,
)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of the module, its classes and functions."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                found.add(id(first.value))
    return found


def _text(node: ast.JoinedStr) -> str:
    parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
    return "".join(str(part) for part in parts)


def sql_strings(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every SQL string in ``source``, docstrings skipped."""
    tree = ast.parse(source)
    skipped = _docstrings(tree)
    inside_fstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside_fstrings.update(id(value) for value in node.values)
            if SQL.match(_text(node)):
                yield node.lineno, _text(node)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skipped
            and id(node) not in inside_fstrings
            and SQL.match(node.value)
        ):
            yield node.lineno, node.value


def _modules() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(ALLOWED):
            yield path


def test_no_sql_outside_store() -> None:
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{line}: {' '.join(text.split())[:60]}"
        for path in _modules()
        for line, text in sql_strings(path.read_text(encoding="utf-8"))
    ]
    assert not found, "SQL outside tracktwo/store/ (move it behind a store function):\n" + (
        "\n".join(found)
    )


def test_the_walk_sees_the_package() -> None:
    walked = {path.relative_to(ROOT).as_posix() for path in _modules()}
    assert "tracktwo/pulse/_pulse.py" in walked
    assert "tracktwo/events/_ingest.py" in walked
    assert not any(name.startswith(ALLOWED) for name in walked)


@pytest.mark.parametrize(
    "snippet",
    [
        'rows = con.execute("SELECT count(*) FROM votes").fetchall()',
        "con.execute('''\n    select rcid from roll_calls''')",
        'con.execute(f"DROP TABLE IF EXISTS {name}")',
        'con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {view}")',
        'sql = "SELECT c.rcid, c.session" + tail',
        'con.execute("DELETE FROM signals WHERE name = ?", [name])',
        'con.execute("UPDATE events SET is_reemission = true")',
        'con.execute("CREATE OR REPLACE TEMP TABLE flags AS SELECT 1")',
        'con.execute("""WITH seen AS (SELECT 1) SELECT * FROM seen""")',
        'cursor.execute("PRAGMA foreign_keys=ON")',
        "con.execute(f\"COPY events TO '{path}' (FORMAT parquet)\")",
        "con.execute(\"ATTACH 'other.duckdb' AS other\")",
        'con.execute("ALTER TABLE actors ADD COLUMN admin1 VARCHAR")',
    ],
)
def test_the_checker_catches_sql(snippet: str) -> None:
    assert [line for line, _ in sql_strings(snippet)] == [1]


@pytest.mark.parametrize(
    "snippet",
    [
        'def f():\n    """SELECT the rows FROM the store: a docstring is prose."""\n',
        '"""DELETE FROM quarantine: a module docstring."""\n',
        'label = "Delete your account"',
        'message = f"no {kind} with id {number}"',
        'note = "with a date, the rows are kept"',
        'text = "Update the record later"',
        'words = "select a country"',
    ],
)
def test_the_checker_leaves_prose_alone(snippet: str) -> None:
    assert list(sql_strings(snippet)) == []
