"""The pair's scorecard with hypothetical new ties added as active ones (a portfolio from
``tracktwo.match``): computed from the scorecard's own tie arrays, grown in memory, so the
figures are exactly ``scorecard``'s and the registry is only read."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges._registry import Registry
from tracktwo.bridges._scorecard import (
    Scorecard,
    _figures,
    _load_ties,
    _positions,
    _status_counts,
    _Ties,
)
from tracktwo.bridges._status import (
    DEFAULT_DORMANT_MONTHS,
    STATUS_CODES,
    country_pair,
    status_case,
)
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = ["scorecard_with_ties"]


def _new_ties(chosen: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("actor_a", "actor_b", "area") if c not in chosen.columns]
    if missing:
        raise InputError(f"the portfolio's ties lack the column(s): {', '.join(missing)}")
    return chosen[["actor_a", "actor_b", "area"]].reset_index(drop=True)


def _with_new_ties(ties: _Ties, new: pd.DataFrame, first: str, second: str) -> _Ties:
    """The scorecard's tie arrays with ``new`` appended, each new tie in its single area."""
    actors = ties.actors
    ends = []
    for column in ("actor_a", "actor_b"):
        ids = new[column].to_numpy("int64")
        found = _positions(actors, ids)
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
    ties: _Ties, statuses: np.ndarray, first: str, second: str, day: date, months: int
) -> Scorecard:
    """A Scorecard from tie arrays and their statuses, as ``scorecard`` builds it."""
    fields: dict[str, Any] = {**_status_counts(statuses), **_figures(ties, statuses == "active")}
    declined = int((statuses == "declined").sum())  # refused proposals: not ties
    return Scorecard(
        country_a=first, country_b=second, at=day, dormant_months=months,
        ties_total=statuses.size - declined, declined_proposals=declined, **fields,
    )  # fmt: skip


def scorecard_with_ties(
    registry: Registry,
    country_a: str,
    country_b: str,
    new_ties: pd.DataFrame,
    *,
    at: date | None = None,
    dormant_months: int = DEFAULT_DORMANT_MONTHS,
    taxonomy: Taxonomy | None = None,
) -> tuple[Scorecard, Scorecard]:
    """The pair's scorecard (``before``) and the same with ``new_ties`` (actor_a, actor_b and
    area columns) added as active ties, each in its one area (``after``). NotFoundError, as
    from ``scorecard``, when the pair has no tie active at ``at``; InputError for a new tie
    that lacks a column or does not join an actor of each country."""
    chosen = taxonomy or load_taxonomy()
    first, second = country_pair(country_a, country_b, chosen)
    day = at or date.today()
    status = status_case(day, dormant_months).label("status")
    ties, rows = _load_ties(registry, first, second, chosen, status)
    statuses = np.asarray(STATUS_CODES)[rows["status"].to_numpy("int64")]
    if not (statuses == "active").any():  # as ``scorecard``: no active tie, nothing to score
        raise NotFoundError(
            f"no tie between {first} and {second} is active on {day.isoformat()}, so there "
            "is no scorecard to compare the portfolio with"
        )
    before = _card(ties, statuses, first, second, day, dormant_months)
    new = _new_ties(new_ties)
    grown = _with_new_ties(ties, new, first, second)
    after_statuses = np.concatenate([statuses, np.full(len(new), "active")])
    return before, _card(grown, after_statuses, first, second, day, dormant_months)
