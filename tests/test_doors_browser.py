"""Open doors in a real browser: headless Chromium (Debian's) driven by Playwright, against the
real app under uvicorn and a real SMTP server on 127.0.0.1 (tests/_smtp.py).

People sign up through the form, confirm from the link in the e-mail the SMTP server
received, register profiles, are approved by a moderator, ask and accept, and see the tie in
the scorecard; a flag is upheld and the admin reads the log. Every figure checked follows by
hand from tests/_web.py (3 fixture ties) and the people and organisations of tests/_doors.py,
never read back from the app first. Each test gets its own data directory and server.

Screenshots for the documentation (docs/img/doors-km.png, docs/img/doors-profile-km.png) are
written only with TRACKTWO_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import _web
import pytest
from _browser import BROWSER_MARKS, HAVE_PLAYWRIGHT
from _doors import COOPERATIVE, DARA, EMILY, MARKETING, SOKHA, password_of
from _smtp import Inbox
from _web import expected_counts, live_server

pytestmark = BROWSER_MARKS

if HAVE_PLAYWRIGHT:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        Dialog,
        Locator,
        Page,
        expect,
    )

TIMEOUT_MS = 15_000  # the first overview page computes the pulse; a slow CI machine needs it
SCREENSHOTS = Path(__file__).parents[1] / "docs" / "img"
KHMER_LOG_OUT = "ចាកចេញ"
KHMER_CONFIRM_SUBJECT = "បញ្ជាក់អាសយដ្ឋានអ៊ីមែលរបស់អ្នកសម្រាប់ tracktwo"
KHMER_PENDING, KHMER_APPROVED = "កំពុងរង់ចាំ", "បានអនុម័ត"
KHMER_POLITICISED = "មាននិន្នាការនយោបាយ"
MONA = "mona"  # the moderator, made by an administrator before the server starts
ADMIN = "admin"  # from tests/_web.py


# -- what the machine has -----------------------------------------------------------------


def khmer_fonts() -> set[str]:
    """The font families fontconfig says cover Khmer (Debian: fonts-khmeros)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return set()
    found = subprocess.run(
        [fc_list, ":lang=km", "family"], capture_output=True, text=True, check=False
    ).stdout
    return {name.strip() for line in found.splitlines() for name in line.split(",") if name}


KHMER_FONTS = khmer_fonts()
# families that carry Khmer glyphs, installed here or not: the stylesheet's first choice
# (Noto Sans Khmer) is one even where only Khmer OS is installed
KHMER_CAPABLE = {"Noto Sans Khmer", "Noto Serif Khmer", "Khmer OS", "Khmer OS System",
                 "Khmer OS Content", "Khmer OS Battambang", "Khmer OS Siemreap", "Khmer UI",
                 "Leelawadee UI", "Hanuman", "Kantumruy Pro"} | KHMER_FONTS  # fmt: skip


# -- fixtures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    base: str
    mail: Inbox


@pytest.fixture
def person(browser: Browser, dialogs: list[str]) -> Iterator[Callable[..., Page]]:
    """``person()`` opens a page in a fresh browser context (its own cookies: one person);
    any JavaScript dialog in any of them is recorded. ``bypass_csp=True`` lets a script
    injected into a page run, so a missing dialog proves the markup was escaped."""
    contexts: list[BrowserContext] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def open_page(*, bypass_csp: bool = False) -> Page:
        context = browser.new_context(
            viewport={"width": 1200, "height": 800}, locale="en-US", bypass_csp=bypass_csp
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", record)
        return page

    expect.set_options(timeout=TIMEOUT_MS)
    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def site(web_home: Path, smtp: tuple[Inbox, Any]) -> Iterator[Site]:
    """The app on a fresh copy of the data directory, mailing through the SMTP server, with
    a moderator (mona). The server's port is chosen first so the e-mailed links point at it."""
    from tracktwo.accounts import add_user
    from tracktwo.bridges import Registry

    inbox, settings = smtp
    port = _web.free_port()
    base = f"http://127.0.0.1:{port}"
    with Registry(home=web_home) as registry:
        add_user(registry, MONA, password_of(MONA), "moderator", "mona@example.org")
    with live_server(web_home, port=port, mail=replace(settings, base_url=base)) as url:
        assert url == base
        yield Site(url, inbox)


# -- helpers: what a person does in the browser --------------------------------------------


def submit(page: Page, button: Locator) -> None:
    """Click and wait for the page the form (or link) leads to."""
    with page.expect_navigation():
        button.click()


def log_in(page: Page, site: Site, username: str) -> None:
    page.goto(f"{site.base}/login")
    form = page.locator('form[action="/login"]')
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password_of(username))
    submit(page, form.locator("button[type=submit]"))
    expect(page.locator("header.top #account-link")).to_have_text(username)


