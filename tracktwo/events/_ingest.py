"""Ingest event files into the store: all-or-nothing per file, idempotent, quarantining bad rows.

The rules, as documented in docs/ingest.md:
  * a file's format is detected from its first line (57/58 fields: GDELT 1.0, 61: GDELT 2.0,
    an ICEWS header: ICEWS);
  * an event already stored (same ``event_uid``: the GLOBALEVENTID, or a content hash for
    ICEWS) is not added again, so ingesting a file twice adds nothing;
  * a row that cannot be read goes to ``quarantine`` with file, line and reason, and so
    does a row holding a control character other than tab (tracktwo.events._control);
  * a file that cannot be read at all raises FileFormatError and stores nothing;
  * re-emissions: within one (actor1_code, actor2_code, event_code, source_url) group ordered
    by date_added, an event added at most REEMISSION_WINDOW after the previous one is flagged
    ``is_reemission`` and left out of every figure;
  * sources: every file belongs to a source (``source=``, by default its format: gdelt1,
    gdelt2, icews), kept in ``source_files``; an event already stored from another source is
    not stored again but recorded in ``event_sources``, so each source's per-100k rate still
    counts it (tracktwo.pulse, docs/pulse-method.md).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from tracktwo._errors import FileFormatError, InputError
from tracktwo.events import _gdelt
from tracktwo.events._control import without_control_lines
from tracktwo.events._open import first_line, plain_file
from tracktwo.events._quarantine import QuarantinedRow
from tracktwo.store import EVENT_COLUMNS, EventStore
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "REEMISSION_WINDOW_MINUTES",
    "IngestReport",
    "check_source_name",
    "ingest_file",
    "ingest_paths",
]

REEMISSION_WINDOW_MINUTES = 90
# a source name: a short word such as gdelt2, icews or icews18
_SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_COLUMNS = ", ".join(name for name, _, _ in EVENT_COLUMNS)


@dataclass
class IngestReport:
    source_file: str
    path: str
    source_format: str
    rows_read: int
    rows_added: int
    rows_already_stored: int
    rows_quarantined: int
    reemissions: int
    source: str = ""  # the source the file belongs to (its format when none was given)

    def as_row(self) -> dict[str, object]:
        return asdict(self)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _ensure_cameo_table(con: duckdb.DuckDBPyConnection, taxonomy: Taxonomy) -> None:
    con.execute("CREATE TEMP TABLE IF NOT EXISTS cameo_codes (code VARCHAR)")
    if con.execute("SELECT count(*) FROM cameo_codes").fetchall()[0][0] == 0:
        con.executemany("INSERT INTO cameo_codes VALUES (?)", [[c] for c in taxonomy.cameo])


def _detect(first: str, shown_as: str) -> str | int:
    fields = first.count("\t") + 1
    if _gdelt.layout_for_field_count(fields):
        return fields
    from tracktwo.events._icews import is_icews_header

    if is_icews_header(first):
        return "icews"
    raise FileFormatError(
        shown_as,
        f"not an event file: its first line has {fields} tab-separated field(s); expected 57 or "
        "58 (GDELT 1.0), 61 (GDELT 2.0) or an ICEWS header line",
    )


def _decoded_lines(path: Path, shown_as: str) -> Iterator[str]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                yield raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise FileFormatError(shown_as, f"not UTF-8 text (line {number})") from exc


def _stage_icews(
    con: duckdb.DuckDBPyConnection, path: Path, source_file: str, taxonomy: Taxonomy
) -> list[QuarantinedRow]:
    from tracktwo.events._icews import read_icews

    table, bad = read_icews(_decoded_lines(path, source_file), source_file=source_file,
                            taxonomy=taxonomy)  # fmt: skip
    con.execute(f"DROP TABLE IF EXISTS {_gdelt.STAGING}")
    con.register("icews_arrow", table)
    try:
        con.execute(
            f"CREATE TEMP TABLE {_gdelt.STAGING} AS "
            f"SELECT {_COLUMNS}, NULL::VARCHAR AS _problem, NULL::UBIGINT AS _k FROM icews_arrow"
        )
    finally:
        con.unregister("icews_arrow")
    return bad


def _stage_gdelt(
    con: duckdb.DuckDBPyConnection, plain: Path, fields: int, source_file: str, scratch: Path
) -> tuple[str, list[QuarantinedRow]]:
    """Stage a GDELT file; lines with control characters are quarantined, not read."""
    # the 58-field names cover a 57-field file too (SOURCEURL is only added at the end)
    names = _gdelt.LAYOUTS[58 if fields == 57 else fields].columns
    with without_control_lines(plain, scratch, names, source_file) as (readable, refused):
        layout, quarantined = _gdelt.stage_gdelt(con, readable, fields, source_file, scratch)
        quarantined += _validation_failures(con, readable)
    return layout.name, sorted(refused + quarantined, key=lambda row: row.line)


def _validation_failures(con: duckdb.DuckDBPyConnection, plain: Path) -> list[QuarantinedRow]:
    """Rows that parsed but cannot be used (unknown code ...), with their line numbers.

    DuckDB keeps no line number for rows it parsed, so the (rare) unusable rows are found
    again by a scan matching their GLOBALEVENTID, event code and actor codes; among
    repeats of one id the code and actors tell the lines apart.
    """
    rows = con.execute(
        f"""SELECT coalesce(global_event_id::VARCHAR, ''), coalesce(event_code, ''),
                   coalesce(actor1_code, ''), coalesce(actor2_code, ''), _problem
            FROM {_gdelt.STAGING} WHERE _problem IS NOT NULL"""
    ).fetchall()
    if not rows:
        return []
    pending: dict[tuple[str, ...], list[str]] = {}
    for *key, problem in rows:
        pending.setdefault(tuple(key), []).append(problem)
    found = _gdelt.find_lines(plain, pending)
    return [QuarantinedRow(line, problem, raw) for line, problem, raw in found]


_KEY = "hash(actor1_code, actor2_code, event_code, source_url)"


def _new_rows(con: duckdb.DuckDBPyConnection) -> None:
    """``new_rows``: staged rows not stored yet (first copy of a repeated id), narrow.

    Keyed by the staging table's integer rowid so later joins avoid the text uid; ``k`` is
    the re-emission group hashed into one integer (a collision needs ~4 billion keys),
    computed while staging with the same ``hash`` as ``_KEY`` over the stored columns.
    """
    staged = _gdelt.STAGING
    repeats = _count(
        con, f"SELECT count(*) - count(DISTINCT event_uid) FROM {staged} WHERE _problem IS NULL"
    )
    # the de-duplicating window is costly and within-file repeats are rare: only when needed
    first_copy = "QUALIFY row_number() OVER (PARTITION BY event_uid ORDER BY rowid) = 1"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE new_rows AS
        SELECT rowid AS rid, event_uid, date_added, _k AS k
        FROM {staged}
        WHERE _problem IS NULL AND event_uid NOT IN (SELECT event_uid FROM events)
        {first_copy if repeats else ""}"""
    )


