"""Open doors over HTTP, in-process: a site (one registry, two app instances standing for two
workers) and people who sign up, confirm from the e-mail and act through the JSON API with
their session cookie and its CSRF token, as the browser does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _doors import password_of
from _smtp import Inbox
from fastapi.testclient import TestClient

from tracktwo.accounts import add_user
from tracktwo.bridges import Registry
from tracktwo.doors import MailSettings
from tracktwo.web import WebSettings, create_app

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@dataclass
class Site:
    apps: list[Any]
    inbox: Inbox
    url: str | None
    home: Path

    def client(self, worker: int = 0) -> TestClient:
        return TestClient(self.apps[worker], base_url="http://tracktwo.test")

    _mona: Person | None = None

    def registry(self) -> Registry:
        return Registry(self.url, home=self.home)

    def moderator(self) -> Person:
        """Mona, logged in once per site."""
        if self._mona is None:
            self._mona = Person(self, "mona").log_in()
        return self._mona


def make_site(home: Path, url: str | None, inbox: Inbox, mail: MailSettings, **rules: int) -> Site:
    """A registry with a moderator (mona) and an admin (adam); two app instances on it."""
    with Registry(url, home=home) as registry:
        add_user(registry, "mona", password_of("mona"), "moderator", "mona@example.org")
        add_user(registry, "adam", password_of("adam"), "admin", "adam@example.org")
    settings = WebSettings(home=home, db_url=url, mail=mail, **rules)  # type: ignore[arg-type]
    return Site([create_app(settings), create_app(settings)], inbox, url, home)


def site_for(request: Any, tmp_path: Path, smtp: tuple[Inbox, MailSettings], **rules: int) -> Site:
    """For a fixture parametrised over ``sqlite`` / ``postgresql``: a site on that backend."""
    inbox, mail = smtp
    url = None
    if request.param == "postgresql":
        from _postgres import fresh_database

        url = fresh_database(request.getfixturevalue("postgres_admin_url"))
    return make_site(tmp_path / "home", url, inbox, mail, **rules)


@dataclass
class Person:
    """One browser: a cookie jar, logged in, with the session's CSRF token."""

    site: Site
    username: str
    worker: int = 0
    client: TestClient = field(init=False)
    csrf: str = ""

    def __post_init__(self) -> None:
        self.client = self.site.client(self.worker)

    def sign_up(self, email: str, language: str = "en", *, confirm: bool = True) -> Person:
        made = self.client.post(
            "/api/signup",
            json={
                "username": self.username,
                "email": email,
                "password": password_of(self.username),
                "language": language,
            },
        )
        assert made.status_code == 201, made.text
        if confirm:
            token = self.site.inbox.link(email, "/confirm").split("token=")[1]
            assert self.client.post("/api/confirm", json={"token": token}).status_code == 200
        return self.log_in()

    def log_in(self) -> Person:
        self.client.get("/login")
        done = self.client.post(
            "/login",
            data={
                "username": self.username,
                "password": password_of(self.username),
                "csrf_token": self.client.cookies.get("tracktwo_csrf"),
                "next": "/",
            },
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        self.csrf = _CSRF.search(self.client.get("/account").text).group(1)  # type: ignore[union-attr]
        return self

    def post(self, path: str, body: dict[str, Any] | None = None, method: str = "POST") -> Any:
        return self.client.request(
            method, path, json=body or {}, headers={"X-CSRF-Token": self.csrf}
        )

    def get(self, path: str) -> Any:
        return self.client.get(path)
