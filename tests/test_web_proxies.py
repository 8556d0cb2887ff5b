"""Which address the per-address limits count: X-Forwarded-For only from a trusted proxy.

Anyone can write ``X-Forwarded-For``. With no ``TRACKTWO_TRUSTED_PROXIES`` (the default) the
client is the peer of the connection, so a forged header from 127.0.0.1 cannot spread one
client's sign-ups or failed logins over made-up addresses. With the proxy named, the header
is read from the right, skipping trusted hops. Checked on the real servers (``tracktwo
serve``, whose uvicorn must not rewrite the peer, and ``uvicorn --factory --no-proxy-headers``),
and in-process for the sign-up (SQLite and PostgreSQL) and login call sites.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from ipaddress import ip_network
from pathlib import Path

import httpx
import pytest
from _doors_web import Site, make_site
from _web import free_port
from fastapi.testclient import TestClient
from sqlalchemy import select

from tracktwo._errors import ConfigError
from tracktwo.doors._models import SignUpRecord
from tracktwo.web import WebSettings
from tracktwo.web._client import forwarded_client
from tracktwo.web._settings import proxy_networks

pytestmark = pytest.mark.postgres
FORGED = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]  # documentation addresses
LOOPBACK = proxy_networks("127.0.0.1")


# -- the rule, on its own -------------------------------------------------------------------


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert forwarded_client("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"
    # a peer that is not a trusted proxy is believed over any header
    assert forwarded_client("192.0.2.8", ["198.51.100.1"], LOOPBACK) == "192.0.2.8"


def test_the_header_is_read_from_the_right_skipping_trusted_proxies() -> None:
    proxies = proxy_networks("10.0.0.0/8, 127.0.0.1")
    # the client wrote "203.0.113.66" itself; proxy 10.0.0.1 appended the address it saw
    sent = ["203.0.113.66, 198.51.100.7", "10.0.0.1"]
    assert forwarded_client("127.0.0.1", sent, proxies) == "198.51.100.7"
    assert forwarded_client("127.0.0.1", ["[2001:db8::1]:443"], proxies) == "2001:db8::1"
    assert forwarded_client("127.0.0.1", ["198.51.100.7:8080"], proxies) == "198.51.100.7"
    # nothing but proxies: the leftmost is as far as anyone can see
    assert forwarded_client("127.0.0.1", ["10.1.2.3, 10.0.0.1"], proxies) == "10.1.2.3"
    assert forwarded_client("127.0.0.1", [], proxies) == "127.0.0.1"


def test_the_setting_is_read_and_checked(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRACKTWO_TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8 ,::1")
    read = WebSettings.from_env(home=tmp_path).trusted_proxies
    assert read == (ip_network("127.0.0.1/32"), ip_network("10.0.0.0/8"), ip_network("::1/128"))
    monkeypatch.delenv("TRACKTWO_TRUSTED_PROXIES")
    assert WebSettings.from_env(home=tmp_path).trusted_proxies == ()
    monkeypatch.setenv("TRACKTWO_TRUSTED_PROXIES", "127.0.0.1,10.0.0.300")
    with pytest.raises(ConfigError, match=r"TRACKTWO_TRUSTED_PROXIES: '10.0.0.300' is not"):
        WebSettings.from_env(home=tmp_path)


# -- in-process, on both databases: the sign-up and login call sites ------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request) -> str | None:
    if request.param == "sqlite":
        return None
    from _postgres import fresh_database

    return fresh_database(request.getfixturevalue("postgres_admin_url"))


def _site(tmp_path: Path, url: str | None, smtp, **settings: object) -> Site:
    inbox, mail = smtp
    return make_site(tmp_path / "home", url, inbox, mail, **settings)  # type: ignore[arg-type]


def _sign_up(client: httpx.Client | TestClient, number: int, forwarded: str) -> int:
    sent = client.post("/api/signup", headers={"X-Forwarded-For": forwarded},
                       json={"username": f"person{number}", "email": f"p{number}@example.org",
                             "password": "a-long-password-1"})  # fmt: skip
    return sent.status_code


def _counted(site: Site) -> list[str]:
    """The addresses the sign-up limit counted, in order."""
    with site.registry() as registry, registry.read() as session:
        return list(session.scalars(select(SignUpRecord.address).order_by(SignUpRecord.id)))


def test_forged_forwarded_for_does_not_spread_sign_ups(tmp_path, registry_url, smtp) -> None:
    site = _site(tmp_path, registry_url, smtp, signups_per_address=2)
    client = TestClient(site.apps[0], base_url="http://tracktwo.test", client=("127.0.0.1", 5))
    statuses = [_sign_up(client, n, forged) for n, forged in enumerate(FORGED)]
    assert statuses == [201, 201, 429]
    assert set(_counted(site)) == {"127.0.0.1"}


def test_a_trusted_proxy_names_the_client(tmp_path, registry_url, smtp) -> None:
    site = _site(tmp_path, registry_url, smtp, signups_per_address=2, trusted_proxies=LOOPBACK)
    client = TestClient(site.apps[0], base_url="http://tracktwo.test", client=("127.0.0.1", 5))
    # the proxy appends the client's address to whatever the client sent
    sent = ["203.0.113.66, " + FORGED[0], FORGED[1], FORGED[0], FORGED[0]]
    statuses = [_sign_up(client, n, forwarded) for n, forwarded in enumerate(sent)]
    # 198.51.100.1 signs up twice, then is refused; 198.51.100.2 is counted on its own
    assert statuses == [201, 201, 201, 429]
    assert set(_counted(site)) == {FORGED[0], FORGED[1]}


def _fail_login(client: TestClient, number: int, forwarded: str) -> int:
    client.get("/login")
    sent = client.post("/login", headers={"X-Forwarded-For": forwarded},
                       data={"username": f"nobody{number}", "password": "wrong-password-1",
                             "csrf_token": client.cookies["tracktwo_csrf"]})  # fmt: skip
    return sent.status_code


@pytest.mark.parametrize(("trusted", "expected"), [((), [401, 401, 429]),
                                                   (LOOPBACK, [401, 401, 401])])  # fmt: skip
def test_failed_logins_count_against_the_real_address(tmp_path, smtp, trusted, expected) -> None:
    # three unknown usernames: only the per-address limit (2 here) can refuse the third
    site = _site(tmp_path, None, smtp, login_failures_per_address=2, trusted_proxies=trusted)
    client = TestClient(site.apps[0], base_url="http://tracktwo.test", client=("127.0.0.1", 5))
    assert [_fail_login(client, n, forged) for n, forged in enumerate(FORGED)] == expected


def test_a_trusted_proxy_keeps_https_cookies_secure(tmp_path, smtp) -> None:
    site = _site(tmp_path, None, smtp, trusted_proxies=LOOPBACK)
    proxied = TestClient(site.apps[0], base_url="http://tracktwo.test", client=("127.0.0.1", 5))
    answer = proxied.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in answer.headers["set-cookie"].lower()
    # the same header from a peer that is no proxy changes nothing
    direct = TestClient(site.apps[0], base_url="http://tracktwo.test", client=("192.0.2.8", 5))
    answer = direct.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in answer.headers["set-cookie"].lower()


# -- real servers on 127.0.0.1: what uvicorn does with the header matters here -----------------


@contextmanager
def _server(command: list[str], home: Path, **env: str) -> Iterator[str]:
    port = free_port()
    environment = {**os.environ, "TRACKTWO_HOME": str(home), "TRACKTWO_SIGNUPS_PER_ADDRESS": "2",
                   **env}  # fmt: skip
    for name in ("TRACKTWO_TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS", "TRACKTWO_DB"):
        if name not in env:
            environment.pop(name, None)
    log = (home.parent / "server.log").open("w+b")  # a file: a full pipe would stall it
    server = subprocess.Popen(
        [sys.executable, *command, "--port", str(port)], env=environment,
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/me", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
            assert server.poll() is None, log.seek(0) or log.read().decode()
            assert time.monotonic() < deadline, "the server did not start within 60 s"
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


SERVE = ["-c", "from tracktwo.cli import main; main()", "serve", "--host", "127.0.0.1"]
FACTORY = ["-m", "uvicorn", "--factory", "tracktwo.web._app:app_from_env", "--host",
           "127.0.0.1", "--no-proxy-headers", "--log-level", "warning"]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "env", "expected"),
    [
        (SERVE, {}, [201, 201, 429]),  # the default: uvicorn's own proxy headers stay off
        (FACTORY, {}, [201, 201, 429]),  # as docs/web.md tells admins to run it
    ],
    ids=["serve", "uvicorn-factory"],
)
def test_real_server_counts_sign_ups_by_the_right_address(tmp_path, command, env, expected):
    with _server(command, tmp_path / "home", **env) as base, httpx.Client(base_url=base) as web:
        statuses = [_sign_up(web, n, forged) for n, forged in enumerate(FORGED)]
    assert statuses == expected
