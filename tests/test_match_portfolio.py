"""The portfolio: exact and greedy choices on instances solved by hand, the greedy's bound on
seeded random instances, clear errors for impossible constraints, and the scorecard after.

Every expected choice and figure is worked out in the comments, never read back from the code.
"""

from __future__ import annotations

from datetime import date
from math import exp, log

import numpy as np
import pandas as pd
import pytest

from tracktwo._errors import InputError, NotFoundError, UnknownCodeError
from tracktwo.bridges import Actor, Registry, Tie
from tracktwo.match._portfolio import (
    GREEDY_BOUND,
    Portfolio,
    choose_portfolio,
    neutral_floor,
    scorecard_after,
)

# -- a six-candidate instance, n = 2, one tie per actor ------------------------------------------
#
#   c0 A1–B1 city–city            culture    5.0
#   c1 A1–B2 city–university      education  4.5
#   c2 A2–B1 university–city      culture    4.8
#   c3 A2–B2 university–univ.     culture    4.9
#   c4 A3–B3 business–chamber     business   2.0
#   c5 A3–B1 business–city        health     3.5
#
# With max_per_actor = 1 a pair may share no actor. The pairs that share none, and their
# objective = scores + kinds covered + areas covered (diversity_weight 1):
#   c0+c3  9.9 + 2 {city, university}                   + 1 {culture}            = 12.9
#   c0+c4  7.0 + 3 {city, business, chamber}            + 2 {culture, business}  = 12.0
#   c1+c2  9.3 + 2 {city, university}                   + 2 {education, culture} = 13.3
#   c1+c4  6.5 + 4 {city, university, business, chamber} + 2                     = 12.5
#   c1+c5  8.0 + 3 {city, university, business}         + 2 {education, health}  = 13.0
#   c2+c4  6.8 + 4                                      + 2                      = 12.8
#   c3+c4  6.9 + 3 {university, business, chamber}      + 2                      = 11.9
#   c3+c5  8.4 + 3 {university, business, city}         + 2 {culture, health}    = 13.4  ← best
# (c0+c1, c0+c2, c0+c5, c1+c3, c2+c3, c2+c5, c4+c5 share an actor.)


def _six(**changes: dict) -> pd.DataFrame:
    rows = [
        ("A1", "B1", "city", "city", "culture", 5.0),
        ("A1", "B2", "city", "university", "education", 4.5),
        ("A2", "B1", "university", "city", "culture", 4.8),
        ("A2", "B2", "university", "university", "culture", 4.9),
        ("A3", "B3", "business", "chamber", "business", 2.0),
        ("A3", "B1", "business", "city", "health", 3.5),
    ]
    frame = pd.DataFrame(rows, columns=["actor_a", "actor_b", "kind_a", "kind_b", "area", "score"])
    frame["politicised"] = False
    for row, fields in changes.items():
        for column, value in fields.items():
            frame.loc[int(row[1:]), column] = value
    return frame


def test_exact_finds_the_pair_worked_out_by_hand() -> None:
    chosen = choose_portfolio(_six(), n=2, max_per_actor=1, min_neutral=1.0)
    assert isinstance(chosen, Portfolio)
    assert sorted(chosen.chosen.index) == [3, 5]
    assert chosen.objective == pytest.approx(13.4)
    assert chosen.score_total == pytest.approx(8.4)
    assert chosen.kinds == ("business", "city", "university")
    assert chosen.areas == ("culture", "health")
    assert (chosen.diversity, chosen.neutral_ties) == (5, 2)
    assert (chosen.status, chosen.method) == ("optimal", "exact")


def test_greedy_takes_the_largest_gain_first() -> None:
    # first gains = score + new kinds + new area: c0 5+1+1 = 7, c1 4.5+2+1 = 7.5,
    # c2 4.8+2+1 = 7.8, c3 4.9+1+1 = 6.9, c4 2+2+1 = 5, c5 3.5+2+1 = 6.5 → c2 (A2, B1).
    # Left without A2 or B1: c1 4.5+0+1 = 5.5, c4 2+2+1 = 5 → c1; 7.8 + 5.5 = 13.3 < 13.4
    chosen = choose_portfolio(_six(), n=2, max_per_actor=1, method="greedy")
    assert sorted(chosen.chosen.index) == [1, 2]
    assert chosen.objective == pytest.approx(13.3)
    assert (chosen.status, chosen.method) == ("feasible", "greedy")


