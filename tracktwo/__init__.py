"""tracktwo: Track Two diplomacy toolkit.

Measure a country pair's relationship by channel (pulse), map the ties between them
(bridges), and recommend new partnerships (match).
"""

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
    "resolve_home",
]
