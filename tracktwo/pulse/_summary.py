"""One summary of each pulse series: the figures every shell shows (CLI, demo, dashboard,
briefing), computed once here from the marks the pulse put on its periods.

Only eligible periods (docs/pulse-method.md, "Eligible periods") count towards the
all-time low and high, the rank of the latest value, the record lows and the change points;
the latest period is the last one with a value, eligible or not, and says which it is.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tracktwo.pulse._periods import period_name

__all__ = ["SUMMARY_COLUMNS", "short_record_lows", "summarise_series", "summary_rows"]

SUMMARY_COLUMNS = [
    "series", "kind", "latest_period", "latest_value", "latest_n", "latest_rank",
    "eligible_periods", "all_time_low_period", "all_time_low_value", "all_time_low_n",
    "all_time_high_period", "all_time_high_value", "record_lows", "change_points",
    "latest_eligible", "latest_partial", "total_n",
]  # fmt: skip


def _flags(part: pd.DataFrame, column: str) -> pd.Series:
    return part[column].fillna(False).astype(bool)


def _empty_row(series: str, kind: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS)
    row.update(series=series, kind=kind, eligible_periods=0, record_lows="", change_points="",
               latest_eligible=False, latest_partial=False, total_n=0)  # fmt: skip
    return row


def _extreme(eligible: pd.DataFrame, lowest: bool) -> pd.Series:
    """The earliest eligible period at the series' minimum (or maximum)."""
    target = eligible["value"].min() if lowest else eligible["value"].max()
    return eligible[eligible["value"] == target].iloc[0]


def _series_row(
    series: str, kind: str, part: pd.DataFrame, freq: str, higher_is_worse: bool = False
) -> dict[str, Any]:
    known = part[part["value"].notna()]
    total = int(part["events"].fillna(0).sum())
    if known.empty:
        return {**_empty_row(series, kind), "total_n": total}
    eligible = known[_flags(known, "is_eligible")]
    latest = known.iloc[-1]
    latest_eligible = bool(pd.notna(latest["is_eligible"]) and latest["is_eligible"])
    row = _empty_row(series, kind)
    row.update(
        latest_period=latest["period"], latest_value=float(latest["value"]),
        latest_n=int(latest["events"]), eligible_periods=len(eligible),
        latest_eligible=latest_eligible, total_n=total,
        latest_partial=bool(pd.notna(latest["is_partial"]) and latest["is_partial"]),
    )  # fmt: skip
    # a series where higher is worse (the ideal-point distance): its low is its widest
    worse = eligible["value"] > latest["value"] if higher_is_worse else None
    if latest_eligible:
        below = worse if worse is not None else eligible["value"] < latest["value"]
        row["latest_rank"] = int(below.sum()) + 1
    if not eligible.empty:
        low = _extreme(eligible, lowest=not higher_is_worse)
        high = _extreme(eligible, lowest=higher_is_worse)
        row.update(
            all_time_low_period=low["period"], all_time_low_value=float(low["value"]),
            all_time_low_n=int(low["events"]), all_time_high_period=high["period"],
            all_time_high_value=float(high["value"]),
        )  # fmt: skip
    records = known[known["record_low"].fillna("").astype(str) != ""]
    row["record_lows"] = ", ".join(
        f"{period_name(r.period, freq)} {r.record_low}" for r in records.itertuples()
    )
    changes = known[_flags(known, "is_change_point")]
    row["change_points"] = ", ".join(period_name(p, freq) for p in changes["period"])
    return row


def summarise_series(
    frame: pd.DataFrame, freq: str, higher_is_worse: frozenset[str] = frozenset()
) -> pd.DataFrame:
    """One row per series of a pulse frame (in the frame's order), columns SUMMARY_COLUMNS:
    ``latest_rank`` is 1 for the lowest eligible value (empty when the latest period is not
    eligible); for the series in ``higher_is_worse`` "low" means worst: the all-time low,
    and rank 1, are the highest value; ``record_lows`` lists "PERIOD confirmed|tentative",
    ``change_points`` the first period of each new segment; ``latest_eligible`` /
    ``latest_partial`` say why a latest value has no rank, ``total_n`` counts the events
    (roll calls, days) of all periods."""
    rows = [
        _series_row(
            str(series), str(kind), part.sort_values("period"), freq, str(series) in higher_is_worse
        )
        for (kind, series), part in frame.groupby(["kind", "series"], sort=False)
    ]
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    for column in ("latest_n", "latest_rank", "eligible_periods", "all_time_low_n", "total_n"):
        summary[column] = summary[column].astype("Int64")
    for column in ("latest_value", "all_time_low_value", "all_time_high_value"):
        summary[column] = summary[column].astype(float)
    return summary


def short_record_lows(record_lows: str, keep: int = 3) -> str:
    """A summary's ``record_lows`` for a table cell: as it is up to ``keep`` records, else
    their count and the latest ("13, the last 2007 tentative")."""
    records = [one for one in str(record_lows or "").split(", ") if one]
    if len(records) <= keep:
        return ", ".join(records)
    return f"{len(records)}, the last {records[-1]}"


_PERIOD_COLUMNS = ("latest_period", "all_time_low_period", "all_time_high_period")


def summary_rows(
    summary: pd.DataFrame, freq: str, kind: str | None = None, *, name_periods: bool = True
) -> list[dict[str, Any]]:
    """The rows of a pulse summary (:func:`summarise_series`), of one ``kind`` ("events" or
    "signal") if given, as the shells show them: every row gains ``record_lows_short``
    (:func:`short_record_lows`) and, with ``name_periods``, its periods are named for a
    reader (2019, 2019 Q2, 2019-04) instead of dates."""
    chosen = summary if kind is None else summary[summary["kind"] == kind]
    rows = []
    for row in chosen.to_dict("records"):
        if name_periods:
            for column in _PERIOD_COLUMNS:
                if row[column] is not None:
                    row[column] = period_name(row[column], freq)
        row["record_lows_short"] = short_record_lows(row["record_lows"])
        rows.append(row)
    return rows
