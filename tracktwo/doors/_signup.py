"""Signing up, confirming the e-mail address, choosing a language.

Anyone may sign up; the new account is a *viewer* that can log in at once but cannot act
(create a profile, send a request, flag) until its owner follows the link e-mailed to them.
The link carries a random token stored only as its digest, valid for 48 hours and used once.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from tracktwo._errors import InputError, LimitError, NotAllowedError
from tracktwo._i18n import LANGUAGES, translator
from tracktwo.bridges._registry import Registry
from tracktwo.doors._mail import Mailer
from tracktwo.doors._models import EmailToken, SignUpRecord
from tracktwo.doors._notify import now
from tracktwo.web._accounts import Account, account_from, add_user, digest
from tracktwo.web._models import User

__all__ = [
    "check_email",
    "confirm_email",
    "require_confirmed",
    "send_confirmation",
    "set_language",
    "sign_up",
]

CONFIRM_HOURS = 48
# deliberately loose: one @, a dot in the domain, no spaces; the e-mailed link proves the rest
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']{2,}$")


def check_email(field: str, value: str | None) -> str:
    email = (value or "").strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise InputError(f"{field}: {value!r} is not an e-mail address")
    return email


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


def _new_token(registry: Registry, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    made = now()
    with registry.session() as session:
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


def send_confirmation(registry: Registry, mailer: Mailer | None, user_id: int) -> str:
    """A new confirmation link for the user, e-mailed in their language; returns the outcome
    (``sent``, ``off``, ``failed``)."""
    with registry.read() as session:
        user = session.get(User, user_id)
    if user is None or not user.email:
        raise InputError("email: this account has no e-mail address to confirm")
    if user.email_confirmed_at is not None:
        raise InputError("email: this address is confirmed already")
    token = _new_token(registry, user_id)
    if mailer is None:
        return "off"
    _ = translator(user.language)
    link = mailer.settings.link(f"/confirm?token={token}")
    body = "\n".join(
        [
            _("Hello %(username)s,", username=user.username),
            "",
            _(
                "Follow this link to confirm your e-mail address for tracktwo "
                "(it works for %(hours)s hours):",
                hours=CONFIRM_HOURS,
            ),
            link,
            "",
            _("If you did not sign up, ignore this e-mail: nothing happens without the link."),
        ]
    )
    return mailer.send(
        user.email, _("Confirm your e-mail address for tracktwo"), body, user.language
    )


def sign_up(
    registry: Registry,
    mailer: Mailer | None,
    username: str,
    email: str,
    password: str,
    language: str = "en",
    client: str | None = None,
    per_address: int = 10,
) -> Account:
    """A new, unconfirmed viewer account; the confirmation link is e-mailed. With ``client``
    (the request's address), at most ``per_address`` attempts from it in 24 hours."""
    check_language(language)
    address = check_email("email", email)
    if client is not None:
        _count_attempt(registry, client, per_address)
    made = add_user(registry, username, password, "viewer", address, confirmed=False,
                    language=language)  # fmt: skip
    send_confirmation(registry, mailer, made.user_id)
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
