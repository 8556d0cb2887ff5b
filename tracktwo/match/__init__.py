"""Matchmaker: recommend new partnerships between actors of two countries (docs/match.md)."""

from tracktwo.match._accept import accept_recommendation
from tracktwo.match._diversify import (
    LAMBDA,
    best_partners,
    candidate_similarity,
    diversify,
    mmr,
    relevance,
    top_share,
)
from tracktwo.match._evaluate import (
    EvaluationReport,
    evaluate,
    evaluate_report,
    rank_of,
    ranking_metrics,
)
from tracktwo.match._explain import (
    PairFacts,
    describe,
    explain,
    label_of,
    recommend_explained,
    shown_table,
)
from tracktwo.match._features import (
    FEATURE_LABELS,
    FEATURES,
    KIND_COMPATIBILITY,
    crosses_levels,
    pair_features,
)
from tracktwo.match._operations import (
    BusyActor,
    accept,
    busiest_actors,
    live_tie_count,
    partners_of_busiest,
)
from tracktwo.match._plan import plan_portfolio, resolve_actor
from tracktwo.match._portfolio import Portfolio, choose_portfolio, scorecard_after
from tracktwo.match._recommender import Recommender

__all__ = [
    "FEATURES",
    "FEATURE_LABELS",
    "KIND_COMPATIBILITY",
    "LAMBDA",
    "BusyActor",
    "EvaluationReport",
    "PairFacts",
    "Portfolio",
    "Recommender",
    "accept",
    "accept_recommendation",
    "best_partners",
    "busiest_actors",
    "candidate_similarity",
    "choose_portfolio",
    "crosses_levels",
    "describe",
    "diversify",
    "evaluate",
    "evaluate_report",
    "explain",
    "label_of",
    "live_tie_count",
    "mmr",
    "pair_features",
    "partners_of_busiest",
    "plan_portfolio",
    "rank_of",
    "ranking_metrics",
    "recommend_explained",
    "relevance",
    "resolve_actor",
    "scorecard_after",
    "shown_table",
    "top_share",
]
