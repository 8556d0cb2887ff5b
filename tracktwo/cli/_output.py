"""One way to print rows: ``--format table|csv|json`` on every row-emitting command."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from tracktwo._csv import safe_row
from tracktwo._json import plain

__all__ = ["FormatOption", "OutputFormat", "console", "emit", "err_console"]

# piped output is not squeezed to 80 columns: tables stay readable in files and CI logs
console = Console(width=None if Console().is_terminal else 160)
err_console = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="table for people; csv or json for scripts."),
]


def _records(rows: pd.DataFrame | Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    if isinstance(rows, pd.DataFrame):
        columns = [str(c) for c in rows.columns]
        values = rows.astype(object).where(rows.notna(), None).values.tolist()
    else:
        columns = list(rows[0].keys()) if rows else []
        values = [[row.get(c) for c in columns] for row in rows]
    return columns, [[plain(v) for v in row] for row in values]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """CSV with LF line ends, text a spreadsheet would run as a formula given a leading '
    (:func:`tracktwo._csv.safe_row`). csv quotes only the characters of its line terminator,
    so each row is written ending CRLF (a CR inside a cell is then quoted, not a line break)
    and that end is made LF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    lines = []
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(safe_row(row))
        lines.append(buffer.getvalue()[:-2] + "\n")
    return "".join(lines)


def emit(
    rows: pd.DataFrame | Sequence[dict[str, Any]],
    fmt: OutputFormat = OutputFormat.table,
    *,
    title: str | None = None,
) -> None:
    """Print rows in the chosen format: a Rich table, CSV with a header, or a JSON array.

    CSV text cells starting with = + - @, a tab or a CR get a leading ' (numbers stay numbers).
    """
    columns, values = _records(rows)
    if fmt is OutputFormat.json:
        typer.echo(
            json.dumps(
                [dict(zip(columns, row, strict=True)) for row in values],
                indent=2,
                ensure_ascii=False,  # Khmer names stay readable
            )
        )
        return
    if fmt is OutputFormat.csv:
        typer.echo(_csv_text([columns, *values]), nl=False)
        return
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in values:
        table.add_row(*[_cell(v) for v in row])
    console.print(table)
