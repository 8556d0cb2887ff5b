"""Profiles: what an organisation or a person says about itself, and who manages it.

A profile is checked with the registry's own rules (kind, country, areas ...), so an approved
profile always makes a valid actor. Until a moderator approves it, only its managers and the
moderators see it. Once approved, a manager's change reaches the actor at once; the actor's
politicisation fields are the moderators' alone. Contact details are shown only to the
managers and to the other side of an accepted request.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from tracktwo._email import check_email
from tracktwo._errors import InputError, NotAllowedError, NotFoundError
from tracktwo.accounts import Account, User
from tracktwo.bridges import DOORS_TRACKS, Actor, Registry, clean_actor_fields, load_vocabulary
from tracktwo.doors._mail import Mailer
from tracktwo.doors._models import PartnershipRequest, Profile, ProfileManager
from tracktwo.doors._notify import deliver, notify, now
from tracktwo.doors._signup import require_confirmed

__all__ = [
    "ACTOR_SIDE",
    "PROFILE_FIELDS",
    "add_manager",
    "approved_by_country",
    "create_profile",
    "get_profile",
    "managed_profile",
    "managers_of",
    "moderators",
    "my_profiles",
    "notify_moderators",
    "profile_params",
    "search_profiles",
    "update_profile",
]

# the fields a manager writes; the first group is checked by the registry's actor rules
ACTOR_SIDE = ("name", "local_name", "kind", "country", "place", "areas_offered", "areas_needed")
PROFILE_FIELDS = (
    *ACTOR_SIDE,
    "description_en",
    "description_km",
    "website",
    "contact_email",
    "contact_phone",
)
CONTACT = ("contact_email", "contact_phone")
DESCRIPTION_LIMIT = 5000
_WEBSITE = re.compile(r"^https?://[^\s/<>\"']+\.[^\s<>\"']+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")


def _optional(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _check_extra(field: str, value: Any) -> str | None:
    text = _optional(value)
    if text is None:
        return None
    if field.startswith("description") and len(text) > DESCRIPTION_LIMIT:
        raise InputError(f"{field}: at most {DESCRIPTION_LIMIT} characters, not {len(text)}")
    if field == "website" and (len(text) > 300 or not _WEBSITE.match(text)):
        raise InputError(f"website: {text!r} is not a web address (https://...)")
    if field == "contact_email":
        return check_email(field, text)
    if field == "contact_phone" and not _PHONE.match(text):
        raise InputError(f"contact_phone: {text!r} is not a telephone number")
    return text


_ONE_LINE = ("name", "local_name", "place", "website", "contact_email", "contact_phone")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_profile(fields: dict[str, Any], *, complete: bool) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(PROFILE_FIELDS))
    for field in _ONE_LINE:
        # a name goes into e-mail subjects: a line break there would forge headers
        if isinstance(fields.get(field), str) and _CONTROL.search(fields[field]):
            raise InputError(f"{field}: one line of text, without control characters")
    if unknown:
        raise InputError(
            f"{unknown[0]}: not a field of a profile; the fields are {', '.join(PROFILE_FIELDS)}"
        )
    actor_side = {k: v for k, v in fields.items() if k in ACTOR_SIDE}
    if complete:
        for field in ("name", "country", "kind"):
            actor_side.setdefault(field, None)
    cleaned = clean_actor_fields(**actor_side)
    # cities and provinces are local government (their own track), and open doors as before
    if "kind" in cleaned and load_vocabulary().kinds[cleaned["kind"]] not in DOORS_TRACKS:
        raise InputError(
            f"kind: open doors is for people-to-people and local-government actors; a "
            f"{cleaned['kind']} is an official or political actor, entered in the registry by "
            "an editor"
        )
    for field in ("areas_offered", "areas_needed"):
        if complete:
            cleaned.setdefault(field, [])
    cleaned.update({k: _check_extra(k, v) for k, v in fields.items() if k not in ACTOR_SIDE})
    return cleaned


def moderators(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(User.id).where(User.role.in_(("moderator", "admin")), User.active.is_(True))
        )
    )


def profile_params(profile: Profile) -> dict[str, Any]:
    """A notice's params naming ``profile``: its name goes with its id (``_notify``)."""
    return {"profile": profile.name, "profile_id": profile.id}


