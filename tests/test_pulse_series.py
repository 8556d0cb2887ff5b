"""The pulse's figures on a hand-made Cambodia–US record, checked against hand arithmetic.

Goldstein values are GDELT's official ones: 042 Make a visit +1.9 (QuadClass 1),
112 Accuse -2.0 (3), 051 Praise +3.4 (1), 036 Express intent to meet +4.0 (1),
061 Cooperate economically +6.4 (2), 190 Use conventional military force -10.0 (4).
"""

from __future__ import annotations

import math
from datetime import date

import pytest
from conftest import gdelt2_line
from scipy import stats

from tracktwo import InputError, UnknownCodeError
from tracktwo.events import ingest_file
from tracktwo.pulse import pulse

# by="track" lists these tracks, always and in this order (contracts.md, pulse-method.md)
TRACK_ORDER = ["official", "local", "people", "mixed"]
KGOV, UGOV = ("KHMGOV", "KHM", "GOV"), ("USAGOV", "USA", "GOV")
KEDU, UEDU = ("KHMEDU", "KHM", "EDU"), ("USAEDU", "USA", "EDU")
KHM_STATE, UBUS = ("KHM", "KHM", ""), ("USABUS", "USA", "BUS")
CGOV, UMIL, KMIL = ("CHNGOV", "CHN", "GOV"), ("USAMIL", "USA", "MIL"), ("KHMMIL", "KHM", "MIL")

LINES = [
    # January 2019
    gdelt2_line(1, "20190105", KGOV, UGOV, "042", mentions=3, added="20190105100000", url="u/1"),
    gdelt2_line(2, "20190110", UGOV, KHM_STATE, "112", mentions=1),
    gdelt2_line(3, "20190112", KEDU, UEDU, "051", mentions=2),
    gdelt2_line(4, "20190115", KGOV, UBUS, "061", mentions=1),
    gdelt2_line(5, "20190116", KGOV, CGOV, "190", mentions=9),  # not the pair
    # a re-emission of event 1 (same actors, code and URL, 30 minutes later): counted once
    gdelt2_line(6, "20190105", KGOV, UGOV, "042", mentions=3, added="20190105103000", url="u/1"),
    # February 2019
    gdelt2_line(7, "20190203", KGOV, UGOV, "112", mentions=2),
    gdelt2_line(8, "20190220", KEDU, UEDU, "036", mentions=1),
    # March 2019
    gdelt2_line(9, "20190302", UGOV, KGOV, "190", mentions=1),
    gdelt2_line(10, "20190303", UMIL, KMIL, "042", mentions=1),
    # the data runs to the end of March (another pair): March is fully covered
    gdelt2_line(11, "20190329", KGOV, CGOV, "042", mentions=1),
]


@pytest.fixture
def khm_usa(store, write_gdelt2):
    ingest_file(store, write_gdelt2("khm_usa.tsv", LINES))
    return store


