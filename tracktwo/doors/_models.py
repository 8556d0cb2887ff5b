"""The tables of open doors (migration 0005), on the registry database.

A *profile* is what a person registers for their organisation or themselves. It waits as
``pending`` until a moderator approves it; approval writes its actor into the registry, so
unapproved profiles never reach the scorecard, the recommender or the public pages. Managers
are the users who may change a profile and speak for it; a profile may have several, and a
person may manage several profiles.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracktwo.bridges import Base

__all__ = [
    "PROFILE_STATUSES",
    "REQUEST_STATUSES",
    "DigestSent",
    "EmailToken",
    "Flag",
    "ModerationEntry",
    "Notification",
    "PartnershipRequest",
    "Profile",
    "ProfileManager",
    "SignUpRecord",
]

PROFILE_STATUSES = ("pending", "approved", "rejected", "deleted")
# "expired" is never stored: a pending request past its expiry reads as expired
REQUEST_STATUSES = ("pending", "accepted", "declined", "withdrawn", "expired")


def _user(*, required: bool = True) -> Any:
    target = ForeignKey("users.id", ondelete="CASCADE" if required else "SET NULL")
    return mapped_column(Integer, target, nullable=not required, index=True)


class Profile(Base):
    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(300))
    local_name: Mapped[str | None] = mapped_column(String(300))  # e.g. in Khmer script
    kind: Mapped[str] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(3), index=True)
    place: Mapped[str | None] = mapped_column(String(300))
    areas_offered: Mapped[list[str]] = mapped_column(JSON, default=list)
    areas_needed: Mapped[list[str]] = mapped_column(JSON, default=list)
    description_en: Mapped[str | None] = mapped_column(Text)
    description_km: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(300))
    # shown only to the other side of an accepted request
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[int | None] = _user(required=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)


class ProfileManager(Base):
    __tablename__ = "profile_managers"
    __table_args__ = (UniqueConstraint("profile_id", "user_id", name="uq_profile_managers"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    user_id: Mapped[int] = _user()
    added_at: Mapped[datetime] = mapped_column(DateTime)


class PartnershipRequest(Base):
    __tablename__ = "partnership_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    to_profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[int | None] = _user(required=False)
    channel: Mapped[str] = mapped_column(String(40))
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    tie_id: Mapped[int | None] = mapped_column(ForeignKey("ties.id", ondelete="SET NULL"))


class Flag(Base):
    """Someone's report that a profile is a political instrument, and its state."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    flagged_by: Mapped[int | None] = _user(required=False)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # open | upheld | dismissed | cleared
    created_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)


class ModerationEntry(Base):
    """One decision: who, when, what, why. The moderator's name is kept as text so the log
    stays readable after their account is gone."""

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    moderator: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"))
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id", ondelete="SET NULL"))
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime)


class Notification(Base):
    """An inbox entry. Its words are drawn at reading time from ``kind`` and ``params``, in
    the reader's language of the moment."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user()
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    mail: Mapped[str] = mapped_column(String(20))  # sent | failed | off | pending


class EmailToken(Base):
    __tablename__ = "email_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = _user()
    purpose: Mapped[str] = mapped_column(String(20))  # confirm
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class DigestSent(Base):
    __tablename__ = "digests_sent"
    __table_args__ = (UniqueConstraint("user_id", "month", name="uq_digests_sent"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    sent_at: Mapped[datetime] = mapped_column(DateTime)


class SignUpRecord(Base):
    """One sign-up attempt from a client address: counted for the daily limit, swept after a
    day (an address is personal data, kept no longer than the limit needs)."""

    __tablename__ = "signups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
