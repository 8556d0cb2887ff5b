"""The account tables: users, their browser sessions, API tokens and login attempts.

They live in the registry database next to actors and ties (migration 0004), so every app
worker sees the same sessions and the same login limits: nothing is kept in process memory.
Session ids and API tokens are stored only as SHA-256 digests: they are 256-bit random
values, so a fast digest is enough (passwords, being guessable, get argon2 instead).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracktwo.bridges import Base

__all__ = ["ROLES", "ApiToken", "LoginAttempt", "User", "WebSession", "this_second"]

# in order: each role may do what the ones before it may. A moderator also approves
# self-registered profiles and rules on flags; an admin also reads the moderation log.
ROLES = ("viewer", "editor", "moderator", "admin")


def this_second() -> datetime:
    """Now, to the second: the precision of every time stamp stored here."""
    return datetime.now().replace(microsecond=0)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # None until the owner follows the link e-mailed at sign-up (migration 0005)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    language: Mapped[str] = mapped_column(String(8), default="en")


class _UserSecret:
    """A secret of one user (a session or a token): found by its digest, gone with the user."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class WebSession(_UserSecret, Base):
    __tablename__ = "web_sessions"

    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class ApiToken(_UserSecret, Base):
    __tablename__ = "api_tokens"

    label: Mapped[str] = mapped_column(String(100))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginAttempt(Base):
    """One failed login: counted per account and per client address within a window."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime, index=True)
