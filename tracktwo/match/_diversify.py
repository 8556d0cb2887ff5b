"""A list, not ten copies: maximal marginal relevance over the recommender's top candidates.

Maximal marginal relevance (Carbonell and Goldstein, "The use of MMR, diversity-based
reranking for reordering documents and producing summaries", SIGIR 1998) builds a list one
item at a time, each time taking the candidate ``i`` not yet chosen that maximises::

    λ · relevance(i) − (1 − λ) · max_{j chosen} similarity(i, j)

``relevance`` is the model's score rescaled to [0, 1] over the candidates considered (the best
is 1, the worst 0), so λ trades the two on one scale; ``λ = 1`` is the ranking by score.

``similarity`` of two candidates lies in [0, 1] (:func:`candidate_similarity`): the weighted
sum of being in the same first-level region (state, province; weight 0.4), being close
(``exp(−km / 100)``, 0.3), bearing the same name (0.1), and being recommended for the same
reasons (the cosine of their score contributions, centred on the candidates' mean and
clipped at 0; 0.2). A candidate is fully similar to itself (1).

Two uses, two λ:

* one actor's top k (:func:`diversify`): λ = 0.7 (:data:`LAMBDA`), relevance over the best
  ``max(3k, 30)`` candidates. A second Californian city 50 km from the first (similarity about
  0.6) is passed over only if another candidate is within about a quarter of the score range
  (0.3 × 0.6 / 0.7) of it;
* the best partner for each of several sources (:func:`best_partners`): the sources are
  served in turn (the busiest first), each from its own top ``per_source`` candidates, with
  similarity to the partners already given to the other sources, at λ = 0.5
  (:data:`LAMBDA_ACROSS`). A partner already given has similarity 1: taking it again scores at
  most 0.5 − 0.5 = 0, below any other candidate unlike those given, so a partner repeats only
  when a source has no such other candidate. A repeat, when it happens, is flagged
  (``also_for``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tracktwo._errors import InputError, NotFoundError
from tracktwo.match._features import EARTH_KM, FEATURES, ActorTable
from tracktwo.match._recommender import Recommender

__all__ = [
    "LAMBDA",
    "LAMBDA_ACROSS",
    "SIMILARITY_WEIGHTS",
    "best_partners",
    "candidate_similarity",
    "diversify",
    "mmr",
    "percentiles",
    "relevance",
    "top_share",
]

LAMBDA = 0.7  # one actor's top k: relevance first, near-copies pushed down
LAMBDA_ACROSS = 0.5  # one partner per source: a partner already given scores at most 0
POOL_FACTOR, MIN_POOL = 3, 30  # candidates MMR chooses from: max(3k, 30)
PER_SOURCE = 10  # candidates per source for best_partners
_SAME = 1e-9  # scores this close are the same score (rounding of the additive terms)
NEAR_KM = 100.0  # closeness exp(−km / NEAR_KM): 0.37 at 100 km, 0.01 at 460 km
SIMILARITY_WEIGHTS = {"region": 0.4, "near": 0.3, "name": 0.1, "reasons": 0.2}


def relevance(scores: np.ndarray) -> np.ndarray:
    """Scores rescaled to [0, 1] (min–max); all 1 when every score is the same."""
    values = np.asarray(scores, dtype=float)
    if len(values) == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low <= 0:
        return np.ones(len(values))
    return (values - low) / (high - low)


def mmr(
    relevances: np.ndarray,
    similarity: np.ndarray,
    k: int,
    lambda_: float = LAMBDA,
    *,
    chosen_before: np.ndarray | None = None,
) -> list[int]:
    """Positions of the ``k`` candidates maximal marginal relevance picks, in picking order.

    ``similarity[i, j]`` is that of candidates i and j; ``chosen_before[i]`` (optional) the
    largest similarity of candidate i to items chosen earlier elsewhere. Ties go to the
    candidate listed first (the better ranked).
    """
    if not 0.0 <= lambda_ <= 1.0:
        raise InputError(f"the MMR λ lies between 0 and 1, not {lambda_}")
    rel = np.asarray(relevances, dtype=float)
    closest = np.zeros(len(rel)) if chosen_before is None else np.asarray(chosen_before, float)
    taken = np.zeros(len(rel), dtype=bool)
    picked: list[int] = []
    while len(picked) < min(k, len(rel)):
        value = np.where(taken, -np.inf, lambda_ * rel - (1.0 - lambda_) * closest)
        best = int(np.argmax(value))
        picked.append(best)
        taken[best] = True
        closest = np.maximum(closest, similarity[best])
    return picked


def candidate_similarity(
    actors: ActorTable, rows: np.ndarray, parts: np.ndarray | None = None
) -> np.ndarray:
    """Similarity in [0, 1] of every two actor rows (module docstring), 1 on the diagonal."""
    rows = np.asarray(rows, dtype=np.int64)
    frame = actors.frame.iloc[rows]
    weights = SIMILARITY_WEIGHTS
    total = weights["region"] * _same_region(frame)
    unit = np.nan_to_num(actors.unit[rows])
    km = EARTH_KM * np.arccos(np.clip(unit @ unit.T, -1.0, 1.0))
    located = ~np.isnan(actors.unit[rows, 0])
    total += weights["near"] * np.where(np.outer(located, located), np.exp(-km / NEAR_KM), 0.0)
    names = frame["name"].astype(str).str.strip().str.casefold().to_numpy()
    total += weights["name"] * (names[:, None] == names[None, :])
    if parts is not None and len(rows) > 1:
        total += weights["reasons"] * _reason_cosine(np.asarray(parts, dtype=float))
    np.fill_diagonal(total, 1.0)
    return np.clip(total, 0.0, 1.0)


def _same_region(frame: pd.DataFrame) -> np.ndarray:
    """1 for two actors of one country in one known admin1 region (0 without the column)."""
    if "admin1" not in frame:
        return np.zeros((len(frame), len(frame)))
    region = frame["country"].astype(str) + "/" + frame["admin1"].fillna("").astype(str)
    known = frame["admin1"].notna().to_numpy() & (frame["admin1"].astype(str) != "").to_numpy()
    keys = region.to_numpy()
    return ((keys[:, None] == keys[None, :]) & np.outer(known, known)).astype(float)


def _reason_cosine(parts: np.ndarray) -> np.ndarray:
    """Cosine of the contributions, centred on their mean (what sets a candidate apart)."""
    centred = parts - parts.mean(axis=0)
    norm = np.linalg.norm(centred, axis=1)
    unit = centred / np.where(norm > 0, norm, 1.0)[:, None]
    return np.maximum(unit @ unit.T, 0.0)


def percentiles(
    model: Recommender,
    actor_id: int,
    scores: np.ndarray,
    *,
    kind: str | None = None,
    country: str | None = None,
) -> np.ndarray:
    """The percentile rank of each score among every candidate the actor may be offered (the
    same kind and country filters): the share (in %) scoring lower plus half the share scoring
    the same, so a candidate tied with all the others is at 50, not at 0 or 100. Scores the
    whole pool once."""
    source = model.actors_.row(int(actor_id))
    pool = model.pool(source, kind=kind, country=country)
    if len(pool) == 0:
        return np.full(len(scores), np.nan)
    everyone = np.sort(model.score_pairs(np.full(len(pool), source), pool))
    values = np.asarray(scores, dtype=float)
    below = np.searchsorted(everyone, values - _SAME, side="left")
    same = np.searchsorted(everyone, values + _SAME, side="right") - below
    return 100.0 * (below + 0.5 * same) / len(pool)


def top_share(percentile: float | None) -> str | None:
    """A percentile as people read it: "0.03%" for 99.97 (the share scoring as high or
    higher, roughly); None when unknown."""
    if percentile is None or np.isnan(percentile):
        return None
    top = max(100.0 - float(percentile), 0.0)
    return f"{top:.2g}%" if top < 1 else f"{top:.0f}%"


def diversify(
    model: Recommender,
    actor_id: int,
    k: int = 10,
    *,
    kind: str | None = None,
    country: str | None = None,
    lambda_: float = LAMBDA,
    pool: int | None = None,
) -> pd.DataFrame:
    """``model.recommend`` re-ranked by MMR: the ``k`` picked from the best ``pool`` (default
    ``max(3k, 30)``), ``rank`` their order here, ``model_rank`` their rank by score alone,
    ``percentile`` the share of all candidates that score lower."""
    if k < 1:
        raise InputError(f"k must be at least 1, not {k}")
    size = pool or max(POOL_FACTOR * k, MIN_POOL)
    table = model.recommend(actor_id, max(size, k), kind=kind, country=country)
    rows = table["candidate_id"].map(model.actors_.index).to_numpy(dtype=np.int64)
    similarity = candidate_similarity(model.actors_, rows, table[list(FEATURES)].to_numpy())
    order = mmr(relevance(table["score"].to_numpy()), similarity, k, lambda_)
    chosen = table.iloc[order].reset_index(drop=True)
    chosen["model_rank"] = chosen["rank"].to_numpy()
    chosen["rank"] = np.arange(1, len(chosen) + 1)
    chosen["percentile"] = percentiles(
        model, actor_id, chosen["score"].to_numpy(), kind=kind, country=country
    )
    return chosen


def best_partners(
    model: Recommender,
    source_ids: Sequence[int],
    *,
    country: str | None = None,
    kind: str | None = None,
    per_source: int = PER_SOURCE,
    lambda_: float = LAMBDA_ACROSS,
) -> pd.DataFrame:
    """One partner for each source (in the order given: the busiest first), by MMR across the
    sources. Columns: ``source_id``, the columns of ``recommend`` for the partner (``rank`` is
    its rank in the source's own list), ``percentile``, and ``also_for``: the other sources
    the same partner went to (empty when it went to one). Sources without a candidate are
    left out."""
    lists = _candidate_lists(model, source_ids, country=country, kind=kind, per_source=per_source)
    given: list[int] = []  # actor rows already given to a source
    picked = []
    for source_id, table in lists:
        rows = table["candidate_id"].map(model.actors_.index).to_numpy(dtype=np.int64)
        closest = np.zeros(len(rows))
        if given:
            everyone = np.r_[rows, np.array(given, dtype=np.int64)]
            similarity = candidate_similarity(model.actors_, everyone)
            closest = similarity[: len(rows), len(rows) :].max(axis=1)
            closest[np.isin(rows, given)] = 1.0  # the same partner: fully similar
        (best,) = mmr(relevance(table["score"].to_numpy()), np.eye(len(rows)), 1, lambda_,
                      chosen_before=closest)  # fmt: skip
        given.append(int(rows[best]))
        row = table.iloc[[best]].assign(source_id=source_id)
        row["percentile"] = percentiles(model, source_id, row["score"].to_numpy(),
                                        kind=kind, country=country)  # fmt: skip
        picked.append(row)
    if not picked:
        return pd.DataFrame(columns=["source_id", "candidate_id", "score", "rank", "also_for"])
    result = pd.concat(picked, ignore_index=True)
    result.insert(0, "source_id", result.pop("source_id"))
    result["also_for"] = [
        [int(s) for s in result.loc[result["candidate_id"] == c, "source_id"] if s != source]
        for source, c in zip(result["source_id"], result["candidate_id"], strict=True)
    ]
    return result


def _candidate_lists(
    model: Recommender,
    source_ids: Sequence[int],
    *,
    country: str | None,
    kind: str | None,
    per_source: int,
) -> list[tuple[int, pd.DataFrame]]:
    found = []
    for source_id in source_ids:
        try:
            table = model.recommend(int(source_id), per_source, kind=kind, country=country)
        except NotFoundError:
            continue  # no compatible candidate for this source
        if not table.empty:
            found.append((int(source_id), table))
    return found
