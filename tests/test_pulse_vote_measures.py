"""UN vote measures (agreement, identical, S-score, kappa), the issue table and the full votes
file: values worked out by hand from real Cambodia-US roll calls, and by plain loops over the
raw CSVs (the curated KH/US paired votes of 2016-2019 and the shipped issue codes)."""

from __future__ import annotations

import csv
import gzip
import math
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import tracktwo.cli._signals  # noqa: F401  (registers the commands)
from tracktwo._errors import InputError, NotFoundError
from tracktwo.cli._app import app
from tracktwo.datasets import dataset_path
from tracktwo.pulse import vote_issues, vote_measure, voting_agreement
from tracktwo.pulse._votes import _read_votes_by_row, _read_votes_columnwise, ingest_votes
from tracktwo.store._duckdb import EventStore

DATA = Path(__file__).parent / "data"
PAIRED = DATA / "votes_kh_us_paired_2016_2019.csv"
TINY_VOTES = DATA / "votes_tiny_votes.csv"
TINY_CALLS = DATA / "votes_tiny_roll_calls.csv"
TINY_ISSUES = DATA / "votes_tiny_issues.csv"
SPAN = {"since": date(2016, 1, 1), "until": date(2019, 12, 31)}


# -- one full ingest for the module, through the command with no file -----------------------


@pytest.fixture(scope="module")
def full_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("votes_full")
    result = CliRunner().invoke(app, ["--home", str(home), "votes", "ingest"])
    assert result.exit_code == 0, result.output
    yield home


@pytest.fixture
def full(full_home: Path) -> Iterator[EventStore]:
    with EventStore(full_home, read_only=True) as store:
        yield store


def test_full_ingest_stores_every_vote_and_issue(full_home: Path, full: EventStore) -> None:
    # unvotes SOURCE.txt: un_votes 870,109 rows, un_roll_call_issues 5,745 rows, 6,203 roll calls
    assert full.count("votes") == 870_109
    assert full.count("roll_call_issues") == 5_745
    assert full.count("roll_calls") == 6_203
    countries = full.con.execute("SELECT count(DISTINCT country) FROM votes").fetchall()
    assert countries == [(198,)]  # 198 distinct country codes in the file (3 former by name)
    codes = full.con.execute(
        "SELECT issue_code, count(*) FROM roll_call_issues GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert codes == [
        ("co", 957),
        ("di", 1092),
        ("ec", 765),
        ("hr", 1015),
        ("me", 1061),
        ("nu", 855),
    ]


def test_columnwise_reader_matches_the_row_by_row_one() -> None:
    known = set(range(1, 10_000))
    path = dataset_path("un_votes_khm_usa.csv.gz")
    fast, slow = _read_votes_columnwise(path, known), _read_votes_by_row(path, known)
    assert fast.num_rows == slow.num_rows == 10_557
    assert fast.sort_by([("rcid", "ascending"), ("country", "ascending")]).equals(
        slow.sort_by([("rcid", "ascending"), ("country", "ascending")])
    )


def test_a_row_arrow_refuses_goes_row_by_row(store: EventStore, tmp_path: Path) -> None:
    # a line of one quoted empty field is skipped by the reference reader; Arrow calls it a
    # ragged row, so the file is read row by row and stored all the same
    odd = tmp_path / "odd.csv"
    odd.write_text('rcid,country,country_code,vote\n1,Cambodia,KH,yes\n""\n1,France,FR,no\n')
    report = ingest_votes(store, odd, TINY_CALLS)
    assert (report.votes, report.countries) == (2, 2)


# -- each measure by hand ------------------------------------------------------------------

