"""The SQL of the events: storing a staged batch of files, their sources and quarantine,
the fetch ledger and the read-only status views. The rules are tracktwo.events'
(docs/ingest.md); this module only says them in DuckDB's SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import pandas as pd
import pyarrow as pa

from tracktwo.store._duckdb import EventStore
from tracktwo.store._schema import EVENT_COLUMNS
from tracktwo.store._snapshot import mark_dirty_months
from tracktwo.store._staging_sql import STAGING_TABLE, usable_staged_count

__all__ = [
    "events_by_format",
    "events_by_source",
    "file_sources",
    "icews_actors_without_country",
    "insert_file_sources",
    "insert_ingested_files",
    "insert_quarantine_rows",
    "insert_staged_events",
    "mark_file_fetched",
    "previous_fetch",
    "quarantined_rows",
    "record_event_sources",
    "replace_fetched_file",
]

# the re-emission group of a stored event, the same ``hash`` staging computes as ``_k``
_KEY = "hash(actor1_code, actor2_code, event_code, source_url)"


# -- storing a staged file ---------------------------------------------------------------


def _literal(value: object) -> str:
    """A bound (an integer, a date or a timestamp) written into the SQL: DuckDB prunes row
    groups by their min/max only for constants."""
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _stored_uids(con: duckdb.DuckDBPyConnection, staged: str) -> str:
    """A query for the uids of the stored events that can share a uid with the staged rows,
    bounded so its cost does not grow with the store: a GDELT uid is its GLOBALEVENTID (the
    stored ids between the staged ones' min and max), an ICEWS uid hashes the event's date
    (the stored events without an id between the staged dates). GDELT's ids rise with time
    and files are stored in the order read, so DuckDB skips every row group out of range."""
    low, high, first, last, undated_ids = con.execute(
        f"""SELECT min(global_event_id), max(global_event_id),
                   min(event_date) FILTER (WHERE global_event_id IS NULL),
                   max(event_date) FILTER (WHERE global_event_id IS NULL),
                   count(*) FILTER (WHERE global_event_id IS NULL)
            FROM {staged} WHERE _problem IS NULL"""
    ).fetchall()[0]
    parts = []
    if low is not None:
        parts.append(
            "SELECT event_uid FROM events WHERE global_event_id BETWEEN "
            f"{_literal(int(low))} AND {_literal(int(high))}"
        )
    if undated_ids:
        parts.append(
            "SELECT event_uid FROM events WHERE global_event_id IS NULL AND event_date BETWEEN "
            f"{_literal(first)} AND {_literal(last)}"
        )
    return " UNION ALL ".join(parts) or "SELECT NULL::VARCHAR AS event_uid WHERE false"


def _new_rows(con: duckdb.DuckDBPyConnection) -> None:
    """``new_rows``: staged rows not stored yet (first copy of a repeated id, the batch's
    files in the order they were added), narrow.

    Keyed by the staging table's integer rowid so later joins avoid the text uid; ``k`` is
    the re-emission group hashed into one integer (a collision needs ~4 billion keys), ``f``
    the row's file in the batch.
    """
    staged = STAGING_TABLE
    repeats = _count(
        con, f"SELECT count(*) - count(DISTINCT event_uid) FROM {staged} WHERE _problem IS NULL"
    )
    # the de-duplicating window is costly and within-file repeats are rare: only when needed
    first_copy = "QUALIFY row_number() OVER (PARTITION BY event_uid ORDER BY _file, rowid) = 1"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE new_rows AS
        SELECT rowid AS rid, event_uid, date_added, _k AS k, _file AS f
        FROM {staged}
        WHERE _problem IS NULL AND event_uid NOT IN ({_stored_uids(con, staged)})
        {first_copy if repeats else ""}"""
    )


