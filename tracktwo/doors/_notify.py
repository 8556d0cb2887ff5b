"""The inbox and the e-mails that go with it.

Each change that concerns someone adds an inbox entry for them inside the change's own
transaction (``notify``); once the transaction has committed, ``deliver`` e-mails the entries.
An entry is claimed before its message is sent (``pending`` -> ``sending`` in one UPDATE), so
with several app workers each message still goes out once. Texts are drawn in the reader's
language when shown or sent, never stored translated. A profile's name in an entry goes with
its id (``profile`` with ``profile_id``, ``from_profile`` with ``from_profile_id`` ...), so
deleting an account finds every entry that names one of its profiles and rewrites it
(``entries_naming``, used by ``tracktwo.doors._forget``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from tracktwo._errors import NotFoundError
from tracktwo._i18n import N_, translator
from tracktwo.accounts import Account, User
from tracktwo.bridges import Registry
from tracktwo.doors._mail import Mailer
from tracktwo.doors._models import Notification, Profile

__all__ = [
    "NAME_PARAMS",
    "NOTICES",
    "deliver",
    "entries_naming",
    "inbox",
    "mark_read",
    "notice_text",
    "notify",
    "now",
    "retry_mail",
    "unread",
]

NOTICES = {
    "profile_waiting": N_("A new profile waits for approval: %(profile)s"),
    "profile_changed": N_("An approved profile changed: %(profile)s"),
    "profile_approved": N_("Your profile %(profile)s is approved and now visible to everyone"),
    "profile_rejected": N_("Your profile %(profile)s was not approved: %(reason)s"),
    "request_received": N_("%(from_profile)s asks %(to_profile)s for a partnership"),
    "request_accepted": N_("%(to_profile)s accepted the partnership request of %(from_profile)s"),
    "request_declined": N_("%(to_profile)s declined the partnership request of %(from_profile)s"),
    "flag_raised": N_("%(profile)s was flagged as politicised"),
    "flag_upheld": N_("Your flag on %(profile)s was upheld"),
    "flag_dismissed": N_("Your flag on %(profile)s was dismissed"),
    "manager_added": N_("You are now a manager of %(profile)s"),
    "digest": N_("%(count)s new profiles across the border match what you offer or need"),
}


# the params that carry a profile's name; each comes with "<param>_id", the profile's id
NAME_PARAMS = ("profile", "from_profile", "to_profile")


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


def notify(
    session: Session, user_ids: Iterable[int], kind: str, params: dict[str, Any], link: str
) -> list[int]:
    """Inbox entries for ``user_ids`` (once each); their ids, for ``deliver`` after commit."""
    assert kind in NOTICES, kind
    params = _fresh_names(session, params)
    made = []
    for user_id in sorted(set(user_ids)):
        entry = Notification(
            user_id=user_id, kind=kind, params=params, link=link, created_at=now(), mail="pending"
        )
        session.add(entry)
        made.append(entry)
    session.flush()
    return [entry.id for entry in made]


def _fresh_names(session: Session, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with each profile's name read again under a share lock: an account deletion
    (which holds its profiles locked until it commits) cannot miss an entry written meanwhile,
    since the entry then gets the anonymised name."""
    keys = [key for key in NAME_PARAMS if key in params]
    for key in keys:
        # without the id, a deletion could not find the entry to take the name out
        assert isinstance(params.get(f"{key}_id"), int), key
    if not keys:
        return params
    ids = {params[f"{key}_id"] for key in keys}
    query = select(Profile.id, Profile.name).where(Profile.id.in_(ids))
    names = dict(session.execute(query.with_for_update(read=True)).tuples().all())
    return {**params, **{key: names.get(params[f"{key}_id"], params[key]) for key in keys}}


