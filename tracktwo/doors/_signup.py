"""Signing up, confirming the e-mail address, choosing a language.

Anyone may sign up; the new account is a *viewer* that can log in at once but cannot act
(create a profile, send a request, flag) until its owner follows the link e-mailed to them.
The link carries a random token stored only as its digest, valid for 48 hours and used once.

The account and its token are written in one transaction, and the e-mail leaves only after
it commits: a sign-up that fails at any step stores nothing but the attempt the per-address
limit counts. A sign-up with an address already in use makes nothing and answers as a new one
would; the address's owner is told by e-mail instead, so sign-up never says whose address it
knows (it still says which usernames are taken: people choose those).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tracktwo._email import check_email
from tracktwo._errors import InputError, LimitError, NotAllowedError
from tracktwo._i18n import LANGUAGES, translator
from tracktwo.accounts import (
    Account,
    User,
    account_from,
    check_name_free,
    check_username,
    digest,
    hash_password,
    stage_user,
)
from tracktwo.bridges import Registry
from tracktwo.doors._mail import Mailer
from tracktwo.doors._models import EmailToken, SignUpRecord
from tracktwo.doors._notify import now

__all__ = [
    "check_email",
    "confirm_email",
    "require_confirmed",
    "send_confirmation",
    "set_language",
    "sign_up",
]

CONFIRM_HOURS = 48


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InputError(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
    return language


def require_confirmed(account: Account | None) -> Account:
    if account is None:
        raise NotAllowedError("log in first", "login_required")
    if not account.confirmed:
        raise NotAllowedError(
            "confirm your e-mail address first: follow the link we sent you "
            "(or ask for a new one on your account page)",
            "unconfirmed",
        )
    return account


def _stage_token(session: Session, user_id: int) -> str:
    """A new confirmation token for the user, in the caller's transaction; the old one goes."""
    token = secrets.token_urlsafe(32)
    made = now()
    session.execute(
        delete(EmailToken).where(EmailToken.user_id == user_id, EmailToken.purpose == "confirm")
    )
    session.add(
        EmailToken(
            digest=digest(token),
            user_id=user_id,
            purpose="confirm",
            created_at=made,
            expires_at=made + timedelta(hours=CONFIRM_HOURS),
        )
    )
    return token


def _send(
    mailer: Mailer, to: str, username: str, language: str, subject: str, lines: list[str]
) -> str:
    """E-mail ``lines`` to an account's owner in their language, after greeting them by name."""
    _ = translator(language)
    body = "\n".join([_("Hello %(username)s,", username=username), "", *lines])
    return mailer.send(to, subject, body, language)


def _mail_link(mailer: Mailer | None, to: str, username: str, language: str, token: str) -> str:
    if mailer is None:
        return "off"
    _ = translator(language)
    lines = [
        _(
            "Follow this link to confirm your e-mail address for tracktwo "
            "(it works for %(hours)s hours):",
            hours=CONFIRM_HOURS,
        ),
        mailer.settings.link(f"/confirm?token={token}"),
        "",
        _("If you did not sign up, ignore this e-mail: nothing happens without the link."),
    ]
    subject = _("Confirm your e-mail address for tracktwo")
    return _send(mailer, to, username, language, subject, lines)


def _mail_known(mailer: Mailer | None, to: str, username: str, language: str) -> str:
    """Tell an address's owner that someone signed up with it again (in the owner's language)."""
    if mailer is None:
        return "off"
    _ = translator(language)
    lines = [
        _(
            "Someone, perhaps you, tried to sign up on tracktwo with this e-mail address. "
            "It belongs to your account already, so no new account was made."
        ),
        _("Log in with your username, %(username)s, here:", username=username),
        mailer.settings.link("/login"),
        "",
        _("If it was not you, ignore this e-mail: nothing has changed."),
    ]
    subject = _("You already have an account on tracktwo")
    return _send(mailer, to, username, language, subject, lines)


def send_confirmation(registry: Registry, mailer: Mailer | None, user_id: int) -> str:
    """A new confirmation link for the user, e-mailed in their language; returns the outcome
    (``sent``, ``off``, ``failed``)."""
    with registry.read() as session:
        user = session.get(User, user_id)
    if user is None or not user.email:
        raise InputError("email: this account has no e-mail address to confirm")
    if user.email_confirmed_at is not None:
        raise InputError("email: this address is confirmed already")
    with registry.session() as session:
        token = _stage_token(session, user_id)
    return _mail_link(mailer, user.email, user.username, user.language, token)


def sign_up(
    registry: Registry,
    mailer: Mailer | None,
    username: str,
    email: str,
    password: str,
    language: str = "en",
    client: str | None = None,
    per_address: int = 10,
) -> Account | None:
    """A new, unconfirmed viewer account; the confirmation link is e-mailed. With ``client``
    (the request's address), at most ``per_address`` attempts from it in 24 hours.

    None if the address belongs to an account already: nothing is made, its owner is e-mailed,
    and the caller answers exactly as for a new account. A confirmation e-mail that fails to
    leave is logged; the person logs in and asks for a new link on their account page."""
    check_language(language)
    address = check_email("email", email)
    check_username(username)
    if client is not None:
        _count_attempt(registry, client, per_address)
    # hashed whether or not an account is made, so the answer takes as long either way
    hashed = hash_password(password)
    made: Account | None = None
    with registry.session() as session:
        check_name_free(session, username)
        owner = session.scalar(select(User).where(User.email == address))
        if owner is None:
            user = stage_user(session, username, hashed, "viewer", address, confirmed=False,
                              language=language)  # fmt: skip
            made, token = account_from(user), _stage_token(session, user.id)
        else:  # read now: the row is expired once the transaction commits
            known = (owner.username, owner.language or "en")
    # committed (or nothing is): only now does anything leave
    if made is None:
        _mail_known(mailer, address, *known)
        return None
    _mail_link(mailer, address, username, language, token)
    return made


def _count_attempt(registry: Registry, client: str, per_address: int) -> None:
    """Record a sign-up from ``client``; LimitError (and nothing recorded) past the limit.
    Written first, then counted, as the other daily limits are (docs/doors.md)."""
    since = now() - timedelta(days=1)
    with registry.session() as session:
        session.add(SignUpRecord(address=client[:64], created_at=now()))
        session.flush()
        session.execute(delete(SignUpRecord).where(SignUpRecord.created_at < since))
        recent = session.scalar(
            select(func.count(SignUpRecord.id)).where(SignUpRecord.address == client[:64])
        )
        if (recent or 0) > per_address:
            raise LimitError(
                f"{per_address} sign-ups from your address in the last 24 hours, the most "
                "allowed: try again tomorrow"
            )


def confirm_email(registry: Registry, token: str) -> Account:
    """Mark the address behind ``token`` confirmed; the token is then spent."""
    with registry.session() as session:
        found = session.scalar(
            select(EmailToken).where(
                EmailToken.digest == digest(token or ""),
                EmailToken.purpose == "confirm",
                EmailToken.expires_at > now(),
            )
        )
        if found is None:
            raise InputError(
                "token: this confirmation link is unknown, used or expired; "
                "log in and ask for a new one"
            )
        user = session.get(User, found.user_id)
        assert user is not None
        user.email_confirmed_at = user.email_confirmed_at or now()
        session.delete(found)
        session.flush()
        return account_from(user)


def set_language(registry: Registry, account: Account, language: str) -> None:
    check_language(language)
    with registry.session() as session:
        session.execute(update(User).where(User.id == account.user_id).values(language=language))
