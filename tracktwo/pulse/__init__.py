"""The relations pulse: series, confidence intervals, record lows, change points, signals."""

from tracktwo.pulse._chart import pulse_chart
from tracktwo.pulse._compare import COMPARE_COLUMNS, CompareResult, busiest_partners, compare
from tracktwo.pulse._compare_chart import compare_chart
from tracktwo.pulse._coverage import CoverageReport, coverage_totals, import_coverage
from tracktwo.pulse._expr import actor_track, event_area, event_track, pulse_cells
from tracktwo.pulse._pulse import SERIES_COLUMNS, PulseResult, pulse
from tracktwo.pulse._signals import SignalReport, import_signal, list_signals, signal_series
from tracktwo.pulse._source_rates import SourceTotalsReport, import_source_totals, source_totals
from tracktwo.pulse._standing import SeriesStanding, Standing, standing
from tracktwo.pulse._stats import bootstrap_ci, bootstrap_series_ci, change_points, mark_extremes
from tracktwo.pulse._votes import VotesReport, ingest_votes, voting_agreement

__all__ = [
    "COMPARE_COLUMNS",
    "SERIES_COLUMNS",
    "CompareResult",
    "CoverageReport",
    "PulseResult",
    "SeriesStanding",
    "SignalReport",
    "SourceTotalsReport",
    "Standing",
    "VotesReport",
    "actor_track",
    "bootstrap_ci",
    "bootstrap_series_ci",
    "busiest_partners",
    "change_points",
    "compare",
    "compare_chart",
    "coverage_totals",
    "event_area",
    "event_track",
    "import_coverage",
    "import_signal",
    "import_source_totals",
    "ingest_votes",
    "list_signals",
    "mark_extremes",
    "pulse",
    "pulse_cells",
    "pulse_chart",
    "signal_series",
    "source_totals",
    "standing",
    "voting_agreement",
]
