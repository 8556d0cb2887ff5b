"""``tracktwo votes fit | ideal-points | distance``: UN ideal points, one library call each."""

from __future__ import annotations

from typing import Annotated

import typer

from tracktwo.cli._app import state
from tracktwo.cli._common import status_line
from tracktwo.cli._output import FormatOption, OutputFormat, console, emit, output_options
from tracktwo.cli._signals import CountryA, CountryB, votes_app
from tracktwo.pulse import fit_ideal_points, ideal_point_distance, ideal_points
from tracktwo.store import EventStore

__all__ = ["votes_distance", "votes_fit", "votes_ideal_points"]

Refit = Annotated[
    bool, typer.Option("--refit", help="Fit again even when the cached fit is up to date.")
]


@votes_app.command("fit")
def votes_fit(
    first_year: Annotated[int | None, typer.Option(help="First year (session + 1945).")] = None,
    last_year: Annotated[int | None, typer.Option(help="Last year.")] = None,
) -> None:
    """Fit every country's ideal point per UN session and cache it in the store."""
    with EventStore(state.home, write=True) as store, status_line("UN ideal points") as progress:
        fit = fit_ideal_points(store, first_year=first_year, last_year=last_year, progress=progress)
    state_word = "converged" if fit.converged else "[red]did not converge[/]"
    console.print(
        f"[green]Fitted[/] {fit.countries} countries' ideal points {fit.first_year}..."
        f"{fit.last_year} from {fit.votes:,} votes on {fit.roll_calls:,} roll calls in "
        f"{fit.seconds:.1f} s ({fit.iterations} iterations, {state_word}).",
        soft_wrap=True,
    )


@votes_app.command("ideal-points")
@output_options
def votes_ideal_points(
    year: Annotated[int | None, typer.Option(help="Only this year (session + 1945).")] = None,
    country: Annotated[
        str | None, typer.Option(help="Only this country: ISO3, ISO2 or name.")
    ] = None,
    refit: Refit = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Each country's position per UN session (United States positive), 95% interval.

    Fits all years first when no fit of the stored votes is cached."""
    with EventStore(state.home, write=True) as store, status_line("UN ideal points") as progress:
        frame = ideal_points(store, year=year, country=country, refit=refit, progress=progress)
    scope = " ".join(str(part) for part in (country and country.upper(), year) if part)
    emit(frame, fmt, title=f"UN ideal points {scope}".strip())  # a year prints as 2012 (a label)


@votes_app.command("distance")
@output_options
def votes_distance(
    country_a: CountryA,
    country_b: CountryB,
    refit: Refit = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Yearly ideal-point distance of the pair with its 95% interval and common roll calls."""
    with EventStore(state.home, write=True) as store, status_line("UN ideal points") as progress:
        frame = ideal_point_distance(store, country_a, country_b, refit=refit, progress=progress)
    emit(
        frame,
        fmt,
        title=f"UN ideal-point distance {country_a.upper()}-{country_b.upper()}",
    )
