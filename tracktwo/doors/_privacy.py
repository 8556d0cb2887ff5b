"""A person's data: everything tracktwo holds about them, to take away or to delete.

Deleting an account removes the person: their user row, sessions, tokens, inbox, e-mail
tokens, digest claims, and their name from requests and flags. A profile they alone manage is
deleted too: its text and contact details are erased and its actor keeps only what the
scorecard counts (country, kind, areas), under a neutral name, with its ties marked
``anonymised``. The ties stay, so the history of the relationship stays true. A profile
someone else also manages stays with them. Other people's inbox entries, flags and moderation
reasons that named the person or the deleted profiles are rewritten
(``tracktwo.doors._forget``), all in the one transaction that deletes the user row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from tracktwo._errors import InputError, NotFoundError
from tracktwo.accounts import (
    DELETION,
    Account,
    ApiToken,
    LoginAttempt,
    LoginLimit,
    User,
    WebSession,
    check_login,
)
from tracktwo.bridges import Actor, Registry, Tie
from tracktwo.doors._forget import Forget
from tracktwo.doors._models import (
    DigestSent,
    EmailToken,
    Flag,
    ModerationEntry,
    Notification,
    PartnershipRequest,
    Profile,
    ProfileManager,
)
from tracktwo.doors._profiles import PROFILE_FIELDS, managers_of

__all__ = ["account_details", "delete_account", "export_account"]


def _rows(session: Session, model: Any, *where: Any) -> list[dict[str, Any]]:
    columns = [c.key for c in model.__table__.columns]
    return [
        {c: getattr(r, c) for c in columns} for r in session.scalars(select(model).where(*where))
    ]


def _details(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "language": user.language,
        "created_at": user.created_at,
        "email_confirmed_at": user.email_confirmed_at,
    }


def account_details(registry: Registry, account: Account) -> dict[str, Any]:
    """The account itself: username, e-mail, role, language, when made and confirmed."""
    with registry.read() as session:
        user = session.get(User, account.user_id)
        assert user is not None
        return _details(user)


def export_account(registry: Registry, account: Account) -> dict[str, Any]:
    """Everything about the person, as plain data (the web app offers it as a JSON file)."""
    with registry.read() as session:
        user = session.get(User, account.user_id)
        assert user is not None
        managed = select(ProfileManager.profile_id).where(ProfileManager.user_id == user.id)
        return {
            "account": _details(user),
            "profiles": _rows(session, Profile, Profile.id.in_(managed)),
            "requests": _rows(
                session,
                PartnershipRequest,
                or_(
                    PartnershipRequest.sender_id == user.id,
                    PartnershipRequest.from_profile_id.in_(managed),
                    PartnershipRequest.to_profile_id.in_(managed),
                ),
            ),
            "flags_raised": _rows(session, Flag, Flag.flagged_by == user.id),
            "moderation_decisions": _rows(
                session, ModerationEntry, ModerationEntry.moderator_id == user.id
            ),
            "inbox": _rows(session, Notification, Notification.user_id == user.id),
        }


def _anonymise(session: Session, profile: Profile) -> None:
    for field in PROFILE_FIELDS:
        if field not in ("kind", "country", "areas_offered", "areas_needed"):
            setattr(profile, field, None)
    profile.name = f"deleted profile {profile.id}"
    profile.status = "deleted"
    if profile.actor_id is not None:
        actor = session.get(Actor, profile.actor_id)
        if actor is not None:
            actor.name = f"anonymised {actor.kind} ({actor.country})"
            for field in (
                "local_name",
                "place",
                "description",
                "web_domain",
                "latitude",
                "longitude",
                "wikidata_id",
                "geonames_id",
            ):
                setattr(actor, field, None)
            actor.alt_names = []
        session.execute(
            update(Tie)
            .where(or_(Tie.actor_a_id == profile.actor_id, Tie.actor_b_id == profile.actor_id))
            .values(anonymised=True, version=Tie.version + 1)
        )
    # messages written to or by the profile may name people
    session.execute(
        update(PartnershipRequest)
        .where(
            or_(
                PartnershipRequest.from_profile_id == profile.id,
                PartnershipRequest.to_profile_id == profile.id,
            )
        )
        .values(message=None)
    )


def delete_account(
    registry: Registry, account: Account, password: str, limit: LoginLimit | None = None
) -> dict[str, int]:
    """Delete the account after checking its password; counts of what went. A wrong password
    counts for the login limiter (``limit``), which refuses further tries with LoginLimitError
    for a while (``tracktwo.accounts.LoginLimit``) without locking the owner's logins."""
    if check_login(registry, account.username, password, DELETION, limit) is None:
        raise InputError("password: wrong password; the account is unchanged")
    # one transaction: the profiles, the others' rows that name the person and the user row
    # go together, or nothing does
    with registry.session() as session:
        user = session.get(User, account.user_id, with_for_update=True)
        if user is None:
            raise NotFoundError(f"username: no user {account.username!r}")
        forget = Forget(session, user.id, user.username, user.email)
        counts = _delete_profiles(session, user.id, forget)
        forget.rewrite()
        _delete_user(session, user.id)
        # the limiter's record of wrong passwords names the person too
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == user.username))
    return counts


def _delete_profiles(session: Session, user_id: int, forget: Forget) -> dict[str, int]:
    """Anonymise the profiles only ``user_id`` manages; leave the others to their managers."""
    counts = {"profiles_deleted": 0, "profiles_left_to_others": 0}
    # locked first: an inbox entry written meanwhile waits (notify reads names FOR SHARE),
    # then reads the anonymised name; NO KEY UPDATE leaves foreign-key checks unblocked
    managed = session.scalars(
        select(Profile)
        .join(ProfileManager, ProfileManager.profile_id == Profile.id)
        .where(ProfileManager.user_id == user_id)
        .order_by(Profile.id)
        .with_for_update(of=Profile, key_share=True)
    ).all()
    for profile in managed:
        if set(managers_of(session, profile.id)) - {user_id}:
            counts["profiles_left_to_others"] += 1
        else:
            forget.profile(profile)
            _anonymise(session, profile)
            counts["profiles_deleted"] += 1
    return counts


def _delete_user(session: Session, user_id: int) -> None:
    """The person's own rows go; rows of others keep no pointer to them."""
    session.execute(
        update(PartnershipRequest)
        .where(PartnershipRequest.sender_id == user_id)
        .values(message=None)
    )
    for model, column in (
        (Flag, Flag.flagged_by),
        (PartnershipRequest, PartnershipRequest.sender_id),
        (PartnershipRequest, PartnershipRequest.answered_by),
        (Profile, Profile.created_by),
        (ModerationEntry, ModerationEntry.moderator_id),
    ):
        session.execute(update(model).where(column == user_id).values({column: None}))
    owned: tuple[tuple[type[Any], Any], ...] = (
        (EmailToken, EmailToken.user_id),
        (ProfileManager, ProfileManager.user_id),
        (Notification, Notification.user_id),
        (DigestSent, DigestSent.user_id),
        (WebSession, WebSession.user_id),
        (ApiToken, ApiToken.user_id),
        (User, User.id),
    )
    for table, owner in owned:
        session.execute(delete(table).where(owner == user_id))
