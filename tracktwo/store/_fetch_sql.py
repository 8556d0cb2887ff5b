"""The fetch ledger's questions that ``events fetch --follow`` asks (``fetched_files``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracktwo.store._duckdb import EventStore

__all__ = ["newest_fetched_stamp"]


def newest_fetched_stamp(store: EventStore, label: str) -> str | None:
    """The newest GDELT time stamp (``YYYYMMDDHHMMSS``, from the file name) among the files
    recorded ``fetched`` or ``downloaded`` for the dyads ``label`` or for all dyads; None when
    there is none. Missing and corrupt files do not count: a follow run tries them again."""
    row = store.con.execute(
        "SELECT max(regexp_extract(url, '/(\\d{14})\\.[^/]*$', 1)) FROM fetched_files "
        "WHERE (dyads = ? OR dyads = 'all') AND status IN ('fetched', 'downloaded') "
        "AND regexp_matches(url, '/\\d{14}\\.[^/]*$')",
        [label],
    ).fetchone()
    return str(row[0]) if row and row[0] else None
