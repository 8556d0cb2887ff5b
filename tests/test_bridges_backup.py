"""Backup and restore round-trip every row, id and version of every table (the registry,
accounts and open doors), on and across both backends; a corrupt or truncated backup is refused
with its line named and the target left untouched; a format 1 backup (actors, ties and
activities only) still restores."""

from __future__ import annotations

import gzip
import json
import stat
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from _doors import DARA, approved_pair, confirmed
from sqlalchemy import MetaData, select, text

from tracktwo._errors import FileFormatError, InputError
from tracktwo.accounts import add_user, check_login, create_token, start_session
from tracktwo.bridges import Activity, Actor, Registry, Tie, load_diaspora
from tracktwo.bridges._backup import backup, restore
from tracktwo.bridges._edit import (
    add_actor,
    add_tie,
    log_activity,
    remove_actor,
    update_actor,
    update_tie,
)
from tracktwo.datasets import dataset_path
from tracktwo.doors import (
    Mailer,
    answer_request,
    flag_profile,
    log_party_activity,
    rule_on_flag,
    send_digests,
    send_request,
    sign_up,
)

pytestmark = pytest.mark.postgres


def _rows(registry: Registry) -> dict[str, list[dict[str, Any]]]:
    """The registry's own three tables, as the models read them, by id."""
    with registry.read() as session:
        return {
            model.__tablename__: [
                dict(row)
                for row in session.execute(select(model.__table__).order_by(model.id)).mappings()
            ]
            for model in (Actor, Tie, Activity)
        }


def _plain(value: Any) -> Any:
    # the same moment or day reads back alike from either backend
    return value.isoformat() if isinstance(value, date | datetime) else value


