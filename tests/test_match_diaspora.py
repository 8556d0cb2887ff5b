"""The diaspora features from the registry's figures (the shipped Cambodian-American file):
values by hand from the real figures and populations, missing distinct from zero, and the
exact top-k still exact with them."""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from tracktwo.bridges import Registry, load_diaspora
from tracktwo.bridges._diaspora import DIASPORA_FILE
from tracktwo.bridges._loaders import load_places
from tracktwo.datasets import dataset_path
from tracktwo.match import FEATURES, Recommender
from tracktwo.match._diaspora_features import diaspora_columns, diaspora_table
from tracktwo.match._features import actor_table, read_actors

# GeoNames ids (tracktwo/datasets/gazetteer_us_cities15000.csv.gz)
LONG_BEACH, FRESNO, LOWELL, SACRAMENTO = 5367929, 5350937, 4942618, 5389489
CA_2020, MA_2020 = 39_538_223, 7_029_917  # us_states_2020.csv, population_2020


def _log_percent(share: float) -> float:
    return math.log1p(100 * share)


def _gazetteer_population(geonames_id: int) -> float:
    path = dataset_path("gazetteer_us_cities15000.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if int(row["geonameid"]) == geonames_id:
                return float(row["population"])
    raise AssertionError(geonames_id)


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """The US GeoNames places and one Cambodian city, then the shipped diaspora file."""
    from tracktwo.bridges._edit import add_actor

    registry = Registry(home=tmp_path_factory.mktemp("diaspora-features"))
    load_places(registry, "USA")
    add_actor(registry, name="Phnom Penh", country="KHM", kind="city", latitude=11.56,
              longitude=104.92, population=1_573_544)  # fmt: skip
    add_actor(registry, name="Paris", country="FRA", kind="city", latitude=48.85,
              longitude=2.35, population=2_138_551)  # fmt: skip
    load_diaspora(registry, dataset_path(DIASPORA_FILE), world_gazetteer=False)
    yield registry
    registry.close()


def _values(registry: Registry, origin: str, geonames_id: int) -> tuple[float, float, float]:
    actors = read_actors(registry, text="none")
    row = int(np.flatnonzero(actors.frame["geonames_id"].to_numpy() == geonames_id)[0])
    known, size, share = actors.diaspora.values(origin, np.array([row]))[0]
    return float(known), float(size), float(share)


def test_long_beach_takes_its_city_figure_over_its_metro_and_state(loaded) -> None:
    # "Long Beach, CA (city)", 18,000 Cambodian-Americans (3.9%), finer than the Los Angeles
    # metro's 41,000 and California's 92,953 (2020); share 18,000 / the city's population
    # (474,140) = 3.796%, as log(1 + percent) = log(4.796) = 1.5678
    known, size, share = _values(loaded, "KHM", LONG_BEACH)
    assert known == 1.0
    assert size == pytest.approx(math.log1p(18_000))  # 9.798183
    assert share == pytest.approx(_log_percent(18_000 / _gazetteer_population(LONG_BEACH)))
    # the source says 3.9% (of the 2010 Census population, not GeoNames 474,140): log 4.9 = 1.589
    assert share == pytest.approx(_log_percent(0.039), abs=0.03)


def test_fresno_takes_its_metro_figure_over_the_total_the_measure_states(loaded) -> None:
    # "Fresno, CA metro", 5,618 Cambodian-Americans (of 942904): 5,618 / 942,904 = 0.5958%
    known, size, share = _values(loaded, "KHM", FRESNO)
    assert (known, size) == (1.0, pytest.approx(math.log1p(5_618)))
    assert share == pytest.approx(math.log(1 + 0.5958), abs=1e-4)


def test_a_state_figure_is_the_latest_year_over_the_state_population(loaded) -> None:
    # Lowell: no city or metro figure reaches it; Massachusetts 27,308 (2020) beats 29,213
    # (2010); 27,308 / 7,029,917 = 0.3885%. Sacramento: California 92,953 / 39,538,223 = 0.2351%
    assert _values(loaded, "KHM", LOWELL) == (
        1.0, pytest.approx(math.log1p(27_308)), pytest.approx(math.log(1.3885), abs=1e-4)
    )  # fmt: skip
    assert _values(loaded, "KHM", SACRAMENTO) == (
        1.0, pytest.approx(math.log1p(92_953)), pytest.approx(math.log(1.2351), abs=1e-4)
    )  # fmt: skip
    assert pytest.approx(0.003885, abs=1e-6) == 27_308 / MA_2020
    assert pytest.approx(0.002351, abs=1e-6) == 92_953 / CA_2020


def test_other_origins_know_nothing(loaded) -> None:
    # the file holds Cambodians in the US only: Paris's people in Long Beach are unknown
    assert _values(loaded, "FRA", LONG_BEACH) == (0.0, 0.0, 0.0)


def test_pair_features_use_the_source_country(loaded) -> None:
    actors = read_actors(loaded, text="none")
    names = actors.frame["name"].to_numpy()
    phnom_penh = int(np.flatnonzero(names == "Phnom Penh")[0])
    paris = int(np.flatnonzero(names == "Paris")[0])
    long_beach = int(np.flatnonzero(actors.frame["geonames_id"].to_numpy() == LONG_BEACH)[0])
    columns = diaspora_columns(actors.diaspora, np.array([phnom_penh, paris]),
                               np.array([long_beach, long_beach]))  # fmt: skip
    assert columns["diaspora_known"].tolist() == [1.0, 0.0]
    assert columns["diaspora_size"][0] == pytest.approx(math.log1p(18_000))
    assert columns["diaspora_size"][1] == 0.0


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [1, 2, 3, 4], "name": ["Phnom Penh", "Tiny", "Unknown", "Paris"],
        "country": ["KHM", "USA", "USA", "FRA"], "kind": "city",
        "latitude": [11.5, 40.0, 41.0, 48.8], "longitude": [104.9, -75.0, -74.0, 2.3],
        "population": [1.5e6, 2000.0, 3000.0, 2.1e6], "areas_offered": [[]] * 4,
        "areas_needed": [[]] * 4, "description": None,
    })  # fmt: skip


