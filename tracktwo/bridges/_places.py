"""Places by their identifiers: admin regions, capitals, labels, and the US states.

A place actor carries its GeoNames admin1 code (``admin1``: "CA", "DC", "22") and the region's
name (``admin1_name``), so that a place is never shown or told apart by its name alone. The
names come from shipped tables (tracktwo/datasets, SOURCES.md), never from matching a name:

* ``us_states_2020.csv`` — US admin1 codes are the states' postal codes; the 50 states and DC
  with their 2020 Census population, capital and GeoNames ids;
* ``khm_admin1_geonames.csv`` — Cambodia's GeoNames admin1 codes (not the Ministry's province
  codes) to the Ministry's provinces, through the provincial capital each code holds;
* ``capitals_geonames.csv`` — each country's capital as a GeoNames id.

Other countries' admin1 codes are stored without a name: no admin1 names are shipped for them.
Both tables are built by tools/build_geonames_tables.py.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tracktwo.bridges._io import ImportReport
from tracktwo.bridges._registry import Registry
from tracktwo.bridges._shipped import shipped_rows, upsert_actors

__all__ = [
    "CAPITALS_FILE",
    "KHM_ADMIN1_FILE",
    "US_STATES_FILE",
    "admin1_name",
    "capital_geonames_ids",
    "khm_province_admin1",
    "khm_province_seats",
    "load_states",
    "place_label",
]

US_STATES_FILE = "us_states_2020.csv"
KHM_ADMIN1_FILE = "khm_admin1_geonames.csv"
CAPITALS_FILE = "capitals_geonames.csv"
PROVINCE = "province"
# Cambodia's first-level divisions are provinces (khet) and one capital municipality (reach
# thani), Phnom Penh: a region label says which, so "Battambang province" (the province) is
# never read as Battambang (the town)
_REGION_SUFFIX = {"KHM": " province"}
_MUNICIPALITIES = {("KHM", "phnom penh"): " municipality"}


@lru_cache(maxsize=1)
def _admin1_names() -> dict[tuple[str, str], str]:
    names = {("USA", r["code"]): r["name"] for r in shipped_rows(US_STATES_FILE)}
    names.update({("KHM", r["admin1"]): r["province_en"] for r in shipped_rows(KHM_ADMIN1_FILE)})
    return names


def admin1_name(country: str, admin1: str | None) -> str | None:
    """The name of the admin1 region ``admin1`` of ``country`` (ISO3), None if not shipped."""
    if not admin1:
        return None
    return _admin1_names().get((country, admin1))


@lru_cache(maxsize=1)
def khm_province_admin1() -> dict[str, str]:
    """The Ministry's province code ("02") to the province's GeoNames admin1 code ("29")."""
    return {r["province_code"]: r["admin1"] for r in shipped_rows(KHM_ADMIN1_FILE)}


@lru_cache(maxsize=1)
def khm_province_seats() -> dict[str, tuple[float, float]]:
    """The Ministry's province code to its provincial capital's coordinates (GeoNames)."""
    rows = shipped_rows(KHM_ADMIN1_FILE)
    return {r["province_code"]: (float(r["latitude"]), float(r["longitude"])) for r in rows}


@lru_cache(maxsize=1)
def capital_geonames_ids() -> dict[str, int]:
    """ISO3 to the GeoNames id of the country's capital (capitals_geonames.csv)."""
    return {r["iso3"]: int(r["capital_geonameid"]) for r in shipped_rows(CAPITALS_FILE)}


def _region(admin1_name: str, country: str) -> str:
    """The admin1 name as a label shows it: Cambodian ones say province or municipality."""
    suffix = _MUNICIPALITIES.get((country, admin1_name.casefold()), _REGION_SUFFIX.get(country))
    if not suffix or admin1_name.casefold().endswith(suffix.strip()):
        return admin1_name
    return admin1_name + suffix


def place_label(name: str, admin1_name: str | None, country: str, kind: str) -> str:
    """How a place (or any actor) is shown: name, admin region, country.

    "Columbia, South Carolina, USA"; "Battambang, Battambang province, KHM"; a province or
    state actor is its own region: "California, USA", "Battambang province, KHM",
    "Phnom Penh municipality, KHM". Without an admin1 name: "Name, USA".
    """
    if kind == PROVINCE:
        return f"{_region(admin1_name or name, country)}, {country}"
    if not admin1_name:
        return f"{name}, {country}"
    return f"{name}, {_region(admin1_name, country)}, {country}"


def _state_fields(row: dict[str, str]) -> dict[str, Any]:
    what = "federal district" if row["code"] == "DC" else "state"
    return {
        "name": row["name"],
        "country": "USA",
        "kind": PROVINCE,
        "admin1": row["code"],
        "admin1_name": row["name"],
        # the capital's coordinates stand for the state's (distances are to its seat)
        "latitude": float(row["latitude"]),
        "longitude": float(row["longitude"]),
        "population": int(row["population_2020"]),
        "geonames_id": int(row["geonameid"]),
        "description": (
            f"US {what}, capital {row['capital']} (GeoNames {row['capital_geonameid']}); "
            f"population {int(row['population_2020']):,} (2020 Census)"
        ),
    }


def load_states(registry: Registry) -> ImportReport:
    """The 50 US states and the District of Columbia as ``province`` actors (upserted on
    their GeoNames id), with their 2020 Census population; coordinates are the capital's."""
    rows = shipped_rows(US_STATES_FILE)
    return upsert_actors(registry, "US states (2020 Census)", rows, _state_fields, None)
