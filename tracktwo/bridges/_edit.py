"""Editing the bridges registry: add, change, list and remove actors, ties and activities.

Every value is checked before anything is written, and a bad one raises ``InputError`` with a
message that starts with the field's name (``"kind: unknown actor kind 'spaceport'; ..."``).
Every write is one transaction: it all happens or none of it does.

Lost updates are prevented by an optimistic version check. An editor reads a row with its
``version``, and sends that number back with the change (``expected_version``). The change runs
as ``UPDATE ... SET version = version + 1 WHERE id = :id AND version = :expected``; if someone
else changed the row meanwhile, no row matches and the edit raises ``ConflictError`` instead of
overwriting their change. On PostgreSQL the UPDATE waits for a concurrent writer's row lock and
then re-checks the version; on SQLite writers take turns on the database lock.

Everything returned is plain data (dicts of column values), never a live ORM object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, Table, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from tracktwo._errors import ConflictError, InputError, NotFoundError
from tracktwo.bridges._fields import (
    ACTIVITY_KINDS,
    ACTIVITY_RULES,
    ACTOR_RULES,
    STANCES,
    TIE_RULES,
    Rule,
    dates_out_of_order,
    edit_fields,
)
from tracktwo.bridges._kinds import load_vocabulary
from tracktwo.bridges._models import Activity, Actor, Tie
from tracktwo.bridges._registry import Registry

__all__ = [
    "ACTIVITY_KINDS",
    "ACTOR_FIELDS",
    "STANCES",
    "TIE_FIELDS",
    "ConflictError",
    "add_actor",
    "add_tie",
    "clean_actor_fields",
    "get_actor",
    "get_tie",
    "list_activities",
    "list_actors",
    "list_ties",
    "log_activity",
    "remove_actor",
    "remove_tie",
    "update_actor",
    "update_tie",
]

ACTOR_FIELDS = tuple(ACTOR_RULES)
TIE_FIELDS = tuple(TIE_RULES)

ACTORS: Table = Actor.__table__  # type: ignore[assignment]
TIES: Table = Tie.__table__  # type: ignore[assignment]
ACTIVITIES: Table = Activity.__table__  # type: ignore[assignment]

Row = dict[str, Any]


# -- checking values (the rules themselves are in tracktwo.bridges._fields) ------------------


def _check_dates(start: date | None, end: date | None) -> None:
    wrong = dates_out_of_order(start, end)
    if wrong is not None:
        raise InputError(f"end_date: {wrong}")


def _check_version(expected: Any) -> int:
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 1:
        raise InputError(
            f"expected_version: must be the version you read (1 or more), not {expected!r}"
        )
    return expected


def _write(session: Session, statement: Executable) -> CursorResult[Any]:
    """``session.execute`` typed as what an INSERT, UPDATE or DELETE gives back."""
    return cast("CursorResult[Any]", session.execute(statement))


def _inserted(session: Session, table: Table, values: Row) -> int:
    key = _write(session, insert(table).values(**values)).inserted_primary_key
    assert key is not None  # a single-row INSERT always reports its key
    return int(key[0])


# -- reading rows as plain dicts -------------------------------------------------------------


def _row(session: Session, table: Table, row_id: int, what: str) -> Row:
    found = session.execute(select(table).where(table.c.id == row_id)).mappings().first()
    if found is None:
        raise NotFoundError(f"{what}: no {what.removesuffix('_id')} with id {row_id}")
    return dict(found)


def _with_track(actor: Row) -> Row:
    actor["track"] = load_vocabulary().kinds.get(actor["kind"], "other")
    actor["politicised"] = bool(actor["funded_by"]) or actor["stance"] in STANCES
    return actor


def get_actor(registry: Registry, actor_id: int) -> Row:
    """One actor's columns, with its ``track`` and whether it is ``politicised``."""
    with registry.read() as session:
        return _with_track(_row(session, ACTORS, actor_id, "actor_id"))


def get_tie(registry: Registry, tie_id: int) -> Row:
    """One tie's columns, with its ``activities`` (oldest first)."""
    with registry.read() as session:
        tie = _row(session, TIES, tie_id, "tie_id")
        tie["activities"] = _activities(session, tie_id)
        return tie


