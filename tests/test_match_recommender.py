"""The matchmaker's features and recommender on small hand-made registries (values by hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges import Actor, Registry, Tie
from tracktwo.match import FEATURES, Recommender

pytestmark = pytest.mark.postgres

KM_PER_DEGREE = 6371.0 * math.pi / 180  # 111.195 km along the equator


def _add(registry, **fields) -> int:
    with registry.session() as session:
        actor = Actor(**fields)
        session.add(actor)
        session.flush()
        return actor.id


def _tie(registry, a: int, b: int) -> int:
    with registry.session() as session:
        tie = Tie(actor_a_id=a, actor_b_id=b, channel="sister_city", status="active")
        session.add(tie)
        session.flush()
        return tie.id


def _city(registry, name: str, country: str, lon: float, population: int) -> int:
    return _add(
        registry, name=name, country=country, kind="city", latitude=0.0, longitude=lon,
        population=population,
    )  # fmt: skip


def _feature(table, name: str, weight: float) -> np.ndarray:
    return table[name].to_numpy() / weight


def test_kind_and_complementarity(registry) -> None:
    source = _add(registry, name="RUPP", country="KHM", kind="university",
                  areas_offered=["agriculture"], areas_needed=["health"])  # fmt: skip
    partner = _add(registry, name="Tufts", country="USA", kind="university",
                   areas_offered=["health"], areas_needed=["agriculture", "education"])  # fmt: skip
    _add(registry, name="Boston", country="USA", kind="city")
    weights = {"kind_fit": 1.0, "complementarity": 1.0}
    table = Recommender(weights=weights).fit(registry).recommend(source, k=5)
    # a city is no partner for a university: only Tufts is a candidate
    assert table["candidate_id"].tolist() == [partner]
    # offered_s ∩ needed_c = {agriculture} (1), offered_c ∩ needed_s = {health} (1);
    # needs: 1 + 2 = 3 -> complementarity 2/3; kind university-university = 1
    assert table["complementarity"].iloc[0] == pytest.approx(2 / 3)
    assert table["kind_fit"].iloc[0] == pytest.approx(1.0)
    assert table["score"].iloc[0] == pytest.approx(1 + 2 / 3)
    # neutral share: Tufts lists health (neutral), agriculture (neutral), education (neutral) -> 1
    assert table["neutral_share"].iloc[0] == 0.0  # weight 0: contribution 0


def test_distance_population_and_explanation_adds_up(registry) -> None:
    source = _city(registry, "Here", "KHM", 0.0, 10_000)
    near = _city(registry, "Near", "USA", 1.0, 100_000)
    far = _city(registry, "Far", "USA", 2.0, 10_000)
    weights = {"distance": -1.0, "population_similarity": 2.0, "intercept": 0.5}
    table = Recommender(weights=weights, capacity=None).fit(registry).recommend(source, k=5)
    # Near: -log1p(111.195) + 2 * -|4 - 5| = -4.7202 - 2 = -6.7202 (+0.5 intercept)
    # Far:  -log1p(222.390) + 2 * 0         = -5.4089             (+0.5 intercept)
    assert table["candidate_id"].tolist() == [far, near]
    assert table["distance"].tolist() == pytest.approx(
        [-math.log1p(2 * KM_PER_DEGREE), -math.log1p(KM_PER_DEGREE)], rel=1e-6
    )
    assert table["score"].tolist() == pytest.approx([0.5 - 5.40893, 0.5 - 6.72018], abs=1e-4)
    contributions = table[list(FEATURES)].sum(axis=1).to_numpy()
    assert contributions == pytest.approx(table["score"].to_numpy() - 0.5)
    assert table["rank"].tolist() == [1, 2]


def test_shared_partners_degree_and_held_out_tie(registry) -> None:
    a1 = _city(registry, "A1", "KHM", 0.0, 1000)
    b1 = _city(registry, "B1", "USA", 1.0, 1000)
    b2 = _city(registry, "B2", "USA", 2.0, 1000)
    f1 = _city(registry, "F1", "FRA", 3.0, 1000)
    _tie(registry, a1, f1)
    _tie(registry, b1, f1)
    hidden = _tie(registry, a1, b2)
    weights = {"shared_partners": 1.0, "candidate_degree": 1.0}
    model = Recommender(weights=weights, capacity=None).fit(registry, exclude_ties={hidden})
    assert hidden not in model.training_ties_
    table = model.recommend(a1, k=5, country="USA").set_index("candidate_id")
    # B1 shares F1 (a third country) with A1: log1p(1); B1's degree 1: log1p(1)
    assert table.loc[b1, "shared_partners"] == pytest.approx(math.log(2))
    assert table.loc[b1, "candidate_degree"] == pytest.approx(math.log(2))
    # the held-out tie is unknown: B2 has degree 0 and is still recommendable
    assert table.loc[b2, "candidate_degree"] == 0.0
    assert table.loc[b2, "shared_partners"] == 0.0
    # with the tie known, B2 is already tied and no longer a candidate
    known = Recommender(weights=weights, capacity=None).fit(registry)
    assert known.recommend(a1, k=5, country="USA")["candidate_id"].tolist() == [b1]


def test_capacity_penalty(registry) -> None:
    source = _city(registry, "S", "KHM", 0.0, 1000)
    busy = _city(registry, "Busy", "USA", 1.0, 1000)
    for i in range(4):
        _tie(registry, busy, _city(registry, f"P{i}", "FRA", 5.0 + i, 1000))
    model = Recommender(weights={}, capacity=1, capacity_weight=2.0).fit(registry)
    table = model.recommend(source, k=1, country="USA")
    # 4 active ties, capacity 1: log1p(3) = 1.3863, weight -2 -> -2.7726
    assert table["candidate_id"].tolist() == [busy]
    assert table["over_capacity"].iloc[0] == pytest.approx(-2 * math.log(4))


def test_fit_learns_from_ties(registry) -> None:
    # two KHM sources, each tied to the US city nearest in population: the learned weight of
    # population similarity must come out positive
    ids = {}
    for i, pop in enumerate([1_000, 10_000, 100_000, 1_000_000]):
        ids[("USA", pop)] = _city(registry, f"U{i}", "USA", 10.0 + i, pop)
        ids[("KHM", pop)] = _city(registry, f"K{i}", "KHM", 20.0 + i, pop)
    for pop in [1_000, 10_000, 100_000, 1_000_000]:
        _tie(registry, ids[("KHM", pop)], ids[("USA", pop)])
    model = Recommender(negatives_per_positive=3, capacity=None).fit(registry)
    assert model.feature_names_ == list(FEATURES)
    assert model.coef_[FEATURES.index("population_similarity")] > 0
    assert model.n_training_pairs_ > 4


def test_clear_errors(registry) -> None:
    with pytest.raises(NotFoundError, match="no actors"):
        Recommender().fit(registry)
    lonely = _city(registry, "Lonely", "KHM", 0.0, 1000)
    with pytest.raises(InputError, match="no ties to learn from"):
        Recommender().fit(registry)
    model = Recommender(weights={}).fit(registry)
    with pytest.raises(NotFoundError, match="no actor with id 999"):
        model.recommend(999)
    with pytest.raises(NotFoundError, match="no candidates"):
        model.recommend(lonely)
    with pytest.raises(InputError, match="not fitted"):
        Recommender().recommend(lonely)
    with pytest.raises(InputError, match="unknown feature"):
        Recommender(weights={"charm": 1.0}).fit(registry)


def _random_world(seed: int):
    """A small hand-made world: mixed kinds, unknown populations and places, areas, texts, ties."""
    import pandas as pd

    from tracktwo.match._features import actor_table

    rng = np.random.default_rng(seed)
    n = 240
    words = ["water", "school", "health", "farm", "port", "music", "trade", "rice", "bridge"]
    areas = ["agriculture", "health", "education"]
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "name": [f"A{i}" for i in range(n)],
            "country": rng.choice(["KHM", "USA", "FRA", "JPN", "BRA", "KEN"], n),
            "kind": rng.choice(["city", "city", "city", "university", "expert", "academy"], n),
            "latitude": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(-70, 70, n)),
            "longitude": rng.uniform(-180, 180, n),
            "population": np.where(rng.random(n) < 0.1, np.nan, 10 ** rng.uniform(3, 7, n)),
            "areas_offered": [
                list(rng.choice(areas, rng.integers(0, 3), replace=False)) for _ in range(n)
            ],
            "areas_needed": [
                list(rng.choice(areas, rng.integers(0, 2), replace=False)) for _ in range(n)
            ],
            "description": [
                " ".join(rng.choice(words, 3)) if rng.random() < 0.5 else None for _ in range(n)
            ],
        }
    )
    actors = actor_table(frame)
    actors.capital = (rng.random(n) < 0.08).astype(float) * (frame["kind"] == "city").to_numpy()
    pairs = rng.choice(n, size=(300, 2)) + 1
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    ties = pd.DataFrame(
        {
            "id": np.arange(1, len(pairs) + 1),
            "actor_a_id": pairs[:, 0],
            "actor_b_id": pairs[:, 1],
            "status": rng.choice(["active", "proposed"], len(pairs)),
        }
    )
    weights = {name: float(rng.normal(0, 1.5)) for name in FEATURES}
    weights["intercept"] = -1.0
    return frame, actors, ties, weights


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fast_step_is_exact(seed: int) -> None:
    frame, actors, ties, weights = _random_world(seed)
    model = Recommender(weights=weights, capacity=2, candidates=10).fit_tables(actors, ties)
    ids = frame["id"].to_numpy()
    for k in (1, 5):
        fast = model.recommend_many(ids, k=k)
        exact = model.recommend_many(ids, k=k, exhaustive=True)
        assert fast[["source_id", "candidate_id", "rank"]].equals(
            exact[["source_id", "candidate_id", "rank"]]
        )
        assert fast["score"].to_numpy() == pytest.approx(exact["score"].to_numpy())
    for actor in ids[:40]:
        try:
            exact = model.recommend(actor, k=5, exhaustive=True)
        except NotFoundError:
            continue
        fast = model.recommend(actor, k=5)
        assert fast["candidate_id"].tolist() == exact["candidate_id"].tolist()


def test_diaspora_nearby_counts_associations_within_50_km(registry: Registry) -> None:
    from tracktwo.bridges._edit import add_actor as add
    from tracktwo.match._features import read_actors

    long_beach = add(registry, name="Long Beach", country="USA", kind="city",
                     latitude=33.77, longitude=-118.19)  # fmt: skip
    lowell = add(registry, name="Lowell", country="USA", kind="city",
                 latitude=42.63, longitude=-71.32)  # fmt: skip
    # Cambodia Town's association sits in Long Beach (0.9 km away); a second, known only by
    # its place, also in Long Beach; none near Lowell (about 4,100 km away)
    add(registry, name="Cambodian Association of America", country="USA", kind="diaspora",
        latitude=33.78, longitude=-118.18)  # fmt: skip
    add(registry, name="Khmer Arts Academy", country="USA", kind="diaspora", place="Long Beach")
    actors = read_actors(registry)
    nearby = dict(zip(actors.frame["id"], actors.diaspora_nearby, strict=True))
    # Long Beach: the first association is within 50 km; the second has no coordinates and
    # its place is "Long Beach" but the city's own place field is empty, so it does not match
    assert nearby[long_beach["id"]] == pytest.approx(np.log1p(1))
    assert nearby[lowell["id"]] == 0.0
