"""The vectorised ICEWS reader (issue 17): files read from their path in batches, the rules
that Python's own string functions used to apply (casefold, strip, csv quoting), bad bytes.

Expected values are worked out here by hand or with plain Python (hashlib over the raw
fields, split on TAB), never read back from the reader.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

import tracktwo.events._icews_lines as icews_lines
from tracktwo._errors import FileFormatError
from tracktwo.events import ingest_file
from tracktwo.events._icews import read_icews, read_icews_batches
from tracktwo.events._quarantine import QuarantinedRow
from tracktwo.store import EventStore

EXTRACT = Path(__file__).parent / "data" / "icews_khm_extract.tsv"
KG_HEADER = "source_actor\tcameo_event_text\ttarget_actor\tdate"
DATAVERSE_NAMES = [
    "Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country",
    "Event Text", "CAMEO Code", "Intensity", "Target Name", "Target Sectors",
    "Target Country", "Story ID", "Sentence Number", "Publisher", "City", "District",
    "Province", "Country", "Latitude", "Longitude",
]  # fmt: skip


def _uid(text: str) -> str:
    return "icews:" + hashlib.sha1(text.encode("utf-8")).hexdigest()


def _write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_bytes((end.join(lines) + end).encode("utf-8"))
    return path


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of ~2 KB (about 40 rows), so that a small file spans many of them."""
    monkeypatch.setattr(icews_lines, "BATCH_BYTES", 2048)
    monkeypatch.setattr(icews_lines, "BATCH_LINES", 7)


def _extract_keys() -> list[str]:
    """Every row's key by the documented rule, from the raw file split by hand."""
    rows = [
        line.split("\t") for line in EXTRACT.read_bytes().decode("utf-8").split("\r\n")[1:] if line
    ]
    return [_uid("|".join(part.strip().casefold() for part in row[:4])) for row in rows]


# -- the path route ------------------------------------------------------------------------------


def test_the_extract_read_from_its_path_has_every_key(small_batches: None) -> None:
    table, bad = read_icews(EXTRACT, source_file=EXTRACT.name)
    assert bad == []
    assert table.column("event_uid").to_pylist() == _extract_keys()
    # 1,376 rows of ~75 bytes in batches of 2 KB: many batches, read in file order
    batches = list(read_icews_batches(EXTRACT, source_file=EXTRACT.name))
    assert len(batches) > 40
    assert sum(batch.num_rows for batch, _ in batches) == 1376


def test_line_numbers_hold_across_batches(tmp_path: Path, small_batches: None) -> None:
    good = "Cambodia\tConsult\tThailand\t2011-08-10"
    lines = [KG_HEADER] + [good] * 300
    lines[57] = "Cambodia\tConsult\tThailand"  # line 58
    lines[150] = ""  # line 151: blank, skipped, its number used up
    lines[151] = "Laos\tDance wildly\tCambodia\t2010-01-02"  # line 152
    lines[299] = "Vietnam\tHost a visit\tCambodia\t2009-13-45"  # line 300
    path = _write(tmp_path / "spread.tsv", lines, "\r\n")
    table, bad = read_icews(path, source_file="spread.tsv")
    assert [(row.line, row.reason) for row in bad] == [
        (58, "expected 4 or 5 tab-separated fields, found 3"),
        (152, "event text 'Dance wildly' has no CAMEO code"),
        (300, "date '2009-13-45' is not YYYY-MM-DD"),
    ]
    assert table.num_rows == 301 - 1 - 3 - 1


def test_a_byte_that_is_not_utf8_names_its_line(tmp_path: Path, small_batches: None) -> None:
    good = b"Cambodia\tConsult\tThailand\t2011-08-10\n"
    path = tmp_path / "latin1.tsv"
    path.write_bytes(KG_HEADER.encode() + b"\n" + good * 99 + b"Phnom P\xe9nh\tConsult\tX\t2011\n")
    with pytest.raises(FileFormatError, match=r"latin1\.tsv: not UTF-8 text \(line 101\)"):
        read_icews(path, source_file="latin1.tsv")
    home = tmp_path / "home"
    with EventStore(home, write=True) as store:
        with pytest.raises(FileFormatError, match=r"not UTF-8 text \(line 101\)"):
            ingest_file(store, path)
        assert store.count("events") == 0
        assert store.con.execute("SELECT count(*) FROM ingested_files").fetchone() == (0,)


