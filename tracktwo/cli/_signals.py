"""``tracktwo votes | signals | coverage``: the pulse's other signals, one library call each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tracktwo.cli._app import app, state
from tracktwo.cli._common import SinceOption, UntilOption, parse_day
from tracktwo.cli._output import FormatOption, OutputFormat, console, emit, output_options
from tracktwo.datasets import dataset_path
from tracktwo.pulse import (
    coverage_totals,
    import_coverage,
    import_signal,
    ingest_votes,
    list_signals,
    signal_series,
    vote_issues,
    vote_measure,
)
from tracktwo.store import EventStore, store_wait

__all__ = ["coverage_app", "signals_app", "votes_app"]

votes_app = typer.Typer(
    help="UN General Assembly votes and voting agreement.", no_args_is_help=True
)
signals_app = typer.Typer(help="External per-day scores for a country pair.", no_args_is_help=True)
coverage_app = typer.Typer(
    help="Events recorded per country: the denominators.", no_args_is_help=True
)

app.add_typer(votes_app, name="votes")
app.add_typer(signals_app, name="signals")
app.add_typer(coverage_app, name="coverage")

CountryA = Annotated[str, typer.Argument(help="First country: ISO3 (KHM), ISO2 or name.")]
CountryB = Annotated[str, typer.Argument(help="Second country.")]
Since = SinceOption
Until = UntilOption


def _store(*, write: bool = False) -> EventStore:
    """The event store: read-only (waiting out an ingest) unless the command writes it."""
    return (
        EventStore(state.home, write=True) if write else EventStore(state.home, wait=store_wait())
    )


def _summary(text: str) -> None:
    """One line whatever the terminal width, so scripts can grep it."""
    console.print(text, soft_wrap=True)


# -- votes -----------------------------------------------------------------------------------


@votes_app.command("ingest")
def votes_ingest(
    votes_csv: Annotated[
        Path | None,
        typer.Argument(help="un_votes.csv[.gz] (default: the shipped file, every country)."),
    ] = None,
    roll_calls_csv: Annotated[
        Path | None, typer.Argument(help="un_roll_calls.csv[.gz] (default: the shipped one).")
    ] = None,
    issues: Annotated[
        Path | None,
        typer.Option(
            help="un_roll_call_issues.csv[.gz] (default: the shipped one, unless you give "
            "your own roll calls)."
        ),
    ] = None,
) -> None:
    """Store UN roll calls, votes and issue codes (all-or-nothing; re-ingesting replaces)."""
    votes_path = votes_csv or dataset_path("un_votes.csv.gz")
    calls_path = roll_calls_csv or dataset_path("un_roll_calls.csv.gz")
    # the shipped issue codes belong to the shipped roll calls
    if issues is None and roll_calls_csv is None:
        issues = dataset_path("un_roll_call_issues.csv.gz")
    with _store(write=True) as store:
        report = ingest_votes(store, votes_path, calls_path, issues)
    _summary(
        f"[green]Stored[/] {report.votes:,} votes of {report.countries} countries on "
        f"{report.roll_calls:,} roll calls ({report.first_date} .. {report.last_date}) and "
        f"{report.issues:,} issue codes; {report.votes_replaced:,} votes replaced earlier ones."
    )


Measure = Annotated[
    str, typer.Option(help="agreement, identical, s-score or kappa (see docs/signals.md).")
]
Seed = Annotated[int, typer.Option(help="Seed of the bootstrap intervals (0 or more).")]


@votes_app.command("agreement")
@output_options
def votes_agreement(
    country_a: CountryA,
    country_b: CountryB,
    measure: Measure = "agreement",
    by: Annotated[
        str, typer.Option(help="year, session (labelled session + 1945), month or quarter.")
    ] = "year",
    issue: Annotated[
        str | None, typer.Option(help="Only roll calls of this issue: me, nu, di, hr, co, ec.")
    ] = None,
    since: Since = None,
    until: Until = None,
    seed: Seed = 0,
    freq: Annotated[str | None, typer.Option(hidden=True, help="Old name of --by.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """How alike two countries vote, per period, with a 95% bootstrap interval."""
    with _store() as store:
        frame = vote_measure(
            store,
            country_a,
            country_b,
            measure=measure,
            by=freq if freq is not None else by,
            issue=issue,
            since=parse_day(since, "--since"),
            until=parse_day(until, "--until"),
            seed=seed,
        )
    title = f"UN votes {country_a.upper()}-{country_b.upper()}: {measure}"
    emit(frame, fmt, title=title + (f", issue {issue}" if issue else ""))


@votes_app.command("issues")
@output_options
def votes_issues(
    country_a: CountryA,
    country_b: CountryB,
    measure: Measure = "agreement",
    since: Since = None,
    until: Until = None,
    seed: Seed = 0,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """How alike two countries vote on each issue, most alike first: where they differ."""
    with _store() as store:
        frame = vote_issues(
            store,
            country_a,
            country_b,
            measure=measure,
            since=parse_day(since, "--since"),
            until=parse_day(until, "--until"),
            seed=seed,
        )
    emit(frame, fmt, title=f"UN votes {country_a.upper()}-{country_b.upper()} by issue: {measure}")


# -- signals ---------------------------------------------------------------------------------


@signals_app.command("import")
def signals_import(
    file: Annotated[Path, typer.Argument(help="CSV: date,country1,country2,<value>.")],
    name: Annotated[str | None, typer.Option(help="Signal name (default: file stem).")] = None,
) -> None:
    """Store a per-day dyad score (all-or-nothing; a name imported again is replaced)."""
    with _store(write=True) as store:
        report = import_signal(store, file, name)
    _summary(
        f"[green]Stored[/] signal {escape(repr(report.name))}: {report.rows:,} days for "
        f"{report.pairs} pair(s), {report.first_date} .. {report.last_date}; "
        f"{report.rows_replaced:,} rows replaced."
    )


@signals_app.command("list")
@output_options
def signals_list(fmt: FormatOption = OutputFormat.table) -> None:
    """The stored signals: pairs, first and last day, rows."""
    with _store() as store:
        frame = list_signals(store)
    emit(frame, fmt, title="Signals")


@signals_app.command("series")
@output_options
def signals_series(
    country_a: CountryA,
    country_b: CountryB,
    freq: Annotated[str, typer.Option(help="month, quarter or year.")] = "month",
    name: Annotated[str | None, typer.Option(help="Only this signal.")] = None,
    since: Since = None,
    until: Until = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Per period: days with a value and the mean daily value (either pair order)."""
    with _store() as store:
        frame = signal_series(
            store,
            country_a,
            country_b,
            freq,
            name,
            parse_day(since, "--since"),
            parse_day(until, "--until"),
        )
    emit(frame, fmt, title=f"Signals {country_a.upper()}-{country_b.upper()}")