def _dump(registry: Registry) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table the database holds (but Alembic's), by primary key."""
    metadata = MetaData()
    with registry.engine.connect() as connection:
        metadata.reflect(connection)
        return {
            name: [
                {column: _plain(value) for column, value in row.items()}
                for row in connection.execute(
                    select(table).order_by(*table.primary_key.columns)
                ).mappings()
            ]
            for name, table in sorted(metadata.tables.items())
            if name != "alembic_version"
        }


def _held(counts: dict[str, int]) -> dict[str, int]:
    return {table: n for table, n in counts.items() if n}


def _fill(registry: Registry) -> None:
    pp = add_actor(registry, name="Phnom Penh", local_name="ភ្នំពេញ", country="KHM", kind="city",
                   latitude=11.5625, longitude=104.916, population=2_281_951,
                   areas_offered=["culture", "business"], alt_names=["Krong Chaktomuk", "បុរី"],
                   geonames_id=1821306, wikidata_id="Q1850")["id"]  # fmt: skip
    gone = add_actor(registry, name="Temporary", country="KHM", kind="ngo")["id"]
    rupp = add_actor(registry, name="Royal University of Phnom Penh",
                     local_name="សាកលវិទ្យាល័យភូមិន្ទភ្នំពេញ", country="KHM", kind="university",
                     funded_by="KHM", stance="aligned", students=20000,
                     description="Oldest university in Cambodia.\nFounded 1960.")["id"]  # fmt: skip
    lb = add_actor(registry, name="Long Beach", country="USA", kind="city",
                   areas_needed=["agriculture"], web_domain="longbeach.gov")["id"]  # fmt: skip
    uh = add_actor(registry, name="University of Hawaiʻi", country="USA", kind="university")["id"]
    update_actor(registry, pp, 1, members=3)
    update_actor(registry, pp, 2, place="Chaktomuk")
    remove_actor(registry, gone)  # leaves a gap in the ids: restore must keep them as they are
    sister = add_tie(registry, pp, lb, "sister_city", areas=["culture"], start_date="2007-05-01",
                     evidence="https://example.org/twinning")["id"]  # fmt: skip
    academic = add_tie(registry, rupp, uh, "academic_partnership", areas="science,education",
                       status="ended", start_date="2012-01-15", end_date="2020-06-30")  # fmt: skip
    academic = academic["id"]
    update_tie(registry, academic, 1, anonymised=True)
    log_activity(registry, sister, "2019-05-02", "visit", participants=12, note="ដំណើរទស្សនកិច្ច")
    log_activity(registry, academic, "2016-09-01", "exchange", participants=4)


@pytest.fixture
def filled(registry: Registry) -> Registry:
    _fill(registry)
    return registry


def _other(request: pytest.FixtureRequest, tmp_path: Path, dialect: str) -> Registry:
    if dialect == "sqlite":
        return Registry(home=tmp_path / "other-home")
    from _postgres import fresh_database

    return Registry(fresh_database(request.getfixturevalue("postgres_admin_url")))


@pytest.mark.parametrize("name", ["registry.jsonl", "registry.jsonl.gz"])
def test_backup_and_restore_keep_every_row(
    filled: Registry, request: pytest.FixtureRequest, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    counts = backup(filled, path)
    assert _held(counts) == {"actors": 4, "ties": 2, "activities": 2}
    assert set(counts) == set(filled.tables()) - {"alembic_version"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # password hashes, personal data
    with _other(request, tmp_path, filled.dialect) as target:
        assert _held(restore(target, path)) == {"actors": 4, "ties": 2, "activities": 2}
        assert _rows(target) == _rows(filled)
        assert _dump(target) == _dump(filled)
        # ids 1, 3, 4, 5 came back as they were; the next actor gets a fresh one
        assert add_actor(target, name="Siem Reap", country="KHM", kind="province")["id"] == 6
    if name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            assert json.loads(handle.readline())["format"] == "tracktwo-bridges-backup"


def test_a_gzipped_backup_is_really_gzip(filled: Registry, tmp_path: Path) -> None:
    backup(filled, tmp_path / "b.jsonl.gz")
    assert (tmp_path / "b.jsonl.gz").read_bytes()[:2] == b"\x1f\x8b"
    backup(filled, tmp_path / "b.jsonl")
    assert "ភ្នំពេញ" in (tmp_path / "b.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize("direction", ["sqlite-to-postgresql", "postgresql-to-sqlite"])
def test_restore_across_backends(
    request: pytest.FixtureRequest, tmp_path: Path, direction: str
) -> None:
    source_dialect, target_dialect = direction.split("-to-")
    with _other(request, tmp_path / "s", source_dialect) as source:
        _fill(source)
        backup(source, tmp_path / "b.jsonl.gz")
        with _other(request, tmp_path / "t", target_dialect) as target:
            restore(target, tmp_path / "b.jsonl.gz")
            assert _rows(target) == _rows(source)
            assert add_tie(target, 3, 4, "research_collaboration")["id"] == 3


def test_restore_refuses_a_registry_that_holds_rows_unless_replacing(
    filled: Registry, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    backup(filled, tmp_path / "b.jsonl")
    with _other(request, tmp_path, filled.dialect) as target:
        add_actor(target, name="Kep", country="KHM", kind="province")
        before = _rows(target)
        with pytest.raises(InputError, match=r"the registry is not empty \(1 actors\); "):
            restore(target, tmp_path / "b.jsonl")
        assert _rows(target) == before
        restore(target, tmp_path / "b.jsonl", replace=True)
        assert _rows(target) == _rows(filled)


def _corrupt(path: Path, line: int, text: str | None) -> Path:
    """A copy of a backup with one line replaced (or dropped, when ``text`` is None)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line - 1 : line] = [] if text is None else [text]
    broken = path.with_name(f"broken-{line}.jsonl")
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return broken


def _tie_line(path: Path) -> tuple[int, dict[str, Any]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if json.loads(line).get("table") == "ties":
            return number, json.loads(line)
    raise AssertionError("no tie in the backup")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("not json", r"line {n}: not valid JSON"),
        ("unknown table", r"line {n}: unknown table 'partners'"),
        ("bad date", r"line {n}: start_date: 'May 2007' is not an ISO date"),
        ("orphan tie", r"line {n}: actor_b_id 999 names no row of actors"),
        ("unknown column", r"line {n}: ties has no column 'colour'"),
        ("truncated", r"the backup is incomplete"),
        ("self tie", r"the rows break a rule of the registry"),
    ],
)
def test_a_corrupt_backup_is_refused_and_the_target_is_untouched(
    filled: Registry, request: pytest.FixtureRequest, tmp_path: Path, damage: str, message: str
) -> None:
    good = tmp_path / "b.jsonl"
    backup(filled, good)
    n, record = _tie_line(good)
    row = record["row"]
    broken = {
        "not json": lambda: _corrupt(good, n, '{"table": "ties", "row": {'),
        "unknown table": lambda: _corrupt(good, n, json.dumps({"table": "partners", "row": row})),
        "bad date": lambda: _corrupt(good, n, json.dumps(
            {"table": "ties", "row": {**row, "start_date": "May 2007"}})),
        "orphan tie": lambda: _corrupt(good, n, json.dumps(
            {"table": "ties", "row": {**row, "actor_b_id": 999}})),
        "unknown column": lambda: _corrupt(good, n, json.dumps(
            {"table": "ties", "row": {**row, "colour": "red"}})),
        "truncated": lambda: _corrupt(good, len(good.read_text().splitlines()), None),
        # passes every check of the file, then breaks ck_two_actors in the middle of the insert
        "self tie": lambda: _corrupt(good, n, json.dumps(
            {"table": "ties", "row": {**row, "actor_b_id": row["actor_a_id"]}})),
    }[damage]()  # fmt: skip
    with _other(request, tmp_path, filled.dialect) as target:
        add_actor(target, name="Kep", country="KHM", kind="province")
        before = _dump(target)
        with pytest.raises(InputError, match=message.format(n=n)):
            restore(target, broken, replace=True)
        assert _dump(target) == before


def test_a_cut_gzip_file_and_a_foreign_file_are_refused(filled: Registry, tmp_path: Path) -> None:
    backup(filled, tmp_path / "b.jsonl.gz")
    whole = (tmp_path / "b.jsonl.gz").read_bytes()
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(FileFormatError, match="cannot read the backup"):
        restore(filled, tmp_path / "cut.jsonl.gz", replace=True)
    (tmp_path / "other.jsonl").write_text('{"id": 1, "name": "Phnom Penh"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"line 1: not a tracktwo bridges backup"):
        restore(filled, tmp_path / "other.jsonl", replace=True)
    assert len(_rows(filled)["actors"]) == 4


def test_a_backup_from_another_schema_revision_is_refused(filled: Registry, tmp_path: Path) -> None:
    backup(filled, tmp_path / "b.jsonl")
    header = json.loads((tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert header["schema_revision"]  # the alembic revision the registry was at
    header["schema_revision"] = "0099"
    altered = _corrupt(tmp_path / "b.jsonl", 1, json.dumps(header))
    with pytest.raises(InputError, match=r"^schema_revision: the backup was written at .* 0099"):
        restore(filled, altered, replace=True)


# -- every table: the registry, accounts and open doors ---------------------------------------


def _fill_doors(registry: Registry, box: Any, mailer: Mailer) -> None:
    """A row in every accounts and open-doors table, through the doors' own flow."""
    mona, sokha, emily, coop, marketing = approved_pair(registry, mailer, box)
    asked = send_request(registry, mailer, sokha, coop["id"], marketing["id"], "other",
                         message="Shall we sell rice together?")  # fmt: skip
    tie = answer_request(registry, mailer, emily, asked["id"], True)["tie_id"]
    log_party_activity(registry, sokha, tie, "2026-11-20", "visit", 4, note="first visit")
    dara = confirmed(registry, mailer, box, DARA)
    flag = flag_profile(registry, mailer, dara, marketing["id"], "Run by a consulate's office")
    rule_on_flag(registry, mailer, mona, flag["id"], "upheld", "The consulate pays its staff",
                 funded_by="USA")  # fmt: skip
    send_digests(registry, mailer, date.today().strftime("%Y-%m"))
    # unconfirmed: her e-mail token waits; her sign-up is counted against the address
    sign_up(registry, mailer, "bopha", "bopha@example.org", "bopha-password-1", "km",
            client="127.0.0.1")  # fmt: skip
    check_login(registry, "emily", "not her password", "127.0.0.1")
    start_session(registry, emily, 12)
    create_token(registry, "emily", "script")


@pytest.fixture
def mailer(smtp: Any) -> tuple[Any, Mailer]:
    box, settings = smtp
    return box, Mailer(settings)


def _links(dump: dict[str, list[dict[str, Any]]]) -> tuple[list[Any], list[Any]]:
    return (
        [row["actor_id"] for row in dump["profiles"]],
        [row["tie_id"] for row in dump["partnership_requests"]],
    )


@pytest.mark.parametrize("direction", ["sqlite-to-postgresql", "postgresql-to-sqlite"])
def test_every_table_round_trips_across_backends_and_onto_itself(
    request: pytest.FixtureRequest, tmp_path: Path, mailer: tuple[Any, Mailer], direction: str
) -> None:
    source_dialect, target_dialect = direction.split("-to-")
    with _other(request, tmp_path / "s", source_dialect) as source:
        _fill(source)
        _fill_doors(source, *mailer)
        _fill_diaspora(source)
        before = _dump(source)
        assert set(before) == set(source.tables()) - {"alembic_version"}
        assert [name for name, rows in before.items() if not rows] == []  # rows everywhere
        # actors 1, 3, 4, 5 of _fill (2 was removed), then the two approved profiles' actors
        assert _links(before) == ([6, 7], [3])
        counts = backup(source, tmp_path / "b.jsonl.gz")
        assert counts == {name: len(rows) for name, rows in before.items()}

        with _other(request, tmp_path / "t", target_dialect) as target:
            restore(target, tmp_path / "b.jsonl.gz")
            assert _dump(target) == before
            _fresh_ids_follow(target, before)

        # onto itself: every link survives (no ON DELETE SET NULL fired)
        assert restore(source, tmp_path / "b.jsonl.gz", replace=True) == counts
        after = _dump(source)
        assert _links(after) == ([6, 7], [3])
        assert after == before
        _fresh_ids_follow(source, before)


def _fill_diaspora(registry: Registry) -> None:
    """The shipped diaspora figures: 61 rows, two of them linked to _fill's Long Beach (its
    city figure, and the Los Angeles metro's, Long Beach being in the metro's Census title)."""
    report = load_diaspora(registry, dataset_path("diaspora_khm_usa.csv"))
    assert (len(report.results), report.links_added) == (61, 2)


def _without(path: Path, old: Path, dropped: tuple[str, ...]) -> Path:
    """``path`` with the ``dropped`` tables left out, as a backup that never held them."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    header, *rows, footer = records
    header = {**header, "tables": [t for t in header["tables"] if t not in dropped]}
    rows = [r for r in rows if r["table"] not in dropped]
    footer = {"end": True, "rows": {k: n for k, n in footer["rows"].items() if k not in dropped}}
    lines = [json.dumps(r, ensure_ascii=False) for r in (header, *rows, footer)]
    old.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return old


def test_a_backup_without_the_diaspora_tables_restores_and_never_cuts_links(
    filled: Registry, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    backup(filled, tmp_path / "b.jsonl")
    diaspora = ("diaspora_figures", "diaspora_places")
    old = _without(tmp_path / "b.jsonl", tmp_path / "old.jsonl", diaspora)
    with _other(request, tmp_path, filled.dialect) as target:
        assert _held(restore(target, old)) == {"actors": 4, "ties": 2, "activities": 2}
        assert _rows(target) == _rows(filled)
        assert {name: rows for name, rows in _dump(target).items() if name in diaspora} == {
            "diaspora_figures": [], "diaspora_places": []}  # fmt: skip
    # onto a registry whose figures point at its places, --replace would lose them: refused
    _fill_diaspora(filled)
    before = _dump(filled)
    refused = r"line 1: this backup \(format_version 2\) holds no diaspora_figures, diaspora_places"
    with pytest.raises(InputError, match=refused):
        restore(filled, old, replace=True)
    assert _dump(filled) == before


def _fresh_ids_follow(registry: Registry, before: dict[str, list[dict[str, Any]]]) -> None:
    """New rows get ids past the restored ones (on PostgreSQL: the sequences were moved)."""
    actor = add_actor(registry, name="Kampot", country="KHM", kind="province")["id"]
    user = add_user(registry, "sophea", "sophea-password-1", "viewer", "sophea@example.org")
    assert actor == max(row["id"] for row in before["actors"]) + 1 == 8
    assert user.user_id == max(row["id"] for row in before["users"]) + 1 == 7


def _format_1(path: Path, old: Path) -> Path:
    """``path`` as the tracktwo before accounts were backed up wrote it: actors, ties and
    activities only, and no table list in the header."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    header, *rows, footer = records
    kept = ("actors", "ties", "activities")
    header = {k: v for k, v in header.items() if k != "tables"} | {"format_version": 1}
    rows = [r for r in rows if r["table"] in kept]
    footer = {"end": True, "rows": {name: footer["rows"][name] for name in kept}}
    lines = [json.dumps(r, ensure_ascii=False) for r in (header, *rows, footer)]
    old.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return old


def test_a_format_1_backup_still_restores_and_never_cuts_links(
    filled: Registry, request: pytest.FixtureRequest, tmp_path: Path, mailer: Any
) -> None:
    backup(filled, tmp_path / "b.jsonl")
    old = _format_1(tmp_path / "b.jsonl", tmp_path / "old.jsonl")
    with _other(request, tmp_path, filled.dialect) as target:
        assert restore(target, old) == {"actors": 4, "ties": 2, "activities": 2}
        assert _rows(target) == _rows(filled)
    # onto a registry with profiles pointing at its actors, --replace would cut their links
    # (or delete them): refused, and nothing changes
    _fill_doors(filled, *mailer)
    before = _dump(filled)
    refused = r"line 1: this backup \(format_version 1\) holds no .*users.*profiles.*, and"
    with pytest.raises(InputError, match=refused + " this registry does; restore it into an empty"):
        restore(filled, old, replace=True)
    assert _dump(filled) == before


def test_a_newer_format_is_refused(filled: Registry, tmp_path: Path) -> None:
    backup(filled, tmp_path / "b.jsonl")
    header = json.loads((tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert (header["format_version"], header["tables"][:1]) == (2, ["actors"])
    newer = _corrupt(tmp_path / "b.jsonl", 1, json.dumps({**header, "format_version": 3}))
    with pytest.raises(InputError, match=r"line 1: format_version 3 is not one this tracktwo"):
        restore(filled, newer, replace=True)


def test_a_table_no_model_knows_is_backed_up_too(filled: Registry, tmp_path: Path) -> None:
    # the table list is the database's own: a table a later migration adds is not missed
    with filled.engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE field_notes (id INTEGER PRIMARY KEY, note TEXT, "
                "actor_id INTEGER REFERENCES actors (id) ON DELETE SET NULL)"
            )
        )
        connection.execute(text("INSERT INTO field_notes VALUES (1, 'met the mayor', 1)"))
    assert backup(filled, tmp_path / "b.jsonl")["field_notes"] == 1
    before = _dump(filled)
    restore(filled, tmp_path / "b.jsonl", replace=True)
    assert _dump(filled) == before
    assert before["field_notes"] == [{"id": 1, "note": "met the mayor", "actor_id": 1}]