def _reemission_flags(con: duckdb.DuckDBPyConnection) -> None:
    """``flags``: the rule applied to the new rows and the stored rows sharing their keys."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE flags AS
        WITH stored AS (
            SELECT e.event_uid, e.date_added, e.k
            FROM (SELECT event_uid, date_added, {_KEY} AS k FROM events
                  WHERE source_url IS NOT NULL) e
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
            SELECT rid, event_uid, date_added, k FROM new_rows SEMI JOIN shared USING (k)
            UNION ALL
            SELECT NULL AS rid, event_uid, date_added, k FROM stored SEMI JOIN shared USING (k)
        )
        SELECT rid, event_uid,
               coalesce(date_added - lag(date_added) OVER (
                   PARTITION BY k ORDER BY date_added, event_uid
               ) <= INTERVAL {REEMISSION_WINDOW_MINUTES} MINUTE, false) AS flag
        FROM candidates"""
    )


def _insert_with_flags(con: duckdb.DuckDBPyConnection) -> int:
    """Insert the new rows with their re-emission flag set; re-flag stored rows a new row
    changes (a file that fills a gap); return how many of the file's new rows are flagged.

    The flags are computed before the insert: updating millions of just-inserted rows made
    the commit as slow as the insert itself.
    """
    _new_rows(con)
    _reemission_flags(con)
    columns = [name for name, _, _ in EVENT_COLUMNS if name != "is_reemission"]
    selected = ", ".join(f"s.{name}" for name in columns)
    # semi-joins on small integer sets, not joins: the wide staging rows stream straight
    # into the table (a join spilled to disk at 5M rows under the memory limit)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE flagged_new AS "
        "SELECT rid FROM flags WHERE rid IS NOT NULL AND flag"
    )
    every_staged_row_is_new = _count(con, "SELECT count(*) FROM new_rows") == _count(
        con, f"SELECT count(*) FROM {_gdelt.STAGING} WHERE _problem IS NULL"
    )
    which = (
        "s._problem IS NULL" if every_staged_row_is_new else "s.rowid IN (SELECT rid FROM new_rows)"
    )
    con.execute(
        f"""INSERT INTO events ({", ".join(columns)}, is_reemission)
        SELECT {selected}, s.rowid IN (SELECT rid FROM flagged_new)
        FROM {_gdelt.STAGING} s
        WHERE {which}"""
    )
    con.execute(
        """UPDATE events SET is_reemission = f.flag
        FROM (SELECT event_uid, flag FROM flags WHERE rid IS NULL) f
        WHERE events.event_uid = f.event_uid AND events.is_reemission IS DISTINCT FROM f.flag"""
    )
    flagged = _count(con, "SELECT count(*) FROM flagged_new")
    for table in ("new_rows", "flags", "flagged_new"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return flagged


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0])


