"""Does the recommender find real ties? A held-out evaluation against simple rules.

Protocol (docs/match.md): hide a random ``holdout`` share of the registry's ties, fit on the
rest (the hidden ties inform no feature: not degree, not shared partners), then for each hidden
tie take one side at random as the source and rank its true partner among every actor of the
partner's country that the source could be recommended (compatible kind, not tied in training).
A rank counts ties of score as half (the expected rank under a random tie-break):
``rank = 1 + #(better) + #(equal, other than the partner) / 2``.

Reported per method: hit@10 and hit@50 (share of ranks ≤ 10, ≤ 50), MRR (mean of 1/rank) and the
median rank percentile (rank / number of candidates; lower is better). Baselines: ``random``,
``population`` (closest population, −|log10 ratio|), ``most_connected`` (training degree) and
``nearest`` (shortest great-circle distance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges._registry import Registry
from tracktwo.match._features import FEATURES, pair_features, read_actors, read_ties
from tracktwo.match._recommender import Recommender

__all__ = ["METHODS", "evaluate", "rank_of", "ranking_metrics"]

METHODS = ("model", "random", "population", "most_connected", "nearest")


def rank_of(scores: np.ndarray, true_position: int) -> float:
    """The rank of ``scores[true_position]`` (1 = best), ties of score counted as half."""
    true_score = scores[true_position]
    better = int((scores > true_score).sum())
    equal = int((scores == true_score).sum()) - 1
    return 1.0 + better + equal / 2.0


def ranking_metrics(ranks: np.ndarray, pool_sizes: np.ndarray) -> dict[str, float]:
    """hit@10, hit@50, MRR and median rank percentile of ``ranks`` among ``pool_sizes``."""
    return {
        "hit@10": float((ranks <= 10).mean()),
        "hit@50": float((ranks <= 50).mean()),
        "mrr": float((1.0 / ranks).mean()),
        "median_percentile": float(np.median(ranks / pool_sizes)),
    }


def evaluate(
    registry: Registry,
    *,
    holdout: float = 0.2,
    seed: int = 0,
    source_country: str | None = None,
    recommender: Recommender | None = None,
) -> pd.DataFrame:
    """One row per method: hit@10, hit@50, mrr, median_percentile, and n (held-out ties)."""
    if not 0 < holdout < 1:
        raise InputError(f"holdout must be between 0 and 1, not {holdout}")
    model = recommender if recommender is not None else Recommender(capacity=None)
    actors = read_actors(registry, text=model.text)
    ties = read_ties(registry)
    hidden = _held_out(ties, holdout, seed)
    model.fit_tables(actors, ties, exclude_ties=set(hidden["id"]))
    cases = _cases(model, hidden, seed, source_country)
    return _table(model, cases, seed)


def _held_out(ties: pd.DataFrame, holdout: float, seed: int) -> pd.DataFrame:
    if len(ties) < 2:
        raise NotFoundError("the registry needs at least two ties to hold some out")
    count = min(max(1, round(holdout * len(ties))), len(ties) - 1)
    chosen = np.random.default_rng(seed).choice(len(ties), size=count, replace=False)
    return ties.iloc[np.sort(chosen)]


def _cases(
    model: Recommender, hidden: pd.DataFrame, seed: int, source_country: str | None
) -> list[tuple[int, np.ndarray, int]]:
    """(source row, candidate rows, position of the true partner) for each held-out tie."""
    rng = np.random.default_rng(seed + 1)
    index, countries = model.actors_.index, model.actors_.frame["country"].to_numpy()
    cases = []
    for a, b in zip(hidden["actor_a_id"], hidden["actor_b_id"], strict=True):
        source, partner = (index[b], index[a]) if rng.random() < 0.5 else (index[a], index[b])
        if source_country is not None:
            wanted = source_country.strip().upper()
            if countries[source] != wanted and countries[partner] != wanted:
                continue
            if countries[source] != wanted:
                source, partner = partner, source
        pool = model.pool(source, country=countries[partner])
        found = np.flatnonzero(pool == partner)
        if len(found):  # a partner of an incompatible kind cannot be ranked: skipped
            cases.append((source, pool, int(found[0])))
    if not cases:
        raise NotFoundError("no held-out tie to rank (check source_country and the registry)")
    return cases


def _table(model: Recommender, cases: list[tuple[int, np.ndarray, int]], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 2)
    ranks: dict[str, list[float]] = {m: [] for m in METHODS}
    sizes = np.array([len(pool) for _, pool, _ in cases], dtype=float)
    for source, pool, truth in cases:
        sources = np.full(len(pool), source)
        for method, scores in _method_scores(model, sources, pool, rng).items():
            ranks[method].append(rank_of(scores, truth))
    rows = [
        {"method": m, **ranking_metrics(np.array(ranks[m]), sizes), "n": len(cases)}
        for m in METHODS
    ]
    return pd.DataFrame(rows)


def _method_scores(
    model: Recommender, sources: np.ndarray, pool: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    values = pair_features(model.actors_, model.graph_, sources, pool, capacity=model.capacity)
    column = {name: values[:, i] for i, name in enumerate(FEATURES)}
    return {
        "model": model.intercept_ + values @ model.coef_,
        "random": rng.random(len(pool)),
        "population": column["population_similarity"],
        "most_connected": column["candidate_degree"],
        "nearest": -column["distance"],
    }
