"""``standing``: where a pair's relationship stands, in one sentence per series.

For each event track (official, local government, people-to-people, mixed) and each official
signal (UN vote agreement, imported daily scores such as ``gdelt_daily_score``), all read from
``pulse``: its latest complete value, where that value ranks among the series' periods, whether
it is the lowest (and a record low, confirmed or tentative, as the pulse marks it), the
series' lowest period and value, and the events, roll calls or days behind each figure.

Every series starts at the same period: the first of the stored events (any pair; or
``since``), so "the lowest" of UN vote agreement is over the years the event tracks cover too; a
series whose whole record starts earlier gets a note with its whole-record low. The event tracks
end with the stored events; a signal goes on to its own last complete period. Ranks, "the
lowest" and record lows count only the pulse's eligible periods (``is_eligible``: not partial,
with at least ``min_support`` events, ``min_roll_calls`` roll calls or ``MIN_SIGNAL_DAYS``
days); a latest value from fewer is quoted with its count and not ranked. Periods in which no
event at all is stored, for any pair, get a note: they are gaps in the sources, not quiet
years. See docs/pulse-method.md, "Where the relationship stands".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from tracktwo._i18n import N_, Translate
from tracktwo.pulse._periods import MONTHS_IN, period_start, validate_freq
from tracktwo.pulse._pulse import (
    IDEAL_SERIES,
    MIN_EVENTS,
    MIN_ROLL_CALLS,
    MIN_SIGNAL_DAYS,
    VOTES_SERIES,
    PulseResult,
    pulse,
)
from tracktwo.pulse._standing_words import (
    TITLE,
    UNIT_NOUNS,
    Listing,
    Phrase,
    count_phrase,
    ordinal,
    period_noun,
    period_text,
    periods_text,
    sentence,
    span_text,
    value_text,
)
from tracktwo.pulse._stats import RECORD_CONFIRMED, RECORD_TENTATIVE
from tracktwo.store import EventStore, event_date_span, event_period_starts
from tracktwo.taxonomy import TRACK_LABELS, Taxonomy, load_taxonomy

__all__ = ["FEW", "SeriesStanding", "Standing", "standing"]

# the pulse's default least events of an eligible period (kept under its old name: callers
# quote it); the standing itself takes the pulse's own min_support and min_roll_calls
FEW = MIN_EVENTS
EARLIER = 2  # the periods before the latest that a sentence quotes
TRACK_ORDER = ("official", "local", "people", "mixed")
SIGNAL_PREFIX = "signal: "


@dataclass(frozen=True)
class PeriodValue:
    """One period of a series: its first day, its value and the events behind it."""

    period: date
    value: float
    events: int
    eligible: bool = True  # the pulse's is_eligible: counts for ranks and lows

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period.isoformat(), "value": self.value, "events": self.events,
                "eligible": self.eligible}  # fmt: skip


@dataclass(frozen=True)
class SeriesStanding:
    """Where one series stands, in structured form and as a sentence (``phrase``)."""

    series: str  # as in pulse: "official", ..., "UN vote agreement", "signal: <name>"
    kind: str  # "track", "votes" or "signal"
    unit: str  # "events", "roll calls" or "days"
    phrase: Phrase
    latest: PeriodValue | None = None  # the latest complete period with a value
    per_100k: float | None = None  # tracks: the latest period's events per 100,000 of its source
    rank: int | None = None  # 1 = the lowest of ``of``; None when the latest is not eligible
    of: int = 0  # eligible periods in the compared years
    first_period: date | None = None  # the compared years of this series
    last_period: date | None = None
    is_all_time_low: bool = False  # the latest is the lowest of the compared years
    is_record_low: bool = False  # ... and lower than every earlier one (record_low != "")
    record_low: str = ""  # the pulse's mark of the latest: "", "tentative" or "confirmed"
    few: bool = False  # the latest rests on too few events (roll calls, days): not eligible
    lowest: PeriodValue | None = None  # the first eligible period holding the lowest value
    partial: PeriodValue | None = None  # a later, partial period, left out
    earlier: tuple[PeriodValue, ...] = ()
    record_first: date | None = None  # the series' whole record, when it starts earlier
    record_lowest: PeriodValue | None = None
    events_total: int = 0  # in the compared years

    @property
    def sentence(self) -> str:
        return sentence(self.phrase)

    def as_dict(self, translate: Translate | None = None) -> dict[str, Any]:
        def day(value: date | None) -> str | None:
            return value.isoformat() if value else None

        def one(value: PeriodValue | None) -> dict[str, Any] | None:
            return value.as_dict() if value else None

        latest = self.latest
        return {
            "series": self.series, "kind": self.kind, "unit": self.unit,
            "period": day(latest.period) if latest else None,
            "value": latest.value if latest else None,
            "events": latest.events if latest else 0,
            "per_100k": self.per_100k, "rank": self.rank, "of": self.of,
            "first_period": day(self.first_period), "last_period": day(self.last_period),
            "is_all_time_low": self.is_all_time_low, "is_record_low": self.is_record_low,
            "record_low": self.record_low, "few": self.few,
            "lowest_period": day(self.lowest.period) if self.lowest else None,
            "lowest_value": self.lowest.value if self.lowest else None,
            "lowest_events": self.lowest.events if self.lowest else None,
            "partial": one(self.partial), "earlier": [p.as_dict() for p in self.earlier],
            "record_first_period": day(self.record_first), "record_lowest": one(self.record_lowest),
            "events_total": self.events_total, "sentence": sentence(self.phrase, translate),
        }  # fmt: skip


@dataclass(frozen=True)
class Standing:
    """Where a pair's relationship stands: a sentence per series, then notes worth knowing."""

    country_a: str
    country_b: str
    freq: str
    since: date | None  # the first compared period (None: every series' whole record)
    until: date | None
    series: tuple[SeriesStanding, ...]
    notes: tuple[Phrase, ...] = field(default_factory=tuple)
    title: str = TITLE
    # the least support of an eligible period: events, roll calls, days (as the pulse used)
    min_events: int = MIN_EVENTS
    min_roll_calls: int = MIN_ROLL_CALLS
    min_days: int = MIN_SIGNAL_DAYS

    def sentences(self, translate: Translate | None = None) -> list[str]:
        return [sentence(one.phrase, translate) for one in self.series]

    def note_sentences(self, translate: Translate | None = None) -> list[str]:
        return [sentence(note, translate) for note in self.notes]

    def as_dict(self, translate: Translate | None = None) -> dict[str, Any]:
        return {
            "title": translate(self.title) if translate else self.title,
            "a": self.country_a, "b": self.country_b, "freq": self.freq,
            "few": self.min_events, "min_roll_calls": self.min_roll_calls,
            "min_days": self.min_days,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "sentences": self.sentences(translate), "notes": self.note_sentences(translate),
            "series": [one.as_dict(translate) for one in self.series],
        }  # fmt: skip


