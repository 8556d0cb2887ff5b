"""Who is asking, and may they: the permission checks every route declares.

A request is authenticated by an API token (``Authorization: Bearer t2_...``) or by the
session cookie. Reading may be public (``WebSettings.public_read``); every change needs an
editor. A change made with the session cookie must also carry the session's CSRF token (the
form field ``csrf_token`` or the ``X-CSRF-Token`` header): another site can make a browser send
the cookie, but cannot read the token. A token-authenticated request carries no cookie, so it
needs no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request, Security
from fastapi.security import HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tracktwo._errors import TrackTwoError
from tracktwo.accounts import Account, session_account, token_account
from tracktwo.web._cookies import CSRF_COOKIE, SESSION_COOKIE
from tracktwo.web._data import DataSources

__all__ = [
    "API_ERRORS",
    "BEARER",
    "AuthError",
    "account_of",
    "check_csrf",
    "editor",
    "login_csrf",
    "reader",
    "sources_of",
]


class AuthError(TrackTwoError, PermissionError):
    """Not logged in (401), not allowed (403) or a missing CSRF token (403). Too many failed
    logins are a LoginLimitError (429, tracktwo.web._login_limit)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def sources_of(request: Request) -> DataSources:
    return request.app.state.sources


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def account_of(request: Request) -> Account | None:
    """The account behind the request's token or session cookie (looked up once)."""
    if hasattr(request.state, "account"):
        return request.state.account
    registry = sources_of(request).registry
    token = _bearer(request)
    if token is not None:
        found = token_account(registry, token)
        if found is None:
            raise AuthError(401, "bad_token", "the API token is unknown or was revoked")
    else:
        secret = request.cookies.get(SESSION_COOKIE)
        found = session_account(registry, secret) if secret else None
    request.state.account = found
    return found


async def reader(request: Request) -> Account | None:
    """Anyone when reading is public; otherwise any logged-in user.

    An anonymous request is answered on the event loop; one with credentials looks them up in
    the database on a worker thread, so a slow database never blocks other requests."""
    if _bearer(request) is None and SESSION_COOKIE not in request.cookies:
        request.state.account = None
        found = None
    else:
        found = await run_in_threadpool(account_of, request)
    if found is None and not sources_of(request).settings.public_read:
        raise AuthError(401, "login_required", "log in to read this page")
    return found


async def check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get("csrf_token") or "")
    if not sent or not hmac.compare_digest(sent, expected):
        raise AuthError(403, "csrf", "the form's CSRF token is missing or wrong: reload the page")


async def editor(request: Request) -> Account:
    """A logged-in editor or admin; with the session cookie, also the CSRF token."""
    found = await run_in_threadpool(account_of, request)
    if found is None:
        raise AuthError(401, "login_required", "log in to change anything")
    if not found.can("editor"):
        raise AuthError(403, "forbidden", f"{found.username} is a {found.role}: changes need "
                                          "an editor")  # fmt: skip
    if found.csrf_token is not None:
        await check_csrf(request, found.csrf_token)
    return found


def login_csrf(request: Request) -> str:
    """The login form's CSRF token: the one in the browser's cookie, or a new one."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


# -- how the API describes itself (OpenAPI) ---------------------------------------------------


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    fields: list[dict[str, str]] | None = None


class ErrorBody(BaseModel):
    """The one error shape of the API."""

    error: ErrorDetail


# declares the bearer scheme in OpenAPI; account_of reads the header itself
BEARER = Security(HTTPBearer(auto_error=False, description="an API token: tracktwo users token"))
API_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in ((400, "a value tracktwo refuses"), (401, "login or token needed"),
                         (403, "not allowed, or no CSRF token"), (404, "not found"),
                         (413, "the request body is larger than the server accepts"),
                         (422, "a parameter of the wrong type or range"),
                         (429, "too many attempts: wait as Retry-After says"),
                         (503, "the event store is busy: retry after Retry-After seconds"))
}  # fmt: skip