def _reemission_flags(con: duckdb.DuckDBPyConnection, window_minutes: int) -> str:
    """``flags``: the rule applied to the new rows and the stored rows sharing their keys.

    Only stored rows added within one window of the new rows can matter: the flag of a new
    row added at t depends on the previous row of its group, which counts only if added
    after t - window, and a new row changes the flag of a stored row only if that one was
    added by t + window. The stored rows added before the first new one keep their flags
    (``keep``): their predecessors may lie outside the rows read, and no new row precedes
    them. So the cost is that of the rows near the file in time, not of the store. Returns
    that bound on date_added, for the update of the stored rows."""
    first, last = con.execute(
        "SELECT min(date_added), max(date_added) FROM new_rows WHERE k IS NOT NULL"
    ).fetchall()[0]
    window = f"INTERVAL {int(window_minutes)} MINUTE"
    near = (
        f"date_added BETWEEN {_literal(first)}::TIMESTAMP - {window} "
        f"AND {_literal(last)}::TIMESTAMP + {window}"
        if first is not None
        else "false"
    )
    keep = f"date_added < {_literal(first)}::TIMESTAMP" if first is not None else "true"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE flags AS
        WITH stored AS (
            SELECT e.event_uid, e.date_added, e.k, e.event_date, e.is_reemission
            FROM (SELECT event_uid, date_added, {_KEY} AS k, event_date, is_reemission
                  FROM events WHERE source_url IS NOT NULL AND {near}) e
            SEMI JOIN (SELECT DISTINCT k FROM new_rows WHERE k IS NOT NULL) USING (k)
        ),
        -- only groups of two or more events can hold a re-emission: the window sorts
        -- just those (a hash count is much cheaper than sorting every row)
        shared AS (
            SELECT k FROM (SELECT k FROM new_rows WHERE k IS NOT NULL
                           UNION ALL SELECT k FROM stored)
            GROUP BY k HAVING count(*) > 1
        ),
        candidates AS (
            SELECT rid, event_uid, date_added, k, NULL::DATE AS event_date, NULL::BOOLEAN AS was
            FROM new_rows SEMI JOIN shared USING (k)
            UNION ALL
            SELECT NULL AS rid, event_uid, date_added, k, event_date, is_reemission AS was
            FROM stored SEMI JOIN shared USING (k)
        )
        SELECT rid, event_uid, flag, event_date, was FROM (
            SELECT rid, event_uid, date_added, event_date, was,
                   coalesce(date_added - lag(date_added) OVER (
                       PARTITION BY k ORDER BY date_added, event_uid
                   ) <= {window}, false) AS flag
            FROM candidates)
        WHERE rid IS NOT NULL OR NOT ({keep})"""
    )
    return near


def insert_staged_events(
    con: duckdb.DuckDBPyConnection, window_minutes: int
) -> dict[int, tuple[int, int]]:
    """Insert the staged rows not stored yet with their re-emission flag set (an event added
    at most ``window_minutes`` after the previous one of its group); re-flag stored rows a new
    row changes (a file that fills a gap); return, by file number, how many rows were added
    and how many of those are flagged (a file that added none is left out).

    The flags are computed before the insert: updating millions of just-inserted rows made
    the commit as slow as the insert itself.
    """
    _new_rows(con)
    near = _reemission_flags(con, window_minutes)
    columns = [name for name, _, _ in EVENT_COLUMNS if name != "is_reemission"]
    selected = ", ".join(f"s.{name}" for name in columns)
    # semi-joins on small integer sets, not joins: the wide staging rows stream straight
    # into the table (a join spilled to disk at 5M rows under the memory limit)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE flagged_new AS "
        "SELECT rid FROM flags WHERE rid IS NOT NULL AND flag"
    )
    new = _count(con, "SELECT count(*) FROM new_rows")
    every_staged_row_is_new = new == usable_staged_count(con)
    which = (
        "s._problem IS NULL" if every_staged_row_is_new else "s.rowid IN (SELECT rid FROM new_rows)"
    )
    con.execute(
        f"""INSERT INTO events ({", ".join(columns)}, is_reemission)
        SELECT {selected}, s.rowid IN (SELECT rid FROM flagged_new)
        FROM {STAGING_TABLE} s
        WHERE {which}"""
    )
    changed = "FROM flags WHERE rid IS NULL AND was IS DISTINCT FROM flag"
    if _count(con, f"SELECT count(*) {changed}"):
        mark_dirty_months(con, f"SELECT DISTINCT event_date {changed}")  # rewritten at publish
        con.execute(
            f"""UPDATE events SET is_reemission = f.flag
            FROM (SELECT event_uid, flag {changed}) f
            WHERE events.event_uid = f.event_uid AND events.{near}"""
        )
    per_file = con.execute(
        "SELECT f, count(*), count(*) FILTER (WHERE rid IN (SELECT rid FROM flagged_new)) "
        "FROM new_rows GROUP BY f"
    ).fetchall()
    for table in ("new_rows", "flags", "flagged_new"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return {int(f): (int(added), int(flagged)) for f, added, flagged in per_file}


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0])


# -- sources, quarantine and the file record ----------------------------------------------


def file_sources(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> dict[str, str]:
    """The source each of these file names was first ingested as (names never seen are
    left out)."""
    rows = con.execute(
        "SELECT source_file, source FROM source_files WHERE list_contains(?, source_file)",
        [list(dict.fromkeys(names))],
    ).fetchall()
    return {str(name): str(source) for name, source in rows}


def insert_file_sources(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[str, str]]) -> None:
    """``source_files`` rows: (file name, source)."""
    _insert_rows(con, "source_files", ["source_file", "source"], rows)


def record_event_sources(con: duckdb.DuckDBPyConnection, source: str, files: Sequence[int]) -> None:
    """The staged events of these batch files whose stored copy has another source: seen
    in ``source`` too."""
    con.execute(
        f"""INSERT INTO event_sources
        SELECT DISTINCT s.event_uid, ? FROM {STAGING_TABLE} s
        JOIN (SELECT event_uid, source_file, source_format FROM events
              WHERE event_uid IN ({_stored_uids(con, STAGING_TABLE)})) e
          ON e.event_uid = s.event_uid
        LEFT JOIN source_files f ON f.source_file = e.source_file
        WHERE s._problem IS NULL AND list_contains(?, s._file)
          AND coalesce(f.source, e.source_format) <> ?
          AND NOT EXISTS (SELECT 1 FROM event_sources x
                          WHERE x.event_uid = s.event_uid AND x.source = ?)""",
        [source, list(files), source, source],
    )


def _insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: Sequence[Sequence[object]]
) -> None:
    """Many rows in one statement (an Arrow table), not one statement per row."""
    if not rows:
        return
    frame = pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
    con.register("rows_to_insert", frame)
    try:
        con.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(columns)} FROM rows_to_insert"
        )
    finally:
        con.unregister("rows_to_insert")


def insert_quarantine_rows(
    con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[str, int, str, str]], at: datetime
) -> None:
    """One ``quarantine`` row per (file name, line, reason, raw text)."""
    stamped = [(*row, at) for row in rows]
    _insert_rows(con, "quarantine", ["source_file", "line", "reason", "raw", "quarantined_at"],
                 stamped)  # fmt: skip


_INGESTED_FILE_COLUMNS = [
    "source_file", "path", "sha256", "source_format", "rows_read", "rows_added",
    "rows_already_stored", "rows_quarantined", "ingested_at",
]  # fmt: skip


def insert_ingested_files(con: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[object]]) -> None:
    """``ingested_files`` rows: source_file, path, sha256, source_format, rows_read,
    rows_added, rows_already_stored, rows_quarantined, ingested_at."""
    _insert_rows(con, "ingested_files", _INGESTED_FILE_COLUMNS, rows)


# -- the fetch ledger (one row per URL and dyads) ------------------------------------------


def previous_fetch(store: EventStore, url: str, label: str) -> tuple[str, str] | None:
    """(status, md5) recorded for ``url`` for the dyads ``label`` or for all dyads, the
    label's own row first, then the latest."""
    rows = store.con.execute(
        "SELECT status, md5 FROM fetched_files WHERE url = ? AND (dyads = ? OR dyads = 'all') "
        "ORDER BY dyads = ? DESC, fetched_at DESC LIMIT 1",
        [url, label, label],
    ).fetchall()
    return (str(rows[0][0]), str(rows[0][1])) if rows else None


