"""The briefing: one self-contained, escaped HTML file, whatever data the pair has."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _report import HEADINGS, between, city_registry, write_khm_usa

from tracktwo import InputError
from tracktwo.bridges import Registry
from tracktwo.bridges._edit import add_actor
from tracktwo.report import write_briefing
from tracktwo.store import EventStore

AT = date(2026, 6, 30)
CITIES = [
    dict(zip(("name", "country", "latitude", "longitude", "population"), city, strict=True))
    for city in [
        ("Phnom Penh", "KHM", 11.56, 104.92, 1_573_544),
        ("<b>Bold</b> City", "KHM", 13.36, 103.86, 139_458),
        ("Battambang", "KHM", 13.10, 103.20, 150_000),
        ("Long Beach", "USA", 33.77, -118.19, 462_257),
        ("Lowell", "USA", 42.63, -71.32, 106_519),
        ("Seattle", "USA", 47.61, -122.33, 608_660),
        ("Houston", "USA", 29.76, -95.36, 2_296_224),
    ]
]
TIES = [
    ("Phnom Penh", "Long Beach", "culture", date(2007, 1, 1), (date(2026, 3, 1), "visit", 20)),
    # silent for three years: dormant
    ("<b>Bold</b> City", "Lowell", "education", date(2015, 1, 1),
     (date(2023, 6, 1), "exchange", None)),
    ("Battambang", "Seattle", "business", date(2025, 9, 1), None),
]  # fmt: skip


class _Page(HTMLParser):
    """Tags, attributes, headings and text of a page, checking that it parses."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        self._heading = tag in ("h1", "h2", "h3")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3"):
            self._heading = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading:
            self.headings.append(data.strip())


def _parse(path: Path) -> tuple[str, _Page]:
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    page.close()
    return html, page


def test_briefing_with_demo_data_and_registry(demo_store_home: Path, tmp_path: Path) -> None:
    registry = city_registry(tmp_path / "home", CITIES, TIES)
    out = write_khm_usa(registry, demo_store_home, tmp_path / "brief.html", at=AT)
    html, page = _parse(out)
    for heading in HEADINGS:
        assert heading in page.headings
    assert page.tags.count("svg") >= 3  # pulse, signals, scorecard trend
    assert "<script" not in html.lower()
    assert not [t for t in page.tags if t in ("script", "link", "iframe", "img", "object")]
    linked = [(t, n, v) for t, n, v in page.attributes if n in ("src", "href")]
    assert not [a for a in linked if "http" in a[2] or not a[2].startswith("#")]
    # the dormant tie, its actor names escaped: shown as text, never as markup
    dormant = between(html, 'id="dormant"', 'id="recommendations"')
    assert "&lt;b&gt;Bold&lt;/b&gt; City" in dormant and "Lowell" in dormant
    assert "<b>Bold</b>" not in html
    assert "Phnom Penh" not in dormant  # active, not dormant
    text = " ".join(page.text)
    assert "UN vote agreement" in text and "official" in text
    assert "Ties recorded" in text and "People-to-people share" in text
    # on AT the active ties are Phnom Penh–Long Beach (culture) and Battambang–Seattle
    # (business), both neutral, both with an area: 2/2; Bold City–Lowell is dormant
    assert "100% (of 2 ties with an area; 0 unknown)" in text
    # recommendations: each Cambodian city gets a US partner with its reasons
    recs = between(html, 'id="recommendations"', "<footer")
    assert "Recommended partner" in recs and ("Houston" in recs or "Seattle" in recs)
    # the footer names the sources and licences as plain text
    footer = html[html.index("<footer") :]
    for line in ("GDELT", "ICEWS", "CC0", "CC BY 4.0", "CC BY-SA", "Ministry of Economy"):
        assert line in footer
    assert "https://www.geonames.org/" in footer


def test_briefing_since_limits_the_pulse(demo_store_home: Path, tmp_path: Path) -> None:
    registry = Registry(home=tmp_path / "home")
    out = write_khm_usa(registry, demo_store_home, tmp_path / "b.html", since=date(2010, 1, 1), k=2)
    html, _page = _parse(out)
    assert "since 2010-01-01" in html
    assert re.search(r"yearly \(2010–\d{4}\)", html)


def test_empty_registry_and_store_still_write(tmp_path: Path) -> None:
    registry = Registry(home=tmp_path / "home")
    out = write_khm_usa(registry, tmp_path / "home", tmp_path / "empty.html")
    _html, page = _parse(out)
    for heading in HEADINGS:
        assert heading in page.headings
    text = " ".join(" ".join(page.text).split())
    assert "No events stored for KHM–USA: run tracktwo events ingest" in text
    assert "No UN votes or other signals stored for KHM–USA" in text
    assert "No ties between KHM and USA in the registry" in text
    assert "No recommendations: the registry has no actor in KHM or USA" in text
    assert "svg" not in page.tags


def test_actors_but_no_ties_to_learn_from(tmp_path: Path) -> None:
    registry = Registry(home=tmp_path / "home")
    add_actor(registry, name="Phnom Penh", country="KHM", kind="city")
    add_actor(registry, name="Lowell", country="USA", kind="city")
    out = write_khm_usa(registry, tmp_path / "home", tmp_path / "b.html")
    assert "the registry holds no ties to learn from" in out.read_text(encoding="utf-8")


def test_other_suffixes_and_k_are_refused(tmp_path: Path) -> None:
    registry = Registry(home=tmp_path / "home")
    with EventStore(tmp_path / "home", write=True) as store:
        with pytest.raises(InputError, match=r"must end in \.html or \.pdf \(not '\.txt'\)"):
            write_briefing(store, registry, "KHM", "USA", tmp_path / "b.txt")
        with pytest.raises(InputError, match="k must be at least 1"):
            write_briefing(store, registry, "KHM", "USA", tmp_path / "b.html", k=0)
    registry.close()
    assert not (tmp_path / "b.txt").exists()


def test_report_command(tmp_path: Path) -> None:
    EventStore(tmp_path / "home", write=True).close()  # report only reads: an empty store
    command = [sys.executable, "-c",
               "import tracktwo.cli._report; from tracktwo.cli import main; main()",
               "--home", str(tmp_path / "home"), "report", "KHM", "USA"]  # fmt: skip
    done = subprocess.run(
        [*command, "--out", str(tmp_path / "brief.html"), "--k", "3", "--since", "2015-01-01"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Briefing written to" in done.stdout
    assert "No events stored" in (tmp_path / "brief.html").read_text(encoding="utf-8")
    refused = subprocess.run([*command, "--out", str(tmp_path / "brief.txt")],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert refused.returncode == 2 and "must end in .html or .pdf" in refused.stderr
    assert "Traceback" not in refused.stderr
