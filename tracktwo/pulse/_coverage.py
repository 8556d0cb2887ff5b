"""Coverage totals: how many events the source recorded in each country, per day, month or year.

These are denominators: a rise in Cambodia-US events means little if GDELT recorded twice
as many events in both countries that year. The input layout is GDELTtools' (columns
``day|month|year, country, total``, countries as FIPS 10-4 codes); tracktwo stores ISO3.
Rows whose FIPS code names no country (oceans, Gaza, the Paracel Islands ...) cannot be keyed
by ISO3: they are skipped and counted in the report, not stored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from tracktwo._errors import InputError, NotFoundError
from tracktwo.pulse._periods import MONTHS_IN, period_expr, to_dates, validate_freq
from tracktwo.pulse._signals import pair_or_error, parse_day, read_csv, read_header
from tracktwo.store import EventStore, coverage_row_count, replace_arrow_rows
from tracktwo.taxonomy import load_taxonomy

__all__ = ["STORED_FREQS", "CoverageReport", "coverage_totals", "import_coverage"]

# granularities a coverage file can have, coarsest first (the order totals prefer them in)
STORED_FREQS = ("year", "month", "day")

# which stored granularities can build a period of each reporting frequency
_BUILDS = {"month": ("month", "day"), "quarter": ("month", "day"), "year": STORED_FREQS}


@dataclass(frozen=True)
class CoverageReport:
    """What one coverage import stored, and the rows it skipped by code."""

    source_file: str
    freq: str
    rows: int
    countries: int
    first_period: date | None
    last_period: date | None
    rows_replaced: int
    skipped_codes: dict[str, int] = field(default_factory=dict)

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped_codes.values())


# -- import ----------------------------------------------------------------------------------


def _stored_freq(path: Path, header: list[str], freq: str | None) -> str:
    """The file's granularity: named by its first column, or given; both must agree."""
    first = header[0] if header else ""
    named = first if first in STORED_FREQS else None
    if freq is not None:
        chosen = freq.strip().lower()
        if chosen not in STORED_FREQS:
            raise InputError(f"coverage frequency {freq!r} is not day, month or year")
        if named and named != chosen:
            raise InputError(f"{path.name}: the first column is {named!r} but --freq is {chosen!r}")
        return chosen
    if named is None:
        raise InputError(
            f"{path.name} line 1: the first column {first!r} is not day, month or year "
            "(rename it or give the frequency)"
        )
    return named


def _period(text: str, freq: str) -> date | None:
    """A period's first day from YYYYMMDD / YYYYMM / YYYY (dashes allowed)."""
    digits = text.strip().replace("-", "")
    if not digits.isdigit():
        return None
    if freq == "day":
        return parse_day(text)
    try:
        if freq == "month" and len(digits) == 6:
            return date(int(digits[:4]), int(digits[4:]), 1)
        if freq == "year" and len(digits) == 4:
            return date(int(digits), 1, 1)
    except ValueError:
        return None
    return None


def _total(text: str, where: str) -> int:
    try:
        total = int(text.strip())
    except ValueError:
        raise InputError(f"{where}: total {text!r} is not a whole number") from None
    if total < 0:
        raise InputError(f"{where}: total {total} is negative")
    return total


def _read_coverage(
    path: Path, freq: str, period_column: str
) -> tuple[dict[str, list[Any]], Counter]:
    fips = load_taxonomy().countries.fips_to_iso3
    columns: dict[str, list[Any]] = {"period_start": [], "country": [], "total": []}
    skipped: Counter[str] = Counter()
    seen: dict[tuple[date, str], int] = {}
    for line, row in read_csv(path, (period_column, "country", "total")):
        where = f"{path.name} line {line}"
        start = _period(row[period_column], freq)
        if start is None:
            raise InputError(f"{where}: {period_column} {row[period_column]!r} is not a {freq}")
        total = _total(row["total"], where)
        code = row["country"].strip().upper()
        if code not in fips:
            skipped[code] += 1
            continue
        key = (start, fips[code])
        if key in seen:
            raise InputError(f"{where}: a second total for {code} in {start} (line {seen[key]})")
        seen[key] = line
        for column, value in zip(columns, (start, fips[code], total), strict=True):
            columns[column].append(value)
    return columns, skipped


