"""How every change is declared: ``@action`` registers its JSON route and its form route.

``@action(router, path, Body, then, who=Editor)`` registers ``POST /api<path>`` (a JSON body,
an API token or the session cookie, answered with JSON) and ``POST <path>`` (the same fields
from an HTML form, answered with a redirect to ``then``, a format string over what the change
returned, e.g. ``"/doors/requests/{id}"``). Both call the one function declared,
``do(sources, who, body, **ids)``, after the same permission check ``who`` (a dependency: the
dashboard's editor, open doors' member). Every ``{name}`` in the path is an id (1 to
``MAX_ID``). ``changes=True``: the change writes the registry, so this worker's cached figures
are stale after it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from tracktwo.store import MAX_ID
from tracktwo.web._auth import API_ERRORS, BEARER, sources_of
from tracktwo.web._data import DataSources

__all__ = ["Id", "action", "as_json", "form_of"]

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Done = Callable[..., dict[str, Any]]


def as_json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(data), status_code=status)


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


async def form_of(request: Request, model: type[BaseModel], where: str = "form") -> BaseModel:
    """The model's fields from the posted form; a bad field is a 422 like the API's, its
    field named ``<where>.<name>``."""
    data = _form_data(await request.form(), model)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": (where, *e["loc"])} for e in exc.errors()]
        ) from exc


def _signature(ids: tuple[str, ...], body: type[BaseModel] | None, who: Any) -> inspect.Signature:
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    ]
    params += [inspect.Parameter(name, keyword, annotation=Id) for name in ids]
    if body is not None:
        params.append(inspect.Parameter("body", keyword, annotation=body))
    params.append(inspect.Parameter("who", keyword, annotation=who))
    return inspect.Signature(params)


def action(
    router: APIRouter,
    path: str,
    body: type[BaseModel] | None,
    then: str,
    *,
    who: Any,
    changes: bool = False,
    status: int = 200,
    method: str = "post",
    responses: dict[int | str, dict[str, Any]] = API_ERRORS,
    form_fields: str = "form",
    **api: Any,
) -> Callable[[Done], Done]:
    """Register ``do`` on ``router`` as an API route (``method``, answered with ``status``)
    and a form route (POST, answered with 303 to ``then``); ``form_fields`` names a form's
    refused fields in the error (``form.x``, or ``body.x`` as FastAPI's own forms)."""
    ids = tuple(part[1:-1] for part in path.split("/") if part.startswith("{"))

    def register(do: Done) -> Done:
        def run(request: Request, who: Any, parsed: BaseModel | None, **kwargs: Any) -> dict:
            sources: DataSources = sources_of(request)
            done = do(sources, who, parsed, **kwargs)
            if changes:  # the registry changed: this worker's figures are stale
                sources.changed()
            return done

        def api_route(request: Request, **kwargs: Any) -> Response:
            account = kwargs.pop("who")
            return as_json(run(request, account, kwargs.pop("body", None), **kwargs), status)

        async def form_route(request: Request, **kwargs: Any) -> Response:
            account = kwargs.pop("who")
            parsed = await form_of(request, body, form_fields) if body is not None else None
            done = await run_in_threadpool(run, request, account, parsed, **kwargs)
            return RedirectResponse(then.format_map(done), status_code=303)

        api_route.__signature__ = _signature(ids, body, who)  # type: ignore[attr-defined]
        form_route.__signature__ = _signature(ids, None, who)  # type: ignore[attr-defined]
        api_route.__doc__ = do.__doc__
        router.add_api_route("/api" + path, api_route, methods=[method.upper()],
                             status_code=status, dependencies=[BEARER], responses=responses,
                             name=do.__name__, **api)  # fmt: skip
        router.add_api_route(path, form_route, methods=["POST"], include_in_schema=False,
                             name=do.__name__ + "_form")  # fmt: skip
        return do

    return register
