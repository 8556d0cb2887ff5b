"""Event data: formats, ingest, fetch and quarantine."""

from tracktwo.events._fetch import (
    DEFAULT_MASTERLIST,
    MASTERLIST_ENV,
    FetchReport,
    fetch_gdelt,
    parse_dyads,
)
from tracktwo.events._ingest import (
    REEMISSION_WINDOW_MINUTES,
    IngestReport,
    check_source_name,
    ingest_file,
    ingest_paths,
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
    "DEFAULT_MASTERLIST",
    "MASTERLIST_ENV",
    "REEMISSION_WINDOW_MINUTES",
    "FetchReport",
    "IngestReport",
    "QuarantinedRow",
    "check_source_name",
    "fetch_gdelt",
    "ingest_file",
    "ingest_paths",
    "parse_dyads",
    "quarantine_rows",
    "source_status",
    "store_status",
    "unplaced_actors",
    "write_synthetic_gdelt2",
]
