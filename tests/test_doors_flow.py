"""Open doors through the library, on SQLite and on PostgreSQL, with a real SMTP server.

Two people sign up (one in each country), confirm their addresses from the e-mails the SMTP
server received, register profiles, get them approved, ask and accept; the tie reaches the
registry and the scorecard; a flag is upheld; an account is deleted and its tie stays,
anonymised. The expected figures follow from the rows in tests/_doors.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from _doors import (
    COOPERATIVE,
    DARA,
    EMILY,
    MARKETING,
    SOKHA,
    approved_pair,
    confirmed,
    password_of,
    staff,
)

from tracktwo._errors import ConflictError, InputError, LimitError, NotAllowedError, NotFoundError
from tracktwo.bridges import Actor, Tie
from tracktwo.bridges._scorecard import scorecard
from tracktwo.doors import (
    DoorsRules,
    Mailer,
    answer_request,
    create_profile,
    delete_account,
    export_account,
    flag_profile,
    get_profile,
    get_request,
    inbox,
    log_party_activity,
    moderation_log,
    rule_on_flag,
    search_profiles,
    send_digests,
    send_request,
    sign_up,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def mail(smtp):
    box, settings = smtp
    return box, Mailer(settings)


def _coop_asks(registry, mailer, sokha, coop, marketing, *terms, **options):
    """Sokha's co-operative asks the marketing co-operative for a partnership (``terms``:
    channel, areas, message, as send_request takes them)."""
    return send_request(registry, mailer, sokha, coop["id"], marketing["id"], *terms, **options)


def test_signing_up_mails_a_link_in_the_persons_language(registry, mail) -> None:
    box, mailer = mail
    made = sign_up(registry, mailer, "sokha", "Sokha@Example.org", "sokha-password-1", "km")
    assert not made.confirmed
    (message,) = box.to("sokha@example.org")  # the address is stored lower-cased
    assert message["Subject"] == "បញ្ជាក់អាសយដ្ឋានអ៊ីមែលរបស់អ្នកសម្រាប់ tracktwo"
    assert "សួស្ដី sokha," in message.get_content()
    assert message["Content-Language"] == "km"
    with pytest.raises(NotAllowedError, match="confirm your e-mail") as refused:
        create_profile(registry, mailer, made, **COOPERATIVE)
    assert refused.value.code == "unconfirmed"
    # an address in use makes no account and is not said to be in use: its owner is told
    assert sign_up(registry, mailer, "sokha2", "sokha@example.org", "sokha-password-1") is None
    assert box.subjects("sokha@example.org")[-1] == "អ្នកមានគណនីនៅលើ tracktwo រួចហើយ"


def test_a_confirmation_link_works_once(registry, mail) -> None:
    box, mailer = mail
    account = confirmed(registry, mailer, box, DARA)
    assert account.confirmed
    token = box.link(DARA["email"], "/confirm").split("token=")[1]
    from tracktwo.doors import confirm_email

    with pytest.raises(InputError, match="unknown, used or expired"):
        confirm_email(registry, token)


def test_two_people_meet_and_their_tie_reaches_the_scorecard(registry, mail) -> None:
    box, mailer = mail
    moderator, sokha, emily, coop, marketing = approved_pair(registry, mailer, box)
    # the moderator was told of both profiles, by inbox and by e-mail
    assert box.subjects("mona@example.org") == [
        f"A new profile waits for approval: {COOPERATIVE['name']}",
        f"A new profile waits for approval: {MARKETING['name']}",
    ]
    # approval wrote both actors into the registry
    with registry.read() as session:
        actors = {a.name: a for a in session.query(Actor)}
    assert actors[MARKETING["name"]].country == "USA"
    assert actors[COOPERATIVE["name"]].local_name == COOPERATIVE["local_name"]
    # searching shows the other side without its contact details
    (found,) = search_profiles(registry, country="USA", area="agriculture")
    assert (found["name"], found["contact_email"]) == (MARKETING["name"], None)
    assert get_profile(registry, marketing["id"], sokha)["contact_email"] is None

    asked = _coop_asks(
        registry,
        mailer,
        sokha,
        coop,
        marketing,
        "agricultural_cooperation",
        ["agriculture", "business"],
        "Could we sell our rice through your members?",
    )
    assert asked["status"] == "pending"
    assert box.subjects(EMILY["email"])[-1] == (
        f"{COOPERATIVE['name']} asks {MARKETING['name']} for a partnership"
    )
    with pytest.raises(NotAllowedError, match="only the side asked"):
        answer_request(registry, mailer, sokha, asked["id"], True)

    answered = answer_request(registry, mailer, emily, asked["id"], True)
    assert answered["status"] == "accepted"
    with registry.read() as session:
        tie = session.get(Tie, answered["tie_id"])
        assert (tie.status, tie.channel, tie.areas) == (
            "active",
            "agricultural_cooperation",
            ["agriculture", "business"],
        )
        assert tie.start_date == date.today()
    card = scorecard(registry, "KHM", "USA")
    assert (card.ties_total, card.ties_active, card.actors_a, card.actors_b) == (1, 1, 1, 1)
    # Sokha reads the answer in Khmer
    answer_subject = box.subjects(SOKHA["email"])[-1]
    assert answer_subject == (f"{MARKETING['name']} បានទទួលយកសំណើភាពជាដៃគូរបស់ {COOPERATIVE['name']}")
    assert inbox(registry, sokha)[0]["text"] == answer_subject
    # contact details now reach the other side, and only them
    assert get_profile(registry, marketing["id"], sokha)["contact_phone"] == "+1 559 555 0100"
    assert get_request(registry, sokha, asked["id"])["other"]["contact_email"] == (
        "hello@example.org"
    )
    dara = confirmed(registry, mailer, box, DARA)
    assert get_profile(registry, marketing["id"], dara)["contact_email"] is None
    with pytest.raises(NotAllowedError):
        get_request(registry, dara, asked["id"])

    # both sides may log activities on their tie; nobody else may
    logged = log_party_activity(registry, sokha, answered["tie_id"], "2026-11-20", "visit", 4)
    assert logged["participants"] == 4
    with pytest.raises(NotAllowedError, match="joins no profile you manage"):
        log_party_activity(registry, dara, answered["tie_id"], "2026-11-21", "visit")
    assert moderator.can("moderator")


def test_an_upheld_flag_marks_the_actor_politicised_for_the_scorecard(registry, mail) -> None:
    box, mailer = mail
    moderator, sokha, emily, coop, marketing = approved_pair(registry, mailer, box)
    asked = _coop_asks(registry, mailer, sokha, coop, marketing, "other")
    answer_request(registry, mailer, emily, asked["id"], True)
    assert scorecard(registry, "KHM", "USA").ties_kept_without_politicised == 1.0

    dara = confirmed(registry, mailer, box, DARA)
    flag = flag_profile(registry, mailer, dara, marketing["id"], "Run by a consulate's office")
    with pytest.raises(NotAllowedError, match="only a moderator"):
        rule_on_flag(registry, mailer, sokha, flag["id"], "upheld", "no", funded_by="USA")
    with pytest.raises(InputError, match="funded_by: say which government"):
        rule_on_flag(registry, mailer, moderator, flag["id"], "upheld", "consulate")
    ruled = rule_on_flag(
        registry,
        mailer,
        moderator,
        flag["id"],
        "upheld",
        "The consulate pays its staff",
        funded_by="USA",
    )
    assert (ruled["status"], ruled["funded_by"]) == ("upheld", "USA")
    assert get_profile(registry, marketing["id"], None)["politicised"] is True
    # the only tie has a politicised end: none is kept without the politicised actors
    assert scorecard(registry, "KHM", "USA").ties_kept_without_politicised == 0.0
    assert box.subjects(DARA["email"])[-1] == (f"Your flag on {MARKETING['name']} was upheld")
    with pytest.raises(ConflictError, match="upheld already"):
        rule_on_flag(registry, mailer, moderator, flag["id"], "dismissed", "again")

    # the log: who, what and why, newest first; admins only
    with pytest.raises(NotAllowedError, match="only an admin"):
        moderation_log(registry, moderator)
    admin = _admin(registry)
    entries = moderation_log(registry, admin)
    assert [(e["moderator"], e["action"]) for e in entries] == [
        ("mona", "flag_upheld"),
        ("mona", "approve_profile"),
        ("mona", "approve_profile"),
    ]
    assert entries[0]["reason"] == "The consulate pays its staff"
    assert entries[0]["outcome"] == {"funded_by": "USA", "stance": None}


def _admin(registry):
    from tracktwo.accounts import check_login

    return check_login(registry, "adam", password_of("adam"), "127.0.0.1")


def test_requests_expire_and_are_limited_per_day(registry, mail) -> None:
    box, mailer = mail
    _, sokha, emily, coop, marketing = approved_pair(registry, mailer, box)
    month_ago = datetime.now().replace(microsecond=0) - timedelta(days=31)
    old = _coop_asks(registry, mailer, sokha, coop, marketing, "other", at=month_ago)
    assert old["status"] == "expired"  # 31 days > the 30 a request waits
    with pytest.raises(ConflictError, match="is expired, not waiting"):
        answer_request(registry, mailer, emily, old["id"], True)

    rules = DoorsRules(requests_per_day=2)
    second = create_profile(registry, mailer, emily, **{**MARKETING, "name": "Second Co-op"})
    _approve(registry, mailer, second["id"])
    send_request(registry, mailer, sokha, coop["id"], marketing["id"], "other", rules=rules)
    send_request(registry, mailer, sokha, coop["id"], second["id"], "other", rules=rules)
    third = create_profile(registry, mailer, emily, **{**MARKETING, "name": "Third Co-op"})
    _approve(registry, mailer, third["id"])
    with pytest.raises(LimitError, match="sent 2 partnership requests in the last 24 hours"):
        send_request(registry, mailer, sokha, coop["id"], third["id"], "other", rules=rules)
    # the refused request left nothing behind
    assert len(export_account(registry, sokha)["requests"]) == 3
    # a second request between the same two while one waits is refused
    with pytest.raises(ConflictError, match="still waiting"):
        _coop_asks(registry, mailer, sokha, coop, marketing, "other")


def _approve(registry, mailer, profile_id):
    from tracktwo.accounts import check_login
    from tracktwo.doors import decide_profile

    mona = check_login(registry, "mona", password_of("mona"), "127.0.0.1")
    decide_profile(registry, mailer, mona, profile_id, True)


def test_only_approved_people_to_people_profiles_can_ask(registry, mail) -> None:
    box, mailer = mail
    staff(registry)
    sokha = confirmed(registry, mailer, box, SOKHA)
    pending = create_profile(registry, mailer, sokha, **COOPERATIVE)
    with pytest.raises(InputError, match="kind: open doors is for people-to-people"):
        create_profile(registry, mailer, sokha, **{**COOPERATIVE, "kind": "embassy"})
    emily = confirmed(registry, mailer, box, EMILY)
    target = create_profile(registry, mailer, emily, **MARKETING)
    _approve(registry, mailer, target["id"])
    with pytest.raises(NotAllowedError, match="a moderator must approve it") as refused:
        send_request(registry, mailer, sokha, pending["id"], target["id"], "other")
    assert refused.value.code == "not_approved"
    # a pending profile is invisible to everyone but its managers and the moderators
    with pytest.raises(NotFoundError):
        get_profile(registry, pending["id"], emily)
    assert get_profile(registry, pending["id"], sokha)["status"] == "pending"


def test_deleting_an_account_keeps_the_tie_anonymised(registry, mail) -> None:
    box, mailer = mail
    _, sokha, emily, coop, marketing = approved_pair(registry, mailer, box)
    asked = _coop_asks(
        registry, mailer, sokha, coop, marketing, "other",
        message="Call me on my private number 012 345 678",
    )  # fmt: skip
    tie_id = answer_request(registry, mailer, emily, asked["id"], True)["tie_id"]
    exported = export_account(registry, sokha)
    assert exported["account"]["email"] == "sokha@example.org"
    assert [p["name"] for p in exported["profiles"]] == [COOPERATIVE["name"]]
    assert exported["requests"][0]["message"].startswith("Call me")

    with pytest.raises(InputError, match="wrong password"):
        delete_account(registry, sokha, "not-the-password")
    assert delete_account(registry, sokha, password_of("sokha")) == {
        "profiles_deleted": 1,
        "profiles_left_to_others": 0,
    }
    with registry.read() as session:
        tie = session.get(Tie, tie_id)
        actor = session.get(Actor, tie.actor_a_id)
        assert (tie.anonymised, actor.name, actor.local_name, actor.description) == (
            True,
            "anonymised farmers (KHM)",
            None,
            None,
        )
        assert actor.areas_offered == ["agriculture"]  # what the scorecard counts stays
    assert scorecard(registry, "KHM", "USA").ties_active == 1
    # the other side still sees the request, without the message that named a person
    assert get_request(registry, emily, asked["id"])["message"] is None
    from tracktwo.accounts import check_login

    assert check_login(registry, "sokha", password_of("sokha"), "127.0.0.1") is None


def test_the_monthly_digest_goes_once_to_each_match(registry, mail) -> None:
    box, mailer = mail
    approved_pair(registry, mailer, box)
    month = date.today().strftime("%Y-%m")
    assert send_digests(registry, mailer, month) == {"sent": 2, "skipped": 0, "failed": 0}
    digest = box.to(EMILY["email"])[-1]
    assert (
        box.subjects(EMILY["email"])[-1]
        == "1 new profiles across the border match what you offer or need"
    )
    assert f"- {COOPERATIVE['name']} (KHM): agriculture, business" in digest.get_content()
    assert box.subjects(SOKHA["email"])[-1].startswith("ប្រវត្តិរូបថ្មី 1 ")
    assert send_digests(registry, mailer, month) == {"sent": 0, "skipped": 2, "failed": 0}
    assert send_digests(registry, mailer, "2001-01") == {"sent": 0, "skipped": 0, "failed": 0}
    with pytest.raises(InputError, match="month: '2026-13'"):
        send_digests(registry, mailer, "2026-13")


def test_a_profile_may_have_several_managers_and_a_person_several_profiles(registry, mail) -> None:
    from tracktwo.doors import add_manager, my_profiles

    box, mailer = mail
    _, sokha, emily, coop, marketing = approved_pair(registry, mailer, box)
    dara = confirmed(registry, mailer, box, DARA)
    add_manager(registry, mailer, emily, marketing["id"], "dara")
    assert box.subjects(DARA["email"])[-1] == f"You are now a manager of {MARKETING['name']}"
    with pytest.raises(InputError, match="manages this profile already"):
        add_manager(registry, mailer, emily, marketing["id"], "dara")
    with pytest.raises(NotAllowedError):
        add_manager(registry, mailer, dara, coop["id"], "dara")  # not Dara's to share
    # the new manager answers for the profile; the request reaches both managers' inboxes
    asked = _coop_asks(registry, mailer, sokha, coop, marketing, "other")
    assert [n["kind"] for n in inbox(registry, emily)][:1] == ["request_received"]
    assert [n["kind"] for n in inbox(registry, dara)][:1] == ["request_received"]
    assert answer_request(registry, mailer, dara, asked["id"], False)["status"] == "declined"
    # Dara also registers a profile of her own
    create_profile(registry, mailer, dara, **{**COOPERATIVE, "name": "Dara's Seed Bank"})
    assert [p["name"] for p in my_profiles(registry, dara)] == [
        MARKETING["name"],
        "Dara's Seed Bank",
    ]
    # deleting Emily's account leaves the shared profile to Dara, untouched
    assert delete_account(registry, emily, password_of("emily"))["profiles_left_to_others"] == 1
    assert get_profile(registry, marketing["id"], dara)["name"] == MARKETING["name"]


def test_a_name_cannot_smuggle_a_line_break_into_an_e_mail_header(registry, mail) -> None:
    box, mailer = mail
    staff(registry)
    sokha = confirmed(registry, mailer, box, SOKHA)
    forged = {**COOPERATIVE, "name": "Co-op\r\nBcc: everyone@example.org"}
    with pytest.raises(InputError, match="name: one line of text"):
        create_profile(registry, mailer, sokha, **forged)
    assert box.subjects("mona@example.org") == []  # nothing was stored, nobody was told
