"""GDELT's public BigQuery tables as tracktwo's canonical ``events`` (docs/bigquery.md).

``gdelt_events(table)`` is an Ibis expression (a view: nothing is copied) that renames and
converts GDELT 2.0's published columns (``gdelt-bq.gdeltv2.events``: SQLDATE and DATEADDED as
INT64, GoldsteinScale as FLOAT64 ...) to the columns and types of ``EVENT_COLUMNS``, and flags
re-emissions by the rule the ingest uses. Built on ``gdelt_table()``, an *unbound* table with
GDELT's schema, it compiles to BigQuery SQL with no connection; over ``bigquery_table(url)``
it runs in BigQuery. The same view runs on DuckDB over a table in GDELT's column names, which
is how tests/test_store_bigquery.py checks what it means.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import ibis

from tracktwo._errors import EngineError
from tracktwo.store._gdelt_columns import GDELT2_COLUMNS
from tracktwo.store._schema import EVENT_COLUMNS

__all__ = [
    "GDELT_BIGQUERY_TABLE",
    "GDELT_READ_COLUMNS",
    "GDELT_REEMISSION_MINUTES",
    "bigquery_table",
    "gdelt_events",
    "gdelt_schema",
    "gdelt_table",
    "url_events",
]

# where GDELT publishes its 2.0 events: (project, dataset, table)
GDELT_BIGQUERY_TABLE = ("gdelt-bq", "gdeltv2", "events")
# tracktwo.events.REEMISSION_WINDOW_MINUTES: the store sits below events and cannot import it;
# tests/test_store_bigquery.py checks that the two agree
GDELT_REEMISSION_MINUTES = 90

# GDELT 2.0's 61 columns in its file order, which is also the BigQuery table's order
_NAMES = GDELT2_COLUMNS
# BigQuery's INTEGER (INT64) and FLOAT (FLOAT64) columns; every other one is a STRING
_INTEGER = {
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "IsRootEvent", "QuadClass", "NumMentions",
    "NumSources", "NumArticles", "Actor1Geo_Type", "Actor2Geo_Type", "ActionGeo_Type",
    "DATEADDED",
}  # fmt: skip
_FLOAT = {"FractionDate", "GoldsteinScale", "AvgTone"} | {
    f"{who}Geo_{c}" for who in ("Actor1", "Actor2", "Action") for c in ("Lat", "Long")
}
# the DuckDB types of EVENT_COLUMNS as Ibis types
_IBIS_TYPE = {
    "VARCHAR": "string", "BIGINT": "int64", "INTEGER": "int32", "TINYINT": "int8",
    "DOUBLE": "float64", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp(6)",
}  # fmt: skip
# the GDELT columns the view reads (a copy of the table needs only these)
GDELT_READ_COLUMNS = (
    "GLOBALEVENTID", "SQLDATE", "DATEADDED",
    *(f"Actor{n}{c}" for n in (1, 2)
      for c in ("Code", "Name", "CountryCode", "Type1Code", "Type2Code", "Type3Code")),
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
    "NumMentions", "NumSources", "NumArticles", "AvgTone", "ActionGeo_CountryCode", "SOURCEURL",
)  # fmt: skip


def gdelt_schema() -> ibis.Schema:
    """GDELT 2.0's events table as BigQuery publishes it (names and types)."""
    kinds = {name: "int64" if name in _INTEGER else "string" for name in _NAMES}
    kinds.update(dict.fromkeys(_FLOAT, "float64"))
    return ibis.schema([(name, kinds[name]) for name in _NAMES])


def gdelt_table(
    project: str = GDELT_BIGQUERY_TABLE[0],
    dataset: str = GDELT_BIGQUERY_TABLE[1],
    name: str = GDELT_BIGQUERY_TABLE[2],
) -> Any:
    """An unbound Ibis table with GDELT's schema, named ``project.dataset.name``: it compiles
    to SQL without a connection."""
    return ibis.table(gdelt_schema(), name=name, catalog=project, database=dataset)


