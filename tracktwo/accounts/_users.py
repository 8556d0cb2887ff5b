"""Users, their roles and password hashes, and their API tokens, on the registry database.

Roles are ordered: a *viewer* reads, an *editor* also changes the registry (accepts a
recommendation, logs an activity), an *admin* also manages users. Passwords are hashed with
argon2id (argon2-cffi's defaults); tokens are random and stored as digests.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracktwo._email import check_email
from tracktwo._errors import InputError, NotFoundError
from tracktwo.accounts._models import ROLES, ApiToken, User, WebSession, this_second
from tracktwo.bridges import Registry

__all__ = [
    "DUMMY_HASH",
    "HASHER",
    "MIN_PASSWORD",
    "Account",
    "account_from",
    "add_user",
    "check_name_free",
    "check_password",
    "check_username",
    "create_token",
    "digest",
    "hash_password",
    "list_users",
    "remove_user",
    "stage_user",
    "token_account",
]

HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,80}$")
MIN_PASSWORD = 10
# verifying against a real hash when the user does not exist takes as long as a wrong
# password, so response times do not tell which usernames exist
DUMMY_HASH = HASHER.hash("tracktwo-no-such-user")


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
    return HASHER.hash(check_password(password))


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
    now = this_second()
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
                             created_at=this_second()))  # fmt: skip
    return token


def token_account(registry: Registry, token: str) -> Account | None:
    with registry.session() as session:
        found = session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id)
            .where(ApiToken.digest == digest(token), User.active.is_(True))
        ).first()  # fmt: skip
        if found is None:
            return None
        now = this_second()
        # noted once an hour at most: a read with a token should not be a write every time
        if found[0].last_used_at is None or now - found[0].last_used_at > timedelta(hours=1):
            found[0].last_used_at = now
        return account_from(found[1])
