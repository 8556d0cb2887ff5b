"""``compare`` and ``busiest_partners``: Cambodia beside its partners, figures worked out by hand.

A hand-made GDELT 2.0 record (Goldstein and QuadClass are GDELT's own for each code: 042 Make
a visit +1.9 (QuadClass 1), 051 Praise +3.4 (1), 061 Cooperate economically +6.4 (2),
036 Express intent to meet +4.0 (1), 112 Accuse -2.0 (3), 190 Use conventional military
force -10.0 (4)), with monthly totals of its source so per_100k has a denominator; and the
shipped ICEWS extract (tracktwo/datasets/icews_khm_extract.tsv) for real counts.
"""

from __future__ import annotations

import math
import struct
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from conftest import gdelt2_line

from tracktwo import InputError, UnknownCodeError
from tracktwo.datasets import dataset_path
from tracktwo.events import ingest_file
from tracktwo.pulse import (
    COMPARE_COLUMNS,
    busiest_partners,
    compare,
    compare_chart,
    import_source_totals,
    pulse,
)
from tracktwo.store import EventStore

KGOV, KEDU, KBUS = ("KHMGOV", "KHM", "GOV"), ("KHMEDU", "KHM", "EDU"), ("KHMBUS", "KHM", "BUS")
UGOV, UEDU, UBUS = ("USAGOV", "USA", "GOV"), ("USAEDU", "USA", "EDU"), ("USABUS", "USA", "BUS")
CGOV, CBUS = ("CHNGOV", "CHN", "GOV"), ("CHNBUS", "CHN", "BUS")
VGOV, TGOV = ("VNMGOV", "VNM", "GOV"), ("THAGOV", "THA", "GOV")
UNO = ("IGOUNO", "", "IGO")  # an organisation of no one country: nobody's partner

LINES = [
    # 2018: March and September, both months with a total of the source
    gdelt2_line(1, "20180305", KGOV, UGOV, "042", added="20180305100000", url="u/1"),
    gdelt2_line(2, "20180910", KEDU, UEDU, "051"),  # people
    gdelt2_line(3, "20180312", KGOV, CGOV, "061", mentions=2),
    gdelt2_line(4, "20180315", CGOV, KGOV, "042", mentions=2),
    gdelt2_line(5, "20180920", KGOV, CBUS, "061"),  # mixed
    # a re-emission of event 1 (same actors, code and URL, 30 minutes later): counted once
    gdelt2_line(16, "20180305", KGOV, UGOV, "042", added="20180305103000", url="u/1"),
    # 2019: May, a month with a total
    gdelt2_line(6, "20190502", KGOV, UGOV, "112"),
    gdelt2_line(7, "20190506", UGOV, KGOV, "190"),
    gdelt2_line(8, "20190510", KBUS, UBUS, "061"),  # people
    gdelt2_line(9, "20190512", KGOV, VGOV, "036"),
    gdelt2_line(10, "20190515", VGOV, KGOV, "036", mentions=3),
    gdelt2_line(11, "20190516", KGOV, TGOV, "042"),
    gdelt2_line(12, "20190517", TGOV, KGOV, "112"),
    # not Cambodia's partners: another pair, a domestic event, an organisation
    gdelt2_line(13, "20190518", CGOV, VGOV, "042"),
    gdelt2_line(14, "20190519", KGOV, KEDU, "042"),
    gdelt2_line(15, "20190520", KGOV, UNO, "042"),
]
TOTALS = (
    "source,month,total\nfixture,2018-03,50000\nfixture,2018-09,150000\nfixture,2019-05,400000\n"
)
Y2018, Y2019 = date(2018, 1, 1), date(2019, 1, 1)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("compare")
    records, totals = folder / "khm.tsv", folder / "totals.csv"
    records.write_text("".join(line + "\n" for line in LINES), encoding="utf-8")
    totals.write_text(TOTALS, encoding="utf-8")
    with EventStore(folder / "home", write=True) as store:
        ingest_file(store, records, source="fixture")
        import_source_totals(store, totals)
    return folder / "home"


