"""One way to print rows: ``--format table|csv|json|parquet|xlsx``, ``--out FILE`` and ``--excel``
on every row-emitting command.

A command takes ``fmt: FormatOption`` and is decorated with :func:`output_options` (under its
``@app.command``), which adds ``--out`` and ``--excel``, checks them against ``--format`` while
the command line is parsed (a format that needs a file and no ``--out`` is a usage error, exit
2) and tells :func:`emit` where the rows go. The command itself only calls ``emit``.

Conventions: data goes to stdout (or ``--out``), messages and progress to stderr; a CSV always
has its header row, even with no rows; ``--excel`` starts the CSV with a UTF-8 byte order mark
so Excel reads Khmer names as UTF-8; in a table an id, a year or a version is printed as
written (1234, not 1,234) so it can be pasted back into a command.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from tracktwo._json import plain
from tracktwo.cli._files import csv_text, write_parquet, write_xlsx_sheet

__all__ = [
    "ExcelOption",
    "FormatOption",
    "OutOption",
    "OutputFormat",
    "console",
    "emit",
    "err_console",
    "output_options",
]

# piped output is not squeezed to 80 columns: tables stay readable in files and CI logs
console = Console(width=None if Console().is_terminal else 160)
err_console = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"
    xlsx = "xlsx"


# the formats that are bytes for a file, never text for a terminal
_FILE_ONLY = {OutputFormat.parquet, OutputFormat.xlsx}
_BY_SUFFIX = {".csv": OutputFormat.csv, ".json": OutputFormat.json,
              ".parquet": OutputFormat.parquet, ".xlsx": OutputFormat.xlsx}  # fmt: skip

FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format", "-f",
        help="table for people; csv or json for scripts; parquet or xlsx into the file of --out "
             "(default with --out: the file's suffix).",
    ),
]  # fmt: skip
OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write the rows to this file instead of stdout "
                 "(.csv, .json, .parquet or .xlsx).", dir_okay=False),
]  # fmt: skip
ExcelOption = Annotated[
    bool,
    typer.Option("--excel", help="CSV for Excel: starts with a UTF-8 byte order mark, so Khmer "
                 "and other non-Latin names open correctly (implies --format csv)."),
]  # fmt: skip


@dataclass
class _Destination:
    """Where this invocation's rows go; ``tables`` counts the tables written so far."""

    fmt: OutputFormat
    out: Path | None = None
    excel: bool = False
    tables: int = 0


# set by output_options for the length of one command; None: rows go to stdout as given
_destination: ContextVar[_Destination | None] = ContextVar("tracktwo_output", default=None)


def _usage(message: str, option: str) -> typer.BadParameter:
    # raised while click runs the command, so it shows the usage and exits 2
    return typer.BadParameter(message, param_hint=f"'{option}'")


def resolve_format(fmt: OutputFormat, out: Path | None, excel: bool) -> OutputFormat:
    """The format the rows are written in, from ``--format``, ``--out``'s suffix and
    ``--excel``; a combination that cannot work is a usage error naming the option."""
    if excel:
        if fmt not in (OutputFormat.table, OutputFormat.csv):
            raise _usage(f"--excel writes CSV; it does not go with --format {fmt}", "--excel")
        if out is not None and _BY_SUFFIX.get(out.suffix.lower(), OutputFormat.csv) is not fmt.csv:
            raise _usage(f"--excel writes CSV; {str(out)!r} names another format", "--excel")
        fmt = OutputFormat.csv
    if out is not None and fmt is OutputFormat.table:
        by_suffix = _BY_SUFFIX.get(out.suffix.lower())
        if by_suffix is None:
            raise _usage(f"{str(out)!r}: name the format with --format csv|json|parquet|xlsx, or "
                         "give a file ending .csv, .json, .parquet or .xlsx", "--out")  # fmt: skip
        fmt = by_suffix
    if out is not None and not out.parent.is_dir():  # refused before any work is done
        raise _usage(f"{str(out)!r}: there is no folder {str(out.parent)!r}", "--out")
    if fmt in _FILE_ONLY and out is None:
        raise _usage(f"--format {fmt} writes a file: add --out FILE.{fmt}", "--out")
    return fmt


P = ParamSpec("P")
R = TypeVar("R")


