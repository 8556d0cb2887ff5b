"""The login limiter on SQLite and PostgreSQL, with the clock given to it: an account waits
twice as long after each failure from one address (2 s, 4 s ... 15 min) without locking its
owner out elsewhere, an address stops after 20 failures in 15 minutes, failures spread over
many addresses slow everyone down, racing attempts get no extra guesses; and over HTTP the
deletion check stops at the limit (429, Retry-After) without touching the owner's logins."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from _doors_web import Person, Site, site_for
from _web import password_of
from fastapi.testclient import TestClient
from sqlalchemy import text

from tracktwo import ConfigError
from tracktwo.accounts import (
    DELETION,
    LoginLimit,
    LoginLimitError,
    add_user,
    check_login,
    login_wait,
)
from tracktwo.web import WebSettings, create_app

T0 = datetime(2026, 5, 4, 9, 0, 0)
LIMIT = LoginLimit()  # the defaults: 5 free, then 2 s doubling up to 15 min; 20 an address
WRONG = "not the password at all"
RIGHT = "rithy-password-1"
OWNER, GUESSER = "198.51.100.7", "203.0.113.9"


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _rows(registry) -> int:
    with registry.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM login_attempts")).scalar() or 0)


def test_one_address_waits_twice_as_long_after_each_failure(registry) -> None:
    add_user(registry, "rithy", RIGHT)
    for second in range(5):  # the five free failures, a second apart
        assert check_login(registry, "rithy", WRONG, GUESSER, LIMIT, now=at(second)) is None
    # after the n-th failure (n >= 5) the wait is min(900, 2 * 2**(n - 5)) s from it
    waits = [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]  # after the 5th ... 15th
    last = 4
    for wait in waits:
        assert login_wait(registry, "rithy", GUESSER, LIMIT, at(last)) == wait
        with pytest.raises(LoginLimitError) as early:  # a second early: even the right one
            check_login(registry, "rithy", RIGHT, GUESSER, LIMIT, now=at(last + wait - 1))
        assert early.value.retry_after == 1
        assert str(early.value) == "too many failed logins: try again in 1 second"
        last += wait
        assert check_login(registry, "rithy", WRONG, GUESSER, LIMIT, now=at(last)) is None
    assert _rows(registry) == 5 + len(waits)  # a refused attempt leaves no trace
    # all the while, the owner logs in from their own address at once
    assert check_login(registry, "rithy", RIGHT, OWNER, LIMIT, now=at(last)).username == "rithy"
    assert _rows(registry) == 5 + len(waits)  # nor does a right password


def test_an_address_stops_after_20_failures_in_15_minutes(registry) -> None:
    for n in range(20):  # twenty accounts (that need not exist), one failure each, 10 s apart
        assert check_login(registry, f"user{n}", WRONG, GUESSER, LIMIT, now=at(10 * n)) is None
    # the 21st, at 200 s, waits until the first (at 0 s) is 15 minutes old: 900 - 200 s
    with pytest.raises(LoginLimitError) as stopped:
        check_login(registry, "someone", WRONG, GUESSER, LIMIT, now=at(200))
    assert stopped.value.retry_after == 700
    assert str(stopped.value) == "too many failed logins: try again in 12 minutes"
    assert check_login(registry, "someone", WRONG, OWNER, LIMIT, now=at(200)) is None
    assert check_login(registry, "someone", WRONG, GUESSER, LIMIT, now=at(900)) is None
    # 20 in the window again (10 ... 190 s, and 900 s): the next waits for the one at 10 s
    assert login_wait(registry, "anyone", GUESSER, LIMIT, at(900)) == 10


def test_failures_from_many_addresses_slow_the_account_down_for_everyone(registry) -> None:
    limit = LoginLimit(failures_per_account=12)
    add_user(registry, "rithy", RIGHT)
    for n in range(12):  # four addresses, three failures each (under their five), 1 min apart
        assert check_login(registry, "rithy", WRONG, f"203.0.113.{n % 4}", limit,
                           now=at(60 * n)) is None  # fmt: skip
    # 12 from all addresses together: every address waits 2 s after the last (at 660 s)
    assert login_wait(registry, "rithy", OWNER, limit, at(660)) == 2
    with pytest.raises(LoginLimitError):
        check_login(registry, "rithy", RIGHT, OWNER, limit, now=at(661))
    assert check_login(registry, "rithy", RIGHT, OWNER, limit, now=at(662)).username == "rithy"
    assert login_wait(registry, "someone-else", OWNER, limit, at(660)) == 0


def test_deletion_shares_the_counting_but_not_the_lock_out(registry) -> None:
    add_user(registry, "rithy", RIGHT)
    for second in range(5):
        assert check_login(registry, "rithy", WRONG, DELETION, LIMIT, now=at(second)) is None
    with pytest.raises(LoginLimitError) as early:
        check_login(registry, "rithy", RIGHT, DELETION, LIMIT, now=at(4))
    assert str(early.value) == (
        "password: too many wrong passwords; try again in 2 seconds (the account is unchanged)"
    )
    # the owner's logins are not delayed by them, from any address
    assert login_wait(registry, "rithy", OWNER, LIMIT, at(4)) == 0
    assert login_wait(registry, "rithy", DELETION, LIMIT, at(4)) == 2
    assert check_login(registry, "rithy", RIGHT, OWNER, LIMIT, now=at(4)).username == "rithy"


def test_failed_logins_count_against_the_deletion_check(registry) -> None:
    add_user(registry, "rithy", RIGHT)
    for n in range(5):  # one failure from each of five addresses
        assert check_login(registry, "rithy", WRONG, f"203.0.113.{n}", LIMIT, now=at(n)) is None
    assert login_wait(registry, "rithy", DELETION, LIMIT, at(4)) == 2
    assert login_wait(registry, "rithy", OWNER, LIMIT, at(4)) == 0  # logins go on


def test_racing_attempts_get_no_more_guesses_than_one_at_a_time(registry) -> None:
    add_user(registry, "rithy", RIGHT)
    for second in range(4):  # four of the five free failures used
        check_login(registry, "rithy", WRONG, GUESSER, LIMIT, now=at(second))

    def guess(_: int) -> str:
        try:
            return str(check_login(registry, "rithy", WRONG, GUESSER, LIMIT, now=at(10)))
        except LoginLimitError:
            return "refused"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(guess, range(8)))
    checked = outcomes.count("None")  # the password was checked (and was wrong)
    assert checked <= 1 and outcomes.count("refused") == 8 - checked, outcomes
    assert _rows(registry) == 4 + checked


# -- over HTTP ---------------------------------------------------------------------------------


def _log_in(client: TestClient, username: str, password: str):
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    return client.post("/login", follow_redirects=False, data={
        "username": username, "password": password, "csrf_token": token})  # fmt: skip


def test_a_guesser_cannot_lock_the_owner_out(web_home: Path) -> None:
    # a minute's wait, so the test does not race the clock
    app = create_app(WebSettings(home=web_home, login_delay_seconds=60))
    with TestClient(app, client=(GUESSER, 50000)) as guesser, \
            TestClient(app, client=(OWNER, 50000)) as owner:  # fmt: skip
        for _ in range(5):
            assert _log_in(guesser, "editor", WRONG).status_code == 401
        refused = _log_in(guesser, "editor", password_of("editor"))
        assert refused.status_code == 429 and "too many failed logins" in refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert _log_in(owner, "editor", password_of("editor")).status_code == 303


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request, tmp_path, smtp) -> Site:
    return site_for(request, tmp_path, smtp, login_delay_seconds=60)


def test_deletion_password_guesses_stop_at_the_limit(site: Site) -> None:
    dara = Person(site, "dara").sign_up("dara@example.org")
    for _ in range(5):
        wrong = dara.post("/api/account/delete", {"password": WRONG})
        assert wrong.status_code == 400
        assert wrong.json()["error"]["message"] == (
            "password: wrong password; the account is unchanged"
        )
    for password in (WRONG, password_of("dara")):  # refused before the password is checked
        refused = dara.post("/api/account/delete", {"password": password})
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_requests"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert dara.get("/api/account").status_code == 200  # the account is still there
    Person(site, "dara", 1).log_in()  # and its owner logs in as ever (303)


def test_the_limits_come_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    for name, value in (("FAILURES", "3"), ("FAILURES_PER_ADDRESS", "7"), ("WINDOW_MINUTES", "9"),
                        ("FAILURES_PER_ACCOUNT", "30"), ("DELAY_SECONDS", "5"),
                        ("MAX_DELAY_MINUTES", "60")):  # fmt: skip
        monkeypatch.setenv(f"TRACKTWO_LOGIN_{name}", value)
    assert WebSettings.from_env(tmp_path).login_limit == LoginLimit(3, 7, 9, 30, 5, 60)
    monkeypatch.setenv("TRACKTWO_LOGIN_DELAY_SECONDS", "0")
    with pytest.raises(ConfigError) as refused:
        WebSettings.from_env(tmp_path)
    assert str(refused.value) == (
        "TRACKTWO_LOGIN_DELAY_SECONDS: expected a whole number above 0, not 0"
    )
