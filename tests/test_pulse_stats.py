"""Tests of tracktwo.pulse._stats against hand-worked values and a naive event bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import ruptures

from tracktwo._errors import InputError
from tracktwo.pulse._stats import (
    PENALTY_RULE,
    bootstrap_ci,
    bootstrap_series_ci,
    change_points,
    default_penalty,
    large_sample_ci,
    mark_extremes,
)

# -- bootstrap_ci -----------------------------------------------------------------------


def test_one_cell_interval_is_that_value() -> None:
    low, high = bootstrap_ci(
        np.array([3.4]), np.array([7.0]), np.array([12]), rng=np.random.default_rng(1)
    )
    assert (low, high) == (3.4, 3.4)


def test_cells_sharing_one_value_give_that_value() -> None:
    # Two weights but one Goldstein value: every replicate mean is -2.0 exactly.
    low, high = bootstrap_ci(
        np.array([-2.0, -2.0]), np.array([1.0, 5.0]), np.array([3, 4]), rng=np.random.default_rng(1)
    )
    assert (low, high) == (-2.0, -2.0)


def test_two_opposite_events_span_minus_ten_to_ten() -> None:
    # Resampling 2 events: both -10 (p=1/4), one each (p=1/2, mean 0), both +10 (p=1/4).
    # The 2.5 % and 97.5 % quantiles of 5000 such means are -10 and +10 unless fewer
    # than 125 of 5000 draws hit an end, which has a probability far below 1e-10.
    low, high = bootstrap_ci(
        np.array([-10.0, 10.0]),
        np.array([1.0, 1.0]),
        np.array([1, 1]),
        n_boot=5000,
        rng=np.random.default_rng(7),
    )
    assert (low, high) == (-10.0, 10.0)


def test_no_events_gives_nan() -> None:
    low, high = bootstrap_ci(
        np.array([1.0, 2.0]), np.array([1.0, 1.0]), np.array([0, 0]), rng=np.random.default_rng()
    )
    assert math.isnan(low) and math.isnan(high)
    empty = np.array([], dtype=float)
    low, high = bootstrap_ci(empty, empty, np.array([], dtype=int), rng=np.random.default_rng())
    assert math.isnan(low) and math.isnan(high)


def test_all_weights_zero_gives_nan() -> None:
    low, high = bootstrap_ci(
        np.array([1.0, 2.0]), np.array([0.0, 0.0]), np.array([5, 5]), rng=np.random.default_rng()
    )
    assert math.isnan(low) and math.isnan(high)


def test_replicates_without_weight_are_left_out() -> None:
    # One weighted event (g=4) among 9 weightless ones (g=-8): a replicate either has no
    # weighted event (no mean, skipped) or its mean is exactly 4.
    low, high = bootstrap_ci(
        np.array([4.0, -8.0]),
        np.array([2.0, 0.0]),
        np.array([1, 9]),
        n_boot=2000,
        rng=np.random.default_rng(3),
    )
    assert (low, high) == (4.0, 4.0)


def test_worked_example_matches_exact_enumeration() -> None:
    # docs/pulse-method.md: cells (g, m, n) = (1, 2, 3), (8, 4, 1), (-2, 1, 2); N = 6.
    # Enumerating all 28 count vectors (a, b, c) ~ Multinomial(6, (1/2, 1/6, 1/3)) by
    # hand gives the exact replicate distribution; its cumulative probability first
    # passes 0.025 at the mean -0.5 (0.0137 below it, 0.0600 with it) and 0.975 at
    # 5.875 (0.9724 below, 0.9879 with it). 200 000 draws put the empirical cdf within
    # about 0.0004 (one standard error) of the exact one, far less than those gaps.
    low, high = bootstrap_ci(
        np.array([1.0, 8.0, -2.0]),
        np.array([2.0, 4.0, 1.0]),
        np.array([3, 1, 2]),
        n_boot=200_000,
        rng=np.random.default_rng(0),
    )
    assert (low, high) == (-0.5, 5.875)


def _naive_event_bootstrap(
    goldstein: np.ndarray, weight: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Resample individual events with replacement: the textbook bootstrap."""
    means = np.empty(n_boot)
    for replicate in range(n_boot):
        picked = rng.choice(goldstein.size, size=goldstein.size, replace=True)
        means[replicate] = np.sum(weight[picked] * goldstein[picked]) / np.sum(weight[picked])
    return means


