"""``tracktwo events fetch``: download GDELT 2.0 exports for a date range and ingest one dyad.

Thin: options are checked here, the work is ``tracktwo.events._fetch.fetch_gdelt``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from tracktwo._errors import InputError
from tracktwo.cli._app import state
from tracktwo.cli._common import progress_bar
from tracktwo.cli._output import FormatOption, OutputFormat, emit, err_console, output_options
from tracktwo.events import (
    DEFAULT_MASTERLIST,
    MASTERLIST_ENV,
    FetchReport,
    fetch_gdelt,
    parse_dyads,
)

__all__ = ["register"]

_DATE_FORMATS = ["%Y-%m-%d"]


def _check_dyads(values: list[str] | None) -> list[str]:
    """Reject a bad --dyad before anything is downloaded (exit status 2, one clear line)."""
    try:
        parse_dyads(values or [])
    except InputError as exc:
        raise typer.BadParameter(str(exc).removeprefix("--dyad ")) from exc
    return values or []


def _print_report(report: FetchReport, fmt: OutputFormat) -> None:
    emit(report.as_rows(), fmt, title="GDELT fetch")
    problems = report.problem_rows()
    if not problems:
        return
    if fmt is OutputFormat.table:
        emit(problems, fmt, title="Missing or corrupt files (run again to retry them)")
        return
    # csv/json stdout stays one document; the file list goes to stderr for people
    for row in problems:
        err_console.print(f"{row['status']}: {row['url']} ({row['reason']})", highlight=False)


def fetch(
    since: Annotated[
        datetime, typer.Option(formats=_DATE_FORMATS, help="First day (YYYY-MM-DD, UTC).")
    ],
    until: Annotated[
        datetime, typer.Option(formats=_DATE_FORMATS, help="Last day, included (YYYY-MM-DD).")
    ],
    dyad: Annotated[
        list[str] | None,
        typer.Option(
            callback=_check_dyads,
            help="Country pair to keep, e.g. KHM-USA (both directions); repeatable. "
            "None: keep every event.",
        ),
    ] = None,
    masterlist: Annotated[
        str,
        typer.Option(envvar=MASTERLIST_ENV, help="URL or local path of masterfilelist.txt."),
    ] = DEFAULT_MASTERLIST,
    download_dir: Annotated[
        Path | None,
        typer.Option(help="Where downloads go (default <data directory>/downloads)."),
    ] = None,
    keep_zips: Annotated[
        bool, typer.Option("--keep-zips", help="Keep the downloaded zip files.")
    ] = False,
    ingest: Annotated[
        bool,
        typer.Option("--ingest/--no-ingest", help="Ingest the filtered rows into the store."),
    ] = True,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Download GDELT 2.0 event exports for [SINCE, UNTIL], keep the dyads, ingest them.

    Files already fetched (same MD5) are skipped, so running again resumes. Exits with
    status 1 when a file is missing or corrupt.
    """
    from tracktwo.store import EventStore

    if since.date() > until.date():
        raise typer.BadParameter(
            f"{since.date().isoformat()} is after --until {until.date().isoformat()}",
            param_hint="--since",
        )
    store = EventStore(state.home, write=True)
    with store, progress_bar("reading the master file list") as bar:
        report = fetch_gdelt(
            store,
            since=since.date(),
            until=until.date(),
            dyads=parse_dyads(dyad or []),
            masterlist=masterlist,
            download_dir=download_dir,
            progress=bar.update,
            on_file=bar.describe,
            ingest=ingest,
            keep_zips=keep_zips,
        )
    _print_report(report, fmt)
    if not report.complete:
        raise typer.Exit(1)


def register(events_app: typer.Typer) -> None:
    """Add ``fetch`` to the ``events`` sub-app."""
    events_app.command("fetch")(output_options(fetch))
