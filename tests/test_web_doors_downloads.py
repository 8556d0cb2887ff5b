"""Open doors' tables download as CSV too, each as its reader may see it (over HTTP, with real
sessions on SQLite; tests/test_web_downloads.py has the rules every CSV follows)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from _doors import COOPERATIVE, MARKETING
from _doors_web import Person, Site, site_for

BOM = b"\xef\xbb\xbf"


@pytest.fixture(params=["sqlite"])
def site(request, tmp_path, smtp) -> Site:
    return site_for(request, tmp_path, smtp)


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.content.startswith(BOM)
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.content[len(BOM) :].decode("utf-8"))))


def _approved(site: Site, person: Person, fields: dict) -> int:
    made = person.post("/api/doors/profiles", fields)
    assert made.status_code == 201, made.text
    profile_id = made.json()["id"]
    decided = site.moderator().post(f"/api/moderation/profiles/{profile_id}",
                                    {"decision": "approve"})  # fmt: skip
    assert decided.status_code == 200, decided.text
    return int(profile_id)


def test_partners_requests_and_the_log_download(site: Site) -> None:
    sokha = Person(site, "sokha", 0).sign_up("sokha@example.org", "km")
    emily = Person(site, "emily", 1).sign_up("emily@example.org")
    coop, marketing = _approved(site, sokha, COOPERATIVE), _approved(site, emily, MARKETING)
    asked = sokha.post("/api/doors/requests", {
        "from_profile_id": coop, "to_profile_id": marketing, "channel": "business_partnership",
        "areas": ["agriculture"], "message": "=1+1 hello"})  # fmt: skip
    assert asked.status_code == 201, asked.text

    partners = _rows(sokha.get("/api/doors/partners?format=csv"))
    # the two approved profiles, the Khmer name intact; no contact details in a search
    assert [(r["id"], r["name"], r["local_name"]) for r in partners] == [
        (str(coop), COOPERATIVE["name"], COOPERATIVE["local_name"]),
        (str(marketing), MARKETING["name"], ""),
    ]
    assert {r["contact_email"] for r in partners} == {""}
    assert partners[0]["areas_offered"] == "agriculture"

    sent = _rows(sokha.get("/api/doors/requests?format=csv&table=outgoing"))
    assert [(r["from_profile"], r["to_profile"], r["status"]) for r in sent] == [
        (COOPERATIVE["name"], MARKETING["name"], "pending")
    ]
    assert sent[0]["message"] == "'=1+1 hello"  # a formula start is kept as text
    received = sokha.get("/api/doors/requests?format=csv&table=incoming")
    assert _rows(received) == [] and received.content.startswith(BOM + b"id,from_profile_id,")

    page = sokha.get("/doors/requests").text
    links = re.findall(r'class="csv" href="([^"]+)"', page)
    assert [link.replace("&amp;", "&") for link in links] == [
        "/api/doors/requests?format=csv&table=outgoing"
    ]  # only the table shown: nothing was received
    mine = _rows(sokha.get("/api/doors?format=csv"))
    assert [(r["id"], r["contact_email"]) for r in mine] == [(str(coop), "coop@example.org")]

    admin = Person(site, "adam").log_in()
    log = _rows(admin.get("/api/moderation/log?format=csv"))
    assert sorted(r["profile_id"] for r in log) == sorted([str(coop), str(marketing)])
    assert {r["action"] for r in log} == {"approve_profile"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?", log[0]["decided_at"])
    assert sokha.get("/api/moderation/log?format=csv").status_code == 403  # still the admins'
