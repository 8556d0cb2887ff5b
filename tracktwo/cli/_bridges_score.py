"""``tracktwo bridges score A B`` and ``tracktwo bridges dormant A B``: the scorecard of the
ties between two countries, and the ties that have fallen silent."""

from __future__ import annotations

from typing import Annotated

import typer

from tracktwo.bridges import DEFAULT_DORMANT_MONTHS, dormant_ties, scorecard, scorecard_by_year
from tracktwo.cli._app import state
from tracktwo.cli._bridges import bridges_app
from tracktwo.cli._common import open_registry, parse_day
from tracktwo.cli._output import FormatOption, OutputFormat, emit, err_console, output_options
from tracktwo.taxonomy import load_taxonomy

CountryA = Annotated[str, typer.Argument(help="First country (ISO3, e.g. KHM).")]
CountryB = Annotated[str, typer.Argument(help="Second country (ISO3, e.g. USA).")]
_AREA_NOTE = "The area figures count only the active ties with an area recorded"
AtOption = Annotated[
    str | None, typer.Option("--at", help="The date to score, YYYY-MM-DD (default today).")
]


@bridges_app.command("score")
@output_options
def score(
    country_a: CountryA,
    country_b: CountryB,
    at: AtOption = None,
    by_year: Annotated[
        bool, typer.Option("--by-year", help="One row per year, at 31 December.")
    ] = False,
    dormant_months: Annotated[
        int, typer.Option(help="Months without activity after which a tie is dormant.")
    ] = DEFAULT_DORMANT_MONTHS,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Diversity and resilience of the active ties between two countries (docs/scorecard.md)."""
    day = parse_day(at, "--at")
    taxonomy = load_taxonomy(state.taxonomy)
    with open_registry() as registry:
        if by_year:
            table = scorecard_by_year(
                registry, country_a, country_b, at=day, dormant_months=dormant_months,
                taxonomy=taxonomy,
            )  # fmt: skip
            if fmt is OutputFormat.table:  # a row per metric, a column per year: fits a screen
                table = table.set_index("year").T.reset_index(names="metric")
                table.columns = [str(c) for c in table.columns]
            emit(table, fmt, title=f"Scorecard by year: {country_a.upper()}–{country_b.upper()}")
            if table["ties_with_unknown_area"].fillna(0).gt(0).any():
                err_console.print(_AREA_NOTE + " (ties_with_unknown_area: how many, each year).")
            return
        card = scorecard(
            registry, country_a, country_b, at=day, dormant_months=dormant_months,
            taxonomy=taxonomy,
        )  # fmt: skip
    emit(card.as_rows(), fmt, title=f"Scorecard {card.country_a}–{card.country_b}, {card.at}")
    if card.ties_with_unknown_area:  # on stderr: the rows stay numbers for scripts
        err_console.print(f"Share in neutral areas: {card.neutral_share_text()}. {_AREA_NOTE}.")


@bridges_app.command("dormant")
@output_options
def dormant(
    country_a: CountryA,
    country_b: CountryB,
    at: AtOption = None,
    months: Annotated[
        int, typer.Option(help="Months without activity after which a tie is dormant.")
    ] = DEFAULT_DORMANT_MONTHS,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The dormant ties between two countries, the most recently silent first."""
    day = parse_day(at, "--at")
    with open_registry() as registry:
        table = dormant_ties(
            registry, country_a, country_b, at=day, months=months,
            taxonomy=load_taxonomy(state.taxonomy),
        )  # fmt: skip
    emit(table, fmt, title=f"Dormant ties {country_a.upper()}–{country_b.upper()}")
