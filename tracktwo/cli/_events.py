"""``tracktwo events ...``: ingest event files, look at the quarantine and what is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tracktwo._errors import FileFormatError, InputError
from tracktwo.cli._app import app, state
from tracktwo.cli._output import FormatOption, OutputFormat, console, emit, err_console
from tracktwo.events import IngestReport, ingest_paths, quarantine_rows, store_status
from tracktwo.store import EventStore
from tracktwo.taxonomy import load_taxonomy

events_app = typer.Typer(help="Event data: ingest GDELT / ICEWS files, fetch GDELT, quarantine.")
app.add_typer(events_app, name="events")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


@events_app.command("ingest")
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="GDELT 1.0/2.0 or ICEWS files (.zip/.gz ok).")
    ],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Ingest event files: each all-or-nothing; bad rows go to the quarantine."""
    if not paths:
        raise InputError("give at least one file to ingest")
    with EventStore(state.home) as store, _progress() as progress:
        task = progress.add_task("ingesting", total=len(paths))

        def done(path: Path, outcome: IngestReport | FileFormatError) -> None:
            progress.update(task, advance=1, description=path.name)

        reports, failures = ingest_paths(
            store, paths, taxonomy=load_taxonomy(state.taxonomy), on_file_done=done
        )
    emit([r.as_row() for r in reports], fmt, title="Ingested")
    for failure in failures:
        err_console.print(f"[bold red]Not ingested:[/] {escape(str(failure))}", highlight=False)
    quarantined = sum(r.rows_quarantined for r in reports)
    if quarantined and fmt is OutputFormat.table:
        console.print(f"{quarantined} row(s) quarantined: see `tracktwo events quarantine`.")
    if failures:
        raise typer.Exit(2)


@events_app.command("quarantine")
def quarantine(
    file: Annotated[str | None, typer.Option(help="Only rows from this source file.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Rows that could not be read: file, line and reason."""
    with EventStore(state.home) as store:
        emit(quarantine_rows(store, source_file=file, limit=limit), fmt, title="Quarantine")


@events_app.command("status")
def status(fmt: FormatOption = OutputFormat.table) -> None:
    """What the store holds: events per source format, files, quarantined rows."""
    with EventStore(state.home) as store:
        emit(store_status(store), fmt, title=f"Event store {store.path}")


try:  # the fetch command lives in its own module
    from tracktwo.cli._fetch import register as _register_fetch
except ImportError:  # pragma: no cover - only while the module is being written
    pass
else:
    _register_fetch(events_app)