def test_multinomial_bootstrap_matches_resampling_events() -> None:
    rng = np.random.default_rng(2024)
    cameo_goldstein = np.array([-10.0, -7.0, -4.0, -2.0, 0.0, 1.0, 3.4, 7.0])
    goldstein = rng.choice(cameo_goldstein, size=200)
    weight = rng.integers(1, 6, size=200).astype(float)
    naive = _naive_event_bootstrap(goldstein, weight, 4000, np.random.default_rng(11))
    naive_low, naive_high = np.quantile(naive, [0.025, 0.975])

    cells = pd.DataFrame({"g": goldstein, "w": weight}).value_counts().reset_index()
    low, high = bootstrap_ci(
        cells["g"].to_numpy(),
        cells["w"].to_numpy(),
        cells["count"].to_numpy(),
        n_boot=4000,
        rng=np.random.default_rng(12),
    )
    # Both are Monte Carlo estimates of the same quantiles. With B=4000 draws the
    # standard error of a 2.5 % quantile is about sqrt(.025*.975/B) / f(q), and for
    # a near-normal bootstrap distribution with sd s, f(q) = phi(1.96)/s = 0.058/s,
    # so SE ≈ 0.042 s; the difference of two independent estimates has SE ≈ 0.06 s.
    # Allow four of those: 0.24 s (about 6 % of the interval's width).
    spread = float(np.std(naive, ddof=1))
    tolerance = 0.24 * spread
    assert abs(low - naive_low) < tolerance
    assert abs(high - naive_high) < tolerance
    # And the interval is centred on the weighted mean worked out directly.
    point = np.sum(weight * goldstein) / np.sum(weight)
    assert low < point < high


def test_bootstrap_ci_rejects_bad_arguments() -> None:
    rng = np.random.default_rng()
    one = np.array([1.0])
    with pytest.raises(InputError, match="one length"):
        bootstrap_ci(np.array([1.0, 2.0]), one, np.array([1]), rng=rng)
    with pytest.raises(InputError, match="negative"):
        bootstrap_ci(one, np.array([-1.0]), np.array([1]), rng=rng)
    with pytest.raises(InputError, match="whole numbers"):
        bootstrap_ci(one, one, np.array([1.5]), rng=rng)
    with pytest.raises(InputError, match="n_boot"):
        bootstrap_ci(one, one, np.array([1]), n_boot=0, rng=rng)
    with pytest.raises(InputError, match="level"):
        bootstrap_ci(one, one, np.array([1]), level=95, rng=rng)


# -- bootstrap_series_ci ----------------------------------------------------------------


def _example_cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": pd.to_datetime(["2020-01-01"] * 4 + ["2020-02-01"] * 3),
            "track": ["official", "official", "people", "people", "official", "official", "people"],
            "goldstein": [-10.0, 3.0, 1.0, 7.0, 2.0, -4.0, 5.5],
            "weight": [1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 2.0],
            "n": [4, 6, 10, 2, 5, 5, 8],
        }
    )


def test_series_ci_has_one_row_per_group_with_expected_columns() -> None:
    result = bootstrap_series_ci(_example_cells(), group_cols=["period", "track"], n_boot=500)
    assert list(result.columns) == ["period", "track", "ci_low", "ci_high"]
    assert list(zip(result["period"].dt.month, result["track"], strict=True)) == [
        (1, "official"),
        (1, "people"),
        (2, "official"),
        (2, "people"),
    ]
    # February/people is a single cell with g = 5.5.
    last = result.iloc[3]
    assert (last["ci_low"], last["ci_high"]) == (5.5, 5.5)
    # Every interval lies within the range of its group's Goldstein values.
    assert result.iloc[0]["ci_low"] >= -10.0 and result.iloc[0]["ci_high"] <= 3.0
    assert result.iloc[1]["ci_low"] >= 1.0 and result.iloc[1]["ci_high"] <= 7.0


