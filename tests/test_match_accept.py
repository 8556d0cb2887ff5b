"""Accepting a recommendation stores a proposed tie with its score and explanation."""

from __future__ import annotations

from datetime import date

import pytest

from tracktwo import InputError, NotFoundError
from tracktwo.bridges import Registry
from tracktwo.bridges._edit import add_actor, add_tie, get_tie, list_actors
from tracktwo.bridges._scorecard import scorecard
from tracktwo.match._accept import accept_recommendation, default_channel

pytestmark = pytest.mark.postgres


def _cities(registry: Registry) -> tuple[int, int, int]:
    battambang = add_actor(registry, name="Battambang", country="KHM", kind="city")
    lowell = add_actor(registry, name="Lowell", country="USA", kind="city")
    rupp = add_actor(registry, name="Royal University of Phnom Penh", country="KHM",
                     kind="university")  # fmt: skip
    return battambang["id"], lowell["id"], rupp["id"]


def _rupp(registry: Registry) -> int:
    return next(a["id"] for a in list_actors(registry, kind="university", country="KHM"))


def test_accepted_pair_is_a_proposed_tie_with_its_reasons(registry: Registry) -> None:
    battambang, lowell, _ = _cities(registry)
    components = {"distance": 0.8, "population": 0.3, "shared_partners": 1.1}
    tie = accept_recommendation(registry, battambang, lowell, score=2.2, components=components,
                                areas=["culture"])  # fmt: skip
    stored = get_tie(registry, tie["id"])
    assert (stored["status"], stored["channel"], stored["areas"]) == (
        "proposed", "sister_city", ["culture"],
    )  # fmt: skip
    assert stored["proposal"]["score"] == 2.2
    assert stored["proposal"]["components"] == components
    # a proposed tie is not active: the scorecard counts it apart from the one active tie
    rupp = _rupp(registry)
    uiuc = add_actor(registry, name="University of Illinois", country="USA", kind="university")
    add_tie(registry, rupp, uiuc["id"], "academic_partnership", start_date=date.today())
    card = scorecard(registry, "KHM", "USA", at=date.today())
    assert (card.ties_proposed, card.ties_active) == (1, 1)


def test_accepting_twice_or_unknown_actors_is_refused(registry: Registry) -> None:
    battambang, lowell, rupp = _cities(registry)
    accept_recommendation(registry, battambang, lowell, score=1.0, components={})
    with pytest.raises(InputError, match="already tied"):
        accept_recommendation(registry, lowell, battambang, score=1.0, components={})
    with pytest.raises(NotFoundError, match="no actor with id 999"):
        accept_recommendation(registry, battambang, 999, score=1.0, components={})
    with pytest.raises(InputError, match="both in KHM"):
        accept_recommendation(registry, battambang, rupp, score=1.0, components={})


def test_default_channels() -> None:
    assert default_channel("city", "province") == "sister_city"
    assert default_channel("university", "academy") == "research_collaboration"
    assert default_channel("expert", "health") == "diaspora_mentoring"
    assert default_channel("media", "ngo") == "other"
