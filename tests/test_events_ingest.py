"""Tests for tracktwo.events._ingest: GDELT files into a real DuckDB store in tmp_path.

Expected values are counted from the raw files with plain string rules written here
(bytes decoded as UTF-8, split on LF and TAB; no tracktwo code) or worked out by hand in
comments, never read back from the ingest code's own output. Field positions are the
0-based positions of the GDELT 1.0 and 2.0 event codebooks.
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from tracktwo import FileFormatError
from tracktwo.events import IngestReport, ingest_file, ingest_paths
from tracktwo.events._synth import write_synthetic_gdelt2
from tracktwo.store import EventStore

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "gdelt_v1_sample.tsv"

# --- GDELT 1.0 positions (same for the 57- and the 58-field layout up to DATEADDED)
V1_ID, V1_SQLDATE, V1_ACTOR1_CODE, V1_ACTOR2_CODE, V1_EVENT_CODE = 0, 1, 5, 15, 26
V1_DATEADDED, V1_SOURCEURL = 56, 57

# --- GDELT 2.0 positions
G2_ID, G2_SQLDATE, G2_ACTOR1_NAME, G2_EVENT_CODE, G2_NUM_MENTIONS = 0, 1, 6, 26, 31
G2_DATEADDED, G2_SOURCEURL = 59, 60

# One GDELT 2.0 export line as write_synthetic_gdelt2 writes it (61 TAB-separated fields),
# edited by hand into KHMGOV -> USAGOV "express intent to meet or negotiate" (CAMEO 036,
# QuadClass 1, Goldstein 4.0). The tests below copy it and edit single fields.
G2_TEMPLATE = (
    "1000000000\t20180924\t201809\t2018\t2018.7500"  # 0-4 GLOBALEVENTID .. FractionDate
    "\tKHMGOV\tCAMBODIA\tKHM\t\t\t\t\tGOV\t\t"  # 5-14 Actor1 (Type1Code GOV at 12)
    "\tUSAGOV\tUNITED STATES\tUSA\t\t\t\t\tGOV\t\t"  # 15-24 Actor2
    "\t1\t036\t036\t03\t1\t4.0\t25\t3\t25\t-0.385604"  # 25-34 IsRootEvent .. AvgTone
    + "\t" * 8  # 35-42 Actor1Geo_* (8 fields in 2.0: ADM2Code added)
    + "\t" * 8  # 43-50 Actor2Geo_*
    + "\t1\t\tCB"
    + "\t" * 5  # 51-58 ActionGeo_* (CountryCode CB at 53)
    + "\t20180924063000\thttps://news.example.org/story/0"  # 59 DATEADDED, 60 SOURCEURL
)
assert G2_TEMPLATE.count("\t") == 60


def g2_line(changes: dict[int, str]) -> str:
    fields = G2_TEMPLATE.split("\t")
    for position, value in changes.items():
        fields[position] = value
    return "\t".join(fields)


def raw_lines(path: Path) -> list[str]:
    """The file's lines split by hand: UTF-8, LF-separated, no trailing empty line."""
    text = path.read_bytes().decode("utf-8")
    return [line for line in text.split("\n") if line]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(line + "\n" for line in lines).encode("utf-8"))
    return path


def gzip_copy(source: Path, target: Path) -> Path:
    target.write_bytes(gzip.compress(source.read_bytes()))
    return target


