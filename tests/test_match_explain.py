"""Explanations in words: a hand-built row gives its sentence with the real figures; the finest
diaspora figure of the shipped file; `match recommend` keeps its csv columns and adds the
region, population and sentence."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tracktwo.cli._match  # noqa: F401  (registers the commands under test)
from tracktwo import NotFoundError
from tracktwo.bridges import Registry
from tracktwo.bridges._edit import add_actor, add_tie
from tracktwo.cli._app import app
from tracktwo.datasets import dataset_path
from tracktwo.match import FEATURES, PairFacts, Recommender, explain
from tracktwo.match._explain import DiasporaFact, finest_diaspora, pair_facts

# Fresno (GeoNames 5350937: population 542,107, California) for Battambang (GeoNames
# 1831797: 119,251); its Cambodian-Americans from the shipped diaspora file: "Fresno, CA
# metro", 5,618 (2010 Census); its two sister cities in Asia in the demo registry (Kochi,
# Japan and Vagharshapat, Armenia: GeoNames puts Armenia in Asia)
FRESNO = PairFacts(
    candidate_label="Fresno, California, USA", source_kind="city", candidate_kind="city",
    source_population=119_251, candidate_population=542_107, candidate_ties=4, region="Asia",
    ties_in_region=2, region_noun="cities", source_country_name="Cambodia",
    diaspora=DiasporaFact(5618, "metro", "Cambodian-Americans (of 942904)", "2010 Census",
                          "Cambodia"),
)  # fmt: skip


def _row(**values: float) -> dict[str, float]:
    return {name: values.get(name, 0.0) for name in FEATURES}


def test_a_recommendation_reads_as_a_sentence_with_its_figures() -> None:
    row = _row(kind_fit=4.39, diaspora_nearby=1.2, population_similarity=-0.2,
               candidate_degree=1.1, distance=-2.80)  # fmt: skip
    base = _row(kind_fit=4.39, diaspora_nearby=0.25, population_similarity=-0.9,
                candidate_degree=0.5, distance=-2.79)  # fmt: skip
    # above the baseline: diaspora +0.95, population +0.70, ties +0.60; kinds 0 (every
    # candidate is a city), distance −0.01: the three reasons, largest first. The
    # populations differ by more than a factor 2 (542,107 / 119,251 = 4.5): "nearer".
    assert explain(row, FRESNO, base) == (
        "Fresno, California, USA: 5,618 Cambodian-Americans in its metro area (2010 Census); "
        "a population nearer its own than most (542,107 vs 119,251); "
        "already twinned with 2 cities in Asia"
    )
    # without a baseline the raw terms count: population −0.2 and distance are no reason,
    # and peers are the rule, not a reason; the diaspora figure is said all the same
    assert explain(row, FRESNO) == (
        "Fresno, California, USA: 5,618 Cambodian-Americans in its metro area (2010 Census); "
        "already twinned with 2 cities in Asia"
    )


def test_a_pairing_across_levels_says_so() -> None:
    facts = PairFacts(candidate_label="Long Beach, California, USA", source_kind="province",
                      candidate_kind="city")  # fmt: skip
    assert explain(_row(kind_fit=2.2), facts, _row(kind_fit=2.2)) == (
        "Long Beach, California, USA: crosses levels (a province with a city)"
    )
    plain = PairFacts(candidate_label="Lowell, Massachusetts, USA", source_kind="city",
                      candidate_kind="city")  # fmt: skip
    assert explain(_row(), plain).endswith("no single reason stands out (the score is mostly "
                                           "the model's baseline)")  # fmt: skip


def _shipped(geographies: set[str]) -> list[dict[str, object]]:
    with open(dataset_path("diaspora_khm_usa.csv"), encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["geography"] in geographies]
    return [{**r, "figure": int(r["figure"]), "year": int(r["year"])} for r in rows]


def test_the_finest_diaspora_figure_is_quoted() -> None:
    # Stockton has a city figure (10,170, 2010 Census), metro ones (9,000 in 2019; 12,557 in
    # 2010) and California's (95,589 in 2010; 92,953 in 2020): the city's is the finest
    stockton = _shipped({"Stockton, CA (city)", "Stockton, CA metro", "California"})
    fact = finest_diaspora(stockton, "KHM")
    assert fact is not None and (fact.figure, fact.level, fact.basis) == (
        10170,
        "city",
        "2010 Census",
    )
    facts = PairFacts(candidate_label="Stockton, California, USA", source_kind="city",
                      candidate_kind="city", diaspora=fact)  # fmt: skip
    assert explain(_row(), facts) == (
        "Stockton, California, USA: 10,170 Cambodian-Americans in the city (2010 Census)"
    )
    # a state alone: its latest year (2020), the measure said in the brackets
    state = finest_diaspora(_shipped({"California"}), "KHM")
    facts = PairFacts(candidate_label="Fresno, California, USA", source_kind="city",
                      candidate_kind="city", diaspora=state)  # fmt: skip
    assert explain(_row(), facts) == (
        "Fresno, California, USA: 92,953 people of Cambodian origin in its state "
        "(Cambodian alone; US Census 2020)"
    )
    assert finest_diaspora(_shipped({"United States"}), "KHM") is None  # a country says nothing


# (name, country, latitude, longitude, population, GeoNames id, admin1, admin1 name)
PLACES = [
    ("Phnom Penh", "KHM", 11.56, 104.92, 1_573_544, 1821306, "22", "Phnom Penh"),
    ("Siem Reap", "KHM", 13.36, 103.86, 139_458, None, None, None),
    ("Bangkok", "THA", 13.75, 100.50, 5_104_476, None, None, None),
    ("Chiang Mai", "THA", 18.79, 98.98, 131_091, None, None, None),
    ("Long Beach", "USA", 33.77, -118.19, 462_257, None, "CA", "California"),
    ("Lowell", "USA", 42.63, -71.32, 106_519, None, "MA", "Massachusetts"),
    ("Seattle", "USA", 47.61, -122.33, 608_660, None, "WA", "Washington"),
    ("Houston", "USA", 29.76, -95.36, 2_296_224, None, "TX", "Texas"),
]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("explain")
    registry = Registry(home=folder)
    ids = {}
    for name, country, lat, lon, population, geonames, _code, _region in PLACES:
        ids[name] = add_actor(registry, name=name, country=country, kind="city", latitude=lat,
                              longitude=lon, population=population,
                              geonames_id=geonames)["id"]  # fmt: skip
    with registry.engine.begin() as connection:
        for name, *_rest, code, region in PLACES:
            connection.exec_driver_sql("UPDATE actors SET admin1 = ?, admin1_name = ? "
                                       "WHERE id = ?", (code, region, ids[name]))  # fmt: skip
    for a, b in [
        ("Phnom Penh", "Bangkok"),
        ("Siem Reap", "Chiang Mai"),
        ("Bangkok", "Houston"),
        ("Chiang Mai", "Houston"),
        ("Bangkok", "Seattle"),
        ("Chiang Mai", "Lowell"),
    ]:
        add_tie(registry, ids[a], ids[b], "sister_city", start_date=date(2020, 1, 1))
    registry.close()
    return folder


def test_pair_facts_come_from_the_registry(home: Path) -> None:
    model = Recommender().fit(Registry(home=home))
    index = model.actors_.index
    facts = pair_facts(model, index[1], index[8])  # Phnom Penh (id 1), Houston (id 8)
    assert facts.candidate_label == "Houston, Texas, USA"
    # Houston's two ties, Bangkok and Chiang Mai, are cities in Asia (Thailand)
    assert (facts.candidate_ties, facts.region, facts.ties_in_region, facts.region_noun) == (
        2,
        "Asia",
        2,
        "cities",
    )
    assert (facts.source_population, facts.candidate_population) == (1_573_544, 2_296_224)
    assert facts.source_country_name == "Cambodia" and facts.ties_with_country == 0


def test_recommend_csv_keeps_its_columns_and_adds_the_sentence(home: Path) -> None:
    done = CliRunner().invoke(app, ["--home", str(home), "match", "recommend", "geonames:1821306",
                                    "--country", "USA", "--kind", "city", "--k", "3",
                                    "--format", "csv"])  # fmt: skip
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    header = list(rows[0])
    assert header[:6] == ["candidate_id", "name", "country", "kind", "score", "rank"]
    assert header[6 : 6 + len(FEATURES)] == list(FEATURES)
    for column in ("admin1", "admin1_name", "population", "explanation"):
        assert column in header
    assert len(rows) == 3 and {r["country"] for r in rows} == {"USA"}
    for row in rows:  # each sentence opens with the partner and its state
        assert row["explanation"].startswith(f"{row['name']}, {row['admin1_name']}, USA: ")
    houston = next(r for r in rows if r["name"] == "Houston")
    assert (houston["admin1"], houston["population"]) == ("TX", "2296224")
    table = CliRunner().invoke(app, ["--home", str(home), "match", "recommend", "1",
                                     "--country", "USA", "--k", "2"])  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "Phnom Penh" in table.stdout and "probability" not in table.stdout.lower()
    unknown = CliRunner().invoke(app, ["--home", str(home), "match", "recommend", "geonames:1"])
    # in process the error reaches the runner; tracktwo's main turns it into a message
    assert isinstance(unknown.exception, NotFoundError)
    assert "no actor with GeoNames id 1 " in str(unknown.exception)


def test_a_pick_among_candidates_that_all_score_alike_says_so(tmp_path: Path) -> None:
    """Four US universities with no place, population, text or tie: every feature of the
    model is the same for each, so they tie, and the top pick's percentile is 50 (none
    below, all four the same: 0 + 0.5 x 100%). Its sentence must not read as a reason."""
    from tracktwo.match import describe, diversify

    registry = Registry(home=tmp_path)
    cities = [add_actor(registry, name=name, country=country, kind="city", latitude=lat,
                        longitude=lon, population=population, geonames_id=geonames)["id"]
              for name, country, lat, lon, population, geonames, _c, _r in PLACES]  # fmt: skip
    for a, b in [(0, 2), (1, 3), (2, 7), (3, 7), (2, 6)]:
        add_tie(registry, cities[a], cities[b], "sister_city", start_date=date(2020, 1, 1))
    source = add_actor(registry, name="Royal University of Phnom Penh", country="KHM",
                       kind="university")["id"]  # fmt: skip
    for name in ("Alpha College", "Beta College", "Gamma College", "Delta College"):
        add_actor(registry, name=name, country="USA", kind="university")
    model = Recommender().fit(registry)
    table = describe(model, diversify(model, source, 1, country="USA"), source, registry,
                     country="USA")  # fmt: skip
    registry.close()
    assert table["percentile"].tolist() == [50.0]
    assert (
        table["explanation"]
        .iat[0]
        .endswith(
            "it scores the same as many of the actor's candidates (top 50%): the registry holds "
            "too little about them to tell them apart"
        )
    )
