"""Accounts: users and their roles, passwords, browser sessions, API tokens and login limits.

Everything here works on the registry database and knows nothing of HTTP: the web app reads
the session cookie or the bearer token and asks ``session_account``/``token_account`` who it
is; open doors and the ``users`` command create, check and delete accounts through the same
functions. No FastAPI is imported here.
"""

from tracktwo.accounts._limit import (
    DELETION,
    Attempt,
    LoginLimit,
    LoginLimitError,
    begin_attempt,
    forget_attempt,
    login_wait,
)
from tracktwo.accounts._logins import (
    LoginCheck,
    begin_login,
    check_login,
    end_login,
    end_session,
    login_locked,
    password_matches,
    session_account,
    start_session,
)
from tracktwo.accounts._models import ROLES, ApiToken, LoginAttempt, User, WebSession
from tracktwo.accounts._users import (
    MIN_PASSWORD,
    Account,
    account_from,
    add_user,
    check_name_free,
    check_password,
    check_username,
    create_token,
    digest,
    hash_password,
    list_users,
    remove_user,
    stage_user,
    token_account,
)

__all__ = [
    "DELETION",
    "MIN_PASSWORD",
    "ROLES",
    "Account",
    "ApiToken",
    "Attempt",
    "LoginAttempt",
    "LoginCheck",
    "LoginLimit",
    "LoginLimitError",
    "User",
    "WebSession",
    "account_from",
    "add_user",
    "begin_attempt",
    "begin_login",
    "check_login",
    "check_name_free",
    "check_password",
    "check_username",
    "create_token",
    "digest",
    "end_login",
    "end_session",
    "forget_attempt",
    "hash_password",
    "list_users",
    "login_locked",
    "login_wait",
    "password_matches",
    "remove_user",
    "session_account",
    "stage_user",
    "start_session",
    "token_account",
]
