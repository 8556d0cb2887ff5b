"""Storage: the only backend-aware code in tracktwo (DuckDB by default, Spark on request).

Every SQL string of tracktwo lives here, behind the named functions below; the other packages
call them or build backend-neutral Ibis expressions.

The light parts (``MAX_ID``, the registry's SQL helpers, the schema) load with the package;
the DuckDB/Ibis parts load on first use, so the registry (SQLite/PostgreSQL through SQLAlchemy)
and everything built on it start without DuckDB."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from tracktwo.store._gdelt_columns import (
    GDELT1_COLUMNS_57,
    GDELT1_COLUMNS_58,
    GDELT2_COLUMNS,
    GDELT_KEY_COLUMNS,
)
from tracktwo.store._ids import MAX_ID
from tracktwo.store._registry_sql import (
    actor_profile_rows,
    alembic_revision,
    reset_serial_sequence,
    set_sqlite_pragmas,
)
from tracktwo.store._schema import COLUMN_NOTES, EVENT_COLUMNS, TABLE_NOTES, TABLES, WRITER_TABLES

if TYPE_CHECKING:
    from tracktwo.store._arrow_sql import insert_arrow, replace_arrow_rows
    from tracktwo.store._bigquery import (
        GDELT_BIGQUERY_TABLE,
        GDELT_READ_COLUMNS,
        GDELT_REEMISSION_MINUTES,
        gdelt_events,
        gdelt_schema,
        gdelt_table,
    )
    from tracktwo.store._dashboard import (
        busiest_event_pairs,
        registry_fingerprint,
        signal_pairs,
        voting_countries,
    )
    from tracktwo.store._duckdb import STORE_FILE, EventStore
    from tracktwo.store._engines import ENGINES, events_table, spark_session
    from tracktwo.store._events_sql import (
        events_by_format,
        events_by_source,
        file_sources,
        icews_actors_without_country,
        insert_file_sources,
        insert_ingested_files,
        insert_quarantine_rows,
        insert_staged_events,
        mark_file_fetched,
        previous_fetch,
        quarantined_rows,
        record_event_sources,
        replace_fetched_file,
    )
    from tracktwo.store._export_sql import exported_event_count, exported_events
    from tracktwo.store._fetch_sql import newest_fetched_stamp
    from tracktwo.store._locking import STORE_WAIT_ENV, StoreBusyError, store_wait
    from tracktwo.store._pulse_sql import (
        coverage_row_count,
        event_date_span,
        event_period_starts,
        ingested_source_names,
        replace_signal_rows,
        signal_date_span,
        signal_names,
        signal_row_count,
        stored_source_totals,
    )
    from tracktwo.store._schema_doc import StoredColumn, event_store_columns
    from tracktwo.store._snapshot import SNAPSHOT_DIR, Manifest, read_manifest
    from tracktwo.store._staging_sql import (
        STAGING_TABLE,
        CsvReject,
        GdeltRead,
        clear_csv_rejects,
        create_staging,
        csv_rejects,
        delete_staged_file,
        drop_staging,
        ensure_cameo_codes,
        stage_arrow_events,
        stage_gdelt_csv,
        staged_problem_keys,
        usable_staged_count,
        usable_staged_counts,
    )
    from tracktwo.store._votes_sql import (
        cached_ideal_fit_key,
        coded_votes_in_sessions,
        common_roll_calls_by_session,
        ideal_point_count,
        ideal_point_fit_rows,
        ideal_point_pairs,
        last_vote_date,
        paired_votes,
        positions_in_sessions,
        replace_ideal_point_fit,
        replace_roll_call_issues,
        replace_roll_calls_and_votes,
        roll_call_date_span,
        stored_ideal_points,
        stored_rcids,
        vote_count,
        vote_table_digests,
        voted_session_range,
    )

# each name loaded on first use, and the module that defines it
_LAZY = {
    "insert_arrow": "_arrow_sql",
    "replace_arrow_rows": "_arrow_sql",
    "GDELT_BIGQUERY_TABLE": "_bigquery",
    "GDELT_READ_COLUMNS": "_bigquery",
    "GDELT_REEMISSION_MINUTES": "_bigquery",
    "gdelt_events": "_bigquery",
    "gdelt_schema": "_bigquery",
    "gdelt_table": "_bigquery",
    "busiest_event_pairs": "_dashboard",
    "registry_fingerprint": "_dashboard",
    "signal_pairs": "_dashboard",
    "voting_countries": "_dashboard",
    "STORE_FILE": "_duckdb",
    "SNAPSHOT_DIR": "_snapshot",
    "Manifest": "_snapshot",
    "read_manifest": "_snapshot",
    "EventStore": "_duckdb",
    "ENGINES": "_engines",
    "events_table": "_engines",
    "spark_session": "_engines",
    "events_by_format": "_events_sql",
    "events_by_source": "_events_sql",
    "file_sources": "_events_sql",
    "icews_actors_without_country": "_events_sql",
    "insert_file_sources": "_events_sql",
    "insert_ingested_files": "_events_sql",
    "insert_quarantine_rows": "_events_sql",
    "insert_staged_events": "_events_sql",
    "mark_file_fetched": "_events_sql",
    "previous_fetch": "_events_sql",
    "quarantined_rows": "_events_sql",
    "record_event_sources": "_events_sql",
    "replace_fetched_file": "_events_sql",
    "exported_event_count": "_export_sql",
    "exported_events": "_export_sql",
    "newest_fetched_stamp": "_fetch_sql",
    "STORE_WAIT_ENV": "_locking",
    "StoreBusyError": "_locking",
    "store_wait": "_locking",
    "StoredColumn": "_schema_doc",
    "event_store_columns": "_schema_doc",
    "coverage_row_count": "_pulse_sql",
    "event_date_span": "_pulse_sql",
    "event_period_starts": "_pulse_sql",
    "ingested_source_names": "_pulse_sql",
    "replace_signal_rows": "_pulse_sql",
    "signal_date_span": "_pulse_sql",
    "signal_names": "_pulse_sql",
    "signal_row_count": "_pulse_sql",
    "stored_source_totals": "_pulse_sql",
    "STAGING_TABLE": "_staging_sql",
    "CsvReject": "_staging_sql",
    "GdeltRead": "_staging_sql",
    "clear_csv_rejects": "_staging_sql",
    "create_staging": "_staging_sql",
    "csv_rejects": "_staging_sql",
    "delete_staged_file": "_staging_sql",
    "drop_staging": "_staging_sql",
    "ensure_cameo_codes": "_staging_sql",
    "stage_arrow_events": "_staging_sql",
    "stage_gdelt_csv": "_staging_sql",
    "staged_problem_keys": "_staging_sql",
    "usable_staged_count": "_staging_sql",
    "usable_staged_counts": "_staging_sql",
    "cached_ideal_fit_key": "_votes_sql",
    "coded_votes_in_sessions": "_votes_sql",
    "common_roll_calls_by_session": "_votes_sql",
    "ideal_point_count": "_votes_sql",
    "ideal_point_fit_rows": "_votes_sql",
    "ideal_point_pairs": "_votes_sql",
    "last_vote_date": "_votes_sql",
    "paired_votes": "_votes_sql",
    "positions_in_sessions": "_votes_sql",
    "replace_ideal_point_fit": "_votes_sql",
    "replace_roll_call_issues": "_votes_sql",
    "replace_roll_calls_and_votes": "_votes_sql",
    "roll_call_date_span": "_votes_sql",
    "stored_ideal_points": "_votes_sql",
    "stored_rcids": "_votes_sql",
    "vote_count": "_votes_sql",
    "vote_table_digests": "_votes_sql",
    "voted_session_range": "_votes_sql",
}

__all__ = [
    "COLUMN_NOTES",
    "ENGINES",
    "EVENT_COLUMNS",
    "GDELT1_COLUMNS_57",
    "GDELT1_COLUMNS_58",
    "GDELT2_COLUMNS",
    "GDELT_BIGQUERY_TABLE",
    "GDELT_KEY_COLUMNS",
    "GDELT_READ_COLUMNS",
    "GDELT_REEMISSION_MINUTES",
    "MAX_ID",
    "SNAPSHOT_DIR",
    "STAGING_TABLE",
    "STORE_FILE",
    "STORE_WAIT_ENV",
    "TABLES",
    "TABLE_NOTES",
    "WRITER_TABLES",
    "CsvReject",
    "EventStore",
    "GdeltRead",
    "Manifest",
    "StoreBusyError",
    "StoredColumn",
    "actor_profile_rows",
    "alembic_revision",
    "busiest_event_pairs",
    "cached_ideal_fit_key",
    "clear_csv_rejects",
    "coded_votes_in_sessions",
    "common_roll_calls_by_session",
    "coverage_row_count",
    "create_staging",
    "csv_rejects",
    "delete_staged_file",
    "drop_staging",
    "ensure_cameo_codes",
    "event_date_span",
    "event_period_starts",
    "event_store_columns",
    "events_by_format",
    "events_by_source",
    "events_table",
    "exported_event_count",
    "exported_events",
    "file_sources",
    "gdelt_events",
    "gdelt_schema",
    "gdelt_table",
    "icews_actors_without_country",
    "ideal_point_count",
    "ideal_point_fit_rows",
    "ideal_point_pairs",
    "ingested_source_names",
    "insert_arrow",
    "insert_file_sources",
    "insert_ingested_files",
    "insert_quarantine_rows",
    "insert_staged_events",
    "last_vote_date",
    "mark_file_fetched",
    "newest_fetched_stamp",
    "paired_votes",
    "positions_in_sessions",
    "previous_fetch",
    "quarantined_rows",
    "read_manifest",
    "record_event_sources",
    "registry_fingerprint",
    "replace_arrow_rows",
    "replace_fetched_file",
    "replace_ideal_point_fit",
    "replace_roll_call_issues",
    "replace_roll_calls_and_votes",
    "replace_signal_rows",
    "reset_serial_sequence",
    "roll_call_date_span",
    "set_sqlite_pragmas",
    "signal_date_span",
    "signal_names",
    "signal_pairs",
    "signal_row_count",
    "spark_session",
    "stage_arrow_events",
    "stage_gdelt_csv",
    "staged_problem_keys",
    "store_wait",
    "stored_ideal_points",
    "stored_rcids",
    "stored_source_totals",
    "usable_staged_count",
    "usable_staged_counts",
    "vote_count",
    "vote_table_digests",
    "voted_session_range",
    "voting_countries",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
