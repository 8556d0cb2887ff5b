"""tracktwo: Track Two diplomacy toolkit.

Measure a country pair's relationship by channel (pulse), map the ties between them
(bridges), and recommend new partnerships (match).

In a notebook: ``t = tracktwo.open("tracktwo-data")``, then ``t.pulse("KHM", "USA")`` and
the other tables of docs/python.md.
"""

from typing import TYPE_CHECKING, Any

from tracktwo._config import resolve_home
from tracktwo._errors import (
    ConfigError,
    ConflictError,
    EngineError,
    FetchError,
    FileFormatError,
    InputError,
    NotFoundError,
    TrackTwoError,
    UnknownCodeError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ConflictError",
    "EngineError",
    "FetchError",
    "FileFormatError",
    "InputError",
    "NotFoundError",
    "TrackTwoError",
    "UnknownCodeError",
    "__version__",
    "open",
    "resolve_home",
]

if TYPE_CHECKING:
    from tracktwo.api import open


def __getattr__(name: str) -> Any:
    """``tracktwo.open`` loads the notebook API (a shell, layer 4) on first use: the one
    import of the root package that goes up the layers, made lazy on purpose so that
    ``import tracktwo`` (every command, the errors, the version) loads nothing heavy."""
    if name == "open":
        from tracktwo.api import open as opener

        globals()["open"] = opener  # later lookups skip __getattr__
        return opener
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
