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
from contextlib import ExitStack
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
    delete_staged_file,
    file_sources,
    insert_file_sources,
    insert_ingested_files,
    insert_quarantine_rows,
    insert_staged_events,
    record_event_sources,
    stage_arrow_events,
    staged_problem_keys,
    usable_staged_counts,
)
from tracktwo.taxonomy import Taxonomy

__all__ = [
    "REEMISSION_WINDOW_MINUTES",
    "IngestReport",
    "StagedFile",
    "check_source_name",
    "read_staged",
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
    con: duckdb.DuckDBPyConnection, path: Path, source_file: str, taxonomy: Taxonomy, number: int
) -> tuple[list[QuarantinedRow], int]:
    """Append an ICEWS file to the staging table as a stream of arrow batches (the reader
    decodes the file itself, ~200,000 rows at a time), so a large file is never held whole
    in Python; return its quarantined rows and its rows read."""
    import pyarrow as pa

    from tracktwo.events._icews import EVENT_SCHEMA, read_icews_batches

    batches = read_icews_batches(path, source_file=source_file, taxonomy=taxonomy)  # header
    quarantined: list[QuarantinedRow] = []
    failure: list[FileFormatError] = []
    rows = [0]

    def stream() -> Iterator[pa.RecordBatch]:
        # an exception raised inside DuckDB's scan would reach us as a DuckDB error: keep it
        try:
            for table, bad in batches:
                quarantined.extend(bad)
                rows[0] += table.num_rows
                yield from table.to_batches()
        except FileFormatError as exc:
            failure.append(exc)

    stage_arrow_events(con, pa.RecordBatchReader.from_batches(EVENT_SCHEMA, stream()), number)
    if failure:
        delete_staged_file(con, number)
        raise failure[0]
    return quarantined, rows[0] + len(quarantined)


def _validation_failures(
    con: duckdb.DuckDBPyConnection, files: dict[int, StagedFile]
) -> dict[int, list[QuarantinedRow]]:
    """Rows that parsed but cannot be used (unknown code ...), with their line numbers, by
    file number.

    DuckDB keeps no line number for rows it parsed, so the (rare) unusable rows are found
    again by a scan of their file matching their GLOBALEVENTID, event code and actor codes;
    among repeats of one id the code and actors tell the lines apart.
    """
    pending: dict[int, dict[tuple[str, ...], list[str]]] = {}
    for number, *key, problem in staged_problem_keys(con):
        pending.setdefault(number, {}).setdefault(tuple(key), []).append(problem)
    found: dict[int, list[QuarantinedRow]] = {}
    for number, keys in pending.items():
        readable = files[number].readable
        assert readable is not None  # only GDELT rows carry a problem
        rows = _gdelt.find_lines(readable, keys)
        found[number] = [QuarantinedRow(line, problem, raw) for line, problem, raw in rows]
    return found


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
    con: duckdb.DuckDBPyConnection, files: list[StagedFile], reports: list[IngestReport]
) -> None:
    """Each file's source (a file name keeps the first one it was ingested as), and the
    staged events whose stored copy has another source: seen in this one too. Only needed
    for a file some of whose rows were stored before, or whose name is mapped to another
    source; a batch of new events skips the join (GDELT bulk ingests)."""
    mapped = file_sources(con, [staged.source_file for staged in files])
    first_seen: list[tuple[str, str]] = []
    to_record: dict[str, list[int]] = {}
    for staged, report in zip(files, reports, strict=True):
        earlier = mapped.get(staged.source_file)
        if earlier is None:
            mapped[staged.source_file] = staged.source
            first_seen.append((staged.source_file, staged.source))
        if report.rows_already_stored or earlier not in (None, staged.source):
            to_record.setdefault(staged.source, []).append(staged.number)
    insert_file_sources(con, first_seen)
    for source, numbers in to_record.items():
        record_event_sources(con, source, numbers)


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
    """One file of a batch (tracktwo.events._batch): an ICEWS file is in the staging table
    once staged, a GDELT file waits for the batch's read (``read_staged``)."""

    number: int  # its place in the batch, the staging table's ``_file``
    path: Path
    source_file: str
    source_format: str  # icews, or gdelt1 / gdelt2 once read
    chosen_source: str | None  # the source name given, if any
    quarantined: list[QuarantinedRow]
    lines: int  # how many rows it can hold at most (a batch's row bound)
    sha256: Callable[[], str]
    readable: Path | None = None  # GDELT: the plain file the batch's read takes
    field_count: int = 0  # GDELT: 57, 58 or 61

    @property
    def source(self) -> str:
        """The source its events belong to: the name given, else its format."""
        return self.chosen_source or self.source_format


