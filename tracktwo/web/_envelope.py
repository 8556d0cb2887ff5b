"""The one error envelope: which status and code each error is answered with.

``{"error": {"status": 404, "code": "not_found", "message": "..."}}``, plus ``"fields"`` for a
request that failed validation. The app's handler (``_app``) sends it; the API reference page
(``_reference``) lists the codes.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException

from tracktwo._errors import (
    ConflictError,
    EngineError,
    FieldError,
    InputError,
    LimitError,
    NotAllowedError,
    NotFoundError,
)
from tracktwo.web._auth import AuthError

__all__ = ["STATUS_CODES", "classify", "error_body"]

STATUS_CODES = {400: "invalid_input", 404: "not_found", 405: "method_not_allowed",
                409: "conflict", 413: "payload_too_large", 422: "invalid_request",
                503: "unavailable"}  # fmt: skip


def error_body(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, **extra}}


def classify(exc: Exception) -> tuple[int, str, str]:
    """The status, code and message an error is answered with."""
    if isinstance(exc, AuthError):
        return exc.status, exc.code, str(exc)
    if isinstance(exc, NotAllowedError):
        return 403, exc.code, str(exc)
    if isinstance(exc, LimitError):
        return 429, "too_many_requests", str(exc)
    if isinstance(exc, FieldError):  # one named field: answered as the schema's refusals are
        return 422, STATUS_CODES[422], str(exc)
    for kind, status in ((NotFoundError, 404), (ConflictError, 409), (InputError, 400),
                         (EngineError, 503)):  # fmt: skip
        if isinstance(exc, kind):
            return status, STATUS_CODES[status], str(exc)
    if isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        return status, STATUS_CODES.get(status, f"http_{status}"), str(exc.detail)
    return 500, "internal", "an unexpected error happened; it has been logged"
