"""The web app's settings: where the data lives, who may read, and the login limits.

Every setting has a default that is safe on a laptop; ``WebSettings.from_env`` reads the
``TRACKTWO_*`` environment variables, so several workers started by uvicorn agree on them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tracktwo._config import resolve_home
from tracktwo._errors import ConfigError
from tracktwo.doors._mail import MailSettings
from tracktwo.doors._rules import DoorsRules

__all__ = ["WebSettings"]


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected true or false, not {raw!r}")


def _whole(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: expected a whole number, not {raw!r}") from exc


@dataclass(frozen=True)
class WebSettings:
    """What ``create_app`` needs.

    ``public_read``: anonymous visitors may read every page (changes always need a login).
    ``login_failures`` failed logins per account, or ``login_failures_per_address`` per client
    address, within ``login_window_minutes`` lock further attempts until the window passes.
    Open doors: nobody sends more than ``requests_per_day`` partnership requests or
    ``flags_per_day`` flags in 24 hours, and an address signs up ``signups_per_address``
    times; a request waits ``request_days`` for an answer.
    ``mail``: the SMTP server for confirmations and notifications (off without a host).
    """

    home: Path
    db_url: str | None = None
    public_read: bool = True
    session_hours: int = 12
    login_failures: int = 5
    login_failures_per_address: int = 20
    login_window_minutes: int = 15
    taxonomy: str | None = None
    requests_per_day: int = 5
    request_days: int = 30
    flags_per_day: int = 10
    signups_per_address: int = 10
    mail: MailSettings = field(default_factory=MailSettings)

    @property
    def rules(self) -> DoorsRules:
        return DoorsRules(self.requests_per_day, self.request_days, self.flags_per_day,
                          self.signups_per_address)  # fmt: skip

    @classmethod
    def from_env(
        cls, home: str | os.PathLike[str] | None = None, db_url: str | None = None
    ) -> WebSettings:
        return cls(
            home=resolve_home(home or os.environ.get("TRACKTWO_HOME")),
            db_url=db_url or os.environ.get("TRACKTWO_DB") or None,
            public_read=_flag("TRACKTWO_PUBLIC_READ", True),
            session_hours=_whole("TRACKTWO_SESSION_HOURS", 12),
            login_failures=_whole("TRACKTWO_LOGIN_FAILURES", 5),
            taxonomy=os.environ.get("TRACKTWO_TAXONOMY") or None,
            requests_per_day=_whole("TRACKTWO_REQUESTS_PER_DAY", 5),
            request_days=_whole("TRACKTWO_REQUEST_DAYS", 30),
            flags_per_day=_whole("TRACKTWO_FLAGS_PER_DAY", 10),
            signups_per_address=_whole("TRACKTWO_SIGNUPS_PER_ADDRESS", 10),
            mail=MailSettings.from_env(),
        )
