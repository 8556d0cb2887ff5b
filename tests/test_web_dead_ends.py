"""Pages that never dead-end: a pair with no data says, on every page, what to load and links
to the same page of a pair that has data. Checked in-process on Fiji–Iceland, which the web
tests' data directory (tests/_web.py) holds nothing of: its registry's only ties are the 3
Cambodia–US ones, and the only UN votes are those of Cambodia and the US (the shipped file's
country_code column holds KH and US alone)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tracktwo.web import WebSettings, create_app

EMPTY = "/pairs/FJI/ISL"


@pytest.fixture(scope="module")
def client(web_template: Path) -> Iterator[TestClient]:
    # reading only: the shared template is never written by these tests
    with TestClient(create_app(WebSettings(home=web_template))) as opened:
        yield opened


def _by_what(dead_ends: list[dict]) -> dict[str, dict]:
    return {d["what"]: d for d in dead_ends}


def test_the_empty_overview_says_what_to_load_and_where_data_is(client: TestClient) -> None:
    body = client.get("/api" + EMPTY).json()
    found = _by_what(body["dead_ends"])
    assert list(found) == ["events", "signals", "ties"]
    assert found["events"]["command"] == "tracktwo events ingest FILE"
    assert found["signals"]["command"] == "tracktwo votes ingest"
    assert found["ties"]["command"] == "tracktwo bridges load sister-cities"
    # the busiest pair by events (the first of /api/pairs by events) has data to look at
    pairs = client.get("/api/pairs").json()["pairs"]
    busiest = max(pairs, key=lambda p: p["events"])
    events = found["events"]["example"]
    assert (events["a"], events["b"]) == (busiest["a"]["code"], busiest["b"]["code"])
    assert events["count"] == busiest["events"] > 0
    # only Cambodia and the US have votes; Cambodia-US holds the registry's 3 ties
    assert found["signals"]["example"]["href"] == "/pairs/KHM/USA"
    ties = found["ties"]["example"]
    assert (ties["href"], ties["count"]) == ("/pairs/KHM/USA/scorecard", 3)
    assert found["ties"]["message"] == (
        "No ties between FJI and ISL are in the registry yet. Load them with: tracktwo bridges "
        "load sister-cities. See Cambodia – United States, which has 3 ties."
    )
    # the standing still answers: no track has an event between them in 2005-2015
    assert body["standing"]["sentences"][0] == (
        "No official events are recorded between Fiji and Iceland in 2005–2015."
    )


def test_the_empty_overview_page_links_on(client: TestClient) -> None:
    html = client.get(EMPTY).text
    for what in ("events", "signals", "ties"):
        assert f'id="dead-end-{what}"' in html
    assert "<code>tracktwo events ingest FILE</code>" in html
    assert (
        '<a href="/pairs/KHM/USA/scorecard">See Cambodia – United States, which has 3 ties.' in html
    )
    khmer = client.get(EMPTY, cookies={"tracktwo_lang": "km"}).text
    assert "មិនទាន់មានទំនាក់ទំនងរវាង FJI និង ISL នៅក្នុងបញ្ជីចុះឈ្មោះនៅឡើយទេ។" in khmer


@pytest.mark.parametrize(
    ("page", "href"),
    [
        ("/scorecard", "/pairs/KHM/USA/scorecard"),
        ("/network", "/pairs/KHM/USA/network"),
    ],
)
def test_registry_pages_of_an_empty_pair_link_on(client: TestClient, page: str, href: str) -> None:
    (found,) = client.get("/api" + EMPTY + page).json()["dead_ends"]
    assert found["what"] == "ties" and found["example"]["href"] == href
    html = client.get(EMPTY + page).text
    assert 'id="dead-end-ties"' in html and f'href="{href}"' in html


def test_the_ties_list_of_an_empty_pair_links_on(client: TestClient) -> None:
    (found,) = client.get("/api/ties", params={"a": "FJI", "b": "ISL"}).json()["dead_ends"]
    assert found["example"]["href"] == "/ties?a=KHM&b=USA"
    html = client.get("/ties", params={"a": "FJI", "b": "ISL"}).text
    assert 'href="/ties?a=KHM&amp;b=USA"' in html


def test_recommendations_without_actors_say_to_load_places(client: TestClient) -> None:
    (found,) = client.get("/api" + EMPTY + "/recommendations").json()["dead_ends"]
    # the registry has actors of Cambodia and the US only (tests/_web.py)
    assert (found["what"], found["subject"], found["command"]) == (
        "actors", "FJI / ISL", "tracktwo bridges load places",
    )  # fmt: skip
    assert found["example"]["href"] == "/pairs/KHM/USA/recommendations"


def test_no_tie_of_a_status_is_said_not_left_blank(client: TestClient) -> None:
    # none of the three Cambodia-US ties has ended (tests/_web.py: no end dates)
    html = client.get("/ties", params={"a": "KHM", "b": "USA", "status": "ended"}).text
    assert "None of the ties between KHM and USA is ended today." in html
    assert client.get("/api/ties", params={"a": "KHM", "b": "USA"}).json()["dead_ends"] == []


def test_a_pair_with_data_has_no_dead_end(client: TestClient) -> None:
    body = client.get("/api/pairs/KHM/USA").json()
    assert body["dead_ends"] == [] and body["missing"] == []
    assert client.get("/api/pairs/KHM/USA/scorecard").json()["dead_ends"] == []
