"""Honest figures on thin data: eligible periods, the small-sample interval (with its coverage
measured by simulation), confirmed and tentative record lows, and the one summary of a series.

Values are worked out by hand in the comments, or from the shipped files by loops that do not
use tracktwo's code.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from tracktwo import InputError
from tracktwo.cli import app
from tracktwo.datasets import dataset_path
from tracktwo.pulse import (
    MIN_ROLL_CALLS,
    SUMMARY_COLUMNS,
    mark_records,
    pulse,
    summarise_series,
    weighted_mean_interval,
)
from tracktwo.store import EventStore

DATA = Path(__file__).parent / "data"


def _sums(goldstein: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per row of draws: Σw, Σwg, Σw², Σw²g, Σw²g²."""
    return (
        weight.sum(1),
        (weight * goldstein).sum(1),
        (weight * weight).sum(1),
        (weight * weight * goldstein).sum(1),
        (weight * weight * goldstein * goldstein).sum(1),
    )


# -- the interval --------------------------------------------------------------------------


def test_three_events_by_hand() -> None:
    # -2.0, +1.9, +1.9, one mention each: r = 1.8 / 3 = 0.6; Σ(g - r)² = 2.6² + 2·1.3² =
    # 10.14; se² = 3/2 · 10.14 / 3² = 1.69, se = 1.3; n_eff = 3, 2 degrees of freedom,
    # t(0.975, 2) = 4.302653: 0.6 ± 5.593449
    g = np.array([[-2.0, 1.9, 1.9]])
    low, high = weighted_mean_interval([3], _sums(g, np.ones_like(g)))
    assert (low[0], high[0]) == (pytest.approx(0.6 - 5.593449), pytest.approx(0.6 + 5.593449))


def test_the_worked_example_of_the_method_page() -> None:
    # docs/pulse-method.md: 3 events at +1 (2 mentions), 1 at +8 (4), 2 at -2 (1): r = 34/12;
    # Σw²(g - r)² = 514.17, se = 2.070, n_eff = 4.8, t(0.975, 3.8) = 2.835: (-3.04, 8.70)
    g = np.array([[1.0, 1.0, 1.0, 8.0, -2.0, -2.0]])
    w = np.array([[2.0, 2.0, 2.0, 4.0, 1.0, 1.0]])
    low, high = weighted_mean_interval([6], _sums(g, w))
    assert (low[0], high[0]) == (pytest.approx(-3.04, abs=0.005), pytest.approx(8.70, abs=0.005))


def test_no_interval_from_one_event_or_from_no_spread() -> None:
    one = np.array([[-5.0]])
    low, high = weighted_mean_interval([1], _sums(one, np.ones_like(one)))
    assert math.isnan(low[0]) and math.isnan(high[0])  # not [-5, -5]
    same = np.array([[4.0, 4.0, 4.0, 4.0]])
    low, high = weighted_mean_interval([4], _sums(same, np.array([[1.0, 3.0, 1.0, 2.0]])))
    assert math.isnan(low[0]) and math.isnan(high[0])


def _population(home: Path) -> np.ndarray:
    with EventStore(home, read_only=True) as store:
        rows = store.con.execute(  # in a fixed order: the seeded draws index into it
            "SELECT goldstein FROM events WHERE goldstein IS NOT NULL ORDER BY event_uid"
        ).fetchall()
    return np.array([row[0] for row in rows])


@pytest.mark.parametrize("n", [20, 30])
def test_coverage_by_simulation_on_the_real_goldstein_scores(demo_store_home: Path, n) -> None:
    # the demo's 4,091 real events (ICEWS: one mention each) as the population; 2,000 seeded
    # samples of n events: the 95% interval must cover the population mean 93-97% of the time
    population = _population(demo_store_home)
    truth = population.mean()
    draws = population[np.random.default_rng(2026).integers(0, population.size, (2000, n))]
    low, high = weighted_mean_interval(np.full(2000, n), _sums(draws, np.ones_like(draws)))
    coverage = float(((low <= truth) & (truth <= high)).mean())
    assert 0.93 <= coverage <= 0.97, coverage


