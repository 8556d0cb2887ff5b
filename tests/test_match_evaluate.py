"""The evaluation protocol: ranks, metrics and no leakage of held-out ties."""

from __future__ import annotations

import numpy as np
import pytest

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges import Actor, Tie
from tracktwo.match import Recommender, evaluate, rank_of, ranking_metrics
from tracktwo.match._evaluate import _held_out
from tracktwo.match._features import read_ties

pytestmark = pytest.mark.postgres


def test_rank_counts_ties_of_score_as_half() -> None:
    scores = np.array([0.9, 0.5, 0.5, 0.1])
    # one better (0.9), one equal: 1 + 1 + 1/2
    assert rank_of(scores, 1) == 2.5
    assert rank_of(scores, 0) == 1.0
    assert rank_of(scores, 3) == 4.0


def test_metrics_by_hand() -> None:
    ranks = np.array([1.0, 2.0, 4.0, 60.0])
    sizes = np.array([10.0, 10.0, 10.0, 100.0])
    metrics = ranking_metrics(ranks, sizes)
    # MRR = (1 + 1/2 + 1/4 + 1/60) / 4 = 1.766667 / 4
    assert metrics["mrr"] == pytest.approx((1 + 0.5 + 0.25 + 1 / 60) / 4)
    assert metrics["hit@10"] == 0.75
    assert metrics["hit@50"] == 0.75
    # percentiles 0.1, 0.2, 0.4, 0.6 -> median 0.3
    assert metrics["median_percentile"] == pytest.approx(0.3)


def _world(registry) -> list[int]:
    """Three countries of five cities; city i of each is tied to city i of the next."""
    rows = {}
    with registry.session() as session:
        for c, country in enumerate(["KHM", "USA", "FRA"]):
            for i in range(5):
                actor = Actor(
                    name=f"{country}{i}", country=country, kind="city",
                    latitude=float(c), longitude=float(i), population=1000 * 10**i,
                )  # fmt: skip
                session.add(actor)
                session.flush()
                rows[(country, i)] = actor.id
        ties = []
        for one, two in [("KHM", "USA"), ("USA", "FRA"), ("FRA", "KHM")]:
            for i in range(5):
                tie = Tie(actor_a_id=rows[(one, i)], actor_b_id=rows[(two, i)],
                          channel="sister_city", status="active")  # fmt: skip
                session.add(tie)
                session.flush()
                ties.append(tie.id)
    return ties


def test_held_out_ties_never_inform_training(registry) -> None:
    _world(registry)
    ties = read_ties(registry)
    hidden = _held_out(ties, 0.2, seed=0)
    assert len(hidden) == 3  # 20 % of 15
    model = Recommender(capacity=None, negatives_per_positive=2).fit(
        registry, exclude_ties=set(hidden["id"])
    )
    assert not model.training_ties_ & set(hidden["id"])
    assert len(model.training_ties_) == 12
    # each city has 2 ties in all; in training, the degree drops by its held-out ties
    index = model.actors_.index
    for a, b in zip(hidden["actor_a_id"], hidden["actor_b_id"], strict=True):
        assert not model.graph_.tied(np.array([index[a]]), np.array([index[b]]))[0]
    held = np.bincount(
        [index[i] for i in np.r_[hidden["actor_a_id"], hidden["actor_b_id"]]],
        minlength=len(index),
    )
    assert (model.graph_.degree == 2 - held).all()


def test_evaluate_table(registry) -> None:
    _world(registry)
    table = evaluate(registry, holdout=0.2, seed=0, recommender=Recommender(capacity=None))
    assert table["method"].tolist() == [
        "model",
        "random",
        "population",
        "most_connected",
        "nearest",
    ]
    assert (table["n"] == 3).all()
    # four or five candidates per tie: every rank is ≤ 10
    assert (table["hit@10"] == 1.0).all()
    assert ((table["mrr"] > 0) & (table["mrr"] <= 1)).all()


def test_evaluate_bad_input(registry) -> None:
    with pytest.raises(InputError, match="holdout"):
        evaluate(registry, holdout=1.5)
    with pytest.raises(NotFoundError):
        evaluate(registry)


def test_busiest_countries_and_aggregation_over_seeds_by_hand() -> None:
    import pandas as pd

    from tracktwo.match._evaluate import _busiest, _mrr_hit, _over_seeds

    frame = pd.DataFrame({"id": [1, 2, 3, 4], "country": ["KHM", "USA", "USA", "FRA"]})
    ties = pd.DataFrame({"actor_a_id": [1, 1, 2], "actor_b_id": [2, 4, 4]})
    # KHM: ties 1-2, 1-4 -> 2; USA: 1-2, 2-4 -> 2; FRA: 1-4, 2-4 -> 2; ties of count by name
    busiest = _busiest(frame, ties, 2)
    assert busiest.index.tolist() == ["FRA", "KHM"] and busiest.tolist() == [2, 2]
    # ranks 1, 4, 20: MRR (1 + 0.25 + 0.05) / 3 = 0.4333; hit@10 2/3
    assert _mrr_hit(np.array([1.0, 4.0, 20.0])) == pytest.approx({"mrr": 1.3 / 3, "hit@10": 2 / 3})
    rows = pd.DataFrame({"country": ["FRA", "FRA", "KHM"], "seed": [0, 1, 0],
                         "mrr": [0.2, 0.4, 0.5], "hit@10": [0.5, 1.0, 1.0],
                         "n": [3, 5, 2]})  # fmt: skip
    table = _over_seeds(rows, busiest).set_index("country")
    assert table.loc["FRA", "mrr"] == pytest.approx(0.3)  # (0.2 + 0.4) / 2
    assert (table.loc["FRA", "mrr_min"], table.loc["FRA", "mrr_max"]) == (0.2, 0.4)
    assert table.loc["FRA", "hit@10"] == pytest.approx(0.75)
    assert table.loc["FRA", "n_per_seed"] == 4.0 and table.loc["FRA", "seeds"] == 2
    assert table.loc["KHM", "ties"] == 2


def test_evaluate_report_on_a_tiny_registry(registry) -> None:
    from tracktwo.match._evaluate import evaluate_report

    _world(registry)
    report = evaluate_report(registry, holdout=0.2, seed=0, seeds=2, countries=3)
    # the world table is evaluate()'s with the same holdout and seed
    world = evaluate(registry, holdout=0.2, seed=0)
    assert report.world["mrr"].tolist() == pytest.approx(world["mrr"].tolist())
    # every country has 10 ties (5 to the next country, 5 to the previous): names break ties
    assert report.by_country["country"].tolist() == ["FRA", "KHM", "USA"]
    assert (report.by_country["ties"] == 10).all() and (report.by_country["seeds"] == 2).all()
    # 5 KHM–USA ties (city i with city i), each left out alone: the source is the KHM city,
    # its pool the 5 US cities (the held-out partner among them)
    assert len(report.pair) == 5 and report.pair["in_pair"].all()
    assert (report.pair["candidates"] == 5).all()
    assert ((report.pair["rank"] >= 1) & (report.pair["rank"] <= 5)).all()
    assert not report.pair["diaspora_known"].any()  # no figure in this registry
    summary = report.pair_summary.set_index(["ties", "ranking"])
    assert summary.loc[("KHM–USA ties", "model"), "n"] == 5
    assert summary.loc[("ties with a diaspora figure", "model"), "n"] == 0
    # 3 held-out ties of 15; too few training ties (12) to calibrate: no "chance" row
    assert (report.brier["ties"] == 3).all()
    assert report.brier["forecast"].str.startswith("chance").sum() == 0
    assert report.calibration["ties"].sum() == 3
