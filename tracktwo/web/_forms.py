"""Logging in and out, and the dashboard's changes: accepting a recommendation, logging an
activity.

Each change is declared once with ``@action`` (``_actions``): a form route (a browser: session
cookie + CSRF token, answered with a redirect) and an API route (a script: JSON body, API
token, answered with JSON), both calling the same library function after the same ``editor``
check.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tracktwo._i18n import N_
from tracktwo._json import plain
from tracktwo.accounts import (
    Account,
    begin_login,
    end_login,
    end_session,
    password_matches,
    start_session,
)
from tracktwo.bridges import ACTIVITY_KINDS, log_activity
from tracktwo.store import MAX_ID
from tracktwo.web._actions import action
from tracktwo.web._auth import (
    API_ERRORS,
    BEARER,
    account_of,
    check_csrf,
    editor,
    login_csrf,
    sources_of,
)
from tracktwo.web._client import client_address
from tracktwo.web._cookies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    keep_login_csrf,
    keep_session,
    safe_next,
)
from tracktwo.web._data import DataSources
from tracktwo.web._match_views import accept_view

__all__ = ["router"]

router = APIRouter()
Editor = Annotated[Account, Depends(editor)]
ActivityKind = Literal["visit", "exchange", "joint_project", "agreement", "event"]
assert set(ActivityKind.__args__) == set(ACTIVITY_KINDS)  # type: ignore[attr-defined]


# -- logging in and out -------------------------------------------------------------------------


def _login_page(request: Request, next_path: str, message: str | None, status: int) -> Response:
    token = login_csrf(request)
    response = request.app.state.templates.TemplateResponse(
        request, "login.html",
        {"csrf_token": token, "next": next_path, "message": message, "account": None},
        status_code=status,
    )  # fmt: skip
    keep_login_csrf(request, response, token)
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, safe_next(next), None, 200)


def _lower_priority() -> None:
    """In each argon2 thread: a lower CPU priority (nice +10; Linux sets it per thread), so
    the event loop and other requests' threads get the cores first during a login flood."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# argon2 checks run here, at most one a core at once per worker (each takes a core and 64
# MiB): a flood of logins queues for them, on the event loop and holding no thread of the
# pool, instead of taking every thread, the memory and the cores from other requests
_ARGON2 = ThreadPoolExecutor(max(1, os.cpu_count() or 1), "tracktwo-argon2", _lower_priority)


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=500)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The database work and the password check run on worker threads, never on the event
    loop (argon2 takes ~100 ms of CPU); LoginLimitError (429) for an attempt too early."""
    await check_csrf(request, request.cookies.get(CSRF_COOKIE) or "\0")
    sources = sources_of(request)
    settings = sources.settings
    started = await run_in_threadpool(begin_login, sources.registry, username,
                                      client_address(request), settings.login_limit)  # fmt: skip
    matches = await asyncio.get_running_loop().run_in_executor(
        _ARGON2, password_matches, started.hashed, password
    )
    found = await run_in_threadpool(end_login, sources.registry, started, matches)
    if found is None:
        return _login_page(request, safe_next(next), N_("Wrong username or password."), 401)
    secret, _ = await run_in_threadpool(start_session, sources.registry, found,
                                        settings.session_hours)  # fmt: skip
    response = RedirectResponse(safe_next(next), status_code=303)
    keep_session(request, response, secret, settings.session_hours)
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    found = await run_in_threadpool(account_of, request)
    if found is not None and found.csrf_token is not None:
        await check_csrf(request, found.csrf_token)
        await run_in_threadpool(end_session, sources_of(request).registry,
                                request.cookies[SESSION_COOKIE])  # fmt: skip
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/api/me", summary="Who am I", dependencies=[BEARER], responses=API_ERRORS)
def me(request: Request) -> dict[str, Any]:
    """The account behind the token or session, or ``null`` for an anonymous request."""
    found = account_of(request)
    if found is None:
        return {"account": None}
    return {"account": {"username": found.username, "role": found.role}}


# -- accepting a recommendation -----------------------------------------------------------------


class Proposal(BaseModel):
    source_id: int = Field(ge=1, le=MAX_ID, description="the actor seeking a partner")
    candidate_id: int = Field(ge=1, le=MAX_ID, description="the recommended partner")


# the dashboard's forms have always named a refused field as FastAPI's forms do: body.<name>
@action(router, "/proposals", Proposal, "/ties/{tie[id]}?accepted=1", who=Editor, status=201,
        form_fields="body", summary="Accept a recommendation")  # fmt: skip
def accept_api(sources: DataSources, who: Account, body: Proposal) -> dict[str, Any]:
    """Store the pair as a *proposed* tie with the score and explanation the model gives it."""
    return accept_view(sources, body.source_id, body.candidate_id)


# -- logging an activity ----------------------------------------------------------------------


class NewActivity(BaseModel):
    activity_date: date
    kind: ActivityKind
    participants: int | None = Field(default=None, ge=0, le=10_000_000)
    note: str | None = Field(default=None, max_length=5000)


@action(router, "/ties/{tie_id}/activities", NewActivity, "/ties/{activity[tie_id]}",
        who=Editor, changes=True, status=201, form_fields="body",
        summary="Log an activity")  # fmt: skip
def activity_api(sources: DataSources, who: Account, body: NewActivity, tie_id: int) -> dict:
    """Record a visit, exchange, joint project, agreement or event on a tie."""
    row = log_activity(sources.registry, tie_id, body.activity_date, body.kind,
                       body.participants, body.note)  # fmt: skip
    return {"activity": {k: plain(v) for k, v in row.items()}}