# -- reading a series out of the pulse ----------------------------------------------------------


def _flag(row: pd.Series, column: str) -> bool:
    value = row.get(column)
    return bool(value) if value is not None and not pd.isna(value) else False


def _record_mark(row: pd.Series) -> str:
    """The pulse's ``record_low`` of a period: "", "tentative" or "confirmed"."""
    value = row.get("record_low")
    return str(value) if isinstance(value, str) else ""


def _point(row: pd.Series) -> PeriodValue:
    return PeriodValue(row["period"], float(row["value"]), int(row["events"]),
                       _flag(row, "is_eligible"))  # fmt: skip


@dataclass(frozen=True)
class _Parts:
    """One series' rows split the way a sentence needs them."""

    rows: pd.DataFrame  # every row, in period order
    complete: pd.DataFrame  # complete periods with a value
    eligible: pd.DataFrame  # ... of which the pulse counts for ranks and lows
    partial: PeriodValue | None  # a partial period with a value after the last complete one


def _parts(rows: pd.DataFrame) -> _Parts:
    rows = rows.sort_values("period").reset_index(drop=True)
    partial_flags = rows["is_partial"].fillna(False).astype(bool)
    known = rows["value"].notna()
    complete = rows[known & ~partial_flags].reset_index(drop=True)
    eligible = complete[complete["is_eligible"].fillna(False).astype(bool)]
    tail = rows[known & partial_flags]
    if not complete.empty:
        tail = tail[tail["period"] > complete["period"].iloc[-1]]
    partial = _point(tail.iloc[-1]) if not tail.empty else None
    return _Parts(rows, complete, eligible.reset_index(drop=True), partial)


def _lowest(eligible: pd.DataFrame) -> PeriodValue | None:
    if eligible.empty:
        return None
    low = eligible[eligible["value"] == eligible["value"].min()]
    return _point(low.iloc[0])