def notify_moderators(
    session: Session, kind: str, profile: Profile, link: str = "/moderation"
) -> list[int]:
    """Inbox entries about ``profile`` for every moderator; their ids, for ``deliver``."""
    return notify(session, moderators(session), kind, profile_params(profile), link)


def managers_of(session: Session, profile_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ProfileManager.user_id).where(ProfileManager.profile_id == profile_id)
        )
    )


def _is_manager(session: Session, account: Account | None, profile_id: int) -> bool:
    if account is None:
        return False
    return bool(
        session.scalar(
            select(
                exists().where(
                    ProfileManager.profile_id == profile_id,
                    ProfileManager.user_id == account.user_id,
                )
            )
        )
    )


def managed_profile(session: Session, account: Account, profile_id: int) -> Profile:
    """The profile, if ``account`` manages it; otherwise NotAllowedError (or NotFoundError
    when it does not exist or is deleted)."""
    profile = session.get(Profile, profile_id)
    if profile is None or profile.status == "deleted":
        raise NotFoundError(f"profile_id: no profile with id {profile_id}")
    if not _is_manager(session, account, profile_id):
        raise NotAllowedError(f"profile_id: you do not manage profile {profile_id}")
    return profile


def _sees_contact(session: Session, account: Account | None, profile: Profile) -> bool:
    """A manager, or a manager of the other side of an accepted request with this profile."""
    if account is None:
        return False
    if _is_manager(session, account, profile.id):
        return True
    mine = select(ProfileManager.profile_id).where(ProfileManager.user_id == account.user_id)
    accepted = select(
        exists().where(
            PartnershipRequest.status == "accepted",
            or_(
                (PartnershipRequest.from_profile_id == profile.id)
                & PartnershipRequest.to_profile_id.in_(mine),
                (PartnershipRequest.to_profile_id == profile.id)
                & PartnershipRequest.from_profile_id.in_(mine),
            ),
        )
    )
    return bool(session.scalar(accepted))


def profile_dict(profile: Profile, *, contact: bool) -> dict[str, Any]:
    row = {
        c: getattr(profile, c)
        for c in (
            "id",
            "actor_id",
            "status",
            *PROFILE_FIELDS,
            "created_at",
            "updated_at",
            "approved_at",
        )
    }
    if not contact:
        for field in CONTACT:
            row[field] = None
    row["contact_shown"] = contact
    return row


def get_profile(registry: Registry, profile_id: int, viewer: Account | None) -> dict[str, Any]:
    """A profile as ``viewer`` may see it: approved ones for everyone, others only for their
    managers and the moderators; contact details only for those who may have them."""
    with registry.read() as session:
        profile = session.get(Profile, profile_id)
        if profile is None or profile.status == "deleted":
            raise NotFoundError(f"profile_id: no profile with id {profile_id}")
        manager = _is_manager(session, viewer, profile_id)
        moderator = viewer is not None and viewer.can("moderator")
        if profile.status != "approved" and not (manager or moderator):
            raise NotFoundError(f"profile_id: no profile with id {profile_id}")
        row = profile_dict(profile, contact=_sees_contact(session, viewer, profile))
        row["managed"] = manager
        if manager or moderator:
            row["managers"] = list(
                session.scalars(
                    select(User.username)
                    .join(ProfileManager, ProfileManager.user_id == User.id)
                    .where(ProfileManager.profile_id == profile_id)
                    .order_by(User.username)
                )
            )
        if profile.actor_id is not None:
            actor = session.get(Actor, profile.actor_id)
            row["politicised"] = bool(actor and actor.politicised)
            row["funded_by"] = actor.funded_by if actor else None
            row["stance"] = actor.stance if actor else None
        return row


def create_profile(
    registry: Registry, mailer: Mailer | None, account: Account, **fields: Any
) -> dict[str, Any]:
    """A pending profile managed by ``account``; the moderators are told."""
    require_confirmed(account)
    values = clean_profile(fields, complete=True)
    made = now()
    with registry.session() as session:
        profile = Profile(
            status="pending", created_by=account.user_id, created_at=made, updated_at=made, **values
        )
        session.add(profile)
        session.flush()
        session.add(ProfileManager(profile_id=profile.id, user_id=account.user_id, added_at=made))
        notices = notify_moderators(session, "profile_waiting", profile)
        row = profile_dict(profile, contact=True)
    deliver(registry, mailer, notices)
    return row


