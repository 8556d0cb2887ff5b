"""Logging in and browser sessions: the login limiter's check around the password's, and the
sessions a login starts (stored as digests of their secret ids, with their CSRF tokens).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from tracktwo.accounts._limit import Attempt, LoginLimit, begin_attempt, forget_attempt, login_wait
from tracktwo.accounts._models import User, WebSession, this_second
from tracktwo.accounts._users import DUMMY_HASH, HASHER, Account, account_from, digest
from tracktwo.bridges import Registry

__all__ = [
    "LoginCheck",
    "begin_login",
    "check_login",
    "end_login",
    "end_session",
    "login_locked",
    "password_matches",
    "session_account",
    "start_session",
]


def login_locked(
    registry: Registry, username: str, address: str, limit: LoginLimit,
    now: datetime | None = None,
) -> bool:  # fmt: skip
    """Would an attempt on ``username`` from ``address`` be refused now?"""
    return login_wait(registry, username, address, limit, now) > 0


def check_login(
    registry: Registry, username: str, password: str, address: str,
    limit: LoginLimit | None = None, *, now: datetime | None = None,
) -> Account | None:  # fmt: skip
    """The account if the password is right, None if not (a failure, counted by the login
    limiter, see ``_limit``); LoginLimitError, before any password check, for an attempt that
    comes too early. ``address`` is the client's, or ``DELETION``."""
    started = begin_login(registry, username, address, limit or LoginLimit(), now)
    return end_login(registry, started, password_matches(started.hashed, password))


@dataclass(frozen=True)
class LoginCheck:
    """An attempt the limiter let through, with the hash to check its password against."""

    attempt: Attempt
    user: User | None
    hashed: str


def begin_login(
    registry: Registry, username: str, address: str, limit: LoginLimit,
    now: datetime | None = None,
) -> LoginCheck:  # fmt: skip
    """The first part of ``check_login``: the limiter, and the stored hash (a dummy one for
    no such user, so the time taken does not tell which usernames exist)."""
    attempt = begin_attempt(registry, username, address, limit, now)
    with registry.read() as session:
        user = session.scalar(select(User).where(User.username == attempt.username))
    if user is None or not user.active:
        return LoginCheck(attempt, None, DUMMY_HASH)
    return LoginCheck(attempt, user, user.password_hash)


def password_matches(hashed: str, password: str) -> bool:
    """The slow part (argon2: ~100 ms of CPU and 64 MiB); touches no database."""
    try:
        return bool(HASHER.verify(hashed, password))
    except (VerificationError, InvalidHashError):
        return False


def end_login(registry: Registry, started: LoginCheck, matches: bool) -> Account | None:
    """A wrong password leaves the attempt's row as a failure; a right one removes it."""
    if not matches or started.user is None:
        return None
    forget_attempt(registry, started.attempt.row_id)
    return account_from(started.user)


def start_session(registry: Registry, account: Account, hours: int) -> tuple[str, Account]:
    """A new browser session: its secret id (for the cookie) and the account with its CSRF
    token. Expired sessions are swept on the way."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = this_second()
    with registry.session() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        expires = now + timedelta(hours=hours)
        session.add(WebSession(digest=digest(secret), user_id=account.user_id, csrf_token=csrf,
                               created_at=now, expires_at=expires))  # fmt: skip
    return secret, replace(account, csrf_token=csrf)


def session_account(registry: Registry, secret: str) -> Account | None:
    with registry.read() as session:
        found = session.execute(
            select(WebSession, User).join(User, User.id == WebSession.user_id)
            .where(WebSession.digest == digest(secret), WebSession.expires_at > this_second(),
                   User.active.is_(True))
        ).first()  # fmt: skip
    if found is None:
        return None
    return account_from(found[1], found[0].csrf_token)


def end_session(registry: Registry, secret: str) -> None:
    with registry.session() as session:
        session.execute(delete(WebSession).where(WebSession.digest == digest(secret)))