def _earlier(complete: pd.DataFrame, lowest: PeriodValue | None) -> tuple[PeriodValue, ...]:
    """The periods just before the latest (not the lowest: its own clause quotes it)."""
    before = [_point(row) for _, row in complete.iloc[:-1].tail(EARLIER).iterrows()]
    return tuple(p for p in before if lowest is None or p.period != lowest.period)


# -- the clauses of a sentence ------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    freq: str
    names: tuple[str, str]
    span: tuple[date, date] | None  # the compared periods of the event tracks
    support: dict[str, int]  # unit -> the least events (roll calls, days) of an eligible period


@dataclass(frozen=True)
class _Facts:
    """What a sentence says of one series, worked out from its rows."""

    kind: str
    unit: str
    span: str  # the compared periods, written
    least: int  # the support an eligible period needs, in ``unit``
    latest: PeriodValue
    lowest: PeriodValue | None  # the lowest eligible period
    rank: int | None  # among the eligible periods; None when the latest is not one
    of: int  # eligible periods
    complete: int  # complete periods with a value, eligible or not
    record_low: str  # the pulse's mark of the latest
    has_interval: bool  # the latest has a 95% interval
    earlier: tuple[PeriodValue, ...]


def _lowest_clause(facts: _Facts, values: dict[str, Any]) -> Phrase:
    """The latest is the lowest eligible value, strictly: a record low as the pulse marks it."""
    if facts.record_low == RECORD_CONFIRMED:
        return Phrase(N_(", the lowest of %(of)s %(periods)s with data in %(span)s: a record low, "
                         "its interval wholly below the previous record"), values)  # fmt: skip
    if facts.record_low == RECORD_TENTATIVE and facts.has_interval:
        return Phrase(N_(", the lowest of %(of)s %(periods)s with data in %(span)s: a tentative "
                         "record low (its interval reaches the previous record)"),
                      values)  # fmt: skip
    if facts.record_low == RECORD_TENTATIVE:
        return Phrase(N_(", the lowest of %(of)s %(periods)s with data in %(span)s: a tentative "
                         "record low (it has no interval to test against the previous record)"),
                      values)  # fmt: skip
    return Phrase(N_(", the lowest of %(of)s %(periods)s with data in %(span)s"), values)


def _rank_clause(facts: _Facts, freq: str) -> Phrase:
    latest, lowest, rank, of = facts.latest, facts.lowest, facts.rank, facts.of
    values: dict[str, Any] = {"of": of, "periods": period_noun(freq, True), "span": facts.span}
    if rank is None or lowest is None:
        units = Phrase(UNIT_NOUNS[facts.unit])
        return Phrase(N_(", too few %(units)s to rank it"), {"units": units})
    if of == 1 and facts.complete == 1:
        return Phrase(N_(", the only %(period)s with data in %(span)s"),
                      {"period": period_noun(freq, False), "span": facts.span})  # fmt: skip
    if of == 1:  # other periods have a value, from too few events to rank
        return Phrase(N_(", the only %(period)s in %(span)s with the %(count)s needed to rank it"),
                      {"period": period_noun(freq, False), "span": facts.span,
                       "count": count_phrase(facts.least, facts.unit)})  # fmt: skip
    if rank == 1 and lowest.period != latest.period:  # level with an earlier period: no record
        return Phrase(
            N_(", as low as %(tied)s: the lowest of %(of)s %(periods)s with data in %(span)s"),
            {**values, "tied": period_text(lowest.period, freq)},
        )
    if rank == 1:
        return _lowest_clause(facts, values)
    if rank == of:
        return Phrase(N_(", the highest of %(of)s %(periods)s with data in %(span)s"), values)
    return Phrase(N_(", the %(rank)s lowest of %(of)s %(periods)s with data in %(span)s"),
                  {**values, "rank": ordinal(rank)})  # fmt: skip


def _value_at(point: PeriodValue, kind: str, unit: str, freq: str, with_count: bool) -> Phrase:
    values: dict[str, Any] = {"value": value_text(point.value, kind),
                              "period": period_text(point.period, freq)}  # fmt: skip
    if not with_count:
        return Phrase(N_("%(value)s in %(period)s"), values)
    return Phrase(N_("%(value)s in %(period)s (%(count)s)"),
                  {**values, "count": count_phrase(point.events, unit)})  # fmt: skip


