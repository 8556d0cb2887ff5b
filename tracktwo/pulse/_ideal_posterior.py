"""The posterior of UN ideal points: the votes as index arrays, the priors, and minus the log
posterior with its analytic gradient (the fitting is in tracktwo.pulse._ideal_model).

A vote ``y`` of country-session ``p`` (a *position*) on roll call ``j`` is ordered
no (0) < abstain (1) < yes (2), with ``η = β_j θ_p`` and two cut-points per roll call::

    P(y >= 1) = logistic(η - a1_j)          a1_j = α_j
    P(y >= 2) = logistic(η - a2_j)          a2_j = α_j + exp(δ_j)   (so a2_j > a1_j)

Priors: ``θ`` of a country's first session ~ N(0, 1); each later session a random walk,
``θ_t ~ N(θ_prev, σ² · gap)`` (gap = sessions since the previous one it voted in);
``β ~ N(0, s_β²)``, ``α ~ N(0, s_α²)``, ``δ ~ N(0, s_δ²)``. The posterior mode is found by
scipy's L-BFGS-B with the analytic gradient below; intervals are a Laplace approximation
for ``θ`` given the roll-call parameters. Everything here is arrays; the store is elsewhere.
See docs/ideal-points.md.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Floats",
    "Ints",
    "Priors",
    "VoteData",
    "negative_log_posterior",
]

NO, ABSTAIN, YES = 0, 1, 2

# the vote chunks are evaluated on this many threads (numpy releases the GIL in its loops)
WORKERS = max(1, min(2, len(os.sched_getaffinity(0))))

Ints = NDArray[np.intp]
Floats = NDArray[np.float64]


def _sums(index: Ints, weights: Floats, size: int) -> Floats:
    """Sums of ``weights`` per index value (np.bincount, typed as the floats it returns)."""
    return np.asarray(np.bincount(index, weights, size), dtype=np.float64)


@dataclass(frozen=True)
class Priors:
    """Prior scales; the defaults are the ones documented in docs/ideal-points.md."""

    random_walk_sd: float = 0.2  # σ: how far a position may move from one session to the next
    start_sd: float = 1.0  # a country's first position
    discrimination_sd: float = 2.5  # β
    cut_sd: float = 5.0  # α, the lower cut-point
    gap_log_sd: float = 2.0  # δ, log of the distance between the two cut-points


@dataclass(frozen=True)
class _Chunk:
    """A share of the votes for one worker thread: yes/no votes (no first) and abstentions.

    ``cut`` indexes [α, α + exp δ]: the cut-point a yes or no vote crosses; ``sign`` is -1
    for no (log P = log logistic(-(η - α))) and +1 for yes."""

    position: Ints
    item: Ints
    cut: Ints
    sign: Floats
    n_no: int
    abstain_position: Ints
    abstain_item: Ints


@dataclass(frozen=True)
class VoteData:
    """Votes as index arrays, sorted no | yes | abstain (so each group is one slice).

    ``position_country`` and ``position_session`` say whose position, when, for each
    position; ``link_from``/``link_to``/``link_gap`` chain each country's positions in
    session order (the random walk), ``starts`` are each country's first positions.
    ``chunks`` hold the same votes split for parallel evaluation.
    """

    position: Ints
    item: Ints
    n_no: int
    n_yes: int
    n_positions: int
    n_items: int
    position_country: Ints
    position_session: Ints
    item_session: Ints
    link_from: Ints
    link_to: Ints
    link_gap: Floats
    starts: Ints
    abstentions: Floats  # per roll call
    chunks: tuple[_Chunk, ...]

    @property
    def n_votes(self) -> int:
        return int(self.position.size)

    @property
    def n_parameters(self) -> int:
        return self.n_positions + 3 * self.n_items

    @classmethod
    def build(
        cls,
        position: Ints,
        item: Ints,
        choice: NDArray[np.integer],
        position_country: Ints,
        position_session: Ints,
    ) -> VoteData:
        """From one entry per vote (choice 0 no, 1 abstain, 2 yes) and one per position."""
        group = np.select([choice == NO, choice == YES], [0, 1], 2)
        order = np.lexsort((item, group))  # by group, then roll call: local memory access
        position = np.ascontiguousarray(position[order], dtype=np.intp)
        item = np.ascontiguousarray(item[order], dtype=np.intp)
        n_no, n_yes = int(np.count_nonzero(group == 0)), int(np.count_nonzero(group == 1))
        n_items = int(item.max()) + 1 if item.size else 0
        item_session = np.zeros(n_items, dtype=np.intp)
        item_session[item] = position_session[position]
        links = _chain(position_country, position_session)
        abstain = slice(n_no + n_yes, None)
        return cls(
            position=position,
            item=item,
            n_no=n_no,
            n_yes=n_yes,
            n_positions=int(position_country.size),
            n_items=n_items,
            position_country=position_country.astype(np.intp),
            position_session=position_session.astype(np.intp),
            item_session=item_session,
            link_from=links[0],
            link_to=links[1],
            link_gap=links[2],
            starts=links[3],
            abstentions=np.bincount(item[abstain], minlength=n_items).astype(np.float64),
            chunks=_chunks(position, item, n_no, n_yes, n_items, WORKERS * 2),
        )


def _chunks(
    position: Ints, item: Ints, n_no: int, n_yes: int, n_items: int, count: int
) -> tuple[_Chunk, ...]:
    """Each group cut into ``count`` pieces; chunk k takes the k-th piece of every group."""

    def pieces(start: int, stop: int) -> list[slice]:
        edges = np.linspace(start, stop, count + 1).astype(int)
        return [slice(a, b) for a, b in itertools.pairwise(edges)]

    no = pieces(0, n_no)
    yes = pieces(n_no, n_no + n_yes)
    abstain = pieces(n_no + n_yes, position.size)
    chunks = []
    for no_part, yes_part, abstain_part in zip(no, yes, abstain, strict=True):
        binary = np.r_[no_part, yes_part]
        chunk_no = no_part.stop - no_part.start
        sign = np.ones(binary.size)
        sign[:chunk_no] = -1.0
        cut = item[binary].copy()
        cut[chunk_no:] += n_items  # yes votes cross the upper cut-point
        chunks.append(
            _Chunk(
                position=position[binary],
                item=item[binary],
                cut=cut,
                sign=sign,
                n_no=chunk_no,
                abstain_position=position[abstain_part].copy(),
                abstain_item=item[abstain_part].copy(),
            )
        )
    return tuple(chunks)


def _chain(country: Ints, session: Ints) -> tuple[Ints, Ints, Floats, Ints]:
    """Consecutive positions of each country (from, to, sessions apart) and first positions."""
    order = np.lexsort((session, country)).astype(np.intp)
    same = country[order][1:] == country[order][:-1]
    link_from, link_to = order[:-1][same], order[1:][same]
    gap = (session[link_to] - session[link_from]).astype(np.float64)
    starts = order[np.concatenate(([True], ~same))] if order.size else order
    return link_from, link_to, gap, starts


# -- the objective ---------------------------------------------------------------------------


def _split(x: Floats, data: VoteData) -> tuple[Floats, Floats, Floats, Floats]:
    p, j = data.n_positions, data.n_items
    return x[:p], x[p : p + j], x[p + j : p + 2 * j], x[p + 2 * j :]


def _log_logistic_and_slope(s: Floats) -> tuple[Floats, Floats]:
    """log logistic(s) and its derivative logistic(-s), from one exp and one log."""
    e = np.exp(-np.abs(s))
    one_plus = 1.0 + e
    # log(1 + e) rather than log1p: e <= 1, so the absolute error is below 1e-16 either way
    return np.minimum(s, 0.0) - np.log(one_plus), np.where(s >= 0, e, 1.0) / one_plus


_Terms = tuple[float, Floats, Floats, Floats, Floats, Floats]


def _chunk_terms(
    theta: Floats, beta: Floats, cuts: Floats, gap: Floats, chunk: _Chunk, n: tuple[int, int]
) -> _Terms:
    """One chunk's log likelihood and its sums per position and roll call: d/dθ, d/dβ,
    d/dα, and the two sums the δ derivative needs (yes slopes, abstain upper probabilities)."""
    n_positions, n_items = n
    theta_v = theta[chunk.position]
    beta_v = beta[chunk.item]
    log_p, slope = _log_logistic_and_slope(chunk.sign * (beta_v * theta_v - cuts[chunk.cut]))
    d_eta = chunk.sign * slope
    a_theta, a_beta = theta[chunk.abstain_position], beta[chunk.abstain_item]
    # abstain: P = logistic(z1) - logistic(z2) = logistic(z1) logistic(-z2) (1 - exp(-gap))
    lower = a_beta * a_theta - cuts[chunk.abstain_item]
    log_p1, slope1 = _log_logistic_and_slope(lower)
    log_p2, up = _log_logistic_and_slope(gap[chunk.abstain_item] - lower)  # -z2; up = σ(z2)
    a_eta = slope1 - up
    log_lik = float(log_p.sum() + log_p1.sum() + log_p2.sum())
    d_theta = _sums(chunk.position, beta_v * d_eta, n_positions)
    d_theta += _sums(chunk.abstain_position, a_beta * a_eta, n_positions)
    d_beta = _sums(chunk.item, theta_v * d_eta, n_items)
    d_beta += _sums(chunk.abstain_item, a_theta * a_eta, n_items)
    d_alpha = -_sums(chunk.item, d_eta, n_items)
    d_alpha -= _sums(chunk.abstain_item, a_eta, n_items)
    yes_slope = _sums(chunk.item[chunk.n_no :], slope[chunk.n_no :], n_items)
    abstain_up = _sums(chunk.abstain_item, up, n_items)
    return log_lik, d_theta, d_beta, d_alpha, yes_slope, abstain_up


def negative_log_posterior(
    x: Floats, data: VoteData, priors: Priors, pool: Executor | None = None
) -> tuple[float, Floats]:
    """Minus the log posterior (up to a constant) and its gradient, at x = [θ, β, α, δ];
    the vote chunks run on ``pool``'s threads when given (numpy releases the GIL)."""
    theta, beta, alpha, delta = _split(x, data)
    gap = np.exp(delta)
    cuts = np.concatenate((alpha, alpha + gap))
    sizes = (data.n_positions, data.n_items)

    def terms(chunk: _Chunk) -> _Terms:
        return _chunk_terms(theta, beta, cuts, gap, chunk, sizes)

    parts = list(pool.map(terms, data.chunks) if pool else map(terms, data.chunks))
    log_lik, d_theta, d_beta, d_alpha, yes_slope, abstain_up = (
        sum(values) for values in zip(*parts, strict=True)
    )
    # each abstention also carries log(1 - exp(-gap)); its δ derivative is gap / expm1(gap)
    log_lik += float(data.abstentions @ np.log(-np.expm1(-gap)))
    per_abstention = np.exp(-gap) / -np.expm1(-gap)
    d_delta = gap * (abstain_up + data.abstentions * per_abstention - yes_slope)
    prior, prior_grad = _log_prior_terms(theta, beta, alpha, delta, data, priors)
    grad = -np.concatenate((d_theta, d_beta, d_alpha, d_delta)) + prior_grad
    return float(-log_lik + prior), grad


def _log_prior_terms(
    theta: Floats, beta: Floats, alpha: Floats, delta: Floats, data: VoteData, priors: Priors
) -> tuple[float, Floats]:
    """Minus the log prior and its gradient."""
    step = theta[data.link_to] - theta[data.link_from]
    walk_precision = 1.0 / (priors.random_walk_sd**2 * data.link_gap)
    start = theta[data.starts]
    value = 0.5 * (
        np.sum(walk_precision * step**2)
        + np.sum(start**2) / priors.start_sd**2
        + np.sum(beta**2) / priors.discrimination_sd**2
        + np.sum(alpha**2) / priors.cut_sd**2
        + np.sum(delta**2) / priors.gap_log_sd**2
    )
    pull = walk_precision * step
    grad_theta = _sums(data.link_to, pull, data.n_positions)
    grad_theta -= _sums(data.link_from, pull, data.n_positions)
    grad_theta[data.starts] += start / priors.start_sd**2
    grad = np.concatenate(
        (
            grad_theta,
            beta / priors.discrimination_sd**2,
            alpha / priors.cut_sd**2,
            delta / priors.gap_log_sd**2,
        )
    )
    return float(value), grad