def _activities(session: Session, tie_id: int) -> list[Row]:
    query = select(ACTIVITIES).where(ACTIVITIES.c.tie_id == tie_id)
    query = query.order_by(ACTIVITIES.c.activity_date, ACTIVITIES.c.id)
    return [dict(row) for row in session.execute(query).mappings()]


def list_activities(registry: Registry, tie_id: int) -> list[Row]:
    """The activities logged on a tie, oldest first."""
    with registry.read() as session:
        _row(session, TIES, tie_id, "tie_id")
        return _activities(session, tie_id)


# -- actors ----------------------------------------------------------------------------------


def clean_actor_fields(**fields: Any) -> Row:
    """The actor fields checked and normalised as ``add_actor`` would store them."""
    return edit_fields(fields, ACTOR_RULES, "an actor")


def add_actor(registry: Registry, **fields: Any) -> Row:
    """Add an actor; ``name``, ``country`` and ``kind`` are required. Returns the stored row."""
    for field in ("name", "country", "kind"):
        fields.setdefault(field, None)
    values = edit_fields(fields, ACTOR_RULES, "an actor")
    for field in ("areas_offered", "areas_needed", "alt_names"):
        values.setdefault(field, [])
    with registry.session() as session:
        new_id = _inserted(session, ACTORS, values)
        return _with_track(_row(session, ACTORS, new_id, "actor_id"))


def update_actor(registry: Registry, actor_id: int, expected_version: int, **changes: Any) -> Row:
    """Change an actor read at ``expected_version``; ``ConflictError`` if it changed since."""
    values = _changes(changes, ACTOR_RULES, "an actor")
    with registry.session() as session:
        _versioned_update(session, ACTORS, actor_id, expected_version, values)
        if "country" in values:
            _check_ties_still_cross_border(session, actor_id)
        return _with_track(_row(session, ACTORS, actor_id, "actor_id"))


def _changes(changes: Mapping[str, Any], rules: Mapping[str, Rule], what: str) -> Row:
    values = edit_fields(changes, rules, what)
    if not values:
        raise InputError("changes: give at least one field to change")
    return values


def _versioned_update(
    session: Session, table: Table, row_id: int, expected_version: Any, values: Row
) -> None:
    expected = _check_version(expected_version)
    # the version test sits in the UPDATE itself, so checking and writing cannot be split by
    # another writer; the UPDATE is the first statement, so SQLite takes its write lock there
    changed = _write(
        session,
        update(table)
        .where(table.c.id == row_id, table.c.version == expected)
        .values(**values, version=table.c.version + 1),
    )
    if changed.rowcount != 1:
        _raise_missing_or_stale(session, table, row_id, expected)


def _raise_missing_or_stale(session: Session, table: Table, row_id: int, expected: int) -> None:
    what = "actor" if table is ACTORS else "tie"
    current = session.execute(select(table.c.version).where(table.c.id == row_id)).scalar()
    if current is None:
        raise NotFoundError(f"{what}_id: no {what} with id {row_id}")
    raise ConflictError(
        f"{what} {row_id} was changed by someone else since you read it: it is at version "
        f"{current}, you edited version {expected}; reload it and apply your change again"
    )


def _check_ties_still_cross_border(session: Session, actor_id: int) -> None:
    a, b = ACTORS.alias("a"), ACTORS.alias("b")
    same = session.execute(
        select(TIES.c.id)
        .join(a, a.c.id == TIES.c.actor_a_id)
        .join(b, b.c.id == TIES.c.actor_b_id)
        .where(or_(TIES.c.actor_a_id == actor_id, TIES.c.actor_b_id == actor_id))
        .where(a.c.country == b.c.country)
        .order_by(TIES.c.id)
    ).scalars().all()  # fmt: skip
    if same:
        raise InputError(
            f"country: actor {actor_id} would then share a country with the other side of "
            f"tie(s) {', '.join(map(str, same))}; a tie joins actors of two countries"
        )


