"""``tracktwo bridges import | export | load``: files in and out of the registry, and open data."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tracktwo._errors import InputError
from tracktwo.bridges import (
    MatchReport,
    export_registry,
    import_file,
    load_diaspora,
    load_open_data,
)
from tracktwo.cli._bridges import bridges_app
from tracktwo.cli._common import open_registry, progress_bar
from tracktwo.cli._output import FormatOption, OutputFormat, emit, err_console, output_options

__all__ = ["export_command", "import_command", "load_command"]


class RecordKind(StrEnum):
    actor = "actor"
    tie = "tie"
    activity = "activity"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    gexf = "gexf"
    graphml = "graphml"


class Table(StrEnum):
    actors = "actors"
    ties = "ties"
    activities = "activities"


class OpenData(StrEnum):
    places = "places"
    provinces = "provinces"
    states = "states"
    universities = "universities"
    sister_cities = "sister-cities"
    khm_usa_ties = "khm-usa-ties"
    diaspora = "diaspora"


@bridges_app.command("import")
@output_options
def import_command(
    file: Annotated[Path, typer.Argument(help="A .csv, .json or .jsonl file (.gz etc. fine).")],
    rows: Annotated[
        RecordKind | None,
        typer.Option("--rows", help="What rows without a 'record' column hold."),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Import actors, ties and activities: all rows or none, re-imports change nothing."""
    with open_registry() as registry:
        report = import_file(registry, file, kind_of_rows=rows.value if rows else None)
    for note in report.notes:
        err_console.print(f"fuzzy match, please check: {note}", highlight=False)
    emit(report.rows(), fmt, title=f"Imported {file.name}")


# a file's suffix -> its export format, for ``--to FILE``
_SUFFIXES = {f".{f}": f for f in ExportFormat}


def _export_target(path: Path | None, to: str) -> tuple[Path, str]:
    """``PATH --to FORMAT`` (as before) or ``--to FILE`` (the format from its suffix)."""
    if to in _SUFFIXES.values():
        if path is None:
            raise InputError(f"PATH: give the file or folder to write, or --to FILE.{to}")
        return path, to
    if path is not None:
        raise InputError(f"--to {to!r}: with PATH, give a format: {', '.join(ExportFormat)}")
    fmt = _SUFFIXES.get(Path(to).suffix.lower())
    if fmt is None:
        raise InputError(
            f"--to {to!r}: give a format ({', '.join(ExportFormat)}) or a file ending in "
            f"{', '.join(_SUFFIXES)}"
        )
    return Path(to), fmt


@bridges_app.command("export")
@output_options
def export_command(
    path: Annotated[
        Path | None,
        typer.Argument(help="A file (json, jsonl, gexf, graphml) or a folder (csv); or use "
                            "--to FILE."),
    ] = None,
    to: Annotated[
        str,
        typer.Option("--to", help="The format (csv, json, jsonl, gexf, graphml) of PATH, or "
                                  "the file to write, its format from its suffix (net.gexf)."),
    ] = ExportFormat.json.value,
    table: Annotated[Table | None, typer.Option(help="Only this table.")] = None,
    pair: Annotated[
        tuple[str, str] | None,
        typer.Option(help="gexf/graphml: only the ties between these two countries and the "
                          "actors holding one (default: every actor and tie)."),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:  # fmt: skip
    """Export the registry to CSV or JSON, or as a graph for Gephi (GEXF, GraphML): of the whole
    registry, or of one country pair (--pair KHM USA --to net.gexf)."""
    target, chosen = _export_target(path, to)
    with open_registry() as registry:
        counts = export_registry(registry, target, chosen, table=table.value if table else None,
                                 pair=pair)  # fmt: skip
    emit([{"table": name, "rows": count} for name, count in counts.items()], fmt,
         title=f"Exported to {target}")  # fmt: skip


def _load_diaspora(source: OpenData, file: Path | None, fmt: OutputFormat) -> None:
    if source is not OpenData.diaspora:
        raise InputError(f"FILE: {source.value} takes no file; only diaspora does")
    if file is None:
        raise InputError(
            "FILE: loading diaspora figures needs a file, e.g. "
            "tracktwo bridges load diaspora tracktwo/datasets/diaspora_khm_usa.csv"
        )
    with open_registry() as registry:
        report = load_diaspora(registry, file)
    rows = report.rows()
    if fmt is OutputFormat.table:  # a year, not a quantity: 2010, not 2,010
        rows = [{**row, "year": None if row["year"] is None else str(row["year"])} for row in rows]
    emit(rows, fmt, title=f"Diaspora figures of {file.name}")
    err_console.print(str(report), highlight=False, markup=False)


@bridges_app.command("load")
@output_options
def load_command(
    source: Annotated[OpenData, typer.Argument(help="Which open data to load.")],
    file: Annotated[
        Path | None,
        typer.Argument(help="diaspora: the file of figures (CSV, JSON or JSON Lines), e.g. "
                            "tracktwo/datasets/diaspora_khm_usa.csv."),
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(help="Country (ISO3, ISO2 or name); for sister-cities, pairs with a city "
                          "there (default: the whole list)."),
    ] = None,
    create_unmatched: Annotated[
        bool, typer.Option(help="sister-cities: create cities no gazetteer knows, from the list.")
    ] = False,
    problems: Annotated[bool, typer.Option(help="Also list every unmatched pair.")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:  # fmt: skip
    """Load GeoNames places, Cambodia's provinces, the US states, universities, the sister-city
    list, or the reported Cambodia–US ties (khm-usa-ties: sister cities, university agreements
    and the declined 2023 Lowell proposals); or diaspora figures from FILE
    (docs/bridges-import.md)."""
    if source is OpenData.diaspora or file is not None:
        _load_diaspora(source, file, fmt)
        return
    options = {"create_unmatched": create_unmatched} if source is OpenData.sister_cities else {}
    with open_registry() as registry, progress_bar(f"loading {source.value}") as bar:
        report = load_open_data(registry, source.value, country=country, progress=bar.update,
                                **options)  # fmt: skip
    emit(report.rows(), fmt, title=f"Loaded {source.value}")
    if problems and isinstance(report, MatchReport) and report.problems:
        emit(report.problem_rows(), fmt, title="Pairs not written")
