"""``tracktwo demo``: the Cambodia–US store, registry and briefing from the shipped real data,
then the dashboard on them (unless ``--no-serve``)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.markup import escape

from tracktwo.cli._app import app, state
from tracktwo.cli._output import OutputFormat, console, emit
from tracktwo.cli._pulse import print_summary, print_tables
from tracktwo.demo import DemoResult

SIGNAL_COLUMNS = ["period", "series", "events", "value", "ci_low", "ci_high", "is_partial",
                  "is_eligible", "record_low", "is_change_point"]  # fmt: skip


def _print_standing(result: DemoResult) -> None:
    """The summary opens with where the relationship stands, one sentence per series."""
    where = result.standing
    if where is None:
        return
    console.print(f"\n[bold]{escape(where.title)}[/] ({where.country_a}–{where.country_b}, yearly)")
    for line in where.sentences():
        console.print(f"  • {escape(line)}", soft_wrap=True)
    for note in where.note_sentences():
        console.print(f"  [dim]Worth knowing:[/] {escape(note)}", soft_wrap=True)
    console.print()


def _print_signals(result: DemoResult) -> None:
    votes = result.signals.signals
    if votes.empty:
        return
    emit(votes[SIGNAL_COLUMNS], OutputFormat.table,
         title="Official-channel signals since 2005 (yearly)")  # fmt: skip
    print_summary(result.signals, kind="signal", title="Official-channel signals in short")


def _print_registry(result: DemoResult) -> None:
    bridges = result.bridges
    emit([load.row() for load in bridges.loads], OutputFormat.table,
         title="Bridges registry: what the demo loaded")  # fmt: skip
    console.print(
        f"Registry: {bridges.actors:,} actors, {bridges.ties:,} ties, {bridges.ties_between} "
        f"between Cambodia and the United States (and {bridges.declined_between} declined "
        "proposals, counted apart)"
    )


def _print_paths(result: DemoResult) -> None:
    console.print(f"Data directory: {result.home}")
    for chart in result.charts:
        console.print(f"Chart: {chart}")
    console.print(f"Briefing: {result.briefing_html}")
    if result.briefing_pdf is not None:
        console.print(f"Briefing: {result.briefing_pdf}")


@app.command("demo")
def demo(
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve", help="Serve the dashboard afterwards (Ctrl+C stops it)."
        ),
    ] = True,
    host: Annotated[str, typer.Option(help="Address the dashboard listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the dashboard.")] = 8000,
) -> None:
    """Build the Cambodia–US store and bridges registry from the shipped real data, show the
    pulse, write the briefing (HTML and PDF), then serve the dashboard."""
    from tracktwo.demo import run_demo

    started = time.perf_counter()
    result = run_demo(
        state.home, step=lambda message: console.print(f"[dim]•[/] {escape(message)}")
    )
    _print_standing(result)
    print_tables(result.pulse)
    _print_signals(result)
    _print_registry(result)
    _print_paths(result)
    console.print(f"Demo built in {time.perf_counter() - started:.1f} s")
    if not serve:
        return
    # imported here: the web stack is only needed when serving (run_server prints the address)
    from tracktwo.web import WebSettings, run_server

    run_server(WebSettings.from_env(home=result.home), host=host, port=port)
