"""The monthly digest: new profiles across the border that match what someone offers or needs.

For each confirmed person managing an approved profile, the digest of month ``YYYY-MM`` lists
the profiles approved in that month, in another country, whose areas offered meet the
person's areas needed or whose areas needed meet the person's areas offered. It goes to the
inbox and by e-mail, once per person and month (a row in ``digests_sent``), however often the
job runs and on however many machines.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tracktwo._errors import InputError
from tracktwo._i18n import translator
from tracktwo.accounts import User
from tracktwo.bridges import Registry
from tracktwo.doors._mail import Mailer
from tracktwo.doors._models import DigestSent, Notification, Profile, ProfileManager
from tracktwo.doors._notify import NOTICES, now

__all__ = ["digest_matches", "send_digests"]


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month or ""):
        raise InputError(f"month: {month!r} is not a month like 2026-11")
    year, number = int(month[:4]), int(month[5:])
    start = datetime(year, number, 1)
    end = datetime(year + (number == 12), number % 12 + 1, 1)
    return start, end


def _meets(mine: Profile, theirs: Profile) -> list[str]:
    wanted = set(mine.areas_needed) & set(theirs.areas_offered)
    offered = set(mine.areas_offered) & set(theirs.areas_needed)
    return sorted(wanted | offered)


def digest_matches(registry: Registry, month: str) -> dict[int, list[dict[str, Any]]]:
    """For each user id: the month's new matching profiles (name, country, shared areas)."""
    start, end = _month_bounds(month)
    with registry.read() as session:
        new = session.scalars(
            select(Profile)
            .where(
                Profile.status == "approved",
                Profile.approved_at >= start,
                Profile.approved_at < end,
            )
            .order_by(Profile.id)
        ).all()
        managed = session.execute(
            select(ProfileManager.user_id, Profile)
            .join(Profile, Profile.id == ProfileManager.profile_id)
            .join(User, User.id == ProfileManager.user_id)
            .where(Profile.status == "approved", User.email_confirmed_at.is_not(None))
        ).all()
    found: dict[int, dict[int, dict[str, Any]]] = {}
    for user_id, mine in managed:
        for theirs in new:
            shared = _meets(mine, theirs) if theirs.country != mine.country else []
            if shared:
                found.setdefault(user_id, {})[theirs.id] = {
                    "profile_id": theirs.id,
                    "name": theirs.name,
                    "country": theirs.country,
                    "areas": shared,
                }
    return {user: list(rows.values()) for user, rows in found.items()}


def _body(user: User, rows: list[dict[str, Any]], mailer: Mailer) -> tuple[str, str]:
    _ = translator(user.language)
    subject = _(NOTICES["digest"], count=len(rows))
    lines = [_("Hello %(username)s,", username=user.username), "", subject + ":", ""]
    for row in rows:
        lines.append(f"- {row['name']} ({row['country']}): {', '.join(row['areas'])}")
        lines.append(f"  {mailer.settings.link('/doors/profiles/' + str(row['profile_id']))}")
    lines += [
        "",
        _(
            "You get this e-mail because you have an account on tracktwo. Your inbox: %(url)s",
            url=mailer.settings.link("/inbox"),
        ),
    ]
    return subject, "\n".join(lines)


def send_digests(registry: Registry, mailer: Mailer | None, month: str) -> dict[str, int]:
    """Send the digest of ``month``; counts of people sent to and skipped (sent before)."""
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    for user_id, rows in sorted(digest_matches(registry, month).items()):
        entry = Notification(
            user_id=user_id,
            kind="digest",
            params={"count": len(rows)},
            link="/doors/partners",
            created_at=now(),
            mail="sending",
        )
        try:
            # the digest row is the claim: a second run (or machine) fails to write it
            with registry.session() as session:
                session.add(DigestSent(user_id=user_id, month=month, sent_at=now()))
                session.add(entry)
        except IntegrityError:
            counts["skipped"] += 1
            continue
        with registry.read() as session:
            user = session.get(User, user_id)
        assert user is not None and user.email
        if mailer is None:
            outcome = "off"
        else:
            outcome = mailer.send(user.email, *_body(user, rows, mailer), user.language)
        with registry.session() as session:
            session.execute(
                update(Notification).where(Notification.id == entry.id).values(mail=outcome)
            )
        counts["failed" if outcome == "failed" else "sent"] += 1
    return counts