def _low_clause(facts: _Facts, freq: str) -> Phrase | None:
    """The lowest eligible period when the latest is not it, or that there is none."""
    if facts.lowest is not None and facts.rank != 1:
        low = facts.lowest
        return Phrase(N_("; the lowest is %(period)s (%(value)s, %(count)s)"), {
            "period": period_text(low.period, freq), "value": value_text(low.value, facts.kind),
            "count": count_phrase(low.events, facts.unit)})  # fmt: skip
    if facts.lowest is None:
        return Phrase(N_("; no %(period)s in %(span)s has the %(count)s needed to rank one"),
                      {"period": period_noun(freq, False), "span": facts.span,
                       "count": count_phrase(facts.least, facts.unit)})  # fmt: skip
    return None


def _clauses(facts: _Facts, parts: _Parts, freq: str) -> tuple[Phrase, ...]:
    """The clauses after the head: rank, the lowest, the periods before, what follows."""
    kind, unit, latest = facts.kind, facts.unit, facts.latest
    clauses = [_rank_clause(facts, freq)]
    unranked = facts.complete - facts.of  # complete periods from too few events
    if facts.rank is not None and facts.of > 1 and unranked:  # "of N" counts only the eligible
        clauses.append(Phrase(N_(" (%(more)s more %(periods)s with too few %(units)s to rank)"),
                              {"more": unranked, "periods": period_noun(freq, unranked != 1),
                               "units": Phrase(UNIT_NOUNS[unit])}))  # fmt: skip
    low = _low_clause(facts, freq)
    clauses += [low] if low is not None else []
    if facts.earlier:
        items = tuple(_value_at(p, kind, unit, freq, not p.eligible) for p in facts.earlier)
        clauses.append(Phrase(N_("; before it, %(list)s"), {"list": Listing(items)}))
    silent = parts.rows[(parts.rows["period"] > latest.period) & (parts.rows["events"] == 0)
                        & ~parts.rows["is_partial"].fillna(False).astype(bool)]  # fmt: skip
    if kind == "track" and not silent.empty:
        first, last = silent["period"].iloc[0], silent["period"].iloc[-1]
        clauses.append(Phrase(N_("; no %(units)s after it (%(span)s)"),
                              {"units": Phrase(UNIT_NOUNS[unit]),
                               "span": span_text(first, last, freq)}))  # fmt: skip
    if parts.partial is not None:
        clauses.append(Phrase(N_("; %(period)s is partial (%(count)s so far) and left out"), {
            "period": period_text(parts.partial.period, freq),
            "count": count_phrase(parts.partial.events, unit)}))  # fmt: skip
    return tuple(clauses)


# -- one series ---------------------------------------------------------------------------------


def _label(series: str, kind: str) -> Phrase:
    if kind == "track":
        return Phrase(N_("%(track)s events, mean Goldstein"),
                      {"track": Phrase(TRACK_LABELS.get(series, series))})  # fmt: skip
    if kind == "votes":
        return Phrase(N_("UN vote agreement"))
    return Phrase(N_("signal %(name)s, mean of its days"),
                  {"name": series.removeprefix(SIGNAL_PREFIX)})  # fmt: skip


def _kind_and_unit(series: str) -> tuple[str, str]:
    if series == VOTES_SERIES:
        return "votes", "roll calls"
    if series.startswith(SIGNAL_PREFIX):
        return "signal", "days"
    return "track", "events"


def _no_events(series: str, context: _Context) -> SeriesStanding:
    values: dict[str, Any] = {"track": Phrase(TRACK_LABELS.get(series, series)),
                              "a": context.names[0], "b": context.names[1]}  # fmt: skip
    if context.span is None:
        phrase = Phrase(N_("no %(track)s events are recorded between %(a)s and %(b)s."), values)
    else:
        span = span_text(*context.span, context.freq)
        phrase = Phrase(N_("no %(track)s events are recorded between %(a)s and %(b)s in "
                           "%(span)s."), {**values, "span": span})  # fmt: skip
    first, last = context.span or (None, None)
    return SeriesStanding(series, "track", "events", phrase, first_period=first, last_period=last)


