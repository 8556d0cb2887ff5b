"""The SQL of the pulse's other inputs and checks: imported signals, coverage totals, each
source's monthly totals, and the spans of the stored events (tracktwo.pulse builds its series
with Ibis; what it cannot say in Ibis, or needs only on DuckDB, is here)."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from tracktwo.store._arrow_sql import insert_arrow
from tracktwo.store._duckdb import EventStore

__all__ = [
    "coverage_row_count",
    "event_date_span",
    "event_period_starts",
    "ingested_source_names",
    "replace_signal_rows",
    "signal_date_span",
    "signal_names",
    "signal_row_count",
    "stored_source_totals",
]

_TRUNCATED = ("year", "quarter", "month")


# -- signals -------------------------------------------------------------------------------


def replace_signal_rows(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> int:
    """Every stored row of signal ``name`` gives way to ``rows``; return how many there were.
    Call it in a transaction."""
    replaced = con.execute("SELECT count(*) FROM signals WHERE name = ?", [name]).fetchall()
    con.execute("DELETE FROM signals WHERE name = ?", [name]).fetchall()
    insert_arrow(con, "signals", rows)
    return int(replaced[0][0])


def signal_row_count(store: EventStore, name: str) -> int:
    found = store.con.execute("SELECT count(*) FROM signals WHERE name = ?", [name]).fetchall()
    return int(found[0][0])


def signal_names(store: EventStore) -> list[str]:
    """The names of the stored signals, in no particular order."""
    rows = store.con.execute("SELECT DISTINCT name FROM signals").fetchall()
    return [str(name) for (name,) in rows]


def signal_date_span(store: EventStore, name: str) -> tuple[Any, Any]:
    """(first, last) day of signal ``name``; (None, None) when it has no row."""
    row = store.con.execute(
        "SELECT min(signal_date), max(signal_date) FROM signals WHERE name = ?", [name]
    ).fetchall()
    return (row[0][0], row[0][1]) if row else (None, None)


# -- coverage and source totals ------------------------------------------------------------


def coverage_row_count(store: EventStore, countries: tuple[str, str]) -> int:
    """Coverage rows stored for either of ``countries``."""
    found = store.con.execute(
        "SELECT count(*) FROM coverage WHERE country IN (?, ?)", list(countries)
    ).fetchall()
    return int(found[0][0])


def stored_source_totals(store: EventStore) -> pd.DataFrame:
    """source, month, total of every stored source total, by source and month."""
    return store.con.execute(
        "SELECT source, month, total FROM source_totals ORDER BY source, month"
    ).fetchdf()


def ingested_source_names(store: EventStore) -> set[str]:
    """The sources some ingested file was read as (or an event of it was seen in)."""
    rows = store.con.execute(
        "SELECT source FROM source_files UNION SELECT source FROM event_sources"
    ).fetchall()
    return {source for (source,) in rows}


# -- the stored events ---------------------------------------------------------------------


def event_date_span(store: EventStore) -> tuple[Any, Any]:
    """(first, last) day of all stored events; (None, None) when there are none."""
    row = store.con.execute("SELECT min(event_date), max(event_date) FROM events").fetchone()
    return (row[0], row[1]) if row else (None, None)


def event_period_starts(store: EventStore, freq: str, start: date, end: date) -> list[Any]:
    """The start of every period of ``freq`` (year, quarter or month) holding a stored event
    (of any pair) dated in [start, end)."""
    if freq not in _TRUNCATED:  # the name goes into the SQL text
        raise ValueError(f"freq must be one of {', '.join(_TRUNCATED)}, not {freq!r}")
    rows = store.con.execute(
        f"SELECT DISTINCT date_trunc('{freq}', event_date) FROM events "
        "WHERE event_date >= ? AND event_date < ?",
        [start, end],
    ).fetchall()
    return [row[0] for row in rows]
