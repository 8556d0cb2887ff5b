"""Open doors over HTTP: who may do what, on every route; limits; escaping; several workers.

Run on SQLite and on PostgreSQL. Each person is a real session (cookie + CSRF token) on one
of two app instances sharing the registry, as two uvicorn workers would: nothing a test
relies on lives in one process's memory.
"""

from __future__ import annotations

import re

import pytest
from _doors import COOPERATIVE, MARKETING
from _doors_web import Person, Site, make_site, site_for

pytestmark = pytest.mark.postgres

SCRIPT = "<script>alert('x')</script>"
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request, tmp_path, smtp) -> Site:
    return site_for(request, tmp_path, smtp, requests_per_day=3, flags_per_day=2)


def _approved(site: Site, person: Person, fields: dict) -> int:
    made = person.post("/api/doors/profiles", fields)
    assert made.status_code == 201, made.text
    profile_id = made.json()["id"]
    decided = site.moderator().post(
        f"/api/moderation/profiles/{profile_id}", {"decision": "approve"}
    )
    assert decided.status_code == 200, decided.text
    return profile_id


@pytest.fixture
def pair(site: Site):
    """Sokha on worker 0, Emily on worker 1, an approved profile each, and a request from
    Sokha's to Emily's that Emily accepted (a tie)."""
    sokha = Person(site, "sokha", 0).sign_up("sokha@example.org", "km")
    emily = Person(site, "emily", 1).sign_up("emily@example.org")
    coop, marketing = _approved(site, sokha, COOPERATIVE), _approved(site, emily, MARKETING)
    asked = sokha.post(
        "/api/doors/requests",
        {
            "from_profile_id": coop,
            "to_profile_id": marketing,
            "channel": "business_partnership",
            "areas": ["agriculture"],
            "message": f"Hello {SCRIPT}",
        },
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    accepted = emily.post(f"/api/doors/requests/{request_id}/answer", {"decision": "accept"})
    assert accepted.status_code == 200, accepted.text
    return {
        "sokha": sokha,
        "emily": emily,
        "coop": coop,
        "marketing": marketing,
        "request": request_id,
        "tie": accepted.json()["tie_id"],
    }


def _doors_routes(site: Site) -> list[tuple[str, str]]:
    """(method, path) of every open-doors API route, found in the app itself."""
    from tracktwo.web._doors_kit import router

    found = []
    for route in router.routes:
        path = getattr(route, "path", "")
        if path.startswith("/api/") and path not in ("/api/signup", "/api/confirm"):
            for method in sorted(route.methods - {"HEAD"}):  # type: ignore[attr-defined]
                found.append((method, path))
    return found


def _filled(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


BODIES = {
    "/api/doors/profiles": {**MARKETING, "name": "Intruder"},
    "/api/doors/profiles/{profile_id}": {"name": "Taken over"},
    "/api/doors/profiles/{profile_id}/managers": {"username": "dara"},
    "/api/doors/profiles/{profile_id}/flags": {"reason": "test"},
    "/api/doors/requests": {"from_profile_id": 1, "to_profile_id": 2, "channel": "other"},
    "/api/doors/requests/{request_id}/answer": {"decision": "decline"},
    "/api/doors/ties/{tie_id}/activities": {"activity_date": "2026-11-01", "kind": "visit"},
    "/api/moderation/profiles/{profile_id}": {"decision": "reject", "reason": "test"},
    "/api/moderation/flags/{flag_id}": {"outcome": "dismissed", "reason": "test"},
    "/api/account/language": {"language": "km"},
    "/api/account/delete": {"password": "dara-password-1"},
    "/api/inbox/read": {},
}
PUBLIC = {"/api/doors", "/api/doors/partners", "/api/doors/profiles/{profile_id}"}


def test_every_route_refuses_an_anonymous_change(site: Site, pair) -> None:
    anonymous = site.client()
    ids = {
        "profile_id": pair["marketing"],
        "request_id": pair["request"],
        "tie_id": pair["tie"],
        "flag_id": 1,
    }
    for method, path in _doors_routes(site):
        sent = anonymous.request(method, _filled(path, ids), json=BODIES.get(path, {}))
        if method == "GET" and path in PUBLIC:
            assert sent.status_code == 200, (method, path, sent.text)
        else:
            assert sent.status_code == 401, (method, path, sent.text)
            assert sent.json()["error"]["code"] == "login_required"


def test_nobody_touches_another_persons_profile_or_requests(site: Site, pair) -> None:
    """Dara (confirmed, no profile) tries every route on Sokha's and Emily's things."""
    dara = Person(site, "dara").sign_up("dara@example.org")
    flag = dara.post(f"/api/doors/profiles/{pair['marketing']}/flags", {"reason": "test"})
    assert flag.status_code == 201
    ids = {
        "profile_id": pair["marketing"],
        "request_id": pair["request"],
        "tie_id": pair["tie"],
        "flag_id": flag.json()["id"],
    }
    # these act on one's own account or make something new; the rest act on others' things
    own = {
        "/api/doors/profiles",
        "/api/account/language",
        "/api/account/delete",
        "/api/inbox/read",
        "/api/account/confirmation",
        "/api/account/export",
        "/api/doors/profiles/{profile_id}/flags",
        "/api/doors",
        "/api/doors/partners",
        "/api/doors/profiles/{profile_id}",
        "/api/doors/requests",
        "/api/inbox",
        "/api/account",
        "/api/doors/new-profile",
    }
    checked = 0
    for method, path in _doors_routes(site):
        if path in own and method != "PATCH":  # the PATCH of a profile is a change to it
            continue
        sent = dara.post(_filled(path, ids), BODIES.get(path, {}), method)
        assert sent.status_code in (403, 404), (method, path, sent.status_code, sent.text)
        assert set(sent.json()) == {"error"}
        checked += 1
    assert checked == 12, checked
    # sending from a profile one does not manage
    stolen = dara.post(
        "/api/doors/requests",
        {"from_profile_id": pair["coop"], "to_profile_id": pair["marketing"], "channel": "other"},
    )
    assert stolen.status_code == 403
    # nothing changed: Emily's profile keeps its name and its managers
    shown = pair["emily"].get(f"/api/doors/profiles/{pair['marketing']}").json()["profile"]
    assert (shown["name"], shown["managers"]) == (MARKETING["name"], ["emily"])
    request = pair["sokha"].get(f"/api/doors/requests/{pair['request']}").json()["item"]
    assert request["status"] == "accepted"


def test_a_session_change_without_the_csrf_token_is_refused(site: Site, pair) -> None:
    sokha = pair["sokha"]
    forged = sokha.client.patch(f"/api/doors/profiles/{pair['coop']}", json={"name": "Forged"})
    assert (forged.status_code, forged.json()["error"]["code"]) == (403, "csrf")


def test_an_unconfirmed_person_cannot_act(site: Site, pair) -> None:
    kosal = Person(site, "kosal").sign_up("kosal@example.org", confirm=False)
    for path, body in (
        ("/api/doors/profiles", COOPERATIVE),
        (f"/api/doors/profiles/{pair['marketing']}/flags", {"reason": "x"}),
        (
            "/api/doors/requests",
            {
                "from_profile_id": pair["coop"],
                "to_profile_id": pair["marketing"],
                "channel": "other",
            },
        ),
    ):
        refused = kosal.post(path, body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "unconfirmed")
    # but may ask for a new link, which the SMTP server receives
    assert kosal.post("/api/account/confirmation").json() == {"mail": "sent"}
    assert len(site.inbox.to("kosal@example.org")) == 2


def test_request_flooding_stops_at_the_daily_limit(site: Site, pair) -> None:
    sokha, emily = pair["sokha"], pair["emily"]
    targets = [_approved(site, emily, {**MARKETING, "name": f"Co-op {n}"}) for n in range(3)]
    statuses = []
    for number, target in enumerate(targets):
        # alternate workers: the count lives in the database, not in a process
        person = sokha if number % 2 else Person(site, "sokha", 1).log_in()
        sent = person.post(
            "/api/doors/requests",
            {"from_profile_id": pair["coop"], "to_profile_id": target, "channel": "other"},
        )
        statuses.append(sent.status_code)
    # the fixture's request was the first of the day; the limit is 3
    assert statuses == [201, 201, 429]
    assert sent.json()["error"]["code"] == "too_many_requests"
    assert len(sokha.get("/api/doors/requests").json()["outgoing"]) == 3


def test_flag_flooding_stops_at_the_daily_limit(site: Site, pair) -> None:
    dara = Person(site, "dara").sign_up("dara@example.org")
    codes = [
        dara.post(f"/api/doors/profiles/{pair['coop']}/flags", {"reason": f"r{n}"}).status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 429]


def test_uploaded_text_is_escaped_on_every_page(site: Site, pair) -> None:
    sokha = pair["sokha"]
    changed = sokha.post(
        f"/api/doors/profiles/{pair['coop']}",
        {"description_en": f"{SCRIPT} {IMG}", "place": IMG},
        "PATCH",
    )
    assert changed.status_code == 200, changed.text
    for path in (
        f"/doors/profiles/{pair['coop']}",
        "/doors/partners?country=KHM",
        f"/doors/requests/{pair['request']}",
    ):
        page = (pair["emily"] if "requests" in path else sokha).get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert" in page or "&lt;img src=x" in page, path


def test_a_session_opened_on_one_worker_is_known_to_the_other(site: Site, pair) -> None:
    sokha = pair["sokha"]  # logged in through worker 0
    other = site.client(1)
    other.cookies.update(sokha.client.cookies)
    assert other.get("/api/me").json()["account"]["username"] == "sokha"
    assert other.get("/api/inbox").status_code == 200


def test_the_moderation_log_is_for_admins(site: Site, pair) -> None:
    mona = Person(site, "mona").log_in()
    assert mona.get("/api/moderation/log").status_code == 403
    adam = Person(site, "adam").log_in()
    log = adam.get("/api/moderation/log").json()["items"]
    assert [e["action"] for e in log] == ["approve_profile", "approve_profile"]
    assert pair["sokha"].get("/api/moderation").status_code == 403


KAMPOT = {
    "name": "Kampot Town Council",
    "local_name": "ក្រុងកំពត",
    "kind": "city",
    "country": "KHM",
    "areas_offered": ["culture"],
    "areas_needed": ["health"],
}
FRESNO = {
    "name": "Fresno Sister Cities Committee",
    "kind": "city",
    "country": "USA",
    "areas_offered": ["health"],
    "areas_needed": ["culture"],
}


def test_suggestions_explain_and_leave_out_politicised_actors(web_home, smtp) -> None:
    """On the web tests' registry (4 USA cities, 3 ties) plus two city profiles: a city is
    recommended cities (the kind rule of docs/match.md), so the candidates for Kampot are the
    4 fixture cities and Fresno's committee; upholding a flag on Fresno's takes it out."""
    inbox, mail = smtp
    site = make_site(web_home, None, inbox, mail)
    sokha = Person(site, "sokha").sign_up("sokha@example.org", "km")
    emily = Person(site, "emily").sign_up("emily@example.org")
    kampot, fresno = _approved(site, sokha, KAMPOT), _approved(site, emily, FRESNO)
    path = f"/api/doors/profiles/{kampot}/suggestions?country=USA&k=20"
    before = sokha.get(path).json()
    names = {item["name"]: item for item in before["items"]}
    assert set(names) == {"Long Beach", "Lowell", "Seattle", "Houston", FRESNO["name"]}
    assert names[FRESNO["name"]]["profile_id"] == fresno  # it can be asked
    assert names["Lowell"]["profile_id"] is None  # not on open doors
    first = before["items"][0]
    parts = sum(c["contribution"] for c in first["components"])
    assert first["score"] == pytest.approx(first["intercept"] + parts)
    assert before["left_out"] == 0

    dara = Person(site, "dara").sign_up("dara@example.org")
    flag = dara.post(f"/api/doors/profiles/{fresno}/flags", {"reason": "a front"}).json()
    mona = Person(site, "mona").log_in()
    ruled = mona.post(
        f"/api/moderation/flags/{flag['id']}",
        {"outcome": "upheld", "reason": "state funds", "funded_by": "USA"},
    )
    assert ruled.status_code == 200, ruled.text
    after = sokha.get(path).json()
    assert after["left_out"] == 1
    assert {item["name"] for item in after["items"]} == {
        "Long Beach",
        "Lowell",
        "Seattle",
        "Houston",
    }
    # only the profile's managers see its suggestions
    assert emily.get(path).status_code == 403


def test_sign_ups_from_one_address_stop_at_the_daily_limit(tmp_path, smtp) -> None:
    inbox, mail = smtp
    site = make_site(tmp_path / "home", None, inbox, mail, signups_per_address=2)
    codes = [
        site.client(n % 2).post("/api/signup", json={
            "username": f"bot{n}", "email": f"bot{n}@example.org",
            "password": "bot-password-1"}).status_code
        for n in range(3)
    ]  # fmt: skip
    # both workers count the same rows: the in-process client's address is "testclient"
    assert codes == [201, 201, 429]
    assert len(inbox.messages) == 2  # the refused one got no account and no e-mail


def test_a_change_to_an_approved_profile_is_shown_to_the_moderators(site: Site, pair) -> None:
    changed = pair["emily"].post(
        f"/api/doors/profiles/{pair['marketing']}", {"place": "Visalia, California"}, "PATCH"
    )
    assert changed.status_code == 200, changed.text
    assert site.inbox.subjects("mona@example.org")[-1] == (
        f"An approved profile changed: {MARKETING['name']}"
    )
    # the registry's actor changed with it
    shown = site.client().get(f"/api/doors/profiles/{pair['marketing']}").json()["profile"]
    actor = site.client().get(f"/api/actors/{shown['actor_id']}").json()
    assert actor["actor"]["place"] == "Visalia, California"