def zip_copy(source: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(source, arcname=source.name)
    return target


def uids(store: EventStore) -> set[str]:
    return {row[0] for row in store.con.execute("SELECT event_uid FROM events").fetchall()}


def flagged(store: EventStore) -> set[str]:
    rows = store.con.execute("SELECT event_uid FROM events WHERE is_reemission").fetchall()
    return {row[0] for row in rows}


def snapshot(store: EventStore) -> dict[str, object]:
    """Everything ingest may touch, in full: counts, uids, flags and the two log tables."""
    con = store.con
    return {
        "counts": {t: store.count(t) for t in ("events", "quarantine", "ingested_files")},
        "uids": uids(store),
        "flagged": flagged(store),
        "quarantine": con.execute("SELECT * FROM quarantine ORDER BY ALL").fetchall(),
        "ingested_files": con.execute("SELECT * FROM ingested_files ORDER BY ALL").fetchall(),
    }


# `store`: a fresh event store per test, from conftest.py


# ----------------------------------------------------------------------------------------
# the real GDELT 1.0 sample: 509 rows of 58 fields then 201 rows of 57 fields


def test_sample_raw_file_is_what_source_txt_says() -> None:
    lines = raw_lines(SAMPLE)
    widths = Counter(line.count("\t") + 1 for line in lines)
    assert widths == {58: 509, 57: 201}
    assert len({line.split("\t")[V1_ID] for line in lines}) == 710  # all ids distinct


def test_sample_gdelt1_stores_every_row(store: EventStore) -> None:
    lines = raw_lines(SAMPLE)
    report = ingest_file(store, SAMPLE)

    assert report.source_format == "gdelt1"
    assert (report.rows_read, report.rows_added) == (710, 710)
    assert (report.rows_already_stored, report.rows_quarantined) == (0, 0)
    assert store.count("events") == 710
    assert store.count("quarantine") == 0
    assert uids(store) == {"gdelt:" + line.split("\t")[V1_ID] for line in lines}
    formats = store.con.execute("SELECT DISTINCT source_format, source_file FROM events")
    assert formats.fetchall() == [("gdelt1", "gdelt_v1_sample.tsv")]


def test_sample_source_url_only_on_58_field_rows(store: EventStore) -> None:
    lines = [line.split("\t") for line in raw_lines(SAMPLE)]
    url_by_uid = {"gdelt:" + f[V1_ID]: f[V1_SOURCEURL] for f in lines if len(f) == 58}
    no_url = {"gdelt:" + f[V1_ID] for f in lines if len(f) == 57}
    assert (len(url_by_uid), len(no_url)) == (509, 201)

    ingest_file(store, SAMPLE)
    stored = dict(store.con.execute("SELECT event_uid, source_url FROM events").fetchall())
    assert {uid: stored[uid] for uid in url_by_uid} == url_by_uid
    assert {stored[uid] for uid in no_url} == {None}


def _stored_row(store: EventStore, uid: str) -> dict[str, object]:
    cursor = store.con.execute("SELECT * FROM events WHERE event_uid = ?", [uid])
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0], strict=True))


def _spot_check(
    store: EventStore, line: int, fields: int, gid: str
) -> tuple[list[str], dict[str, object]]:
    """Line ``line`` (1-based) of the sample split by hand, checked to have ``fields`` fields
    and GLOBALEVENTID ``gid``, and its row once the sample is ingested."""
    raw = raw_lines(SAMPLE)[line - 1].split("\t")
    assert len(raw) == fields and raw[V1_ID] == gid
    ingest_file(store, SAMPLE)
    return raw, _stored_row(store, "gdelt:" + gid)


def test_sample_spot_check_a_58_field_row(store: EventStore) -> None:
    # line 5 of the file, a 58-field (post-April-2013) row
    raw, row = _spot_check(store, 5, 58, "564111684")

    # SQLDATE 20160721, DATEADDED 20160728 (a GDELT 1.0 day: midnight)
    assert raw[V1_SQLDATE] == "20160721" and row["event_date"] == date(2016, 7, 21)
    assert raw[V1_DATEADDED] == "20160728" and row["date_added"] == datetime(2016, 7, 28, 0, 0)
    assert row["global_event_id"] == 564111684
    # CAN (VANCOUVER) -> USA (WASHINGTON), CAMEO 172 "impose administrative sanctions"
    assert (raw[5], raw[6], raw[7]) == ("CAN", "VANCOUVER", "CAN")
    assert (row["actor1_code"], row["actor1_name"], row["actor1_country"]) == (
        "CAN", "VANCOUVER", "CAN")  # fmt: skip
    assert (raw[15], raw[16], raw[17]) == ("USA", "WASHINGTON", "USA")
    assert (row["actor2_code"], row["actor2_name"], row["actor2_country"]) == (
        "USA", "WASHINGTON", "USA")  # fmt: skip
    assert raw[25:30] == ["0", "172", "172", "17", "4"]
    assert row["is_root_event"] is False
    assert (row["event_code"], row["event_base_code"], row["event_root_code"]) == (
        "172", "172", "17")  # fmt: skip
    assert row["quad_class"] == 4
    # Goldstein, NumMentions, NumSources, NumArticles, AvgTone
    assert raw[30:35] == ["-5.0", "12", "2", "12", "-3.40034628703348"]
    assert row["goldstein"] == -5.0
    assert (row["num_mentions"], row["num_sources"], row["num_articles"]) == (12, 2, 12)
    assert row["avg_tone"] == pytest.approx(-3.40034628703348, abs=1e-12)
    assert raw[51] == "US" and row["action_country"] == "US"  # ActionGeo_CountryCode
    assert (
        row["source_url"]
        == raw[V1_SOURCEURL]
        == (
            "http://neworleanscitybusiness.com/blog/2016/07/27/"
            "cities-turn-to-local-action-to-block-oil-trains/"
        )
    )
    assert row["source_format"] == "gdelt1"
    assert row["is_reemission"] is False


