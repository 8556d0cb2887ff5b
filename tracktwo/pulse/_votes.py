"""UN General Assembly roll-call votes: ingest, and the codes the vote measures share.

Input is the layout of the unvotes R package's CSV exports (Voeten's data):
``un_votes.csv[.gz]`` (rcid, country, country_code ISO2, vote), ``un_roll_calls.csv[.gz]``
(rcid, session, importantvote, date, unres, amend, para, short, descr) and, optionally,
``un_roll_call_issues.csv[.gz]`` (rcid, short_name, issue). Ingest is all-or-nothing;
ingesting again replaces the same roll calls, the same (roll call, country) votes and the issue
codes of the roll calls ingested, so it is idempotent.

The measures of how alike two countries vote are in :mod:`tracktwo.pulse._vote_measures`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tracktwo._errors import InputError, NotFoundError
from tracktwo.pulse._signals import _open_text, _reading, parse_day, read_csv, read_header
from tracktwo.store import (
    EventStore,
    replace_roll_call_issues,
    replace_roll_calls_and_votes,
    stored_rcids,
    vote_count,
)
from tracktwo.taxonomy import load_taxonomy

__all__ = [
    "FORMER_CODES",
    "ISSUE_NAMES",
    "VOTE_VALUES",
    "VotesReport",
    "ingest_votes",
    "require_votes",
]

VOTE_VALUES = ("yes", "no", "abstain")

# the six issue codes of unvotes' un_roll_call_issues, in its order, with its names
ISSUE_NAMES = {
    "me": "Palestinian conflict",
    "nu": "Nuclear weapons and nuclear material",
    "di": "Arms control and disarmament",
    "hr": "Human rights",
    "co": "Colonialism",
    "ec": "Economic development",
}

_ROLL_CALL_COLUMNS = ("rcid", "session", "importantvote", "date", "unres", "short")
_VOTE_COLUMNS = ("rcid", "country", "country_code", "vote")
_ISSUE_COLUMNS = ("rcid", "short_name", "issue")
# what the issue and vote readers keep of a row, and what they say of a repeated key
_ISSUE_FIELDS = ("rcid", "issue_code", "issue")
_VOTE_FIELDS = ("rcid", "country", "vote")
_SECOND_ISSUE = "roll call {0} has issue {1} a second time"
_SECOND_VOTE = "a second vote of {1} on roll call {0}"

# UN members that no longer exist, keyed by the ISO2 code unvotes gives them, then by name
# when it gives none. Former states take their ISO 3166-3 alpha-3 code; West Germany and North
# Yemen take DEU and YEM (their ISO codes, kept by the united states); Zanzibar (a member for
# four months, 1963-64, voting beside Tanganyika) never had an ISO code, so it gets EAZ, its
# international vehicle code.
_FORMER_ISO2 = {"YU": "YUG", "YD": "YMD", "DD": "DDR", "CS": "CSK", "SU": "SUN"}
_FORMER_NAMES = {
    "yemen arab republic": "YEM",
    "federal republic of germany": "DEU",
    "zanzibar": "EAZ",
}

FORMER_CODES = frozenset(_FORMER_ISO2.values()) | {"EAZ"}

_VOTE_SCHEMA = pa.schema([("rcid", pa.int32()), ("country", pa.string()), ("vote", pa.string())])


@dataclass(frozen=True)
class VotesReport:
    """What one votes ingest stored (``issues``: issue-code rows, 0 without an issues file)."""

    votes_file: str
    roll_calls_file: str
    roll_calls: int
    votes: int
    countries: int
    first_date: date | None
    last_date: date | None
    votes_replaced: int
    issues: int


# -- fields ----------------------------------------------------------------------------------


def _integer(text: str, where: str, field: str) -> int:
    """An integer, also written as a float with no fraction ("12.0", as R exports it)."""
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"{where}: {field} {text!r} is not a whole number") from None
    if not number.is_integer():
        raise InputError(f"{where}: {field} {text!r} is not a whole number")
    return int(number)


def _flag(text: str, where: str, field: str) -> bool | None:
    cleaned = text.strip().lower()
    if cleaned in ("", "na"):
        return None
    if cleaned in ("1", "true", "1.0"):
        return True
    if cleaned in ("0", "false", "0.0"):
        return False
    raise InputError(f"{where}: {field} {text!r} is not 0 or 1")


def _known_rcid(text: str, where: str, known_rcids: set[int]) -> int:
    rcid = _integer(text, where, "rcid")
    if rcid not in known_rcids:
        raise InputError(f"{where}: rcid {rcid} is not a roll call in the roll-calls file")
    return rcid


def _vote(text: str, where: str) -> str:
    vote = text.strip().lower()
    if vote not in VOTE_VALUES:
        raise InputError(f"{where}: vote {text!r} is not yes, no or abstain")
    return vote


def _vote_country(code_text: str, name_text: str, where: str) -> str:
    """ISO3 for the voter: its ISO2 code, or for a former member its code or name."""
    code = code_text.strip().upper()
    countries = load_taxonomy().countries
    if code in countries.iso2_to_iso3:
        return countries.iso2_to_iso3[code]
    if code in _FORMER_ISO2:
        return _FORMER_ISO2[code]
    name = name_text.strip().casefold()
    if not code and name in _FORMER_NAMES:
        return _FORMER_NAMES[name]
    if not code and name in countries.name_to_iso3:
        return countries.name_to_iso3[name]
    raise InputError(
        f"{where}: country_code {code_text!r} ({name_text!r}) is not a known ISO 3166 alpha-2 code"
    )


def _issue_code(text: str, where: str) -> str:
    code = text.strip().lower()
    if code not in ISSUE_NAMES:
        raise InputError(f"{where}: short_name {text!r} is not one of {issue_choices()}")
    return code


def issue_choices() -> str:
    """The issue codes with their names, for messages: ``me (Palestinian conflict), ...``."""
    return ", ".join(f"{code} ({name})" for code, name in ISSUE_NAMES.items())


# -- roll calls and issues (a few thousand rows: read row by row) ----------------------------


def _read_roll_calls(path: Path) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {
        "rcid": [],
        "session": [],
        "vote_date": [],
        "unres": [],
        "short": [],
        "important_vote": [],
    }
    seen: dict[int, int] = {}
    for line, row in read_csv(path, _ROLL_CALL_COLUMNS):
        where = f"{path.name} line {line}"
        rcid = _integer(row["rcid"], where, "rcid")
        if rcid in seen:
            raise InputError(f"{where}: rcid {rcid} is already on line {seen[rcid]}")
        seen[rcid] = line
        day = parse_day(row["date"])
        if day is None:
            raise InputError(f"{where}: date {row['date']!r} is not YYYY-MM-DD")
        values = (
            rcid,
            _integer(row["session"], where, "session"),
            day,
            row["unres"].strip() or None,
            row["short"].strip() or None,
            _flag(row["importantvote"], where, "importantvote"),
        )
        for column, value in zip(columns, values, strict=True):
            columns[column].append(value)
    return columns


_Key = tuple[int, str]
_Row = tuple[_Key, tuple[Any, ...]]


def _rows_once_each(
    path: Path,
    required: tuple[str, ...],
    names: tuple[str, ...],
    parse: Callable[[dict[str, str], str], _Row],
    repeated: str,
) -> dict[str, list[Any]]:
    """The columns ``names`` of every row, as ``parse`` reads it into (key, values) given the
    row and where it is; a key met a second time raises InputError saying ``repeated`` (its
    {0} and {1} filled with the key) and the key's first line."""
    columns: dict[str, list[Any]] = {name: [] for name in names}
    seen: dict[_Key, int] = {}
    for line, row in read_csv(path, required):
        where = f"{path.name} line {line}"
        key, values = parse(row, where)
        if key in seen:
            said = repeated.format(*key)
            raise InputError(f"{where}: {said} (first on line {seen[key]})")
        seen[key] = line
        for column, value in zip(columns, values, strict=True):
            columns[column].append(value)
    return columns


