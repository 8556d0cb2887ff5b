"""``tracktwo pulse A B``: the pair's relationship over time, by track, with its signals."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from tracktwo._errors import InputError
from tracktwo.cli._app import app, state
from tracktwo.cli._output import FormatOption, OutputFormat, console, emit
from tracktwo.pulse import PulseResult, pulse_chart
from tracktwo.pulse import pulse as compute_pulse
from tracktwo.store import EventStore
from tracktwo.taxonomy import load_taxonomy


def parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date like 2019-01-31") from None


@app.command("pulse")
def pulse(
    country_a: Annotated[str, typer.Argument(help="First country (ISO3, e.g. KHM).")],
    country_b: Annotated[str, typer.Argument(help="Second country (ISO3, e.g. USA).")],
    freq: Annotated[str, typer.Option(help="month, quarter or year.")] = "month",
    by: Annotated[str, typer.Option(help="track, area or none.")] = "track",
    directed: Annotated[
        bool, typer.Option(help="Split each series by direction A→B / B→A.")
    ] = False,
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    chart: Annotated[Path | None, typer.Option(help="Write a chart: FILE.svg or FILE.png.")] = None,
    engine: Annotated[
        str, typer.Option(help="duckdb, spark or an Ibis connection URL.")
    ] = "duckdb",
    sql: Annotated[bool, typer.Option("--sql", help="Print the generated SQL and stop.")] = False,
    seed: Annotated[
        int, typer.Option(help="Seed of the bootstrap (same seed, same intervals).")
    ] = 0,
    signals: Annotated[bool, typer.Option(help="Add UN votes and imported signals.")] = True,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Events, mention-weighted mean Goldstein with a 95% bootstrap interval, cooperative share,
    record lows and change points, per period and track; UN vote agreement beside them."""
    with EventStore(state.home) as store:
        result = compute_pulse(
            store, country_a, country_b, freq=freq, by=by, directed=directed,
            since=parse_day(since, "--since"), until=parse_day(until, "--until"),
            engine=engine, taxonomy=load_taxonomy(state.taxonomy), seed=seed, signals=signals,
        )  # fmt: skip
    if sql:
        typer.echo(result.sql or "(the SQL is shown for the duckdb engine)")
        return
    if chart is not None:
        pulse_chart(
            result.events, chart, title=f"{result.country_a}–{result.country_b} pulse by {by}",
            signals=result.signals if not result.signals.empty else None,
        )  # fmt: skip
    if fmt is not OutputFormat.table:
        emit(result.frame, fmt)
        return
    print_tables(result)
    if chart is not None:
        console.print(f"Chart written to {chart}")


def print_tables(result: PulseResult) -> None:
    """The pulse as tables, with each series' all-time low (also shown by tracktwo demo)."""
    if result.frame.empty:
        console.print(
            f"No events or signals stored for {result.country_a}–{result.country_b}. "
            "Ingest some with `tracktwo events ingest` or `tracktwo votes ingest`."
        )
        return
    shown = ["period", "series", "events", "per_100k", "value", "ci_low", "ci_high",
             "coop_share", "coverage_share", "is_partial", "is_record_low",
             "is_change_point"]  # fmt: skip
    events = result.events
    if not events.empty:
        emit(events[shown], OutputFormat.table,
             title=f"{result.country_a}–{result.country_b}: events by {result.by} "
                   f"(value = mention-weighted mean Goldstein)")  # fmt: skip
        _print_rate_sources(result)
    if not result.signals.empty:
        emit(result.signals[["period", "series", "events", "value", "is_partial", "is_record_low",
                             "is_change_point"]], OutputFormat.table,
             title="Official-channel signals (events = roll calls or days)")  # fmt: skip
    for series, part in result.frame.groupby("series"):
        low = part[part["is_all_time_low"].astype(bool)]
        if not low.empty:
            console.print(f"[bold]{series}[/]: all-time low {low['value'].iloc[0]:.3f} "
                          f"in {low['period'].iloc[0]}")  # fmt: skip


def period_name(period: date, freq: str) -> str:
    if freq == "year":
        return str(period.year)
    if freq == "quarter":
        return f"{period.year} Q{(period.month - 1) // 3 + 1}"
    return period.isoformat()[:7]


def _print_rate_sources(result: PulseResult) -> None:
    """Which source's totals per_100k divides by, and over which periods."""
    if not result.rate_sources:
        console.print("per_100k: no source totals stored (`tracktwo events totals FILE`).")
        return
    by_source: dict[str, list[date]] = {}
    for period, source in sorted(result.rate_sources.items()):
        by_source.setdefault(source, []).append(period)
    parts = []
    for source, periods in by_source.items():
        first, last = (period_name(p, result.freq) for p in (periods[0], periods[-1]))
        parts.append(f"{source} {first}" if first == last else f"{source} {first}..{last}")
    console.print(
        "per_100k = events per 100,000 events of the source in the period ("
        + "; ".join(parts)
        + "); empty where no source has a total."
    )
