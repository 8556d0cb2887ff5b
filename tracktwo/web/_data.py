"""Where the web app reads from, and a cache of what is costly to compute.

The event store is read through its published snapshot, opened only while a figure is
computed, so ``tracktwo events ingest`` runs while the dashboard is up and neither waits for
the other. The pulse, the scorecard and the fitted recommender are cached per *data
version*: the snapshot's manifest (each commit replaces it) and a fingerprint of the
registry (row counts, largest ids and the sum of row versions of actors, ties and
activities). A change made through any
worker, or from the command line, changes the version, so no worker serves stale figures
for longer than ``VERSION_SECONDS``; a change made by this worker is seen at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from tracktwo._errors import EngineError
from tracktwo.bridges import Registry
from tracktwo.doors import Mailer
from tracktwo.store import (
    SNAPSHOT_DIR,
    STORE_FILE,
    EventStore,
    StoreBusyError,
    registry_fingerprint,
)
from tracktwo.taxonomy import Taxonomy, load_taxonomy
from tracktwo.web._settings import WebSettings

__all__ = ["VERSION_SECONDS", "DataSources"]

log = logging.getLogger("tracktwo.web")
VERSION_SECONDS = 1.0
CACHE_ENTRIES = 64
T = TypeVar("T")


class DataSources:
    """The registry (always open) and the event store (opened on demand), with the cache."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.registry = Registry(settings.db_url, home=settings.home)
        self.mailer = Mailer(settings.mail)
        self.taxonomy: Taxonomy = load_taxonomy(settings.taxonomy)
        self._store_path = Path(settings.home) / STORE_FILE
        # every commit replaces the manifest (a new file): its identity is the data version
        self._manifest_path = Path(settings.home) / SNAPSHOT_DIR / "manifest.json"
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        # each key's newest value and its version: served while a newer one is computed
        self._latest: OrderedDict[Hashable, tuple[tuple[Any, ...], Any]] = OrderedDict()
        self._lock = threading.Lock()
        # one costly computation at a time per worker; re-entrant because a cached page may
        # be built from cached figures
        self._compute_lock = threading.RLock()
        self._version: tuple[Any, ...] | None = None
        self._version_at = 0.0
        self._refreshing = False
        self._generation = 0

    # -- versions ---------------------------------------------------------------------------

    def _store_version(self) -> tuple[int, int, int]:
        try:
            stat = self._manifest_path.stat()
        except FileNotFoundError:
            return (0, 0, 0)
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _registry_version(self) -> tuple[Any, ...]:
        with self.registry.engine.connect() as connection:
            return registry_fingerprint(connection)

    def version(self, *, force: bool = False) -> tuple[Any, ...]:
        now = time.monotonic()
        with self._lock:
            known = self._version
            if known is not None and now - self._version_at < VERSION_SECONDS and not force:
                return known
            generation = self._generation
        current = (self._store_version(), self._registry_version())
        with self._lock:
            # a write by this worker during the read makes what was read already old
            if generation == self._generation:
                self._version, self._version_at = current, now
        return current

    def _refresh(self) -> None:
        try:
            self.version(force=True)
        except Exception:  # the next request reads it again, and reports what failed
            with self._lock:
                self._version = None
        finally:
            self._refreshing = False

    def changed(self) -> None:
        """This worker wrote to the registry: read the version afresh on the next request."""
        with self._lock:
            self._version = None
            self._generation += 1

    # -- the cache --------------------------------------------------------------------------

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of ``key`` for the current data version, computed once per version.

        While another request computes (one costly computation at a time), a request whose
        figures only an event-store commit made old gets the previous commit's value at once
        instead of queueing: an ingest commits every few seconds and each commit would
        otherwise hold every reader up for a recomputation. A change to the registry is
        never answered from an older value."""
        version = self.version()
        full = (key, version)
        with self._lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]
            stale = self._latest.get(key)
        if stale is not None and stale[0][1] == version[1]:  # same registry, older snapshot
            if not self._compute_lock.acquire(blocking=False):
                return cast(T, stale[1])
        else:
            self._compute_lock.acquire()
        try:
            with self._lock:  # another request may have computed it while this one waited
                if full in self._cache:
                    return self._cache[full]
            value = compute()
        finally:
            self._compute_lock.release()
        with self._lock:
            self._cache[full] = value
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
            self._latest[key] = (version, value)
            self._latest.move_to_end(key)
            while len(self._latest) > CACHE_ENTRIES:
                self._latest.popitem(last=False)
        return value

    def peek(self, key: Hashable) -> Any | None:
        """The cached value if this worker knows the data version to be current, else None;
        never touches a database, so it can run on the event loop."""
        now = time.monotonic()
        with self._lock:
            age = now - self._version_at
            if self._version is None or age >= 2 * VERSION_SECONDS:
                return None
            if age >= VERSION_SECONDS and not self._refreshing:
                # one background look at the version, while requests go on being answered
                # from the cache: otherwise every request in flight would queue for it
                self._refreshing = True
                threading.Thread(target=self._refresh, daemon=True).start()
            full = (key, self._version)
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]
        return None

    @property
    def has_events(self) -> bool:
        return self._manifest_path.exists() or self._store_path.exists()

    @contextmanager
    def store(self) -> Iterator[EventStore]:
        """The event store's published snapshot, for the time of one computation: each
        request reads the latest commit, and an ingest never waits for it.

        Raises StoreBusyError (503 + Retry-After) only for a store written by an older
        tracktwo whose first snapshot is being published; no message names a file or a
        process: they reach the client.
        """
        if not self.has_events:
            raise EngineError("no event store yet: ingest event files first")
        try:
            opened = EventStore(self.settings.home, read_only=True)
        except StoreBusyError:
            raise
        except EngineError as exc:  # DuckDB's own text names the file: kept for the log
            log.error("cannot open the event store: %s", exc)
            raise EngineError("the event store cannot be read: see the server log") from exc
        try:
            yield opened
        finally:
            opened.close()

    def close(self) -> None:
        self.registry.close()