def _digits(number: Any, divisor: int, modulo: int) -> Any:
    """The digits of a yyyymmdd[hhmmss] integer at ``divisor`` (arithmetic: no string parse,
    no time zone). BigQuery's ``//`` is FLOOR(IEEE_DIVIDE(..)), exact for numbers < 2**53."""
    return (number // divisor) % modulo


def _day(yyyymmdd: Any) -> Any:
    return ibis.date(yyyymmdd // 10000, _digits(yyyymmdd, 100, 100), yyyymmdd % 100)


def _moment(stamp: Any) -> Any:
    """yyyymmddhhmmss as a timestamp without zone, like the store's ``date_added``."""
    return ibis.timestamp(
        stamp // 10_000_000_000, _digits(stamp, 100_000_000, 100), _digits(stamp, 1_000_000, 100),
        _digits(stamp, 10_000, 100), _digits(stamp, 100, 100), stamp % 100,
    )  # fmt: skip


def _actor_columns(t: Any) -> dict[str, Any]:
    columns = {}
    for n in (1, 2):
        for ours, theirs in (("code", "Code"), ("name", "Name"), ("country", "CountryCode"),
                             ("type1", "Type1Code"), ("type2", "Type2Code"),
                             ("type3", "Type3Code")):  # fmt: skip
            columns[f"actor{n}_{ours}"] = t[f"Actor{n}{theirs}"]
    return columns


def _canonical(t: Any, source_file: str) -> dict[str, Any]:
    """Every canonical column but ``is_reemission``, as the ingest projects a GDELT 2.0 row
    (tracktwo/store/_staging_sql.py)."""
    return {
        "event_uid": ibis.literal("gdelt:").concat(t.GLOBALEVENTID.cast("string")),
        "global_event_id": t.GLOBALEVENTID,
        "event_date": _day(t.SQLDATE),
        "date_added": _moment(t.DATEADDED),
        **_actor_columns(t),
        "is_root_event": t.IsRootEvent == 1,
        "event_code": t.EventCode,
        "event_base_code": t.EventBaseCode,
        "event_root_code": t.EventRootCode,
        "quad_class": t.QuadClass.cast("int8"),
        "goldstein": t.GoldsteinScale,
        "num_mentions": t.NumMentions.cast("int32"),
        "num_sources": t.NumSources.cast("int32"),
        "num_articles": t.NumArticles.cast("int32"),
        "avg_tone": t.AvgTone,
        "action_country": t.ActionGeo_CountryCode,
        "source_url": t.SOURCEURL,
        "source_file": ibis.literal(source_file),
        "source_format": ibis.literal("gdelt2"),
    }


def _reemission(e: Any, window_minutes: int) -> Any:
    """The ingest's rule (tracktwo/store/_events_sql.py): within one (actor1_code,
    actor2_code, event_code, source_url) group ordered by date_added then event_uid, an event
    added at most ``window_minutes`` after the previous one; never for an event without URL."""
    group = ibis.window(
        group_by=[e.actor1_code, e.actor2_code, e.event_code, e.source_url],
        # where a null date_added sorts (DuckDB: last, BigQuery: first) changes no flag: a
        # null is never within the window, and a null previous one leaves the next unflagged
        order_by=[e.date_added, e.event_uid],
    )
    previous = e.date_added.lag().over(group)
    # a difference in whole seconds (exact: DATEADDED has whole seconds); ibis compiles it to
    # DATETIME_DIFF, while an added interval would be TIMESTAMP_ADD, meant for TIMESTAMP values
    within = e.date_added.delta(previous, unit="second") <= 60 * int(window_minutes)
    return (e.source_url.notnull() & within).fill_null(False)


def gdelt_events(
    table: Any | None = None,
    *,
    source_file: str | None = None,
    window_minutes: int = GDELT_REEMISSION_MINUTES,
) -> Any:
    """GDELT's table (``gdelt_table()`` when none is given) in tracktwo's canonical columns,
    in ``EVENT_COLUMNS`` order and types. ``source_file`` (by default the table's full name)
    stands in for the file name an ingested event keeps."""
    t = gdelt_table() if table is None else table
    missing = [name for name in GDELT_READ_COLUMNS if name not in t.columns]
    if missing:
        raise EngineError(f"the table {_full_name(t)} lacks GDELT's columns {', '.join(missing)}")
    events = t.select(**_canonical(t, source_file or _full_name(t)))
    events = events.mutate(is_reemission=_reemission(events, window_minutes))
    return events.select(
        **{name: events[name].cast(_IBIS_TYPE[kind]) for name, kind, _ in EVENT_COLUMNS}
    )


def _full_name(t: Any) -> str:
    op = t.op()
    namespace = getattr(op, "namespace", None)
    parts = [getattr(namespace, "catalog", None), getattr(namespace, "database", None)]
    return ".".join([str(p) for p in parts if p] + [str(getattr(op, "name", "events"))])


# -- a bigquery:// URL --------------------------------------------------------------------

_INSTALL = "the BigQuery engine needs ibis' BigQuery backend: pip install 'tracktwo[bigquery]'"
_LOGIN = (
    "no Google Cloud credentials found: run `gcloud auth application-default login` "
    "(or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file)"
)
_BIGQUERY_SCOPE = "https://www.googleapis.com/auth/bigquery"
_URL_OPTIONS = ("table", "location")


def _where(url: str) -> tuple[str, tuple[str, str], str, str | None]:
    """(billing project, (project, dataset), table, location) a bigquery:// URL names: no
    dataset means GDELT's ``gdelt-bq.gdeltv2``, no ``?table=`` the table ``events``."""
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    unknown = sorted(set(options) - set(_URL_OPTIONS))
    if unknown:
        raise EngineError(
            f"the engine {url!r}: unknown option {', '.join(unknown)} "
            f"(a bigquery:// URL takes {' and '.join(_URL_OPTIONS)})"
        )
    if not parts.netloc:
        raise EngineError(f"the engine {url!r} names no project: use bigquery://MY-PROJECT")
    dataset = parts.path.strip("/")
    if not dataset:
        where = GDELT_BIGQUERY_TABLE[:2]
    elif "." in dataset:
        project, _, name = dataset.partition(".")
        where = (project, name)
    else:
        where = (parts.netloc, dataset)
    table = options.get("table", [GDELT_BIGQUERY_TABLE[2]])[-1]
    location = options.get("location", [None])[-1]
    return parts.netloc, where, table, location


def _credentials(url: str) -> Any:
    """Application Default Credentials, or a clear EngineError: never the interactive browser
    login ibis falls back to, which would leave a CLI or a dashboard waiting."""
    try:
        import google.auth
        import google.auth.exceptions
    except ImportError as exc:
        raise EngineError(_INSTALL) from exc
    try:
        credentials, _ = google.auth.default(scopes=[_BIGQUERY_SCOPE])
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise EngineError(f"cannot use the engine {url!r}: {_LOGIN}") from exc
    return credentials


def bigquery_table(url: str) -> Any:
    """The table a ``bigquery://BILLING-PROJECT[/[PROJECT.]DATASET][?table=NAME&location=L]``
    URL names, bound to a BigQuery connection billed to BILLING-PROJECT."""
    billing, where, name, location = _where(url)
    try:
        import ibis.backends.bigquery  # google-cloud-bigquery and friends
    except ImportError as exc:
        raise EngineError(_INSTALL) from exc
    credentials = _credentials(url)
    try:
        con = ibis.bigquery.connect(project_id=billing, credentials=credentials, location=location)
        return con.table(name, database=where)
    except Exception as exc:  # Google's errors (no such table, no permission ...) alike
        raise EngineError(f"cannot use the engine {url!r}: {exc}") from exc


def url_events(table: Any) -> Any:
    """An engine URL's ``events``: the GDELT view when the table has GDELT's column names
    (GLOBALEVENTID ...), else the table itself, which must then be in tracktwo's schema."""
    return gdelt_events(table) if "GLOBALEVENTID" in table.columns else table
