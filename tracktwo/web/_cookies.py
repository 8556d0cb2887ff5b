"""The app's cookies and where a form may send a browser next.

The session cookie holds a browser session's secret; the CSRF cookie, the login and sign-up
forms' token before there is a session; the language cookie, a visitor's choice of language.
Every module that sets or reads one takes it from here, below the routes and the app.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request, Response

from tracktwo._i18n import best_language

__all__ = [
    "CSRF_COOKIE",
    "LANGUAGE_COOKIE",
    "SESSION_COOKIE",
    "forget_login_csrf",
    "keep_language",
    "keep_login_csrf",
    "keep_session",
    "request_language",
    "safe_next",
    "secure",
]

SESSION_COOKIE = "tracktwo_session"
CSRF_COOKIE = "tracktwo_csrf"  # the login form's token, before there is a session
LANGUAGE_COOKIE = "tracktwo_lang"
_YEAR = 365 * 86400


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def safe_next(target: str | None) -> str:
    """Only a path on this site: a login link must not send people elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "") if not parts.netloc else "/"


def keep_session(request: Request, response: Response, secret: str, hours: int) -> None:
    """The new session's cookie; the login form's token is spent."""
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax",
                        secure=secure(request), max_age=hours * 3600)  # fmt: skip
    forget_login_csrf(response)


def keep_login_csrf(request: Request, response: Response, token: str) -> None:
    """The login or sign-up form's CSRF token, for an hour."""
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=secure(request), max_age=3600)  # fmt: skip


def forget_login_csrf(response: Response) -> None:
    response.delete_cookie(CSRF_COOKIE)


def keep_language(response: Response, language: str) -> None:
    """A visitor's choice of language, for a year (read by ``request_language``)."""
    response.set_cookie(LANGUAGE_COOKIE, language, samesite="lax", max_age=_YEAR)


def request_language(request: Request) -> str:
    """The account's language, else the visitor's choice (a cookie), else the browser's."""
    account = getattr(request.state, "account", None)
    return best_language(
        account.language if account is not None else None,
        request.cookies.get(LANGUAGE_COOKIE),
        accept=request.headers.get("accept-language"),
    )