def replace_fetched_file(
    store: EventStore,
    url: str,
    label: str,
    *,
    size: int,
    md5: str,
    status: str,
    rows_kept: int | None,
) -> None:
    """The latest outcome for (url, dyads) replaces the earlier one, in one transaction."""
    with store.transaction() as con:
        con.execute("DELETE FROM fetched_files WHERE url = ? AND dyads = ?", [url, label])
        con.execute(
            "INSERT INTO fetched_files VALUES (?, ?, ?, ?, ?, ?, ?)",
            [url, size, md5, status, rows_kept, datetime.now(), label],
        )


def mark_file_fetched(store: EventStore, url: str, label: str, at: datetime) -> None:
    store.con.execute(
        "UPDATE fetched_files SET status = 'fetched', fetched_at = ? WHERE url = ? AND dyads = ?",
        [at, url, label],
    )


# -- status views --------------------------------------------------------------------------


def quarantined_rows(store: EventStore, source_file: str | None, limit: int) -> pd.DataFrame:
    """source_file, line, reason, raw: newest files first, in line order."""
    where = "WHERE source_file = ?" if source_file else ""
    params: list[object] = [source_file] if source_file else []
    return store.con.execute(
        f"SELECT source_file, line, reason, raw FROM quarantine {where} "
        "ORDER BY quarantined_at DESC, source_file, line LIMIT ?",
        [*params, limit],
    ).fetchdf()


