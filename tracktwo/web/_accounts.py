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
from sqlalchemy import delete, func, select

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges._registry import Registry
from tracktwo.web._models import ROLES, ApiToken, LoginAttempt, User, WebSession

__all__ = [
    "Account",
    "LoginLimit",
    "account_from",
    "add_user",
    "check_login",
    "check_password",
    "check_username",
    "create_token",
    "end_session",
    "list_users",
    "remove_user",
    "session_account",
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


@dataclass(frozen=True)
class LoginLimit:
    failures: int = 5
    failures_per_address: int = 20
    window_minutes: int = 15


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


def add_user(
    registry: Registry, username: str, password: str, role: str = "viewer",
    email: str | None = None, *, confirmed: bool = True, language: str = "en",
) -> Account:  # fmt: skip
    """Create a user; InputError for a taken name, a bad role or a short password.
    ``confirmed=False`` (self-registration) leaves the e-mail address to be confirmed."""
    check_username(username)
    _check_role(role)
    check_password(password)
    email = email.strip().lower() if email else None
    with registry.session() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise InputError(f"username: {username!r} is taken")
        if email and session.scalar(select(User.id).where(User.email == email)) is not None:
            raise InputError(f"email: {email!r} belongs to another account")
        # an account an administrator makes needs no e-mail confirmation
        now = _now()
        user = User(username=username, email=email, password_hash=_HASHER.hash(password),
                    role=role, active=True, created_at=now, language=language,
                    email_confirmed_at=now if confirmed else None)  # fmt: skip
        session.add(user)
        session.flush()
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


def _recent_failures(registry: Registry, username: str, address: str, since: datetime) -> tuple:
    with registry.read() as session:
        recent = LoginAttempt.attempted_at >= since
        count = select(func.count()).select_from(LoginAttempt).where(recent)
        by_name = session.scalar(count.where(LoginAttempt.username == username)) or 0
        by_address = session.scalar(count.where(LoginAttempt.address == address)) or 0
        return by_name, by_address


def login_locked(registry: Registry, username: str, address: str, limit: LoginLimit) -> bool:
    """Too many recent failures for this account or from this address."""
    since = _now() - timedelta(minutes=limit.window_minutes)
    by_name, by_address = _recent_failures(registry, username, address, since)
    return by_name >= limit.failures or by_address >= limit.failures_per_address


def check_login(registry: Registry, username: str, password: str, address: str) -> Account | None:
    """The account if the password is right; a failure is recorded for the login limit."""
    with registry.read() as session:
        user = session.scalar(select(User).where(User.username == username))
    hashed = user.password_hash if user is not None and user.active else _DUMMY_HASH
    try:
        _HASHER.verify(hashed, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        with registry.session() as session:
            session.add(LoginAttempt(username=username[:80], address=address[:64],
                                     attempted_at=_now()))  # fmt: skip
        return None
    return account_from(user)


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
