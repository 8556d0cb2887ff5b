"""Back up the whole registry database to one file and restore it, every row and id kept.

"Whole" means every table the database holds except Alembic's ``alembic_version``: actors,
ties and activities, and the accounts and open-doors tables beside them (users, web sessions,
API tokens, login attempts, e-mail tokens, sign-ups, profiles, their managers, partnership
requests, flags, the moderation log, notifications, digest claims). The list is read from the
database itself, so a table a later migration adds is backed up without a change here.
Secrets are in it as the database stores them: password hashes (argon2) and SHA-256 digests
of session ids and tokens. The file holds personal data: it is written readable by its owner
only.

The file is JSON Lines (gzipped when its name ends in ``.gz``)::

    {"format": "tracktwo-bridges-backup", "format_version": 2, "schema_revision": "0005",
     "dialect": "sqlite", "written_at": "...", "tables": ["actors", "users", ...]}
    {"table": "actors", "row": {"id": 1, "name": "Phnom Penh", "local_name": "ភ្នំពេញ", ...}}
    ...
    {"end": true, "rows": {"actors": 2, "users": 3, ...}}

The header lists the tables, parents before children. The last line's counts catch a
truncated file. Dates are ISO text. The rows are read in one snapshot (REPEATABLE READ on
PostgreSQL, one read transaction on SQLite), so a backup taken while others edit is still
consistent. Format 1 (before accounts were backed up) held actors, ties and activities only,
and is still read.

A restore reads and checks the whole file before it writes anything, then writes every row in
one transaction, into an empty registry only (``replace=True`` empties it first, in the same
transaction). It deletes children before parents and inserts parents before children, so no
``ON DELETE SET NULL`` or ``CASCADE`` ever fires. Ids and versions are kept; on PostgreSQL the
id sequences are moved past the restored ids so the next insert gets a fresh id.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Integer,
    MetaData,
    Table,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError

from tracktwo._errors import EngineError, FileFormatError, InputError
from tracktwo._json import plain
from tracktwo.bridges._registry import Registry
from tracktwo.store import alembic_revision, reset_serial_sequence

__all__ = ["BACKUP_FORMAT", "backup", "registry_tables", "restore"]

BACKUP_FORMAT = "tracktwo-bridges-backup"
_FORMAT_VERSION = 2
# what a format 1 file holds: the registry itself, before accounts and doors were backed up
_FORMAT_1_TABLES = ("actors", "ties", "activities")
_SKIPPED = {"alembic_version"}  # Alembic's own bookkeeping: the header's schema_revision
_CHUNK = 1000


def registry_tables(connection: Connection) -> list[Table]:
    """Every table of the database but Alembic's, as the database describes it, parents
    before children."""
    metadata = MetaData()
    metadata.reflect(connection)
    tables = [table for table in metadata.sorted_tables if table.name not in _SKIPPED]
    for table in tables:
        for column in table.c:
            if isinstance(column.type, JSON):
                # a None goes back as SQL NULL, as it was stored, not as the JSON text null
                column.type = JSON(none_as_null=True)
    return tables


def _key(table: Table) -> list[Any]:
    return list(table.primary_key.columns) or list(table.c)


# -- writing ---------------------------------------------------------------------------------


def _open_for_writing(path: Path) -> tuple[IO[str], Path]:
    # written beside the target and renamed at the end: a failed backup leaves no half file;
    # mkstemp makes it readable by its owner only, as personal data should be
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    if path.suffix == ".gz":
        return gzip.open(temporary, "wt", encoding="utf-8"), Path(temporary)
    return open(temporary, "w", encoding="utf-8"), Path(temporary)


def _snapshot(registry: Registry) -> Connection:
    """A connection whose reads all see one moment of the database."""
    connection = registry.engine.connect()
    if registry.dialect == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    connection.begin()
    if registry.dialect == "sqlite" and not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        # pysqlite opens no transaction for SELECTs: open one, so all the tables are read
        # from the same snapshot
        connection.exec_driver_sql("BEGIN")
    return connection


def _revision(connection: Connection) -> str | None:
    return alembic_revision(connection)


def backup(registry: Registry, path: str | os.PathLike[str]) -> dict[str, int]:
    """Write every row of every table to ``path``; returns the rows written per table."""
    target = Path(path)
    if not target.parent.is_dir():
        raise InputError(f"path: the folder {target.parent} does not exist")
    handle, temporary = _open_for_writing(target)
    try:
        with handle, _snapshot(registry) as connection:
            tables = registry_tables(connection)
            header = {"format": BACKUP_FORMAT, "format_version": _FORMAT_VERSION,
                      "schema_revision": _revision(connection), "dialect": registry.dialect,
                      "written_at": datetime.now().isoformat(timespec="seconds"),
                      "tables": [table.name for table in tables]}  # fmt: skip
            handle.write(json.dumps(header) + "\n")
            counts = {table.name: _write_table(connection, table, handle) for table in tables}
            handle.write(json.dumps({"end": True, "rows": counts}) + "\n")
        os.replace(temporary, target)
    except OperationalError as exc:
        raise EngineError(f"the registry database failed: {exc.orig}") from exc
    finally:
        temporary.unlink(missing_ok=True)
    return counts


def _write_table(connection: Connection, table: Table, handle: IO[str]) -> int:
    query = select(table).order_by(*_key(table)).execution_options(yield_per=_CHUNK)
    written = 0
    for row in connection.execute(query).mappings():
        record = {key: plain(value) for key, value in row.items()}
        handle.write(json.dumps({"table": table.name, "row": record}, ensure_ascii=False) + "\n")
        written += 1
    return written


# -- reading and checking --------------------------------------------------------------------


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("rb") as probe:
        zipped = probe.read(2) == b"\x1f\x8b"
    opener = gzip.open if zipped else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            yield from enumerate(handle, start=1)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise FileFormatError(path, f"cannot read the backup: {exc}") from exc


def _parse(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {number}: not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise InputError(f"{path}: line {number}: expected a JSON object")
    return record


def _typed(table: Table, row: Any, where: str) -> dict[str, Any]:
    """The row's values as the columns want them (dates from ISO text), every column known."""
    keys = [column.name for column in _key(table)]
    if not isinstance(row, dict) or any(key not in row for key in keys):
        raise InputError(f"{where}: 'row' must be an object with {' and '.join(keys)}")
    unknown = sorted(set(row) - set(table.c.keys()))
    if unknown:
        raise InputError(f"{where}: {table.name} has no column {unknown[0]!r}")
    missing = [column.name for column in table.c if column.name not in row]
    if missing:
        raise InputError(f"{where}: the {table.name} row lacks the column {missing[0]!r}")
    typed = dict(row)
    for name, value in row.items():
        kind = table.c[name].type
        if value is not None and isinstance(kind, Date | DateTime):
            typed[name] = _from_iso(kind, value, f"{where}: {name}")
        if isinstance(kind, Integer) and name in keys and not _whole(value):
            raise InputError(f"{where}: {name} must be a whole number, not {value!r}")
    return typed


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _from_iso(kind: Any, value: Any, where: str) -> date | datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{where}: {value!r} is not an ISO date") from None
    return parsed if isinstance(kind, DateTime) else parsed.date()


