"""The matchmaker on places: capitals by GeoNames id, kinds at one level preferred, and the
rule for pairs that cross levels (city and province or state)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from tracktwo.bridges import Actor, Registry, load_khm_usa_ties, load_states
from tracktwo.bridges._loaders import load_places, load_provinces, load_sister_cities
from tracktwo.match import FEATURES, Recommender, crosses_levels
from tracktwo.match._features import MIN_LEVEL_TIES, RULE_WEIGHTS, actor_table, build_graph

WASHINGTON_DC, WASHINGTON_UT, WASHINGTON_IL = 4140963, 5549222, 4915545  # GeoNames ids
PHNOM_PENH = 1821306


@pytest.mark.parametrize(
    ("one", "two", "crossing"),
    [
        ("city", "province", True),
        ("province", "city", True),
        ("school", "university", True),
        ("city", "city", False),
        ("province", "province", False),
        ("university", "academy", False),  # both tertiary
        ("city", "university", False),  # different ladders: not a level question
        ("expert", "university", False),
    ],
)
def test_crosses_levels(one: str, two: str, crossing: bool) -> None:
    assert crosses_levels(one, two) is crossing


def _frame(rows: list[tuple[str, str, str, int | None]]) -> pd.DataFrame:
    """(name, country, kind, geonames id) rows as the frame read_actors builds."""
    n = len(rows)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "name": [r[0] for r in rows],
            "country": [r[1] for r in rows],
            "kind": [r[2] for r in rows],
            "geonames_id": pd.array([r[3] for r in rows], dtype="Int64"),
            "latitude": np.linspace(-30, 40, n),
            "longitude": np.linspace(-120, 105, n),
            "population": np.full(n, 100_000.0),
            "areas_offered": [[] for _ in rows],
            "areas_needed": [[] for _ in rows],
            "description": [None] * n,
            "place": [None] * n,
        }
    )


def test_a_capital_is_its_geonames_id_not_its_name() -> None:
    actors = actor_table(
        _frame(
            [
                ("Washington", "USA", "city", WASHINGTON_DC),
                ("Washington", "USA", "city", WASHINGTON_UT),
                ("Washington", "USA", "city", WASHINGTON_IL),
                ("Washington", "USA", "city", None),  # a name alone is no capital
                ("Phnom Penh", "KHM", "city", PHNOM_PENH),
                ("Phnom Penh", "USA", "city", PHNOM_PENH),  # the id is Cambodia's capital
            ]
        )
    )
    assert actors.capital.tolist() == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]


def _ties(pairs: list[tuple[int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": np.arange(1, len(pairs) + 1),
            "actor_a_id": [a for a, _ in pairs],
            "actor_b_id": [b for _, b in pairs],
            "status": ["active"] * len(pairs),
        }
    )


@pytest.mark.parametrize(
    ("ties", "rule_applies"), [(MIN_LEVEL_TIES - 1, 1.0), (MIN_LEVEL_TIES, 0.0)]
)
def test_the_level_rule_applies_only_without_ties_to_learn_from(
    ties: int, rule_applies: float
) -> None:
    # ids 1-6: cities of KHM; 7-12: provinces of USA; ties city i <-> province i + 6
    rows = [(f"c{i}", "KHM", "city", None) for i in range(6)]
    rows += [(f"p{i}", "USA", "province", None) for i in range(6)]
    actors = actor_table(_frame(rows))
    graph = build_graph(actors, _ties([(i, i + 6) for i in range(1, ties + 1)]))
    city, province = actors.kind_code[0], actors.kind_code[6]
    assert graph.cross_level[city, province] == rule_applies
    assert graph.cross_level[province, city] == rule_applies
    assert graph.cross_level[city, city] == 0.0  # one level: never a crossing


@pytest.mark.parametrize("seed", [0, 1])
def test_fast_step_stays_exact_with_the_level_rule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 160
    kinds = rng.choice(["city", "city", "province", "university", "school"], n)
    rows = [(f"a{i}", "KHM" if i % 2 else "USA", str(kinds[i]), None) for i in range(n)]
    frame = _frame(rows)
    frame["latitude"] = rng.uniform(-60, 60, n)
    frame["longitude"] = rng.uniform(-180, 180, n)
    frame["population"] = 10 ** rng.uniform(3, 7, n)
    actors = actor_table(frame)
    pairs = rng.choice(n, size=(120, 2)) + 1
    ties = _ties([(int(a), int(b)) for a, b in pairs if a != b])
    weights = {name: float(rng.normal(0, 1.5)) for name in FEATURES}
    weights["cross_level"] = -4.0  # the rule must be in the fast step's bound
    model = Recommender(weights=weights, capacity=2, candidates=10).fit_tables(actors, ties)
    ids = frame["id"].to_numpy()
    fast = model.recommend_many(ids, k=5)
    exact = model.recommend_many(ids, k=5, exhaustive=True)
    assert fast[["source_id", "candidate_id", "rank"]].equals(
        exact[["source_id", "candidate_id", "rank"]]
    )


@pytest.fixture(scope="module")
def demo_like(tmp_path_factory: pytest.TempPathFactory) -> tuple[Registry, Recommender]:
    """The demo's registry in small: its actors (Cambodian places and provinces, US cities
    of 15,000+ and the states), the reported Cambodia-US ties and Cambodia's sister cities
    (their partners from the world gazetteer of cities of 15,000+)."""
    registry = Registry(home=tmp_path_factory.mktemp("demo_like"))
    load_provinces(registry)
    load_states(registry)
    load_places(registry, "KHM")
    load_places(registry, "USA")
    load_khm_usa_ties(registry)
    load_sister_cities(registry, "KHM", min_population=15000)
    model = Recommender().fit(registry)
    yield registry, model
    registry.close()


def _id(registry: Registry, **where: object) -> int:
    with registry.read() as session:
        return int(session.scalars(select(Actor.id).filter_by(**where)).one())


def test_only_washington_dc_is_the_us_capital(demo_like: tuple[Registry, Recommender]) -> None:
    registry, model = demo_like
    phnom_penh = _id(registry, geonames_id=PHNOM_PENH)
    top = model.recommend(phnom_penh, k=10, country="USA", kind="city")
    credited = top.loc[top["capital_pair"] != 0, "candidate_id"].tolist()
    assert credited == [_id(registry, geonames_id=WASHINGTON_DC)]
    # the other Washingtons, scored directly: no capital credit at all
    rows = model.actors_.index
    others = np.array([rows[_id(registry, geonames_id=g)] for g in (WASHINGTON_UT, WASHINGTON_IL)])
    parts = model.contributions(np.full(2, rows[phnom_penh]), others)
    capital_columns = [FEATURES.index("capital_pair"), FEATURES.index("candidate_capital")]
    assert (parts[:, capital_columns] == 0).all()


def test_a_province_is_offered_states(demo_like: tuple[Registry, Recommender]) -> None:
    registry, model = demo_like
    battambang = _id(registry, name="Battambang", kind="province")
    top = model.recommend(battambang, k=10, country="USA")
    assert (top["kind"] == "province").sum() >= 5
    # a city offered to the province carries the rule's cost of crossing levels: the demo
    # holds one city-province tie (Lowell-Pursat), fewer than MIN_LEVEL_TIES
    lowell = _id(registry, geonames_id=4942618)
    row = model.contributions(
        np.array([model.actors_.index[battambang]]), np.array([model.actors_.index[lowell]])
    )[0]
    assert row[FEATURES.index("cross_level")] == RULE_WEIGHTS["cross_level"]