# The five roll calls of 22 December 2018 (kh_us_paired_votes.csv), votes KH / US and the
# distance d on the scale yes 0, abstain 1, no 2:
#   6154 yes/yes d=0    6155 no/yes d=2    6156 abstain/yes d=1
#   6157 yes/no  d=2    6158 no/yes d=2                              sum d = 7, n = 5
DAY = {"since": date(2018, 12, 22), "until": date(2018, 12, 22)}
BY_HAND = {
    # (1 + 0 + 0.5 + 0 + 0) / 5
    "agreement": 1.5 / 5,
    # one identical vote of five
    "identical": 1 / 5,
    # 1 - 2 * 7 / (5 * 2) = -0.4 (= 2 * 0.3 - 1)
    "s-score": -0.4,
    # p_o = 1/5 = 0.2; KH yes 2/5, abstain 1/5, no 2/5; US yes 4/5, abstain 0, no 1/5
    # p_e = 0.4*0.8 + 0.2*0 + 0.4*0.2 = 0.40; kappa = (0.2 - 0.4) / (1 - 0.4) = -1/3
    "kappa": -1 / 3,
}


@pytest.mark.parametrize("measure", list(BY_HAND))
def test_each_measure_by_hand(full: EventStore, measure: str) -> None:
    frame = vote_measure(full, "KHM", "USA", measure=measure, **DAY)
    assert frame.columns.tolist() == [
        "period",
        "session",
        "measure",
        "roll_calls",
        "value",
        "ci_low",
        "ci_high",
    ]
    row = frame.iloc[0]
    assert len(frame) == 1
    assert (row["period"], row["measure"], row["roll_calls"]) == (date(2018, 1, 1), measure, 5)
    assert pd.isna(row["session"])
    assert row["value"] == pytest.approx(BY_HAND[measure])
    assert row["ci_low"] <= row["value"] <= row["ci_high"]


def test_kappa_is_undefined_when_chance_agreement_is_one(full: EventStore) -> None:
    # 22 December 2016: roll calls 5496 and 5975, both yes/yes -> p_e = 1*1 = 1
    day = {"since": date(2016, 12, 22), "until": date(2016, 12, 22)}
    kappa = vote_measure(full, "KHM", "USA", measure="kappa", **day).iloc[0]
    assert kappa["roll_calls"] == 2
    assert math.isnan(kappa["value"]) and math.isnan(kappa["ci_low"])
    assert vote_measure(full, "KHM", "USA", **day).iloc[0]["value"] == 1.0


def test_issue_filter_by_hand(full: EventStore) -> None:
    # of the five roll calls above, hr tags 6155, 6157, 6158 (all d=2) and ec tags 6156 (d=1)
    human_rights = vote_measure(full, "KHM", "USA", issue="hr", **DAY).iloc[0]
    assert (human_rights["roll_calls"], human_rights["value"]) == (3, 0.0)
    economic = vote_measure(full, "USA", "KHM", issue="EC", **DAY).iloc[0]
    assert (economic["roll_calls"], economic["value"]) == (1, 0.5)
    assert math.isnan(economic["ci_low"]) and math.isnan(economic["ci_high"])  # one roll call


# -- the real data against plain loops over the raw CSVs -----------------------------------


def _distance(kh: str, us: str) -> int:
    position = {"yes": 0, "abstain": 1, "no": 2}
    return abs(position[kh] - position[us])


def _loop_measures(pairs: list[tuple[str, str]]) -> dict[str, float]:
    n = len(pairs)
    distances = [_distance(kh, us) for kh, us in pairs]
    observed = sum(kh == us for kh, us in pairs) / n
    chance = sum(
        (sum(kh == vote for kh, _ in pairs) / n) * (sum(us == vote for _, us in pairs) / n)
        for vote in ("yes", "abstain", "no")
    )
    return {
        "agreement": sum(1 - d / 2 for d in distances) / n,
        "identical": observed,
        "s-score": 1 - 2 * sum(distances) / (n * 2),
        "kappa": (observed - chance) / (1 - chance) if chance < 1 else math.nan,
    }


