"""Recommendations with their explanations, accepting one, and the network of ties.

Every partner and source is shown with its admin region (``label``, from
``tracktwo.bridges.place_label``); the score is the model's log-odds, shown with its
percentile among the actor's candidates (or the calibrated ``chance`` when the model has one),
never as a probability.

The recommender is fitted once per data version and kept in the cache, so a page of
recommendations costs a ranking, not a fit. Accepting recomputes the pair's score on the
server: the score stored with the proposed tie is never taken from the form.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import func, select

from tracktwo._errors import InputError, NotFoundError, TrackTwoError
from tracktwo._json import is_missing, plain
from tracktwo.bridges import DECLINED, Actor
from tracktwo.match import (
    FEATURE_LABELS,
    FEATURES,
    Recommender,
    accept,
    busiest_actors,
    describe,
    diversify,
    label_of,
    live_tie_count,
    partners_of_busiest,
    top_share,
)
from tracktwo.taxonomy import TRACK_LABELS, TRACKS
from tracktwo.web._data import DataSources
from tracktwo.web._dead_ends import dead_end
from tracktwo.web._views import _named, _pair, _tie_rows, registry_dead_end

__all__ = ["accept_view", "network_view", "recommendations_view"]

BUSIEST = 10  # actors of the first country shown with their best partner when none is chosen


def _model(sources: DataSources) -> Recommender | str:
    """The fitted recommender, or the sentence saying why there is none."""

    def fit() -> Recommender | str:
        if live_tie_count(sources.registry) == 0:
            return ("the registry holds no ties to learn from: load the known sister cities "
                    "with tracktwo bridges load sister-cities")  # fmt: skip
        try:
            return Recommender().fit(sources.registry)
        except (TrackTwoError, ValueError) as error:
            return f"the model could not learn ({error})"

    return sources.cached("model", fit)


def _explained(row: Any, intercept: float) -> dict[str, Any]:
    """One recommendation: the partner with its admin region, the score (log-odds, not a
    probability) with its percentile (``chance`` only when the model is calibrated), the
    sentence, and every component (largest first; the score is ``intercept`` plus their sum)."""
    parts = sorted(((float(row[name]), name) for name in FEATURES), key=lambda p: -abs(p[0]))
    chance = row.get("chance")
    return {
        "candidate_id": int(row["candidate_id"]), "name": str(row["name"]),
        "label": label_of(row), "admin1": _text(row.get("admin1")),
        "admin1_name": _text(row.get("admin1_name")), "population": _whole(row.get("population")),
        "country": str(row["country"]), "kind": str(row["kind"]), "rank": int(row["rank"]),
        "model_rank": int(row.get("model_rank", row["rank"])),
        "score": float(row["score"]), "percentile": _float(row.get("percentile")),
        "top": top_share(_float(row.get("percentile"))),
        "chance": _float(chance), "intercept": intercept,
        "explanation": str(row["explanation"]),
        "why": str(row["explanation"]).split(": ", 1)[-1],
        "components": [{"feature": name, "label": FEATURE_LABELS.get(name, name),
                        "contribution": value, "shown": abs(value) >= 0.005}
                       for value, name in parts],
    }  # fmt: skip


def _float(value: Any) -> float | None:
    if is_missing(value):
        return None
    return float(value)


def _whole(value: Any) -> int | None:
    number = _float(value)
    return None if number is None else int(number)


def _text(value: Any) -> str | None:
    return None if is_missing(value) else str(value)


def _busiest(sources: DataSources, country: str, limit: int) -> list[dict[str, Any]]:
    return [{"id": actor.id, "name": actor.name, "kind": actor.kind, "ties": actor.ties,
             "label": actor.label}
            for actor in busiest_actors(sources.registry, country, limit)]  # fmt: skip


def recommendations_view(
    sources: DataSources, a: str, b: str, actor_id: int | None = None, k: int = 10
) -> dict[str, Any]:
    """For ``actor_id`` (an actor of ``a``): its ``k`` best new partners in ``b``, diversified
    (``match._diversify.diversify``), each with its sentence and the contribution of every
    score component. Without an actor: a partner for each of the most connected actors of
    ``a``, diversified across them (``best_partners``); ``also_for`` names the other actors a
    partner went to."""
    first, second = _pair(sources, a, b)
    model = _model(sources)
    page: dict[str, Any] = {"a": _named(sources, first), "b": _named(sources, second),
                            "actor_id": actor_id, "k": k, "items": [], "missing": [],
                            "choices": _busiest(sources, first, 50)}  # fmt: skip
    page["dead_ends"] = _recommendation_dead_ends(sources, first, second, page["choices"])
    if isinstance(model, str):
        page["missing"].append(f"No recommendations: {model}.")
        return page
    if actor_id is not None:
        page["actor"] = {"id": actor_id, "name": _actor_name(sources, actor_id)}
        page["actor"]["label"] = label_of(model.actors_.frame.iloc[model.actors_.row(actor_id)])
        table = describe(model, diversify(model, actor_id, k, country=second), actor_id,
                         sources.registry, country=second)  # fmt: skip
        page["items"] = [_explained(row, model.intercept_) for row in table.to_dict("records")]
        return page
    busy = page["choices"][:BUSIEST]
    chosen = partners_of_busiest(sources.registry, model, [s["id"] for s in busy], second)
    by_id = {source["id"]: source for source in busy}
    for row in chosen.to_dict("records"):
        also = [{"id": i, "label": by_id[i]["label"]} for i in row["also_for"]]
        page["items"].append({"source": by_id[int(row["source_id"])], "also_for": also,
                              **_explained(row, model.intercept_)})  # fmt: skip
    if not page["items"]:
        page["missing"].append(f"No recommendations: no actor of {second} fits those of {first}.")
    return page


def _recommendation_dead_ends(
    sources: DataSources, a: str, b: str, choices: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """No actor of ``a`` or none of ``b``: load places, and see the recommendations of a
    pair that has ties. (No tie anywhere is said by ``missing``: the model has nothing to
    learn from, and no pair has any.)"""
    with sources.registry.engine.connect() as connection:
        in_b = connection.execute(select(func.count(Actor.id)).where(Actor.country == b))
        has_b = bool(in_b.scalar())
    lacking = [country for country, has in ((a, bool(choices)), (b, has_b)) if not has]
    if not lacking:
        return []
    return [dead_end(sources, "actors", a, b, "/pairs/{a}/{b}/recommendations",
                     subject=" / ".join(lacking))]  # fmt: skip


def _actor_name(sources: DataSources, actor_id: int) -> str:
    with sources.registry.engine.connect() as connection:
        name = connection.execute(select(Actor.name).where(Actor.id == actor_id)).scalar()
    if name is None:
        raise NotFoundError(f"actor_id: no actor with id {actor_id}")
    return str(name)


def accept_view(sources: DataSources, source_id: int, candidate_id: int) -> dict[str, Any]:
    """Store the recommended pair as a proposed tie, with the score and explanation the
    model gives it now (``match.accept``)."""
    model = _model(sources)
    if isinstance(model, str):
        raise InputError(f"cannot accept a recommendation: {model}")
    tie = accept(sources.registry, source_id, candidate_id, model=model)
    sources.changed()
    return {"tie": {k: plain(v) for k, v in tie.items()}}


# -- the network of ties -----------------------------------------------------------------------


def network_view(sources: DataSources, a: str, b: str) -> dict[str, Any]:
    """Nodes (actors with a tie between the two countries) and edges (the ties, with their
    effective status today and their track); the ties by track; the declined proposals,
    which are no ties, apart."""
    from tracktwo.bridges import list_ties

    first, second = _pair(sources, a, b)
    rows = _tie_rows(list_ties(sources.registry, first, second), date.today())
    ties = [t for t in rows if t["effective_status"] != DECLINED]
    declined = [{k: t[k] for k in ("id", "actor_a", "actor_b", "channel", "end_date",
                                   "status_reason")} for t in rows if t not in ties]  # fmt: skip
    nodes: dict[int, dict[str, Any]] = {}
    for tie in ties:
        for side in ("a", "b"):
            key = int(tie[f"actor_{side}_id"])
            node = nodes.setdefault(
                key,
                {
                    "id": key,
                    "name": tie[f"actor_{side}"],
                    "country": tie[f"country_{side}"],
                    "ties": 0,
                },
            )
            node["ties"] += 1
    edges = [{"id": t["id"], "source": t["actor_a_id"], "target": t["actor_b_id"],
              "channel": t["channel"], "track": t["track"], "status": t["effective_status"]}
             for t in ties]  # fmt: skip
    by_track = Counter(t["track"] for t in ties)
    tracks = [{"track": track, "label": TRACK_LABELS[track], "ties": by_track[track]}
              for track in TRACKS if by_track[track]]  # fmt: skip
    no_ties = None if ties else registry_dead_end(sources, first, second,
                                                  "/pairs/{a}/{b}/network")  # fmt: skip
    return {"a": _named(sources, first), "b": _named(sources, second),
            "nodes": list(nodes.values()), "edges": edges, "tracks": tracks,
            "declined": declined, "dead_ends": [no_ties] if no_ties else []}  # fmt: skip
