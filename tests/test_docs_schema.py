"""docs/schema.md is what the code says: regenerated here, it must equal the committed page; and
every table and column of a real event store and of a real, migrated registry is on it."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import duckdb
from sqlalchemy import inspect

from tracktwo.bridges import Registry
from tracktwo.store import STORE_FILE, EventStore

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_MD = ROOT / "docs" / "schema.md"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_schema", ROOT / "docs" / "make_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sections() -> dict[str, set[str]]:
    """table -> the column names listed under its heading on docs/schema.md."""
    found: dict[str, set[str]] = {}
    table = None
    for line in SCHEMA_MD.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"### `(\w+)`", line)
        if heading:
            table = heading.group(1)
            found[table] = set()
        row = re.match(r"\| `(\w+)` \|", line)
        if row and table:
            found[table].add(row.group(1))
    return found


def test_schema_page_is_current() -> None:
    expected = _generator().render()
    current = SCHEMA_MD.read_text(encoding="utf-8")
    assert current == expected, (
        "docs/schema.md differs from the code: regenerate it with "
        "`python docs/make_schema.py` (from the repository root) and commit it"
    )


def test_every_store_table_and_column_is_documented(tmp_path: Path) -> None:
    with EventStore(tmp_path, write=True):
        pass  # creates every table
    con = duckdb.connect(str(tmp_path / STORE_FILE), read_only=True)
    try:
        query = "SELECT table_name, column_name FROM information_schema.columns"
        rows = con.execute(query).fetchall()
    finally:
        con.close()
    sections = _sections()
    assert {table for table, _ in rows} >= {"events", "quarantine", "votes", "ideal_points"}
    missing = [f"{t}.{c}" for t, c in rows if c not in sections.get(t, set())]
    assert not missing, f"not on docs/schema.md: {missing}"
    assert "event_uid" in sections["events"] and "is_reemission" in sections["events"]


def test_every_registry_table_and_column_is_documented(tmp_path: Path) -> None:
    # the database the Alembic migrations build, not the models the page is generated from
    with Registry(home=tmp_path) as registry:
        tables = [t for t in registry.tables() if t != "alembic_version"]
        columns = {t: [c["name"] for c in inspect(registry.engine).get_columns(t)] for t in tables}
    sections = _sections()
    assert {"actors", "ties", "activities", "users", "profiles"} <= set(tables)
    missing = [f"{t}.{c}" for t in tables for c in columns[t] if c not in sections.get(t, set())]
    assert not missing, f"not on docs/schema.md: {missing}"


def test_meanings_come_from_the_code() -> None:
    text = SCHEMA_MD.read_text(encoding="utf-8")
    # EVENT_COLUMNS' meaning, a model's trailing comment and one written above a column
    assert "| `goldstein` | DOUBLE | yes | Goldstein scale, -10 .. +10 |" in text
    assert "| `local_name` | VARCHAR(300) | yes |  | e.g. the Khmer name |" in text
    assert "| `status_reason` | TEXT | yes |  | why the tie has its status" in text
    assert "| `tie_id` | INTEGER | no | → `ties.id` |" in text
