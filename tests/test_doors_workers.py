"""Two real uvicorn worker processes on one registry: a person's daily limit holds when eight
requests race through both workers at once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from _doors import MARKETING, approved_pair, password_of
from _web import free_port

from tracktwo.bridges import Registry
from tracktwo.doors import Mailer, create_profile, decide_profile

pytestmark = pytest.mark.postgres
LIMIT = 3
RACERS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request, tmp_path) -> str | None:
    if request.param == "sqlite":
        return None
    from _postgres import fresh_database

    return fresh_database(request.getfixturevalue("postgres_admin_url"))


def _serve(home: Path, url: str | None, port: int) -> subprocess.Popen:
    env = {**os.environ, "TRACKTWO_HOME": str(home), "TRACKTWO_REQUESTS_PER_DAY": str(LIMIT)}
    if url:
        env["TRACKTWO_DB"] = url
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "tracktwo.web._app:app_from_env",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--log-level", "warning",
         "--no-proxy-headers"],  # as docs/web.md says: the app alone reads X-Forwarded-For
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _wait(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/me", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
    raise AssertionError("uvicorn did not start within 90 s")


def test_the_daily_limit_holds_across_two_worker_processes(tmp_path, registry_url, smtp) -> None:
    box, settings = smtp
    home = tmp_path / "home"
    with Registry(registry_url, home=home) as registry:
        mailer = Mailer(settings)
        moderator, sokha, emily, coop, _ = approved_pair(registry, mailer, box)
        targets = []
        for number in range(RACERS):
            made = create_profile(
                registry, mailer, emily, **{**MARKETING, "name": f"Co-op {number}"}
            )
            decide_profile(registry, mailer, moderator, made["id"], True)
            targets.append(made["id"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(home, registry_url, port)
    try:
        _wait(base, server)
        with httpx.Client(base_url=base) as browser:
            browser.get("/login")
            browser.post(
                "/login",
                data={
                    "username": "sokha",
                    "password": password_of("sokha"),
                    "csrf_token": browser.cookies["tracktwo_csrf"],
                },
            )
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/account").text)
            cookies = dict(browser.cookies)

        def send(target: int) -> int:
            # a fresh connection each: the kernel hands them to either worker
            with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
                sent = client.post("/api/doors/requests", headers={"X-CSRF-Token": csrf.group(1)},
                                   json={"from_profile_id": coop["id"], "to_profile_id": target,
                                         "channel": "other"})  # fmt: skip
                return sent.status_code

        with ThreadPoolExecutor(RACERS) as pool:
            statuses = sorted(pool.map(send, targets))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert statuses == [201] * LIMIT + [429] * (RACERS - LIMIT)
    with Registry(registry_url, home=home) as registry:
        from tracktwo.doors import my_requests

        assert len(my_requests(registry, sokha)["outgoing"]) == LIMIT
