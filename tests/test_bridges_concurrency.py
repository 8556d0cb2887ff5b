"""No lost updates: real concurrent writers, each with its own engine, on a real PostgreSQL
server and on a SQLite file in WAL mode."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from tracktwo import ConflictError
from tracktwo.bridges import Registry
from tracktwo.bridges._edit import add_actor, get_actor, update_actor

pytestmark = pytest.mark.postgres


def _actor(registry: Registry) -> int:
    return add_actor(registry, name="Kampot Pepper Cooperative", country="KHM", kind="farmers",
                     members=0)["id"]  # fmt: skip


def test_the_sqlite_registry_is_a_wal_file(registry: Registry) -> None:
    if registry.dialect != "sqlite":
        pytest.skip("a SQLite property")
    with registry.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_two_writers_who_read_the_same_version_one_wins(registry: Registry) -> None:
    actor_id = _actor(registry)
    both_read = threading.Barrier(2)

    def edit(place: str) -> dict[str, Any] | ConflictError:
        with Registry(registry.url, upgrade=False) as own:  # its own engine and connections
            seen = get_actor(own, actor_id)["version"]
            assert seen == 1
            both_read.wait()
            try:
                return update_actor(own, actor_id, seen, place=place)
            except ConflictError as exc:
                return exc

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(edit, ["Kampot", "Kep"]))
    won = [o for o in outcomes if isinstance(o, dict)]
    lost = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(won) == 1 and len(lost) == 1
    assert "at version 2, you edited version 1" in str(lost[0])
    final = get_actor(registry, actor_id)
    assert (final["place"], final["version"]) == (won[0]["place"], 2)


def test_a_writer_blocked_by_an_open_transaction_gets_a_conflict(registry: Registry) -> None:
    """Writer A has changed the row but not committed; writer B, who also read version 1,
    must wait for A and then find the row changed: it may not overwrite A's change."""
    actor_id = _actor(registry)
    outcome: list[Any] = []
    with Registry(registry.url, upgrade=False) as first, first.engine.connect() as holding:
        holding.execute(text("UPDATE actors SET members = 7, version = version + 1 "
                             "WHERE id = :id AND version = 1"), {"id": actor_id})  # fmt: skip

        def second_writer() -> None:
            with Registry(registry.url, upgrade=False) as own:
                try:
                    outcome.append(update_actor(own, actor_id, 1, members=99))
                except ConflictError as exc:
                    outcome.append(exc)

        writer = threading.Thread(target=second_writer)
        writer.start()
        time.sleep(1.0)
        assert outcome == []  # still waiting for the first writer's lock
        holding.commit()
        writer.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], ConflictError)
    final = get_actor(registry, actor_id)
    assert (final["members"], final["version"]) == (7, 2)


def test_retrying_on_conflict_loses_no_increment(registry: Registry) -> None:
    actor_id = _actor(registry)
    per_writer = 50

    def increment_many(_: int) -> None:
        with Registry(registry.url, upgrade=False) as own:
            for _ in range(per_writer):
                while True:
                    seen = get_actor(own, actor_id)
                    try:
                        update_actor(own, actor_id, seen["version"], members=seen["members"] + 1)
                        break
                    except ConflictError:
                        continue  # someone else got in first: read again, add one again

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(increment_many, range(2)))
    final = get_actor(registry, actor_id)
    assert final["members"] == 2 * per_writer
    assert final["version"] == 1 + 2 * per_writer
