"""Many files, few commits: an ingest batch stores several files in one transaction.

A GDELT 2.0 export is one file every 15 minutes, ~1,500 rows each: reading, storing and
committing (and then publishing a snapshot for the readers) one file at a time costs tens of
statements a file, far more than reading it. A batch checks each file as it comes (its
format, control characters, UTF-8), outside any transaction, then reads its GDELT files
with one call of DuckDB's CSV reader per layout into one staging table (each row numbered
by its file), stores them with one pass of the de-duplication and re-emission rules, and
works out every file's figures by grouping on that number:

* a batch commits when it holds ``max_files`` files, when ``max_seconds`` have passed since
  its first file, when its files hold ``max_rows`` staged rows, or when it is closed;
* each batch is all-or-nothing; a file that cannot be read is refused when it is added
  (FileFormatError, nothing of it kept) and the others go on, as before; the rare file
  DuckDB itself cannot read is refused when the batch is read (``on_refused``); a bad row
  goes to the quarantine with its file and line, as before;
* the files are stored as if one after the other in the order added: of an event in two
  files of one batch the first file's copy is kept, the other counted already stored;
* what happens after a file is stored (a fetch recording it in its ledger) runs inside the
  same transaction (``then``), so it commits with the rows or not at all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from tracktwo._errors import FileFormatError
from tracktwo.events._ingest import IngestReport, StagedFile, read_staged, stage_file, store_staged
from tracktwo.store import EventStore, create_staging, drop_staging, ensure_cameo_codes
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "DEFAULT_BATCH_FILES",
    "DEFAULT_BATCH_ROWS",
    "DEFAULT_BATCH_SECONDS",
    "IngestBatch",
    "ingest_file",
    "ingest_paths",
]

DEFAULT_BATCH_FILES = 100
DEFAULT_BATCH_SECONDS = 60.0
DEFAULT_BATCH_ROWS = 2_000_000  # staged rows spill to disk beyond the memory limit anyway

AfterStore = Callable[[IngestReport], None]
Refused = Callable[[Path, FileFormatError], None]


@dataclass
class IngestBatch:
    """Stage files with ``add``; they are stored together at the next ``commit`` (automatic
    when the batch is full). ``on_commit`` receives the reports of each committed batch,
    ``on_refused`` each file refused only when the batch read it."""

    store: EventStore
    taxonomy: Taxonomy | None = None
    source: str | None = None
    max_files: int = DEFAULT_BATCH_FILES
    max_seconds: float = DEFAULT_BATCH_SECONDS
    max_rows: int = DEFAULT_BATCH_ROWS
    on_commit: Callable[[list[IngestReport]], None] | None = None
    on_refused: Refused | None = None
    # what the batch holds so far: not parameters (``field(init=False)``)
    _pending: list[tuple[StagedFile, AfterStore | None]] = field(
        default_factory=list, init=False, repr=False
    )
    _rows: int = field(default=0, init=False, repr=False)
    _started: float = field(default=0.0, init=False, repr=False)
    _open: ExitStack = field(default_factory=ExitStack, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_files < 1 or self.max_rows < 1 or not self.max_seconds >= 0:
            raise ValueError("a batch needs max_files and max_rows of 1 or more, max_seconds >= 0")
        self.taxonomy = self.taxonomy or load_taxonomy()

    def add(
        self,
        path: str | os.PathLike[str],
        *,
        source_name: str | None = None,
        source: str | None = None,
        then: AfterStore | None = None,
    ) -> None:
        """Check one file and stage it (FileFormatError: nothing of it is kept); commit if
        the batch is now full."""
        assert self.taxonomy is not None
        if not self._pending:
            create_staging(self.store.con)
            ensure_cameo_codes(self.store.con, self.taxonomy.cameo)
        number = len(self._pending)
        try:
            staged = stage_file(
                self.store, path, number, self._open, taxonomy=self.taxonomy,
                source_name=source_name, source=source if source is not None else self.source,
            )  # fmt: skip
        except BaseException:
            if not self._pending:
                drop_staging(self.store.con)
            raise
        if not self._pending:
            self._started = time.monotonic()
        self._pending.append((staged, then))
        self._rows += staged.lines
        if self._full():
            self.commit()

    def _full(self) -> bool:
        return (
            len(self._pending) >= self.max_files
            or self._rows >= self.max_rows
            or time.monotonic() - self._started >= self.max_seconds
        )

    def commit(self) -> list[IngestReport]:
        """Read the staged files, store them in one transaction (then published), and return
        their reports in the order added (a file refused at the read has none)."""
        pending, self._pending, self._rows = self._pending, [], 0
        if not pending:
            return []
        try:
            files = [staged for staged, _ in pending]
            refused = read_staged(self.store, files)
            kept = [(staged, then) for staged, then in pending if staged.number not in refused]
            reports = self._store(kept) if kept else []
        finally:
            self._release()
        for staged, _ in pending:
            if staged.number in refused and self.on_refused is not None:
                self.on_refused(staged.path, refused[staged.number])
        if self.on_commit is not None and reports:
            self.on_commit(reports)
        return reports

    def _store(self, kept: list[tuple[StagedFile, AfterStore | None]]) -> list[IngestReport]:
        with self.store.transaction():
            reports = store_staged(self.store, [staged for staged, _ in kept])
            for (_, then), report in zip(kept, reports, strict=True):
                if then is not None:
                    then(report)
        return reports

    def _release(self) -> None:
        """The staging table and the unpacked copies, once stored or forgotten."""
        drop_staging(self.store.con)
        self._open.close()
        self._open = ExitStack()

    def discard(self) -> None:
        """Forget the staged files, storing none of them."""
        self._pending, self._rows = [], 0
        self._release()

    def __enter__(self) -> IngestBatch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


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
    refused: list[FileFormatError] = []
    with IngestBatch(store, taxonomy=taxonomy, source=source,
                     on_refused=lambda _path, exc: refused.append(exc)) as batch:  # fmt: skip
        batch.add(path, source_name=source_name)
        reports = batch.commit()
    if refused:
        raise refused[0]
    return reports[0]


def ingest_paths(
    store: EventStore,
    paths: Iterable[str | os.PathLike[str]],
    *,
    taxonomy: Taxonomy | None = None,
    on_file_done: Callable[[Path, IngestReport | FileFormatError], None] | None = None,
    stop_on_error: bool = False,
    source: str | None = None,
    batch_files: int = DEFAULT_BATCH_FILES,
    batch_seconds: float = DEFAULT_BATCH_SECONDS,
    on_file_read: Callable[[Path], None] | None = None,
) -> tuple[list[IngestReport], list[FileFormatError]]:
    """Ingest several files, committed in batches (IngestBatch); a file that cannot be read
    does not stop the others. ``on_file_read`` hears of each file once it is read (or
    refused), for a progress bar; ``on_file_done`` once its batch committed (a refused file
    at once). ``source`` (one name for all of them) as for ``ingest_file``."""
    reports: list[IngestReport] = []
    failures: list[FileFormatError] = []
    paths_of: dict[str, Path] = {}

    def committed(batch_reports: list[IngestReport]) -> None:
        for report in batch_reports:
            reports.append(report)
            if on_file_done:
                on_file_done(paths_of.get(report.path, Path(report.path)), report)

    def refused(path: Path, exc: FileFormatError) -> None:
        failures.append(exc)
        if on_file_done:
            on_file_done(paths_of.get(str(path), path), exc)

    with IngestBatch(store, taxonomy=taxonomy, source=source, max_files=batch_files,
                     max_seconds=batch_seconds, on_commit=committed,
                     on_refused=refused) as batch:  # fmt: skip
        for raw_path in paths:
            path = Path(raw_path)
            paths_of[str(path)] = path
            try:
                batch.add(path)
            except FileFormatError as exc:
                failures.append(exc)
                if on_file_done:
                    on_file_done(path, exc)
                if stop_on_error:
                    break
            finally:
                if on_file_read:
                    on_file_read(path)
    return reports, failures
