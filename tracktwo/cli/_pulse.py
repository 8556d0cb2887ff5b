"""``tracktwo pulse A B``: the pair's relationship over time, by track, with its signals."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from tracktwo.cli._app import app, state
from tracktwo.cli._common import SinceOption, UntilOption, parse_day
from tracktwo.cli._output import (
    FormatOption,
    OutputFormat,
    console,
    emit,
    err_console,
    output_options,
)
from tracktwo.pulse import (
    MIN_EVENTS,
    MIN_ROLL_CALLS,
    PulseResult,
    period_name,
    pulse_chart,
    summary_rows,
)
from tracktwo.pulse import pulse as compute_pulse
from tracktwo.store import EventStore, store_wait
from tracktwo.taxonomy import load_taxonomy


@app.command("pulse")
@output_options
def pulse(
    country_a: Annotated[str, typer.Argument(help="First country (ISO3, e.g. KHM).")],
    country_b: Annotated[str, typer.Argument(help="Second country (ISO3, e.g. USA).")],
    freq: Annotated[str, typer.Option(help="month, quarter or year.")] = "month",
    by: Annotated[str, typer.Option(help="track, area or none.")] = "track",
    directed: Annotated[
        bool, typer.Option(help="Split each series by direction A→B / B→A.")
    ] = False,
    since: SinceOption = None,
    until: UntilOption = None,
    chart: Annotated[Path | None, typer.Option(help="Write a chart: FILE.svg or FILE.png.")] = None,
    engine: Annotated[
        str, typer.Option(help="duckdb, spark or an Ibis connection URL.")
    ] = "duckdb",
    sql: Annotated[bool, typer.Option("--sql", help="Print the generated SQL and stop.")] = False,
    seed: Annotated[
        int, typer.Option(help="Seed of the bootstrap (same seed, same intervals).")
    ] = 0,
    signals: Annotated[bool, typer.Option(help="Add UN votes and imported signals.")] = True,
    min_support: Annotated[
        int, typer.Option(help="Events a period needs to count for lows, records and changes.")
    ] = MIN_EVENTS,
    min_roll_calls: Annotated[
        int, typer.Option(help="Roll calls a UN-vote period needs to count.")
    ] = MIN_ROLL_CALLS,
    summary: Annotated[
        bool, typer.Option("--summary", help="One row per series: latest, lows, records.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Events, mention-weighted mean Goldstein with its 95% interval, cooperative share,
    record lows and change points, per period and track; UN vote agreement beside them."""
    with EventStore(state.home, wait=store_wait()) as store:
        result = compute_pulse(
            store, country_a, country_b, freq=freq, by=by, directed=directed,
            since=parse_day(since, "--since"), until=parse_day(until, "--until"),
            engine=engine, taxonomy=load_taxonomy(state.taxonomy), seed=seed, signals=signals,
            min_support=min_support, min_roll_calls=min_roll_calls,
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
        emit(result.summary() if summary else result.frame, fmt)
    elif summary:
        print_summary(result)
    else:
        print_tables(result)
    if chart is not None:  # a message, so stderr: stdout holds only the rows
        err_console.print(f"Chart written to {chart}", highlight=False)


def print_summary(result: PulseResult, title: str | None = None, kind: str | None = None) -> None:
    """The pulse's summary table: one row per series (also shown by tracktwo demo)."""
    # the table's headings, short enough for a terminal (csv and json keep the column names)
    shown = {"series": "series", "latest_period": "latest", "latest_value": "value",
             "latest_n": "n", "latest_rank": "rank", "eligible_periods": "eligible",
             "all_time_low_period": "lowest in", "all_time_low_value": "low",
             "all_time_low_n": "low n", "all_time_high_period": "highest in",
             "all_time_high_value": "high", "record_lows_short": "record lows",
             "change_points": "change points"}  # fmt: skip
    rows = [{shown[k]: row[k] for k in shown}
            for row in summary_rows(result.summary(), result.freq, kind)]  # fmt: skip
    emit(rows, OutputFormat.table, title=title or (
        f"{result.country_a}–{result.country_b}: each series in short (lows, highs, ranks and "
        f"records over eligible periods: ≥ {result.min_support} events, ≥ "
        f"{result.min_roll_calls} roll calls, not partial; rank 1 = lowest, for a distance "
        "the widest)"))  # fmt: skip


def print_tables(result: PulseResult) -> None:
    """The pulse as tables, with each series' all-time low (also shown by tracktwo demo)."""
    if result.frame.empty:
        console.print(
            f"No events or signals stored for {result.country_a}–{result.country_b}. "
            "Ingest some with `tracktwo events ingest` or `tracktwo votes ingest`."
        )
        return
    shown = ["period", "series", "events", "per_100k", "value", "ci_low", "ci_high",
             "coop_share", "coverage_share", "is_partial", "is_eligible", "record_low",
             "is_change_point"]  # fmt: skip
    events = result.events
    if not events.empty:
        emit(events[shown], OutputFormat.table,
             title=f"{result.country_a}–{result.country_b}: events by {result.by} "
                   f"(value = mention-weighted mean Goldstein)")  # fmt: skip
        _print_rate_sources(result)
    if not result.signals.empty:
        emit(result.signals[["period", "series", "events", "value", "ci_low", "ci_high",
                             "is_partial", "is_eligible", "record_low", "is_change_point"]],
             OutputFormat.table,
             title="Official-channel signals (events = roll calls or days)")  # fmt: skip
    print_summary(result)


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
