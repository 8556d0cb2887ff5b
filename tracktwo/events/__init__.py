"""Event data: formats, ingest, fetch, quarantine and export."""

from tracktwo.events._batch import (
    DEFAULT_BATCH_FILES,
    DEFAULT_BATCH_SECONDS,
    IngestBatch,
    ingest_file,
    ingest_paths,
)
from tracktwo.events._export import (
    EVENT_EXPORT_FORMATS,
    EventExport,
    event_export_format,
    export_events,
)
from tracktwo.events._fetch import (
    DEFAULT_JOBS,
    DEFAULT_MASTERLIST,
    MASTERLIST_ENV,
    FetchReport,
    fetch_gdelt,
    parse_dyads,
)
from tracktwo.events._follow import (
    DEFAULT_LASTUPDATE,
    LASTUPDATE_ENV,
    follow_gdelt,
    parse_interval,
)
from tracktwo.events._icews import (
    countryless_by_design,
    is_icews_header,
    read_icews,
    read_icews_batches,
    unknown_actors,
    unknown_sectors,
)
from tracktwo.events._ingest import (
    REEMISSION_WINDOW_MINUTES,
    IngestReport,
    check_source_name,
)
from tracktwo.events._quarantine import QuarantinedRow
from tracktwo.events._status import (
    quarantine_rows,
    source_status,
    store_status,
    unplaced_actors,
)
from tracktwo.events._synth import write_synthetic_gdelt2

__all__ = [
    "DEFAULT_BATCH_FILES",
    "DEFAULT_BATCH_SECONDS",
    "DEFAULT_JOBS",
    "DEFAULT_LASTUPDATE",
    "DEFAULT_MASTERLIST",
    "EVENT_EXPORT_FORMATS",
    "LASTUPDATE_ENV",
    "MASTERLIST_ENV",
    "REEMISSION_WINDOW_MINUTES",
    "EventExport",
    "FetchReport",
    "IngestBatch",
    "IngestReport",
    "QuarantinedRow",
    "check_source_name",
    "countryless_by_design",
    "event_export_format",
    "export_events",
    "fetch_gdelt",
    "follow_gdelt",
    "ingest_file",
    "ingest_paths",
    "is_icews_header",
    "parse_dyads",
    "parse_interval",
    "quarantine_rows",
    "read_icews",
    "read_icews_batches",
    "source_status",
    "store_status",
    "unknown_actors",
    "unknown_sectors",
    "unplaced_actors",
    "write_synthetic_gdelt2",
]
