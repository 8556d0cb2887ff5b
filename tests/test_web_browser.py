"""The dashboard in a real browser: headless Chromium (Debian's) driven by Playwright.

Every figure checked here is worked out from the hand-made data directory of tests/_web.py
(10 actors, 3 ties, users viewer/editor/admin), never read back from the app first. Each test
gets its own copy of that directory and its own server, because logging in writes a session
and several tests change the registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from _browser import BROWSER_MARKS, HAVE_PLAYWRIGHT
from _web import ACTORS, SCRIPT_NAME, expected_counts, live_server, password_of

pytestmark = BROWSER_MARKS

if HAVE_PLAYWRIGHT:
    from playwright.sync_api import Browser, Dialog, Locator, Page, expect

USA_NAMES = sorted(name for name, country, *_ in ACTORS if country == "USA")
TIMEOUT_MS = 15_000  # the first overview page computes the pulse; a slow CI machine needs it


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def page(browser: Browser, dialogs: list[str]) -> Iterator[Page]:
    """A fresh context (no cookies) per test; any JavaScript dialog is recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    opened.on("dialog", record)
    yield opened
    context.close()


@pytest.fixture
def base(web_home: Path) -> Iterator[str]:
    with live_server(web_home) as url:
        yield url


# -- helpers -------------------------------------------------------------------------------


def submit(page: Page, button: Locator) -> None:
    """Click and wait for the page the form leads to (often the same URL, reloaded)."""
    with page.expect_navigation():
        button.click()


def fill_login(page: Page, username: str) -> None:
    """Fill and send the login form already on the page."""
    form = page.locator("form.login")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(password_of(username))
    submit(page, form.get_by_role("button", name="Log in"))


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    fill_login(page, username)
    expect(page.locator("header.top")).to_contain_text(username)


def column(page: Page, table: str, index: int) -> list[str]:
    cells = page.locator(f"table#{table} tbody tr td:nth-child({index})")
    return [text.strip() for text in cells.all_inner_texts()]


def status_row(page: Page, base: str) -> str:
    page.goto(f"{base}/pairs/KHM/USA/scorecard")
    row = page.locator("table#scorecard tr", has_text="Active / dormant / ended / proposed")
    return row.locator("td").inner_text().strip()


def filter_actors(page: Page, **fields: str) -> list[str]:
    """Type the name; pick country, kind and area from their lists (by value, "" = any)."""
    form = page.locator("form#actor-filters")
    for label, value in fields.items():
        if label == "name":  # by its field: the sort list's options say "name" too
            form.locator('input[name="q"]').fill(value)
        else:
            form.get_by_label(label.capitalize()).select_option(value)
    submit(page, form.get_by_role("button", name="Filter"))
    return sorted(column(page, "actors", 1))


# -- the actors page: filters picked from lists, downloads ------------------------------


def test_actor_filters_are_picked_from_lists_and_kept(page: Page, base: str) -> None:
    page.goto(f"{base}/actors")
    form = page.locator("form#actor-filters")
    # the lists offer what the registry holds, with counts (tests/_web.py: 5 actors each in
    # KHM and USA; 8 cities, 2 universities)
    countries = form.get_by_label("Country").locator("option").all_inner_texts()
    assert [c.strip() for c in countries] == ["any", "KHM – Cambodia (5)",
                                              "USA – United States (5)"]  # fmt: skip
    form.get_by_label("Kind").select_option(label="University (2)")
    form.get_by_label("Country").select_option(label="USA – United States (5)")
    submit(page, form.get_by_role("button", name="Filter"))
    assert column(page, "actors", 1) == ["University of Washington"]
    # the choice stays selected after filtering
    expect(form.get_by_label("Kind")).to_have_value("university")
    expect(form.get_by_label("Country")).to_have_value("USA")
    # the CSV download holds the same row, with a BOM and a header
    with page.expect_download() as download:
        page.locator("#download-actors a.csv").click()
    saved = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename == "tracktwo-actors.csv"
    assert saved.startswith(b"\xef\xbb\xbfid,name,")
    assert b"University of Washington" in saved and b"Seattle" not in saved
    # sorted by tie count: the six actors with a tie (one each) before the four without
    form.get_by_label("Kind").select_option("")
    form.get_by_label("Country").select_option("")
    form.get_by_label("Sort by").select_option("ties")
    submit(page, form.get_by_role("button", name="Filter"))
    assert column(page, "actors", 8) == ["1"] * 6 + ["0"] * 4