def test_series_ci_is_reproducible_and_ignores_row_order() -> None:
    cells = _example_cells()
    first = bootstrap_series_ci(cells, group_cols=["period", "track"], seed=5)
    again = bootstrap_series_ci(cells, group_cols=["period", "track"], seed=5)
    shuffled = cells.sample(frac=1.0, random_state=3).reset_index(drop=True)
    from_shuffled = bootstrap_series_ci(shuffled, group_cols=["period", "track"], seed=5)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, from_shuffled)


def test_split_cells_give_the_same_interval_as_merged_ones() -> None:
    # 6 events of (g=3, w=2) stored as two rows of 2 and 4 are the same data.
    cells = _example_cells()
    split = pd.concat([cells.iloc[[0]], cells.iloc[[1]].assign(n=2), cells.iloc[[1]].assign(n=4)])
    merged = bootstrap_series_ci(cells.iloc[:2], group_cols=["track"], seed=1)
    from_split = bootstrap_series_ci(split, group_cols=["track"], seed=1)
    pd.testing.assert_frame_equal(merged, from_split)


def test_adding_a_group_leaves_other_intervals_unchanged() -> None:
    cells = _example_cells()
    extra = pd.DataFrame(
        {
            "period": pd.to_datetime(["2019-12-01", "2019-12-01"]),
            "track": ["mixed", "mixed"],
            "goldstein": [-2.0, 4.0],
            "weight": [1.0, 1.0],
            "n": [3, 3],
        }
    )
    base = bootstrap_series_ci(cells, group_cols=["period", "track"], seed=9)
    grown = bootstrap_series_ci(pd.concat([extra, cells]), group_cols=["period", "track"], seed=9)
    assert len(grown) == 5
    pd.testing.assert_frame_equal(grown.iloc[1:].reset_index(drop=True), base)


def test_a_different_seed_gives_a_different_interval() -> None:
    # Many distinct cells so that the quantiles are not pinned to a few possible means.
    values = np.arange(-10.0, 10.5, 0.5)
    cells = pd.DataFrame(
        {
            "track": "official",
            "goldstein": values,
            "weight": 1.0,
            "n": np.arange(1, values.size + 1),
        }
    )
    one = bootstrap_series_ci(cells, group_cols=["track"], seed=1)
    two = bootstrap_series_ci(cells, group_cols=["track"], seed=2)
    assert one.loc[0, "ci_low"] != two.loc[0, "ci_low"]


def test_series_ci_reports_missing_columns() -> None:
    with pytest.raises(InputError, match="weight"):
        bootstrap_series_ci(_example_cells().drop(columns="weight"), group_cols=["track"])


def test_series_ci_of_no_cells_is_empty() -> None:
    result = bootstrap_series_ci(_example_cells().iloc[:0], group_cols=["track"])
    assert list(result.columns) == ["track", "ci_low", "ci_high"]
    assert result.empty


# -- mark_extremes ----------------------------------------------------------------------


def test_mark_extremes_on_hand_example() -> None:
    marks = mark_extremes([3, 1, 2, 0.5, 0.5, 4])
    assert list(marks.columns) == ["is_all_time_low", "is_all_time_high", "is_record_low"]
    assert list(np.flatnonzero(marks["is_all_time_low"])) == [3, 4]
    assert list(np.flatnonzero(marks["is_record_low"])) == [1, 3]
    assert list(np.flatnonzero(marks["is_all_time_high"])) == [5]


def test_mark_extremes_skips_nan() -> None:
    # The leading NaN is not an "earlier value": 2 is the first real period, not a record.
    marks = mark_extremes([math.nan, 2.0, math.nan, 1.0, 5.0, 5.0])
    assert list(np.flatnonzero(marks["is_record_low"])) == [3]
    assert list(np.flatnonzero(marks["is_all_time_low"])) == [3]
    assert list(np.flatnonzero(marks["is_all_time_high"])) == [4, 5]


def test_mark_extremes_of_nothing() -> None:
    assert mark_extremes([]).empty
    all_nan = mark_extremes([math.nan, math.nan])
    assert not all_nan.to_numpy().any()


# -- change_points ----------------------------------------------------------------------


def _step_with_noise(seed: int) -> np.ndarray:
    return np.array([0.0] * 12 + [5.0] * 12) + np.random.default_rng(seed).normal(0.0, 0.2, 24)


