"""Read-only views of the event store: what it holds, its sources, what was quarantined and
which ICEWS actors could not be placed in a country."""

from __future__ import annotations

import pandas as pd

from tracktwo.store import (
    EventStore,
    events_by_format,
    events_by_source,
    icews_actors_without_country,
    quarantined_rows,
)
from tracktwo.taxonomy import Taxonomy

__all__ = ["quarantine_rows", "source_status", "store_status", "unplaced_actors"]


def quarantine_rows(
    store: EventStore, *, source_file: str | None = None, limit: int = 100
) -> pd.DataFrame:
    """Quarantined rows, newest files first, in line order."""
    return quarantined_rows(store, source_file, limit)


def store_status(store: EventStore) -> pd.DataFrame:
    """One row per source format: events, re-emissions, first and last day, files."""
    return events_by_format(store)


def source_status(store: EventStore) -> pd.DataFrame:
    """One row per source (a file's ``--source``, by default its format): the events seen in
    it (an event stored once from two sources counts in both), their first and last day, and
    the months with a total (the denominators of per_100k)."""
    if not store.has_tables("source_files", "event_sources", "source_totals"):
        return pd.DataFrame(columns=["source", "events", "first_day", "last_day", "months"])
    return events_by_source(store)


def unplaced_actors(store: EventStore, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """ICEWS actor names left without a country, with the number of events naming them (most
    first): such events match no country pair. Names without a country on purpose (the UN, a
    wire agency, "Citizen (International)"; tracktwo.events._icews.countryless_by_design) are
    not listed. Add a name to icews_actors.csv to place it (docs/icews.md)."""
    from tracktwo.events._icews import countryless_by_design

    counts = icews_actors_without_country(store)
    on_purpose = countryless_by_design(counts["name"], taxonomy)
    return counts[~counts["name"].isin(on_purpose)].reset_index(drop=True)
