"""External per-day dyad scores ("signals"), and the small CSV reader the other signals share.

A signal file is a CSV with the header ``date,country1,country2,<value>``: one score per day
for a country pair, from a source outside tracktwo (for example the GDELT 2.0 daily network
edge scores shipped as ``gdelt_khm_usa_daily.csv``). Import is all-or-nothing and
re-importing a signal of the same name replaces it.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import ibis
import pandas as pd
import pyarrow as pa

from tracktwo._errors import FileFormatError, InputError, NotFoundError
from tracktwo.pulse._periods import check_range, period_expr, to_dates, validate_freq, within
from tracktwo.store import EventStore, replace_signal_rows, signal_row_count
from tracktwo.taxonomy import load_taxonomy

__all__ = [
    "SignalReport",
    "import_signal",
    "list_signals",
    "parse_day",
    "read_csv",
    "read_header",
    "signal_series",
]

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_SIGNAL_KEYS = ("date", "country1", "country2")


# -- reading CSV inputs (shared by votes, signals and coverage) -----------------------------


def _open_zipped(path: Path) -> IO[bytes]:
    """The one file inside a zip; the archive may close at once (its member keeps the
    file open until the caller closes the member)."""
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise FileFormatError(path, f"a zip with {len(members)} files; expected one CSV")
        return archive.open(members[0])


def _open_text(path: Path) -> io.TextIOBase:
    """Open a CSV, plain, gzip or zip (decided by the file's first bytes, not its name)."""
    with path.open("rb") as probe:
        magic = probe.read(4)
    # handed to the caller, who closes it with the wrapper
    if magic.startswith(_GZIP_MAGIC):
        raw: IO[bytes] | gzip.GzipFile = gzip.open(path, "rb")  # noqa: SIM115
    elif magic.startswith(_ZIP_MAGIC):
        raw = _open_zipped(path)
    else:
        raw = path.open("rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn the ways a file can fail to read into tracktwo errors naming the file."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        yield
    except UnicodeDecodeError as exc:
        raise FileFormatError(path, f"not UTF-8 text ({exc.reason})") from exc
    except (gzip.BadGzipFile, zipfile.BadZipFile, zlib.error, EOFError, csv.Error) as exc:
        raise FileFormatError(path, f"cannot be read as CSV: {exc}") from exc


def read_header(path: str | Path) -> list[str]:
    """The lower-cased column names on the first line (empty for an empty file)."""
    path = Path(path)
    with _reading(path), _open_text(path) as handle:
        return [name.strip().lower() for name in next(csv.reader(handle), [])]


def read_csv(path: str | Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row keyed by lower-cased header) for every non-blank row.

    Raises InputError when the file is missing, a required column is absent or a row has the
    wrong number of fields; FileFormatError when it is not UTF-8 text or a broken gzip file.
    """
    path = Path(path)
    with _reading(path), _open_text(path) as handle:
        reader = csv.reader(handle)
        header = [name.strip().lower() for name in next(reader, [])]
        _check_header(path, header, required)
        for fields in reader:
            if not fields or fields == [""]:
                continue
            if len(fields) != len(header):
                raise InputError(
                    f"{path.name} line {reader.line_num}: {len(fields)} fields, "
                    f"the header has {len(header)}"
                )
            yield reader.line_num, dict(zip(header, fields, strict=True))


def _check_header(path: Path, header: list[str], required: Sequence[str]) -> None:
    if not header:
        raise InputError(f"{path.name}: the file is empty (expected a header line)")
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError(
            f"{path.name} line 1: missing column {', '.join(missing)} "
            f"(the header has {', '.join(header)})"
        )


def parse_day(text: str) -> date | None:
    """A day written YYYYMMDD or YYYY-MM-DD, or None when it is neither."""
    text = text.strip()
    try:
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            return date.fromisoformat(text)
    except ValueError:
        return None
    return None


def country_or_error(code: str, where: str, field: str) -> str:
    """ISO3 for an ISO3, ISO2 code or English name; InputError naming the row otherwise."""
    try:
        return load_taxonomy().countries.iso3(code)
    except InputError:
        raise InputError(f"{where}: {field} {code!r} is not a known country code") from None


def pair_or_error(
    country_a: str, country_b: str, also_known: frozenset[str] = frozenset()
) -> tuple[str, str]:
    """Two distinct ISO3 codes from whatever codes or names the user gave.

    ``also_known`` holds extra codes accepted as they are (former UN members for votes).
    """
    return load_taxonomy().countries.pair(country_a, country_b, also_known)


# -- signals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalReport:
    """What one signal import stored."""

    name: str
    source_file: str
    rows: int
    pairs: int
    first_date: date
    last_date: date
    rows_replaced: int


def _signal_name(path: Path, name: str | None) -> str:
    chosen = name if name is not None else path.name.removesuffix(".gz").rsplit(".", 1)[0]
    chosen = chosen.strip()
    if not chosen:
        raise InputError(f"{path.name}: give the signal a name with --name")
    return chosen


def _read_signal_rows(path: Path) -> dict[str, list[Any]]:
    """Parse a whole signal file; InputError at the first bad row."""
    columns: dict[str, list[Any]] = {"signal_date": [], "country1": [], "country2": [], "value": []}
    seen: dict[tuple[date, str, str], int] = {}
    value_field = _value_column(path, read_header(path))
    for line, row in read_csv(path, _SIGNAL_KEYS):
        where = f"{path.name} line {line}"
        day = parse_day(row["date"])
        if day is None:
            raise InputError(f"{where}: date {row['date']!r} is not YYYYMMDD or YYYY-MM-DD")
        first = country_or_error(row["country1"], where, "country1")
        second = country_or_error(row["country2"], where, "country2")
        value = _number(row[value_field], where, value_field)
        key = (day, first, second)
        if key in seen:
            raise InputError(
                f"{where}: a second {value_field} for {first}-{second} on {day} "
                f"(first on line {seen[key]})"
            )
        seen[key] = line
        for column, item in zip(columns, (day, first, second, value), strict=True):
            columns[column].append(item)
    if not seen:
        raise InputError(f"{path.name}: no data rows below the header")
    return columns


def _value_column(path: Path, header: list[str]) -> str:
    if header[:3] != list(_SIGNAL_KEYS) or len(header) < 4:
        raise InputError(
            f"{path.name} line 1: the header must be date,country1,country2,<value column> "
            f"(it is {','.join(header)})"
        )
    return header[3]


def _number(text: str, where: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: {field} {text!r} is not a number") from None
    if math.isnan(value) or math.isinf(value):
        raise InputError(f"{where}: {field} {text!r} is not a finite number")
    return value


def import_signal(store: EventStore, path: str | Path, name: str | None = None) -> SignalReport:
    """Store a per-day dyad score file as signal ``name`` (default: the file's stem).

    All-or-nothing: a bad row raises InputError and leaves the store as it was. Importing a
    name again replaces every row stored under that name.
    """
    path = Path(path)
    signal = _signal_name(path, name)
    columns = _read_signal_rows(path)
    count = len(columns["value"])
    rows = pa.table(
        {
            "name": pa.array([signal] * count, pa.string()),
            **{key: pa.array(values) for key, values in columns.items()},
            "source_file": pa.array([path.name] * count, pa.string()),
        }
    )
    with store.transaction() as con:
        replaced = replace_signal_rows(con, signal, rows)
    pairs = {tuple(sorted(p)) for p in zip(columns["country1"], columns["country2"], strict=True)}
    return SignalReport(
        name=signal,
        source_file=path.name,
        rows=count,
        pairs=len(pairs),
        first_date=min(columns["signal_date"]),
        last_date=max(columns["signal_date"]),
        rows_replaced=replaced,
    )


def signal_series(
    store: EventStore,
    country_a: str,
    country_b: str,
    freq: str = "month",
    name: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """Per period and signal: ``days`` with a value and ``value``, the mean of daily values.

    The pair is undirected: rows stored as A-B and as B-A both count. When a day has both,
    that day's value is the mean of the two, so every day weighs the same in the period mean.
    """
    first, second = pair_or_error(country_a, country_b)
    freq = validate_freq(freq)
    check_range(since, until)
    signals = store.table("signals")
    chosen = (
        ((signals.country1 == first) & (signals.country2 == second))
        | ((signals.country1 == second) & (signals.country2 == first))
    ) & within(signals.signal_date, since, until)
    if name is not None:
        _require_signal(store, name)
        chosen = chosen & (signals.name == name)
    daily = (
        signals.filter(chosen)
        .group_by(["name", "signal_date"])
        .aggregate(day_value=signals.value.mean())
    )
    series = (
        daily.mutate(period=period_expr(daily.signal_date, freq))
        .group_by(["name", "period"])
        .aggregate(days=daily.signal_date.count(), value=daily.day_value.mean())
        .order_by(["name", "period"])
    )
    frame = series.to_pandas()
    frame["period"] = to_dates(frame["period"])
    return frame[["name", "period", "days", "value"]].reset_index(drop=True)


def _require_signal(store: EventStore, name: str) -> None:
    if not signal_row_count(store, name):
        raise NotFoundError(f"no signal named {name!r} is stored (see `tracktwo signals list`)")


def list_signals(store: EventStore) -> pd.DataFrame:
    """One row per stored signal: name, pairs (unordered), first_date, last_date, rows."""
    signals = store.table("signals")
    low = ibis.least(signals.country1, signals.country2)
    high = ibis.greatest(signals.country1, signals.country2)
    keyed = signals.mutate(pair=low.concat("-", high))
    summary = (
        keyed.group_by("name")
        .aggregate(
            pairs=keyed.pair.nunique(),
            first_date=keyed.signal_date.min(),
            last_date=keyed.signal_date.max(),
            rows=keyed.count(),
        )
        .order_by("name")
    )
    frame = summary.to_pandas()
    for column in ("first_date", "last_date"):
        frame[column] = to_dates(frame[column])
    return frame.reset_index(drop=True)
