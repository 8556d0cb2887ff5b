"""The canonical schema of the event store (documented in docs/schema.md).

One DDL per table. DuckDB types; the same column names are used on every engine.
"""

from __future__ import annotations

__all__ = ["EVENT_COLUMNS", "TABLES"]

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
    # unvotes' issue codes (me, nu, di, hr, co, ec) of roll calls; a roll call may have several
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
    # which source (a name such as gdelt2, icews or icews18) each ingested file belongs to
    "source_files": """CREATE TABLE IF NOT EXISTS source_files (
    source_file VARCHAR, source VARCHAR
)""",
    # an event seen in a source other than its stored copy's: the sources of an event are its
    # source_files source plus these rows (so each source's rate counts all of its events)
    "event_sources": """CREATE TABLE IF NOT EXISTS event_sources (
    event_uid VARCHAR, source VARCHAR
)""",
    # every event of a source in a month, all countries: the denominator of per_100k
    "source_totals": """CREATE TABLE IF NOT EXISTS source_totals (
    source VARCHAR, month DATE, total BIGINT, source_file VARCHAR
)""",
    "fetched_files": """CREATE TABLE IF NOT EXISTS fetched_files (
    url VARCHAR, size BIGINT, md5 VARCHAR, status VARCHAR, rows_kept BIGINT, fetched_at TIMESTAMP,
    dyads VARCHAR
)""",
    # the cached UN ideal-point fit (tracktwo.pulse._ideal_points): one row per country and
    # session, and one row saying what it was fitted on (reused until the votes change)
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