def output_options(command: Callable[P, R]) -> Callable[P, R]:
    """Add ``--out`` and ``--excel`` to a command that takes ``fmt: FormatOption``; check them
    before the command runs and route its :func:`emit` calls to stdout or the file.

    Apply it under ``@app.command(...)``: typer reads the signature this returns."""
    signature = inspect.signature(command, eval_str=True)
    if "fmt" not in signature.parameters:
        raise TypeError(f"{command.__name__} has no fmt: FormatOption parameter")
    extra = [
        inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=OutOption),
        inspect.Parameter("excel", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=ExcelOption),
    ]  # fmt: skip

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        out, excel = kwargs.pop("out", None), kwargs.pop("excel", False)
        fmt = resolve_format(kwargs.get("fmt", OutputFormat.table), out, excel)
        kwargs["fmt"] = fmt  # the command follows its script path (no notes, one table)
        destination = _Destination(fmt, out, excel)
        token = _destination.set(destination)
        try:
            result = command(*args, **kwargs)
        finally:
            _destination.reset(token)
        if out is not None and destination.tables:  # (``pulse --sql`` writes no rows)
            err_console.print(f"Written to {out}", highlight=False)
        return result

    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *extra]
    )
    return run


def _records(
    rows: pd.DataFrame | Sequence[dict[str, Any]], columns: Sequence[str] | None
) -> tuple[list[str], list[list[Any]]]:
    if isinstance(rows, pd.DataFrame):
        names = [str(c) for c in rows.columns]
        values = rows.astype(object).where(rows.notna(), None).values.tolist()
    else:
        names = list(rows[0].keys()) if rows else list(columns or [])
        values = [[row.get(c) for c in names] for row in rows]
    return names, [[plain(v) for v in row] for row in values]


# columns whose integers are labels to copy, not quantities to read: no thousands separators
_LABELS = {"id", "year", "version", "session", "tie", "actor", "actor_a", "actor_b", "rcid"}


def _is_label(column: str) -> bool:
    return column in _LABELS or column.endswith(("_id", "_ids"))


def _cell(value: Any, label: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, int):
        return str(value) if label else f"{value:,}"
    return str(value)


def emit(
    rows: pd.DataFrame | Sequence[dict[str, Any]],
    fmt: OutputFormat = OutputFormat.table,
    *,
    title: str | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Print rows in the chosen format: a Rich table, CSV with a header, or a JSON array; or
    write them to the file of ``--out`` (CSV, JSON, Parquet, or a sheet of an .xlsx).

    ``columns`` names the header of an empty list of rows (a DataFrame knows its own). CSV text
    cells starting with = + - @, a tab or a CR get a leading ' (numbers stay numbers).
    """
    names, values = _records(rows, columns)
    if fmt is OutputFormat.table:
        _print_table(names, values, title)
        return
    destination = _destination.get() or _Destination(fmt)
    if destination.out is None:
        if fmt in _FILE_ONLY:  # a caller outside output_options (a programming error)
            raise _usage(f"--format {fmt} writes a file: add --out FILE.{fmt}", "--out")
        _write_stdout(names, values, fmt, destination.excel)
    else:
        _write_file(rows, names, values, fmt, destination, title)
    destination.tables += 1


def _print_table(names: list[str], values: list[list[Any]], title: str | None) -> None:
    table = Table(title=title, show_lines=False)
    for column in names:
        table.add_column(column, overflow="fold")
    labels = [_is_label(c) for c in names]
    for row in values:
        table.add_row(*[_cell(v, label) for v, label in zip(row, labels, strict=True)])
    console.print(table)


def _json_text(names: list[str], values: list[list[Any]]) -> str:
    records = [dict(zip(names, row, strict=True)) for row in values]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"  # Khmer names stay readable


def _write_stdout(
    names: list[str], values: list[list[Any]], fmt: OutputFormat, excel: bool
) -> None:
    if fmt is OutputFormat.json:
        typer.echo(_json_text(names, values), nl=False)
    elif excel:  # bytes, so the mark and the names are UTF-8 whatever the locale of stdout
        typer.echo(csv_text([names, *values]).encode("utf-8-sig"), nl=False)
    else:
        typer.echo(csv_text([names, *values]), nl=False)


def _write_file(
    rows: pd.DataFrame | Sequence[dict[str, Any]],
    names: list[str],
    values: list[list[Any]],
    fmt: OutputFormat,
    destination: _Destination,
    title: str | None,
) -> None:
    """Write one table to ``--out``. A later table of the same command follows the first in a
    CSV or JSON file (as on stdout), becomes the next sheet of an .xlsx; Parquet holds one."""
    path, first = destination.out, destination.tables == 0
    assert path is not None
    if fmt is OutputFormat.xlsx:
        write_xlsx_sheet(path, names, values, title, new_book=first)
        return
    if fmt is OutputFormat.parquet:
        if not first:
            raise _usage("this command writes more than one table and a Parquet file holds "
                         "one: use --format xlsx (a sheet each) or csv", "--format")  # fmt: skip
        write_parquet(path, rows if isinstance(rows, pd.DataFrame) else None, names, values)
        return
    if fmt is OutputFormat.json:
        data = _json_text(names, values).encode("utf-8")
    else:
        text = csv_text([names, *values])
        data = text.encode("utf-8-sig" if destination.excel and first else "utf-8")
    with path.open("wb" if first else "ab") as handle:
        handle.write(data)
