"""Tests for tracktwo.events._export and ``tracktwo events export``: a real store built from the
GDELT 1.0 fixture (tests/data/gdelt_v1_sample.tsv, 710 rows, every one stored: see its
SOURCE.txt), exported to Parquet, Arrow and CSV.

The expected rows are picked from the raw file with the csv module and the codebook's field
positions (GLOBALEVENTID 0, SQLDATE 1, Actor1CountryCode 7, Actor2CountryCode 17), never read
back from the export code.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tracktwo import InputError
from tracktwo.events import event_export_format, export_events, ingest_file
from tracktwo.store import EVENT_COLUMNS, EventStore

SAMPLE = Path(__file__).parent / "data" / "gdelt_v1_sample.tsv"
ID, SQLDATE, COUNTRY1, COUNTRY2 = 0, 1, 7, 17
COLUMNS = [name for name, _, _ in EVENT_COLUMNS]


def raw_rows() -> list[list[str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def expected_uids(
    pairs: set[tuple[str, str]] | None = None, since: str = "", until: str = "99999999"
) -> set[str]:
    """The uids of the raw rows between two days (YYYYMMDD, included) whose two countries
    are one of ``pairs`` in either order (None: any)."""
    wanted = None if pairs is None else pairs | {(b, a) for a, b in pairs}
    return {
        f"gdelt:{f[ID]}"
        for f in raw_rows()
        if since <= f[SQLDATE] <= until and (wanted is None or (f[COUNTRY1], f[COUNTRY2]) in wanted)
    }


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export-home")
    with EventStore(folder, write=True) as store:
        assert ingest_file(store, SAMPLE).rows_added == 710
    return folder


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_fixture_counts_worked_out_from_the_raw_file() -> None:
    # the figures the tests below rely on, counted here once from the raw file
    assert len(raw_rows()) == 710
    assert len(expected_uids({("ISR", "USA")})) == 4
    assert len(expected_uids({("ISR", "USA"), ("CHN", "USA")})) == 7


def test_everything_exported_without_filters(home: Path, tmp_path: Path) -> None:
    with EventStore(home, read_only=True) as store:
        done = export_events(store, tmp_path / "all.parquet")
    table = pq.read_table(done.path)
    assert (done.rows, done.fmt, table.num_rows) == (710, "parquet", 710)
    assert table.column_names == COLUMNS
    assert set(table["event_uid"].to_pylist()) == expected_uids()


def test_dyads_both_directions_and_dates(home: Path, tmp_path: Path) -> None:
    pairs = {("ISR", "USA"), ("CHN", "USA")}
    with EventStore(home, read_only=True) as store:
        both = export_events(store, tmp_path / "d.csv", dyads=[("USA", "ISR"), ("CHN", "USA")])
        dated = export_events(store, tmp_path / "r.csv", since=date(2016, 1, 1),
                              until=date(2016, 7, 27))  # fmt: skip
        one_day = export_events(store, tmp_path / "o.csv", since=date(2016, 7, 28),
                                until=date(2016, 7, 28), dyads=[("USA", "USA")])  # fmt: skip
    assert both.rows == 7
    assert {r["event_uid"] for r in read_csv_rows(both.path)} == expected_uids(pairs)
    assert {r["event_uid"] for r in read_csv_rows(dated.path)} == expected_uids(
        since="20160101", until="20160727"
    )
    same_day = expected_uids({("USA", "USA")}, since="20160728", until="20160728")
    assert {r["event_uid"] for r in read_csv_rows(one_day.path)} == same_day
    assert one_day.rows == len(same_day) > 0


def test_three_formats_hold_the_same_rows(home: Path, tmp_path: Path) -> None:
    dyads = [("ISR", "USA"), ("CHN", "USA")]
    with EventStore(home, read_only=True) as store:
        written = {
            suffix: export_events(store, tmp_path / f"e{suffix}", dyads=dyads)
            for suffix in (".parquet", ".arrow", ".csv")
        }
    parquet = pq.read_table(written[".parquet"].path)
    with pa.OSFile(str(written[".arrow"].path)) as source:
        arrow = pa.ipc.open_file(source).read_all()
    assert parquet.equals(arrow)
    rows = read_csv_rows(written[".csv"].path)
    assert list(rows[0]) == COLUMNS and len(rows) == parquet.num_rows == 7
    # the CSV says each value as text: compare with the Parquet rows cell by cell
    for text_row, typed in zip(rows, parquet.to_pylist(), strict=True):
        assert text_row["event_uid"] == typed["event_uid"]
        assert text_row["event_date"] == typed["event_date"].isoformat()
        assert text_row["date_added"] == typed["date_added"].strftime("%Y-%m-%d %H:%M:%S")
        assert float(text_row["goldstein"]) == typed["goldstein"]
        assert text_row["is_reemission"] == str(typed["is_reemission"]).lower()
        assert text_row["source_url"] == (typed["source_url"] or "")
    # one raw row checked against the file by hand: GLOBALEVENTID 1553239, ISR -> USA
    first = {r["event_uid"]: r for r in rows}["gdelt:1553239"]
    assert (first["event_date"], first["actor1_country"], first["actor2_country"]) == (
        "1982-01-02", "ISR", "USA",
    )  # fmt: skip


def test_empty_export_keeps_the_columns(home: Path, tmp_path: Path) -> None:
    with EventStore(home, read_only=True) as store:
        csv_done = export_events(store, tmp_path / "none.csv", dyads=[("KHM", "USA")])
        pq_done = export_events(store, tmp_path / "none.parquet", dyads=[("KHM", "USA")])
    assert csv_done.rows == pq_done.rows == 0
    with csv_done.path.open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == [COLUMNS]  # a header, no row
    table = pq.read_table(pq_done.path)
    assert (table.num_rows, table.column_names) == (0, COLUMNS)


def test_progress_reported_batch_by_batch(home: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    with EventStore(home, read_only=True) as store:
        export_events(store, tmp_path / "p.arrow", batch_rows=100,
                      on_progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    # 710 rows in batches of at most 100: the counts grow to 710, the total is always 710
    assert {total for _, total in seen} == {710}
    assert seen[-1][0] == 710 and [d for d, _ in seen] == sorted({d for d, _ in seen})
    assert len(seen) >= 8


def test_failed_export_leaves_nothing_half_written(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "events.parquet"
    target.parent.mkdir()
    target.write_bytes(b"the previous export")

    def fail(done: int, total: int) -> None:
        if done >= 200:
            raise RuntimeError("disk full")

    with EventStore(home, read_only=True) as store, pytest.raises(RuntimeError, match="disk"):
        export_events(store, target, batch_rows=100, on_progress=fail)
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in target.parent.iterdir()) == ["events.parquet"]


@pytest.mark.parametrize("name", ["events.xlsx", "events", "events.parquet.gz"])
def test_unknown_suffix_names_the_option(name: str) -> None:
    with pytest.raises(InputError, match=r"--to .*write a file ending in .parquet, .arrow, .csv"):
        event_export_format(name)
    assert event_export_format("E.PARQUET") == "parquet"


COMMAND = [sys.executable, "-c", "from tracktwo.cli import main; main()"]


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, "--home", str(home), "events", "export", *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_command_writes_the_file_and_says_how_many(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "isr.csv"
    done = run(home, "--dyad", "isr-usa", "--since", "1982-01-01", "--to", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # the data went to the file, the message to stderr
    assert f"Exported 4 event(s) to {out} (csv)." in done.stderr
    assert {r["event_uid"] for r in read_csv_rows(out)} == expected_uids({("ISR", "USA")})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "x.xlsx"], "--to 'x.xlsx': suffix '.xlsx'"),
        (["--to", "x.csv", "--dyad", "KHM-XXX"], "--dyad 'KHM-XXX': unknown country 'XXX'"),
        (["--to", "x.csv", "--since", "2020-01-01", "--until", "2019-12-31"],
         "--since 2020-01-01 is after --until 2019-12-31"),
    ],
)  # fmt: skip
def test_command_bad_options(home: Path, tmp_path: Path, args: list[str], message: str) -> None:
    done = subprocess.run([*COMMAND, "--home", str(home), "events", "export", *args],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and message in done.stderr
    assert "Traceback" not in done.stderr and not list(tmp_path.iterdir())
