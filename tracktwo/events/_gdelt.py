"""Read GDELT 1.0 / 2.0 export files into a staging table with DuckDB's CSV reader.

The files of one layout in a batch are read by one call: DuckDB parses them in parallel and
streams them, so memory stays bounded and a 15-minute file of 1,500 rows costs no more than
its share of one big read.
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
    delete_staged_file,
    stage_gdelt_csv,
)

__all__ = ["LAYOUTS", "GdeltFile", "GdeltLayout", "layout_for_field_count", "stage_gdelt"]


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


@dataclass(frozen=True)
class GdeltFile:
    """One plain GDELT file of a batch: its number in the batch, the path DuckDB reads and
    the name its events are stored under."""

    number: int
    path: Path
    source_file: str


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
    con: duckdb.DuckDBPyConnection, files: list[GdeltFile], layout: GdeltLayout
) -> dict[str, list[Reject]]:
    """Append ``files`` to the staging table in one read; their rejects by path."""
    clear_csv_rejects(con)
    try:
        stage_gdelt_csv(con, [f.path for f in files], _read(layout),
                        [f.source_file for f in files], files[0].number)  # fmt: skip
        return csv_rejects(con)
    finally:
        clear_csv_rejects(con)


def _read_files(
    con: duckdb.DuckDBPyConnection,
    files: list[GdeltFile],
    layout: GdeltLayout,
    refused: dict[int, FileFormatError],
) -> dict[str, list[Reject]]:
    """Every file's rows staged in one read (numbered in order); when DuckDB cannot read
    them all (a file it cannot open, say: the read appended nothing), each file alone, and
    one it cannot read at all is refused."""
    try:
        return _read_pass(con, files, layout)
    except duckdb.Error as exc:
        if len(files) == 1:
            refused[files[0].number] = FileFormatError(
                files[0].source_file, f"cannot be read as {layout.name}: {exc}"
            )
            return {}
    rejects: dict[str, list[Reject]] = {}
    for one in files:
        rejects.update(_read_files(con, [one], layout, refused))
    return rejects


def stage_gdelt(
    con: duckdb.DuckDBPyConnection,
    files: list[GdeltFile],
    field_count: int,
    scratch: Path,
) -> tuple[dict[int, list[QuarantinedRow]], dict[int, FileFormatError]]:
    """Append plain GDELT files of one layout (distinct paths, consecutive numbers) to the
    temp table ``staging_events``; return each file's unreadable rows and the files refused
    (their rows taken out again)."""
    layout = LAYOUTS[field_count]
    refused: dict[int, FileFormatError] = {}
    rejects = _read_files(con, files, layout, refused)
    quarantined: dict[int, list[QuarantinedRow]] = {}
    for one in files:
        if one.number in refused:
            continue
        try:
            quarantined[one.number] = _file_rejects(
                con, one, rejects.get(str(one.path), []), field_count, scratch
            )
        except FileFormatError as exc:
            delete_staged_file(con, one.number)
            refused[one.number] = exc
    return quarantined, refused


def _file_rejects(
    con: duckdb.DuckDBPyConnection,
    one: GdeltFile,
    rejects: list[Reject],
    field_count: int,
    scratch: Path,
) -> list[QuarantinedRow]:
    """The quarantine rows of one file's rejects; GDELT 1.0 lines of the other width read
    again in that layout; FileFormatError when the file is not UTF-8."""
    bad_encoding = [r for r in rejects if r[1] == "INVALID ENCODING"]
    if bad_encoding:
        raise FileFormatError(one.source_file, f"not UTF-8 text (line {bad_encoding[0][0]})")
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
        quarantined += _stage_other_layout(con, other_layout_lines, LAYOUTS[other_count], one,
                                           scratch)  # fmt: skip
    return quarantined


def _stage_other_layout(
    con: duckdb.DuckDBPyConnection,
    lines: list[tuple[int, str]],
    layout: GdeltLayout,
    one: GdeltFile,
    scratch: Path,
) -> list[QuarantinedRow]:
    """Second pass for GDELT 1.0 rows of the other width (57 vs 58 columns)."""
    scratch.mkdir(parents=True, exist_ok=True)
    side_file = scratch / f"other_layout_{one.number}.tsv"
    side_file.write_text("".join(raw + "\n" for _, raw in lines), encoding="utf-8")
    try:
        side = GdeltFile(one.number, side_file, one.source_file)
        try:
            rejects = _read_pass(con, [side], layout).get(str(side_file), [])
        except duckdb.Error as exc:
            raise FileFormatError(
                one.source_file, f"cannot be read as {layout.name}: {exc}"
            ) from exc
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