def test_heavy_mention_weights_the_effective_size_keeps_more_coverage() -> None:
    # real GDELT 1.0 rows (710, mentions up to 1,538): with raw mentions as weights a sample
    # of 10 holds a few heavy events. Kish's effective size sets the degrees of freedom; the
    # percentile bootstrap the pulse used before covers far less (docs/pulse-method.md)
    rows = [line.split("\t") for line in (DATA / "gdelt_v1_sample.tsv").read_text().splitlines()]
    goldstein = np.array([float(r[30]) for r in rows])
    weight = np.array([max(int(r[31]), 1) for r in rows], dtype=float)
    truth = (weight * goldstein).sum() / weight.sum()
    rng = np.random.default_rng(7)
    picks = rng.integers(0, goldstein.size, (1000, 10))
    g, w = goldstein[picks], weight[picks]
    low, high = weighted_mean_interval(np.full(1000, 10), _sums(g, w))
    t_coverage = float(((low <= truth) & (truth <= high)).mean())
    covered = 0
    for row_g, row_w in zip(g, w, strict=True):
        resample = rng.integers(0, 10, (400, 10))
        means = (row_w[resample] * row_g[resample]).sum(1) / row_w[resample].sum(1)
        lo, hi = np.quantile(means, [0.025, 0.975])
        covered += lo <= truth <= hi
    assert t_coverage >= 0.85
    assert t_coverage > covered / 1000 + 0.05


# -- records ---------------------------------------------------------------------------------


def test_confirmed_and_tentative_record_lows_by_hand() -> None:
    values = [3.0, 2.0, 1.0, 1.5, 0.5, 0.4]
    ci_high = [4.0, 2.5, 3.1, 2.0, 0.9, math.nan]
    eligible = [True, True, True, True, True, True]
    marks = mark_records(values, ci_high, eligible)
    # 2.0 < 3.0 and 2.5 < 3.0: confirmed; 1.0 < 2.0 but 3.1 is not below 2.0: tentative;
    # 1.5 no record; 0.5 < 1.0 and 0.9 < 1.0: confirmed; 0.4 < 0.5 without an interval
    assert marks["record_low"].tolist() == ["", "confirmed", "tentative", "", "confirmed",
                                            "tentative"]  # fmt: skip
    assert marks["is_all_time_low"].tolist() == [False] * 5 + [True]


def test_ineligible_periods_are_never_records_nor_extremes() -> None:
    marks = mark_records([3.0, -9.0, 2.0, 9.0], [3.5, -8.0, 2.5, 9.5], [True, False, True, False])
    # -9 and 9 are ineligible: the low is 2.0 (a confirmed record below 3.0), the high 3.0
    assert marks["record_low"].tolist() == ["", "", "confirmed", ""]
    assert marks["is_all_time_low"].tolist() == [False, False, True, False]
    assert marks["is_all_time_high"].tolist() == [True, False, False, False]


# -- the summary -----------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    years = [date(y, 1, 1) for y in (2015, 2016, 2017, 2018, 2019)]
    return pd.DataFrame({
        "period": years, "kind": "events", "series": "official",
        "events": [12, 3, 15, 20, 4],
        "value": [2.0, -4.0, 1.0, 0.5, 3.0],
        "is_partial": [False, False, False, False, True],
        "is_eligible": [True, False, True, True, False],
        "record_low": ["", "", "confirmed", "tentative", ""],
        "is_change_point": [False, False, True, False, False],
    })  # fmt: skip


def test_the_summary_by_hand() -> None:
    row = summarise_series(_frame(), "year").iloc[0]
    assert list(summarise_series(_frame(), "year").columns) == SUMMARY_COLUMNS
    # the latest value is 2019 (4 events, partial): no rank; the eligible years are 2015,
    # 2017, 2018, the lowest 2018 (0.5, 20 events), the highest 2015 (2.0); 2016's -4.0 is
    # from 3 events and counts for nothing
    assert (row["latest_period"], row["latest_value"], row["latest_n"]) == (
        date(2019, 1, 1),
        3.0,
        4,
    )
    assert pd.isna(row["latest_rank"]) and not row["latest_eligible"] and row["latest_partial"]
    assert row["eligible_periods"] == 3
    assert (row["all_time_low_period"], row["all_time_low_value"], row["all_time_low_n"]) == (
        date(2018, 1, 1), 0.5, 20)  # fmt: skip
    assert (row["all_time_high_period"], row["all_time_high_value"]) == (date(2015, 1, 1), 2.0)
    assert row["record_lows"] == "2017 confirmed, 2018 tentative"
    assert row["change_points"] == "2017"
    assert row["total_n"] == 12 + 3 + 15 + 20 + 4


def test_the_rank_of_an_eligible_latest() -> None:
    frame = _frame().iloc[:4]  # up to 2018: 0.5 is the lowest of 3 eligible years
    assert summarise_series(frame, "year").iloc[0]["latest_rank"] == 1
    frame = _frame().iloc[:3]  # up to 2017: 1.0 beats 2015's 2.0
    assert summarise_series(frame, "year").iloc[0]["latest_rank"] == 1
    frame = _frame().assign(value=[2.0, -4.0, 1.0, 3.0, 3.0]).iloc[:4]  # 3.0: the highest
    assert summarise_series(frame, "year").iloc[0]["latest_rank"] == 3