@pytest.fixture
def store(home: Path) -> Iterator[EventStore]:
    with EventStore(home, read_only=True) as opened:
        yield opened


@pytest.fixture(scope="module")
def by_none(home: Path) -> pd.DataFrame:
    with EventStore(home, read_only=True) as opened:
        return compare(opened, "KHM", ["USA", "CHN", "VNM", "THA", "LAO"], freq="year").frame


def _row(frame: pd.DataFrame, partner: str, period: date, series: str = "all") -> pd.Series:
    rows = frame[(frame["partner"] == partner) & (frame["period"] == period)
                 & (frame["series"] == series)]  # fmt: skip
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_events_mean_and_shares_per_partner_year_by_hand(by_none: pd.DataFrame) -> None:
    assert list(by_none.columns) == COMPARE_COLUMNS
    expected = {
        # partner, year: events, mean Goldstein, cooperative share, share outside official
        ("USA", Y2018): (2, (1.9 + 3.4) / 2, 1.0, 1 / 2),  # events 1, 2 (re-emission once)
        ("USA", Y2019): (3, (-2.0 - 10.0 + 6.4) / 3, 1 / 3, 1 / 3),  # 6, 7, 8 (8 is people)
        ("CHN", Y2018): (3, (2 * 6.4 + 2 * 1.9 + 6.4) / 5, 1.0, 1 / 3),  # 3, 4, 5 (5 mixed)
        ("VNM", Y2019): (2, (4.0 + 3 * 4.0) / 4, 1.0, 0.0),  # 9, 10
        ("THA", Y2019): (2, (1.9 - 2.0) / 2, 0.5, 0.0),  # 11, 12
    }
    for (partner, period), (events, value, coop, outside) in expected.items():
        row = _row(by_none, partner, period)
        assert row["events"] == events, (partner, period)
        assert row["value"] == pytest.approx(value)
        assert row["coop_share"] == pytest.approx(coop)
        assert row["outside_official_share"] == pytest.approx(outside)
        if partner != "VNM":
            assert row["ci_low"] <= row["value"] <= row["ci_high"]
    # VNM's two events both score 4.0: no spread to tell the uncertainty from, no interval
    vnm = _row(by_none, "VNM", Y2019)
    assert math.isnan(vnm["ci_low"]) and math.isnan(vnm["ci_high"])


def test_every_partner_has_every_period_zero_where_it_has_no_events(
    by_none: pd.DataFrame,
) -> None:
    # 2 years × 5 partners, in the order given within each year
    assert len(by_none) == 10
    assert by_none["partner"].tolist() == ["USA", "CHN", "VNM", "THA", "LAO"] * 2
    assert by_none["period"].tolist() == [Y2018] * 5 + [Y2019] * 5
    for partner, period in (("CHN", Y2019), ("VNM", Y2018), ("LAO", Y2018), ("LAO", Y2019)):
        row = _row(by_none, partner, period)
        assert row["events"] == 0
        assert math.isnan(row["value"]) and math.isnan(row["outside_official_share"])


def test_per_100k_by_hand(by_none: pd.DataFrame) -> None:
    # 2018: the source's totals are 50,000 (March) + 150,000 (September) = 200,000 events;
    # 2019: 400,000 (May). A period with a total and no events of the pair is a rate of 0.
    expected = {("USA", Y2018): 2 / 200_000 * 1e5, ("CHN", Y2018): 3 / 200_000 * 1e5,
                ("USA", Y2019): 3 / 400_000 * 1e5, ("VNM", Y2019): 2 / 400_000 * 1e5,
                ("CHN", Y2019): 0.0, ("VNM", Y2018): 0.0, ("LAO", Y2018): 0.0}  # fmt: skip
    for (partner, period), rate in expected.items():
        assert _row(by_none, partner, period)["per_100k"] == pytest.approx(rate), partner