def test_without_diversity_the_best_two_scores_that_share_no_actor() -> None:
    # scores alone: c0 5.0 + c3 4.9 = 9.9 is the largest actor-disjoint pair (c0+c2 shares B1)
    chosen = choose_portfolio(_six(), n=2, max_per_actor=1, diversity_weight=0.0)
    assert sorted(chosen.chosen.index) == [0, 3]
    assert chosen.objective == pytest.approx(9.9)


def test_the_neutral_floor_rules_out_a_political_area() -> None:
    # c5 in governance (political): the area count of c3+c5 is still 2, so with one neutral
    # tie required (⌈0.5 × 2⌉ = 1) it stays best at 13.4; with two required, c5 is out and
    # the best pair is c1+c2 at 13.3
    political = _six(c5={"area": "governance"})
    assert sorted(choose_portfolio(political, n=2, max_per_actor=1, min_neutral=0.5)
                  .chosen.index) == [3, 5]  # fmt: skip
    strict = choose_portfolio(political, n=2, max_per_actor=1, min_neutral=1.0)
    assert sorted(strict.chosen.index) == [1, 2]
    assert strict.objective == pytest.approx(13.3)
    greedy = choose_portfolio(political, n=2, max_per_actor=1, min_neutral=0.5, method="greedy")
    assert greedy.chosen["sensitivity"].tolist().count("neutral") >= 1


def test_politicised_candidates_are_left_out_unless_allowed() -> None:
    # without c3 the best of the list above is c1+c2 (13.3); allowed, c3+c5 (13.4) again
    marked = _six(c3={"politicised": True})
    assert sorted(choose_portfolio(marked, n=2, max_per_actor=1).chosen.index) == [1, 2]
    allowed = choose_portfolio(marked, n=2, max_per_actor=1, allow_politicised=True)
    assert sorted(allowed.chosen.index) == [3, 5]


def test_two_per_actor_allows_a_shared_actor() -> None:
    # with max 2 per actor every pair is allowed, c0+c1 (A1 twice) included:
    # c2+c5: 8.3 + 3 {university, city, business} + 2 {culture, health} = 13.3;
    # c1+c2: 13.3; c3+c5: 13.4; c0+c5: 8.5 + 2 {city, business} + 2 = 12.5;
    # c1+c3 (B2 twice): 9.4 + 2 + 2 = 13.4; c0+c1: 9.5 + 2 + 2 = 13.5; c1+c5: 13.0;
    # c0+c2 9.8 + 2 + 1 = 12.8; c2+c3 9.7 + 2 + 1 = 12.7; c4+c5 5.5 + 3 + 2 = 10.5 → c0+c1
    chosen = choose_portfolio(_six(), n=2, max_per_actor=2)
    assert sorted(chosen.chosen.index) == [0, 1]
    assert chosen.objective == pytest.approx(13.5)


# -- impossible constraints and bad input --------------------------------------------------------


def test_too_few_candidates() -> None:
    with pytest.raises(InputError, match="cannot pick 20 ties with at most 2 per actor from 6"):
        choose_portfolio(_six(), n=20)
    with pytest.raises(InputError, match=r"from 5 candidates \(1 politicised left out"):
        choose_portfolio(_six(c0={"politicised": True}), n=6, min_neutral=0.0)


def test_too_few_neutral_candidates() -> None:
    # four political areas leave 2 neutral candidates; ⌈0.8 × 4⌉ = 4 are needed
    political = {f"c{i}": {"area": "security"} for i in range(4)}
    with pytest.raises(InputError, match=r"cannot pick 4 ties in neutral areas .* only 2"):
        choose_portfolio(_six(**political), n=4, min_neutral=0.8)


