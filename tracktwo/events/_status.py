"""Read-only views of the event store: what it holds, its sources, what was quarantined and
which ICEWS actors could not be placed in a country."""

from __future__ import annotations

import pandas as pd

from tracktwo.store import EventStore
from tracktwo.taxonomy import Taxonomy

__all__ = ["quarantine_rows", "source_status", "store_status", "unplaced_actors"]


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


def source_status(store: EventStore) -> pd.DataFrame:
    """One row per source (a file's ``--source``, by default its format): the events seen in
    it (an event stored once from two sources counts in both), their first and last day, and
    the months with a total (the denominators of per_100k)."""
    if not store.has_tables("source_files", "event_sources", "source_totals"):
        return pd.DataFrame(columns=["source", "events", "first_day", "last_day", "months"])
    return store.con.execute(
        """WITH seen AS (
               SELECT e.event_uid, e.event_date, coalesce(f.source, e.source_format) AS source
               FROM events e LEFT JOIN source_files f USING (source_file)
               UNION
               SELECT x.event_uid, e.event_date, x.source
               FROM event_sources x JOIN events e USING (event_uid)
           ),
           per_source AS (
               SELECT source, count(*) AS events, min(event_date) AS first_day,
                      max(event_date) AS last_day
               FROM seen GROUP BY source
           ),
           months AS (SELECT source, count(*) AS months FROM source_totals GROUP BY source)
           SELECT source, coalesce(events, 0) AS events, first_day, last_day,
                  coalesce(months, 0) AS months
           FROM per_source FULL JOIN months USING (source)
           ORDER BY source"""
    ).fetchdf()


def unplaced_actors(store: EventStore, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """ICEWS actor names left without a country, with the number of events naming them (most
    first): such events match no country pair. Names without a country on purpose (the UN, a
    wire agency, "Citizen (International)"; tracktwo.events._icews.countryless_by_design) are
    not listed. Add a name to icews_actors.csv to place it (docs/icews.md)."""
    from tracktwo.events._icews import countryless_by_design

    counts = store.con.execute(
        """SELECT name, count(DISTINCT event_uid) AS events FROM (
               SELECT event_uid, actor1_name AS name FROM events
               WHERE source_format = 'icews' AND actor1_country IS NULL
               UNION ALL
               SELECT event_uid, actor2_name FROM events
               WHERE source_format = 'icews' AND actor2_country IS NULL
           ) WHERE name IS NOT NULL GROUP BY name ORDER BY events DESC, name"""
    ).fetchdf()
    on_purpose = countryless_by_design(counts["name"], taxonomy)
    return counts[~counts["name"].isin(on_purpose)].reset_index(drop=True)
