"""What each page shows, as plain data: the HTML page renders it, its JSON twin returns it.

Every function takes the app's ``DataSources`` and the page's parameters and returns a dict of
JSON-ready values (dates as ISO text). Costly figures go through the data-version cache.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from tracktwo._errors import NotFoundError, TrackTwoError
from tracktwo._json import plain
from tracktwo.bridges import (
    DECLINED,
    Actor,
    Tie,
    country_pair,
    diaspora_figures_for,
    effective_statuses,
    get_actor,
    get_tie,
    list_ties,
    scorecard,
    scorecard_by_year,
    track_of_kinds,
)
from tracktwo.pulse import (
    MIN_EVENTS,
    MIN_ROLL_CALLS,
    PulseResult,
    Standing,
    pulse,
    recent_vote_issues,
    standing,
    summary_rows,
)
from tracktwo.store import busiest_event_pairs
from tracktwo.taxonomy import TRACK_LABELS
from tracktwo.web._actors_view import PER_PAGE, paged
from tracktwo.web._data import DataSources
from tracktwo.web._dead_ends import dead_end

__all__ = [
    "PULSE_COLUMNS",
    "TIE_COLUMNS",
    "actor_view",
    "country_names",
    "overview_view",
    "pairs_view",
    "scorecard_view",
    "tie_view",
    "ties_view",
]

# the columns of a listed tie, in the JSON twins and their CSV downloads
TIE_COLUMNS = ("id", "actor_a_id", "actor_a", "country_a", "actor_b_id", "actor_b", "country_b",
               "channel", "track", "track_label", "areas", "status", "status_reason",
               "effective_status", "start_date", "end_date", "activities",
               "last_activity")  # fmt: skip
PULSE_COLUMNS = ("period", "series", "events", "value", "ci_low", "ci_high", "coop_share",
                 "is_partial", "is_eligible", "is_all_time_low", "record_low",
                 "is_change_point")  # fmt: skip


def _rows(frame: pd.DataFrame, columns: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    chosen = frame[list(columns)] if columns else frame
    return [{k: plain(v) for k, v in row.items()} for row in chosen.to_dict("records")]


def country_names(sources: DataSources) -> dict[str, str]:
    return sources.taxonomy.countries.iso3_to_name


def _pair(sources: DataSources, a: str, b: str) -> tuple[str, str]:
    return country_pair(a, b, sources.taxonomy)


def _named(sources: DataSources, code: str) -> dict[str, str]:
    return {"code": code, "name": country_names(sources).get(code, code)}


# -- pairs -----------------------------------------------------------------------------------


def _event_pairs(sources: DataSources) -> dict[tuple[str, str], int]:
    if not sources.has_events:
        return {}
    with sources.store() as store:
        return busiest_event_pairs(store, 200)


def _tie_pairs(sources: DataSources) -> dict[tuple[str, str], int]:
    first = select(Actor.id, Actor.country).subquery()
    second = select(Actor.id, Actor.country).subquery()
    statement = (
        select(first.c.country, second.c.country, func.count(Tie.id))
        .join(first, first.c.id == Tie.actor_a_id)
        .join(second, second.c.id == Tie.actor_b_id)
        .where(Tie.status != DECLINED)  # a refused proposal is no tie
        .group_by(first.c.country, second.c.country)
    )
    counts: dict[tuple[str, str], int] = {}
    with sources.registry.engine.connect() as connection:
        for one, two, n in connection.execute(statement):
            key = (min(one, two), max(one, two))
            counts[key] = counts.get(key, 0) + int(n)
    return counts


def pairs_view(sources: DataSources) -> dict[str, Any]:
    """Every country pair with stored events or registry ties, the busiest first."""

    def compute() -> dict[str, Any]:
        events, ties = _event_pairs(sources), _tie_pairs(sources)
        keys = sorted(set(events) | set(ties),
                      key=lambda k: (-(events.get(k, 0) + ties.get(k, 0)), k))  # fmt: skip
        rows = [{"a": _named(sources, a), "b": _named(sources, b), "events": events.get((a, b), 0),
                 "ties": ties.get((a, b), 0)} for a, b in keys]  # fmt: skip
        return {"pairs": rows}

    return sources.cached("pairs", compute)


# -- overview --------------------------------------------------------------------------------


def _pulse_result(sources: DataSources, a: str, b: str, freq: str) -> PulseResult | None:
    if not sources.has_events:
        return None
    with sources.store() as store:
        # every track stays, a track without a single event too: its zero is the finding (the
        # chart's legend and the tracks table say "no events")
        return pulse(store, a, b, freq=freq, by="track", taxonomy=sources.taxonomy)


def _vote_issue_rows(sources: DataSources, a: str, b: str) -> dict[str, Any] | None:
    """UN vote agreement per issue over the recent years (tracktwo.pulse.recent_vote_issues)."""
    if not sources.has_events:
        return None
    with sources.store() as store:
        issues = recent_vote_issues(store, a, b)
    if issues is None:
        return None
    return {"first_year": issues.first_year, "last_year": issues.last_year,
            "rows": _rows(issues.frame)}  # fmt: skip


def _summary_rows(result: PulseResult | None, kind: str) -> list[dict[str, Any]]:
    """The pulse summary's rows of one kind (PulseResult.summary), JSON-ready and labelled."""
    if result is None:
        return []
    rows = summary_rows(result.summary(), result.freq, kind, name_periods=False)
    return [{**{k: plain(v) for k, v in row.items()},
             "label": TRACK_LABELS.get(str(row["series"]), str(row["series"]))}
            for row in rows]  # fmt: skip


