"""Declined proposals (status ``declined`` with a ``status_reason``) and the local-government
track, on small registries written by hand: the scorecard counts a declined proposal apart
and never as a tie; import, export, backup and the migration carry it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

import tracktwo.cli._bridges_edit  # noqa: F401  (registers add-tie)
from tracktwo.bridges import Actor, Registry, Tie, load_vocabulary
from tracktwo.bridges._backup import backup, restore
from tracktwo.bridges._export import export_registry
from tracktwo.bridges._io import RowsRejected, import_file
from tracktwo.bridges._scorecard import scorecard
from tracktwo.cli._app import app

pytestmark = pytest.mark.postgres

D = date(2024, 6, 30)
WHY = "the motion failed for lack of a second"
# KHM: PP (city), RUPP (university); USA: LW (city), UH (university)
#   T1 PP–LW sister_city, active from 2023-01-01
#   T2 RUPP–UH academic_partnership, active from 2023-01-01
#   T3 PP–LW sister_city, DECLINED on 2023-04-25: the same pair and channel as T1
ROWS = [
    {"record": "actor", "name": "PP", "country": "KHM", "kind": "city"},
    {"record": "actor", "name": "RUPP", "country": "KHM", "kind": "university"},
    {"record": "actor", "name": "LW", "country": "USA", "kind": "city"},
    {"record": "actor", "name": "UH", "country": "USA", "kind": "university"},
    {"record": "tie", "actor_a": "LW", "country_a": "USA", "actor_b": "PP", "country_b": "KHM",
     "channel": "sister_city", "start_date": "2023-01-01"},
    {"record": "tie", "actor_a": "UH", "country_a": "USA", "actor_b": "RUPP",
     "country_b": "KHM", "channel": "academic_partnership", "start_date": "2023-01-01"},
    {"record": "tie", "actor_a": "LW", "country_a": "USA", "actor_b": "PP", "country_b": "KHM",
     "channel": "sister_city", "status": "declined", "end_date": "2023-04-25",
     "status_reason": WHY},
]  # fmt: skip


def _file(tmp_path: Path, rows: list[dict], name: str = "ties.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def _ties(registry: Registry) -> list[tuple[str, str, str | None]]:
    with registry.read() as session:
        found = session.scalars(select(Tie).order_by(Tie.id)).all()
        return [(t.channel, t.status, t.status_reason) for t in found]


def test_cities_and_provinces_are_local_government_and_declined_is_a_status() -> None:
    vocabulary = load_vocabulary()
    assert (vocabulary.track("city"), vocabulary.track("province")) == ("local", "local")
    assert vocabulary.track("university") == "people"
    assert vocabulary.status("Declined") == "declined"


def test_a_declined_proposal_is_its_own_record_and_no_tie(
    registry: Registry, tmp_path: Path
) -> None:
    report = import_file(registry, _file(tmp_path, ROWS))
    assert (report.count("tie", "created"), report.count("declined proposal", "created")) == (2, 1)
    # T3 did not overwrite T1: two sister_city records of one pair, one active, one declined
    assert _ties(registry) == [
        ("sister_city", "active", None), ("academic_partnership", "active", None),
        ("sister_city", "declined", WHY),
    ]  # fmt: skip
    again = import_file(registry, _file(tmp_path, ROWS))
    assert again.count("tie", "unchanged") == 2 and again.count("declined proposal", "unchanged")
    card = scorecard(registry, "KHM", "USA", at=D)
    # T1 and T2 only: 2 ties, both active; T3 counted apart
    assert (card.ties_total, card.ties_active, card.declined_proposals) == (2, 2, 1)
    assert card.declined[0]["reason"] == WHY and card.declined[0]["declined_on"] == "2023-04-25"
    assert (card.declined[0]["actor_a"], card.declined[0]["actor_b"]) == ("PP", "LW")
    # endpoints of T1, T2 (4): city 2, university 2 — T3's would make the cities 4 of 6
    assert card.kind_shares == {"city": 0.5, "university": 0.5}
    assert card.ties_by_channel == {"academic_partnership": 1, "sister_city": 1}
    # T1 city–city: local government; T2 university–university: people-to-people
    assert card.track_shares["local"] == 0.5 and card.people_to_people_share == 0.5
    assert card.components == 2  # {PP, LW}, {RUPP, UH}


def test_the_same_declined_proposal_twice_in_a_file_is_refused(
    registry: Registry, tmp_path: Path
) -> None:
    path = _file(tmp_path, [*ROWS, ROWS[-1]])
    with pytest.raises(RowsRejected, match=r"the same tie as line \d+ \(LW – PP, sister_city\)"):
        import_file(registry, path)
    assert _ties(registry) == []  # nothing written


def test_export_and_backup_carry_the_reason(registry: Registry, tmp_path: Path) -> None:
    import_file(registry, _file(tmp_path, ROWS))
    export_registry(registry, tmp_path / "out.json", "json")
    export_registry(registry, tmp_path / "csv", "csv")
    exported = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [r["status_reason"] for r in exported if r["record"] == "tie"] == [None, None, WHY]
    assert WHY in (tmp_path / "csv" / "ties.csv").read_text(encoding="utf-8")
    with Registry(home=tmp_path / "from-json") as empty:
        import_file(empty, tmp_path / "out.json")
        assert _ties(empty) == _ties(registry)
    with Registry(home=tmp_path / "from-csv") as empty:
        for table in ("actors", "ties"):
            import_file(empty, tmp_path / "csv" / f"{table}.csv")
        assert _ties(empty) == _ties(registry)
    backup(registry, tmp_path / "backup.jsonl")
    with Registry(home=tmp_path / "restored") as empty:
        restore(empty, tmp_path / "backup.jsonl")
        assert _ties(empty) == _ties(registry)


def test_migration_0006_admits_declined_and_its_downgrade_keeps_it_as_ended(
    registry: Registry, tmp_path: Path
) -> None:
    import_file(registry, _file(tmp_path, ROWS))
    registry.downgrade("0005")
    assert "status_reason" not in {c["name"] for c in inspect(registry.engine).get_columns("ties")}
    with registry.engine.connect() as connection:
        statuses = connection.execute(text("SELECT status FROM ties ORDER BY id")).scalars().all()
    assert statuses == ["active", "active", "ended"]  # the old schema knows no "declined"
    registry.upgrade()
    with registry.session() as session:
        session.get(Tie, 3).status = "declined"  # allowed again by the check constraint
    assert [status for _channel, status, _why in _ties(registry)][-1] == "declined"


def test_cli_adds_a_declined_proposal_with_its_reason(tmp_path: Path) -> None:
    with Registry(home=tmp_path) as registry, registry.session() as session:
        session.add_all([Actor(name="PP", country="KHM", kind="city"),
                         Actor(name="LW", country="USA", kind="city")])  # fmt: skip
    done = CliRunner().invoke(app, [
        "--home", str(tmp_path), "bridges", "add-tie", "1", "2", "--channel", "sister_city",
        "--status", "declined", "--reason", WHY, "--end", "2023-04-25", "--format", "json",
    ])  # fmt: skip
    assert done.exit_code == 0, done.output
    added = json.loads(done.stdout)[0]
    assert (added["status"], added["status_reason"], added["end_date"]) == (
        "declined", WHY, "2023-04-25")  # fmt: skip
