"""How ``tracktwo match evaluate`` prints its report: one table per part, or in csv/json one
frame whose ``table`` column names the part."""

from __future__ import annotations

import pandas as pd

from tracktwo.cli._output import OutputFormat, console, emit
from tracktwo.match import EvaluationReport

__all__ = ["emit_report"]


def _rounded(frame: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    return frame.round(digits)


def emit_report(
    report: EvaluationReport, fmt: OutputFormat, *, holdout: float, pair: tuple[str, str]
) -> None:
    """Every table of ``report``, titled, in the chosen format."""
    first, second = (c.upper() for c in pair)
    seeds = f"{report.seeds[0]}–{report.seeds[-1]}" if len(report.seeds) > 1 else report.seeds[0]
    parts = {
        "world": (report.world, f"Ranking evaluation (holdout {holdout}, seed {report.seeds[0]})"),
        "by_country": (report.by_country, f"Per source country, seeds {seeds}: mean, min, max"),
        "calibration": (report.calibration, "Calibration of chance on the held-out pools"),
        "brier": (report.brier, "Brier score on the held-out pools"),
        "pair": (report.pair, f"{first}–{second} ties and ties with a diaspora figure, each "
                 "left out alone (rank of the true partner)"),
        "pair_summary": (report.pair_summary, "Left out one at a time: with and without diaspora"),
    }  # fmt: skip
    if fmt is not OutputFormat.table:
        frames = [frame.assign(table=name) for name, (frame, _title) in parts.items()]
        emit(pd.concat(frames, ignore_index=True), fmt)
        return
    for frame, title in parts.values():
        if frame.empty:
            console.print(f"{title}: nothing to show.")
            continue
        emit(_rounded(frame), fmt, title=title)