def test_by_track_lists_every_track_with_the_periods_share(store: EventStore) -> None:
    result = compare(store, "KHM", ["USA", "LAO"], freq="year", by="track")
    frame = result.frame
    # 2 years × 2 partners × the four tracks official, local, people, mixed
    assert len(frame) == 16
    assert frame["series"].tolist()[:4] == ["official", "local", "people", "mixed"]
    counts = {s: _row(frame, "USA", Y2018, s)["events"] for s in ("official", "local", "people")}
    assert counts == {"official": 1, "local": 0, "people": 1}
    assert _row(frame, "USA", Y2018, "people")["value"] == pytest.approx(3.4)
    # the share is the period's: the same on each track's row
    shares = frame[(frame["partner"] == "USA") & (frame["period"] == Y2019)]
    assert shares["outside_official_share"].tolist() == [pytest.approx(1 / 3)] * 4
    assert frame[frame["partner"] == "LAO"]["events"].sum() == 0
    assert result.partner_totals().to_dict("records") == [
        {"partner": "USA", "events": 5}, {"partner": "LAO", "events": 0}
    ]  # fmt: skip


def test_a_row_is_the_pairs_own_pulse(store: EventStore, by_none: pd.DataFrame) -> None:
    own = pulse(store, "KHM", "CHN", freq="year", by="none", signals=False).events
    mine = _row(by_none, "CHN", Y2018)
    theirs = own[own["period"] == Y2018].iloc[0]
    for column in ("events", "value", "ci_low", "ci_high", "coop_share", "per_100k"):
        assert mine[column] == pytest.approx(theirs[column]), column


def test_busiest_partners_by_events_ties_by_code(store: EventStore) -> None:
    # USA 5 (events 1, 2, 6, 7, 8), CHN 3, THA 2 and VNM 2 (a tie: THA first by its code);
    # the CHN–VNM event, the domestic one and the UN one count for no partner of KHM
    assert busiest_partners(store, "KHM", n=10) == ["USA", "CHN", "THA", "VNM"]
    assert busiest_partners(store, "KHM", n=3) == ["USA", "CHN", "THA"]
    assert busiest_partners(store, "Cambodia") == ["USA", "CHN", "THA", "VNM"]
    assert busiest_partners(store, "LAO") == []
    with pytest.raises(InputError, match="at least 1"):
        busiest_partners(store, "KHM", n=0)


def test_bad_countries_are_named(store: EventStore) -> None:
    with pytest.raises(UnknownCodeError, match="partner: unknown country 'XYZ'"):
        compare(store, "KHM", ["USA", "XYZ"])
    with pytest.raises(UnknownCodeError, match="focal country: unknown country 'QQQ'"):
        compare(store, "QQQ", ["USA"])
    with pytest.raises(InputError, match="'KH' is the focal country KHM itself"):
        compare(store, "KHM", ["USA", "KH"])
    with pytest.raises(InputError, match="at least one partner"):
        compare(store, "KHM", [])
    with pytest.raises(InputError, match="--by 'area'"):
        compare(store, "KHM", ["USA"], by="area")
    # the same partner twice (ISO2, ISO3 and the name) is compared once
    assert compare(store, "KHM", ["US", "USA", "United States"]).partners == ["USA"]


def test_no_events_at_all_gives_an_empty_result(store: EventStore) -> None:
    result = compare(store, "KHM", ["LAO", "MMR"])
    assert result.empty and result.frame.empty and list(result.frame.columns) == COMPARE_COLUMNS


# -- the shipped ICEWS extract ---------------------------------------------------------------


@pytest.fixture(scope="module")
def icews_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("compare-icews") / "home"
    with EventStore(folder, write=True) as opened:
        ingest_file(opened, dataset_path("icews_khm_extract.tsv"))
    return folder