def sync_actor(session: Session, profile: Profile) -> Actor:
    """Write the profile's public side into its actor (made on first approval)."""
    description = "\n\n".join(t for t in (profile.description_en, profile.description_km) if t)
    values = {field: getattr(profile, field) for field in ACTOR_SIDE}
    values.update(
        description=description or None,
        web_domain=(profile.website or "").split("//")[-1].split("/")[0] or None,
    )
    actor = session.get(Actor, profile.actor_id) if profile.actor_id else None
    if actor is None:
        actor = Actor(**values)
        session.add(actor)
        session.flush()
        profile.actor_id = actor.id
    else:
        for field, value in values.items():
            setattr(actor, field, value)
    return actor


def update_profile(
    registry: Registry, mailer: Mailer | None, account: Account, profile_id: int, **changes: Any
) -> dict[str, Any]:
    """A manager's change; on an approved profile it reaches the registry's actor at once."""
    require_confirmed(account)
    values = clean_profile(changes, complete=False)
    if not values:
        raise InputError("changes: give at least one field to change")
    with registry.session() as session:
        profile = managed_profile(session, account, profile_id)
        if (
            profile.status == "approved"
            and "country" in values
            and values["country"] != profile.country
        ):
            raise InputError(
                "country: an approved profile keeps its country (its ties cross "
                "that border); register a new profile instead"
            )
        for field, value in values.items():
            setattr(profile, field, value)
        profile.updated_at = now()
        notices: list[int] = []
        if profile.status == "approved":
            sync_actor(session, profile)
            # a change goes live at once; the moderators are told, so they can look again
            link = f"/doors/profiles/{profile_id}"
            notices = notify_moderators(session, "profile_changed", profile, link)
        session.flush()
        row = profile_dict(profile, contact=True)
    deliver(registry, mailer, notices)
    return row


def add_manager(
    registry: Registry, mailer: Mailer | None, account: Account, profile_id: int, username: str
) -> dict[str, Any]:
    """Let another confirmed user manage the profile too."""
    require_confirmed(account)
    with registry.session() as session:
        profile = managed_profile(session, account, profile_id)
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is None or user.email_confirmed_at is None:
            raise NotFoundError(f"username: no confirmed user {username!r}")
        if user.id in managers_of(session, profile_id):
            raise InputError(f"username: {username} manages this profile already")
        session.add(ProfileManager(profile_id=profile_id, user_id=user.id, added_at=now()))
        notices = notify(
            session,
            [user.id],
            "manager_added",
            profile_params(profile),
            f"/doors/profiles/{profile_id}",
        )
    deliver(registry, mailer, notices)
    return {"profile_id": profile_id, "manager": username}


def my_profiles(registry: Registry, account: Account) -> list[dict[str, Any]]:
    with registry.read() as session:
        profiles = session.scalars(
            select(Profile)
            .join(ProfileManager, ProfileManager.profile_id == Profile.id)
            .where(ProfileManager.user_id == account.user_id, Profile.status != "deleted")
            .order_by(Profile.id)
        ).all()
        return [profile_dict(p, contact=True) for p in profiles]


def approved_by_country(registry: Registry) -> dict[str, int]:
    """How many approved profiles each country has."""
    with registry.read() as session:
        rows = session.execute(
            select(Profile.country, func.count(Profile.id))
            .where(Profile.status == "approved").group_by(Profile.country)
        ).all()  # fmt: skip
    return {str(country): int(count) for country, count in sorted(rows)}


def search_profiles(
    registry: Registry,
    country: str | None = None,
    area: str | None = None,
    text: str | None = None,
    kind: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Approved profiles, newest approvals last, filtered by country, area (offered or
    needed), kind and a word in either name or description."""
    query = select(Profile).where(Profile.status == "approved").order_by(Profile.id)
    if country:
        query = query.where(Profile.country == country.strip().upper())
    if kind:
        query = query.where(Profile.kind == kind.strip().lower())
    with registry.read() as session:
        rows = [profile_dict(p, contact=False) for p in session.scalars(query)]
    if area:
        rows = [r for r in rows if area in r["areas_offered"] or area in r["areas_needed"]]
    if text:
        word = text.casefold()
        rows = [
            r
            for r in rows
            if any(
                word in (r[f] or "").casefold()
                for f in ("name", "local_name", "description_en", "description_km", "place")
            )
        ]
    return rows[:limit]