def events_by_format(store: EventStore) -> pd.DataFrame:
    """One row per source format: events, re-emissions, first and last day, files and rows
    quarantined."""
    return store.con.execute(
        """SELECT e.source_format, count(*) AS events,
                  count(*) FILTER (WHERE is_reemission) AS reemissions,
                  min(event_date) AS first_day, max(event_date) AS last_day,
                  (SELECT count(*) FROM ingested_files f
                    WHERE f.source_format = e.source_format) AS files,
                  (SELECT coalesce(sum(rows_quarantined), 0)::BIGINT FROM ingested_files f
                    WHERE f.source_format = e.source_format) AS quarantined
           FROM events e GROUP BY e.source_format ORDER BY e.source_format"""
    ).fetchdf()


def events_by_source(store: EventStore) -> pd.DataFrame:
    """One row per source: events seen in it (an event stored once from two sources counts
    in both), their first and last day, and the months with a total."""
    return store.con.execute(
        """WITH seen AS (
               SELECT e.event_uid, e.event_date, coalesce(f.source, e.source_format) AS source
               FROM events e LEFT JOIN source_files f USING (source_file)
               UNION
               SELECT x.event_uid, e.event_date, x.source
               FROM event_sources x JOIN events e USING (event_uid)
           ),
           per_source AS (
               SELECT source, count(*) AS events, min(event_date) AS first_day,
                      max(event_date) AS last_day
               FROM seen GROUP BY source
           ),
           months AS (SELECT source, count(*) AS months FROM source_totals GROUP BY source)
           SELECT source, coalesce(events, 0) AS events, first_day, last_day,
                  coalesce(months, 0) AS months
           FROM per_source FULL JOIN months USING (source)
           ORDER BY source"""
    ).fetchdf()


def icews_actors_without_country(store: EventStore) -> pd.DataFrame:
    """name, events: ICEWS actor names stored without a country, most events first."""
    return store.con.execute(
        """SELECT name, count(DISTINCT event_uid) AS events FROM (
               SELECT event_uid, actor1_name AS name FROM events
               WHERE source_format = 'icews' AND actor1_country IS NULL
               UNION ALL
               SELECT event_uid, actor2_name FROM events
               WHERE source_format = 'icews' AND actor2_country IS NULL
           ) WHERE name IS NOT NULL GROUP BY name ORDER BY events DESC, name"""
    ).fetchdf()