def _read_issues(path: Path, known_rcids: set[int]) -> pa.Table:
    """The issue codes of roll calls: one row per (roll call, code)."""

    def parse(row: dict[str, str], where: str) -> _Row:
        rcid = _known_rcid(row["rcid"], where, known_rcids)
        code = _issue_code(row["short_name"], where)
        return (rcid, code), (rcid, code, row["issue"].strip() or None)

    columns = _rows_once_each(path, _ISSUE_COLUMNS, _ISSUE_FIELDS, parse, _SECOND_ISSUE)
    return pa.table(
        {
            "rcid": pa.array(columns["rcid"], pa.int32()),
            "issue_code": pa.array(columns["issue_code"], pa.string()),
            "issue": pa.array(columns["issue"], pa.string()),
        }
    )


# -- votes: 870,109 rows, read column-wise; row by row only to name a bad row ---------------


class _AskRowByRow(Exception):
    """The column-wise reader met something it does not vouch for: the row-by-row reader
    (the reference, which names file, line and field) decides."""


def _read_votes(path: Path, known_rcids: set[int]) -> pa.Table:
    try:
        return _read_votes_columnwise(path, known_rcids)
    except _AskRowByRow:
        return _read_votes_by_row(path, known_rcids)


def _read_votes_by_row(path: Path, known_rcids: set[int]) -> pa.Table:
    def parse(row: dict[str, str], where: str) -> _Row:
        rcid = _known_rcid(row["rcid"], where, known_rcids)
        vote = _vote(row["vote"], where)
        country = _vote_country(row["country_code"], row["country"], where)
        return (rcid, country), (rcid, country, vote)

    return pa.table(
        _rows_once_each(path, _VOTE_COLUMNS, _VOTE_FIELDS, parse, _SECOND_VOTE),
        schema=_VOTE_SCHEMA,
    )


