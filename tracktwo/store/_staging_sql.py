"""The SQL that stages one event file in the temp table ``staging_events`` before an ingest.

A GDELT file is read by DuckDB's CSV reader, in parallel and streamed; rows it cannot parse
land in its rejects table (``csv_rejects``) with their line number and raw text. An ICEWS
file, already parsed by tracktwo.events, arrives as an Arrow table. Either way the staging
table has the columns of ``events`` plus ``_problem`` (why a parsed row is unusable, NULL
when it is fine) and ``_k`` (the re-emission group hashed into one integer).
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
    "csv_rejects",
    "drop_parked",
    "drop_staging",
    "ensure_cameo_codes",
    "park_staging",
    "stage_arrow_events",
    "stage_gdelt_csv",
    "staged_problem_keys",
    "unpark_staging",
    "usable_staged_count",
]

STAGING_TABLE = "staging_events"
_COLUMNS = ", ".join(name for name, _, _ in EVENT_COLUMNS)

# (line, error_type, column_name, csv_line, error_message) of one field DuckDB could not read
CsvReject = tuple[int, str, str | None, str, str]


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


def park_staging(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Keep the staging table under ``name`` while the next file is staged (a batch)."""
    con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute(f"ALTER TABLE {STAGING_TABLE} RENAME TO {name}")


def drop_parked(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS {name}")


def unpark_staging(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Make the table parked as ``name`` the staging table again, to store it."""
    drop_staging(con)
    con.execute(f"ALTER TABLE {name} RENAME TO {STAGING_TABLE}")


def stage_arrow_events(con: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    """A fresh staging table holding ``table`` (the event columns), every row usable."""
    drop_staging(con)
    con.register("icews_arrow", table)
    try:
        con.execute(
            f"CREATE TEMP TABLE {STAGING_TABLE} AS "
            f"SELECT {_COLUMNS}, NULL::VARCHAR AS _problem, NULL::UBIGINT AS _k FROM icews_arrow"
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
            "$source_file AS source_file",
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
        ]
    )


def _read_sql(read: GdeltRead, create: bool) -> str:
    head = f"CREATE TEMP TABLE {STAGING_TABLE} AS" if create else f"INSERT INTO {STAGING_TABLE}"
    # compression='none': the file is plain text by now (tracktwo.events._open unpacks by
    # content); DuckDB's default would go by the name and refuse plain text called .gz
    return f"""{head}
        SELECT {_projection(read)}
        FROM read_csv($path, columns={_columns_spec(read)}, delim='\t', header=false,
                      quote='', escape='', auto_detect=false, dateformat='%Y%m%d',
                      compression='none',
                      store_rejects=true, rejects_table='csv_rejects', rejects_scan='csv_scans',
                      max_line_size=4194304)"""


def stage_gdelt_csv(
    con: duckdb.DuckDBPyConnection, path: Path, read: GdeltRead, source_file: str, *, create: bool
) -> None:
    """Read a plain GDELT file into the staging table (``create``: a new one, else append);
    duckdb.Error when DuckDB cannot read it at all."""
    con.execute(_read_sql(read, create), {"path": str(path), "source_file": source_file})


def csv_rejects(con: duckdb.DuckDBPyConnection) -> list[CsvReject]:
    """The fields the last read could not parse, in line order."""
    rows = con.execute(
        "SELECT line, error_type, column_name, csv_line, error_message FROM csv_rejects "
        "ORDER BY line"
    ).fetchall()
    return [(int(r[0]), str(r[1]), r[2], str(r[3] or ""), str(r[4])) for r in rows]


def clear_csv_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE IF EXISTS csv_rejects")
    con.execute("DROP TABLE IF EXISTS csv_scans")


def staged_problem_keys(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str, str]]:
    """(GLOBALEVENTID, event code, actor1 code, actor2 code, problem) of every staged row that
    parsed but cannot be used; '' stands for a missing value."""
    rows = con.execute(
        f"""SELECT coalesce(global_event_id::VARCHAR, ''), coalesce(event_code, ''),
                   coalesce(actor1_code, ''), coalesce(actor2_code, ''), _problem
            FROM {STAGING_TABLE} WHERE _problem IS NOT NULL"""
    ).fetchall()
    return [(str(a), str(b), str(c), str(d), str(p)) for a, b, c, d, p in rows]


def usable_staged_count(con: duckdb.DuckDBPyConnection) -> int:
    """Staged rows with no problem."""
    return _count(con, f"SELECT count(*) FROM {STAGING_TABLE} WHERE _problem IS NULL")


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0])