def test_sample_spot_check_a_57_field_row(store: EventStore) -> None:
    # line 520 of the file, a 57-field (pre-April-2013) row: read in the second pass
    raw, row = _spot_check(store, 520, 57, "1552929")

    assert raw[V1_SQLDATE] == "19820102" and row["event_date"] == date(1982, 1, 2)
    assert raw[V1_DATEADDED] == "20130203" and row["date_added"] == datetime(2013, 2, 3)
    # EGY (CAIRO) -> EGYGOV (HUSNI MUBARAK, Actor2Type1Code GOV at position 22)
    assert (raw[5], raw[6], raw[15], raw[16], raw[22]) == (
        "EGY", "CAIRO", "EGYGOV", "HUSNI MUBARAK", "GOV")  # fmt: skip
    assert (row["actor1_code"], row["actor1_name"], row["actor1_country"]) == (
        "EGY", "CAIRO", "EGY")  # fmt: skip
    assert (row["actor2_code"], row["actor2_name"], row["actor2_type1"]) == (
        "EGYGOV", "HUSNI MUBARAK", "GOV")  # fmt: skip
    assert raw[25:35] == ["1", "010", "010", "01", "1", "0", "2", "1", "2", "3.66492146596859"]
    assert row["is_root_event"] is True
    assert (row["event_code"], row["event_base_code"], row["event_root_code"]) == (
        "010", "010", "01")  # fmt: skip
    assert (row["quad_class"], row["goldstein"]) == (1, 0.0)
    assert (row["num_mentions"], row["num_sources"], row["num_articles"]) == (2, 1, 2)
    assert row["avg_tone"] == pytest.approx(3.66492146596859, abs=1e-12)
    assert raw[51] == "FR" and row["action_country"] == "FR"
    assert row["source_url"] is None  # the 57-field layout has no SOURCEURL
    assert row["source_format"] == "gdelt1"


def test_sample_reemission_flags_match_a_count_by_hand(store: EventStore) -> None:
    # GDELT 1.0 rows are dated to the day (DATEADDED at midnight). Two rows with the same
    # (Actor1Code, Actor2Code, EventCode, SOURCEURL) and the same DATEADDED are 0 minutes
    # apart, so every row of such a group but the first is a re-emission; different days
    # are >= 1440 minutes apart (> 90) and rows without SOURCEURL are never grouped.
    groups = Counter(
        (f[V1_ACTOR1_CODE], f[V1_ACTOR2_CODE], f[V1_EVENT_CODE], f[V1_SOURCEURL], f[V1_DATEADDED])
        for f in (line.split("\t") for line in raw_lines(SAMPLE))
        if len(f) == 58 and f[V1_SOURCEURL]
    )
    expected = sum(size - 1 for size in groups.values())
    report = ingest_file(store, SAMPLE)
    assert len(flagged(store)) == expected
    assert report.reemissions == expected


# ----------------------------------------------------------------------------------------
# idempotence: the key is event_uid = "gdelt:" + GLOBALEVENTID


def test_same_file_twice_adds_nothing(store: EventStore) -> None:
    first = ingest_file(store, SAMPLE)
    before = snapshot(store)
    second = ingest_file(store, SAMPLE)

    assert first.rows_added == 710
    assert (second.rows_read, second.rows_added, second.rows_already_stored) == (710, 0, 710)
    assert second.rows_quarantined == 0
    assert store.count("events") == 710
    assert uids(store) == before["uids"]
    assert flagged(store) == before["flagged"]
    assert store.count("ingested_files") == 2  # both runs are logged


