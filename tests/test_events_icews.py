"""Tests for tracktwo.events._icews: the real Cambodia extract and small hand-made files.

Expected values are worked out by hand from the CAMEO codebook (GDELT's
CAMEO.eventcodes.txt / CAMEO.goldsteinscale.txt) or counted from the raw file with plain
string rules written here, never read back from the reader's own output.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import pyarrow as pa
import pytest

from tracktwo._errors import FileFormatError
from tracktwo.events._icews import is_icews_header, read_icews, unknown_actors, unknown_sectors
from tracktwo.events._quarantine import QuarantinedRow
from tracktwo.store._schema import EVENT_COLUMNS
from tracktwo.taxonomy import load_taxonomy

DATA = Path(__file__).parent / "data"
EXTRACT = DATA / "icews_khm_extract.tsv"
TEXTS_CSV = Path(__file__).parents[1] / "tracktwo" / "taxonomy" / "data" / "icews_event_texts.csv"
CAMEO_TSV = TEXTS_CSV.parent / "cameo.tsv"

KG_HEADER = "source_actor\tcameo_event_text\ttarget_actor\tdate\tsplit"
DATAVERSE_NAMES = [
    "Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country",
    "Event Text", "CAMEO Code", "Intensity", "Target Name", "Target Sectors",
    "Target Country", "Story ID", "Sentence Number", "Publisher", "City", "District",
    "Province", "Country", "Latitude", "Longitude",
]  # fmt: skip
ARROW_OF_DUCKDB = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
    "TINYINT": pa.int8(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
}


def _raw_rows() -> list[list[str]]:
    """The extract's data rows split by hand: drop CRLF, drop the header, split on TAB."""
    text = EXTRACT.read_bytes().decode("utf-8")
    return [line.split("\t") for line in text.split("\r\n")[1:] if line]


@pytest.fixture(scope="module")
def extract() -> tuple[pa.Table, list[QuarantinedRow]]:
    with EXTRACT.open(encoding="utf-8", newline="") as handle:
        return read_icews(handle, source_file=EXTRACT.name)


def _find(table: pa.Table, source: str, text: str, target: str, day: dt.date) -> dict:
    """The one row of the table with these actor names and date (text checked by the caller)."""
    hits = [
        row
        for row in table.to_pylist()
        if (row["actor1_name"], row["actor2_name"], row["event_date"]) == (source, target, day)
    ]
    assert len(hits) == 1, (source, text, target, day)
    return hits[0]


# -- headers ---------------------------------------------------------------------------


def test_headers_of_both_layouts_in_both_separators_are_recognised() -> None:
    assert is_icews_header(KG_HEADER + "\r\n")
    assert is_icews_header("source_actor\tcameo_event_text\ttarget_actor\tdate")
    assert is_icews_header("source_actor,cameo_event_text,target_actor,date,split")
    assert is_icews_header("\t".join(DATAVERSE_NAMES))
    assert is_icews_header(",".join(DATAVERSE_NAMES) + "\n")


def test_other_first_lines_are_not_icews_headers() -> None:
    gdelt_row = "1001\t20150101\t201501\t2015\t2015.0027\tKHM\tCAMBODIA"
    assert not is_icews_header(gdelt_row)
    assert not is_icews_header("source_actor\tcameo_event_text\ttarget_actor")
    assert not is_icews_header("\t".join(DATAVERSE_NAMES[:-1]))
    assert not is_icews_header("")


# -- the real extract --------------------------------------------------------------------


def test_every_row_of_the_extract_is_read(extract: tuple[pa.Table, list[QuarantinedRow]]) -> None:
    table, bad = extract
    # 1,377 CRLF-terminated lines = the header + 1,376 events (SOURCE.txt says 1,376)
    assert EXTRACT.read_bytes().count(b"\r\n") == 1377
    assert bad == []
    assert table.num_rows == 1376 == len(_raw_rows())


