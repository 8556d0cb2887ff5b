"""The FastAPI application factory, the one error envelope, and the server.

Every error leaves the app in one shape. Under ``/api`` it is JSON::

    {"error": {"status": 404, "code": "not_found", "message": "actor_id: no actor with id 7"}}

(plus ``"fields"`` for a request that failed validation); a page gets the same status and
message as HTML. No traceback reaches a client: an unexpected error is logged and answered
with status 500 and a one-line message.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

import tracktwo
from tracktwo._errors import FieldError, TrackTwoError
from tracktwo._i18n import LANGUAGE_NAMES, translator
from tracktwo.web._actors_view import MAX_PER_PAGE
from tracktwo.web._auth import account_of
from tracktwo.web._body import BodyCap
from tracktwo.web._client import ForwardedScheme
from tracktwo.web._cookies import request_language
from tracktwo.web._data import DataSources
from tracktwo.web._downloads import download_links
from tracktwo.web._envelope import classify, error_body
from tracktwo.web._routes import include_routes
from tracktwo.web._settings import WebSettings

__all__ = ["app_from_env", "create_app", "run_server"]

log = logging.getLogger("tracktwo.web")
_HERE = Path(__file__).parent
# no script may run, whatever a page contains: the dashboard has none of its own
_CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/openapi.json"


def _fields(exc: RequestValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in error.get("loc", ())),
             "message": str(error.get("msg", ""))} for error in exc.errors()]  # fmt: skip


def _error_response(request: Request, exc: Exception) -> Response:
    status, code, message = classify(exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, RequestValidationError):
        status, code = 422, "invalid_request"
        extra["fields"] = _fields(exc)
        message = "; ".join(f"{f['field']}: {f['message']}" for f in extra["fields"])
    if isinstance(exc, FieldError):
        extra["fields"] = [{"field": exc.field, "message": exc.problem}]
    if status == 500:
        log.error("unexpected error on %s", request.url.path, exc_info=exc)
    # a busy event store (StoreBusyError) or a login limit (LoginLimitError) says when to
    # come back
    retry = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry)} if retry else None
    if _wants_json(request):
        return JSONResponse(error_body(status, code, message, **extra), status_code=status,
                            headers=headers)  # fmt: skip
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "code": code, "message": message,
                                "account": getattr(request.state, "account", None),
                                "back": _same_site_referer(request)},
        status_code=status, headers=headers,
    )  # fmt: skip


def _same_site_referer(request: Request) -> str | None:
    """The page a failed form was sent from, if it is on this site: the way back to it."""
    parts = urlsplit(request.headers.get("referer", ""))
    if parts.netloc != request.url.netloc or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class _SecurityHeaders:
    """Adds the security headers to every response. A plain ASGI middleware: Starlette's
    ``BaseHTTPMiddleware`` runs each request through an extra task and stream."""

    _HEADERS = (
        (b"content-security-policy", _CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    )

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self._HEADERS if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def _language_context(request: Request) -> dict[str, Any]:
    language = request_language(request)
    return {"_": translator(language), "lang": language, "language_names": LANGUAGE_NAMES}


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(
        directory=str(_HERE / "templates"), context_processors=[_language_context]
    )
    templates.env.globals["version"] = tracktwo.__version__
    templates.env.globals["download_links"] = download_links  # _downloads.html
    templates.env.globals["max_per_page"] = MAX_PER_PAGE
    templates.env.filters["num"] = _number
    templates.env.filters["share"] = _share
    templates.env.filters["label"] = lambda text: str(text or "").replace("_", " ")
    return templates


def _number(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{float(value):,.{digits}f}"


def _share(value: Any) -> str:
    return "–" if value is None else f"{float(value):.0%}"


def create_app(settings: WebSettings) -> FastAPI:
    """The dashboard and its JSON API over the data directory and registry of ``settings``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.sources.close()

    app = FastAPI(
        title="tracktwo", version=tracktwo.__version__, lifespan=lifespan,
        description="The pulse, bridges and recommended partnerships of a country pair. "
        "Every page of the dashboard has its JSON twin here. Reading may be public; changes "
        "need an editor's API token (`Authorization: Bearer t2_...`).",
        docs_url=None, redoc_url=None,  # /docs is _reference's page: Swagger needs a CDN
    )  # fmt: skip
    app.state.sources = DataSources(settings)
    app.state.templates = _templates()
    # the last added runs first: headers on every answer, then the scheme, then the cap
    app.add_middleware(BodyCap, json_bytes=settings.max_json_bytes,
                       form_bytes=settings.max_form_bytes, refuse=_error_response)  # fmt: skip
    app.add_middleware(ForwardedScheme, proxies=settings.trusted_proxies)
    app.add_middleware(_SecurityHeaders)
    for kind in (TrackTwoError, StarletteHTTPException, RequestValidationError, Exception):
        app.add_exception_handler(kind, _error_response)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    include_routes(app)
    app.state.account_of = account_of
    return app


def run_server(settings: WebSettings, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the dashboard until interrupted (one worker; for several, run uvicorn with
    ``--factory tracktwo.web._app:app_from_env --workers N --no-proxy-headers``).

    uvicorn's proxy headers stay off: the app reads X-Forwarded-For itself, and only from
    the proxies in ``settings.trusted_proxies`` (tracktwo.web._client)."""
    import os
    from dataclasses import replace

    import uvicorn

    if not os.environ.get("TRACKTWO_BASE_URL"):  # links in e-mails point at this server
        settings = replace(settings, mail=replace(settings.mail, base_url=f"http://{host}:{port}"))
    app = create_app(settings)
    gc.freeze()  # the imported libraries stay for the process's life: no need to re-scan them
    print(f"tracktwo dashboard on http://{host}:{port}/  (Ctrl+C stops it)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory tracktwo.web._app:app_from_env --no-proxy-headers``: settings
    from TRACKTWO_*. Without ``--no-proxy-headers`` (or ``--forwarded-allow-ips`` naming only
    the proxy) uvicorn believes X-Forwarded-For from 127.0.0.1 before the app sees it."""
    app = create_app(WebSettings.from_env())
    gc.freeze()  # the imported libraries stay for the process's life: no need to re-scan them
    return app