# -- an editor's round trip ----------------------------------------------------------------


def test_editor_filters_opens_accepts_and_logs_out(page: Page, base: str) -> None:
    active, dormant = expected_counts(date.today())
    log_in(page, base, "editor")
    expect(page.locator("header.top .badge")).to_have_text("editor")

    page.goto(f"{base}/actors")
    assert filter_actors(page, name="phnom") == ["Phnom Penh", "Royal University of Phnom Penh"]
    assert filter_actors(page, name="", country="USA") == USA_NAMES
    expect(page.locator("main")).to_contain_text(f"{len(USA_NAMES)} actors")

    page.goto(f"{base}/actors")
    page.locator("table#actors").get_by_role("link", name="Phnom Penh", exact=True).click()
    expect(page.locator("h1")).to_have_text("Phnom Penh")
    assert column(page, "ties", 3) == ["Long Beach USA"]
    phnom_penh = int(re.search(r"/actors/(\d+)$", page.url).group(1))  # type: ignore[union-attr]

    assert status_row(page, base) == f"{active} / {dormant} / 0 / 0"
    partner = accept_first_recommendation(page, base, phnom_penh)
    expect(page.locator("p#accepted")).to_be_visible()
    expect(page.locator("main p .badge")).to_have_text("proposed")
    expect(page.locator("h1")).to_contain_text(f"Phnom Penh – {partner}")

    page.goto(f"{base}/ties?a=KHM&b=USA")
    expect(page.locator("main")).to_contain_text("4 ties")
    assert sorted(column(page, "ties", 7)) == sorted(  # the 7th column: Status
        ["active"] * active + ["dormant"] * dormant + ["proposed"]
    )
    assert status_row(page, base) == f"{active} / {dormant} / 0 / 1"

    submit(page, page.locator("header.top").get_by_role("button", name="Log out"))
    expect(page.locator("header.top").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator("header.top")).not_to_contain_text("editor")


def accept_first_recommendation(page: Page, base: str, source_id: int) -> str:
    """Choose the actor, ask for partners, accept the best; returns the partner's name."""
    page.goto(f"{base}/pairs/KHM/USA/recommendations")
    page.locator("select#actor-choice").select_option(str(source_id))
    submit(page, page.get_by_role("button", name="Recommend"))
    label = column(page, "recommendations", 1)[0]
    # the partner is shown with its country (these test places have no admin region): a new
    # partner in the United States, and not Long Beach, which Phnom Penh already has
    partner, country = label.rsplit(", ", 1)
    assert country == "USA" and partner in USA_NAMES and partner != "Long Beach", label
    best = page.locator("table#recommendations tbody tr").first
    submit(page, best.get_by_role("button", name="Accept"))
    assert re.search(r"/ties/\d+\?accepted=1$", page.url), page.url
    return partner


# -- a viewer may read, not change ---------------------------------------------------------


def test_viewer_sees_no_forms_and_a_forged_post_is_refused(page: Page, base: str) -> None:
    log_in(page, base, "viewer")
    page.goto(f"{base}/pairs/KHM/USA/recommendations")
    assert page.locator("table#recommendations tbody tr").count() > 0
    expect(page.get_by_role("button", name="Accept")).to_have_count(0)
    page.goto(f"{base}/ties/1")
    expect(page.locator("h1")).to_contain_text("Phnom Penh – Long Beach")
    expect(page.locator("form#log-activity")).to_have_count(0)
    expect(page.get_by_text("Log an activity")).to_have_count(0)

    # the browser's own cookies and the viewer's real CSRF token: only the role is wrong
    token = page.locator('header.top form[action="/logout"] input[name=csrf_token]').input_value()
    assert token
    ids = {r["name"]: r["id"] for r in page.request.get(f"{base}/api/actors").json()["items"]}
    forged = page.request.post(
        f"{base}/proposals", max_redirects=0,
        form={"csrf_token": token, "source_id": str(ids["Phnom Penh"]),
              "candidate_id": str(ids["Houston"])},
    )  # fmt: skip
    assert forged.status == 403
    assert "changes need an editor" in forged.text()
    assert page.request.get(f"{base}/api/ties?a=KHM&b=USA").json()["total"] == 3


