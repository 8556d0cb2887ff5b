"""What many commands share, written once: the ``--db`` option and the registry it opens, the
date options and their parser, and the progress bar and status line long work shows on stderr."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tracktwo.bridges import Registry
from tracktwo.cli._app import state
from tracktwo.cli._output import err_console

__all__ = [
    "Bar",
    "DbOption",
    "SinceOption",
    "UntilOption",
    "check_day",
    "open_registry",
    "parse_day",
    "progress_bar",
    "status_line",
    "use_db",
]

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Registry database URL, e.g. postgresql+psycopg://user@host/db "
                              "(default $TRACKTWO_DB, else a SQLite file in the data directory)."),
]  # fmt: skip


def use_db(db: str | None) -> None:
    """Point this invocation's registry at ``db`` when one is given (``state`` is reset by
    every invocation, so it never leaks into the next command)."""
    if db is not None:
        state.db = db


def open_registry(db: str | None = None) -> Registry:
    """The registry the command line points at: ``db``, else ``--db`` given to the command
    group, else $TRACKTWO_DB, else the SQLite file in the data directory."""
    return Registry(db or state.db, home=state.home)


def parse_day(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option as a date (None when not given). A bad date is a usage error: click
    shows the command's usage, names the option and exits 2."""
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date like 2019-01-31",
                                 param_hint=f"'{option}'") from None  # fmt: skip


def check_day(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """Option callback: refuse a bad date while the command line is parsed, before a store or
    registry is opened (the command still reads it with :func:`parse_day`)."""
    parse_day(value, (param.opts or [f"--{param.name}"])[0])
    return value


SinceOption = Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.", callback=check_day)]
UntilOption = Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.", callback=check_day)]


class Bar:
    """The handle long work reports through: ``update(done, total)`` moves the bar,
    ``describe(text)`` names what is being done, ``advance(text)`` does both for one step."""

    def __init__(self, progress: Progress, task: object) -> None:
        self._progress, self._task = progress, task

    def update(self, done: int, total: int | None) -> None:
        self._progress.update(self._task, completed=done, total=total)  # type: ignore[arg-type]

    def describe(self, text: str) -> None:
        self._progress.update(self._task, description=text)  # type: ignore[arg-type]

    def advance(self, text: str | None = None) -> None:
        self._progress.update(self._task, advance=1, description=text)  # type: ignore[arg-type]


@contextmanager
def progress_bar(label: str, total: int | None = None) -> Iterator[Bar]:
    """A bar on stderr (label, bar, done/total, time) while the block runs; it disappears
    when done, and draws nothing when stderr is not a terminal (scripts, CI logs)."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err_console, transient=True,
                  disable=not err_console.is_terminal) as progress:  # fmt: skip
        yield Bar(progress, progress.add_task(label, total=total))


@contextmanager
def status_line(label: str) -> Iterator[Callable[[str], None]]:
    """A one-line spinner on stderr for work without a known total; the work updates it
    with what it is doing ("label: text")."""
    with err_console.status(label) as status:
        yield lambda text: status.update(f"{label}: {text}")
