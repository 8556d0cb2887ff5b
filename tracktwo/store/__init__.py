"""Storage: the only backend-aware code in tracktwo (DuckDB by default, Spark on request)."""

from tracktwo.store._duckdb import STORE_FILE, EventStore
from tracktwo.store._engines import ENGINES, events_table, spark_session
from tracktwo.store._schema import EVENT_COLUMNS, TABLES

__all__ = [
    "ENGINES",
    "EVENT_COLUMNS",
    "STORE_FILE",
    "TABLES",
    "EventStore",
    "events_table",
    "spark_session",
]