def sign_up(page: Page, site: Site, who: dict[str, str], *, khmer: bool = False) -> None:
    """The sign-up form; in Khmer after the header's switcher. Ends on the doors page with
    the "not confirmed" notice."""
    page.goto(f"{site.base}/signup")
    if khmer:
        submit(page, page.locator("header.top form.languages button[value=km]"))
        assert page.url == f"{site.base}/signup"
        expect(page.locator("html")).to_have_attribute("lang", "km")
    form = page.locator('form[action="/signup"]')
    # the form offers the language the visitor reads in
    expect(form.locator("select[name=language]")).to_have_value(who["language"])
    form.locator("input[name=username]").fill(who["username"])
    form.locator("input[name=email]").fill(who["email"])
    form.locator("input[name=password]").fill(password_of(who["username"]))
    submit(page, form.locator("button[type=submit]"))
    assert page.url == f"{site.base}/doors?signed_up=1"
    expect(page.locator("#signed-up")).to_be_visible()
    expect(page.locator("#unconfirmed")).to_be_visible()
    expect(page.locator("#new-profile")).to_have_count(0)
    expect(page.locator("header.top #account-link")).to_have_text(who["username"])


def confirm(page: Page, site: Site, who: dict[str, str]) -> None:
    """Follow the link the SMTP server received for ``who``."""
    page.goto(site.base + site.mail.link(who["email"], "/confirm"))
    expect(page.locator("#confirmed")).to_contain_text(who["username"])


