"""Where tracktwo keeps its data: ``--home`` beats ``TRACKTWO_HOME`` beats ``./tracktwo-data``."""

from __future__ import annotations

import os
from pathlib import Path

from tracktwo._errors import ConfigError

__all__ = ["DEFAULT_HOME", "resolve_home"]

DEFAULT_HOME = Path("tracktwo-data")


def resolve_home(home: str | os.PathLike[str] | None = None, *, create: bool = True) -> Path:
    """Return the data directory, creating it when asked."""
    chosen = Path(home) if home else Path(os.environ.get("TRACKTWO_HOME") or DEFAULT_HOME)
    if chosen.exists() and not chosen.is_dir():
        raise ConfigError(f"data directory {chosen} exists and is not a directory")
    if create:
        try:
            chosen.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create data directory {chosen}: {exc.strerror}") from exc
    return chosen
