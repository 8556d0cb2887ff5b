"""The actors page as a user expects it: filters picked from lists of what the registry holds
(with counts), the choice kept after filtering, a clear refusal of an unknown value, and each
actor's admin region and number of ties.

Every expected value is worked out by hand from tests/_web.py (ten actors, three ties) or
from the shipped US states file (50 states and DC, tracktwo/datasets/SOURCES.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _web import ACTORS, SCRIPT_NAME, build_home
from fastapi.testclient import TestClient

from tracktwo.bridges import Registry, add_tie, load_states
from tracktwo.web import WebSettings, create_app

# from ACTORS, by hand: five actors in each country; eight cities and two universities; an
# actor counts once for an area it offers or needs
COUNTRIES = [("KHM", 5), ("USA", 5)]
KINDS = [("city", 8), ("university", 2)]
AREAS = [("agriculture", 2), ("business", 2), ("culture", 5), ("education", 4), ("health", 2),
         ("science", 3)]  # fmt: skip


class _Selects(HTMLParser):
    """Every <select> of a page: its options as (value, text, selected)."""

    def __init__(self) -> None:
        super().__init__()
        self.selects: dict[str, list[tuple[str, str, bool]]] = {}
        self._select: str | None = None
        self._option: list[object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "select":
            self._select = found["name"] or ""
            self.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self._option = [found.get("value") or "", "", "selected" in found]

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1] = str(self._option[1]) + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            value, text, selected = self._option
            self.selects[self._select].append((str(value), str(text).strip(), bool(selected)))
            self._option = None
        elif tag == "select":
            self._select = None


def selects(html: str) -> dict[str, list[tuple[str, str, bool]]]:
    parser = _Selects()
    parser.feed(html)
    return parser.selects


@pytest.fixture(scope="module")
def client(web_template: Path) -> Iterator[TestClient]:
    with TestClient(create_app(WebSettings(home=web_template))) as opened:
        yield opened


def test_facets_are_what_the_registry_holds_with_counts(client: TestClient) -> None:
    facets = client.get("/api/actors").json()["facets"]
    assert [(o["value"], o["count"]) for o in facets["country"]] == COUNTRIES
    assert [(o["value"], o["count"]) for o in facets["kind"]] == KINDS
    assert [(o["value"], o["count"]) for o in facets["area"]] == AREAS
    # the same counts straight from the fixture's list
    assert sum(n for _, n in COUNTRIES) == len(ACTORS) == sum(n for _, n in KINDS)
    culture = [a for a in ACTORS if "culture" in a[6] + a[7]]
    assert len(culture) == dict(AREAS)["culture"]


def test_the_page_offers_select_lists_not_free_text(client: TestClient) -> None:
    page = client.get("/actors").text
    lists = selects(page)
    assert lists["country"] == [("", "any", False), ("KHM", "KHM – Cambodia (5)", False),
                                ("USA", "USA – United States (5)", False)]  # fmt: skip
    assert lists["kind"] == [("", "any", False), ("city", "City or municipality (8)", False),
                             ("university", "University (2)", False)]  # fmt: skip
    assert [(v, text) for v, text, _ in lists["area"]][1:4] == [
        ("agriculture", "Agriculture and agricultural commercialisation (2)"),
        ("business", "Business, entrepreneurship and marketing (2)"),
        ("culture", "Culture, religion and exchange (5)"),
    ]
    for name in ("country", "kind", "area"):  # no free-text box for them any more
        assert f'<input name="{name}"' not in page


def test_the_choice_stays_selected(client: TestClient) -> None:
    # a country given by its name is stored (and selected) as its code
    page = client.get("/actors", params={"country": "Cambodia", "kind": "university",
                                         "area": "Science"}).text  # fmt: skip
    chosen = {name: [v for v, _, on in options if on] for name, options in selects(page).items()}
    assert chosen == {"country": ["KHM"], "kind": ["university"], "area": ["science"],
                      "sort": ["id"]}  # fmt: skip
    assert "Royal University of Phnom Penh" in page and "1 actors" in page
    body = client.get("/api/actors", params={"country": "Cambodia"}).json()
    assert body["filters"]["country"] == "KHM" and body["total"] == 5


def test_a_known_country_nobody_is_in_stays_selected_with_zero(client: TestClient) -> None:
    page = client.get("/actors", params={"country": "FJI"}).text
    assert ("FJI", "FJI – Fiji (0)", True) in selects(page)["country"]
    assert "0 actors" in page


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"country": "XYZ"}, 400, "country"),
        ({"kind": "spaceport"}, 400, "kind"),
        ({"area": "astrology"}, 400, "area"),
        ({"sort": "shoe size"}, 422, "query.sort"),
    ],
)
def test_an_unknown_value_is_refused_naming_the_field(
    client: TestClient, query: dict[str, str], status: int, field: str
) -> None:
    response = client.get("/api/actors", params=query)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["status"] == status and error["message"].startswith(f"{field}: ")
    page = client.get("/actors", params=query)  # the page: the same status, as HTML
    assert page.status_code == status and "<html" in page.text and "Traceback" not in page.text


def test_each_actor_shows_its_tie_count(client: TestClient) -> None:
    items = client.get("/api/actors").json()["items"]
    ties = {a["name"]: a["ties"] for a in items}
    # ties 1-3 join Phnom Penh–Long Beach, Battambang–Lowell, Siem Reap–Seattle
    tied = {"Phnom Penh", "Long Beach", "Battambang", "Lowell", "Siem Reap", "Seattle"}
    assert ties == {name: (1 if name in tied else 0) for name, *_ in ACTORS}
    page = client.get("/actors").text
    assert '<td class="num ties">1</td>' in page and '<td class="num ties">0</td>' in page


def test_sort_by_ties_and_by_name(client: TestClient) -> None:
    by_ties = client.get("/api/actors", params={"sort": "ties"}).json()["items"]
    # the six tied actors first (each by id, as added), then the four untied ones
    assert [a["name"] for a in by_ties] == [
        "Phnom Penh", "Battambang", "Siem Reap", "Long Beach", "Lowell", "Seattle",
        SCRIPT_NAME, "Royal University of Phnom Penh", "Houston", "University of Washington",
    ]  # fmt: skip
    by_name = client.get("/api/actors", params={"sort": "name", "country": "USA"}).json()
    assert [a["name"] for a in by_name["items"]] == [
        "Houston", "Long Beach", "Lowell", "Seattle", "University of Washington"
    ]  # fmt: skip


def test_admin_region_and_ties_after_loading_states(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    ids = build_home(home)
    with Registry(home=home) as registry:
        load_states(registry)  # the 50 states and DC, each its own admin1 region
        add_tie(registry, ids["Phnom Penh"], ids["Seattle"], "sister_city")
        add_tie(registry, ids["Phnom Penh"], ids["Houston"], "sister_city", status="declined")
    with TestClient(create_app(WebSettings(home=home))) as client:
        body = client.get("/api/actors", params={"kind": "province"}).json()
        assert body["total"] == 51
        california = next(a for a in body["items"] if a["name"] == "California")
        assert (california["admin1"], california["admin1_name"]) == ("CA", "California")
        facets = client.get("/api/actors").json()["facets"]
        assert ("USA", 56) in [(o["value"], o["count"]) for o in facets["country"]]
        assert ("province", 51) in [(o["value"], o["count"]) for o in facets["kind"]]
        page = client.get("/actors", params={"kind": "province", "q": "massachusetts"}).text
        assert '<td class="region">Massachusetts</td>' in page
        # Phnom Penh now has two ties; the declined proposal to Houston is no tie
        ranked = client.get("/api/actors", params={"sort": "ties"}).json()["items"]
        assert (ranked[0]["name"], ranked[0]["ties"]) == ("Phnom Penh", 2)
        assert next(a["ties"] for a in ranked if a["name"] == "Houston") == 0
