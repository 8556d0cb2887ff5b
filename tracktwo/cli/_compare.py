"""``tracktwo compare FOCAL PARTNER [PARTNER ...]``: one country beside its partners."""

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
from tracktwo.pulse import CompareResult, compare_chart, period_name
from tracktwo.pulse import compare as compute_compare
from tracktwo.store import EventStore, store_wait
from tracktwo.taxonomy import load_taxonomy

# the table leaves out the series column when there is only one ("all")
_TABLE_COLUMNS = ["period", "partner", "series", "events", "per_100k", "value", "ci_low",
                  "ci_high", "coop_share", "outside_official_share", "is_partial"]  # fmt: skip


@app.command("compare")
@output_options
def compare(
    focal: Annotated[str, typer.Argument(help="The country to compare (ISO3, e.g. KHM).")],
    partners: Annotated[
        list[str], typer.Argument(help="Its partners, one or more (e.g. USA CHN VNM THA).")
    ],
    freq: Annotated[str, typer.Option(help="year, quarter or month.")] = "year",
    by: Annotated[str, typer.Option(help="none (every event) or track.")] = "none",
    since: SinceOption = None,
    until: UntilOption = None,
    chart: Annotated[Path | None, typer.Option(help="Write a chart: FILE.svg or FILE.png.")] = None,
    seed: Annotated[
        int, typer.Option(help="Seed of the bootstrap (same seed, same intervals).")
    ] = 0,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Per period and partner: events, events per 100,000 of the source, mention-weighted mean
    Goldstein with its 95% interval, cooperative share and the share outside the official track,
    each from the pair's pulse."""
    with EventStore(state.home, wait=store_wait()) as store:
        result = compute_compare(
            store, focal, partners, freq=freq, by=by, since=parse_day(since, "--since"),
            until=parse_day(until, "--until"), taxonomy=load_taxonomy(state.taxonomy), seed=seed,
        )  # fmt: skip
    if chart is not None and not result.empty:
        compare_chart(result.frame, chart, title=_title(result))
    if fmt is not OutputFormat.table:
        emit(result.frame, fmt)
    else:
        print_comparison(result)
    if chart is not None:  # a message, so stderr: stdout holds only the rows
        note = f"Chart written to {chart}" if not result.empty else "No chart: no events."
        err_console.print(note, highlight=False)


def _title(result: CompareResult) -> str:
    return f"{result.focal} beside {', '.join(result.partners)}: events by {result.by}"


def print_comparison(result: CompareResult) -> None:
    """The comparison as one table, then each partner's total and the denominators used."""
    if result.empty:
        console.print(
            f"No events stored between {result.focal} and {', '.join(result.partners)}. "
            "Ingest some with `tracktwo events ingest FILE` (or run `tracktwo demo`)."
        )
        return
    columns = [c for c in _TABLE_COLUMNS if c != "series" or result.by != "none"]
    emit(result.frame[columns], OutputFormat.table,
         title=f"{result.focal} beside its partners, by {result.freq} "
               "(value = mention-weighted mean Goldstein)")  # fmt: skip
    totals = result.partner_totals()
    console.print("Events with " + result.focal + ": " + ", ".join(
        f"{row.partner} {row.events:,}" for row in totals.itertuples()) + ".")  # fmt: skip
    console.print("outside_official_share = 1 − official-track events / all events of the period.")
    _print_rate_sources(result.rate_sources, result.freq)


def _print_rate_sources(rate_sources: dict[date, str], freq: str) -> None:
    if not rate_sources:
        console.print("per_100k: no source totals stored (`tracktwo events totals FILE`).")
        return
    by_source: dict[str, list[date]] = {}
    for period, source in sorted(rate_sources.items()):
        by_source.setdefault(source, []).append(period)
    parts = []
    for source, periods in by_source.items():
        first, last = (period_name(p, freq) for p in (periods[0], periods[-1]))
        parts.append(f"{source} {first}" if first == last else f"{source} {first}..{last}")
    console.print(f"per_100k = events per 100,000 events of the source ({'; '.join(parts)}); "
                  "empty where no source has a total.")  # fmt: skip
