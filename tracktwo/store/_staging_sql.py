"""The SQL that stages a batch of event files in the temp table ``staging_events`` before
an ingest stores them (tracktwo.events' IngestBatch).

GDELT files of one layout are read together by one call of DuckDB's CSV reader, in parallel
and streamed; rows it cannot parse land in its rejects table (``csv_rejects``) with their
file and line number and raw text. An ICEWS file, already parsed by tracktwo.events, arrives
as Arrow batches. Either way the staging table has the columns of ``events`` plus
``_problem`` (why a parsed row is unusable, NULL when it is fine), ``_k`` (the re-emission
group hashed into one integer) and ``_file`` (the file's number in its batch, from 0), so
the per-file figures of a batch are one ``GROUP BY``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from tracktwo.store._schema import EVENT_COLUMNS

__all__ = [
    "STAGING_TABLE",
    "CsvReject",
    "GdeltRead",
    "clear_csv_rejects",
    "create_staging",
    "csv_rejects",
    "delete_staged_file",
    "drop_staging",
    "ensure_cameo_codes",
    "stage_arrow_events",
    "stage_gdelt_csv",
    "staged_problem_keys",
    "usable_staged_count",
    "usable_staged_counts",
]

STAGING_TABLE = "staging_events"
_COLUMNS = ", ".join(name for name, _, _ in EVENT_COLUMNS)

# (line, error_type, column_name, csv_line, error_message) of one field DuckDB could not read
CsvReject = tuple[int, str, str | None, str, str]
# the extra columns of the staging table, after those of ``events``
_STAGING_EXTRA = (("_problem", "VARCHAR"), ("_k", "UBIGINT"), ("_file", "INTEGER"))
_STAGED = ", ".join([_COLUMNS, *(name for name, _ in _STAGING_EXTRA)])


@dataclass(frozen=True)
class GdeltRead:
    """How to read one GDELT layout: its column names in file order, the DuckDB type of the
    columns read with a type (the others are VARCHAR), DATEADDED's strptime format and the
    ``source_format`` stored with each event."""

    columns: Sequence[str]
    typed: Mapping[str, str]
    date_added_format: str
    source_format: str


def ensure_cameo_codes(con: duckdb.DuckDBPyConnection, codes: Iterable[str]) -> None:
    """The temp table ``cameo_codes`` the GDELT projection checks event codes against."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS cameo_codes (code VARCHAR)")
    if con.execute("SELECT count(*) FROM cameo_codes").fetchall()[0][0] == 0:
        con.executemany("INSERT INTO cameo_codes VALUES (?)", [[c] for c in codes])


def drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {STAGING_TABLE}")


def create_staging(con: duckdb.DuckDBPyConnection) -> None:
    """A fresh, empty staging table (a batch appends each file's rows to it)."""
    drop_staging(con)
    columns = [f"{name} {kind}" for name, kind, _ in EVENT_COLUMNS]
    columns += [f"{name} {kind}" for name, kind in _STAGING_EXTRA]
    con.execute(f"CREATE TEMP TABLE {STAGING_TABLE} ({', '.join(columns)})")


def delete_staged_file(con: duckdb.DuckDBPyConnection, file: int) -> None:
    """Forget the staged rows of the batch's file number ``file`` (a file refused late)."""
    con.execute(f"DELETE FROM {STAGING_TABLE} WHERE _file = ?", [file])


def stage_arrow_events(
    con: duckdb.DuckDBPyConnection, table: pa.Table | pa.RecordBatchReader, file: int
) -> None:
    """Append ``table`` (the event columns) to the staging table as the batch's file number
    ``file``, every row usable. One statement: a failure appends nothing."""
    con.register("icews_arrow", table)
    try:
        con.execute(
            f"INSERT INTO {STAGING_TABLE} ({_STAGED}) "
            f"SELECT {_COLUMNS}, NULL, NULL, ?::INTEGER FROM icews_arrow",
            [file],
        )
    finally:
        con.unregister("icews_arrow")


def _columns_spec(read: GdeltRead) -> str:
    parts = [f"'{name}': '{read.typed.get(name, 'VARCHAR')}'" for name in read.columns]
    return "{" + ", ".join(parts) + "}"


def _actor_columns() -> list[str]:
    actor = []
    for n in (1, 2):
        actor += [
            f"Actor{n}Code AS actor{n}_code",
            f"Actor{n}Name AS actor{n}_name",
            f"Actor{n}CountryCode AS actor{n}_country",
            f"Actor{n}Type1Code AS actor{n}_type1",
            f"Actor{n}Type2Code AS actor{n}_type2",
            f"Actor{n}Type3Code AS actor{n}_type3",
        ]
    return actor


