"""People for the open-doors tests, and helpers that walk them through the library.

Two people, one in each country, plus a third who flags; the organisations are made up for
the tests (no real organisation is named). Every figure a test checks follows from these
few rows by hand.
"""

from __future__ import annotations

from typing import Any

from _smtp import Inbox

from tracktwo.accounts import Account, add_user
from tracktwo.bridges import Registry
from tracktwo.doors import Mailer, confirm_email, create_profile, decide_profile, sign_up

SOKHA = {"username": "sokha", "email": "sokha@example.org", "language": "km"}
EMILY = {"username": "emily", "email": "emily@example.org", "language": "en"}
DARA = {"username": "dara", "email": "dara@example.org", "language": "en"}
COOPERATIVE = {
    "name": "Battambang Rice Growers' Cooperative",
    "local_name": "សហគមន៍កសិករដាំស្រូវបាត់ដំបង",
    "kind": "farmers",
    "country": "KHM",
    "place": "Battambang",
    "areas_offered": ["agriculture"],
    "areas_needed": ["business"],
    "description_en": "Jasmine rice from 300 member families.",
    "description_km": "អង្ករម្លិះពីគ្រួសារសមាជិក ៣០០។",
    "contact_email": "coop@example.org",
}
MARKETING = {
    "name": "Central Valley Food Marketing Co-op",
    "kind": "business",
    "country": "USA",
    "place": "Fresno, California",
    "areas_offered": ["business"],
    "areas_needed": ["agriculture"],
    "description_en": "Helps growers sell to grocers.",
    "website": "https://example.org/cvfm",
    "contact_email": "hello@example.org",
    "contact_phone": "+1 559 555 0100",
}


def password_of(username: str) -> str:
    return f"{username}-password-1"


def confirmed(registry: Registry, mailer: Mailer, inbox: Inbox, person: dict[str, str]) -> Account:
    """Sign ``person`` up and follow the link mailed to them."""
    sign_up(
        registry,
        mailer,
        person["username"],
        person["email"],
        password_of(person["username"]),
        person["language"],
    )
    link = inbox.link(person["email"], "/confirm")
    return confirm_email(registry, link.split("token=", 1)[1])


def staff(registry: Registry) -> tuple[Account, Account]:
    """A moderator and an admin, made by an administrator (confirmed already)."""
    made = (
        add_user(registry, "mona", password_of("mona"), "moderator", "mona@example.org"),
        add_user(registry, "adam", password_of("adam"), "admin", "adam@example.org"),
    )
    return made


def approved_pair(
    registry: Registry, mailer: Mailer, inbox: Inbox
) -> tuple[Account, Account, Account, dict[str, Any], dict[str, Any]]:
    """Sokha (KHM) and Emily (USA), confirmed, each with an approved profile."""
    moderator, _ = staff(registry)
    sokha, emily = (confirmed(registry, mailer, inbox, p) for p in (SOKHA, EMILY))
    coop = create_profile(registry, mailer, sokha, **COOPERATIVE)
    marketing = create_profile(registry, mailer, emily, **MARKETING)
    for made in (coop, marketing):
        decide_profile(registry, mailer, moderator, made["id"], True)
    return moderator, sokha, emily, coop, marketing