def _headline(sources: DataSources, a: str, b: str, at: date) -> tuple[dict | None, str | None]:
    try:
        card = scorecard(sources.registry, a, b, at=at, taxonomy=sources.taxonomy)
    except NotFoundError as error:
        return None, str(error)
    return {k: plain(v) for k, v in card.as_dict().items()}, None


def _standing(sources: DataSources, a: str, b: str) -> Standing | None:
    """Where the relationship stands, yearly whatever the page's frequency: the question
    it answers ("is this year a record low?") is about years."""
    if not sources.has_events:
        return None

    def compute() -> Standing:
        with sources.store() as store:
            return standing(store, a, b, freq="year", taxonomy=sources.taxonomy)

    return sources.cached(("standing", a, b), compute)


def registry_dead_end(sources: DataSources, a: str, b: str, path: str) -> dict[str, Any] | None:
    """The dead end of a registry section when the pair has no tie (declined proposals
    are none), else None."""
    pairs = pairs_view(sources)["pairs"]
    if any({p["a"]["code"], p["b"]["code"]} == {a, b} and p["ties"] for p in pairs):
        return None
    return dead_end(sources, "ties", a, b, path)


def overview_compute(sources: DataSources, a: str, b: str, freq: str) -> dict[str, Any]:
    result = _pulse_result(sources, a, b, freq)
    empty = pd.DataFrame(columns=list(PULSE_COLUMNS))
    events = result.events if result is not None else empty
    signals = result.signals if result is not None else empty
    card, why = _headline(sources, a, b, date.today())
    where = _standing(sources, a, b)
    dead_ends, missing = [], []
    if events.empty:
        dead_ends.append(dead_end(sources, "events", a, b))
    if signals.empty:
        dead_ends.append(dead_end(sources, "signals", a, b))
    if card is None:
        no_ties = registry_dead_end(sources, a, b, "/pairs/{a}/{b}/scorecard")
        dead_ends += [no_ties] if no_ties else []
        missing += [] if no_ties else [f"No scorecard for {a}–{b}: {why}."]
    return {
        "a": _named(sources, a), "b": _named(sources, b), "freq": freq,
        "standing": where.as_dict() if where else None,
        "tracks": _summary_rows(result, "events"), "signals": _summary_rows(result, "signal"),
        "vote_issues": _vote_issue_rows(sources, a, b),
        "min_support": result.min_support if result else MIN_EVENTS,
        "min_roll_calls": result.min_roll_calls if result else MIN_ROLL_CALLS,
        "pulse": _rows(events, PULSE_COLUMNS) if not events.empty else [],
        "signal_series": _rows(signals, PULSE_COLUMNS) if not signals.empty else [],
        "scorecard": card, "missing": missing + [d["message"] for d in dead_ends],
        "dead_ends": dead_ends,
        "_frames": (events, signals),  # for the charts; never sent as JSON
        "_standing": where,  # its sentences in the reader's language; as_dict above is English
    }  # fmt: skip


