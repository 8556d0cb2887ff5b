"""Choose a portfolio of new ties: the best n candidates under neutrality and capacity limits.

The model (docs/portfolio.md): pick exactly ``n`` candidate ties x_i ∈ {0, 1} to maximise

    Σ score_i x_i + w × (distinct actor kinds covered + distinct areas covered)

subject to: at least k = ⌈min_neutral × n⌉ chosen ties in neutral areas; every actor in at
most ``max_per_actor`` chosen ties; politicised candidates left out unless allowed.

* ``method="exact"`` solves it with OR-Tools CP-SAT. Coverage is linear with one indicator per
  kind and per area, y ≤ Σ x over the ties that cover it (the solver sets y = 1 exactly when
  it is covered, since y only adds to the objective). CP-SAT needs integers: scores and the
  diversity weight are multiplied by ``SCORE_SCALE`` (1000) and rounded, so the optimum is
  exact for scores given to three decimals and within n × 0.0005 otherwise.
* ``method="greedy"`` adds, n times, the admissible tie with the largest marginal gain. The
  neutral floor becomes a cap of n − k on non-neutral ties (the same thing once n ties are
  picked), which keeps the k neutral slots for neutral ties. With scores ≥ 0 the objective is
  monotone submodular and the constraints are the intersection of three matroids, so the
  greedy reaches at least ``GREEDY_BOUND`` = 1/4 of the optimum (Fisher, Nemhauser and Wolsey
  1978); the docs give the argument and what happens with negative scores or when the
  greedy is stuck short of n ties.

``scorecard_after`` shows what a portfolio would do to the pair's scorecard: it adds the
chosen ties as active ties to the frames the scorecard is computed from, never to the store.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from tracktwo._errors import EngineError, InputError, NotFoundError
from tracktwo._json import plain
from tracktwo.bridges import (
    DEFAULT_DORMANT_MONTHS,
    Registry,
    Scorecard,
    TieArrays,
    load_pair_ties,
    scorecard_figures,
)
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "CANDIDATE_COLUMNS",
    "GREEDY_BOUND",
    "METHODS",
    "SCORE_SCALE",
    "Portfolio",
    "choose_portfolio",
    "neutral_floor",
    "scorecard_after",
]

CANDIDATE_COLUMNS = ("actor_a", "actor_b", "kind_a", "kind_b", "area", "score", "politicised")
METHODS = ("exact", "greedy")
SCORE_SCALE = 1000  # CP-SAT works on integers: scores count in thousandths
GREEDY_BOUND = 0.25  # 1/(p + 1) for the intersection of p = 3 matroids
_WORKERS = 2  # the target machine has two cores


@dataclass(frozen=True)
class Portfolio:
    """The chosen ties and what they are worth.

    ``chosen`` holds the candidate rows picked (their original index kept, a ``sensitivity``
    column added), best score first. ``objective`` = ``score_total`` + ``diversity_weight`` ×
    ``diversity``, with ``diversity`` = len(kinds) + len(areas). ``status`` is "optimal" when
    CP-SAT proved it, else "feasible"; ``method`` is "exact", "greedy", or "greedy+exact" when
    the greedy got stuck short of n ties and CP-SAT completed the choice.
    """

    chosen: pd.DataFrame
    objective: float
    score_total: float
    diversity: int
    diversity_weight: float
    kinds: tuple[str, ...]
    areas: tuple[str, ...]
    neutral_ties: int
    status: str
    method: str
    seconds: float

    def summary(self) -> dict[str, Any]:
        """The single-valued figures, JSON-ready, for a CLI or a report."""
        return {
            "ties": len(self.chosen), "objective": self.objective,
            "score_total": self.score_total, "diversity": self.diversity,
            "diversity_weight": self.diversity_weight, "kinds": ", ".join(self.kinds),
            "areas": ", ".join(self.areas), "neutral_ties": self.neutral_ties,
            "status": self.status, "method": self.method, "seconds": self.seconds,
        }  # fmt: skip

    def as_document(
        self, before: Scorecard | None = None, after: Scorecard | None = None
    ) -> dict[str, Any]:
        """One JSON-ready object: ``ties``, the chosen rows (best first; ids and counts as
        integers, never floats), and ``scorecard_before`` / ``scorecard_after``, the pair's
        scorecard (``Scorecard.as_dict``) before and after adopting them, None when the pair
        has no active tie to score yet."""
        return {
            "ties": [_json_ready(row) for row in self.chosen.to_dict("records")],
            "scorecard_before": None if before is None else _json_ready(before.as_dict()),
            "scorecard_after": None if after is None else _json_ready(after.as_dict()),
        }


def _json_ready(value: Any) -> Any:
    """``value`` with every nested scalar made plain (numpy as Python, dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return plain(value)


@dataclass(frozen=True)
class _Problem:
    """The eligible candidates as integer-coded arrays, with the limits to respect."""

    frame: pd.DataFrame  # eligible candidate rows, with ``sensitivity``
    n: int
    min_neutral_ties: int
    max_per_actor: int
    diversity_weight: float
    scores: np.ndarray
    neutral: np.ndarray  # bool
    end_a: np.ndarray  # codes into one numbering of all actors of both columns
    end_b: np.ndarray
    kind_a: np.ndarray  # codes into kind_names
    kind_b: np.ndarray
    kind_names: np.ndarray
    area: np.ndarray  # codes into area_names
    area_names: np.ndarray


# -- checking the input --------------------------------------------------------------------------


def neutral_floor(n: int, min_neutral: float) -> int:
    """k = ⌈min_neutral × n⌉, the fewest neutral ties allowed. Rounded to 9 decimals first:
    0.7 × 10 is 7.000000000000001 in floating point, whose ceiling would wrongly be 8."""
    return math.ceil(round(min_neutral * n, 9))


def _check_options(
    n: int, min_neutral: float, max_per_actor: int, weight: float, method: str, limit: float
) -> None:
    problems = []
    if n < 1:
        problems.append(f"n must be at least 1, not {n}")
    if not 0.0 <= min_neutral <= 1.0:
        problems.append(f"min_neutral must lie between 0 and 1, not {min_neutral}")
    if max_per_actor < 1:
        problems.append(f"max_per_actor must be at least 1, not {max_per_actor}")
    if weight < 0:  # a negative weight would reward sameness and void the greedy's bound
        problems.append(f"diversity_weight must be 0 or more, not {weight}")
    if method not in METHODS:
        problems.append(f"unknown method {method!r}; one of: {', '.join(METHODS)}")
    if limit <= 0:
        problems.append(f"time_limit must be positive, not {limit}")
    if problems:
        raise InputError("; ".join(problems))


def _check_columns(candidates: pd.DataFrame) -> None:
    missing = [c for c in CANDIDATE_COLUMNS if c not in candidates.columns]
    if missing:
        raise InputError(f"the candidates lack the column(s): {', '.join(missing)}")
    scores = pd.to_numeric(candidates["score"], errors="coerce")
    if scores.isna().any() or not np.isfinite(scores.to_numpy(float)).all():
        raise InputError("every candidate needs a finite numeric score")
    if (candidates["actor_a"] == candidates["actor_b"]).any():
        raise InputError("a candidate tie joins an actor to itself")
    pairs = candidates[["actor_a", "actor_b"]]
    if pairs.duplicated().any():
        first = pairs[pairs.duplicated()].iloc[0]
        raise InputError(
            f"actors {first['actor_a']} and {first['actor_b']} appear in more than one "
            "candidate; give one candidate per pair (its main area)"
        )


def _with_sensitivity(candidates: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """A copy with each area's sensitivity (UnknownCodeError for an area not in areas.toml)."""
    frame = candidates.copy()
    frame["area"] = frame["area"].astype(str).str.strip()
    levels = {area: taxonomy.sensitivity(area) for area in frame["area"].unique()}
    frame["sensitivity"] = frame["area"].map(levels)
    frame["score"] = frame["score"].astype(float)
    return frame


def _side_capacity(ends: pd.Series, max_per_actor: int) -> int:
    """The most ties one column's actors can hold: each min(max_per_actor, its candidates)."""
    return int(ends.value_counts().clip(upper=max_per_actor).sum())


def _check_possible(frame: pd.DataFrame, n: int, k: int, b: int, excluded: int) -> None:
    """The impossibilities that a count shows, each with its own message."""
    if len(frame) < n:
        note = f" ({excluded} politicised left out; allow them to count them)" if excluded else ""
        raise InputError(
            f"cannot pick {n} ties with at most {b} per actor from {len(frame)} candidates{note}"
        )
    neutral = int((frame["sensitivity"] == "neutral").sum())
    if neutral < k:
        raise InputError(
            f"cannot pick {k} ties in neutral areas (at least {k} of {n}): only {neutral} "
            "candidates are in a neutral area; lower min_neutral"
        )
    for column in ("actor_a", "actor_b"):
        capacity = _side_capacity(frame[column], b)
        if capacity < n:
            raise InputError(
                f"cannot pick {n} ties with at most {b} per actor: the {column} actors can "
                f"hold only {capacity} (each at most {b}, or its number of candidates)"
            )


def _problem(frame: pd.DataFrame, n: int, k: int, b: int, weight: float) -> _Problem:
    actors = pd.factorize(pd.concat([frame["actor_a"], frame["actor_b"]], ignore_index=True))[0]
    kinds, kind_names = pd.factorize(
        pd.concat([frame["kind_a"], frame["kind_b"]], ignore_index=True).astype(str)
    )
    areas, area_names = pd.factorize(frame["area"])
    size = len(frame)
    return _Problem(
        frame=frame, n=n, min_neutral_ties=k, max_per_actor=b, diversity_weight=weight,
        scores=frame["score"].to_numpy(float),
        neutral=(frame["sensitivity"] == "neutral").to_numpy(),
        end_a=actors[:size], end_b=actors[size:], kind_a=kinds[:size], kind_b=kinds[size:],
        kind_names=np.asarray(kind_names), area=areas, area_names=np.asarray(area_names),
    )  # fmt: skip


# -- the greedy ----------------------------------------------------------------------------------


def _admissible(p: _Problem, chosen: np.ndarray, load: np.ndarray, non_neutral: int) -> np.ndarray:
    """Ties that keep the choice independent in all three matroids: actor-a capacity,
    actor-b capacity, and at most n − k non-neutral ties (the total n is the loop's count)."""
    room = (load[p.end_a] < p.max_per_actor) & (load[p.end_b] < p.max_per_actor)
    return ~chosen & room & (p.neutral | (non_neutral < p.n - p.min_neutral_ties))


def _gains(p: _Problem, kind_seen: np.ndarray, area_seen: np.ndarray) -> np.ndarray:
    """Each tie's marginal gain: its score plus w per kind and per area it would add."""
    # counted as integers: numpy adds two bool arrays as a logical or
    new_kinds = (~kind_seen[p.kind_a]).astype(int) + (~kind_seen[p.kind_b] & (p.kind_b != p.kind_a))
    new_area = (~area_seen[p.area]).astype(int)
    return p.scores + p.diversity_weight * (new_kinds + new_area)


def _greedy(p: _Problem) -> np.ndarray | None:
    """The greedy's n picks (positions in ``p.frame``), or None when it gets stuck first."""
    chosen = np.zeros(p.scores.size, dtype=bool)
    load = np.zeros(int(max(p.end_a.max(), p.end_b.max())) + 1, dtype=int)
    kind_seen = np.zeros(p.kind_names.size, dtype=bool)
    area_seen = np.zeros(p.area_names.size, dtype=bool)
    non_neutral = 0
    for _ in range(p.n):
        open_ties = np.flatnonzero(_admissible(p, chosen, load, non_neutral))
        if open_ties.size == 0:
            return None
        gains = _gains(p, kind_seen, area_seen)[open_ties]
        best = int(open_ties[np.argmax(gains)])  # the first of equal gains: deterministic
        chosen[best] = True
        np.add.at(load, [p.end_a[best], p.end_b[best]], 1)
        kind_seen[[p.kind_a[best], p.kind_b[best]]] = True
        area_seen[p.area[best]] = True
        non_neutral += int(not p.neutral[best])
    return np.flatnonzero(chosen)


# -- the exact model -----------------------------------------------------------------------------


def _members(*codes: np.ndarray) -> dict[int, list[int]]:
    """Code → the ties carrying it in any of ``codes`` (each tie listed once per code)."""
    groups: dict[int, set[int]] = defaultdict(set)
    for column in codes:
        for tie, code in enumerate(column):
            groups[int(code)].add(tie)
    return {code: sorted(ties) for code, ties in groups.items()}


def _coverage(model: cp_model.CpModel, picks: list[Any], groups: dict[int, list[int]]) -> list[Any]:
    """One indicator per group, allowed to be 1 only when a chosen tie covers it."""
    covered: list[Any] = []
    for code, ties in groups.items():
        flag = model.new_bool_var(f"covered_{len(covered)}_{code}")
        model.add(flag <= sum(picks[t] for t in ties))
        covered.append(flag)
    return covered


def _model(p: _Problem) -> tuple[cp_model.CpModel, list[Any]]:
    model = cp_model.CpModel()
    picks = [model.new_bool_var(f"tie_{i}") for i in range(p.scores.size)]
    model.add(sum(picks) == p.n)
    model.add(sum(picks[i] for i in np.flatnonzero(p.neutral)) >= p.min_neutral_ties)
    for ties in _members(p.end_a, p.end_b).values():
        if len(ties) > p.max_per_actor:  # a shorter list cannot break the limit
            model.add(sum(picks[t] for t in ties) <= p.max_per_actor)
    covered = _coverage(model, picks, _members(p.kind_a, p.kind_b))
    covered += _coverage(model, picks, _members(p.area))
    scaled = [round(s * SCORE_SCALE) for s in p.scores]
    weight = round(p.diversity_weight * SCORE_SCALE)
    model.maximize(sum(s * x for s, x in zip(scaled, picks, strict=True)) + weight * sum(covered))
    return model, picks


def _exact(p: _Problem, time_limit: float, hint: np.ndarray | None) -> tuple[np.ndarray, str]:
    """CP-SAT's choice and whether it is proven optimal."""
    model, picks = _model(p)
    if hint is not None:
        hinted = set(hint.tolist())
        for i, pick in enumerate(picks):
            model.add_hint(pick, i in hinted)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = _WORKERS
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        raise InputError(
            f"no set of {p.n} ties meets the constraints together (at most {p.max_per_actor} "
            f"per actor, at least {p.min_neutral_ties} in neutral areas); lower n or "
            "min_neutral, or raise max_per_actor"
        )
    if status == cp_model.UNKNOWN:
        raise InputError(
            f"CP-SAT found no portfolio within {time_limit} s; raise time_limit or use "
            "method='greedy'"
        )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise EngineError(f"CP-SAT could not solve the portfolio model: {solver.status_name()}")
    chosen = np.array([i for i, pick in enumerate(picks) if solver.boolean_value(pick)])
    return chosen, "optimal" if status == cp_model.OPTIMAL else "feasible"


# -- the public API ------------------------------------------------------------------------------


def _portfolio(p: _Problem, picks: np.ndarray, status: str, method: str, start: float) -> Portfolio:
    rows = p.frame.iloc[picks].sort_values("score", ascending=False, kind="stable")
    kinds = tuple(sorted(set(rows["kind_a"].astype(str)) | set(rows["kind_b"].astype(str))))
    areas = tuple(sorted(set(rows["area"])))
    score_total = float(rows["score"].sum())
    diversity = len(kinds) + len(areas)
    return Portfolio(
        chosen=rows, objective=score_total + p.diversity_weight * diversity,
        score_total=score_total, diversity=diversity, diversity_weight=p.diversity_weight,
        kinds=kinds, areas=areas, neutral_ties=int((rows["sensitivity"] == "neutral").sum()),
        status=status, method=method, seconds=time.perf_counter() - start,
    )  # fmt: skip


def choose_portfolio(
    candidates: pd.DataFrame,
    *,
    n: int = 20,
    min_neutral: float = 0.8,
    max_per_actor: int = 2,
    allow_politicised: bool = False,
    diversity_weight: float = 1.0,
    method: str = "exact",
    time_limit: float = 10.0,
    taxonomy: Taxonomy | None = None,
) -> Portfolio:
    """Pick exactly ``n`` of the candidate ties (columns ``CANDIDATE_COLUMNS``: actor ids,
    their kinds, the tie's main area, its score, whether an actor is politicised) that
    maximise total score + ``diversity_weight`` × (distinct kinds + distinct areas), with at
    least ⌈min_neutral × n⌉ in neutral areas and each actor in at most ``max_per_actor``.

    InputError, with the reason, when no such set exists; UnknownCodeError for an area the
    taxonomy does not know. ``time_limit`` (seconds) bounds CP-SAT; a choice found but not
    proven optimal by then comes back with status "feasible".
    """
    start = time.perf_counter()
    _check_options(n, min_neutral, max_per_actor, diversity_weight, method, time_limit)
    _check_columns(candidates)
    frame = _with_sensitivity(candidates, taxonomy or load_taxonomy())
    politicised = frame["politicised"].fillna(False).astype(bool)
    excluded = 0 if allow_politicised else int(politicised.sum())
    if not allow_politicised:
        frame = frame[~politicised]
    k = neutral_floor(n, min_neutral)
    _check_possible(frame, n, k, max_per_actor, excluded)
    problem = _problem(frame, n, k, max_per_actor, diversity_weight)
    greedy = _greedy(problem)
    if method == "greedy" and greedy is not None:
        return _portfolio(problem, greedy, "feasible", "greedy", start)
    picks, status = _exact(problem, time_limit, hint=greedy)
    return _portfolio(
        problem, picks, status, "exact" if method == "exact" else "greedy+exact", start
    )


# -- the scorecard with the portfolio adopted ----------------------------------------------------


def _new_ties(chosen: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("actor_a", "actor_b", "area") if c not in chosen.columns]
    if missing:
        raise InputError(f"the portfolio's ties lack the column(s): {', '.join(missing)}")
    return chosen[["actor_a", "actor_b", "area"]].reset_index(drop=True)


def _with_new_ties(ties: TieArrays, new: pd.DataFrame, first: str, second: str) -> TieArrays:
    """The scorecard's tie arrays with ``new`` appended, each new tie in its single area."""
    actors = ties.actors
    ends = []
    for column in ("actor_a", "actor_b"):
        ids = new[column].to_numpy("int64")
        found = actors.positions(ids)
        if (found < 0).any():
            unknown = ", ".join(str(i) for i in ids[found < 0])
            raise InputError(f"actor(s) {unknown} are not actors of {first} or {second}")
        ends.append(found)
    left, right = ends
    if (actors.sides[left] == actors.sides[right]).any():
        raise InputError(f"a portfolio tie does not join an actor of {first} to one of {second}")
    a_first = actors.sides[left] == 0  # row 0 of ``ends`` holds the country-A actor
    added = np.stack([np.where(a_first, left, right), np.where(a_first, right, left)])
    base = len(ties.area_lists)
    return replace(
        ties,
        ends=np.concatenate([ties.ends, added], axis=1),
        area_codes=np.concatenate([ties.area_codes, base + np.arange(len(new))]),
        area_lists=[*ties.area_lists, *((str(a),) for a in new["area"])],
    )


def _card(
    ties: TieArrays, statuses: np.ndarray, first: str, second: str, day: date, months: int
) -> Scorecard:
    """A Scorecard from tie arrays and their statuses, as ``scorecard`` builds it."""
    fields = scorecard_figures(ties, statuses)
    declined = int((statuses == "declined").sum())  # refused proposals: not ties
    return Scorecard(
        country_a=first, country_b=second, at=day, dormant_months=months,
        ties_total=statuses.size - declined, declined_proposals=declined, **fields,
    )  # fmt: skip


def scorecard_after(
    registry: Registry,
    country_a: str,
    country_b: str,
    portfolio: Portfolio | pd.DataFrame,
    *,
    at: date | None = None,
    dormant_months: int = DEFAULT_DORMANT_MONTHS,
    taxonomy: Taxonomy | None = None,
) -> tuple[Scorecard, Scorecard]:
    """The pair's scorecard (``before``) and the same with the portfolio's ties added as
    active ties, each in its one area (``after``). The registry is only read. A DataFrame
    with actor_a, actor_b and area columns stands for a portfolio's ``chosen`` rows.
    NotFoundError, as from ``scorecard``, when the pair has no tie active at ``at``."""
    pair = load_pair_ties(
        registry, country_a, country_b, at=at, dormant_months=dormant_months, taxonomy=taxonomy
    )
    first, second, day, ties, statuses = pair.first, pair.second, pair.at, pair.ties, pair.statuses
    if not (statuses == "active").any():  # as ``scorecard``: no active tie, nothing to score
        raise NotFoundError(
            f"no tie between {first} and {second} is active on {day.isoformat()}, so there "
            "is no scorecard to compare the portfolio with"
        )
    before = _card(ties, statuses, first, second, day, dormant_months)
    new = _new_ties(portfolio.chosen if isinstance(portfolio, Portfolio) else portfolio)
    grown = _with_new_ties(ties, new, first, second)
    after_statuses = np.concatenate([statuses, np.full(len(new), "active")])
    return before, _card(grown, after_statuses, first, second, day, dormant_months)
