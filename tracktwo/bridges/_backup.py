"""Back up the whole registry to one file and restore it, every row and id kept.

The file is JSON Lines (gzipped when its name ends in ``.gz``)::

    {"format": "tracktwo-bridges-backup", "format_version": 1, "schema_revision": "0001", ...}
    {"table": "actors", "row": {"id": 1, "name": "Phnom Penh", "local_name": "ភ្នំពេញ", ...}}
    {"table": "ties", "row": {...}}
    {"table": "activities", "row": {...}}
    {"end": true, "rows": {"actors": 2, "ties": 1, "activities": 1}}

The last line's counts catch a truncated file. Dates are ISO text. The rows are read in one
snapshot (REPEATABLE READ on PostgreSQL, one read transaction on SQLite), so a backup taken
while others edit is still consistent.

A restore reads and checks the whole file before it writes anything, then writes every row in
one transaction, into an empty registry only (``replace=True`` empties it first, in the same
transaction). Ids and versions are kept; on PostgreSQL the id sequences are moved past the
restored ids so the next insert gets a fresh id.
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

from sqlalchemy import Connection, Date, DateTime, Table, delete, func, insert, select, text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError

from tracktwo._errors import EngineError, FileFormatError, InputError
from tracktwo.bridges._models import Activity, Actor, Tie
from tracktwo.bridges._registry import Registry

__all__ = ["BACKUP_FORMAT", "backup", "restore"]

BACKUP_FORMAT = "tracktwo-bridges-backup"
_FORMAT_VERSION = 1
# parents before children, so foreign keys hold while restoring
TABLES: tuple[Table, ...] = (Actor.__table__, Tie.__table__, Activity.__table__)  # type: ignore[assignment]
_BY_NAME = {table.name: table for table in TABLES}
_PARENTS = {"ties": {"actor_a_id": "actors", "actor_b_id": "actors"},
            "activities": {"tie_id": "ties"}}  # fmt: skip
_CHUNK = 1000


# -- writing ---------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _open_for_writing(path: Path) -> tuple[IO[str], Path]:
    # written beside the target and renamed at the end: a failed backup leaves no half file
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
        # pysqlite opens no transaction for SELECTs: open one, so all three tables are read
        # from the same snapshot
        connection.exec_driver_sql("BEGIN")
    return connection


def _revision(connection: Connection) -> str | None:
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backup(registry: Registry, path: str | os.PathLike[str]) -> dict[str, int]:
    """Write every actor, tie and activity to ``path``; returns the rows written per table."""
    target = Path(path)
    if not target.parent.is_dir():
        raise InputError(f"path: the folder {target.parent} does not exist")
    counts = dict.fromkeys(_BY_NAME, 0)
    handle, temporary = _open_for_writing(target)
    try:
        with handle, _snapshot(registry) as connection:
            header = {"format": BACKUP_FORMAT, "format_version": _FORMAT_VERSION,
                      "schema_revision": _revision(connection), "dialect": registry.dialect,
                      "written_at": datetime.now().isoformat(timespec="seconds")}  # fmt: skip
            handle.write(json.dumps(header) + "\n")
            for table in TABLES:
                counts[table.name] = _write_table(connection, table, handle)
            handle.write(json.dumps({"end": True, "rows": counts}) + "\n")
        os.replace(temporary, target)
    except OperationalError as exc:
        raise EngineError(f"the registry database failed: {exc.orig}") from exc
    finally:
        temporary.unlink(missing_ok=True)
    return counts


def _write_table(connection: Connection, table: Table, handle: IO[str]) -> int:
    query = select(table).order_by(table.c.id).execution_options(yield_per=_CHUNK)
    written = 0
    for row in connection.execute(query).mappings():
        record = {key: _json_value(value) for key, value in row.items()}
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
    if not isinstance(row, dict) or "id" not in row:
        raise InputError(f"{where}: 'row' must be an object with an id")
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
    if not isinstance(typed["id"], int) or isinstance(typed["id"], bool):
        raise InputError(f"{where}: id must be a whole number, not {typed['id']!r}")
    return typed


def _from_iso(kind: Any, value: Any, where: str) -> date | datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{where}: {value!r} is not an ISO date") from None
    return parsed if isinstance(kind, DateTime) else parsed.date()


class _Contents:
    """A backup file read and checked in full: its header and its rows per table."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.header: dict[str, Any] | None = None
        self.footer: dict[str, Any] | None = None
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in _BY_NAME}
        self.line_of: dict[tuple[str, int], int] = {}
        for number, line in _lines(path):
            if line.strip():
                self._take(number, _parse(path, number, line))
        self._check_complete()
        self._check_parents()

    def _take(self, number: int, record: dict[str, Any]) -> None:
        where = f"{self.path}: line {number}"
        if self.footer is not None:
            raise InputError(f"{where}: text after the end line")
        if self.header is None:
            if record.get("format") != BACKUP_FORMAT:
                raise InputError(f"{where}: not a tracktwo bridges backup (no header line)")
            self.header = record
        elif record.get("end") is True:
            self.footer = record
        elif record.get("table") in _BY_NAME:
            row = _typed(_BY_NAME[record["table"]], record.get("row"), where)
            if (record["table"], row["id"]) in self.line_of:
                raise InputError(f"{where}: a second {record['table']} row with id {row['id']}")
            self.line_of[(record["table"], row["id"])] = number
            self.rows[record["table"]].append(row)
        else:
            raise InputError(f"{where}: unknown table {record.get('table')!r}")

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
        for child, columns in _PARENTS.items():
            for row in self.rows[child]:
                for column, parent in columns.items():
                    if (parent, row[column]) not in self.line_of:
                        line = self.line_of[(child, row["id"])]
                        raise InputError(
                            f"{self.path}: line {line}: {column} {row[column]} names no row "
                            f"of {parent} in the backup"
                        )


