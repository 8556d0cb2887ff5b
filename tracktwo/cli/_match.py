"""``tracktwo match ...``: recommend partners, evaluate the ranking, plan a portfolio, accept."""

from __future__ import annotations

import json
from typing import Annotated

import pandas as pd
import typer

from tracktwo.bridges import Scorecard
from tracktwo.cli._app import app
from tracktwo.cli._common import open_registry
from tracktwo.cli._match_evaluate import emit_report
from tracktwo.cli._output import FormatOption, OutputFormat, console, emit, output_options
from tracktwo.match import (
    LAMBDA,
    Portfolio,
    evaluate,
    evaluate_report,
    plan_portfolio,
    recommend_explained,
    resolve_actor,
    shown_table,
)
from tracktwo.match import accept as accept_partner

match_app = typer.Typer(help="Recommend new partnerships, evaluate them, plan a portfolio.")
app.add_typer(match_app, name="match")


@match_app.command("recommend")
@output_options
def recommend(
    actor: Annotated[str, typer.Argument(help="Actor id, geonames:ID or exact name.")],
    k: Annotated[int, typer.Option(help="How many partners.")] = 10,
    kind: Annotated[str | None, typer.Option(help="Only partners of this kind.")] = None,
    country: Annotated[str | None, typer.Option(help="Only partners in this country.")] = None,
    mmr_lambda: Annotated[
        float, typer.Option(help="Diversity: 1 ranks by score alone, lower spreads the list.")
    ] = LAMBDA,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The best new partners abroad for an actor, diversified (maximal marginal relevance,
    docs/match.md), each with a sentence saying why; csv and json add the contribution of
    every component (they add up to the score minus the intercept) and the data."""
    registry = open_registry()
    source = resolve_actor(registry, actor)
    table = recommend_explained(registry, source, k, kind=kind, country=country,
                                lambda_=mmr_lambda)  # fmt: skip
    title = f"Recommended partners for {table.attrs['source_label']} (actor {source})"
    emit(shown_table(table) if fmt is OutputFormat.table else table, fmt, title=title)


@match_app.command("evaluate")
@output_options
def evaluate_command(
    holdout: Annotated[float, typer.Option(help="Share of known ties hidden.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the hidden share.")] = 0,
    seeds: Annotated[int, typer.Option(help="Seeds per country (seed, seed+1, ...).")] = 5,
    countries: Annotated[int, typer.Option(help="Countries with most ties, shown apart.")] = 10,
    pair: Annotated[
        tuple[str, str], typer.Option(help="Country pair left out tie by tie (source first).")
    ] = ("KHM", "USA"),
    world_only: Annotated[bool, typer.Option(help="Only the world table (fast).")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Hide a share of the known ties, fit on the rest, rank each hidden tie's true partner:
    hit@10, hit@50, MRR and median rank percentile for the model and the baselines; then MRR
    and hit@10 per source country over seeds (mean, min–max), the calibration of ``chance``
    (reliability table, Brier score), and the pair's ties left out one at a time, with and
    without the diaspora features (docs/match.md)."""
    registry = open_registry()
    if world_only:
        emit(evaluate(registry, holdout=holdout, seed=seed), fmt, title="Ranking evaluation")
        return
    report = evaluate_report(registry, holdout=holdout, seed=seed, seeds=seeds,
                             countries=countries, pair=pair)  # fmt: skip
    emit_report(report, fmt, holdout=holdout, pair=pair)


@match_app.command("portfolio")
@output_options
def portfolio(
    country_a: Annotated[str, typer.Argument(help="Country whose actors seek partners.")],
    country_b: Annotated[str, typer.Argument(help="Country of the partners.")],
    n: Annotated[int, typer.Option("--n", help="How many new ties.")] = 20,
    min_neutral: Annotated[float, typer.Option(help="Least share in neutral areas.")] = 0.8,
    max_per_actor: Annotated[int, typer.Option(help="Most new ties per actor.")] = 2,
    allow_politicised: Annotated[bool, typer.Option(help="Allow politicised actors.")] = False,
    greedy: Annotated[
        bool, typer.Option(help="Greedy (fast, ≥1/4 of optimum), not CP-SAT.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """A diversified set of new ties (exact with OR-Tools CP-SAT), and the scorecard before and
    after adopting it. json: one object {"ties": [...], "scorecard_before": {...},
    "scorecard_after": {...}}; csv: the ties only."""
    plan = plan_portfolio(
        open_registry(), country_a, country_b, n=n, min_neutral=min_neutral,
        max_per_actor=max_per_actor, allow_politicised=allow_politicised,
        method="greedy" if greedy else "exact",
    )  # fmt: skip
    if fmt is OutputFormat.json:  # one object: the ties and both scorecards whole
        document = plan.portfolio.as_document(plan.before, plan.after)
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    if fmt is OutputFormat.csv:  # one table: the ties (the scorecards are in the json)
        emit(plan.portfolio.chosen, fmt)
        return
    _portfolio_tables(plan.portfolio, plan.before, plan.after, f"{country_a}–{country_b}")


def _portfolio_tables(
    portfolio: Portfolio, before_card: Scorecard | None, after_card: Scorecard | None, pair: str
) -> None:
    """For people: the ties, the portfolio's figures, the scorecard's figures before/after."""
    changes = pd.DataFrame(columns=["metric", "before", "after"])
    if before_card is not None and after_card is not None:
        before, after = before_card.as_dict(), after_card.as_dict()
        changes = pd.DataFrame(
            [{"metric": name, "before": before[name], "after": after[name]}
             for name in before  # an area figure is None when no tie has an area
             if before[name] is None or isinstance(before[name], int | float)]
        )  # fmt: skip
    emit(portfolio.chosen, title=f"Portfolio of {len(portfolio.chosen)} new ties")
    console.print(portfolio.summary())
    if changes.empty:
        console.print(f"No active {pair} tie yet: no scorecard to compare.")
        return
    emit(changes, title="Scorecard before and after adopting the portfolio")


@match_app.command("accept")
@output_options
def accept(
    source: Annotated[str, typer.Argument(help="Actor id or exact name.")],
    candidate: Annotated[str, typer.Argument(help="The recommended partner: id or exact name.")],
    channel: Annotated[str | None, typer.Option(help="Channel (default from the kinds).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Store a recommended partner as a proposed tie with the score and explanation it has now."""
    registry = open_registry()
    source_id, candidate_id = resolve_actor(registry, source), resolve_actor(registry, candidate)
    tie = accept_partner(registry, source_id, candidate_id, channel=channel)
    emit([tie], fmt, title="Proposed tie")
