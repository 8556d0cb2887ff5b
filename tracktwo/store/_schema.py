"""The canonical schema of the event store.

One DDL per table. DuckDB types; the same column names are used on every engine. docs/schema.md
is generated from these tables and their notes (``python docs/make_schema.py``; a test checks
that it is current).
"""

from __future__ import annotations

__all__ = ["COLUMN_NOTES", "EVENT_COLUMNS", "TABLES", "TABLE_NOTES", "WRITER_TABLES"]

# (name, DuckDB type, meaning) for every column of `events`, in order.
EVENT_COLUMNS: list[tuple[str, str, str]] = [
    ("event_uid", "VARCHAR", "gdelt:<GLOBALEVENTID> or icews:<sha1 of source|event|target|date>"),
    ("global_event_id", "BIGINT", "GDELT GLOBALEVENTID (null for ICEWS)"),
    ("event_date", "DATE", "day the event took place (GDELT SQLDATE)"),
    ("date_added", "TIMESTAMP", "when GDELT published it (1.0: that day at 00:00); null for ICEWS"),
    ("actor1_code", "VARCHAR", "full CAMEO actor code"),
    ("actor1_name", "VARCHAR", "actor name as coded"),
    ("actor1_country", "VARCHAR", "ISO3-like CAMEO country code (KHM, USA)"),
    ("actor1_type1", "VARCHAR", "first CAMEO actor type code (GOV, BUS ...)"),
    ("actor1_type2", "VARCHAR", "second type code"),
    ("actor1_type3", "VARCHAR", "third type code"),
    ("actor2_code", "VARCHAR", "as actor1_code, for the target"),
    ("actor2_name", "VARCHAR", ""),
    ("actor2_country", "VARCHAR", ""),
    ("actor2_type1", "VARCHAR", ""),
    ("actor2_type2", "VARCHAR", ""),
    ("actor2_type3", "VARCHAR", ""),
    ("is_root_event", "BOOLEAN", "GDELT IsRootEvent"),
    ("event_code", "VARCHAR", "CAMEO event code, e.g. 0311"),
    ("event_base_code", "VARCHAR", "3-digit CAMEO base code"),
    ("event_root_code", "VARCHAR", "2-digit CAMEO root code"),
    (
        "quad_class",
        "TINYINT",
        "1 verbal coop, 2 material coop, 3 verbal conflict, 4 material conflict",
    ),
    ("goldstein", "DOUBLE", "Goldstein scale, -10 .. +10"),
    ("num_mentions", "INTEGER", "mentions in the first 15 minutes / day (ICEWS: 1)"),
    ("num_sources", "INTEGER", "distinct sources (ICEWS: 1)"),
    ("num_articles", "INTEGER", "distinct articles (ICEWS: 1)"),
    ("avg_tone", "DOUBLE", "average tone of the documents (null for ICEWS)"),
    ("action_country", "VARCHAR", "FIPS 10-4 code of where the action took place"),
    ("source_url", "VARCHAR", "first article's URL (GDELT 1.0 from April 2013, 2.0)"),
    ("source_file", "VARCHAR", "file name the event was ingested from"),
    ("source_format", "VARCHAR", "gdelt1, gdelt2 or icews"),
    ("is_reemission", "BOOLEAN", "a re-emitted duplicate: counted once in every figure"),
]

_EVENTS = ",\n    ".join(f"{name} {kind}" for name, kind, _ in EVENT_COLUMNS)

TABLES: dict[str, str] = {
    "events": f"CREATE TABLE IF NOT EXISTS events (\n    {_EVENTS}\n)",
    "quarantine": """CREATE TABLE IF NOT EXISTS quarantine (
    source_file VARCHAR, line BIGINT, reason VARCHAR, raw VARCHAR, quarantined_at TIMESTAMP
)""",
    "ingested_files": """CREATE TABLE IF NOT EXISTS ingested_files (
    source_file VARCHAR, path VARCHAR, sha256 VARCHAR, source_format VARCHAR,
    rows_read BIGINT, rows_added BIGINT, rows_already_stored BIGINT, rows_quarantined BIGINT,
    ingested_at TIMESTAMP
)""",
    "roll_calls": """CREATE TABLE IF NOT EXISTS roll_calls (
    rcid INTEGER, session INTEGER, vote_date DATE, unres VARCHAR, short VARCHAR,
    important_vote BOOLEAN
)""",
    "votes": """CREATE TABLE IF NOT EXISTS votes (
    rcid INTEGER, country VARCHAR, vote VARCHAR
)""",
    "roll_call_issues": """CREATE TABLE IF NOT EXISTS roll_call_issues (
    rcid INTEGER, issue_code VARCHAR, issue VARCHAR
)""",
    "signals": """CREATE TABLE IF NOT EXISTS signals (
    name VARCHAR, signal_date DATE, country1 VARCHAR, country2 VARCHAR, value DOUBLE,
    source_file VARCHAR
)""",
    "coverage": """CREATE TABLE IF NOT EXISTS coverage (
    period_start DATE, freq VARCHAR, country VARCHAR, total BIGINT, source_file VARCHAR
)""",
    "source_files": """CREATE TABLE IF NOT EXISTS source_files (
    source_file VARCHAR, source VARCHAR
)""",
    "event_sources": """CREATE TABLE IF NOT EXISTS event_sources (
    event_uid VARCHAR, source VARCHAR
)""",
    "source_totals": """CREATE TABLE IF NOT EXISTS source_totals (
    source VARCHAR, month DATE, total BIGINT, source_file VARCHAR
)""",
    "fetched_files": """CREATE TABLE IF NOT EXISTS fetched_files (
    url VARCHAR, size BIGINT, md5 VARCHAR, status VARCHAR, rows_kept BIGINT, fetched_at TIMESTAMP,
    dyads VARCHAR
)""",
    "ideal_points": """CREATE TABLE IF NOT EXISTS ideal_points (
    session INTEGER, year INTEGER, country VARCHAR, ideal_point DOUBLE, std_error DOUBLE,
    ci_low DOUBLE, ci_high DOUBLE, roll_calls INTEGER
)""",
    "ideal_point_fits": """CREATE TABLE IF NOT EXISTS ideal_point_fits (
    fitted_at TIMESTAMP, votes BIGINT, roll_calls BIGINT, max_rcid INTEGER, fingerprint VARCHAR,
    first_year INTEGER, last_year INTEGER, seconds DOUBLE, iterations INTEGER, converged BOOLEAN,
    log_posterior DOUBLE, random_walk_sd DOUBLE, model VARCHAR
)""",
}

