"""The PDF briefing: the same page laid out by WeasyPrint, its text and charts readable."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import pypdf
import pytest
from _report import HEADINGS, city_registry, write_khm_usa
from typer.testing import CliRunner

from tracktwo import ConfigError, InputError
from tracktwo.bridges import Registry
from tracktwo.cli import app
from tracktwo.report import write_briefing
from tracktwo.store import EventStore

AT = date(2026, 6, 30)
PANGO = "apt-get install libpango-1.0-0 libpangoft2-1.0-0"
# (name, country): ties set up by hand below, so the scorecard's counts are known
CITIES = [("Phnom Penh", "KHM"), ("Battambang", "KHM"), ("Kampot", "KHM"),
          ("Long Beach", "USA"), ("Lowell", "USA"), ("Seattle", "USA")]  # fmt: skip
ACTIVE = [("Phnom Penh", "Long Beach"), ("Battambang", "Seattle")]
DORMANT = [("Kampot", "Lowell")]  # last activity three years before AT
TIES = [
    *((one, two, "culture", date(2010, 1, 1), (date(2026, 3, 1), "visit", None))
      for one, two in ACTIVE),
    *((one, two, "education", date(2012, 1, 1), (date(2023, 6, 1), "exchange", None))
      for one, two in DORMANT),
]  # fmt: skip


def _text(path: Path) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(path)
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return reader, " ".join(text.split())


def _forms(reader: pypdf.PdfReader) -> int:
    """Form XObjects on all pages: WeasyPrint draws each inline SVG's text and marks in them."""
    count = 0
    for page in reader.pages:
        objects = page["/Resources"].get("/XObject", {})
        count += sum(1 for o in objects.values() if o.get_object().get("/Subtype") == "/Form")
    return count


def test_pdf_has_the_sections_figures_and_charts(demo_store_home: Path, tmp_path: Path) -> None:
    cities = [{"name": name, "country": country} for name, country in CITIES]
    registry = city_registry(tmp_path / "home", cities, TIES)
    out = write_khm_usa(registry, demo_store_home, tmp_path / "brief.pdf", at=AT)
    assert out.read_bytes().startswith(b"%PDF-")
    reader, text = _text(out)
    assert len(reader.pages) >= 2
    assert reader.metadata is not None and "KHM–USA briefing" in str(reader.metadata.title)
    for heading in HEADINGS:
        assert heading in text
    ties = len(ACTIVE) + len(DORMANT)
    assert re.search(rf"Ties recorded {ties}\b", text)
    assert re.search(rf"Active ties {len(ACTIVE)}\b", text)
    assert re.search(rf"Dormant ties {len(DORMANT)}\b", text)
    assert "Kampot" in text and "Lowell" in text  # the dormant tie's row
    # the charts' own text: axis and panel titles that appear nowhere else on the page
    assert "Mean Goldstein (mention-weighted)" in text
    assert "People-to-people share of active ties" in text
    assert _forms(reader) > 0
    assert re.search(r"page 1 of \d+", text)  # the print style sheet's page footer


def test_pdf_without_data_has_no_chart(tmp_path: Path) -> None:
    registry = Registry(home=tmp_path / "home")
    out = write_khm_usa(registry, tmp_path / "home", tmp_path / "empty.pdf")
    reader, text = _text(out)
    assert "No events stored for KHM–USA" in text
    assert "Mean Goldstein" not in text and _forms(reader) == 0


def test_missing_weasyprint_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint now fails
    registry = Registry(home=tmp_path / "home")
    with EventStore(tmp_path / "home", write=True) as store:
        with pytest.raises(ConfigError, match=re.escape(PANGO)):
            write_briefing(store, registry, "KHM", "USA", tmp_path / "b.pdf")
        # HTML still works without it
        write_briefing(store, registry, "KHM", "USA", tmp_path / "b.html")
    registry.close()
    assert not (tmp_path / "b.pdf").exists() and (tmp_path / "b.html").exists()


def test_other_suffixes_are_refused(tmp_path: Path) -> None:
    registry = Registry(home=tmp_path / "home")
    with EventStore(tmp_path / "home", write=True) as store:
        for name, shown in (("b.txt", "not '.txt'"), ("briefing", "it has no suffix")):
            with pytest.raises(InputError, match=rf"must end in \.html or \.pdf \({shown}\)"):
                write_briefing(store, registry, "KHM", "USA", tmp_path / name)
    registry.close()


def test_report_command_writes_pdf(tmp_path: Path) -> None:
    EventStore(tmp_path / "home", write=True).close()  # report only reads: an empty store
    command = ["--home", str(tmp_path / "home"), "report", "KHM", "USA", "--out"]
    done = CliRunner().invoke(app, [*command, str(tmp_path / "brief.pdf")])
    assert done.exit_code == 0, done.output
    assert "Briefing written to" in done.output
    assert (tmp_path / "brief.pdf").read_bytes().startswith(b"%PDF-")
    # in process the error reaches the runner; main() turns it into exit status 2
    # (tests/test_report_briefing.py runs the command itself)
    refused = CliRunner().invoke(app, [*command, str(tmp_path / "brief.docx")])
    assert isinstance(refused.exception, InputError)
    assert "must end in .html or .pdf (not '.docx')" in str(refused.exception)
    assert not (tmp_path / "brief.docx").exists()