def _only_partial(series: str, parts: _Parts, kind: str, unit: str, freq: str) -> SeriesStanding:
    point = parts.partial
    assert point is not None
    phrase = Phrase(N_("%(series)s: only %(period)s, which is partial: %(value)s (%(count)s so "
                       "far)."), {"series": _label(series, kind),
                                  "period": period_text(point.period, freq),
                                  "value": value_text(point.value, kind),
                                  "count": count_phrase(point.events, unit)})  # fmt: skip
    return SeriesStanding(series, kind, unit, phrase, partial=point,
                          events_total=int(parts.rows["events"].sum()))  # fmt: skip


def _facts(parts: _Parts, kind: str, unit: str, span: str, least: int) -> _Facts:
    complete, eligible = parts.complete, parts.eligible
    last = complete.iloc[-1]
    latest, lowest = _point(last), _lowest(eligible)
    rank = 1 + int((eligible["value"] < latest.value).sum()) if latest.eligible else None
    return _Facts(
        kind, unit, span, least, latest, lowest, rank, of=len(eligible), complete=len(complete),
        record_low=_record_mark(last) if latest.eligible else "",
        has_interval=pd.notna(last.get("ci_high")), earlier=_earlier(complete, lowest),
    )  # fmt: skip


def _series_standing(series: str, rows: pd.DataFrame, context: _Context) -> SeriesStanding:
    kind, unit = _kind_and_unit(series)
    parts = _parts(rows)
    if kind == "track" and int(rows["events"].sum()) == 0:
        return _no_events(series, context)
    if parts.complete.empty:
        return _only_partial(series, parts, kind, unit, context.freq)
    last = parts.complete.iloc[-1]
    if kind == "track" and context.span is not None:
        first_period, last_period = context.span
    else:
        first_period, last_period = parts.complete["period"].iloc[0], last["period"]
    span = span_text(first_period, last_period, context.freq)
    facts = _facts(parts, kind, unit, span, context.support[unit])
    latest = facts.latest
    phrase = Phrase(N_("%(series)s: %(value)s in %(period)s (%(count)s)%(rest)s."), {
        "series": _label(series, kind), "value": value_text(latest.value, kind),
        "period": period_text(latest.period, context.freq),
        "count": count_phrase(latest.events, unit),
        "rest": _clauses(facts, parts, context.freq)})  # fmt: skip
    per_100k = last.get("per_100k")
    return SeriesStanding(
        series, kind, unit, phrase, latest=latest, rank=facts.rank, of=facts.of,
        per_100k=float(per_100k) if per_100k is not None and pd.notna(per_100k) else None,
        first_period=first_period, last_period=last_period,
        is_all_time_low=_flag(last, "is_all_time_low"), is_record_low=facts.record_low != "",
        record_low=facts.record_low, few=not latest.eligible, lowest=facts.lowest,
        partial=parts.partial, earlier=facts.earlier, events_total=int(rows["events"].sum()),
    )  # fmt: skip


# -- the whole record of a signal, and the gaps in the events ------------------------------------


def _with_record(one: SeriesStanding, whole: pd.DataFrame) -> SeriesStanding:
    """The series' whole-record low (its lowest eligible period), kept when its record starts
    before the compared years: the reader then knows whether an earlier period was lower."""
    parts = _parts(whole)
    lowest = _lowest(parts.eligible)
    if parts.complete.empty or lowest is None or one.first_period is None:
        return one
    first = parts.complete["period"].iloc[0]
    if first >= one.first_period:
        return one
    return replace(one, record_first=first, record_lowest=lowest)


def _record_note(one: SeriesStanding, freq: str) -> Phrase | None:
    if one.record_first is None or one.record_lowest is None or one.latest is None:
        return None
    low = one.record_lowest
    return Phrase(
        N_("over its whole record (%(span)s), %(series)s was lowest in %(period)s (%(value)s, "
           "%(count)s)."),
        {"span": span_text(one.record_first, one.latest.period, freq),
         "series": _label(one.series, one.kind), "period": period_text(low.period, freq),
         "value": value_text(low.value, one.kind), "count": count_phrase(low.events, one.unit)},
    )  # fmt: skip


def _stored_span(store: EventStore) -> tuple[date, date] | None:
    row = event_date_span(store)
    if row[0] is None:
        return None
    return pd.Timestamp(row[0]).date(), pd.Timestamp(row[1]).date()


