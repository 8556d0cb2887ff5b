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
from tracktwo.events._formats import GDELT1_COLUMNS_57, GDELT1_COLUMNS_58, GDELT2_COLUMNS
from tracktwo.events._quarantine import QuarantinedRow

__all__ = ["LAYOUTS", "GdeltLayout", "layout_for_field_count", "stage_gdelt"]

STAGING = "staging_events"


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


def _columns_spec(layout: GdeltLayout) -> str:
    parts = [f"'{name}': '{_TYPED.get(name, 'VARCHAR')}'" for name in layout.columns]
    return "{" + ", ".join(parts) + "}"


def _projection(layout: GdeltLayout) -> str:
    url = "SOURCEURL" if "SOURCEURL" in layout.columns else "NULL::VARCHAR"
    actor = []
    for n in (1, 2):
        actor += [
            f"Actor{n}Code AS actor{n}_code",
            f"Actor{n}Name AS actor{n}_name",
            f"Actor{n}CountryCode AS actor{n}_country",
            f"Actor{n}Type1Code AS actor{n}_type1",
            f"Actor{n}Type2Code AS actor{n}_type2",
            f"Actor{n}Type3Code AS actor{n}_type3",
        ]
    return ",\n".join(
        [
            "'gdelt:' || GLOBALEVENTID AS event_uid",
            "GLOBALEVENTID AS global_event_id",
            "SQLDATE AS event_date",
            f"try_strptime(DATEADDED, '{layout.date_added_format}') AS date_added",
            *actor,
            "IsRootEvent = 1 AS is_root_event",
            "EventCode AS event_code",
            "EventBaseCode AS event_base_code",
            "EventRootCode AS event_root_code",
            "QuadClass AS quad_class",
            "GoldsteinScale AS goldstein",
            "NumMentions AS num_mentions",
            "NumSources AS num_sources",
            "NumArticles AS num_articles",
            "AvgTone AS avg_tone",
            "ActionGeo_CountryCode AS action_country",
            f"{url} AS source_url",
            "$source_file AS source_file",
            f"'{layout.name}' AS source_format",
            "false AS is_reemission",
            # the re-emission group, hashed here while the file streams in parallel
            f"CASE WHEN {url} IS NOT NULL "
            f"THEN hash(Actor1Code, Actor2Code, EventCode, {url}) END AS _k",
            # why a row that parsed is still unusable (checked against the CAMEO list)
            """CASE
                WHEN GLOBALEVENTID IS NULL THEN 'field GLOBALEVENTID: missing'
                WHEN SQLDATE IS NULL THEN 'field SQLDATE: missing date'
                WHEN EventCode IS NULL THEN 'field EventCode: missing'
                WHEN EventCode NOT IN (SELECT code FROM cameo_codes)
                    THEN 'field EventCode: unknown CAMEO code ''' || EventCode || ''''
                WHEN QuadClass NOT BETWEEN 1 AND 4
                    THEN 'field QuadClass: ' || QuadClass || ' is not 1..4'
                WHEN DATEADDED IS NOT NULL AND try_strptime(DATEADDED, '"""
            + layout.date_added_format
            + """') IS NULL
                    THEN 'field DATEADDED: cannot read ''' || DATEADDED || ''' as a date'
                ELSE NULL END AS _problem""",
        ]
    )


def _read_sql(layout: GdeltLayout, table: str, create: bool) -> str:
    head = f"CREATE TEMP TABLE {table} AS" if create else f"INSERT INTO {table}"
    # compression='none': the file is plain text by now (tracktwo.events._open unpacks by
    # content); DuckDB's default would go by the name and refuse plain text called .gz
    return f"""{head}
        SELECT {_projection(layout)}
        FROM read_csv($path, columns={_columns_spec(layout)}, delim='\t', header=false,
                      quote='', escape='', auto_detect=false, dateformat='%Y%m%d',
                      compression='none',
                      store_rejects=true, rejects_table='csv_rejects', rejects_scan='csv_scans',
                      max_line_size=4194304)"""


_FOUND = re.compile(r"Found: (\d+)")


def _rejects(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str | None, str, str]]:
    rows = con.execute(
        "SELECT line, error_type, column_name, csv_line, error_message FROM csv_rejects "
        "ORDER BY line"
    ).fetchall()
    return [(int(r[0]), str(r[1]), r[2], str(r[3] or ""), str(r[4])) for r in rows]


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


Reject = tuple[int, str, str | None, str, str]


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


def _clear_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE IF EXISTS csv_rejects")
    con.execute("DROP TABLE IF EXISTS csv_scans")


def _read_pass(
    con: duckdb.DuckDBPyConnection, path: Path, layout: GdeltLayout, source_file: str, create: bool
) -> list[tuple[int, str, str | None, str, str]]:
    _clear_rejects(con)
    try:
        con.execute(
            _read_sql(layout, STAGING, create), {"path": str(path), "source_file": source_file}
        )
    except duckdb.Error as exc:
        raise FileFormatError(source_file, f"cannot be read as {layout.name}: {exc}") from exc
    rejects = _rejects(con)
    _clear_rejects(con)
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
    con.execute(f"DROP TABLE IF EXISTS {STAGING}")
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