def test_too_little_actor_capacity() -> None:
    # one per actor: actor_a side A1, A2, A3 hold at most 3 ties
    with pytest.raises(InputError, match="the actor_a actors can hold only 3"):
        choose_portfolio(_six(), n=4, max_per_actor=1)


@pytest.mark.parametrize("method", ["exact", "greedy"])
def test_constraints_that_only_clash_together(method: str) -> None:
    # both neutral candidates need A1, which may hold one tie; the counts pass (2 neutral
    # for k = 2; capacities 3 and 4) but no pair of ties meets everything
    frame = pd.DataFrame({
        "actor_a": ["A1", "A1", "A2", "A3"], "actor_b": ["B1", "B2", "B3", "B4"],
        "kind_a": "city", "kind_b": "city",
        "area": ["culture", "health", "governance", "security"],
        "score": [1.0, 1.0, 1.0, 1.0], "politicised": False,
    })  # fmt: skip
    with pytest.raises(InputError, match="no set of 2 ties meets the constraints together"):
        choose_portfolio(frame, n=2, max_per_actor=1, min_neutral=1.0, method=method)


def test_bad_options_and_rows() -> None:
    with pytest.raises(InputError, match="unknown method 'fast'"):
        choose_portfolio(_six(), n=2, method="fast")
    with pytest.raises(InputError, match="min_neutral must lie between 0 and 1"):
        choose_portfolio(_six(), n=2, min_neutral=1.5)
    with pytest.raises(InputError, match="lack the column"):
        choose_portfolio(_six().drop(columns="score"), n=2)
    with pytest.raises(UnknownCodeError, match="unknown area 'astrology'"):
        choose_portfolio(_six(c0={"area": "astrology"}), n=2)
    twice = pd.concat([_six(), _six().iloc[[0]]])
    with pytest.raises(InputError, match="A1 and B1 appear in more than one candidate"):
        choose_portfolio(twice, n=2)


def test_neutral_floor_rounds_up_but_not_floating_point_noise() -> None:
    # 0.8 × 20 = 16; 0.7 × 10 = 7 (7.000000000000001 in floating point); 0.5 × 3 = 1.5 → 2
    assert (neutral_floor(20, 0.8), neutral_floor(10, 0.7), neutral_floor(3, 0.5)) == (16, 7, 2)


# -- greedy against exact on seeded random instances ---------------------------------------------

_KINDS = ["city", "university", "business", "chamber", "ngo", "expert"]
_AREAS = ["culture", "education", "health", "business", "development", "governance"]
_NEUTRAL = {"culture", "education", "health", "business"}


