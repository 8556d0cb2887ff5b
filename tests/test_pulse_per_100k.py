"""``per_100k``: Cambodia-US events per 100,000 events of their ICEWS benchmark, checked
against hand arithmetic on the shipped files and icews_benchmarks_monthly_totals.csv.

The monthly totals used (from the shipped CSV): ICEWS18 2018-01 46,562, 2018-02 45,658,
2018-03 53,197; the yearly sums are ICEWS14 90,730, ICEWS18 468,558 (Jan-Oct), ICEWS21
326,354 and ICEWS22 345,341 (Jan-Aug), as the shared SOURCE.txt also says.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracktwo import InputError
from tracktwo.cli import app
from tracktwo.datasets import dataset_path
from tracktwo.events import ingest_file
from tracktwo.pulse import SERIES_COLUMNS, import_source_totals, pulse, source_totals
from tracktwo.store import EventStore

TOTALS = "icews_benchmarks_monthly_totals.csv"
FILES = [("icews_khm_extract.tsv", "icews05-15"), ("icews14_khm.tsv", "icews14"),
         ("icews18_khm.tsv", "icews18"), ("icews21_khm.tsv", "icews21"),
         ("icews22_khm.tsv", "icews22")]  # fmt: skip


@pytest.fixture(scope="module")
def rated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("per-100k")
    with EventStore(home, write=True) as store:
        for name, source in FILES:
            ingest_file(store, dataset_path(name), source=source)
        import_source_totals(store, dataset_path(TOTALS))
    return home


@pytest.fixture
def rated(rated_home: Path) -> Iterator[EventStore]:
    with EventStore(rated_home, read_only=True) as store:
        yield store


def _row(frame, series: str, period: date):  # type: ignore[no-untyped-def]
    rows = frame[(frame["series"] == series) & (frame["period"] == period)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_per_100k_is_a_series_column() -> None:
    assert "per_100k" in SERIES_COLUMNS


def test_march_2018_by_hand(rated: EventStore) -> None:
    # ICEWS18 Cambodia-US rows of March 2018 (9): 03-01 Foreign Affairs (US) provides
    # economic aid; 03-03 Head of Government (Cambodia) accuses Government (US), Hun Sen
    # accuses Foreign Affairs (US), the US threatens Cambodia; 03-04 and 03-14 the US aids
    # the CNRP (other: an opposition party); 03-17 Cambodia and the US reduce relations (2);
    # 03-29 Hun Sen accuses the US. Official 7, other 2; the month's total is 53,197.
    every = pulse(rated, "KHM", "USA", freq="month", by="none", signals=False,
                  since=date(2018, 3, 1), until=date(2018, 3, 31)).events  # fmt: skip
    march = _row(every, "all", date(2018, 3, 1))
    assert march["events"] == 9
    assert march["per_100k"] == pytest.approx(9 / 53197 * 100_000)  # 16.918
    tracks = pulse(rated, "KHM", "USA", freq="month", signals=False,
                   since=date(2018, 3, 1), until=date(2018, 3, 31)).events  # fmt: skip
    assert _row(tracks, "official", date(2018, 3, 1))["per_100k"] == pytest.approx(
        7 / 53197 * 100_000
    )
    assert _row(tracks, "other", date(2018, 3, 1))["per_100k"] == pytest.approx(2 / 53197 * 1e5)
    # no people-to-people event that month, but a denominator: a rate of 0, not NaN
    assert _row(tracks, "people", date(2018, 3, 1))["per_100k"] == 0.0


def test_a_quarter_sums_events_and_totals(rated: EventStore) -> None:
    # Q1 2018: January 4 rows, February 11 (10 with a Cambodian and a US name, plus an
    # opposition supporter suing Facebook, a US company), March 9 = 24 events over
    # 46,562 + 45,658 + 53,197 = 145,417
    quarters = pulse(rated, "KHM", "USA", freq="quarter", by="none", signals=False).events
    q1 = _row(quarters, "all", date(2018, 1, 1))
    assert q1["events"] == 24
    assert q1["per_100k"] == pytest.approx(24 / 145_417 * 100_000)


def test_yearly_rates_by_track(rated: EventStore) -> None:
    years = pulse(rated, "KHM", "USA", freq="year", signals=False)
    events = years.events
    # 2018: 32 official events of the 38 Cambodia-US rows (see test_pulse_tracks.py)
    assert _row(events, "official", date(2018, 1, 1))["per_100k"] == pytest.approx(
        32 / 468_558 * 100_000
    )
    assert _row(events, "official", date(2021, 1, 1))["per_100k"] == pytest.approx(
        26 / 326_354 * 100_000
    )
    assert _row(events, "official", date(2022, 1, 1))["per_100k"] == pytest.approx(
        33 / 345_341 * 100_000
    )
    # 2012 has events (17 official, from the 2005-2015 sample) but no source with totals
    official_2012 = _row(events, "official", date(2012, 1, 1))
    assert official_2012["events"] == 17 and math.isnan(official_2012["per_100k"])
    assert years.rate_sources == {
        date(2014, 1, 1): "icews14",
        date(2018, 1, 1): "icews18",
        date(2021, 1, 1): "icews21",
        date(2022, 1, 1): "icews22",
    }


def test_an_event_stored_from_another_file_counts_for_its_source(rated: EventStore) -> None:
    # Cambodia arresting "Men (United States)" on 2014-06-11 is in the 2005-2015 extract and
    # in ICEWS14. It is stored once, from the extract (ingested first), and is the one mixed
    # event of 2014: ICEWS14's rate still counts it, 1 / 90,730
    events = pulse(rated, "KHM", "USA", freq="year", signals=False).events
    mixed = _row(events, "mixed", date(2014, 1, 1))
    assert mixed["events"] == 1
    assert mixed["per_100k"] == pytest.approx(1 / 90_730 * 100_000)
    stored_from = rated.con.execute(
        "SELECT source_file FROM events WHERE actor2_name = 'Men (United States)' "
        "AND event_date = DATE '2014-06-11'"
    ).fetchall()
    assert stored_from == [("icews_khm_extract.tsv",)]


def test_the_source_with_the_largest_total_is_used(tmp_path: Path) -> None:
    # a made-up total of 1,000,000 for the 2005-2015 extract in June 2014 outweighs ICEWS14's
    # 90,730 for the year: 2014 is then rated by the extract, over its one month with a
    # total. The extract's Cambodia-US event of June 2014 is the mixed 06-11 arrest.
    extra = tmp_path / "extract_totals.csv"
    extra.write_text("source,month,total\nicews05-15,2014-06,1000000\n", encoding="utf-8")
    with EventStore(tmp_path / "h", write=True) as store:
        for name, source in FILES[:2]:
            ingest_file(store, dataset_path(name), source=source)
        import_source_totals(store, dataset_path(TOTALS))
        import_source_totals(store, extra)
        yearly = pulse(store, "KHM", "USA", freq="year", signals=False)
        monthly = pulse(store, "KHM", "USA", freq="month", signals=False,
                        since=date(2014, 6, 1), until=date(2014, 7, 31))  # fmt: skip
    assert yearly.rate_sources[date(2014, 1, 1)] == "icews05-15"
    assert _row(yearly.events, "mixed", date(2014, 1, 1))["per_100k"] == pytest.approx(0.1)
    assert _row(yearly.events, "official", date(2014, 1, 1))["per_100k"] == 0.0
    # month by month: June by the extract (1,000,000 > 7,648), July by ICEWS14
    assert monthly.rate_sources == {date(2014, 6, 1): "icews05-15", date(2014, 7, 1): "icews14"}


def test_without_totals_every_rate_is_nan(tmp_path: Path) -> None:
    with EventStore(tmp_path / "h", write=True) as store:
        ingest_file(store, dataset_path("icews18_khm.tsv"), source="icews18")
        result = pulse(store, "KHM", "USA", freq="year", signals=False)
    assert result.events["per_100k"].isna().all() and result.rate_sources == {}


# -- importing totals --------------------------------------------------------------------------


def test_import_reads_the_shipped_totals(tmp_path: Path) -> None:
    with EventStore(tmp_path / "h", write=True) as store:
        report = import_source_totals(store, dataset_path(TOTALS))
        again = import_source_totals(store, dataset_path(TOTALS))
        stored = source_totals(store)
    # 38 months: 12 (2014) + 10 (2018) + 8 (2021) + 8 (2022), counted in the CSV
    assert (report.rows, report.sources) == (38, ["icews14", "icews18", "icews21", "icews22"])
    assert (report.first_month, report.last_month) == (date(2014, 1, 1), date(2022, 8, 1))
    assert (again.rows_replaced, len(stored)) == (38, 38)
    march = stored[(stored["source"] == "icews18") & (stored["month"] == date(2018, 3, 1))]
    assert march["total"].tolist() == [53197]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("dataset,month,events_all_actors\nicews18,2018-13,5\n", "line 2: month '2018-13'"),
        ("dataset,month,events_all_actors\nicews18,2018-01,0\n", "line 2: total 0"),
        ("dataset,month,events_all_actors\nicews18,2018-01,5\nicews18,2018-01,6\n",
         "line 3: a second total for icews18 in 2018-01 (line 2)"),
        ("dataset,month,count\nicews18,2018-01,5\n", "missing column events_all_actors or total"),
        ("dataset,month,events_all_actors\nicews 18,2018-01,5\n", "line 2: source name"),
    ],
)  # fmt: skip
def test_bad_totals_are_refused_and_nothing_is_stored(
    tmp_path: Path, body: str, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(body, encoding="utf-8")
    with EventStore(tmp_path / "h", write=True) as store:
        import_source_totals(store, dataset_path(TOTALS))
        with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
            import_source_totals(store, bad)
        assert store.count("source_totals") == 38


def test_cli_totals_and_the_pulse_table(tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(tmp_path / "h")]
    ingested = runner.invoke(app, [*home, "events", "ingest", "--source", "icews18",
                                   str(dataset_path("icews18_khm.tsv"))])  # fmt: skip
    assert ingested.exit_code == 0, ingested.output
    stored = runner.invoke(app, [*home, "events", "totals", str(dataset_path(TOTALS)),
                                 "--format", "json"])  # fmt: skip
    assert stored.exit_code == 0, stored.output
    assert '"rows": 38' in stored.output
    shown = runner.invoke(app, [*home, "pulse", "KHM", "USA", "--freq", "month", "--by", "none",
                                "--since", "2018-03-01", "--until", "2018-03-31",
                                "--no-signals"])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "per_100k" in shown.output and "16.918" in shown.output  # 9 / 53,197 x 100,000
    assert "(icews18 2018-03)" in shown.output


def test_totals_of_a_source_never_ingested_give_no_rate(tmp_path: Path) -> None:
    # the 2005-2015 extract and ICEWS18 ingested, the totals of all four benchmarks imported:
    # 2014's one KHM-US event of the extract (awk: Cambodia arrests "Men (United States)",
    # 2014-06-11) has no ICEWS14 file behind it, so 2014 has no rate rather than a rate of 0;
    # 2018 keeps its 39 events (official 32, mixed 4, other 3) over ICEWS18's 468,558
    with EventStore(tmp_path, write=True) as store:
        ingest_file(store, dataset_path("icews_khm_extract.tsv"), source="icews05-15")
        ingest_file(store, dataset_path("icews18_khm.tsv"), source="icews18")
        import_source_totals(store, dataset_path(TOTALS))
        every = pulse(store, "KHM", "USA", freq="year", by="none", signals=False).events
    assert _row(every, "all", date(2014, 1, 1))["events"] == 1
    assert math.isnan(_row(every, "all", date(2014, 1, 1))["per_100k"])
    assert _row(every, "all", date(2018, 1, 1))["per_100k"] == pytest.approx(39 / 468558 * 1e5)
