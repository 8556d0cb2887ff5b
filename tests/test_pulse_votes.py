"""UN votes: ingest (all-or-nothing, idempotent) and voting agreement, checked against values
worked out by hand and by an independent loop over the curated KH/US paired-votes extract."""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from _cli import run_ok

from tracktwo._errors import FileFormatError, InputError, NotFoundError
from tracktwo.datasets import dataset_path
from tracktwo.pulse import ingest_votes, voting_agreement
from tracktwo.store._duckdb import EventStore

DATA = Path(__file__).parent / "data"
TINY_VOTES = DATA / "votes_tiny_votes.csv"
TINY_CALLS = DATA / "votes_tiny_roll_calls.csv"


# `store`: a fresh event store per test, from conftest.py


def _snapshot(store: EventStore) -> tuple[list[tuple], list[tuple]]:
    votes = store.con.execute("SELECT * FROM votes ORDER BY ALL").fetchall()
    calls = store.con.execute("SELECT * FROM roll_calls ORDER BY ALL").fetchall()
    return votes, calls


# -- hand-made file ---------------------------------------------------------------------------


def test_tiny_file_yearly_agreement_by_hand(store: EventStore) -> None:
    report = ingest_votes(store, TINY_VOTES, TINY_CALLS)
    assert (report.roll_calls, report.votes, report.countries) == (5, 11, 3)
    frame = voting_agreement(store, "KHM", "USA")
    # 2015: yes/yes 1, yes/abstain 0.5, yes/no 0 -> 1.5 / 3; 2016: abstain/abstain -> 1
    # (roll call 5 has no Cambodian vote, so it does not count)
    assert frame["period"].tolist() == [date(2015, 1, 1), date(2016, 1, 1)]
    assert frame["roll_calls"].tolist() == [3, 1]
    assert frame["agreement"].tolist() == pytest.approx([0.5, 1.0])


def test_tiny_file_months_quarters_and_other_pairs(store: EventStore) -> None:
    ingest_votes(store, TINY_VOTES, TINY_CALLS)
    monthly = voting_agreement(store, "KH", "United States", freq="month")
    assert monthly["period"].tolist() == [
        date(2015, 10, 1),
        date(2015, 11, 1),
        date(2015, 12, 1),
        date(2016, 2, 1),
    ]
    assert monthly["agreement"].tolist() == pytest.approx([1.0, 0.5, 0.0, 1.0])
    quarterly = voting_agreement(store, "USA", "KHM", freq="quarter")
    assert quarterly["period"].tolist() == [date(2015, 10, 1), date(2016, 1, 1)]
    assert quarterly["agreement"].tolist() == pytest.approx([0.5, 1.0])
    # France: abstain/no with the US on 4 (0.5), no/yes on 5 (0) -> 0.25 over 2
    france = voting_agreement(store, "USA", "FRA")
    assert france.to_dict("records") == [
        {"period": date(2016, 1, 1), "roll_calls": 2, "agreement": pytest.approx(0.25)}
    ]


def test_since_until_limit_the_roll_calls(store: EventStore) -> None:
    ingest_votes(store, TINY_VOTES, TINY_CALLS)
    frame = voting_agreement(store, "KHM", "USA", since=date(2015, 11, 1), until=date(2015, 12, 31))
    # only roll calls 2 (0.5) and 3 (0)
    assert frame["roll_calls"].tolist() == [2]
    assert frame["agreement"].tolist() == pytest.approx([0.25])


def test_roll_call_fields_are_stored(store: EventStore) -> None:
    ingest_votes(store, TINY_VOTES, TINY_CALLS)
    rows = store.con.execute(
        "SELECT rcid, session, vote_date, unres, short, important_vote FROM roll_calls "
        "WHERE rcid IN (2, 3) ORDER BY rcid"
    ).fetchall()
    assert rows == [
        (2, 70, date(2015, 11, 2), "R/70/2", "SECOND", True),
        (3, 70, date(2015, 12, 3), "R/70/3", "THIRD", None),
    ]
    stored = store.con.execute("SELECT vote FROM votes WHERE rcid = 2 AND country = 'USA'")
    assert stored.fetchall() == [("abstain",)]


def test_reingest_is_idempotent(store: EventStore) -> None:
    ingest_votes(store, TINY_VOTES, TINY_CALLS)
    first = _snapshot(store)
    again = ingest_votes(store, TINY_VOTES, TINY_CALLS)
    assert again.votes_replaced == 11
    assert _snapshot(store) == first


