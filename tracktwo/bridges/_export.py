"""Export the registry: CSV (one file per table), JSON / JSON Lines (importable again with
``import_file``), and GEXF / GraphML graphs for Gephi (actors as nodes, ties as edges).

Ties and activities name their actors the way an import does (name, country, kind and, when the
actor has one, an external id in ``ref_a`` / ``ref_b``), so exporting to JSON and importing into
an empty registry reproduces every actor, tie and activity. CSV text cells that a spreadsheet
would run as a formula (starting with = + - @, a tab or a CR) are written with a leading ``'``
(:mod:`tracktwo._csv`); importing the CSV takes it off again.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracktwo._csv import safe_row
from tracktwo._errors import InputError
from tracktwo._json import plain
from tracktwo.bridges._fields import LIST_SEPARATOR
from tracktwo.bridges._io import ACTIVITY_FIELDS, ACTOR_FIELDS, TIE_FIELDS
from tracktwo.bridges._kinds import load_vocabulary
from tracktwo.bridges._matching import actor_ref
from tracktwo.bridges._models import Activity, Actor, Tie
from tracktwo.bridges._registry import Registry

__all__ = ["EXPORT_FORMATS", "TABLES", "build_graph", "export_registry", "registry_rows"]

EXPORT_FORMATS = ("csv", "json", "jsonl", "gexf", "graphml")
TABLES = ("actors", "ties", "activities")
_RECORD = {"actors": "actor", "ties": "tie", "activities": "activity"}


def _actor_row(actor: Actor) -> dict[str, Any]:
    row: dict[str, Any] = {"id": actor.id}
    row.update({name: getattr(actor, name) for name in ACTOR_FIELDS})
    row["track"] = load_vocabulary().kinds.get(actor.kind, "other")
    return row


def _ends(actor_a: Actor, actor_b: Actor) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for side, actor in (("a", actor_a), ("b", actor_b)):
        row.update(
            {
                f"actor_{side}": actor.name,
                f"country_{side}": actor.country,
                f"kind_{side}": actor.kind,
                f"ref_{side}": actor_ref(actor) or None,
            }
        )
    return row


def _tie_row(tie: Tie) -> dict[str, Any]:
    row: dict[str, Any] = {"id": tie.id, **_ends(tie.actor_a, tie.actor_b)}
    row.update({name: getattr(tie, name) for name in TIE_FIELDS if name not in row})
    return row


def _activity_row(activity: Activity) -> dict[str, Any]:
    tie = activity.tie
    row: dict[str, Any] = {"id": activity.id, "tie_id": tie.id, **_ends(tie.actor_a, tie.actor_b)}
    row.update(
        channel=tie.channel,
        date=activity.activity_date,
        kind=activity.kind,
        participants=activity.participants,
        note=activity.note,
    )
    assert set(row) - {"id"} <= set(ACTIVITY_FIELDS)
    return row


def registry_rows(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every actor, tie and activity as plain rows, keyed by table name, in id order."""
    ties = select(Tie).options(selectinload(Tie.actor_a), selectinload(Tie.actor_b))
    activities = select(Activity).options(
        selectinload(Activity.tie).selectinload(Tie.actor_a),
        selectinload(Activity.tie).selectinload(Tie.actor_b),
    )
    return {
        "actors": [_actor_row(a) for a in session.scalars(select(Actor).order_by(Actor.id))],
        "ties": [_tie_row(t) for t in session.scalars(ties.order_by(Tie.id))],
        "activities": [_activity_row(a) for a in session.scalars(activities.order_by(Activity.id))],
    }


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return "" if value is None else plain(value)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if rows:
            # a name such as =HYPERLINK(...) is written '=HYPERLINK(...): a spreadsheet shows
            # it as text, and the import takes the ' off again (tracktwo._csv)
            writer.writerow(safe_row(rows[0].keys()))
            writer.writerows(safe_row(_cell(v) for v in row.values()) for row in rows)


def _records(tables: dict[str, list[dict[str, Any]]]) -> Iterable[dict[str, Any]]:
    for table, rows in tables.items():
        for row in rows:
            yield {"record": _RECORD[table]} | {k: plain(v) for k, v in row.items()}


def _write_json(path: Path, tables: dict[str, list[dict[str, Any]]], lines: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    records = list(_records(tables))
    with path.open("w", encoding="utf-8") as handle:
        if lines:
            handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        else:
            json.dump(records, handle, ensure_ascii=False, indent=1)


def build_graph(session: Session) -> nx.MultiGraph:
    """Actors as nodes (kind, country, track ...), ties as edges keyed by tie id."""
    graph = nx.MultiGraph()
    tables = registry_rows(session)
    for row in tables["actors"]:
        attributes = {
            "label": row["name"],
            "kind": row["kind"],
            "country": row["country"],
            "track": row["track"],
            "local_name": row["local_name"],
            "latitude": row["latitude"],
            "longitude": row["longitude"],
            "politicised": bool(row["funded_by"]) or row["stance"] is not None,
        }
        graph.add_node(row["id"], **{k: v for k, v in attributes.items() if v is not None})
    actor_ids = _actor_ids(session)
    for row in tables["ties"]:
        attributes = {
            "channel": row["channel"],
            "status": row["status"],  # "declined": a refused proposal, not a tie; filter it out
            "status_reason": row["status_reason"],
            "areas": LIST_SEPARATOR.join(row["areas"] or []),
            "start_date": plain(row["start_date"]),
            "end_date": plain(row["end_date"]),
        }
        ends = actor_ids[row["id"]]
        graph.add_edge(*ends, key=row["id"], **{k: v for k, v in attributes.items() if v})
    return graph


def _actor_ids(session: Session) -> dict[int, tuple[int, int]]:
    query = select(Tie.id, Tie.actor_a_id, Tie.actor_b_id)
    return {tie: (a, b) for tie, a, b in session.execute(query)}


def export_registry(
    registry: Registry,
    path: str | os.PathLike[str],
    fmt: str = "json",
    *,
    table: str | None = None,
) -> dict[str, int]:
    """Write the registry to ``path``; returns the number of rows written per table.

    csv: a folder of actors.csv, ties.csv, activities.csv, or with ``table`` that one file;
    json / jsonl: one file of records with a ``record`` field; gexf / graphml: one graph file.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"export format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    if table is not None and table not in TABLES:
        raise InputError(f"table {table!r} is not one of {', '.join(TABLES)}")
    target = Path(path)
    with registry.read() as session:
        if fmt in ("gexf", "graphml"):
            return _write_graph(session, target, fmt)
        tables = registry_rows(session)
    chosen = {table: tables[table]} if table else tables
    if fmt == "csv" and table:
        _write_csv(target, chosen[table])
    elif fmt == "csv":
        for name, rows in chosen.items():
            _write_csv(target / f"{name}.csv", rows)
    else:
        _write_json(target, chosen, lines=fmt == "jsonl")
    return {name: len(rows) for name, rows in chosen.items()}


def _write_graph(session: Session, target: Path, fmt: str) -> dict[str, int]:
    graph = build_graph(session)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "gexf":
        nx.write_gexf(graph, target)
    else:
        nx.write_graphml(graph, target)
    return {"actors": graph.number_of_nodes(), "ties": graph.number_of_edges()}