def overview_view(sources: DataSources, a: str, b: str, freq: str = "year") -> dict[str, Any]:
    """The pulse by track (with intervals, record lows, change points), UN voting
    agreement and other signals, and the scorecard's headline figures."""
    first, second = _pair(sources, a, b)
    # the day is in the key: the scorecard's statuses change with it, the data or not
    key = ("overview", first, second, freq, date.today())
    return sources.cached(key, lambda: overview_compute(sources, first, second, freq))


# -- actors and ties -------------------------------------------------------------------------


def _tie_rows(ties: list[dict[str, Any]], at: date) -> list[dict[str, Any]]:
    if not ties:
        return []
    frame = pd.DataFrame(ties)
    dated = pd.DataFrame({
        "status": frame["status"],
        "start_date": pd.to_datetime(frame["start_date"]),
        "end_date": pd.to_datetime(frame["end_date"]),
        "created": pd.to_datetime(frame["created_at"].astype("string").str.slice(0, 10)),
        "last_activity": pd.to_datetime(frame["last_activity"]),
    })  # fmt: skip
    frame["effective_status"] = effective_statuses(dated, at).to_numpy()
    frame["track"] = [track_of_kinds(a, b) for a, b in zip(frame["kind_a"], frame["kind_b"],
                                                          strict=True)]  # fmt: skip
    frame["track_label"] = frame["track"].map(lambda track: TRACK_LABELS.get(track, track))
    return [{k: plain(r.get(k)) for k in TIE_COLUMNS} for r in frame.to_dict("records")]


def _declined_count(rows: list[dict[str, Any]]) -> int:
    return sum(r["effective_status"] == DECLINED for r in rows)


_SIDES = ("actor_{}_id", "actor_{}", "country_{}")


def _from_side_of(row: dict[str, Any], actor_id: int) -> dict[str, Any]:
    """The tie row with ``actor_id`` as side a, so its partner (side b) is the other party,
    whichever way round the tie was stored."""
    if row["actor_a_id"] == actor_id:
        return row
    swapped = dict(row)
    for column in _SIDES:
        swapped[column.format("a")], swapped[column.format("b")] = (
            row[column.format("b")], row[column.format("a")],
        )  # fmt: skip
    return swapped


def ties_view(
    sources: DataSources, *, a: str | None = None, b: str | None = None,
    status: str | None = None, actor_id: int | None = None, page: int = 1,
    per_page: int = PER_PAGE,
) -> dict[str, Any]:  # fmt: skip
    """Ties with both actors, their track, their effective status today (active / dormant /
    ended / proposed, or declined: a refused proposal, with its reason, which is no tie) and
    their activity count; ``status`` filters on the effective status."""
    rows = _tie_rows(list_ties(sources.registry, a or None, b or None), date.today())
    if actor_id is not None:
        rows = [r for r in rows if actor_id in (r["actor_a_id"], r["actor_b_id"])]
    if status:
        rows = [r for r in rows if r["effective_status"] == status]
    filters = {"a": a, "b": b, "status": status, "actor_id": actor_id}
    pair = None
    if a and b:
        first, second = _pair(sources, a, b)
        pair = {"a": _named(sources, first), "b": _named(sources, second)}
    declined = _declined_count(rows)
    dead_ends = []
    if pair is not None and not rows:  # nothing for the pair (with this status): lead on
        no_ties = registry_dead_end(sources, pair["a"]["code"], pair["b"]["code"],
                                    "/ties?a={a}&b={b}")  # fmt: skip
        dead_ends += [no_ties] if no_ties else []
    return {"filters": filters, "pair": pair, "ties": len(rows) - declined,
            "declined": declined, "dead_ends": dead_ends,
            **paged(rows, page, per_page)}  # fmt: skip


