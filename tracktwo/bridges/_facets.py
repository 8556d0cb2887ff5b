"""What the registry's actors can be filtered by, and how many ties each actor has.

A filter a user picks from a list must offer only what is there: :func:`actor_facets` gives
the countries, kinds and areas the stored actors actually have, each with its number of
actors, so a list reads "KHM (1,234)". :func:`actor_filters` turns what a user typed or chose
into the values stored (``Cambodia`` is ``KHM``), refusing an unknown one with an
``InputError`` that names the field, exactly as :func:`list_actors` would.

:func:`actor_tie_counts` counts each actor's ties on either side. A declined proposal is no
tie (the scorecard and the network leave it out too), so it is not counted.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select, union_all

from tracktwo.bridges._fields import ACTOR_RULES
from tracktwo.bridges._kinds import DECLINED
from tracktwo.bridges._models import Actor, Tie
from tracktwo.bridges._registry import Registry

__all__ = ["actor_facets", "actor_filters", "actor_tie_counts"]


def actor_facets(registry: Registry) -> dict[str, list[tuple[str, int]]]:
    """``{"country": [("KHM", 5), ...], "kind": [...], "area": [...]}``: every value the
    stored actors have, with how many actors have it, in alphabetical order. An actor counts
    for an area it offers or needs (as the ``area`` filter of :func:`list_actors` matches)."""
    facets: dict[str, list[tuple[str, int]]] = {}
    with registry.read() as session:
        for name, column in (("country", Actor.country), ("kind", Actor.kind)):
            counted = session.execute(
                select(column, func.count()).group_by(column).order_by(column)
            )
            facets[name] = [(str(value), int(n)) for value, n in counted if value]
        # JSON lists: counted here, the same way on SQLite and PostgreSQL
        lists = session.execute(select(Actor.areas_offered, Actor.areas_needed))
        areas: Counter[str] = Counter()
        for offered, needed in lists:
            areas.update(set(offered or ()) | set(needed or ()))
    facets["area"] = sorted(areas.items())
    return facets


def actor_filters(
    country: str | None = None, kind: str | None = None, area: str | None = None
) -> dict[str, str | None]:
    """The stored form of each filter given (None for one not given): the ISO3 code of a
    country named by code or English name, a known kind, a known area. ``InputError``
    naming the field for an unknown value."""
    return {
        "country": ACTOR_RULES["country"].edit("country", country) if country else None,
        "kind": ACTOR_RULES["kind"].edit("kind", kind) if kind else None,
        "area": ACTOR_RULES["areas_offered"].edit("area", area)[0] if area else None,
    }


def actor_tie_counts(registry: Registry) -> dict[int, int]:
    """Actor id to its number of ties (either side; declined proposals left out). An actor
    without a tie is not in the dict."""
    kept = Tie.status != DECLINED
    sides = union_all(
        select(Tie.actor_a_id.label("actor_id")).where(kept),
        select(Tie.actor_b_id.label("actor_id")).where(kept),
    ).subquery()
    statement = select(sides.c.actor_id, func.count()).group_by(sides.c.actor_id)
    with registry.read() as session:
        return {int(actor_id): int(n) for actor_id, n in session.execute(statement)}
