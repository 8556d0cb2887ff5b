"""Calibration: from the model's score to a chance that can be checked against held-out ties.

The recommender's score is the log-odds of a logistic regression fitted on each tie against
``negatives_per_positive`` random non-partners: its logistic says how a tie compares with 5
drawn negatives, not how often a pair is tied (the "Probability 100% / 99% / 93%" the
dashboard once printed). Platt scaling (Platt, "Probabilistic outputs for support vector
machines", 1999) maps the score to ``chance = 1 / (1 + exp(−(slope × score + intercept)))``,
fitted on held-out ties by weighted maximum likelihood.

What the chance means — the population it is fitted on: each held-out tie is a *case* (one side
at random as the source) whose pool is every candidate of the partner's country the source
could be offered; the true partner is the positive, every other candidate of the pool a
negative. So ``chance`` is **the calibrated chance that this candidate is the one, for an actor
that gains a tie in that country, among pairs like those evaluated**. It is not a chance of a
tie within N years: the registry's ties carry no start year to measure one (0 of the 19,749
sister-city ties of the Wikipedia list have a start date), and it is not the chance that the
actor gains a tie at all.

Negatives are sampled (``negatives`` per case, default 100) and weighed by the inverse of
their sampling rate, ``(pool − 1) / sampled``, so the fit sees each pool at its true
1 : (pool − 1) ratio (Horvitz–Thompson weighting). :func:`prior_correction` is the closed
form for one constant rate (King and Zeng, "Logistic regression in rare events data", 2001):
odds fitted on negatives kept at rate r are 1/r times the true odds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tracktwo._errors import InputError

if TYPE_CHECKING:
    from tracktwo.match._recommender import Recommender

__all__ = [
    "MIN_CALIBRATION_TIES",
    "RELIABILITY_EDGES",
    "Calibration",
    "brier_score",
    "case_pairs",
    "fit_platt",
    "held_out_cases",
    "prior_correction",
    "reliability_table",
]

MIN_CALIBRATION_TIES = 20  # held-out ties below which no calibration is fitted
NEGATIVES_PER_CASE = 100
# bins of the chance: most pairs of a pool of thousands sit far below 1%
RELIABILITY_EDGES = (0.0, 0.001, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + e^−x), without overflow


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of the score: ``chance = logistic(slope × score + intercept)``."""

    slope: float
    intercept: float
    n_ties: int  # held-out ties (cases) it was fitted on
    n_pairs: int  # pairs fitted (each positive and the sampled negatives)

    def chance(self, scores: np.ndarray) -> np.ndarray:
        return _logistic(self.slope * np.asarray(scores, dtype=float) + self.intercept)


def prior_correction(log_odds: np.ndarray | float, kept_share: float) -> np.ndarray | float:
    """The log-odds of a model fitted with negatives kept at rate ``kept_share`` (every
    positive kept), corrected to the full data: + log(kept_share)."""
    if not 0 < kept_share <= 1:
        raise InputError(f"kept_share must be in (0, 1], not {kept_share}")
    return log_odds + np.log(kept_share)


def fit_platt(
    scores: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None, *, steps: int = 50
) -> tuple[float, float]:
    """(slope, intercept) maximising the weighted log-likelihood of ``labels`` (0/1) under
    logistic(slope × score + intercept), by Newton's method (two parameters, no penalty)."""
    x = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if len(x) == 0 or (w * y).sum() == 0 or (w * (1 - y)).sum() == 0:
        raise InputError("calibration needs positives and negatives")
    design = np.column_stack([x, np.ones_like(x)])
    rate = float((w * y).sum() / w.sum())
    theta = np.array([0.0, np.log(rate / (1 - rate))])  # start at the base rate
    for _ in range(steps):
        p = _logistic(design @ theta)
        gradient = design.T @ (w * (y - p))
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design
        step = np.linalg.lstsq(hessian + 1e-12 * np.eye(2), gradient, rcond=None)[0]
        theta = theta + step
        if np.abs(step).max() < 1e-10:
            break
    return float(theta[0]), float(theta[1])


def held_out_cases(
    model: Recommender,
    hidden: pd.DataFrame,
    rng: np.random.Generator,
    source_country: str | None = None,
) -> list[tuple[int, np.ndarray, int]]:
    """(source row, candidate rows, position of the true partner) for each held-out tie of
    ``hidden`` (actor_a_id, actor_b_id): one side at random as the source (the side in
    ``source_country`` when given; ties without it are skipped), ranked among every actor of
    the partner's country it may be offered. A partner of an incompatible kind is skipped."""
    index, countries = model.actors_.index, model.actors_.frame["country"].to_numpy()
    wanted = source_country.strip().upper() if source_country is not None else None
    cases = []
    for a, b in zip(hidden["actor_a_id"], hidden["actor_b_id"], strict=True):
        source, partner = (index[b], index[a]) if rng.random() < 0.5 else (index[a], index[b])
        if wanted is not None:
            if countries[source] != wanted and countries[partner] != wanted:
                continue
            if countries[source] != wanted:
                source, partner = partner, source
        pool = model.pool(source, country=countries[partner])
        found = np.flatnonzero(pool == partner)
        if len(found):
            cases.append((source, pool, int(found[0])))
    return cases


def case_pairs(
    cases: list[tuple[int, np.ndarray, int]], negatives: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """sources, candidates, labels, weights: each case's true partner (weight 1) and up to
    ``negatives`` other candidates of its pool, each weighing (pool − 1) / sampled."""
    sources, candidates, labels, weights = [], [], [], []
    for source, pool, truth in cases:
        others = np.delete(pool, truth)
        chosen = others if len(others) <= negatives else rng.choice(others, negatives, False)
        weight = len(others) / max(len(chosen), 1)
        sources.append(np.full(len(chosen) + 1, source))
        candidates.append(np.r_[pool[truth], chosen])
        labels.append(np.r_[1.0, np.zeros(len(chosen))])
        weights.append(np.r_[1.0, np.full(len(chosen), weight)])
    return (np.concatenate(sources).astype(np.int64), np.concatenate(candidates).astype(np.int64),
            np.concatenate(labels), np.concatenate(weights))  # fmt: skip


def brier_score(chance: np.ndarray, labels: np.ndarray) -> float:
    """Mean of (chance − outcome)²."""
    return float(np.mean((np.asarray(chance, float) - np.asarray(labels, float)) ** 2))


def reliability_table(
    chance: np.ndarray, labels: np.ndarray, edges: tuple[float, ...] = RELIABILITY_EDGES
) -> pd.DataFrame:
    """Per bin of the chance: its range, the mean chance, the observed share tied, pairs, ties."""
    chance, labels = np.asarray(chance, float), np.asarray(labels, float)
    where = np.clip(np.searchsorted(edges, chance, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 1):
        inside = where == b
        count = int(inside.sum())
        rows.append({
            "bin": f"{edges[b]:g}–{edges[b + 1]:g}",
            "predicted": float(chance[inside].mean()) if count else float("nan"),
            "observed": float(labels[inside].mean()) if count else float("nan"),
            "pairs": count,
            "ties": int(labels[inside].sum()),
        })  # fmt: skip
    return pd.DataFrame(rows)
