"""The briefing opens with "Where the relationship stands", in English or Khmer, with the UN
vote figures worked out by hand from the shipped files (tests/test_pulse_standing.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _report import headings, opening

from tracktwo import InputError
from tracktwo.bridges import Registry
from tracktwo.report import build_briefing, render_briefing
from tracktwo.store import EventStore


@pytest.fixture(scope="module")
def demo_briefings(demo_store_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    registry = Registry(home=tmp_path_factory.mktemp("registry"))
    with EventStore(demo_store_home, read_only=True) as store:
        pages = {lang: render_briefing(build_briefing(store, registry, "KHM", "USA", k=1,
                                                      language=lang))
                 for lang in ("en", "km")}  # fmt: skip
    registry.close()
    return pages


def test_the_briefing_opens_with_where_the_relationship_stands(demo_briefings: dict) -> None:
    html = demo_briefings["en"]
    assert html.index('id="standing"') < html.index('id="relationship"')
    section = opening(html, "Where the relationship stands", 'id="relationship"')
    assert (
        "UN vote agreement: 0.170 in 2019 (88 roll calls), the 2nd lowest of 15 years with "
        "data in 2005–2019; the lowest is 2007 (0.139, 90 roll calls); before it, 0.286 in "
        "2017, 0.172 in 2018"
    ) in section
    # every track has its sentence, the ones with no event too
    assert section.count("<li>") == 6  # official, local, people, mixed, UN votes, GDELT score
    # the whole record's low counts the years with at least 20 roll calls (VOTES_BY_HAND in
    # tests/test_pulse_standing.py): 2007, never 1965 (0.000 from 3 roll calls)
    assert "Worth knowing:" in section
    assert (
        "Over its whole record (1956–2019), UN vote agreement was lowest in 2007 (0.139, "
        "90 roll calls)."
    ) in section
    assert "1965" not in section


def test_the_opening_in_khmer(demo_briefings: dict) -> None:
    html = demo_briefings["km"]
    section = opening(html, "ស្ថានភាពទំនាក់ទំនងនាពេលបច្ចុប្បន្ន", 'id="relationship"')
    assert 'lang="km"' in section and "ទាបបំផុតគឺ 2007 (0.139, ការបោះឆ្នោត 90 ដង)" in section
    assert "ទាបបំផុតនៅ 2007 (0.139, ការបោះឆ្នោត 90 ដង)។" in section  # the whole-record note
    assert headings(html)[1] == "1. State of the relationship by channel"  # the rest: English


def test_an_empty_store_says_what_to_load(tmp_path: Path) -> None:
    registry = Registry(home=tmp_path / "home")
    with EventStore(tmp_path / "home", write=True) as store:
        html = render_briefing(build_briefing(store, registry, "KHM", "USA"))
        with pytest.raises(InputError, match="--language 'fr' is not one of en, km"):
            build_briefing(store, registry, "KHM", "USA", language="fr")
    registry.close()
    section = opening(html, "Where the relationship stands", 'id="relationship"')
    assert (
        "Nothing is stored for KHM–USA yet: load events with tracktwo events ingest FILE "
        "and UN votes with tracktwo votes ingest"
    ) in section
    assert "<li>" not in section
