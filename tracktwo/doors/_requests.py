"""Asking a partner: partnership requests between approved profiles of two countries.

A manager of an approved profile asks an approved profile across the border (a channel, the
areas, a message). A manager of the other side accepts or declines. Accepting writes an
*active* tie into the registry in the same transaction, so the scorecard counts it at once,
and the managers of both sides may then log activities on it. A pending request expires after
``rules.request_days``; nobody sends more than ``rules.requests_per_day`` in 24 hours.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from tracktwo._errors import ConflictError, InputError, LimitError, NotAllowedError, NotFoundError
from tracktwo.accounts import Account, User
from tracktwo.bridges import Registry, Tie, clean_actor_fields, load_vocabulary, log_activity
from tracktwo.doors._mail import Mailer
from tracktwo.doors._models import PartnershipRequest, Profile, ProfileManager
from tracktwo.doors._notify import deliver, notify, now
from tracktwo.doors._profiles import managed_profile, managers_of, profile_dict
from tracktwo.doors._rules import DoorsRules
from tracktwo.doors._signup import require_confirmed

__all__ = [
    "DoorsRules",
    "answer_request",
    "get_request",
    "log_party_activity",
    "my_requests",
    "send_request",
    "withdraw_request",
]

MESSAGE_LIMIT = 3000


def effective_status(request: PartnershipRequest, at: datetime) -> str:
    if request.status == "pending" and request.expires_at <= at:
        return "expired"
    return request.status


def _approved(session: Session, profile_id: int, field: str) -> Profile:
    profile = session.get(Profile, profile_id)
    if profile is None or profile.status != "approved":
        raise NotFoundError(f"{field}: no approved profile with id {profile_id}")
    return profile


def _check_pair(session: Session, sender: Profile, target: Profile, at: datetime) -> None:
    if sender.country == target.country:
        raise InputError(
            f"to_profile_id: both profiles are in {sender.country}; ask a partner across the border"
        )
    between = or_(
        (PartnershipRequest.from_profile_id == sender.id)
        & (PartnershipRequest.to_profile_id == target.id),
        (PartnershipRequest.from_profile_id == target.id)
        & (PartnershipRequest.to_profile_id == sender.id),
    )
    open_one = session.scalar(
        select(PartnershipRequest.id).where(
            between, PartnershipRequest.status == "pending", PartnershipRequest.expires_at > at
        )
    )
    if open_one is not None:
        raise ConflictError(
            f"to_profile_id: request {open_one} between these two is still waiting for an answer"
        )


def _check_terms(channel: str, areas: list[str] | str, message: str | None) -> dict[str, Any]:
    vocabulary = load_vocabulary()
    try:
        chosen = vocabulary.channel(channel or "")
    except InputError as exc:
        raise InputError(f"channel: {exc}") from exc
    cleaned = clean_actor_fields(areas_offered=areas)["areas_offered"]
    text = (message or "").strip() or None
    if text and len(text) > MESSAGE_LIMIT:
        raise InputError(f"message: at most {MESSAGE_LIMIT} characters, not {len(text)}")
    return {"channel": chosen, "areas": cleaned, "message": text}


def _count_recent(session: Session, user_id: int, at: datetime) -> int:
    return int(
        session.scalar(
            select(func.count(PartnershipRequest.id)).where(
                PartnershipRequest.sender_id == user_id,
                PartnershipRequest.created_at > at - timedelta(days=1),
            )
        )
        or 0
    )


def send_request(
    registry: Registry,
    mailer: Mailer | None,
    account: Account | None,
    from_profile_id: int,
    to_profile_id: int,
    channel: str,
    areas: list[str] | str | None = None,
    message: str | None = None,
    rules: DoorsRules = DoorsRules(),
    at: datetime | None = None,
) -> dict[str, Any]:
    """Ask ``to_profile_id`` for a partnership on behalf of ``from_profile_id``."""
    who = require_confirmed(account)
    terms = _check_terms(channel, areas or [], message)
    made = at or now()
    with registry.session() as session:
        # PostgreSQL: one sender's requests are counted one at a time (a row lock on the
        # user); SQLite: the insert below takes the database lock before the count
        session.execute(select(User.id).where(User.id == who.user_id).with_for_update())
        sender = managed_profile(session, who, from_profile_id)
        if sender.status != "approved":
            raise NotAllowedError(
                f"from_profile_id: profile {from_profile_id} is "
                f"{sender.status}; a moderator must approve it before it can "
                "ask anyone",
                "not_approved",
            )
        target = _approved(session, to_profile_id, "to_profile_id")
        _check_pair(session, sender, target, made)
        request = PartnershipRequest(
            from_profile_id=sender.id,
            to_profile_id=target.id,
            sender_id=who.user_id,
            status="pending",
            created_at=made,
            expires_at=made + timedelta(days=rules.request_days),
            **terms,
        )
        session.add(request)
        session.flush()
        if _count_recent(session, who.user_id, made) > rules.requests_per_day:
            raise LimitError(
                f"you have sent {rules.requests_per_day} partnership requests in "
                "the last 24 hours, the most allowed: try again tomorrow"
            )
        notices = notify(
            session,
            managers_of(session, target.id),
            "request_received",
            _pair_params(sender, target),
            f"/doors/requests/{request.id}",
        )
        row = _request_dict(request, sender, target, now())
    deliver(registry, mailer, notices)
    return row


def _pair_params(sender: Profile, target: Profile) -> dict[str, Any]:
    """A notice's params naming both sides of a request, each name with its id (``_notify``)."""
    return {
        "from_profile": sender.name,
        "from_profile_id": sender.id,
        "to_profile": target.name,
        "to_profile_id": target.id,
    }


