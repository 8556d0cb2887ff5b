"""The registry database: a SQLite file in the data directory by default (WAL mode), or
PostgreSQL when given ``--db postgresql+psycopg://...`` or ``TRACKTWO_DB``.

Schema changes go through Alembic migrations (``migrations/``), run by ``upgrade()``;
every write happens inside ``session()``, which commits everything or nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tracktwo._config import resolve_home
from tracktwo._errors import ConfigError, EngineError
from tracktwo.store import set_sqlite_pragmas

__all__ = ["REGISTRY_FILE", "Registry"]

REGISTRY_FILE = "registry.sqlite"
_MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    set_sqlite_pragmas(dbapi_connection)


def _engine(url: str) -> Engine:
    try:
        engine = create_engine(url)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise ConfigError(f"cannot use the database URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Registry:
    """The bridges registry: actors, ties and activities in SQLite or PostgreSQL."""

    def __init__(
        self,
        url: str | None = None,
        *,
        home: str | os.PathLike[str] | None = None,
        upgrade: bool = True,
    ) -> None:
        chosen = url or os.environ.get("TRACKTWO_DB")
        if not chosen:
            chosen = f"sqlite:///{(resolve_home(home) / REGISTRY_FILE).resolve()}"
        self.url = chosen
        self.engine = _engine(chosen)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if upgrade:
            self.upgrade()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _alembic(self, connection: Any) -> Config:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (the newest by default)."""
        self._migrate(command.upgrade, revision)

    def downgrade(self, revision: str = "base") -> None:
        self._migrate(command.downgrade, revision)

    def _migrate(self, action: Any, revision: str) -> None:
        try:
            with self.engine.begin() as connection:
                action(self._alembic(connection), revision)
        except OperationalError as exc:
            raise EngineError(f"cannot reach the registry database: {exc.orig}") from exc

    def tables(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: everything inside commits together, or nothing does."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except OperationalError as exc:
            raise EngineError(f"the registry database failed: {exc.orig}") from exc
        finally:
            session.close()

    def read(self) -> Session:
        """A session for reading (the caller closes it)."""
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
