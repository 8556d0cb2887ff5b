"""Security of the web app: who may change what, CSRF, escaping, SQL-looking input, the
login limit, cookies — every write route is found from the app itself, so a new one cannot
slip through unchecked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _web import SCRIPT_NAME, password_of
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tracktwo.accounts import create_token
from tracktwo.bridges import Registry
from tracktwo.web import WebSettings, _forms, _pages, create_app

OPEN_POSTS = {"/login", "/logout"}  # anyone may try to log in or out
# a valid body for each write route: the refusal must come from the permission check
BODIES = {
    "/api/proposals": {"source_id": 1, "candidate_id": 9},
    "/proposals": {"source_id": "1", "candidate_id": "9"},
    "/api/ties/{tie_id}/activities": {"activity_date": "2026-11-01", "kind": "visit"},
    "/ties/{tie_id}/activities": {"activity_date": "2026-11-01", "kind": "visit"},
}


def _write_routes() -> list[str]:
    routes = [r for r in (*_forms.router.routes, *_pages.router.routes) if isinstance(r, APIRoute)]
    return sorted({r.path for r in routes if "POST" in r.methods} - OPEN_POSTS)


def _counts(home: Path) -> tuple[int, int]:
    from sqlalchemy import text

    with Registry(home=home) as registry, registry.engine.connect() as connection:
        ties = connection.execute(text("SELECT count(*) FROM ties")).scalar()
        activities = connection.execute(text("SELECT count(*) FROM activities")).scalar()
    return int(ties or 0), int(activities or 0)


def _send(client: TestClient, path: str, **extra: object):
    url = path.replace("{tie_id}", "1")
    body = BODIES[path]
    if path.startswith("/api"):
        return client.post(url, json=body, follow_redirects=False, **extra)
    return client.post(url, data=body, follow_redirects=False, **extra)


def login(client: TestClient, username: str, password: str | None = None):
    """Log in through the real form (its CSRF token read from the page)."""
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    return client.post("/login", follow_redirects=False,
                       data={"username": username, "password": password or password_of(username),
                             "csrf_token": token, "next": "/"})  # fmt: skip


def csrf_of(client: TestClient) -> str:
    page = client.get("/").text  # the logout form carries the session's token
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


@pytest.fixture
def app(web_home: Path):
    return create_app(WebSettings(home=web_home))


def test_every_write_route_is_covered() -> None:
    assert _write_routes() == sorted(BODIES)


def test_anonymous_cannot_write(app, web_home: Path) -> None:
    before = _counts(web_home)
    with TestClient(app) as client:
        for path in _write_routes():
            response = _send(client, path)
            if path.startswith("/api"):
                assert response.status_code == 401, path
                assert response.json()["error"]["code"] == "login_required"
            else:  # a browser is sent to the login page
                assert response.status_code == 303, path
                assert response.headers["location"].startswith("/login?next=")
    assert _counts(web_home) == before


def test_viewer_cannot_write_by_token_or_session(app, web_home: Path) -> None:
    before = _counts(web_home)
    with Registry(home=web_home) as registry:
        token = create_token(registry, "viewer")
    with TestClient(app) as by_token, TestClient(app) as by_session:
        assert login(by_session, "viewer").status_code == 303
        csrf = csrf_of(by_session)
        for path in _write_routes():
            refused = _send(by_token, path, headers={"Authorization": f"Bearer {token}"})
            assert refused.status_code == 403, path
            body = {**BODIES[path], "csrf_token": csrf}
            url = path.replace("{tie_id}", "1")
            if path.startswith("/api"):
                sent = by_session.post(url, json=BODIES[path], headers={"X-CSRF-Token": csrf})
            else:
                sent = by_session.post(url, data=body, follow_redirects=False)
            assert sent.status_code == 403, path
    assert _counts(web_home) == before


def test_editor_can_write_by_token_without_csrf(app, web_home: Path) -> None:
    with Registry(home=web_home) as registry:
        token = create_token(registry, "editor")
    with TestClient(app) as client:
        made = client.post("/api/ties/1/activities", headers={"Authorization": f"Bearer {token}"},
                           json={"activity_date": "2026-11-01", "kind": "visit",
                                 "participants": 12})  # fmt: skip
    assert made.status_code == 201
    assert made.json()["activity"]["participants"] == 12
    assert _counts(web_home)[1] == 3  # two activities in the fixture, one more


def test_form_without_or_with_a_wrong_csrf_token_is_refused(app, web_home: Path) -> None:
    before = _counts(web_home)
    with TestClient(app) as client:
        login(client, "editor")
        for path in ("/proposals", "/ties/{tie_id}/activities"):
            missing = _send(client, path)
            assert missing.status_code == 403 and "CSRF" in missing.text
            wrong = client.post(path.replace("{tie_id}", "1"), follow_redirects=False,
                                data={**BODIES[path], "csrf_token": "forged"})  # fmt: skip
            assert wrong.status_code == 403
        api = client.post("/api/ties/1/activities", json=BODIES["/api/ties/{tie_id}/activities"])
        assert api.status_code == 403 and api.json()["error"]["code"] == "csrf"
        # with the session's token the same form goes through
        ok = client.post(
            "/ties/1/activities",
            follow_redirects=False,
            data={**BODIES["/ties/{tie_id}/activities"], "csrf_token": csrf_of(client)},
        )
        assert ok.status_code == 303
    assert _counts(web_home) == (before[0], before[1] + 1)


def test_login_form_needs_its_csrf_token(app) -> None:
    with TestClient(app) as client:
        refused = client.post(
            "/login", data={"username": "editor", "password": password_of("editor")}
        )
        assert refused.status_code == 403
        assert "tracktwo_session" not in client.cookies


def test_html_in_names_is_escaped(app) -> None:
    with TestClient(app) as client:
        actor_id = client.get("/api/actors", params={"q": "script"}).json()["items"][0]["id"]
        for path in ("/actors", f"/actors/{actor_id}", "/actors?q=script"):
            page = client.get(path)
            assert "<script>alert" not in page.text, path
            assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Town" in page.text, path
            assert "script-src 'none'" in page.headers["content-security-policy"]
        assert client.get(f"/api/actors/{actor_id}").json()["actor"]["name"] == SCRIPT_NAME


@pytest.mark.parametrize(
    "probe",
    [
        "' OR 1=1 --",
        "Robert'); DROP TABLE actors;--",
        "%' UNION SELECT password_hash FROM users --",
        '"; --',
    ],
)
def test_sql_looking_input_is_harmless(app, web_home: Path, probe: str) -> None:
    with TestClient(app) as client:
        found = client.get("/api/actors", params={"q": probe})
        assert found.status_code == 200 and found.json()["total"] == 0
        assert client.get("/api/ties", params={"a": probe}).status_code == 400
        assert client.get(f"/api/pairs/KHM/{probe}").status_code in (400, 404)
        assert login(client, probe, probe).status_code == 401
        assert client.get("/api/actors").json()["total"] == 10  # nothing dropped


def test_login_is_rate_limited_across_workers(web_home: Path) -> None:
    # two app instances on one database stand for two workers: the failures live in the
    # database, so the limit holds whichever worker a request reaches
    # (a minute's wait after the third, so the test does not race the clock)
    settings = WebSettings(home=web_home, login_failures=3, login_delay_seconds=60)
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        for client in (one, two, one):
            assert login(client, "editor", "wrong-password").status_code == 401
        locked = login(two, "editor")  # the right password, but locked now
        assert locked.status_code == 429
        assert "too many failed logins" in locked.text
        assert login(one, "admin").status_code == 303  # another account is not locked


def test_sessions_are_shared_by_workers(web_home: Path) -> None:
    settings = WebSettings(home=web_home)
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        login(one, "editor")
        two.cookies.set("tracktwo_session", one.cookies["tracktwo_session"])
        assert two.get("/api/me").json() == {"account": {"username": "editor", "role": "editor"}}
        one.post("/logout", data={"csrf_token": csrf_of(one)})
        assert two.get("/api/me").json() == {"account": None}  # logged out everywhere


def test_session_cookie_flags(app) -> None:
    with TestClient(app, base_url="https://testserver") as client:
        response = login(client, "viewer")
    cookie = response.headers["set-cookie"]
    assert "tracktwo_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    with TestClient(app) as plain_http:
        assert "Secure" not in login(plain_http, "viewer").headers["set-cookie"]


def test_private_reading_needs_a_login(web_home: Path) -> None:
    app = create_app(WebSettings(home=web_home, public_read=False))
    with TestClient(app) as client:
        assert client.get("/api/actors").status_code == 401
        page = client.get("/actors?q=x", follow_redirects=False)
        assert (
            page.status_code == 303 and page.headers["location"] == "/login?next=%2Factors%3Fq%3Dx"
        )
        login(client, "viewer")
        assert client.get("/api/actors").json()["total"] == 10


def test_login_redirect_stays_on_this_site(app) -> None:
    with TestClient(app) as client:
        form = client.get("/login", params={"next": "https://evil.example/"}).text
        assert 'name="next" value="/"' in form
        assert 'value="//evil' not in client.get("/login", params={"next": "//evil.example"}).text


def test_unknown_token_is_refused(app) -> None:
    with TestClient(app) as client:
        response = client.get("/api/actors", headers={"Authorization": "Bearer t2_forged"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad_token"
