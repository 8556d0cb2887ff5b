"""``tracktwo demo``: the event store, the bridges registry and the briefing from the shipped data,
checked against counts taken straight from the shipped files; a second run adds nothing."""

from __future__ import annotations

import csv
import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tracktwo.bridges import Registry
from tracktwo.bridges._models import Actor, Tie
from tracktwo.cli import app
from tracktwo.datasets import dataset_path
from tracktwo.demo import DemoResult, run_demo
from tracktwo.demo._run import _write_briefings
from tracktwo.store import EventStore

# The Cambodian list only: the US list (2,559 pairs against the world gazetteer) alone takes
# ~35 s, and the demo runs twice here; `tracktwo demo` itself loads both (see the README).
COUNTRIES = ("KHM",)
CAMBODIA, UNITED_STATES = "Cambodia", "United States"
SISTER_CITIES = "sister_cities_wikipedia.csv.gz"


def _csv(name: str) -> list[dict[str, str]]:
    path = dataset_path(name)
    opener: Any = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _csv_rows(name: str) -> int:
    with dataset_path(name).open(encoding="utf-8") as handle:
        return sum(1 for _row in csv.DictReader(handle, delimiter="\t"))


def _listed_pairs(one: str, two: str) -> list[dict[str, str]]:
    """Rows of the shipped sister-city list between countries ``one`` and ``two``."""
    return [r for r in _csv(SISTER_CITIES)
            if {r["country1"], r["country2"]} == {one, two}]  # fmt: skip


def _partners_of(city: str) -> set[str]:
    rows = _csv(SISTER_CITIES)
    return {r["city1"] for r in rows if r["city2"] == city and r["country2"] == CAMBODIA} | {
        r["city2"] for r in rows if r["city1"] == city and r["country1"] == CAMBODIA
    }


def _count(registry: Registry, statement: Any) -> int:
    with registry.engine.connect() as connection:
        return int(connection.execute(statement).scalar() or 0)


def _actors(registry: Registry, kind: str, country: str) -> int:
    statement = select(func.count(Actor.id)).where(Actor.kind == kind, Actor.country == country)
    return _count(registry, statement)


def _ties_of_city(registry: Registry, name: str) -> int:
    either_end = (Actor.id == Tie.actor_a_id) | (Actor.id == Tie.actor_b_id)
    statement = (
        select(func.count(Tie.id))
        .join(Actor, either_end)
        .where(Actor.name == name, Actor.kind == "city")
    )
    return _count(registry, statement)


def _check_registry(first: DemoResult) -> None:
    provinces = _csv("cambodia_provinces_2025.csv")
    khm_places = _csv("gazetteer_kh_cities500.csv")
    with gzip.open(dataset_path("universities_kh_us.json.gz"), "rt", encoding="utf-8") as f:
        us_universities = [u for u in json.load(f) if u["alpha_two_code"] == "US"]
    with Registry(home=first.home) as registry:
        assert _actors(registry, "province", "KHM") == len(provinces) == 25
        # the Cambodian sister cities are GeoNames places already loaded: no new KHM city
        assert _actors(registry, "city", "KHM") == len(khm_places) == 337
        assert _actors(registry, "university", "USA") == len(us_universities) == 2348
        ties = _count(registry, select(func.count(Tie.id)).where(Tie.status != "declined"))
        phnom_penh = _ties_of_city(registry, "Phnom Penh")
    # the shipped Wikipedia list has no pair between Cambodia and the United States; the
    # Cambodia–US ties come from khm_usa_ties.json: 8 ties and 2 declined proposals
    # (tests/test_bridges_khm_usa_ties.py counts them from the source rows)
    assert len(_listed_pairs(CAMBODIA, UNITED_STATES)) == 0
    assert (first.bridges.ties_between, first.bridges.declined_between) == (8, 2)
    listed = [r for r in _csv(SISTER_CITIES) if CAMBODIA in (r["country1"], r["country2"])]
    assert len(listed) == 21
    # the loader matches 19 of the 21 (README), + the 8 Cambodia–US ties
    assert first.bridges.ties == ties == 19 + 8
    # Phnom Penh's partners, counted in the list: Beijing, Busan, Hanoi ... 11 cities; and
    # Long Beach, Lowell, and Lowell's declined 2023 motion (a tie row, not a tie)
    assert phnom_penh == len(_partners_of("Phnom Penh")) + 3 == 14