def test_same_content_zipped_and_gzipped_adds_nothing(store: EventStore, tmp_path: Path) -> None:
    zipped = zip_copy(SAMPLE, tmp_path / "gdelt_v1_sample.zip")
    gzipped = gzip_copy(SAMPLE, tmp_path / "gdelt_v1_sample.tsv.gz")
    ingest_file(store, SAMPLE)
    expected = uids(store)

    for packed in (zipped, gzipped):
        report = ingest_file(store, packed)
        assert report.source_file == packed.name
        assert report.source_format == "gdelt1"
        assert (report.rows_read, report.rows_added, report.rows_already_stored) == (710, 0, 710)
        assert store.count("events") == 710
        assert uids(store) == expected


def test_overlapping_file_adds_only_the_new_half(store: EventStore, tmp_path: Path) -> None:
    lines = raw_lines(SAMPLE)
    first = write_lines(tmp_path / "in" / "first.tsv", lines[0:310])  # lines 1-310 (58 fields)
    # 200 new rows (lines 511-710, 57 fields: this file's first line is a 57-field row)
    # followed by 200 rows already in `first` (lines 111-310)
    second = write_lines(tmp_path / "in" / "second.tsv", lines[510:710] + lines[110:310])

    ingest_file(store, first)
    report = ingest_file(store, second)

    assert (report.rows_read, report.rows_added, report.rows_already_stored) == (400, 200, 200)
    assert store.count("events") == 310 + 200
    ids = lambda chunk: {"gdelt:" + line.split("\t")[V1_ID] for line in chunk}  # noqa: E731
    assert uids(store) == ids(lines[0:310]) | ids(lines[510:710])
    # the stored copy of an overlapping row still says where it first came from
    by_file = Counter(r[0] for r in store.con.execute("SELECT source_file FROM events").fetchall())
    assert by_file == {"first.tsv": 310, "second.tsv": 200}


# ----------------------------------------------------------------------------------------
# packaging: plain, .gz and .zip


