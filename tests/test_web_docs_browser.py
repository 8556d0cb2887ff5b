"""``/docs`` in a real browser (Debian's Chromium, tests/_browser.py): the API reference is
one server-rendered page, so it works under the CSP (``script-src 'none'``) and offline.

Swagger UI, which /docs used to be, fetched its script from cdn.jsdelivr.net: the CSP
refused it (a console error), and the page stayed empty. Here no request leaves 127.0.0.1,
the console stays clean, and the operations are on the page as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from _browser import BROWSER_MARKS, HAVE_PLAYWRIGHT
from _web import live_server

pytestmark = BROWSER_MARKS

if HAVE_PLAYWRIGHT:
    from playwright.sync_api import Browser, ConsoleMessage, Page, expect

TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # the reference needs no data: an empty data directory
    with live_server(tmp_path_factory.mktemp("docs-home")) as url:
        yield url


class Watched:
    """A page with every request it made and every console error and page error."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message: ConsoleMessage) -> None:
        # every page names an inline empty icon, so not even a favicon request may fail
        if message.type == "error":
            self.errors.append(message.text)

    def hosts(self) -> set[str]:
        return {urlsplit(url).hostname or "" for url in self.requests}


@contextmanager
def _open(browser: Browser, url: str, language: str = "en") -> Iterator[Watched]:
    """``url`` opened in a fresh context whose browser asks for ``language``."""
    context = browser.new_context(locale=language)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        watched = Watched(context.new_page())
        watched.page.goto(url)
        watched.page.wait_for_load_state("networkidle")
        yield watched
    finally:
        context.close()


@pytest.fixture
def docs(browser: Browser, base: str) -> Iterator[Watched]:
    with _open(browser, base + "/docs") as watched:
        yield watched


def test_docs_loads_nothing_from_elsewhere_and_the_console_stays_clean(docs: Watched) -> None:
    assert docs.hosts() == {"127.0.0.1"}
    # the page and its one stylesheet: no script of any kind
    assert sorted(urlsplit(url).path for url in docs.requests) == ["/docs", "/static/style.css"]
    assert docs.errors == []
    assert docs.page.locator("script").count() == 0
    expect(docs.page.locator("h1")).to_have_text("API reference")


def test_docs_lists_every_operation_with_its_summary(docs: Watched) -> None:
    listed = docs.page.locator("#operation-list tr")
    overview = listed.filter(has_text="GET /api/pairs/{a}/{b}").first
    expect(overview).to_contain_text("Overview of a country pair")
    expect(listed.filter(has_text="POST /api/signup")).to_contain_text("Sign up")
    # signing up needs no token; accepting a recommendation does
    expect(listed.filter(has_text="POST /api/signup").locator(".badge")).to_have_count(0)
    expect(listed.filter(has_text="POST /api/proposals").locator(".badge")).to_have_text("bearer")
    # an operation's own section: its path parameters and the query parameter with its values
    section = docs.page.locator("#get-api-pairs-a-b")
    expect(section.locator("h3")).to_contain_text("GET /api/pairs/{a}/{b}")
    rows = section.locator("table.fields tr")
    expect(rows.nth(1)).to_contain_text("path")
    expect(rows.filter(has_text="freq")).to_contain_text('"year" | "quarter" | "month"')
    expect(rows.filter(has_text="freq")).to_contain_text('default "year"')


def test_docs_resolves_the_request_body_into_its_fields(docs: Watched) -> None:
    body = docs.page.locator("#post-api-signup table.fields")
    names = body.locator("tr td:first-child").all_inner_texts()
    assert names == ["username", "email", "password", "language"]
    expect(body.locator("tr").filter(has_text="username")).to_contain_text(
        "minLength 2, maxLength 80"
    )
    required = [row.locator("td").nth(2).inner_text() for row in body.locator("tr").all()[1:]]
    assert required == ["✓", "✓", "✓", ""]  # language has a default
    # the schema it came from is on the page too, linked
    docs.page.locator("#post-api-signup h4 a").click()
    assert docs.page.url.endswith("#schema-SignUp")
    expect(docs.page.locator("#schema-SignUp h3")).to_have_text("SignUp")


def test_docs_explain_the_token_and_the_error_envelope(docs: Watched, base: str) -> None:
    expect(docs.page.locator("#authentication + p")).to_contain_text("Authorization: Bearer t2_...")
    expect(docs.page.locator("#envelope")).to_contain_text('"code": "not_found"')
    codes = docs.page.locator("#error-codes tr")
    expect(codes.filter(has_text="413")).to_contain_text("payload_too_large")
    expect(codes.filter(has_text="429")).to_contain_text("too_many_requests")
    with docs.page.expect_navigation():
        docs.page.locator("#openapi-link").click()
    assert docs.page.url == base + "/openapi.json"
    assert '"openapi"' in docs.page.content()
    assert docs.hosts() == {"127.0.0.1"}


def test_docs_speaks_khmer(browser: Browser, base: str) -> None:
    with _open(browser, base + "/docs", "km") as watched:
        expect(watched.page.locator("h1")).to_have_text("ឯកសារយោង API")
        expect(watched.page.locator("#errors")).to_have_text("កំហុស")
        assert watched.errors == []


def test_no_swagger_or_redoc_routes_remain(base: str) -> None:
    import httpx

    assert httpx.get(base + "/redoc").status_code == 404
    assert httpx.get(base + "/docs/oauth2-redirect").status_code == 404
    spec = httpx.get(base + "/openapi.json").json()
    assert "/docs" not in spec["paths"]