def test_table_has_exactly_the_event_columns_and_types(
    extract: tuple[pa.Table, list[QuarantinedRow]],
) -> None:
    table, _ = extract
    assert table.column_names == [name for name, _, _ in EVENT_COLUMNS]
    for name, kind, _ in EVENT_COLUMNS:
        assert table.schema.field(name).type == ARROW_OF_DUCKDB[kind], name


def test_constant_columns(extract: tuple[pa.Table, list[QuarantinedRow]]) -> None:
    table, _ = extract
    assert set(table.column("source_format").to_pylist()) == {"icews"}
    assert set(table.column("source_file").to_pylist()) == {"icews_khm_extract.tsv"}
    assert set(table.column("is_reemission").to_pylist()) == {False}
    for one in ("num_mentions", "num_sources", "num_articles"):
        assert set(table.column(one).to_pylist()) == {1}
    for empty in ("global_event_id", "date_added", "avg_tone", "source_url", "is_root_event"):
        assert table.column(empty).null_count == 1376, empty
    assert table.column("action_country").null_count == 1376


def test_dates_span_2005_to_2015(extract: tuple[pa.Table, list[QuarantinedRow]]) -> None:
    table, _ = extract
    # the earliest row is 2005-01-12 (SOURCE.txt of the shared copy rounds it to 01-01)
    raw_dates = sorted(row[3] for row in _raw_rows())
    days = table.column("event_date").to_pylist()
    assert (raw_dates[0], raw_dates[-1]) == ("2005-01-12", "2015-12-31")
    assert (min(days), max(days)) == (dt.date(2005, 1, 12), dt.date(2015, 12, 31))


def _is_cambodia(name: str) -> bool:
    # the extract holds no Cambodian person or group facing a US actor, so the state and
    # "Sector (Cambodia)" actors are all the Cambodian side there is in these pairs
    return name == "Cambodia" or name.endswith("(Cambodia)")


def _is_united_states(name: str) -> bool:
    # Barack Obama is the only named American in the extract (the wire agency Associated
    # Press is deliberately left without a country)
    return name in ("United States", "Barack Obama") or name.endswith("(United States)")


def test_the_29_cambodia_us_rows(extract: tuple[pa.Table, list[QuarantinedRow]]) -> None:
    table, _ = extract
    by_rule = sum(
        (_is_cambodia(a) and _is_united_states(b)) or (_is_united_states(a) and _is_cambodia(b))
        for a, _, b, _, _ in _raw_rows()
    )
    pairs = [
        row
        for row in table.to_pylist()
        if {row["actor1_country"], row["actor2_country"]} == {"KHM", "USA"}
    ]
    assert by_rule == 29
    assert len(pairs) == 29