def test_plain_gzip_and_zip_gdelt2_ingest_the_same(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    plain = write_synthetic_gdelt2(tmp_path / "in" / "20180101000000.export.CSV", 300)
    gzipped = gzip_copy(plain, tmp_path / "in" / "20180101000000.export.CSV.gz")
    zipped = zip_copy(plain, tmp_path / "in" / "20180101000000.export.CSV.zip")
    lines = [line.split("\t") for line in raw_lines(plain)]
    assert len(lines) == 300 and {len(f) for f in lines} == {61}
    expected = {"gdelt:" + f[G2_ID] for f in lines}
    assert len(expected) == 300

    results = []
    for name, path in (("plain", plain), ("gz", gzipped), ("zip", zipped)):
        with EventStore(tmp_path / name, write=True) as store:
            report = ingest_file(store, path)
            assert report.source_format == "gdelt2"
            assert (report.rows_read, report.rows_added, report.rows_quarantined) == (300, 300, 0)
            assert uids(store) == expected
            kinds = store.con.execute("SELECT DISTINCT source_format FROM events").fetchall()
            assert kinds == [("gdelt2",)]
            results.append(flagged(store))
    assert results[0] == results[1] == results[2]


def test_gdelt2_date_added_read_from_dateadded(store: EventStore, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    plain = write_synthetic_gdelt2(tmp_path / "in" / "g2.export.CSV", 300)
    first = raw_lines(plain)[0].split("\t")
    stamp = first[G2_DATEADDED]  # YYYYMMDDhhmmss, cut by hand
    expected = datetime(
        int(stamp[0:4]), int(stamp[4:6]), int(stamp[6:8]),
        int(stamp[8:10]), int(stamp[10:12]), int(stamp[12:14]),
    )  # fmt: skip
    ingest_file(store, plain)
    row = _stored_row(store, "gdelt:" + first[G2_ID])
    assert row["date_added"] == expected
    assert row["source_url"] == first[G2_SOURCEURL]
    assert row["event_date"] == date(
        int(first[G2_SQLDATE][0:4]), int(first[G2_SQLDATE][4:6]), int(first[G2_SQLDATE][6:8])
    )


def test_hand_made_gdelt2_row_date_added(store: EventStore, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "in" / "one.tsv", [g2_line({G2_DATEADDED: "20180924104500"})])
    ingest_file(store, path)
    row = _stored_row(store, "gdelt:1000000000")
    # DATEADDED 20180924104500 -> 2018-09-24 10:45:00; SQLDATE 20180924
    assert row["date_added"] == datetime(2018, 9, 24, 10, 45, 0)
    assert row["event_date"] == date(2018, 9, 24)
    assert (row["actor1_code"], row["actor2_code"], row["event_code"]) == (
        "KHMGOV", "USAGOV", "036")  # fmt: skip
    assert (row["actor1_type1"], row["actor2_type1"], row["action_country"]) == (
        "GOV", "GOV", "CB")  # fmt: skip
    assert (row["quad_class"], row["goldstein"], row["num_mentions"]) == (1, 4.0, 25)
    assert row["source_format"] == "gdelt2"


# ----------------------------------------------------------------------------------------
# re-emissions: same (Actor1Code, Actor2Code, EventCode, SOURCEURL), each emission within
# 90 minutes of the PREVIOUS one in the group (by DATEADDED) is flagged

URL_A = "https://news.example.org/story/a"
URL_C = "https://news.example.org/story/c"


def _emission(gid: str, added: str, url: str) -> str:
    return g2_line({G2_ID: gid, G2_DATEADDED: added, G2_SOURCEURL: url})


A = _emission("101", "20180924100000", URL_A)  # 10:00  first of its group
C = _emission("102", "20180924101500", URL_C)  # 10:15  other URL: a group of its own
A1 = _emission("103", "20180924104500", URL_A)  # 10:45  45 min after A       -> flagged
A2 = _emission("104", "20180924120000", URL_A)  # 12:00  75 min after A1      -> flagged
B = _emission("105", "20180924140000", URL_A)  # 14:00  120 min after A2 > 90 -> not


def test_reemissions_chained_window_in_one_file(store: EventStore, tmp_path: Path) -> None:
    # written out of time order: the rule orders by DATEADDED, not by line
    path = write_lines(tmp_path / "in" / "reemit.tsv", [B, A2, C, A, A1])
    report = ingest_file(store, path)
    # A2 is 120 min after A but only 75 after A1: the window runs from the previous one
    assert flagged(store) == {"gdelt:103", "gdelt:104"}
    assert report.reemissions == 2
    assert store.count("events") == 5  # flagged rows are kept, only marked
    assert _stored_row(store, "gdelt:101")["date_added"] == datetime(2018, 9, 24, 10, 0)

    again = ingest_file(store, path)  # re-ingesting changes no flag
    assert again.rows_added == 0
    assert flagged(store) == {"gdelt:103", "gdelt:104"}


def test_reemission_across_two_files(store: EventStore, tmp_path: Path) -> None:
    ingest_file(store, write_lines(tmp_path / "in" / "f1.tsv", [A]))
    assert flagged(store) == set()
    report = ingest_file(store, write_lines(tmp_path / "in" / "f2.tsv", [A1]))
    assert flagged(store) == {"gdelt:103"}  # 10:45 - 10:00 = 45 min
    assert report.reemissions == 1


def test_reemission_when_the_earlier_emission_arrives_second(
    store: EventStore, tmp_path: Path
) -> None:
    ingest_file(store, write_lines(tmp_path / "in" / "late.tsv", [A1]))
    assert flagged(store) == set()  # alone in its group so far
    ingest_file(store, write_lines(tmp_path / "in" / "early.tsv", [A]))
    # now A (10:00) is the first of the group and A1 (10:45) its re-emission
    assert flagged(store) == {"gdelt:103"}


def test_reemission_flags_recomputed_when_a_file_fills_a_gap(
    store: EventStore, tmp_path: Path
) -> None:
    later = _emission("106", "20180924120000", URL_A)  # 12:00
    ingest_file(store, write_lines(tmp_path / "in" / "f1.tsv", [A, later]))
    assert flagged(store) == set()  # 12:00 - 10:00 = 120 min > 90
    middle = _emission("107", "20180924110000", URL_A)  # 11:00
    ingest_file(store, write_lines(tmp_path / "in" / "f2.tsv", [middle]))
    # 11:00 - 10:00 = 60 <= 90 and 12:00 - 11:00 = 60 <= 90: both flagged now
    assert flagged(store) == {"gdelt:107", "gdelt:106"}


def test_reemission_window_is_inclusive_at_90_minutes(store: EventStore, tmp_path: Path) -> None:
    at_90 = _emission("108", "20180924113000", URL_A)  # 11:30 = 10:00 + 90 min -> flagged
    at_105 = _emission("109", "20180924131500", URL_A)  # 13:15 = 11:30 + 105 min -> not
    ingest_file(store, write_lines(tmp_path / "in" / "edge.tsv", [A, at_90, at_105]))
    assert flagged(store) == {"gdelt:108"}


def test_reemission_key_needs_all_four_fields(store: EventStore, tmp_path: Path) -> None:
    # 30 minutes after A, same URL, but one of actor1, actor2 or event code differs
    other_actor1 = g2_line({G2_ID: "111", G2_DATEADDED: "20180924103000", 5: "KHMMIL",
                            G2_SOURCEURL: URL_A})  # fmt: skip
    other_actor2 = g2_line({G2_ID: "112", G2_DATEADDED: "20180924103000", 15: "USAMIL",
                            G2_SOURCEURL: URL_A})  # fmt: skip
    other_code = g2_line({G2_ID: "113", G2_DATEADDED: "20180924103000", G2_EVENT_CODE: "040",
                          27: "040", 28: "04", G2_SOURCEURL: URL_A})  # fmt: skip
    path = write_lines(tmp_path / "in" / "keys.tsv", [A, other_actor1, other_actor2, other_code])
    ingest_file(store, path)
    assert flagged(store) == set()


# ----------------------------------------------------------------------------------------
# quarantine: rows that cannot be read are kept aside with file, 1-based line and reason


def _quarantine_file(folder: Path) -> tuple[Path, list[str]]:
    good = [
        g2_line({G2_ID: "201", G2_SOURCEURL: "https://news.example.org/q/1"}),
        g2_line({G2_ID: "203", G2_SOURCEURL: "https://news.example.org/q/3"}),
        g2_line({G2_ID: "207", G2_SOURCEURL: "https://news.example.org/q/7"}),
    ]
    sixty = g2_line({G2_ID: "202"}).rsplit("\t", 1)[0]  # SOURCEURL dropped: 60 fields
    lines = [
        good[0],  # line 1 good
        sixty,  # line 2: 60 fields
        good[1],  # line 3 good
        g2_line({G2_ID: "204", G2_SQLDATE: "20131345"}),  # line 4: month 13, day 45
        g2_line({G2_ID: "205", G2_NUM_MENTIONS: "many"}),  # line 5: not a number
        g2_line({G2_ID: "206", G2_EVENT_CODE: "999"}),  # line 6: not a CAMEO code
        good[2],  # line 7 good
    ]
    assert sixty.count("\t") + 1 == 60
    return write_lines(folder / "quarantine_mix.tsv", lines), lines


def test_quarantine_lines_and_reasons(store: EventStore, tmp_path: Path) -> None:
    path, lines = _quarantine_file(tmp_path / "in")
    ingest_file(store, path)

    assert uids(store) == {"gdelt:201", "gdelt:203", "gdelt:207"}
    rows = store.con.execute(
        "SELECT source_file, line, reason, raw FROM quarantine ORDER BY line"
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [
        ("quarantine_mix.tsv", 2),
        ("quarantine_mix.tsv", 4),
        ("quarantine_mix.tsv", 5),
        ("quarantine_mix.tsv", 6),
    ]
    reasons = {r[1]: r[2] for r in rows}
    assert "61" in reasons[2] and "60" in reasons[2]  # expected vs found field count
    assert "SQLDATE" in reasons[4] and "20131345" in reasons[4]
    assert "NumMentions" in reasons[5] and "many" in reasons[5]
    assert "EventCode" in reasons[6] and "999" in reasons[6]
    # the raw text kept is the file's own line
    assert {r[1]: r[3] for r in rows} == {n: lines[n - 1] for n in (2, 4, 5, 6)}


def test_quarantine_counts_in_report_and_log(store: EventStore, tmp_path: Path) -> None:
    path, _ = _quarantine_file(tmp_path / "in")
    report = ingest_file(store, path)

    # 7 lines = 3 stored + 4 quarantined
    assert report == IngestReport(
        source_file="quarantine_mix.tsv",
        path=str(path),
        source_format="gdelt2",
        rows_read=7,
        rows_added=3,
        rows_already_stored=0,
        rows_quarantined=4,
        reemissions=0,
        source="gdelt2",  # no --source given: the file's format
    )
    logged = store.con.execute(
        "SELECT source_file, sha256, source_format, rows_read, rows_added, "
        "rows_already_stored, rows_quarantined FROM ingested_files"
    ).fetchall()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert logged == [("quarantine_mix.tsv", digest, "gdelt2", 7, 3, 0, 4)]


def _mixed_width_file(folder: Path) -> Path:
    """A GDELT 1.0 file: 58-field lines 1-3, then 57-field lines 4-6 of which line 5 is bad."""
    lines = raw_lines(SAMPLE)
    bad = lines[520].split("\t")
    assert len(bad) == 57
    bad[31] = "lots"  # NumMentions
    return write_lines(folder / "mixed.tsv", [*lines[0:3], lines[519], "\t".join(bad), lines[521]])


def test_quarantine_for_57_field_rows_maps_back_to_file_lines(
    store: EventStore, tmp_path: Path
) -> None:
    report = ingest_file(store, _mixed_width_file(tmp_path / "in"))
    assert report.rows_added == 5  # lines 1-4 and 6
    rows = store.con.execute("SELECT DISTINCT line, reason FROM quarantine").fetchall()
    assert len(rows) == 1 and rows[0][0] == 5
    assert "NumMentions" in rows[0][1] and "lots" in rows[0][1]


def test_bad_row_of_the_other_width_is_quarantined_once(store: EventStore, tmp_path: Path) -> None:
    report = ingest_file(store, _mixed_width_file(tmp_path / "in"))
    # 6 lines: 5 stored + 1 quarantined
    assert (report.rows_read, report.rows_added, report.rows_quarantined) == (6, 5, 1)
    assert store.count("quarantine") == 1


def test_line_with_two_bad_fields_is_quarantined_once(store: EventStore, tmp_path: Path) -> None:
    lines = [
        g2_line({G2_ID: "301"}),
        g2_line({G2_ID: "302", G2_NUM_MENTIONS: "x", 32: "y"}),  # NumMentions, NumSources
    ]
    report = ingest_file(store, write_lines(tmp_path / "in" / "twobad.tsv", lines))
    # 2 lines: 1 stored, 1 quarantined
    assert (report.rows_read, report.rows_added, report.rows_quarantined) == (2, 1, 1)
    assert store.con.execute("SELECT line FROM quarantine").fetchall() == [(2,)]


def test_missing_globaleventid_quarantined_with_its_line(store: EventStore, tmp_path: Path) -> None:
    lines = [g2_line({G2_ID: "401"}), g2_line({G2_ID: ""})]
    ingest_file(store, write_lines(tmp_path / "in" / "noid.tsv", lines))
    rows = store.con.execute("SELECT line, reason, raw FROM quarantine").fetchall()
    assert len(rows) == 1
    assert rows[0][0] == 2 and "GLOBALEVENTID" in rows[0][1] and rows[0][2] == lines[1]


def test_unknown_code_with_repeated_id_quarantined_with_its_own_line(
    store: EventStore, tmp_path: Path
) -> None:
    lines = [
        g2_line({G2_ID: "501"}),
        g2_line({G2_ID: "502", G2_SOURCEURL: URL_C}),
        g2_line({G2_ID: "501", G2_EVENT_CODE: "999"}),  # line 3 repeats line 1's id
    ]
    ingest_file(store, write_lines(tmp_path / "in" / "repeat.tsv", lines))
    rows = store.con.execute("SELECT line, raw FROM quarantine").fetchall()
    assert rows == [(3, lines[2])]


# ----------------------------------------------------------------------------------------
# all-or-nothing: a file that cannot be read raises FileFormatError and changes nothing

NEW_ROWS = [
    g2_line({G2_ID: str(9000 + n), G2_SOURCEURL: f"https://news.example.org/new/{n}"})
    for n in range(1, 6)
]


def _bad_file(kind: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    good = write_lines(folder / "new_rows.export.CSV", NEW_ROWS)
    if kind == "truncated_zip":
        packed = zip_copy(good, folder / "truncated.export.CSV.zip").read_bytes()
        (folder / "truncated.export.CSV.zip").write_bytes(packed[:-10])
        return folder / "truncated.export.CSV.zip"
    if kind == "zip_cut_in_half":
        packed = zip_copy(good, folder / "half.export.CSV.zip").read_bytes()
        (folder / "half.export.CSV.zip").write_bytes(packed[: len(packed) // 2])
        return folder / "half.export.CSV.zip"
    if kind == "truncated_gzip":
        packed = gzip.compress(good.read_bytes())
        (folder / "truncated.export.CSV.gz").write_bytes(packed[:-12])
        return folder / "truncated.export.CSV.gz"
    if kind == "readme":
        readme = folder / "README.txt"
        readme.write_text("GDELT event files for 2018.\nDownloaded from the GDELT site.\n")
        return readme
    if kind == "latin1_later_line":
        # five good rows, then one whose Actor1Name has e-acute encoded as latin-1 (0xE9)
        text = "".join(line + "\n" for line in NEW_ROWS)
        text += g2_line({G2_ID: "9100", G2_ACTOR1_NAME: "Société Générale"}) + "\n"
        latin = folder / "latin1.export.CSV"
        latin.write_bytes(text.encode("latin-1"))
        return latin
    if kind == "latin1_first_line":
        text = g2_line({G2_ID: "9100", G2_ACTOR1_NAME: "Société Générale"}) + "\n"
        text += "".join(line + "\n" for line in NEW_ROWS)
        latin = folder / "latin1_first.export.CSV"
        latin.write_bytes(text.encode("latin-1"))
        return latin
    raise AssertionError(kind)


BAD_KINDS = [
    "truncated_zip",
    "zip_cut_in_half",
    "truncated_gzip",
    "readme",
    "latin1_later_line",
    "latin1_first_line",
]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_unreadable_file_raises_and_stores_nothing(
    kind: str, store: EventStore, tmp_path: Path
) -> None:
    ingest_file(store, SAMPLE)
    ingest_file(store, _quarantine_file(tmp_path / "q")[0])  # a non-empty quarantine too
    before = snapshot(store)
    assert before["counts"] == {"events": 713, "quarantine": 4, "ingested_files": 2}

    bad = _bad_file(kind, tmp_path / "bad")
    with pytest.raises(FileFormatError) as caught:
        ingest_file(store, bad)
    assert bad.name in str(caught.value)
    assert snapshot(store) == before
    # the store still works after the failed file
    report = ingest_file(store, write_lines(tmp_path / "ok" / "new_rows.export.CSV", NEW_ROWS))
    assert report.rows_added == 5


def test_latin1_bytes_really_are_not_utf8() -> None:
    # guard for the two latin-1 cases above: 0xE9 then 't' is not valid UTF-8
    assert "Société".encode("latin-1") == b"Soci\xe9t\xe9"
    with pytest.raises(UnicodeDecodeError):
        b"Soci\xe9t\xe9".decode("utf-8")


# ----------------------------------------------------------------------------------------
# ingest_paths: each file all-or-nothing, a failure does not stop the others


def test_ingest_paths_keeps_good_files_and_reports_bad(store: EventStore, tmp_path: Path) -> None:
    readme = _bad_file("readme", tmp_path / "in")
    good = write_lines(tmp_path / "in" / "good.export.CSV", NEW_ROWS)
    seen: list[tuple[str, str]] = []

    reports, failures = ingest_paths(
        store,
        [readme, good, SAMPLE],
        on_file_done=lambda path, outcome: seen.append((path.name, type(outcome).__name__)),
    )

    assert [r.source_file for r in reports] == ["good.export.CSV", "gdelt_v1_sample.tsv"]
    assert [r.rows_added for r in reports] == [5, 710]
    assert len(failures) == 1 and isinstance(failures[0], FileFormatError)
    assert failures[0].path.endswith("README.txt")
    assert "README.txt" in str(failures[0])
    assert seen == [
        ("README.txt", "FileFormatError"),
        ("good.export.CSV", "IngestReport"),
        ("gdelt_v1_sample.tsv", "IngestReport"),
    ]
    assert store.count("events") == 5 + 710
    assert {"gdelt:9001", "gdelt:9005", "gdelt:564111684"} <= uids(store)
    logged = store.con.execute("SELECT source_file FROM ingested_files ORDER BY 1").fetchall()
    assert logged == [("gdelt_v1_sample.tsv",), ("good.export.CSV",)]


def test_ingest_paths_stop_on_error(store: EventStore, tmp_path: Path) -> None:
    readme = _bad_file("readme", tmp_path / "in")
    good = write_lines(tmp_path / "in" / "good.export.CSV", NEW_ROWS)
    reports, failures = ingest_paths(store, [good, readme, SAMPLE], stop_on_error=True)
    assert [r.source_file for r in reports] == ["good.export.CSV"]
    assert len(failures) == 1
    assert store.count("events") == 5  # the sample after the failure was not read
