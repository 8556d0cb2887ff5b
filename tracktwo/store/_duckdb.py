"""The embedded event store: one DuckDB file in the data directory, queried through Ibis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import ibis

from tracktwo._config import resolve_home
from tracktwo._errors import EngineError
from tracktwo.store._schema import TABLES

__all__ = ["STORE_FILE", "EventStore"]

STORE_FILE = "events.duckdb"


class EventStore:
    """A DuckDB file holding events, quarantine, votes, signals and coverage tables.

    ``store.con`` is the raw DuckDB connection (used for loading and transactions);
    ``store.table(name)`` gives an Ibis table for queries.
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        memory_limit: str = "512MB",
        read_only: bool = False,
    ) -> None:
        self.home = resolve_home(home)
        self.path = self.home / STORE_FILE
        self.read_only = read_only
        try:
            # read-only: several web workers may read at once, and an ingest can run
            # whenever none of them has the file open
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise EngineError(f"cannot open the event store {self.path}: {exc}") from exc
        # bounded memory whatever the input size; insertion order is not needed for inserts
        self.con.execute(f"SET memory_limit='{memory_limit}'")
        self.con.execute("SET preserve_insertion_order=false")
        self.con.execute(f"SET temp_directory='{self.home / 'tmp'}'")
        if not read_only:
            for ddl in TABLES.values():
                self.con.execute(ddl)
        self.ibis = ibis.duckdb.from_connection(self.con)

    def table(self, name: str) -> Any:
        return self.ibis.table(name)

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
        self.con.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
