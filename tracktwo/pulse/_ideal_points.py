"""UN ideal points: every country's position per General Assembly session, cached in the store.

The model (a dynamic ordered-logit item-response model) is in tracktwo.pulse._ideal_posterior,
its fitting in tracktwo.pulse._ideal_model; this module reads the stored votes, fits, orients
the scale so that the United States is positive, caches the positions in ``ideal_points`` with
one row in ``ideal_point_fits`` saying what they were fitted on, and answers positions, pair
distances and the pulse's yearly signal from the cache. A cached fit is reused until the
stored votes or roll calls change (their fingerprint). Year = session + 1945, the convention
of the published UN ideal-point data. See docs/ideal-points.md.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats

from tracktwo._errors import InputError, NotFoundError
from tracktwo.pulse._ideal_model import ModelFit, Priors, VoteData, fit_model
from tracktwo.pulse._periods import check_range, validate_freq
from tracktwo.pulse._signals import pair_or_error
from tracktwo.pulse._votes import FORMER_CODES
from tracktwo.store import (
    EventStore,
    cached_ideal_fit_key,
    coded_votes_in_sessions,
    common_roll_calls_by_session,
    ideal_point_count,
    ideal_point_fit_rows,
    ideal_point_pairs,
    positions_in_sessions,
    replace_ideal_point_fit,
    stored_ideal_points,
    vote_table_digests,
    voted_session_range,
)
from tracktwo.taxonomy import load_taxonomy

__all__ = [
    "DISTANCE_COLUMNS",
    "IDEAL_COLUMNS",
    "IDEAL_SIGNAL_COLUMNS",
    "IdealPointFit",
    "fit_ideal_points",
    "ideal_distance_signal",
    "ideal_point_distance",
    "ideal_points",
]

IDEAL_COLUMNS = [
    "year",
    "country",
    "country_name",
    "ideal_point",
    "ci_low",
    "ci_high",
    "roll_calls",
]
DISTANCE_COLUMNS = ["year", "roll_calls", "distance", "ci_low", "ci_high"]
IDEAL_SIGNAL_COLUMNS = ["period", "events", "value", "ci_low", "ci_high"]

YEAR_OFFSET = 1945  # session 1 opened in 1946; session 67 is "2012"
SIGN_COUNTRY = "USA"  # the scale is oriented so that its mean position is positive
LEVEL = 0.95
_Z = float(stats.norm.ppf(0.5 + LEVEL / 2))  # 1.96
MODEL = "dynamic ordered logit, MAP by L-BFGS-B, Laplace intervals given roll calls"

# former UN members the taxonomy (current ISO codes) does not name
_FORMER_NAMES = {
    "YUG": "Yugoslavia",
    "YMD": "South Yemen",
    "DDR": "East Germany",
    "CSK": "Czechoslovakia",
    "SUN": "Soviet Union",
    "EAZ": "Zanzibar",
}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class IdealPointFit:
    """One fit: its positions (IDEAL_COLUMNS) and what it was fitted on, how and how fast."""

    positions: pd.DataFrame
    fitted_at: datetime
    seconds: float
    iterations: int
    converged: bool
    votes: int
    roll_calls: int
    countries: int
    first_year: int
    last_year: int
    log_posterior: float
    random_walk_sd: float
    fingerprint: str


# -- reading the votes -----------------------------------------------------------------------


def votes_fingerprint(store: EventStore) -> str:
    """Counts and an order-free hash of every stored vote and roll-call session: any ingest
    that adds, removes or changes one changes it."""
    votes, calls = vote_table_digests(store)
    return f"votes={votes[0]};max_rcid={votes[1]};hash={votes[2]};calls={calls[0]};{calls[1]}"


@dataclass(frozen=True)
class _Loaded:
    data: VoteData
    positions: pd.DataFrame  # country, session, roll_calls; row i is position i
    roll_calls: int


def _load_votes(store: EventStore, first_session: int, last_session: int) -> _Loaded:
    """The votes as index arrays; positions are numbered in (country, session) order."""
    coded = coded_votes_in_sessions(store, first_session, last_session)
    positions = positions_in_sessions(store, first_session, last_session)
    country_id = pd.factorize(positions["country"], sort=True)[0]
    data = VoteData.build(
        np.asarray(coded["position"], dtype=np.intp),
        np.asarray(coded["item"], dtype=np.intp),
        np.asarray(coded["choice"], dtype=np.int8),
        country_id.astype(np.intp),
        positions["session"].to_numpy(dtype=np.intp),
    )
    return _Loaded(data=data, positions=positions, roll_calls=data.n_items)


def _sessions(store: EventStore, first_year: int | None, last_year: int | None) -> tuple[int, int]:
    """The sessions to fit: the stored ones, narrowed to the years asked for."""
    stored = voted_session_range(store)
    if stored[0] is None:
        raise NotFoundError("no UN votes are stored: run `tracktwo votes ingest` first")
    if first_year is not None and last_year is not None and last_year < first_year:
        raise InputError(f"last year {last_year} is before first year {first_year}")
    first = max(int(stored[0]), (first_year or 0) - YEAR_OFFSET)
    last = min(int(stored[1]), (last_year or 10**6) - YEAR_OFFSET)
    if first > last:
        raise NotFoundError(
            f"no UN votes are stored for {first_year or ''}..{last_year or ''}: the stored "
            f"sessions run {int(stored[0]) + YEAR_OFFSET}..{int(stored[1]) + YEAR_OFFSET}"
        )
    return first, last


# -- fitting ---------------------------------------------------------------------------------


def fit_ideal_points(
    store: EventStore,
    *,
    first_year: int | None = None,
    last_year: int | None = None,
    progress: Progress | None = None,
) -> IdealPointFit:
    """Fit every country's position per session from all stored roll calls of the years
    (default: all) and cache it in the store, replacing the cached fit."""
    if store.read_only:
        raise InputError("the store is open read-only: fitting ideal points needs to write it")
    say = progress or (lambda _text: None)
    started = time.perf_counter()
    say("reading the votes")
    fingerprint = votes_fingerprint(store)
    first, last = _sessions(store, first_year, last_year)
    loaded = _load_votes(store, first, last)
    priors = Priors()
    model = fit_model(
        loaded.data,
        priors,
        on_iteration=lambda step, value: say(
            f"fitting {loaded.data.n_votes:,} votes: iteration {step}, -log posterior {value:,.1f}"
        ),
        on_stage=say,
    )
    positions = _positions_frame(loaded, _oriented(model, loaded))
    fit = IdealPointFit(
        positions=positions[IDEAL_COLUMNS],
        fitted_at=datetime.now(UTC).replace(tzinfo=None),
        seconds=time.perf_counter() - started,
        iterations=model.iterations,
        converged=model.converged,
        votes=loaded.data.n_votes,
        roll_calls=loaded.roll_calls,
        countries=int(positions["country"].nunique()),
        first_year=first + YEAR_OFFSET,
        last_year=last + YEAR_OFFSET,
        log_posterior=-model.objective,
        random_walk_sd=priors.random_walk_sd,
        fingerprint=fingerprint,
    )
    say("saving the fit")
    _save(store, fit, positions)
    return fit


def _oriented(model: ModelFit, loaded: _Loaded) -> ModelFit:
    """The same fit with every θ and β negated when the United States' mean θ is negative
    (the likelihood cannot tell the two mirror images apart)."""
    is_reference = (loaded.positions["country"] == SIGN_COUNTRY).to_numpy()
    if not is_reference.any() or model.theta[is_reference].mean() >= 0:
        return model
    return ModelFit(
        theta=-model.theta,
        beta=-model.beta,
        alpha=model.alpha,
        delta=model.delta,
        theta_sd=model.theta_sd,
        objective=model.objective,
        iterations=model.iterations,
        evaluations=model.evaluations,
        converged=model.converged,
        message=model.message,
    )


def _positions_frame(loaded: _Loaded, model: ModelFit) -> pd.DataFrame:
    z = _Z
    frame = loaded.positions.copy()
    frame["year"] = frame["session"] + YEAR_OFFSET
    frame["country_name"] = frame["country"].map(_country_name)
    frame["ideal_point"] = model.theta
    frame["std_error"] = model.theta_sd
    frame["ci_low"] = model.theta - z * model.theta_sd
    frame["ci_high"] = model.theta + z * model.theta_sd
    return frame


def _country_name(code: str) -> str:
    return load_taxonomy().countries.iso3_to_name.get(code) or _FORMER_NAMES.get(code, code)


def _save(store: EventStore, fit: IdealPointFit, positions: pd.DataFrame) -> None:
    rows = pa.table(
        {
            "session": pa.array(positions["session"], pa.int32()),
            "year": pa.array(positions["year"], pa.int32()),
            "country": pa.array(positions["country"], pa.string()),
            "ideal_point": pa.array(positions["ideal_point"], pa.float64()),
            "std_error": pa.array(positions["std_error"], pa.float64()),
            "ci_low": pa.array(positions["ci_low"], pa.float64()),
            "ci_high": pa.array(positions["ci_high"], pa.float64()),
            "roll_calls": pa.array(positions["roll_calls"], pa.int32()),
        }
    )
    max_rcid = int(fit.fingerprint.split(";")[1].removeprefix("max_rcid="))
    replace_ideal_point_fit(
        store,
        rows,
        [
            fit.fitted_at,
            fit.votes,
            fit.roll_calls,
            max_rcid,
            fit.fingerprint,
            fit.first_year,
            fit.last_year,
            fit.seconds,
            fit.iterations,
            fit.converged,
            fit.log_posterior,
            fit.random_walk_sd,
            MODEL,
        ],
    )


# -- the cache -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CachedFit:
    fingerprint: str
    first_year: int
    last_year: int


def _cached_fit(store: EventStore) -> _CachedFit | None:
    if not store.has_tables("ideal_points", "ideal_point_fits"):
        return None  # a store written before ideal points existed, opened read-only
    key = cached_ideal_fit_key(store)
    return _CachedFit(*key) if key else None


def _fresh_fit(store: EventStore) -> _CachedFit | None:
    cached = _cached_fit(store)
    return cached if cached and cached.fingerprint == votes_fingerprint(store) else None


def _ensure_fit(store: EventStore, refit: bool, progress: Progress | None) -> _CachedFit:
    """The cached fit when it matches the stored votes; otherwise fit all years now."""
    cached = None if refit else _fresh_fit(store)
    if cached is not None:
        return cached
    if store.read_only:
        raise NotFoundError("no up-to-date ideal-point fit is cached: run `tracktwo votes fit`")
    fit = fit_ideal_points(store, progress=progress)
    return _CachedFit(fit.fingerprint, fit.first_year, fit.last_year)


def _one_country(code: str) -> str:
    cleaned = code.strip().upper()
    return cleaned if cleaned in FORMER_CODES else load_taxonomy().countries.iso3(code)


def ideal_points(
    store: EventStore,
    *,
    year: int | None = None,
    country: str | None = None,
    refit: bool = False,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Positions per country and year (IDEAL_COLUMNS), highest first within a year; fits all
    years first when no fit of the current votes is cached, or when ``refit``."""
    code = _one_country(country) if country is not None else None
    cached = _ensure_fit(store, refit, progress)
    if year is not None and not cached.first_year <= year <= cached.last_year:
        raise NotFoundError(
            f"the cached ideal points cover {cached.first_year}..{cached.last_year}, not "
            f"{year}: refit all years with `tracktwo votes ideal-points --refit`"
        )
    frame = stored_ideal_points(store, year, code)
    if code is not None and frame.empty:
        raise NotFoundError(f"no ideal points of {code}: it cast no stored UN vote in those years")
    frame["country_name"] = frame["country"].map(_country_name)
    return _typed(frame[IDEAL_COLUMNS])


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True)
    for column in ("year", "roll_calls"):
        if column in out:
            out[column] = out[column].astype("int64")
    return out


