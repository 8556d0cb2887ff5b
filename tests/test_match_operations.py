"""The matchmaker's shared operations (``tracktwo.match``): accepting a recommendation and the
best partners of the busiest actors, as the CLI, the dashboard and the briefing all call them."""

from __future__ import annotations

from datetime import date

import pytest
from test_match_diversify import ACTORS, TIES

from tracktwo import NotFoundError
from tracktwo.bridges import Registry
from tracktwo.bridges._edit import add_actor, add_tie, get_tie
from tracktwo.match import FEATURES, Recommender, accept, busiest_actors, live_tie_count

IDS = {actor[0]: number for number, actor in enumerate(ACTORS, start=1)}  # insertion order


@pytest.fixture
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    registry = Registry(home=tmp_path_factory.mktemp("operations"))
    for name, country, kind, lat, lon, population, _admin1 in ACTORS:
        add_actor(registry, name=name, country=country, kind=kind, latitude=lat, longitude=lon,
                  population=population)  # fmt: skip
    for a, b in TIES:
        add_tie(registry, IDS[a], IDS[b], "sister_city", start_date=date(2020, 1, 1))
    return registry


def test_busiest_actors_count_ties_by_hand(registry: Registry) -> None:
    # KHM ties in TIES: Phnom Penh 3, Siem Reap 2, Battambang 2, Kampot 1, Kep 1; the two
    # universities none (ties first by count, then by id)
    busiest = busiest_actors(registry, "KHM", 6)
    assert [(a.name, a.ties) for a in busiest] == [
        ("Phnom Penh", 3), ("Siem Reap", 2), ("Battambang", 2), ("Kampot", 1), ("Kep", 1),
        ("Royal University of Phnom Penh", 0),
    ]  # fmt: skip
    assert busiest[0].label == "Phnom Penh, KHM"
    assert live_tie_count(registry) == len(TIES) == 16


def test_accept_scores_the_candidate_itself(registry: Registry) -> None:
    # Kep and Portland: no shared partner, far apart, unlike in size: far down Kep's list,
    # where the CLI once looked for it among ranked rows and stored NaN
    model = Recommender().fit(registry)
    tie = accept(registry, IDS["Kep"], IDS["Portland"], model=model)
    stored = get_tie(registry, tie["id"])["proposal"]
    assert sorted(stored["components"]) == sorted(FEATURES)
    assert stored["score"] == pytest.approx(model.intercept_ + sum(stored["components"].values()))
    ranked = model.recommend(IDS["Kep"], 100, exhaustive=True)
    listed = ranked.loc[ranked["candidate_id"] == IDS["Portland"], "score"]
    assert stored["score"] == pytest.approx(float(listed.iloc[0]))


def test_accept_refuses_a_missing_candidate_and_stores_nothing(registry: Registry) -> None:
    before = live_tie_count(registry)
    with pytest.raises(NotFoundError, match="candidate_id: no actor with id 999"):
        accept(registry, IDS["Kep"], 999)
    with pytest.raises(NotFoundError, match="source_id: no actor with id 0"):
        accept(registry, 0, IDS["Portland"])
    assert live_tie_count(registry) == before
