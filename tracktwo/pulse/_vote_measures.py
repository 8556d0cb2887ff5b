"""How alike two countries vote in the UN General Assembly, per period or per issue.

Each roll call both countries voted on (yes, abstain or no; absences are not recorded) puts the
two votes on Signorino and Ritter's three-point scale, yes 0, abstain 1, no 2, so the distance
``d = |x_a - x_b|`` is 0, 1 or 2 (``d_max = 2``). Over a period's ``n`` common roll calls:

* ``agreement``  mean of ``1 - d / 2``: 1 the same vote, 0.5 exactly one abstains, 0 yes vs no;
* ``identical``  share of roll calls with the same vote;
* ``s-score``    ``S = 1 - 2 * sum(d) / (n * d_max)`` (Signorino & Ritter 1999, "Tau-b or not
  tau-b", ISQ 43(1)); unweighted on this scale it is ``2 * agreement - 1``;
* ``kappa``      Cohen's kappa ``(p_o - p_e) / (1 - p_e)`` of the two countries' votes, with
  ``p_o`` the identical share and ``p_e`` the sum over yes/abstain/no of the product of the
  two countries' shares of that vote in the period (Häge 2011, "Choice or circumstance?",
  Political Analysis 19(3)); NaN when ``p_e`` is 1 (both cast one and the same vote
  throughout, so there is nothing beyond chance to measure).

The interval is a percentile bootstrap over the period's roll calls, drawn from a generator
seeded with (seed, period), so one period's interval does not depend on the others.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from tracktwo._errors import InputError, NotFoundError
from tracktwo.pulse._periods import check_range, period_start, validate_freq
from tracktwo.pulse._signals import pair_or_error
from tracktwo.pulse._votes import FORMER_CODES, ISSUE_NAMES, issue_choices, require_votes
from tracktwo.store import EventStore, paired_votes

__all__ = [
    "GROUPINGS",
    "ISSUE_COLUMNS",
    "MEASURES",
    "MEASURE_COLUMNS",
    "SESSION_YEAR",
    "score",
    "vote_issues",
    "vote_measure",
    "voting_agreement",
]

Votes = np.ndarray  # positions on the 3-point scale; roll calls on the last axis

MEASURES = ("agreement", "identical", "s-score", "kappa")
GROUPINGS = ("year", "session", "month", "quarter")
MEASURE_COLUMNS = ["period", "session", "measure", "roll_calls", "value", "ci_low", "ci_high"]
ISSUE_COLUMNS = ["issue_code", "issue", "roll_calls", "value", "ci_low", "ci_high"]

# session n of the General Assembly opens in September of 1945 + n (the 1st in January 1946)
SESSION_YEAR = 1945

_SCALE = {"yes": 0, "abstain": 1, "no": 2}
_D_MAX = 2
# bootstrap replicates are drawn in blocks of about this many votes, to bound memory
_BLOCK_VOTES = 2_000_000


# -- the measures ----------------------------------------------------------------------------


def _agreement(a: Votes, b: Votes) -> Votes:
    return 1.0 - np.abs(a - b).mean(axis=-1) / _D_MAX


def _identical(a: Votes, b: Votes) -> Votes:
    return (a == b).mean(axis=-1)


def _s_score(a: Votes, b: Votes) -> Votes:
    return 1.0 - 2.0 * np.abs(a - b).sum(axis=-1) / (a.shape[-1] * _D_MAX)


def _kappa(a: Votes, b: Votes) -> Votes:
    observed = (a == b).mean(axis=-1)
    chance = sum((a == k).mean(axis=-1) * (b == k).mean(axis=-1) for k in _SCALE.values())
    # chance is exactly 1.0 only when both countries cast the same single vote throughout
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (observed - chance) / (1.0 - chance)
    return np.where(chance >= 1.0, np.nan, kappa)


_MEASURE_FUNCTIONS: dict[str, Callable[[Votes, Votes], Votes]] = {
    "agreement": _agreement,
    "identical": _identical,
    "s-score": _s_score,
    "kappa": _kappa,
}


def score(
    measure: str, a: Votes, b: Votes, *, rng: np.random.Generator, n_boot: int, level: float
) -> tuple[float, float, float]:
    """(value, ci_low, ci_high) of ``measure`` over paired votes ``a``, ``b``.

    The interval is the percentile bootstrap of ``n_boot`` resamples of the roll calls (kappa
    recomputed on each; resamples where it is undefined are left out); NaN with fewer than
    two roll calls, with ``n_boot`` 0, when the value itself is undefined, or when every
    resample gives the same value.
    """
    function = _MEASURE_FUNCTIONS[measure]
    value = float(function(a, b))
    if n_boot == 0 or a.size < 2 or np.isnan(value):
        return value, np.nan, np.nan
    per_block = max(1, _BLOCK_VOTES // a.size)
    replicates = []
    for start in range(0, n_boot, per_block):
        picks = rng.integers(0, a.size, size=(min(per_block, n_boot - start), a.size))
        replicates.append(function(a[picks], b[picks]))
    drawn = np.concatenate(replicates)
    drawn = drawn[~np.isnan(drawn)]
    # every resample alike (e.g. 3 roll calls all voted apart): no spread to learn the
    # uncertainty from, so no interval, as for the event tracks (docs/pulse-method.md)
    if not drawn.size or drawn.min() == drawn.max():
        return value, np.nan, np.nan
    low, high = np.quantile(drawn, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return value, float(low), float(high)


def _score_groups(
    paired: pd.DataFrame,
    key: str,
    measure: str,
    key_seed: Callable[[object], int],
    options: tuple[int, int, float],
) -> pd.DataFrame:
    """One row per value of ``key``, in order: key, roll_calls, value, ci_low, ci_high."""
    seed, n_boot, level = options
    ordered = paired.sort_values(key, kind="stable")
    a = ordered["vote_a"].map(_SCALE).to_numpy(dtype=np.int64)
    b = ordered["vote_b"].map(_SCALE).to_numpy(dtype=np.int64)
    labels, starts = np.unique(ordered[key].to_numpy(), return_index=True)
    # np.split of nothing still gives one (empty) part
    parts = zip(np.split(a, starts[1:]), np.split(b, starts[1:]), strict=True) if a.size else []
    rows = []
    for label, (part_a, part_b) in zip(labels, parts, strict=True):
        rng = np.random.default_rng([seed, key_seed(label)])
        value, low, high = score(measure, part_a, part_b, rng=rng, n_boot=n_boot, level=level)
        rows.append((label, part_a.size, value, low, high))
    frame = pd.DataFrame(rows, columns=[key, "roll_calls", "value", "ci_low", "ci_high"])
    return frame.astype({"roll_calls": "int64", "value": float, "ci_low": float, "ci_high": float})


# -- options ---------------------------------------------------------------------------------


def _choice(value: str, choices: tuple[str, ...], what: str) -> str:
    chosen = str(value).strip().lower()
    if chosen not in choices:
        raise InputError(f"{what} {value!r} is not one of {', '.join(choices)}")
    return chosen


def _issue(issue: str) -> str:
    code = str(issue).strip().lower()
    if code not in ISSUE_NAMES:
        raise InputError(f"issue {issue!r} is not one of {issue_choices()}")
    return code


def _bootstrap_options(seed: int, n_boot: int, level: float) -> tuple[int, int, float]:
    if not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed {seed!r} is not a whole number >= 0")
    if not isinstance(n_boot, int) or n_boot < 0:
        raise InputError(f"n_boot {n_boot!r} is not a whole number >= 0 (0: no interval)")
    if not 0.0 < level < 1.0:
        raise InputError(f"level {level!r} is not between 0 and 1 (0.95 for a 95% interval)")
    return seed, n_boot, level


def _require_issues(store: EventStore) -> None:
    stored = store.has_tables("roll_call_issues") and store.count("roll_call_issues") > 0
    if not stored:
        raise NotFoundError(
            "no issue codes of roll calls are stored: run `tracktwo votes ingest` "
            "(it loads the shipped issue codes)"
        )


# -- the store -------------------------------------------------------------------------------


def _pair(store: EventStore, country_a: str, country_b: str) -> tuple[str, str]:
    first, second = pair_or_error(country_a, country_b, FORMER_CODES)
    for country in (first, second):
        require_votes(store, country)
    return first, second


def _with_periods(paired: pd.DataFrame, by: str) -> pd.DataFrame:
    """Add ``period`` (a date) and ``session`` (the session for by=session, else NA)."""
    if by == "session":
        periods = [date(int(s) + SESSION_YEAR, 1, 1) for s in paired["session"]]
        return paired.assign(period=periods, session=paired["session"].astype("Int64"))
    periods = [period_start(day, by) for day in paired["vote_date"]]
    return paired.assign(
        period=periods, session=pd.Series(pd.NA, index=paired.index, dtype="Int64")
    )


# -- public ----------------------------------------------------------------------------------


def vote_measure(
    store: EventStore,
    country_a: str,
    country_b: str,
    *,
    measure: str = "agreement",
    by: str = "year",
    issue: str | None = None,
    since: date | None = None,
    until: date | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    level: float = 0.95,
) -> pd.DataFrame:
    """Per period, ``measure`` of how alike the two countries vote, with a bootstrap interval.

    ``by``: year (of the vote date), session (labelled Jan 1 of session + 1945), month or
    quarter. ``issue`` keeps the roll calls with that issue code (me, nu, di, hr, co, ec).
    Columns: period, session (by=session only), measure, roll_calls, value, ci_low, ci_high.
    Periods with no common roll call are absent. ``n_boot=0`` gives no interval.
    """
    measure = _choice(measure, MEASURES, "measure")
    by = _choice(by, GROUPINGS, "by")
    code = _issue(issue) if issue is not None else None
    options = _bootstrap_options(seed, n_boot, level)
    check_range(since, until)
    pair = _pair(store, country_a, country_b)
    if code is not None:
        _require_issues(store)
    paired = _with_periods(paired_votes(store, pair, since, until, issue=code), by)
    frame = _score_groups(paired, "period", measure, _period_seed, options)
    sessions = paired.drop_duplicates("period").set_index("period")["session"]
    frame["session"] = frame["period"].map(sessions).astype("Int64")
    frame["measure"] = measure
    return frame[MEASURE_COLUMNS].reset_index(drop=True)


def _period_seed(period: object) -> int:
    assert isinstance(period, date)
    return period.toordinal()


def _issue_seed(code: object) -> int:
    # from the code's letters, so adding an issue never moves another issue's interval
    return int.from_bytes(str(code).encode(), "big")


def vote_issues(
    store: EventStore,
    country_a: str,
    country_b: str,
    *,
    measure: str = "agreement",
    since: date | None = None,
    until: date | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per issue code over [since, until]: issue_code, issue, roll_calls, value,
    ci_low, ci_high, from most to least alike (issues with no common roll call last)."""
    measure = _choice(measure, MEASURES, "measure")
    options = _bootstrap_options(seed, n_boot, level)
    check_range(since, until)
    pair = _pair(store, country_a, country_b)
    _require_issues(store)
    paired = paired_votes(store, pair, since, until, by_issue=True)
    scored = _score_groups(paired, "issue_code", measure, _issue_seed, options)
    every = pd.DataFrame({"issue_code": list(ISSUE_NAMES), "issue": list(ISSUE_NAMES.values())})
    frame = every.merge(scored, on="issue_code", how="left")
    frame["roll_calls"] = frame["roll_calls"].fillna(0).astype("int64")
    frame = frame.sort_values(["value", "issue_code"], ascending=[False, True], na_position="last")
    return frame[ISSUE_COLUMNS].reset_index(drop=True)


def voting_agreement(
    store: EventStore,
    country_a: str,
    country_b: str,
    freq: str = "year",
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """Per period (month, quarter or year): ``roll_calls`` both countries voted on and their
    mean ``agreement``, with no interval: the pulse's UN-vote signal (see
    :func:`vote_measure` for the other measures and the intervals)."""
    freq = validate_freq(freq)
    check_range(since, until)
    pair = _pair(store, country_a, country_b)
    paired = _with_periods(paired_votes(store, pair, since, until), freq)
    frame = _score_groups(paired, "period", "agreement", lambda _: 0, (0, 0, 0.95))
    return frame.rename(columns={"value": "agreement"})[["period", "roll_calls", "agreement"]]
