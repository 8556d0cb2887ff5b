"""The limits of open doors, set by the web app's settings (``TRACKTWO_REQUESTS_PER_DAY``,
``TRACKTWO_REQUEST_DAYS``, ``TRACKTWO_FLAGS_PER_DAY``, ``TRACKTWO_SIGNUPS_PER_ADDRESS``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DoorsRules"]


@dataclass(frozen=True)
class DoorsRules:
    """At most ``requests_per_day`` partnership requests and ``flags_per_day`` flags per
    person, and ``signups_per_address`` sign-ups per client address, in any 24 hours; a
    request waits ``request_days`` for an answer."""

    requests_per_day: int = 5
    request_days: int = 30
    flags_per_day: int = 10
    signups_per_address: int = 10
