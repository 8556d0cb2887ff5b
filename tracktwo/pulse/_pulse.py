"""``pulse``: a country pair's relationship over time, by track, with its signals.

One query (``pair_moments``) reduces the events to a few sums per period and series;
everything else is computed from those sums in memory, which is small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from tracktwo._errors import InputError, NotFoundError
from tracktwo.pulse._coverage import coverage_totals
from tracktwo.pulse._expr import GROUPINGS, group_keys, pair_moments
from tracktwo.pulse._ideal_points import ideal_distance_signal
from tracktwo.pulse._periods import MONTHS_IN, check_range, validate_freq
from tracktwo.pulse._signals import signal_series
from tracktwo.pulse._source_rates import with_per_100k
from tracktwo.pulse._stats import change_points, mark_records, weighted_mean_interval
from tracktwo.pulse._summary import summarise_series
from tracktwo.pulse._vote_measures import vote_measure
from tracktwo.store import (
    EventStore,
    events_table,
    roll_call_date_span,
    signal_date_span,
    signal_names,
)
from tracktwo.taxonomy import TRACKS, Taxonomy, load_taxonomy

__all__ = ["SERIES_COLUMNS", "PulseResult", "pulse"]

SERIES_COLUMNS = [
    "period", "kind", "series", "events", "value", "ci_low", "ci_high", "coop_share",
    "coverage_share", "per_100k", "is_partial", "is_eligible", "is_all_time_low",
    "is_all_time_high", "record_low", "is_change_point",
]  # fmt: skip
# by="track" always lists these, in this order (other only when there is any)
SHOWN_TRACKS = tuple(track for track in TRACKS if track != "other")
# engines whose events are the store's own: per_100k needs the store's source tables
_STORE_ENGINES = ("duckdb", "spark")
VOTES_SERIES = "UN vote agreement"
IDEAL_SERIES = "UN ideal-point distance"
# series where a higher value is a worse relationship: their record lows are record highs
# of the value, and is_all_time_low marks the highest (docs/pulse-method.md)
HIGHER_IS_WORSE = frozenset({IDEAL_SERIES})
# the least support a period needs to be an all-time low or high, a record low or a change
# point (docs/pulse-method.md, "Eligible periods", says why these numbers)
MIN_EVENTS = 10
MIN_ROLL_CALLS = 20
MIN_SIGNAL_DAYS = 10


@dataclass
class PulseResult:
    """The pulse of one pair: event series and official-channel signals, in one tidy frame."""

    country_a: str
    country_b: str
    freq: str
    by: str
    frame: pd.DataFrame
    expr: Any = None
    # period -> the source whose totals per_100k divides by (see docs/pulse-method.md)
    rate_sources: dict[date, str] = field(default_factory=dict)
    min_support: int = MIN_EVENTS  # events an eligible period needs
    min_roll_calls: int = MIN_ROLL_CALLS  # roll calls an eligible UN-vote period needs

    @property
    def sql(self) -> str:
        """The SQL of the main query (compiled on demand: it is long)."""
        return str(ibis.to_sql(self.expr)) if self.expr is not None else ""

    @property
    def events(self) -> pd.DataFrame:
        return self.frame[self.frame["kind"] == "events"].reset_index(drop=True)

    @property
    def signals(self) -> pd.DataFrame:
        return self.frame[self.frame["kind"] == "signal"].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """One row per series: latest value, all-time low and high, rank, records, changes
        (columns ``SUMMARY_COLUMNS``; see docs/pulse-method.md, "The summary")."""
        return summarise_series(self.frame, self.freq, HIGHER_IS_WORSE)


def _pair(taxonomy: Taxonomy, country_a: str, country_b: str) -> tuple[str, str]:
    return taxonomy.countries.pair(country_a, country_b)


def _validate(freq: str, by: str, since: date | None, until: date | None) -> str:
    if by not in GROUPINGS:
        raise InputError(f"--by {by!r} is not one of {', '.join(GROUPINGS)}")
    check_range(since, until)
    return validate_freq(freq)


def _summarise(moments: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """events, mention-weighted mean Goldstein and cooperative share per period and series."""
    summary = moments[keys].copy()
    summary["events"] = moments["events"].astype("int64")
    summary["value"] = moments["swg"] / moments["sw"]
    summary["coop_share"] = moments["coop"] / moments["events"]
    return summary


def _as_dates(column: Any) -> list[date]:
    """pandas may turn dates into Timestamps on the way; tracktwo reports plain dates."""
    return [pd.Timestamp(value).date() for value in column]


def _all_periods(first: date, last: date, freq: str) -> list[date]:
    periods, current = [], first
    while current <= last:
        periods.append(current)
        current = _next_period(current, freq)
    return periods


Span = tuple[date, date] | None


def _next_period(start: date, freq: str) -> date:
    month = start.month - 1 + MONTHS_IN[freq]
    return date(start.year + month // 12, month % 12 + 1, 1)


def _clip(span: Span, since: date | None, until: date | None) -> Span:
    if span is None:
        return None
    first, last = span
    return (max(first, since) if since else first, min(last, until) if until else last)


PARTIAL_BELOW = 0.5


def _partial(periods: pd.Series, freq: str, span: Span) -> list[bool]:
    """Periods the data (clipped by --since/--until) covers for less than half their days:
    their figures are shown but they are never a record low, an extreme or a change point
    (UN votes end on 2020-01-14, so "2020" holds one roll call)."""
    if span is None:
        return [False] * len(periods)
    first, last = span
    flags = []
    for start in periods:
        end = _next_period(start, freq) - timedelta(days=1)
        covered = (min(end, last) - max(start, first)).days + 1
        flags.append(covered < PARTIAL_BELOW * ((end - start).days + 1))
    return flags


def _mark_series(
    frame: pd.DataFrame, group_keys: list[str], freq: str, spans: dict[str, Span] | Span,
    min_support: dict[str, int] | int,
) -> pd.DataFrame:  # fmt: skip
    """Eligibility, record lows, all-time extremes and change points, series by series, in
    period order. Only eligible periods (not partial, at least ``min_support`` events, roll
    calls or days) take part; the others are shown and marked ``is_eligible`` False."""
    parts = []
    for key, part in frame.groupby(group_keys, sort=True, dropna=False):
        part = part.sort_values("period").reset_index(drop=True)
        name = str(key[0] if isinstance(key, tuple) else key)
        span = spans.get(name) if isinstance(spans, dict) else spans
        least = min_support.get(name, MIN_EVENTS) if isinstance(min_support, dict) else min_support
        part["is_partial"] = _partial(part["period"], freq, span)
        part["is_eligible"] = (
            ~part["is_partial"] & (part["events"].fillna(0) >= least) & part["value"].notna()
        )
        if "ci_high" not in part.columns:
            part["ci_high"] = np.nan
        if "ci_low" not in part.columns:
            part["ci_low"] = np.nan
        if name in HIGHER_IS_WORSE:  # its low is its highest value: records of drifting apart
            # negated, its all-time low is the widest distance: the worst, as for the others
            marks = mark_records(-part["value"], -part["ci_low"], part["is_eligible"])
        else:
            marks = mark_records(part["value"], part["ci_high"], part["is_eligible"])
        for column in marks.columns:
            part[column] = marks[column].to_numpy()
        part["is_change_point"] = False
        for index in change_points(part["value"].where(part["is_eligible"]).tolist()):
            part.loc[index, "is_change_point"] = True
        parts.append(part)
    if not parts:
        return frame.assign(
            is_partial=False, is_eligible=False, is_all_time_low=False, is_all_time_high=False,
            record_low="", is_change_point=False,
        )  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def _fill_gaps(summary: pd.DataFrame, keys: list[str], freq: str) -> pd.DataFrame:
    """Every period between the first and the last, for every series: a gap shows as 0 events."""
    if summary.empty:
        return summary
    summary = summary.assign(period=_as_dates(summary["period"]))
    periods = _all_periods(min(summary["period"]), max(summary["period"]), freq)
    series_keys = summary[keys[1:]].drop_duplicates()
    grid = series_keys.merge(pd.DataFrame({"period": periods}), how="cross")
    full = grid.merge(summary, on=keys, how="left")
    full["events"] = full["events"].fillna(0).astype("int64")
    return full


def _every_track(frame: pd.DataFrame, pair: tuple[str, str], directed: bool) -> pd.DataFrame:
    """by="track": a row for every track (and both directions) in every period, 0 events
    where there are none, so an empty people-to-people series shows as zero, not as nothing."""
    if frame.empty:
        return frame
    present = set(frame["series"])
    tracks = [t for t in TRACKS if t in SHOWN_TRACKS or t in present]
    grid = pd.DataFrame({"series": tracks + sorted(present - set(tracks))})
    if directed:
        directions = [f"{pair[0]}→{pair[1]}", f"{pair[1]}→{pair[0]}"]
        grid = grid.merge(pd.DataFrame({"direction": directions}), how="cross")
    grid = grid.merge(pd.DataFrame({"period": sorted(set(frame["period"]))}), how="cross")
    full = grid.merge(frame, on=list(grid.columns), how="left")
    full["events"] = full["events"].fillna(0).astype("int64")
    return full


def _series_order(frame: pd.DataFrame, by: str) -> pd.Series:
    """Sort key of the series: tracks in taxonomy order (directed ones by their track),
    anything else alphabetically after them."""
    if by != "track":
        return frame["series"]
    ranks = {track: f"{i}" for i, track in enumerate(TRACKS)}
    return frame["series"].map(
        lambda name: ranks.get(str(name).split(" ")[0], "9") + " " + str(name)
    )


def _event_series(moments: pd.DataFrame, keys: list[str], freq: str) -> pd.DataFrame:
    if moments.empty:
        return pd.DataFrame(columns=[*keys, "events", "value", "coop_share", "ci_low", "ci_high"])
    summary = _summarise(moments, keys)
    sums = tuple(moments[name] for name in ("sw", "swg", "sww", "swwg", "swwgg"))
    summary["ci_low"], summary["ci_high"] = weighted_mean_interval(moments["events"], sums)
    return _fill_gaps(summary, keys, freq)


def _with_coverage(
    frame: pd.DataFrame, store: EventStore, pair: tuple[str, str], freq: str
) -> pd.DataFrame:
    try:
        totals = coverage_totals(store, pair[0], pair[1], freq)
    except NotFoundError:
        totals = pd.DataFrame(columns=["period", "total"])
    frame = frame.merge(totals, on="period", how="left")
    frame["coverage_share"] = frame["events"] / frame["total"].where(frame["total"] > 0)
    return frame.drop(columns="total")


def _vote_rows(
    store: EventStore, pair: tuple[str, str], freq: str, since: date | None,
    until: date | None, seed: int, n_boot: int,
) -> list[pd.DataFrame]:  # fmt: skip
    """UN vote agreement with its bootstrap interval over roll calls, and the ideal-point
    distance when a fit is cached (the pulse never fits: `tracktwo votes fit`)."""
    parts = []
    try:
        votes = vote_measure(store, pair[0], pair[1], measure="agreement", by=freq,
                             since=since, until=until, seed=seed, n_boot=n_boot)  # fmt: skip
        parts.append(votes.rename(columns={"roll_calls": "events"}).assign(series=VOTES_SERIES))
    except NotFoundError:
        return parts
    try:
        distance = ideal_distance_signal(store, pair[0], pair[1], freq, since, until)
        if not distance.empty:
            parts.append(distance.assign(series=IDEAL_SERIES))
    except NotFoundError:
        pass
    return parts


def _signal_rows(
    store: EventStore, pair: tuple[str, str], freq: str, since: date | None,
    until: date | None, seed: int = 0, n_boot: int = 1000,
) -> pd.DataFrame:  # fmt: skip
    """UN votes (agreement, ideal-point distance) and imported dyad scores for the pair, as
    official-channel signals."""
    parts = _vote_rows(store, pair, freq, since, until, seed, n_boot)
    signals = signal_series(store, pair[0], pair[1], freq, None, since, until)
    if not signals.empty:
        parts.append(
            signals.rename(columns={"days": "events"}).assign(series="signal: " + signals["name"])[
                ["period", "events", "value", "series"]
            ]
        )
    columns = ["period", "series", "events", "value", "ci_low", "ci_high"]
    if not parts:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(parts, ignore_index=True)
    return frame.reindex(columns=columns)


def _span(bounds: tuple[Any, Any]) -> Span:
    if bounds[0] is None:
        return None
    return (pd.Timestamp(bounds[0]).date(), pd.Timestamp(bounds[1]).date())


def _events_span(events: Any) -> Span:
    """First and last day of all stored events (of any pair): what the data covers."""
    bounds = events.aggregate(first=events.event_date.min(), last=events.event_date.max())
    row = bounds.to_pandas().iloc[0]
    if pd.isna(row["first"]):
        return None
    return (pd.Timestamp(row["first"]).date(), pd.Timestamp(row["last"]).date())


def _signal_spans(store: EventStore) -> dict[str, Span]:
    votes = _span(roll_call_date_span(store))
    spans: dict[str, Span] = {VOTES_SERIES: votes, IDEAL_SERIES: votes}
    for name in signal_names(store):
        spans[f"signal: {name}"] = _span(signal_date_span(store, name))
    return spans


def _tidy(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    frame = frame.assign(kind=kind)
    for column in SERIES_COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan
    return frame


def _signal_support(min_roll_calls: int) -> dict[str, int]:
    """Least support per signal: roll calls for the UN series, days for imported signals."""
    return {VOTES_SERIES: min_roll_calls, IDEAL_SERIES: min_roll_calls}


def _signal_frame(
    store: EventStore, pair: tuple[str, str], freq: str, since: date | None,
    until: date | None, min_roll_calls: int, seed: int, n_boot: int,
) -> pd.DataFrame:  # fmt: skip
    spans = {k: _clip(v, since, until) for k, v in _signal_spans(store).items()}
    rows = _signal_rows(store, pair, freq, since, until, seed, n_boot)
    support = _signal_support(min_roll_calls)
    support.update({name: MIN_SIGNAL_DAYS for name in set(rows["series"]) - set(support)})
    return _tidy(_mark_series(rows, ["series"], freq, spans, support), "signal")


def _check_support(min_support: int, min_roll_calls: int) -> None:
    for name, value in (("min_support", min_support), ("min_roll_calls", min_roll_calls)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name} must be a whole number of at least 1, got {value!r}")


def pulse(
    store: EventStore,
    country_a: str,
    country_b: str,
    *,
    freq: str = "month",
    by: str = "track",
    directed: bool = False,
    since: date | None = None,
    until: date | None = None,
    engine: str = "duckdb",
    taxonomy: Taxonomy | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    signals: bool = True,
    min_support: int = MIN_EVENTS,
    min_roll_calls: int = MIN_ROLL_CALLS,
) -> PulseResult:
    """The relationship of ``country_a`` and ``country_b`` over time (see docs/pulse-method.md).

    A period takes part in lows, highs, record lows and change points only with at least
    ``min_support`` events (``min_roll_calls`` roll calls for the UN-vote signals) and when
    it is not partial. ``seed`` and ``n_boot`` drive the UN-vote bootstrap intervals."""
    taxonomy = taxonomy or load_taxonomy()
    freq = _validate(freq, by, since, until)
    _check_support(min_support, min_roll_calls)
    pair = _pair(taxonomy, country_a, country_b)
    table = events_table(store, engine)
    expr = pair_moments(
        table, pair[0], pair[1], taxonomy=taxonomy, freq=freq, by=by,
        directed=directed, since=since, until=until,
    )  # fmt: skip
    moments = expr.to_pandas()
    moments["period"] = _as_dates(moments["period"])
    keys = group_keys(directed)
    events = _event_series(moments, keys, freq)
    if by == "track":
        events = _every_track(events, pair, directed)
    rate_sources: dict[date, str] = {}
    if engine in _STORE_ENGINES:
        events, rate_sources = with_per_100k(
            events, store, pair, keys=keys, taxonomy=taxonomy, freq=freq, by=by,
            directed=directed, since=since, until=until,
        )  # fmt: skip
    if directed and not events.empty:
        events["series"] = events["series"] + " " + events["direction"]
        events = events.drop(columns="direction")
    span = _clip(_events_span(table), since, until)
    events = _with_coverage(_mark_series(events, ["series"], freq, span, min_support),
                            store, pair, freq)  # fmt: skip
    frames = [_tidy(events, "events")]
    if signals:
        frames.append(_signal_frame(store, pair, freq, since, until, min_roll_calls, seed, n_boot))
    frame = pd.concat([f[SERIES_COLUMNS] for f in frames if not f.empty] or
                      [pd.DataFrame(columns=SERIES_COLUMNS)], ignore_index=True)  # fmt: skip
    frame["period"] = _as_dates(frame["period"])
    frame = frame.assign(_order=_series_order(frame, by))
    frame = frame.sort_values(["kind", "_order", "period"], kind="stable")
    frame = frame.drop(columns="_order").reset_index(drop=True)
    return PulseResult(pair[0], pair[1], freq, by, frame, expr=expr, rate_sources=rate_sources,
                       min_support=min_support, min_roll_calls=min_roll_calls)  # fmt: skip
