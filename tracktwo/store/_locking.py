"""Sharing the one DuckDB file between the dashboard (readers) and an ingest (a writer).

DuckDB lets one process write a file, or several processes read it, never both. The rules
built on that:

* a **reader** (every store opened without ``write=True``: the dashboard, the read
  commands, ``tracktwo.open``) never blocks another reader. While a writer holds the store,
  or is waiting for it, a reader given no ``wait`` (the dashboard) gets ``StoreBusyError``
  at once, with a message that names no file or process (the web answers 503 +
  Retry-After); a reader given ``wait`` seconds (the command line and the notebook API pass
  ``TRACKTWO_STORE_WAIT``) retries until the writer is done, then gives up with
  ``StoreBusyError``: never blocked forever. A reader of a store that does not exist gets
  ``NotFoundError`` naming the file and how to create it;
* a **writer** (``EventStore(home, write=True)``: ``tracktwo events ingest`` and every other
  command that changes the store) waits, up to ``TRACKTWO_STORE_WAIT`` seconds (default
  60), retrying the open.
  While it waits it holds the *writer lock*, ``events.duckdb.writer-lock`` beside the store:
  new readers see it and back off, so the computations already running finish and the
  writer gets in even under a steady stream of requests. The lock is an ``flock`` the
  operating system drops when the process ends, so a crashed ingest leaves nothing stale.

Within one process DuckDB refuses a read-only and a read-write connection to the same file,
so a reader opened while this process itself writes the store shares the writer's database
(it still creates no table: ``EventStore`` only runs DDL for writers).
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
    "held_here",
    "missing_store",
    "say_waiting",
    "store_wait",
    "writer_waiting",
]

STORE_WAIT_ENV = "TRACKTWO_STORE_WAIT"
DEFAULT_STORE_WAIT = 60.0
RETRY_AFTER_SECONDS = 5  # what a refused reader is told: an ingest of one file takes seconds
WAITING_MESSAGE = "waiting for the event store (in use by another process)…"
_READER_MESSAGE = (
    "the event store is being updated by another process (an ingest): "
    f"try again in {RETRY_AFTER_SECONDS} seconds"
)
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


def writer_waiting(store: Path) -> bool:
    """True while another process holds the writer lock (writing, or waiting to write)."""
    if fcntl is None:
        return False
    try:
        handle = _lock_path(store).open("rb")
    except OSError:  # no lock file (no writer ever came) or not readable: no writer known
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


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


def held_here(store: Path) -> bool:
    """True while this process holds the writer lock of ``store`` (one of its stores writes)."""
    with _GUARD:
        return _lock_path(store).resolve() in _HELD


def say_waiting() -> None:
    print(WAITING_MESSAGE, file=sys.stderr, flush=True)


def missing_store(path: Path) -> NotFoundError:
    """The error of a reader whose store file does not exist yet: the path and the cure."""
    return NotFoundError(
        f"no event store at {path}: create it with `tracktwo events ingest FILE...` (your "
        "event files) or `tracktwo demo --no-serve` (the shipped Cambodia–US data); from "
        "Python, EventStore(home, write=True) starts an empty one"
    )


def _try_read(path: Path) -> duckdb.DuckDBPyConnection | None:
    """One try at a read-only connection; None while a writer holds the store or waits."""
    if writer_waiting(path):
        return None
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        if _is_lock_conflict(exc):  # DuckDB's text names the file and the writer's PID
            return None
        raise EngineError(f"cannot open the event store {path}: {exc}") from exc


def _reader_busy_after(path: Path, wait: float) -> StoreBusyError:
    return StoreBusyError(
        f"the event store {path} is still being updated by another process (an ingest) "
        f"after {wait:g} s: try again, or wait longer with {STORE_WAIT_ENV}=<seconds>"
    )


def _read_only(
    path: Path, wait: float, on_wait: Callable[[], None] | None
) -> duckdb.DuckDBPyConnection:
    if held_here(path):  # this process writes it: DuckDB allows one configuration per file
        return duckdb.connect(str(path))
    if not path.is_file():
        raise missing_store(path)
    deadline = time.monotonic() + wait
    pause = _POLL_FIRST
    told = False
    while True:
        con = _try_read(path)
        if con is not None:
            return con
        remaining = deadline - time.monotonic()
        if remaining <= 0:  # no wait asked (the dashboard): the message names no file
            raise _reader_busy_after(path, wait) if wait > 0 else StoreBusyError(_READER_MESSAGE)
        if not told and on_wait is not None:
            on_wait()
        told = True
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, _POLL_MAX)


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
        f"the event store {path} is still in use by another process after {wait:g} s "
        f"(the dashboard computing a figure, or another ingest): try again, or wait longer "
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
    read_only: bool,
    lock: WriterLock,
    wait: float | None = None,
    on_wait: Callable[[], None] | None = say_waiting,
) -> duckdb.DuckDBPyConnection:
    """Open ``path``. Read-only: at once, or retrying up to ``wait`` seconds (default 0)
    while a writer holds it, then StoreBusyError; NotFoundError when the file does not exist.
    Read-write: waiting up to ``wait`` seconds (default ``store_wait()``) with ``lock`` held.
    Either calls ``on_wait`` once if it has to wait."""
    if read_only:
        return _read_only(path, 0.0 if wait is None else wait, on_wait)
    return _read_write(path, lock, store_wait() if wait is None else wait, on_wait)
