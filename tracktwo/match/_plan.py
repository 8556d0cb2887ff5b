"""From recommendations to a portfolio: the recommender proposes partners for every actor of
one country in the other, each proposal gets its main area, and the portfolio solver picks a
diverse, mostly neutral set; the scorecard is shown before and after adopting it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges import Registry, Scorecard
from tracktwo.match._portfolio import Portfolio, choose_portfolio, scorecard_after
from tracktwo.match._recommender import Recommender
from tracktwo.store import actor_profile_rows
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = ["KIND_AREAS", "PortfolioPlan", "candidate_ties", "plan_portfolio", "resolve_actor"]

# the area a tie between actors of these kinds is usually about, when their own areas say nothing
KIND_AREAS = {
    "city": "culture", "province": "culture", "university": "education", "school": "education",
    "academy": "science", "business": "business", "chamber": "business", "ngo": "development",
    "diaspora": "business", "expert": "science", "health": "health", "farmers": "agriculture",
    "media": "culture", "religious": "culture", "cultural": "culture",
    "government": "governance", "embassy": "governance", "legislature": "governance",
    "military": "security", "party": "governance", "igo": "governance",
}  # fmt: skip


@dataclass
class PortfolioPlan:
    candidates: pd.DataFrame
    portfolio: Portfolio
    before: Scorecard | None  # None when the pair has no active tie yet to score
    after: Scorecard | None


def _actors(registry: Registry) -> pd.DataFrame:
    with registry.engine.connect() as connection:
        frame = actor_profile_rows(connection)
    for column in ("areas_offered", "areas_needed"):
        frame[column] = frame[column].map(_as_list)
    return frame.set_index("id")


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        import json

        value = json.loads(value)
    return list(value or [])


def _main_area(a: pd.Series, b: pd.Series, areas: set[str]) -> str:
    """What one offers and the other needs, else what both offer, else what their kinds suggest."""
    for shared in (
        set(a.areas_offered) & set(b.areas_needed),
        set(b.areas_offered) & set(a.areas_needed),
        set(a.areas_offered) & set(b.areas_offered),
    ):
        known = sorted(shared & areas)
        if known:
            return known[0]
    for kind in (a.kind, b.kind):
        if KIND_AREAS.get(kind) in areas:
            return KIND_AREAS[kind]
    return "unspecified"


def _politicised(actor: pd.Series) -> bool:
    return bool(actor.funded_by) or actor.stance in ("hostile", "aligned")


def candidate_ties(
    registry: Registry,
    recommender: Recommender,
    country_a: str,
    country_b: str,
    *,
    per_actor: int = 10,
    taxonomy: Taxonomy | None = None,
) -> pd.DataFrame:
    """The top ``per_actor`` partners in B of every actor of A, as portfolio candidates.

    The portfolio's score is the logistic of the model's score, a weight and not a calibrated
    chance: non-negative, which the greedy's guarantee needs, and in the same order as the
    ranking.
    """
    chosen = taxonomy or load_taxonomy()
    actors = _actors(registry)
    sources = actors.index[actors["country"] == country_a]
    if len(sources) == 0:
        raise NotFoundError(f"the registry has no actor in {country_a}")
    rows = []
    for source in sources:
        try:
            proposals = recommender.recommend(int(source), per_actor, country=country_b)
        except NotFoundError:
            continue  # no candidate of a compatible kind in B for this actor
        a = actors.loc[source]
        for proposal in proposals.itertuples(index=False):
            b = actors.loc[proposal.candidate_id]
            rows.append({
                "actor_a": int(source), "actor_b": int(proposal.candidate_id),
                "name_a": a["name"], "name_b": b["name"],
                "kind_a": a.kind, "kind_b": b.kind, "area": _main_area(a, b, set(chosen.areas)),
                "score": float(1 / (1 + np.exp(-proposal.score))), "model_score": proposal.score,
                "politicised": _politicised(a) or _politicised(b),
            })  # fmt: skip
    if not rows:
        raise NotFoundError(f"no candidate partners in {country_b} for the actors of {country_a}")
    return pd.DataFrame(rows)


def plan_portfolio(
    registry: Registry,
    country_a: str,
    country_b: str,
    *,
    n: int = 20,
    min_neutral: float = 0.8,
    max_per_actor: int = 2,
    allow_politicised: bool = False,
    per_actor: int = 10,
    method: str = "exact",
) -> PortfolioPlan:
    """Recommend, choose a portfolio of ``n`` new ties, and score the registry before/after."""
    taxonomy = load_taxonomy()
    first, second = taxonomy.countries.pair(country_a, country_b)
    recommender = Recommender().fit(registry)
    candidates = candidate_ties(registry, recommender, first, second, per_actor=per_actor)
    portfolio = choose_portfolio(
        candidates, n=n, min_neutral=min_neutral, max_per_actor=max_per_actor,
        allow_politicised=allow_politicised, method=method,
    )  # fmt: skip
    try:
        before, after = scorecard_after(registry, first, second, portfolio)
    except NotFoundError:  # no active tie between the two yet: nothing to compare with
        return PortfolioPlan(candidates, portfolio, None, None)
    return PortfolioPlan(candidates, portfolio, before, after)


def resolve_actor(registry: Registry, reference: str) -> int:
    """An actor id from an id, a GeoNames id written ``geonames:1821306``, or an exact name
    (case-insensitive); ambiguous names are refused."""
    if reference.isdigit():
        return int(reference)
    if reference.strip().casefold().startswith(GEONAMES_PREFIX):
        return _by_geonames(registry, reference.strip()[len(GEONAMES_PREFIX) :].strip())
    actors = _actors(registry)
    found = actors[actors["name"].str.casefold() == reference.strip().casefold()]
    if found.empty:
        raise NotFoundError(f"no actor named {reference!r} (give its id, see `bridges actors`)")
    if len(found) > 1:
        listed = ", ".join(f"{i} ({r.kind}, {r.country})" for i, r in found.iterrows())
        raise InputError(f"{len(found)} actors are named {reference!r}: {listed}; give the id")
    return int(found.index[0])


GEONAMES_PREFIX = "geonames:"


def _by_geonames(registry: Registry, number: str) -> int:
    """The actor with GeoNames id ``number`` (a place loaded from the gazetteer)."""
    from sqlalchemy import select

    from tracktwo.bridges import Actor

    if not number.isdigit():
        raise InputError(f"a GeoNames id is a number: geonames:1821306, not geonames:{number}")
    with registry.engine.connect() as connection:
        found = connection.execute(
            select(Actor.id, Actor.kind, Actor.country).where(Actor.geonames_id == int(number))
        ).all()
    if not found:
        raise NotFoundError(f"no actor with GeoNames id {number} (load places first)")
    if len(found) > 1:
        listed = ", ".join(f"{i} ({kind}, {country})" for i, kind, country in found)
        raise InputError(f"{len(found)} actors have GeoNames id {number}: {listed}; give the id")
    return int(found[0][0])
