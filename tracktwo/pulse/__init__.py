"""The relations pulse: series, confidence intervals, record lows, change points, signals."""

from tracktwo.pulse._chart import pulse_chart
from tracktwo.pulse._coverage import CoverageReport, coverage_totals, import_coverage
from tracktwo.pulse._expr import actor_track, event_area, event_track, pulse_cells
from tracktwo.pulse._pulse import SERIES_COLUMNS, PulseResult, pulse
from tracktwo.pulse._signals import SignalReport, import_signal, list_signals, signal_series
from tracktwo.pulse._stats import bootstrap_ci, bootstrap_series_ci, change_points, mark_extremes
from tracktwo.pulse._votes import VotesReport, ingest_votes, voting_agreement

__all__ = [
    "SERIES_COLUMNS",
    "CoverageReport",
    "PulseResult",
    "SignalReport",
    "VotesReport",
    "actor_track",
    "bootstrap_ci",
    "bootstrap_series_ci",
    "change_points",
    "coverage_totals",
    "event_area",
    "event_track",
    "import_coverage",
    "import_signal",
    "ingest_votes",
    "list_signals",
    "mark_extremes",
    "pulse",
    "pulse_cells",
    "pulse_chart",
    "signal_series",
    "voting_agreement",
]
