"""The relations pulse: series, confidence intervals, record lows, change points, signals."""

from tracktwo.pulse._chart import pulse_chart, signals_chart
from tracktwo.pulse._compare import COMPARE_COLUMNS, CompareResult, busiest_partners, compare
from tracktwo.pulse._compare_chart import compare_chart
from tracktwo.pulse._coverage import CoverageReport, coverage_totals, import_coverage
from tracktwo.pulse._disagreement import RECENT_YEARS, VoteIssues, recent_vote_issues
from tracktwo.pulse._expr import actor_track, event_area, event_track, pulse_cells
from tracktwo.pulse._ideal_points import (
    DISTANCE_COLUMNS,
    IDEAL_COLUMNS,
    IDEAL_SIGNAL_COLUMNS,
    IdealPointFit,
    fit_ideal_points,
    ideal_distance_signal,
    ideal_point_distance,
    ideal_points,
)
from tracktwo.pulse._periods import period_name
from tracktwo.pulse._pulse import (
    IDEAL_SERIES,
    MIN_EVENTS,
    MIN_ROLL_CALLS,
    SERIES_COLUMNS,
    VOTES_SERIES,
    PulseResult,
    pulse,
)
from tracktwo.pulse._signals import SignalReport, import_signal, list_signals, signal_series
from tracktwo.pulse._source_rates import SourceTotalsReport, import_source_totals, source_totals
from tracktwo.pulse._standing import SeriesStanding, Standing, standing
from tracktwo.pulse._stats import (
    bootstrap_ci,
    bootstrap_series_ci,
    change_points,
    mark_extremes,
    mark_records,
    weighted_mean_interval,
)
from tracktwo.pulse._summary import (
    SUMMARY_COLUMNS,
    short_record_lows,
    summarise_series,
    summary_rows,
)
from tracktwo.pulse._vote_measures import vote_issues, vote_measure, voting_agreement
from tracktwo.pulse._votes import VotesReport, ingest_votes

__all__ = [
    "COMPARE_COLUMNS",
    "DISTANCE_COLUMNS",
    "IDEAL_COLUMNS",
    "IDEAL_SERIES",
    "IDEAL_SIGNAL_COLUMNS",
    "MIN_EVENTS",
    "MIN_ROLL_CALLS",
    "RECENT_YEARS",
    "SERIES_COLUMNS",
    "SUMMARY_COLUMNS",
    "VOTES_SERIES",
    "CompareResult",
    "CoverageReport",
    "IdealPointFit",
    "PulseResult",
    "SeriesStanding",
    "SignalReport",
    "SourceTotalsReport",
    "Standing",
    "VoteIssues",
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
    "fit_ideal_points",
    "ideal_distance_signal",
    "ideal_point_distance",
    "ideal_points",
    "import_coverage",
    "import_signal",
    "import_source_totals",
    "ingest_votes",
    "list_signals",
    "mark_extremes",
    "mark_records",
    "period_name",
    "pulse",
    "pulse_cells",
    "pulse_chart",
    "recent_vote_issues",
    "short_record_lows",
    "signal_series",
    "signals_chart",
    "source_totals",
    "standing",
    "summarise_series",
    "summary_rows",
    "vote_issues",
    "vote_measure",
    "voting_agreement",
    "weighted_mean_interval",
]