def _check_briefing(first: DemoResult) -> None:
    assert first.briefing_html == first.home / "briefing-KHM-USA.html"
    assert first.briefing_pdf == first.home / "briefing-KHM-USA.pdf"
    assert first.briefing_pdf.read_bytes().startswith(b"%PDF-")
    html = first.briefing_html.read_text(encoding="utf-8")
    # the scorecard of the 8 Cambodia–US ties, the 2 declined proposals apart
    assert '<td>Declined proposals (not ties)</td><td class="num">2</td>' in html
    assert '<td>Ties recorded, local government track</td><td class="num">4</td>' in html
    recommendations = html[html.index('id="recommendations"') : html.index("<footer")]
    # 11 listed sister cities + Long Beach + Lowell (the declined motion is no tie)
    assert '<td>Phnom Penh, Phnom Penh municipality, KHM</td><td class="num">13</td>' in (
        recommendations
    )
    # one partner each, diversified: at least 4 distinct partners for the 5 busiest
    partners = re.findall(r'<td class="num">\d+</td><td>([^<]+)', recommendations)
    assert len(partners) == 5 and len(set(partners)) >= 4
    assert html.count("<svg") >= 2  # the pulse and the signals
    # it opens with where the relationship stands (UN votes by hand: tests/test_pulse_standing.py)
    assert html.index('id="standing"') < html.index('id="relationship"')
    assert "0.172 in 2018" in html and "the lowest is 2007 (0.139, 90 roll calls)" in html


def _check_second_run(first: DemoResult, second: DemoResult) -> None:
    assert first.bridges.changed > 0 and second.bridges.changed == 0
    counts = (first.bridges.actors, first.bridges.ties)
    assert (second.bridges.actors, second.bridges.ties) == counts
    assert [load.unchanged for load in second.bridges.loads] == [
        load.created + load.unchanged for load in first.bridges.loads
    ]
    icews = _csv_rows("icews_khm_extract.tsv")
    assert first.events.rows_added == icews == 1376 and second.events.rows_added == 0
    assert second.briefing_pdf is not None and second.briefing_pdf.exists()


def _check_events(second: DemoResult) -> None:
    """After two runs: the five ICEWS files stored once, the benchmarks' totals, every track."""
    with EventStore(second.home, read_only=True) as store:
        # 1,376 (extract) + 516 - 50 shared with it (ICEWS14) + 1,246 (ICEWS18) + 377 (ICEWS21)
        # + 626 distinct of ICEWS22's 845 rows (docs/icews.md) = 4,091
        assert store.count("events") == 4091
        assert store.count("source_totals") == 38  # 12 + 10 + 8 + 8 months
    by_track = second.pulse.events
    assert list(dict.fromkeys(by_track["series"]))[:4] == ["official", "local", "people", "mixed"]
    years = {period.year for period in by_track["period"][by_track["events"] > 0]}
    assert {2014, 2018, 2021, 2022} <= years


def _check_command(second: DemoResult, monkeypatch: pytest.MonkeyPatch) -> None:
    """--no-serve stops after the briefing; otherwise the dashboard is served on the data."""
    served: list[tuple[Path, str, int]] = []
    monkeypatch.setattr("tracktwo.demo.run_demo", lambda home, step: second)

    def run_server(settings: Any, host: str, port: int) -> None:
        served.append((settings.home, host, port))

    monkeypatch.setattr("tracktwo.web.run_server", run_server)
    done = CliRunner().invoke(app, ["--home", str(second.home), "demo", "--no-serve"])
    assert done.exit_code == 0, done.output
    assert f"Briefing: {second.briefing_html}" in done.output
    assert f"Briefing: {second.briefing_pdf}" in done.output
    assert "Bridges registry" in done.output and served == []
    # the summary opens with where the relationship stands, before the tables
    assert done.output.index("Where the relationship stands") < done.output.index("by track")
    assert "the lowest is 2007 (0.139, 90 roll calls)" in done.output
    done = CliRunner().invoke(app, ["--home", str(second.home), "demo", "--port", "8123"])
    assert done.exit_code == 0, done.output
    assert served == [(second.home, "127.0.0.1", 8123)]


# One test, not four sharing a fixture: the demo runs twice (~45 s), and pytest-xdist's
# loadgroup cannot keep tests on one worker under pytest 9.2 (it renames items the old way).
@pytest.mark.slow
def test_demo_builds_everything_and_a_second_run_adds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[str] = []
    first = run_demo(tmp_path / "home", step=steps.append, sister_cities=COUNTRIES)
    assert any("provinces" in s for s in steps) and any("sister-city" in s for s in steps)
    second = run_demo(tmp_path / "home", sister_cities=COUNTRIES)
    _check_registry(first)
    _check_briefing(first)
    _check_second_run(first, second)
    _check_events(second)
    _check_command(second, monkeypatch)


def test_demo_writes_html_alone_without_weasyprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a machine without Pango
    steps: list[str] = []
    with EventStore(tmp_path, write=True) as store, Registry(home=tmp_path) as registry:
        html, pdf = _write_briefings(store, registry, steps.append)
    assert html.exists() and pdf is None and not (tmp_path / "briefing-KHM-USA.pdf").exists()
    assert any("PDF briefing not written" in s and "libpango-1.0-0" in s for s in steps)
