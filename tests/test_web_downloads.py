"""Every table of the dashboard as CSV and JSON downloads, in-process.

The tables of each page are read from the OpenAPI description (the ``table`` parameter of its
twin), so a page cannot add a table and escape these checks. Values are compared with the
JSON twin's rows, converted by the rules docs/web.md states (missing empty, true/false, lists
of words joined with "; ", a nested object's fields as ``a.code``), or worked out from
tests/_web.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from _web import build_home
from fastapi.testclient import TestClient

from tracktwo.bridges import Registry, add_actor
from tracktwo.store import SNAPSHOT_DIR, STORE_FILE
from tracktwo.web import WebSettings, create_app

BOM = b"\xef\xbb\xbf"
TEMPLATES = Path(__file__).parents[1] / "tracktwo" / "web" / "templates"
# each page of the fixture, its twin, and where each of its tables' rows sit in the twin
PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "/": ("/api/pairs", {"pairs": "pairs"}),
    "/pairs/KHM/USA": ("/api/pairs/KHM/USA", {
        "tracks": "tracks", "signals": "signals", "vote_issues": "vote_issues.rows",
        "pulse": "pulse", "signal_series": "signal_series"}),
    "/pairs/KHM/USA/compare": ("/api/pairs/KHM/USA/compare", {"compare": "rows"}),
    "/pairs/KHM/USA/scorecard": ("/api/pairs/KHM/USA/scorecard", {
        "by_track": "by_track", "by_year": "by_year", "declined": "scorecard.declined"}),
    "/pairs/KHM/USA/network": ("/api/pairs/KHM/USA/network", {"nodes": "nodes", "edges": "edges"}),
    "/pairs/KHM/USA/recommendations": ("/api/pairs/KHM/USA/recommendations",
                                       {"recommendations": "items"}),
    "/actors": ("/api/actors", {"actors": "items"}),
    "/actors/1": ("/api/actors/1", {"ties": "ties", "diaspora": "diaspora"}),
    "/ties": ("/api/ties", {"ties": "items"}),
    "/ties/1": ("/api/ties/1", {"activities": "activities"}),
}  # fmt: skip


@pytest.fixture(scope="module")
def client(web_template: Path) -> Iterator[TestClient]:
    with TestClient(create_app(WebSettings(home=web_template))) as opened:
        yield opened


def _at(data: Any, dotted: str) -> list[dict[str, Any]]:
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data or []


def read_csv(response: Any) -> tuple[list[str], list[dict[str, str]]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(BOM)  # so Excel reads it as UTF-8
    lines = list(csv.reader(io.StringIO(response.content[len(BOM) :].decode("utf-8"))))
    header, rows = lines[0], lines[1:]
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def as_cell(value: Any) -> str:
    """A JSON value as docs/web.md says its CSV cell is written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return "; ".join(str(v) for v in value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def flat(row: dict[str, Any], header: list[str]) -> dict[str, str]:
    """The JSON row as CSV cells, a nested object's fields as ``key.field`` when the header
    has them."""
    cells: dict[str, str] = {}
    for key, value in row.items():
        if isinstance(value, dict) and any(c.startswith(key + ".") for c in header):
            cells.update({f"{key}.{k}": as_cell(v) for k, v in value.items()})
        elif value is None and any(c.startswith(key + ".") for c in header):
            cells.update({c: "" for c in header if c.startswith(key + ".")})
        else:
            cells[key] = as_cell(value)
    return cells


def test_the_tables_of_each_page_are_described(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()["paths"]
    for _page, (twin, tables) in PAGES.items():
        templated = (twin.replace("KHM/USA", "{a}/{b}").replace("actors/1", "actors/{actor_id}")
                     .replace("ties/1", "ties/{tie_id}"))  # fmt: skip
        params = {p["name"]: p for p in spec[templated]["get"]["parameters"]}
        assert params["format"]["schema"]["default"] == "json"
        first = params["table"]["schema"]["anyOf"][0]  # one table is a const, more an enum
        described = first.get("enum") or [first["const"]]
        assert described == list(tables), twin


@pytest.mark.parametrize("page", list(PAGES))
def test_each_table_downloads_as_csv_with_the_twins_rows(client: TestClient, page: str) -> None:
    twin, tables = PAGES[page]
    body = client.get(twin).json()
    for table, where in tables.items():
        response = client.get(twin, params={"format": "csv", "table": table})
        header, rows = read_csv(response)
        expected = _at(body, where)
        assert len(rows) == len(expected), (twin, table)
        # every field of the JSON rows is a column, and nothing else
        for csv_row, json_row in zip(rows, expected, strict=True):
            assert csv_row == flat(json_row, header), (twin, table)
        name = re.fullmatch(r'attachment; filename="(tracktwo-[A-Za-z0-9_-]+\.csv)"',
                            response.headers["content-disposition"])  # fmt: skip
        assert name is not None and table in name.group(1)


def test_each_table_on_a_page_links_its_csv_and_json(client: TestClient) -> None:
    for page, (twin, tables) in PAGES.items():
        html = client.get(page).text
        body = client.get(twin).json()
        for table, where in tables.items():
            if not _at(body, where):  # an empty section shows no table, so no link
                continue
            found = re.search(rf'id="download-{table}">.*?href="([^"]+)".*?href="([^"]+)"', html)
            assert found is not None, (page, table)
            as_csv, as_json = (link.replace("&amp;", "&") for link in found.groups())
            assert as_csv == f"{twin}?format=csv&table={table}"
            assert as_json == twin


def test_the_links_keep_the_pages_query(client: TestClient) -> None:
    html = client.get("/actors", params={"country": "KHM", "kind": "city", "sort": "ties"}).text
    found = re.search(r'id="download-actors">.*?href="([^"]+)".*?href="([^"]+)"', html)
    assert found is not None
    as_csv, as_json = (link.replace("&amp;", "&") for link in found.groups())
    assert as_json == "/api/actors?country=KHM&kind=city&sort=ties"
    assert as_csv == "/api/actors?country=KHM&kind=city&sort=ties&format=csv&table=actors"
    header, rows = read_csv(client.get(as_csv))
    items = client.get(as_json).json()["items"]
    # the four Cambodian cities, the three tied ones first (ids 1, 2, 3), then the probe
    assert [r["id"] for r in rows] == [str(a["id"]) for a in items] == ["1", "2", "3", "4"]
    phnom_penh = rows[0]
    assert phnom_penh == {
        "id": "1", "name": "Phnom Penh", "local_name": "", "country": "KHM", "kind": "city",
        "place": "", "admin1": "", "admin1_name": "", "track": "local",
        "areas_offered": "culture", "areas_needed": "health", "politicised": "false",
        "ties": "1",
    }  # fmt: skip
    assert header == list(phnom_penh)


def test_every_template_with_a_table_offers_the_downloads() -> None:
    # the API reference lists parameters, not data; a page's key: value table (an actor, a
    # tie, today's scorecard) is in its JSON twin, linked beside the page's other tables
    for path in sorted(TEMPLATES.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        if "<table" in text and path.name != "reference.html":
            assert "downloads(" in text, path.name


def test_an_empty_table_still_has_its_header(client: TestClient) -> None:
    response = client.get("/api/actors", params={"country": "FJI", "format": "csv"})
    header, rows = read_csv(response)
    assert rows == [] and header[:3] == ["id", "name", "local_name"] and "ties" in header
    assert response.content == BOM + (",".join(header) + "\r\n").encode()
    frame = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig")
    assert frame.empty and list(frame.columns) == header


def test_khmer_names_and_formulas_in_the_csv(web_home: Path) -> None:
    with Registry(home=web_home) as registry:
        add_actor(registry, name="Kampong Cham", local_name="កំពង់ចាម", country="KHM",
                  kind="city")  # fmt: skip
        add_actor(registry, name="=HYPERLINK(1)", country="KHM", kind="city")
    with TestClient(create_app(WebSettings(home=web_home))) as client:
        response = client.get("/api/actors", params={"q": "kampong", "format": "csv"})
        assert "កំពង់ចាម".encode() in response.content  # UTF-8 after the BOM
        _, rows = read_csv(response)
        assert [(r["name"], r["local_name"]) for r in rows] == [("Kampong Cham", "កំពង់ចាម")]
        _, rows = read_csv(client.get("/api/actors", params={"q": "hyperlink", "format": "csv"}))
        assert rows[0]["name"] == "'=HYPERLINK(1)"  # shown as text, never run


def test_a_bad_format_or_table_is_refused_naming_the_field(client: TestClient) -> None:
    for params, field in (({"format": "xml"}, "query.format"),
                          ({"format": "csv", "table": "ties"}, "query.table")):  # fmt: skip
        response = client.get("/api/actors", params=params)
        assert response.status_code == 422
        assert response.json()["error"]["fields"][0]["field"] == field


def test_a_fresh_home_without_events_downloads_empty_tables(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    build_home(home)
    (home / STORE_FILE).unlink()  # a registry only: no event store, no snapshot of one
    shutil.rmtree(home / SNAPSHOT_DIR)
    with TestClient(create_app(WebSettings(home=home))) as client:
        header, rows = read_csv(client.get("/api/pairs/KHM/USA",
                                           params={"format": "csv", "table": "pulse"}))  # fmt: skip
        assert rows == [] and header[:4] == ["period", "series", "events", "value"]


def test_a_paged_list_also_downloads_whole(client: TestClient) -> None:
    html = client.get("/actors", params={"country": "USA", "per_page": 2, "page": 2}).text
    links = dict(re.findall(r'class="(csv|json|csv-all)" href="([^"]+)"', html))
    assert links["csv"].replace("&amp;", "&") == (
        "/api/actors?country=USA&per_page=2&page=2&format=csv&table=actors"
    )
    everything = links["csv-all"].replace("&amp;", "&")
    assert everything == "/api/actors?country=USA&format=csv&table=actors&per_page=5"
    _, page_two = read_csv(client.get(links["csv"].replace("&amp;", "&")))
    _, rows = read_csv(client.get(everything))
    usa = ["Long Beach", "Lowell", "Seattle", "Houston", "University of Washington"]  # by id
    assert [r["name"] for r in page_two] == usa[2:4]
    assert [r["name"] for r in rows] == usa
    too_many = client.get("/api/ties", params={"per_page": 10_001})
    assert too_many.status_code == 422
    assert too_many.json()["error"]["fields"][0]["field"] == "query.per_page"