def test_reingest_replaces_a_changed_vote(store: EventStore, tmp_path: Path) -> None:
    ingest_votes(store, TINY_VOTES, TINY_CALLS)
    changed = tmp_path / "changed.csv"
    changed.write_text("rcid,country,country_code,vote\n3,United States,US,yes\n")
    ingest_votes(store, changed, TINY_CALLS)
    assert store.count("votes") == 11
    frame = voting_agreement(store, "KHM", "USA")
    # 2015 is now yes/yes, yes/abstain, yes/yes -> 2.5 / 3
    assert frame["agreement"].tolist()[0] == pytest.approx(2.5 / 3)


# -- the real data against an independent computation ----------------------------------------


def _paired_scores_by_year() -> dict[int, tuple[int, float]]:
    """Score every KH/US pair of the curated extract with a plain loop."""
    scores: dict[int, list[float]] = defaultdict(list)
    with (DATA / "votes_kh_us_paired_2016_2019.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            kh, us = row["vote_kh"], row["vote_us"]
            if kh == us:
                score = 1.0
            elif "abstain" in (kh, us):
                score = 0.5
            else:
                score = 0.0
            scores[int(row["date"][:4])].append(score)
    return {year: (len(s), sum(s) / len(s)) for year, s in scores.items()}


def test_shipped_extract_matches_the_paired_votes(store: EventStore) -> None:
    ingest_votes(
        store, dataset_path("un_votes_khm_usa.csv.gz"), dataset_path("un_roll_calls.csv.gz")
    )
    expected = _paired_scores_by_year()
    assert sorted(expected) == [2016, 2017, 2018, 2019]
    frame = voting_agreement(store, "KHM", "USA", since=date(2016, 1, 1), until=date(2019, 12, 31))
    got = {
        row.period.year: (row.roll_calls, row.agreement) for row in frame.itertuples(index=False)
    }
    assert set(got) == set(expected)
    for year, (count, score) in expected.items():
        assert got[year][0] == count
        assert got[year][1] == pytest.approx(score)


def test_shipped_extract_has_every_paired_roll_call(store: EventStore) -> None:
    ingest_votes(
        store, dataset_path("un_votes_khm_usa.csv.gz"), dataset_path("un_roll_calls.csv.gz")
    )
    frame = voting_agreement(store, "KHM", "USA")
    # SOURCE.txt of unvotes: 4,373 roll calls with a vote from both, 1956-11-01 .. 2020-01-14
    assert int(frame["roll_calls"].sum()) == 4373
    assert frame["period"].iloc[0] == date(1956, 1, 1)
    assert frame["period"].iloc[-1] == date(2020, 1, 1)


def test_shipped_extract_holds_only_kh_and_us() -> None:
    with gzip.open(dataset_path("un_votes_khm_usa.csv.gz"), "rt", newline="") as handle:
        codes = {row["country_code"] for row in csv.DictReader(handle)}
    assert codes == {"KH", "US"}


# -- bad input --------------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("votes_text", "message"),
    [
        (
            "rcid,country,country_code,vote\n1,Cambodia,KH,yes\n2,Cambodia,KH,maybe\n",
            "bad_votes.csv line 3: vote 'maybe' is not yes, no or abstain",
        ),
        (
            "rcid,country,country_code,vote\n1,Nowhere,QQ,yes\n",
            "bad_votes.csv line 2: country_code 'QQ'",
        ),
        (
            "rcid,country,vote\n1,Cambodia,yes\n",
            "bad_votes.csv line 1: missing column country_code",
        ),
        ("rcid,country,country_code,vote\n99,Cambodia,KH,yes\n", "line 2: rcid 99 is not a roll"),
        ("rcid,country,country_code,vote\nx,Cambodia,KH,yes\n", "line 2: rcid 'x' is not a whole"),
        (
            "rcid,country,country_code,vote\n1,Cambodia,KH,yes\n1,Cambodia,KH,no\n",
            "line 3: a second vote of KHM on roll call 1 (first on line 2)",
        ),
    ],
)
def test_bad_votes_leave_the_tables_unchanged(
    store: EventStore, tmp_path: Path, votes_text: str, message: str
) -> None:
    ingest_votes(store, TINY_VOTES, TINY_CALLS)
    before = _snapshot(store)
    bad = _write(tmp_path / "bad_votes.csv", votes_text)
    # the good roll calls file comes with it: even its rows must not be stored
    new_calls = _write(
        tmp_path / "calls.csv",
        "rcid,session,importantvote,date,unres,short\n9,75,0,2020-10-01,R/75/1,NEW\n",
    )
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ingest_votes(store, bad, new_calls)
    assert _snapshot(store) == before


