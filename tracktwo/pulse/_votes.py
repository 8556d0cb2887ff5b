"""UN General Assembly roll-call votes and how often two countries vote alike.

Input is the layout of the unvotes R package's CSV exports (Voeten's data):
``un_votes.csv[.gz]`` (rcid, country, country_code ISO2, vote) and
``un_roll_calls.csv[.gz]`` (rcid, session, importantvote, date, unres, amend, para, short,
descr). Ingest is all-or-nothing; ingesting again replaces the same roll calls and the same
(roll call, country) votes, so it is idempotent.

Agreement between two countries on one roll call both voted on: 1 for the same vote, 0.5 when
exactly one abstained, 0 for yes against no; a period's agreement is the mean over its roll
calls. (The unvotes sanity figures in its SOURCE.txt are exact-match shares, not this score.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from tracktwo._errors import InputError, NotFoundError
from tracktwo.pulse._periods import check_range, period_expr, to_dates, validate_freq, within
from tracktwo.pulse._signals import insert_arrow, pair_or_error, parse_day, read_csv
from tracktwo.store._duckdb import EventStore
from tracktwo.taxonomy import load_taxonomy

__all__ = ["VOTE_VALUES", "VotesReport", "ingest_votes", "voting_agreement"]

VOTE_VALUES = ("yes", "no", "abstain")

_ROLL_CALL_COLUMNS = ("rcid", "session", "importantvote", "date", "unres", "short")
_VOTE_COLUMNS = ("rcid", "country", "country_code", "vote")

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

_FORMER_CODES = frozenset(_FORMER_ISO2.values()) | {"EAZ"}


@dataclass(frozen=True)
class VotesReport:
    """What one votes ingest stored."""

    votes_file: str
    roll_calls_file: str
    roll_calls: int
    votes: int
    countries: int
    first_date: date | None
    last_date: date | None
    votes_replaced: int


# -- parsing ---------------------------------------------------------------------------------


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


def _vote_country(row: dict[str, str], where: str) -> str:
    """ISO3 for the voter: its ISO2 code, or for a former member its code or name."""
    code = row["country_code"].strip().upper()
    countries = load_taxonomy().countries
    if code in countries.iso2_to_iso3:
        return countries.iso2_to_iso3[code]
    if code in _FORMER_ISO2:
        return _FORMER_ISO2[code]
    name = row["country"].strip().casefold()
    if not code and name in _FORMER_NAMES:
        return _FORMER_NAMES[name]
    if not code and name in countries.name_to_iso3:
        return countries.name_to_iso3[name]
    raise InputError(
        f"{where}: country_code {row['country_code']!r} ({row['country']!r}) "
        "is not a known ISO 3166 alpha-2 code"
    )


def _read_votes(path: Path, known_rcids: set[int]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {"rcid": [], "country": [], "vote": []}
    seen: dict[tuple[int, str], int] = {}
    for line, row in read_csv(path, _VOTE_COLUMNS):
        where = f"{path.name} line {line}"
        rcid = _integer(row["rcid"], where, "rcid")
        if rcid not in known_rcids:
            raise InputError(f"{where}: rcid {rcid} is not a roll call in the roll-calls file")
        vote = row["vote"].strip().lower()
        if vote not in VOTE_VALUES:
            raise InputError(f"{where}: vote {row['vote']!r} is not yes, no or abstain")
        country = _vote_country(row, where)
        if (rcid, country) in seen:
            raise InputError(
                f"{where}: a second vote of {country} on roll call {rcid} "
                f"(first on line {seen[rcid, country]})"
            )
        seen[rcid, country] = line
        for column, value in zip(columns, (rcid, country, vote), strict=True):
            columns[column].append(value)
    return columns


# -- ingest ----------------------------------------------------------------------------------


def _stored_rcids(store: EventStore) -> set[int]:
    return {row[0] for row in store.con.execute("SELECT rcid FROM roll_calls").fetchall()}


def ingest_votes(
    store: EventStore, votes_path: str | Path, roll_calls_path: str | Path
) -> VotesReport:
    """Store UN roll calls and votes; all-or-nothing, idempotent.

    Every row of both files is checked before anything is written; the first bad one raises
    InputError naming the file, line and field, and the store is left as it was.
    """
    votes_path, roll_calls_path = Path(votes_path), Path(roll_calls_path)
    calls = _read_roll_calls(roll_calls_path)
    votes = _read_votes(votes_path, set(calls["rcid"]) | _stored_rcids(store))
    with store.transaction() as con:
        replaced = _replace(con, calls, votes)
    days = calls["vote_date"]
    return VotesReport(
        votes_file=votes_path.name,
        roll_calls_file=roll_calls_path.name,
        roll_calls=len(calls["rcid"]),
        votes=len(votes["rcid"]),
        countries=len(set(votes["country"])),
        first_date=min(days) if days else None,
        last_date=max(days) if days else None,
        votes_replaced=replaced,
    )


def _replace(con: Any, calls: dict[str, list[Any]], votes: dict[str, list[Any]]) -> int:
    """Delete the stored rows the new ones supersede, insert the new ones; return votes replaced."""
    call_rows = pa.table({k: pa.array(v) for k, v in calls.items()}).cast(
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
    vote_rows = pa.table(
        {
            "rcid": pa.array(votes["rcid"], pa.int32()),
            "country": pa.array(votes["country"], pa.string()),
            "vote": pa.array(votes["vote"], pa.string()),
        }
    )
    con.register("_new_calls", call_rows)
    con.register("_new_votes", vote_rows)
    try:
        con.execute("DELETE FROM roll_calls WHERE rcid IN (SELECT rcid FROM _new_calls)").fetchall()
        replaced = con.execute(
            "DELETE FROM votes USING _new_votes AS new "
            "WHERE votes.rcid = new.rcid AND votes.country = new.country"
        ).fetchall()
    finally:
        con.unregister("_new_calls")
        con.unregister("_new_votes")
    insert_arrow(con, "roll_calls", call_rows)
    insert_arrow(con, "votes", vote_rows)
    return int(replaced[0][0]) if replaced else 0


# -- agreement -------------------------------------------------------------------------------


def _require_votes(store: EventStore, country: str) -> None:
    found = store.con.execute("SELECT count(*) FROM votes WHERE country = ?", [country]).fetchall()
    if not found[0][0]:
        raise NotFoundError(
            f"no UN votes of {country} are stored: run `tracktwo votes ingest` first"
        )


def voting_agreement(
    store: EventStore,
    country_a: str,
    country_b: str,
    freq: str = "year",
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """Per period: ``roll_calls`` both countries voted on and their mean ``agreement``.

    Countries may be given as ISO3, ISO2 or English names. Periods with no common roll call
    are absent (not zero).
    """
    first, second = pair_or_error(country_a, country_b, _FORMER_CODES)
    freq = validate_freq(freq)
    check_range(since, until)
    for country in (first, second):
        _require_votes(store, country)
    votes, calls = store.table("votes"), store.table("roll_calls")
    side_a = votes.filter(votes.country == first).select("rcid", vote_a=votes.vote)
    side_b = votes.filter(votes.country == second).select("rcid", vote_b=votes.vote)
    paired = side_a.join(side_b, "rcid").join(calls.select("rcid", "vote_date"), "rcid")
    paired = paired.filter(within(paired.vote_date, since, until))
    scored = paired.mutate(
        period=period_expr(paired.vote_date, freq),
        score=ibis.cases(
            (paired.vote_a == paired.vote_b, 1.0),
            ((paired.vote_a == "abstain") | (paired.vote_b == "abstain"), 0.5),
            else_=0.0,
        ),
    )
    result = (
        scored.group_by("period")
        .aggregate(roll_calls=scored.count(), agreement=scored.score.mean())
        .order_by("period")
    )
    frame = result.to_pandas()
    frame["period"] = to_dates(frame["period"])
    frame["roll_calls"] = frame["roll_calls"].astype("int64")
    return frame[["period", "roll_calls", "agreement"]].reset_index(drop=True)
