"""``tracktwo bridges actors|ties|add-actor|add-tie|log|backup|restore``: look at and edit the
registry by hand, and back it up. Each command is one call into ``tracktwo.bridges``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tracktwo.bridges import add_actor, add_tie, list_actors, list_ties, log_activity
from tracktwo.bridges import backup as backup_registry
from tracktwo.bridges import restore as restore_registry
from tracktwo.cli._bridges import bridges_app
from tracktwo.cli._common import open_registry
from tracktwo.cli._output import FormatOption, OutputFormat, console, emit, output_options

_ACTOR_COLUMNS = (
    "id", "name", "local_name", "country", "kind", "track", "place", "areas_offered",
    "areas_needed", "politicised", "version",
)  # fmt: skip
_TIE_COLUMNS = (
    "id", "actor_a", "country_a", "actor_b", "country_b", "channel", "areas", "status",
    "status_reason", "start_date", "end_date", "activities", "last_activity", "version",
)  # fmt: skip
_STATUS_HELP = "proposed, active, dormant, ended or declined (a refused proposal)."

Areas = Annotated[str | None, typer.Option(help="Comma-separated areas, e.g. health,science.")]


def _shown(rows: list[dict[str, Any]], columns: tuple[str, ...], fmt: OutputFormat) -> list[dict]:
    """JSON gets every field as stored; a table or CSV the main ones, lists joined by commas."""
    if fmt is OutputFormat.json:
        return rows
    return [{c: ", ".join(r[c]) if isinstance(r[c], list) else r[c] for c in columns} for r in rows]


def _show_one(row: dict[str, Any], columns: tuple[str, ...], fmt: OutputFormat, title: str) -> None:
    emit(_shown([row], columns, fmt), fmt, title=title)


@bridges_app.command("actors")
@output_options
def actors(
    country: Annotated[str | None, typer.Option(help="Only this country (ISO3).")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind, e.g. university.")] = None,
    area: Annotated[str | None, typer.Option(help="Offering or needing this area.")] = None,
    search: Annotated[str | None, typer.Option(help="Text in any of the names.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List the actors in the registry."""
    with open_registry() as registry:
        rows = list_actors(registry, country=country, kind=kind, area=area, search=search)
    emit(
        _shown(rows, _ACTOR_COLUMNS, fmt),
        fmt,
        columns=_ACTOR_COLUMNS,
        title=f"{len(rows)} actor(s)",
    )


@bridges_app.command("ties")
@output_options
def ties(
    country: Annotated[
        list[str] | None, typer.Option(help="Ties touching this country; twice: between two.")
    ] = None,
    status: Annotated[str | None, typer.Option(help=_STATUS_HELP)] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List the ties with both actors, the number of activities and the last one's date."""
    sides = [*(country or []), None, None][:2]
    with open_registry() as registry:
        rows = list_ties(registry, country_a=sides[0], country_b=sides[1], status=status)
    emit(_shown(rows, _TIE_COLUMNS, fmt), fmt, columns=_TIE_COLUMNS, title=f"{len(rows)} tie(s)")


@bridges_app.command("add-actor")
@output_options
def add_actor_command(
    name: Annotated[str, typer.Option(help="Name in Latin script.")],
    country: Annotated[str, typer.Option(help="Country (ISO3, e.g. KHM).")],
    kind: Annotated[str, typer.Option(help="city, university, business, ngo ...")],
    local_name: Annotated[str | None, typer.Option(help="Name in local script.")] = None,
    place: Annotated[str | None, typer.Option(help="Where it is.")] = None,
    areas_offered: Areas = None,
    areas_needed: Areas = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Add an actor; prints it with its new id."""
    with open_registry() as registry:
        row = add_actor(
            registry, name=name, country=country, kind=kind, local_name=local_name, place=place,
            areas_offered=areas_offered, areas_needed=areas_needed,
        )  # fmt: skip
    _show_one(row, _ACTOR_COLUMNS, fmt, "Added")


@bridges_app.command("add-tie")
@output_options
def add_tie_command(
    actor_a_id: Annotated[int, typer.Argument(help="Id of one actor.")],
    actor_b_id: Annotated[int, typer.Argument(help="Id of an actor of another country.")],
    channel: Annotated[str, typer.Option(help="sister_city, academic_partnership ...")],
    areas: Areas = None,
    status: Annotated[str, typer.Option(help=_STATUS_HELP)] = "active",
    reason: Annotated[
        str | None, typer.Option(help="Why it has its status, e.g. why it was declined.")
    ] = None,
    start: Annotated[str | None, typer.Option(help="Start date, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="End date, YYYY-MM-DD.")] = None,
    evidence: Annotated[str | None, typer.Option(help="A URL or a note.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Tie two actors of different countries; prints the tie with its new id."""
    with open_registry() as registry:
        row = add_tie(
            registry, actor_a_id, actor_b_id, channel, areas=areas or (), status=status,
            start_date=start, end_date=end, evidence=evidence, status_reason=reason,
        )  # fmt: skip
    columns = ("id", "actor_a_id", "actor_b_id", "channel", "areas", "status", "status_reason",
               "start_date", "end_date", "version")  # fmt: skip
    _show_one(row, columns, fmt, "Added")


@bridges_app.command("log")
@output_options
def log_command(
    tie_id: Annotated[int, typer.Argument(help="Id of the tie.")],
    day: Annotated[str, typer.Option("--date", help="When, YYYY-MM-DD.")],
    kind: Annotated[str, typer.Option(help="visit, exchange, joint_project, agreement, event.")],
    participants: Annotated[int | None, typer.Option(help="How many people took part.")] = None,
    note: Annotated[str | None, typer.Option(help="What happened.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Log an activity on a tie."""
    with open_registry() as registry:
        row = log_activity(registry, tie_id, day, kind, participants=participants, note=note)
    columns = ("id", "tie_id", "activity_date", "kind", "participants", "note")
    _show_one(row, columns, fmt, "Logged")


@bridges_app.command("backup")
def backup_command(
    path: Annotated[Path, typer.Argument(help="The backup file (.jsonl, or .jsonl.gz).")],
) -> None:
    """Write every row of every table (registry, accounts, open doors) to one file."""
    with open_registry() as registry:
        counts = backup_registry(registry, path)
    console.print(f"Backed up {_counted(counts)} to {path}", highlight=False)


@bridges_app.command("restore")
def restore_command(
    path: Annotated[Path, typer.Argument(help="A file written by `tracktwo bridges backup`.")],
    replace: Annotated[
        bool, typer.Option(help="Empty a registry that holds rows before restoring.")
    ] = False,
) -> None:
    """Restore a backup into an empty registry, every id and version kept; all-or-nothing."""
    with open_registry() as registry:
        counts = restore_registry(registry, path, replace=replace)
    console.print(f"Restored {_counted(counts)} from {path}", highlight=False)


def _counted(counts: dict[str, int]) -> str:
    # every table is in the file; the ones holding rows are named
    held = ", ".join(f"{number} {table}" for table, number in counts.items() if number)
    return f"{len(counts)} tables ({held or 'no rows'})"