def _projection(read: GdeltRead) -> str:
    url = "SOURCEURL" if "SOURCEURL" in read.columns else "NULL::VARCHAR"
    return ",\n".join(
        [
            "'gdelt:' || GLOBALEVENTID AS event_uid",
            "GLOBALEVENTID AS global_event_id",
            "SQLDATE AS event_date",
            f"try_strptime(DATEADDED, '{read.date_added_format}') AS date_added",
            *_actor_columns(),
            "IsRootEvent = 1 AS is_root_event",
            "EventCode AS event_code",
            "EventBaseCode AS event_base_code",
            "EventRootCode AS event_root_code",
            "QuadClass AS quad_class",
            "GoldsteinScale AS goldstein",
            "NumMentions AS num_mentions",
            "NumSources AS num_sources",
            "NumArticles AS num_articles",
            "AvgTone AS avg_tone",
            "ActionGeo_CountryCode AS action_country",
            f"{url} AS source_url",
            # one read covers many files: each row's file by its position in the list (the
            # filename is constant over a chunk, so this is worked out once per chunk)
            "$source_files[list_position($paths, filename)] AS source_file",
            f"'{read.source_format}' AS source_format",
            "false AS is_reemission",
            # the re-emission group, hashed here while the file streams in parallel
            f"CASE WHEN {url} IS NOT NULL "
            f"THEN hash(Actor1Code, Actor2Code, EventCode, {url}) END AS _k",
            # why a row that parsed is still unusable (checked against the CAMEO list)
            """CASE
                WHEN GLOBALEVENTID IS NULL THEN 'field GLOBALEVENTID: missing'
                WHEN SQLDATE IS NULL THEN 'field SQLDATE: missing date'
                WHEN EventCode IS NULL THEN 'field EventCode: missing'
                WHEN EventCode NOT IN (SELECT code FROM cameo_codes)
                    THEN 'field EventCode: unknown CAMEO code ''' || EventCode || ''''
                WHEN QuadClass NOT BETWEEN 1 AND 4
                    THEN 'field QuadClass: ' || QuadClass || ' is not 1..4'
                WHEN DATEADDED IS NOT NULL AND try_strptime(DATEADDED, '"""
            + read.date_added_format
            + """') IS NULL
                    THEN 'field DATEADDED: cannot read ''' || DATEADDED || ''' as a date'
                ELSE NULL END AS _problem""",
            "$first_file + list_position($paths, filename) - 1 AS _file",
        ]
    )


def _read_sql(read: GdeltRead) -> str:
    # compression='none': the file is plain text by now (tracktwo.events._open unpacks by
    # content); DuckDB's default would go by the name and refuse plain text called .gz
    return f"""INSERT INTO {STAGING_TABLE} BY NAME
        SELECT {_projection(read)}
        FROM read_csv($paths, columns={_columns_spec(read)}, delim='\t', header=false,
                      quote='', escape='', auto_detect=false, dateformat='%Y%m%d',
                      compression='none', filename=true,
                      store_rejects=true, rejects_table='csv_rejects', rejects_scan='csv_scans',
                      max_line_size=4194304)"""


def stage_gdelt_csv(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    read: GdeltRead,
    source_files: Sequence[str],
    first_file: int,
) -> None:
    """Append plain GDELT files of one layout to the staging table in one read, the i-th
    as file number ``first_file + i`` named ``source_files[i]`` (the paths must differ);
    duckdb.Error (nothing appended) when DuckDB cannot read them at all."""
    con.execute(
        _read_sql(read),
        {"paths": [str(p) for p in paths], "source_files": list(source_files),
         "first_file": first_file},
    )  # fmt: skip


def csv_rejects(con: duckdb.DuckDBPyConnection) -> dict[str, list[CsvReject]]:
    """The fields the last read could not parse, by file path, in line order."""
    rows = con.execute(
        "SELECT s.file_path, r.line, r.error_type, r.column_name, r.csv_line, r.error_message "
        "FROM csv_rejects r JOIN csv_scans s USING (scan_id, file_id) ORDER BY s.file_path, r.line"
    ).fetchall()
    found: dict[str, list[CsvReject]] = {}
    for path, *reject in rows:
        line, kind, column, raw, message = reject
        found.setdefault(str(path), []).append((int(line), str(kind), column, str(raw or ""),
                                                str(message)))  # fmt: skip
    return found


def clear_csv_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE IF EXISTS csv_rejects")
    con.execute("DROP TABLE IF EXISTS csv_scans")


def staged_problem_keys(
    con: duckdb.DuckDBPyConnection,
) -> list[tuple[int, str, str, str, str, str]]:
    """(file number, GLOBALEVENTID, event code, actor1 code, actor2 code, problem) of every
    staged row that parsed but cannot be used; '' stands for a missing value."""
    rows = con.execute(
        f"""SELECT _file, coalesce(global_event_id::VARCHAR, ''), coalesce(event_code, ''),
                   coalesce(actor1_code, ''), coalesce(actor2_code, ''), _problem
            FROM {STAGING_TABLE} WHERE _problem IS NOT NULL ORDER BY _file, rowid"""
    ).fetchall()
    return [(int(f), str(a), str(b), str(c), str(d), str(p)) for f, a, b, c, d, p in rows]


def usable_staged_count(con: duckdb.DuckDBPyConnection) -> int:
    """Staged rows with no problem."""
    return _count(con, f"SELECT count(*) FROM {STAGING_TABLE} WHERE _problem IS NULL")


def usable_staged_counts(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """Staged rows with no problem, by file number (a file without any is left out)."""
    rows = con.execute(
        f"SELECT _file, count(*) FROM {STAGING_TABLE} WHERE _problem IS NULL GROUP BY _file"
    ).fetchall()
    return {int(f): int(n) for f, n in rows}


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0])
