"""Loaders for real open data, from small extracts shipped in ``tracktwo/datasets``
(sources and licences in its SOURCES.md), run by name with :func:`load_open_data`:

* :func:`load_places`, :func:`load_provinces`, :func:`load_universities`: GeoNames places,
  Cambodia's provinces and the universities of both countries as actors
  (:mod:`tracktwo.bridges._open_actors`);
* :func:`tracktwo.bridges._places.load_states`: the US states and DC as ``province`` actors;
* :func:`load_sister_cities`: the Wikipedia sister-city list as ``sister_city`` ties
  (:mod:`tracktwo.bridges._sister_cities`);
* :func:`tracktwo.bridges._khm_usa.load_khm_usa_ties`: the curated KHM-USA ties.
"""

from __future__ import annotations

from typing import Any

from tracktwo._errors import InputError
from tracktwo.bridges._io import ImportReport
from tracktwo.bridges._khm_usa import load_khm_usa_ties
from tracktwo.bridges._open_actors import (
    gazetteer_places,
    load_places,
    load_provinces,
    load_universities,
)
from tracktwo.bridges._places import load_states
from tracktwo.bridges._registry import Registry
from tracktwo.bridges._shipped import Progress
from tracktwo.bridges._sister_cities import MatchReport, load_sister_cities, sister_city_country

__all__ = [
    "OPEN_DATA",
    "MatchReport",
    "gazetteer_places",
    "load_open_data",
    "load_places",
    "load_provinces",
    "load_sister_cities",
    "load_universities",
    "sister_city_country",
]

OPEN_DATA = ("places", "provinces", "states", "universities", "sister-cities", "khm-usa-ties")


def load_open_data(
    registry: Registry,
    source: str,
    *,
    country: str | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> ImportReport | MatchReport:
    """Run one loader by name (places, provinces, states, universities, sister-cities,
    khm-usa-ties)."""
    if source not in OPEN_DATA:
        raise InputError(f"unknown open data {source!r}; one of: {', '.join(OPEN_DATA)}")
    if source == "provinces":
        return load_provinces(registry)
    if source == "states":
        return load_states(registry)
    if source == "khm-usa-ties":
        return load_khm_usa_ties(registry)
    if source == "sister-cities":
        return load_sister_cities(registry, country, progress=progress, **options)
    if country is None:
        raise InputError(f"loading {source} needs a country, e.g. --country KHM")
    loader = load_places if source == "places" else load_universities
    return loader(registry, country, progress=progress, **options)
