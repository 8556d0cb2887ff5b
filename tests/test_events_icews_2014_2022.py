"""The shipped ICEWS benchmark extracts of 2014, 2018, 2021 and 2022: every row read, every
actor placed, the overlap with the 2005-2015 extract stored once.

Figures are counted from the shipped files with plain string rules written here (split on
TAB, header dropped) or by hand in the comments, never read back from tracktwo's output.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracktwo.cli import app
from tracktwo.datasets import dataset_path
from tracktwo.events import ingest_file, unplaced_actors
from tracktwo.events._icews import read_icews
from tracktwo.store import EventStore

EXTRACT = "icews_khm_extract.tsv"
BENCHMARKS = {
    "icews14_khm.tsv": "icews14",
    "icews18_khm.tsv": "icews18",
    "icews21_khm.tsv": "icews21",
    "icews22_khm.tsv": "icews22",
}


def _rows(name: str) -> list[list[str]]:
    """The file's data rows split by hand (LF or CRLF, TAB), header dropped."""
    text = dataset_path(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.replace("\r\n", "\n").split("\n")[1:] if line]


def _read(name: str):  # type: ignore[no-untyped-def]
    path = dataset_path(name)
    return read_icews(path.read_text(encoding="utf-8").splitlines(), source_file=name)


@pytest.fixture(scope="module")
def icews_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extract, then the four benchmark files, as the demo ingests them."""
    home = tmp_path_factory.mktemp("icews-2005-2022")
    with EventStore(home, write=True) as store:
        ingest_file(store, dataset_path(EXTRACT), source="icews05-15")
        for name, source in BENCHMARKS.items():
            ingest_file(store, dataset_path(name), source=source)
    return home


@pytest.fixture
def icews_store(icews_home: Path) -> Iterator[EventStore]:
    with EventStore(icews_home, read_only=True) as store:
        yield store


# -- the files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rows"),
    # the SOURCE.txt of the shared folder: 516 + 1,246 + 377 + 845 = 2,984 rows
    [("icews14_khm.tsv", 516), ("icews18_khm.tsv", 1246), ("icews21_khm.tsv", 377),
     ("icews22_khm.tsv", 845)],
)  # fmt: skip
def test_every_row_is_read_and_none_is_quarantined(name: str, rows: int) -> None:
    table, bad = _read(name)
    assert len(_rows(name)) == rows
    assert (table.num_rows, bad) == (rows, [])
    assert table.column("event_code").null_count == 0


def test_two_texts_new_in_the_benchmarks_have_their_cameo_codes() -> None:
    # "Conduct suicide, car, or other non-military bombing" (ICEWS14, Khmer Rouge -> Cambodia,
    # 2014-07-24) is CAMEO 183; "Reduce or stop material aid" (ICEWS18, European Union ->
    # National Election Committee, 2018-09-15) is CAMEO 162 "Reduce or stop aid"
    table, _ = _read("icews14_khm.tsv")
    texts = [row[1] for row in _rows("icews14_khm.tsv")]
    bombing = texts.index("Conduct suicide, car, or other non-military bombing")
    assert table.column("event_code")[bombing].as_py() == "183"
    table, _ = _read("icews18_khm.tsv")
    texts = [row[1] for row in _rows("icews18_khm.tsv")]
    assert table.column("event_code")[texts.index("Reduce or stop material aid")].as_py() == "162"


# -- actors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "country", "type_code"),
    [
        ("Li Keqiang", "CHN", "GOV"),  # premier of China
        ("Wendy Sherman", "USA", "GOV"),  # US deputy secretary of state, 2021
        ("National Democratic Institute for International Affairs", "USA", "NGO"),  # US NGO
        ("Min Aung Hlaing", "MMR", "GOV"),  # head of Myanmar's military government, 2022
        ("Cambodia National Rescue Party", "KHM", "OPP"),
        ("Governor (Cambodia)", "KHM", "LOC"),  # sub-national government: the local track
        ("Citizen (Netherlands)", "NLD", "CVL"),  # ICEWS's "Netherlands" is "The Netherlands"
        ("Xinjiang\u00a0Uyghur", "CHN", "LOC"),  # the benchmark writes a no-break space
        ("Opposition Supporter (Cambodia)", "KHM", "OPP"),  # a sector added for the benchmarks
    ],
)
def test_named_actors_get_their_country(name: str, country: str, type_code: str) -> None:
    lines = [
        "source_actor\tcameo_event_text\ttarget_actor\tdate",
        f"{name}\tConsult\tCambodia\t2018-01-02",
    ]
    table, _ = read_icews(lines, source_file="one.tsv")
    row = table.to_pylist()[0]
    assert (row["actor1_country"], row["actor1_type1"]) == (country, type_code)


def _country_names() -> set[str]:
    """The English names of countries.csv, read here with csv, plus ICEWS's own spellings."""
    path = Path(__file__).parents[1] / "tracktwo" / "taxonomy" / "data" / "countries.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        names = {row["name"].casefold() for row in csv.DictReader(handle)}
    return names | {"russian federation", "burma", "czech republic", "east timor", "macedonia",
                    "occupied palestinian territory", "swaziland", "netherlands"}  # fmt: skip


