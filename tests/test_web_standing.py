"""The overview opens with "Where the relationship stands": its sentences on the page (in
English and Khmer) and in the JSON twin, with the UN vote figures worked out by hand from the
shipped files (tests/_web.py: the ICEWS extract, 2005-2015, and the real UN votes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _report import opening
from fastapi.testclient import TestClient

from tracktwo.web import WebSettings, create_app


@pytest.fixture(scope="module")
def client(web_template: Path) -> Iterator[TestClient]:
    # reading only: the shared template is never written by these tests
    with TestClient(create_app(WebSettings(home=web_template))) as opened:
        yield opened


# The extract's official Cambodia-US rows by year (state "Cambodia" with US government actors:
# Barack Obama, the Cabinet, the Navy, the Defense Ministry; the City Mayor is local, Men and a
# Tourist make mixed events), Goldstein from tracktwo/taxonomy/data/cameo.tsv, no mentions so
# equal weights: 2008 3 events, 2009 1, 2010 2 (036 +4.0, 042 +1.9: 2.95), 2012 17 (3 visits
# 042 +1.9, 9 hosted 043 +2.8, 3 intents to meet 036 +4.0, 1 intent of diplomatic cooperation
# 032 +4.5, 1 consult 040 +1.0: 48.4 / 17 = 2.847), 2015 1 (Obama's visit, 042 +1.9). Only
# 2012 has the 10 events an eligible year needs, so the latest, 2015, is not ranked.
OFFICIAL_BY_HAND = (
    "Official events, mean Goldstein: 1.90 in 2015 (1 event), too few events to rank it; the "
    "lowest is 2012 (2.85, 17 events); before it, 2.95 in 2010 (2 events)."
)


def test_the_overview_opens_with_where_the_relationship_stands(client: TestClient) -> None:
    html = client.get("/pairs/KHM/USA").text
    section = opening(html, "Where the relationship stands", "</section>")
    # by hand (tests/test_pulse_standing.py, VOTES_BY_HAND): from 2005, the first year of the
    # stored events, 2019 is 0.170 from 88 roll calls, 2018 0.172, the lowest 2007 0.139
    assert (
        "UN vote agreement: 0.170 in 2019 (88 roll calls), the 2nd lowest of 15 years with "
        "data in 2005–2019; the lowest is 2007 (0.139, 90 roll calls)"
    ) in section
    assert "0.172 in 2018" in section
    assert "2020 is partial (1 roll call so far) and left out" in section
    # the extract's 29 Cambodia-US rows (grep "United States\|Barack Obama") all have the state
    # "Cambodia" itself on the Cambodian side, an official actor: none can be people-to-people
    assert (
        "No people-to-people events are recorded between Cambodia and United States in 2005–2015."
    ) in section
    assert OFFICIAL_BY_HAND in section
    # the whole-record low counts eligible years only: 2007, not 1965 (0.000, 3 roll calls)
    assert "Worth knowing:" in section and "lowest in 2007 (0.139, 90 roll calls)" in section
    assert "1965" not in section
    assert (
        "Ranks, lows and record lows count only complete years with at least 10 events (UN votes: "
        "20 roll calls; other signals: 10 days with a score); a value from fewer is shown with its "
        "count, not ranked."
    ) in section


def test_the_json_twin_has_the_sentences_and_their_facts(client: TestClient) -> None:
    body = client.get("/api/pairs/KHM/USA").json()["standing"]
    assert body["title"] == "Where the relationship stands" and body["since"] == "2005-01-01"
    assert [s["series"] for s in body["series"]][:4] == ["official", "local", "people", "mixed"]
    votes = next(s for s in body["series"] if s["series"] == "UN vote agreement")
    assert (votes["period"], votes["events"], votes["rank"], votes["of"]) == (
        "2019-01-01", 88, 2, 15,
    )  # fmt: skip
    assert (votes["lowest_period"], votes["lowest_events"]) == ("2007-01-01", 90)
    assert votes["lowest_value"] == pytest.approx(0.1389, abs=5e-5)  # 12.5 / 90
    assert votes["is_all_time_low"] is False and votes["partial"]["period"] == "2020-01-01"
    assert votes["sentence"] in body["sentences"]
    assert (votes["record_low"], votes["few"]) == ("", False)
    assert votes["record_lowest"]["period"] == "2007-01-01"
    assert (body["few"], body["min_roll_calls"], body["min_days"]) == (10, 20, 10)
    official = body["series"][0]
    assert (official["period"], official["events"], official["rank"]) == ("2015-01-01", 1, None)
    assert official["few"] is True and official["of"] == 1
    assert official["sentence"] == OFFICIAL_BY_HAND


def test_the_section_speaks_khmer(client: TestClient) -> None:
    html = client.get("/pairs/KHM/USA", cookies={"tracktwo_lang": "km"}).text
    section = opening(html, "ស្ថានភាពទំនាក់ទំនងនាពេលបច្ចុប្បន្ន", "</section>")
    assert "ទាបបំផុតគឺ 2007 (0.139, ការបោះឆ្នោត 90 ដង)" in section
    assert "0.172 ក្នុង 2018" in section
    assert "1.90 ក្នុង 2015 (ព្រឹត្តិការណ៍ 1), ព្រឹត្តិការណ៍តិចពេកសម្រាប់ចាត់លំដាប់វា" in section
    assert "រាប់តែឆ្នាំពេញលេញដែលមានព្រឹត្តិការណ៍យ៉ាងហោចណាស់ 10" in section
    assert "the lowest is" not in section  # no English clause left