def _row(frame, series, period):
    rows = frame[(frame["series"] == series) & (frame["period"] == period)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_monthly_official_track_by_hand(khm_usa):
    result = pulse(khm_usa, "KHM", "USA", freq="month", signals=False)
    jan = _row(result.events, "official", date(2019, 1, 1))
    # events 1 (042, m=3) and 2 (112, m=1; USA government vs the Cambodian state = official)
    assert jan["events"] == 2
    assert jan["value"] == pytest.approx((3 * 1.9 + 1 * -2.0) / 4)  # 0.925
    assert jan["coop_share"] == pytest.approx(0.5)
    feb = _row(result.events, "official", date(2019, 2, 1))
    assert (feb["events"], feb["value"], feb["coop_share"]) == (1, pytest.approx(-2.0), 0.0)
    # one event: no interval (not [-2, -2])
    assert math.isnan(feb["ci_low"]) and math.isnan(feb["ci_high"])
    mar = _row(result.events, "official", date(2019, 3, 1))
    assert mar["value"] == pytest.approx((-10.0 + 1.9) / 2)  # -4.05
    # 2 events a month at most, fewer than the default 10: no month is eligible, so none is
    # an all-time low or a record low
    official = result.events[result.events["series"] == "official"].sort_values("period")
    assert not official["is_eligible"].any()
    assert official["record_low"].tolist() == ["", "", ""]
    assert not official["is_all_time_low"].any()


def test_records_with_a_minimum_support_of_one_event(khm_usa):
    result = pulse(khm_usa, "KHM", "USA", freq="month", signals=False, min_support=1)
    official = result.events[result.events["series"] == "official"].sort_values("period")
    assert official["is_eligible"].tolist() == [True, True, True]
    # 0.925 -> -2.0 -> -4.05: February and March are each lower than every earlier month;
    # February has no interval and March's reaches far above -2.0 (2 events, df 1): both
    # are tentative
    assert official["record_low"].tolist() == ["", "tentative", "tentative"]
    assert official["is_all_time_low"].tolist() == [False, False, True]
    assert official["is_all_time_high"].tolist() == [True, False, False]


def test_the_interval_of_two_events_by_hand(khm_usa):
    jan = _row(pulse(khm_usa, "KHM", "USA", signals=False).events, "official", date(2019, 1, 1))
    # +1.9 with 3 mentions and -2.0 with 1: r = 0.925; Σw²(g - r)² = 9·0.975² + 2.925² =
    # 17.11125; se² = 2/1 · 17.11125 / 4² = 2.13890625, se = 1.4625; Kish n_eff = 4²/10 =
    # 1.6, so 0.6 degrees of freedom: t(0.975, 0.6) = 67.844 (a heavily reported event makes
    # two events worth 1.6)
    half = stats.t.ppf(0.975, 0.6) * 1.4625
    assert (jan["ci_low"], jan["ci_high"]) == (
        pytest.approx(0.925 - half),
        pytest.approx(0.925 + half),
    )


def test_people_and_mixed_tracks_and_gaps(khm_usa):
    events = pulse(khm_usa, "KHM", "USA", signals=False).events
    assert _row(events, "people", date(2019, 1, 1))["value"] == pytest.approx(3.4)
    assert _row(events, "people", date(2019, 2, 1))["value"] == pytest.approx(4.0)
    march = _row(events, "people", date(2019, 3, 1))  # no people-to-people event in March
    assert march["events"] == 0 and math.isnan(march["value"])
    assert _row(events, "mixed", date(2019, 1, 1))["value"] == pytest.approx(6.4)
    # every track, in the taxonomy's order, for each of the 3 months; GDELT codes no actor
    # LOC (a mayor is GOV there), so local government is 0 in every month
    assert events["series"].tolist() == [s for s in TRACK_ORDER for _month in range(3)]
    local = events[events["series"] == "local"]
    assert local["events"].tolist() == [0, 0, 0] and local["value"].isna().all()


def test_reemission_and_other_pairs_are_not_counted(khm_usa):
    events = pulse(khm_usa, "KHM", "USA", freq="year", by="none", signals=False).events
    # 11 rows: events 5 and 11 are Cambodia-China, event 6 re-emits event 1 -> 8 count
    assert events["events"].tolist() == [8]


def test_by_area(khm_usa):
    events = pulse(khm_usa, "KHM", "USA", freq="year", by="area", signals=False).events
    counts = dict(zip(events["series"], events["events"], strict=True))
    # 061 -> business (by code); 190 -> security (by code); EDU -> education (by type);
    # 042/112 between governments -> governance (GOV type); 042 between militaries -> security
    assert counts == {"business": 1, "security": 2, "education": 2, "governance": 3}


def test_directed(khm_usa):
    events = pulse(khm_usa, "KHM", "USA", freq="year", directed=True, signals=False).events
    values = dict(zip(events["series"], events["value"], strict=True))
    # KHM→USA official: events 1 (042 m3) and 7 (112 m2): (5.7 - 4.0) / 5 = 0.34
    assert values["official KHM→USA"] == pytest.approx((3 * 1.9 + 2 * -2.0) / 5)
    # USA→KHM official: events 2 (112), 9 (190), 10 (042), one mention each
    assert values["official USA→KHM"] == pytest.approx((-2.0 - 10.0 + 1.9) / 3)


def test_since_until_and_pair_order(khm_usa):
    events = pulse(khm_usa, "USA", "KHM", until=date(2019, 2, 28), signals=False).events
    assert max(events["period"]) == date(2019, 2, 1)
    assert events["events"].sum() == 6  # events 1,2,3,4,7,8


def test_bad_arguments(khm_usa):
    with pytest.raises(UnknownCodeError, match="XXX"):
        pulse(khm_usa, "KHM", "XXX")
    with pytest.raises(InputError, match="two different"):
        pulse(khm_usa, "KHM", "KHM")
    with pytest.raises(InputError, match="fortnight"):
        pulse(khm_usa, "KHM", "USA", freq="fortnight")
    with pytest.raises(InputError, match="--by"):
        pulse(khm_usa, "KHM", "USA", by="colour")
    with pytest.raises(InputError, match="before"):
        pulse(khm_usa, "KHM", "USA", since=date(2020, 1, 1), until=date(2019, 1, 1))


def test_same_seed_same_intervals(khm_usa):
    first = pulse(khm_usa, "KHM", "USA", seed=7, signals=False).events
    second = pulse(khm_usa, "KHM", "USA", seed=7, signals=False).events
    assert first[["ci_low", "ci_high"]].equals(second[["ci_low", "ci_high"]])


def test_user_tracks_file_changes_the_split(khm_usa, tmp_path):
    # a user who counts businesses as official moves event 4 (KHMGOV-USABUS) to "official"
    folder = tmp_path / "mytaxonomy"
    folder.mkdir()
    (folder / "tracks.toml").write_text(
        'state_without_type = "official"\n[tracks]\n'
        'official = ["GOV", "MIL", "BUS"]\npeople = ["EDU"]\nother = []\n'
    )
    from tracktwo.taxonomy import load_taxonomy

    events = pulse(khm_usa, "KHM", "USA", freq="year", signals=False,
                   taxonomy=load_taxonomy(folder)).events  # fmt: skip
    counts = dict(zip(events["series"], events["events"], strict=True))
    # the file has no `local` list: no LOC actor, the local track shown with 0 events
    assert counts == {"official": 6, "local": 0, "people": 2, "mixed": 0}


def test_a_period_with_many_events_uses_the_large_sample_interval(store, write_gdelt2):
    # 6,000 official events in June 2019 (> 1,000): 4,000 of 042 (+1.9) and 2,000 of 112
    # (-2.0), one mention each: mean (4000·1.9 - 2000·2.0) / 6000 = 0.6; share of +1.9 is
    # p = 2/3, so the standard error is 3.9·sqrt(p(1-p)/6000) = 0.02374 and the 95% interval
    # about 0.6 ± 1.96·0.02374 = [0.5535, 0.6465].
    lines = [
        gdelt2_line(i, "20190610", KGOV, UGOV, "042" if i <= 4000 else "112")
        for i in range(1, 6001)
    ]
    ingest_file(store, write_gdelt2("many.tsv", lines))
    june = _row(pulse(store, "KHM", "USA", signals=False).events, "official", date(2019, 6, 1))
    assert june["events"] == 6000
    assert june["value"] == pytest.approx(0.6)
    assert june["ci_low"] == pytest.approx(0.5535, abs=0.006)
    assert june["ci_high"] == pytest.approx(0.6465, abs=0.006)


def test_a_period_covered_for_less_than_half_is_partial(khm_usa):
    # --until 2019-02-10 covers 10 of February's 28 days: February is shown (event 7,
    # -2.0) but, partial, it is not a record low though it is lower than January's 0.925
    events = pulse(khm_usa, "KHM", "USA", until=date(2019, 2, 10), signals=False).events
    feb = _row(events, "official", date(2019, 2, 1))
    assert feb["value"] == pytest.approx(-2.0)
    assert bool(feb["is_partial"]) and feb["record_low"] == "" and not feb["is_eligible"]
    events = pulse(khm_usa, "KHM", "USA", until=date(2019, 2, 10), signals=False,
                   min_support=1).events  # fmt: skip
    jan = _row(events, "official", date(2019, 1, 1))
    assert not bool(jan["is_partial"]) and bool(jan["is_all_time_low"])
    assert not bool(_row(events, "official", date(2019, 2, 1))["is_eligible"])


def test_un_votes_2020_is_partial(store):
    # the shipped UN votes end on 2020-01-14 (one roll call in 2020): that year is partial,
    # so its agreement of 0 is not reported as a record low
    from tracktwo.datasets import dataset_path
    from tracktwo.pulse import ingest_votes

    ingest_votes(
        store, dataset_path("un_votes_khm_usa.csv.gz"), dataset_path("un_roll_calls.csv.gz")
    )
    votes = pulse(store, "KHM", "USA", freq="year", since=date(2015, 1, 1)).signals
    last = votes[votes["period"] == date(2020, 1, 1)].iloc[0]
    assert (last["events"], bool(last["is_partial"]), last["record_low"] != "") == (
        1,
        True,
        False,
    )
    assert not votes[votes["period"] < date(2020, 1, 1)]["is_partial"].any()
