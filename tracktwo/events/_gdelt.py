"""Read GDELT 1.0 / 2.0 export files into a staging table with DuckDB's CSV reader.

DuckDB parses the tab-separated file in parallel and streams it, so memory stays bounded.
Rows it cannot parse (wrong column count, a number or a date it cannot read, bad UTF-8)
land in its rejects table with their line number and raw text; tracktwo turns them into
quarantine rows. GDELT 1.0 files switched from 57 to 58 columns in April 2013; a file that
mixes both is read in two passes (the first line decides the main layout).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tracktwo._errors import FileFormatError
from tracktwo.events._quarantine import QuarantinedRow
from tracktwo.store import (
    GDELT1_COLUMNS_57,
    GDELT1_COLUMNS_58,
    GDELT2_COLUMNS,
    CsvReject,
    GdeltRead,
    clear_csv_rejects,
    csv_rejects,
    drop_staging,
    stage_gdelt_csv,
)

__all__ = ["LAYOUTS", "GdeltLayout", "layout_for_field_count", "stage_gdelt"]


@dataclass(frozen=True)
class GdeltLayout:
    name: str  # source_format stored with each event
    columns: list[str]
    date_added_format: str


LAYOUTS = {
    57: GdeltLayout("gdelt1", GDELT1_COLUMNS_57, "%Y%m%d"),
    58: GdeltLayout("gdelt1", GDELT1_COLUMNS_58, "%Y%m%d"),
    61: GdeltLayout("gdelt2", GDELT2_COLUMNS, "%Y%m%d%H%M%S"),
}

# columns read with a type; a value that does not parse sends the row to quarantine
_TYPED = {
    "GLOBALEVENTID": "BIGINT",
    "SQLDATE": "DATE",
    "IsRootEvent": "TINYINT",
    "QuadClass": "TINYINT",
    "GoldsteinScale": "DOUBLE",
    "NumMentions": "INTEGER",
    "NumSources": "INTEGER",
    "NumArticles": "INTEGER",
    "AvgTone": "DOUBLE",
}


def layout_for_field_count(count: int) -> GdeltLayout | None:
    return LAYOUTS.get(count)


def _read(layout: GdeltLayout) -> GdeltRead:
    return GdeltRead(layout.columns, _TYPED, layout.date_added_format, layout.name)


_FOUND = re.compile(r"Found: (\d+)")


def _reason(error_type: str, column: str | None, raw: str, message: str, expected: int) -> str:
    if error_type in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        found = raw.count("\t") + 1
        return f"wrong column count: expected {expected} tab-separated fields, found {found}"
    if error_type == "CAST" and column:
        value = re.search(r'string "([^"]*)"', message)
        shown = value.group(1) if value else "?"
        kind = _TYPED.get(column, "VARCHAR").lower().replace("bigint", "integer")
        kind = {"tinyint": "integer", "double": "number", "date": "YYYYMMDD date"}.get(kind, kind)
        return (
            f"field {column}: cannot read '{shown}' as {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
        )
    return f"{error_type.lower()}: {message}"


Reject = CsvReject


def _by_line(rejects: list[Reject]) -> dict[int, list[Reject]]:
    """DuckDB reports one reject per bad field; a line is quarantined once."""
    grouped: dict[int, list[Reject]] = {}
    for reject in rejects:
        grouped.setdefault(reject[0], []).append(reject)
    return grouped


def _one_row(line: int, line_rejects: list[Reject], expected: int) -> QuarantinedRow:
    reasons = [
        _reason(kind, column, raw, message, expected)
        for _, kind, column, raw, message in line_rejects
    ]
    reasons = list(dict.fromkeys(reasons))  # one mention of each distinct problem
    return QuarantinedRow(line, "; ".join(reasons), line_rejects[0][3])


def _read_pass(
    con: duckdb.DuckDBPyConnection, path: Path, layout: GdeltLayout, source_file: str, create: bool
) -> list[Reject]:
    clear_csv_rejects(con)
    try:
        stage_gdelt_csv(con, path, _read(layout), source_file, create=create)
    except duckdb.Error as exc:
        raise FileFormatError(source_file, f"cannot be read as {layout.name}: {exc}") from exc
    rejects = csv_rejects(con)
    clear_csv_rejects(con)
    return rejects


def stage_gdelt(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    field_count: int,
    source_file: str,
    scratch: Path,
) -> tuple[GdeltLayout, list[QuarantinedRow]]:
    """Read ``path`` into the temp table ``staging_events``; return the layout and bad rows."""
    layout = LAYOUTS[field_count]
    drop_staging(con)
    rejects = _read_pass(con, path, layout, source_file, create=True)
    bad_encoding = [r for r in rejects if r[1] == "INVALID ENCODING"]
    if bad_encoding:
        raise FileFormatError(source_file, f"not UTF-8 text (line {bad_encoding[0][0]})")
    quarantined: list[QuarantinedRow] = []
    other_layout_lines: list[tuple[int, str]] = []
    other_count = 58 if field_count == 57 else 57 if field_count == 58 else None
    for line, line_rejects in _by_line(rejects).items():
        raw = line_rejects[0][3]
        if other_count and raw.count("\t") + 1 == other_count:
            # a GDELT 1.0 row of the other width: read it again with that layout
            other_layout_lines.append((line, raw))
            continue
        quarantined.append(_one_row(line, line_rejects, field_count))
    if other_layout_lines and other_count:
        quarantined += _stage_other_layout(
            con, other_layout_lines, LAYOUTS[other_count], source_file, scratch
        )
    return layout, quarantined


def _stage_other_layout(
    con: duckdb.DuckDBPyConnection,
    lines: list[tuple[int, str]],
    layout: GdeltLayout,
    source_file: str,
    scratch: Path,
) -> list[QuarantinedRow]:
    """Second pass for GDELT 1.0 rows of the other width (57 vs 58 columns)."""
    scratch.mkdir(parents=True, exist_ok=True)
    side_file = scratch / "other_layout.tsv"
    side_file.write_text("".join(raw + "\n" for _, raw in lines), encoding="utf-8")
    try:
        rejects = _read_pass(con, side_file, layout, source_file, create=False)
    finally:
        side_file.unlink(missing_ok=True)
    # map the side file's line numbers back to the original file's
    return [
        _one_row(lines[line - 1][0], line_rejects, len(layout.columns))
        for line, line_rejects in _by_line(rejects).items()
    ]


def find_lines(path: Path, pending: dict[tuple[str, ...], list[str]]) -> list[tuple[int, str, str]]:
    """(line, problem, raw) for rows keyed by (GLOBALEVENTID, EventCode, Actor1Code,
    Actor2Code); each key is consumed as often as it is pending, in file order."""
    index = [GDELT2_COLUMNS.index(c) for c in ("EventCode", "Actor1Code", "Actor2Code")]
    found: list[tuple[int, str, str]] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            fields = raw.decode("utf-8", "replace").rstrip("\r\n").split("\t")
            if len(fields) < max(index) + 1:
                continue
            key = (fields[0], *(fields[i] for i in index))
            problems = pending.get(key)
            if problems:
                found.append((number, problems.pop(0), "\t".join(fields)))
    return found