def test_a_figure_of_zero_people_is_known_and_no_figure_is_not() -> None:
    figures = pd.DataFrame([{
        "actor_id": 2, "figure_id": 1, "origin_country": "KHM", "country": "USA",
        "geography": "Tiny (city)", "level": "city", "figure": 0, "measure": "counted",
        "year": 2020,
    }])  # fmt: skip
    table = diaspora_table(_frame(), figures)
    values = table.values("KHM", np.array([1, 2]))  # rows of Tiny and Unknown
    assert values[0].tolist() == [1.0, 0.0, 0.0]  # known: zero people
    assert values[1].tolist() == [0.0, 0.0, 0.0]  # unknown: the indicator says so


def _random_world(seed: int) -> tuple[pd.DataFrame, object, pd.DataFrame, dict[str, float]]:
    rng = np.random.default_rng(seed)
    n = 200
    frame = pd.DataFrame({
        "id": np.arange(1, n + 1), "name": [f"A{i}" for i in range(n)],
        "country": rng.choice(["KHM", "USA", "FRA", "VNM"], n),
        "kind": rng.choice(["city", "city", "province", "university"], n),
        "latitude": rng.uniform(-60, 60, n), "longitude": rng.uniform(-180, 180, n),
        "population": np.where(rng.random(n) < 0.2, np.nan, 10 ** rng.uniform(3, 7, n)),
        "areas_offered": [[]] * n, "areas_needed": [[]] * n, "description": None,
    })  # fmt: skip
    places = np.flatnonzero(frame["kind"].isin(["city", "province"]).to_numpy())
    linked = rng.choice(places, 70, replace=False)
    figures = pd.DataFrame({
        "actor_id": linked + 1, "figure_id": np.arange(len(linked)),
        "origin_country": rng.choice(["KHM", "VNM", "FRA"], len(linked)),
        "country": frame["country"].to_numpy()[linked], "geography": "somewhere",
        "level": rng.choice(["city", "metro", "state"], len(linked)),
        "figure": rng.integers(0, 50_000, len(linked)), "measure": "people",
        "year": rng.choice([2010, 2020], len(linked)),
    })  # fmt: skip
    figures = figures[figures["origin_country"] != figures["country"]]
    actors = actor_table(frame, "none", figures=figures)
    pairs = rng.choice(n, size=(250, 2)) + 1
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    ties = pd.DataFrame({"id": np.arange(1, len(pairs) + 1), "actor_a_id": pairs[:, 0],
                         "actor_b_id": pairs[:, 1], "status": "active"})  # fmt: skip
    weights = {name: float(rng.normal(0, 1.5)) for name in FEATURES}
    weights["diaspora_size"] = 0.8 * abs(weights["diaspora_size"])  # large enough to matter
    return frame, actors, ties, weights


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_step_stays_exact_with_diaspora_features(seed: int) -> None:
    frame, actors, ties, weights = _random_world(seed)
    assert any(table[:, 0].sum() > 0 for table in actors.diaspora.by_origin.values())
    model = Recommender(weights=weights, capacity=2, candidates=10, calibrate=False)
    model.fit_tables(actors, ties)
    ids = frame["id"].to_numpy()
    fast = model.recommend_many(ids, k=5)
    exact = model.recommend_many(ids, k=5, exhaustive=True)
    assert fast[["source_id", "candidate_id", "rank"]].equals(
        exact[["source_id", "candidate_id", "rank"]]
    )
    assert fast["score"].to_numpy() == pytest.approx(exact["score"].to_numpy())