# -- coverage --------------------------------------------------------------------------------


@coverage_app.command("import")
def coverage_import(
    file: Annotated[Path, typer.Argument(help="CSV: day|month|year,country (FIPS),total.")],
    freq: Annotated[
        str | None, typer.Option(help="day, month or year when the first column does not say.")
    ] = None,
) -> None:
    """Store per-country event totals (GDELTtools layout)."""
    with _store(write=True) as store:
        report = import_coverage(store, file, freq)
    skipped = ""
    if report.skipped_codes:
        codes = ", ".join(report.skipped_codes)
        skipped = f"; skipped {report.rows_skipped:,} rows of codes that are no country: {codes}"
    _summary(
        f"[green]Stored[/] {report.rows:,} {report.freq} totals of {report.countries} "
        f"countries ({report.first_period} .. {report.last_period}); "
        f"{report.rows_replaced:,} replaced{skipped}."
    )


@coverage_app.command("totals")
@output_options
def coverage_totals_command(
    country_a: CountryA,
    country_b: CountryB,
    freq: Annotated[str, typer.Option(help="month, quarter or year.")] = "year",
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Events recorded in the two countries together, per fully covered period."""
    with _store() as store:
        frame = coverage_totals(store, country_a, country_b, freq)
    emit(frame, fmt, title=f"Coverage {country_a.upper()} + {country_b.upper()}")
