"""What every open-data loader shares: reading a shipped table (tracktwo/datasets) and
upserting the actors it describes, with a progress callback for long lists."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from typing import Any

from tracktwo.bridges._io import ImportReport
from tracktwo.bridges._matching import ActorBook
from tracktwo.bridges._registry import Registry
from tracktwo.datasets import dataset_path
from tracktwo.taxonomy import load_taxonomy

__all__ = ["Progress", "iso3_of", "shipped_rows", "upsert_actors"]

Progress = Callable[[int, int], None]  # (done, total), for a progress bar


def shipped_rows(name: str) -> list[dict[str, str]]:
    """The rows of a shipped CSV table (gzipped when its name ends in .gz)."""
    path = dataset_path(name)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def iso3_of(code: str) -> str:
    return load_taxonomy().countries.iso3(code)


def upsert_actors(
    registry: Registry,
    source: str,
    items: list[Any],
    to_fields: Callable[[Any], dict[str, Any]],
    progress: Progress | None,
) -> ImportReport:
    """Upsert the actor ``to_fields`` makes of each item, in one transaction; the report counts
    them as created, updated or unchanged."""
    report = ImportReport(source)
    rows = [to_fields(item) for item in items]
    with registry.session() as session:
        book = ActorBook(session, {r["country"] for r in rows})
        for done, fields in enumerate(rows, start=1):
            _actor, status = book.upsert(fields)
            report.counts[("actor", status)] += 1
            if progress is not None and (done % 500 == 0 or done == len(rows)):
                progress(done, len(rows))
    return report