def remove_actor(registry: Registry, actor_id: int, expected_version: int | None = None) -> Row:
    """Remove an actor with its ties and their activities; returns what was removed."""
    with registry.session() as session:
        touching = or_(TIES.c.actor_a_id == actor_id, TIES.c.actor_b_id == actor_id)
        ties = list(session.execute(select(TIES.c.id).where(touching)).scalars())
        activities = _count_activities(session, ties)
        # deleted here rather than left to ON DELETE CASCADE, which SQLite only honours on
        # connections that turned foreign keys on
        session.execute(delete(ACTIVITIES).where(ACTIVITIES.c.tie_id.in_(ties)))
        session.execute(delete(TIES).where(TIES.c.id.in_(ties)))
        _versioned_delete(session, ACTORS, actor_id, expected_version)
    return {"actor_id": actor_id, "ties": len(ties), "activities": activities}


def _count_activities(session: Session, tie_ids: list[int]) -> int:
    query = select(func.count()).select_from(ACTIVITIES).where(ACTIVITIES.c.tie_id.in_(tie_ids))
    return int(session.execute(query).scalar_one())


def _versioned_delete(session: Session, table: Table, row_id: int, expected: int | None) -> None:
    query = delete(table).where(table.c.id == row_id)
    if expected is not None:
        query = query.where(table.c.version == _check_version(expected))
    if _write(session, query).rowcount != 1:
        _raise_missing_or_stale(session, table, row_id, expected or 0)


def list_actors(
    registry: Registry,
    country: str | None = None,
    kind: str | None = None,
    area: str | None = None,
    search: str | None = None,
) -> list[Row]:
    """Actors by id; ``area`` matches areas offered or needed, ``search`` any of the names."""
    query = select(ACTORS).order_by(ACTORS.c.id)
    if country is not None:
        query = query.where(ACTORS.c.country == ACTOR_RULES["country"].edit("country", country))
    if kind is not None:
        query = query.where(ACTORS.c.kind == ACTOR_RULES["kind"].edit("kind", kind))
    wanted_area = ACTOR_RULES["areas_offered"].edit("area", area)[0] if area else None
    needle = search.casefold().strip() if search else None
    with registry.read() as session:
        rows = [dict(row) for row in session.execute(query).mappings()]
    if wanted_area:  # JSON lists: filtered here, the same way on both backends
        rows = [r for r in rows if wanted_area in r["areas_offered"] + r["areas_needed"]]
    if needle:
        rows = [r for r in rows if needle in _names_of(r)]
    return [_with_track(r) for r in rows]


def _names_of(actor: Row) -> str:
    names = [actor["name"], actor["local_name"] or "", *actor["alt_names"]]
    return "\n".join(names).casefold()


# -- ties ------------------------------------------------------------------------------------


def add_tie(
    registry: Registry,
    actor_a_id: int,
    actor_b_id: int,
    channel: str,
    *,
    areas: Iterable[str] | str = (),
    status: str = "active",
    start_date: date | str | None = None,
    end_date: date | str | None = None,
    evidence: str | None = None,
    proposal: dict[str, Any] | None = None,
    status_reason: str | None = None,
) -> Row:
    """Tie two actors of different countries. Returns the stored row.

    ``proposal`` records why the matchmaker proposed the tie (score, components, model);
    ``status_reason`` why it has its status (a declined proposal: why it was declined).
    """
    values = edit_fields(
        {"channel": channel, "areas": areas, "status": status, "start_date": start_date,
         "end_date": end_date, "evidence": evidence, "status_reason": status_reason},
        TIE_RULES, "a tie",
    )  # fmt: skip
    _check_dates(values["start_date"], values["end_date"])
    with registry.session() as session:
        _check_two_countries(session, actor_a_id, actor_b_id)
        values.update(actor_a_id=actor_a_id, actor_b_id=actor_b_id, proposal=proposal)
        new_id = _inserted(session, TIES, values)
        return _row(session, TIES, new_id, "tie_id")


def _check_two_countries(session: Session, actor_a_id: int, actor_b_id: int) -> None:
    if actor_a_id == actor_b_id:
        raise InputError(f"actor_b_id: a tie joins two actors, not actor {actor_a_id} to itself")
    countries = {}
    for field, actor_id in (("actor_a_id", actor_a_id), ("actor_b_id", actor_b_id)):
        # FOR SHARE: nobody can move the actor to another country until this tie is written
        query = select(ACTORS.c.country).where(ACTORS.c.id == actor_id).with_for_update(read=True)
        countries[field] = session.execute(query).scalar()
        if countries[field] is None:
            raise NotFoundError(f"{field}: no actor with id {actor_id}")
    if countries["actor_a_id"] == countries["actor_b_id"]:
        raise InputError(
            f"actor_b_id: actors {actor_a_id} and {actor_b_id} are both in "
            f"{countries['actor_a_id']}; a tie joins actors of two different countries"
        )


