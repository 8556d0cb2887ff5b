"""Charts of the briefing and the dashboard as inline SVG: drawn with Altair, rendered offline
by vl-convert, with the ids inside each SVG made unique so several charts can share a page."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert
from markupsafe import Markup

from tracktwo._errors import InputError
from tracktwo.pulse import pulse_chart, signals_chart

__all__ = ["inline_svg", "pulse_svg", "signals_svg", "svg_of", "trend_svg"]

_SVG_START = re.compile(r"<svg\b")
_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: str, prefix: str) -> Markup:
    """SVG markup for inlining: from the <svg> tag on, its ids made unique in the page
    (several charts in one document would otherwise share clip-path ids)."""
    start = _SVG_START.search(svg)
    if start is None:
        raise InputError("the chart renderer returned no <svg> element")
    svg = svg[start.start() :]
    for old in sorted(set(_ID.findall(svg)), key=len, reverse=True):
        new = f"{prefix}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"').replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    # trusted: vl-convert's rendering of our own chart spec (data text is escaped by it)
    return Markup(svg)


def svg_of(chart: alt.TopLevelMixin, prefix: str) -> Markup:
    return inline_svg(vl_convert.vegalite_to_svg(chart.to_json()), prefix)


def pulse_svg(events: pd.DataFrame, title: str) -> Markup:
    with tempfile.TemporaryDirectory(prefix="tracktwo-briefing-") as folder:
        path = pulse_chart(events, Path(folder) / "pulse.svg", title=title)
        return inline_svg(path.read_text(encoding="utf-8"), "pulse")


def signals_svg(signals: pd.DataFrame) -> Markup:
    """The official-channel signals, marked as the pulse chart marks them."""
    return svg_of(signals_chart(signals), "signals")


def trend_svg(trend: pd.DataFrame) -> Markup:
    frame = trend[["year", "people_to_people_share", "area_effective_number"]].copy()
    frame = frame.astype({"people_to_people_share": "float64", "area_effective_number": "float64"})
    frame["year"] = pd.to_datetime(frame["year"].astype(int).astype(str), format="%Y")
    panels = []
    for column, title, colour in (
        ("people_to_people_share", "People-to-people share of active ties", "#2ca02c"),
        ("area_effective_number", "Effective number of areas (active ties)", "#1f77b4"),
    ):
        one = frame.dropna(subset=[column])
        panels.append(
            alt.Chart(one, width=700, height=120, title=alt.Title(title, anchor="start"))
            .mark_line(point=True, color=colour)
            .encode(x=alt.X("year:T", title=None, axis=alt.Axis(format="%Y")),
                    y=alt.Y(f"{column}:Q", title=None))
        )  # fmt: skip
    return svg_of(alt.vconcat(*panels, spacing=20), "trend")