def register_profile(page: Page, site: Site, fields: dict[str, Any]) -> int:
    """Fill the profile form from the doors page's link; returns the new profile's id."""
    page.goto(f"{site.base}/doors")
    submit(page, page.locator("a#new-profile"))
    form = page.locator("form#profile-form")
    for name in ("name", "local_name", "place", "description_en", "description_km"):
        if name in fields:
            form.locator(f"[name={name}]").fill(fields[name])
    for name in ("website", "contact_email", "contact_phone"):
        if name in fields:
            form.locator(f"input[name={name}]").fill(fields[name])
    form.locator("select[name=kind]").select_option(fields["kind"])
    form.locator("select[name=country]").select_option(fields["country"])
    for side in ("areas_offered", "areas_needed"):
        for area in fields[side]:
            form.locator(f"input[name={side}][value={area}]").check()
    submit(page, form.locator("button[type=submit]"))
    found = re.fullmatch(re.escape(site.base) + r"/doors/profiles/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


def approve(page: Page, site: Site, profile_id: int, reason: str) -> None:
    """The moderator approves a pending profile from the queue."""
    page.goto(f"{site.base}/moderation")
    card = page.locator(f"#pending-{profile_id}")
    card.locator("input[name=reason]").fill(reason)
    submit(page, card.locator("button[value=approve]"))
    assert page.url == f"{site.base}/moderation"
    expect(page.locator(f"#pending-{profile_id}")).to_have_count(0)


def scorecard(page: Page, site: Site, *headers: str) -> list[str]:
    """Figures of the KHM–USA scorecard, read in English, by the row headers given."""
    page.goto(f"{site.base}/pairs/KHM/USA/scorecard")
    found = []
    for header in headers:
        row = page.locator("table#scorecard tr", has_text=header)
        expect(row).to_have_count(1)
        found.append(row.locator("td").inner_text().strip())
    return found


def cells(page: Page, rows: str, index: int) -> list[str]:
    return [t.strip() for t in page.locator(f"{rows} td:nth-child({index})").all_inner_texts()]


# -- the whole walk ------------------------------------------------------------------------


def test_two_people_meet_across_the_border_and_a_flag_is_upheld(
    site: Site, person: Callable[..., Page], dialogs: list[str]
) -> None:
    active, dormant = expected_counts(date.today())
    today = date.today().isoformat()
    sokha, emily, mona, dara, admin = (person() for _ in range(5))
    coop, marketing = COOPERATIVE["name"], MARKETING["name"]

    # Sokha signs up in Khmer: her pages and her e-mail are in Khmer
    sign_up(sokha, site, SOKHA, khmer=True)
    expect(sokha.locator("html")).to_have_attribute("lang", "km")
    expect(sokha.locator('header.top form[action="/logout"] button')).to_have_text(KHMER_LOG_OUT)
    assert site.mail.subjects(SOKHA["email"]) == [KHMER_CONFIRM_SUBJECT]
    (mailed,) = site.mail.to(SOKHA["email"])
    assert mailed["Content-Language"] == "km"
    assert "សួស្ដី sokha," in mailed.get_content()
    assert f"{site.base}/confirm?token=" in mailed.get_content()  # the link works as mailed

    # Emily signs up in English
    sign_up(emily, site, EMILY)
    expect(emily.locator("html")).to_have_attribute("lang", "en")
    expect(emily.locator('header.top form[action="/logout"] button')).to_have_text("Log out")
    assert site.mail.subjects(EMILY["email"]) == ["Confirm your e-mail address for tracktwo"]

    confirm(sokha, site, SOKHA)
    expect(sokha.locator("html")).to_have_attribute("lang", "km")
    confirm(emily, site, EMILY)

    # each registers a profile; it waits for a moderator
    coop_id = register_profile(sokha, site, COOPERATIVE)
    expect(sokha.locator("#profile-name .local-name")).to_have_text(COOPERATIVE["local_name"])
    expect(sokha.locator("#description-km")).to_have_text(COOPERATIVE["description_km"])
    expect(sokha.locator("main .badge.status-pending")).to_have_text(KHMER_PENDING)
    marketing_id = register_profile(emily, site, MARKETING)
    expect(emily.locator("#profile-name .name")).to_have_text(marketing)
    expect(emily.locator("main .badge.status-pending")).to_have_text("pending")
    sokha.goto(f"{site.base}/doors")
    expect(sokha.locator("table#my-profiles tr", has_text=coop)).to_contain_text(KHMER_PENDING)
    # nobody else sees a pending profile
    assert emily.goto(f"{site.base}/doors/profiles/{coop_id}").status == 404  # type: ignore[union-attr]

    # the moderator approves both
    log_in(mona, site, MONA)
    mona.goto(f"{site.base}/moderation")
    expect(mona.locator("[id^=pending-]")).to_have_count(2)
    expect(mona.locator(f"#pending-{coop_id}")).to_contain_text(COOPERATIVE["local_name"])
    approve(mona, site, coop_id, "A farmers' cooperative, registered in Battambang")
    approve(mona, site, marketing_id, "A food marketing co-op, registered in California")
    expect(mona.locator("main")).to_contain_text("None waiting.")
    sokha.goto(f"{site.base}/doors/profiles/{coop_id}")
    expect(sokha.locator("main .badge.status-approved")).to_have_text(KHMER_APPROVED)

    # Sokha finds Emily's profile among the approved ones in the United States
    sokha.goto(f"{site.base}/doors/partners")
    filters = sokha.locator('form[action="/doors/partners"]')
    filters.locator("input[name=country]").fill("USA")
    submit(sokha, filters.locator("button[type=submit]"))
    assert sokha.url == f"{site.base}/doors/partners?country=USA&area=&kind=&q="
    found = sokha.locator("table#partners tr:has(td)")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("USA")
    submit(sokha, found.get_by_role("link", name=marketing))
    assert sokha.url == f"{site.base}/doors/profiles/{marketing_id}"
    expect(sokha.locator("#contact")).to_have_count(0)  # not before an accepted request

    # ... and asks, on behalf of her cooperative
    form = sokha.locator("form#request-form")
    expect(form.locator("select[name=from_profile_id]")).to_have_value(str(coop_id))
    form.locator("select[name=channel]").select_option("agricultural_cooperation")
    # the areas Emily's profile offers and needs come ticked: business and agriculture
    expect(form.locator("input[name=areas]:checked")).to_have_count(2)
    expect(form.locator("input[name=areas][value=agriculture]")).to_be_checked()
    expect(form.locator("input[name=areas][value=business]")).to_be_checked()
    form.locator("textarea[name=message]").fill("Could we sell our rice through your members?")
    submit(sokha, form.locator("button[type=submit]"))
    asked = re.fullmatch(re.escape(site.base) + r"/doors/requests/(\d+)", sokha.url)
    assert asked, sokha.url
    request_url = sokha.url
    expect(sokha.locator("main .badge.status-pending")).to_have_text(KHMER_PENDING)
    expect(sokha.locator("#request-message")).to_have_text(
        "Could we sell our rice through your members?"
    )
    expect(sokha.locator("#answer-form")).to_have_count(0)  # only the side asked answers

    # Emily sees the request, in her requests and her inbox, and accepts
    asks = f"{coop} asks {marketing} for a partnership"
    assert site.mail.subjects(EMILY["email"])[-1] == asks
    emily.goto(f"{site.base}/doors/requests")
    received = emily.locator("table.requests tr:has(td)")
    expect(received).to_have_count(1)
    expect(received).to_contain_text(f"{coop} (KHM)")
    expect(received).to_contain_text(f"{marketing} (USA)")
    expect(received.locator(".badge")).to_have_text("pending")
    emily.goto(f"{site.base}/inbox")
    entries = emily.locator("ul#inbox li")
    expect(entries).to_have_count(2)  # newest first: the request, then the approval
    expect(entries.nth(0)).to_have_class("unread")
    expect(entries.nth(1)).to_contain_text(f"Your profile {marketing} is approved")
    submit(emily, entries.nth(0).get_by_role("link", name=asks))
    assert emily.url == request_url
    submit(emily, emily.locator("#answer-form button#accept"))
    assert emily.url == request_url
    expect(emily.locator("main .badge.status-accepted")).to_have_text("accepted")
    expect(emily.locator("#partner-contact")).to_have_text(f"{coop}: coop@example.org")

    # both see the other side's contact details now
    sokha.goto(request_url)
    expect(sokha.locator("#partner-contact")).to_have_text(
        f"{marketing}: hello@example.org · +1 559 555 0100"
    )
    accepted = f"{marketing} បានទទួលយកសំណើភាពជាដៃគូរបស់ {coop}"
    assert site.mail.subjects(SOKHA["email"])[-1] == accepted
    sokha.goto(f"{site.base}/inbox")
    expect(sokha.locator("ul#inbox li").first).to_contain_text(accepted)
    sokha.goto(f"{site.base}/doors/profiles/{marketing_id}")
    expect(sokha.locator("#contact")).to_have_text("hello@example.org · +1 559 555 0100")

    # Sokha logs an activity on the new tie
    sokha.goto(request_url)
    tie_href = sokha.locator("a#tie-link").get_attribute("href")
    assert tie_href and re.fullmatch(r"/ties/\d+", tie_href), tie_href
    logged = sokha.locator("form#activity-form")
    logged.locator("input[name=activity_date]").fill(today)
    logged.locator("select[name=kind]").select_option("visit")
    logged.locator("input[name=participants]").fill("4")
    logged.locator("textarea[name=note]").fill("Two growers visit Fresno to meet buyers")
    submit(sokha, logged.locator("button[type=submit]"))
    assert sokha.url == site.base + tie_href
    activity = sokha.locator("table#activities tbody tr")
    expect(activity).to_have_count(1)
    assert [c.strip() for c in activity.locator("td").all_inner_texts()] == [
        today,
        "ទស្សនកិច្ច",  # visit
        "4",
        "Two growers visit Fresno to meet buyers",
    ]

    # the scorecard counts the new active tie, and its two actors
    assert scorecard(
        emily,
        site,
        "Ties recorded",
        "Active / dormant / ended / proposed",
        "Actors tied, KHM / USA",
        "Ties kept without politicised actors",
    ) == ["4", f"{active + 1} / {dormant} / 0 / 0", f"{active + 1} / {active + 1}", "100%"]

    # Dara flags Emily's profile
    sign_up(dara, site, DARA)
    confirm(dara, site, DARA)
    dara.goto(f"{site.base}/doors/profiles/{marketing_id}")
    expect(dara.locator("#contact")).to_have_count(0)
    expect(dara.locator("#politicised")).to_have_count(0)
    dara.locator("details.flag summary").click()
    dara.locator("form#flag-form textarea[name=reason]").fill("Run by a consulate's office")
    submit(dara, dara.locator("form#flag-form button[type=submit]"))
    assert dara.url == f"{site.base}/doors/profiles/{marketing_id}?flagged=1"
    expect(dara.locator("#flagged")).to_be_visible()

    # the moderator upholds it: funded by the US government
    mona.goto(f"{site.base}/moderation")
    flagged = mona.locator("[id^=flag-]")
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text(f"{marketing} (USA)")
    expect(flagged.locator("blockquote")).to_have_text("Run by a consulate's office")
    flagged.locator("select[name=outcome]").select_option("upheld")
    flagged.locator("input[name=funded_by]").fill("USA")
    flagged.locator("input[name=reason]").fill("The consulate pays its staff")
    submit(mona, flagged.locator("button[type=submit]"))
    assert mona.url == f"{site.base}/moderation"
    expect(mona.locator("[id^=flag-]")).to_have_count(0)
    expect(mona.locator("main")).to_contain_text("No open flag.")
    assert site.mail.subjects(DARA["email"])[-1] == f"Your flag on {marketing} was upheld"
    # the moderation log is for admins
    assert mona.goto(f"{site.base}/moderation/log").status == 403  # type: ignore[union-attr]

    dara.goto(f"{site.base}/doors/profiles/{marketing_id}")
    expect(dara.locator("#politicised")).to_have_text("politicised")
    sokha.goto(f"{site.base}/doors/profiles/{marketing_id}")
    expect(sokha.locator("#politicised")).to_have_text(KHMER_POLITICISED)
    # of the active + 1 active ties, the new one has a politicised end
    assert scorecard(emily, site, "Ties kept without politicised actors") == [
        f"{active / (active + 1):.0%}"
    ]

    # the admin reads the three decisions, newest first
    log_in(admin, site, ADMIN)
    admin.goto(f"{site.base}/moderation/log")
    rows = "table#moderation-log tr:has(td)"
    expect(admin.locator(rows)).to_have_count(3)
    assert cells(admin, rows, 2) == [MONA, MONA, MONA]
    assert cells(admin, rows, 3) == ["flag upheld", "approve profile", "approve profile"]
    assert cells(admin, rows, 4) == [marketing, marketing, coop]
    approved = "status: approved"
    assert cells(admin, rows, 5) == ["funded by: USA, stance: –", approved, approved]
    assert cells(admin, rows, 6) == [
        "The consulate pays its staff",
        "A food marketing co-op, registered in California",
        "A farmers' cooperative, registered in Battambang",
    ]
    assert dialogs == []


# -- Khmer renders with a Khmer font -------------------------------------------------------


def font_stack(page: Page, selector: str) -> list[str]:
    family = page.locator(selector).first.evaluate("e => getComputedStyle(e).fontFamily")
    return [name.strip().strip("\"'") for name in family.split(",")]


def platform_fonts(page: Page, selector: str) -> list[dict[str, Any]]:
    """The fonts Chromium drew the element's text with (DevTools' "Rendered fonts")."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, selector
        return list(cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"])
    finally:
        cdp.detach()


def check_khmer_font(page: Page, selector: str) -> None:
    """``selector``'s Khmer text is drawn with an installed Khmer font, with real width."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    body = font_stack(page, "body")
    assert body[0] in KHMER_CAPABLE, body
    installed = [name for name in body if name in KHMER_FONTS]
    assert installed, (body, KHMER_FONTS)
    # true for any local font (the CSS Font Loading spec), so it alone proves little
    assert page.evaluate('name => document.fonts.check(`16px "${name}"`)', installed[0])

    text = page.locator(selector).first.inner_text()
    assert re.search("[\u1780-\u17ff]", text), text  # Khmer script
    width = page.locator(selector).first.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return r.getBoundingClientRect().width; }"
    )
    assert width > 0, (selector, text)
    # what proves it: every glyph came from the element's first installed Khmer font
    own = [name for name in font_stack(page, selector) if name in KHMER_FONTS]
    assert own, selector
    used = platform_fonts(page, selector)
    assert [f["familyName"] for f in used] == [own[0]], used
    assert used[0]["glyphCount"] > 0 and not used[0]["isCustomFont"], used


