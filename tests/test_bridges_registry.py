"""The registry's schema: migrations up and down, and the basic rules, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from tracktwo.bridges import Activity, Actor, Registry, Tie

pytestmark = pytest.mark.postgres


ACCOUNT_TABLES = ["activities", "actors", "alembic_version", "api_tokens", "login_attempts",
                  "ties", "users", "web_sessions"]  # fmt: skip
DOORS_TABLES = ["digests_sent", "email_tokens", "flags", "moderation_log", "notifications",
                "partnership_requests", "profile_managers", "profiles", "signups"]  # fmt: skip
BEFORE_DIASPORA = sorted(ACCOUNT_TABLES + DOORS_TABLES)  # revision 0005
ALL_TABLES = sorted([*BEFORE_DIASPORA, "diaspora_figures", "diaspora_places"])


def test_migrations_upgrade_from_empty_and_downgrade_cleanly(registry: Registry) -> None:
    assert registry.tables() == ALL_TABLES
    registry.downgrade("0005")  # the diaspora figures go, and ties.status_reason
    assert registry.tables() == BEFORE_DIASPORA
    registry.downgrade("0004")  # open doors go, the accounts stay
    assert registry.tables() == ACCOUNT_TABLES
    registry.downgrade("0003")  # the accounts of the web app go, the registry stays
    assert registry.tables() == ["activities", "actors", "alembic_version", "ties"]
    registry.downgrade("base")
    assert registry.tables() == ["alembic_version"]
    registry.upgrade()
    assert registry.tables() == ALL_TABLES


def _two_cities(registry: Registry) -> tuple[int, int]:
    with registry.session() as session:
        phnom_penh = Actor(name="Phnom Penh", local_name="ភ្នំពេញ", country="KHM", kind="city")
        long_beach = Actor(name="Long Beach", country="USA", kind="city")
        session.add_all([phnom_penh, long_beach])
        session.flush()
        return phnom_penh.id, long_beach.id


def test_a_tie_with_activities_round_trips(registry: Registry) -> None:
    a, b = _two_cities(registry)
    with registry.session() as session:
        tie = Tie(actor_a_id=a, actor_b_id=b, channel="sister_city", areas=["culture"])
        tie.activities.append(Activity(activity_date=__import__("datetime").date(2019, 5, 2),
                                       kind="visit", participants=12))  # fmt: skip
        session.add(tie)
    with registry.read() as session:
        stored = session.query(Tie).one()
        assert (stored.actor_a.local_name, stored.actor_b.name) == ("ភ្នំពេញ", "Long Beach")
        assert stored.areas == ["culture"] and stored.activities[0].participants == 12


def test_a_failed_transaction_keeps_nothing(registry: Registry) -> None:
    a, _ = _two_cities(registry)
    with pytest.raises(IntegrityError), registry.session() as session:
        session.add(Actor(name="Battambang", country="KHM", kind="city"))
        session.flush()
        session.add(Tie(actor_a_id=a, actor_b_id=a, channel="sister_city", areas=[]))
        session.flush()  # an actor tied to itself breaks ck_two_actors
    with registry.read() as session:
        assert session.query(Actor).count() == 2 and session.query(Tie).count() == 0


def test_a_diaspora_figure_keeps_its_rules(registry: Registry) -> None:
    """Migration 0006: one row per figure identity, a known level, no negative figure, and a
    diaspora outside its origin; a figure's place links go with the place."""
    from sqlalchemy import text

    from tracktwo.bridges import DiasporaFigure, DiasporaPlace

    _a, long_beach = _two_cities(registry)
    fields = dict(origin_country="KHM", country="USA", geography="Long Beach, CA (city)",
                  level="city", figure=18000, measure="Cambodian-Americans", year=2010,
                  source="U.S. Census Bureau, as reported by a page")  # fmt: skip
    with registry.session() as session:
        figure = DiasporaFigure(**fields)
        session.add(figure)
        session.flush()
        session.add(DiasporaPlace(figure_id=figure.id, actor_id=long_beach))
    for broken in ({}, {"level": "county"}, {"figure": -1}, {"country": "KHM"}):
        with pytest.raises(IntegrityError), registry.session() as session:
            # a second row of one identity, or a rule broken (each on a new identity)
            changed = {**fields, **broken, "measure": fields["measure"] if not broken else "x"}
            session.add(DiasporaFigure(**changed))
    with registry.session() as session:
        session.execute(text("DELETE FROM actors WHERE id = :id"), {"id": long_beach})
    with registry.read() as session:
        assert session.query(DiasporaPlace).count() == 0
        assert session.query(DiasporaFigure).count() == 1
