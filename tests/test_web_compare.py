"""The comparison page of a pair and its JSON twin, on the web tests' data (tests/_web.py: the
ICEWS Cambodia extract, 1,376 real events), with figures counted by hand in that file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _browser import BROWSER_MARKS, HAVE_PLAYWRIGHT
from _web import live_server
from fastapi.testclient import TestClient

from tracktwo.web import WebSettings, create_app

if HAVE_PLAYWRIGHT:
    from playwright.sync_api import Browser, expect

# Cambodia's events with each partner in tests/data/icews_khm_extract.tsv. Counted by hand:
# rows where either actor names the country (awk -F'\t' 'NR>1 && (index($1,c) || index($3,c))'
# with c="Thailand": 505, "Vietnam": 252, "China": 114, "Laos": 120, "Japan": 35) plus the rows
# of that country's named people, read off the list of actor names without "(" (awk ...
# | grep -v "(" | sort | uniq -c): Thai 63 (Abhisit Vejjajiva 34, Noppadon Pattama 12,
# Itthaporn Subhawong 3, Chaiwat Sinsuwong 3, Royal Thai Navy 2, Anupong Paochinda 2 and seven
# with one row each), Vietnamese 1 (Ho Nghia Dung), Chinese 14 (Wen Jiabao 7, Wang Yi 2, Chen
# Zhili 2, Xu Caihou, Xi Jinping, He Yong), Lao 1 (Thongsing Thammavong), Japanese 6 (Yoshihiko
# Noda 3, Takahiro Yokomichi, Shigeru Ishiba, Okada Katsuya). South Korea comes next (30).
# Cambodia–US: 29 (the extract's SOURCE.txt and tests/test_web_api.py).
BUSIEST = [("THA", 568), ("VNM", 253), ("CHN", 128), ("LAO", 121), ("JPN", 41)]


@pytest.fixture(scope="module")
def client(web_template: Path) -> Iterator[TestClient]:
    # reading only: the shared template is never written by these tests
    with TestClient(create_app(WebSettings(home=web_template))) as opened:
        yield opened


def test_twin_sets_the_pair_beside_the_five_busiest_partners(client: TestClient) -> None:
    data = client.get("/api/pairs/KHM/USA/compare").json()
    assert data["focal"] == {"code": "KHM", "name": "Cambodia"}
    assert data["chosen_by"] == "default" and (data["freq"], data["by"]) == ("year", "none")
    shown = [(p["code"], p["events"]) for p in data["partners"]]
    assert shown == [("USA", 29), *BUSIEST]
    # every partner in every year of the extract, 2005..2015: 6 × 11 rows
    assert len(data["rows"]) == 66 and data["missing"] == [] and data["suggestion"] is None
    # the extract has no source totals: no denominator, so no rate
    assert {row["per_100k"] for row in data["rows"]} == {None} and data["rate_sources"] == {}


def test_twin_rows_of_2010_counted_by_hand(client: TestClient) -> None:
    # 2010 rows (see tests/test_pulse_compare.py for the count): CHN 13, one of them with a
    # Chinese armed separatist (other track); VNM 28, all official; THA 83, 10 mixed
    data = client.get("/api/pairs/KHM/CHN/compare?partners=VNM,THA").json()
    assert [p["code"] for p in data["partners"]] == ["CHN", "VNM", "THA"]
    assert data["chosen_by"] == "request"
    rows = {r["partner"]: r for r in data["rows"] if r["period"] == "2010-01-01"}
    assert {p: r["events"] for p, r in rows.items()} == {"CHN": 13, "VNM": 28, "THA": 83}
    assert rows["CHN"]["outside_official_share"] == pytest.approx(1 / 13)
    assert rows["VNM"]["outside_official_share"] == 0.0
    assert rows["THA"]["outside_official_share"] == pytest.approx(10 / 83)
    assert rows["THA"]["ci_low"] <= rows["THA"]["value"] <= rows["THA"]["ci_high"]


def test_by_track_lists_the_four_tracks(client: TestClient) -> None:
    data = client.get("/api/pairs/KHM/CHN/compare?partners=VNM&by=track").json()
    chn = [r for r in data["rows"] if r["partner"] == "CHN" and r["period"] == "2010-01-01"]
    # 12 state-to-state events and the separatist one: official 12, other 1
    by_track = {r["series"]: r["events"] for r in chn}
    assert by_track == {"official": 12, "local": 0, "people": 0, "mixed": 0, "other": 1}
    assert [r["series_label"] for r in chn][:3] == ["official", "local government",
                                                    "people-to-people"]  # fmt: skip


def test_page_draws_the_chart_and_the_table_in_both_languages(client: TestClient) -> None:
    page = client.get("/pairs/KHM/USA/compare")
    assert page.status_code == 200
    text = page.text
    assert 'id="compare-chart"' in text and "<svg" in text.split('id="compare-chart"')[1][:200]
    assert 'class="on">Compare partners</a>' in text
    assert text.count("<tr><td>2010</td>") == 6  # one row per partner in 2010
    assert 'href="/api/pairs/KHM/USA/compare?freq=year&amp;by=none"' in text
    khmer = client.get("/pairs/KHM/USA/compare", headers={"Accept-Language": "km"}).text
    assert "Cambodia ធៀបនឹងដៃគូរបស់ខ្លួន" in khmer and "ប្រៀបធៀបដៃគូ" in khmer
    assert "Outside the official track" not in khmer


def test_an_empty_comparison_says_what_to_load_and_where_to_look(client: TestClient) -> None:
    data = client.get("/api/pairs/KHM/ZWE/compare?partners=ZMB").json()
    assert data["rows"] == [] and "tracktwo events ingest" in data["missing"][0]
    # Cambodia's busiest pair in the store: Cambodia–Thailand (568 events, counted above)
    assert data["suggestion"] == {"a": {"code": "KHM", "name": "Cambodia"},
                                  "b": {"code": "THA", "name": "Thailand"}}  # fmt: skip
    page = client.get("/pairs/KHM/ZWE/compare?partners=ZMB").text
    assert 'class="missing"' in page and 'href="/pairs/KHM/THA/compare"' in page
    assert 'id="compare-chart"' not in page


def test_bad_partners_get_the_error_envelope(client: TestClient) -> None:
    unknown = client.get("/api/pairs/KHM/USA/compare?partners=CHN,XYZ")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == (
        "partner: unknown country 'XYZ': give an ISO 3166 alpha-3 code such as KHM"
    )
    many = client.get("/api/pairs/KHM/USA/compare?partners=" + ",".join(["CHN"] * 11))
    assert many.status_code == 400 and "at most 10" in many.json()["error"]["message"]
    assert client.get("/api/pairs/KHM/USA/compare?by=area").status_code == 422


def _in_a_browser(test: Callable[..., None]) -> Callable[..., None]:
    """The browser marks (and skip without Chromium) on this one test, not on the module."""
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


@_in_a_browser
def test_the_form_chooses_the_partners_in_a_browser(browser: Browser, web_home: Path) -> None:
    with live_server(web_home) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        page.goto(f"{base}/pairs/KHM/USA/compare")
        page.locator("#compare-form input[name=partners]").fill("VNM, THA")
        with page.expect_navigation():
            page.locator("#compare-form button").click()
        assert "partners=VNM%2C+THA" in page.url
        chart = page.locator("#compare-chart svg")
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 500 and box["height"] > 400
        partners = page.locator("table#compare tbody tr td:nth-child(2)").all_inner_texts()
        assert list(dict.fromkeys(partners)) == ["USA", "VNM", "THA"]
        page.close()
