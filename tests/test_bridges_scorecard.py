"""The scorecard and tie dormancy, against small registries worked out by hand.

Every expected value below is derived in the comments from the hand-made registry, never
from tracktwo's output; docs/scorecard.md gives the formulas.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import exp, log
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import tracktwo.cli._bridges_score  # noqa: F401  (registers the commands)
from tracktwo._errors import InputError, NotFoundError, UnknownCodeError
from tracktwo.bridges import Activity, Actor, Registry, Tie
from tracktwo.bridges._scorecard import count_components, scorecard, scorecard_by_year
from tracktwo.bridges._status import (
    STATUS_CODES,
    dormant_ties,
    effective_status,
    effective_statuses,
    months_before,
    status_case,
    whole_months_between,
)
from tracktwo.cli._app import app

pytestmark = pytest.mark.postgres

D = date(2024, 6, 30)  # the scoring date of registries 1 and 2
RECENT = date(2023, 1, 1)  # a start 18 months before D: active without any activity


def _actors(session, *specs: tuple[str, str, str, dict]) -> dict[str, int]:
    """(name, country, kind, extra fields) → {name: id}."""
    actors = [Actor(name=n, country=c, kind=k, **extra) for n, c, k, extra in specs]
    session.add_all(actors)
    session.flush()
    return {actor.name: actor.id for actor in actors}


def _tie(session, a: int, b: int, areas: list[str], **fields) -> Tie:
    fields.setdefault("start_date", RECENT)
    tie = Tie(actor_a_id=a, actor_b_id=b, channel="other", areas=areas, **fields)
    session.add(tie)
    return tie


# -- registry 1: four actors, four ties, one official ----------------------------------------------
#
#   KHM: PP (city), MOH (government, official)      USA: LB (city), UCD (university, funded_by USA)
#   T1 PP–LB [culture]   T2 MOH–UCD [education]   T3 PP–UCD [education, health]   T4 MOH–LB []


def _registry_one(registry: Registry) -> dict[str, int]:
    with registry.session() as session:
        ids = _actors(
            session,
            ("PP", "KHM", "city", {}),
            ("MOH", "KHM", "government", {}),
            ("LB", "USA", "city", {}),
            ("UCD", "USA", "university", {"funded_by": "USA"}),
        )
        _tie(session, ids["PP"], ids["LB"], ["culture"])
        _tie(session, ids["MOH"], ids["UCD"], ["education"])
        _tie(session, ids["UCD"], ids["PP"], ["education", "health"])  # stored USA side first
        _tie(session, ids["MOH"], ids["LB"], [])
    return ids


def test_registry_one_by_hand(registry: Registry) -> None:
    ids = _registry_one(registry)
    card = scorecard(registry, "KHM", "USA", at=D)
    assert (card.ties_total, card.ties_active, card.actors_a, card.actors_b) == (4, 4, 2, 2)
    # endpoints of the 4 ties (8): city PP×2 + LB×2 = 4, government MOH×2, university UCD×2
    # p = 1/2, 1/4, 1/4: H = ½ln2 + 2·¼ln4 = 1.5 ln 2, exp(H) = 2^1.5, HHI = ¼ + 2/16 = 0.375
    assert card.kind_shares == {"city": 0.5, "government": 0.25, "university": 0.25}
    assert card.kind_entropy == pytest.approx(1.5 * log(2))
    assert card.kind_effective_number == pytest.approx(2**1.5)
    assert card.kind_hhi == pytest.approx(0.375)
    # areas: T4 has none → unknown, in no area figure; over T1–T3: culture 1, education
    # 1 + ½ = 1.5, health ½, of 3 → p = 1/3, 1/2, 1/6; HHI = 1/9 + 1/4 + 1/36 = 14/36 = 7/18
    # neutral: culture, education, health are all neutral → 3/3 = 1
    assert card.ties_with_unknown_area == 1
    assert card.area_shares == pytest.approx({"education": 1 / 2, "culture": 1 / 3,
                                              "health": 1 / 6})  # fmt: skip
    h_area = -(log(1 / 3) / 3 + log(1 / 2) / 2 + log(1 / 6) / 6)  # ≈ 1.0114
    assert card.area_entropy == pytest.approx(h_area)
    assert card.area_effective_number == pytest.approx(exp(h_area))
    assert card.area_hhi == pytest.approx(7 / 18)
    assert card.neutral_area_share == pytest.approx(1.0)
    assert card.neutral_share_text() == "100% (of 3 ties with an area; 1 unknown)"
    # tracks (actor_kinds.toml: city → local, government → official, university → people):
    # T1 city–city local; T2 government–university mixed; T3 university–city mixed (people
    # with local); T4 government–city local (local with official). No people–people tie: 0/4
    assert card.people_to_people_share == 0.0
    assert card.track_shares == {
        "official": 0.0, "local": 0.5, "people": 0.0, "mixed": 0.5, "other": 0.0,
    }  # fmt: skip
    assert card.ties_by_track == {"official": 0, "local": 2, "people": 0, "mixed": 2, "other": 0}
    assert card.ties_by_channel == {"other": 4} and card.declined_proposals == 0
    # every actor has 2 ties, so the five busiest are all four (ids ascending): share 1
    assert card.busiest_actors == tuple(sorted(ids.values()))
    assert card.busiest_share == 1.0
    # without MOH: T1, T3 kept (2/4); PP, LB, UCD still tied (3/4); PP–LB, PP–UCD: 1 component
    assert (card.ties_kept_without_official, card.actors_kept_without_official) == (0.5, 0.75)
    # without UCD (funded): T1, T4 kept (2/4); PP, MOH, LB (3/4); a path MOH–LB–PP: 1 component
    assert card.ties_kept_without_politicised == 0.5
    assert card.actors_kept_without_politicised == 0.75
    # the four ties form the cycle PP–LB–MOH–UCD–PP: one component before and after
    assert (card.components, card.components_without_official) == (1, 1)
    assert card.components_without_politicised == 1


# -- registry 2: eleven actors, eight active ties and four that are not ----------------------------
#
#   KHM: K1 government  K2 city  K3 farmers (stance aligned)  K4 ngo  K5 university  K6 health
#   USA: U1 government  U2 city  U3 university  U4 business  U5 ngo (funded_by USA)
#   active:  T1 K1–U1 [governance]   T2 K1–U2 [education]   T3 K1–U3 [education]
#            T4 U2–K2 [culture]      T5 K3–U4 [agriculture, business]
#            T6 K4–U5 [health]       T7 K5–U5 [science]     T8 K6–U3 [health, health]
#   not:     T9 K2–U3 2015-01-01 to 2020-03-01      T10 K3–U2 starts 2025-01-01 (not yet)
#            T11 K4–U4 last activity 2022-05-15, 25 months before D (dormant)
#            T12 K5–U1 status proposed


def _registry_two(registry: Registry) -> dict[str, int]:
    with registry.session() as session:
        ids = _actors(
            session,
            *[(f"K{i}", "KHM", k, {}) for i, k in enumerate(
                ["government", "city", "farmers", "ngo", "university", "health"], start=1)],
            *[(f"U{i}", "USA", k, {}) for i, k in enumerate(
                ["government", "city", "university", "business", "ngo"], start=1)],
        )  # fmt: skip
        session.get(Actor, ids["K3"]).stance = "aligned"
        session.get(Actor, ids["U5"]).funded_by = "USA"
        k = {n: ids[f"K{n}"] for n in range(1, 7)}
        u = {n: ids[f"U{n}"] for n in range(1, 6)}
        t1 = _tie(session, k[1], u[1], ["governance"])
        t1.activities.append(Activity(activity_date=date(2024, 1, 10), kind="visit"))
        t2 = _tie(session, k[1], u[2], ["education"])
        # an activity before the start: the start is the later date, so T2 stays active
        t2.activities.append(Activity(activity_date=date(2021, 1, 1), kind="visit"))
        _tie(session, k[1], u[3], ["education"])
        _tie(session, u[2], k[2], ["culture"])
        _tie(session, k[3], u[4], ["agriculture", "business"])
        _tie(session, k[4], u[5], ["health"])
        _tie(session, k[5], u[5], ["science"])
        _tie(session, k[6], u[3], ["health", "health"])
        _tie(session, k[2], u[3], ["culture"], status="ended",
             start_date=date(2015, 1, 1), end_date=date(2020, 3, 1))  # fmt: skip
        _tie(session, k[3], u[2], ["business"], start_date=date(2025, 1, 1))
        t11 = _tie(session, k[4], u[4], ["business"], start_date=date(2019, 1, 1))
        t11.activities.append(Activity(activity_date=date(2022, 5, 15), kind="event"))
        t11.activities.append(Activity(activity_date=date(2024, 8, 1), kind="event"))  # after D
        _tie(session, k[5], u[1], ["science"], status="proposed")
    return ids


def test_registry_two_by_hand(registry: Registry) -> None:
    ids = _registry_two(registry)
    card = scorecard(registry, "KHM", "USA", at=D)
    # statuses at D: T1–T8 active, T9 ended, T10 + T12 proposed, T11 dormant
    assert (card.ties_total, card.ties_active, card.ties_dormant) == (12, 8, 1)
    assert (card.ties_ended, card.ties_proposed) == (1, 2)
    assert (card.actors_a, card.actors_b) == (6, 5)
    # 16 endpoints: government K1×3 + U1 = 4, city U2×2 + K2 = 3, university U3×2 + K5 = 3,
    # ngo U5×2 + K4 = 3, farmers 1, business 1, health 1
    # p = 4/16, 3 × 3/16, 3 × 1/16; HHI = 1/16 + 3·9/256 + 3·1/256 = 0.1796875
    assert card.kind_shares["government"] == 0.25
    assert card.kind_shares["ngo"] == 0.1875 and card.kind_shares["health"] == 0.0625
    h_kind = -(0.25 * log(0.25) + 3 * 0.1875 * log(0.1875) + 3 * 0.0625 * log(0.0625))
    assert card.kind_entropy == pytest.approx(h_kind)  # ≈ 1.80805
    assert card.kind_effective_number == pytest.approx(exp(h_kind))
    assert card.kind_hhi == pytest.approx(0.1796875)
    # areas (8 ties): governance 1, education 2, culture 1, agriculture ½, business ½,
    # health 2 (T8's repeated "health" counts once), science 1
    # p = .25 × 2, .125 × 3, .0625 × 2; HHI = 2/16 + 3/64 + 2/256 = 0.1796875
    assert card.area_shares["health"] == 0.25 and card.area_shares["agriculture"] == 0.0625
    h_area = -(2 * 0.25 * log(0.25) + 3 * 0.125 * log(0.125) + 2 * 0.0625 * log(0.0625))
    assert card.area_entropy == pytest.approx(h_area)  # ≈ 1.81951
    assert card.area_hhi == pytest.approx(0.1796875)
    assert card.neutral_area_share == pytest.approx(7 / 8)  # all but governance (political)
    assert card.ties_with_unknown_area == 0  # every active tie lists an area
    # tracks: T1 government–government official; T2 government–city local; T3
    # government–university mixed; T4 city–city local; T5 farmers–business, T6 ngo–ngo, T7
    # university–ngo, T8 health–university people: people 4/8, local 2/8, the others 1/8
    assert card.people_to_people_share == pytest.approx(4 / 8)
    assert card.track_shares == {
        "official": 0.125, "local": 0.25, "people": 0.5, "mixed": 0.125, "other": 0.0,
    }  # fmt: skip
    # recorded, not only active: + T9 city–university, T10 farmers–city, T12
    # university–government mixed; T11 ngo–business people → 1, 2, 5, 4 of 12
    assert card.ties_by_track == {"official": 1, "local": 2, "people": 5, "mixed": 4, "other": 0}
    # degrees: K1 3; U2, U3, U5 2; the rest 1 → the smallest id among them is K2's
    assert card.busiest_actors == (ids["K1"], ids["U2"], ids["U3"], ids["U5"], ids["K2"])
    # ties touching them: T1 T2 T3 (K1), T4 (K2, U2), T6 T7 (U5), T8 (U3); not T5 → 7/8
    assert card.busiest_share == pytest.approx(7 / 8)
    # 11 tied actors; without K1, U1: T4–T8 keep K2 U2 K3 U4 K4 U5 K5 K6 U3 = 9/11
    assert card.ties_kept_without_official == pytest.approx(5 / 8)
    assert card.actors_kept_without_official == pytest.approx(9 / 11)
    # politicised: K3 (aligned), U5 (funded) → T5, T6, T7 out; T1 T2 T3 T4 T8 kept: 5/8;
    # still tied: K1 U1 U2 U3 K2 K6 = 6/11
    assert card.ties_kept_without_politicised == pytest.approx(5 / 8)
    assert card.actors_kept_without_politicised == pytest.approx(6 / 11)
    # components: {K1 U1 U2 U3 K2 K6}, {K3 U4}, {K4 U5 K5} = 3
    # without officials: {U2 K2}, {K3 U4}, {K4 U5 K5}, {K6 U3} = 4
    # without politicised: {K1 U1 U2 U3 K2 K6} = 1
    assert (card.components, card.components_without_official) == (3, 4)
    assert card.components_without_politicised == 1


def test_the_pair_is_symmetric_and_accepts_iso2(registry: Registry) -> None:
    _registry_two(registry)
    forward, backward = (
        scorecard(registry, "KHM", "USA", at=D),
        scorecard(registry, "us", "kh", at=D),
    )
    # sides swap; every pair-level figure stays
    assert (backward.actors_a, backward.actors_b) == (5, 6)
    assert backward.kind_entropy == pytest.approx(forward.kind_entropy)
    assert backward.components_without_official == 4


def test_rows_and_dict(registry: Registry) -> None:
    _registry_one(registry)
    card = scorecard(registry, "KHM", "USA", at=D)
    rows = {row["metric"]: row["value"] for row in card.as_rows()}
    assert rows["ties_active"] == 4 and rows["kind_share.city"] == 0.5
    # T4's missing area is a count of its own, not an area with a share
    assert rows["ties_with_unknown_area"] == 1 and rows["at"] == D
    assert not [m for m in rows if m.startswith("area_share.") and "unspecified" in m]
    whole = json.loads(json.dumps(card.as_dict()))
    assert whole["at"] == "2024-06-30" and whole["kind_shares"]["government"] == 0.25


def test_errors_are_clear(registry: Registry) -> None:
    with pytest.raises(NotFoundError, match="no ties between KHM and USA"):
        scorecard(registry, "KHM", "USA", at=D)
    with pytest.raises(UnknownCodeError, match="unknown country 'XYZ'"):
        scorecard(registry, "KHM", "XYZ", at=D)
    with pytest.raises(InputError, match="two different countries"):
        scorecard(registry, "KHM", "khm", at=D)
    _registry_two(registry)
    # on 2018-06-30 T9 (2015-01-01, silent since) is dormant; the rest have not started or
    # are proposed
    message = r"no tie between KHM and USA is active on 2018-06-30 \(of 12: 1 dormant, 11 proposed"
    with pytest.raises(NotFoundError, match=message):
        scorecard(registry, "KHM", "USA", at=date(2018, 6, 30))
    with pytest.raises(InputError, match="at least 1 month"):
        scorecard(registry, "KHM", "USA", at=D, dormant_months=0)


def test_dormant_ties(registry: Registry) -> None:
    ids = _registry_two(registry)
    table = dormant_ties(registry, "KHM", "USA", at=D)
    # only T11: silent since 2022-05-15 (the 2024-08-01 activity is after D);
    # 2022-05-15 → 2024-06-15 is 25 whole months; 2022-05-15 → 2024-06-30 is 777 days
    # (2022-05-15 → 2024-05-15 = 365 + 366 = 731, + 16 in May + 30 in June)
    assert table.to_dict("records") == [
        {
            "tie_id": table["tie_id"][0], "actor_khm": "K4", "actor_usa": "U4",
            "channel": "other", "status": "active", "last_activity": date(2022, 5, 15),
            "silent_since": date(2022, 5, 15), "months_since": 25, "days_since": 777,
        }
    ]  # fmt: skip
    assert ids["K4"] != ids["U4"]
    # with a 26-month threshold T11 is active again, so none is dormant
    assert dormant_ties(registry, "KHM", "USA", at=D, months=26).empty


# -- effective status: one tie and a frame, the same rule ------------------------------------------


@dataclass
class _Dates:
    status: str
    start_date: date | None
    end_date: date | None
    created_at: datetime | None


STATUS_CASES = [
    # (stored status, start, end, created, last activity, expected at D = 2024-06-30)
    ("ended", date(2020, 1, 1), None, None, date(2024, 6, 1), "ended"),
    ("active", date(2020, 1, 1), date(2024, 6, 30), None, date(2024, 6, 1), "ended"),  # end = D
    ("ended", date(2020, 1, 1), date(2025, 1, 1), None, date(2024, 6, 1), "active"),  # ends later
    ("active", date(2024, 7, 1), None, None, None, "proposed"),  # starts the day after D
    ("proposed", None, None, None, None, "proposed"),
    ("dormant", date(2024, 1, 1), None, None, date(2024, 6, 1), "dormant"),
    # 25 months silent: 2022-05-30 is before the cutoff 2022-06-30 → dormant
    ("active", date(2019, 1, 1), None, None, date(2022, 5, 30), "dormant"),
    # 23 months silent: 2022-07-30 is after the cutoff → active
    ("active", date(2019, 1, 1), None, None, date(2022, 7, 30), "active"),
    # exactly 24 months is not MORE than 24 → active; one day more → dormant
    ("active", date(2019, 1, 1), None, None, date(2022, 6, 30), "active"),
    ("active", date(2019, 1, 1), None, None, date(2022, 6, 29), "dormant"),
    # no activity: the start date counts; neither: the created date
    ("active", date(2022, 5, 1), None, None, None, "dormant"),
    ("active", None, None, datetime(2023, 1, 5, 12, 30), None, "active"),
    ("active", None, None, datetime(2022, 1, 5, 12, 30), None, "dormant"),
    # a declined proposal is declined whatever its dates say: never ended, proposed or active
    ("declined", None, date(2023, 4, 25), None, None, "declined"),
    ("declined", date(2024, 7, 1), None, None, None, "declined"),
    ("declined", date(2024, 1, 1), None, None, date(2024, 6, 1), "declined"),
]


@pytest.mark.parametrize(("status", "start", "end", "created", "last", "expected"), STATUS_CASES)
def test_effective_status_one_tie(status, start, end, created, last, expected) -> None:
    assert effective_status(_Dates(status, start, end, created), last, D) == expected


def test_effective_statuses_frame_agrees_with_the_one_tie_rule() -> None:
    frame = pd.DataFrame(
        [(s, start, end, created, last) for s, start, end, created, last, _ in STATUS_CASES],
        columns=["status", "start_date", "end_date", "created", "last_activity"],
    )
    for column in ("start_date", "end_date", "created", "last_activity"):
        frame[column] = pd.to_datetime(frame[column]).dt.normalize()
    assert effective_statuses(frame, D).tolist() == [case[-1] for case in STATUS_CASES]


def test_status_case_in_sql_agrees_with_the_one_tie_rule(registry: Registry) -> None:
    with registry.session() as session:
        ids = _actors(session, ("PP", "KHM", "city", {}), ("LB", "USA", "city", {}))
        ties = []
        for status, start, end, created, last, _ in STATUS_CASES:
            tie = Tie(actor_a_id=ids["PP"], actor_b_id=ids["LB"], channel="other", areas=[],
                      status=status, start_date=start, end_date=end)  # fmt: skip
            if created is not None:
                tie.created_at = created
            if last is not None:
                tie.activities.append(Activity(activity_date=last, kind="visit"))
            # an activity after D never counts
            tie.activities.append(Activity(activity_date=date(2024, 7, 1), kind="visit"))
            ties.append(tie)
        session.add_all(ties)
        session.flush()
        order = [tie.id for tie in ties]
    with registry.engine.connect() as connection:
        codes = dict(connection.execute(select(Tie.id, status_case(D))).all())
    assert [STATUS_CODES[codes[i]] for i in order] == [case[-1] for case in STATUS_CASES]


def test_month_arithmetic() -> None:
    assert months_before(date(2024, 6, 30), 24) == date(2022, 6, 30)
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)  # clamped, leap year
    assert months_before(date(2024, 1, 15), 13) == date(2022, 12, 15)
    assert whole_months_between(date(2022, 3, 15), date(2024, 3, 14)) == 23
    assert whole_months_between(date(2022, 3, 15), date(2024, 3, 15)) == 24


# -- connected components --------------------------------------------------------------------------


def test_count_components_by_hand_and_against_networkx() -> None:
    # two triangles 1-2-3, 10-20-30 and an edge 7-8: 3; a path 5-4-3-2-1 in reverse: 1
    left, right = np.array([1, 2, 3, 10, 20, 30, 7]), np.array([2, 3, 1, 20, 30, 10, 8])
    assert count_components(left, right) == 3
    assert count_components(np.array([5, 4, 3, 2]), np.array([4, 3, 2, 1])) == 1
    assert count_components(np.array([], dtype=int), np.array([], dtype=int)) == 0
    rng = np.random.default_rng(7)
    left, right = rng.integers(0, 3000, 2500), rng.integers(0, 3000, 2500)
    graph = nx.Graph()
    graph.add_edges_from(zip(left.tolist(), right.tolist(), strict=True))
    assert count_components(left, right) == nx.number_connected_components(graph)


# -- by year: a registry that diversifies over four years ------------------------------------------
#
#   T5 KGov–UGov   start 2020-06-01 [governance], no activity → dormant once 2020-06-01 is
#                  more than 24 months back: at 2022-12-31 (cutoff 2020-12-31)
#   T1 KCity–UCity start 2021-03-01 [culture], activity 2023-04-01 (keeps it active in 2023)
#   T2 KUni–UUni   start 2022-05-01 [education]
#   T3 KFarm–UBiz  start 2023-02-01 [agriculture]
#   T4 KHosp–UHosp start 2023-07-01 [health]


def _registry_three(registry: Registry) -> None:
    with registry.session() as session:
        ids = _actors(
            session,
            *[(f"K{k}", "KHM", k, {}) for k in ("government", "city", "university", "farmers")],
            *[(f"U{k}", "USA", k, {}) for k in ("government", "city", "university", "business")],
            ("KH", "KHM", "health", {}),
            ("UH", "USA", "health", {}),
        )  # fmt: skip
        _tie(session, ids["Kgovernment"], ids["Ugovernment"], ["governance"],
             start_date=date(2020, 6, 1))  # fmt: skip
        t1 = _tie(session, ids["Kcity"], ids["Ucity"], ["culture"], start_date=date(2021, 3, 1))
        t1.activities.append(Activity(activity_date=date(2023, 4, 1), kind="visit"))
        _tie(session, ids["Kuniversity"], ids["Uuniversity"], ["education"],
             start_date=date(2022, 5, 1))  # fmt: skip
        _tie(session, ids["Kfarmers"], ids["Ubusiness"], ["agriculture"],
             start_date=date(2023, 2, 1))  # fmt: skip
        _tie(session, ids["KH"], ids["UH"], ["health"], start_date=date(2023, 7, 1))


def test_by_year(registry: Registry) -> None:
    _registry_three(registry)
    table = scorecard_by_year(registry, "KHM", "USA", at=date(2023, 12, 31))
    assert table["year"].tolist() == [2020, 2021, 2022, 2023]
    assert table["at"].tolist() == [date(y, 12, 31) for y in (2020, 2021, 2022, 2023)]
    # 2020: T5; 2021: T5 T1; 2022: T1 T2 (T5 dormant); 2023: T1–T4 (T1 saved by its activity)
    assert table["ties_active"].tolist() == [1, 2, 2, 4]
    assert table["ties_dormant"].tolist() == [0, 0, 1, 1]
    assert table["ties_proposed"].tolist() == [4, 3, 2, 0]
    # kinds 2020 {government: 2} → 0; 2021 {government 2, city 2} → ln 2;
    # 2022 {city 2, university 2} → ln 2; 2023 city 2, university 2, health 2, farmers 1,
    # business 1 of 8 → 3·¼ln4 + 2·⅛ln8
    h_2023 = 3 * 0.25 * log(4) + 2 * 0.125 * log(8)
    assert table["kind_entropy"].tolist() == pytest.approx([0, log(2), log(2), h_2023])
    assert table["kind_hhi"].tolist() == pytest.approx([1, 0.5, 0.5, 3 / 16 + 2 / 64])
    # areas: 2020 governance; 2021 governance + culture; 2022 culture + education;
    # 2023 culture, education, agriculture, health → 0, ln 2, ln 2, ln 4
    assert table["area_entropy"].tolist() == pytest.approx([0, log(2), log(2), log(4)])
    assert table["neutral_area_share"].tolist() == pytest.approx([0, 0.5, 1, 1])
    # people track (both ends civil society): 2020 none of T5; 2021 none (T1 is city–city,
    # local government); 2022 T2 of T1 T2; 2023 T2 T3 T4 of four
    assert table["people_to_people_share"].tolist() == pytest.approx([0, 0, 0.5, 0.75])
    # 2020: removing the two officials leaves nothing: 0 of 2 actors, 0 components
    assert table["actors_kept_without_official"].tolist() == pytest.approx([0, 0.5, 1, 1])
    assert table["components"].tolist() == [1, 2, 2, 4]
    assert table["components_without_official"].tolist() == [0, 1, 2, 4]


def test_by_year_ends_at_the_date_asked(registry: Registry) -> None:
    _registry_three(registry)
    table = scorecard_by_year(registry, "KHM", "USA", at=date(2022, 3, 1))
    # 2022 is taken at 2022-03-01: T2 (from 2022-05-01) not started; T5 (2020-06-01) is 21
    # months old, so still active beside T1
    assert table["at"].tolist()[-1] == date(2022, 3, 1)
    assert table["ties_active"].tolist() == [1, 2, 2]


def test_the_last_year_is_the_scorecard_at_that_date(registry: Registry) -> None:
    # by year classifies ties in pandas, the scorecard in SQL: the same rule, the same row
    _registry_two(registry)
    last = scorecard_by_year(registry, "KHM", "USA", at=D).iloc[-1]
    card = scorecard(registry, "KHM", "USA", at=D)
    for name, value in card.metrics().items():
        # the by-year table has no declined count (a declined proposal is never active)
        skipped = ("country_a", "country_b", "dormant_months", "ties_total", "declined_proposals")
        if name not in skipped:
            assert last[name] == pytest.approx(value), name


# -- ties with no area recorded: unknown, never "not neutral" -------------------------------------
#
#   KHM: K1 city, K2 university, K3 ngo      USA: U1 city, U2 university, U3 ngo
#   with an area:  T1 K1–U1 [culture]   T2 K2–U2 [education]   T3 K3–U3 [governance]
#   without:       T4 K1–U2 []          T5 K2–U1 []


def _mixed_areas(registry: Registry, start: date = RECENT) -> None:
    with registry.session() as session:
        ids = _actors(
            session,
            *[(f"K{i}", "KHM", k, {}) for i, k in enumerate(["city", "university", "ngo"], 1)],
            *[(f"U{i}", "USA", k, {}) for i, k in enumerate(["city", "university", "ngo"], 1)],
        )
        for a, b, areas in (
            ("K1", "U1", ["culture"]),
            ("K2", "U2", ["education"]),
            ("K3", "U3", ["governance"]),
            ("K1", "U2", []),
            ("K2", "U1", []),
        ):
            _tie(session, ids[a], ids[b], areas, start_date=start)  # fmt: skip


def _no_areas(registry: Registry, start: date = RECENT) -> None:
    """Two active ties, neither with an area recorded."""
    with registry.session() as session:
        ids = _actors(session, ("PP", "KHM", "city", {}), ("LB", "USA", "city", {}),
                      ("RUPP", "KHM", "university", {}))  # fmt: skip
        _tie(session, ids["PP"], ids["LB"], [], start_date=start)
        _tie(session, ids["RUPP"], ids["LB"], [], start_date=start)


def test_ties_without_an_area_are_unknown_not_outside_neutral_areas(registry: Registry) -> None:
    _mixed_areas(registry)
    card = scorecard(registry, "KHM", "USA", at=D)
    # 5 active ties; T4, T5 have no area → 2 unknown; over the 3 with one: culture and
    # education neutral, governance political → 2/3 (counting the unknown as not neutral
    # gave 2/5 = 40%)
    assert (card.ties_active, card.ties_with_unknown_area) == (5, 2)
    assert card.neutral_area_share == pytest.approx(2 / 3)
    # three areas of weight 1 each: p = 1/3 each, H = ln 3, exp(H) = 3, HHI = 3 · 1/9 = 1/3
    assert card.area_shares == pytest.approx(dict.fromkeys(["culture", "education",
                                                            "governance"], 1 / 3))  # fmt: skip
    assert card.area_entropy == pytest.approx(log(3))
    assert card.area_effective_number == pytest.approx(3.0)
    assert card.area_hhi == pytest.approx(1 / 3)
    assert card.neutral_share_text() == "67% (of 3 ties with an area; 2 unknown)"  # 2/3


def test_no_tie_with_an_area_leaves_the_area_figures_unknown(registry: Registry) -> None:
    _no_areas(registry)
    card = scorecard(registry, "KHM", "USA", at=D)
    assert (card.ties_active, card.ties_with_unknown_area) == (2, 2)
    assert card.neutral_area_share is None and card.area_shares == {}
    assert (card.area_entropy, card.area_effective_number, card.area_hhi) == (None, None, None)
    assert card.neutral_share_text() == "unknown: no tie has an area recorded"
    assert json.loads(json.dumps(card.as_dict()))["neutral_area_share"] is None
    # by year (both start 2023-01-01): 2023 and 2024 have 2 active ties, both unknown
    table = scorecard_by_year(registry, "KHM", "USA", at=D)
    assert table["ties_with_unknown_area"].tolist() == [2, 2]
    assert table["neutral_area_share"].isna().all() and table["area_hhi"].dtype == "float64"


def test_cli_says_the_area_figures_are_unknown(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Registry(home=home) as opened:
        _no_areas(opened)
    args = ["--home", str(home), "bridges", "score", "KHM", "USA", "--at", "2024-06-30"]
    done = CliRunner().invoke(app, [*args, "--format", "json"])
    assert done.exit_code == 0, done.output
    rows = {row["metric"]: row["value"] for row in json.loads(done.stdout)}
    assert rows["neutral_area_share"] is None and rows["ties_with_unknown_area"] == 2
    assert "unknown: no tie has an area recorded" in done.stderr
    done = CliRunner().invoke(app, [*args, "--format", "csv"])
    assert "neutral_area_share,\n" in done.stdout  # empty, not 0


def test_dashboard_and_briefing_say_unknown_never_0(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from tracktwo.report import write_briefing
    from tracktwo.store import EventStore
    from tracktwo.web import WebSettings, create_app

    home = tmp_path / "home"
    with Registry(home=home) as opened:
        # started a month ago: active today, the day the dashboard scores
        _no_areas(opened, start=date.today() - timedelta(days=30))
    with TestClient(create_app(WebSettings(home=home))) as client:
        page = client.get("/pairs/KHM/USA/scorecard").text
        cell = page[page.index('id="neutral-share"') :].split("</td>")[0]
        assert "unknown: no tie has an area recorded" in cell and "%" not in cell
        overview = client.get("/pairs/KHM/USA").text
        assert "no tie has an area recorded" in overview
        card = client.get("/api/pairs/KHM/USA/scorecard").json()["scorecard"]
        assert (card["neutral_area_share"], card["ties_with_unknown_area"]) == (None, 2)
    with Registry(home=home) as opened, EventStore(home, write=True) as store:
        out = write_briefing(store, opened, "KHM", "USA", tmp_path / "b.html", at=date.today())
    html = out.read_text(encoding="utf-8")
    row = html[html.index("Share in neutral areas") :].split("</tr>")[0]
    assert "unknown: no tie has an area recorded" in row and "0%" not in row


# -- the command line ------------------------------------------------------------------------------


def test_cli_score_and_dormant(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Registry(home=home) as opened:
        _registry_two(opened)
    runner = CliRunner()
    done = runner.invoke(
        app, ["--home", str(home), "bridges", "score", "KHM", "USA", "--at", "2024-06-30",
              "--format", "json"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    rows = {row["metric"]: row["value"] for row in json.loads(done.stdout)}
    assert rows["ties_active"] == 8 and rows["components_without_official"] == 4
    assert rows["at"] == "2024-06-30" and rows["people_to_people_share"] == 0.5  # 4 of 8
    done = runner.invoke(
        app, ["--home", str(home), "bridges", "score", "KHM", "USA", "--at", "2024-06-30",
              "--by-year", "--format", "csv"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0].startswith("year,at,ties_active,ties_dormant")
    assert len(lines) == 1 + 10  # 2015 (T9's start) … 2024
    # 2017 and 2018: T9 dormant, nothing else started: counts, and empty ratios
    assert lines[3].startswith("2017,2017-12-31,0,1,0,11,,")
    done = runner.invoke(
        app, ["--home", str(home), "bridges", "dormant", "KHM", "USA", "--at", "2024-06-30",
              "--format", "csv"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[1].endswith("K4,U4,other,active,2022-05-15,2022-05-15,25,777")


def test_cli_unknown_country_is_one_line_exit_2(tmp_path: Path) -> None:
    command = [
        sys.executable, "-c",
        "import tracktwo.cli._bridges_score; from tracktwo.cli import main; main()",
        "--home", str(tmp_path / "h"), "bridges", "score", "KHM", "XYZ",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Error: unknown country 'XYZ': give an ISO 3166 alpha-3 code such as KHM"
    ]
