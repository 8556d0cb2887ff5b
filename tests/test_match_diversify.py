"""A list, not ten copies: maximal marginal relevance by hand, the similarity of two places by
hand, and the briefing's best partners on a small registry where one partner is everyone's
first choice."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tracktwo.bridges import Registry
from tracktwo.bridges._edit import add_actor, add_tie
from tracktwo.match import Recommender, best_partners, candidate_similarity, mmr, relevance
from tracktwo.match._features import actor_table
from tracktwo.report._briefing import build_briefing
from tracktwo.store import EventStore


def test_mmr_on_a_hand_worked_case() -> None:
    relevances = np.array([1.0, 0.9, 0.6, 0.0])
    similarity = np.array([
        [1.0, 0.9, 0.1, 0.0],
        [0.9, 1.0, 0.2, 0.0],
        [0.1, 0.2, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
    ])  # fmt: skip
    # λ = 0.7. Pick 1: 0.7 × relevance = 0.70, 0.63, 0.42, 0 -> candidate 0.
    # Pick 2: largest similarity to {0} = 0.9, 0.1, 0 for candidates 1, 2, 3:
    #   1: 0.63 − 0.3 × 0.9 = 0.36;  2: 0.42 − 0.3 × 0.1 = 0.39;  3: 0 − 0 = 0  -> candidate 2.
    # Pick 3: largest similarity to {0, 2}: 1 -> max(0.9, 0.2) = 0.9 (0.36); 3 -> 0 (0) -> 1.
    # Pick 4: candidate 3.
    assert mmr(relevances, similarity, 4, 0.7) == [0, 2, 1, 3]
    assert mmr(relevances, similarity, 2, 1.0) == [0, 1]  # λ = 1: by relevance alone
    # a partner given elsewhere (similarity 1 to candidate 0): at λ = 0.5 it scores
    # 0.5 × 1 − 0.5 × 1 = 0 against 0.5 × 0.9 − 0 = 0.45 for candidate 1
    assert mmr(relevances, np.eye(4), 1, 0.5, chosen_before=np.array([1.0, 0, 0, 0])) == [1]
    with pytest.raises(ValueError, match="between 0 and 1"):
        mmr(relevances, similarity, 2, 1.5)


def test_relevance_rescales_scores() -> None:
    # min 1, max 3: (3−1)/2 = 1, (1−1)/2 = 0, (2−1)/2 = 0.5
    assert relevance(np.array([3.0, 1.0, 2.0])).tolist() == [1.0, 0.0, 0.5]
    assert relevance(np.array([2.0, 2.0])).tolist() == [1.0, 1.0]


def test_similarity_of_two_places_by_hand() -> None:
    rows = [  # two Californian cities 0.45° of latitude apart, one in Texas, one Texan namesake
        (1, "Long Beach", 34.00, -118.0, "CA"), (2, "Fresno", 34.45, -118.0, "CA"),
        (3, "Houston", 29.76, -95.36, "TX"), (4, "Fresno", 29.54, -95.45, "TX"),
    ]  # fmt: skip
    frame = pd.DataFrame([
        {"id": i, "name": n, "country": "USA", "kind": "city", "latitude": lat,
         "longitude": lon, "population": 100_000, "areas_offered": "[]", "areas_needed": "[]",
         "description": None, "place": None, "geonames_id": None, "admin1": a,
         "admin1_name": None}
        for i, n, lat, lon, a in rows
    ])  # fmt: skip
    similarity = candidate_similarity(actor_table(frame, text="none"), np.arange(4))
    # 1–2: same region 0.4 + near 0.3 × exp(−km/100), km = 0.45° × π/180 × 6371 = 50.04:
    #      exp(−0.5004) = 0.6063, × 0.3 = 0.1819 -> 0.5819
    assert similarity[0, 1] == pytest.approx(0.4 + 0.3 * math.exp(-50.04 / 100), abs=1e-3)
    assert similarity[0, 1] == pytest.approx(0.5819, abs=1e-3)
    # 2–4: only the name (0.1); about 1,990 km apart: exp(−19.9) is nothing
    assert similarity[1, 3] == pytest.approx(0.1, abs=1e-6)
    # 3–4: same region 0.4, 25 km apart: 0.3 × exp(−0.25) ≈ 0.2336 (25 km by the haversine)
    assert 0.4 + 0.3 * math.exp(-0.30) < similarity[2, 3] < 0.4 + 0.3 * math.exp(-0.20)
    assert similarity.diagonal().tolist() == [1.0] * 4


# -- the briefing's best partners ---------------------------------------------------------------

# (name, country, kind, latitude, longitude, population, admin1)
ACTORS = [
    ("Phnom Penh", "KHM", "city", 11.56, 104.92, 1_573_544, "22"),
    ("Siem Reap", "KHM", "city", 13.36, 103.86, 139_458, "24"),
    ("Battambang", "KHM", "city", 13.10, 103.20, 119_251, "29"),
    ("Kampot", "KHM", "city", 10.61, 104.18, 48_274, "21"),
    ("Kep", "KHM", "city", 10.48, 104.32, 40_208, "28"),
    ("Bangkok", "THA", "city", 13.75, 100.50, 5_104_476, None),
    ("Chiang Mai", "THA", "city", 18.79, 98.98, 131_091, None),
    ("Phuket", "THA", "city", 7.88, 98.39, 89_072, None),
    ("Hat Yai", "THA", "city", 7.01, 100.47, 159_130, None),
    ("Houston", "USA", "city", 29.76, -95.36, 2_296_224, "TX"),
    ("Seattle", "USA", "city", 47.61, -122.33, 608_660, "WA"),
    ("Lowell", "USA", "city", 42.63, -71.32, 106_519, "MA"),
    ("Long Beach", "USA", "city", 33.77, -118.19, 462_257, "CA"),
    ("Fresno", "USA", "city", 36.75, -119.77, 542_107, "CA"),
    ("Portland", "USA", "city", 45.52, -122.68, 652_503, "OR"),
    ("Royal University of Phnom Penh", "KHM", "university", 11.57, 104.89, None, None),
    ("University of Cambodia", "KHM", "university", 11.55, 104.92, None, None),
    ("Lowell University", "USA", "university", 42.65, -71.32, None, None),
]
TIES = [  # Houston is tied to all four Thai cities: everyone's first choice
    ("Houston", "Bangkok"), ("Houston", "Chiang Mai"), ("Houston", "Phuket"),
    ("Houston", "Hat Yai"), ("Seattle", "Bangkok"), ("Lowell", "Chiang Mai"),
    ("Long Beach", "Phuket"), ("Phnom Penh", "Bangkok"), ("Phnom Penh", "Chiang Mai"),
    ("Phnom Penh", "Hat Yai"), ("Siem Reap", "Chiang Mai"), ("Siem Reap", "Phuket"),
    ("Battambang", "Bangkok"), ("Battambang", "Hat Yai"), ("Kampot", "Phuket"),
    ("Kep", "Bangkok"),
]  # fmt: skip


@pytest.fixture(scope="module")
def small_registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    registry = Registry(home=tmp_path_factory.mktemp("diversify"))
    ids = {}
    for name, country, kind, lat, lon, population, _admin1 in ACTORS:
        ids[name] = add_actor(registry, name=name, country=country, kind=kind, latitude=lat,
                              longitude=lon, population=population)["id"]  # fmt: skip
    with registry.engine.begin() as connection:
        for name, *_rest, admin1 in ACTORS:
            if admin1:
                connection.exec_driver_sql(
                    "UPDATE actors SET admin1 = ? WHERE id = ?", (admin1, ids[name])
                )
    for a, b in TIES:
        add_tie(registry, ids[a], ids[b], "sister_city", start_date=date(2020, 1, 1))
    return registry


def _name(registry: Registry, actor_id: int) -> str:
    with registry.engine.connect() as connection:
        found = connection.exec_driver_sql("SELECT name FROM actors WHERE id = ?", (actor_id,))
        return str(found.scalar())


def test_one_partner_cannot_fill_the_briefing(small_registry: Registry, tmp_path: Path) -> None:
    model = Recommender().fit(small_registry)
    cities = {a[0]: i + 1 for i, a in enumerate(ACTORS)}  # ids in insertion order
    sources = [cities[n] for n in ("Phnom Penh", "Siem Reap", "Battambang", "Kampot", "Kep")]
    # by score alone, Houston is the first choice of four of the five Cambodian cities
    firsts = [int(model.recommend(s, 1, country="USA")["candidate_id"].iloc[0]) for s in sources]
    assert [_name(small_registry, i) for i in firsts].count("Houston") >= 4
    with EventStore(tmp_path / "store", write=True) as store:
        brief = build_briefing(store, small_registry, "KHM", "USA", k=7, at=date(2026, 6, 30))
    rows = brief.recommendations.data["rows"]
    city_rows = [r for r in rows if r["partner_kind"] == "city"]
    assert len(city_rows) == 5
    assert len({r["partner"] for r in city_rows}) >= 4
    assert sum(r["partner"] == "Houston, USA" for r in city_rows) == 1  # no admin1 names here
    assert city_rows[0]["own_rank"] == 1  # the busiest keeps its first choice
    # the two universities have one candidate between them: both get it, and it says so
    universities = [r for r in rows if r["partner_kind"] == "university"]
    assert [r["partner"] for r in universities] == ["Lowell University, USA"] * 2
    assert universities[0]["also_for"] == ["University of Cambodia, KHM"]
    assert universities[1]["also_for"] == ["Royal University of Phnom Penh, KHM"]
    assert all(r["reason"] for r in rows) and "Probability" not in str(rows)


def test_best_partners_flags_a_repeat(small_registry: Registry) -> None:
    model = Recommender().fit(small_registry)
    universities = [16, 17]  # the two Cambodian universities (ids in insertion order)
    chosen = best_partners(model, universities, country="USA")
    assert chosen["candidate_id"].tolist() == [18, 18]
    assert chosen["also_for"].tolist() == [[17], [16]]
