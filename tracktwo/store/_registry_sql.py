"""The few SQL strings of the bridges registry (SQLite or PostgreSQL through SQLAlchemy): the
rest of its queries are SQLAlchemy expressions, which are backend-neutral. SQLAlchemy is
imported when a function runs, so importing tracktwo.store does not load it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Connection

__all__ = ["actor_profile_rows", "alembic_revision", "reset_serial_sequence", "set_sqlite_pragmas"]


def set_sqlite_pragmas(dbapi_connection: Any) -> None:
    """Settings every new SQLite connection of the registry gets."""
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; foreign keys are off by default in SQLite
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def alembic_revision(connection: Connection) -> str | None:
    """The schema revision Alembic recorded in the database."""
    from sqlalchemy import text

    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def reset_serial_sequence(
    connection: Connection, table: str, column: str, column_name: str
) -> None:
    """PostgreSQL: set the sequence behind ``column`` of ``table`` (both quoted) past its
    largest value, so the next insert gets a new id (``column_name``: the column unquoted).
    setval(NULL, ...) does nothing: a key without a sequence is left alone."""
    from sqlalchemy import text

    connection.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), "
            f"COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) FROM {table}"
        ),
        {"table": table, "column": column_name},
    )


def actor_profile_rows(connection: Connection) -> pd.DataFrame:
    """id, name, country, kind, areas_offered, areas_needed, funded_by, stance of every actor,
    as the database stores them (the area lists may be JSON text)."""
    import pandas as pd

    return pd.read_sql(
        "SELECT id, name, country, kind, areas_offered, areas_needed, funded_by, stance "
        "FROM actors",
        connection,
    )
