"""Backup and restore round-trip every row, id and version, on and across both backends; a
corrupt or truncated backup is refused with its line named and the target left untouched."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tracktwo._errors import FileFormatError, InputError
from tracktwo.bridges import Activity, Actor, Registry, Tie
from tracktwo.bridges._backup import backup, restore
from tracktwo.bridges._edit import (
    add_actor,
    add_tie,
    log_activity,
    remove_actor,
    update_actor,
    update_tie,
)

pytestmark = pytest.mark.postgres


def _rows(registry: Registry) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the database returns it, by id."""
    with registry.read() as session:
        return {
            model.__tablename__: [
                dict(row)
                for row in session.execute(select(model.__table__).order_by(model.id)).mappings()
            ]
            for model in (Actor, Tie, Activity)
        }


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
    assert backup(filled, path) == {"actors": 4, "ties": 2, "activities": 2}
    with _other(request, tmp_path, filled.dialect) as target:
        assert restore(target, path) == {"actors": 4, "ties": 2, "activities": 2}
        assert _rows(target) == _rows(filled)
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
        with pytest.raises(InputError, match=r"the registry is not empty \(1 actors, 0 ties"):
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
        before = _rows(target)
        with pytest.raises(InputError, match=message.format(n=n)):
            restore(target, broken, replace=True)
        assert _rows(target) == before


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
