"""The exact fast top-k of the recommender: a threshold algorithm over blocks of candidates.

:class:`ThresholdTopK` returns, per source, the candidates an exhaustive scoring of the pool
would rank in the top ``k`` (recall 1.0, checked by ``tests/test_match_recommender.py`` and
``benchmarks/bench_match.py``) without scoring every pair. It reads the fitted model's learned
state (``coef_``, ``intercept_``, ``actors_``, ``graph_``) and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tracktwo.match._diaspora_features import DIASPORA_FEATURES
from tracktwo.match._features import (
    EARTH_KM,
    FEATURES,
    UNKNOWN_DISTANCE_KM,
    UNKNOWN_POPULATION_GAP,
    _complementarity,
    _distance_km,
    _rowwise_dot,
    _shared_partners,
)

if TYPE_CHECKING:
    from tracktwo.match._recommender import Recommender

__all__ = ["PENALTY", "ThresholdTopK"]

PENALTY = "over_capacity"

_BLOCK = 32  # candidates per block at most
_CELL_DEGREES = 15.0  # latitude/longitude cells that keep a block's members close together
_POPULATION_BIN = 0.25  # log10 population bins that keep a block's populations close together
_OWN_BIN = 0.1  # bins of the candidate's own terms
_BATCH_CELLS = 4_000_000  # sources x blocks bound entries computed at once
_SLACK = 1e-9  # rounding room on every bound and threshold


class ThresholdTopK:
    """Exact top-k per source by a threshold algorithm on the additive score.

    The score splits into ``G(group, c)`` — the features that depend on the candidate and on a
    small key of the source (country, capital, kind, climate band) — plus pairwise terms
    (population, distance, text, complementarity) and the sparse shared-partner term. The pool
    is cut into blocks of similar candidates (kind, own terms, capital, climate, 15° cell,
    population bin). For each (source, block) an upper bound adds the block's largest ``G`` for
    the source's group and a bound of each pairwise term over the block (its population
    interval, its bounding cap on the sphere). Shared partners are scored exactly for the few
    candidates that share one (0 for the rest). Round one scores, per source, the blocks of
    highest bound; their ``k``-th best score is a valid threshold; round two scores every block
    whose bound reaches it. No candidate left out can beat the ``k``-th best: the result is the
    exhaustive top k.
    """

    def __init__(self, model: Recommender, pool: np.ndarray, k: int) -> None:
        self.model, self.pool, self.k = model, pool, int(k)
        actors, graph = model.actors_, model.graph_
        self.actors, self.graph = actors, graph
        self.w = dict(zip(FEATURES, model.coef_.tolist(), strict=True))
        self.n = len(actors.frame)
        own = (
            self.w["candidate_capital"] * actors.capital
            + self.w["candidate_degree"] * np.log1p(graph.degree)
            + self.w["neutral_share"] * actors.neutral_share
            + self.w["diaspora_nearby"] * actors.diaspora_nearby
        )
        if model.capacity:
            excess = np.maximum(graph.active_degree - model.capacity, 0)
            own = own + self.w[PENALTY] * np.log1p(excess)
        self.own = own
        self.has_text = np.diff(actors.text.indptr) > 0
        self.has_areas = (np.diff(actors.offered.indptr) > 0) | (np.diff(actors.needed.indptr) > 0)
        self.country_ties = graph.country_ties.tocsc()
        adjacency = graph.adjacency.tocoo()
        self.tie_keys = np.sort(adjacency.row.astype(np.int64) * self.n + adjacency.col)
        self._blocks()

    # -- blocks of the pool --------------------------------------------------------------------

    def _blocks(self) -> None:
        actors, rows = self.actors, self.pool
        population = actors.log_population[rows]
        unit = actors.unit[rows]
        located = ~np.isnan(unit[:, 0])
        known = ~np.isnan(population)
        latitude = np.degrees(np.arcsin(np.clip(np.nan_to_num(unit[:, 2]), -1, 1)))
        longitude = np.degrees(np.arctan2(np.nan_to_num(unit[:, 1]), np.nan_to_num(unit[:, 0])))
        cell = np.floor((latitude + 90) / _CELL_DEGREES) * 1000 + np.floor(
            (longitude + 180) / _CELL_DEGREES
        )
        cell = np.where(located, cell, -1)
        population_bin = np.where(known, np.floor(np.nan_to_num(population) / _POPULATION_BIN), -1)
        keys = (
            actors.kind_code[rows],
            located,
            known,
            actors.capital[rows],
            actors.climate[rows],
            np.floor(self.own[rows] / _OWN_BIN),
            self.has_text[rows],
            self.has_areas[rows],
            cell,
            population_bin,
        )
        order = np.lexsort((np.nan_to_num(population), *keys[::-1]))
        ordered = [np.asarray(key)[order] for key in keys]
        change = np.zeros(len(order), dtype=bool)
        change[0] = True
        for key in ordered:
            change[1:] |= key[1:] != key[:-1]
        run = np.cumsum(change) - 1
        run_start = np.flatnonzero(change)
        position = np.arange(len(order)) - run_start[run]
        starts = np.flatnonzero(change | (position % _BLOCK == 0))
        self.order = rows[order]
        self.starts = starts
        self.sizes = np.diff(np.r_[starts, len(order)])
        block_of = np.repeat(np.arange(len(starts)), self.sizes)
        self.block_known = known[order][starts]
        self.block_located = located[order][starts]
        ordered_population = np.nan_to_num(population[order])
        self.low = np.minimum.reduceat(ordered_population, starts)
        self.high = np.maximum.reduceat(ordered_population, starts)
        ordered_unit = np.nan_to_num(unit[order])
        center = np.add.reduceat(ordered_unit, starts, axis=0)
        norm = np.linalg.norm(center, axis=1)
        center = center / np.where(norm > 0, norm, 1.0)[:, None]
        cosine = np.einsum("ij,ij->i", ordered_unit, center[block_of])
        self.center = center
        self.radius = np.maximum.reduceat(np.arccos(np.clip(cosine, -1.0, 1.0)), starts)
        self.block_text = np.maximum.reduceat(self.has_text[self.order], starts)
        self.block_areas = np.maximum.reduceat(self.has_areas[self.order], starts)

    # -- per source group ----------------------------------------------------------------------

    def run(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        actors = self.actors
        group = np.column_stack(
            [
                actors.country_code[sources],
                actors.capital[sources],
                actors.kind_code[sources],
                actors.climate[sources],
            ]
        )
        _, label = np.unique(group, axis=0, return_inverse=True)
        label = np.asarray(label).ravel()
        found_sources, found = [], []
        batch = max(1, _BATCH_CELLS // max(len(self.starts), 1))
        for g in np.unique(label):
            mine = sources[label == g]
            joint = self._joint(mine[0])
            block_best = np.maximum.reduceat(joint[self.order], self.starts)
            for at in range(0, len(mine), batch):
                s, c = self._top(mine[at : at + batch], joint, block_best)
                found_sources.append(s)
                found.append(c)
        pair_sources = np.concatenate(found_sources) if found_sources else np.zeros(0, np.int64)
        pair_candidates = np.concatenate(found) if found else np.zeros(0, np.int64)
        # source order as given, candidates ascending: the order exhaustive scoring ranks in
        first = {int(s): i for i, s in reversed(list(enumerate(sources)))}
        rank = np.array([first[int(s)] for s in pair_sources], dtype=np.int64)
        order = np.lexsort((pair_candidates, rank))
        return pair_sources[order], pair_candidates[order]

    def _joint(self, source: int) -> np.ndarray:
        """G: the candidate's own terms plus those set by the source's group; −inf if barred."""
        actors, w = self.actors, self.w
        kind = actors.kind_matrix[actors.kind_code[source], actors.kind_code]
        climate = actors.climate[source]
        ties = np.asarray(self.country_ties[:, actors.country_code[source]].todense()).ravel()
        joint = (
            self.own
            + w["kind_fit"] * kind
            + w["cross_level"] * self.graph.cross_level[actors.kind_code[source], actors.kind_code]
            + w["capital_pair"] * actors.capital[source] * actors.capital
            + w["same_climate"] * ((actors.climate == climate) & (climate >= 0))
            + w["partner_country_ties"] * np.log1p(np.maximum(ties, 0))
            + self._diaspora(str(actors.frame["country"].iat[source]))
        )
        barred = (kind <= 0) | (actors.country_code == actors.country_code[source])
        return np.where(barred, -np.inf, joint)

    def _diaspora(self, origin: str) -> np.ndarray | float:
        """The diaspora terms of every candidate for a source of country ``origin``."""
        table = self.actors.diaspora.by_origin.get(origin)
        if table is None:
            return 0.0
        return table @ np.array([self.w[name] for name in DIASPORA_FEATURES])

    def _bounds(self, sources: np.ndarray, block_best: np.ndarray) -> np.ndarray:
        """Upper bound of the score of every (source, block): sources x blocks."""
        actors, w = self.actors, self.w
        bound = np.broadcast_to(
            block_best + self.model.intercept_ + _SLACK, (len(sources), len(block_best))
        ).copy()
        # population similarity: −|Δ log10 population| (−1 when either is unknown)
        population = actors.log_population[sources][:, None]
        unknown = np.isnan(population) | ~self.block_known[None, :]
        if w["population_similarity"] >= 0:
            gap = np.maximum(np.maximum(self.low - population, population - self.high), 0)
        else:
            gap = np.maximum(np.abs(population - self.low), np.abs(population - self.high))
        gap = np.where(unknown, UNKNOWN_POPULATION_GAP, gap)
        bound -= w["population_similarity"] * gap
        # distance: log1p(km), km bounded through the block's cap on the sphere
        unit = actors.unit[sources]
        angle = np.arccos(np.clip(np.nan_to_num(unit) @ self.center.T, -1.0, 1.0))
        if w["distance"] <= 0:
            reach = np.maximum(angle - self.radius - _SLACK, 0.0)
        else:
            reach = np.minimum(angle + self.radius + _SLACK, np.pi)
        km = np.where(
            np.isnan(unit[:, :1]) | ~self.block_located[None, :],
            UNKNOWN_DISTANCE_KM,
            EARTH_KM * reach,
        )
        bound += w["distance"] * np.log1p(km)
        # text and complementarity lie in [0, 1], and are 0 unless both sides have data
        text = self.has_text[sources][:, None] & self.block_text[None, :]
        bound += max(w["text"], 0.0) * text
        areas = self.has_areas[sources][:, None] & self.block_areas[None, :]
        bound += max(w["complementarity"], 0.0) * areas
        return bound

    def _top(
        self, sources: np.ndarray, joint: np.ndarray, block_best: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        bound = self._bounds(sources, block_best)
        blocks = len(self.starts)
        # round one: the blocks of highest bound, about `candidates` candidates per source
        first = min(blocks, max(8, -(-self.model.candidates // _BLOCK)))
        if first < blocks:
            top = np.argpartition(-bound, first - 1, axis=1)[:, :first]
        else:
            top = np.broadcast_to(np.arange(blocks), (len(sources), blocks))
        taken = np.zeros_like(bound, dtype=bool)
        np.put_along_axis(taken, top, True, axis=1)
        taken &= np.isfinite(bound)
        shared_s, shared_c = self._shared(sources)
        shared_keys = np.sort(shared_s * self.n + shared_c)
        parts = [self._score(shared_s, shared_c, joint, shared=True)]
        parts.append(self._score_blocks(sources, taken, joint, shared_keys))
        threshold = self._kth(sources, parts)
        # round two: every other block whose bound reaches the k-th best found so far
        more = ~taken & (bound >= threshold[:, None] - _SLACK) & np.isfinite(bound)
        if more.any():
            parts.append(self._score_blocks(sources, more, joint, shared_keys))
            threshold = self._kth(sources, parts)
        s = np.concatenate([p[0] for p in parts])
        c = np.concatenate([p[1] for p in parts])
        score = np.concatenate([p[2] for p in parts])
        local = np.searchsorted(np.sort(sources), s)
        keep = np.isfinite(score) & (score >= threshold[np.argsort(sources)][local] - _SLACK * 10)
        return s[keep], c[keep]

    def _kth(self, sources: np.ndarray, parts: list) -> np.ndarray:
        """The k-th best finite score of each source so far (−inf with fewer than k)."""
        s = np.concatenate([p[0] for p in parts])
        score = np.concatenate([p[2] for p in parts])
        finite = np.isfinite(score)
        s, score = s[finite], score[finite]
        sorted_sources = np.sort(sources)
        local = np.searchsorted(sorted_sources, s)
        order = np.lexsort((-score, local))
        local, score = local[order], score[order]
        counts = np.bincount(local, minlength=len(sources))
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        kth = np.full(len(sources), -np.inf)
        enough = counts >= self.k
        kth[enough] = score[starts[enough] + self.k - 1]
        # back to the order of `sources`
        result = np.empty(len(sources))
        result[np.argsort(sources, kind="stable")] = kth
        return result

    def _score_blocks(
        self, sources: np.ndarray, chosen: np.ndarray, joint: np.ndarray, shared_keys: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        which, block = np.nonzero(chosen)
        sizes = self.sizes[block]
        total = int(sizes.sum())
        offsets = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        candidates = self.order[np.repeat(self.starts[block], sizes) + offsets]
        pair_sources = np.repeat(sources[which], sizes)
        if len(shared_keys):
            keys = pair_sources * self.n + candidates
            at = np.minimum(np.searchsorted(shared_keys, keys), len(shared_keys) - 1)
            fresh = shared_keys[at] != keys
            pair_sources, candidates = pair_sources[fresh], candidates[fresh]
        return self._score(pair_sources, candidates, joint, shared=False)

    def _shared(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        adjacency = self.graph.adjacency
        two_hop = (adjacency[sources] @ adjacency[:, self.pool]).tocoo()
        return sources[two_hop.row].astype(np.int64), self.pool[two_hop.col].astype(np.int64)

    def _score(
        self, sources: np.ndarray, candidates: np.ndarray, joint: np.ndarray, *, shared: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The exact score of each pair (−inf when the pair may not be recommended)."""
        actors, w = self.actors, self.w
        score = self.model.intercept_ + joint[candidates]
        gap = np.abs(actors.log_population[sources] - actors.log_population[candidates])
        score -= w["population_similarity"] * np.where(np.isnan(gap), UNKNOWN_POPULATION_GAP, gap)
        score += w["distance"] * np.log1p(_distance_km(actors, sources, candidates))
        if w["text"] != 0:
            both = np.flatnonzero(self.has_text[sources] & self.has_text[candidates])
            if len(both):
                cosine = _rowwise_dot(actors.text, sources[both], candidates[both])
                score[both] += w["text"] * np.maximum(cosine, 0.0)  # as in pair_features
        if w["complementarity"] != 0:
            both = np.flatnonzero(self.has_areas[sources] & self.has_areas[candidates])
            if len(both):
                score[both] += w["complementarity"] * _complementarity(
                    actors, sources[both], candidates[both]
                )
        if shared and len(sources):
            score += w["shared_partners"] * np.log1p(
                _shared_partners(actors, self.graph, sources, candidates)
            )
        if len(self.tie_keys) and len(sources):
            keys = sources * self.n + candidates
            at = np.minimum(np.searchsorted(self.tie_keys, keys), len(self.tie_keys) - 1)
            score = np.where(self.tie_keys[at] == keys, -np.inf, score)
        return sources, candidates, score
