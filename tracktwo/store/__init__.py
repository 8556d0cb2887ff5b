"""Storage: the only backend-aware code in tracktwo (DuckDB by default, Spark on request)."""

from tracktwo.store._duckdb import STORE_FILE, EventStore
from tracktwo.store._engines import ENGINES, events_table, spark_session
from tracktwo.store._locking import STORE_WAIT_ENV, StoreBusyError, store_wait
from tracktwo.store._schema import EVENT_COLUMNS, TABLES

__all__ = [
    "ENGINES",
    "EVENT_COLUMNS",
    "STORE_FILE",
    "STORE_WAIT_ENV",
    "TABLES",
    "EventStore",
    "StoreBusyError",
    "events_table",
    "spark_session",
    "store_wait",
]
