"""Event files judged by their content: packaging from the first bytes, not the name
(issue 11, defect 9), and lines holding control characters quarantined, never stored
(issue 11, the NUL risk).

The inputs are the real GDELT 1.0 sample and ICEWS extract of tests/data (see their SOURCE
files) with single bytes edited by hand; expected values are counted from the raw files
with plain string rules written here (UTF-8, LF- or CRLF-separated, TAB-separated).
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from tracktwo.events import ingest_file
from tracktwo.store import EventStore
from tracktwo.store._schema import EVENT_COLUMNS

DATA = Path(__file__).parent / "data"
GDELT = DATA / "gdelt_v1_sample.tsv"  # 509 rows of 58 fields, then 201 rows of 57
ICEWS = DATA / "icews_khm_extract.tsv"  # a header and 1,376 rows, CRLF line ends
ACTOR1_NAME, SOURCE_URL = 6, 57  # 0-based GDELT 1.0 positions (codebook)
COMPARED = ", ".join(name for name, _, _ in EVENT_COLUMNS if name != "source_file")


def gdelt_lines() -> list[str]:
    return [line for line in GDELT.read_bytes().decode("utf-8").split("\n") if line]


def icews_lines() -> list[str]:
    """The extract's lines without their CRLF ends (line 1 is the header)."""
    text = ICEWS.read_bytes().decode("utf-8")
    return [line.removesuffix("\r") for line in text.split("\n") if line]


def write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_bytes("".join(line + end for line in lines).encode("utf-8"))
    return path


def edit_field(line: str, position: int, value: str) -> str:
    fields = line.split("\t")
    fields[position] = value
    return "\t".join(fields)


