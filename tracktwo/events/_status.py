"""Read-only views of the event store: what it holds and what was quarantined."""

from __future__ import annotations

import pandas as pd

from tracktwo.store import EventStore

__all__ = ["quarantine_rows", "store_status"]


def quarantine_rows(
    store: EventStore, *, source_file: str | None = None, limit: int = 100
) -> pd.DataFrame:
    """Quarantined rows, newest files first, in line order."""
    where = "WHERE source_file = ?" if source_file else ""
    params: list[object] = [source_file] if source_file else []
    return store.con.execute(
        f"SELECT source_file, line, reason, raw FROM quarantine {where} "
        "ORDER BY quarantined_at DESC, source_file, line LIMIT ?",
        [*params, limit],
    ).fetchdf()


def store_status(store: EventStore) -> pd.DataFrame:
    """One row per source format: events, re-emissions, first and last day, files."""
    return store.con.execute(
        """SELECT e.source_format, count(*) AS events,
                  count(*) FILTER (WHERE is_reemission) AS reemissions,
                  min(event_date) AS first_day, max(event_date) AS last_day,
                  (SELECT count(*) FROM ingested_files f
                    WHERE f.source_format = e.source_format) AS files,
                  (SELECT coalesce(sum(rows_quarantined), 0)::BIGINT FROM ingested_files f
                    WHERE f.source_format = e.source_format) AS quarantined
           FROM events e GROUP BY e.source_format ORDER BY e.source_format"""
    ).fetchdf()
