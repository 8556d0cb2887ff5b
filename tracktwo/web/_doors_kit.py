"""How open doors' routes are declared: a page and its JSON twin, an action and its form.

``@personal_page(path, template)`` registers ``GET <path>`` (HTML) and ``GET /api<path>``
(JSON) like the dashboard's ``@page``, but never cached: these pages depend on who asks.
``@action(path, Body, then)`` is the app's one way to declare a change (``_actions.action``)
on the doors router: ``POST /api<path>`` (a JSON body, answered with JSON) and ``POST <path>``
(the same fields from an HTML form, answered with a redirect), after the same ``member``
check (logged in, and the CSRF token when the session cookie is used); the library checks
everything else (whose profile, confirmed, approved, limits).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tracktwo.accounts import Account
from tracktwo.web._actions import Id, as_json
from tracktwo.web._actions import action as declare
from tracktwo.web._auth import API_ERRORS, BEARER, AuthError, account_of, check_csrf
from tracktwo.web._downloads import Table, chosen_table, csv_response, downloadable, table_csv

__all__ = ["ERRORS", "Id", "Member", "action", "member", "personal_page", "router"]

router = APIRouter()
ERRORS: dict[int | str, dict[str, Any]] = {
    **API_ERRORS,
    429: {"description": "a daily limit, or the limit of wrong passwords, was reached"},
}


async def member(request: Request) -> Account:
    """Any logged-in account; with the session cookie, also the CSRF token (on a change)."""
    found = await run_in_threadpool(account_of, request)
    if found is None:
        raise AuthError(401, "login_required", "log in first")
    if request.method != "GET" and found.csrf_token is not None:
        await check_csrf(request, found.csrf_token)
    return found


Member = Annotated[Account, Depends(member)]


def personal_page(path: str, template: str, tables: Sequence[Table] = (), **api: Any) -> Callable:
    """``@page`` for a page that depends on who asks; ``tables`` as there (``_downloads``)."""

    def register(view: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(view)
        def twin(*args: Any, **kwargs: Any) -> Response:
            chosen = chosen_table(tables, kwargs)
            data = view(*args, **kwargs)
            if chosen is None:
                return as_json(data)
            return csv_response(table_csv(data, chosen), kwargs["request"].url.path, chosen.name)

        if tables:  # the twin's signature gains format and table (in OpenAPI too)
            twin.__signature__ = downloadable(view, tables)  # type: ignore[attr-defined]

        @functools.wraps(view)
        def as_html(*args: Any, **kwargs: Any) -> Response:
            request: Request = kwargs["request"]
            context = {**view(*args, **kwargs), "account": request.state.account}
            return request.app.state.templates.TemplateResponse(request, template, context)

        router.get(
            "/api" + path,
            response_class=JSONResponse,
            dependencies=[BEARER],
            responses=ERRORS,
            **api,
        )(twin)
        router.get(path, response_class=HTMLResponse, include_in_schema=False)(as_html)
        return view

    return register


def action(path: str, body: type[BaseModel] | None, then: str, **options: Any) -> Callable:
    """An open-doors change (``_actions.action``): for any member, with the 429 described."""
    return declare(router, path, body, then, who=Member, responses=ERRORS, **options)