# -- restoring -------------------------------------------------------------------------------


def _row_counts(connection: Connection) -> dict[str, int]:
    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in TABLES
    }


def _check_target(connection: Connection, contents: _Contents, replace: bool) -> None:
    assert contents.header is not None
    wanted, present = contents.header.get("schema_revision"), _revision(connection)
    if wanted != present:
        raise InputError(
            f"schema_revision: the backup was written at schema revision {wanted}, this "
            f"registry is at {present}; restore into a registry at the same revision"
        )
    counts = _row_counts(connection)
    if any(counts.values()) and not replace:
        held = ", ".join(f"{n} {name}" for name, n in counts.items())
        raise InputError(
            f"the registry is not empty ({held}); restore into an empty registry, "
            "or empty it first with replace=True (--replace on the command line)"
        )


def _reset_sequences(connection: Connection) -> None:
    for table in TABLES:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"
        ))  # fmt: skip


def restore(
    registry: Registry, path: str | os.PathLike[str], *, replace: bool = False
) -> dict[str, int]:
    """Restore a backup into an empty registry (``replace=True`` empties it first);
    all-or-nothing. Returns the rows restored per table."""
    source = Path(path)
    if not source.is_file():
        raise InputError(f"path: no such file: {source}")
    contents = _Contents(source)
    try:
        with registry.engine.begin() as connection:
            _check_target(connection, contents, replace)
            for table in reversed(TABLES):
                connection.execute(delete(table))
            for table in TABLES:
                rows = contents.rows[table.name]
                for start in range(0, len(rows), _CHUNK):
                    connection.execute(insert(table), rows[start : start + _CHUNK])
            if registry.dialect == "postgresql":
                _reset_sequences(connection)
    except (IntegrityError, DataError, ProgrammingError) as exc:
        raise InputError(f"{source}: the rows break a rule of the registry: {exc.orig}") from None
    except OperationalError as exc:
        raise EngineError(f"the registry database failed: {exc.orig}") from exc
    return {name: len(rows) for name, rows in contents.rows.items()}