def test_real_counts_of_2010_by_hand(icews_home: Path) -> None:
    # Counted in tracktwo/datasets/icews_khm_extract.tsv (no duplicate rows in the file:
    #   awk -F'\t' 'NR>1{print $1 FS $2 FS $3 FS $4}' | sort | uniq -d  prints nothing), rows
    # dated 2010 (awk -F'\t' 'NR>1 && substr($4,1,4)=="2010"'), each actor read by eye:
    # CHN: China|Cambodia 7 + Cambodia|China 5 + Cambodia|Armed Separatist (China) 1 = 13,
    #      the separatist one (SEP) outside the official track: 1/13;
    # VNM: Vietnam|Cambodia 15 + Vietnam|Military (Cambodia) 1 + Cambodia|Vietnam 11 +
    #      Military (Cambodia)|Vietnam 1 = 28, all states, armies and police: 0 outside;
    # THA: 83 rows, 10 of them with a Thai citizen, villager, indigenous people or media
    #      (Cambodia|Citizen 4, Military|Citizen 2, Police|Villager 1, Military|Villager 1,
    #      Military|Indigenous People 1, Media Personnel|Cambodia 1): mixed, 10/83 outside.
    with EventStore(icews_home, read_only=True) as opened:
        frame = compare(opened, "KHM", ["CHN", "VNM", "THA"], freq="year",
                        since=date(2010, 1, 1), until=date(2010, 12, 31)).frame  # fmt: skip
    year = date(2010, 1, 1)
    got = {p: (_row(frame, p, year)["events"], _row(frame, p, year)["outside_official_share"])
           for p in ("CHN", "VNM", "THA")}  # fmt: skip
    assert got == {"CHN": (13, pytest.approx(1 / 13)), "VNM": (28, 0.0),
                   "THA": (83, pytest.approx(10 / 83))}  # fmt: skip


# -- the chart and the command ---------------------------------------------------------------


def test_chart_svg_names_every_partner_and_png_is_a_png(
    by_none: pd.DataFrame, tmp_path: Path
) -> None:
    svg = compare_chart(by_none, tmp_path / "c.svg", title="Cambodia beside its partners")
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<svg") and "Cambodia beside its partners" in text
    for label in ("USA", "CHN", "VNM", "THA", "Events per 100,000 events of the source"):
        assert label in text, label
    png = compare_chart(by_none, tmp_path / "c.png", title="x").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 1000 and height > 800  # three panels at twice the chart's size
    with pytest.raises(InputError, match=r"must end in \.svg or \.png"):
        compare_chart(by_none, tmp_path / "c.pdf", title="x")
    with pytest.raises(InputError, match="no events to draw"):
        compare_chart(by_none[by_none["events"] == 0], tmp_path / "e.svg", title="x")


COMMAND = [sys.executable, "-c", "from tracktwo.cli import main; main()"]


def test_command_writes_csv_and_a_chart(home: Path, tmp_path: Path) -> None:
    chart = tmp_path / "compare.svg"
    done = subprocess.run(
        [*COMMAND, "--home", str(home), "compare", "KHM", "USA", "CHN", "--format", "csv",
         "--chart", str(chart)], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ",".join(COMPARE_COLUMNS)
    # 2018 and 2019, USA then CHN: USA 2018 is events 1 and 2 (2 events, 1.0 per 100,000)
    assert len(lines) == 5 and lines[1].startswith("2018-01-01,USA,all,2,1.0,2.65,")
    assert lines[4].startswith("2019-01-01,CHN,all,0,0.0,,")
    assert chart.read_text(encoding="utf-8").lstrip().startswith("<svg")
    wrong = subprocess.run([*COMMAND, "--home", str(home), "compare", "KHM", "XYZ"],
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert wrong.returncode == 2 and "unknown country 'XYZ'" in wrong.stderr
    assert "Traceback" not in wrong.stderr
