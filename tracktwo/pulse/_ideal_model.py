"""The maths of UN ideal points: a dynamic ordered-logit item-response model, fitted by MAP.

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
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

__all__ = [
    "ModelFit",
    "Priors",
    "VoteData",
    "fit_model",
    "initial_values",
    "negative_log_posterior",
    "position_sd",
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


@dataclass(frozen=True)
class ModelFit:
    """Posterior mode and the optimiser's account of reaching it."""

    theta: Floats
    beta: Floats
    alpha: Floats
    delta: Floats
    theta_sd: Floats
    objective: float
    iterations: int
    evaluations: int
    converged: bool
    message: str


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


# -- starting values -------------------------------------------------------------------------


def _session_scores(data: VoteData, codes: Floats, votes: Ints) -> Floats | None:
    """First principal component of one session's votes (yes 1, abstain 0, no -1)."""
    rows, row_index = np.unique(data.position[votes], return_inverse=True)
    cols, col_index = np.unique(data.item[votes], return_inverse=True)
    if rows.size < 3 or cols.size < 3:
        return None
    matrix = np.full((rows.size, cols.size), np.nan)
    matrix[row_index, col_index] = codes[votes]
    centred = np.nan_to_num(matrix - np.nanmean(matrix, axis=0))
    left, _, _ = np.linalg.svd(centred, full_matrices=False)
    scores = left[:, 0]
    spread = scores.std()
    return (scores - scores.mean()) / spread if spread > 0 else None


def initial_values(data: VoteData) -> Floats:
    """Starting point: each session's first principal component, signs chained session to
    session through the countries both share, and roll-call cut-points from vote shares.

    Starting at θ = β = 0 would start at a saddle point of the posterior (zero gradient)."""
    codes = _choice_codes(data)
    theta = np.zeros(data.n_positions)
    session_of_vote = data.position_session[data.position]
    by_session = np.argsort(session_of_vote, kind="stable")
    bounds = np.flatnonzero(np.diff(session_of_vote[by_session])) + 1
    previous: dict[int, float] = {}
    for votes in np.split(by_session, bounds):
        if not votes.size:
            continue
        positions = np.unique(data.position[votes])
        countries = data.position_country[positions]
        scores = _session_scores(data, codes, votes)
        if scores is None:  # too few roll calls to say anything: carry the last positions
            scores = np.array([previous.get(int(c), 0.0) for c in countries])
        else:
            before = np.array([previous.get(int(c), np.nan) for c in countries])
            shared = ~np.isnan(before)
            if shared.sum() >= 2 and np.dot(scores[shared], before[shared]) < 0:
                scores = -scores
        theta[positions] = scores
        previous.update(zip(countries.tolist(), scores.tolist(), strict=True))
    return np.concatenate((theta, *_item_start(data, codes, theta)))


def _choice_codes(data: VoteData) -> Floats:
    """Per sorted vote: -1 no, 1 yes, 0 abstain (the slices of VoteData)."""
    codes = np.zeros(data.n_votes)
    codes[: data.n_no] = -1.0
    codes[data.n_no : data.n_no + data.n_yes] = 1.0
    return codes


def _item_start(data: VoteData, codes: Floats, theta: Floats) -> tuple[Floats, Floats, Floats]:
    """β from the slope of vote on starting position; cut-points from the vote shares."""
    n = np.bincount(data.item, minlength=data.n_items).astype(np.float64)
    x = theta[data.position]
    mean_x = _sums(data.item, x, data.n_items) / n
    mean_y = _sums(data.item, codes, data.n_items) / n
    cov = _sums(data.item, x * codes, data.n_items) / n - mean_x * mean_y
    var = _sums(data.item, x * x, data.n_items) / n - mean_x**2
    beta = np.clip(2.0 * cov / np.maximum(var, 1e-6), -3.0, 3.0)
    not_no = 1.0 - np.bincount(data.item[: data.n_no], minlength=data.n_items) / n
    yes = np.bincount(data.item[data.n_no : data.n_no + data.n_yes], minlength=data.n_items) / n
    lower = -special.logit(np.clip(not_no, 0.02, 0.98))
    upper = -special.logit(np.clip(yes, 0.01, 0.97))
    return beta, lower, np.log(np.maximum(upper - lower, 0.1))


# -- fitting ---------------------------------------------------------------------------------

# L-BFGS-B restarts: before each, the sessions are re-aligned and the variables rescaled.
# The first rounds are short (they only get near the mode); the last runs to convergence.
ROUNDS = (50, 100, 100)


