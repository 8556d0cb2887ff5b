"""External per-day dyad scores: import (all-or-nothing, replace by name) and period means,
checked by hand and against the shipped GDELT file read with the csv module."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from tracktwo._errors import InputError, NotFoundError
from tracktwo.datasets import dataset_path
from tracktwo.pulse._periods import FREQS, period_start, validate_freq
from tracktwo.pulse._signals import import_signal, list_signals, signal_series
from tracktwo.store._duckdb import EventStore

DATA = Path(__file__).parent / "data"
TINY = DATA / "signals_tiny.csv"


# `store`: a fresh event store per test, from conftest.py


def _rows(store: EventStore) -> list[tuple]:
    return store.con.execute("SELECT * FROM signals ORDER BY ALL").fetchall()


# -- periods ----------------------------------------------------------------------------------


def test_period_start() -> None:
    assert FREQS == ("month", "quarter", "year")
    day = date(2019, 8, 17)
    assert period_start(day, "month") == date(2019, 8, 1)
    assert period_start(day, "quarter") == date(2019, 7, 1)
    assert period_start(date(2019, 12, 31), "quarter") == date(2019, 10, 1)
    assert period_start(day, "year") == date(2019, 1, 1)
    assert validate_freq(" Quarter ") == "quarter"
    with pytest.raises(InputError, match="frequency 'week' is not one of month, quarter, year"):
        period_start(day, "week")


# -- hand-made file ---------------------------------------------------------------------------


def test_tiny_signal_by_hand(store: EventStore) -> None:
    report = import_signal(store, TINY)
    assert (report.name, report.rows, report.pairs) == ("signals_tiny", 5, 2)
    assert (report.first_date, report.last_date) == (date(2020, 1, 5), date(2020, 2, 1))
    frame = signal_series(store, "USA", "KHM")
    # January: 5th 2.0; 6th has USA-KHM -1.0 and KHM-USA 3.0 -> that day 1.0; mean (2+1)/2
    # February: one day, 4.5. The KHM-CHN row belongs to another pair.
    assert frame.to_dict("records") == [
        {"name": "signals_tiny", "period": date(2020, 1, 1), "days": 2, "value": 1.5},
        {"name": "signals_tiny", "period": date(2020, 2, 1), "days": 1, "value": 4.5},
    ]
    yearly = signal_series(store, "KHM", "USA", freq="year")
    assert yearly[["days", "value"]].values.tolist() == [[3, pytest.approx((2 + 1 + 4.5) / 3)]]


def test_since_until_and_name(store: EventStore) -> None:
    import_signal(store, TINY, name="tone")
    frame = signal_series(store, "KHM", "USA", name="tone", since=date(2020, 1, 6))
    assert frame[["period", "days", "value"]].values.tolist() == [
        [date(2020, 1, 1), 1, 1.0],
        [date(2020, 2, 1), 1, 4.5],
    ]
    with pytest.raises(NotFoundError, match="no signal named 'other'"):
        signal_series(store, "KHM", "USA", name="other")


def test_reimport_replaces_the_named_signal(store: EventStore, tmp_path: Path) -> None:
    import_signal(store, TINY, name="tone")
    first = _rows(store)
    again = import_signal(store, TINY, name="tone")
    assert again.rows_replaced == 5
    assert _rows(store) == first
    smaller = tmp_path / "smaller.csv"
    smaller.write_text("date,country1,country2,tone\n2021-03-04,KH,US,7\n")
    import_signal(store, smaller, name="tone")
    assert _rows(store) == [("tone", date(2021, 3, 4), "KHM", "USA", 7.0, "smaller.csv")]


def test_list_signals(store: EventStore) -> None:
    import_signal(store, TINY)
    import_signal(store, TINY, name="again")
    listed = list_signals(store).to_dict("records")
    assert listed == [
        {
            "name": "again",
            "pairs": 2,
            "first_date": date(2020, 1, 5),
            "last_date": date(2020, 2, 1),
            "rows": 5,
        },
        {
            "name": "signals_tiny",
            "pairs": 2,
            "first_date": date(2020, 1, 5),
            "last_date": date(2020, 2, 1),
            "rows": 5,
        },
    ]


# -- the shipped GDELT 2.0 daily edge scores --------------------------------------------------


def _file_month(path: Path, prefix: str) -> list[float]:
    with path.open(newline="") as handle:
        return [
            float(row["edge_score"]) for row in csv.DictReader(handle) if row["date"][:6] == prefix
        ]


def test_shipped_gdelt_monthly_means(store: EventStore) -> None:
    path = dataset_path("gdelt_khm_usa_daily.csv")
    report = import_signal(store, path)
    assert (report.rows, report.pairs) == (1620, 1)
    frame = signal_series(store, "KHM", "USA", since=date(2018, 1, 1), until=date(2020, 12, 31))
    by_month = {row.period: row for row in frame.itertuples(index=False)}
    for prefix, month in (("201801", date(2018, 1, 1)), ("202006", date(2020, 6, 1))):
        values = _file_month(path, prefix)
        assert by_month[month].days == len(values)
        assert by_month[month].value == pytest.approx(sum(values) / len(values))
    # the file has 27 KHM-USA days in January 2018 (read off with grep)
    assert by_month[date(2018, 1, 1)].days == 27


def test_shipped_gdelt_overall_days(store: EventStore) -> None:
    import_signal(store, dataset_path("gdelt_khm_usa_daily.csv"))
    frame = signal_series(store, "KHM", "USA", freq="year")
    assert int(frame["days"].sum()) == 1620
    # SOURCE.txt: KHM-USA edge mean 9.58 over all days
    overall = (frame["days"] * frame["value"]).sum() / frame["days"].sum()
    assert overall == pytest.approx(9.58, abs=0.005)


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,country1,country2,v\n2020-01-01,KHM,USA,x\n", "line 2: v 'x' is not a number"),
        ("date,country1,country2,v\n2020-13-01,KHM,USA,1\n", "line 2: date '2020-13-01' is not"),
        ("date,country1,country2,v\n2020-01-01,KHM,ZZZ,1\n", "line 2: country2 'ZZZ' is not"),
        ("date,country1,country2\n2020-01-01,KHM,USA\n", "line 1: the header must be"),
        ("day,a,b,v\n2020-01-01,KHM,USA,1\n", "line 1: the header must be"),
        ("date,country1,country2,v\n2020-01-01,KHM,USA\n", "line 2: 3 fields, the header has 4"),
        ("date,country1,country2,v\n", "no data rows"),
        ("", "the header must be"),
        (
            "date,country1,country2,v\n20200101,KHM,USA,1\n2020-01-01,KHM,USA,2\n",
            "line 3: a second v for KHM-USA on 2020-01-01",
        ),
    ],
)
def test_bad_signal_leaves_the_store_unchanged(
    store: EventStore, tmp_path: Path, text: str, message: str
) -> None:
    import_signal(store, TINY, name="bad")
    before = _rows(store)
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    with pytest.raises(InputError, match=message):
        import_signal(store, bad)
    # the same name: a failed re-import must not have deleted the stored signal
    with pytest.raises(InputError):
        import_signal(store, bad, name="bad")
    assert _rows(store) == before


def test_series_argument_errors(store: EventStore) -> None:
    with pytest.raises(InputError, match="frequency"):
        signal_series(store, "KHM", "USA", freq="weekly")
    with pytest.raises(InputError, match="before"):
        signal_series(store, "KHM", "USA", since=date(2020, 2, 1), until=date(2020, 1, 1))
    assert signal_series(store, "KHM", "USA").empty


# -- command line -----------------------------------------------------------------------------


def test_cli_import_list_and_series(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import tracktwo.cli._signals  # noqa: F401  (registers the commands)
    from tracktwo.cli._app import app

    runner = CliRunner()
    home = ["--home", str(tmp_path)]
    imported = runner.invoke(app, [*home, "signals", "import", str(TINY), "--name", "tone"])
    assert imported.exit_code == 0, imported.output
    assert imported.output.strip().splitlines() == [
        "Stored signal 'tone': 5 days for 2 pair(s), 2020-01-05 .. 2020-02-01; 0 rows replaced."
    ]
    listed = runner.invoke(app, [*home, "signals", "list", "--format", "csv"])
    assert listed.output.strip().splitlines() == [
        "name,pairs,first_date,last_date,rows",
        "tone,2,2020-01-05,2020-02-01,5",
    ]
    series = runner.invoke(app, [*home, "signals", "series", "KHM", "USA", "--format", "json"])
    assert series.exit_code == 0, series.output
    assert '"value": 1.5' in series.output and '"days": 2' in series.output
