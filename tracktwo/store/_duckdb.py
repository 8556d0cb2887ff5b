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

    **Read-only by default**: ``EventStore(home)`` only reads, and any number of processes
    may read at once (the dashboard, the read commands, notebooks, R). A store that does
    not exist yet is a ``NotFoundError`` naming the file and how to create it. While a
    writer holds the file, or waits for it, a reader retries for ``wait`` seconds (default
    0: the dashboard answers 503 at once; the command line and ``tracktwo.open`` pass
    ``TRACKTWO_STORE_WAIT``), then raises ``StoreBusyError``.

    **Writing** needs ``EventStore(home, write=True)``: it creates the file and its tables,
    and waits up to ``wait`` seconds (default ``TRACKTWO_STORE_WAIT``, 60) for the readers
    to finish, calling ``on_wait`` once. See tracktwo.store._locking.

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
        self.con = connect(
            self.path, read_only=self.read_only, lock=self._writer, wait=wait, on_wait=on_wait
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
