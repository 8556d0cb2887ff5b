"""Importing and exporting the registry, and the name matching behind it, on both backends."""

from __future__ import annotations

import csv
import json
import sys
import xml.etree.ElementTree as ElementTree
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracktwo.bridges import Activity, Actor, Registry, Tie
from tracktwo.bridges._export import export_registry, registry_rows
from tracktwo.bridges._io import RowsRejected, import_file, read_records
from tracktwo.bridges._matching import Candidate, NameIndex, normalise_name

pytestmark = pytest.mark.postgres

DATA = Path(__file__).parent / "data"
MIXED = DATA / "bridges_mixed.csv"
BAD = DATA / "bridges_bad.csv"
MORE = DATA / "bridges_more.jsonl"


def _counts(registry: Registry) -> tuple[int, int, int]:
    with registry.read() as session:
        return (session.query(Actor).count(), session.query(Tie).count(),
                session.query(Activity).count())  # fmt: skip


# -- names ------------------------------------------------------------------------------


def test_normalise_name_folds_latin_but_keeps_khmer() -> None:
    assert normalise_name("City of Phnom-Pénh") == "phnom penh"
    assert normalise_name("  Siem   Reap Municipality ") == "siem reap"
    assert normalise_name("Ho Chi Minh City") == "ho chi minh city"  # bare "city" stays
    # Khmer subscripts and vowel signs are combining marks that change the word: kept
    assert normalise_name("ភ្នំពេញ") == "ភ្នំពេញ"


def test_fuzzy_match_only_at_or_above_the_threshold() -> None:
    index = NameIndex([Candidate(1, "Phnom Penh", "KHM", kind="city")], threshold=92)
    # by hand: "phnom penh" vs "phnum penh": 2 insert/delete edits over 10 + 10 characters,
    # similarity 1 - 2/20 = 0.90 -> 90, under 92
    below = index.match("Phnum Penh", "KHM")
    assert (below.status, below.candidate, below.score) == ("unmatched", None, 90.0)
    lowered = NameIndex([Candidate(1, "Phnom Penh", "KHM", kind="city")], threshold=90)
    taken = lowered.match("Phnum Penh", "KHM")
    assert (taken.status, taken.candidate.key, taken.score) == ("fuzzy", 1, 90.0)
    assert index.match("Phnom Penh", "USA").status == "unmatched"  # other country


def test_two_springfields_are_ambiguous_unless_coordinates_decide() -> None:
    index = NameIndex([
        Candidate(1, "Springfield", "USA", latitude=39.80172, longitude=-89.64371),  # Illinois
        Candidate(2, "Springfield", "USA", latitude=42.10148, longitude=-72.58981),  # Mass.
    ])  # fmt: skip
    assert index.match("Springfield", "USA").status == "ambiguous"
    # a typo scores 95.2 for both (1 edit over 21 characters): no margin between them
    assert index.match("Springfeld", "USA").status == "ambiguous"
    near_illinois = index.match("Springfield", "USA", latitude=39.78, longitude=-89.65)
    assert (near_illinois.status, near_illinois.candidate.key) == ("exact", 1)


def test_alternate_names_match_exactly() -> None:
    index = NameIndex([Candidate(7, "Phnom Penh", "KHM", alt_names=("Krong Chaktomuk",))])
    found = index.match("krong chaktomuk", "KHM")
    assert (found.status, found.candidate.key) == ("alternate", 7)


# -- reading files ------------------------------------------------------------------------


def test_records_keep_their_line_numbers(tmp_path: Path) -> None:
    array = tmp_path / "rows.json"
    array.write_text('[\n {"name": "A",\n  "country": "KHM"},\n\n {"name": "B"}\n]\n')
    assert [line for line, _ in read_records(array)] == [2, 5]
    assert [line for line, _ in read_records(MORE)] == [1, 2, 4]  # line 3 is blank
    assert [line for line, _ in read_records(MIXED)] == [2, 3, 4, 5, 6, 7]


