"""The reported Cambodia–US ties (datasets/khm_usa_ties.json): loaded after the demo's places,
provinces and universities, scored, and shown on the pages, with figures counted by hand from
../shared/data/khm-usa-ties/ties.csv (8 rows):

    row 1  Long Beach – Phnom Penh                 sister city     ->  tie
    row 2  Lowell – Phnom Penh (January 2015)      sister city     ->  tie
    row 3  Lowell – Phnom Penh; Siem Reap; Pursat  sister city     ->  2 ties (+ row 2's Phnom Penh)
    row 4  Lowell – Battambang; Phnom Penh         failed motions  ->  2 declined proposals
    rows 5–8  Houston–UC, Arizona–AUPP, Angelo State–RUPP, Purdue–RUPP  ->  4 academic ties

So 8 ties (4 sister_city + 4 academic_partnership; by track 4 local government — city or
province on both ends — and 4 people-to-people — universities on both ends) and 2 declined
proposals. On any day after 2026-05-28 two ties are dormant: Houston–UC (from 2010-06-01, its
last activity the 2010-04-23 signing) and Purdue–RUPP (its last activity the 2024-05-28
renewal, over 24 months ago); the six undated ties count from the day they are entered (today,
in these tests): active.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

import tracktwo.cli._bridges_io  # noqa: F401  (registers bridges load)
from tracktwo.bridges import Actor, Registry, Tie, load_khm_usa_ties
from tracktwo.bridges._io import RowsRejected, import_records
from tracktwo.bridges._khm_usa import KHM_USA_TIES_FILE, _add_missing_actors
from tracktwo.bridges._reading import read_records
from tracktwo.bridges._scorecard import scorecard, scorecard_by_year
from tracktwo.bridges._status import dormant_ties
from tracktwo.cli._app import app
from tracktwo.datasets import dataset_path
from tracktwo.demo import DemoRegistry, build_demo_registry
from tracktwo.match._features import read_ties
from tracktwo.web import WebSettings, create_app

SOURCE = Path(__file__).parents[2] / "shared" / "data" / "khm-usa-ties" / "ties.csv"
REASON = "failed for lack of a second"  # the declined motions' reason, as the rows give it
TODAY = date.today()


@dataclass(frozen=True)
class Loaded:
    home: Path
    first: DemoRegistry
    second: DemoRegistry


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """The demo's registry without the Wikipedia sister cities (the demo-like load: provinces,
    places, universities, then the Cambodia–US ties), built twice."""
    home = tmp_path_factory.mktemp("khm-usa-ties")
    with Registry(home=home) as registry:
        first = build_demo_registry(registry, sister_cities=())
        second = build_demo_registry(registry, sister_cities=())
    return Loaded(home, first, second)


@pytest.fixture(scope="module")
def client(loaded: Loaded) -> Iterator[TestClient]:
    with TestClient(create_app(WebSettings(home=loaded.home))) as opened:
        yield opened


def _records() -> list[dict]:
    return json.loads(dataset_path(KHM_USA_TIES_FILE).read_text(encoding="utf-8"))


def _actor_id(registry: Registry, **where: object) -> int:
    with registry.read() as session:
        found = session.scalars(select(Actor.id).filter_by(**where)).all()
    assert len(found) == 1, where  # one actor, never a duplicate
    return int(found[0])


# -- the shipped file against its source --------------------------------------------------------


def test_the_dataset_has_every_reported_tie_and_proposal() -> None:
    ties = [r for r in _records() if r["record"] == "tie"]
    statuses = sorted(r["status"] for r in ties)
    # 8 ties + 2 declined proposals (the module docstring's rows)
    assert statuses == ["active"] * 8 + ["declined"] * 2
    assert sum(r["channel"] == "sister_city" for r in ties) == 4 + 2  # rows 1–3, and row 4
    declined = [r for r in ties if r["status"] == "declined"]
    assert {r["end_date"] for r in declined} == {"2023-04-25"}
    assert all(REASON in r["status_reason"] for r in declined)
    # only the days the source gives: 2010-06-01 (Houston, effective) and the two agreements
    dated = sorted(d for r in _records() for d in (r.get("start_date"), r.get("date")) if d)
    assert dated == ["2010-04-23", "2010-06-01", "2024-05-28"]


@pytest.mark.skipif(not SOURCE.exists(), reason="../shared/data/khm-usa-ties is not here")
def test_every_source_url_is_evidence() -> None:
    with SOURCE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    urls = {u.strip() for row in rows for u in row["source_url"].split(" ; ")}
    assert len(rows) == 8 and len(urls) == 12  # 3 + 2 + 1 + 2 + 1 + 1 + 1 + 1
    evidence = " ".join(r.get("evidence", "") for r in _records())
    assert sorted(u for u in urls if u not in evidence) == []


# -- loading ------------------------------------------------------------------------------------


def test_load_joins_the_loaded_lists_and_a_second_load_adds_nothing(loaded: Loaded) -> None:
    first, second = loaded.first, loaded.second
    (actors, ties, declined) = [load for load in first.loads if "khm_usa_ties" in load.what]
    # 12 ends are in the lists already loaded (Long Beach, Lowell, Phnom Penh, Siem Reap,
    # Battambang; Pursat province; uh.edu, uc.edu.kh, arizona.edu, angelo.edu, rupp.edu.kh,
    # purdue.edu); the American University of Phnom Penh is in none: the file's one actor
    assert (actors.created, actors.unchanged) == (1, 12)
    assert (ties.created, declined.created) == (8, 2)
    assert first.ties_between == 8 and first.declined_between == 2
    assert first.ties == 8  # the registry holds no other tie: declined proposals are not ties
    assert second.changed == 0 and second.ties_between == 8
    with Registry(home=loaded.home) as registry:
        _actor_id(registry, name="Phnom Penh", kind="city", geonames_id=1821306)
        _actor_id(registry, name="Pursat", kind="province")
        _actor_id(registry, web_domain="purdue.edu")  # for Purdue's College of Education
        with registry.read() as session:
            rows = session.scalar(select(func.count(Tie.id)))
    assert rows == 10  # 8 ties and 2 declined proposals, once each after two loads


def test_command_loads_into_an_empty_registry_idempotently(tmp_path: Path) -> None:
    runner = CliRunner()
    command = ["--home", str(tmp_path), "bridges", "load", "khm-usa-ties", "--format", "json"]
    done = runner.invoke(app, command)
    assert done.exit_code == 0, done.output
    rows = {r["record"]: r for r in json.loads(done.stdout)}
    # nothing loaded before: the 12 listed ends come from the shipped lists, + AUPP
    assert rows["actor"]["created"] == 13
    assert rows["tie"]["created"] == 8 and rows["declined proposal"]["created"] == 2
    assert rows["activity"]["created"] == 2  # the Houston signing and the Purdue renewal
    again = json.loads(runner.invoke(app, command).stdout)
    assert all(r["created"] == r["updated"] == 0 for r in again)
    with Registry(home=tmp_path) as registry:  # the library function the command calls
        report = load_khm_usa_ties(registry)
    assert (report.count("tie", "unchanged"), report.count("declined proposal", "unchanged")) == (
        8, 2)  # fmt: skip


def test_a_bad_row_leaves_the_registry_as_it_was(tmp_path: Path) -> None:
    records = list(read_records(dataset_path(KHM_USA_TIES_FILE)))
    bad = {"record": "tie", "ref_a": "web:uh.edu", "ref_b": "web:rupp.edu.kh",
           "channel": "carrier_pigeon"}  # fmt: skip
    with Registry(home=tmp_path) as registry:
        with pytest.raises(RowsRejected, match="line 99, field channel"):
            import_records(registry, [*records, (99, bad)], "test",
                           before=_add_missing_actors(records))  # fmt: skip
        with registry.read() as session:
            held = (session.scalar(select(func.count(Actor.id))),
                    session.scalar(select(func.count(Tie.id))))  # fmt: skip
    assert held == (0, 0)  # not even the actors the loader adds first


# -- the scorecard and every other count of ties ------------------------------------------------


def test_scorecard_of_the_real_ties(loaded: Loaded) -> None:
    with Registry(home=loaded.home) as registry:
        card = scorecard(registry, "KHM", "USA", at=TODAY)
    assert (card.ties_total, card.ties_active, card.ties_dormant) == (8, 6, 2)
    assert card.ties_by_channel == {"academic_partnership": 4, "sister_city": 4}
    assert card.ties_by_track == {"official": 0, "local": 4, "people": 4, "mixed": 0, "other": 0}
    assert card.declined_proposals == 2
    assert {(d["actor_a"], d["actor_b"]) for d in card.declined} == {
        ("Battambang", "Lowell"), ("Phnom Penh", "Lowell")}  # fmt: skip
    assert all(REASON in d["reason"] and d["declined_on"] == "2023-04-25" for d in card.declined)
    # active: the 4 local ties and Arizona–AUPP, Angelo State–RUPP: people 2 of 6
    assert card.people_to_people_share == pytest.approx(2 / 6)
    assert card.track_shares["local"] == pytest.approx(4 / 6)
    # active ends: KHM Phnom Penh, Siem Reap, Pursat, AUPP, RUPP; USA Long Beach, Lowell,
    # Arizona, Angelo State (Battambang only in a declined proposal: not tied)
    assert (card.actors_a, card.actors_b) == (5, 4)


def test_the_years_say_how_many_ties_have_no_start(loaded: Loaded, client: TestClient) -> None:
    # of the 8 ties in ties.csv only Houston–University of Cambodia has a day its source
    # gives as the start ("effective June 1 2010"); the declined proposals are not ties
    with Registry(home=loaded.home) as registry:
        years = scorecard_by_year(registry, "KHM", "USA", at=TODAY)
    assert years.attrs["ties_without_start"] == 7
    page = client.get("/pairs/KHM/USA/scorecard").text
    assert "7 of these ties have no start date in their sources" in page
    assert client.get("/api/pairs/KHM/USA/scorecard").json()["ties_without_start"] == 7


def test_a_declined_proposal_never_counts_as_a_tie(loaded: Loaded, client: TestClient) -> None:
    with Registry(home=loaded.home) as registry:
        assert len(read_ties(registry)) == 8  # what the recommender learns from
        dormant = dormant_ties(registry, "KHM", "USA", at=TODAY)
    assert sorted(dormant["actor_usa"]) == ["Purdue University", "University of Houston"]
    pairs = client.get("/api/pairs").json()["pairs"]
    assert [p["ties"] for p in pairs if {p["a"]["code"], p["b"]["code"]} == {"KHM", "USA"}] == [8]
    network = client.get("/api/pairs/KHM/USA/network").json()
    assert len(network["edges"]) == 8 and len(network["declined"]) == 2
    assert {t["label"]: t["ties"] for t in network["tracks"]} == {
        "local government": 4, "people-to-people": 4}  # fmt: skip
    battambang = client.get("/api/actors", params={"q": "Battambang", "kind": "city"}).json()
    assert battambang["items"][0]["name"] == "Battambang"
    assert "Battambang" not in {n["name"] for n in network["nodes"]}


# -- the pages ------------------------------------------------------------------------------------


def test_ties_page_lists_the_declined_lowell_proposals_with_their_reason(
    client: TestClient,
) -> None:
    body = client.get("/api/ties", params={"a": "KHM", "b": "USA"}).json()
    assert (body["ties"], body["declined"], body["total"]) == (8, 2, 10)
    declined = [t for t in body["items"] if t["effective_status"] == "declined"]
    assert sorted(t["actor_b"] for t in declined) == ["Battambang", "Phnom Penh"]
    assert {t["actor_a"] for t in declined} == {"Lowell"}
    html = client.get("/ties", params={"a": "KHM", "b": "USA"}).text
    rows = re.findall(r'<tr class="declined">(.*?)</tr>', html, re.S)
    assert len(rows) == 2 and all(REASON in row and ">declined<" in row for row in rows)
    only = client.get("/api/ties", params={"a": "KHM", "status": "declined"}).json()
    assert only["total"] == 2


def test_tie_page_of_a_declined_proposal_shows_its_reason(client: TestClient) -> None:
    items = client.get("/api/ties", params={"a": "KHM", "status": "declined"}).json()["items"]
    html = client.get(f"/ties/{items[0]['id']}").text
    notice = re.search(r'<p class="notice" id="declined">(.*?)</p>', html, re.S)
    assert notice is not None and REASON in notice.group(1)
    assert "local government track" in html  # a sister-city motion: city and city


def test_actor_page_shows_the_other_party_as_partner(client: TestClient) -> None:
    found = client.get("/api/actors", params={"q": "Phnom Penh", "kind": "city"}).json()
    actor_id = found["items"][0]["id"]
    html = client.get(f"/actors/{actor_id}").text
    partners = re.findall(r'<td class="partner"><a href="/actors/\d+">([^<]+)</a>', html)
    # Phnom Penh's rows: Long Beach (row 1), Lowell (row 2) and the declined Lowell motion;
    # every one was stored with the US party first, so the page must turn it round
    assert sorted(partners) == ["Long Beach", "Lowell", "Lowell"]
    actors = re.findall(r'<td class="actor"><a href="/actors/\d+">([^<]+)</a>', html)
    assert actors == ["Phnom Penh"] * 3
    assert "Ties (2)" in html and "local government track" in html


def test_scorecard_page_counts_the_declined_proposals_apart(client: TestClient) -> None:
    body = client.get("/api/pairs/KHM/USA/scorecard").json()
    assert body["scorecard"]["declined_proposals"] == 2
    assert {r["label"]: r["ties"] for r in body["by_track"] if r["ties"]} == {
        "local government": 4, "people-to-people": 4}  # fmt: skip
    html = client.get("/pairs/KHM/USA/scorecard").text
    assert re.search(r'id="declined-proposals">2<', html)
    assert html.count(REASON) == 2 and "local government" in html