def _request_dict(
    request: PartnershipRequest, sender: Profile, target: Profile, at: datetime
) -> dict[str, Any]:
    return {
        "id": request.id,
        "from_profile_id": sender.id,
        "from_profile": sender.name,
        "from_country": sender.country,
        "to_profile_id": target.id,
        "to_profile": target.name,
        "to_country": target.country,
        "channel": request.channel,
        "areas": request.areas,
        "message": request.message,
        "status": effective_status(request, at),
        "created_at": request.created_at,
        "expires_at": request.expires_at,
        "answered_at": request.answered_at,
        "tie_id": request.tie_id,
    }


def _party_request(
    session: Session, account: Account, request_id: int
) -> tuple[PartnershipRequest, Profile, Profile, set[int]]:
    request = session.get(PartnershipRequest, request_id)
    if request is None:
        raise NotFoundError(f"request_id: no request with id {request_id}")
    mine = set(
        session.scalars(
            select(ProfileManager.profile_id).where(ProfileManager.user_id == account.user_id)
        )
    )
    if not mine & {request.from_profile_id, request.to_profile_id}:
        raise NotAllowedError(
            f"request_id: request {request_id} is between two profiles you do not manage"
        )
    sender = session.get(Profile, request.from_profile_id)
    target = session.get(Profile, request.to_profile_id)
    assert sender is not None and target is not None
    return request, sender, target, mine


def get_request(registry: Registry, account: Account | None, request_id: int) -> dict[str, Any]:
    """A request as one of its parties sees it; the other side's contact details once it is
    accepted."""
    who = require_confirmed(account)
    with registry.read() as session:
        request, sender, target, mine = _party_request(session, who, request_id)
        row = _request_dict(request, sender, target, now())
        row["incoming"] = request.to_profile_id in mine
        other = sender if row["incoming"] else target
        row["other"] = profile_dict(other, contact=request.status == "accepted")
        return row


