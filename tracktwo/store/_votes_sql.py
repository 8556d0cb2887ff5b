"""The SQL of the UN votes: roll calls, votes and issue codes, the votes two countries cast on
the same roll calls, and the cached ideal-point fit (tracktwo.pulse reads and writes them
through these functions only)."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from tracktwo.store._arrow_sql import insert_arrow, replace_arrow_rows
from tracktwo.store._duckdb import EventStore

__all__ = [
    "cached_ideal_fit_key",
    "coded_votes_in_sessions",
    "common_roll_calls_by_session",
    "ideal_point_count",
    "ideal_point_fit_rows",
    "ideal_point_pairs",
    "last_vote_date",
    "paired_votes",
    "positions_in_sessions",
    "replace_ideal_point_fit",
    "replace_roll_call_issues",
    "replace_roll_calls_and_votes",
    "roll_call_date_span",
    "stored_ideal_points",
    "stored_rcids",
    "vote_count",
    "vote_table_digests",
    "voted_session_range",
]


# -- roll calls, votes and issues ----------------------------------------------------------


def stored_rcids(store: EventStore) -> set[int]:
    return {row[0] for row in store.con.execute("SELECT rcid FROM roll_calls").fetchall()}


def replace_roll_calls_and_votes(
    con: duckdb.DuckDBPyConnection, call_rows: pa.Table, vote_rows: pa.Table
) -> int:
    """The new roll calls replace those of the same rcid, the new votes those of the same
    (rcid, country); return the votes replaced. Call it in a transaction."""
    replace_arrow_rows(con, "roll_calls", call_rows, ["rcid"])
    return replace_arrow_rows(con, "votes", vote_rows, ["rcid", "country"])


def replace_roll_call_issues(
    con: duckdb.DuckDBPyConnection, issues: pa.Table, rcids: list[int]
) -> None:
    """Every stored issue code of the roll calls ``rcids`` gives way to ``issues``."""
    con.register("_issue_rcids", pa.table({"rcid": pa.array(rcids)}))
    try:
        con.execute(
            "DELETE FROM roll_call_issues WHERE rcid IN (SELECT rcid FROM _issue_rcids)"
        ).fetchall()
    finally:
        con.unregister("_issue_rcids")
    insert_arrow(con, "roll_call_issues", issues)


def vote_count(store: EventStore, country: str) -> int:
    """How many votes of ``country`` are stored."""
    found = store.con.execute("SELECT count(*) FROM votes WHERE country = ?", [country]).fetchall()
    return int(found[0][0])


def last_vote_date(store: EventStore) -> Any:
    """The date of the latest stored roll call (None when there is none)."""
    return store.con.execute("SELECT max(vote_date) FROM roll_calls").fetchall()[0][0]


def roll_call_date_span(store: EventStore) -> tuple[Any, Any]:
    """(first, last) roll-call date; (None, None) when none is stored."""
    row = store.con.execute("SELECT min(vote_date), max(vote_date) FROM roll_calls").fetchall()
    return (row[0][0], row[0][1]) if row else (None, None)


def paired_votes(
    store: EventStore,
    pair: tuple[str, str],
    since: date | None,
    until: date | None,
    *,
    issue: str | None = None,
    by_issue: bool = False,
) -> pd.DataFrame:
    """rcid, session, vote_date, vote_a, vote_b (and issue_code with ``by_issue``) of every roll
    call both countries voted on in [since, until] (of issue ``issue``), by date and rcid."""
    sql = (
        "SELECT c.rcid, c.session, c.vote_date, a.vote AS vote_a, b.vote AS vote_b"
        + (", i.issue_code" if by_issue else "")
        + " FROM votes a JOIN votes b ON a.rcid = b.rcid JOIN roll_calls c ON c.rcid = a.rcid"
        + (" JOIN roll_call_issues i ON i.rcid = c.rcid" if by_issue else "")
        + " WHERE a.country = ? AND b.country = ?"
    )
    params: list[object] = [pair[0], pair[1]]
    for condition, value in (("c.vote_date >= ?", since), ("c.vote_date <= ?", until)):
        if value is not None:
            sql += f" AND {condition}"
            params.append(value)
    if issue is not None:
        sql += " AND c.rcid IN (SELECT rcid FROM roll_call_issues WHERE issue_code = ?)"
        params.append(issue)
    columns = ["rcid", "session", "vote_date", "vote_a", "vote_b"]
    rows = store.con.execute(sql + " ORDER BY c.vote_date, c.rcid", params).fetchall()
    return pd.DataFrame(rows, columns=[*columns, "issue_code"] if by_issue else columns)


# -- what an ideal-point fit reads ---------------------------------------------------------


def vote_table_digests(store: EventStore) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(count, max rcid, order-free hash) of the votes and (count, hash) of the roll-call
    sessions: any change to either table changes them."""
    votes = store.con.execute(
        "SELECT count(*), coalesce(max(rcid), -1), coalesce(bit_xor(hash(rcid, country, vote)), 0)"
        " FROM votes"
    ).fetchall()[0]
    calls = store.con.execute(
        "SELECT count(*), coalesce(bit_xor(hash(rcid, session)), 0) FROM roll_calls"
    ).fetchall()[0]
    return tuple(votes), tuple(calls)