def entries_naming(session: Session, profile_id: int, names: Iterable[str]) -> list[Notification]:
    """Every inbox entry that names profile ``profile_id``: by its id, or, for an entry
    written before ids were kept, by one of ``names`` with no id beside it."""
    legacy = sorted(set(names))
    found = []
    for key in NAME_PARAMS:
        found.append(Notification.params[f"{key}_id"].as_integer() == profile_id)
        if legacy:
            found.append(
                and_(
                    Notification.params[f"{key}_id"].as_integer().is_(None),
                    Notification.params[key].as_string().in_(legacy),
                )
            )
    query = select(Notification).where(or_(*found)).order_by(Notification.id)
    return list(session.scalars(query.with_for_update()))


def notice_text(kind: str, params: dict[str, Any], language: str) -> str:
    return translator(language)(NOTICES[kind], **params)


def _mail_body(text: str, link: str, mailer: Mailer, language: str) -> str:
    _ = translator(language)
    return "\n".join(
        [
            text,
            "",
            _("Open it on tracktwo:"),
            mailer.settings.link(link),
            "",
            _(
                "You get this e-mail because you have an account on tracktwo. Your inbox: %(url)s",
                url=mailer.settings.link("/inbox"),
            ),
        ]
    )


def _claim(registry: Registry, entry_id: int) -> bool:
    with registry.session() as session:
        claimed = session.execute(
            update(Notification)
            .where(Notification.id == entry_id, Notification.mail.in_(("pending", "failed")))
            .values(mail="sending")
        )
        return bool(claimed.rowcount)  # type: ignore[attr-defined]


def deliver(registry: Registry, mailer: Mailer | None, entry_ids: Iterable[int]) -> dict[str, int]:
    """E-mail the inbox entries ``entry_ids`` to their owners; counts by outcome."""
    counts: dict[str, int] = {}
    if mailer is None:
        return counts
    for entry_id in entry_ids:
        if not _claim(registry, entry_id):
            continue
        with registry.read() as session:
            entry, user = session.execute(
                select(Notification, User)
                .join(User, User.id == Notification.user_id)
                .where(Notification.id == entry_id)
            ).one()
        if not user.email or user.email_confirmed_at is None:
            outcome = "off"
        else:
            text = notice_text(entry.kind, entry.params, user.language)
            body = _mail_body(text, entry.link or "/inbox", mailer, user.language)
            outcome = mailer.send(user.email, text, body, user.language)
        with registry.session() as session:
            session.execute(
                update(Notification).where(Notification.id == entry_id).values(mail=outcome)
            )
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def inbox(registry: Registry, account: Account, limit: int = 100) -> list[dict[str, Any]]:
    """The newest entries first, each in the account's language."""
    with registry.read() as session:
        entries = session.scalars(
            select(Notification)
            .where(Notification.user_id == account.user_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        ).all()
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "text": notice_text(e.kind, e.params, account.language),
            "link": e.link,
            "created_at": e.created_at,
            "read": e.read_at is not None,
            "mail": e.mail,
        }
        for e in entries
    ]


def unread(registry: Registry, account: Account) -> int:
    with registry.read() as session:
        return int(session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == account.user_id, Notification.read_at.is_(None))
        ) or 0)  # fmt: skip


def mark_read(registry: Registry, account: Account, entry_id: int | None = None) -> int:
    """Mark one entry (or all of them) read; only the owner's own entries."""
    with registry.session() as session:
        query = update(Notification).where(
            Notification.user_id == account.user_id, Notification.read_at.is_(None)
        )
        if entry_id is not None:
            owned = session.scalar(
                select(Notification.id).where(
                    Notification.id == entry_id, Notification.user_id == account.user_id
                )
            )
            if owned is None:
                raise NotFoundError(f"notification_id: no entry {entry_id} in your inbox")
            query = query.where(Notification.id == entry_id)
        done = session.execute(query.values(read_at=now()))
        return int(done.rowcount)  # type: ignore[attr-defined]


def retry_mail(registry: Registry, mailer: Mailer) -> dict[str, int]:
    """Send again every inbox entry whose e-mail failed or never left (a crash between the
    commit and the send); counts by outcome."""
    with registry.read() as session:
        waiting = list(
            session.scalars(
                select(Notification.id)
                .where(Notification.mail.in_(("pending", "failed")))
                .order_by(Notification.id)
            )
        )
    return deliver(registry, mailer, waiting)
