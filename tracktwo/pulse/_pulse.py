"""``pulse``: a country pair's relationship over time, by track, with its signals.

One query (``pulse_cells``) reduces the events to cells; everything else is computed from
the cells in memory, which is small: periods × series × distinct (Goldstein, mentions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import numpy as np
import pandas as pd

from tracktwo._errors import InputError, NotFoundError
from tracktwo.pulse._coverage import coverage_totals
from tracktwo.pulse._expr import GROUPINGS, pulse_cells
from tracktwo.pulse._periods import check_range, period_start, validate_freq
from tracktwo.pulse._signals import signal_series
from tracktwo.pulse._stats import bootstrap_series_ci, change_points, mark_extremes
from tracktwo.pulse._votes import voting_agreement
from tracktwo.store import EventStore, events_table
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = ["SERIES_COLUMNS", "PulseResult", "pulse"]

SERIES_COLUMNS = [
    "period", "kind", "series", "events", "value", "ci_low", "ci_high", "coop_share",
    "coverage_share", "is_all_time_low", "is_all_time_high", "is_record_low", "is_change_point",
]  # fmt: skip
VOTES_SERIES = "UN vote agreement"


@dataclass
class PulseResult:
    """The pulse of one pair: event series and official-channel signals, in one tidy frame."""

    country_a: str
    country_b: str
    freq: str
    by: str
    frame: pd.DataFrame
    sql: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def events(self) -> pd.DataFrame:
        return self.frame[self.frame["kind"] == "events"].reset_index(drop=True)

    @property
    def signals(self) -> pd.DataFrame:
        return self.frame[self.frame["kind"] == "signal"].reset_index(drop=True)


def _pair(taxonomy: Taxonomy, country_a: str, country_b: str) -> tuple[str, str]:
    first = taxonomy.countries.iso3(country_a)
    second = taxonomy.countries.iso3(country_b)
    if first == second:
        raise InputError(f"a pair needs two different countries, got {first} twice")
    return first, second


def _validate(freq: str, by: str, since: date | None, until: date | None) -> str:
    if by not in GROUPINGS:
        raise InputError(f"--by {by!r} is not one of {', '.join(GROUPINGS)}")
    check_range(since, until)
    return validate_freq(freq)


def _summarise(cells: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """events, mention-weighted mean Goldstein and cooperative share per period and series."""
    work = cells.assign(
        w=cells["weight"] * cells["n"],
        wg=cells["weight"] * cells["n"] * cells["goldstein"],
        coop=cells["n"].where(cells["cooperative"], 0),
    )
    grouped = work.groupby(keys, as_index=False)[["n", "w", "wg", "coop"]].sum()
    grouped["value"] = grouped["wg"] / grouped["w"]
    grouped["coop_share"] = grouped["coop"] / grouped["n"]
    return grouped.rename(columns={"n": "events"})[[*keys, "events", "value", "coop_share"]]


def _as_dates(column: Any) -> list[date]:
    """pandas may turn dates into Timestamps on the way; tracktwo reports plain dates."""
    return [pd.Timestamp(value).date() for value in column]


def _all_periods(first: date, last: date, freq: str) -> list[date]:
    periods, current = [], first
    step = {"month": 1, "quarter": 3, "year": 12}[freq]
    while current <= last:
        periods.append(current)
        month = current.month - 1 + step
        current = date(current.year + month // 12, month % 12 + 1, 1)
    return periods


def _mark_series(frame: pd.DataFrame, group_keys: list[str]) -> pd.DataFrame:
    """Record lows, all-time extremes and change points, series by series, in period order."""
    parts = []
    for _, part in frame.groupby(group_keys, sort=True, dropna=False):
        part = part.sort_values("period").reset_index(drop=True)
        marks = mark_extremes(part["value"].tolist())
        part[list(marks.columns)] = marks.to_numpy()
        part["is_change_point"] = False
        for index in change_points(part["value"].tolist()):
            part.loc[index, "is_change_point"] = True
        parts.append(part)
    if not parts:
        return frame.assign(
            is_all_time_low=False, is_all_time_high=False, is_record_low=False,
            is_change_point=False,
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


def _event_series(
    cells: pd.DataFrame, keys: list[str], freq: str, seed: int, n_boot: int
) -> pd.DataFrame:
    if cells.empty:
        return pd.DataFrame(columns=[*keys, "events", "value", "coop_share", "ci_low", "ci_high"])
    summary = _summarise(cells, keys)
    boot_cells = cells.groupby([*keys, "goldstein", "weight"], as_index=False)["n"].sum()
    intervals = bootstrap_series_ci(boot_cells, group_cols=keys, n_boot=n_boot, seed=seed)
    summary = summary.merge(intervals, on=keys, how="left")
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


def _signal_rows(
    store: EventStore, pair: tuple[str, str], freq: str, since: date | None, until: date | None
) -> pd.DataFrame:
    """UN vote agreement and imported dyad scores for the pair, as official-channel signals."""
    parts = []
    try:
        votes = voting_agreement(store, pair[0], pair[1], freq, since, until)
        parts.append(
            votes.rename(columns={"roll_calls": "events", "agreement": "value"}).assign(
                series=VOTES_SERIES
            )
        )
    except NotFoundError:
        pass
    signals = signal_series(store, pair[0], pair[1], freq, None, since, until)
    if not signals.empty:
        parts.append(
            signals.rename(columns={"days": "events"}).assign(series="signal: " + signals["name"])[
                ["period", "events", "value", "series"]
            ]
        )
    if not parts:
        return pd.DataFrame(columns=["period", "series", "events", "value"])
    return pd.concat(parts, ignore_index=True)


def _tidy(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    frame = frame.assign(kind=kind)
    for column in SERIES_COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan
    return frame


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
) -> PulseResult:
    """The relationship of ``country_a`` and ``country_b`` over time (see docs/pulse-method.md)."""
    taxonomy = taxonomy or load_taxonomy()
    freq = _validate(freq, by, since, until)
    pair = _pair(taxonomy, country_a, country_b)
    expr = pulse_cells(
        events_table(store, engine), pair[0], pair[1], taxonomy=taxonomy, freq=freq, by=by,
        directed=directed, since=since, until=until,
    )  # fmt: skip
    cells = expr.to_pandas()
    cells["period"] = [period_start(p if isinstance(p, date) else p.date(), freq)
                       for p in cells["period"]]  # fmt: skip
    keys = ["period", "series", *(["direction"] if directed else [])]
    events = _event_series(cells, keys, freq, seed, n_boot)
    if directed and not events.empty:
        events["series"] = events["series"] + " " + events["direction"]
        events = events.drop(columns="direction")
    events = _mark_series(events, ["series"])
    events = _with_coverage(events, store, pair, freq)
    frames = [_tidy(events, "events")]
    if signals:
        frames.append(_tidy(_mark_series(_signal_rows(store, pair, freq, since, until),
                                         ["series"]), "signal"))  # fmt: skip
    frame = pd.concat([f[SERIES_COLUMNS] for f in frames if not f.empty] or
                      [pd.DataFrame(columns=SERIES_COLUMNS)], ignore_index=True)  # fmt: skip
    frame["period"] = _as_dates(frame["period"])
    frame = frame.sort_values(["kind", "series", "period"], kind="stable").reset_index(drop=True)
    sql = str(ibis.to_sql(expr)) if engine == "duckdb" else ""
    return PulseResult(pair[0], pair[1], freq, by, frame, sql=sql)