def test_compression_is_read_from_the_first_bytes_not_the_name(tmp_path: Path) -> None:
    import bz2
    import gzip

    plain = MIXED.read_bytes()
    expected = read_records(MIXED)
    named_gz = tmp_path / "plain-named.csv.gz"  # plain text behind a .gz name
    named_gz.write_bytes(plain)
    gzip_as_csv = tmp_path / "gzipped.csv"  # gzip behind a plain name
    gzip_as_csv.write_bytes(gzip.compress(plain))
    bz2_as_gz = tmp_path / "bzipped.csv.gz"  # bzip2 behind the wrong compression suffix
    bz2_as_gz.write_bytes(bz2.compress(plain))
    for path in (named_gz, gzip_as_csv, bz2_as_gz):
        assert read_records(path) == expected, path.name
    assert len(expected) == 6  # lines 2-7 of the shipped file, by hand


# -- importing ----------------------------------------------------------------------------


def test_import_mixed_csv_then_reimport_changes_nothing(registry: Registry) -> None:
    report = import_file(registry, MIXED)
    assert report.rows() == [
        {"record": "actor", "created": 3, "updated": 0, "unchanged": 0},
        {"record": "tie", "created": 2, "updated": 0, "unchanged": 0},
        {"record": "activity", "created": 1, "updated": 0, "unchanged": 0},
    ]
    with registry.read() as session:
        city = session.query(Actor).filter_by(name="Phnom Penh").one()
        assert (city.local_name, city.country, city.alt_names) == (
            "ភ្នំពេញ", "KHM", ["Phnum Penh", "Krong Chaktomuk"])  # fmt: skip
        rupp = session.query(Actor).filter_by(web_domain="rupp.edu.kh").one()
        assert (rupp.country, rupp.areas_offered) == ("KHM", ["education", "science"])
        assert session.query(Actor).filter_by(name="Long Beach").one().country == "USA"
        tie = session.query(Tie).filter_by(channel="sister_city").one()
        assert (tie.areas, tie.start_date, tie.status) == (
            ["culture", "education"], date(2007, 1, 1), "active")  # fmt: skip
        visit = session.query(Activity).one()
        assert (visit.tie_id, visit.activity_date, visit.participants, visit.note) == (
            tie.id, date(2019, 5, 2), 12, "mayors' visit")  # fmt: skip
    again = import_file(registry, MIXED)
    assert [r["unchanged"] for r in again.rows()] == [3, 2, 1]
    assert [r["created"] + r["updated"] for r in again.rows()] == [0, 0, 0]
    assert _counts(registry) == (3, 2, 1)


def test_bad_rows_are_all_reported_and_nothing_is_written(registry: Registry) -> None:
    import_file(registry, MIXED)
    before = _counts(registry)
    with pytest.raises(RowsRejected) as caught:
        import_file(registry, BAD)
    found = [(p.line, p.field) for p in caught.value.report.problems]
    assert found == [(3, "kind"), (5, "country_b"), (6, "actor_b"), (7, "date")]
    assert "unknown actor kind 'wizard'" in str(caught.value)
    assert "'2019-13-01' is not a date" in str(caught.value)
    assert _counts(registry) == before  # Phnom Penh on line 2 was fine, but not written either


def test_jsonl_ties_can_name_an_actor_by_external_id(registry: Registry) -> None:
    import_file(registry, MIXED)
    report = import_file(registry, MORE)
    assert (report.count("actor", "created"), report.count("tie", "created")) == (2, 1)
    with registry.read() as session:
        tie = session.query(Tie).filter_by(channel="exchange_programme").one()
        assert {tie.actor_a.name, tie.actor_b.name} == {"Lowell", "Royal University of Phnom Penh"}


def test_actor_upserts_on_external_id_before_name(registry: Registry, tmp_path: Path) -> None:
    import_file(registry, MIXED)
    renamed = tmp_path / "renamed.csv"
    renamed.write_text("name,country,kind,web_domain\nRUPP,KHM,university,rupp.edu.kh\n")
    report = import_file(registry, renamed)
    assert report.count("actor", "updated") == 1
    with registry.read() as session:
        assert session.query(Actor).filter_by(web_domain="rupp.edu.kh").one().name == "RUPP"
        assert session.query(Actor).count() == 3


