"""Fitting UN ideal points: the posterior mode by L-BFGS-B from starting values, the sessions
aligned between rounds, and Laplace intervals for every position.

The model and its posterior are in tracktwo.pulse._ideal_posterior (re-exported here). See
docs/ideal-points.md.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from tracktwo.pulse._ideal_posterior import (
    WORKERS,
    Floats,
    Ints,
    Priors,
    VoteData,
    _log_prior_terms,
    _split,
    _sums,
    negative_log_posterior,
)

__all__ = [
    "ModelFit",
    "Priors",
    "VoteData",
    "fit_model",
    "initial_values",
    "negative_log_posterior",
    "position_sd",
]


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
