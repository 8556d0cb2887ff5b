"""The published snapshot: what every reader of the event store sees.

The writer keeps its working DuckDB file (``events.duckdb``) to itself. After each commit it
*publishes* the committed state as Parquet files under ``snapshot/`` in the data directory,
then names them in a small ``snapshot/manifest.json`` written to a temporary name and moved
into place with one atomic rename. Readers (the dashboard's workers, the read commands,
notebooks, R or Python reading the files) open only the manifest and the files it names, so:

* a reader never waits for the writer and the writer never waits for a reader (no lock is
  shared: a reader holds no file the writer needs);
* every reader sees one consistent snapshot: all tables as of one commit;
* a writer killed at any point leaves the last manifest, and every file it names, intact:
  files are only ever added under new names, and a file leaves the manifest long before it
  is deleted (``RETIRE_SECONDS``), so a reader still using an older snapshot keeps its files.

Layout::

    snapshot/manifest.json                      version, files of every table, fingerprints
    snapshot/events/month=2019-03/v12-1f0a_0.parquet
                                                new events of one commit in one month
    snapshot/events/v1-77c2_empty.parquet       zero rows: the schema, for an empty store
    snapshot/votes/v3-9d1e.parquet              the whole (small) table, when it changed

Publishing costs what changed, not what is stored: new events are the rows past the ones
already published (events are only ever appended; the re-emission flags an ingest changes on
stored rows mark their months *dirty*, and a dirty month is rewritten from the working
file); a month with more than ``MAX_MONTH_FILES`` files has its newer files merged into one
(from the Parquet files themselves: the cost of the month, not of the store). The tables
that grow by a few rows with every file and are only ever appended to (``APPENDED_TABLES``:
one row a file ingested, its source, its quarantined lines) get their new rows as a new
file too, the newer files merged in tiers (each row is copied O(log n) times in all): a
backfill since 2015 leaves ~330,000 rows in each, and rewriting them at every commit made
a file cost 22% more in such a store (``benchmarks/bench_ingest.py --files``). Every other
table is compared by a fingerprint (row count and a sum of row hashes) and rewritten only
when it changed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tracktwo._errors import EngineError
from tracktwo.store._schema import EVENT_COLUMNS, TABLES, WRITER_TABLES

__all__ = [
    "APPENDED_TABLES",
    "DIRTY_MONTHS_TABLE",
    "MANIFEST",
    "MAX_MONTH_FILES",
    "RETIRE_SECONDS",
    "SNAPSHOT_DIR",
    "Manifest",
    "attach_snapshot",
    "mark_dirty_months",
    "publish",
    "read_manifest",
    "snapshot_files",
]

SNAPSHOT_DIR = "snapshot"
MANIFEST = "manifest.json"
MAX_MONTH_FILES = 8  # more files than this in one month: compacted into one at the next commit
RETIRE_SECONDS = 3600.0  # a file out of the manifest is deleted only this long after
DIRTY_MONTHS_TABLE = next(iter(WRITER_TABLES))  # in the working file only: never published
# tables no statement of the store updates or deletes from (tests/test_store_snapshot.py
# checks the SQL): their rows past the published count are all that changed
APPENDED_TABLES = ("quarantine", "ingested_files", "source_files", "event_sources")
_FORMAT = 1
_EVENT_NAMES = [name for name, _, _ in EVENT_COLUMNS]


@dataclass
class Manifest:
    """One published snapshot: its number, every table's files (relative to ``snapshot/``),
    how many events it holds, each other table's fingerprint, and the files it retired."""

    version: int = 0
    events_rows: int = 0
    tables: dict[str, list[str]] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    retired: list[tuple[str, float]] = field(default_factory=list)
    published_at: str = ""
    # rows published of each of APPENDED_TABLES (absent: not known, the table is rewritten)
    table_rows: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> str:
        body = {
            "format": _FORMAT,
            "version": self.version,
            "published_at": self.published_at,
            "events_rows": self.events_rows,
            "tables": self.tables,
            "fingerprints": self.fingerprints,
            "retired": [list(item) for item in self.retired],
            "table_rows": self.table_rows,
        }
        return json.dumps(body, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, shown_as: Path) -> Manifest:
        try:
            body = json.loads(text)
            return cls(
                version=int(body["version"]),
                events_rows=int(body["events_rows"]),
                tables={str(k): [str(f) for f in v] for k, v in body["tables"].items()},
                fingerprints={str(k): str(v) for k, v in body["fingerprints"].items()},
                retired=[(str(f), float(t)) for f, t in body.get("retired", [])],
                published_at=str(body.get("published_at", "")),
                table_rows={str(k): int(v) for k, v in body.get("table_rows", {}).items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise EngineError(f"{shown_as}: not a tracktwo snapshot manifest ({exc})") from exc


def read_manifest(home: Path) -> Manifest | None:
    """The current manifest, or None before the first publish."""
    path = home / SNAPSHOT_DIR / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return Manifest.from_json(text, path)


def _write_manifest(root: Path, manifest: Manifest) -> None:
    """Atomic: a temporary file, flushed to disk, renamed over the old one, directory synced."""
    temporary = root / f".{MANIFEST}.{secrets.token_hex(4)}"
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(manifest.as_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, root / MANIFEST)
    _sync_directory(root)


def _sync_directory(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform without directory descriptors
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# -- reading ---------------------------------------------------------------------------------


def _file_list(root: Path, files: Iterable[str]) -> str:
    quoted = ", ".join("'" + str(root / name).replace("'", "''") + "'" for name in files)
    return f"[{quoted}]"


def attach_snapshot(con: duckdb.DuckDBPyConnection, home: Path, manifest: Manifest) -> None:
    """One view per table over the files ``manifest`` names (an empty table for a table the
    snapshot predates), in ``con`` (an in-memory connection)."""
    root = home / SNAPSHOT_DIR
    for name, ddl in TABLES.items():
        files = manifest.tables.get(name)
        if not files:
            con.execute(ddl)
            continue
        columns = ", ".join(_EVENT_NAMES) if name == "events" else "*"
        con.execute(
            f"CREATE VIEW {name} AS SELECT {columns} FROM read_parquet({_file_list(root, files)})"
        )


# -- publishing ------------------------------------------------------------------------------


def mark_dirty_months(con: duckdb.DuckDBPyConnection, changed_dates_sql: str) -> None:
    """Record the months of the dates ``changed_dates_sql`` selects (``event_date`` of stored
    events changed in place): the next publish rewrites those months. Called inside the
    transaction that changes them, so the mark commits with the change."""
    con.execute(
        f"INSERT INTO {DIRTY_MONTHS_TABLE} "
        f"SELECT DISTINCT strftime(event_date, '%Y-%m') FROM ({changed_dates_sql})"
    )


def _dirty_months(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(f"SELECT DISTINCT month FROM {DIRTY_MONTHS_TABLE}").fetchall()
    return {str(row[0]) for row in rows if row[0] is not None}


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    # a sum (not a xor) of row hashes: two equal rows do not cancel out
    row = con.execute(f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {table} t")
    count, total = row.fetchall()[0]
    return f"{count}:{total}"


_MONTH_FOLDER = re.compile(r"month=(\d{4}-\d{2})")


def _month_of(relative: str) -> str | None:
    """YYYY-MM of an event file in a month folder (None for the empty schema file)."""
    parts = relative.split("/")
    found = _MONTH_FOLDER.fullmatch(parts[1]) if len(parts) == 3 else None
    return found.group(1) if found else None


class _Publication:
    """One publish: the new manifest being built, the files it adds and those it drops."""

    def __init__(self, con: duckdb.DuckDBPyConnection, root: Path, old: Manifest) -> None:
        self.con = con
        self.root = root
        self.old = old
        self.tag = f"v{old.version + 1}-{secrets.token_hex(3)}"
        self.tables = {name: list(files) for name, files in old.tables.items()}
        self.fingerprints = dict(old.fingerprints)
        self.table_rows = dict(old.table_rows)
        self.dropped: list[str] = []
        self.changed = False

    # events ---------------------------------------------------------------------------

    def events(self, total: int, dirty: set[str]) -> None:
        files = self.tables.get("events", [])
        if total < self.old.events_rows:  # rows went away: only a full rewrite is right
            self.dropped += files
            files, start, dirty = [], 0, set()
        else:
            start = self.old.events_rows
        if total > start:
            files = files + self._append_events(start, total)
        if any(_month_of(name) for name in files):  # the schema holder is not needed now
            self.dropped += [name for name in files if _month_of(name) is None]
            files = [name for name in files if _month_of(name) is not None]
        if not files:
            files = [self._empty_events()]
        by_month: dict[str, list[str]] = {}
        for name in files:
            month = _month_of(name)
            if month is not None:
                by_month.setdefault(month, []).append(name)
        for month, month_files in sorted(by_month.items()):
            if month in dirty:
                files = [f for f in files if f not in month_files]
                self.dropped += month_files
                files.append(self._rewrite_month(month, total))
            elif len(month_files) > MAX_MONTH_FILES:
                # compacted from its own published files, all but the largest: rewriting it
                # from the working table scanned every stored event once per month (11.6 s of
                # one commit's publish at 5M events, benchmarks/bench_ingest.py --files), so a
                # file's cost grew with the store; now it is that of the month's newer files
                kept = max(month_files, key=lambda name: _size(self.root / name))
                merged = [f for f in month_files if f != kept]
                files = [f for f in files if f not in merged]
                self.dropped += merged
                files.append(self._merge_files(month, merged))
        self.changed |= files != self.tables.get("events") or total != self.old.events_rows
        self.tables["events"] = files

    def _append_events(self, start: int, stop: int) -> list[str]:
        target = self.root / "events"
        target.mkdir(parents=True, exist_ok=True)
        self.con.execute(
            f"""COPY (SELECT {", ".join(_EVENT_NAMES)}, strftime(event_date, '%Y-%m') AS month
                FROM events WHERE rowid >= {int(start)} AND rowid < {int(stop)})
            TO {_quoted(target)} (FORMAT parquet, PARTITION_BY (month), OVERWRITE_OR_IGNORE,
                                  FILENAME_PATTERN '{self.tag}_{{i}}')"""
        )
        written = sorted(target.glob(f"month=*/{self.tag}_*.parquet"))
        return [str(path.relative_to(self.root)) for path in written]

    def _rewrite_month(self, month: str, stop: int) -> str:
        relative = f"events/month={month}/{self.tag}_c.parquet"
        (self.root / relative).parent.mkdir(parents=True, exist_ok=True)
        self.con.execute(
            # a range on the date, not strftime(): DuckDB skips row groups by their min/max
            f"""COPY (SELECT {", ".join(_EVENT_NAMES)} FROM events
                WHERE event_date >= DATE '{month}-01'
                  AND event_date < DATE '{month}-01' + INTERVAL 1 MONTH
                  AND rowid < {int(stop)}
                ORDER BY event_date)
            TO {_quoted(self.root / relative)} (FORMAT parquet)"""
        )
        return relative

    def _merge_files(self, month: str, names: list[str]) -> str:
        # concatenated, not sorted: a sort of a month of wide rows costs more than the copy
        # (a ~1M-row merge took 10.8 s sorted), and readers gain little from it: the month's
        # partition already prunes by date
        relative = f"events/month={month}/{self.tag}_m.parquet"
        self.con.execute(
            f"""COPY (SELECT {", ".join(_EVENT_NAMES)}
                FROM read_parquet({_file_list(self.root, names)}))
            TO {_quoted(self.root / relative)} (FORMAT parquet)"""
        )
        return relative

    def _empty_events(self) -> str:
        relative = f"events/{self.tag}_empty.parquet"
        (self.root / "events").mkdir(parents=True, exist_ok=True)
        self.con.execute(
            f"COPY (SELECT {', '.join(_EVENT_NAMES)} FROM events LIMIT 0) "
            f"TO {_quoted(self.root / relative)} (FORMAT parquet)"
        )
        return relative

    # the other tables -----------------------------------------------------------------

    def table(self, name: str) -> None:
        if name in APPENDED_TABLES:
            self._appended(name)
            return
        fingerprint = _fingerprint(self.con, name)
        if fingerprint == self.old.fingerprints.get(name) and self.tables.get(name):
            return
        self._rewrite(name)
        self.fingerprints[name] = fingerprint

    def _rewrite(self, name: str) -> None:
        relative = f"{name}/{self.tag}.parquet"
        (self.root / name).mkdir(parents=True, exist_ok=True)
        self.con.execute(f"COPY {name} TO {_quoted(self.root / relative)} (FORMAT parquet)")
        self.dropped += self.tables.get(name, [])
        self.tables[name] = [relative]
        self.changed = True

    def _appended(self, name: str) -> None:
        """Only the rows past the published ones; the whole table when that count is not
        known (a manifest from before) or went down (never, while the table is append-only)."""
        total = _count(self.con, name)
        published = self.old.table_rows.get(name)
        files = self.tables.get(name, [])
        if published is None or total < published or not files:
            self._rewrite(name)
        elif total > published:
            relative = f"{name}/{self.tag}_a.parquet"
            self.con.execute(
                f"COPY (SELECT * FROM {name} WHERE rowid >= {int(published)}) "
                f"TO {_quoted(self.root / relative)} (FORMAT parquet)"
            )
            self.tables[name] = self._tiered(name, [*files, relative])
            self.changed = True
        self.table_rows[name] = total
        self.fingerprints.pop(name, None)

    def _tiered(self, name: str, files: list[str]) -> list[str]:
        """More than MAX_MONTH_FILES files: the newest ones, from the oldest file no larger
        than all those after it together, merged into one (as a binary counter carries), so
        a row is merged again only once as many newer rows have come."""
        if len(files) <= MAX_MONTH_FILES:
            return files
        sizes = [_size(self.root / f) for f in files]
        # none such (each file larger than all newer ones together): the newest two
        tiers = (i for i in range(len(files) - 1) if sizes[i] <= sum(sizes[i + 1 :]))
        start = next(tiers, len(files) - 2)
        merged = files[start:]
        relative = f"{name}/{self.tag}_m.parquet"
        self.con.execute(
            f"COPY (SELECT * FROM read_parquet({_file_list(self.root, merged)})) "
            f"TO {_quoted(self.root / relative)} (FORMAT parquet)"
        )
        self.dropped += merged
        return [*files[:start], relative]

    def manifest(self, total: int) -> Manifest:
        now = time.time()
        published = {name for files in self.old.tables.values() for name in files}
        retired = [(name, when) for name, when in self.old.retired]
        for name in self.dropped:
            if name in published:  # a reader of an older snapshot may still read it
                retired.append((name, now))
            else:  # written by this publish and replaced by it: nobody ever saw it
                (self.root / name).unlink(missing_ok=True)
        return Manifest(
            version=self.old.version + 1,
            events_rows=total,
            tables=self.tables,
            fingerprints=self.fingerprints,
            retired=retired,
            published_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            table_rows=self.table_rows,
        )


def publish(con: duckdb.DuckDBPyConnection, home: Path) -> Manifest:
    """Publish the committed state of the working file ``con`` (the writer's connection, with
    no transaction open) as the new snapshot; a no-op when nothing changed. Returns the
    manifest now current."""
    root = home / SNAPSHOT_DIR
    root.mkdir(parents=True, exist_ok=True)
    old = read_manifest(home) or Manifest()
    publication = _Publication(con, root, old)
    total = int(con.execute("SELECT count(*) FROM events").fetchall()[0][0])
    publication.events(total, _dirty_months(con))
    for name in TABLES:
        if name != "events":
            publication.table(name)
    if not publication.changed:
        _collect_garbage(root, old)
        return old
    manifest = publication.manifest(total)
    _write_manifest(root, manifest)
    con.execute(f"DELETE FROM {DIRTY_MONTHS_TABLE}")  # after the manifest: a crash redoes it
    _collect_garbage(root, manifest)
    return manifest


def _collect_garbage(root: Path, manifest: Manifest, *, now: float | None = None) -> None:
    """Delete retired files older than RETIRE_SECONDS, and files no manifest ever named (a
    publish killed half-way) once they are that old; keep everything else."""
    now = time.time() if now is None else now
    live = {name for files in manifest.tables.values() for name in files}
    retired = dict(manifest.retired)
    for path in root.rglob("*.parquet"):
        relative = str(path.relative_to(root))
        if relative in live:
            continue
        since = retired.get(relative)
        if since is None:
            since = _mtime(path)
        if now - since >= RETIRE_SECONDS:
            path.unlink(missing_ok=True)
    for temporary in root.glob(f".{MANIFEST}.*"):  # a publish killed while writing it
        if now - _mtime(temporary) >= RETIRE_SECONDS:
            temporary.unlink(missing_ok=True)
    still = [(name, when) for name, when in manifest.retired if (root / name).exists()]
    if len(still) != len(manifest.retired):
        manifest.retired = still  # noted at the next publish; nothing to rewrite now


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def snapshot_files(home: Path, manifest: Manifest, table: str) -> list[Path]:
    """Absolute paths of ``table``'s files in a manifest."""
    return [home / SNAPSHOT_DIR / name for name in manifest.tables.get(table, [])]