def _one_a_line(path: Path, records: list[dict]) -> int:
    """``records`` written one a line in the format of ``path``'s suffix; returns the line the
    first record is on (CSV: after the header; JSON: after the "[")."""
    if path.suffix == ".csv":
        columns = list(dict.fromkeys(k for r in records for k in r))
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)
        return 2
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    if path.suffix == ".jsonl":
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return 1
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    return 2


def _refused(registry: Registry, path: Path) -> tuple[list[tuple[int, str, str]], str]:
    """Import ``path``, which must be refused leaving every row of the registry as it was."""
    with registry.read() as session:
        before = registry_rows(session)
    with pytest.raises(RowsRejected) as caught:
        import_file(registry, path)
    with registry.read() as session:
        assert registry_rows(session) == before
    problems = [(p.line, p.field, p.reason) for p in caught.value.report.problems]
    return problems, str(caught.value)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl"])
def test_two_rows_for_one_actor_refuse_the_whole_file(
    registry: Registry, tmp_path: Path, suffix: str
) -> None:
    import_file(registry, MIXED)  # actors 1 Phnom Penh, 2 RUPP (rupp.edu.kh), 3 Long Beach
    first = _one_a_line(tmp_path / f"twice{suffix}", [
        {"name": "Battambang", "country": "KHM", "kind": "city", "geonames_id": 1831797},
        {"name": "Siem Reap", "country": "KHM", "kind": "city"},
        {"name": "Battambang Town", "country": "KHM", "kind": "city", "geonames_id": 1831797},
        {"name": "Siem-Reap", "country": "Cambodia", "kind": "city"},  # the same normalised
        {"name": "RUPP", "country": "KHM", "kind": "university", "web_domain": "rupp.edu.kh"},
        # registry actor 2 again, found by its stored name this time
        {"name": "Royal University of Phnom Penh", "country": "KHM", "kind": "university"},
        {"name": "Kampot", "country": "KHM", "kind": "city"},  # a fine row, not written either
    ])  # fmt: skip
    problems, message = _refused(registry, tmp_path / f"twice{suffix}")
    assert problems == [
        (first + 2, "geonames_id", f"the same actor as line {first} (geonames_id 1831797)"),
        (first + 3, "name", f"the same actor as line {first + 1} "
                            "(name + country + kind: 'Siem-Reap', KHM, city)"),
        (first + 5, "name", f"the same actor as line {first + 4} "
                            "(both are actor #2 of the registry)"),
    ]  # fmt: skip
    assert "3 bad row(s), nothing was written" in message
    assert f"line {first + 2}, field geonames_id: the same actor as line {first}" in message


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_two_rows_for_one_tie_or_activity_refuse_the_whole_file(
    registry: Registry, tmp_path: Path, suffix: str
) -> None:
    import_file(registry, MIXED)  # tie 1: Phnom Penh – Long Beach, sister_city, one visit
    ends = {"actor_a": "Long Beach", "country_a": "USA",
            "actor_b": "Phnom Penh", "country_b": "KHM"}  # fmt: skip
    reversed_ends = {"actor_a": "Phnom Penh", "country_a": "KHM",
                     "actor_b": "Long Beach", "country_b": "USA"}  # fmt: skip
    first = _one_a_line(tmp_path / f"twice{suffix}", [
        {"record": "tie", **ends, "channel": "sister city", "status": "dormant"},
        {"record": "tie", **reversed_ends, "channel": "sister_city", "status": "ended"},
        {"record": "activity", **ends, "channel": "sister_city", "date": "2019-05-02",
         "kind": "visit", "participants": 13},
        {"record": "activity", "tie_id": 1, "date": "2019-05-02", "kind": "visit"},
    ])  # fmt: skip
    problems, _message = _refused(registry, tmp_path / f"twice{suffix}")
    assert problems == [
        (first + 1, "channel",
         f"the same tie as line {first} (Phnom Penh – Long Beach, sister_city)"),
        (first + 3, "date", f"the same activity as line {first + 2} (tie 1, 2019-05-02, visit)"),
    ]  # fmt: skip


