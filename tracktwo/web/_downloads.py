"""Every table of the dashboard as a download: CSV for a spreadsheet, JSON for a script.

A page declares its tables (``Table``: a name, where its rows sit in the page's dict, its
columns); its JSON twin then also answers ``?format=csv&table=NAME`` with that table's rows as
CSV. The page shows both links under the table through one macro
(``templates/_downloads.html``) and one helper (:func:`download_links`): the JSON link is the
twin with the page's own query, the CSV link the same query plus ``format=csv&table=NAME``.

The CSV is what a spreadsheet user expects: a UTF-8 byte-order mark first (without it, Excel
reads UTF-8 as its local code page and Khmer names come out garbled), a header even when no
row matches (``pandas.read_csv`` refuses a 0-byte file), the columns the table declares in
their order every time, and ``Content-Disposition: attachment`` with a file name made of the
page's path and the table. Cells: missing is empty; true/false as in the JSON; a list of
words ("culture; health") joined with "; "; anything nested (a score's components) as JSON
text; a nested object's fields as their own columns (``a.code``, ``a.name``); text a
spreadsheet would run as a formula gets a leading ``'`` (:mod:`tracktwo._csv`).
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response

from tracktwo._csv import safe_row
from tracktwo._json import plain

__all__ = [
    "DOWNLOAD_PARAMS",
    "Table",
    "chosen_table",
    "csv_bytes",
    "csv_response",
    "download_links",
    "downloadable",
    "rows_of",
    "table_csv",
    "table_named",
]

BOM = "\ufeff"
# the twin's own query parameters (named so that no page's parameter can clash with them)
DOWNLOAD_PARAMS = ("download_format", "download_table")


@dataclass(frozen=True)
class Table:
    """One table of a page: ``rows`` is where its rows sit in the page's dict (dotted:
    ``vote_issues.rows``), ``columns`` the CSV's columns (dotted for a nested field)."""

    name: str
    rows: str
    columns: tuple[str, ...]

    @classmethod
    def of(cls, name: str, rows: str, columns: str | Sequence[str]) -> Table:
        chosen = columns.split() if isinstance(columns, str) else columns
        return cls(name, rows, tuple(chosen))


def _get(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, Mapping) else None
    return data


def rows_of(data: Mapping[str, Any], table: Table) -> list[Mapping[str, Any]]:
    """The table's rows in a page's dict (none when its section is empty)."""
    found = _get(data, table.rows)
    return list(found) if isinstance(found, list) else []


def _cell(value: Any) -> Any:
    value = plain(value)  # a datetime or a date as ISO text, as in the JSON twin
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return "; ".join(str(v) for v in value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    return value


def csv_bytes(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    """The rows as CSV: a BOM, the header (always), one line per row (cells as above)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(safe_row(_cell(_get(row, column)) for column in columns))
    return (BOM + buffer.getvalue()).encode("utf-8")


def _filename(path: str, table: str) -> str:
    """``/api/pairs/KHM/USA/scorecard`` and ``by_year``: ``tracktwo-pairs-KHM-USA-scorecard-
    by_year.csv``; only letters, digits, ``-`` and ``_``, so the header needs no quoting."""
    parts = [p for p in path.split("/") if p and p != "api"]
    if not parts or parts[-1] != table:
        parts.append(table)
    return re.sub(r"[^A-Za-z0-9_-]+", "_", "-".join(["tracktwo", *parts])) + ".csv"


def csv_response(body: bytes, path: str, table: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(path, table)}"'},
    )


def table_named(tables: Sequence[Table], name: str | None) -> Table:
    """The table asked for, or the page's first (the schema has already refused others)."""
    return next((t for t in tables if t.name == name), tables[0])


def chosen_table(tables: Sequence[Table], kwargs: dict[str, Any]) -> Table | None:
    """Takes a twin's download parameters out of ``kwargs`` (the view does not know them):
    the table asked for as CSV, or None when the twin answers JSON."""
    fmt, name = (kwargs.pop(p, None) for p in DOWNLOAD_PARAMS)
    return table_named(tables, name) if fmt == "csv" else None


def table_csv(data: Mapping[str, Any], table: Table) -> bytes:
    """One table of a page's data as a CSV download's body."""
    return csv_bytes(rows_of(data, table), table.columns)


def downloadable(view: Callable[..., Any], tables: Sequence[Table]) -> inspect.Signature:
    """The view's signature plus ``format`` and ``table``: what its JSON twin accepts."""
    names = tuple(t.name for t in tables)
    signature = inspect.signature(view, eval_str=True)
    extra = [
        inspect.Parameter(
            DOWNLOAD_PARAMS[0], inspect.Parameter.KEYWORD_ONLY, default="json",
            annotation=Annotated[Literal["json", "csv"], Query(
                alias="format", description="json (the default), or csv: one table's rows")],
        ),
        inspect.Parameter(
            DOWNLOAD_PARAMS[1], inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[Literal[names] | None, Query(
                alias="table", description=f"with format=csv, which table: {', '.join(names)} "
                f"(default: {names[0]})")],
        ),
    ]  # fmt: skip
    return signature.replace(parameters=[*signature.parameters.values(), *extra])


def download_links(request: Request, table: str, whole: int | None = None) -> dict[str, str]:
    """The JSON twin of the page being shown, with its query, and that table's CSV; for a
    paged list of ``whole`` rows, also the CSV of all of them (``csv_all``)."""
    path = request.url.path
    twin = "/api/pairs" if path == "/" else "/api" + path
    query = [(k, v) for k, v in request.query_params.multi_items()
             if k not in ("format", "table")]  # fmt: skip
    same = urlencode(query)
    as_csv = [*query, ("format", "csv"), ("table", table)]
    links = {"json": twin + (f"?{same}" if same else ""), "csv": f"{twin}?{urlencode(as_csv)}"}
    if whole:
        every = [(k, v) for k, v in as_csv if k not in ("page", "per_page")]
        links["csv_all"] = f"{twin}?{urlencode([*every, ('per_page', str(whole))])}"
    return links
