"""Deleting an account leaves none of the person's names behind in anyone else's inbox, export,
flags, moderation log or digest records, on SQLite and on PostgreSQL; and the rewrite is part
of the deletion's own transaction.

Sokha (KHM) runs a cooperative that she renames once approved; she asks Emily's co-op for a
partnership and Emily accepts, so a tie joins them. Dara flags the cooperative, naming Sokha
in her reason, and Mona (a moderator) upholds the flag. Then Sokha deletes her account.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from typing import Any

import pytest
from _doors import COOPERATIVE, DARA, MARKETING, approved_pair, confirmed, password_of
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from tracktwo.accounts import Account, LoginAttempt, User, check_login
from tracktwo.bridges import Activity, Registry
from tracktwo.doors import (
    Mailer,
    answer_request,
    delete_account,
    digest_matches,
    export_account,
    flag_profile,
    inbox,
    log_party_activity,
    moderation_log,
    moderation_queue,
    rule_on_flag,
    send_digests,
    send_request,
    update_profile,
)
from tracktwo.doors._models import DigestSent, Notification, Profile
from tracktwo.doors._notify import now

pytestmark = pytest.mark.postgres

NEW_NAME = "Battambang Jasmine Rice Cooperative"
# everything that names Sokha or her cooperative; none may survive her deletion
HER_WORDS = (
    COOPERATIVE["name"],
    NEW_NAME,
    COOPERATIVE["local_name"],
    COOPERATIVE["description_en"],
    COOPERATIVE["contact_email"],
    "sokha",  # her username, also the start of her e-mail address
    "sokha@example.org",
)


@pytest.fixture
def mail(smtp):
    box, settings = smtp
    return box, Mailer(settings)


def _story(registry: Registry, mail: Any) -> dict[str, Any]:
    box, mailer = mail
    mona, sokha, emily, coop, marketing = approved_pair(registry, mailer, box)
    # an entry written before entries kept the profile's id beside its name
    with registry.session() as session:
        old = {"from_profile": COOPERATIVE["name"], "to_profile": MARKETING["name"]}
        session.add(Notification(user_id=emily.user_id, kind="request_received", params=old,
                                 link="/inbox", created_at=now(), mail="off"))  # fmt: skip
    update_profile(registry, mailer, sokha, coop["id"], name=NEW_NAME)
    asked = send_request(registry, mailer, sokha, coop["id"], marketing["id"], "other",
                         message="Sokha here: write to sokha@example.org")  # fmt: skip
    tie = answer_request(registry, mailer, emily, asked["id"], True)["tie_id"]
    log_party_activity(registry, sokha, tie, "2026-11-20", "visit", note=f"{NEW_NAME} hosted us")
    dara = confirmed(registry, mailer, box, DARA)
    reason = f"{NEW_NAME} is paid by the provincial office; sokha (sokha@example.org) said so"
    flag = flag_profile(registry, mailer, dara, coop["id"], reason)
    rule_on_flag(registry, mailer, mona, flag["id"], "upheld",
                 f"{NEW_NAME} gets its money from the ministry", funded_by="KHM")  # fmt: skip
    month = date.today().strftime("%Y-%m")
    assert send_digests(registry, mailer, month) == {"sent": 2, "skipped": 0, "failed": 0}
    adam = check_login(registry, "adam", password_of("adam"), "127.0.0.1")
    assert adam is not None
    people = {"mona": mona, "sokha": sokha, "emily": emily, "dara": dara, "adam": adam}
    return {"people": people, "coop": coop["id"], "month": month, "tie": tie}


def _seen_by(registry: Registry, account: Account) -> dict[str, Any]:
    return {"inbox": inbox(registry, account), "export": export_account(registry, account)}


def _texts(registry: Registry, account: Account) -> list[str]:
    return [entry["text"] for entry in inbox(registry, account)]


def _digest_records(registry: Registry, month: str) -> dict[str, Any]:
    with registry.read() as session:
        sent = [(r.user_id, r.month) for r in session.scalars(select(DigestSent))]
        entries = [
            (n.user_id, n.params)
            for n in session.scalars(select(Notification).where(Notification.kind == "digest"))
        ]
    matches = digest_matches(registry, month)
    return {"digests_sent": sent, "digest_entries": entries, "matches": matches}


def _serialised(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False).lower()


def _refusing_user_deletion(registry: Registry, refuse: bool) -> None:
    """A trigger (a real one, in the database) that makes any deletion of a user fail."""
    if registry.dialect == "sqlite":
        statements = [
            "CREATE TRIGGER keep_users BEFORE DELETE ON users "
            "BEGIN SELECT RAISE(ABORT, 'users are kept'); END"
        ]
        undo = ["DROP TRIGGER keep_users"]
    else:
        statements = [
            "CREATE FUNCTION keep_users() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'users are kept'; END $$",
            "CREATE TRIGGER keep_users BEFORE DELETE ON users "
            "FOR EACH ROW EXECUTE FUNCTION keep_users()",
        ]
        undo = ["DROP TRIGGER keep_users ON users", "DROP FUNCTION keep_users()"]
    with registry.engine.begin() as connection:
        for statement in statements if refuse else undo:
            connection.execute(text(statement))


def test_a_deletion_that_fails_part_way_rewrites_nothing(registry, mail) -> None:
    story = _story(registry, mail)
    people, coop = story["people"], story["coop"]
    before = _serialised([_seen_by(registry, people[p]) for p in ("emily", "mona", "dara")])
    _refusing_user_deletion(registry, True)
    with pytest.raises(DatabaseError, match="users are kept"):
        delete_account(registry, people["sokha"], password_of("sokha"))
    # the user row could not go, so nothing else went either: one transaction
    assert _serialised([_seen_by(registry, people[p]) for p in ("emily", "mona", "dara")]) == before
    with registry.read() as session:
        assert session.get(Profile, coop).name == NEW_NAME
        assert session.scalar(select(User.id).where(User.username == "sokha")) is not None
    _refusing_user_deletion(registry, False)
    _deleted_leaves_no_name(registry, story)


def _deleted_leaves_no_name(registry: Registry, story: dict[str, Any]) -> None:
    people, coop, month = story["people"], story["coop"], story["month"]
    # before: her names are in the others' inboxes, exports and the digest
    before = _serialised([_seen_by(registry, people[p]) for p in ("emily", "mona", "dara")])
    assert COOPERATIVE["name"].lower() in before and NEW_NAME.lower() in before
    assert "sokha@example.org" in before  # in Dara's flag reason
    assert f"{NEW_NAME} asks {MARKETING['name']} for a partnership" in _texts(
        registry, people["emily"]
    )

    # a wrong password from elsewhere: the login limiter's row names her too
    assert check_login(registry, "sokha", "not her password", "192.0.2.7") is None
    assert _attempts_of(registry, "sokha") == 1
    assert delete_account(registry, people["sokha"], password_of("sokha")) == {
        "profiles_deleted": 1,
        "profiles_left_to_others": 0,
    }
    assert _attempts_of(registry, "sokha") == 0
    label = f"deleted profile {coop}"
    seen = {name: _seen_by(registry, people[name]) for name in ("emily", "mona", "dara", "adam")}
    everything = {
        "seen": seen,
        "moderation_log": moderation_log(registry, people["adam"]),
        "moderation_queue": moderation_queue(registry, people["mona"]),
        "digests": _digest_records(registry, month),
    }
    dumped = _serialised(everything)
    for word in HER_WORDS:
        assert word.lower() not in dumped, word

    # the entries stay, each naming the profile by its anonymised label
    asked = f"{label} asks {MARKETING['name']} for a partnership"
    assert _texts(registry, people["emily"]) == [
        "1 new profiles across the border match what you offer or need",
        asked,
        asked,  # the entry written before ids were kept, found by the profile's first name
        f"Your profile {MARKETING['name']} is approved and now visible to everyone",
    ]
    assert _texts(registry, people["mona"]) == [
        f"{label} was flagged as politicised",
        f"An approved profile changed: {label}",
        f"A new profile waits for approval: {MARKETING['name']}",
        f"A new profile waits for approval: {label}",
    ]
    assert _texts(registry, people["dara"]) == [f"Your flag on {label} was upheld"]
    (raised,) = seen["dara"]["export"]["flags_raised"]
    assert raised["reason"] == (
        f"{label} is paid by the provincial office; [deleted account] ([deleted account]) said so"
    )
    decisions = seen["mona"]["export"]["moderation_decisions"]
    assert [d["reason"] for d in decisions] == ["", "", f"{label} gets its money from the ministry"]
    (request,) = seen["emily"]["export"]["requests"]
    assert (request["message"], request["sender_id"], request["tie_id"] is not None) == (
        None,
        None,
        True,
    )
    with registry.read() as session:
        (note,) = session.scalars(select(Activity.note).where(Activity.tie_id == story["tie"]))
    assert note == f"{label} hosted us"
    # her digest claim went with her; Emily's digest entry holds only a count
    emily_id = people["emily"].user_id
    assert everything["digests"]["digests_sent"] == [(emily_id, month)]
    assert everything["digests"]["digest_entries"] == [(emily_id, {"count": 1})]


def _attempts_of(registry: Registry, username: str) -> int:
    with registry.read() as session:
        found = session.scalars(select(LoginAttempt.id).where(LoginAttempt.username == username))
        return len(found.all())


def test_an_entry_written_while_a_deletion_holds_the_profile_gets_its_new_name(
    postgres_admin_url: str, mail: Any
) -> None:
    """PostgreSQL, where writers run side by side: a flag raised while a deletion has the
    profile locked waits for it, then names the profile by its anonymised label. (SQLite
    lets one writer at a time, and every notice is written after the writer's first write.)"""
    from _postgres import fresh_database

    with Registry(fresh_database(postgres_admin_url)) as registry:
        box, mailer = mail
        mona, _, _, coop, _ = approved_pair(registry, mailer, box)
        dara = confirmed(registry, mailer, box, DARA)
        flagged: dict[str, Any] = {}
        with registry.engine.connect() as deleting:
            # what delete_account does first: lock the profile, give it its neutral name
            deleting.execute(text("SELECT id FROM profiles WHERE id = :id FOR NO KEY UPDATE"),
                             {"id": coop["id"]})  # fmt: skip
            deleting.execute(text("UPDATE profiles SET name = 'deleted profile 1' WHERE id = :id"),
                             {"id": coop["id"]})  # fmt: skip
            raising = threading.Thread(target=lambda: flagged.update(
                flag_profile(registry, mailer, dara, coop["id"], "a front")))  # fmt: skip
            raising.start()
            _wait_until_blocked(registry)
            deleting.commit()
        raising.join(timeout=30)
        assert flagged["status"] == "open"
        assert _texts(registry, mona)[0] == "deleted profile 1 was flagged as politicised"


def _wait_until_blocked(registry: Registry) -> None:
    """Until some transaction waits for a row lock (at most 10 s)."""
    with registry.engine.connect() as watching:
        for _ in range(1000):
            waiting = watching.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            if waiting.scalar_one():
                return
            watching.rollback()
            time.sleep(0.01)
    raise AssertionError("the flag did not wait for the deletion's lock")
