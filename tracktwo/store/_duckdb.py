"""The embedded event store: a working DuckDB file for its one writer, a published Parquet
snapshot for every reader, queried through Ibis (docs/architecture.md, "The event store")."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis

from tracktwo._config import resolve_home
from tracktwo._errors import EngineError
from tracktwo.store._locking import WriterLock, connect, missing_store, say_waiting
from tracktwo.store._schema import TABLES, WRITER_TABLES
from tracktwo.store._snapshot import (
    SNAPSHOT_DIR,
    Manifest,
    attach_snapshot,
    publish,
    read_manifest,
    snapshot_files,
)

__all__ = ["STORE_FILE", "EventStore"]

STORE_FILE = "events.duckdb"


class EventStore:
    """The events, quarantine, votes, signals and coverage tables of one data directory.

    ``store.con`` is a DuckDB connection (raw SQL, loading, transactions); ``store.table(name)``
    gives an Ibis table for queries.

    **Read-only by default**: ``EventStore(home)`` reads the published snapshot (Parquet files
    named by ``snapshot/manifest.json``) through views in a private in-memory DuckDB
    connection. It never waits for a writer and never makes one wait, and it sees the store
    as of one commit, whatever is written meanwhile. A store that does not exist yet is a
    ``NotFoundError`` naming the folder and how to create it. ``wait`` only matters for a
    store written by an older tracktwo, which has no snapshot yet: the reader publishes one
    first, as a writer would, waiting up to ``wait`` seconds for the writer lock.

    **Writing** needs ``EventStore(home, write=True)``: it opens (or creates) the working file
    ``events.duckdb``, which only writers ever open, one at a time: a second writer waits up
    to ``wait`` seconds (default ``TRACKTWO_STORE_WAIT``, 60), calling ``on_wait`` once, then
    gets ``StoreBusyError``. Every commit (the end of the outermost ``transaction()``, and
    ``close()``) publishes a new snapshot (tracktwo.store._snapshot).

    ``read_only`` is the older spelling, kept so code written for it still runs:
    ``read_only=False`` is ``write=True``.
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        write: bool = False,
        memory_limit: str = "512MB",
        wait: float | None = None,
        on_wait: Callable[[], None] | None = say_waiting,
        read_only: bool | None = None,
    ) -> None:
        if read_only is not None:
            if write and read_only:
                raise TypeError("EventStore: write=True and read_only=True contradict")
            write = not read_only
        self.home = resolve_home(home, create=write)  # a reader creates no folder
        self.path = self.home / STORE_FILE
        self.read_only = not write
        self._writer = WriterLock(self.path)
        self._depth = 0  # nested transaction() blocks: the outermost one commits
        self._configured = False
        self.manifest: Manifest | None = None
        if write:
            self.con = connect(self.path, lock=self._writer, wait=wait, on_wait=on_wait)
        else:
            self.manifest = self._current_snapshot(wait, on_wait)
            self.con = duckdb.connect()
        try:
            self._configure(memory_limit)
        except BaseException:
            self.close()  # a half-opened store must not keep the writer lock
            raise
        self.ibis = ibis.duckdb.from_connection(self.con)

    def _current_snapshot(self, wait: float | None, on_wait: Callable[[], None] | None) -> Manifest:
        manifest = read_manifest(self.home)
        if manifest is not None:
            return manifest
        if not self.path.is_file():
            raise missing_store(self.path)
        # written by a tracktwo older than the snapshot: publish its first one, once
        EventStore(self.home, write=True, wait=wait or 0.0, on_wait=on_wait).close()
        published = read_manifest(self.home)
        if published is None:  # pragma: no cover - the writer always publishes
            raise missing_store(self.path)
        return published

    def _configure(self, memory_limit: str) -> None:
        # bounded memory whatever the input size; insertion order is not needed for inserts
        self.con.execute(f"SET memory_limit='{memory_limit}'")
        self.con.execute("SET preserve_insertion_order=false")
        self.con.execute(f"SET temp_directory='{self.home / 'tmp'}'")
        self.con.execute("SET enable_progress_bar=false")  # progress is tracktwo's to draw
        if self.read_only:
            # a reader's rows come in the snapshot's order: the same query, the same answer
            self.con.execute("SET preserve_insertion_order=true")
            self.con.execute("SET parquet_metadata_cache=true")
            assert self.manifest is not None
            attach_snapshot(self.con, self.home, self.manifest)
            return
        for ddl in [*TABLES.values(), *WRITER_TABLES.values()]:
            self.con.execute(ddl)
        self._configured = True
        self.publish()  # catch up after a writer killed between a commit and its publish

    @property
    def snapshot_dir(self) -> Path:
        return self.home / SNAPSHOT_DIR

    def files(self, table: str) -> list[Path]:
        """The Parquet files holding ``table`` in the snapshot this store reads (a writer:
        the one it last published)."""
        manifest = self.manifest if self.read_only else read_manifest(self.home)
        return snapshot_files(self.home, manifest, table) if manifest is not None else []

    def publish(self) -> Manifest:
        """Publish the committed state for readers (a writer does it at every commit)."""
        if self.read_only:
            raise TypeError("a read-only EventStore has nothing to publish")
        try:
            self.manifest = publish(self.con, self.home)
        except (OSError, duckdb.Error) as exc:  # a full disk, a read-only folder ...
            raise EngineError(
                f"the event store committed, but its snapshot for readers could not be written "
                f"in {self.snapshot_dir}: {exc}; readers see the previous commit until the next "
                "write publishes it"
            ) from exc
        return self.manifest

    def table(self, name: str) -> Any:
        return self.ibis.table(name)

    def has_tables(self, *names: str) -> bool:
        """All of ``names`` exist: a store written by an older tracktwo gets new tables only
        on its next read-write opening, so read-only code checks before it queries them."""
        placeholders = ", ".join("?" for _ in names)
        found = self.con.execute(  # views too: a reader's tables are views of the snapshot
            f"SELECT count(DISTINCT table_name) FROM information_schema.tables "
            f"WHERE table_name IN ({placeholders})",
            list(names),
        ).fetchall()
        return int(found[0][0]) == len(set(names))

    def count(self, name: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {name}").fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: everything inside commits together or not at all, and is then
        published. A ``transaction()`` inside another joins it (a batch of files and the
        fetch ledger rows of those files commit together)."""
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield self.con
        except BaseException:
            self._depth = 0
            self.con.execute("ROLLBACK")
            raise
        self._depth = 0
        self.con.execute("COMMIT")
        if not self.read_only:
            self.publish()

    def close(self) -> None:
        try:
            if not self.read_only and self._configured and self._depth == 0:
                self.publish()  # what was written outside transaction() blocks
        finally:
            try:
                self.con.close()
            finally:
                self._writer.release()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
