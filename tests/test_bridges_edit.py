"""Editing the registry: validation that names the field, nothing half-written, the version
check, listing with filters, removal, and the ``tracktwo bridges`` editing commands."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

import tracktwo.cli._bridges_edit  # noqa: F401  (registers the commands under test)
from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges import Activity, Actor, Registry, Tie
from tracktwo.bridges._edit import (
    ConflictError,
    add_actor,
    add_tie,
    get_actor,
    get_tie,
    list_actors,
    list_ties,
    log_activity,
    remove_actor,
    remove_tie,
    update_actor,
    update_tie,
)
from tracktwo.cli._app import app

pytestmark = pytest.mark.postgres


def _counts(registry: Registry) -> tuple[int, int, int]:
    with registry.read() as session:
        return tuple(  # type: ignore[return-value]
            session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Actor, Tie, Activity)
        )


def _pair(registry: Registry) -> tuple[int, int]:
    phnom_penh = add_actor(registry, name="Phnom Penh", local_name="ភ្នំពេញ", country="KHM",
                           kind="city", areas_offered=["culture"])  # fmt: skip
    long_beach = add_actor(registry, name="Long Beach", country="USA", kind="city")
    return phnom_penh["id"], long_beach["id"]


# -- adding actors ---------------------------------------------------------------------------


def test_add_actor_normalises_and_returns_plain_data(registry: Registry) -> None:
    stored = add_actor(
        registry, name="  Royal University of Phnom Penh ", local_name="សាកលវិទ្យាល័យភូមិន្ទភ្នំពេញ",
        country="kh", kind="University", areas_offered="science, education", students=20000,
        funded_by="Cambodia", stance="Aligned", wikidata_id="q1365837", alt_names=["RUPP"],
    )  # fmt: skip
    assert type(stored) is dict
    assert stored["name"] == "Royal University of Phnom Penh"
    assert (stored["country"], stored["kind"], stored["track"]) == ("KHM", "university", "people")
    assert stored["areas_offered"] == ["science", "education"] and stored["areas_needed"] == []
    assert (stored["funded_by"], stored["stance"], stored["politicised"]) == (
        "KHM",
        "aligned",
        True,
    )
    assert (stored["wikidata_id"], stored["students"], stored["version"]) == ("Q1365837", 20000, 1)
    assert get_actor(registry, stored["id"]) == stored


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "spaceport"}, "kind: unknown actor kind 'spaceport'"),
        ({"country": "XYZ"}, "country: unknown country 'XYZ'"),
        ({"name": "  "}, "name: must not be empty"),
        ({"stance": "neutral"}, "stance: 'neutral' is not one of: hostile, aligned"),
        ({"members": -5}, "members: must not be negative, got -5"),
        ({"students": 2.5}, "students: must be a whole number"),
        ({"areas_needed": ["health", "war"]}, "areas_needed: unknown area 'war'"),
        ({"latitude": 91}, "latitude: must lie between -90 and 90"),
        ({"funded_by": "Atlantis"}, "funded_by: unknown country 'Atlantis'"),
        ({"wikidata_id": "1365837"}, "wikidata_id: '1365837' is not a Wikidata id"),
        ({"name": "x" * 301}, "name: at most 300 characters, got 301"),
        ({"colour": "red"}, "colour: not a field of an actor"),
    ],
)
def test_a_bad_actor_field_is_named_and_nothing_is_written(
    registry: Registry, changes: dict, message: str
) -> None:
    fields = {"name": "Battambang", "country": "KHM", "kind": "province", **changes}
    with pytest.raises(InputError) as caught:
        add_actor(registry, **fields)
    assert str(caught.value).startswith(message)
    assert _counts(registry) == (0, 0, 0)


def test_a_missing_required_field_is_named(registry: Registry) -> None:
    with pytest.raises(InputError, match=r"^kind: must not be empty"):
        add_actor(registry, name="Siem Reap", country="KHM")


# -- ties and activities ---------------------------------------------------------------------


def test_add_tie_and_log_activities(registry: Registry) -> None:
    a, b = _pair(registry)
    tie = add_tie(registry, a, b, "Sister City", areas="culture,education",
                  start_date="2007-05-01", evidence="https://example.org/twinning")  # fmt: skip
    assert (tie["channel"], tie["status"], tie["version"]) == ("sister_city", "active", 1)
    assert (tie["areas"], tie["start_date"]) == (["culture", "education"], date(2007, 5, 1))
    log_activity(registry, tie["id"], "2019-05-02", "visit", participants=12, note="delegation")
    log_activity(registry, tie["id"], date(2015, 3, 1), "joint project")
    kinds = [(x["activity_date"], x["kind"]) for x in get_tie(registry, tie["id"])["activities"]]
    assert kinds == [(date(2015, 3, 1), "joint_project"), (date(2019, 5, 2), "visit")]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"channel": "pen_pals"}, InputError, "channel: unknown channel 'pen_pals'"),
        ({"status": "thriving"}, InputError, "status: unknown status 'thriving'"),
        ({"areas": ["war"]}, InputError, "areas: unknown area 'war'"),
        ({"start_date": "2007-13-01"}, InputError, "start_date: '2007-13-01' is not a date"),
        ({"start_date": "2010-01-01", "end_date": "2009-12-31"}, InputError,
         "end_date: 2009-12-31 is before start_date 2010-01-01"),
        ({"actor_b_id": 99}, NotFoundError, "actor_b_id: no actor with id 99"),
        ({"actor_b_id": "same-country"}, InputError, "actor_b_id: actors 1 and 3 are both in KHM"),
        ({"actor_b_id": "self"}, InputError, "actor_b_id: a tie joins two actors"),
    ],
)  # fmt: skip
def test_a_bad_tie_is_refused_with_the_field_named(
    registry: Registry, arguments: dict, error: type, message: str
) -> None:
    a, b = _pair(registry)
    battambang = add_actor(registry, name="Battambang", country="KHM", kind="city")["id"]
    chosen = {"channel": "sister_city", "actor_b_id": b, **arguments}
    chosen["actor_b_id"] = {"same-country": battambang, "self": a}.get(
        chosen["actor_b_id"], chosen["actor_b_id"]
    )
    with pytest.raises(error) as caught:
        add_tie(registry, a, **chosen)
    assert str(caught.value).startswith(message)
    assert _counts(registry) == (3, 0, 0)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"kind": "party"}, InputError, "kind: 'party' is not one of: visit, exchange"),
        ({"participants": -3}, InputError, "participants: must not be negative, got -3"),
        ({"activity_date": "last May"}, InputError, "activity_date: 'last May' is not a date"),
        ({"activity_date": None}, InputError, "activity_date: a date is required"),
        ({"tie_id": 42}, NotFoundError, "tie_id: no tie with id 42"),
    ],
)
def test_a_bad_activity_is_refused(
    registry: Registry, arguments: dict, error: type, message: str
) -> None:
    tie = add_tie(registry, *_pair(registry), "sister_city")
    chosen = {"tie_id": tie["id"], "activity_date": "2020-01-01", "kind": "visit", **arguments}
    with pytest.raises(error) as caught:
        log_activity(registry, **chosen)
    assert str(caught.value).startswith(message)
    assert _counts(registry) == (2, 1, 0)


# -- updates and the version check -----------------------------------------------------------


def test_update_with_the_version_read_bumps_the_version(registry: Registry) -> None:
    a, _ = _pair(registry)
    changed = update_actor(registry, a, 1, members=40, areas_needed=["health"])
    assert (changed["members"], changed["areas_needed"], changed["version"]) == (40, ["health"], 2)
    assert changed["name"] == "Phnom Penh" and changed["areas_offered"] == ["culture"]
    assert get_actor(registry, a) == changed


def test_update_with_a_stale_version_is_a_conflict_and_changes_nothing(registry: Registry) -> None:
    a, _ = _pair(registry)
    update_actor(registry, a, 1, members=40)
    with pytest.raises(ConflictError, match="at version 2, you edited version 1"):
        update_actor(registry, a, 1, members=41)
    assert (get_actor(registry, a)["members"], get_actor(registry, a)["version"]) == (40, 2)


def test_update_of_a_missing_row_or_with_bad_values(registry: Registry) -> None:
    a, _ = _pair(registry)
    with pytest.raises(NotFoundError, match=r"^actor_id: no actor with id 77"):
        update_actor(registry, 77, 1, members=1)
    with pytest.raises(InputError, match=r"^stance: 'friendly' is not one of"):
        update_actor(registry, a, 1, stance="friendly")
    with pytest.raises(InputError, match=r"^expected_version: must be the version you read"):
        update_actor(registry, a, 0, members=1)
    with pytest.raises(InputError, match=r"^changes: give at least one field"):
        update_actor(registry, a, 1)
    assert get_actor(registry, a)["version"] == 1


def test_moving_an_actor_into_its_partners_country_is_refused(registry: Registry) -> None:
    a, b = _pair(registry)
    tie = add_tie(registry, a, b, "sister_city")
    with pytest.raises(InputError, match=rf"^country: actor {a} would then share a country"):
        update_actor(registry, a, 1, country="USA", members=3)
    kept = get_actor(registry, a)
    assert (kept["country"], kept["members"], kept["version"]) == ("KHM", None, 1)
    assert get_tie(registry, tie["id"])["version"] == 1


def test_update_tie_checks_dates_against_the_stored_row(registry: Registry) -> None:
    tie = add_tie(registry, *_pair(registry), "sister_city", start_date="2007-05-01")
    with pytest.raises(InputError, match=r"^end_date: 2006-01-01 is before start_date 2007-05-01"):
        update_tie(registry, tie["id"], 1, end_date="2006-01-01", status="ended")
    assert get_tie(registry, tie["id"])["status"] == "active"
    ended = update_tie(registry, tie["id"], 1, end_date="2021-06-30", status="ended")
    assert (ended["end_date"], ended["status"], ended["version"]) == (date(2021, 6, 30), "ended", 2)
    with pytest.raises(ConflictError):
        update_tie(registry, tie["id"], 1, status="active")


# -- listing and removing --------------------------------------------------------------------


def _small_web(registry: Registry) -> dict[str, int]:
    ids = {
        "pp": add_actor(registry, name="Phnom Penh", local_name="ភ្នំពេញ", country="KHM",
                        kind="city", areas_offered=["culture"])["id"],
        "rupp": add_actor(registry, name="Royal University of Phnom Penh", country="KHM",
                          kind="university", alt_names=["RUPP"], areas_needed=["science"])["id"],
        "lb": add_actor(registry, name="Long Beach", country="USA", kind="city")["id"],
        "uh": add_actor(registry, name="University of Hawaii", country="USA", kind="university",
                        areas_offered=["science", "health"])["id"],
        "fr": add_actor(registry, name="Lyon", country="FRA", kind="city")["id"],
    }  # fmt: skip
    ids["t1"] = add_tie(registry, ids["pp"], ids["lb"], "sister_city")["id"]
    ids["t2"] = add_tie(registry, ids["rupp"], ids["uh"], "academic_partnership",
                        status="proposed")["id"]  # fmt: skip
    ids["t3"] = add_tie(registry, ids["pp"], ids["fr"], "cultural_exchange")["id"]
    log_activity(registry, ids["t1"], "2018-04-01", "visit")
    log_activity(registry, ids["t1"], "2022-09-15", "event")
    return ids


def test_list_actors_filters(registry: Registry) -> None:
    ids = _small_web(registry)

    def names(**filters: str) -> list[str]:
        return [row["name"] for row in list_actors(registry, **filters)]

    assert names(country="Cambodia") == ["Phnom Penh", "Royal University of Phnom Penh"]
    assert names(kind="university") == ["Royal University of Phnom Penh", "University of Hawaii"]
    assert names(area="science") == ["Royal University of Phnom Penh", "University of Hawaii"]
    assert names(search="ភ្នំ") == ["Phnom Penh"]
    assert names(search="rupp") == ["Royal University of Phnom Penh"]
    assert names(country="USA", area="health") == ["University of Hawaii"]
    assert [row["id"] for row in list_actors(registry)] == [
        ids[k] for k in ("pp", "rupp", "lb", "uh", "fr")
    ]
    with pytest.raises(InputError, match=r"^area: unknown area 'war'"):
        list_actors(registry, area="war")


def test_list_ties_by_country_pair_and_status(registry: Registry) -> None:
    ids = _small_web(registry)
    between = list_ties(registry, "USA", "KHM")
    assert [row["id"] for row in between] == [ids["t1"], ids["t2"]]
    first = between[0]
    assert (first["actor_a"], first["country_a"], first["actor_b"], first["country_b"]) == (
        "Phnom Penh", "KHM", "Long Beach", "USA")  # fmt: skip
    assert (first["activities"], first["last_activity"]) == (2, date(2022, 9, 15))
    assert between[1]["activities"] == 0 and between[1]["last_activity"] is None
    assert [row["id"] for row in list_ties(registry, "FRA")] == [ids["t3"]]
    assert [row["id"] for row in list_ties(registry, status="proposed")] == [ids["t2"]]
    assert len(list_ties(registry)) == 3


def test_remove_actor_takes_its_ties_and_activities(registry: Registry) -> None:
    ids = _small_web(registry)
    with pytest.raises(ConflictError):
        remove_actor(registry, ids["pp"], expected_version=2)
    assert _counts(registry) == (5, 3, 2)
    assert remove_actor(registry, ids["pp"], expected_version=1) == {
        "actor_id": ids["pp"], "ties": 2, "activities": 2}  # fmt: skip
    assert _counts(registry) == (4, 1, 0)
    assert remove_tie(registry, ids["t2"]) == {"tie_id": ids["t2"], "activities": 0}
    assert _counts(registry) == (4, 0, 0)
    with pytest.raises(NotFoundError, match=r"^tie_id: no tie with id"):
        remove_tie(registry, ids["t2"])


# -- the command line ------------------------------------------------------------------------


def _cli(registry: Registry, *args: str) -> str:
    done = CliRunner().invoke(app, ["bridges", "--db", registry.url, *args])
    assert done.exit_code == 0, done.output + repr(done.exception)
    return done.stdout


def test_cli_adds_lists_and_logs(registry: Registry) -> None:
    _cli(registry, "add-actor", "--name", "Phnom Penh", "--local-name", "ភ្នំពេញ", "--country",
         "KHM", "--kind", "city", "--areas-offered", "culture,business")  # fmt: skip
    _cli(registry, "add-actor", "--name", "Long Beach", "--country", "USA", "--kind", "city")
    added = json.loads(_cli(registry, "add-tie", "1", "2", "--channel", "sister_city", "--areas",
                            "culture", "--start", "2007-05-01", "--format", "json"))  # fmt: skip
    assert added[0]["start_date"] == "2007-05-01" and added[0]["areas"] == ["culture"]
    _cli(registry, "log", "1", "--date", "2019-05-02", "--kind", "visit", "--participants", "12")
    actors = json.loads(_cli(registry, "actors", "--search", "ភ្នំ", "--format", "json"))
    assert [(a["local_name"], a["areas_offered"]) for a in actors] == [
        ("ភ្នំពេញ", ["culture", "business"])]  # fmt: skip
    csv_text = _cli(registry, "ties", "--status", "active", "--format", "csv")
    # the status_reason column after status is empty: the tie was added without one
    assert csv_text.splitlines()[1] == (
        "1,Phnom Penh,KHM,Long Beach,USA,sister_city,culture,active,,2007-05-01,,1,2019-05-02,1"
    )


def test_cli_backup_and_restore(registry: Registry, tmp_path: Path) -> None:
    _pair(registry)
    tables = len(registry.tables()) - 1  # every table but alembic_version
    assert f"Backed up {tables} tables (2 actors) to" in _cli(
        registry, "backup", str(tmp_path / "b.jsonl")
    )
    restored = _cli(registry, "restore", str(tmp_path / "b.jsonl"), "--replace")
    assert f"Restored {tables} tables (2 actors) from" in restored
    assert _counts(registry) == (2, 0, 0)


_MAIN = [sys.executable, "-c",
         "import tracktwo.cli._bridges_edit; from tracktwo.cli import main; main()"]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add-actor", "--name", "X", "--country", "KHM", "--kind", "spaceport"],
         "Error: kind: unknown actor kind 'spaceport'"),
        (["add-tie", "1", "2", "--channel", "sister_city", "--start", "2007-5-1"],
         "Error: start_date: '2007-5-1' is not a date like 2019-01-31"),
        (["log", "9", "--date", "2020-01-01", "--kind", "visit"],
         "Error: tie_id: no tie with id 9"),
        (["restore", "missing.jsonl"], "Error: path: no such file: missing.jsonl"),
    ],
)  # fmt: skip
def test_cli_bad_value_is_one_line_exit_2(registry: Registry, args: list, message: str) -> None:
    done = subprocess.run([*_MAIN, "bridges", "--db", registry.url, *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith(message) and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr + done.stdout