def test_a_bad_header_is_refused_from_a_path(tmp_path: Path) -> None:
    path = _write(tmp_path / "rows.tsv", ["Cambodia\tConsult\tThailand\t2011-08-10"])
    with pytest.raises(FileFormatError, match=r"rows\.tsv: not an ICEWS header"):
        read_icews(path, source_file="rows.tsv")
    blank_first = _write(tmp_path / "late.tsv", ["", KG_HEADER])  # the header must be line 1
    with pytest.raises(FileFormatError, match="not an ICEWS header"):
        read_icews(blank_first, source_file="late.tsv")
    (tmp_path / "empty.tsv").write_bytes(b"\n \n")
    with pytest.raises(FileFormatError, match="empty file"):
        read_icews(tmp_path / "empty.tsv", source_file="empty.tsv")


def test_ingest_streams_the_batches_into_the_store(tmp_path: Path, small_batches: None) -> None:
    lines = EXTRACT.read_bytes().decode("utf-8").split("\r\n")[:-1]
    lines.insert(500, "Cambodia\tConsult\tThailand")  # line 501 of the copy
    path = _write(tmp_path / "extract.tsv", lines, "\r\n")
    with EventStore(tmp_path / "home", write=True) as store:
        report = ingest_file(store, path)
        quarantine = store.con.execute("SELECT line, reason FROM quarantine").fetchall()
        uids = {row[0] for row in store.con.execute("SELECT event_uid FROM events").fetchall()}
    assert (report.rows_read, report.rows_quarantined) == (1377, 1)
    assert quarantine == [(501, "expected 4 or 5 tab-separated fields, found 3")]
    # the extract's rows are all distinct events
    assert uids == set(_extract_keys())
    assert report.rows_added == 1376


# -- text rules that Python's str methods applied ------------------------------------------------


def test_non_ascii_names_are_casefolded_as_python_does(tmp_path: Path) -> None:
    lines = [
        KG_HEADER,
        "Straße (Germany)\tConsult\tCambodia\t2010-01-02",
        "STRASSE (GERMANY)\tCONSULT\tCambodia\t2010-01-02",
        "Xinjiang\u00a0Uyghur\tConsult\tCambodia\t2010-01-03",
    ]
    table, bad = read_icews(_write(tmp_path / "fold.tsv", lines), source_file="fold.tsv")
    assert bad == []
    rows = table.to_pylist()
    # casefold turns ß into ss (lower() would keep it): both rows are one event
    expected = _uid("strasse (germany)|consult|cambodia|2010-01-02")
    assert rows[0]["event_uid"] == rows[1]["event_uid"] == expected
    # "Straße" is no sector: Germany without a type, stored as written
    assert (rows[0]["actor1_name"], rows[0]["actor1_country"], rows[0]["actor1_code"]) == (
        "Straße (Germany)",
        "DEU",
        "DEU",
    )
    # the no-break space is whitespace to the name map (CHN, LOC) but kept in the key
    assert (rows[2]["actor1_country"], rows[2]["actor1_type1"]) == ("CHN", "LOC")
    assert rows[2]["event_uid"] == _uid("xinjiang\u00a0uyghur|consult|cambodia|2010-01-03")


def test_blank_and_whitespace_lines_and_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "ends.tsv"
    path.write_bytes(
        KG_HEADER.encode() + b"\r\n"
        b"  \r\n"  # line 2: blank
        b"\x0c\n"  # line 3: a form feed alone is whitespace to str.strip: blank
        b"Cambodia\tConsult\tThailand\t2011-08-10\r\r\n"  # line 4: every trailing CR dropped
        b"Cam\rbodia\tConsult\tThailand\t2011-08-10\n"  # line 5: a CR inside
        b" Cambodia \tConsult\tThailand\t 2011-08-11 "  # line 6: no line end at all
    )
    table, bad = read_icews(path, source_file="ends.tsv")
    assert bad == [
        QuarantinedRow(
            5,
            "field source_actor: control character U+000D (CR)",
            "Cam\\x0dbodia\tConsult\tThailand\t2011-08-10",
        )
    ]
    assert table.column("actor1_name").to_pylist() == ["Cambodia", "Cambodia"]
    assert table.column("event_date").to_pylist() == [dt.date(2011, 8, 10), dt.date(2011, 8, 11)]


