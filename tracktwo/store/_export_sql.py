"""The SQL of ``events export``: the stored events of a date range and of some dyads, every
column in the schema's order, streamed as Arrow record batches so an export of millions of rows
never holds them all in memory (tracktwo.events._export writes the batches)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pyarrow as pa

from tracktwo.store._duckdb import EventStore
from tracktwo.store._schema import EVENT_COLUMNS

__all__ = ["exported_event_count", "exported_events"]

_COLUMNS = ", ".join(name for name, _, _ in EVENT_COLUMNS)


def _where(
    since: date | None, until: date | None, dyads: Sequence[tuple[str, str]]
) -> tuple[str, list[object]]:
    """The WHERE clause and its parameters: both days inclusive; a dyad in either direction,
    as ``events fetch --dyad`` keeps it."""
    clauses: list[str] = []
    params: list[object] = []
    if since is not None:
        clauses.append("event_date >= ?")
        params.append(since)
    if until is not None:
        clauses.append("event_date <= ?")
        params.append(until)
    if dyads:
        either = "(actor1_country = ? AND actor2_country = ?)"
        either = f"({either} OR {either})"
        clauses.append("(" + " OR ".join(either for _ in dyads) + ")")
        for a, b in dyads:
            params.extend([a, b, b, a])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def exported_event_count(
    store: EventStore,
    since: date | None = None,
    until: date | None = None,
    dyads: Sequence[tuple[str, str]] = (),
) -> int:
    """How many stored events ``exported_events`` would give."""
    where, params = _where(since, until, dyads)
    found = store.con.execute(f"SELECT count(*) FROM events{where}", params).fetchall()
    return int(found[0][0])


def exported_events(
    store: EventStore,
    since: date | None = None,
    until: date | None = None,
    dyads: Sequence[tuple[str, str]] = (),
    *,
    batch_rows: int = 100_000,
) -> pa.RecordBatchReader:
    """The stored events of the range and dyads (re-emissions included, flagged in
    ``is_reemission``), by day then uid, as batches of at most ``batch_rows`` rows."""
    where, params = _where(since, until, dyads)
    # the caller shows its own progress; DuckDB's bar would print to stderr even in a script
    store.con.execute("SET enable_progress_bar = false")
    # the sort keeps the file the same from one export to the next; DuckDB spills it to the
    # store's temp directory beyond the connection's memory limit
    query = f"SELECT {_COLUMNS} FROM events{where} ORDER BY event_date, event_uid"
    return store.con.execute(query, params).to_arrow_reader(batch_rows)
