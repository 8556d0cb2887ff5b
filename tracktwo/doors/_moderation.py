"""Trust: moderators approve profiles and rule on flags; every decision is logged.

Anyone with a confirmed account may flag an approved profile as politicised, with a reason.
A moderator who upholds the flag says how (``funded_by``: the government that funds it;
``stance``: hostile to or aligned with a government), and those go into the actor's
politicisation fields, which the scorecard counts and the recommender's portfolio and the
doors' suggestions leave out. A moderator may also clear them. Each decision writes one
log entry (who, when, what, why), which admins read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracktwo._errors import ConflictError, InputError, LimitError, NotAllowedError, NotFoundError
from tracktwo.accounts import Account
from tracktwo.bridges import STANCES, Actor, Registry, clean_actor_fields
from tracktwo.doors._mail import Mailer
from tracktwo.doors._models import Flag, ModerationEntry, Profile
from tracktwo.doors._notify import deliver, notify, now
from tracktwo.doors._profiles import (
    managers_of,
    notify_moderators,
    profile_dict,
    profile_params,
    sync_actor,
)
from tracktwo.doors._signup import require_confirmed

__all__ = [
    "FLAG_OUTCOMES",
    "decide_profile",
    "flag_profile",
    "moderation_log",
    "moderation_queue",
    "rule_on_flag",
]

FLAG_OUTCOMES = ("upheld", "dismissed", "cleared")
REASON_LIMIT = 2000


def _moderator(account: Account | None) -> Account:
    if account is None or not account.can("moderator"):
        raise NotAllowedError("only a moderator may decide this")
    return account


def _reason(value: str | None, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InputError("reason: say why, in a few words (it goes into the moderation log)")
    if len(text) > REASON_LIMIT:
        raise InputError(f"reason: at most {REASON_LIMIT} characters, not {len(text)}")
    return text


def _log(
    session: Session,
    who: Account,
    action: str,
    reason: str,
    *,
    profile_id: int,
    flag_id: int | None = None,
    outcome: dict[str, Any] | None = None,
) -> None:
    session.add(
        ModerationEntry(
            moderator_id=who.user_id,
            moderator=who.username,
            action=action,
            profile_id=profile_id,
            flag_id=flag_id,
            outcome=outcome or {},
            reason=reason,
            decided_at=now(),
        )
    )


def moderation_queue(registry: Registry, account: Account | None) -> dict[str, Any]:
    """What waits for a moderator: pending profiles and open flags, oldest first."""
    _moderator(account)
    with registry.read() as session:
        pending = session.scalars(
            select(Profile).where(Profile.status == "pending").order_by(Profile.id)
        ).all()
        flags = session.execute(
            select(Flag, Profile.name, Profile.country)
            .join(Profile, Profile.id == Flag.profile_id)
            .where(Flag.status == "open")
            .order_by(Flag.id)
        ).all()
        return {
            "profiles": [profile_dict(p, contact=False) for p in pending],
            "flags": [
                {
                    "id": f.id,
                    "profile_id": f.profile_id,
                    "profile": name,
                    "country": country,
                    "reason": f.reason,
                    "created_at": f.created_at,
                }
                for f, name, country in flags
            ],
        }


def decide_profile(
    registry: Registry,
    mailer: Mailer | None,
    account: Account | None,
    profile_id: int,
    approve: bool,
    reason: str | None = None,
) -> dict[str, Any]:
    """Approve a pending profile (its actor enters the registry) or reject it (a reason is
    then required); its managers are told either way."""
    who = _moderator(account)
    why = _reason(reason, required=not approve)
    with registry.session() as session:
        profile = session.get(Profile, profile_id, with_for_update=True)
        if profile is None or profile.status == "deleted":
            raise NotFoundError(f"profile_id: no profile with id {profile_id}")
        if profile.status != "pending":
            raise ConflictError(f"profile_id: profile {profile_id} is {profile.status} already")
        profile.status = "approved" if approve else "rejected"
        if approve:
            profile.approved_at = now()
            sync_actor(session, profile)
        _log(
            session,
            who,
            "approve_profile" if approve else "reject_profile",
            why,
            profile_id=profile_id,
            outcome={"status": profile.status},
        )
        kind = "profile_approved" if approve else "profile_rejected"
        notices = notify(
            session,
            managers_of(session, profile_id),
            kind,
            {**profile_params(profile), "reason": why},
            f"/doors/profiles/{profile_id}",
        )
        row = profile_dict(profile, contact=False)
    deliver(registry, mailer, notices)
    return row


def flag_profile(
    registry: Registry,
    mailer: Mailer | None,
    account: Account | None,
    profile_id: int,
    reason: str,
    per_day: int = 10,
) -> dict[str, Any]:
    """Report an approved profile as politicised; at most ``per_day`` flags a day each."""
    who = require_confirmed(account)
    why = _reason(reason)
    with registry.session() as session:
        profile = session.get(Profile, profile_id)
        if profile is None or profile.status != "approved":
            raise NotFoundError(f"profile_id: no approved profile with id {profile_id}")
        # the flag is written first, then counted: on SQLite the write takes the database
        # lock, on PostgreSQL the count sees rows committed by other workers
        flag = Flag(
            profile_id=profile_id,
            flagged_by=who.user_id,
            reason=why,
            status="open",
            created_at=now(),
        )
        session.add(flag)
        session.flush()
        since = now() - timedelta(days=1)
        recent = (
            session.scalar(
                select(func.count(Flag.id)).where(
                    Flag.flagged_by == who.user_id, Flag.created_at > since
                )
            )
            or 0
        )
        if recent > per_day:
            raise LimitError(
                f"you have flagged {per_day} profiles in the last 24 hours, the "
                "most allowed: try again tomorrow"
            )
        notices = notify_moderators(session, "flag_raised", profile)
        row = {"id": flag.id, "profile_id": profile_id, "status": "open", "reason": why}
    deliver(registry, mailer, notices)
    return row


def _politicisation(funded_by: str | None, stance: str | None) -> dict[str, str | None]:
    cleaned = clean_actor_fields(funded_by=funded_by or None, stance=stance or None)
    return {"funded_by": cleaned["funded_by"], "stance": cleaned["stance"]}


def rule_on_flag(
    registry: Registry,
    mailer: Mailer | None,
    account: Account | None,
    flag_id: int,
    outcome: str,
    reason: str,
    funded_by: str | None = None,
    stance: str | None = None,
) -> dict[str, Any]:
    """``upheld``: the actor is politicised (``funded_by`` and/or ``stance`` say how);
    ``dismissed``: nothing changes; ``cleared``: the actor's politicisation fields are
    emptied (a mistaken earlier ruling)."""
    who = _moderator(account)
    why = _reason(reason)
    if outcome not in FLAG_OUTCOMES:
        raise InputError(f"outcome: {outcome!r} is not one of {', '.join(FLAG_OUTCOMES)}")
    fields = _politicisation(funded_by, stance) if outcome == "upheld" else {}
    if outcome == "upheld" and not any(fields.values()):
        raise InputError(
            f"funded_by: say which government funds it, or give a stance "
            f"({', '.join(STANCES)}), to uphold a flag"
        )
    if outcome == "cleared":
        fields = {"funded_by": None, "stance": None}
    with registry.session() as session:
        flag = session.get(Flag, flag_id, with_for_update=True)
        if flag is None:
            raise NotFoundError(f"flag_id: no flag with id {flag_id}")
        if flag.status != "open":
            raise ConflictError(f"flag_id: flag {flag_id} was {flag.status} already")
        profile = session.get(Profile, flag.profile_id)
        assert profile is not None
        flag.status = outcome
        flag.decided_at = now()
        if fields and profile.actor_id is not None:
            actor = session.get(Actor, profile.actor_id)
            for field, value in fields.items():
                setattr(actor, field, value)
        _log(
            session,
            who,
            f"flag_{outcome}",
            why,
            profile_id=profile.id,
            flag_id=flag_id,
            outcome=fields,
        )
        kind = "flag_upheld" if outcome == "upheld" else "flag_dismissed"
        notices = notify(
            session,
            [flag.flagged_by] if flag.flagged_by else [],
            kind,
            profile_params(profile),
            f"/doors/profiles/{profile.id}",
        )
        row = {"flag_id": flag_id, "status": flag.status, "profile_id": profile.id, **fields}
    deliver(registry, mailer, notices)
    return row


def moderation_log(registry: Registry, account: Account | None) -> list[dict[str, Any]]:
    """Every decision, newest first: for admins."""
    if account is None or not account.can("admin"):
        raise NotAllowedError("only an admin may read the moderation log")
    with registry.read() as session:
        rows = session.execute(
            select(ModerationEntry, Profile.name)
            .outerjoin(Profile, Profile.id == ModerationEntry.profile_id)
            .order_by(ModerationEntry.id.desc())
        ).all()
    return [
        {
            "id": e.id,
            "decided_at": e.decided_at,
            "moderator": e.moderator,
            "action": e.action,
            "profile_id": e.profile_id,
            "profile": name,
            "flag_id": e.flag_id,
            "outcome": e.outcome,
            "reason": e.reason,
        }
        for e, name in rows
    ]