def ingested(home: Path, path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """(every stored event row but source_file, every quarantine row) after ingesting
    ``path`` into a fresh store in ``home``."""
    with EventStore(home, write=True) as store:
        ingest_file(store, path)
        rows = store.con.execute(f"SELECT {COMPARED} FROM events ORDER BY event_uid").fetchall()
        bad = store.con.execute(
            "SELECT source_file, line, reason, raw FROM quarantine ORDER BY line"
        ).fetchall()
    return rows, bad


@pytest.fixture(scope="module")
def plain_gdelt(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[object, ...]]:
    rows, bad = ingested(tmp_path_factory.mktemp("plain"), GDELT)
    assert (len(rows), bad) == (710, [])
    return rows


# -- defect 9: the packaging is read from the first bytes ----------------------------------


def _as_named(kind: str, folder: Path) -> Path:
    """The sample packaged as ``kind`` under a name that says something else."""
    if kind == "plain named .gz":
        target = folder / "fake.gz"
        target.write_bytes(GDELT.read_bytes())
    elif kind == "gzip named .tsv":
        target = folder / "really-gzip.tsv"
        target.write_bytes(gzip.compress(GDELT.read_bytes()))
    elif kind == "zip named .csv":
        target = folder / "really-zip.csv"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(GDELT, arcname="gdelt_v1_sample.tsv")
    else:  # plain named .zip
        target = folder / "fake.zip"
        target.write_bytes(GDELT.read_bytes())
    return target


@pytest.mark.parametrize(
    "kind", ["plain named .gz", "gzip named .tsv", "zip named .csv", "plain named .zip"]
)
def test_packaging_is_read_from_the_content_not_the_name(
    kind: str, tmp_path: Path, plain_gdelt: list[tuple[object, ...]]
) -> None:
    path = _as_named(kind, tmp_path)
    rows, bad = ingested(tmp_path / "home", path)
    assert rows == plain_gdelt  # the same 710 events, field for field
    assert bad == []
    with EventStore(tmp_path / "home", write=True) as store:
        files = store.con.execute("SELECT DISTINCT source_file FROM events").fetchall()
    assert files == [(path.name,)]


def test_icews_gzip_named_tsv_reads_like_the_plain_file(tmp_path: Path) -> None:
    disguised = tmp_path / "icews.tsv"
    disguised.write_bytes(gzip.compress(ICEWS.read_bytes()))
    plain_rows, _ = ingested(tmp_path / "plain", ICEWS)
    rows, bad = ingested(tmp_path / "home", disguised)
    assert len(rows) == len(icews_lines()) - 1 == 1376
    assert (rows, bad) == (plain_rows, [])


# -- control characters: the line goes to quarantine with its number -------------------------


def test_nul_inside_an_event_field_is_quarantined_with_its_line(tmp_path: Path) -> None:
    lines = gdelt_lines()
    assert lines[2].split("\t")[ACTOR1_NAME] == "IOWA"
    lines[2] = edit_field(lines[2], ACTOR1_NAME, "IO\x00WA")  # line 3
    rows, bad = ingested(tmp_path / "home", write(tmp_path / "nul.tsv", lines))

    assert bad == [
        (
            "nul.tsv",
            3,
            "field Actor1Name: control character U+0000 (NUL)",
            lines[2].replace("\x00", "\\x00"),  # shown, never stored as the byte
        )
    ]
    stored = {row[0] for row in rows}
    assert len(stored) == 709
    assert "gdelt:" + lines[2].split("\t")[0] not in stored
    assert not any("\x00" in str(value) for row in rows for value in row)


@pytest.mark.parametrize(
    ("line", "position", "value", "reason"),
    [
        (5, SOURCE_URL, "https://x.example/\x1b[2J",
         "field SOURCEURL: control character U+001B (ESC)"),
        (9, 2, "2013\x7f04", "field MonthYear: control character U+007F (DEL)"),
        (40, 6, "CAMB\rODIA", "field Actor1Name: control character U+000D (CR)"),
        (41, 16, "X\x0bY", "field Actor2Name: control character U+000B (VT)"),
        (600, 6, "AMER\x08ICAN", "field Actor1Name: control character U+0008 (BS)"),  # 57 fields
        (700, 56, "20130\x1f402", "field DATEADDED: control character U+001F"),
    ],
)  # fmt: skip
def test_every_control_character_but_tab_is_quarantined(
    line: int, position: int, value: str, reason: str, tmp_path: Path
) -> None:
    lines = gdelt_lines()
    lines[line - 1] = edit_field(lines[line - 1], position, value)
    rows, bad = ingested(tmp_path / "home", write(tmp_path / "ctl.tsv", lines))
    assert [(number, why) for _, number, why, _ in bad] == [(line, reason)]
    assert len(rows) == 709


def test_crlf_line_ends_are_line_ends(
    tmp_path: Path, plain_gdelt: list[tuple[object, ...]]
) -> None:
    rows, bad = ingested(tmp_path / "home", write(tmp_path / "crlf.tsv", gdelt_lines(), "\r\n"))
    assert (rows, bad) == (plain_gdelt, [])  # no value keeps a CR


def test_quarantine_lines_stay_right_after_a_control_line_with_crlf(tmp_path: Path) -> None:
    lines = gdelt_lines()
    lines[1] = edit_field(lines[1], ACTOR1_NAME, "CAB\x00INET")  # line 2
    lines[9] = edit_field(lines[9], 1, "2013x0401")  # line 10: a date DuckDB cannot read
    rows, bad = ingested(tmp_path / "home", write(tmp_path / "both.tsv", lines, "\r\n"))
    assert [(number, why) for _, number, why, _ in bad] == [
        (2, "field Actor1Name: control character U+0000 (NUL)"),
        (10, "field SQLDATE: cannot read '2013x0401' as a YYYYMMDD date"),
    ]
    assert len(rows) == 708


def test_report_counts_a_quarantined_control_line(tmp_path: Path) -> None:
    lines = gdelt_lines()
    lines[0] = edit_field(lines[0], ACTOR1_NAME, "UNITED\x00STATES")  # even the first line
    with EventStore(tmp_path / "home", write=True) as store:
        report = ingest_file(store, write(tmp_path / "first.tsv", lines))
    assert (report.source_format, report.rows_read, report.rows_added) == ("gdelt1", 710, 709)
    assert report.rows_quarantined == 1


def test_gdelt2_row_with_a_nul_is_quarantined(
    tmp_path: Path, write_gdelt2, store: EventStore
) -> None:
    from conftest import gdelt2_line

    good = gdelt2_line(1, "20240101", ("KHMGOV", "KHM", "GOV"), ("USAGOV", "USA", "GOV"), "036")
    bad = gdelt2_line(2, "20240101", ("KHM\x00GOV", "KHM", "GOV"), ("USA", "USA", ""), "036")
    report = ingest_file(store, write_gdelt2("g2.tsv", [good, bad]))
    assert (report.source_format, report.rows_added, report.rows_quarantined) == ("gdelt2", 1, 1)
    assert store.con.execute("SELECT line, reason FROM quarantine").fetchall() == [
        (2, "field Actor1Code: control character U+0000 (NUL)")
    ]


def test_icews_row_with_a_nul_is_quarantined_with_its_line(tmp_path: Path) -> None:
    lines = icews_lines()
    assert lines[2].split("\t")[2] == "Cambodia"
    lines[2] = edit_field(lines[2], 2, "Camb\x00odia")  # line 3, the target actor
    lines[9] = edit_field(lines[9], 0, "Chi\x1bna")  # line 10, the source actor
    rows, bad = ingested(tmp_path / "home", write(tmp_path / "icews.tsv", lines, "\r\n"))
    assert [(number, why) for _, number, why, _ in bad] == [
        (3, "field target_actor: control character U+0000 (NUL)"),
        (10, "field source_actor: control character U+001B (ESC)"),
    ]
    assert bad[0][3] == lines[2].replace("\x00", "\\x00")
    assert len(rows) == 1376 - 2
    assert not any("\x00" in str(value) or "\x1b" in str(value) for row in rows for value in row)


# -- the CSV imports (votes, signals, coverage) go by the content too ---------------------


def _votes_and_calls(home: Path, votes: Path, calls: Path) -> tuple[list[tuple], list[tuple]]:
    from tracktwo.pulse import ingest_votes

    with EventStore(home, write=True) as store:
        ingest_votes(store, votes, calls)
        return (
            store.con.execute("SELECT * FROM votes ORDER BY ALL").fetchall(),
            store.con.execute("SELECT * FROM roll_calls ORDER BY ALL").fetchall(),
        )


def test_votes_zip_named_csv_and_plain_named_gz_read_like_the_plain_files(
    tmp_path: Path,
) -> None:
    votes, calls = DATA / "votes_tiny_votes.csv", DATA / "votes_tiny_roll_calls.csv"
    zipped = tmp_path / "votes.csv"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(votes, arcname="votes.csv")
    plain_gz = tmp_path / "calls.csv.gz"
    plain_gz.write_bytes(calls.read_bytes())
    expected = _votes_and_calls(tmp_path / "plain", votes, calls)
    assert (len(expected[0]), len(expected[1])) == (11, 5)  # the files' lines after the header
    assert _votes_and_calls(tmp_path / "home", zipped, plain_gz) == expected
