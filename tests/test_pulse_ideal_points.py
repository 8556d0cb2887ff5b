"""UN ideal points: the model's gradient, its recovery of positions simulated from the model
itself, the real 2012 positions, the cache in the store, distances, the CLI and the pulse."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest

from tracktwo._errors import NotFoundError
from tracktwo.datasets import dataset_path
from tracktwo.pulse import (
    IDEAL_SERIES,
    fit_ideal_points,
    ideal_distance_signal,
    ideal_point_distance,
    ideal_points,
    ingest_votes,
    pulse,
)
from tracktwo.pulse._ideal_model import Priors, VoteData, fit_model, negative_log_posterior
from tracktwo.pulse._ideal_points import cached_fit_row
from tracktwo.store import EventStore


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _simulate(
    rng: np.random.Generator, countries: int, sessions: int, per_session: int, walk_sd: float
) -> tuple[VoteData, np.ndarray]:
    """Votes drawn from the model's own definition: P(vote >= abstain) = logistic(βθ − α),
    P(yes) = logistic(βθ − α − exp δ); θ a random walk per country; every fourth country
    skips its second session (a gap of two sessions in its walk)."""
    start = rng.normal(0.0, 1.0, (countries, 1))
    theta = np.cumsum(np.c_[start, rng.normal(0.0, walk_sd, (countries, sessions - 1))], axis=1)
    present = np.ones((countries, sessions), dtype=bool)
    present[::4, 1] = False
    country_of, session_of = np.nonzero(present)  # positions in (country, session) order
    position_id = -np.ones((countries, sessions), dtype=np.intp)
    position_id[country_of, session_of] = np.arange(country_of.size)
    positions, items, choices = [], [], []
    for session in range(sessions):
        voters = np.flatnonzero(present[:, session])
        for number in range(per_session):
            item = session * per_session + number
            beta = rng.normal(0.0, 1.5)
            alpha = rng.normal(0.0, 1.0)
            gap = np.exp(rng.normal(0.0, 0.5))
            eta = beta * theta[voters, session]
            u = rng.random(voters.size)
            at_least_abstain = u < _logistic(eta - alpha)
            yes = u < _logistic(eta - alpha - gap)
            choice = np.where(yes, 2, np.where(at_least_abstain, 1, 0))
            positions.extend(position_id[voters, session])
            items.extend([item] * voters.size)
            choices.extend(choice)
    data = VoteData.build(
        np.array(positions, dtype=np.intp),
        np.array(items, dtype=np.intp),
        np.array(choices, dtype=np.int8),
        country_of.astype(np.intp),
        session_of.astype(np.intp),
    )
    return data, theta[country_of, session_of]


def test_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(3)
    data, _ = _simulate(rng, countries=12, sessions=3, per_session=5, walk_sd=0.3)
    assert data.n_no and data.n_yes and data.n_votes - data.n_no - data.n_yes  # all three kinds
    x = rng.normal(0.0, 0.7, data.n_parameters)
    priors = Priors()
    _, grad = negative_log_posterior(x, data, priors)
    step = 1e-6
    numeric = np.empty_like(x)
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        numeric[i] = (
            negative_log_posterior(up, data, priors)[0]
            - negative_log_posterior(down, data, priors)[0]
        ) / (2 * step)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_recovers_positions_simulated_from_the_model() -> None:
    rng = np.random.default_rng(11)
    data, truth = _simulate(rng, countries=60, sessions=5, per_session=40, walk_sd=0.2)
    fit = fit_model(data)
    assert fit.converged, fit.message
    correlation = abs(np.corrcoef(fit.theta, truth)[0, 1])  # the sign is not identified
    assert correlation >= 0.95
    # the intervals say what they know: most true positions lie inside ±1.96 sd, after the
    # scale is matched (the fitted scale is the truth's up to a shift and a stretch)
    slope, intercept = np.polyfit(truth, fit.theta, 1)
    matched = (fit.theta - intercept) / slope
    inside = np.abs(matched - truth) <= 1.96 * fit.theta_sd / abs(slope)
    assert inside.mean() >= 0.8


# -- the real votes (the demo store fits them all, 1946-2019) --------------------------------


def test_real_2012_positions_put_the_two_camps_apart(demo_store_home: Path) -> None:
    with EventStore(demo_store_home, read_only=True) as store:
        year = ideal_points(store, year=2012).set_index("country")
    for country in ("USA", "ISR", "GBR"):
        assert year.loc[country, "ideal_point"] > 0, country
    for country in ("CUB", "SYR", "PRK"):
        assert year.loc[country, "ideal_point"] < 0, country
    # the United States voted on every one of 2012's recorded roll calls with the others
    assert year.loc["USA", "roll_calls"] >= year["roll_calls"].median()
    assert (year["ci_low"] < year["ideal_point"]).all()
    assert (year["ideal_point"] < year["ci_high"]).all()
    assert year.index.size > 180  # every member that voted


def test_distance_is_the_gap_between_the_two_positions(demo_store_home: Path) -> None:
    with EventStore(demo_store_home, read_only=True) as store:
        khm = ideal_points(store, country="KHM").set_index("year")
        usa = ideal_points(store, country="USA").set_index("year")
        distance = ideal_point_distance(store, "KHM", "USA").set_index("year")
    gap = abs(khm.loc[2012, "ideal_point"] - usa.loc[2012, "ideal_point"])
    assert distance.loc[2012, "distance"] == pytest.approx(gap)
    # the standard errors come back from the 95% intervals: half-width / 1.96
    se_khm = (khm.loc[2012, "ci_high"] - khm.loc[2012, "ci_low"]) / 2 / 1.959964
    se_usa = (usa.loc[2012, "ci_high"] - usa.loc[2012, "ci_low"]) / 2 / 1.959964
    half = 1.959964 * np.hypot(se_khm, se_usa)
    assert distance.loc[2012, "ci_low"] == pytest.approx(gap - half, rel=1e-4)
    assert distance.loc[2012, "ci_high"] == pytest.approx(gap + half, rel=1e-4)
    # both voted on 83 roll calls of session 67 (counted from the shipped votes)
    assert distance.loc[2012, "roll_calls"] == _common_roll_calls(67)


def _common_roll_calls(session: int) -> int:
    with gzip.open(dataset_path("un_roll_calls.csv.gz"), "rt") as handle:
        in_session = {
            row["rcid"] for row in csv.DictReader(handle) if float(row["session"]) == session
        }
    voters: dict[str, set[str]] = {}
    with gzip.open(dataset_path("un_votes.csv.gz"), "rt") as handle:
        for row in csv.DictReader(handle):
            if row["rcid"] in in_session and row["country_code"] in ("KH", "US"):
                voters.setdefault(row["rcid"], set()).add(row["country_code"])
    return sum(len(codes) == 2 for codes in voters.values())


def test_pulse_shows_the_distance_as_a_signal_where_the_worst_is_the_widest(
    demo_store_home: Path,
) -> None:
    with EventStore(demo_store_home, read_only=True) as store:
        result = pulse(store, "KHM", "USA", freq="year", by="none", since=None)
        distance = ideal_point_distance(store, "KHM", "USA").set_index("year")
    rows = result.signals[result.signals["series"] == IDEAL_SERIES].set_index("period")
    assert len(rows) == len(distance)
    widest = distance["distance"][distance["roll_calls"] >= 20].idxmax()
    lows = rows[rows["is_all_time_low"]]
    assert [period.year for period in lows.index] == [widest]
    # the summary agrees: its low is the widest year, rank 1 the widest
    summary = result.summary().set_index("series").loc[IDEAL_SERIES]
    assert summary["all_time_low_period"].year == widest
    eligible = distance["distance"][distance["roll_calls"] >= 20]
    latest = distance["distance"].iloc[-1]
    assert summary["latest_rank"] == int((eligible > latest).sum()) + 1


# -- the cache -------------------------------------------------------------------------------


def _two_sessions(tmp_path: Path, change_one_vote: bool = False) -> Path:
    """The shipped votes of sessions 66 and 67 (2011 and 2012), optionally with Cambodia's
    first vote turned round: a small real file that fits in about a second."""
    with gzip.open(dataset_path("un_roll_calls.csv.gz"), "rt") as handle:
        wanted = {
            row["rcid"] for row in csv.DictReader(handle) if float(row["session"]) in (66, 67)
        }
    path = tmp_path / ("changed.csv" if change_one_vote else "votes.csv")
    changed = False
    with gzip.open(dataset_path("un_votes.csv.gz"), "rt") as source, open(path, "w") as out:
        reader = csv.DictReader(source)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        for row in reader:
            if row["rcid"] not in wanted:
                continue
            if change_one_vote and not changed and row["country_code"] == "KH":
                row["vote"] = "no" if row["vote"] == "yes" else "yes"
                changed = True
            writer.writerow(row)
    return path


def test_the_fit_is_cached_and_refitted_only_when_the_votes_change(
    store: EventStore, tmp_path: Path
) -> None:
    calls = dataset_path("un_roll_calls.csv.gz")
    ingest_votes(store, _two_sessions(tmp_path), calls)
    with pytest.raises(NotFoundError, match="votes fit"):  # the pulse's signal never fits
        ideal_distance_signal(store, "KHM", "USA", "year")
    assert cached_fit_row(store) is None
    fit = fit_ideal_points(store)
    assert (fit.first_year, fit.last_year) == (2011, 2012)
    first = cached_fit_row(store)
    assert first is not None
    ideal_points(store, year=2012)  # reuses the cache
    ideal_point_distance(store, "KHM", "USA")
    assert cached_fit_row(store) == first
    assert len(ideal_distance_signal(store, "KHM", "USA", "year")) == 2
    ingest_votes(store, _two_sessions(tmp_path, change_one_vote=True), calls)
    with pytest.raises(NotFoundError, match="votes fit"):  # stale: it says so
        ideal_distance_signal(store, "KHM", "USA", "year")
    ideal_points(store, year=2012)  # refits the changed votes
    second = cached_fit_row(store)
    assert second is not None and second["fingerprint"] != first["fingerprint"]
    with pytest.raises(NotFoundError, match=r"2011\.\.2012"):
        ideal_points(store, year=1990)


def test_cli_ideal_points_and_distance(demo_store_home: Path) -> None:
    from typer.testing import CliRunner

    from tracktwo.cli import app

    runner = CliRunner()
    home = ["--home", str(demo_store_home)]
    shown = runner.invoke(
        app, [*home, "votes", "ideal-points", "--year", "2012", "--country", "KHM", "-f", "csv"]
    )
    assert shown.exit_code == 0, shown.output
    header, row = shown.output.strip().splitlines()
    assert header == "year,country,country_name,ideal_point,ci_low,ci_high,roll_calls"
    assert row.startswith("2012,KHM,Cambodia,")
    far = runner.invoke(app, [*home, "votes", "distance", "KHM", "USA", "-f", "csv"])
    assert far.exit_code == 0, far.output
    assert far.output.splitlines()[0] == "year,roll_calls,distance,ci_low,ci_high"
    unknown = runner.invoke(app, [*home, "votes", "ideal-points", "--country", "XXX"])
    assert unknown.exit_code != 0
    assert "Traceback" not in unknown.output
