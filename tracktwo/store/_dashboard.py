"""The dashboard's own queries: the busiest country pairs of the event store, the countries
with UN votes and the pairs with a signal, and the registry's fingerprint (how a web worker
tells that its cached figures are stale).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracktwo.store._duckdb import EventStore

if TYPE_CHECKING:  # the registry's connection; the event store needs no SQLAlchemy
    from sqlalchemy import Connection

__all__ = ["busiest_event_pairs", "registry_fingerprint", "signal_pairs", "voting_countries"]

_EVENT_PAIRS = (
    "SELECT least(actor1_country, actor2_country) AS a, "
    "greatest(actor1_country, actor2_country) AS b, count(*) AS n FROM events "
    "WHERE actor1_country <> actor2_country AND NOT coalesce(is_reemission, false) "
    "GROUP BY 1, 2 ORDER BY n DESC LIMIT ?"
)
_FINGERPRINT = (
    "SELECT (SELECT count(*) FROM actors), (SELECT coalesce(max(id), 0) FROM actors), "
    "(SELECT coalesce(sum(version), 0) FROM actors), (SELECT count(*) FROM ties), "
    "(SELECT coalesce(max(id), 0) FROM ties), (SELECT coalesce(sum(version), 0) FROM ties), "
    "(SELECT count(*) FROM activities), (SELECT coalesce(max(id), 0) FROM activities)"
)


def busiest_event_pairs(store: EventStore, limit: int = 200) -> dict[tuple[str, str], int]:
    """The ``limit`` country pairs with the most stored events (re-emissions and events
    within one country left out), each pair in alphabetical order, the busiest first."""
    rows = store.con.execute(_EVENT_PAIRS, [limit]).fetchall()
    return {(a, b): int(n) for a, b, n in rows}


def voting_countries(store: EventStore) -> frozenset[str]:
    """Every country with a stored UN vote."""
    rows = store.con.execute("SELECT DISTINCT country FROM votes").fetchall()
    return frozenset(country for (country,) in rows)


def signal_pairs(store: EventStore) -> set[frozenset[str]]:
    """Every country pair with an imported signal."""
    rows = store.con.execute("SELECT DISTINCT country1, country2 FROM signals").fetchall()
    return {frozenset(pair) for pair in rows}


def registry_fingerprint(connection: Connection) -> tuple[int, ...]:
    """Row counts, largest ids and the sums of row versions of actors, ties and activities:
    any change to the registry, through any process, changes it."""
    row = connection.exec_driver_sql(_FINGERPRINT).one()
    return tuple(int(value) for value in row)
