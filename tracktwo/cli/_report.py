"""``tracktwo report A B --out brief.html|brief.pdf``: the briefing on a country pair, in one
self-contained HTML file or the same laid out as an A4 PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracktwo.cli._app import app, state
from tracktwo.cli._common import DbOption, check_day, open_registry, parse_day, use_db
from tracktwo.cli._output import console
from tracktwo.store import EventStore, store_wait
from tracktwo.taxonomy import load_taxonomy


@app.command("report")
def report(
    country_a: Annotated[str, typer.Argument(help="First country (ISO3, e.g. KHM).")],
    country_b: Annotated[str, typer.Argument(help="Second country (ISO3, e.g. USA).")],
    out: Annotated[
        Path, typer.Option("--out", help="The file to write: NAME.html, or NAME.pdf (A4 PDF).")
    ] = Path("briefing.html"),
    since: Annotated[
        str | None,
        typer.Option(
            help="First day of the pulse and yearly figures, YYYY-MM-DD.", callback=check_day
        ),
    ] = None,
    k: Annotated[
        int, typer.Option("--k", help="Actors of the first country given a recommended partner.")
    ] = 5,
    at: Annotated[
        str | None,
        typer.Option(
            help="Date of the scorecard and dormant ties (default today).", callback=check_day
        ),
    ] = None,
    db: DbOption = None,
    language: Annotated[
        str,
        typer.Option(help='Language of the opening "Where the relationship stands": en or km.'),
    ] = "en",
) -> None:
    """A self-contained briefing: where the relationship stands, the relationship by channel
    and its record lows, the scorecard and its trend, dormant ties worth reviving, recommended
    partnerships; HTML or PDF (the suffix of --out decides)."""
    from tracktwo.report import check_output, write_briefing

    target = check_output(out)  # refuse another suffix before any work
    use_db(db)
    with EventStore(state.home, wait=store_wait()) as store, open_registry() as registry:
        written = write_briefing(
            store, registry, country_a, country_b, target,
            since=parse_day(since, "--since"), k=k, at=parse_day(at, "--at"),
            taxonomy=load_taxonomy(state.taxonomy), language=language,
        )  # fmt: skip
    console.print(f"Briefing written to {written}")
