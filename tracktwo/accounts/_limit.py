"""The login limiter: how many wrong passwords an account and an address may send, and how
long they wait after them. Nothing ever sleeps on the server: an attempt that comes too early
is refused at once, with the time to wait (429 and ``Retry-After``), before any password check.

Three rules, over the failures of the last day (older ones are forgotten and swept):

* **An account from one address**: ``failures`` (5) wrong passwords are free. After the n-th
  (n >= ``failures``), that address waits ``min(max_delay, delay * 2**(n - failures))``
  seconds after its latest failure before it may try that account again: 2 s, 4 s, 8 s ...
  up to 15 min. Failures from elsewhere never delay the owner on their own address.
* **An address**: ``failures_per_address`` (20) wrong passwords within ``window_minutes``
  (15), whatever the accounts, stop it until the oldest of them is ``window_minutes`` old.
* **An account from everywhere**: past ``failures_per_account`` (50) failures from all
  addresses together, every address waits by the same doubling rule after the latest one.
  Only a guesser spread over several addresses reaches it.

A wrong password at account deletion (``address=DELETION``) counts against the account like a
failed login, and after ``failures`` failures of the account from anywhere the deletion check
waits by the doubling rule too; but it never counts for a login, so someone holding a stolen
session cannot lock the owner out of logging in by guessing there.

An attempt is written down before its password is checked, and the row removed again if the
password is right or the attempt is refused: attempts racing through several workers see one
another, so no burst gets more guesses past a limit than one attempt at a time would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, true

from tracktwo._errors import LimitError
from tracktwo.accounts._models import LoginAttempt, this_second
from tracktwo.bridges import Registry

__all__ = [
    "DELETION",
    "Attempt",
    "LoginLimit",
    "LoginLimitError",
    "begin_attempt",
    "forget_attempt",
    "login_wait",
]

# the address recorded for a wrong password given to delete an account
DELETION = "account-deletion"
FORGET_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class LoginLimit:
    """The limits (see the module's docstring); the web app's ``WebSettings.login_limit``
    fills them."""

    failures: int = 5
    failures_per_address: int = 20
    window_minutes: int = 15
    failures_per_account: int = 50
    delay_seconds: int = 2
    max_delay_minutes: int = 15

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    @property
    def memory(self) -> timedelta:
        """How long a failure counts: a day, or longer if a window or a wait is longer."""
        return max(FORGET_AFTER, self.window, timedelta(minutes=self.max_delay_minutes))

    def delay(self, over: int) -> float:
        """Seconds to wait after the latest failure, ``over`` failures past a threshold."""
        return float(min(self.max_delay_minutes * 60, self.delay_seconds * 2 ** min(over, 40)))


class LoginLimitError(LimitError):
    """Too many failed logins (or wrong passwords at deletion): ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    """A password check under way: its row counts as a failure until it is forgotten."""

    row_id: int
    username: str
    address: str


def _backoff(times: Sequence[datetime], free: int, limit: LoginLimit, now: datetime) -> float:
    if not times or len(times) < free:
        return 0.0
    until = max(times) + timedelta(seconds=limit.delay(len(times) - free))
    return max(0.0, (until - now).total_seconds())


def _window_wait(
    times: Sequence[datetime], allowed: int, window: timedelta, now: datetime
) -> float:
    recent = sorted(times)
    if len(recent) < allowed:
        return 0.0
    # once this one is out of the window, fewer than ``allowed`` are left in it
    return max(0.0, (recent[len(recent) - allowed] + window - now).total_seconds())


def login_wait(
    registry: Registry, username: str, address: str, limit: LoginLimit,
    now: datetime | None = None, *, exclude: int | None = None,
) -> float:  # fmt: skip
    """Seconds before ``address`` may try ``username``'s password (0: now); the row
    ``exclude`` (the attempt asking) does not count."""
    now = now or this_second()
    other = LoginAttempt.id != exclude if exclude is not None else true()
    with registry.read() as session:
        mine = session.execute(
            select(LoginAttempt.address, LoginAttempt.attempted_at).where(
                LoginAttempt.username == username, LoginAttempt.attempted_at >= now - limit.memory,
                other)
        ).all()  # fmt: skip
        if address == DELETION:
            return _backoff([at for _, at in mine], limit.failures, limit, now)
        here = session.scalars(
            select(LoginAttempt.attempted_at).where(
                LoginAttempt.address == address, LoginAttempt.attempted_at > now - limit.window,
                other)
        ).all()  # fmt: skip
    logins = [(where, at) for where, at in mine if where != DELETION]
    return max(
        _window_wait(here, limit.failures_per_address, limit.window, now),
        _backoff([at for where, at in logins if where == address], limit.failures, limit, now),
        _backoff([at for _, at in logins], limit.failures_per_account, limit, now),
    )


def _span(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


def _refuse_if_early(
    registry: Registry, username: str, address: str, limit: LoginLimit, now: datetime,
    exclude: int | None,
) -> None:  # fmt: skip
    wait = login_wait(registry, username, address, limit, now, exclude=exclude)
    if wait <= 0:
        return
    seconds = max(1, math.ceil(wait))
    if address == DELETION:
        message = (f"password: too many wrong passwords; try again in {_span(seconds)} (the "
                   "account is unchanged)")  # fmt: skip
    else:
        message = f"too many failed logins: try again in {_span(seconds)}"
    raise LoginLimitError(message, seconds)


def begin_attempt(
    registry: Registry, username: str, address: str, limit: LoginLimit,
    now: datetime | None = None,
) -> Attempt:  # fmt: skip
    """Write the attempt down, or refuse it with LoginLimitError (and write nothing)."""
    now = now or this_second()
    username, address = username[:80], address[:64]
    # most refusals are decided here, before anything is written
    _refuse_if_early(registry, username, address, limit, now, None)
    with registry.session() as session:
        session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - limit.memory))
        row = LoginAttempt(username=username, address=address, attempted_at=now)
        session.add(row)
        session.flush()
        row_id = row.id
    try:  # again, now that this attempt is visible to the ones racing it
        _refuse_if_early(registry, username, address, limit, now, row_id)
    except LoginLimitError:
        forget_attempt(registry, row_id)
        raise
    return Attempt(row_id, username, address)


def forget_attempt(registry: Registry, row_id: int) -> None:
    """The attempt was not a failure (the password was right, or it was refused)."""
    with registry.session() as session:
        session.execute(delete(LoginAttempt).where(LoginAttempt.id == row_id))