def test_clear_step_is_found_at_its_first_period() -> None:
    # With this draw the penalised optimum is the single split at 12. (Other draws
    # can add a spurious split: even the 4σ²ln(n) penalty can be liberal; see the next tests.)
    assert change_points(_step_with_noise(4)) == [12]


def test_clear_step_is_found_whatever_the_noise_draw() -> None:
    # A 5-unit step in noise of sd 0.2 is 25 sd: PELT must always split there.
    for seed in range(20):
        assert 12 in change_points(_step_with_noise(seed))


def _hand_penalty(values: np.ndarray) -> float:
    differences = np.diff(values)
    mad = np.median(np.abs(differences - np.median(differences)))
    sigma = mad / 0.6745 / math.sqrt(2.0)
    return 4.0 * sigma**2 * math.log(len(values))


def _brute_force_starts(values: np.ndarray, penalty: float, min_size: int) -> list[int]:
    """Optimal partitioning by exhaustive dynamic programming over every last split."""
    size = len(values)

    def cost(start: int, end: int) -> float:
        piece = values[start:end]
        return float(np.sum((piece - piece.mean()) ** 2))

    best: dict[int, tuple[float, list[int]]] = {
        0: (0.0, [])
    }  # end -> (penalised cost of values[:end], segment starts)
    for end in range(min_size, size + 1):
        options = [
            (best[start][0] + cost(start, end) + (penalty if start else 0.0), best[start][1], start)
            for start in range(0, end - min_size + 1)
            if start in best
        ]
        if options:
            total, starts, start = min(options, key=lambda option: option[0])
            best[end] = (total, [*starts, start] if start else starts)
    return best[size][1]


def test_pelt_finds_the_penalised_least_squares_optimum() -> None:
    # PELT is exact: it must agree with a brute-force search using the documented
    # default penalty worked out independently here, spurious splits included.
    for seed in range(8):
        series = _step_with_noise(seed)
        expected = _brute_force_starts(series, _hand_penalty(series), min_size=2)
        assert change_points(series) == expected
    random_walk = np.cumsum(np.random.default_rng(99).normal(0.0, 1.0, 30))
    expected = _brute_force_starts(random_walk, _hand_penalty(random_walk), min_size=3)
    assert change_points(random_walk, min_size=3) == expected


def test_step_without_noise_uses_the_standard_deviation() -> None:
    # Differences are all 0 but one, so the MAD is 0 and the fallback std is used.
    assert change_points([0.0] * 12 + [5.0] * 12) == [12]


def test_constant_series_has_no_change_point() -> None:
    assert change_points([2.5] * 30) == []


def test_short_series_has_no_change_point() -> None:
    assert change_points([0.0, 0.0, 9.0], min_size=2) == []


def test_nan_periods_are_skipped_and_indices_map_back() -> None:
    series = list(_step_with_noise(4))
    with_gaps = [math.nan, *series[:12], math.nan, math.nan, *series[12:]]
    # The first post-step value now sits at 1 + 12 + 2 = 15.
    assert change_points(with_gaps) == [15]


def test_explicit_penalty_controls_the_split() -> None:
    series = [0.0] * 6 + [1.0] * 6
    # Splitting at 6 removes a cost of 12 * 0.5**2 = 3: taken under penalty 2.9, not 3.1.
    assert change_points(series, penalty=2.9) == [6]
    assert change_points(series, penalty=3.1) == []


def test_change_points_rejects_bad_arguments() -> None:
    with pytest.raises(InputError, match="min_size"):
        change_points([1.0, 2.0], min_size=0)
    with pytest.raises(InputError, match="penalty"):
        change_points([1.0, 2.0], penalty=-1.0)


def test_default_penalty_worked_by_hand() -> None:
    # docs/pulse-method.md: differences -0.3 0.2 0.3 -0.4 0.1 2.1 -0.3 0.2 0.2 -0.3 0.1,
    # median 0.1; absolute deviations' median 0.2; sigma = 0.2 / 0.6745 / sqrt(2)
    # = 0.209672; penalty = 4 * 0.043962 * ln 12 = 0.436954.
    series = np.array([0.1, -0.2, 0.0, 0.3, -0.1, 0.0, 2.1, 1.8, 2.0, 2.2, 1.9, 2.0])
    assert default_penalty(series) == pytest.approx(0.436954, abs=1e-6)
    # The split at 6 saves 11.80; no split inside a half can save more than that
    # half's whole cost (0.148 and 0.100), both below the penalty.
    assert change_points(series) == [6]


