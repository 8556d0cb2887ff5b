"""Charts of the dashboard, drawn on the server as SVG (Altair + vl-convert): no script,
no CDN, so the pages work offline and read the same in any browser.

The pulse, signal and trend charts are the briefing's own; the network view is drawn here
from a seeded spring layout, so the same ties always give the same picture.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import altair as alt
import networkx as nx
import pandas as pd
from markupsafe import Markup

from tracktwo.pulse import compare_chart
from tracktwo.report import _charts as briefing_charts

__all__ = ["compare_svg", "network_svg", "pulse_svg", "signals_svg", "trend_svg"]

MAX_NODES = 400  # beyond this a node-link picture is a hairball: the table says more
STATUS_COLOURS = {"active": "#2ca02c", "dormant": "#ff7f0e", "ended": "#7f7f7f",
                  "proposed": "#1f77b4"}  # fmt: skip


def pulse_svg(events: pd.DataFrame, title: str) -> Markup | None:
    return briefing_charts.pulse_svg(events, title) if not events.empty else None


def compare_svg(frame: pd.DataFrame, title: str) -> Markup | None:
    """The comparison's chart (tracktwo.pulse.compare_chart), None when it has no events."""
    if frame.empty or frame["events"].sum() == 0:
        return None
    with tempfile.TemporaryDirectory(prefix="tracktwo-compare-") as folder:
        path = compare_chart(frame, Path(folder) / "compare.svg", title=title)
        return briefing_charts.inline_svg(path.read_text(encoding="utf-8"), "compare")


def signals_svg(signals: pd.DataFrame) -> Markup | None:
    if signals.empty or signals["value"].notna().sum() == 0:
        return None
    return briefing_charts.signals_svg(signals)


def trend_svg(trend: pd.DataFrame) -> Markup | None:
    if trend.empty or not trend["people_to_people_share"].notna().any():
        return None
    return briefing_charts.trend_svg(trend)


def network_svg(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> Markup | None:
    if not nodes or len(nodes) > MAX_NODES:
        return None
    graph = nx.Graph()
    graph.add_nodes_from(node["id"] for node in nodes)
    graph.add_edges_from((edge["source"], edge["target"]) for edge in edges)
    where = nx.spring_layout(graph, seed=0)
    points = pd.DataFrame([{**n, "x": float(where[n["id"]][0]), "y": float(where[n["id"]][1])}
                           for n in nodes])  # fmt: skip
    lines = pd.DataFrame([{
        "x": float(where[e["source"]][0]), "y": float(where[e["source"]][1]),
        "x2": float(where[e["target"]][0]), "y2": float(where[e["target"]][1]),
        "status": e["status"], "channel": e["channel"]} for e in edges])  # fmt: skip
    bare = alt.Axis(labels=False, ticks=False, grid=False, title=None, domain=False)
    colours = alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values()))
    links = (
        alt.Chart(lines)
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("x:Q", axis=bare),
            y=alt.Y("y:Q", axis=bare),
            x2="x2:Q",
            y2="y2:Q",
            color=alt.Color("status:N", scale=colours, title="tie status"),
        )
    )
    dots = (
        alt.Chart(points)
        .mark_circle(opacity=1, stroke="white")
        .encode(
            x="x:Q",
            y="y:Q",
            size=alt.Size("ties:Q", legend=None),
            color=alt.Color("country:N", title="country", scale=alt.Scale(scheme="set1")),
        )
    )
    labels = (
        alt.Chart(points).mark_text(dy=-10, fontSize=10).encode(x="x:Q", y="y:Q", text="name:N")
    )
    chart = alt.layer(links, dots, labels, width=760, height=520).resolve_scale(color="independent")
    return briefing_charts.svg_of(chart.configure_view(strokeWidth=0), "network")
