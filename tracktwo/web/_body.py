"""A cap on request bodies: a 413 instead of parsing megabytes of JSON or form.

A body whose ``Content-Length`` is over the cap is refused before a byte of it is read and
before the app sees the request. A body without one (``Transfer-Encoding: chunked``) is
counted as it arrives, and the read that passes the cap fails with the same 413, so no more
than the cap plus one chunk is ever held. Forms (``application/x-www-form-urlencoded``,
``multipart/form-data``) get ``max_form_bytes``; every other body ``max_json_bytes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tracktwo._i18n import N_

__all__ = ["BodyCap", "BodyTooLarge"]

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
MESSAGE = N_("the request body is larger than this server accepts")
N_("payload too large")  # the error page shows the code, as other codes, translated


class BodyTooLarge(HTTPException):
    """413: FastAPI passes an HTTPException raised while it reads a body on to the app's
    error handler (any other exception there becomes a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=MESSAGE)
        self.limit = limit


def _header(scope: Any, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return value.decode("latin-1")
    return None


def _declared(scope: Any) -> int | None:
    raw = _header(scope, b"content-length")
    # the server has refused a malformed length already; counting covers the rest
    return int(raw) if raw is not None and raw.strip().isdigit() else None


class BodyCap:
    """A plain ASGI middleware (not ``BaseHTTPMiddleware``, which adds a task and a stream
    to every request); ``refuse`` turns the 413 into the app's error answer."""

    def __init__(self, app: Any, json_bytes: int, form_bytes: int,
                 refuse: Callable[[Request, Exception], Response]) -> None:  # fmt: skip
        self.app = app
        self.json_bytes = json_bytes
        self.form_bytes = form_bytes
        self.refuse = refuse

    def _cap(self, scope: Any) -> int:
        kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        return self.form_bytes if kind in _FORMS else self.json_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self._cap(scope)
        declared = _declared(scope)
        if declared is not None and declared > cap:
            await self._answer(scope, receive, send, BodyTooLarge(cap))
            return
        seen = 0
        started = False

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise BodyTooLarge(cap)
            return message

        async def watched(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:
            # the app's handler answers it as a rule; this is for a read outside a route
            if started:
                raise
            await self._answer(scope, receive, send, exc)

    async def _answer(self, scope: Any, receive: Any, send: Any, exc: BodyTooLarge) -> None:
        response = self.refuse(Request(scope, receive), exc)
        await response(scope, receive, send)
