"""Taking a deleted person's names out of what other people keep.

When an account goes, its names stay in rows that belong to others: the inbox entries that
told the other side of a request, the moderators and a flagger about its profiles; the
reasons of flags and of moderation decisions; notes on the ties of its profiles. ``Forget``
rewrites them inside the deletion's own transaction. Inbox entries name a profile by id as
well as by name (``tracktwo.doors._notify``), so the rewrite finds them by id and puts the
profile's anonymised label (``deleted profile 7``) in place of each name it ever had. Free
text is searched for the names as whole words (any case): a profile's names become its label,
the person's username and e-mail address become ``[deleted account]``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracktwo.bridges import Activity, Tie
from tracktwo.doors._models import Flag, ModerationEntry, Notification, Profile
from tracktwo.doors._notify import NAME_PARAMS, entries_naming

__all__ = ["DELETED_ACCOUNT", "Forget"]

DELETED_ACCOUNT = "[deleted account]"


class Forget:
    """The names of one person and of the profiles deleted with them, to take out of others'
    rows. ``profile`` notes a profile before it is anonymised; ``rewrite`` runs after."""

    def __init__(self, session: Session, user_id: int, username: str, email: str | None) -> None:
        self.session = session
        self.user_id = user_id
        self.people = [word for word in (username, email) if word]
        # entry id -> (the entry, which of its params name which profile)
        self.entries: dict[int, tuple[Notification, dict[str, int]]] = {}
        self.profiles: dict[int, tuple[Profile, set[str]]] = {}
        self.labels: dict[str, str] = {}  # a name, lower-cased -> the text that replaces it

    def profile(self, profile: Profile) -> None:
        """Note the profile's names, and the inbox entries that carry them, before they go."""
        names = {name for name in (profile.name, profile.local_name) if name}
        while True:
            # an entry that names it by id may hold a name it had before a rename, and that
            # name may find older entries, written before ids were kept
            found = entries_naming(self.session, profile.id, names)
            more = {entry.params[key] for entry in found for key in NAME_PARAMS
                    if _names(entry.params, key, profile.id, names)}  # fmt: skip
            if more <= names:
                break
            names |= more
        for entry in found:
            keys = self.entries.setdefault(entry.id, (entry, {}))[1]
            keys.update({key: profile.id for key in NAME_PARAMS
                         if _names(entry.params, key, profile.id, names)})  # fmt: skip
        self.profiles[profile.id] = (profile, names)

    def rewrite(self) -> None:
        """Put the labels into every row of others that names the person or their profiles."""
        for profile, names in self.profiles.values():
            self.labels.update({name.strip().lower(): profile.name for name in names})
        self.labels.update({word.strip().lower(): DELETED_ACCOUNT for word in self.people})
        self.labels.pop("", None)
        for entry, keys in self.entries.values():
            if entry.user_id != self.user_id:  # the person's own inbox is deleted
                entry.params = self._params(entry.params, keys)
        ids = list(self.profiles)
        flags = list(
            self.session.scalars(
                select(Flag).where(or_(Flag.profile_id.in_(ids), Flag.flagged_by == self.user_id))
            )
        )
        for flag in flags:
            flag.reason = self.scrub(flag.reason)
        decisions = select(ModerationEntry).where(
            or_(
                ModerationEntry.profile_id.in_(ids),
                ModerationEntry.flag_id.in_([flag.id for flag in flags]),
            )
        )
        for decision in self.session.scalars(decisions):
            decision.reason = self.scrub(decision.reason)
        self._notes()

    def scrub(self, text: str) -> str:
        """``text`` with each name, as a whole word in any case, replaced by its label."""
        if not text or not self.labels:
            return text
        words = sorted(self.labels, key=len, reverse=True)  # the e-mail before the username
        pattern = "|".join(rf"(?<!\w){re.escape(word)}(?!\w)" for word in words)
        return re.sub(
            pattern,
            lambda found: self.labels.get(found.group(0).lower(), DELETED_ACCOUNT),
            text,
            flags=re.IGNORECASE,
        )

    def _params(self, params: dict[str, Any], keys: dict[str, int]) -> dict[str, Any]:
        rewritten = {}
        for key, value in params.items():
            if key in keys:
                rewritten[key] = self.profiles[keys[key]][0].name
            elif isinstance(value, str):
                rewritten[key] = self.scrub(value)  # a rejection's reason, say
            else:
                rewritten[key] = value
        return rewritten

    def _notes(self) -> None:
        """Activity notes on the ties of the deleted profiles' actors."""
        actors = [p.actor_id for p, _ in self.profiles.values() if p.actor_id is not None]
        if not actors:
            return
        ties = select(Tie.id).where(or_(Tie.actor_a_id.in_(actors), Tie.actor_b_id.in_(actors)))
        for activity in self.session.scalars(select(Activity).where(Activity.tie_id.in_(ties))):
            if activity.note:
                activity.note = self.scrub(activity.note)


def _names(params: dict[str, Any], key: str, profile_id: int, names: set[str]) -> bool:
    """Whether param ``key`` names the profile: by its id, or by name in an entry written
    before ids were kept."""
    if f"{key}_id" in params:
        return params[f"{key}_id"] == profile_id
    return key in params and params[key] in names
