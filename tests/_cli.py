"""tracktwo's commands run in process, for the tests that check what a command prints."""

from __future__ import annotations

from pathlib import Path


def run_ok(home: Path, *args: str) -> list[str]:
    """``tracktwo --home HOME ARGS`` in process (the signals and votes commands registered);
    its output lines, once it has exited 0."""
    from typer.testing import CliRunner

    import tracktwo.cli._signals  # noqa: F401  (registers the commands)
    from tracktwo.cli._app import app

    result = CliRunner().invoke(app, ["--home", str(home), *args])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()
