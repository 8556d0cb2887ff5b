"""Accepting a recommendation: it becomes a *proposed* tie in the registry, carrying the
score and the explanation it was proposed with, so nobody later wonders why it is there."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges import Actor, Registry, Tie, add_tie

__all__ = ["accept_recommendation", "default_channel"]

# the channel a pair of kinds usually takes; anything else is "other" until a person says
_CHANNELS = {
    frozenset({"city"}): "sister_city",
    frozenset({"city", "province"}): "sister_city",
    frozenset({"province"}): "sister_city",
    frozenset({"university"}): "academic_partnership",
    frozenset({"university", "academy"}): "research_collaboration",
    frozenset({"academy"}): "research_collaboration",
    frozenset({"business"}): "business_partnership",
    frozenset({"business", "chamber"}): "business_partnership",
    frozenset({"chamber"}): "business_partnership",
    frozenset({"health"}): "health_partnership",
    frozenset({"farmers"}): "agricultural_cooperation",
    frozenset({"cultural"}): "cultural_exchange",
}


def default_channel(kind_a: str, kind_b: str) -> str:
    if "diaspora" in (kind_a, kind_b) or "expert" in (kind_a, kind_b):
        return "diaspora_mentoring"
    return _CHANNELS.get(frozenset({kind_a, kind_b}), "other")


def _kinds(registry: Registry, source_id: int, candidate_id: int) -> tuple[str, str]:
    with registry.read() as session:
        found = {a.id: a.kind for a in session.scalars(
            select(Actor).where(Actor.id.in_([source_id, candidate_id])))}  # fmt: skip
        for name, actor_id in (("source", source_id), ("candidate", candidate_id)):
            if actor_id not in found:
                raise NotFoundError(f"{name}: no actor with id {actor_id}")
        already = session.scalar(
            select(Tie.id).where(
                or_(
                    (Tie.actor_a_id == source_id) & (Tie.actor_b_id == candidate_id),
                    (Tie.actor_a_id == candidate_id) & (Tie.actor_b_id == source_id),
                )
            )
        )
    if already is not None:
        raise InputError(f"actors {source_id} and {candidate_id} are already tied (tie {already})")
    return found[source_id], found[candidate_id]


def accept_recommendation(
    registry: Registry,
    source_id: int,
    candidate_id: int,
    *,
    score: float,
    components: Mapping[str, float],
    channel: str | None = None,
    areas: Iterable[str] = (),
    model: str = "tracktwo.match.Recommender",
) -> dict[str, Any]:
    """Store the recommended pair as a proposed tie with the score and explanation."""
    kind_a, kind_b = _kinds(registry, source_id, candidate_id)
    proposal = {
        "score": float(score),
        "components": {name: float(value) for name, value in components.items()},
        "model": model,
        "proposed_at": datetime.now().isoformat(timespec="seconds"),
    }
    return add_tie(
        registry, source_id, candidate_id, channel or default_channel(kind_a, kind_b),
        areas=tuple(areas), status="proposed", proposal=proposal,
    )  # fmt: skip
