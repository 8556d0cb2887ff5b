"""``standing``: "Where the relationship stands", one sentence per series, checked against
figures worked out by hand from the shipped UN votes and GDELT files and from a hand-written
GDELT 2.0 file whose every mean is plain arithmetic."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import gdelt2_line

from tracktwo._i18n import translator
from tracktwo.datasets import dataset_path
from tracktwo.events import ingest_file
from tracktwo.pulse import Standing, ingest_votes, standing
from tracktwo.store import EventStore

KGOV, UGOV = ("KHMGOV", "KHM", "GOV"), ("USAGOV", "USA", "GOV")
CGOV, TGOV = ("CHNGOV", "CHN", "GOV"), ("THAGOV", "THA", "GOV")
VGOV, LGOV = ("VNMGOV", "VNM", "GOV"), ("LAOGOV", "LAO", "GOV")
MGOV, JGOV = ("MMRGOV", "MMR", "GOV"), ("JPNGOV", "JPN", "GOV")
IGOV = ("INDGOV", "IND", "GOV")
# Goldstein of the CAMEO codes used (GDELT's lookup, tracktwo/taxonomy/data/cameo.tsv)
APPEAL, CONSULT, DENY = "020", "040", "016"  # +3.0, +1.0, -2.0

# UN vote agreement of Cambodia and the US per year, by hand from the shipped files: a scratch
# loop over un_votes_khm_usa.csv.gz joined to un_roll_calls.csv.gz on rcid, the year taken from
# the roll call's date, 1 for the same vote, 0.5 when exactly one abstained, 0 for yes against
# no (docs/signals.md), averaged per year. (year: roll calls, agreement)
VOTES_BY_HAND = {
    1965: (3, 0.0), 1978: (6, 0.4167), 1997: (3, 0.3333), 2004: (86, 0.1744),
    2007: (90, 0.1389), 2017: (119, 0.2857), 2018: (93, 0.1720), 2019: (88, 0.1705),
    2020: (1, 0.0),
}  # fmt: skip
# 2005-2019 all have at least 59 common roll calls (15 eligible years, MIN_ROLL_CALLS = 20); the
# lowest three are 2007 < 2019 < 2018. Over the whole record, 1956-2019, 59 years have one (none
# in 1964, 1977, 1990, 1992, 1998), of which 1965, 1978 and 1997 have fewer than 20: 56 eligible
# years, and below 2019 (0.1705) only 2007 (0.1389; 2004 is 0.1744): 2019 is 2nd of 56, and the
# lowest eligible year is 2007, never 1965 (0.000 from 3 roll calls).


def _one(where: Standing, series: str):
    (found,) = [s for s in where.series if s.series == series]
    return found


def _events(gid: int, year: int, first: tuple, second: tuple, code: str, n: int) -> list[str]:
    """``n`` events in ``year``, a fortnight apart from 5 January (all within the year)."""
    days = [date(year, 1, 5).toordinal() + 14 * i for i in range(n)]
    return [gdelt2_line(gid + i, date.fromordinal(d).strftime("%Y%m%d"), first, second, code)
            for i, d in enumerate(days)]  # fmt: skip


@pytest.fixture
def hand_made(store: EventStore, write_gdelt2) -> EventStore:
    """Official events only, 2014-2018, none at all in 2017 (any pair); the last one on
    2018-12-20, so 2018 is a complete year.

    KHM-USA  2014: 10 x +3.0 -> 3.00   2015: 10 x -2.0 -> -2.00   2016: 10 x +1.0 -> 1.00
             2018: 6 x +3.0 and 6 x +1.0 -> 2.00 (12 events)
    KHM-CHN  2014: 10 x +3.0; 2016: 10 x +1.0; 2018: 3 x -2.0 (the lowest, from 3 events)
    KHM-THA  2014: 10 x +3.0; 2016: 10 x +1.0; 2018: 10 x -2.0 (the lowest, a record)
    KHM-VNM  2014: 10 x +1.0; 2018: 5 x +3.0 and 6 x -2.0 (the lowest, a wide interval)
    KHM-LAO  2014: 10 x +1.0; 2018: 10 x -2.0 (the lowest, no spread so no interval)
    KHM-MMR  2014: 3 x +3.0; 2016: 2 x -2.0; 2018: 10 x +1.0 (the only eligible year)
    KHM-JPN  2014: 10 x +3.0; 2015: 2 x -2.0; 2016: 10 x +1.0; 2018: 6 x +3.0 and 6 x +1.0
    KHM-IND  2016: 2 x +1.0; 2018: 3 x -2.0 (no eligible year)
    """
    lines = [
        *_events(100, 2014, KGOV, UGOV, APPEAL, 10), *_events(200, 2015, KGOV, UGOV, DENY, 10),
        *_events(300, 2016, UGOV, KGOV, CONSULT, 10), *_events(400, 2018, KGOV, UGOV, APPEAL, 6),
        *_events(500, 2018, UGOV, KGOV, CONSULT, 6),
        *_events(600, 2014, KGOV, CGOV, APPEAL, 10), *_events(700, 2016, CGOV, KGOV, CONSULT, 10),
        *_events(800, 2018, KGOV, CGOV, DENY, 3),
        *_events(900, 2014, KGOV, TGOV, APPEAL, 10), *_events(1000, 2016, TGOV, KGOV, CONSULT, 10),
        *_events(1100, 2018, KGOV, TGOV, DENY, 10),
        gdelt2_line(1200, "20181220", KGOV, TGOV, CONSULT),  # ends the data on 20 December
        *_events(1300, 2014, KGOV, VGOV, CONSULT, 10), *_events(1400, 2018, KGOV, VGOV, APPEAL, 5),
        *_events(1500, 2018, VGOV, KGOV, DENY, 6),
        *_events(1600, 2014, KGOV, LGOV, CONSULT, 10), *_events(1700, 2018, LGOV, KGOV, DENY, 10),
        *_events(1800, 2014, KGOV, MGOV, APPEAL, 3), *_events(1900, 2016, KGOV, MGOV, DENY, 2),
        *_events(2000, 2018, MGOV, KGOV, CONSULT, 10),
        *_events(2100, 2014, KGOV, JGOV, APPEAL, 10), *_events(2200, 2015, KGOV, JGOV, DENY, 2),
        *_events(2300, 2016, JGOV, KGOV, CONSULT, 10), *_events(2400, 2018, KGOV, JGOV, APPEAL, 6),
        *_events(2500, 2018, JGOV, KGOV, CONSULT, 6),
        *_events(2600, 2016, KGOV, IGOV, CONSULT, 2), *_events(2700, 2018, IGOV, KGOV, DENY, 3),
    ]  # fmt: skip
    ingest_file(store, write_gdelt2("hand.export.CSV", lines))
    return store


# -- UN votes: the shipped files -------------------------------------------------------------------


@pytest.fixture(scope="module")
def votes_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("votes-only")
    with EventStore(home, write=True) as opened:
        ingest_votes(
            opened, dataset_path("un_votes_khm_usa.csv.gz"), dataset_path("un_roll_calls.csv.gz")
        )
    return home


def test_votes_since_2005_latest_year_rank_and_lowest(votes_only: Path) -> None:
    with EventStore(votes_only, read_only=True) as opened:
        where = standing(opened, "KHM", "USA", since=date(2005, 1, 1))
    votes = _one(where, "UN vote agreement")
    assert votes.latest is not None and votes.latest.period == date(2019, 1, 1)
    assert votes.latest.events == VOTES_BY_HAND[2019][0]
    assert votes.latest.value == pytest.approx(VOTES_BY_HAND[2019][1], abs=5e-5)
    assert (votes.rank, votes.of) == (2, 15)
    assert votes.lowest is not None and votes.lowest.period == date(2007, 1, 1)
    assert votes.lowest.value == pytest.approx(VOTES_BY_HAND[2007][1], abs=5e-5)
    assert not votes.is_all_time_low and not votes.is_record_low
    assert votes.partial is not None and votes.partial.period == date(2020, 1, 1)
    assert votes.partial.events == 1  # the votes end on 14 January 2020
    # the sentence an analyst asking "is 2018 an all-time low?" needs: 2018 is 0.172, the
    # lowest since 2005 is 2007 (0.139), and the latest complete year is 2019
    assert votes.sentence == (
        "UN vote agreement: 0.170 in 2019 (88 roll calls), the 2nd lowest of 15 years with data "
        "in 2005–2019; the lowest is 2007 (0.139, 90 roll calls); before it, 0.286 in 2017, "
        "0.172 in 2018; 2020 is partial (1 roll call so far) and left out."
    )
    assert votes.record_low == "" and not votes.few and votes.latest.eligible
    # the whole record starts in 1956; its lowest eligible year is 2007 (1965's 0.000 rests on 3
    # roll calls, fewer than 20): the note says the window hides no lower year
    assert votes.record_first == date(1956, 1, 1)
    assert votes.record_lowest is not None and votes.record_lowest.period == date(2007, 1, 1)
    assert votes.record_lowest.events == VOTES_BY_HAND[2007][0]
    assert where.note_sentences() == [
        "Over its whole record (1956–2019), UN vote agreement was lowest in 2007 (0.139, "
        "90 roll calls)."
    ]


def test_votes_without_events_span_their_whole_record(votes_only: Path) -> None:
    with EventStore(votes_only, read_only=True) as opened:
        where = standing(opened, "KHM", "USA")
    votes = _one(where, "UN vote agreement")
    assert (votes.rank, votes.of) == (2, 56)
    assert (
        "the 2nd lowest of 56 years with data in 1956–2019 (3 more years with too few roll calls "
        "to rank); the lowest is 2007 (0.139, 90 roll calls)"
    ) in votes.sentence
    assert "1965" not in votes.sentence
    assert where.notes == ()  # no narrower window, so no whole-record note
    assert (where.min_events, where.min_roll_calls, where.as_dict()["few"]) == (10, 20, 10)
    # no event store content: every track says so, without a span
    assert where.sentences()[0] == (
        "No official events are recorded between Cambodia and United States."
    )


def test_demo_store_votes_and_gdelt_sentences(demo_store_home: Path) -> None:
    """The demo's events start in 2005 (the ICEWS extract, 2005-01-12), so every series is
    compared from 2005."""
    with EventStore(demo_store_home, read_only=True) as opened:
        where = standing(opened, "KHM", "USA")
    assert where.since == date(2005, 1, 1)
    votes = _one(where, "UN vote agreement").sentence
    assert "0.172 in 2018" in votes and "the lowest is 2007 (0.139, 90 roll calls)" in votes
    # gdelt_khm_usa_daily.csv, by hand (a csv loop, mean of edge_score per year): 2018 4.299
    # (316 days) is the lowest, 2023 15.930 (232 days) the highest of 2018-2023, and 2024 has
    # 39 days (the file ends on 2024-02-22)
    gdelt = _one(where, "signal: gdelt_daily_score")
    assert gdelt.latest is not None and gdelt.latest.period == date(2023, 1, 1)
    assert (gdelt.latest.events, gdelt.rank, gdelt.of) == (232, 6, 6)
    assert gdelt.sentence.startswith(
        "Signal gdelt_daily_score, mean of its days: 15.93 in 2023 (232 days with a score), "
        "the highest of 6 years with data in 2018–2023; the lowest is 2018 (4.30, 316 days "
        "with a score)"
    )
    assert gdelt.sentence.endswith("; 2024 is partial (39 days with a score so far) and left out.")
    # the structured form carries the same facts for the JSON twins
    row = _one(where, "UN vote agreement").as_dict()
    assert (row["period"], row["lowest_period"], row["rank"], row["of"]) == (
        "2019-01-01", "2007-01-01", 2, 15,
    )  # fmt: skip
    assert row["lowest_value"] == pytest.approx(0.1389, abs=5e-5)
    assert [p["period"] for p in row["earlier"]] == ["2017-01-01", "2018-01-01"]
    assert (row["record_low"], row["is_record_low"], row["few"]) == ("", False, False)
    assert row["record_lowest"]["period"] == "2007-01-01"  # not 1965: 3 roll calls
    assert where.note_sentences()[0] == (
        "Over its whole record (1956–2019), UN vote agreement was lowest in 2007 (0.139, "
        "90 roll calls)."
    )


# -- event tracks: a hand-written file -----------------------------------------------------------


def test_track_ranking_lowest_and_earlier(hand_made: EventStore) -> None:
    where = standing(hand_made, "KHM", "USA")
    official = _one(where, "official")
    assert official.latest is not None and official.latest.value == pytest.approx(2.0)
    # 2015 -2.00 < 2016 1.00 < 2018 2.00 < 2014 3.00: 2018 is the 3rd lowest of 4 years
    assert (official.rank, official.of, official.latest.events) == (3, 4, 12)
    assert official.sentence == (
        "Official events, mean Goldstein: 2.00 in 2018 (12 events), the 3rd lowest of 4 years "
        "with data in 2014–2018; the lowest is 2015 (-2.00, 10 events); before it, 1.00 in 2016."
    )


def test_tracks_with_no_events_say_so(hand_made: EventStore) -> None:
    where = standing(hand_made, "KHM", "USA")
    assert [s.series for s in where.series if s.kind == "track"] == [
        "official", "local", "people", "mixed",
    ]  # fmt: skip
    people = _one(where, "people")
    assert people.latest is None and people.events_total == 0
    assert people.sentence == (
        "No people-to-people events are recorded between Cambodia and United States in 2014–2018."
    )
    assert _one(where, "local").sentence.startswith("No local government events are recorded")
    # 2017 holds no event of any pair: a gap in the data, not a quiet year
    assert where.note_sentences() == [
        "No events at all are stored for 2017, for any pair: gaps in the sources, not quiet years."
    ]


def test_a_latest_from_too_few_events_is_not_ranked(hand_made: EventStore) -> None:
    few = _one(standing(hand_made, "KHM", "CHN"), "official")
    # 2018: 3 events of -2.0 (fewer than 10): not ranked, not a low; the lowest of the two
    # eligible years (2014 3.0, 2016 1.0) is 2016
    assert few.few and few.rank is None and few.of == 2
    assert not few.is_all_time_low and not few.is_record_low and few.record_low == ""
    assert few.sentence == (
        "Official events, mean Goldstein: -2.00 in 2018 (3 events), too few events to rank it; "
        "the lowest is 2016 (1.00, 10 events); before it, 3.00 in 2014."
    )
    assert few.latest is not None and not few.latest.eligible
    assert few.as_dict()["rank"] is None and few.as_dict()["few"] is True


def test_no_eligible_year_says_so(hand_made: EventStore) -> None:
    none = _one(standing(hand_made, "KHM", "IND"), "official")
    # 2016: 2 events, 2018: 3 events: no year has 10
    assert (none.rank, none.of, none.lowest) == (None, 0, None)
    assert none.sentence == (
        "Official events, mean Goldstein: -2.00 in 2018 (3 events), too few events to rank it; "
        "no year in 2014–2018 has the 10 events needed to rank one; before it, 1.00 in 2016 "
        "(2 events)."
    )


def test_the_only_eligible_year(hand_made: EventStore) -> None:
    only = _one(standing(hand_made, "KHM", "MMR"), "official")
    # 2014: 3 events, 2016: 2, 2018: 10 x +1.0: the first eligible year, so no record
    assert (only.rank, only.of, only.record_low) == (1, 1, "")
    assert only.sentence == (
        "Official events, mean Goldstein: 1.00 in 2018 (10 events), the only year in 2014–2018 "
        "with the 10 events needed to rank it; before it, 3.00 in 2014 (3 events), -2.00 in 2016 "
        "(2 events)."
    )


def test_of_counts_the_eligible_years_and_says_how_many_more(hand_made: EventStore) -> None:
    ranked = _one(standing(hand_made, "KHM", "JPN"), "official")
    # eligible: 2014 3.00, 2016 1.00, 2018 (3x6 + 1x6) / 12 = 2.00; 2015 (-2.00) has 2 events
    assert (ranked.rank, ranked.of) == (2, 3)
    assert ranked.sentence == (
        "Official events, mean Goldstein: 2.00 in 2018 (12 events), the 2nd lowest of 3 years "
        "with data in 2014–2018 (1 more year with too few events to rank); the lowest is 2016 "
        "(1.00, 10 events); before it, -2.00 in 2015 (2 events)."
    )


def test_a_confirmed_record_low(hand_made: EventStore) -> None:
    record = _one(standing(hand_made, "KHM", "THA"), "official")
    # 2018: 10 events of -2.0 and 1 of +1.0 -> r = (-20 + 1) / 11 = -1.727; equal weights, so
    # se^2 = sum (g - r)^2 / (n (n - 1)) = (10 (3/11)^2 + (30/11)^2) / 110 = 0.07438, se 0.2727;
    # t(0.975, 10 df) = 2.228 -> upper bound -1.727 + 0.608 = -1.12, below the record 1.00 (2016)
    assert record.latest is not None and record.latest.value == pytest.approx(-19 / 11)
    assert record.is_all_time_low and record.is_record_low and not record.few
    assert record.record_low == "confirmed" and record.as_dict()["record_low"] == "confirmed"
    assert (
        ", the lowest of 3 years with data in 2014–2018: a record low, its interval wholly below "
        "the previous record;"
    ) in record.sentence


def test_tentative_record_lows(hand_made: EventStore) -> None:
    wide = _one(standing(hand_made, "KHM", "VNM"), "official")
    # 2018: 5 x +3.0 and 6 x -2.0 -> r = 3/11 = 0.27, below 2014's 1.00; sum (g - r)^2 =
    # (5 * 30^2 + 6 * 25^2) / 11^2 = 68.18, se^2 = 68.18 / 110 = 0.620, se 0.787, upper bound
    # 0.27 + 2.228 * 0.787 = 2.03: it reaches the previous record (1.00)
    assert (wide.rank, wide.of, wide.record_low) == (1, 2, "tentative") and wide.is_record_low
    assert wide.sentence == (
        "Official events, mean Goldstein: 0.27 in 2018 (11 events), the lowest of 2 years with "
        "data in 2014–2018: a tentative record low (its interval reaches the previous record); "
        "before it, 1.00 in 2014."
    )
    flat = _one(standing(hand_made, "KHM", "LAO"), "official")
    # 2018: 10 x -2.0, no spread: no interval, so a record low it cannot confirm
    assert flat.record_low == "tentative"
    assert flat.sentence == (
        "Official events, mean Goldstein: -2.00 in 2018 (10 events), the lowest of 2 years with "
        "data in 2014–2018: a tentative record low (it has no interval to test against the "
        "previous record); before it, 1.00 in 2014."
    )


def test_since_moves_the_first_year(hand_made: EventStore) -> None:
    official = _one(standing(hand_made, "KHM", "USA", since=date(2016, 1, 1)), "official")
    # 2016 1.00 and 2018 2.00 remain (2017 is empty): 2018 is the highest of 2
    assert (official.rank, official.of) == (2, 2)
    assert "the highest of 2 years with data in 2016–2018; the lowest is 2016" in official.sentence


def test_sentences_in_khmer(hand_made: EventStore) -> None:
    where = standing(hand_made, "KHM", "USA")
    khmer = where.sentences(translator("km"))
    assert khmer[0].startswith("ព្រឹត្តិការណ៍ខ្សែផ្លូវការ, Goldstein មធ្យម៖ 2.00 ក្នុង 2018")
    assert "ទាបបំផុតទី3 ក្នុងចំណោម 4 ឆ្នាំ" in khmer[0]
    assert khmer[0].endswith("។")
    assert where.as_dict(translator("km"))["title"] == "ស្ថានភាពទំនាក់ទំនងនាពេលបច្ចុប្បន្ន"
    assert where.as_dict()["sentences"] == where.sentences()  # English without a translator


def test_new_clauses_in_khmer(hand_made: EventStore) -> None:
    khmer = translator("km")
    few = standing(hand_made, "KHM", "CHN").sentences(khmer)[0]
    assert "-2.00 ក្នុង 2018 (ព្រឹត្តិការណ៍ 3), ព្រឹត្តិការណ៍តិចពេកសម្រាប់ចាត់លំដាប់វា" in few
    assert "too few" not in few
    ranked = standing(hand_made, "KHM", "JPN").sentences(khmer)[0]
    assert "(1 ឆ្នាំទៀតមានព្រឹត្តិការណ៍តិចពេកសម្រាប់ចាត់លំដាប់)" in ranked
    record = standing(hand_made, "KHM", "THA").sentences(khmer)[0]
    assert "ជាកម្រិតទាបបំផុតជាប្រវត្តិការណ៍ ដោយចន្លោះទំនុកចិត្តរបស់វា" in record
    none = standing(hand_made, "KHM", "IND").sentences(khmer)[0]
    assert "គ្មានឆ្នាំណាក្នុង 2014–2018 មាន ព្រឹត្តិការណ៍ 10 គ្រប់គ្រាន់" in none
