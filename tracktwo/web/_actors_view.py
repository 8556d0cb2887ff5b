"""The actors page: actors by country, kind, area and name, with their admin region and ties.

The country, kind and area filters are lists of what the registry holds, each value with its
number of actors (``facets``: over the whole registry, so a list does not change under the
reader as other filters are picked). A value typed into the URL is checked as the library
checks it (an unknown one is a 400 naming the field) and shown in its stored form, so the
list keeps it selected: ``?country=Cambodia`` selects ``KHM``.
"""

from __future__ import annotations

import math
from typing import Any

from tracktwo._json import plain
from tracktwo.bridges import (
    actor_facets,
    actor_filters,
    actor_tie_counts,
    list_actors,
    load_vocabulary,
)
from tracktwo.web._data import DataSources

__all__ = ["ACTOR_COLUMNS", "MAX_PER_PAGE", "PER_PAGE", "actors_view", "paged"]

PER_PAGE = 50
MAX_PER_PAGE = 10_000  # a paged list downloads whole up to this many rows
# the columns of a listed actor, in the JSON twin and its CSV download
ACTOR_COLUMNS = ("id", "name", "local_name", "country", "kind", "place", "admin1",
                 "admin1_name", "track", "areas_offered", "areas_needed", "politicised",
                 "ties")  # fmt: skip


def paged(rows: list[dict[str, Any]], page: int, per_page: int) -> dict[str, Any]:
    """One page of ``rows`` with the counts a pager needs."""
    pages = max(1, math.ceil(len(rows) / per_page))
    chosen = rows[(page - 1) * per_page : page * per_page]
    return {"total": len(rows), "page": page, "pages": pages, "per_page": per_page,
            "items": [{k: plain(v) for k, v in r.items()} for r in chosen]}  # fmt: skip


def _options(
    counted: list[tuple[str, int]], chosen: str | None, labels: dict[str, str]
) -> list[dict[str, Any]]:
    """A select list's options: each value present, its label and count; a chosen value with
    no actor (a valid country nobody is in yet) is kept, with 0, so it stays selected."""
    options = [{"value": v, "label": labels.get(v, v), "count": n} for v, n in counted]
    if chosen and chosen not in {o["value"] for o in options}:
        options.append({"value": chosen, "label": labels.get(chosen, chosen), "count": 0})
    return options


def actor_facet_options(sources: DataSources, chosen: dict[str, str | None]) -> dict[str, Any]:
    """The three select lists of the actors page, with labels (country names, the kinds'
    and areas' labels) and counts."""
    counted = sources.cached("actor-facets", lambda: actor_facets(sources.registry))
    labels = {
        "country": sources.taxonomy.countries.iso3_to_name,
        "kind": load_vocabulary().labels,
        "area": {name: area.label for name, area in sources.taxonomy.areas.items()},
    }
    return {key: _options(counted[key], chosen[key], labels[key]) for key in counted}


def _sorted(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    if sort == "name":
        return sorted(rows, key=lambda r: (r["name"].casefold(), r["id"]))
    if sort == "ties":  # the most tied first; equal counts by id, so pages are stable
        return sorted(rows, key=lambda r: (-r["ties"], r["id"]))
    return rows  # by id, as list_actors gives them


def actors_view(
    sources: DataSources, *, country: str | None = None, kind: str | None = None,
    area: str | None = None, q: str | None = None, sort: str = "id", page: int = 1,
    per_page: int = PER_PAGE,
) -> dict[str, Any]:  # fmt: skip
    """Actors matching the filters (``q`` searches every name), each with its admin region
    and tie count, sorted by id, name or ties (most first), a page at a time; and the lists
    the filters are picked from."""
    chosen = actor_filters(country or None, kind or None, area or None)
    rows = list_actors(sources.registry, chosen["country"], chosen["kind"], chosen["area"],
                       q or None)  # fmt: skip
    ties = sources.cached("actor-ties", lambda: actor_tie_counts(sources.registry))
    shown = [{**{k: r.get(k) for k in ACTOR_COLUMNS[:-1]}, "ties": ties.get(r["id"], 0)}
             for r in rows]  # fmt: skip
    filters = {**chosen, "q": q or None, "sort": sort}
    return {"filters": filters, "facets": actor_facet_options(sources, chosen),
            **paged(_sorted(shown, sort), page, per_page)}  # fmt: skip
