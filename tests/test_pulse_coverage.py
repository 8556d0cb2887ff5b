"""Coverage totals: import of the GDELTtools layout and totals of fully covered periods,
checked by hand."""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path

import pytest
from _cli import run_ok

from tracktwo._errors import InputError, NotFoundError
from tracktwo.datasets import dataset_path
from tracktwo.pulse._coverage import coverage_totals, import_coverage
from tracktwo.store._duckdb import EventStore

DATA = Path(__file__).parent / "data"
MONTHLY = DATA / "coverage_tiny_monthly.csv"
DAILY = DATA / "coverage_tiny_daily.csv"


# `store`: a fresh event store per test, from conftest.py


def _rows(store: EventStore) -> list[tuple]:
    return store.con.execute("SELECT * FROM coverage ORDER BY ALL").fetchall()


def _records(frame) -> list[tuple[date, int]]:
    return [(row.period, int(row.total)) for row in frame.itertuples(index=False)]


def test_tiny_monthly_by_hand(store: EventStore) -> None:
    report = import_coverage(store, MONTHLY)
    assert (report.freq, report.rows, report.countries) == ("month", 9, 2)
    assert report.skipped_codes == {"OS": 1}  # an ocean, not a country
    stored = store.con.execute(
        "SELECT country, total FROM coverage WHERE period_start = DATE '2020-01-01' ORDER BY 1"
    ).fetchall()
    assert stored == [("KHM", 10), ("USA", 1000)]
    assert _records(coverage_totals(store, "KHM", "USA", "month")) == [
        (date(2020, 1, 1), 1010),
        (date(2020, 2, 1), 2020),
        (date(2020, 3, 1), 3000),  # only the US row: Cambodia's missing row counts as 0
        (date(2020, 4, 1), 4040),
        (date(2020, 5, 1), 50),
        (date(2020, 6, 1), 6000),
    ]
    # Q1 1010+2020+3000, Q2 4040+50+6000; 2020 has only 6 of 12 months, so no year
    assert _records(coverage_totals(store, "USA", "KHM", "quarter")) == [
        (date(2020, 1, 1), 6030),
        (date(2020, 4, 1), 10090),
    ]
    assert coverage_totals(store, "KHM", "USA", "year").empty


def test_quarter_needs_all_three_months(store: EventStore, tmp_path: Path) -> None:
    gap = tmp_path / "gap.csv"
    gap.write_text("month,country,total\n202001,CB,1\n202003,US,3\n")
    import_coverage(store, gap)
    assert _records(coverage_totals(store, "KHM", "USA", "month")) == [
        (date(2020, 1, 1), 1),
        (date(2020, 3, 1), 3),
    ]
    assert coverage_totals(store, "KHM", "USA", "quarter").empty


def test_daily_rows_make_only_complete_months(store: EventStore, tmp_path: Path) -> None:
    import_coverage(store, DAILY)  # 3 days of February and 1 of March: no complete month
    assert coverage_totals(store, "KHM", "USA", "month").empty
    leap = tmp_path / "daily.csv"
    days = calendar.monthrange(2020, 2)[1]
    lines = [f"202002{day:02d},US,{day}" for day in range(1, days + 1)]
    leap.write_text("day,country,total\n" + "\n".join(lines) + "\n")
    import_coverage(store, leap)
    # every day of February 2020 (29) now has a row: 1 + 2 + ... + 29 = 435; the tiny file's
    # 1 (CB, 1 Feb) is in the sum too, and its US rows were replaced by the new file's
    assert _records(coverage_totals(store, "KHM", "USA", "month")) == [(date(2020, 2, 1), 436)]


def test_monthly_rows_are_preferred_over_daily(store: EventStore) -> None:
    import_coverage(store, DAILY)
    import_coverage(store, MONTHLY)
    months = dict(_records(coverage_totals(store, "KHM", "USA", "month")))
    assert months[date(2020, 2, 1)] == 2020


def test_shipped_monthly_totals(store: EventStore) -> None:
    report = import_coverage(store, dataset_path("gdelt1_monthly_totals_khm_usa.csv"))
    assert (report.rows, report.countries, report.skipped_codes) == (830, 2, {})
    assert (report.first_period, report.last_period) == (date(1979, 1, 1), date(2013, 7, 1))
    months = dict(_records(coverage_totals(store, "KHM", "USA", "month")))
    # 201201: CB 2,770 + US 837,233 (read off the file)
    assert months[date(2012, 1, 1)] == 2770 + 837233
    quarters = dict(_records(coverage_totals(store, "KHM", "USA", "quarter")))
    # Q1 2012: CB 2,770 + 2,678 + 3,590 and US 837,233 + 1,165,762 + 1,238,851
    assert quarters[date(2012, 1, 1)] == 3250884
    years = dict(_records(coverage_totals(store, "KHM", "USA", "year")))
    assert years[date(2012, 1, 1)] == 12232321  # awk sum of the 2012 rows
    assert date(2013, 1, 1) not in years  # the file stops in July 2013


def test_reimport_is_idempotent(store: EventStore) -> None:
    import_coverage(store, MONTHLY)
    first = _rows(store)
    again = import_coverage(store, MONTHLY)
    assert again.rows_replaced == 9
    assert _rows(store) == first


@pytest.mark.parametrize(
    ("text", "freq", "message"),
    [
        ("month,country,total\n202001,CB,ten\n", None, "line 2: total 'ten' is not a whole"),
        ("month,country,total\n202013,CB,1\n", None, "line 2: month '202013' is not a month"),
        ("month,country,total\n202001,CB,-5\n", None, "line 2: total -5 is negative"),
        ("date,country,total\n202001,CB,1\n", None, "first column 'date' is not day"),
        ("month,country,total\n202001,CB,1\n", "day", "the first column is 'month'"),
        ("month,country\n202001,CB\n", None, "line 1: missing column total"),
        ("month,country,total\n202001,CB,1\n202001,CB,2\n", None, "line 3: a second total"),
        ("month,country,total\n202001,CB,1\n", "week", "coverage frequency 'week'"),
    ],
)
def test_bad_coverage_leaves_the_store_unchanged(
    store: EventStore, tmp_path: Path, text: str, freq: str | None, message: str
) -> None:
    import_coverage(store, MONTHLY)
    before = _rows(store)
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    with pytest.raises(InputError, match=message):
        import_coverage(store, bad, freq)
    assert _rows(store) == before


def test_freq_given_for_an_unnamed_column(store: EventStore, tmp_path: Path) -> None:
    named = tmp_path / "period.csv"
    named.write_text("period,country,total\n2020,CB,7\n")
    report = import_coverage(store, named, "year")
    assert report.freq == "year"
    assert _records(coverage_totals(store, "KHM", "USA", "year")) == [(date(2020, 1, 1), 7)]


def test_totals_need_data(store: EventStore) -> None:
    with pytest.raises(NotFoundError, match="coverage import"):
        coverage_totals(store, "KHM", "USA", "year")


def test_cli_import_and_totals(tmp_path: Path) -> None:
    assert run_ok(tmp_path, "coverage", "import", str(MONTHLY)) == [
        "Stored 9 month totals of 2 countries (2020-01-01 .. 2020-06-01); 0 replaced; "
        "skipped 1 rows of codes that are no country: OS."
    ]
    totals = run_ok(tmp_path, "coverage", "totals", "KHM", "USA", "--freq", "quarter", "-f", "csv")
    assert totals == [
        "period,total",
        "2020-01-01,6030",
        "2020-04-01,10090",
    ]