# -- exporting ----------------------------------------------------------------------------


def _without_ids(tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {name: [{k: v for k, v in row.items() if k not in ("id", "tie_id")} for row in rows]
            for name, rows in tables.items()}  # fmt: skip


def _empty(registry: Registry) -> None:
    registry.downgrade("base")
    registry.upgrade()
    assert _counts(registry) == (0, 0, 0)


def test_json_export_round_trips_into_an_empty_registry(registry: Registry, tmp_path: Path) -> None:
    import_file(registry, MIXED)
    import_file(registry, MORE)
    with registry.read() as session:
        original = _without_ids(registry_rows(session))
    assert export_registry(registry, tmp_path / "all.json", "json") == {
        "actors": 5, "ties": 3, "activities": 1}  # fmt: skip
    _empty(registry)
    import_file(registry, tmp_path / "all.json")
    with registry.read() as session:
        assert _without_ids(registry_rows(session)) == original


def test_csv_export_writes_one_file_per_table(registry: Registry, tmp_path: Path) -> None:
    import_file(registry, MIXED)
    export_registry(registry, tmp_path / "out", "csv")
    with (tmp_path / "out" / "ties.csv").open(encoding="utf-8") as handle:
        ties = list(csv.DictReader(handle))
    assert sorted(t["channel"] for t in ties) == ["academic_partnership", "sister_city"]
    assert {t["areas"] for t in ties} == {"culture|education", "education"}
    _empty(registry)
    for table in ("actors", "ties", "activities"):
        import_file(registry, tmp_path / "out" / f"{table}.csv")
    assert _counts(registry) == (3, 2, 1)


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_graph_files_parse_with_the_right_counts(
    registry: Registry, tmp_path: Path, fmt: str
) -> None:
    import_file(registry, MIXED)
    import_file(registry, MORE)
    target = tmp_path / f"ties.{fmt}"
    export_registry(registry, target, fmt)
    root = ElementTree.parse(target).getroot()
    nodes = [e for e in root.iter() if e.tag.endswith("}node")]
    edges = [e for e in root.iter() if e.tag.endswith("}edge")]
    assert (len(nodes), len(edges)) == (5, 3)
    assert "sister_city" in target.read_text(encoding="utf-8")


# -- the command line ---------------------------------------------------------------------


def _cli():
    import tracktwo.cli
    import tracktwo.cli._bridges_io  # noqa: F401  (registers import / export / load)
    from tracktwo.cli import app

    return app


def test_cli_import_export_and_load(registry: Registry, tmp_path: Path) -> None:
    app, runner = _cli(), CliRunner()
    base = ["--home", str(tmp_path / "h"), "bridges", "--db", registry.url]
    done = runner.invoke(app, [*base, "import", str(MIXED), "--format", "json"])
    assert done.exit_code == 0, done.output
    assert [r["created"] for r in json.loads(done.stdout)] == [3, 2, 1]
    exported = runner.invoke(app, [*base, "export", str(tmp_path / "g.gexf"), "--to", "gexf"])
    assert exported.exit_code == 0 and (tmp_path / "g.gexf").exists()
    loaded = runner.invoke(app, [*base, "load", "provinces", "--format", "csv"])
    assert loaded.exit_code == 0, loaded.output
    assert "actor,25,0,0" in loaded.stdout


def test_cli_bad_file_is_one_clear_message_and_exit_2(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _cli()
    from tracktwo.cli import main

    argv = ["tracktwo", "--home", str(tmp_path / "h"), "bridges", "--db", registry.url,
            "import", str(BAD)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stopped:
        main()
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert "4 bad row(s), nothing was written" in err
    assert "line 3, field kind" in err and "line 7, field date" in err
    assert "Traceback" not in err
    assert _counts(registry) == (0, 0, 0)
