"""Event data: formats, ingest, fetch and quarantine."""

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
    "REEMISSION_WINDOW_MINUTES",
    "IngestReport",
    "QuarantinedRow",
    "check_source_name",
    "ingest_file",
    "ingest_paths",
    "quarantine_rows",
    "source_status",
    "store_status",
    "unplaced_actors",
    "write_synthetic_gdelt2",
]
