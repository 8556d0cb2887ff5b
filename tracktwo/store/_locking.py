"""One writer at a time for the event store's working file; readers are not involved.

Readers never open the working file (``events.duckdb``): they read the published snapshot
(tracktwo.store._snapshot), so they never wait and never make a writer wait. Writers
(``EventStore(home, write=True)``: ``tracktwo events ingest``, ``events fetch``, the vote
imports ...) take turns:

* a writer holds the *writer lock*, ``events.duckdb.writer-lock`` beside the store, for as
  long as it is open: an ``flock`` the operating system drops when the process ends, so a
  crashed ingest leaves nothing stale;
* a second writer waits for it, up to ``TRACKTWO_STORE_WAIT`` seconds (default 60), then
  gets ``StoreBusyError`` naming the file and the variable: never blocked forever.

Two writers of one process (a test's store and a command it runs) share the lock.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import duckdb

from tracktwo._errors import ConfigError, EngineError, NotFoundError

try:  # POSIX; elsewhere writers still wait, without priority over readers
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_STORE_WAIT",
    "RETRY_AFTER_SECONDS",
    "STORE_WAIT_ENV",
    "StoreBusyError",
    "WriterLock",
    "connect",
    "missing_store",
    "say_waiting",
    "store_wait",
]

STORE_WAIT_ENV = "TRACKTWO_STORE_WAIT"
DEFAULT_STORE_WAIT = 60.0
RETRY_AFTER_SECONDS = 5  # what a refused client is told
WAITING_MESSAGE = "waiting for the event store (another process is writing it)…"
_POLL_FIRST, _POLL_MAX = 0.02, 0.25


class StoreBusyError(EngineError):
    """The event store is held by another process; ``retry_after`` is in seconds."""

    retry_after = RETRY_AFTER_SECONDS


def store_wait() -> float:
    """How long a writer waits for the store: ``TRACKTWO_STORE_WAIT`` seconds, default 60."""
    raw = os.environ.get(STORE_WAIT_ENV, "").strip()
    if not raw:
        return DEFAULT_STORE_WAIT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also refuses nan
        raise ConfigError(f"{STORE_WAIT_ENV}: {raw!r} is not a number of seconds (0 or more)")
    return seconds


def _lock_path(store: Path) -> Path:
    return store.with_name(store.name + ".writer-lock")


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


# this process's writer locks: the open lock file and how many writers share it
_HELD: dict[Path, tuple[IO[bytes], int]] = {}
_GUARD = threading.Lock()


class WriterLock:
    """The writer lock of one store file, shared by every writer of this process.

    flock locks belong to an open file, so two writers of one process (a test's store and
    a command it runs) would shut each other out: they share one handle, counted.
    """

    def __init__(self, store: Path) -> None:
        self.path = _lock_path(store).resolve()
        self.acquired = False

    def try_acquire(self) -> bool:
        with _GUARD:
            held = _HELD.get(self.path)
            if held is not None:
                _HELD[self.path] = (held[0], held[1] + 1)
            else:
                try:
                    handle = self.path.open("ab")
                except OSError as exc:
                    raise EngineError(f"cannot create {self.path}: {exc.strerror}") from exc
                if fcntl is not None:
                    try:
                        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        handle.close()
                        return False
                _HELD[self.path] = (handle, 1)
        self.acquired = True
        return True

    def release(self) -> None:
        if not self.acquired:
            return
        self.acquired = False
        with _GUARD:
            handle, count = _HELD.pop(self.path)
            if count > 1:
                _HELD[self.path] = (handle, count - 1)
            else:
                handle.close()  # closing drops the flock


def say_waiting() -> None:
    print(WAITING_MESSAGE, file=sys.stderr, flush=True)


def missing_store(path: Path) -> NotFoundError:
    """The error of a reader whose store file does not exist yet: the path and the cure."""
    return NotFoundError(
        f"no event store at {path}: create it with `tracktwo events ingest FILE...` (your "
        "event files) or `tracktwo demo --no-serve` (the shipped Cambodia–US data); from "
        "Python, EventStore(home, write=True) starts an empty one"
    )


def _attempt(path: Path, lock: WriterLock) -> duckdb.DuckDBPyConnection | None:
    """One try at the writer lock and the file; None when another process holds either."""
    if not lock.acquired and not lock.try_acquire():
        return None
    try:
        return duckdb.connect(str(path))
    except duckdb.Error as exc:
        if _is_lock_conflict(exc):
            return None
        lock.release()
        raise EngineError(f"cannot open the event store {path}: {exc}") from exc


def _busy_after(path: Path, wait: float) -> StoreBusyError:
    return StoreBusyError(
        f"the event store {path} is still being written by another process after {wait:g} s "
        f"(another ingest or import): try again, or wait longer "
        f"with {STORE_WAIT_ENV}=<seconds>"
    )


def _read_write(
    path: Path, lock: WriterLock, wait: float, on_wait: Callable[[], None] | None
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    pause = _POLL_FIRST
    told = False
    while True:
        con = _attempt(path, lock)
        if con is not None:
            return con
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            lock.release()
            raise _busy_after(path, wait)
        if not told and on_wait is not None:
            on_wait()
        told = True
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, _POLL_MAX)


def connect(
    path: Path,
    *,
    lock: WriterLock,
    wait: float | None = None,
    on_wait: Callable[[], None] | None = say_waiting,
) -> duckdb.DuckDBPyConnection:
    """Open the working file ``path`` for writing, with ``lock`` held, waiting up to ``wait``
    seconds (default ``store_wait()``) for another writer; ``on_wait`` is called once if it
    has to wait."""
    return _read_write(path, lock, store_wait() if wait is None else wait, on_wait)
