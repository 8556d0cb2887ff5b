"""The web app's settings: where the data lives, who may read, and the login limits.

Every setting has a default that is safe on a laptop; ``WebSettings.from_env`` reads the
``TRACKTWO_*`` environment variables, so several workers started by uvicorn agree on them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from tracktwo._config import resolve_home
from tracktwo._errors import ConfigError
from tracktwo.accounts import LoginLimit
from tracktwo.doors import DoorsRules, MailSettings

__all__ = ["Network", "WebSettings", "proxy_networks"]

Network = IPv4Network | IPv6Network
_LOGIN = LoginLimit()  # the limiter's defaults, each a ``login_<name>`` setting here


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


def proxy_networks(text: str, name: str = "TRACKTWO_TRUSTED_PROXIES") -> tuple[Network, ...]:
    """The proxies named in ``text``: comma-separated addresses or networks (CIDR)."""
    found = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        try:
            found.append(ip_network(part, strict=False))
        except ValueError as exc:
            raise ConfigError(f"{name}: {part!r} is not an IP address or network") from exc
    return tuple(found)


def _size(name: str, default: int) -> int:
    value = _whole(name, default)
    if value < 1:
        raise ConfigError(f"{name}: expected a number of bytes above 0, not {value}")
    return value


def _count(name: str, default: int) -> int:
    """A limit of the login limiter: 0 or less would refuse every login."""
    value = _whole(name, default)
    if value < 1:
        raise ConfigError(f"{name}: expected a whole number above 0, not {value}")
    return value


def _login_from_env() -> dict[str, int]:
    """``login_<name>`` from ``TRACKTWO_LOGIN_<NAME>`` for every limit of ``LoginLimit``."""
    return {f"login_{f.name}": _count(f"TRACKTWO_LOGIN_{f.name.upper()}", getattr(_LOGIN, f.name))
            for f in fields(LoginLimit)}  # fmt: skip


@dataclass(frozen=True)
class WebSettings:
    """What ``create_app`` needs.

    ``public_read``: anonymous visitors may read every page (changes always need a login).
    The login limiter (``login_limit``; the rules in ``tracktwo.accounts.LoginLimit``): past
    ``login_failures`` failed logins on an account from one address, that address waits
    ``login_delay_seconds``, doubled with each further failure up to
    ``login_max_delay_minutes``, after its latest failure; past ``login_failures_per_account``
    from all addresses, everyone does; ``login_failures_per_address`` failures within
    ``login_window_minutes`` stop an address until the oldest leaves the window.
    Open doors: nobody sends more than ``requests_per_day`` partnership requests or
    ``flags_per_day`` flags in 24 hours, and an address signs up ``signups_per_address``
    times; a request waits ``request_days`` for an answer.
    ``mail``: the SMTP server for confirmations and notifications (off without a host).
    ``trusted_proxies``: the reverse proxies whose ``X-Forwarded-For`` names the client
    (none by default: the client is the peer of the connection). Request bodies over
    ``max_json_bytes`` (forms: ``max_form_bytes``) are refused with 413.
    """

    home: Path
    db_url: str | None = None
    public_read: bool = True
    session_hours: int = 12
    login_failures: int = _LOGIN.failures
    login_failures_per_address: int = _LOGIN.failures_per_address
    login_window_minutes: int = _LOGIN.window_minutes
    login_failures_per_account: int = _LOGIN.failures_per_account
    login_delay_seconds: int = _LOGIN.delay_seconds
    login_max_delay_minutes: int = _LOGIN.max_delay_minutes
    taxonomy: str | None = None
    requests_per_day: int = 5
    request_days: int = 30
    flags_per_day: int = 10
    signups_per_address: int = 10
    mail: MailSettings = field(default_factory=MailSettings)
    trusted_proxies: tuple[Network, ...] = ()
    max_json_bytes: int = 256 * 1024
    max_form_bytes: int = 1024 * 1024

    @property
    def login_limit(self) -> LoginLimit:
        return LoginLimit(**{f.name: getattr(self, f"login_{f.name}") for f in fields(LoginLimit)})

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
            **_login_from_env(),
            taxonomy=os.environ.get("TRACKTWO_TAXONOMY") or None,
            requests_per_day=_whole("TRACKTWO_REQUESTS_PER_DAY", 5),
            request_days=_whole("TRACKTWO_REQUEST_DAYS", 30),
            flags_per_day=_whole("TRACKTWO_FLAGS_PER_DAY", 10),
            signups_per_address=_whole("TRACKTWO_SIGNUPS_PER_ADDRESS", 10),
            mail=MailSettings.from_env(),
            trusted_proxies=proxy_networks(os.environ.get("TRACKTWO_TRUSTED_PROXIES", "")),
            max_json_bytes=_size("TRACKTWO_MAX_JSON_BYTES", 256 * 1024),
            max_form_bytes=_size("TRACKTWO_MAX_FORM_BYTES", 1024 * 1024),
        )
