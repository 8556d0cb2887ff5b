"""Places by identifiers: labels with the admin region, the capitals table, the US states,
admin1 on loaded place actors, and migration 0007 filling admin1 on an older registry."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tracktwo.bridges import Actor, Registry, load_states, place_label
from tracktwo.bridges._loaders import load_places, load_provinces
from tracktwo.bridges._places import CAPITALS_FILE, US_STATES_FILE, capital_geonames_ids
from tracktwo.datasets import dataset_path

# GeoNames ids, read off tracktwo/datasets/gazetteer_us_cities15000.csv.gz by hand
WASHINGTON_DC, WASHINGTON_UT, WASHINGTON_IL = 4140963, 5549222, 4915545
COLUMBIA_SC, COLUMBIA_MO = 4575352, 4381982
PHNOM_PENH, BATTAMBANG_TOWN = 1821306, 1831797  # gazetteer_kh_cities500.csv


@pytest.mark.parametrize(
    ("name", "admin1_name", "country", "kind", "label"),
    [
        ("Columbia", "South Carolina", "USA", "city", "Columbia, South Carolina, USA"),
        ("Washington", "District of Columbia", "USA", "city",
         "Washington, District of Columbia, USA"),
        ("Battambang", "Battambang", "KHM", "city", "Battambang, Battambang province, KHM"),
        # a name that already says "province" gets no second one
        ("Sala", "Kampot province", "KHM", "city", "Sala, Kampot province, KHM"),
        # Phnom Penh is Cambodia's capital municipality, not a province
        ("Dangkao", "Phnom Penh", "KHM", "city", "Dangkao, Phnom Penh municipality, KHM"),
        ("Phnom Penh", "Phnom Penh", "KHM", "province", "Phnom Penh municipality, KHM"),
        ("California", "California", "USA", "province", "California, USA"),
        ("Battambang", "Battambang", "KHM", "province", "Battambang province, KHM"),
        ("Springfield", None, "USA", "city", "Springfield, USA"),
        ("Harvard University", None, "USA", "university", "Harvard University, USA"),
        ("Purdue University", "Indiana", "USA", "university", "Purdue University, Indiana, USA"),
    ],
)  # fmt: skip
def test_place_label(name: str, admin1_name: str | None, country: str, kind: str, label: str):
    assert place_label(name, admin1_name, country, kind) == label


def test_capitals_come_from_geonames_ids() -> None:
    capitals = capital_geonames_ids()
    assert capitals["USA"] == WASHINGTON_DC
    assert capitals["KHM"] == PHNOM_PENH
    assert WASHINGTON_UT not in capitals.values()
    assert WASHINGTON_IL not in capitals.values()
    with open(dataset_path(CAPITALS_FILE), encoding="utf-8") as handle:
        rows = {r["iso3"]: r for r in csv.DictReader(handle)}
    assert rows["USA"]["admin1"] == "DC"
    assert rows["FRA"]["name"] == "Paris"


def test_state_table_matches_the_2020_census() -> None:
    with open(dataset_path(US_STATES_FILE), encoding="utf-8") as handle:
        rows = {r["code"]: r for r in csv.DictReader(handle)}
    assert len(rows) == 51  # 50 states and DC
    # the Census Bureau's resident population of the 50 states and DC, 1 April 2020
    assert sum(int(r["population_2020"]) for r in rows.values()) == 331_449_281
    assert rows["CA"]["population_2020"] == "39538223"
    assert (rows["SC"]["capital"], rows["SC"]["capital_geonameid"]) == ("Columbia", "4575352")
    assert rows["DC"]["capital_geonameid"] == str(WASHINGTON_DC)


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    registry = Registry(home=tmp_path_factory.mktemp("places"))
    load_states(registry)
    load_provinces(registry)
    load_places(registry, "KHM")
    load_places(registry, "USA")
    yield registry
    registry.close()


def _actor(registry: Registry, **where: object) -> Actor:
    with registry.read() as session:
        return session.scalars(select(Actor).filter_by(**where)).one()


def test_loaded_places_carry_their_admin_region(places: Registry) -> None:
    columbia = _actor(places, geonames_id=COLUMBIA_SC)
    assert (columbia.admin1, columbia.admin1_name) == ("SC", "South Carolina")
    assert _actor(places, geonames_id=COLUMBIA_MO).admin1_name == "Missouri"
    town = _actor(places, geonames_id=BATTAMBANG_TOWN)
    # GeoNames' admin1 code 29 is the Ministry's province 02, Battambang
    assert (town.admin1, town.admin1_name) == ("29", "Battambang")
    province = _actor(places, name="Battambang", kind="province")
    assert (province.admin1, province.country) == ("29", "KHM")
    siem_reap = _actor(places, name="Siem Reap", kind="city")
    assert siem_reap.admin1_name == "Siemreap"  # the Ministry's spelling of the province


def test_states_are_province_actors(places: Registry) -> None:
    with places.read() as session:
        states = session.scalars(
            select(Actor).where(Actor.country == "USA", Actor.kind == "province")
        ).all()
    assert len(states) == 51
    california = next(s for s in states if s.admin1 == "CA")
    assert (california.name, california.population) == ("California", 39_538_223)
    # coordinates are Sacramento's (GeoNames 5389489: 38.58157, -121.4944)
    assert california.latitude == pytest.approx(38.58157)
    assert place_label(california.name, california.admin1_name, "USA", "province") == (
        "California, USA"
    )


def test_loading_the_states_twice_changes_nothing(places: Registry) -> None:
    report = load_states(places)
    assert report.count("actor", "unchanged") == 51
    assert report.count("actor", "created") == 0


def _insert(connection, **fields: object) -> None:
    columns = ", ".join(fields)
    values = ", ".join(f":{name}" for name in fields)
    connection.execute(
        text(
            f"INSERT INTO actors ({columns}, areas_offered, areas_needed, alt_names, version) "
            f"VALUES ({values}, '[]', '[]', '[]', 1)"
        ),
        fields,
    )


def test_migration_fills_admin1_on_an_older_registry(tmp_path: Path) -> None:
    registry = Registry(f"sqlite:///{tmp_path / 'old.sqlite'}", upgrade=False)
    registry.upgrade("0006")  # the schema before admin1
    with registry.engine.begin() as connection:
        _insert(connection, name="Columbia", country="USA", kind="city", geonames_id=COLUMBIA_SC)
        _insert(connection, name="Washington", country="USA", kind="city",
                geonames_id=WASHINGTON_UT)  # fmt: skip
        _insert(connection, name="Battambang", country="KHM", kind="province")
        _insert(connection, name="Columbia", country="USA", kind="city")  # no GeoNames id
        _insert(connection, name="Columbia University", country="USA", kind="university")
    registry.upgrade()
    with registry.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT name, kind, geonames_id, admin1, admin1_name FROM actors ORDER BY id")
        ).all()
    assert [tuple(r[3:]) for r in rows] == [
        ("SC", "South Carolina"),
        ("UT", "Utah"),
        ("29", "Battambang"),  # the Ministry's province, by its name in that closed list
        (None, None),  # a name alone places nothing
        (None, None),
    ]
    registry.downgrade("0006")  # and back: the columns go
    with registry.engine.connect() as connection:
        columns = [r[1] for r in connection.execute(text("PRAGMA table_info(actors)"))]
        kept = connection.execute(text("SELECT count(*) FROM actors")).scalar()
    assert "admin1" not in columns
    assert kept == 5  # dropped in place: the table is not copied, nothing cascades
    registry.close()