def _random_candidates(seed: int, size: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pairs = rng.choice(100, size=size, replace=False)  # distinct pairs of 10 × 10 actors
    return pd.DataFrame({
        "actor_a": pairs // 10, "actor_b": 100 + pairs % 10,
        "kind_a": rng.choice(_KINDS, size), "kind_b": rng.choice(_KINDS, size),
        "area": rng.choice(_AREAS, size),
        # three decimals: CP-SAT's ×1000 scaling is then exact, so exact ≥ greedy holds exactly
        "score": rng.integers(0, 1001, size) / 1000, "politicised": rng.random(size) < 0.1,
    })  # fmt: skip


def _check_constraints(portfolio: Portfolio, n: int, k: int, per_actor: int) -> None:
    rows = portfolio.chosen
    assert len(rows) == n and not rows["politicised"].any()
    assert rows["area"].isin(_NEUTRAL).sum() >= k
    assert pd.concat([rows["actor_a"], rows["actor_b"]]).value_counts().max() <= per_actor


@pytest.mark.parametrize("seed", range(20))
def test_greedy_against_exact(seed: int) -> None:
    candidates = _random_candidates(seed)
    options = {"n": 8, "min_neutral": 0.75, "max_per_actor": 2}
    exact = choose_portfolio(candidates, **options)
    greedy = choose_portfolio(candidates, **options, method="greedy")
    for portfolio in (exact, greedy):
        _check_constraints(portfolio, 8, 6, 2)  # ⌈0.75 × 8⌉ = 6
    # the greedy itself, not its CP-SAT fallback, is what gets compared (it filled all 8)
    assert (exact.status, greedy.method) == ("optimal", "greedy")
    assert exact.objective >= greedy.objective - 1e-9
    assert greedy.objective >= GREEDY_BOUND * exact.objective


# -- the scorecard after adopting a portfolio ----------------------------------------------------
#
#   KHM: PP (city), MOH (government)      USA: LB (city), UCD (university)
#   T1 PP–LB [culture]   T2 MOH–UCD [education]; the portfolio adds PP–UCD in health


def _tiny(registry: Registry) -> dict[str, int]:
    with registry.session() as session:
        actors = [
            Actor(name="PP", country="KHM", kind="city"),
            Actor(name="MOH", country="KHM", kind="government"),
            Actor(name="LB", country="USA", kind="city"),
            Actor(name="UCD", country="USA", kind="university"),
        ]
        session.add_all(actors)
        session.flush()
        ids = {actor.name: actor.id for actor in actors}
        for a, b, area in (("PP", "LB", "culture"), ("MOH", "UCD", "education")):
            session.add(Tie(actor_a_id=ids[a], actor_b_id=ids[b], channel="other",
                            areas=[area], start_date=date(2023, 1, 1)))  # fmt: skip
    return ids


@pytest.mark.postgres
def test_scorecard_after_one_people_to_people_tie(registry: Registry) -> None:
    ids = _tiny(registry)
    # stored USA side first: the scorecard must still orient it KHM–USA
    new = pd.DataFrame({"actor_a": [ids["UCD"]], "actor_b": [ids["PP"]], "area": ["health"]})
    before, after = scorecard_after(registry, "KHM", "USA", new, at=date(2024, 6, 30))
    # before: T2 has the official MOH → 1/2 of the ties kept without officials; areas culture
    # 1, education 1: exp(ln 2) = 2. After: 2 of 3 ties without an official actor; three areas
    # at 1/3 each: H = ln 3, effective number 3, HHI 1/3
    assert (before.ties_active, after.ties_active) == (2, 3)
    assert before.ties_kept_without_official == pytest.approx(1 / 2)
    assert after.ties_kept_without_official == pytest.approx(2 / 3)
    # tracks: PP–LB city–city is local government, MOH–UCD official + people mixed, the new
    # PP–UCD local + people mixed: no people–people tie before or after
    assert before.people_to_people_share == after.people_to_people_share == 0.0
    assert (before.track_shares["mixed"], after.track_shares["mixed"]) == pytest.approx(
        (1 / 2, 2 / 3))  # fmt: skip
    assert before.area_effective_number == pytest.approx(2.0)
    assert after.area_effective_number == pytest.approx(3.0)
    assert after.area_entropy == pytest.approx(log(3))
    assert after.area_hhi == pytest.approx(1 / 3)
    # endpoints after: city PP×2 + LB = 3, university UCD×2, government 1 (of 6)
    assert after.kind_shares == pytest.approx({"city": 1 / 2, "university": 1 / 3,
                                               "government": 1 / 6})  # fmt: skip
    assert after.kind_effective_number == pytest.approx(
        exp(-(0.5 * log(0.5) + (1 / 3) * log(1 / 3) + (1 / 6) * log(1 / 6)))
    )
    # PP–LB, MOH–UCD were 2 components; PP–UCD joins them into 1; nothing was written
    assert (before.components, after.components) == (2, 1)
    with registry.session() as session:
        assert session.query(Tie).count() == 2


@pytest.mark.postgres
def test_scorecard_after_refuses_an_actor_of_another_country(registry: Registry) -> None:
    ids = _tiny(registry)
    new = pd.DataFrame({"actor_a": [ids["PP"]], "actor_b": [ids["LB"] + 100], "area": ["health"]})
    with pytest.raises(InputError, match="not actors of KHM or USA"):
        scorecard_after(registry, "KHM", "USA", new, at=date(2024, 6, 30))
    with pytest.raises(NotFoundError, match="no tie between KHM and USA is active"):
        scorecard_after(registry, "KHM", "USA", new, at=date(2020, 1, 1))
