"""Writing Arrow tables into store tables: append, or replace the rows with the same key."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

__all__ = ["insert_arrow", "replace_arrow_rows"]


def insert_arrow(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    """Append an Arrow table to a store table, matching columns by name."""
    view = f"_incoming_{table}"
    con.register(view, rows)
    try:
        columns = ", ".join(rows.column_names)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {view}").fetchall()
    finally:
        con.unregister(view)


def replace_arrow_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table, keys: Sequence[str]
) -> int:
    """Delete the stored rows of ``table`` whose ``keys`` equal those of a row of ``rows``,
    append ``rows``; return how many stored rows were deleted. Call it in a transaction."""
    view = f"_new_{table}"
    matched = " AND ".join(f"{table}.{key} = new.{key}" for key in keys)
    con.register(view, rows)
    try:
        deleted = con.execute(f"DELETE FROM {table} USING {view} AS new WHERE {matched}").fetchall()
    finally:
        con.unregister(view)
    insert_arrow(con, table, rows)
    return int(deleted[0][0]) if deleted else 0
