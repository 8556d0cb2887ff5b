"""Accounts on SQLite and on a real PostgreSQL server: argon2 hashes, digested tokens and
sessions, roles, the login limit; and the ``tracktwo users`` commands."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tracktwo import InputError, NotFoundError
from tracktwo.accounts import (
    LoginLimit,
    add_user,
    check_login,
    create_token,
    digest,
    end_session,
    login_locked,
    remove_user,
    session_account,
    start_session,
    token_account,
)

COMMAND = [sys.executable, "-c", "from tracktwo.cli import main; main()"]


def _column(registry, sql: str) -> list:
    with registry.engine.connect() as connection:
        return [row[0] for row in connection.execute(text(sql))]


def test_passwords_are_argon2_and_checked(registry) -> None:
    add_user(registry, "sokha", "a long passphrase", "editor")
    (stored,) = _column(registry, "SELECT password_hash FROM users")
    assert stored.startswith("$argon2id$") and "a long passphrase" not in stored
    assert check_login(registry, "sokha", "a long passphrase", "127.0.0.1").role == "editor"
    assert check_login(registry, "sokha", "a wrong passphrase", "127.0.0.1") is None
    assert check_login(registry, "nobody", "a long passphrase", "127.0.0.1") is None
    assert _column(registry, "SELECT username FROM login_attempts ORDER BY id") == [
        "sokha", "nobody"]  # fmt: skip


def test_bad_users_are_refused(registry) -> None:
    add_user(registry, "dara", "a long passphrase")
    with pytest.raises(InputError, match="username: 'dara' is taken"):
        add_user(registry, "dara", "another passphrase")
    with pytest.raises(InputError, match="role: 'owner'"):
        add_user(registry, "vuthy", "a long passphrase", "owner")
    with pytest.raises(InputError, match="password: at least 10"):
        add_user(registry, "vuthy", "short")
    with pytest.raises(InputError, match="username"):
        add_user(registry, "has space", "a long passphrase")


def test_tokens_are_stored_as_digests(registry) -> None:
    add_user(registry, "bopha", "a long passphrase", "viewer")
    token = create_token(registry, "bopha", "nightly export")
    assert token.startswith("t2_") and len(token) > 40
    assert _column(registry, "SELECT digest FROM api_tokens") == [digest(token)]
    assert token_account(registry, token).username == "bopha"
    assert token_account(registry, token + "x") is None
    remove_user(registry, "bopha")
    assert token_account(registry, token) is None  # revoked with the user
    with pytest.raises(NotFoundError):
        create_token(registry, "bopha")


def test_sessions_start_and_end(registry) -> None:
    account = add_user(registry, "chan", "a long passphrase", "admin")
    secret, started = start_session(registry, account, hours=1)
    assert started.csrf_token and started.can("editor") and started.can("viewer")
    assert session_account(registry, secret) == started
    assert _column(registry, "SELECT digest FROM web_sessions") == [digest(secret)]
    end_session(registry, secret)
    assert session_account(registry, secret) is None
    stale, _account = start_session(registry, account, hours=-1)  # already over
    assert _column(registry, "SELECT count(*) FROM web_sessions") == [1]
    assert session_account(registry, stale) is None


def test_login_limit_per_account_and_address(registry) -> None:
    add_user(registry, "rithy", "a long passphrase")
    limit = LoginLimit(failures=2, failures_per_address=3, window_minutes=15)
    now = datetime(2026, 5, 4, 9, 0)
    check_login(registry, "rithy", "nope nope nope", "10.0.0.1", limit, now=now)
    assert not login_locked(registry, "rithy", "10.0.0.1", limit, now)
    check_login(registry, "rithy", "nope nope nope", "10.0.0.1", limit, now=now)
    assert login_locked(registry, "rithy", "10.0.0.1", limit, now)  # this address waits 2 s
    assert not login_locked(registry, "rithy", "10.0.0.1", limit, now + timedelta(seconds=2))
    assert not login_locked(registry, "rithy", "10.0.0.2", limit, now)  # the owner elsewhere
    check_login(registry, "someone", "nope nope nope", "10.0.0.1", limit, now=now)
    assert login_locked(registry, "another", "10.0.0.1", limit, now)  # the address, any account
    assert not login_locked(registry, "another", "10.0.0.9", limit, now)


def _cli(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, "--home", str(home), "users", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_users_commands(tmp_path: Path) -> None:
    home = tmp_path / "h"
    added = _cli(home, "add", "sopheap", "--role", "editor", "--password-stdin",
                 stdin="a long passphrase\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = _cli(home, "list", "--format", "csv")
    assert listed.stdout.splitlines()[1].startswith("sopheap,editor,")
    token = _cli(home, "token", "sopheap").stdout.strip()
    assert token.startswith("t2_")
    again = _cli(home, "add", "sopheap", "--password-stdin", stdin="a long passphrase\n")
    assert again.returncode == 2 and "is taken" in again.stderr and "Traceback" not in again.stderr
    assert _cli(home, "remove", "sopheap").returncode == 0
    gone = _cli(home, "remove", "sopheap")
    assert gone.returncode == 2 and "no user 'sopheap'" in gone.stderr