# tables of the writer's working file only: never published to readers
WRITER_TABLES: dict[str, str] = {
    "snapshot_dirty_months": "CREATE TABLE IF NOT EXISTS snapshot_dirty_months (month VARCHAR)",
}

# what each table holds (one line each; docs/schema.md shows them)
TABLE_NOTES: dict[str, str] = {
    "events": "one row per stored event (GDELT 1.0, 2.0 or ICEWS), in the canonical columns",
    "quarantine": "rows an ingest could not store, with the file, line and reason",
    "ingested_files": "one row per file ingested, with its checksum and row counts",
    "roll_calls": "UN General Assembly roll calls (unvotes), one row each",
    "votes": "each country's vote on each roll call",
    "roll_call_issues": "unvotes' issue codes of roll calls; a roll call may have several",
    "signals": "imported daily series between two countries (e.g. the GDELT daily score)",
    "coverage": "all GDELT events located in a country per period: the coverage_share base",
    "source_files": "which source (a name such as gdelt2, icews or icews18) each file belongs to",
    "event_sources": "an event seen in a source other than its stored copy's: the sources of an "
    "event are its source_files source plus these rows (each source's rate counts all of them)",
    "source_totals": "every event of a source in a month, all countries: the per_100k base",
    "fetched_files": "the ledger of `events fetch`: each GDELT file, its checksum and outcome",
    "ideal_points": "the cached UN ideal-point fit: one row per country and session",
    "ideal_point_fits": "what the cached fit was fitted on (reused until the votes change)",
    "snapshot_dirty_months": "in the writer's working file only, never published: months "
    "whose stored events an ingest changed in place (re-emission flags), rewritten in the "
    "snapshot at the next publish",
}

# (table, column) -> meaning, for the tables other than `events` (whose meanings are in
# EVENT_COLUMNS); a column not named here has no note
COLUMN_NOTES: dict[str, dict[str, str]] = {
    "quarantine": {
        "source_file": "file name the row came from",
        "line": "line number in that file (1 = the first line)",
        "reason": "why the row was refused",
        "raw": "the line as read",
    },
    "ingested_files": {
        "sha256": "SHA-256 of the file's bytes",
        "source_format": "gdelt1, gdelt2 or icews",
        "rows_already_stored": "rows whose event was stored before (not added again)",
    },
    "roll_calls": {
        "rcid": "roll-call id (unvotes)",
        "session": "UN General Assembly session",
        "unres": "resolution number",
        "short": "short description of the resolution",
        "important_vote": "the US State Department lists it as an important vote",
    },
    "votes": {
        "country": "ISO3 country code",
        "vote": "yes, no or abstain",
    },
    "roll_call_issues": {
        "issue_code": "me, nu, di, hr, co or ec",
        "issue": "the issue's name",
    },
    "signals": {
        "name": "the series' name (`signals import --name`)",
        "value": "the day's value",
    },
    "coverage": {
        "period_start": "first day of the period",
        "freq": "the period: month, quarter or year",
        "total": "GDELT events located in the country that period",
    },
    "source_totals": {
        "month": "first day of the month",
        "total": "events of the source that month, every country",
    },
    "fetched_files": {
        "status": "fetched (ingested), downloaded (not ingested), missing or corrupt",
        "rows_kept": "rows of the requested dyads kept from it",
        "dyads": "the dyads requested, or all",
    },
    "ideal_points": {
        "ideal_point": "position on the UN voting dimension, the United States positive",
        "std_error": "its standard error",
        "ci_low": "95% interval, lower end",
        "ci_high": "95% interval, upper end",
        "roll_calls": "roll calls the country voted on that session",
    },
    "snapshot_dirty_months": {"month": "the month, YYYY-MM"},
    "ideal_point_fits": {
        "fingerprint": "digest of the votes fitted on",
        "seconds": "how long the fit took",
        "converged": "the optimiser converged",
    },
}