def check_source_name(source: str | None) -> str | None:
    """The source name stripped (None stays None); InputError unless it is a short word."""
    if source is None:
        return None
    name = source.strip()
    if not _SOURCE_NAME.fullmatch(name):
        raise InputError(
            f"source name {source!r} is not a short word of letters, digits, '.', '-' or '_' "
            "(e.g. icews18)"
        )
    return name


def _file_source(con: duckdb.DuckDBPyConnection, source_file: str) -> str | None:
    rows = con.execute(
        "SELECT source FROM source_files WHERE source_file = ?", [source_file]
    ).fetchall()
    return str(rows[0][0]) if rows else None


def _record_sources(
    con: duckdb.DuckDBPyConnection, source_file: str, source: str, *, seen_before: bool
) -> None:
    """The file's source (a file name keeps the first one it was ingested as), and the staged
    events whose stored copy has another source: seen in this one too. Only needed when some
    staged rows were stored before (``seen_before``) or the name is mapped to another source;
    a file of new events skips the join (GDELT bulk ingests)."""
    mapped = _file_source(con, source_file)
    if mapped is None:
        con.execute("INSERT INTO source_files VALUES (?, ?)", [source_file, source])
    if not seen_before and mapped in (None, source):
        return
    con.execute(
        f"""INSERT INTO event_sources
        SELECT DISTINCT s.event_uid, ? FROM {_gdelt.STAGING} s
        JOIN events e ON e.event_uid = s.event_uid
        LEFT JOIN source_files f ON f.source_file = e.source_file
        WHERE s._problem IS NULL AND coalesce(f.source, e.source_format) <> ?
          AND NOT EXISTS (SELECT 1 FROM event_sources x
                          WHERE x.event_uid = s.event_uid AND x.source = ?)""",
        [source, source, source],
    )


def _sha256_in_background(path: Path) -> Callable[[], str]:
    """Hash the file on a thread while DuckDB parses it (hashlib releases the GIL)."""
    result: dict[str, str] = {}
    worker = threading.Thread(
        target=lambda: result.setdefault("digest", _sha256(path)), daemon=True
    )
    worker.start()

    def digest() -> str:
        worker.join()
        return result.get("digest") or _sha256(path)

    return digest