def actor_view(sources: DataSources, actor_id: int) -> dict[str, Any]:
    """The actor (with its track's label) and its ties, each seen from the actor: side a is
    the actor itself, side b (the page's "Partner") the other party."""
    actor = {k: plain(v) for k, v in get_actor(sources.registry, actor_id).items()}
    actor["track_label"] = TRACK_LABELS.get(actor["track"], actor["track"])
    rows = ties_view(sources, actor_id=actor_id, per_page=10_000)["items"]
    ties = [_from_side_of(row, actor_id) for row in rows]
    return {"actor": actor, "ties": ties, "declined": _declined_count(ties),
            # the diaspora figures that apply to the place (or to the place the actor is in)
            "diaspora": diaspora_figures_for(sources.registry, actor_id)}  # fmt: skip


def tie_view(sources: DataSources, tie_id: int) -> dict[str, Any]:
    tie = get_tie(sources.registry, tie_id)
    activities = [{k: plain(v) for k, v in act.items()} for act in tie.pop("activities")]
    ends = [get_actor(sources.registry, tie[f"actor_{side}_id"]) for side in ("a", "b")]
    shown = _tie_rows([{**tie, "actor_a": ends[0]["name"], "country_a": ends[0]["country"],
                        "kind_a": ends[0]["kind"], "actor_b": ends[1]["name"],
                        "country_b": ends[1]["country"], "kind_b": ends[1]["kind"],
                        "activities": len(activities),
                        "last_activity": max((x["activity_date"] for x in activities),
                                             default=None)}], date.today())[0]  # fmt: skip
    shown["evidence"] = tie.get("evidence")
    shown["version"] = tie.get("version")
    shown["proposal"] = tie.get("proposal")
    return {"tie": shown, "activities": activities}


# -- the scorecard over time -----------------------------------------------------------------


def _track_rows(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every track with its label ("local government" for cities and provinces), the ties
    recorded in it and its share of the active ties."""
    return [{"track": track, "label": TRACK_LABELS.get(track, track), "ties": ties,
             "share": card["track_shares"].get(track)}
            for track, ties in card["ties_by_track"].items()]  # fmt: skip


def scorecard_compute(sources: DataSources, a: str, b: str) -> dict[str, Any]:
    card, why = _headline(sources, a, b, date.today())
    try:
        trend = scorecard_by_year(sources.registry, a, b, taxonomy=sources.taxonomy)
    except (TrackTwoError, ValueError) as error:
        trend, why = pd.DataFrame(), why or str(error)
    path = "/pairs/{a}/{b}/scorecard"
    no_ties = None if card is not None else registry_dead_end(sources, a, b, path)
    missing = [] if card is not None or no_ties else [f"No scorecard for {a}–{b}: {why}."]
    return {"a": _named(sources, a), "b": _named(sources, b), "scorecard": card,
            "by_track": _track_rows(card) if card is not None else [],
            "by_year": _rows(trend) if not trend.empty else [],
            "ties_without_start": int(trend.attrs.get("ties_without_start", 0)),
            "missing": missing + ([no_ties["message"]] if no_ties else []),
            "dead_ends": [no_ties] if no_ties else [], "_trend": trend}  # fmt: skip


def scorecard_view(sources: DataSources, a: str, b: str) -> dict[str, Any]:
    """Today's scorecard and the same figures year by year."""
    first, second = _pair(sources, a, b)
    return sources.cached(("scorecard", first, second, date.today()),
                          lambda: scorecard_compute(sources, first, second))  # fmt: skip