def _votes_text(path: Path) -> pl.DataFrame:
    """The four vote columns as text, parsed by Arrow (which refuses ragged rows)."""
    header = read_header(path)
    if len(set(header)) != len(header) or not set(_VOTE_COLUMNS) <= set(header):
        raise _AskRowByRow
    with _reading(path), _open_text(path) as handle:
        assert isinstance(handle, io.TextIOWrapper)  # Arrow reads its bytes
        try:
            table = pacsv.read_csv(
                handle.buffer,
                read_options=pacsv.ReadOptions(skip_rows=1, column_names=header),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(header, pa.string()),
                    strings_can_be_null=False,
                    include_columns=list(_VOTE_COLUMNS),
                ),
            )
        except pa.ArrowInvalid:
            raise _AskRowByRow from None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)  # a Table gives a DataFrame
    return frame


def _each_distinct(values: list[Any], convert: Callable[[Any], Any]) -> list[Any]:
    """``convert`` applied to each distinct value (a few thousand among 870,109 rows): the same
    checks as row by row, so a value it refuses sends the file to the row-by-row reader."""
    try:
        return [convert(value) for value in values]
    except InputError:
        raise _AskRowByRow from None


def _read_votes_columnwise(path: Path, known_rcids: set[int]) -> pa.Table:
    frame = _votes_text(path)
    rcid_texts = frame["rcid"].unique().to_list()
    rcids = _each_distinct(rcid_texts, lambda t: _known_rcid(t, "", known_rcids))
    vote_texts = frame["vote"].unique().to_list()
    votes = _each_distinct(vote_texts, lambda t: _vote(t, ""))
    voters = frame.select("country_code", "country").unique()
    iso3 = _each_distinct(
        list(voters.iter_rows()), lambda pair: _vote_country(pair[0], pair[1], "")
    )
    frame = frame.with_columns(
        pl.col("rcid").replace_strict(
            dict(zip(rcid_texts, rcids, strict=True)), return_dtype=pl.Int32
        ),
        pl.col("vote").replace_strict(
            dict(zip(vote_texts, votes, strict=True)), return_dtype=pl.String
        ),
    ).join(
        voters.with_columns(iso3=pl.Series(iso3, dtype=pl.String)),
        on=["country_code", "country"],
        how="left",
    )
    if frame.select("rcid", "iso3").is_duplicated().any():
        raise _AskRowByRow  # a second vote of a country on a roll call: name its line
    rows = frame.select("rcid", country="iso3", vote="vote").to_arrow()
    return rows.cast(_VOTE_SCHEMA)


# -- ingest ----------------------------------------------------------------------------------


def ingest_votes(
    store: EventStore,
    votes_path: str | Path,
    roll_calls_path: str | Path,
    issues_path: str | Path | None = None,
) -> VotesReport:
    """Store UN roll calls, votes and (given ``issues_path``) issue codes; all-or-nothing.

    Every row of every file is checked before anything is written; the first bad one raises
    InputError naming the file, line and field, and the store is left as it was. Votes of the
    same (roll call, country) replace the stored ones; an issues file replaces the stored issue
    codes of every roll call in it or in the roll-calls file (without one they are kept).
    """
    votes_path, roll_calls_path = Path(votes_path), Path(roll_calls_path)
    calls = _read_roll_calls(roll_calls_path)
    known = set(calls["rcid"]) | stored_rcids(store)
    votes = _read_votes(votes_path, known)
    issues = _read_issues(Path(issues_path), known) if issues_path is not None else None
    with store.transaction() as con:
        replaced = replace_roll_calls_and_votes(con, _roll_call_rows(calls), votes)
        if issues is not None:
            rcids = sorted(set(calls["rcid"]) | set(issues["rcid"].to_pylist()))
            replace_roll_call_issues(con, issues, rcids)
    days = calls["vote_date"]
    return VotesReport(
        votes_file=votes_path.name,
        roll_calls_file=roll_calls_path.name,
        roll_calls=len(calls["rcid"]),
        votes=votes.num_rows,
        countries=pc.count_distinct(votes["country"]).as_py(),
        first_date=min(days) if days else None,
        last_date=max(days) if days else None,
        votes_replaced=replaced,
        issues=issues.num_rows if issues is not None else 0,
    )


def _roll_call_rows(calls: dict[str, list[Any]]) -> pa.Table:
    return pa.table({k: pa.array(v) for k, v in calls.items()}).cast(
        pa.schema(
            [
                ("rcid", pa.int32()),
                ("session", pa.int32()),
                ("vote_date", pa.date32()),
                ("unres", pa.string()),
                ("short", pa.string()),
                ("important_vote", pa.bool_()),
            ]
        )
    )


# -- for the measures ------------------------------------------------------------------------


def require_votes(store: EventStore, country: str) -> None:
    """NotFoundError unless some vote of ``country`` is stored."""
    if not vote_count(store, country):
        raise NotFoundError(
            f"no UN votes of {country} are stored: run `tracktwo votes ingest` first"
        )
