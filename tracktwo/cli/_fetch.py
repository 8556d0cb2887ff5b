"""``tracktwo events fetch``: download GDELT 2.0 exports for a date range, or follow GDELT's
``lastupdate.txt`` (``--follow``), and ingest one dyad.

Thin: options are checked here, the work is ``tracktwo.events.fetch_gdelt`` /
``tracktwo.events.follow_gdelt``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from tracktwo._errors import FetchError, InputError
from tracktwo.cli._app import state
from tracktwo.cli._common import progress_bar
from tracktwo.cli._output import FormatOption, OutputFormat, emit, err_console, output_options
from tracktwo.events import (
    DEFAULT_BATCH_FILES,
    DEFAULT_JOBS,
    DEFAULT_LASTUPDATE,
    DEFAULT_MASTERLIST,
    LASTUPDATE_ENV,
    MASTERLIST_ENV,
    FetchReport,
    fetch_gdelt,
    follow_gdelt,
    parse_dyads,
    parse_interval,
)

__all__ = ["register", "round_line"]

_DATE_FORMATS = ["%Y-%m-%d"]


def _check_dyads(values: list[str] | None) -> list[str]:
    """Reject a bad --dyad before anything is downloaded (exit status 2, one clear line)."""
    try:
        parse_dyads(values or [])
    except InputError as exc:
        raise typer.BadParameter(str(exc).removeprefix("--dyad ")) from exc
    return values or []


def _check_every(value: str | None) -> str | None:
    """Reject a bad --every while the command line is parsed (exit status 2, naming it)."""
    if value is not None:
        try:
            parse_interval(value)
        except InputError as exc:
            raise typer.BadParameter(str(exc).removeprefix("--every ")) from exc
    return value


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


def round_line(number: int, report: FetchReport) -> str:
    """The one stderr line of a ``--every`` round, e.g. ``round 2, 20:45:03 UTC: 3 new files
    up to 20180301011500 (list: cached): 3 fetched, 0 already fetched, 0 missing, 0 corrupt;
    41 rows kept``."""
    now = datetime.now().astimezone().strftime("%H:%M:%S %Z")
    through = f" up to {report.through:%Y%m%d%H%M%S}" if report.through else ""
    return (
        f"round {number}, {now}: {report.expected} new file{'' if report.expected == 1 else 's'}"
        f"{through} "
        f"(list: {report.list_source}): {report.fetched} fetched, "
        f"{report.already_fetched} already fetched, {len(report.missing)} missing, "
        f"{len(report.corrupt)} corrupt; {report.rows_kept} rows kept"
    )


def _print_round(number: int, report: FetchReport) -> None:
    err_console.print(round_line(number, report), highlight=False, soft_wrap=True)
    for row in report.problem_rows():
        err_console.print(f"  {row['status']}: {row['url']} ({row['reason']})", highlight=False,
                          soft_wrap=True)  # fmt: skip


def _print_round_error(number: int, error: FetchError) -> None:
    err_console.print(f"round {number}: {error} (trying again next round)", highlight=False,
                      soft_wrap=True)  # fmt: skip


def _check_mode(follow: bool, since: date | None, until: date | None, every: str | None) -> None:
    """--since/--until for a range; --follow (with --since at most) for lastupdate.txt."""
    if follow:
        if until is not None:
            raise typer.BadParameter("cannot be used with --follow", param_hint="--until")
        return
    if every is not None:
        raise typer.BadParameter("needs --follow", param_hint="--every")
    if since is None or until is None:
        missing = "--since" if since is None else "--until"
        raise typer.BadParameter("is needed (or --follow)", param_hint=missing)
    if since > until:
        raise typer.BadParameter(
            f"{since.isoformat()} is after --until {until.isoformat()}", param_hint="--since"
        )


def fetch(
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=_DATE_FORMATS,
            help="First day (YYYY-MM-DD, UTC). With --follow: "
            "where a first run starts (default: lastupdate's file only).",
        ),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(formats=_DATE_FORMATS, help="Last day, included (YYYY-MM-DD)."),
    ] = None,
    dyad: Annotated[
        list[str] | None,
        typer.Option(
            callback=_check_dyads,
            help="Country pair to keep, e.g. KHM-USA (both directions); repeatable. "
            "None: keep every event.",
        ),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            help="Fetch what GDELT published since the last run "
            "(read from lastupdate.txt), then exit; with --every, keep polling.",
        ),
    ] = False,
    every: Annotated[
        str | None,
        typer.Option(
            callback=_check_every,
            metavar="INTERVAL",
            help="With --follow: poll again this often, e.g. 15m, 30s, 1h, until "
            "Ctrl-C; each round prints one line to stderr.",
        ),
    ] = None,
    rounds: Annotated[
        int | None, typer.Option(min=1, hidden=True, help="Stop --every after N rounds.")
    ] = None,
    lastupdate: Annotated[
        str,
        typer.Option(envvar=LASTUPDATE_ENV, help="URL or local path of lastupdate.txt."),
    ] = DEFAULT_LASTUPDATE,
    masterlist: Annotated[
        str,
        typer.Option(envvar=MASTERLIST_ENV, help="URL or local path of masterfilelist.txt."),
    ] = DEFAULT_MASTERLIST,
    jobs: Annotated[
        int, typer.Option(min=1, max=32, help="Files downloaded at the same time.")
    ] = DEFAULT_JOBS,
    batch_files: Annotated[
        int, typer.Option(min=1, help="Store the kept files in one commit every N files.")
    ] = DEFAULT_BATCH_FILES,
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
    """Download GDELT 2.0 event exports for [SINCE, UNTIL] (or, with --follow, those new since
    the last run), keep the dyads, ingest them.

    Files already fetched (same MD5) are skipped, so running again resumes. Exits with
    status 1 when a file is missing or corrupt.
    """
    from tracktwo.store import EventStore

    first, last = (since.date() if since else None), (until.date() if until else None)
    _check_mode(follow, first, last, every)
    pairs = parse_dyads(dyad or [])
    with EventStore(state.home, write=True) as store:
        if follow and every:  # a poller: one line per round, no bar
            follow_gdelt(
                store, dyads=pairs, lastupdate=lastupdate, masterlist=masterlist, since=first,
                every=parse_interval(every), max_rounds=rounds, on_round=_print_round,
                on_error=_print_round_error, jobs=jobs, download_dir=download_dir,
                ingest=ingest, keep_zips=keep_zips, batch_files=batch_files,
            )  # fmt: skip
            return
        with progress_bar("reading the file list") as bar:
            if follow:
                report = follow_gdelt(
                    store, dyads=pairs, lastupdate=lastupdate, masterlist=masterlist,
                    since=first, jobs=jobs, download_dir=download_dir, ingest=ingest,
                    keep_zips=keep_zips, progress=bar.update, on_file=bar.describe,
                    batch_files=batch_files,
                )  # fmt: skip
            else:
                assert first is not None and last is not None  # _check_mode saw to it
                report = fetch_gdelt(
                    store, since=first, until=last, dyads=pairs, masterlist=masterlist,
                    jobs=jobs, download_dir=download_dir, ingest=ingest, keep_zips=keep_zips,
                    progress=bar.update, on_file=bar.describe, batch_files=batch_files,
                )  # fmt: skip
    _print_report(report, fmt)
    if not report.complete:
        raise typer.Exit(1)


def register(events_app: typer.Typer) -> None:
    """Add ``fetch`` to the ``events`` sub-app."""
    events_app.command("fetch")(output_options(fetch))
