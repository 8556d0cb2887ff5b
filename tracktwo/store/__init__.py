"""Storage: the only backend-aware code in tracktwo (DuckDB by default, Spark on request)."""

from tracktwo.store._dashboard import (
    busiest_event_pairs,
    registry_fingerprint,
    signal_pairs,
    voting_countries,
)
from tracktwo.store._duckdb import STORE_FILE, EventStore
from tracktwo.store._engines import ENGINES, events_table, spark_session
from tracktwo.store._ids import MAX_ID
from tracktwo.store._locking import STORE_WAIT_ENV, StoreBusyError, store_wait
from tracktwo.store._schema import EVENT_COLUMNS, TABLES

__all__ = [
    "ENGINES",
    "EVENT_COLUMNS",
    "MAX_ID",
    "STORE_FILE",
    "STORE_WAIT_ENV",
    "TABLES",
    "EventStore",
    "StoreBusyError",
    "busiest_event_pairs",
    "events_table",
    "registry_fingerprint",
    "signal_pairs",
    "spark_session",
    "store_wait",
    "voting_countries",
]
