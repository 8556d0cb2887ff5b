"""The event store's tables as DuckDB creates them: what docs/schema.md is generated from
(``python docs/make_schema.py``), so the page shows the types DuckDB reports, not a copy."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from tracktwo.store._schema import TABLES, WRITER_TABLES

__all__ = ["StoredColumn", "event_store_columns"]


@dataclass(frozen=True)
class StoredColumn:
    table: str
    name: str
    type: str
    nullable: bool


def event_store_columns() -> list[StoredColumn]:
    """Every column of every table of ``TABLES`` and ``WRITER_TABLES``, in table and
    column order, read back from an in-memory DuckDB after running the DDL."""
    con = duckdb.connect(":memory:")
    try:
        for ddl in [*TABLES.values(), *WRITER_TABLES.values()]:
            con.execute(ddl)
        rows = con.execute(
            "SELECT table_name, column_name, data_type, is_nullable = 'YES' "
            "FROM information_schema.columns ORDER BY ordinal_position"
        ).fetchall()
    finally:
        con.close()
    order = {name: index for index, name in enumerate([*TABLES, *WRITER_TABLES])}
    found = [StoredColumn(str(t), str(c), str(k), bool(n)) for t, c, k, n in rows]
    return sorted(found, key=lambda column: order[column.table])  # stable: columns stay in order
