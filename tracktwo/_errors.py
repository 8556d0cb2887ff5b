"""The one exception root of tracktwo.

Every error tracktwo raises on purpose is a ``TrackTwoError``. Each subclass also
inherits the builtin a caller would naturally catch, so ``except ValueError`` keeps
working for code that does not know tracktwo::

    TrackTwoError
     ├── InputError (ValueError)          bad user input: a file, a row, a field, an option
     │    ├── FieldError                   one named field is not valid (the API says 422)
     │    ├── FileFormatError              a file that cannot be read at all
     │    └── UnknownCodeError (KeyError)  a country, CAMEO or actor-type code it does not know
     ├── NotFoundError (LookupError)       something asked for is not in the store
     ├── FetchError (OSError)              a download failed in a way that stops the whole run
     ├── ConflictError (RuntimeError)      a row changed since the editor read it
     ├── NotAllowedError (PermissionError) not this person's to do (another's profile ...)
     ├── LimitError (RuntimeError)         too many requests or flags in a day
     ├── ConfigError (ValueError)          a setting, a mapping file or the data folder is wrong
     └── EngineError (RuntimeError)        a query engine (DuckDB, Spark) cannot start or run

The CLI prints ``str(error)`` for these and exits with status 2 (input) or 1 (other);
only ``--debug`` shows a traceback.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConflictError",
    "EngineError",
    "FetchError",
    "FieldError",
    "FileFormatError",
    "InputError",
    "LimitError",
    "NotAllowedError",
    "NotFoundError",
    "TrackTwoError",
    "UnknownCodeError",
]


class TrackTwoError(Exception):
    """Root of every error tracktwo raises on purpose."""

    exit_code = 1


class InputError(TrackTwoError, ValueError):
    """Bad input from the user: a file, a row, a field or an option."""

    exit_code = 2


class FieldError(InputError):
    """One named field of a request is not valid (an e-mail address that is not one mailbox):
    the API answers 422 with ``fields``, as it does for a request its schema refuses."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class FileFormatError(InputError):
    """A file that cannot be read at all: truncated, wrong encoding, not an event file."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnknownCodeError(InputError, KeyError):
    """A code (country, CAMEO event, actor type) that the taxonomy does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NotFoundError(TrackTwoError, LookupError):
    """Something asked for is not in the store."""

    exit_code = 2


class FetchError(TrackTwoError, OSError):
    """A download failed in a way that stops the whole run."""


class ConflictError(TrackTwoError, RuntimeError):
    """The row changed since the editor read it: reload it and apply the change again."""


class ConfigError(TrackTwoError, ValueError):
    """A setting, a mapping file or the data directory is wrong."""

    exit_code = 2


class EngineError(TrackTwoError, RuntimeError):
    """A query engine could not be started or used."""


class NotAllowedError(TrackTwoError, PermissionError):
    """The person asking may not do this: someone else's profile or request, an unconfirmed
    e-mail address, a profile not yet approved. ``code`` says which, for the API."""

    def __init__(self, message: str, code: str = "forbidden") -> None:
        super().__init__(message)
        self.code = code


class LimitError(TrackTwoError, RuntimeError):
    """A limit per day was reached (partnership requests, flags): try again later."""
