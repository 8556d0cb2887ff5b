"""Calibration of the matchmaker's score: Platt scaling, the sampling-ratio correction, the
Brier score and the reliability table, each checked against figures worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tracktwo._errors import InputError
from tracktwo.match import Recommender
from tracktwo.match._calibration import (
    brier_score,
    case_pairs,
    fit_platt,
    prior_correction,
    reliability_table,
)
from tracktwo.match._features import actor_table

LN3 = math.log(3.0)  # 1.098612


def test_platt_recovers_a_saturated_two_point_case_by_hand() -> None:
    # at score 0: 1 tie in 4 pairs -> logit(1/4) = -ln 3 = intercept
    # at score 1: 3 ties in 4 pairs -> logit(3/4) = +ln 3 = slope + intercept -> slope = 2 ln 3
    scores = np.array([0, 0, 0, 0, 1, 1, 1, 1], dtype=float)
    labels = np.array([1, 0, 0, 0, 1, 1, 1, 0], dtype=float)
    slope, intercept = fit_platt(scores, labels)
    assert intercept == pytest.approx(-LN3, abs=1e-8)
    assert slope == pytest.approx(2 * LN3, abs=1e-8)


def test_sampled_negatives_weighed_back_give_the_same_fit() -> None:
    # the same data with the three negatives at score 0 sampled down to one, weighing 3
    scores = np.array([0, 0, 1, 1, 1, 1], dtype=float)
    labels = np.array([1, 0, 1, 1, 1, 0], dtype=float)
    weights = np.array([1, 3, 1, 1, 1, 1], dtype=float)
    slope, intercept = fit_platt(scores, labels, weights)
    assert intercept == pytest.approx(-LN3, abs=1e-8)
    assert slope == pytest.approx(2 * LN3, abs=1e-8)


@pytest.fixture(scope="session")
def synthetic() -> tuple[np.ndarray, np.ndarray]:
    """40,000 scores whose true log-odds are 1.5 x score - 2."""
    rng = np.random.default_rng(0)
    scores = rng.normal(0.0, 2.0, 40_000)
    labels = (rng.random(len(scores)) < 1 / (1 + np.exp(-(1.5 * scores - 2.0)))).astype(float)
    return scores, labels


def test_platt_recovers_known_log_odds(synthetic) -> None:
    slope, intercept = fit_platt(*synthetic)
    assert slope == pytest.approx(1.5, abs=0.06)
    assert intercept == pytest.approx(-2.0, abs=0.06)


def test_negatives_kept_at_one_in_ten_and_weighed_ten_recover_them(synthetic) -> None:
    scores, labels = synthetic
    keep = (labels == 1) | (np.random.default_rng(1).random(len(labels)) < 0.1)
    weights = np.where(labels[keep] == 1, 1.0, 10.0)
    slope, intercept = fit_platt(scores[keep], labels[keep], weights)
    assert slope == pytest.approx(1.5, abs=0.12)
    assert intercept == pytest.approx(-2.0, abs=0.12)
    # unweighted, the fit sees 10x the odds: intercept about -2 + ln 10 = 0.30
    _slope, biased = fit_platt(scores[keep], labels[keep])
    assert biased == pytest.approx(-2.0 + math.log(10), abs=0.15)


def test_prior_correction_by_hand() -> None:
    # odds 1:1 fitted with negatives kept at 1 in 5: the true odds are 1:5, chance 1/6
    corrected = prior_correction(0.0, 0.2)
    assert corrected == pytest.approx(-math.log(5))
    assert 1 / (1 + math.exp(-corrected)) == pytest.approx(1 / 6)
    with pytest.raises(InputError, match="kept_share"):
        prior_correction(0.0, 0.0)


def test_brier_score_on_four_predictions_by_hand() -> None:
    # (0.9-1)^2 + (0.2-0)^2 + (0.6-0)^2 + (0.1-0)^2 = 0.01 + 0.04 + 0.36 + 0.01 = 0.42; / 4
    assert brier_score(np.array([0.9, 0.2, 0.6, 0.1]), np.array([1, 0, 0, 0])) == pytest.approx(
        0.105
    )


def test_reliability_table_by_hand() -> None:
    chance = np.array([0.0005, 0.0008, 0.03, 0.04, 0.3, 0.7])
    labels = np.array([0, 0, 1, 0, 0, 1])
    table = reliability_table(chance, labels).set_index("bin")
    assert table.loc["0–0.001", "pairs"] == 2
    assert table.loc["0–0.001", "predicted"] == pytest.approx(0.00065)  # (0.0005+0.0008)/2
    assert table.loc["0–0.001", "observed"] == 0.0
    assert table.loc["0.01–0.05", "predicted"] == pytest.approx(0.035)  # (0.03 + 0.04) / 2
    assert table.loc["0.01–0.05", "observed"] == 0.5
    assert table.loc["0.5–1", "ties"] == 1
    assert table.loc["0.05–0.1", "pairs"] == 0 and math.isnan(table.loc["0.05–0.1", "observed"])


def test_case_pairs_weigh_each_sampled_negative_back_to_its_pool() -> None:
    # a pool of 5 (true partner at position 2) with 2 negatives sampled: each stands for
    # 4 / 2 = 2 candidates; a pool of 3 with all its 2 negatives kept: weight 1
    cases = [(0, np.array([10, 11, 12, 13, 14]), 2), (1, np.array([20, 21, 22]), 0)]
    sources, candidates, labels, weights = case_pairs(cases, 2, np.random.default_rng(0))
    assert labels.tolist() == [1, 0, 0, 1, 0, 0]
    assert candidates[0] == 12 and candidates[3] == 20
    assert set(candidates[1:3]) <= {10, 11, 13, 14}
    assert weights.tolist() == [1, 2, 2, 1, 1, 1]
    assert sources.tolist() == [0, 0, 0, 1, 1, 1]


def _world(ties: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cities of three countries; ties between cities of similar population."""
    rng = np.random.default_rng(seed)
    n = 300
    frame = pd.DataFrame({
        "id": np.arange(1, n + 1), "name": [f"C{i}" for i in range(n)],
        "country": np.repeat(["KHM", "USA", "FRA"], n // 3), "kind": "city",
        "latitude": rng.uniform(-60, 60, n), "longitude": rng.uniform(-180, 180, n),
        "population": 10 ** rng.uniform(3, 7, n), "areas_offered": [[]] * n,
        "areas_needed": [[]] * n, "description": None,
    })  # fmt: skip
    order = np.argsort(frame["population"].to_numpy())
    pairs = []
    for at in range(len(order) - 1):
        a, b = order[at], order[at + 1]
        if frame["country"].iat[a] != frame["country"].iat[b]:
            pairs.append((a + 1, b + 1))
    pairs = pairs[:ties]
    tie_frame = pd.DataFrame({"id": np.arange(1, len(pairs) + 1),
                              "actor_a_id": [p[0] for p in pairs],
                              "actor_b_id": [p[1] for p in pairs], "status": "active"})  # fmt: skip
    return frame, tie_frame


@pytest.fixture(scope="session")
def calibrated() -> Recommender:
    frame, ties = _world(150)
    return Recommender(text="none").fit_tables(actor_table(frame, "none"), ties)


def test_a_fitted_model_is_calibrated_and_recommend_adds_chance(calibrated) -> None:
    assert calibrated.calibration_ is not None
    assert calibrated.calibration_.n_ties >= 20
    table = calibrated.recommend(1, k=20)
    assert list(table.columns[:6]) == ["candidate_id", "name", "country", "kind", "score", "rank"]
    assert table.columns[-1] == "chance"
    chance = table["chance"].to_numpy()
    assert ((chance > 0) & (chance < 1)).all()
    assert (np.diff(chance) <= 1e-12).all()  # in the order of the score
    # the chance is the Platt map of the score, nothing else
    c = calibrated.calibration_
    expected = 1 / (1 + np.exp(-(c.slope * table["score"] + c.intercept)))
    assert chance == pytest.approx(expected.to_numpy())


def test_too_few_ties_give_no_calibration_and_no_chance() -> None:
    frame, ties = _world(30)  # 20% of 30 = 6 held out, below MIN_CALIBRATION_TIES
    model = Recommender(text="none").fit_tables(actor_table(frame, "none"), ties)
    assert model.calibration_ is None
    assert "chance" not in model.recommend(1, k=5)
    uncalibrated = Recommender(text="none", calibrate=False)
    assert uncalibrated.fit_tables(actor_table(frame, "none"), ties).calibration_ is None
