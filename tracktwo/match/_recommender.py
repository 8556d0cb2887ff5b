"""The matchmaker's recommender: who should partner with whom, and why.

``Recommender(...).fit(registry)`` learns one weight per feature of ``_features.FEATURES`` with a
link-prediction model — logistic regression on the known ties (positives) against random
non-tied actors of the partner's country (negatives, ``negatives_per_positive`` per tie). The
score of a pair is the model's log-odds: ``intercept_ + Σ coef_[f] × feature f``, so the
per-feature contributions a recommendation carries add up to ``score − intercept_``.

The capacity penalty is policy, not evidence: its weight is ``-capacity_weight``, never learned
(popular actors do gain ties, so a learned weight would reward what the penalty exists to curb).

For scale, ``recommend`` and ``recommend_many`` score a short list per source — the ``candidates``
nearest by distance (a BallTree on the unit sphere) and by population, the ``candidates`` best
by the candidate's own terms, and every actor sharing a partner — then rank it exhaustively.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import BallTree
from sklearn.preprocessing import StandardScaler

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges._registry import Registry
from tracktwo.match._features import (
    FEATURES,
    ActorTable,
    TieGraph,
    build_graph,
    pair_features,
    read_actors,
    read_ties,
)

__all__ = ["Recommender"]

PENALTY = "over_capacity"
_CANDIDATE_ONLY = (
    "capital_pair",
    "candidate_capital",
    "candidate_degree",
    "partner_country_ties",
    "neutral_share",
)
_CHUNK = 200_000  # pairs scored at once: bounds the memory of the sparse row products


class Recommender:
    """Rank the actors of another country as partners for an actor (scikit-learn style)."""

    def __init__(
        self,
        weights: Mapping[str, float] | None = None,
        negatives_per_positive: int = 5,
        capacity: int | None = 20,
        capacity_weight: float = 1.0,
        text: str = "tfidf",
        candidates: int = 300,
        random_state: int = 0,
    ) -> None:
        self.weights = weights
        self.negatives_per_positive = negatives_per_positive
        self.capacity = capacity
        self.capacity_weight = capacity_weight
        self.text = text
        self.candidates = candidates
        self.random_state = random_state

    # -- learning ------------------------------------------------------------------------------

    def fit(self, registry: Registry, *, exclude_ties: frozenset[int] | set[int] = frozenset()):
        """Learn the weights from the registry's ties, leaving out ``exclude_ties`` entirely."""
        actors = read_actors(registry, text=self.text)
        return self.fit_tables(actors, read_ties(registry), exclude_ties=exclude_ties)

    def fit_tables(
        self,
        actors: ActorTable,
        ties: pd.DataFrame,
        *,
        exclude_ties: frozenset[int] | set[int] = frozenset(),
    ) -> Recommender:
        """``fit`` on snapshots already read (the evaluation reads the registry once)."""
        training = ties[~ties["id"].isin(set(exclude_ties))]
        self.actors_ = actors
        self.training_ties_ = frozenset(int(i) for i in training["id"])
        self.graph_: TieGraph = build_graph(actors, training)
        self.feature_names_ = list(FEATURES)
        if self.weights is not None:
            self._set_weights(self.weights)
        else:
            self._learn(training)
        return self

    def _set_weights(self, weights: Mapping[str, float]) -> None:
        unknown = sorted(set(weights) - {*FEATURES, "intercept"})
        if unknown:
            raise InputError(f"unknown feature weights {unknown}; features: {', '.join(FEATURES)}")
        self.coef_ = np.array([float(weights.get(name, 0.0)) for name in FEATURES])
        self.coef_[FEATURES.index(PENALTY)] = -self.capacity_weight
        self.intercept_ = float(weights.get("intercept", 0.0))

    def _learn(self, training: pd.DataFrame) -> None:
        sources, candidates, labels = self._training_pairs(training)
        if labels.sum() == 0 or labels.min() == 1:
            raise InputError(
                "no ties to learn from (or no actors to contrast them with): load ties first, "
                "or give the weights yourself: Recommender(weights={...})"
            )
        features = pair_features(
            self.actors_, self.graph_, sources, candidates, capacity=self.capacity, own_tie=labels
        )
        learned = [i for i, name in enumerate(FEATURES) if name != PENALTY]
        scaler = StandardScaler().fit(features[:, learned])
        model = LogisticRegression(C=1.0, max_iter=1000)
        model.fit(scaler.transform(features[:, learned]), labels)
        # back to the raw feature scale, so contributions are weight x the value shown
        raw = model.coef_[0] / np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
        self.coef_ = np.zeros(len(FEATURES))
        self.coef_[learned] = raw
        self.coef_[FEATURES.index(PENALTY)] = -self.capacity_weight
        self.intercept_ = float(model.intercept_[0] - raw @ scaler.mean_)
        self.n_training_pairs_ = len(labels)

    def _training_pairs(self, training: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each tie from a random side (positive) and random same-country non-partners."""
        rng = np.random.default_rng(self.random_state)
        index = self.actors_.index
        a = training["actor_a_id"].map(index).to_numpy(dtype=np.int64)
        b = training["actor_b_id"].map(index).to_numpy(dtype=np.int64)
        flip = rng.random(len(a)) < 0.5
        sources, partners = np.where(flip, b, a), np.where(flip, a, b)
        by_country = _rows_by_country(self.actors_.country_code)
        negatives = [
            rng.choice(by_country[self.actors_.country_code[p]], self.negatives_per_positive)
            for p in partners
        ]
        neg_sources = np.repeat(sources, self.negatives_per_positive)
        neg_candidates = np.concatenate(negatives) if negatives else np.array([], dtype=np.int64)
        keep = self._allowed(neg_sources, neg_candidates)
        all_sources = np.r_[sources, neg_sources[keep]]
        all_candidates = np.r_[partners, neg_candidates[keep]]
        labels = np.r_[np.ones(len(sources)), np.zeros(int(keep.sum()))]
        return all_sources, all_candidates, labels

    def _allowed(self, sources: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Pairs that may be recommended: other country, compatible kinds, not yet tied."""
        actors = self.actors_
        if len(sources) == 0:
            return np.zeros(0, dtype=bool)
        compatible = actors.kind_matrix[actors.kind_code[sources], actors.kind_code[candidates]] > 0
        foreign = actors.country_code[sources] != actors.country_code[candidates]
        return compatible & foreign & ~self.graph_.tied(sources, candidates)

    # -- scoring -------------------------------------------------------------------------------

    def contributions(self, sources: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """weight x feature value per pair (rows) and feature (columns), in chunks."""
        self._check_fitted()
        parts = [
            pair_features(
                self.actors_,
                self.graph_,
                sources[start : start + _CHUNK],
                candidates[start : start + _CHUNK],
                capacity=self.capacity,
            )
            * self.coef_
            for start in range(0, len(sources), _CHUNK)
        ]
        return np.vstack(parts) if parts else np.zeros((0, len(FEATURES)))

    def score_pairs(self, sources: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """The log-odds score of each (source row, candidate row) pair."""
        return self.intercept_ + self.contributions(sources, candidates).sum(axis=1)

    def pool(
        self, source: int, *, kind: str | None = None, country: str | None = None
    ) -> np.ndarray:
        """Rows of every actor ``source`` may be recommended (before any short-listing)."""
        frame = self.actors_.frame
        rows = np.arange(len(frame))
        mask = self._allowed(np.full(len(rows), source), rows)
        if kind is not None:
            mask &= (frame["kind"] == kind.strip().lower()).to_numpy()
        if country is not None:
            mask &= (frame["country"] == country.strip().upper()).to_numpy()
        return rows[mask]

    def recommend(
        self,
        actor_id: int,
        k: int = 10,
        *,
        kind: str | None = None,
        country: str | None = None,
        exhaustive: bool = False,
    ) -> pd.DataFrame:
        """The ``k`` best new partners of ``actor_id``, each with its score and explanation."""
        self._check_fitted()
        if k < 1:
            raise InputError(f"k must be at least 1, not {k}")
        source = self.actors_.row(int(actor_id))
        pool = self.pool(source, kind=kind, country=country)
        if len(pool) == 0:
            raise NotFoundError(_no_candidates(self.actors_.frame.iloc[source], kind, country))
        if not exhaustive:
            pool = self.shortlist(np.array([source]), pool)[1]
        sources = np.full(len(pool), source)
        parts = self.contributions(sources, pool)
        return self._table(pool, parts, k)

    def _table(self, rows: np.ndarray, parts: np.ndarray, k: int) -> pd.DataFrame:
        scores = self.intercept_ + parts.sum(axis=1)
        order = np.argsort(-scores, kind="stable")[:k]
        chosen = self.actors_.frame.iloc[rows[order]]
        table = pd.DataFrame(
            {
                "candidate_id": chosen["id"].to_numpy(),
                "name": chosen["name"].to_numpy(),
                "country": chosen["country"].to_numpy(),
                "kind": chosen["kind"].to_numpy(),
                "score": scores[order],
                "rank": np.arange(1, len(order) + 1),
            }
        )
        for position, name in enumerate(FEATURES):
            table[name] = parts[order, position]
        return table

    # -- the fast candidate step ---------------------------------------------------------------

    def shortlist(self, sources: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(source, candidate) row pairs worth scoring exhaustively, for each source x ``pool``."""
        m = self.candidates
        if len(pool) <= 4 * m:
            return np.repeat(sources, len(pool)), np.tile(pool, len(sources))
        parts = [
            self._nearest(sources, pool, m),
            self._closest_population(sources, pool, m),
            self._best_alone(sources, pool, m),
            self._shared(sources, pool),
        ]
        pairs = np.unique(np.vstack([np.column_stack(p) for p in parts]), axis=0)
        keep = self._allowed(pairs[:, 0], pairs[:, 1])
        return pairs[keep, 0], pairs[keep, 1]

    def _nearest(self, sources: np.ndarray, pool: np.ndarray, m: int) -> tuple[np.ndarray, ...]:
        unit = self.actors_.unit
        located = pool[~np.isnan(unit[pool, 0])]
        queried = sources[~np.isnan(unit[sources, 0])]
        if len(located) == 0 or len(queried) == 0:
            return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
        # 2m: the nearest actors are often of the source's own country, dropped afterwards
        count = min(2 * m, len(located))
        _, found = BallTree(unit[located]).query(unit[queried], k=count)
        return np.repeat(queried, count), located[found.ravel()]

    def _closest_population(self, sources, pool, m) -> tuple[np.ndarray, np.ndarray]:
        population = np.nan_to_num(self.actors_.log_population, nan=-1.0)
        ordered = pool[np.argsort(population[pool], kind="stable")]
        at = np.searchsorted(population[ordered], population[sources])
        start = np.clip(at - m, 0, max(len(ordered) - 2 * m, 0))
        window = start[:, None] + np.arange(min(2 * m, len(ordered)))[None, :]
        return np.repeat(sources, window.shape[1]), ordered[window.ravel()]

    def _best_alone(self, sources, pool, m) -> tuple[np.ndarray, np.ndarray]:
        """The m best candidates on their own terms, per source country and capital status."""
        countries = self.actors_.country_code[sources] * 2 + self.actors_.capital[sources]
        found_sources, found = [], []
        for country in np.unique(countries):
            mine = sources[countries == country]
            own = self.contributions(np.full(len(pool), mine[0]), pool)
            alone = own[:, [FEATURES.index(f) for f in (*_CANDIDATE_ONLY, PENALTY)]].sum(axis=1)
            best = pool[np.argsort(-alone, kind="stable")[:m]]
            found_sources.append(np.repeat(mine, len(best)))
            found.append(np.tile(best, len(mine)))
        return np.concatenate(found_sources), np.concatenate(found)

    def _shared(self, sources, pool) -> tuple[np.ndarray, np.ndarray]:
        """Every pool actor sharing at least one partner with the source."""
        adjacency = self.graph_.adjacency
        two_hop = (adjacency[sources] @ adjacency[:, pool]).tocoo()
        return sources[two_hop.row], pool[two_hop.col]

    def recommend_many(
        self, actor_ids: np.ndarray, k: int = 10, *, exhaustive: bool = False
    ) -> pd.DataFrame:
        """Top-``k`` partners abroad for many actors: source_id, candidate_id, score, rank."""
        self._check_fitted()
        sources = np.array([self.actors_.row(int(i)) for i in actor_ids], dtype=np.int64)
        everyone = np.arange(len(self.actors_.frame))
        if exhaustive:
            pair_sources, pair_candidates = (
                np.repeat(sources, len(everyone)),
                np.tile(everyone, len(sources)),
            )
            keep = self._allowed(pair_sources, pair_candidates)
            pair_sources, pair_candidates = pair_sources[keep], pair_candidates[keep]
        else:
            pair_sources, pair_candidates = self.shortlist(sources, everyone)
        scores = self.score_pairs(pair_sources, pair_candidates)
        ids = self.actors_.ids
        ranked = pd.DataFrame(
            {"source_id": ids[pair_sources], "candidate_id": ids[pair_candidates], "score": scores}
        ).sort_values(["source_id", "score"], ascending=[True, False], kind="stable")
        ranked["rank"] = ranked.groupby("source_id").cumcount() + 1
        return ranked[ranked["rank"] <= k].reset_index(drop=True)

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise InputError("the recommender is not fitted yet: call .fit(registry) first")


def _rows_by_country(country_code: np.ndarray) -> dict[int, np.ndarray]:
    order = np.argsort(country_code, kind="stable")
    codes, starts = np.unique(country_code[order], return_index=True)
    return dict(zip(codes.tolist(), np.split(order, starts[1:]), strict=True))


def _no_candidates(actor: pd.Series, kind: str | None, country: str | None) -> str:
    where = f" in {country.upper()}" if country else " abroad"
    what = f" of kind {kind!r}" if kind else f" of a kind that matches {actor['kind']!r}"
    return f"no candidates{what}{where} for {actor['name']} (id {actor['id']}) not already tied"
