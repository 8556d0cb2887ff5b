"""The matchmaker's operations as every shell calls them (CLI, dashboard, briefing): the best
partner for each of a country's busiest actors, and accepting one recommendation.

Each is written once here so the three cannot drift: the briefing's table and the dashboard's
page list the same partners, and a tie accepted from the CLI carries the same score and
components as one accepted on the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, func, or_, select

from tracktwo._errors import InputError, NotFoundError, TrackTwoError
from tracktwo.bridges import DECLINED, Actor, Registry, Tie
from tracktwo.match._accept import accept_recommendation
from tracktwo.match._diversify import best_partners
from tracktwo.match._explain import describe, label_of
from tracktwo.match._features import FEATURES
from tracktwo.match._recommender import Recommender

__all__ = ["BusyActor", "accept", "busiest_actors", "live_tie_count", "partners_of_busiest"]


@dataclass(frozen=True)
class BusyActor:
    """An actor of one country with the number of its ties (declined proposals are none)."""

    id: int
    name: str
    kind: str
    country: str
    admin1_name: str | None
    ties: int

    @property
    def label(self) -> str:
        """How the actor is shown: name, admin region and country (``label_of``)."""
        return label_of({"name": self.name, "kind": self.kind, "country": self.country,
                         "admin1_name": self.admin1_name})  # fmt: skip


def busiest_actors(registry: Registry, country: str, limit: int) -> list[BusyActor]:
    """``country``'s actors with the most ties to anyone (most first, then by id), up to
    ``limit``; an actor without a tie counts 0 and still appears."""
    degree = func.count(Tie.id)
    columns = (Actor.id, Actor.name, Actor.kind, Actor.country, Actor.admin1_name)
    statement = (
        select(*columns, degree.label("ties"))
        .outerjoin(Tie, and_(or_(Tie.actor_a_id == Actor.id, Tie.actor_b_id == Actor.id),
                             Tie.status != DECLINED))  # a refused proposal is no tie
        .where(Actor.country == country).group_by(*columns)
        .order_by(degree.desc(), Actor.id).limit(limit)
    )  # fmt: skip
    with registry.read() as session:
        return [BusyActor(int(i), str(n), str(k), str(c), None if r is None else str(r), int(t))
                for i, n, k, c, r, t in session.execute(statement)]  # fmt: skip


def live_tie_count(registry: Registry) -> int:
    """The ties a recommender can learn from: every tie but the declined proposals."""
    with registry.read() as session:
        statement = select(func.count(Tie.id)).where(Tie.status != DECLINED)
        return int(session.execute(statement).scalar() or 0)


def partners_of_busiest(
    registry: Registry, model: Recommender, source_ids: Sequence[int], country: str
) -> pd.DataFrame:
    """One new partner in ``country`` for each of ``source_ids`` (the busiest actors first,
    ``busiest_actors``), by
    maximal marginal relevance across them (``best_partners``: one partner cannot fill the
    table), each row described (``describe``: its region, population, sentence). Empty when
    no actor of ``country`` fits any of them."""
    chosen = best_partners(model, list(source_ids), country=country)
    if chosen.empty:
        return chosen
    return describe(model, chosen, chosen["source_id"], registry, country=country)


def accept(
    registry: Registry,
    source_id: int,
    candidate_id: int,
    *,
    model: Recommender | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """Store the pair as a proposed tie with the score and components ``model`` (fitted on
    ``registry`` when not given) gives it now. The candidate is scored directly, whatever
    its rank; an actor the model does not know is refused (NotFoundError naming the field),
    as is a pair already tied (InputError)."""
    if model is None:
        model = fit_or_explain(registry)
    rows = []
    for field, actor_id in (("source_id", source_id), ("candidate_id", candidate_id)):
        try:
            rows.append(model.actors_.row(int(actor_id)))
        except (KeyError, IndexError, TrackTwoError) as error:
            raise NotFoundError(f"{field}: no actor with id {actor_id}") from error
    parts = model.contributions(np.array([rows[0]]), np.array([rows[1]]))[0]
    score = model.intercept_ + float(parts.sum())
    components = {name: float(value) for name, value in zip(FEATURES, parts, strict=True)}
    return accept_recommendation(registry, source_id, candidate_id, score=score,
                                 components=components, channel=channel)  # fmt: skip


def fit_or_explain(registry: Registry) -> Recommender:
    """A recommender fitted on ``registry``, or an InputError saying why there can be none."""
    if live_tie_count(registry) == 0:
        raise InputError("cannot accept a recommendation: the registry holds no ties to learn "
                         "from: load the known sister cities with tracktwo bridges load "
                         "sister-cities")  # fmt: skip
    return Recommender().fit(registry)
