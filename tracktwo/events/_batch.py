"""Many files, few commits: an ingest batch stores several staged files in one transaction.

A GDELT 2.0 export is one file every 15 minutes, ~1,500 rows each: committing (and then
publishing a snapshot for the readers) once per file would cost more than reading it. A
batch stages each file as it comes, outside any transaction, then stores them all in one:

* a batch commits when it holds ``max_files`` files, when ``max_seconds`` have passed since
  its first file, when its files hold ``max_rows`` staged rows, or when it is closed;
* each batch is all-or-nothing; a file that cannot be read is refused when it is staged
  (FileFormatError, nothing of it kept) and the others go on, as before; a bad row goes to
  the quarantine with its file and line, as before;
* what happens after a file is stored (a fetch recording it in its ledger) runs inside the
  same transaction (``then``), so it commits with the rows or not at all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from tracktwo._errors import FileFormatError
from tracktwo.events._ingest import IngestReport, StagedFile, stage_file, store_staged
from tracktwo.store import EventStore, drop_parked, drop_staging, park_staging, unpark_staging
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "DEFAULT_BATCH_FILES",
    "DEFAULT_BATCH_ROWS",
    "DEFAULT_BATCH_SECONDS",
    "IngestBatch",
    "ingest_paths",
]

DEFAULT_BATCH_FILES = 100
DEFAULT_BATCH_SECONDS = 60.0
DEFAULT_BATCH_ROWS = 2_000_000  # staged rows spill to disk beyond the memory limit anyway

AfterStore = Callable[[IngestReport], None]


@dataclass
class _Pending:
    staged: StagedFile
    table: str
    then: AfterStore | None = None


@dataclass
class IngestBatch:
    """Stage files with ``add``; they are stored together at the next ``commit`` (automatic
    when the batch is full). ``on_commit`` receives the reports of each committed batch."""

    store: EventStore
    taxonomy: Taxonomy | None = None
    source: str | None = None
    max_files: int = DEFAULT_BATCH_FILES
    max_seconds: float = DEFAULT_BATCH_SECONDS
    max_rows: int = DEFAULT_BATCH_ROWS
    on_commit: Callable[[list[IngestReport]], None] | None = None
    # what the batch holds so far: not parameters (``field(init=False)``)
    _pending: list[_Pending] = field(default_factory=list, init=False, repr=False)
    _rows: int = field(default=0, init=False, repr=False)
    _started: float = field(default=0.0, init=False, repr=False)
    _parked: int = field(default=0, init=False, repr=False)

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
        """Stage one file (FileFormatError: nothing of it is kept); commit if now full."""
        staged = stage_file(
            self.store, path, taxonomy=self.taxonomy, source_name=source_name,
            source=source if source is not None else self.source,
        )  # fmt: skip
        self._parked += 1
        table = f"staged_batch_{self._parked}"
        park_staging(self.store.con, table)
        if not self._pending:
            self._started = time.monotonic()
        self._pending.append(_Pending(staged, table, then))
        self._rows += staged.usable
        if self._full():
            self.commit()

    def _full(self) -> bool:
        return (
            len(self._pending) >= self.max_files
            or self._rows >= self.max_rows
            or time.monotonic() - self._started >= self.max_seconds
        )

    def commit(self) -> list[IngestReport]:
        """Store every staged file in one transaction (then published), in the order added."""
        pending, self._pending, self._rows = self._pending, [], 0
        if not pending:
            return []
        reports = []
        try:
            with self.store.transaction():
                for item in pending:
                    unpark_staging(self.store.con, item.table)
                    report = store_staged(self.store, item.staged)
                    if item.then is not None:
                        item.then(report)
                    reports.append(report)
        finally:
            self._drop(pending)
        if self.on_commit is not None:
            self.on_commit(reports)
        return reports

    def _drop(self, pending: list[_Pending]) -> None:
        con = self.store.con
        drop_staging(con)
        for item in pending:
            drop_parked(con, item.table)

    def discard(self) -> None:
        """Forget the staged files, storing none of them."""
        pending, self._pending, self._rows = self._pending, [], 0
        self._drop(pending)

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

    with IngestBatch(store, taxonomy=taxonomy, source=source, max_files=batch_files,
                     max_seconds=batch_seconds, on_commit=committed) as batch:  # fmt: skip
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