def update_tie(registry: Registry, tie_id: int, expected_version: int, **changes: Any) -> Row:
    """Change a tie read at ``expected_version``; ``ConflictError`` if it changed since."""
    values = _changes(changes, TIE_RULES, "a tie")
    with registry.session() as session:
        _versioned_update(session, TIES, tie_id, expected_version, values)
        tie = _row(session, TIES, tie_id, "tie_id")
        _check_dates(tie["start_date"], tie["end_date"])  # raising rolls the change back
        return tie


def remove_tie(registry: Registry, tie_id: int, expected_version: int | None = None) -> Row:
    """Remove a tie and its activities; returns what was removed."""
    with registry.session() as session:
        activities = _count_activities(session, [tie_id])
        session.execute(delete(ACTIVITIES).where(ACTIVITIES.c.tie_id == tie_id))
        _versioned_delete(session, TIES, tie_id, expected_version)
    return {"tie_id": tie_id, "activities": activities}


def list_ties(
    registry: Registry,
    country_a: str | None = None,
    country_b: str | None = None,
    status: str | None = None,
) -> list[Row]:
    """Ties by id with both actors' names, countries and kinds, the number of activities and
    the last activity's date (declined proposals too: ``status`` tells them apart). One
    country: ties touching it; two: ties between them."""
    a, b = ACTORS.alias("a"), ACTORS.alias("b")
    done = (
        select(ACTIVITIES.c.tie_id, func.count().label("activities"),
               func.max(ACTIVITIES.c.activity_date).label("last_activity"))
        .group_by(ACTIVITIES.c.tie_id).subquery()
    )  # fmt: skip
    query = (
        select(TIES, a.c.name.label("actor_a"), a.c.country.label("country_a"),
               a.c.kind.label("kind_a"), b.c.name.label("actor_b"),
               b.c.country.label("country_b"), b.c.kind.label("kind_b"),
               func.coalesce(done.c.activities, 0).label("activities"), done.c.last_activity)
        .join(a, a.c.id == TIES.c.actor_a_id).join(b, b.c.id == TIES.c.actor_b_id)
        .outerjoin(done, done.c.tie_id == TIES.c.id).order_by(TIES.c.id)
    )  # fmt: skip
    given = {"country_a": country_a, "country_b": country_b}
    country = ACTOR_RULES["country"]
    sides = [country.edit(field, code) for field, code in given.items() if code]
    if len(sides) == 2:
        query = query.where(or_((a.c.country == sides[0]) & (b.c.country == sides[1]),
                                (a.c.country == sides[1]) & (b.c.country == sides[0])))  # fmt: skip
    elif sides:
        query = query.where(or_(a.c.country == sides[0], b.c.country == sides[0]))
    if status is not None:
        query = query.where(TIES.c.status == TIE_RULES["status"].edit("status", status))
    with registry.read() as session:
        return [dict(row) for row in session.execute(query).mappings()]


# -- activities ------------------------------------------------------------------------------


def log_activity(
    registry: Registry,
    tie_id: int,
    activity_date: date | str,
    kind: str,
    participants: int | None = None,
    note: str | None = None,
) -> Row:
    """Record something that happened on a tie: a visit, an exchange, a joint project ..."""
    given = {"activity_date": activity_date, "kind": kind, "participants": participants}
    values = edit_fields({**given, "note": note}, ACTIVITY_RULES, "an activity")
    with registry.session() as session:
        query = select(TIES.c.id).where(TIES.c.id == tie_id).with_for_update(read=True)
        if session.execute(query).scalar() is None:
            raise NotFoundError(f"tie_id: no tie with id {tie_id}")
        values["tie_id"] = tie_id
        new_id = _inserted(session, ACTIVITIES, values)
        return _row(session, ACTIVITIES, new_id, "activity_id")