def test_no_named_actor_passes_for_the_state_itself() -> None:
    # an actor with a country but no type counts as the state (the official track): only a
    # bare country name may be one, never a person, party or "Sector (Country)" name
    countries = _country_names()
    for name in BENCHMARKS:
        table = _read(name)[0].to_pylist()
        for row in table:
            for side in ("actor1", "actor2"):
                if row[f"{side}_country"] and not row[f"{side}_type1"]:
                    assert row[f"{side}_name"].casefold() in countries, row[f"{side}_name"]


def test_unplaced_actors_by_hand(icews_store: EventStore) -> None:
    # Before the actor map was extended, 113 names of actor_sides.csv had no country (782 of
    # their rows); 30 of those have none on purpose (the UN, ASEAN, wire agencies, ICEWS's
    # "Unspecified Actor", "Southeast Asia" ...). Left: one ICEWS18 row, Hun Sen accusing
    # "Armed Separatist (National Liberation Front)" (2018-04-26), whose front ICEWS does not
    # place; the 2005-2015 extract leaves none ("Middle East" is a region, on purpose).
    unplaced = unplaced_actors(icews_store)
    assert unplaced.to_dict("records") == [
        {"name": "Armed Separatist (National Liberation Front)", "events": 1}
    ]


def test_no_event_of_cambodias_top_20_partners_is_lost_to_an_unplaced_actor(
    icews_store: EventStore,
) -> None:
    partners = [
        code
        for code, _count in icews_store.con.execute(
            """SELECT partner, count(*) AS n FROM (
                   SELECT CASE WHEN actor1_country = 'KHM' THEN actor2_country
                               ELSE actor1_country END AS partner
                   FROM events WHERE (actor1_country = 'KHM' OR actor2_country = 'KHM')
                     AND coalesce(actor1_country, '') <> coalesce(actor2_country, ''))
               WHERE partner IS NOT NULL GROUP BY partner ORDER BY n DESC, partner LIMIT 20"""
        ).fetchall()
    ]
    # Cambodia's neighbours and the big powers lead (Thailand has the most events)
    assert partners[0] == "THA" and {"VNM", "CHN", "USA", "JPN", "LAO"} <= set(partners[:8])
    assert len(partners) == 20
    # an event between a Cambodian actor and an unplaced one might belong to one of them:
    # there is a single such event, and its other actor names a movement, not a state
    unplaced = set(unplaced_actors(icews_store)["name"])
    lost = icews_store.con.execute(
        """SELECT actor1_name, actor2_name, event_date FROM events
           WHERE (actor1_country = 'KHM' AND list_contains(?, actor2_name))
              OR (actor2_country = 'KHM' AND list_contains(?, actor1_name))""",
        [sorted(unplaced), sorted(unplaced)],
    ).fetchall()
    assert lost == [("Hun Sen", "Armed Separatist (National Liberation Front)", date(2018, 4, 26))]


def test_events_status_reports_the_unplaced_actors(icews_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["--home", str(icews_home), "events", "status"])
    assert shown.exit_code == 0, shown.output
    assert "1 ICEWS actor name(s) in 1 event(s) have no country" in shown.output
    assert "Armed Separatist (National Liberation Front) (1)" in shown.output
    # the sources table: events seen in each source (ICEWS14 counts its 50 rows stored
    # from the extract first: 516; ICEWS22's 845 rows hold 626 distinct events)
    for source, events in (("icews14", "516"), ("icews18", "1,246"), ("icews22", "626")):
        assert any(source in line and events in line for line in shown.output.splitlines())
    listed = runner.invoke(
        app, ["--home", str(icews_home), "events", "status", "--unplaced", "--format", "csv"]
    )
    assert listed.output.splitlines() == [
        "name,events",
        "Armed Separatist (National Liberation Front),1",
    ]