def answer_request(
    registry: Registry,
    mailer: Mailer | None,
    account: Account | None,
    request_id: int,
    accept: bool,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Accept (an active tie enters the registry) or decline a request made to a profile
    ``account`` manages."""
    who = require_confirmed(account)
    when = at or now()
    with registry.session() as session:
        request, sender, target, mine = _party_request(session, who, request_id)
        if request.to_profile_id not in mine:
            raise NotAllowedError(f"request_id: only the side asked answers request {request_id}")
        status = effective_status(request, when)
        if status != "pending":
            raise ConflictError(f"request_id: request {request_id} is {status}, not waiting")
        # only one answer wins, whichever worker it reaches
        claimed = session.execute(
            update(PartnershipRequest)
            .where(PartnershipRequest.id == request_id, PartnershipRequest.status == "pending")
            .values(
                status="accepted" if accept else "declined",
                answered_at=when,
                answered_by=who.user_id,
            )
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            raise ConflictError(f"request_id: request {request_id} was answered meanwhile")
        if accept:
            request.tie_id = _tie_for(session, request, sender, target, when.date())
        session.flush()
        session.refresh(request)
        kind = "request_accepted" if accept else "request_declined"
        notices = notify(
            session,
            managers_of(session, sender.id),
            kind,
            _pair_params(sender, target),
            f"/doors/requests/{request_id}",
        )
        row = _request_dict(request, sender, target, when)
    deliver(registry, mailer, notices)
    return row


def _tie_for(
    session: Session, request: PartnershipRequest, sender: Profile, target: Profile, day: date
) -> int:
    assert sender.actor_id is not None and target.actor_id is not None
    tie = Tie(
        actor_a_id=sender.actor_id,
        actor_b_id=target.actor_id,
        channel=request.channel,
        areas=request.areas,
        status="active",
        start_date=day,
        evidence=f"partnership request {request.id} on tracktwo, accepted {day}",
    )
    session.add(tie)
    session.flush()
    return tie.id


def withdraw_request(registry: Registry, account: Account | None, request_id: int) -> dict:
    """The asking side takes back a request that is still waiting."""
    who = require_confirmed(account)
    with registry.session() as session:
        request, sender, target, mine = _party_request(session, who, request_id)
        if request.from_profile_id not in mine:
            raise NotAllowedError(
                f"request_id: only the asking side withdraws request {request_id}"
            )
        if effective_status(request, now()) != "pending":
            raise ConflictError(
                f"request_id: request {request_id} is "
                f"{effective_status(request, now())}, not waiting"
            )
        request.status = "withdrawn"
        return _request_dict(request, sender, target, now())


def my_requests(registry: Registry, account: Account | None) -> dict[str, list[dict[str, Any]]]:
    """Requests to and from the profiles ``account`` manages, newest first."""
    who = require_confirmed(account)
    at = now()
    with registry.read() as session:
        mine = select(ProfileManager.profile_id).where(ProfileManager.user_id == who.user_id)
        found = session.scalars(
            select(PartnershipRequest)
            .where(
                or_(
                    PartnershipRequest.from_profile_id.in_(mine),
                    PartnershipRequest.to_profile_id.in_(mine),
                )
            )
            .order_by(PartnershipRequest.id.desc())
        ).all()
        managed = set(session.scalars(mine))
        rows: dict[str, list[dict[str, Any]]] = {"incoming": [], "outgoing": []}
        for request in found:
            sender = session.get(Profile, request.from_profile_id)
            target = session.get(Profile, request.to_profile_id)
            assert sender is not None and target is not None
            side = "incoming" if request.to_profile_id in managed else "outgoing"
            rows[side].append(_request_dict(request, sender, target, at))
        return rows


def log_party_activity(
    registry: Registry,
    account: Account | None,
    tie_id: int,
    activity_date: date | str,
    kind: str,
    participants: int | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """A manager of either side's profile logs a visit, exchange ... on their tie."""
    who = require_confirmed(account)
    with registry.read() as session:
        tie = session.get(Tie, tie_id)
        if tie is None:
            raise NotFoundError(f"tie_id: no tie with id {tie_id}")
        theirs = session.scalar(
            select(Profile.id)
            .join(ProfileManager, ProfileManager.profile_id == Profile.id)
            .where(
                ProfileManager.user_id == who.user_id,
                Profile.status == "approved",
                Profile.actor_id.in_((tie.actor_a_id, tie.actor_b_id)),
            )
        )
    if theirs is None:
        raise NotAllowedError(f"tie_id: tie {tie_id} joins no profile you manage")
    return log_activity(registry, tie_id, activity_date, kind, participants, note)