class _Contents:
    """A backup file read and checked in full against the tables of the registry it is
    restored into: its header, its tables and its rows per table."""

    def __init__(self, path: Path, tables: list[Table]) -> None:
        self.path = path
        self.known = {table.name: table for table in tables}
        self.header: dict[str, Any] | None = None
        self.footer: dict[str, Any] | None = None
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.line_of: dict[tuple[str, tuple[Any, ...]], int] = {}
        for number, line in _lines(path):
            if line.strip():
                self._take(number, _parse(path, number, line))
        self._check_complete()
        self._check_parents()

    @property
    def tables(self) -> list[Table]:
        """The backup's tables, parents before children (the target's order)."""
        return [table for name, table in self.known.items() if name in self.rows]

    def _take(self, number: int, record: dict[str, Any]) -> None:
        where = f"{self.path}: line {number}"
        if self.footer is not None:
            raise InputError(f"{where}: text after the end line")
        if self.header is None:
            self._take_header(where, record)
        elif record.get("end") is True:
            self.footer = record
        elif record.get("table") in self.rows:
            table = self.known[record["table"]]
            row = _typed(table, record.get("row"), where)
            key = (table.name, tuple(row[column.name] for column in _key(table)))
            if key in self.line_of:
                raise InputError(f"{where}: a second {table.name} row with key {key[1]}")
            self.line_of[key] = number
            self.rows[table.name].append(row)
        else:
            raise InputError(f"{where}: unknown table {record.get('table')!r}")

    def _take_header(self, where: str, record: dict[str, Any]) -> None:
        if record.get("format") != BACKUP_FORMAT:
            raise InputError(f"{where}: not a tracktwo bridges backup (no header line)")
        version = record.get("format_version")
        if version == 1:
            names: Any = _FORMAT_1_TABLES
        elif version == _FORMAT_VERSION:
            names = record.get("tables")
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise InputError(f"{where}: tables: expected a list of table names")
        else:
            raise InputError(
                f"{where}: format_version {version!r} is not one this tracktwo reads (1 or 2); "
                "restore it with the tracktwo that wrote it"
            )
        strange = sorted(set(names) - set(self.known))
        if strange:
            raise InputError(
                f"{where}: the backup holds a table {strange[0]!r} this registry lacks"
            )
        self.header = record
        self.rows = {name: [] for name in names}

    def _check_complete(self) -> None:
        if self.header is None:
            raise InputError(f"{self.path}: the file is empty")
        found = {name: len(rows) for name, rows in self.rows.items()}
        if self.footer is None or self.footer.get("rows") != found:
            raise InputError(
                f"{self.path}: the backup is incomplete (its end line is missing or its counts "
                f"differ from the {found} rows read)"
            )

    def _check_parents(self) -> None:
        """Every foreign key names a row of the backup (the database would check it too,
        but cannot name the line)."""
        for table in self.tables:
            for foreign in table.foreign_keys:
                parent, column = foreign.column.table.name, foreign.parent.name
                if parent not in self.rows:
                    continue
                present = {row[foreign.column.name] for row in self.rows[parent]}
                for row in self.rows[table.name]:
                    if row[column] is not None and row[column] not in present:
                        raise InputError(
                            f"{self.path}: line {self._line(table, row)}: {column} "
                            f"{row[column]} names no row of {parent} in the backup"
                        )

    def _line(self, table: Table, row: dict[str, Any]) -> int:
        return self.line_of[(table.name, tuple(row[column.name] for column in _key(table)))]


