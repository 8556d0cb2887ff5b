"""Typer commands: thin, one library call each."""

from tracktwo.cli import (  # noqa: F401  (register the commands)
    _bridges,
    _bridges_edit,
    _bridges_io,
    _bridges_score,
    _compare,
    _demo,
    _doors,
    _events,
    _match,
    _pulse,
    _report,
    _serve,
    _signals,
    _votes_ideal,
)
from tracktwo.cli._app import app, main

__all__ = ["app", "main"]
