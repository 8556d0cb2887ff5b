"""The embedded event store: one DuckDB file in the data directory, queried through Ibis."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import ibis

from tracktwo._config import resolve_home
from tracktwo.store._locking import WriterLock, connect, say_waiting
from tracktwo.store._schema import TABLES

__all__ = ["STORE_FILE", "EventStore"]

STORE_FILE = "events.duckdb"


class EventStore:
    """A DuckDB file holding events, quarantine, votes, signals and coverage tables.

    ``store.con`` is the raw DuckDB connection (used for loading and transactions);
    ``store.table(name)`` gives an Ibis table for queries.

    Read-only (the dashboard): several processes may read at once; while a writer holds
    the file, or waits for it, opening raises ``StoreBusyError`` at once. Read-write (an
    ingest, any command): waits up to ``wait`` seconds (default ``TRACKTWO_STORE_WAIT``,
    60) for the readers to finish, calling ``on_wait`` once. See tracktwo.store._locking.
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        memory_limit: str = "512MB",
        read_only: bool = False,
        wait: float | None = None,
        on_wait: Callable[[], None] | None = say_waiting,
    ) -> None:
        self.home = resolve_home(home)
        self.path = self.home / STORE_FILE
        self.read_only = read_only
        self._writer = WriterLock(self.path)
        self.con = connect(
            self.path, read_only=read_only, lock=self._writer, wait=wait, on_wait=on_wait
        )
        try:
            self._configure(memory_limit)
        except BaseException:
            self.close()  # a half-opened store must not keep the writer lock
            raise
        self.ibis = ibis.duckdb.from_connection(self.con)

    def _configure(self, memory_limit: str) -> None:
        # bounded memory whatever the input size; insertion order is not needed for inserts
        self.con.execute(f"SET memory_limit='{memory_limit}'")
        self.con.execute("SET preserve_insertion_order=false")
        self.con.execute(f"SET temp_directory='{self.home / 'tmp'}'")
        if not self.read_only:
            for ddl in TABLES.values():
                self.con.execute(ddl)

    def table(self, name: str) -> Any:
        return self.ibis.table(name)

    def has_tables(self, *names: str) -> bool:
        """All of ``names`` exist: a store written by an older tracktwo gets new tables only
        on its next read-write opening, so read-only code checks before it queries them."""
        placeholders = ", ".join("?" for _ in names)
        found = self.con.execute(
            f"SELECT count(DISTINCT table_name) FROM duckdb_tables() "
            f"WHERE table_name IN ({placeholders})",
            list(names),
        ).fetchall()
        return int(found[0][0]) == len(set(names))

    def count(self, name: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {name}").fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: everything inside commits together or not at all."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            self._writer.release()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
