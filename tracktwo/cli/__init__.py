"""Typer commands: thin, one library call each."""

from tracktwo.cli import _bridges, _events, _pulse, _signals  # noqa: F401  (register the commands)
from tracktwo.cli._app import app, main

__all__ = ["app", "main"]
