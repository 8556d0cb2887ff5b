"""The chart of ``tracktwo compare``: one line per partner, in the style of ``pulse_chart``.

The top panel (one per track with ``--by track``) draws each partner's mention-weighted mean
Goldstein with its 95% interval as a pale band; below, events per 100,000 events of the source
(when any period has a denominator) and the raw event counts, on the same time axis. SVG or
PNG by the file's suffix, rendered offline by vl-convert.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

from tracktwo._errors import InputError
from tracktwo.pulse._chart import (
    _Y_TITLE_LINES,
    _is_yearly,
    _output_format,
    _time_axis,
    save_chart,
)
from tracktwo.taxonomy import TRACK_LABELS

__all__ = ["CHART_COLUMNS", "compare_chart"]

CHART_COLUMNS = ("period", "partner", "series", "events", "per_100k", "value", "ci_low",
                 "ci_high")  # fmt: skip
_WIDTH = 760
_VALUE_HEIGHT = 260
_TRACK_HEIGHT = 170  # one value panel per track: lower, so the chart stays on a screen
_COUNT_HEIGHT = 130
# a partner keeps its colour across panels; red is left out as in pulse_chart
_PARTNER_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
                    "#17becf", "#bcbd22", "#7f7f7f", "#aec7e8")  # fmt: skip
_NOTE = "band: 95% bootstrap interval · a point is a period with events"


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"the comparison must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [column for column in CHART_COLUMNS if column not in frame.columns]
    if missing:
        raise InputError(f"the comparison lacks column(s) {', '.join(missing)}")
    if frame.empty or frame["events"].sum() == 0:
        raise InputError("the comparison has no events to draw")
    tidy = frame.loc[:, list(CHART_COLUMNS)].copy()
    tidy["period"] = pd.to_datetime(tidy["period"])
    tidy["partner"] = tidy["partner"].astype(str)
    for column in ("per_100k", "value", "ci_low", "ci_high"):
        tidy[column] = tidy[column].astype("float64")
    return tidy


def _colours(partners: list[str]) -> alt.Scale:
    palette = _PARTNER_COLOURS * (len(partners) // len(_PARTNER_COLOURS) + 1)
    return alt.Scale(domain=partners, range=list(palette[: len(partners)]))


def _value_panel(
    part: pd.DataFrame, x: alt.X, colours: alt.Scale, heading: alt.Title, height: int
) -> alt.LayerChart:
    base = alt.Chart(part)
    colour = alt.Color("partner:N", scale=colours, title="Partner")
    band = base.mark_area(opacity=0.12).encode(x=x, y="ci_low:Q", y2="ci_high:Q", color=colour)
    line = base.mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=30)).encode(
        x=x,
        y=alt.Y("value:Q", title=_Y_TITLE_LINES, scale=alt.Scale(padding=10)),
        color=colour,
    )
    zero = (
        alt.Chart(pd.DataFrame({"zero": [0.0]}))
        .mark_rule(color="#444", strokeWidth=1)
        .encode(y="zero:Q")
    )
    return alt.LayerChart(layer=[zero, band, line], width=_WIDTH, height=height, title=heading)


def _count_panel(
    counts: pd.DataFrame, column: str, title: str, x: alt.X, colours: alt.Scale
) -> alt.Chart:
    return (
        alt.Chart(counts)
        .mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=24))
        .encode(
            x=x,
            y=alt.Y(f"{column}:Q", title=None),
            color=alt.Color("partner:N", scale=colours, title="Partner"),
        )
        .properties(
            width=_WIDTH, height=_COUNT_HEIGHT, title=alt.Title(title, anchor="start", fontSize=12)
        )
    )


def _counts(tidy: pd.DataFrame) -> pd.DataFrame:
    """Events and per_100k of each partner and period, summed over the tracks (NaN per_100k
    where no track has one: a period without a denominator)."""
    grouped = tidy.groupby(["period", "partner"], as_index=False, sort=False)
    return grouped.agg(
        events=("events", "sum"), per_100k=("per_100k", lambda s: s.sum(min_count=1))
    )


def compare_chart(frame: pd.DataFrame, path: str | Path, *, title: str) -> Path:
    """Draw a comparison (``CompareResult.frame``) to ``path`` (``.svg`` or ``.png``).

    Raises InputError for a missing column, a comparison without events or another suffix.
    """
    target = Path(path)
    chart_format = _output_format(target)
    tidy = _tidy(frame)
    partners = list(dict.fromkeys(tidy["partner"]))
    colours = _colours(partners)
    x = _time_axis([tidy["period"].min(), tidy["period"].max()], show_title=False,
                   yearly=_is_yearly(tidy))  # fmt: skip
    panels: list[alt.LayerChart | alt.Chart] = []
    names = list(dict.fromkeys(tidy["series"]))
    height = _VALUE_HEIGHT if len(names) == 1 else _TRACK_HEIGHT
    for i, name in enumerate(names):
        label = "every event" if name == "all" else f"{TRACK_LABELS.get(name, name)} track"
        heading = alt.Title(title, subtitle=f"{_NOTE} · {label}", anchor="start", fontSize=16)
        if i:
            heading = alt.Title(label, anchor="start", fontSize=12)
        panels.append(_value_panel(tidy[tidy["series"] == name], x, colours, heading, height))
    counts = _counts(tidy)
    if counts["per_100k"].notna().any():
        # kept with its gaps: a line across periods without a denominator would invent them
        panels.append(_count_panel(counts, "per_100k", "Events per 100,000 events of the source",
                                   x, colours))  # fmt: skip
    panels.append(_count_panel(counts, "events", "Events", x, colours))
    chart = alt.vconcat(*panels, spacing=22).resolve_scale(x="shared", y="independent")
    return save_chart(chart, target, chart_format)