def _next_period(start: date, freq: str) -> date:
    month = start.month - 1 + MONTHS_IN[freq]
    return date(start.year + month // 12, month % 12 + 1, 1)


def _gap_note(store: EventStore, span: tuple[date, date], freq: str) -> Phrase | None:
    """Periods in the compared span with no stored event at all (for any pair): a gap in the
    sources, which a reader must not take for a quiet period of the pair."""
    starts = event_period_starts(store, freq, span[0], _next_period(span[1], freq))
    stored = {pd.Timestamp(start).date() for start in starts}
    periods, step, current = [], {}, span[0]
    while current <= span[1]:
        periods.append(current)
        step[current] = _next_period(current, freq)
        current = step[current]
    empty = [p for p in periods if p not in stored]
    if not empty:
        return None
    return Phrase(N_("no events at all are stored for %(periods)s, for any pair: gaps in the "
                     "sources, not quiet %(nouns)s."),
                  {"periods": periods_text(empty, freq, step),
                   "nouns": period_noun(freq, True)})  # fmt: skip


# -- the entry point ----------------------------------------------------------------------------


def _compared_span(
    store: EventStore, freq: str, since: date | None, until: date | None
) -> tuple[date, date] | None:
    """The first and last periods of the stored events (any pair), within since/until."""
    stored = _stored_span(store)
    if stored is None:
        return None
    first = max(stored[0], since) if since else stored[0]
    last = min(stored[1], until) if until else stored[1]
    if last < first:
        return None
    return period_start(first, freq), period_start(last, freq)


def _ordered(frame: pd.DataFrame, taxonomy: Taxonomy) -> list[tuple[str, pd.DataFrame]]:
    """Tracks in the taxonomy's order (local only when the taxonomy has it), then signals."""
    empty = frame.iloc[0:0]
    present = {str(name): part for name, part in frame.groupby("series", sort=False)}
    tracks = [t for t in TRACK_ORDER if t in present or t != "local" or taxonomy.local_types]
    chosen = [(t, present.get(t, empty)) for t in tracks]
    # the ideal-point distance (higher = farther apart) has no sentence: the pulse and the
    # `votes distance` table show it
    left_out = {*TRACK_ORDER, "other", IDEAL_SERIES}
    return chosen + [(n, p) for n, p in present.items() if n not in left_out]


def standing(
    store: EventStore,
    country_a: str,
    country_b: str,
    *,
    freq: str = "year",
    since: date | None = None,
    until: date | None = None,
    taxonomy: Taxonomy | None = None,
    result: PulseResult | None = None,
) -> Standing:
    """Where the relationship of ``country_a`` and ``country_b`` stands, per series.

    Every series starts at the first period of the stored events (any pair) or at ``since``,
    whichever is later, and ends at ``until`` (the event tracks also at the last stored event);
    without stored events, each series starts at its own beginning. ``result``: the by-track
    pulse with signals from that first period, when the caller already has it.
    """
    taxonomy = taxonomy or load_taxonomy()
    freq = validate_freq(freq)
    span = _compared_span(store, freq, since, until)
    start = span[0] if span else since
    window = result or pulse(store, country_a, country_b, freq=freq, by="track", since=start,
                             until=until, taxonomy=taxonomy)  # fmt: skip
    names = taxonomy.countries.iso3_to_name
    pair = (window.country_a, window.country_b)
    support = {"events": window.min_support, "roll calls": window.min_roll_calls,
               "days": MIN_SIGNAL_DAYS}  # fmt: skip
    context = _Context(freq, (names.get(pair[0], pair[0]), names.get(pair[1], pair[1])), span,
                       support)  # fmt: skip
    frame = pd.concat([window.events, window.signals], ignore_index=True)
    lines = [_series_standing(name, rows, context) for name, rows in _ordered(frame, taxonomy)]
    notes: list[Phrase] = []
    if start is not None and not window.signals.empty:
        whole = pulse(store, *pair, freq=freq, by="none", until=until, taxonomy=taxonomy,
                      min_support=window.min_support,
                      min_roll_calls=window.min_roll_calls).signals  # fmt: skip
        lines = [_with_record(one, whole[whole["series"] == one.series])
                 if one.kind != "track" else one for one in lines]  # fmt: skip
        notes += [n for n in (_record_note(one, freq) for one in lines) if n is not None]
    if span is not None:
        gap = _gap_note(store, span, freq)
        notes += [gap] if gap is not None else []
    return Standing(pair[0], pair[1], freq, start, until, tuple(lines), tuple(notes),
                    min_events=window.min_support,
                    min_roll_calls=window.min_roll_calls)  # fmt: skip