def ingest_file(
    store: EventStore,
    path: str | os.PathLike[str],
    *,
    taxonomy: Taxonomy | None = None,
    source_name: str | None = None,
    source: str | None = None,
) -> IngestReport:
    """Ingest one event file (plain, .gz or .zip). All-or-nothing: on error nothing is kept.

    ``source`` names the data set the file belongs to (``icews18``), by default its format;
    per-source totals (``import_source_totals``) use the same name."""
    path = Path(path)
    chosen_source = check_source_name(source)
    taxonomy = taxonomy or load_taxonomy()
    source_file = source_name or path.name
    con = store.con
    scratch = store.home / "tmp"
    with plain_file(path, scratch) as plain:
        detected = _detect(first_line(plain, Path(source_file)), source_file)
        _ensure_cameo_table(con, taxonomy)
        before = store.count("events")
        sha256 = _sha256_in_background(path)
        # staging happens outside the transaction (temp tables only): inside it, the insert
        # into `events` took twice as long; nothing reaches the store before BEGIN
        if detected == "icews":
            source_format = "icews"
            quarantined = _stage_icews(con, plain, source_file, taxonomy)
        else:
            source_format, quarantined = _stage_gdelt(con, plain, int(detected), source_file,
                                                      scratch)  # fmt: skip
        staged_ok = _count(con, f"SELECT count(*) FROM {_gdelt.STAGING} WHERE _problem IS NULL")
        file_source = chosen_source or source_format
        with store.transaction():
            reemissions = _insert_with_flags(con)
            added = store.count("events") - before
            _record_sources(con, source_file, file_source, seen_before=staged_ok > added)
            _store_quarantine(con, source_file, quarantined)
            report = IngestReport(
                source_file=source_file,
                path=str(path),
                source_format=source_format,
                rows_read=staged_ok + len(quarantined),
                rows_added=added,
                rows_already_stored=staged_ok - added,
                rows_quarantined=len(quarantined),
                reemissions=reemissions,
                source=file_source,
            )
            _record_file(con, report, sha256())
            con.execute(f"DROP TABLE IF EXISTS {_gdelt.STAGING}")
    return report


def _store_quarantine(
    con: duckdb.DuckDBPyConnection, source_file: str, rows: list[QuarantinedRow]
) -> None:
    if not rows:
        return
    now = datetime.now()
    con.executemany(
        "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?)",
        [[source_file, row.line, row.reason, row.raw[:2000], now] for row in rows],
    )


def _record_file(con: duckdb.DuckDBPyConnection, report: IngestReport, sha256: str) -> None:
    con.execute(
        "INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            report.source_file, report.path, sha256, report.source_format, report.rows_read,
            report.rows_added, report.rows_already_stored, report.rows_quarantined, datetime.now(),
        ],
    )  # fmt: skip


def ingest_paths(
    store: EventStore,
    paths: Iterable[str | os.PathLike[str]],
    *,
    taxonomy: Taxonomy | None = None,
    on_file_done: Callable[[Path, IngestReport | FileFormatError], None] | None = None,
    stop_on_error: bool = False,
    source: str | None = None,
) -> tuple[list[IngestReport], list[FileFormatError]]:
    """Ingest several files, each all-or-nothing; a failed file does not stop the others.
    ``source`` (one name for all of them) as for ``ingest_file``."""
    reports: list[IngestReport] = []
    failures: list[FileFormatError] = []
    for raw_path in paths:
        path = Path(raw_path)
        try:
            report = ingest_file(store, path, taxonomy=taxonomy, source=source)
        except FileFormatError as exc:
            failures.append(exc)
            if on_file_done:
                on_file_done(path, exc)
            if stop_on_error:
                break
            continue
        reports.append(report)
        if on_file_done:
            on_file_done(path, report)
    return reports, failures