# Four rows of the extract (source, event text, target, date) and their fields, worked out by
# hand from the CAMEO codebook
ROWS_BY_HAND = {
    "obama negotiation": (
        ("Barack Obama", "Engage in negotiation", "Cambodia", dt.date(2009, 11, 16)),
        {"actor1_code": "USAGOV", "actor1_country": "USA", "actor1_type1": "GOV",
         "actor2_code": "KHM", "actor2_country": "KHM", "actor2_type1": None,
         # CAMEO 046 "Engage in negotiation": Goldstein 7.0; root 04 -> verbal cooperation
         "event_code": "046", "event_base_code": "046", "event_root_code": "04",
         "goldstein": 7.0, "quad_class": 1,
         "event_uid": "icews:" + hashlib.sha1(
             b"barack obama|engage in negotiation|cambodia|2009-11-16").hexdigest()},
    ),
    "arrest of american men": (
        ("Cambodia", "Arrest, detain, or charge with legal action", "Men (United States)",
         dt.date(2008, 8, 6)),
        {"actor1_code": "KHM", "actor1_type1": None,
         "actor2_code": "USACVL", "actor2_country": "USA", "actor2_type1": "CVL",
         # CAMEO 173 "Arrest, detain, or charge with legal action": Goldstein -5.0, root 17 -> 4
         "event_code": "173", "event_base_code": "173", "event_root_code": "17",
         "goldstein": -5.0, "quad_class": 4},
    ),
    "police phone news agency": (
        ("Police (Cambodia)", "Discuss by telephone", "Agence France-Presse", dt.date(2005, 9, 24)),
        {"actor1_code": "KHMCOP", "actor1_country": "KHM", "actor1_type1": "COP",
         "actor2_code": "MED", "actor2_country": None, "actor2_type1": "MED",
         "event_code": "041", "goldstein": 1.0, "quad_class": 1},
    ),
    "four-digit code": (
        ("China", "Express intent to cooperate economically", "Cambodia", dt.date(2010, 12, 18)),
        {"actor1_code": "CHN", "actor2_code": "KHM",
         # CAMEO 0311: base 031, root 03, Goldstein 5.2
         "event_code": "0311", "event_base_code": "031", "event_root_code": "03",
         "goldstein": 5.2},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", ROWS_BY_HAND)
def test_rows_worked_out_by_hand(extract: tuple[pa.Table, list[QuarantinedRow]], name: str) -> None:
    table, _ = extract
    (source, text, target, day), expected = ROWS_BY_HAND[name]
    row = _find(table, source, text, target, day)
    assert {field: row[field] for field in expected} == expected


def test_every_extract_text_is_in_the_mapping_file() -> None:
    with TEXTS_CSV.open(encoding="utf-8", newline="") as handle:
        mapped = {row["text"] for row in csv.DictReader(handle)}
    used = {row[1] for row in _raw_rows()}
    assert len(used) == 93
    assert used <= mapped


def test_texts_equal_to_a_cameo_description_keep_its_code() -> None:
    with CAMEO_TSV.open(encoding="utf-8", newline="") as handle:
        by_description = {
            row["description"].strip().casefold(): row["code"]
            for row in csv.DictReader(handle, delimiter="\t")
            if len(row["code"]) > 2  # roots are recorded with their "0" code: checked below
        }
    with TEXTS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    same_wording = [r for r in rows if r["text"].casefold() in by_description]
    assert len(same_wording) == 65  # 76 exact matches in SOURCE.txt less the 11 root texts
    for row in same_wording:
        assert row["code"] == by_description[row["text"].casefold()], row["text"]
    codes = {r["text"]: r["code"] for r in rows}
    assert (codes["Consult"], codes["Reject"], codes["Threaten"]) == ("040", "120", "130")
    assert (codes["Make statement"], codes["Accuse"], codes["Praise or endorse"]) == (
        "010",
        "112",
        "051",
    )


def test_every_row_gets_a_cameo_code(extract: tuple[pa.Table, list[QuarantinedRow]]) -> None:
    table, _ = extract
    assert table.column("event_code").null_count == 0
    assert table.column("goldstein").null_count == 0
    consult = table.column("event_code").to_pylist().count("040")
    assert consult == sum(row[1] == "Consult" for row in _raw_rows()) == 173


def test_unknown_actors_of_the_extract(extract: tuple[pa.Table, list[QuarantinedRow]]) -> None:
    table, _ = extract
    unknown = dict(unknown_actors(table))
    raw_names = [name for row in _raw_rows() for name in (row[0], row[2])]
    asean = "Association of Southeast Asian Nations"
    assert unknown[asean] == raw_names.count(asean) == 26
    assert unknown["Middle East"] == 1
    assert unknown["Media Personnel (International)"] == 1
    assert "Cambodia" not in unknown
    assert "Barack Obama" not in unknown
    assert unknown_actors(table)[0] == (asean, 26)
    assert unknown_sectors(table) == []


# -- hand-made files ---------------------------------------------------------------------


def test_bad_rows_are_quarantined_with_their_line_numbers() -> None:
    lines = [
        KG_HEADER + "\r\n",
        "Cambodia\tConsult\tThailand\t2011-08-10\ttest\r\n",
        "Cambodia\tConsult\tThailand\r\n",
        "\r\n",
        "Vietnam\tHost a visit\tCambodia\t2009-13-45\tvalid\r\n",
        "Laos\tDance wildly\tCambodia\t2010-01-02\r\n",
        "Military (Cambodia)\tAccuse\tThailand\t2011-02-05\n",
    ]
    table, bad = read_icews(lines, source_file="bad.tsv")
    assert bad == [
        QuarantinedRow(3, "expected 4 or 5 tab-separated fields, found 3", lines[2].rstrip()),
        QuarantinedRow(5, "date '2009-13-45' is not YYYY-MM-DD", lines[4].rstrip()),
        QuarantinedRow(6, "event text 'Dance wildly' has no CAMEO code", lines[5].rstrip()),
    ]
    assert table.column("actor1_code").to_pylist() == ["KHM", "KHMMIL"]
    assert table.column("event_code").to_pylist() == ["040", "112"]
    assert table.column("event_date").to_pylist() == [dt.date(2011, 8, 10), dt.date(2011, 2, 5)]


def test_a_file_without_an_icews_header_is_refused() -> None:
    with pytest.raises(FileFormatError, match="not an ICEWS header"):
        read_icews(["Cambodia\tConsult\tThailand\t2011-08-10\n"], source_file="x.tsv")
    with pytest.raises(FileFormatError, match="empty file"):
        read_icews([], source_file="x.tsv")


def test_comma_separated_extract_with_quoted_text() -> None:
    lines = [
        "source_actor,cameo_event_text,target_actor,date\n",
        'Police (Cambodia),"Arrest, detain, or charge with legal action",Activist (Thailand),'
        "2010-06-01\n",
    ]
    table, bad = read_icews(lines, source_file="x.csv")
    assert bad == []
    row = table.to_pylist()[0]
    assert (row["actor1_code"], row["actor2_code"], row["event_code"]) == (
        "KHMCOP",
        "THANGM",
        "173",
    )


def test_texts_missing_from_the_file_fall_back_on_cameo_descriptions() -> None:
    lines = [
        KG_HEADER + "\n",
        "Thailand\tThreaten to boycott, embargo, or sanction\tCambodia\t2010-01-01\tx\n",
        "Citizen (Cambodia)\tDemonstrate for rights\tCambodia\t2010-01-02\tx\n",
    ]
    table, bad = read_icews(lines, source_file="x.tsv")
    assert bad == []
    # CAMEO 1312: Goldstein -5.8 (threaten, verbal conflict); 1413: -6.5 (protest, material)
    assert table.column("event_code").to_pylist() == ["1312", "1413"]
    assert table.column("goldstein").to_pylist() == [-5.8, -6.5]
    assert table.column("quad_class").to_pylist() == [3, 4]


def test_event_uid_depends_on_content_only() -> None:
    lines = [
        KG_HEADER + "\n",
        "Cambodia\tConsult\tThailand\t2011-08-10\ttest\n",
        " cambodia \tCONSULT\tThailand\t2011-08-10\tvalid\n",
        "Cambodia\tConsult\tThailand\t2011-08-11\ttest\n",
        "Thailand\tConsult\tCambodia\t2011-08-10\ttest\n",
    ]
    table, _ = read_icews(lines, source_file="a.tsv")
    again, _ = read_icews(lines[:2], source_file="b.tsv")
    uids = table.column("event_uid").to_pylist()
    expected = "icews:" + hashlib.sha1(b"cambodia|consult|thailand|2011-08-10").hexdigest()
    assert uids[0] == uids[1] == again.column("event_uid")[0].as_py() == expected
    assert len({uids[0], uids[2], uids[3]}) == 3


def _dataverse_line(values: dict[str, str]) -> str:
    return "\t".join(values.get(name, "") for name in DATAVERSE_NAMES) + "\r\n"


def test_dataverse_layout() -> None:
    rows = [
        {
            "Event ID": "20451387", "Event Date": "2012-11-19", "Source Name": "Hun Sen",
            "Source Sectors": "Government,Executive,Executive Office,Elite",
            "Source Country": "Cambodia", "Event Text": "Host a visit", "CAMEO Code": "43",
            "Intensity": "2.8", "Target Name": "Barack Obama",
            "Target Sectors": "Executive,Government", "Target Country": "United States",
            "Country": "Cambodia", "City": "Phnom Penh",
        },
        {
            "Event ID": "20451388", "Event Date": "2012-11-20", "Source Name": "Police (Cambodia)",
            "Source Sectors": "Police", "Source Country": "Cambodia",
            "Event Text": "Arrest, detain, or charge with legal action", "CAMEO Code": "173",
            "Target Name": "Citizen (Thailand)", "Target Sectors": "Citizen",
            "Target Country": "Thailand", "Country": "Thailand",
        },
        {
            "Event ID": "20451389", "Event Date": "2012-11-21", "Source Name": "Vietnam",
            "Source Country": "Vietnam", "Event Text": "Express intent to cooperate economically",
            "CAMEO Code": "311", "Target Name": "Cambodia", "Target Country": "Cambodia",
        },
    ]  # fmt: skip
    lines = ["\t".join(DATAVERSE_NAMES) + "\r\n", *(_dataverse_line(r) for r in rows)]
    table, bad = read_icews(lines, source_file="events.2012.tab")
    assert bad == []
    got = table.to_pylist()
    assert [r["event_uid"] for r in got] == ["icews:20451387", "icews:20451388", "icews:20451389"]
    # codes lose their leading zero in the release: 43 -> 043, 311 -> 0311
    assert [r["event_code"] for r in got] == ["043", "173", "0311"]
    assert [r["goldstein"] for r in got] == [2.8, -5.0, 5.2]
    hun_sen = got[0]
    assert (hun_sen["actor1_code"], hun_sen["actor1_type1"], hun_sen["actor1_type2"]) == (
        "KHMGOV",
        "GOV",
        "ELI",
    )
    assert (hun_sen["actor2_code"], hun_sen["actor2_country"]) == ("USAGOV", "USA")
    # the FIPS 10-4 codes of Cambodia and Thailand are CB and TH
    assert [r["action_country"] for r in got] == ["CB", "TH", None]
    assert (got[1]["actor1_code"], got[1]["actor2_code"]) == ("KHMCOP", "THACVL")
    assert (got[2]["actor1_code"], got[2]["actor2_code"]) == ("VNM", "KHM")


def test_dataverse_unknown_code_is_quarantined() -> None:
    row = {"Event ID": "1", "Event Date": "2012-01-01", "CAMEO Code": "999", "Event Text": "x"}
    lines = [",".join(DATAVERSE_NAMES) + "\n", ",".join(row.get(n, "") for n in DATAVERSE_NAMES)]
    table, bad = read_icews(lines, source_file="x.csv")
    assert table.num_rows == 0
    assert bad == [QuarantinedRow(2, "CAMEO code '999' is unknown", lines[1])]


def test_a_taxonomy_folder_can_extend_the_actor_map(tmp_path: Path) -> None:
    (tmp_path / "icews_actors.csv").write_text(
        "name,country,type_code\nAssociated Press,USA,MED\n", encoding="utf-8"
    )
    lines = [KG_HEADER + "\n", "Associated Press\tMake statement\tCambodia\t2010-01-24\tvalid\n"]
    table, _ = read_icews(lines, source_file="x.tsv", taxonomy=load_taxonomy(tmp_path))
    assert table.column("actor1_code").to_pylist() == ["USAMED"]
    default, _ = read_icews(lines, source_file="x.tsv")
    assert default.column("actor1_code").to_pylist() == ["MED"]