def screenshot(page: Page, name: str) -> None:
    if os.environ.get("TRACKTWO_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


@pytest.mark.skipif(
    not KHMER_FONTS, reason="no Khmer font is installed (apt-get install fonts-khmeros)"
)
def test_the_khmer_pages_render_with_a_khmer_font(site: Site, person: Callable[..., Page]) -> None:
    sokha, mona = person(), person()
    sign_up(sokha, site, SOKHA, khmer=True)
    confirm(sokha, site, SOKHA)
    coop_id = register_profile(sokha, site, COOPERATIVE)
    log_in(mona, site, MONA)
    approve(mona, site, coop_id, "A farmers' cooperative, registered in Battambang")

    sokha.goto(f"{site.base}/doors")
    expect(sokha.locator("html")).to_have_attribute("lang", "km")
    mine = sokha.locator("table#my-profiles tr:has(td)")
    expect(mine).to_have_count(1)
    expect(mine.locator(".local-name")).to_have_text(COOPERATIVE["local_name"])
    expect(mine.locator(".badge.status-approved")).to_have_text(KHMER_APPROVED)
    check_khmer_font(sokha, "main h1")  # the interface's own words: បើកទ្វារ
    check_khmer_font(sokha, "table#my-profiles .local-name")
    screenshot(sokha, "doors-km.png")

    submit(sokha, mine.locator(f'a[href="/doors/profiles/{coop_id}"]'))
    assert sokha.url == f"{site.base}/doors/profiles/{coop_id}"
    expect(sokha.locator("#profile-name .local-name")).to_have_text(COOPERATIVE["local_name"])
    expect(sokha.locator("#description-km")).to_have_text(COOPERATIVE["description_km"])
    check_khmer_font(sokha, "#profile-name .local-name")
    check_khmer_font(sokha, "#description-km")
    screenshot(sokha, "doors-profile-km.png")


# -- escaping ------------------------------------------------------------------------------

PROBE_NAME = "<script>alert('x')</script> Growers"
PROBE_TEXT = "We grow rice. <img src=x onerror=alert(1)> <script>alert('x')</script>"
PROBE_NAME_ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Growers"
PROBE_TEXT_ESCAPED = (
    "We grow rice. &lt;img src=x onerror=alert(1)&gt; "
    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
)
TOLA = {"username": "tola", "email": "tola@example.org", "language": "en"}


def raw(page: Page) -> str:
    """The page's HTML as the server sent it (``page.content()`` is the DOM re-serialised)."""
    return page.request.get(page.url).text()


def shows_as_text(page: Page, *, description: bool = True) -> None:
    """The probes are text on the page, escaped in its HTML, with no element made of them;
    the partners page shows the name alone."""
    expect(page.locator("main script")).to_have_count(0)
    expect(page.locator("main img")).to_have_count(0)
    html = raw(page)
    assert PROBE_NAME_ESCAPED in html
    assert (PROBE_TEXT_ESCAPED in html) is description
    assert "<img src=x" not in html and "<script>alert" not in html


def test_a_script_in_a_profile_is_shown_as_text(
    site: Site, person: Callable[..., Page], dialogs: list[str]
) -> None:
    # the CSP forbids every script anyway, so these contexts bypass it: an injected script
    # would run and its dialog be recorded
    tola, mona, visitor = (person(bypass_csp=True) for _ in range(3))
    sign_up(tola, site, TOLA)
    confirm(tola, site, TOLA)
    probe = {"name": PROBE_NAME, "kind": "farmers", "country": "KHM", "description_en": PROBE_TEXT,
             "areas_offered": ["agriculture"], "areas_needed": []}  # fmt: skip
    probe_id = register_profile(tola, site, probe)
    expect(tola.locator("#profile-name .name")).to_have_text(PROBE_NAME)
    expect(tola.locator("#description-en")).to_have_text(PROBE_TEXT)
    shows_as_text(tola)

    log_in(mona, site, MONA)
    mona.goto(f"{site.base}/moderation")
    card = mona.locator(f"#pending-{probe_id}")
    expect(card.get_by_role("link", name=PROBE_NAME, exact=True)).to_have_count(1)
    expect(card.locator(".description[lang=en]")).to_have_text(PROBE_TEXT)
    shows_as_text(mona)
    approve(mona, site, probe_id, "A test of escaping")

    visitor.goto(f"{site.base}/doors/partners?country=KHM")
    link = visitor.locator("table#partners").get_by_role("link", name=PROBE_NAME, exact=True)
    expect(link).to_have_count(1)
    shows_as_text(visitor, description=False)
    submit(visitor, link)
    expect(visitor.locator("#profile-name .name")).to_have_text(PROBE_NAME)
    expect(visitor.locator("#description-en")).to_have_text(PROBE_TEXT)
    shows_as_text(visitor)
    assert dialogs == []

    # the control: markup injected into the same page does run here
    with visitor.expect_event("dialog"):
        visitor.evaluate(
            "() => document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=alert(7)>')"
        )
    assert dialogs == ["7"]


# -- an unconfirmed person cannot act ------------------------------------------------------


def test_an_unconfirmed_person_cannot_register_a_profile(
    site: Site, person: Callable[..., Page]
) -> None:
    page = person()
    sign_up(page, site, DARA)
    page.goto(f"{site.base}/doors")
    expect(page.locator("#unconfirmed")).to_be_visible()
    expect(page.locator("#new-profile")).to_have_count(0)
    expect(page.get_by_role("link", name="Register a profile")).to_have_count(0)
    page.goto(f"{site.base}/account")
    expect(page.locator("#not-confirmed")).to_be_visible()

    # the browser's own cookies and the person's real CSRF token: only the address is unproven
    token = page.locator('header.top form[action="/logout"] input[name=csrf_token]').input_value()
    assert token
    fields = {"csrf_token": token, "name": "Dara's Design Studio", "kind": "business",
              "country": "KHM", "areas_offered": "culture"}  # fmt: skip
    refused = page.request.post(f"{site.base}/doors/profiles", form=fields, max_redirects=0)
    assert refused.status == 403
    assert "confirm your e-mail address first" in refused.text()
    assert page.request.get(f"{site.base}/api/account/export").json()["profiles"] == []

    # the control: once the address is confirmed, the same post registers the profile
    confirm(page, site, DARA)
    made = page.request.post(f"{site.base}/doors/profiles", form=fields, max_redirects=0)
    assert made.status == 303
    assert re.fullmatch(r"/doors/profiles/\d+", made.headers["location"])
    exported = page.request.get(f"{site.base}/api/account/export").json()
    assert [p["name"] for p in exported["profiles"]] == ["Dara's Design Studio"]