# -- distances -------------------------------------------------------------------------------


def _distance_from_cache(store: EventStore, first: str, second: str) -> pd.DataFrame:
    """Per year both have a position: common roll calls and |θa - θb| with its interval."""
    frame = ideal_point_pairs(store, first, second)
    common = common_roll_calls_by_session(store, first, second)
    frame = frame.merge(common, on="session", how="left")
    frame["roll_calls"] = frame["roll_calls"].fillna(0)
    _require_positions(store, first, second, frame)
    gap = frame["point_a"] - frame["point_b"]
    # a and b are independent given the roll-call parameters (see docs/ideal-points.md)
    spread = _Z * np.sqrt(frame["se_a"] ** 2 + frame["se_b"] ** 2)
    low, high = (gap - spread).abs(), (gap + spread).abs()
    straddles = (gap - spread < 0) & (gap + spread > 0)
    frame["distance"] = gap.abs()
    frame["ci_low"] = np.where(straddles, 0.0, np.minimum(low, high))
    frame["ci_high"] = np.maximum(low, high)
    return _typed(frame[DISTANCE_COLUMNS])


def _require_positions(store: EventStore, first: str, second: str, frame: pd.DataFrame) -> None:
    if not frame.empty:
        return
    for code in (first, second):
        if not ideal_point_count(store, code):
            raise NotFoundError(f"no ideal points of {code}: it cast no stored UN vote")
    raise NotFoundError(f"{first} and {second} have no UN session in common")