# -- escaping ------------------------------------------------------------------------------


def test_a_script_in_a_name_is_shown_as_text(page: Page, base: str, dialogs: list[str]) -> None:
    # the CSP forbids every script anyway, so a missing dialog alone proves little: the
    # name must also be text, with no <script> element made from it
    page.goto(f"{base}/actors")
    link = page.locator("table#actors").get_by_role("link", name=SCRIPT_NAME, exact=True)
    expect(link).to_have_count(1)
    assert page.locator("script").count() == 0
    assert SCRIPT_NAME in (page.text_content("body") or "")
    link.click()
    expect(page.locator("h1")).to_have_text(SCRIPT_NAME)
    assert page.locator("script").count() == 0
    assert SCRIPT_NAME in (page.text_content("body") or "")
    assert dialogs == []


# -- the overview --------------------------------------------------------------------------


def test_overview_draws_the_pulse_and_lists_the_tracks(page: Page, base: str) -> None:
    page.goto(f"{base}/pairs/KHM/USA")
    chart = page.locator("#pulse-chart svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    assert chart.locator("path").count() > 0
    # the last KHM–US events of the ICEWS extract are in 2015: Barack Obama's visit
    # (official, CAMEO 042, Goldstein +1.9), a US city mayor's visit (local government with
    # the state, CAMEO 042, +1.9) and the arrest of a US tourist (state–people, mixed, CAMEO
    # 173, −5.0). No people-to-people event at all: the track keeps its row, saying so
    tracks = column(page, "tracks", 1)
    assert tracks == ["official", "local government", "people-to-people", "mixed"]
    rows = dict(zip(tracks, column(page, "tracks", 4), strict=True))
    assert rows == {"official": "1.90", "local government": "1.90", "people-to-people": "–",
                    "mixed": "-5.00"}  # fmt: skip
    latest = dict(zip(tracks, column(page, "tracks", 3), strict=True))
    assert latest["people-to-people"] == "no events"
    # one event each in 2015, fewer than the 10 a year needs to be ranked: said beside it
    assert {latest[t] for t in ("official", "local government", "mixed")} == {
        "2015-01-01 (n = 1, too few)"
    }
    ranks = dict(zip(tracks, column(page, "tracks", 5), strict=True))
    assert set(ranks.values()) == {"–"}
    # the extract's one "City Mayor (United States)" row is the local track's only event
    events = dict(zip(tracks, column(page, "tracks", 2), strict=True))
    assert (events["local government"], events["people-to-people"]) == ("1", "0")


# -- logging an activity -------------------------------------------------------------------


def test_editor_logs_an_activity_and_the_dormant_tie_wakes(page: Page, base: str) -> None:
    today = date.today().isoformat()
    log_in(page, base, "editor")
    page.goto(f"{base}/ties/2")
    expect(page.locator("h1")).to_contain_text("Battambang – Lowell")
    expect(page.locator("main p .badge")).to_have_text("dormant")  # silent since 2023-06-01
    form = page.locator("form#log-activity")
    form.get_by_label("Date").fill(today)
    form.get_by_label("Kind").select_option("visit")
    form.get_by_label("Participants").fill("12")
    form.get_by_label("Note").fill("youth orchestra exchange")
    submit(page, form.get_by_role("button", name="Log"))
    assert page.url == f"{base}/ties/2"
    assert column(page, "activities", 1) == ["2023-06-01", today]
    newest = page.locator("table#activities tbody tr", has_text=today)
    expect(newest).to_contain_text("visit")
    expect(newest).to_contain_text("youth orchestra exchange")
    expect(page.locator("main p .badge")).to_have_text("active")


# -- private reading -----------------------------------------------------------------------


def test_private_reading_sends_to_login_and_back(page: Page, web_home: Path) -> None:
    with live_server(web_home, public_read=False) as base:
        page.goto(f"{base}/actors")
        assert page.url == f"{base}/login?next=%2Factors"
        fill_login(page, "viewer")
        assert page.url == f"{base}/actors"
        expect(page.locator("header.top")).to_contain_text("viewer")
        expect(page.locator("main")).to_contain_text(f"{len(ACTORS)} actors")
