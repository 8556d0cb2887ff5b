"""``tracktwo demo``: build the Cambodia–United States store from the data shipped with
tracktwo and show its pulse, so a fresh clone shows something real in one command."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tracktwo.datasets import dataset_path
from tracktwo.events import IngestReport, ingest_file
from tracktwo.pulse import (
    PulseResult,
    import_coverage,
    import_signal,
    ingest_votes,
    pulse,
    pulse_chart,
)
from tracktwo.store import EventStore

__all__ = ["DemoResult", "run_demo"]

PAIR = ("KHM", "USA")
SIGNALS_SINCE = date(2005, 1, 1)


@dataclass
class DemoResult:
    home: Path
    events: IngestReport
    pulse: PulseResult
    signals: PulseResult
    charts: list[Path]


def run_demo(
    home: str | os.PathLike[str] | None = None, *, step: Callable[[str], None] | None = None
) -> DemoResult:
    """Load the shipped ICEWS extract, UN votes, GDELT daily scores and coverage totals;
    compute the yearly pulse by track and the monthly signals; draw both."""
    say = step or (lambda _message: None)
    with EventStore(home) as store:
        say("ingesting the ICEWS Cambodia events (2005-2015)")
        events = ingest_file(store, dataset_path("icews_khm_extract.tsv"))
        say("loading UN General Assembly votes of Cambodia and the United States")
        ingest_votes(
            store, dataset_path("un_votes_khm_usa.csv.gz"), dataset_path("un_roll_calls.csv.gz")
        )
        say("loading GDELT-derived daily Cambodia-US scores (2018-2024)")
        import_signal(store, dataset_path("gdelt_khm_usa_daily.csv"), name="gdelt_daily_score")
        say("loading GDELT 1.0 coverage totals")
        import_coverage(store, dataset_path("gdelt1_monthly_totals_khm_usa.csv"))
        say("computing the pulse")
        by_track = pulse(store, *PAIR, freq="year", by="track", signals=False)
        # signals from 2005, the span of the shipped events, so the panels line up
        signals = pulse(store, *PAIR, freq="year", by="none", since=SIGNALS_SINCE)
        charts = [store.home / "pulse-KHM-USA.svg", store.home / "pulse-KHM-USA.png"]
        for chart in charts:
            pulse_chart(
                by_track.events, chart, title="Cambodia–United States: ICEWS events by track",
                signals=signals.signals if not signals.signals.empty else None,
            )  # fmt: skip
        return DemoResult(store.home, events, by_track, signals, charts)
