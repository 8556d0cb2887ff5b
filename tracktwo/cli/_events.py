"""``tracktwo events ...``: ingest event files, import per-source totals, look at the
quarantine, what is stored and which actors are unplaced, export the stored events."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape

from tracktwo._errors import InputError
from tracktwo.cli._app import app, state
from tracktwo.cli._common import progress_bar
from tracktwo.cli._output import (
    FormatOption,
    OutputFormat,
    console,
    emit,
    err_console,
    output_options,
)
from tracktwo.events import (
    DEFAULT_BATCH_FILES,
    DEFAULT_BATCH_SECONDS,
    event_export_format,
    export_events,
    ingest_paths,
    parse_dyads,
    quarantine_rows,
    source_status,
    store_status,
    unplaced_actors,
)
from tracktwo.pulse import import_source_totals
from tracktwo.store import EventStore, store_wait
from tracktwo.taxonomy import load_taxonomy

events_app = typer.Typer(help="Event data: ingest GDELT / ICEWS files, fetch GDELT, quarantine.")
app.add_typer(events_app, name="events")


@events_app.command("ingest")
@output_options
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="GDELT 1.0/2.0 or ICEWS files (.zip/.gz ok).")
    ],
    source: Annotated[
        str | None,
        typer.Option(help="The data set the files belong to (e.g. icews18); default: format."),
    ] = None,
    batch_files: Annotated[
        int,
        typer.Option(min=1, help="Commit (and publish for readers) every N files."),
    ] = DEFAULT_BATCH_FILES,
    batch_seconds: Annotated[
        float,
        typer.Option(min=0, help="... or every S seconds, whichever comes first."),
    ] = DEFAULT_BATCH_SECONDS,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Ingest event files, committed in batches: each batch all-or-nothing, a file that
    cannot be read is refused alone; bad rows go to the quarantine."""
    if not paths:
        raise InputError("give at least one file to ingest")
    with EventStore(state.home, write=True) as store, progress_bar("ingesting", len(paths)) as bar:

        def read(path: Path) -> None:
            bar.advance(path.name)

        reports, failures = ingest_paths(
            store, paths, taxonomy=load_taxonomy(state.taxonomy), on_file_read=read,
            source=source, batch_files=batch_files, batch_seconds=batch_seconds,
        )  # fmt: skip
    emit([r.as_row() for r in reports], fmt, title="Ingested")
    for failure in failures:
        err_console.print(f"[bold red]Not ingested:[/] {escape(str(failure))}", highlight=False)
    quarantined = sum(r.rows_quarantined for r in reports)
    if quarantined and fmt is OutputFormat.table:
        console.print(f"{quarantined} row(s) quarantined: see `tracktwo events quarantine`.")
    if failures:
        raise typer.Exit(2)


def _status_title(store: EventStore) -> str:
    """Which snapshot the figures are of: a reader sees the store as of one commit."""
    snapshot = store.manifest
    if snapshot is None:
        return f"Event store {store.home}"
    return (
        f"Event store {store.home} (snapshot {snapshot.version}, published "
        f"{snapshot.published_at.replace('T', ' ').replace('Z', ' UTC')})"
    )


@events_app.command("quarantine")
@output_options
def quarantine(
    file: Annotated[str | None, typer.Option(help="Only rows from this source file.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Rows that could not be read: file, line and reason."""
    with EventStore(state.home, wait=store_wait()) as store:
        emit(quarantine_rows(store, source_file=file, limit=limit), fmt, title="Quarantine")


@events_app.command("totals")
@output_options
def totals(
    file: Annotated[
        Path, typer.Argument(help="CSV: dataset (or source), month (YYYY-MM), events_all_actors.")
    ],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Store each source's monthly event totals: the denominators of per_100k in the pulse."""
    with EventStore(state.home, write=True) as store:
        report = import_source_totals(store, file)
    row = {**asdict(report), "sources": ", ".join(report.sources)}
    emit([row], fmt, title="Source totals stored")


# unplaced actors named in the summary line of `events status`
_UNPLACED_SHOWN = 5


def _unplaced_line(unplaced: pd.DataFrame) -> str:
    """One sentence: how many names are unplaced, the most frequent with their event counts."""
    shown = ", ".join(
        f"{escape(str(row.name))} ({row.events})"
        for row in unplaced.head(_UNPLACED_SHOWN).itertuples(index=False)
    )
    more = " …" if len(unplaced) > _UNPLACED_SHOWN else ""
    return (
        f"{len(unplaced)} ICEWS actor name(s) in {int(unplaced['events'].sum())} event(s) have "
        f"no country: {shown}{more}. List them with `tracktwo events status --unplaced`; "
        "place them in icews_actors.csv (docs/icews.md)."
    )


@events_app.command("status")
@output_options
def status(
    unplaced: Annotated[
        bool, typer.Option("--unplaced", help="List the ICEWS actors left without a country.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """What the store holds: events per source format and per source, files, quarantined rows,
    and the ICEWS actors no country could be given to."""
    with EventStore(state.home, wait=store_wait()) as store:
        if unplaced:
            emit(unplaced_actors(store, load_taxonomy(state.taxonomy)), fmt,
                 title="ICEWS actors without a country")  # fmt: skip
            return
        emit(store_status(store), fmt, title=_status_title(store))
        if fmt is not OutputFormat.table:
            return
        emit(source_status(store), fmt, title="Sources (events seen in each; months with totals)")
        left = unplaced_actors(store, load_taxonomy(state.taxonomy))
    if left.empty:
        console.print("Every ICEWS actor has a country (or none on purpose, as the UN).")
    else:
        console.print(_unplaced_line(left))


_DAY = ["%Y-%m-%d"]


@events_app.command("export")
def export(
    to: Annotated[
        Path,
        typer.Option("--to", help="The file to write: .parquet, .arrow (Arrow IPC) or .csv."),
    ],
    since: Annotated[
        datetime | None, typer.Option(formats=_DAY, help="First day (YYYY-MM-DD), included.")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(formats=_DAY, help="Last day (YYYY-MM-DD), included.")
    ] = None,
    dyad: Annotated[
        list[str] | None,
        typer.Option(help="Country pair, e.g. KHM-USA (both directions); repeatable. "
                          "None: every event."),
    ] = None,
) -> None:  # fmt: skip
    """Write the stored events (all columns, re-emissions flagged) of a date range and some
    dyads to a Parquet, Arrow or CSV file, whole or not at all."""
    # every option checked before the store is opened; each error names its option (exit 2)
    event_export_format(to, option="--to")
    dyads = parse_dyads(dyad or [])
    first, last = (None if d is None else d.date() for d in (since, until))
    if first is not None and last is not None and first > last:
        raise InputError(f"--since {first.isoformat()} is after --until {last.isoformat()}")
    with EventStore(state.home, wait=store_wait()) as store, progress_bar("exporting") as bar:
        done = export_events(store, to, since=first, until=last, dyads=dyads,
                             on_progress=bar.update)  # fmt: skip
    err_console.print(f"Exported {done.rows} event(s) to {escape(str(done.path))} ({done.fmt}).",
                      highlight=False)  # fmt: skip


try:  # the fetch command lives in its own module
    from tracktwo.cli._fetch import register as _register_fetch
except ImportError:  # pragma: no cover - only while the module is being written
    pass
else:
    _register_fetch(events_app)
