"""``tracktwo serve`` and ``tracktwo users ...``: the dashboard and its accounts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tracktwo.cli._app import app, state
from tracktwo.cli._common import DbOption
from tracktwo.cli._output import FormatOption, OutputFormat, console, emit, output_options

users_app = typer.Typer(help="Accounts of the dashboard: viewers, editors, moderators, admins.")
app.add_typer(users_app, name="users")


def _settings(db: str | None):
    from tracktwo.web import WebSettings

    return WebSettings.from_env(home=state.home, db_url=db or state.db)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: DbOption = None,
) -> None:
    """Serve the dashboard and its JSON API (reading is public unless
    TRACKTWO_PUBLIC_READ=false; changes need an editor)."""
    from tracktwo.web import run_server

    run_server(_settings(db), host=host, port=port)


def _registry(db: str | None):
    from tracktwo.bridges import Registry

    return Registry(db or state.db, home=state.home)


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="viewer, editor, moderator or admin.")] = "viewer",
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input (for scripts).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Create an account (the password is asked for, or read from stdin)."""
    from tracktwo.accounts import add_user

    with _registry(db) as registry:
        made = add_user(registry, username, _password(password_stdin), role, email)
    console.print(f"User {made.username} added as {made.role}.")


@users_app.command("remove")
def users_remove(username: Annotated[str, typer.Argument()], db: DbOption = None) -> None:
    """Delete an account with its sessions and API tokens."""
    from tracktwo.accounts import remove_user

    with _registry(db) as registry:
        remove_user(registry, username)
    console.print(f"User {username} removed.")


@users_app.command("list")
@output_options
def users_list(db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Every account with its role."""
    from tracktwo.accounts import list_users

    with _registry(db) as registry:
        emit(
            list_users(registry),
            fmt,
            title="Users",
            columns=("username", "role", "email", "created_at"),
        )  # the header of no users


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Argument()],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "script",
    db: DbOption = None,
) -> None:
    """A new API token for scripts (printed once; only its digest is stored)."""
    from tracktwo.accounts import create_token

    with _registry(db) as registry:
        token = create_token(registry, username, label)
    typer.echo(token)