def import_coverage(store: EventStore, path: str | Path, freq: str | None = None) -> CoverageReport:
    """Store per-country event totals; all-or-nothing, idempotent per (period, freq, country)."""
    path = Path(path)
    header = read_header(path)
    stored = _stored_freq(path, header, freq)
    columns, skipped = _read_coverage(path, stored, header[0])
    count = len(columns["total"])
    rows = pa.table(
        {
            "period_start": pa.array(columns["period_start"], pa.date32()),
            "freq": pa.array([stored] * count, pa.string()),
            "country": pa.array(columns["country"], pa.string()),
            "total": pa.array(columns["total"], pa.int64()),
            "source_file": pa.array([path.name] * count, pa.string()),
        }
    )
    with store.transaction() as con:
        replaced = replace_arrow_rows(con, "coverage", rows, ["period_start", "freq", "country"])
    starts = columns["period_start"]
    return CoverageReport(
        source_file=path.name,
        freq=stored,
        rows=count,
        countries=len(set(columns["country"])),
        first_period=min(starts) if starts else None,
        last_period=max(starts) if starts else None,
        rows_replaced=replaced,
        skipped_codes=dict(sorted(skipped.items())),
    )


# -- totals ----------------------------------------------------------------------------------


def _complete_periods(coverage: Any, countries: tuple[str, str], stored: str, freq: str) -> Any:
    """Ibis: per period of ``freq``, the total of both countries built from ``stored`` rows,
    keeping only periods in which every sub-period has a row (for either country)."""
    rows = coverage.filter(coverage.country.isin(countries) & (coverage.freq == stored))
    parts = rows.group_by("period_start").aggregate(part_total=rows.total.sum())
    parts = parts.mutate(period=period_expr(parts.period_start, freq))
    built = parts.group_by("period").aggregate(
        total=parts.part_total.sum(), parts=parts.period_start.count()
    )
    if stored == "day":
        period_end = built.period + ibis.interval(months=MONTHS_IN[freq])
        expected = period_end.delta(built.period, unit="day")
    elif stored == "month":
        expected = ibis.literal(MONTHS_IN[freq])
    else:
        expected = ibis.literal(1)
    return built.filter(built.parts == expected).select("period", "total")


def coverage_totals(store: EventStore, country_a: str, country_b: str, freq: str) -> pd.DataFrame:
    """Per period: ``total`` events recorded in the two countries together.

    Only fully covered periods appear: from monthly rows a quarter needs all 3 months and a
    year all 12; from daily rows every day of the period. A sub-period with a row for one
    country but not the other counts the missing one as 0 (GDELT omits zero-event rows).
    Where several granularities cover a period, the coarsest is used.
    """
    pair = pair_or_error(country_a, country_b)
    freq = validate_freq(freq)
    coverage = store.table("coverage")
    if not coverage_row_count(store, pair):
        raise NotFoundError(
            f"no coverage totals stored for {pair[0]} or {pair[1]}: "
            "run `tracktwo coverage import` first"
        )
    frames = []
    for rank, stored in enumerate(_BUILDS[freq]):
        frame = _complete_periods(coverage, pair, stored, freq).to_pandas()
        frames.append(frame.assign(rank=rank))
    combined = pd.concat(frames, ignore_index=True).sort_values(["period", "rank"])
    result = combined.drop_duplicates("period", keep="first")
    result = result.assign(period=to_dates(result["period"]), total=result["total"].astype("int64"))
    return result[["period", "total"]].reset_index(drop=True)