# -- restoring -------------------------------------------------------------------------------


def _row_counts(connection: Connection, tables: list[Table]) -> dict[str, int]:
    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in tables
    }


def _check_target(connection: Connection, contents: _Contents, replace: bool) -> None:
    assert contents.header is not None
    wanted, present = contents.header.get("schema_revision"), _revision(connection)
    if wanted != present:
        raise InputError(
            f"schema_revision: the backup was written at schema revision {wanted}, this "
            f"registry is at {present}; restore into a registry at the same revision"
        )
    counts = _row_counts(connection, list(contents.known.values()))
    held = {name: n for name, n in counts.items() if n}
    if held and not replace:
        listed = ", ".join(f"{n} {name}" for name, n in held.items())
        raise InputError(
            f"the registry is not empty ({listed}); restore into an empty registry, "
            "or empty it first with replace=True (--replace on the command line)"
        )
    # a table the backup does not hold (a format 1 file) cannot be emptied by --replace
    # without losing its rows, nor kept without cutting its links to the restored ones
    outside = [name for name in held if name not in contents.rows]
    if outside:
        raise InputError(
            f"{contents.path}: line 1: this backup (format_version "
            f"{contents.header.get('format_version')}) holds no {', '.join(outside)}, and this "
            "registry does; restore it into an empty registry"
        )


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        keys = _key(table)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        reset_serial_sequence(connection, quote(table.name), quote(keys[0].name), keys[0].name)


def restore(
    registry: Registry, path: str | os.PathLike[str], *, replace: bool = False
) -> dict[str, int]:
    """Restore a backup into an empty registry (``replace=True`` empties it first);
    all-or-nothing. Returns the rows restored per table."""
    source = Path(path)
    if not source.is_file():
        raise InputError(f"path: no such file: {source}")
    try:
        with registry.engine.connect() as connection:
            tables = registry_tables(connection)
        contents = _Contents(source, tables)
        with registry.engine.begin() as connection:
            _check_target(connection, contents, replace)
            # children first, so no ON DELETE rule fires on a row that is to stay
            for table in reversed(contents.tables):
                connection.execute(delete(table))
            for table in contents.tables:
                rows = contents.rows[table.name]
                for start in range(0, len(rows), _CHUNK):
                    connection.execute(insert(table), rows[start : start + _CHUNK])
            if registry.dialect == "postgresql":
                _reset_sequences(connection, contents.tables)
    except (IntegrityError, DataError, ProgrammingError) as exc:
        raise InputError(f"{source}: the rows break a rule of the registry: {exc.orig}") from None
    except OperationalError as exc:
        raise EngineError(f"the registry database failed: {exc.orig}") from exc
    return {table.name: len(contents.rows[table.name]) for table in contents.tables}
