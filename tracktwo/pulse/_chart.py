"""The chart of ``tracktwo pulse``: one line per track with its interval bars and marks.

Drawn with Altair and rendered offline by vl-convert (no browser), as SVG or PNG
depending on the file suffix. The top panel holds the tracks; an optional panel
per external signal (UN vote agreement, GDELT daily score ...) sits below,
sharing the time axis but keeping its own value scale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import altair as alt
import pandas as pd

from tracktwo._errors import InputError

__all__ = ["SERIES_COLUMNS", "SIGNAL_COLUMNS", "pulse_chart", "save_chart", "signals_chart"]

SERIES_COLUMNS = (
    "period",
    "series",
    "events",
    "value",
    "ci_low",
    "ci_high",
    "coop_share",
    "is_partial",
    "is_eligible",
    "record_low",
    "is_change_point",
    "is_all_time_low",
    "is_all_time_high",
)
SIGNAL_COLUMNS = (
    "period", "series", "value", "is_partial", "is_eligible", "record_low", "is_change_point",
)  # fmt: skip

ChartFormat = Literal["svg", "png"]
_FORMATS: dict[str, ChartFormat] = {".svg": "svg", ".png": "png"}
_WIDTH = 800
_HEIGHT = 300
_SIGNAL_HEIGHT = 120
# PNG pixels per chart unit: 2 keeps text sharp on high-density screens and in print.
_PNG_SCALE = 2
# "Mean Goldstein (mention-weighted), −10 conflict … +10 cooperation" on two lines:
# on one it is longer than the 300-unit plot is tall.
_Y_TITLE_LINES = ["Mean Goldstein (mention-weighted)", "−10 conflict … +10 cooperation"]
_MARK_NOTE = (
    "bar: 95% interval · filled dot: eligible period, hollow: too few events or partial "
    "(no line into a partial period) · ▼ confirmed record low, ▽ tentative · "
    "ring: all-time low · dashed rule: change point"
)
_RECORD_RED = "#d62728"
# Fixed colours for the known tracks so a track keeps its colour across charts;
# red is left out because it marks record lows.
_TRACK_COLOURS = {
    "official": "#1f77b4",
    "local": "#ff7f0e",
    "people": "#2ca02c",
    "mixed": "#9467bd",
    "other": "#7f7f7f",
}
_SPARE_COLOURS = ("#17becf", "#8c564b", "#e377c2", "#bcbd22", "#aec7e8")
# legend names that differ from the series key (tracktwo.taxonomy.TRACK_LABELS)
_LEGEND_NAMES = {"local": "local government"}


def _vega_string(text: str) -> str:
    """A Vega expression string literal (JSON's quoting is valid there)."""
    return json.dumps(text)


def _legend_labels(series: pd.DataFrame) -> str:
    """A Vega expression naming each track in the legend; a track without a single event in
    the chart says so (it has no line to draw: a mean of no events is no value, not 0)."""
    totals = series.groupby("series")["events"].sum()
    labels = {}
    for name in dict.fromkeys(series["series"]):
        label = _LEGEND_NAMES.get(name, name)
        labels[name] = f"{label} (no events)" if totals.get(name, 0) == 0 else label
    expression = "datum.label"
    for name, label in labels.items():
        if label != name:
            quoted, shown = (_vega_string(text) for text in (name, label))
            expression = f"datum.label == {quoted} ? {shown} : ({expression})"
    return expression


def _check_frame(frame: pd.DataFrame, needed: tuple[str, ...], name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise InputError(f"{name} lacks column(s) {', '.join(missing)}")
    if frame.empty:
        raise InputError(f"{name} has no rows to draw")
    tidy = frame.loc[:, list(needed)].copy()
    try:
        tidy["period"] = pd.to_datetime(tidy["period"])
    except (TypeError, ValueError) as error:
        raise InputError(f"{name}.period must hold dates: {error}") from None
    tidy["series"] = tidy["series"].astype(str)
    if "record_low" in tidy.columns:
        tidy["record_low"] = tidy["record_low"].fillna("").astype(str)
    for flag in (column for column in needed if column.startswith("is_")):
        tidy[flag] = tidy[flag].fillna(False).astype(bool)
    return tidy


def _output_format(path: Path) -> ChartFormat:
    chart_format = _FORMATS.get(path.suffix.lower())
    if chart_format is None:
        raise InputError(
            f"cannot write a chart to {path}: the name must end in .svg or .png, "
            f"not {path.suffix or 'nothing'!r}"
        )
    return chart_format


def _colour_scale(names: list[str]) -> alt.Scale:
    spare = iter(_SPARE_COLOURS * (len(names) // len(_SPARE_COLOURS) + 1))
    colours = [_TRACK_COLOURS.get(name) or next(spare) for name in names]
    return alt.Scale(domain=names, range=colours)


def _time_axis(domain: list[pd.Timestamp], *, show_title: bool, yearly: bool = False) -> alt.X:
    # yearly periods get one tick a year: the default would add mid-year ("July") ticks
    axis = alt.Axis(format="%Y", tickCount="year") if yearly else alt.Axis()
    return alt.X(
        "period:T",
        title="Period" if show_title else None,
        scale=alt.Scale(domain=[stamp.isoformat() for stamp in domain]),
        axis=axis,
    )


def _is_yearly(*frames: pd.DataFrame) -> bool:
    periods = pd.concat([pd.to_datetime(frame["period"]) for frame in frames])
    return bool(((periods.dt.month == 1) & (periods.dt.day == 1)).all())


def _series_layers(
    series: pd.DataFrame,
    x: alt.X,
    colours: alt.Scale,
    *,
    value_title: str | list[str] | None,
    legend_title: str,
    labels: str = "datum.label",
) -> list[alt.Chart]:
    """Lines, period markers, record-low triangles and change-point rules of both panels.

    The line skips periods without a value but stops at a partial period (its point stands
    alone); eligible periods get a filled marker, the others a hollow one."""
    legend = alt.Legend(title=legend_title, labelExpr=labels) if legend_title else None
    colour = alt.Color("series:N", scale=colours, legend=legend)
    y = alt.Y("value:Q", title=value_title, scale=alt.Scale(padding=14))
    drawn = series[series["value"].notna() | series["is_partial"]].copy()
    drawn["line_value"] = drawn["value"].where(~drawn["is_partial"])
    line = alt.Chart(drawn).mark_line(strokeWidth=2, invalid="break-paths-show-domains").encode(
        x=x, y=alt.Y("line_value:Q", title=value_title, scale=alt.Scale(padding=14)),
        color=colour,
    )  # fmt: skip
    base = alt.Chart(series)
    # points large enough that a period without neighbours still shows; the padding keeps
    # the lowest value (and its all-time-low ring) off the axis labels
    eligible = base.transform_filter(alt.datum.is_eligible).mark_point(
        filled=True, size=36, opacity=1).encode(x=x, y=y, color=colour)  # fmt: skip
    shown_hollow = "!datum.is_eligible && isValid(datum.value)"
    ineligible = (
        base.transform_filter(shown_hollow)
        .mark_point(filled=False, size=36, strokeWidth=1.5, opacity=1)
        .encode(x=x, y=y, color=colour)
    )
    lows = [
        base.transform_filter(alt.datum.record_low == kind)
        .mark_point(shape="triangle-down", filled=filled, size=90, color=_RECORD_RED,
                    strokeWidth=1.5, opacity=1)
        .encode(x=x, y="value:Q")
        for kind, filled in (("confirmed", True), ("tentative", False))
    ]  # fmt: skip
    changes = (
        base.transform_filter(alt.datum.is_change_point)
        .mark_rule(strokeDash=[6, 4], strokeWidth=1.5, opacity=0.8)
        .encode(x=x, color=colour)
    )
    return [line, eligible, ineligible, *lows, changes]


def _track_panel(
    series: pd.DataFrame, domain: list[pd.Timestamp], title: alt.Title
) -> alt.LayerChart:
    colours = _colour_scale(list(dict.fromkeys(series["series"])))
    labels = _legend_labels(series)
    x = _time_axis(domain, show_title=True, yearly=_is_yearly(series))
    base = alt.Chart(series)
    # Every layer coloured by series carries the same legend: Vega-Lite drops a
    # merged legend when one layer says legend=None.
    # an interval is a bar per period, not a band: a band cannot show the interval of a
    # period whose neighbours have none (most periods of a thin pair)
    band = base.mark_rule(strokeWidth=5, opacity=0.3).encode(
        x=x,
        y="ci_low:Q",
        y2="ci_high:Q",
        color=alt.Color(
            "series:N", scale=colours, legend=alt.Legend(title="Track", labelExpr=labels)
        ),
    )
    zero = (
        alt.Chart(pd.DataFrame({"zero": [0.0]}))
        .mark_rule(color="#444", strokeWidth=1)
        .encode(y="zero:Q")
    )
    all_time_low = (
        base.transform_filter(alt.datum.is_all_time_low)
        .mark_point(shape="circle", filled=False, size=420, strokeWidth=2, color="black")
        .encode(x=x, y="value:Q")
    )
    layers = _series_layers(series, x, colours, value_title=_Y_TITLE_LINES, legend_title="Track",
                            labels=labels)  # fmt: skip
    return alt.LayerChart(
        layer=[zero, band, *layers, all_time_low], width=_WIDTH, height=_HEIGHT, title=title
    )


def _signal_panel(
    signals: pd.DataFrame, domain: list[pd.Timestamp], name: str, colours: alt.Scale
) -> alt.LayerChart:
    one = signals[signals["series"] == name]
    x = _time_axis(domain, show_title=False, yearly=_is_yearly(signals))
    # The panel title names the signal; a y title would repeat it in a cramped space.
    layers = _series_layers(one, x, colours, value_title=None, legend_title="")
    heading = alt.Title(name, anchor="start", fontSize=12)
    return alt.LayerChart(layer=layers, width=_WIDTH, height=_SIGNAL_HEIGHT, title=heading)


def _period_domain(*frames: pd.DataFrame) -> list[pd.Timestamp]:
    periods = pd.concat([frame["period"] for frame in frames])
    return [periods.min(), periods.max()]


def pulse_chart(
    series: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    signals: pd.DataFrame | None = None,
) -> Path:
    """Draw the pulse of each track and write it to ``path`` (``.svg`` or ``.png``).

    ``series`` has the columns of :data:`SERIES_COLUMNS` (one row per period and
    track); ``signals``, if given, those of :data:`SIGNAL_COLUMNS`, and each
    distinct ``signals.series`` gets its own panel below on its own value scale.
    Returns the path written. Raises InputError for a missing column, an empty
    frame or a suffix other than .svg/.png.
    """
    target = Path(path)
    chart_format = _output_format(target)
    tidy = _check_frame(series, SERIES_COLUMNS, "series")
    heading = alt.Title(title, subtitle=_MARK_NOTE, anchor="start", fontSize=16)
    if signals is None:
        chart: alt.TopLevelMixin = _track_panel(tidy, _period_domain(tidy), heading)
    else:
        extra = _check_frame(signals, SIGNAL_COLUMNS, "signals")
        domain = _period_domain(tidy, extra)
        names = list(dict.fromkeys(extra["series"]))
        colours = _colour_scale(names)
        panels = [_signal_panel(extra, domain, name, colours) for name in names]
        chart = alt.vconcat(_track_panel(tidy, domain, heading), *panels, spacing=24)
        chart = chart.resolve_scale(x="shared", y="independent", color="independent")
    return save_chart(chart, target, chart_format)


def signals_chart(signals: pd.DataFrame) -> alt.VConcatChart:
    """The signal panels alone (one per series, own value scales), marked as in pulse_chart:
    the briefing draws them under its own pulse chart."""
    extra = _check_frame(signals, SIGNAL_COLUMNS, "signals")
    names = list(dict.fromkeys(extra["series"]))
    colours = _colour_scale(names)
    domain = _period_domain(extra)
    panels = [_signal_panel(extra, domain, name, colours) for name in names]
    return alt.vconcat(*panels, spacing=20).resolve_scale(y="independent", color="independent")


def save_chart(chart: alt.TopLevelMixin, target: Path, chart_format: ChartFormat) -> Path:
    """Write ``chart`` as SVG or PNG, with line-shaped, opaque legend symbols (the default
    would copy the pale interval band)."""
    chart = chart.configure_legend(
        orient="right",
        titleFontSize=12,
        labelFontSize=12,
        symbolType="stroke",
        symbolStrokeWidth=3,
        symbolOpacity=1,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    if chart_format == "png":
        chart.save(str(target), format="png", scale_factor=_PNG_SCALE)
    else:
        chart.save(str(target), format="svg")
    return target
