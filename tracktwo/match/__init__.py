"""Matchmaker: recommend new partnerships between actors of two countries (docs/match.md)."""

from tracktwo.match._diversify import best_partners, candidate_similarity, diversify, mmr, relevance
from tracktwo.match._evaluate import evaluate, rank_of, ranking_metrics
from tracktwo.match._explain import PairFacts, describe, explain, label_of, recommend_explained
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
from tracktwo.match._recommender import Recommender

__all__ = [
    "FEATURES",
    "FEATURE_LABELS",
    "KIND_COMPATIBILITY",
    "BusyActor",
    "PairFacts",
    "Recommender",
    "accept",
    "best_partners",
    "busiest_actors",
    "candidate_similarity",
    "crosses_levels",
    "describe",
    "diversify",
    "evaluate",
    "explain",
    "label_of",
    "live_tie_count",
    "mmr",
    "pair_features",
    "partners_of_busiest",
    "rank_of",
    "ranking_metrics",
    "recommend_explained",
    "relevance",
]
