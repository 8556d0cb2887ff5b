"""``tracktwo demo``: build the Cambodia–United States store and bridges registry from the data
shipped with tracktwo, show the pulse and write the briefing, so a fresh clone shows something
real in one command (the CLI then serves the dashboard on them)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tracktwo._errors import ConfigError
from tracktwo.bridges import Registry
from tracktwo.datasets import dataset_path
from tracktwo.demo._pair import PAIR
from tracktwo.demo._registry import SISTER_CITY_COUNTRIES, DemoRegistry, build_demo_registry
from tracktwo.events import IngestReport, ingest_file
from tracktwo.pulse import (
    PulseResult,
    Standing,
    fit_ideal_points,
    import_coverage,
    import_signal,
    import_source_totals,
    ingest_votes,
    pulse,
    pulse_chart,
    standing,
)
from tracktwo.report import build_briefing, render_briefing, save_briefing
from tracktwo.store import EventStore

__all__ = ["DemoResult", "DemoStore", "build_demo_store", "run_demo"]

SIGNALS_SINCE = date(2005, 1, 1)
# the shipped ICEWS files and the source each belongs to (per_100k divides by its totals)
ICEWS_EXTRACT = ("icews_khm_extract.tsv", "icews05-15")
ICEWS_BENCHMARKS = (
    ("icews14_khm.tsv", "icews14"),
    ("icews18_khm.tsv", "icews18"),
    ("icews21_khm.tsv", "icews21"),
    ("icews22_khm.tsv", "icews22"),
)
ICEWS_TOTALS = "icews_benchmarks_monthly_totals.csv"

Step = Callable[[str], None]


@dataclass
class DemoStore:
    """What the demo put in the event store and computed from it."""

    events: IngestReport
    pulse: PulseResult
    signals: PulseResult
    charts: list[Path]
    benchmarks: list[IngestReport] = field(default_factory=list)  # 2014, 2018, 2021, 2022
    standing: Standing | None = None  # "Where the relationship stands"


@dataclass
class DemoResult:
    home: Path
    events: IngestReport
    pulse: PulseResult
    signals: PulseResult
    charts: list[Path]
    bridges: DemoRegistry
    briefing_html: Path
    briefing_pdf: Path | None  # None when WeasyPrint cannot load (no Pango): see the step said
    standing: Standing | None = None  # "Where the relationship stands": the summary opens with it


def _quiet(_message: str) -> None:
    pass


def build_demo_store(store: EventStore, *, step: Step | None = None) -> DemoStore:
    """Load the shipped ICEWS events (the 2005-2015 extract and the 2014-2022 benchmark
    files with their monthly totals), UN votes, GDELT daily scores and coverage totals;
    compute the yearly pulse by track and the yearly signals; draw both."""
    say = step or _quiet
    say("ingesting the ICEWS Cambodia events (2005-2015)")
    events = ingest_file(store, dataset_path(ICEWS_EXTRACT[0]), source=ICEWS_EXTRACT[1])
    say("ingesting the ICEWS benchmark Cambodia events of 2014, 2018, 2021 and 2022")
    benchmarks = [
        ingest_file(store, dataset_path(name), source=source) for name, source in ICEWS_BENCHMARKS
    ]
    import_source_totals(store, dataset_path(ICEWS_TOTALS))
    say("loading UN General Assembly votes of every country, with the roll calls' issues")
    ingest_votes(
        store, dataset_path("un_votes.csv.gz"), dataset_path("un_roll_calls.csv.gz"),
        dataset_path("un_roll_call_issues.csv.gz"),
    )  # fmt: skip
    say("fitting every country's UN ideal point per session, 1946-2019 (about 30 s)")
    fit_ideal_points(store)
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
            by_track.events, chart, title="Cambodia–United States: ICEWS events 2005–2022 by track",
            signals=signals.signals if not signals.signals.empty else None,
        )  # fmt: skip
    say("writing where the relationship stands")
    where = standing(store, *PAIR, freq="year")
    return DemoStore(events, by_track, signals, charts, benchmarks=benchmarks, standing=where)


def _write_briefings(
    store: EventStore, registry: Registry, say: Step, where: Standing | None = None
) -> tuple[Path, Path | None]:
    """The briefing as HTML and PDF, computed once (opening with ``where``, the standing the
    demo has computed); the PDF is skipped, with the reason, on a machine where WeasyPrint
    cannot load (the HTML prints to PDF from a browser too)."""
    say("writing the Cambodia-US briefing (HTML and PDF)")
    html = render_briefing(build_briefing(store, registry, *PAIR, where=where))
    stem = store.home / f"briefing-{PAIR[0]}-{PAIR[1]}"
    written = save_briefing(html, stem.with_suffix(".html"))
    try:
        pdf: Path | None = save_briefing(html, stem.with_suffix(".pdf"))
    except ConfigError as error:
        say(f"PDF briefing not written: {error}")
        pdf = None
    return written, pdf


def run_demo(
    home: str | os.PathLike[str] | None = None,
    *,
    step: Step | None = None,
    sister_cities: tuple[str, ...] = SISTER_CITY_COUNTRIES,
) -> DemoResult:
    """Build the event store (``build_demo_store``) and the bridges registry (provinces,
    places, universities, the sister-city ties of ``sister_cities``) in ``home``, then write
    ``briefing-KHM-USA.html`` and ``.pdf`` there. Idempotent: a second run adds nothing."""
    say = step or _quiet
    with EventStore(home, write=True) as store:
        built = build_demo_store(store, step=say)
        with Registry(home=store.home) as registry:
            bridges = build_demo_registry(registry, sister_cities=sister_cities, step=say)
            html, pdf = _write_briefings(store, registry, say, built.standing)
        return DemoResult(
            store.home, built.events, built.pulse, built.signals, built.charts,
            bridges=bridges, briefing_html=html, briefing_pdf=pdf, standing=built.standing,
        )  # fmt: skip