_VOTES_IN_RANGE = """
    SELECT v.rcid, r.session, v.country, v.vote
    FROM votes v JOIN roll_calls r USING (rcid)
    WHERE r.session BETWEEN ? AND ?
"""


def coded_votes_in_sessions(store: EventStore, first: int, last: int) -> dict[str, np.ndarray]:
    """Arrays ``position`` (numbered in (country, session) order), ``item`` (numbered in rcid
    order) and ``choice`` (no 0, abstain 1, yes 2) of every vote in sessions first..last."""
    return store.con.execute(
        f"""WITH v AS ({_VOTES_IN_RANGE})
        SELECT dense_rank() OVER (ORDER BY country, session) - 1 AS position,
               dense_rank() OVER (ORDER BY rcid) - 1 AS item,
               CASE vote WHEN 'no' THEN 0 WHEN 'abstain' THEN 1 ELSE 2 END AS choice
        FROM v""",
        [first, last],
    ).fetchnumpy()


def positions_in_sessions(store: EventStore, first: int, last: int) -> pd.DataFrame:
    """country, session, roll_calls: one row per position, in (country, session) order."""
    return store.con.execute(
        f"""WITH v AS ({_VOTES_IN_RANGE})
        SELECT country, session, count(*) AS roll_calls FROM v
        GROUP BY country, session ORDER BY country, session""",
        [first, last],
    ).df()


def voted_session_range(store: EventStore) -> tuple[Any, Any]:
    """(first, last) session of a roll call with a stored vote; (None, None) when none."""
    stored = store.con.execute(
        "SELECT min(r.session), max(r.session) FROM roll_calls r "
        "WHERE EXISTS (SELECT 1 FROM votes v WHERE v.rcid = r.rcid)"
    ).fetchall()[0]
    return stored[0], stored[1]


# -- the cached fit ------------------------------------------------------------------------


def replace_ideal_point_fit(store: EventStore, rows: pa.Table, fit: list[object]) -> None:
    """The positions ``rows`` and the ``ideal_point_fits`` row ``fit`` (its 13 columns in
    order) replace the cached fit, in one transaction."""
    with store.transaction() as con:
        con.execute("DELETE FROM ideal_points").fetchall()
        con.execute("DELETE FROM ideal_point_fits").fetchall()
        insert_arrow(con, "ideal_points", rows)
        con.execute(
            "INSERT INTO ideal_point_fits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", fit
        ).fetchall()


def cached_ideal_fit_key(store: EventStore) -> tuple[str, int, int] | None:
    """(fingerprint, first_year, last_year) of the cached fit, if any."""
    rows = store.con.execute(
        "SELECT fingerprint, first_year, last_year FROM ideal_point_fits LIMIT 1"
    ).fetchall()
    return (rows[0][0], rows[0][1], rows[0][2]) if rows else None


def stored_ideal_points(store: EventStore, year: int | None, country: str | None) -> pd.DataFrame:
    """year, country, ideal_point, ci_low, ci_high, roll_calls of the cached fit (of one year,
    one country, when given), by year, highest position first."""
    return store.con.execute(
        "SELECT year, country, ideal_point, ci_low, ci_high, roll_calls FROM ideal_points "
        "WHERE (? IS NULL OR year = ?) AND (? IS NULL OR country = ?) "
        "ORDER BY year, ideal_point DESC, country",
        [year, year, country, country],
    ).df()


def ideal_point_pairs(store: EventStore, first: str, second: str) -> pd.DataFrame:
    """year, session, point_a, se_a, point_b, se_b: each session both have a position."""
    return store.con.execute(
        """SELECT a.year, a.session,
                  a.ideal_point AS point_a, a.std_error AS se_a,
                  b.ideal_point AS point_b, b.std_error AS se_b
           FROM ideal_points a JOIN ideal_points b USING (session)
           WHERE a.country = ? AND b.country = ? ORDER BY a.year""",
        [first, second],
    ).df()


def common_roll_calls_by_session(store: EventStore, first: str, second: str) -> pd.DataFrame:
    """session, roll_calls: the roll calls both countries voted on, per session."""
    return store.con.execute(
        """SELECT r.session, count(*) AS roll_calls
           FROM votes a JOIN votes b USING (rcid) JOIN roll_calls r USING (rcid)
           WHERE a.country = ? AND b.country = ? GROUP BY r.session""",
        [first, second],
    ).df()


def ideal_point_count(store: EventStore, country: str) -> int:
    """How many cached positions ``country`` has."""
    found = store.con.execute(
        "SELECT count(*) FROM ideal_points WHERE country = ?", [country]
    ).fetchall()
    return int(found[0][0])


def ideal_point_fit_rows(store: EventStore) -> pd.DataFrame:
    """The ``ideal_point_fits`` table as it is."""
    return store.con.execute("SELECT * FROM ideal_point_fits").df()