def test_bad_roll_call_date_names_file_line_and_field(store: EventStore, tmp_path: Path) -> None:
    calls = _write(
        tmp_path / "calls.csv",
        "rcid,session,importantvote,date,unres,short\n1,70,0,2015-10-01,R,A\n2,70,0,2015-02-30,R,B\n",
    )
    with pytest.raises(InputError, match=r"calls.csv line 3: date '2015-02-30' is not YYYY-MM-DD"):
        ingest_votes(store, TINY_VOTES, calls)
    assert _snapshot(store) == ([], [])


def test_not_a_csv_and_missing_file(store: EventStore, tmp_path: Path) -> None:
    binary = tmp_path / "votes.csv.gz"
    binary.write_bytes(b"\x1f\x8b\x08\x00broken")
    with pytest.raises(FileFormatError, match=r"votes\.csv\.gz"):
        ingest_votes(store, binary, TINY_CALLS)
    with pytest.raises(InputError, match="no such file"):
        ingest_votes(store, tmp_path / "absent.csv", TINY_CALLS)
    assert _snapshot(store) == ([], [])


def test_agreement_needs_votes(store: EventStore) -> None:
    with pytest.raises(NotFoundError, match="votes ingest"):
        voting_agreement(store, "KHM", "USA")


@pytest.mark.parametrize(
    ("other", "options", "message"),
    [
        ("USA", {"freq": "week"}, "frequency 'week'"),
        ("XYZ", {}, "unknown country 'XYZ'"),
        ("KH", {}, "two different countries"),
    ],
)
def test_agreement_errors(store: EventStore, other: str, options: dict, message: str) -> None:
    ingest_votes(store, TINY_VOTES, TINY_CALLS)
    with pytest.raises(InputError, match=message):
        voting_agreement(store, "KHM", other, **options)


def test_former_members_get_their_former_codes(store: EventStore, tmp_path: Path) -> None:
    votes = _write(
        tmp_path / "former.csv",
        "rcid,country,country_code,vote\n"
        "1,Yugoslavia,YU,yes\n"
        "1,Federal Republic of Germany,,no\n"
        "1,United States,US,no\n",
    )
    ingest_votes(store, votes, TINY_CALLS)
    stored = store.con.execute("SELECT country FROM votes ORDER BY country").fetchall()
    assert stored == [("DEU",), ("USA",), ("YUG",)]
    frame = voting_agreement(store, "YUG", "USA")
    assert frame["agreement"].tolist() == [0.0]


# -- command line -----------------------------------------------------------------------------


def test_cli_ingest_extract_and_agreement(tmp_path: Path) -> None:
    # the KH/US extract with the shipped roll calls, which bring the shipped issue codes
    # (with no file at all the command loads every country: test_pulse_vote_measures.py)
    extract = str(dataset_path("un_votes_khm_usa.csv.gz"))
    assert run_ok(tmp_path, "votes", "ingest", extract) == [
        "Stored 10,557 votes of 2 countries on 6,203 roll calls (1946-01-01 .. 2020-01-14) "
        "and 5,745 issue codes; 0 votes replaced earlier ones."
    ]
    lines = run_ok(
        tmp_path, "votes", "agreement", "KHM", "USA", "--since", "2016-01-01", "-f", "csv"
    )
    assert lines[0] == "period,session,measure,roll_calls,value,ci_low,ci_high"
    expected = _paired_scores_by_year()
    count, score = expected[2017]
    period, session, measure, calls, agreement, *_interval = lines[2].split(",")
    assert (period, session, measure, int(calls)) == ("2017-01-01", "", "agreement", count)
    assert float(agreement) == pytest.approx(score)


def test_cli_bad_input_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = _write(
        tmp_path / "bad_votes.csv", "rcid,country,country_code,vote\n1,Cambodia,KH,maybe\n"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tracktwo.cli._signals; from tracktwo.cli._app import main; main()",
            "--home",
            str(tmp_path / "home"),
            "votes",
            "ingest",
            str(bad),
            str(TINY_CALLS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr + run.stdout
    assert run.stderr.strip().splitlines() == [
        "Error: bad_votes.csv line 2: vote 'maybe' is not yes, no or abstain"
    ]
