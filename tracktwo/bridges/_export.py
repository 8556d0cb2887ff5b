"""Export the registry: CSV (one file per table), JSON / JSON Lines (importable again with
``import_file``), and GEXF / GraphML graphs for Gephi (actors as nodes, ties as edges), of the
whole registry or of one country pair.

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
from tracktwo.bridges._status import country_pair

__all__ = [
    "EXPORT_FORMATS",
    "GRAPH_FORMATS",
    "TABLES",
    "build_graph",
    "export_registry",
    "registry_rows",
]

EXPORT_FORMATS = ("csv", "json", "jsonl", "gexf", "graphml")
GRAPH_FORMATS = ("gexf", "graphml")
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


def _node_attributes(row: dict[str, Any], region: tuple[str | None, str | None]) -> dict[str, Any]:
    attributes = {
        "label": row["name"],
        "kind": row["kind"],
        "country": row["country"],
        "track": row["track"],
        "local_name": row["local_name"],
        "place": row["place"],
        # the first-level region (GeoNames admin1 code and name): "CA" California, "12" Phnom
        # Penh; what tells two places of one name apart
        "admin1": region[0],
        "admin1_name": region[1],
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "politicised": bool(row["funded_by"]) or row["stance"] is not None,
    }
    return {k: v for k, v in attributes.items() if v is not None}  # GEXF has no null


def _edge_attributes(row: dict[str, Any]) -> dict[str, Any]:
    attributes = {
        "tie_id": row["id"],  # also the edge's id and networkx key
        "channel": row["channel"],
        "status": row["status"],  # "declined": a refused proposal, not a tie; filter it out
        "status_reason": row["status_reason"],
        "areas": LIST_SEPARATOR.join(row["areas"] or []),
        "start_date": plain(row["start_date"]),
        "end_date": plain(row["end_date"]),
    }
    return {k: v for k, v in attributes.items() if v or k == "tie_id"}


def _pair_ties(ties: list[dict[str, Any]], pair: tuple[str, str]) -> list[dict[str, Any]]:
    """The ties between an actor of one country of ``pair`` and one of the other."""
    wanted = {pair, pair[::-1]}
    return [tie for tie in ties if (tie["country_a"], tie["country_b"]) in wanted]


def build_graph(session: Session, pair: tuple[str, str] | None = None) -> nx.MultiGraph:
    """Actors as nodes (kind, country, admin1 region, track ...), ties as edges keyed by tie
    id (with a ``tie_id`` attribute). Without ``pair`` every actor is a node, tie or not; with
    a pair of ISO3 codes only that pair's ties (any status) and the actors holding one."""
    tables = registry_rows(session)
    ties = tables["ties"] if pair is None else _pair_ties(tables["ties"], pair)
    ends = _actor_ids(session)
    tied = {actor for tie in ties for actor in ends[tie["id"]]}
    graph = nx.MultiGraph()
    regions = _admin1(session)
    for row in tables["actors"]:
        if pair is None or row["id"] in tied:
            graph.add_node(row["id"], **_node_attributes(row, regions[row["id"]]))
    for row in ties:
        graph.add_edge(*ends[row["id"]], key=row["id"], **_edge_attributes(row))
    return graph


def _admin1(session: Session) -> dict[int, tuple[str | None, str | None]]:
    """Each actor's admin1 code and name (set by the place loaders, not by an import: so
    not among the exported CSV / JSON columns)."""
    query = select(Actor.id, Actor.admin1, Actor.admin1_name)
    return {actor: (code, name) for actor, code, name in session.execute(query)}


def _actor_ids(session: Session) -> dict[int, tuple[int, int]]:
    query = select(Tie.id, Tie.actor_a_id, Tie.actor_b_id)
    return {tie: (a, b) for tie, a, b in session.execute(query)}


def export_registry(
    registry: Registry,
    path: str | os.PathLike[str],
    fmt: str = "json",
    *,
    table: str | None = None,
    pair: tuple[str, str] | None = None,
) -> dict[str, int]:
    """Write the registry to ``path``; returns the number of rows written per table.

    csv: a folder of actors.csv, ties.csv, activities.csv, or with ``table`` that one file;
    json / jsonl: one file of records with a ``record`` field; gexf / graphml: one graph file,
    of the whole registry or, with ``pair`` (two countries: ISO3, ISO2 or names), of that
    pair's ties and the actors holding them.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"export format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    if table is not None and table not in TABLES:
        raise InputError(f"table {table!r} is not one of {', '.join(TABLES)}")
    if pair is not None and fmt not in GRAPH_FORMATS:
        raise InputError(f"a pair is exported as a graph only ({', '.join(GRAPH_FORMATS)})")
    chosen_pair = None if pair is None else country_pair(*pair)
    target = Path(path)
    with registry.read() as session:
        if fmt in GRAPH_FORMATS:
            return _write_graph(session, target, fmt, chosen_pair)
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


def _write_graph(
    session: Session, target: Path, fmt: str, pair: tuple[str, str] | None
) -> dict[str, int]:
    graph = build_graph(session, pair)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "gexf":
        # "id" makes each GEXF edge id the tie id (GraphML takes it from the key; networkx
        # also writes the key to GEXF as a networkx_key attribute, for read_gexf)
        for *_, key, data in graph.edges(keys=True, data=True):
            data["id"] = key
        nx.write_gexf(graph, target)
    else:
        nx.write_graphml(graph, target)
    return {"actors": graph.number_of_nodes(), "ties": graph.number_of_edges()}
