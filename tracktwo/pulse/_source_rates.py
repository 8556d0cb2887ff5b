"""Events per 100,000 events of their source: the ``per_100k`` column of every pulse count.

Raw counts from different data sets cannot be compared: ICEWS18 holds five times as many
events a month as ICEWS14. Each source's monthly totals (every event of the source that month,
all countries; ``import_source_totals``) are the denominators. The rule, as documented in
docs/pulse-method.md:

* the events a source counts are all the events seen in it, also those stored once from
  another file first (``source_files`` + ``event_sources``, written at ingest);
* only months with a total count: a period's rate is the source's events in the months of
  the period that have a total, over the sum of those totals, times 100,000 (a year of
  ICEWS18 is Jan-Oct 2018);
* a period covered by several sources with totals uses the one with the largest total in that
  period (the fullest coverage), ties by name; ``PulseResult.rate_sources`` says which;
* a period whose events have no source with totals gets NaN; so does a period whose only
  totals are of a source with no ingested file (nothing of it was counted).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from tracktwo._errors import InputError
from tracktwo.events import check_source_name
from tracktwo.pulse._expr import pulse_events
from tracktwo.pulse._periods import period_start, to_dates
from tracktwo.pulse._signals import read_csv, read_header
from tracktwo.store import (
    EventStore,
    ingested_source_names,
    replace_arrow_rows,
    stored_source_totals,
)
from tracktwo.taxonomy import Taxonomy

__all__ = [
    "PER_100K",
    "SourceTotalsReport",
    "import_source_totals",
    "source_totals",
    "with_per_100k",
]

PER_100K = 100_000
# accepted names of the three columns (the first is the ICEWS benchmarks' own layout)
_SOURCE_COLUMNS = ("dataset", "source")
_TOTAL_COLUMNS = ("events_all_actors", "total")
_RATE_TABLES = ("source_totals", "source_files", "event_sources")


@dataclass(frozen=True)
class SourceTotalsReport:
    """What one import of per-source monthly totals stored."""

    source_file: str
    rows: int
    sources: list[str] = field(default_factory=list)
    first_month: date | None = None
    last_month: date | None = None
    rows_replaced: int = 0


# -- import ----------------------------------------------------------------------------------


def _pick(header: list[str], names: tuple[str, ...], path: Path) -> str:
    for name in names:
        if name in header:
            return name
    raise InputError(
        f"{path.name} line 1: missing column {' or '.join(names)} (the header has "
        f"{', '.join(header)})"
    )


def _month(text: str, where: str) -> date:
    digits = text.strip().replace("-", "")
    if len(digits) == 6 and digits.isdigit() and 1 <= int(digits[4:]) <= 12:
        return date(int(digits[:4]), int(digits[4:]), 1)
    raise InputError(f"{where}: month {text!r} is not YYYY-MM")


def _total(text: str, where: str) -> int:
    try:
        total = int(text.strip())
    except ValueError:
        raise InputError(f"{where}: total {text!r} is not a whole number") from None
    if total <= 0:
        raise InputError(f"{where}: total {total} is not positive (a denominator)")
    return total


def _source_name(text: str, where: str) -> str:
    try:  # the same rule as `tracktwo events ingest --source`
        checked = check_source_name(text)
    except InputError as problem:
        raise InputError(f"{where}: {problem}") from None
    assert checked is not None
    return checked


def _read_totals(path: Path) -> Iterator[tuple[str, date, int]]:
    header = read_header(path)
    source_column = _pick(header, _SOURCE_COLUMNS, path)
    total_column = _pick(header, _TOTAL_COLUMNS, path)
    seen: dict[tuple[str, date], int] = {}
    for line, row in read_csv(path, (source_column, "month", total_column)):
        where = f"{path.name} line {line}"
        key = (_source_name(row[source_column], where), _month(row["month"], where))
        if key in seen:
            raise InputError(f"{where}: a second total for {key[0]} in {key[1]:%Y-%m} "
                             f"(line {seen[key]})")  # fmt: skip
        seen[key] = line
        yield key[0], key[1], _total(row[total_column], where)


def import_source_totals(store: EventStore, path: str | Path) -> SourceTotalsReport:
    """Store each source's monthly event totals (columns ``dataset`` or ``source``, ``month``
    as YYYY-MM, ``events_all_actors`` or ``total``); all-or-nothing; a (source, month) stored
    before is replaced."""
    path = Path(path)
    rows = list(_read_totals(path))
    table = pa.table(
        {
            "source": pa.array([r[0] for r in rows], pa.string()),
            "month": pa.array([r[1] for r in rows], pa.date32()),
            "total": pa.array([r[2] for r in rows], pa.int64()),
            "source_file": pa.array([path.name] * len(rows), pa.string()),
        }
    )
    with store.transaction() as con:
        replaced = replace_arrow_rows(con, "source_totals", table, ["source", "month"])
    months = [r[1] for r in rows]
    return SourceTotalsReport(
        source_file=path.name,
        rows=len(rows),
        sources=sorted({r[0] for r in rows}),
        first_month=min(months) if months else None,
        last_month=max(months) if months else None,
        rows_replaced=replaced,
    )


def source_totals(store: EventStore) -> pd.DataFrame:
    """The stored totals: source, month, total (empty frame when there are none)."""
    if not store.has_tables(*_RATE_TABLES):
        return pd.DataFrame(columns=["source", "month", "total"])
    frame = stored_source_totals(store)
    return frame.assign(month=to_dates(frame["month"]))


# -- per_100k --------------------------------------------------------------------------------


def _seen_in(store: EventStore) -> Any:
    """Ibis: (event_uid, source) for every source each stored event was seen in."""
    events = store.table("events").view()
    files = store.table("source_files")
    first = events.left_join(files, events.source_file == files.source_file).select(
        event_uid=events.event_uid, source=ibis.coalesce(files.source, events.source_format)
    )
    return first.union(store.table("event_sources").select("event_uid", "source"), distinct=True)


def _counts(store: EventStore, rows: Any, keys: list[str]) -> pd.DataFrame:
    """Events per period, source and series, in the months that source has a total for."""
    totals = store.table("source_totals").select("source", "month")
    joined = rows.join(_seen_in(store), "event_uid").join(totals, ["source", "month"])
    frame = joined.group_by([*keys, "source"]).agg(rate_events=joined.count()).to_pandas()
    return frame.assign(period=to_dates(frame["period"]))


def _chosen_totals(
    totals: pd.DataFrame, freq: str, since: date | None, until: date | None
) -> pd.DataFrame:
    """Per period: the source with the largest total there (ties by name) and that total."""
    start = since.replace(day=1) if since else None
    kept = totals[[_within(month, start, until) for month in totals["month"]]]
    if kept.empty:
        return pd.DataFrame(columns=["period", "source", "rate_total"])
    kept = kept.assign(period=[period_start(m, freq) for m in kept["month"]])
    summed = kept.groupby(["period", "source"], as_index=False)["total"].sum()
    ordered = summed.sort_values(["period", "total", "source"], ascending=[True, False, True])
    best = ordered.drop_duplicates("period", keep="first")
    return best.rename(columns={"total": "rate_total"}).reset_index(drop=True)


def _ingested_sources(store: EventStore) -> set[str]:
    """The sources some ingested file was read as."""
    return ingested_source_names(store)


def _within(month: date, start: date | None, until: date | None) -> bool:
    return (start is None or month >= start) and (until is None or month <= until)


def with_per_100k(
    frame: pd.DataFrame,
    store: EventStore,
    pair: tuple[str, str],
    *,
    keys: list[str],
    taxonomy: Taxonomy,
    freq: str,
    by: str,
    directed: bool,
    since: date | None,
    until: date | None,
) -> tuple[pd.DataFrame, dict[date, str]]:
    """``frame`` (one row per ``keys``) with ``per_100k``, and the source used per period.
    Counts are taken from the store's own events, whatever engine computed the rest."""
    # a source with totals but not one ingested file has no events to count: its period
    # is NaN (unknown), not a rate of 0
    totals = source_totals(store)
    totals = totals[totals["source"].isin(_ingested_sources(store))]
    if frame.empty or totals.empty:
        return frame.assign(per_100k=float("nan")), {}
    rows = pulse_events(
        store.table("events"), pair[0], pair[1], taxonomy=taxonomy, freq=freq, by=by,
        directed=directed, since=since, until=until, with_uid=True,
    )  # fmt: skip
    chosen = _chosen_totals(totals, freq, since, until)
    counts = _counts(store, rows, keys).merge(chosen, on=["period", "source"], how="inner")
    rated = frame.merge(chosen[["period", "rate_total"]], on="period", how="left")
    rated = rated.merge(counts[[*keys, "rate_events"]], on=keys, how="left")
    # a period with a denominator and none of the series' events is a rate of 0, not NaN
    rated["per_100k"] = rated["rate_events"].fillna(0) / rated["rate_total"] * PER_100K
    sources = dict(zip(chosen["period"], chosen["source"], strict=True))
    return rated.drop(columns=["rate_total", "rate_events"]), sources
