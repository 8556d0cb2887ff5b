"""The matchmaker's recommender: who should partner with whom, and why.

``Recommender(...).fit(registry)`` learns one weight per feature of ``_features.FEATURES`` with a
link-prediction model — logistic regression on the known ties (positives) against random
non-tied actors of the partner's country (negatives, ``negatives_per_positive`` per tie). The
score of a pair is the model's log-odds: ``intercept_ + Σ coef_[f] × feature f``, so the
per-feature contributions a recommendation carries add up to ``score − intercept_``.

With ``calibrate=True`` (the default) ``fit`` also learns ``calibration_``: Platt scaling of
the score fitted on a held-out share of the training ties (:mod:`tracktwo.match._calibration`),
and ``recommend`` adds ``chance`` — the calibrated chance that the candidate is the one, for an
actor that gains a tie in that country, among pairs like those evaluated. ``calibration_`` is
None when too few ties are left to hold out (``MIN_CALIBRATION_TIES``); then no ``chance``.

The capacity penalty is policy, not evidence: its weight is ``-capacity_weight``, never learned
(popular actors do gain ties, so a learned weight would reward what the penalty exists to curb).

For scale, ``recommend`` and ``recommend_many`` find the exact top k without scoring every pair:
pools larger than ``candidates`` go through a threshold algorithm on the additive score
(:class:`tracktwo.match._topk.ThresholdTopK`): per source group, the candidate- and
group-dependent terms are summed once per candidate, pairwise terms are bounded per block of
similar candidates, shared partners are scored exactly for the few candidates that have any, and
blocks are scored until no block left can reach the k-th best score. The result equals exhaustive
scoring (recall 1.0).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges import Registry
from tracktwo.match._calibration import (
    MIN_CALIBRATION_TIES,
    NEGATIVES_PER_CASE,
    Calibration,
    case_pairs,
    fit_platt,
    held_out_cases,
)
from tracktwo.match._diaspora_features import DIASPORA_FEATURES
from tracktwo.match._features import (
    FEATURES,
    RULE_WEIGHTS,
    ActorTable,
    TieGraph,
    build_graph,
    pair_features,
    read_actors,
    read_ties,
)
from tracktwo.match._topk import PENALTY, ThresholdTopK

__all__ = ["Recommender"]

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
        calibrate: bool = True,
        calibration_share: float = 0.2,
        drop_features: tuple[str, ...] = (),
    ) -> None:
        self.weights = weights
        self.negatives_per_positive = negatives_per_positive
        self.capacity = capacity
        self.capacity_weight = capacity_weight
        self.text = text
        self.candidates = candidates
        self.random_state = random_state
        self.calibrate = calibrate
        self.calibration_share = calibration_share
        self.drop_features = drop_features  # weight 0, never learned (to measure a feature)

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
        unknown = sorted(set(self.drop_features) - set(FEATURES))
        if unknown:
            raise InputError(f"unknown features to drop {unknown}; features: {', '.join(FEATURES)}")
        if self.weights is not None:
            self._set_weights(self.weights)
        else:
            self._learn(training)
        self.coef_[[FEATURES.index(name) for name in self.drop_features]] = 0.0
        self.calibration_: Calibration | None = (
            self._calibrated(actors, training) if self.calibrate else None
        )
        return self

    def _params(self) -> dict[str, object]:
        names = (
            "weights",
            "negatives_per_positive",
            "capacity",
            "capacity_weight",
            "text",
            "candidates",
            "random_state",
            "calibrate",
            "calibration_share",
            "drop_features",
        )
        return {name: getattr(self, name) for name in names}  # fmt: skip

    def _calibrated(self, actors: ActorTable, training: pd.DataFrame) -> Calibration | None:
        """Platt scaling fitted on ``calibration_share`` of the training ties, held out of a
        second model fitted on the rest (the same parameters): each held-out tie ranked as in
        evaluation, its partner against sampled candidates of its pool weighed back to the
        pool's size. The final model keeps all the ties; its scores are mapped the same way."""
        count = round(self.calibration_share * len(training))
        if count < MIN_CALIBRATION_TIES or len(training) - count < MIN_CALIBRATION_TIES:
            return None
        rng = np.random.default_rng(self.random_state + 7)
        held = training.iloc[np.sort(rng.choice(len(training), count, replace=False))]
        inner = Recommender(**{**self._params(), "calibrate": False})  # type: ignore[arg-type]
        try:
            inner.fit_tables(actors, training, exclude_ties=set(held["id"]))
        except InputError:
            return None  # nothing left to learn from once the share is held out
        cases = held_out_cases(inner, held, rng)
        if len(cases) < MIN_CALIBRATION_TIES:
            return None
        sources, candidates, labels, weights = case_pairs(cases, NEGATIVES_PER_CASE, rng)
        slope, intercept = fit_platt(inner.score_pairs(sources, candidates), labels, weights)
        return Calibration(slope, intercept, len(cases), len(labels))

    def _set_weights(self, weights: Mapping[str, float]) -> None:
        unknown = sorted(set(weights) - {*FEATURES, "intercept"})
        if unknown:
            raise InputError(f"unknown feature weights {unknown}; features: {', '.join(FEATURES)}")
        self.coef_ = np.array([float(weights.get(name, 0.0)) for name in FEATURES])
        self.coef_[FEATURES.index(PENALTY)] = -self.capacity_weight
        for name, rule in RULE_WEIGHTS.items():  # a rule's weight unless one is given
            self.coef_[FEATURES.index(name)] = float(weights.get(name, rule))
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
        fixed = {PENALTY, *RULE_WEIGHTS, *self.drop_features}
        learned = [i for i, name in enumerate(FEATURES) if name not in fixed]
        scaler = StandardScaler().fit(features[:, learned])
        # the diaspora features stay on their own scale, so the penalty is a unit normal prior
        # on their raw weights: known for a handful of pairs (KHM→USA), standardising would
        # make those few pairs outliers of tens of standard deviations and their weight huge
        raw_scale = [j for j, i in enumerate(learned) if FEATURES[i] in DIASPORA_FEATURES]
        scaler.mean_[raw_scale], scaler.scale_[raw_scale] = 0.0, 1.0
        model = LogisticRegression(C=1.0, max_iter=1000)
        model.fit(scaler.transform(features[:, learned]), labels)
        # back to the raw feature scale, so contributions are weight x the value shown
        raw = model.coef_[0] / np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
        self.coef_ = np.zeros(len(FEATURES))
        self.coef_[learned] = raw
        self.coef_[FEATURES.index(PENALTY)] = -self.capacity_weight
        for name, rule in RULE_WEIGHTS.items():  # rules are policy, not learned (_features.py)
            self.coef_[FEATURES.index(name)] = rule
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
            pool = self.shortlist(np.array([source]), pool, k)[1]
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
        if self.calibration_ is not None:
            table["chance"] = self.calibration_.chance(scores[order])
        return table

    # -- the fast candidate step ---------------------------------------------------------------

    def shortlist(
        self, sources: np.ndarray, pool: np.ndarray, k: int = 10
    ) -> tuple[np.ndarray, np.ndarray]:
        """(source, candidate) row pairs that hold every source's exact top ``k`` from ``pool``.

        Pools of at most ``candidates`` actors are returned whole. Larger ones go through a
        threshold algorithm on the additive score (module docstring): the pairs returned are
        every allowed candidate whose score reaches the source's ``k``-th best (ties included),
        sorted by source then candidate row, so ranking them gives exactly the exhaustive top k.
        """
        sources = np.asarray(sources, dtype=np.int64)
        pool = np.unique(np.asarray(pool, dtype=np.int64))
        if len(pool) <= self.candidates:
            pair_sources, pair_candidates = (
                np.repeat(sources, len(pool)),
                np.tile(pool, len(sources)),
            )
            keep = self._allowed(pair_sources, pair_candidates)
            return pair_sources[keep], pair_candidates[keep]
        return ThresholdTopK(self, pool, k).run(sources)

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
            pair_sources, pair_candidates = self.shortlist(sources, everyone, k)
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
