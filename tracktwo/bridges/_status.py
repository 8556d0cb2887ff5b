"""Whether a tie is alive on a given date, and the one query the scorecard reads ties with.

A tie's stored ``status`` is what someone last wrote down; its *effective* status at a date D
also looks at its dates and its activities (docs/scorecard.md, "Effective status"):

0. **declined** — status ``declined``: a proposal that was refused, whatever its dates; it is
   not a tie, and every count of ties leaves it out (the scorecard lists it apart);
1. **ended** — ``end_date`` ≤ D, or status ``ended`` with no ``end_date`` after D;
2. **proposed** — status ``proposed``, or ``start_date`` > D (not started yet);
3. **dormant** — status ``dormant``, or silent for more than N months (default 24): its
   reference date (the later of its last activity on or before D and its start date; with
   neither, the date it was entered) is before D minus N calendar months;
4. **active** — otherwise.

``effective_status`` applies the rule to one tie, ``effective_statuses`` to a frame of ties
(the by-year scorecard and the dormant list), ``status_case`` inside SQL (the scorecard, so
a million ties never travel to Python just to be classified); all three are tested on the
same cases, the SQL one on SQLite and PostgreSQL.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import Label, SQLCoreOperations

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges._kinds import DECLINED
from tracktwo.bridges._models import Activity, Actor, Tie
from tracktwo.bridges._registry import Registry
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "DEFAULT_DORMANT_MONTHS",
    "STATUS_CODES",
    "TieDates",
    "country_pair",
    "dormant_ties",
    "effective_status",
    "effective_statuses",
    "load_tie_frame",
    "months_before",
    "status_case",
    "whole_months_between",
]

DEFAULT_DORMANT_MONTHS = 24
# status_case's codes 0..4 (declined last, so the codes of the other four never moved)
STATUS_CODES = ("ended", "proposed", "dormant", "active", "declined")
_DATE_COLUMNS = ("start_date", "end_date", "created", "last_activity")


class TieDates(Protocol):
    """What the rule reads from a tie (a ``Tie`` row, or any object with these fields)."""

    status: str
    start_date: date | None
    end_date: date | None
    created_at: datetime | None


# -- dates --------------------------------------------------------------------------------------


def months_before(day: date, months: int) -> date:
    """``day`` minus ``months`` calendar months, the day clamped to the month's length
    (31 March minus one month is 28 or 29 February)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def whole_months_between(start: date, end: date) -> int:
    """Complete calendar months from ``start`` to ``end`` (2022-03-15 → 2024-03-14 is 23)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    return months - 1 if end.day < start.day else months


def _check_months(months: int) -> None:
    if months < 1:
        raise InputError(f"the dormancy period must be at least 1 month, not {months}")


# -- the rule, one tie ----------------------------------------------------------------------------


def _reference_date(tie: TieDates, last_activity: date | None) -> date | None:
    dated = [d for d in (last_activity, tie.start_date) if d is not None]
    if dated:
        return max(dated)
    return tie.created_at.date() if tie.created_at is not None else None


def effective_status(
    tie: TieDates,
    last_activity: date | None,
    at: date,
    dormant_months: int = DEFAULT_DORMANT_MONTHS,
) -> str:
    """The tie's status at ``at``: declined, ended, proposed, dormant or active (see the
    module doc).

    ``last_activity`` is the date of its most recent activity on or before ``at``, if any.
    """
    _check_months(dormant_months)
    if tie.status == DECLINED:
        return DECLINED
    if tie.end_date is not None and tie.end_date <= at:
        return "ended"
    if tie.status == "ended" and tie.end_date is None:
        return "ended"
    if tie.status == "proposed" or (tie.start_date is not None and tie.start_date > at):
        return "proposed"
    if tie.status == "dormant":
        return "dormant"
    reference = _reference_date(tie, last_activity)
    if reference is not None and reference < months_before(at, dormant_months):
        return "dormant"
    return "active"


# -- the rule, a frame of ties --------------------------------------------------------------------


def _reference_dates(frame: pd.DataFrame) -> pd.Series:
    # the later of the last activity and the start; NaT-aware max, then the created date
    latest = frame[["last_activity", "start_date"]].max(axis=1)
    return latest.fillna(frame["created"])


def effective_statuses(
    frame: pd.DataFrame, at: date, dormant_months: int = DEFAULT_DORMANT_MONTHS
) -> pd.Series:
    """``effective_status`` for every row of ``frame`` (columns status, start_date, end_date,
    created and last_activity, the dates as datetime64)."""
    _check_months(dormant_months)
    day = pd.Timestamp(at)
    cutoff = pd.Timestamp(months_before(at, dormant_months))
    status = frame["status"]
    ended = (frame["end_date"] <= day) | ((status == "ended") & frame["end_date"].isna())
    proposed = (status == "proposed") | (frame["start_date"] > day)
    dormant = (status == "dormant") | (_reference_dates(frame) < cutoff)
    declined = status == DECLINED
    chosen = np.select(
        [declined, ended, proposed, dormant], [DECLINED, "ended", "proposed", "dormant"], "active"
    )
    return pd.Series(chosen, index=frame.index, name="effective_status")


# -- the rule, in SQL ------------------------------------------------------------------------------


def status_case(at: date, dormant_months: int = DEFAULT_DORMANT_MONTHS) -> ColumnElement[int]:
    """``effective_status`` as a SQL expression over ``ties``: its index in STATUS_CODES.

    A tie whose start is before the cutoff is active exactly when it had an activity between
    the cutoff and ``at``; both activity tests are uncorrelated ``IN`` sub-queries, which
    SQLite and PostgreSQL each evaluate once into a hashed set, not once per tie."""
    _check_months(dormant_months)
    cutoff = months_before(at, dormant_months)
    recent = select(Activity.tie_id).where(
        Activity.activity_date >= cutoff, Activity.activity_date <= at
    )
    any_until = select(Activity.tie_id).where(Activity.activity_date <= at)
    # the created date, not time: SQLite compares the stored text, PostgreSQL the timestamp
    created = func.date(Tie.created_at, type_=Date)
    ended, proposed, dormant, active, declined = range(len(STATUS_CODES))
    return case(
        (Tie.status == DECLINED, declined),
        (or_(Tie.end_date <= at, and_(Tie.status == "ended", Tie.end_date.is_(None))), ended),
        (or_(Tie.status == "proposed", Tie.start_date > at), proposed),
        (Tie.status == "dormant", dormant),
        (Tie.start_date >= cutoff, active),
        (Tie.id.in_(recent), active),
        (
            and_(
                Tie.start_date.is_(None),
                or_(Tie.created_at.is_(None), created >= cutoff),
                Tie.id.not_in(any_until),
            ),
            active,
        ),
        else_=dormant,
    )


# -- loading the ties of a country pair -----------------------------------------------------------


def country_pair(
    country_a: str, country_b: str, taxonomy: Taxonomy | None = None
) -> tuple[str, str]:
    """Both codes as ISO3 (ISO2 and English names accepted); UnknownCodeError otherwise."""
    return (taxonomy or load_taxonomy()).countries.pair(country_a, country_b)


def _as_text(column: SQLCoreOperations[Any], label: str) -> Label[str]:
    # dates travel as ISO text and are parsed by pandas in one vectorised call: far faster
    # than SQLAlchemy turning a million SQLite strings into date objects one by one
    return cast(column, String).label(label)


def _pair_filter(
    side_a: type[Actor], side_b: type[Actor], country_a: str, country_b: str
) -> ColumnElement[bool]:
    return or_(
        and_(side_a.country == country_a, side_b.country == country_b),
        and_(side_a.country == country_b, side_b.country == country_a),
    )


def _tie_select(country_a: str, country_b: str, at: date, with_names: bool) -> Select:
    side_a, side_b = aliased(Actor, name="side_a"), aliased(Actor, name="side_b")
    last = (
        select(Activity.tie_id, func.max(Activity.activity_date).label("last_activity"))
        .where(Activity.activity_date <= at)
        .group_by(Activity.tie_id)
        .subquery("last")
    )
    columns: list[SQLCoreOperations[Any]] = [
        Tie.id.label("tie_id"), Tie.channel, Tie.status,
        cast(Tie.areas, Text).label("areas"),
        _as_text(Tie.start_date, "start_date"), _as_text(Tie.end_date, "end_date"),
        _as_text(Tie.created_at, "created"), _as_text(last.c.last_activity, "last_activity"),
    ]  # fmt: skip
    for prefix, actor in (("a", side_a), ("b", side_b)):
        columns += [
            actor.id.label(f"{prefix}_id"), actor.country.label(f"{prefix}_country"),
            actor.kind.label(f"{prefix}_kind"), actor.funded_by.label(f"{prefix}_funded_by"),
            actor.stance.label(f"{prefix}_stance"),
        ]  # fmt: skip
        if with_names:
            columns.append(actor.name.label(f"{prefix}_name"))
    return (
        select(*columns)
        .join(side_a, side_a.id == Tie.actor_a_id)
        .join(side_b, side_b.id == Tie.actor_b_id)
        .outerjoin(last, last.c.tie_id == Tie.id)
        .where(_pair_filter(side_a, side_b, country_a, country_b))
    )


def _orient(frame: pd.DataFrame, country_a: str) -> pd.DataFrame:
    """Swap the endpoint columns where actor_a is not of ``country_a``, so that every ``a_*``
    column describes the country_a side and every ``b_*`` column the other."""
    swap = (frame["a_country"] != country_a).to_numpy()
    if not swap.any():
        return frame
    pairs = [(c, "b" + c[1:]) for c in frame.columns if c.startswith("a_")]
    for left, right in pairs:
        left_values, right_values = frame[left].to_numpy(), frame[right].to_numpy()
        frame[left] = np.where(swap, right_values, left_values)
        frame[right] = np.where(swap, left_values, right_values)
    return frame


def _parse_dates(frame: pd.DataFrame) -> pd.DataFrame:
    for column in _DATE_COLUMNS:
        # first 10 characters: PostgreSQL renders a timestamp with its time of day
        text = frame[column].astype("string").str.slice(0, 10)
        frame[column] = pd.to_datetime(text, format="%Y-%m-%d")
    return frame


def load_tie_frame(
    registry: Registry,
    country_a: str,
    country_b: str,
    at: date,
    *,
    with_names: bool = False,
) -> pd.DataFrame:
    """Every tie between an actor of ``country_a`` and one of ``country_b`` (ISO3), in ONE
    query: tie columns, both actors' id/country/kind/funded_by/stance (``a_*`` always the
    country_a side), and ``last_activity``, the latest activity on or before ``at``."""
    statement = _tie_select(country_a, country_b, at, with_names)
    with registry.engine.connect() as connection:
        frame = pd.read_sql(statement, connection)
    return _parse_dates(_orient(frame, country_a))


# -- dormant ties worth reviving -------------------------------------------------------------------


def dormant_ties(
    registry: Registry,
    country_a: str,
    country_b: str,
    at: date | None = None,
    months: int = DEFAULT_DORMANT_MONTHS,
    *,
    taxonomy: Taxonomy | None = None,
) -> pd.DataFrame:
    """The ties between the two countries that are dormant at ``at`` (default today), the
    most recently silent first: tie id, both actors, channel, status as stored, last
    activity, the date its silence counts from, and the whole months and days since."""
    _check_months(months)
    first, second = country_pair(country_a, country_b, taxonomy)
    day = at or date.today()
    frame = load_tie_frame(registry, first, second, day, with_names=True)
    if frame.empty:
        raise NotFoundError(f"the registry holds no ties between {first} and {second}")
    frame = frame[effective_statuses(frame, day, months) == "dormant"]
    reference = _reference_dates(frame)
    months_since = [whole_months_between(ref.date(), day) for ref in reference]
    table = pd.DataFrame(
        {
            "tie_id": frame["tie_id"].astype("int64"),
            f"actor_{first.lower()}": frame["a_name"], f"actor_{second.lower()}": frame["b_name"],
            "channel": frame["channel"], "status": frame["status"],
            "last_activity": frame["last_activity"].dt.date, "silent_since": reference.dt.date,
            "months_since": pd.Series(months_since, index=frame.index, dtype="int64"),
            "days_since": (pd.Timestamp(day) - reference).dt.days.astype("int64"),
        }
    )  # fmt: skip
    return table.sort_values(["months_since", "tie_id"], kind="stable").reset_index(drop=True)