def test_an_unknown_name_is_reported_and_the_un_is_not(tmp_path: Path) -> None:
    events = tmp_path / "two.tsv"
    events.write_text(
        "source_actor\tcameo_event_text\ttarget_actor\tdate\n"
        "Somchai Unknownname\tConsult\tCambodia\t2018-01-02\n"
        "Somchai Unknownname\tMake a visit\tCambodia\t2018-01-03\n"
        "United Nations\tConsult\tCambodia\t2018-01-02\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    home = ["--home", str(tmp_path / "h")]
    assert runner.invoke(app, [*home, "events", "ingest", str(events)]).exit_code == 0
    shown = runner.invoke(app, [*home, "events", "status"])
    assert "1 ICEWS actor name(s) in 2 event(s) have no country: Somchai Unknownname (2)" in (
        " ".join(shown.output.split())
    )


# -- the overlap of the 2005-2015 extract and ICEWS14 ------------------------------------------


def test_rows_in_both_files_are_stored_once(icews_store: EventStore) -> None:
    # 50 (source, event, target, date) rows are in both files, counted with
    #   awk -F'\t' 'NR==FNR{gsub(/\r/,""); if(FNR>1) k[$1"|"$2"|"$3"|"$4]=1; next}
    #               FNR>1 && ($1"|"$2"|"$3"|"$4) in k' icews_khm_extract.tsv icews14_khm.tsv | wc -l
    # (the extract has CRLF line ends, ICEWS14 LF; both have a split column that differs)
    extract = {tuple(r[:4]) for r in _rows(EXTRACT)}
    both = [r for r in _rows("icews14_khm.tsv") if tuple(r[:4]) in extract]
    assert len(both) == 50
    logged = icews_store.con.execute(
        "SELECT source_file, rows_added, rows_already_stored FROM ingested_files "
        "WHERE source_file = 'icews14_khm.tsv'"
    ).fetchall()
    assert logged == [("icews14_khm.tsv", 516 - 50, 50)]
    # each stored copy keeps the extract's file; ICEWS14 is recorded as having seen it too
    seen = icews_store.con.execute(
        "SELECT count(*), count(DISTINCT event_uid) FROM event_sources WHERE source = 'icews14'"
    ).fetchall()
    assert seen == [(50, 50)]


def test_cambodia_us_events_of_2014_counted_once(icews_store: EventStore) -> None:
    # ICEWS14 has 10 Cambodia-US rows (2014-06-05 Cambodia hosts / the US cabinet visits;
    # 06-11 Cambodia arrests Men (United States); 08-12 Hun Sen criticises Barack Obama; 08-20
    # U.S. Army Pacific praises Cambodia, US military personnel and Cambodia consult (2); 08-30
    # Foreign Affairs (US) statement; 09-18 Cambodia praises Obama; 10-30 US military
    # personnel statement to Criminal (Cambodia)). The extract's one 2014 Cambodia-US row is
    # the 06-11 arrest, also in ICEWS14: 10 + 1 - 1 = 10 stored.
    stored = icews_store.con.execute(
        """SELECT count(*) FROM events WHERE year(event_date) = 2014
           AND ((actor1_country = 'KHM' AND actor2_country = 'USA')
             OR (actor1_country = 'USA' AND actor2_country = 'KHM'))"""
    ).fetchall()
    assert stored == [(10,)]


def test_a_second_ingest_adds_no_event_and_no_sighting(tmp_path: Path) -> None:
    with EventStore(tmp_path / "h", write=True) as store:
        ingest_file(store, dataset_path(EXTRACT), source="icews05-15")
        first = ingest_file(store, dataset_path("icews14_khm.tsv"), source="icews14")
        again = ingest_file(store, dataset_path("icews14_khm.tsv"), source="icews14")
        assert (first.rows_added, again.rows_added, again.rows_already_stored) == (466, 0, 516)
        assert store.count("event_sources") == 50
        # the file keeps the source it was first ingested as
        files = store.con.execute("SELECT source_file, source FROM source_files ORDER BY 1")
        assert files.fetchall() == [("icews14_khm.tsv", "icews14"), (EXTRACT, "icews05-15")]


def test_repeated_rows_of_icews22_are_one_event(icews_store: EventStore) -> None:
    # SOURCE.txt: "Some quadruples occur twice in the source and are kept". The content hash
    # makes a repeat the same event: 845 rows, 626 distinct (source, event, target, date)
    distinct = {tuple(r[:4]) for r in _rows("icews22_khm.tsv")}
    assert len(distinct) == 626
    assert icews_store.con.execute(
        "SELECT count(*) FROM events WHERE source_file = 'icews22_khm.tsv'"
    ).fetchall() == [(626,)]
