"""How open doors' routes are declared: a page and its JSON twin, an action and its form.

``@personal_page(path, template)`` registers ``GET <path>`` (HTML) and ``GET /api<path>``
(JSON) like the dashboard's ``@page``, but never cached: these pages depend on who asks.
``@action(path, Body)`` registers ``POST /api<path>`` (a JSON body, answered with JSON) and
``POST <path>`` (the same fields from an HTML form, answered with a redirect). Both call the
one function declared, after the same ``member`` check (logged in, and the CSRF token when
the session cookie is used); the library checks everything else (whose profile, confirmed,
approved, limits).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from tracktwo.accounts import Account
from tracktwo.web._auth import API_ERRORS, BEARER, AuthError, account_of, check_csrf
from tracktwo.web._pages import MAX_ID

__all__ = ["ERRORS", "MAX_ID", "Member", "action", "form_of", "member", "personal_page", "router"]

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
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def _as_json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(data), status_code=status)


def personal_page(path: str, template: str, **api: Any) -> Callable:
    def register(view: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(view)
        def as_json(*args: Any, **kwargs: Any) -> Response:
            return _as_json(view(*args, **kwargs))

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
        )(as_json)
        router.get(path, response_class=HTMLResponse, include_in_schema=False)(as_html)
        return view

    return register


def _form_data(form: Any, model: type[BaseModel]) -> dict[str, Any]:
    """A field left empty is sent as None (cleared); one absent from the form is left out.
    Checkboxes send nothing when none is ticked, so a list field is always sent."""
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if "list" in str(field.annotation):
            data[name] = [v for v in form.getlist(name) if str(v).strip()]
        elif name in form:
            value = form.get(name)
            data[name] = value if not isinstance(value, str) or value.strip() else None
    return data


async def form_of(request: Request, model: type[BaseModel]) -> BaseModel:
    """The model's fields from the posted form; a bad field is a 422 like the API's."""
    data = _form_data(await request.form(), model)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("form", *e["loc"])} for e in exc.errors()]
        ) from exc


def _signature(ids: tuple[str, ...], body: type[BaseModel] | None) -> inspect.Signature:
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    ]
    params += [inspect.Parameter(name, keyword, annotation=Id) for name in ids]
    if body is not None:
        params.append(inspect.Parameter("body", keyword, annotation=body))
    params.append(inspect.Parameter("who", keyword, annotation=Member))
    return inspect.Signature(params)


def action(
    path: str,
    body: type[BaseModel] | None,
    then: Callable[[dict[str, Any]], str],
    *,
    status: int = 200,
    method: str = "post",
    **api: Any,
) -> Callable:
    """Register ``do(request, who, body, **ids)`` as an API route and a form route; ``then``
    gives the page a browser goes to after the form."""
    ids = tuple(part[1:-1] for part in path.split("/") if part.startswith("{"))

    def register(do: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        def api_route(request: Request, **kwargs: Any) -> Response:
            who = kwargs.pop("who")
            return _as_json(do(request, who, kwargs.pop("body", None), **kwargs), status)

        async def form_route(request: Request, **kwargs: Any) -> Response:
            who = kwargs.pop("who")
            parsed = await form_of(request, body) if body is not None else None
            done = await run_in_threadpool(do, request, who, parsed, **kwargs)
            return RedirectResponse(then(done), status_code=303)

        api_route.__signature__ = _signature(ids, body)  # type: ignore[attr-defined]
        form_route.__signature__ = _signature(ids, None)  # type: ignore[attr-defined]
        api_route.__doc__ = do.__doc__
        router.add_api_route(
            "/api" + path,
            api_route,
            methods=[method.upper()],
            status_code=status,
            dependencies=[BEARER],
            responses=ERRORS,
            name=do.__name__,
            **api,
        )
        router.add_api_route(
            path, form_route, methods=["POST"], include_in_schema=False, name=do.__name__ + "_form"
        )
        return do

    return register