def _paired_rows() -> list[dict[str, str]]:
    with PAIRED.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _issue_codes() -> dict[str, set[str]]:
    codes: dict[str, set[str]] = defaultdict(set)
    with gzip.open(dataset_path("un_roll_call_issues.csv.gz"), "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            codes[row["rcid"]].add(row["short_name"])
    return codes


@pytest.mark.parametrize("measure", list(BY_HAND))
def test_years_match_a_loop_over_the_paired_votes(full: EventStore, measure: str) -> None:
    by_year: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for row in _paired_rows():
        by_year[int(row["date"][:4])].append((row["vote_kh"], row["vote_us"]))
    frame = vote_measure(full, "KHM", "USA", measure=measure, n_boot=0, **SPAN)
    assert [p.year for p in frame["period"]] == [2016, 2017, 2018, 2019]
    for row in frame.itertuples(index=False):
        pairs = by_year[row.period.year]
        assert row.roll_calls == len(pairs)
        assert row.value == pytest.approx(_loop_measures(pairs)[measure])


def test_by_session_differs_from_by_year(full: EventStore) -> None:
    by_session: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for row in _paired_rows():
        by_session[int(float(row["session"]))].append((row["vote_kh"], row["vote_us"]))
    frame = vote_measure(full, "KHM", "USA", by="session", n_boot=0, **SPAN)
    # a session opens in September and votes mostly by December: 2016-2019 holds roll calls
    # of sessions 71-74, and a session's January votes fall in the next calendar year
    assert frame["session"].tolist() == [71, 72, 73, 74]
    assert frame["period"].tolist() == [date(s + 1945, 1, 1) for s in range(71, 75)]
    for row in frame.itertuples(index=False):
        pairs = by_session[row.session]
        assert row.roll_calls == len(pairs)
        assert row.value == pytest.approx(_loop_measures(pairs)["agreement"])
    by_year = vote_measure(full, "KHM", "USA", n_boot=0, **SPAN)
    assert by_year["period"].tolist() == frame["period"].tolist()
    assert by_year["roll_calls"].tolist() != frame["roll_calls"].tolist()


def test_issue_filter_and_issue_table_match_a_loop(full: EventStore) -> None:
    codes = _issue_codes()
    per_issue: dict[str, list[tuple[str, str]]] = defaultdict(list)
    hr_by_year: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for row in _paired_rows():
        pair = (row["vote_kh"], row["vote_us"])
        for code in codes.get(row["rcid"], ()):
            per_issue[code].append(pair)
        if "hr" in codes.get(row["rcid"], ()):
            hr_by_year[int(row["date"][:4])].append(pair)
    table = vote_issues(full, "KHM", "USA", n_boot=200, **SPAN)
    assert table.columns.tolist() == [
        "issue_code",
        "issue",
        "roll_calls",
        "value",
        "ci_low",
        "ci_high",
    ]
    expected = {code: _loop_measures(pairs)["agreement"] for code, pairs in per_issue.items()}
    assert table["issue_code"].tolist() == sorted(expected, key=lambda c: -expected[c])
    for row in table.itertuples(index=False):
        assert row.roll_calls == len(per_issue[row.issue_code])
        assert row.value == pytest.approx(expected[row.issue_code])
        assert row.ci_low <= row.value <= row.ci_high
    assert dict(zip(table["issue_code"], table["issue"], strict=True))["me"] == (
        "Palestinian conflict"
    )
    human_rights = vote_measure(full, "KHM", "USA", issue="hr", n_boot=0, **SPAN)
    for row in human_rights.itertuples(index=False):
        assert row.roll_calls == len(hr_by_year[row.period.year])
        assert row.value == pytest.approx(_loop_measures(hr_by_year[row.period.year])["agreement"])


def test_s_score_is_twice_agreement_less_one(full: EventStore) -> None:
    agreement = vote_measure(full, "KHM", "USA", n_boot=200)
    s_score = vote_measure(full, "KHM", "USA", measure="s-score", n_boot=200)
    for column in ("value", "ci_low", "ci_high"):
        twice = (2 * agreement[column] - 1).tolist()
        assert s_score[column].tolist() == pytest.approx(twice, nan_ok=True)


def test_voting_agreement_keeps_its_columns(full: EventStore) -> None:
    old = voting_agreement(full, "KHM", "USA", "month", **SPAN)
    assert old.columns.tolist() == ["period", "roll_calls", "agreement"]
    assert int(old["roll_calls"].sum()) == len(_paired_rows())  # 410 roll calls
    monthly = vote_measure(full, "KHM", "USA", by="month", n_boot=0, **SPAN)
    assert old["agreement"].tolist() == pytest.approx(monthly["value"].tolist())


# -- the bootstrap interval ----------------------------------------------------------------


def test_interval_contains_the_value_and_is_reproducible(full: EventStore) -> None:
    for measure in ("agreement", "kappa"):
        frame = vote_measure(full, "KHM", "USA", measure=measure, seed=7, n_boot=300)
        # a period whose every resample gives one value (kappa 0 when Cambodia votes yes
        # throughout) has no interval
        with_interval = frame[(frame["roll_calls"] >= 10) & frame["ci_low"].notna()]
        assert len(with_interval) > 40
        assert (with_interval["ci_low"] <= with_interval["value"]).all()
        assert (with_interval["value"] <= with_interval["ci_high"]).all()
        again = vote_measure(full, "KHM", "USA", measure=measure, seed=7, n_boot=300)
        pd.testing.assert_frame_equal(frame, again)
        other = vote_measure(full, "KHM", "USA", measure=measure, seed=8, n_boot=300)
        assert not other["ci_low"].equals(frame["ci_low"])


def test_a_period_interval_does_not_depend_on_the_other_periods(full: EventStore) -> None:
    everything = vote_measure(full, "KHM", "USA", seed=3, n_boot=300).set_index("period")
    one_year = vote_measure(
        full, "KHM", "USA", seed=3, n_boot=300, since=date(2017, 1, 1), until=date(2017, 12, 31)
    ).iloc[0]
    same = everything.loc[date(2017, 1, 1)]
    assert (one_year["ci_low"], one_year["ci_high"]) == (same["ci_low"], same["ci_high"])


def test_no_interval_for_one_roll_call(full: EventStore) -> None:
    # 2020 has one common roll call (14 January, KH yes, US no)
    last = vote_measure(full, "KHM", "USA", since=date(2020, 1, 1)).iloc[0]
    assert (last["roll_calls"], last["value"]) == (1, 0.0)
    assert math.isnan(last["ci_low"]) and math.isnan(last["ci_high"])


# -- issues ingest: hand-made file ---------------------------------------------------------


def _snapshot(store: EventStore) -> list[list[tuple]]:
    return [
        store.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        for table in ("votes", "roll_calls", "roll_call_issues")
    ]


def test_tiny_issue_table_by_hand(store: EventStore) -> None:
    report = ingest_votes(store, TINY_VOTES, TINY_CALLS, TINY_ISSUES)
    assert report.issues == 5
    table = vote_issues(store, "KHM", "USA")
    # KH/US: 1 yes/yes (1), 2 yes/abstain (0.5), 3 yes/no (0), 4 abstain/abstain (1)
    # hr: 1, 2, 4 -> 2.5/3; ec: 2 -> 0.5; me: 3 -> 0; co, di, nu: no roll call, last
    assert table["issue_code"].tolist() == ["hr", "ec", "me", "co", "di", "nu"]
    assert table["roll_calls"].tolist() == [3, 1, 1, 0, 0, 0]
    assert table["value"].tolist()[:3] == pytest.approx([2.5 / 3, 0.5, 0.0])
    assert table["value"].isna().tolist() == [False] * 3 + [True] * 3


def test_reingest_replaces_issue_codes(store: EventStore, tmp_path: Path) -> None:
    ingest_votes(store, TINY_VOTES, TINY_CALLS, TINY_ISSUES)
    first = _snapshot(store)
    assert ingest_votes(store, TINY_VOTES, TINY_CALLS, TINY_ISSUES).issues == 5
    assert _snapshot(store) == first
    ingest_votes(store, TINY_VOTES, TINY_CALLS)  # no issues file: the codes are kept
    assert _snapshot(store) == first
    fewer = tmp_path / "issues.csv"
    fewer.write_text("rcid,short_name,issue\n3,co,Colonialism\n")
    ingest_votes(store, TINY_VOTES, TINY_CALLS, fewer)
    # every roll call of the roll-calls file loses its old codes
    assert store.con.execute("SELECT * FROM roll_call_issues").fetchall() == [
        (3, "co", "Colonialism")
    ]


@pytest.mark.parametrize(
    ("issues_text", "message"),
    [
        ("rcid,short_name,issue\n1,hr,Human rights\n2,xx,What\n", "line 3: short_name 'xx' is not"),
        ("rcid,short_name,issue\n99,hr,Human rights\n", "line 2: rcid 99 is not a roll call"),
        ("rcid,short_name,issue\n1.5,hr,Human rights\n", "line 2: rcid '1.5' is not a whole"),
        (
            "rcid,short_name,issue\n1,hr,Human rights\n1,HR,Human rights\n",
            "line 3: roll call 1 has issue hr a second time",
        ),
        ("rcid,issue\n1,Human rights\n", "line 1: missing column short_name"),
    ],
)
def test_bad_issues_leave_the_store_unchanged(
    store: EventStore, tmp_path: Path, issues_text: str, message: str
) -> None:
    ingest_votes(store, TINY_VOTES, TINY_CALLS, TINY_ISSUES)
    before = _snapshot(store)
    bad = tmp_path / "bad_issues.csv"
    bad.write_text(issues_text)
    changed = tmp_path / "votes.csv"
    changed.write_text("rcid,country,country_code,vote\n3,United States,US,yes\n")
    with pytest.raises(InputError, match=f"bad_issues.csv {message}"):
        ingest_votes(store, changed, TINY_CALLS, bad)
    assert _snapshot(store) == before


# -- errors --------------------------------------------------------------------------------


# (the call, its second country and options, the error and what it says)
BAD_CALLS = [
    (vote_measure, "USA", {"measure": "tau"}, InputError,
     "measure 'tau' is not one of agreement, identical"),
    (vote_measure, "USA", {"by": "week"}, InputError,
     "by 'week' is not one of year, session, month, quarter"),
    (vote_measure, "USA", {"issue": "xx"}, InputError,
     r"issue 'xx' is not one of me \(Palestinian conflict\)"),
    (vote_measure, "USA", {"seed": -1}, InputError, "seed -1"),
    (vote_issues, "USA", {"measure": "tau"}, InputError, "measure 'tau'"),
    (vote_issues, "USA", {}, NotFoundError, "no issue codes"),
    (vote_measure, "DEU", {}, NotFoundError, "no UN votes of DEU"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "other", "options", "error", "message"), BAD_CALLS)
def test_bad_options_name_the_choices(
    store: EventStore, call, other: str, options: dict, error: type, message: str
) -> None:
    ingest_votes(store, TINY_VOTES, TINY_CALLS)
    with pytest.raises(error, match=message):
        call(store, "KHM", other, **options)


# -- command line --------------------------------------------------------------------------


def test_cli_agreement_by_session_and_issues(full_home: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(full_home)]
    shown = runner.invoke(
        app,
        [*home, "votes", "agreement", "KH", "US", "--measure", "kappa", "--by", "session",
         "--since", "2018-12-22", "--until", "2018-12-22", "-f", "csv"],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    lines = shown.output.strip().splitlines()
    assert lines[0] == "period,session,measure,roll_calls,value,ci_low,ci_high"
    period, session, measure, calls, value, _low, _high = lines[1].split(",")
    assert (period, session, measure, calls) == ("2018-01-01", "73", "kappa", "5")
    assert float(value) == pytest.approx(-1 / 3)
    day = ["--since", "2018-12-22", "--until", "2018-12-22", "-f", "csv"]
    old = runner.invoke(app, [*home, "votes", "agreement", "KHM", "USA", "--freq", "quarter", *day])
    assert old.output.strip().splitlines()[1].startswith("2018-10-01,,agreement,5,0.3")
    issues = runner.invoke(app, [*home, "votes", "issues", "KHM", "USA", *day])
    assert issues.exit_code == 0, issues.output
    rows = [line.split(",")[:4] for line in issues.output.strip().splitlines()[1:]]
    assert rows[:2] == [
        ["ec", "Economic development", "1", "0.5"],
        ["hr", "Human rights", "3", "0.0"],
    ]


def test_cli_bad_choice_is_one_clear_line(full_home: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c",
         "import tracktwo.cli._signals; from tracktwo.cli._app import main; main()",
         "--home", str(full_home), "votes", "agreement", "KHM", "USA", "--measure", "tau"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "Error: measure 'tau' is not one of agreement, identical, s-score, kappa"
    ]
