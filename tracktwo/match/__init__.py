"""Matchmaker: recommend new partnerships between actors of two countries (docs/match.md)."""

from tracktwo.match._evaluate import evaluate, rank_of, ranking_metrics
from tracktwo.match._features import FEATURE_LABELS, FEATURES, KIND_COMPATIBILITY, pair_features
from tracktwo.match._recommender import Recommender

__all__ = [
    "FEATURES",
    "FEATURE_LABELS",
    "KIND_COMPATIBILITY",
    "Recommender",
    "evaluate",
    "pair_features",
    "rank_of",
    "ranking_metrics",
]