# -- on the shipped data ---------------------------------------------------------------------


def _yearly_agreement() -> dict[int, tuple[int, float]]:
    """Year -> (roll calls, agreement) of Cambodia and the US, straight from the CSVs."""
    with gzip.open(dataset_path("un_roll_calls.csv.gz"), "rt", encoding="utf-8") as handle:
        year_of = {int(float(r["rcid"])): int(r["date"][:4]) for r in csv.DictReader(handle)}
    votes: dict[int, dict[str, str]] = defaultdict(dict)
    with gzip.open(dataset_path("un_votes_khm_usa.csv.gz"), "rt", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            votes[int(float(r["rcid"]))][r["country_code"]] = r["vote"]
    scores: dict[int, list[float]] = defaultdict(list)
    for rcid, pair in votes.items():
        if "KH" in pair and "US" in pair:
            kh, us = pair["KH"], pair["US"]
            score = 1.0 if kh == us else 0.5 if "abstain" in (kh, us) else 0.0
            scores[year_of[rcid]].append(score)
    return {year: (len(s), sum(s) / len(s)) for year, s in scores.items()}


def test_un_agreement_all_time_low_is_2007_not_1965(demo_store_home: Path) -> None:
    by_year = _yearly_agreement()
    eligible = {y: v for y, (n, v) in by_year.items() if n >= MIN_ROLL_CALLS and y != 2020}
    lowest = min(eligible, key=eligible.get)
    assert lowest == 2007 and by_year[1965][0] == 3 and by_year[2020][0] == 1
    with EventStore(demo_store_home, read_only=True) as store:
        result = pulse(store, "KHM", "USA", freq="year", by="none")
    votes = result.signals[result.signals["series"] == "UN vote agreement"].set_index("period")
    assert bool(votes.loc[date(2007, 1, 1), "is_all_time_low"])
    assert votes.loc[date(2007, 1, 1), "events"] == by_year[2007][0]
    assert not votes.loc[date(1965, 1, 1), "is_eligible"]
    assert (
        votes.loc[date(2020, 1, 1), "is_partial"] and not votes.loc[date(2020, 1, 1), "is_eligible"]
    )
    summary = result.summary().set_index("series").loc["UN vote agreement"]
    assert summary["all_time_low_period"] == date(2007, 1, 1)
    assert summary["all_time_low_value"] == pytest.approx(by_year[2007][1])
    assert summary["eligible_periods"] == len(eligible)


def test_the_single_2006_mixed_event_has_no_interval_and_is_no_record(demo_store_home) -> None:
    with EventStore(demo_store_home, read_only=True) as store:
        events = pulse(store, "KHM", "USA", freq="year").events
    mixed = events[events["series"] == "mixed"].set_index("period")
    row = mixed.loc[date(2006, 1, 1)]
    assert (row["events"], row["value"]) == (1, -5.0)
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
    assert not row["is_eligible"] and not row["is_all_time_low"] and row["record_low"] == ""


def test_cli_summary_and_min_support(demo_store_home: Path) -> None:
    runner = CliRunner()
    base = ["--home", str(demo_store_home), "pulse", "KHM", "USA", "--freq", "year"]
    out = runner.invoke(app, [*base, "--summary", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(out.stdout.splitlines()))
    assert list(rows[0]) == SUMMARY_COLUMNS
    mixed = next(r for r in rows if r["series"] == "mixed")
    assert mixed["eligible_periods"] == "0" and mixed["all_time_low_period"] == ""
    # with --min-support 1 the mixed track's single events count: its low is -5.0 (2006,
    # the first year at -5.0; 2008, 2014 and 2015 are level with it)
    out = runner.invoke(app, [*base, "--summary", "--format", "csv", "--min-support", "1"])
    mixed = next(r for r in csv.DictReader(out.stdout.splitlines()) if r["series"] == "mixed")
    assert (mixed["all_time_low_period"], float(mixed["all_time_low_value"])) == (
        "2006-01-01",
        -5.0,
    )
    bad = runner.invoke(app, [*base, "--min-support", "0"])
    assert isinstance(bad.exception, InputError) and "min_support" in str(bad.exception)
    assert stats.t.ppf(0.975, 2) == pytest.approx(4.302653)  # the quantile used above