def fit_model(
    data: VoteData,
    priors: Priors | None = None,
    *,
    start: Floats | None = None,
    max_iterations: int = 2000,
    on_iteration: Callable[[int, float], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> ModelFit:
    """Posterior mode by scipy's L-BFGS-B, then the Laplace standard deviation of each θ.

    Between rounds two changes of variables that leave the posterior's mode where it is
    speed the search: :func:`align_sessions` moves every session along the directions the
    likelihood cannot see, and each variable is scaled by its curvature (see the docs)."""
    chosen = priors or Priors()
    say = on_stage or (lambda _text: None)
    say("starting values")
    x = initial_values(data) if start is None else start.copy()
    done, evaluations, result = 0, 0, None
    with ThreadPoolExecutor(WORKERS) as pool:
        for rounds, budget in enumerate((*ROUNDS, max_iterations)):
            x = align_sessions(x, data, chosen)
            scale = np.sqrt(_curvature(x, data, chosen))

            def report(step: int, value: float, base: int = done) -> None:
                if on_iteration is not None:
                    on_iteration(base + step, value)

            result = _lbfgs_round(
                x, scale, data, chosen, pool, max(1, min(budget, max_iterations - done)), report
            )
            x, done, evaluations = result.x / scale, done + result.nit, evaluations + result.nfev
            if (result.success and rounds >= len(ROUNDS)) or done >= max_iterations:
                break
    assert result is not None
    say("intervals")
    theta, beta, alpha, delta = (part.copy() for part in _split(x, data))
    return ModelFit(
        theta=theta,
        beta=beta,
        alpha=alpha,
        delta=delta,
        theta_sd=position_sd(theta, beta, alpha, delta, data, chosen),
        objective=float(result.fun),
        iterations=done,
        evaluations=evaluations,
        converged=bool(result.success),
        message=str(result.message),
    )


def _lbfgs_round(
    x: Floats,
    scale: Floats,
    data: VoteData,
    priors: Priors,
    pool: Executor,
    iterations: int,
    on_iteration: Callable[[int, float], object],
) -> optimize.OptimizeResult:
    """One L-BFGS-B run in the scaled variables u = x * scale."""

    def objective(u: Floats) -> tuple[float, Floats]:
        value, grad = negative_log_posterior(u / scale, data, priors, pool)
        return value, grad / scale

    count = [0]

    def report(intermediate_result: optimize.OptimizeResult) -> None:
        count[0] += 1
        on_iteration(count[0], float(intermediate_result.fun))

    return optimize.minimize(
        objective,
        x * scale,
        jac=True,
        method="L-BFGS-B",
        callback=report,
        # ftol: stop when an iteration gains < 1e-10 of the objective (~2e-5 of its ~2e5)
        options={"maxiter": iterations, "maxcor": 20, "ftol": 1e-10, "gtol": 1e-5},
    )


def _curvature(x: Floats, data: VoteData, priors: Priors) -> Floats:
    """Each variable's own second derivative of the objective (expected information for the
    roll-call parameters, exact for θ): the scale of the change of variables."""
    theta, beta, alpha, delta = _split(x, data)
    gap = np.exp(delta)
    weight, weight_upper = _vote_weights(theta, beta, alpha, delta, data)
    walk = 1.0 / (priors.random_walk_sd**2 * data.link_gap)
    per_theta = _sums(data.position, beta[data.item] ** 2 * weight, data.n_positions)
    per_theta += _sums(data.link_from, walk, data.n_positions)
    per_theta += _sums(data.link_to, walk, data.n_positions)
    per_theta[data.starts] += 1.0 / priors.start_sd**2
    theta_v = theta[data.position]
    per_beta = _sums(data.item, theta_v**2 * weight, data.n_items)
    per_alpha = _sums(data.item, weight, data.n_items)
    per_delta = gap**2 * _sums(data.item, weight_upper, data.n_items)
    return np.concatenate(
        (
            per_theta,
            per_beta + 1.0 / priors.discrimination_sd**2,
            per_alpha + 1.0 / priors.cut_sd**2,
            per_delta + 1.0 / priors.gap_log_sd**2,
        )
    )


def _vote_weights(
    theta: Floats, beta: Floats, alpha: Floats, delta: Floats, data: VoteData
) -> tuple[Floats, Floats]:
    """Per vote: minus the second derivative of log P in η, and its upper cut-point's part."""
    eta = beta[data.item] * theta[data.position]
    lower = eta - alpha[data.item]
    upper = lower - np.exp(delta[data.item])
    no, yes = slice(0, data.n_no), slice(data.n_no, data.n_no + data.n_yes)
    abstain = slice(data.n_no + data.n_yes, data.n_votes)
    weight, weight_upper = np.zeros_like(eta), np.zeros_like(eta)
    weight[no] = _logistic_slope(lower[no])
    weight_upper[yes] = _logistic_slope(upper[yes])
    weight_upper[abstain] = _logistic_slope(upper[abstain])
    weight[yes] = weight_upper[yes]
    weight[abstain] = _logistic_slope(lower[abstain]) + weight_upper[abstain]
    return weight, weight_upper


def _logistic_slope(z: Floats) -> Floats:
    p = special.expit(z)
    return p * (1.0 - p)


# -- aligning sessions -----------------------------------------------------------------------


def _session_index(data: VoteData) -> tuple[Ints, Ints, int]:
    sessions, of_position = np.unique(data.position_session, return_inverse=True)
    return of_position, np.searchsorted(sessions, data.item_session), int(sessions.size)


def _moved(x: Floats, data: VoteData, shift: Floats, log_scale: Floats) -> Floats:
    """θ -> b θ + a for every position of a session, and β -> β / b, α -> α + β a / b for
    its roll calls: β θ - α, so every vote's probability, is unchanged."""
    theta, beta, alpha, delta = _split(x, data)
    of_position, of_item, _ = _session_index(data)
    b = np.exp(log_scale)
    return np.concatenate(
        (
            b[of_position] * theta + shift[of_position],
            beta / b[of_item],
            alpha + beta * shift[of_item] / b[of_item],
            delta,
        )
    )


def _alignment_objective(
    u: Floats, x: Floats, data: VoteData, priors: Priors
) -> tuple[float, Floats]:
    """Minus the log prior after moving each session by (a, log b) = u, and its gradient."""
    of_position, of_item, n = _session_index(data)
    shift, log_scale = u[:n], u[n:]
    theta, beta, _, _ = _split(x, data)
    value, grad = _log_prior_terms(*_split(_moved(x, data, shift, log_scale), data), data, priors)
    g_theta, g_beta, g_alpha, _ = _split(grad, data)
    b = np.exp(log_scale)
    item_b = b[of_item]
    g_shift = _sums(of_position, g_theta, n) + _sums(of_item, g_alpha * beta / item_b, n)
    g_log_scale = _sums(of_position, g_theta * b[of_position] * theta, n)
    g_log_scale -= _sums(of_item, (g_beta + g_alpha * shift[of_item]) * beta / item_b, n)
    return value, np.concatenate((g_shift, g_log_scale))


def align_sessions(x: Floats, data: VoteData, priors: Priors) -> Floats:
    """Move every session by its own shift and scale to the best place for the prior.

    The likelihood cannot tell a session's positions from the same positions shifted and
    stretched (with its roll calls moved to match, see :func:`_moved`): only the random walk
    and the other priors can, so L-BFGS finds these directions last. They are a small problem
    of two numbers per session that needs no vote, solved here by L-BFGS-B first."""
    n = _session_index(data)[2]
    result = optimize.minimize(
        _alignment_objective,
        np.zeros(2 * n),
        args=(x, data, priors),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9},
    )
    return _moved(x, data, result.x[:n], result.x[n:])


def _theta_information(
    theta: Floats, beta: Floats, alpha: Floats, delta: Floats, data: VoteData
) -> Floats:
    """Minus the second derivative of the log likelihood in each θ (the others held)."""
    weight, _ = _vote_weights(theta, beta, alpha, delta, data)
    return _sums(data.position, beta[data.item] ** 2 * weight, data.n_positions)


def position_sd(
    theta: Floats, beta: Floats, alpha: Floats, delta: Floats, data: VoteData, priors: Priors
) -> Floats:
    """Laplace posterior sd of every θ given the roll-call parameters.

    Given β, α, δ the countries are independent and each country's precision matrix is
    tridiagonal (its votes on the diagonal, the random walk linking neighbours); the sd is
    the square root of the diagonal of its inverse."""
    walk = 1.0 / (priors.random_walk_sd**2 * data.link_gap)
    precision = _theta_information(theta, beta, alpha, delta, data)
    precision[data.starts] += 1.0 / priors.start_sd**2
    precision += _sums(data.link_from, walk, data.n_positions)
    precision += _sums(data.link_to, walk, data.n_positions)
    order = np.lexsort((data.position_session, data.position_country))
    chains = np.split(order, np.flatnonzero(np.diff(data.position_country[order])) + 1)
    # _chain made the links in this same order: a chain of n positions owns the next n - 1
    link_ends = np.cumsum([chain.size - 1 for chain in chains])
    sd = np.empty(data.n_positions)
    for chain, links in zip(chains, np.split(walk, link_ends[:-1]), strict=True):
        matrix = np.diag(precision[chain]) - np.diag(links, 1) - np.diag(links, -1)
        sd[chain] = np.sqrt(np.diag(np.linalg.inv(matrix)))
    return sd
