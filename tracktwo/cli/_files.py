"""The bytes of each output format: CSV text, a Parquet file, a sheet of an .xlsx workbook.

:mod:`tracktwo.cli._output` decides where rows go; this module only writes them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tracktwo._csv import safe_row

__all__ = ["csv_text", "write_parquet", "write_xlsx_sheet"]


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """CSV with LF line ends, text a spreadsheet would run as a formula given a leading '
    (:func:`tracktwo._csv.safe_row`). csv quotes only the characters of its line terminator,
    so each row is written ending CRLF (a CR inside a cell is then quoted, not a line break)
    and that end is made LF. The first row is the header, so even no data is a readable CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    lines = []
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(safe_row(row))
        lines.append(buffer.getvalue()[:-2] + "\n")
    return "".join(lines)


def _column(values: list[Any]) -> pa.Array:
    """One Arrow column; a column mixing kinds of value (text and numbers) becomes text."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def write_parquet(
    path: Path, frame: pd.DataFrame | None, names: list[str], values: list[list[Any]]
) -> None:
    """A DataFrame keeps its column types (dates as date32, counts as int64, missing as null);
    rows given as records are typed column by column from their plain values."""
    table: pa.Table | None = None
    if frame is not None:
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            table = None  # a mixed column: fall back to the plain values below
    if table is None:
        columns = [_column([row[i] for row in values]) for i in range(len(names))]
        table = pa.table(columns, names=names) if names else pa.table({})
    pq.write_table(table, path)


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _xlsx_value(value: Any) -> Any:
    """A date (ISO text from :func:`tracktwo._json.plain`) as an Excel date; the rest as is."""
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def write_xlsx_sheet(
    path: Path, names: list[str], values: list[list[Any]], title: str | None, *, new_book: bool
) -> None:
    """Write one table as a sheet: a new workbook for a command's first table, the next sheet
    for each later one. Text is stored as text, never as a formula (a name "=1+2" stays so)."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook() if new_book else load_workbook(path)
    if new_book:
        book.remove(book.active)
    # Excel: at most 31 characters, none of []:*?/\ , unique in the book
    name = " ".join(_SHEET_NAME_BAD.sub(" ", title or "rows").split())[:31].strip() or "rows"
    taken, stem, n = set(book.sheetnames), name, 2
    while name in taken:
        name, n = f"{stem[:27]} ({n})", n + 1
    sheet = book.create_sheet(name)
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in values:
        sheet.append([_xlsx_value(v) for v in row])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                # openpyxl reads a leading "=" as a formula, and refuses control characters
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", cell.value)
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    book.save(path)
