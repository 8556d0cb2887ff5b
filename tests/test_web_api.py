"""The JSON API, in-process: every page's twin, with values worked out from tests/_web.py
and from the shipped UN votes file, and the one error envelope."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tracktwo.datasets import dataset_path
from tracktwo.web import WebSettings, create_app

TODAY = date.today()


@pytest.fixture(scope="module")
def client(web_template: Path) -> Iterator[TestClient]:
    # reading only: the shared template is never written by these tests
    with TestClient(create_app(WebSettings(home=web_template))) as opened:
        yield opened


def _agreement(year: int) -> tuple[int, float]:
    """UN vote agreement of Cambodia and the US in ``year``, from the shipped files."""
    with gzip.open(dataset_path("un_roll_calls.csv.gz"), "rt", encoding="utf-8") as handle:
        day = {r["rcid"]: r["date"] for r in csv.DictReader(handle)}
    votes: dict[str, dict[str, str]] = {}
    with gzip.open(dataset_path("un_votes_khm_usa.csv.gz"), "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            votes.setdefault(row["rcid"], {})[row["country_code"]] = row["vote"]
    scores = []
    for rcid, pair in votes.items():
        if len(pair) == 2 and day.get(rcid, "").startswith(str(year)):
            kh, us = pair["KH"], pair["US"]
            scores.append(1.0 if kh == us else 0.5 if "abstain" in (kh, us) else 0.0)
    return len(scores), sum(scores) / len(scores)


def test_pairs_lists_khm_usa_with_its_three_ties(client: TestClient) -> None:
    pairs = client.get("/api/pairs").json()["pairs"]
    found = [p for p in pairs if {p["a"]["code"], p["b"]["code"]} == {"KHM", "USA"}]
    assert len(found) == 1 and found[0]["ties"] == 3
    assert found[0]["events"] == 29  # the ICEWS extract's Cambodia-US events (its SOURCE.txt)


def test_overview_votes_agree_with_the_raw_file(client: TestClient) -> None:
    body = client.get("/api/pairs/KHM/USA").json()
    assert body["a"] == {"code": "KHM", "name": "Cambodia"}
    by_year = {r["period"]: r for r in body["signal_series"] if r["series"] == "UN vote agreement"}
    for year in (2017, 2018, 2019):
        roll_calls, agreement = _agreement(year)
        row = by_year[f"{year}-01-01"]
        assert row["events"] == roll_calls
        assert row["value"] == pytest.approx(agreement)
    assert by_year["2020-01-01"]["is_partial"] is True  # the votes end on 14 January 2020


def test_overview_scorecard_headline(client: TestClient) -> None:
    card = client.get("/api/pairs/KHM/USA").json()["scorecard"]
    # active: tie 1 (visit 2026-03) and tie 3 (started 2025-09); tie 2 silent since 2023-06
    assert (card["ties_active"], card["ties_dormant"], card["ties_total"]) == (2, 1, 3)
    # three city–city ties: cities are local government (actor_kinds.toml), not civil society
    assert card["people_to_people_share"] == 0.0
    assert card["track_shares"]["local"] == 1.0 and card["ties_by_track"]["local"] == 3
    assert card["neutral_area_share"] == 1.0  # culture and business are neutral
    assert card["area_effective_number"] == pytest.approx(2.0)  # two areas, equal weight
    assert card["ties_with_unknown_area"] == 0  # both active ties list an area
    # the page gives the ties the share is over beside it: 2 active, none without an area
    page = client.get("/pairs/KHM/USA/scorecard").text
    assert '<td class="num" id="neutral-share">100% <span class="muted">(of 2 ties with an area;' \
        ' 0 unknown)</span></td>' in page  # fmt: skip


def test_overview_tracks_have_intervals_around_the_value(client: TestClient) -> None:
    rows = [r for r in client.get("/api/pairs/KHM/USA").json()["pulse"] if r["value"] is not None]
    assert rows and {r["series"] for r in rows} <= {"official", "local", "people", "mixed", "other"}
    assert sum(r["events"] for r in rows) == 29
    for row in rows:
        assert -10 <= row["value"] <= 10
        # an interval needs 2 events with some spread; a lone event has none (empty, not [g, g])
        if row["events"] < 2:
            assert row["ci_low"] is None and row["ci_high"] is None
        elif row["ci_low"] is not None:
            assert row["ci_low"] <= row["value"] <= row["ci_high"]
    assert any(r["ci_low"] is not None for r in rows)
    assert all(r["is_eligible"] == (r["events"] >= 10) for r in rows)  # no partial year here


def test_actors_filters(client: TestClient) -> None:
    usa = client.get("/api/actors", params={"country": "USA"}).json()
    assert usa["total"] == 5 and {a["country"] for a in usa["items"]} == {"USA"}
    phnom = client.get("/api/actors", params={"q": "phnom"}).json()["items"]
    assert sorted(a["name"] for a in phnom) == ["Phnom Penh", "Royal University of Phnom Penh"]
    universities = client.get("/api/actors", params={"kind": "university"}).json()
    assert universities["total"] == 2
    health = client.get("/api/actors", params={"area": "health"}).json()["items"]
    assert sorted(a["name"] for a in health) == ["Houston", "Phnom Penh"]


def test_actor_page_has_its_ties(client: TestClient) -> None:
    phnom_penh = client.get("/api/actors", params={"q": "Phnom Penh", "kind": "city"}).json()
    actor_id = phnom_penh["items"][0]["id"]
    body = client.get(f"/api/actors/{actor_id}").json()
    assert body["actor"]["name"] == "Phnom Penh" and body["actor"]["track"] == "local"
    assert body["actor"]["track_label"] == "local government"
    assert [t["actor_b"] for t in body["ties"]] == ["Long Beach"]
    assert body["ties"][0]["activities"] == 1 and body["ties"][0]["last_activity"] == "2026-03-01"


def test_ties_by_effective_status(client: TestClient) -> None:
    every = client.get("/api/ties", params={"a": "KHM", "b": "USA"}).json()
    statuses = {t["actor_a"]: t["effective_status"] for t in every["items"]}
    assert statuses == {"Phnom Penh": "active", "Battambang": "dormant", "Siem Reap": "active"}
    dormant = client.get("/api/ties", params={"a": "KHM", "status": "dormant"}).json()
    assert [t["actor_b"] for t in dormant["items"]] == ["Lowell"]


def test_tie_page_has_its_activity_log(client: TestClient) -> None:
    tie_id = client.get("/api/ties", params={"a": "KHM", "status": "dormant"}).json()["items"][0]
    body = client.get(f"/api/ties/{tie_id['id']}").json()
    assert [(a["activity_date"], a["kind"]) for a in body["activities"]] == [
        ("2023-06-01", "exchange")
    ]
    assert body["tie"]["channel"] == "sister_city" and body["tie"]["areas"] == ["education"]


def test_network_nodes_and_edges(client: TestClient) -> None:
    body = client.get("/api/pairs/KHM/USA/network").json()
    assert len(body["nodes"]) == 6 and len(body["edges"]) == 3
    assert sorted(e["status"] for e in body["edges"]) == ["active", "active", "dormant"]


def test_scorecard_by_year(client: TestClient) -> None:
    body = client.get("/api/pairs/KHM/USA/scorecard").json()
    years = {r["year"]: r for r in body["by_year"]}
    # at the end of each year: in 2008 tie 1 (from 2007) is active; by 2010 it has been
    # silent for over 24 months (no activity before 2026): dormant. In 2016 tie 2 (from
    # 2015) is active and tie 1 still dormant.
    assert (years[2008]["ties_active"], years[2008]["ties_dormant"]) == (1, 0)
    assert (years[2010]["ties_active"], years[2010]["ties_dormant"]) == (0, 1)
    assert (years[2016]["ties_active"], years[2016]["ties_dormant"]) == (1, 1)
    assert body["scorecard"]["ties_active"] == 2


def test_recommendations_are_explained(client: TestClient) -> None:
    body = client.get("/api/pairs/KHM/USA/recommendations").json()
    assert body["items"], body["missing"]
    for item in body["items"]:
        assert item["country"] == "USA"
        total = sum(c["contribution"] for c in item["components"])
        # the explanation is complete: intercept + every component = the score
        assert item["intercept"] + total == pytest.approx(item["score"])
        # an uncalibrated score is no probability: it comes with its percentile and a sentence
        assert "probability" not in item and 0 <= item["percentile"] <= 100
        assert item["explanation"].startswith(item["label"] + ": ")
    one = body["choices"][0]["id"]
    ranked = client.get("/api/pairs/KHM/USA/recommendations",
                        params={"actor_id": one, "k": 3}).json()  # fmt: skip
    assert [r["rank"] for r in ranked["items"]] == list(range(1, len(ranked["items"]) + 1))
    scores = [r["score"] for r in ranked["items"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/actors/99999", 404, "not_found"),
        ("/api/ties/99999", 404, "not_found"),
        ("/api/pairs/KHM/XYZ", 400, "invalid_input"),
        ("/api/actors?page=0", 422, "invalid_request"),
        ("/api/no-such-thing", 404, "not_found"),
        ("/api/ties?status=lost", 422, "invalid_request"),
    ],
)
def test_one_error_envelope(client: TestClient, path: str, status: int, code: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.text


def test_one_error_envelope_for_a_body_over_the_cap(client: TestClient) -> None:
    # 256 KiB of JSON is the most a request may carry (tests/test_web_limits.py has the rest)
    response = client.post("/api/proposals", content=b"{" + b" " * (256 * 1024) + b"}",
                           headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 413
    message = "the request body is larger than this server accepts"
    assert response.json() == {
        "error": {"status": 413, "code": "payload_too_large", "message": message}
    }


def test_validation_error_names_the_field(client: TestClient) -> None:
    body = client.get("/api/actors", params={"page": "zero"}).json()["error"]
    assert body["fields"][0]["field"] == "query.page"
    assert "query.page" in body["message"]


# GET pages that are not data: forms, the API reference and the pair picker's redirect
NO_TWIN = {"/login", "/signup", "/confirm", "/docs", "/pairs/go"}


def _routes(routes: list[Any]) -> Iterator[Any]:
    """Every route of the app, those of included routers too."""
    for route in routes:
        inner = getattr(route, "original_router", None)  # an included router (FastAPI 0.13x+)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


def test_every_page_has_a_json_twin(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    api_paths = set(spec["paths"])
    pages = {r.path for r in _routes(client.app.routes)  # type: ignore[attr-defined]
             if isinstance(r, APIRoute) and "GET" in r.methods
             and not r.path.startswith("/api")} - NO_TWIN  # fmt: skip
    # the app's routes, not a list: a new page cannot escape; the old list is among them
    assert pages >= {"/pairs/{a}/{b}", "/pairs/{a}/{b}/scorecard", "/pairs/{a}/{b}/network",
                     "/pairs/{a}/{b}/recommendations", "/actors", "/actors/{actor_id}", "/ties",
                     "/ties/{tie_id}", "/"}  # fmt: skip
    for page in pages:
        twin = "/api/pairs" if page == "/" else "/api" + page  # the pair picker's twin
        assert "get" in spec["paths"].get(twin, {}), page
    assert "/api/pairs" in api_paths  # the pair picker's twin
    assert not [p for p in api_paths if not p.startswith("/api")]  # HTML pages stay out


def test_html_pages_render(client: TestClient) -> None:
    for path in ("/", "/pairs/KHM/USA", "/pairs/KHM/USA?freq=month", "/pairs/KHM/USA/scorecard",
                 "/pairs/KHM/USA/network", "/pairs/KHM/USA/recommendations", "/actors",
                 "/actors/1", "/ties", "/ties/1", "/login"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
    overview = client.get("/pairs/KHM/USA").text
    assert overview.count("<svg") >= 2  # the pulse and the UN votes, drawn on the server
    assert "http://" not in overview.replace("http://www.w3.org", "")  # nothing from a CDN


def test_pair_picker_accepts_names(client: TestClient) -> None:
    response = client.get("/pairs/go", params={"a": "Cambodia", "b": "US"},
                          follow_redirects=False)  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/pairs/KHM/USA"


def test_html_error_page(client: TestClient) -> None:
    response = client.get("/actors/99999")
    assert response.status_code == 404
    assert "no actor with id 99999" in response.text and "<html" in response.text