def ideal_point_distance(
    store: EventStore,
    country_a: str,
    country_b: str,
    *,
    refit: bool = False,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Per year: roll calls both voted on, the ideal-point distance and its interval (fits
    all years first when no fit of the current votes is cached)."""
    first, second = pair_or_error(country_a, country_b, FORMER_CODES)
    _ensure_fit(store, refit, progress)
    return _distance_from_cache(store, first, second)


def ideal_distance_signal(
    store: EventStore,
    country_a: str,
    country_b: str,
    freq: str,
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """The yearly distance as a pulse signal (IDEAL_SIGNAL_COLUMNS; period = 1 January).

    Never fits: NotFoundError when no fit of the current votes is cached. Positions are per
    session, so any frequency but "year" gives no rows; a year is kept when it overlaps
    [since, until]."""
    chosen = validate_freq(freq)
    check_range(since, until)
    first, second = pair_or_error(country_a, country_b, FORMER_CODES)
    if _fresh_fit(store) is None:
        raise NotFoundError(
            "no ideal-point fit of the stored votes is cached: run `tracktwo votes fit`"
        )
    if chosen != "year":
        return pd.DataFrame({column: [] for column in IDEAL_SIGNAL_COLUMNS})
    frame = _distance_from_cache(store, first, second)
    keep = (frame["year"] >= (since.year if since else -math.inf)) & (
        frame["year"] <= (until.year if until else math.inf)
    )
    frame = frame[keep]
    return pd.DataFrame(
        {
            "period": [date(int(y), 1, 1) for y in frame["year"]],
            "events": frame["roll_calls"].to_numpy(),
            "value": frame["distance"].to_numpy(),
            "ci_low": frame["ci_low"].to_numpy(),
            "ci_high": frame["ci_high"].to_numpy(),
        }
    )


def cached_fit_row(store: EventStore) -> dict[str, Any] | None:
    """The ``ideal_point_fits`` row, for people and tests (None when nothing is cached)."""
    if not store.has_tables("ideal_point_fits"):
        return None
    frame = ideal_point_fit_rows(store)
    return frame.iloc[0].to_dict() if not frame.empty else None
