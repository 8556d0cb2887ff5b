"""Users, roles, sessions, API tokens and the login limit, on the registry database.

Roles are ordered: a *viewer* reads, an *editor* also changes the registry (accepts a
recommendation, logs an activity), an *admin* also manages users. Passwords are hashed with
argon2id (argon2-cffi's defaults); sessions and tokens are random and stored as digests.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracktwo._email import check_email
from tracktwo._errors import InputError, NotFoundError
from tracktwo.accounts._limit import (
    Attempt,
    LoginLimit,
    begin_attempt,
    forget_attempt,
    login_wait,
)
from tracktwo.accounts._models import ROLES, ApiToken, User, WebSession
from tracktwo.bridges import Registry

__all__ = [
    "MIN_PASSWORD",
    "Account",
    "LoginCheck",
    "account_from",
    "add_user",
    "begin_login",
    "check_login",
    "check_name_free",
    "check_password",
    "check_username",
    "create_token",
    "digest",
    "end_login",
    "end_session",
    "hash_password",
    "list_users",
    "login_locked",
    "password_matches",
    "remove_user",
    "session_account",
    "stage_user",
    "start_session",
    "token_account",
]

_HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,80}$")
MIN_PASSWORD = 10
# verifying against a real hash when the user does not exist takes as long as a wrong
# password, so response times do not tell which usernames exist
_DUMMY_HASH = _HASHER.hash("tracktwo-no-such-user")


@dataclass(frozen=True)
class Account:
    """Who is asking: what every route's permission check reads."""

    user_id: int
    username: str
    role: str
    csrf_token: str | None = None  # set for browser sessions, None for API tokens
    confirmed: bool = True  # has followed the e-mailed link (self-registered users)
    language: str = "en"

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def account_from(user: User, csrf_token: str | None = None) -> Account:
    return Account(user.id, user.username, user.role, csrf_token,
                   user.email_confirmed_at is not None, user.language or "en")  # fmt: skip


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_username(username: str) -> str:
    if not _USERNAME.match(username or ""):
        raise InputError(
            f"username: {username!r} must be 2-80 letters, digits or . _ @ - (no spaces)"
        )
    return username


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password: at least {MIN_PASSWORD} characters, please")
    return password


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``, once it passes ``check_password``."""
    return _HASHER.hash(check_password(password))


def check_name_free(session: Session, username: str) -> None:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InputError(f"username: {username!r} is taken")


def stage_user(
    session: Session, username: str, password_hash: str, role: str, email: str | None,
    *, confirmed: bool, language: str,
) -> User:  # fmt: skip
    """Add a user inside the caller's transaction: nothing commits here, so a later step that
    fails (the sign-up's token) takes the account back with it. ``email`` is normalised
    already (``check_email``)."""
    check_name_free(session, username)
    if email and session.scalar(select(User.id).where(User.email == email)) is not None:
        raise InputError(f"email: {email!r} belongs to another account")
    # an account an administrator makes needs no e-mail confirmation
    now = _now()
    user = User(username=username, email=email, password_hash=password_hash, role=role,
                active=True, created_at=now, language=language,
                email_confirmed_at=now if confirmed else None)  # fmt: skip
    session.add(user)
    session.flush()
    return user


def add_user(
    registry: Registry, username: str, password: str, role: str = "viewer",
    email: str | None = None, *, confirmed: bool = True, language: str = "en",
) -> Account:  # fmt: skip
    """Create a user; InputError for a taken name, a bad role or a short password, FieldError
    for an address that is not one mailbox. ``confirmed=False`` (self-registration) leaves
    the e-mail address to be confirmed."""
    check_username(username)
    _check_role(role)
    address = check_email("email", email) if email and email.strip() else None
    hashed = hash_password(password)
    with registry.session() as session:
        user = stage_user(session, username, hashed, role, address, confirmed=confirmed,
                          language=language)  # fmt: skip
        return account_from(user)


def remove_user(registry: Registry, username: str) -> None:
    """Delete a user with their sessions and tokens."""
    with registry.session() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise NotFoundError(f"username: no user {username!r}")
        session.execute(delete(WebSession).where(WebSession.user_id == user_id))
        session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
        session.execute(delete(User).where(User.id == user_id))


def list_users(registry: Registry) -> list[dict[str, object]]:
    with registry.read() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        return [{"username": u.username, "role": u.role, "email": u.email,
                 "created_at": u.created_at} for u in users]  # fmt: skip


def create_token(registry: Registry, username: str, label: str = "script") -> str:
    """A new API token for ``username``: shown once, stored only as its digest."""
    token = "t2_" + secrets.token_urlsafe(32)
    with registry.session() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise NotFoundError(f"username: no user {username!r}")
        session.add(ApiToken(digest=digest(token), user_id=user_id, label=label[:100],
                             created_at=_now()))  # fmt: skip
    return token


def token_account(registry: Registry, token: str) -> Account | None:
    with registry.session() as session:
        found = session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id)
            .where(ApiToken.digest == digest(token), User.active.is_(True))
        ).first()  # fmt: skip
        if found is None:
            return None
        now = _now()
        # noted once an hour at most: a read with a token should not be a write every time
        if found[0].last_used_at is None or now - found[0].last_used_at > timedelta(hours=1):
            found[0].last_used_at = now
        return account_from(found[1])


# -- logging in ----------------------------------------------------------------------------------


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
        return LoginCheck(attempt, None, _DUMMY_HASH)
    return LoginCheck(attempt, user, user.password_hash)


def password_matches(hashed: str, password: str) -> bool:
    """The slow part (argon2: ~100 ms of CPU and 64 MiB); touches no database."""
    try:
        return bool(_HASHER.verify(hashed, password))
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
    now = _now()
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
            .where(WebSession.digest == digest(secret), WebSession.expires_at > _now(),
                   User.active.is_(True))
        ).first()  # fmt: skip
    if found is None:
        return None
    return account_from(found[1], found[0].csrf_token)


def end_session(registry: Registry, secret: str) -> None:
    with registry.session() as session:
        session.execute(delete(WebSession).where(WebSession.digest == digest(secret)))
