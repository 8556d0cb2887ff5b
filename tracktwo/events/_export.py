"""Export the stored events (optionally of a date range and some dyads) to Parquet, Arrow or
CSV, the format taken from the file's suffix.

The rows stream from the store in Arrow batches into a temporary file next to the target,
which is renamed onto it only once complete: an export that fails or is interrupted leaves
the target as it was (absent, or the previous export), never half-written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from tracktwo._errors import InputError
from tracktwo.store import EventStore, exported_event_count, exported_events

__all__ = ["EVENT_EXPORT_FORMATS", "EventExport", "event_export_format", "export_events"]

# file suffix -> format; ".arrow" is the Arrow IPC file format (Feather v2), which
# pyarrow.ipc.open_file, polars.read_ipc and R's arrow::read_ipc_file read
EVENT_EXPORT_FORMATS = {".parquet": "parquet", ".arrow": "arrow", ".csv": "csv"}

Dyad = tuple[str, str]


@dataclass(frozen=True)
class EventExport:
    """What an export wrote: the file, its format and the number of events."""

    path: Path
    fmt: str
    rows: int

    def as_row(self) -> dict[str, Any]:
        return {"file": str(self.path), "format": self.fmt, "rows": self.rows}


def event_export_format(path: str | os.PathLike[str], *, option: str = "--to") -> str:
    """The format of an export file from its suffix (any case); an InputError naming
    ``option`` and the suffixes known when it is none of them."""
    suffix = Path(path).suffix.lower()
    fmt = EVENT_EXPORT_FORMATS.get(suffix)
    if fmt is None:
        known = ", ".join(EVENT_EXPORT_FORMATS)
        shown = f"suffix {suffix!r}" if suffix else "no suffix"
        raise InputError(f"{option} {str(path)!r}: {shown}; write a file ending in {known}")
    return fmt


class _Writer(Protocol):
    def write_batch(self, batch: pa.RecordBatch) -> None: ...
    def close(self) -> None: ...


class _CsvWriter:
    """pyarrow's CSV writer (a header even with no rows, UTF-8), with timestamps written to
    the second as ``2016-07-28 00:00:00`` rather than pyarrow's ``...00:00:00.000000``."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._times = [i for i, f in enumerate(schema) if pa.types.is_timestamp(f.type)]
        self._schema = schema
        for i in self._times:
            self._schema = self._schema.set(i, pa.field(schema[i].name, pa.timestamp("s")))
        self._writer = pa_csv.CSVWriter(path, self._schema)

    def write_batch(self, batch: pa.RecordBatch) -> None:
        columns = list(batch.columns)
        for i in self._times:  # stored timestamps have whole seconds (GDELT's DATEADDED)
            columns[i] = pc.cast(columns[i], pa.timestamp("s"), safe=False)
        self._writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=self._schema))

    def close(self) -> None:
        self._writer.close()


def _writer(fmt: str, path: Path, schema: pa.Schema) -> _Writer:
    if fmt == "parquet":
        return pq.ParquetWriter(path, schema, compression="zstd")
    if fmt == "arrow":
        return pa.ipc.new_file(path, schema)
    return _CsvWriter(path, schema)


def _part_path(target: Path) -> Path:
    """The temporary file: hidden, in the target's folder (so the rename is atomic)."""
    return target.with_name(f".{target.name}.{os.getpid()}.part")


def _write(
    reader: pa.RecordBatchReader,
    fmt: str,
    path: Path,
    total: int,
    on_progress: Callable[[int, int], None] | None,
) -> int:
    written = 0
    writer = _writer(fmt, path, reader.schema)
    try:
        for batch in reader:
            writer.write_batch(batch)
            written += batch.num_rows
            if on_progress is not None:
                on_progress(written, total)
    finally:
        writer.close()
    return written


def export_events(
    store: EventStore,
    path: str | os.PathLike[str],
    *,
    since: date | None = None,
    until: date | None = None,
    dyads: Sequence[Dyad] = (),
    on_progress: Callable[[int, int], None] | None = None,
    batch_rows: int = 100_000,
) -> EventExport:
    """Write the stored events from ``since`` to ``until`` (both days included; None: no
    bound) between the countries of any of ``dyads`` (either as actor 1; none: every event)
    to ``path``, every column of the events table (docs/ingest.md), re-emissions included and
    flagged in ``is_reemission``, by day then uid. The format comes from the suffix
    (EVENT_EXPORT_FORMATS). ``on_progress(rows written, rows in all)`` is called after each
    batch. The store is only read."""
    target = Path(path)
    fmt = event_export_format(target)
    if since is not None and until is not None and since > until:
        raise InputError(f"since {since.isoformat()} is after until {until.isoformat()}")
    total = exported_event_count(store, since, until, dyads)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = _part_path(target)
    try:
        reader = exported_events(store, since, until, dyads, batch_rows=batch_rows)
        written = _write(reader, fmt, part, total, on_progress)
        os.replace(part, target)
    except BaseException:
        with suppress(FileNotFoundError):
            part.unlink()
        raise
    return EventExport(path=target, fmt=fmt, rows=written)