def test_flat_differences_fall_back_to_the_standard_deviation() -> None:
    # Six 0s then six 1s: the MAD of the differences is 0, so sigma is the sample
    # sd, sqrt(3 / 11); penalty = 4 * 3/11 * ln 12 = 2.710808.
    assert default_penalty(np.array([0.0] * 6 + [1.0] * 6)) == pytest.approx(2.710808, abs=1e-6)


def test_penalty_rule_is_one_line() -> None:
    assert "\n" not in PENALTY_RULE and "ln(n)" in PENALTY_RULE


# -- the large-sample form, used for periods with more than 5,000 events -------------------


def _sums(values: np.ndarray, weights: np.ndarray, counts: np.ndarray) -> tuple[float, ...]:
    w, g, n = weights, values, counts
    return (
        float((n * w).sum()),
        float((n * w * g).sum()),
        float((n * w * w).sum()),
        float((n * w * w * g).sum()),
        float((n * w * w * g * g).sum()),
    )


def test_large_sample_interval_agrees_with_the_exact_bootstrap() -> None:
    # 12,000 events over 40 cells: the exact multinomial bootstrap is the reference; two exact
    # runs with different seeds differ by a few % of the width, the normal form must too.
    rng = np.random.default_rng(5)
    values = rng.choice([-10.0, -2.0, 0.0, 1.9, 3.4, 7.0], 40)
    weights = rng.integers(1, 30, 40).astype(float)
    counts = rng.integers(100, 500, 40)
    exact = bootstrap_ci(values, weights, counts, n_boot=4000, rng=np.random.default_rng(1))
    normal = large_sample_ci(
        int(counts.sum()), _sums(values, weights, counts), n_boot=4000,
        rng=np.random.default_rng(2),
    )  # fmt: skip
    width = exact[1] - exact[0]
    assert abs(normal[0] - exact[0]) < 0.1 * width
    assert abs(normal[1] - exact[1]) < 0.1 * width


def test_large_sample_interval_of_one_value_is_that_value() -> None:
    # every event scores -2.0 (three mention weights): Σwg = -2·Σw in every resample
    values, weights, counts = np.array([-2.0] * 3), np.array([1.0, 4.0, 9.0]), np.array([9e3] * 3)
    low, high = large_sample_ci(27000, _sums(values, weights, counts), rng=np.random.default_rng(0))
    assert (low, high) == (pytest.approx(-2.0), pytest.approx(-2.0))


def test_large_sample_interval_by_hand_normal_theory() -> None:
    # 10,000 events, half at +1 and half at -1, weights 1: the mean is 0 and its standard
    # error sqrt(1 / 10000) = 0.01, so the 95% interval is about ±1.96 · 0.01
    sums = (10000.0, 0.0, 10000.0, 0.0, 10000.0)
    low, high = large_sample_ci(10000, sums, n_boot=20000, rng=np.random.default_rng(3))
    assert low == pytest.approx(-0.0196, abs=0.0008)
    assert high == pytest.approx(0.0196, abs=0.0008)


def test_prefix_sum_cost_gives_ruptures_own_l2_answer() -> None:
    # tracktwo runs PELT with an O(1) prefix-sum form of the l2 cost; ruptures' built-in
    # model="l2" is the reference it must match, split for split
    rng = np.random.default_rng(9)
    for _ in range(10):
        series = np.concatenate(
            [rng.normal(0, 1, 40), rng.normal(2.5, 1, 35), rng.normal(-1, 0.5, 45)]
        )
        penalty = 3.0 * math.log(series.size)
        reference = ruptures.Pelt(model="l2", min_size=2, jump=1).fit(series.reshape(-1, 1))
        expected = [end for end in reference.predict(pen=penalty) if end < series.size]
        assert change_points(series, penalty=penalty) == expected