def test_dates_are_real_iso_dates(tmp_path: Path) -> None:
    days = ["2012-02-29", "2010-02-29", "0000-01-01", "0001-01-01", "2010-1-01",
            "\u0662\u0660\u0661\u0660-\u0660\u0661-\u0660\u0661"]  # fmt: skip
    lines = [KG_HEADER] + [f"Cambodia\tConsult\tThailand\t{day}" for day in days]
    table, bad = read_icews(_write(tmp_path / "days.tsv", lines), source_file="days.tsv")
    # 2012 is a leap year, 2010 is not; there is no year 0; Arabic-Indic digits are not ISO
    assert table.column("event_date").to_pylist() == [dt.date(2012, 2, 29), dt.date(1, 1, 1)]
    assert [(row.line, row.reason) for row in bad] == [
        (3, "date '2010-02-29' is not YYYY-MM-DD"),
        (4, "date '0000-01-01' is not YYYY-MM-DD"),
        (6, "date '2010-1-01' is not YYYY-MM-DD"),
        (7, "date '\u0662\u0660\u0661\u0660-\u0660\u0661-\u0660\u0661' is not YYYY-MM-DD"),
    ]


def test_comma_fields_are_cut_as_csv_reader_cuts_them(tmp_path: Path) -> None:
    lines = [
        "source_actor,cameo_event_text,target_actor,date",
        '"Police (Cambodia)","Arrest, detain, or charge with legal action",'
        '"Activist ""Red"" (Thailand)",2010-06-01',
        # text after a closing quote is kept (csv.reader, not strict): the text is "Consult x"
        'Cambodia,"Consult" x,Thailand,2010-06-02',
        # an unclosed quote runs to the end of the line: one field, so 2 fields in all
        'Cambodia,"Consult,Thailand,2010-06-03',
        "Cambodia,Consult,Thailand,2010-06-04,",  # a trailing comma: a 5th, empty field
    ]
    table, bad = read_icews(_write(tmp_path / "q.csv", lines), source_file="q.csv")
    assert [(row.line, row.reason) for row in bad] == [
        (3, "event text 'Consult x' has no CAMEO code"),
        (4, "expected 4 or 5 comma-separated fields, found 2"),
    ]
    rows = table.to_pylist()
    assert [row["actor2_name"] for row in rows] == ['Activist "Red" (Thailand)', "Thailand"]
    assert (rows[0]["actor1_code"], rows[0]["event_code"], rows[0]["actor2_country"]) == (
        "KHMCOP",
        "173",
        "THA",
    )
    assert rows[1]["event_date"] == dt.date(2010, 6, 4)


def test_dataverse_sectors_countries_and_codes(tmp_path: Path) -> None:
    def line(values: dict[str, str]) -> str:
        return "\t".join(values.get(name, "") for name in DATAVERSE_NAMES)

    rows = [
        # Hun Sen is GOV in icews_actors.csv; Elite ELI, Government GOV (had), Police COP,
        # Military MIL: the first three distinct are GOV, ELI, COP
        {"Event ID": " 7 ", "Event Date": "2012-11-19", "Source Name": "Hun Sen",
         "Source Sectors": "Elite, government ,Police,Military", "Source Country": "Cambodia",
         "CAMEO Code": "40", "Target Name": "Police (Burma)", "Target Sectors": "",
         "Target Country": "", "Country": " burma "},
        # an empty code is read from the text; a blank Country gives no action country
        {"Event ID": "8", "Event Date": "2012-11-20", "Source Name": "Cambodia",
         "Event Text": "Host a visit", "Target Name": "Thailand", "Target Country": "Thailand"},
        {"Event ID": "", "Event Date": "2012-11-21", "CAMEO Code": "43"},
        {"Event ID": "10", "Event Date": "2012-11-22", "CAMEO Code": "-5"},
    ]  # fmt: skip
    lines = ["\t".join(DATAVERSE_NAMES), *(line(row) for row in rows)]
    table, bad = read_icews(_write(tmp_path / "dv.tab", lines), source_file="dv.tab")
    assert [(row.line, row.reason) for row in bad] == [
        (4, "empty Event ID"),
        (5, "CAMEO code '-5' is unknown"),
    ]
    first, second = table.to_pylist()
    assert first["event_uid"] == "icews:7"
    assert [first[f"actor1_type{i}"] for i in (1, 2, 3)] == ["GOV", "ELI", "COP"]
    assert first["actor1_code"] == "KHMGOV"
    # "40" is CAMEO 040 (leading zero lost); Burma is Myanmar, FIPS BM; Police -> COP
    assert (first["event_code"], first["action_country"]) == ("040", "BM")
    assert (first["actor2_code"], first["actor2_country"]) == ("MMRCOP", "MMR")
    assert (second["event_code"], second["actor1_code"], second["actor2_code"]) == (
        "043",
        "KHM",
        "THA",
    )
    assert second["action_country"] is None