def stage_file(
    store: EventStore,
    path: str | os.PathLike[str],
    number: int,
    keep_open: ExitStack,
    *,
    taxonomy: Taxonomy,
    source_name: str | None = None,
    source: str | None = None,
) -> StagedFile:
    """Check one event file (plain, .gz or .zip) and stage it as file ``number`` of a batch,
    storing nothing: an ICEWS file is read into the staging table now, a GDELT file checked
    (its format, control characters, UTF-8) and left for ``read_staged``. FileFormatError
    when it cannot be read at all. The unpacked copies it needs stay in ``keep_open``. Runs
    outside any transaction: a DuckDB error inside one would abort the whole batch."""
    path = Path(path)
    chosen_source = check_source_name(source)
    source_file = source_name or path.name
    scratch = store.home / "tmp"
    with ExitStack() as opened:
        plain = opened.enter_context(plain_file(path, scratch))
        detected = _detect(first_line(plain, Path(source_file)), source_file)
        staged = StagedFile(
            number=number, path=path, source_file=source_file, source_format="icews",
            chosen_source=chosen_source, quarantined=[], lines=0,
            sha256=_sha256_in_background(path),
        )  # fmt: skip
        if detected == "icews":
            staged.quarantined, staged.lines = _stage_icews(store.con, plain, source_file,
                                                            taxonomy, number)  # fmt: skip
        else:
            staged.field_count = int(detected)
            # the 58-field names cover a 57-field file too (SOURCEURL is only added at the end)
            names = _gdelt.LAYOUTS[58 if staged.field_count == 57 else staged.field_count].columns
            staged.readable, staged.quarantined, staged.lines = opened.enter_context(
                without_control_lines(plain, scratch, names, source_file)
            )
        keep_open.enter_context(opened.pop_all())
    return staged


def _gdelt_runs(files: list[StagedFile]) -> Iterator[list[StagedFile]]:
    """The GDELT files waiting to be read, in runs read by one call each: consecutive files
    of one layout, a path never twice in a run."""
    run: list[StagedFile] = []
    for staged in files:
        if staged.readable is None:
            continue
        if run and (staged.field_count != run[0].field_count
                    or any(f.readable == staged.readable for f in run)):  # fmt: skip
            yield run
            run = []
        run.append(staged)
    if run:
        yield run


def read_staged(store: EventStore, files: list[StagedFile]) -> dict[int, FileFormatError]:
    """Read the batch's GDELT files into the staging table, a run of files by one call of
    DuckDB's reader; add each file's bad rows to its quarantine; return the files refused
    (none of their rows kept), by number."""
    con = store.con
    scratch = store.home / "tmp"
    refused: dict[int, FileFormatError] = {}
    for run in _gdelt_runs(files):
        layout = _gdelt.LAYOUTS[run[0].field_count]
        targets = [_gdelt.GdeltFile(f.number, f.readable, f.source_file) for f in run]  # type: ignore[arg-type]
        quarantined, run_refused = _gdelt.stage_gdelt(con, targets, run[0].field_count, scratch)
        refused.update(run_refused)
        for staged in run:
            staged.source_format = layout.name
            staged.quarantined += quarantined.get(staged.number, [])
    gdelt = {f.number: f for f in files if f.readable is not None and f.number not in refused}
    for number, rows in _validation_failures(con, gdelt).items():
        gdelt[number].quarantined += rows
    for staged in gdelt.values():
        staged.quarantined.sort(key=lambda row: row.line)
    return refused


def store_staged(store: EventStore, files: list[StagedFile]) -> list[IngestReport]:
    """Store the batch's staged files (all read): inside the caller's transaction. Each
    file's figures come from one pass over the whole batch, grouped by file."""
    con = store.con
    usable = usable_staged_counts(con)
    added = insert_staged_events(con, REEMISSION_WINDOW_MINUTES)
    reports = []
    for staged in files:
        kept = usable.get(staged.number, 0)
        new, flagged = added.get(staged.number, (0, 0))
        reports.append(IngestReport(
            source_file=staged.source_file, path=str(staged.path),
            source_format=staged.source_format, rows_read=kept + len(staged.quarantined),
            rows_added=new, rows_already_stored=kept - new,
            rows_quarantined=len(staged.quarantined), reemissions=flagged, source=staged.source,
        ))  # fmt: skip
    _record_sources(con, files, reports)
    _store_quarantine(con, files)
    _record_files(con, reports, [staged.sha256() for staged in files])
    return reports


def _store_quarantine(con: duckdb.DuckDBPyConnection, files: list[StagedFile]) -> None:
    rows = [
        (staged.source_file, row.line, row.reason, row.raw[:2000])
        for staged in files
        for row in staged.quarantined
    ]
    insert_quarantine_rows(con, rows, datetime.now())


def _record_files(
    con: duckdb.DuckDBPyConnection, reports: list[IngestReport], digests: list[str]
) -> None:
    at = datetime.now()
    insert_ingested_files(con, [
        (r.source_file, r.path, digest, r.source_format, r.rows_read, r.rows_added,
         r.rows_already_stored, r.rows_quarantined, at)
        for r, digest in zip(reports, digests, strict=True)
    ])  # fmt: skip
