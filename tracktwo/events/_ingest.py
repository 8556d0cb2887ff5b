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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from tracktwo._errors import FileFormatError, InputError
from tracktwo.events import _gdelt
from tracktwo.events._control import without_control_lines
from tracktwo.events._open import first_line, plain_file
from tracktwo.events._quarantine import QuarantinedRow
from tracktwo.store import (
    EventStore,
    drop_staging,
    ensure_cameo_codes,
    file_source,
    insert_file_source,
    insert_ingested_file,
    insert_quarantine_rows,
    insert_staged_events,
    record_event_sources,
    stage_arrow_events,
    staged_problem_keys,
    usable_staged_count,
)
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "REEMISSION_WINDOW_MINUTES",
    "IngestReport",
    "StagedFile",
    "check_source_name",
    "ingest_file",
    "stage_file",
    "store_staged",
]

REEMISSION_WINDOW_MINUTES = 90
# a source name: a short word such as gdelt2, icews or icews18
_SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


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


def _stage_icews(
    con: duckdb.DuckDBPyConnection, path: Path, source_file: str, taxonomy: Taxonomy
) -> list[QuarantinedRow]:
    """Stage an ICEWS file as a stream of arrow batches (the reader decodes the file itself,
    ~200,000 rows at a time), so a large file is never held whole in Python."""
    import pyarrow as pa

    from tracktwo.events._icews import EVENT_SCHEMA, read_icews_batches

    batches = read_icews_batches(path, source_file=source_file, taxonomy=taxonomy)  # header
    quarantined: list[QuarantinedRow] = []
    failure: list[FileFormatError] = []

    def stream() -> Iterator[pa.RecordBatch]:
        # an exception raised inside DuckDB's scan would reach us as a DuckDB error: keep it
        try:
            for table, bad in batches:
                quarantined.extend(bad)
                yield from table.to_batches()
        except FileFormatError as exc:
            failure.append(exc)

    stage_arrow_events(con, pa.RecordBatchReader.from_batches(EVENT_SCHEMA, stream()))
    if failure:
        drop_staging(con)
        raise failure[0]
    return quarantined


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
    rows = staged_problem_keys(con)
    if not rows:
        return []
    pending: dict[tuple[str, ...], list[str]] = {}
    for *key, problem in rows:
        pending.setdefault(tuple(key), []).append(problem)
    found = _gdelt.find_lines(plain, pending)
    return [QuarantinedRow(line, problem, raw) for line, problem, raw in found]


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


def _record_sources(
    con: duckdb.DuckDBPyConnection, source_file: str, source: str, *, seen_before: bool
) -> None:
    """The file's source (a file name keeps the first one it was ingested as), and the staged
    events whose stored copy has another source: seen in this one too. Only needed when some
    staged rows were stored before (``seen_before``) or the name is mapped to another source;
    a file of new events skips the join (GDELT bulk ingests)."""
    mapped = file_source(con, source_file)
    if mapped is None:
        insert_file_source(con, source_file, source)
    if not seen_before and mapped in (None, source):
        return
    record_event_sources(con, source)


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


@dataclass
class StagedFile:
    """One file read into a staging table, waiting to be stored (tracktwo.events._batch)."""

    path: Path
    source_file: str
    source_format: str
    source: str
    quarantined: list[QuarantinedRow]
    usable: int
    sha256: Callable[[], str]


def stage_file(
    store: EventStore,
    path: str | os.PathLike[str],
    *,
    taxonomy: Taxonomy | None = None,
    source_name: str | None = None,
    source: str | None = None,
) -> StagedFile:
    """Read one event file (plain, .gz or .zip) into the staging table, storing nothing.
    FileFormatError when it cannot be read at all. Runs outside any transaction: a DuckDB
    error inside one would abort it, and with it the other files of a batch."""
    path = Path(path)
    chosen_source = check_source_name(source)
    taxonomy = taxonomy or load_taxonomy()
    source_file = source_name or path.name
    con = store.con
    scratch = store.home / "tmp"
    with plain_file(path, scratch) as plain:
        detected = _detect(first_line(plain, Path(source_file)), source_file)
        ensure_cameo_codes(con, taxonomy.cameo)
        sha256 = _sha256_in_background(path)
        if detected == "icews":
            source_format = "icews"
            quarantined = _stage_icews(con, plain, source_file, taxonomy)
        else:
            source_format, quarantined = _stage_gdelt(con, plain, int(detected), source_file,
                                                      scratch)  # fmt: skip
    return StagedFile(
        path=path, source_file=source_file, source_format=source_format,
        source=chosen_source or source_format, quarantined=quarantined,
        usable=usable_staged_count(con), sha256=sha256,
    )  # fmt: skip


def store_staged(store: EventStore, staged: StagedFile) -> IngestReport:
    """Store the file in the staging table: inside the caller's transaction."""
    con = store.con
    before = store.count("events")
    reemissions = insert_staged_events(con, REEMISSION_WINDOW_MINUTES)
    added = store.count("events") - before
    _record_sources(con, staged.source_file, staged.source, seen_before=staged.usable > added)
    _store_quarantine(con, staged.source_file, staged.quarantined)
    report = IngestReport(
        source_file=staged.source_file,
        path=str(staged.path),
        source_format=staged.source_format,
        rows_read=staged.usable + len(staged.quarantined),
        rows_added=added,
        rows_already_stored=staged.usable - added,
        rows_quarantined=len(staged.quarantined),
        reemissions=reemissions,
        source=staged.source,
    )
    _record_file(con, report, staged.sha256())
    drop_staging(con)
    return report


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
    per-source totals (``import_source_totals``) use the same name. Many files: ingest_paths
    (or IngestBatch), which commits them in batches."""
    staged = stage_file(store, path, taxonomy=taxonomy, source_name=source_name, source=source)
    # staging happens outside the transaction (temp tables only): inside it, the insert
    # into `events` took twice as long; nothing reaches the store before BEGIN
    with store.transaction():
        return store_staged(store, staged)


def _store_quarantine(
    con: duckdb.DuckDBPyConnection, source_file: str, rows: list[QuarantinedRow]
) -> None:
    if not rows:
        return
    kept = [(row.line, row.reason, row.raw[:2000]) for row in rows]
    insert_quarantine_rows(con, source_file, kept, datetime.now())


def _record_file(con: duckdb.DuckDBPyConnection, report: IngestReport, sha256: str) -> None:
    insert_ingested_file(
        con,
        [
            report.source_file, report.path, sha256, report.source_format, report.rows_read,
            report.rows_added, report.rows_already_stored, report.rows_quarantined, datetime.now(),
        ],
    )  # fmt: skip
