"""Statistics behind ``tracktwo pulse``: bootstrap intervals, record lows and change points.

The pulse value of a period is the mention-weighted mean Goldstein score
``sum(n * m * g) / sum(n * m)`` over aggregated *cells*: each distinct pair of a
Goldstein value ``g`` and a mention weight ``m`` with the number ``n`` of events
having it. Goldstein is fixed per CAMEO code, so a period holds few cells even
when it holds millions of events.

Resampling the ``N`` events of a period with replacement (the ordinary
nonparametric bootstrap) only changes how many events fall in each cell, and
those counts follow ``Multinomial(N, n / N)`` exactly. Drawing the counts
directly gives the same bootstrap distribution at a cost that depends on the
number of cells, not of events. See docs/pulse-method.md.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd
import ruptures
from scipy import stats

from tracktwo._errors import InputError

__all__ = [
    "PENALTY_RULE",
    "RECORD_CONFIRMED",
    "RECORD_TENTATIVE",
    "bootstrap_ci",
    "bootstrap_series_ci",
    "change_points",
    "default_penalty",
    "group_rng",
    "large_sample_ci",
    "mark_extremes",
    "mark_records",
    "weighted_mean_interval",
]

PENALTY_RULE = (
    "PELT (least squares), penalty 4·σ²·ln(n), σ = MAD of first differences / 0.6745 / √2"
)

CELL_COLUMNS = ("goldstein", "weight", "n")

# A series of values: a list, a NumPy array or a pandas Series all work.
FloatSeries: TypeAlias = Sequence[float] | np.ndarray | pd.Series

# Scale factor making the median absolute deviation a consistent estimate of the
# standard deviation of a normal distribution.
_MAD_TO_SIGMA = 0.6745


# -- bootstrap --------------------------------------------------------------------------


def _check_bootstrap_options(n_boot: int, level: float) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise InputError(f"n_boot must be a positive integer, got {n_boot!r}")
    if not 0.0 < level < 1.0:
        raise InputError(f"level must lie strictly between 0 and 1, got {level!r}")


def _check_cells(
    values: np.ndarray, weights: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the three arrays as 1-D float/float/int64, or raise InputError."""
    goldstein = np.asarray(values, dtype=float)
    weight = np.asarray(weights, dtype=float)
    raw_counts = np.asarray(counts)
    if (
        goldstein.ndim != 1
        or weight.shape != goldstein.shape
        or raw_counts.shape != goldstein.shape
    ):
        raise InputError(
            "values, weights and counts must be 1-D arrays of one length, got shapes "
            f"{goldstein.shape}, {weight.shape}, {raw_counts.shape}"
        )
    if not (np.isfinite(goldstein).all() and np.isfinite(weight).all()):
        raise InputError("values and weights must be finite numbers")
    if (weight < 0).any():
        raise InputError("weights must not be negative")
    as_float = raw_counts.astype(float)
    if not np.isfinite(as_float).all() or (as_float < 0).any() or (as_float % 1 != 0).any():
        raise InputError("counts must be non-negative whole numbers")
    return goldstein, weight, raw_counts.astype(np.int64)


def _percentile_interval(estimates: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(estimates, [tail, 1.0 - tail])
    return float(low), float(high)


def bootstrap_ci(
    values: np.ndarray,
    weights: np.ndarray,
    counts: np.ndarray,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the weighted mean ``sum(c·w·g) / sum(c·w)``.

    ``values`` (Goldstein ``g``), ``weights`` (mention weight ``w``) and ``counts``
    (events ``c``) describe one period's cells. Each replicate draws new counts
    from ``Multinomial(N, counts / N)``, which is exactly the distribution of cell
    counts when the ``N`` events are resampled with replacement.

    Returns ``(nan, nan)`` when there are no events or no event has a positive
    weight, and ``(g, g)`` when every weighted event has the same value ``g``.
    Replicates whose drawn events all have weight zero have no mean and are left
    out of the percentiles.
    """
    _check_bootstrap_options(n_boot, level)
    goldstein, weight, event_counts = _check_cells(values, weights, counts)
    present = event_counts > 0
    goldstein, weight, event_counts = goldstein[present], weight[present], event_counts[present]
    total_events = int(event_counts.sum())
    weighted = weight > 0
    if total_events == 0 or not weighted.any():
        return math.nan, math.nan
    distinct_values = np.unique(goldstein[weighted])
    if distinct_values.size == 1:
        # Every replicate mean is this value; skip the draws (and their rounding).
        only = float(distinct_values[0])
        return only, only
    drawn = rng.multinomial(total_events, event_counts / total_events, size=n_boot)
    weight_sums = drawn @ weight
    usable = weight_sums > 0
    if not usable.any():
        return math.nan, math.nan
    means = (drawn[usable] @ (weight * goldstein)) / weight_sums[usable]
    return _percentile_interval(means, level)


def large_sample_ci(
    events: int,
    sums: tuple[float, float, float, float, float],
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """The bootstrap interval of ``Σwg / Σw`` for a period with many events, from five sums.

    Resampling N events with replacement makes the resampled sums ``(Σw, Σwg)`` a sum of N
    independent draws of one event's ``(w, wg)``; for large N that is bivariate normal with
    mean ``(Σw, Σwg)`` and covariance N·Cov(w, wg), both known exactly from
    ``sums = (Σw, Σwg, Σw², Σw²g, Σw²g²)``. Drawing the sums from it costs n_boot draws
    whatever the number of cells, where the exact multinomial draw costs n_boot × cells.
    """
    _check_bootstrap_options(n_boot, level)
    sw, swg, sww, swwg, swwgg = (float(v) for v in sums)
    if events <= 0 or sw <= 0:
        return math.nan, math.nan
    mean = np.array([sw, swg]) / events
    second = np.array([[sww, swwg], [swwg, swwgg]]) / events
    covariance = (second - np.outer(mean, mean)) * events
    ratio = swg / sw
    # Σ w²(g − ratio)² is 0 exactly when every weighted event has the value ``ratio``:
    # then Σwg = ratio·Σw in every resample
    spread = swwgg - 2 * ratio * swwg + ratio * ratio * sww
    if spread <= 1e-12 * (swwgg + ratio * ratio * sww):
        return ratio, ratio
    drawn = rng.multivariate_normal(mean * events, covariance, size=n_boot, method="eigh")
    usable = drawn[:, 0] > 0
    if not usable.any():
        return math.nan, math.nan
    return _percentile_interval(drawn[usable, 1] / drawn[usable, 0], level)


def group_rng(seed: int, key: tuple[object, ...]) -> np.random.Generator:
    """A generator that depends only on the seed and the group's key, never on other groups."""
    key_text = "\x1f".join(str(part) for part in key)
    return np.random.default_rng([seed, zlib.crc32(key_text.encode("utf-8"))])


def _check_cell_frame(cells: pd.DataFrame, group_cols: list[str]) -> None:
    if not isinstance(cells, pd.DataFrame):
        raise InputError(f"cells must be a pandas DataFrame, got {type(cells).__name__}")
    if not group_cols:
        raise InputError("group_cols must name at least one column")
    missing = [name for name in [*group_cols, *CELL_COLUMNS] if name not in cells.columns]
    if missing:
        raise InputError(
            f"cells lacks column(s) {', '.join(missing)}; it needs "
            f"{', '.join([*group_cols, *CELL_COLUMNS])}"
        )


def bootstrap_series_ci(
    cells: pd.DataFrame,
    *,
    group_cols: list[str],
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """One bootstrap interval per group of ``cells``.

    ``cells`` has the columns ``group_cols + ["goldstein", "weight", "n"]``. The
    result has one row per group, sorted by ``group_cols``, with the columns
    ``group_cols + ["ci_low", "ci_high"]``.

    Reproducible: each group's generator is seeded from ``seed`` and a CRC-32 of
    the group key, and its cells are merged and sorted first, so neither the
    order of the rows nor the presence of other groups changes an interval.
    """
    _check_cell_frame(cells, group_cols)
    _check_bootstrap_options(n_boot, level)
    rows: list[dict[str, object]] = []
    merged = cells.groupby([*group_cols, "goldstein", "weight"], sort=True, dropna=False)["n"].sum()
    for key, group in merged.groupby(level=list(range(len(group_cols))), sort=True, dropna=False):
        key_tuple = key if isinstance(key, tuple) else (key,)
        low, high = bootstrap_ci(
            group.index.get_level_values("goldstein").to_numpy(dtype=float),
            group.index.get_level_values("weight").to_numpy(dtype=float),
            group.to_numpy(),
            n_boot=n_boot,
            level=level,
            rng=group_rng(seed, key_tuple),
        )
        rows.append(
            {**dict(zip(group_cols, key_tuple, strict=True)), "ci_low": low, "ci_high": high}
        )
    result = pd.DataFrame(rows, columns=[*group_cols, "ci_low", "ci_high"])
    for name in group_cols:  # keep the caller's dtypes (dates, categories) on the keys
        result[name] = result[name].astype(cells[name].dtype)
    return result.astype({"ci_low": float, "ci_high": float})


# -- the interval the pulse reports --------------------------------------------------------


def weighted_mean_interval(
    events: np.ndarray | pd.Series,
    sums: tuple[np.ndarray | pd.Series, ...],
    *,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """A t interval of the weighted mean ``r = Σwg / Σw`` of each period, from five sums.

    ``sums`` is ``(Σw, Σwg, Σw², Σw²g, Σw²g²)`` per period (arrays of one length with
    ``events``). The standard error is the linearised (ratio-estimator) one,
    ``se² = n/(n−1) · Σ w²(g − r)² / (Σw)²``, and the quantile is Student's t with Kish's
    effective number of events minus one, ``n_eff − 1 = (Σw)²/Σw² − 1``, degrees of freedom:
    a few heavily reported events make the interval as wide as the few events they are.

    No interval (NaN, NaN) where it cannot be estimated: fewer than 2 events, no positive
    weight, an effective size of at most 1, or no spread at all (every weighted event at
    one value: the data says nothing about how far another draw could fall).
    docs/pulse-method.md reports the coverage measured by simulation.
    """
    if not 0.0 < level < 1.0:
        raise InputError(f"level must lie strictly between 0 and 1, got {level!r}")
    n = np.asarray(events, dtype=float)
    sw, swg, sww, swwg, swwgg = (np.asarray(v, dtype=float) for v in sums)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = swg / sw
        spread = swwgg - 2 * ratio * swwg + ratio * ratio * sww  # Σ w²(g − r)²
        # rounding can leave a tiny positive spread where every value is the same
        flat = spread <= 1e-12 * (swwgg + ratio * ratio * sww)
        se = np.sqrt(n / (n - 1) * np.where(flat, 0.0, spread)) / sw
        effective = sw * sw / sww
        df = effective - 1.0
        usable = (n >= 2) & (sw > 0) & (df > 0) & ~flat & np.isfinite(se)
        quantile = stats.t.ppf(0.5 + level / 2.0, np.where(usable, df, 1.0))
    low = np.where(usable, ratio - quantile * se, np.nan)
    high = np.where(usable, ratio + quantile * se, np.nan)
    return low, high


# -- records ----------------------------------------------------------------------------


def _as_float_array(values: FloatSeries) -> np.ndarray:
    try:
        series = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise InputError(f"values must be numbers: {error}") from None
    if series.ndim != 1:
        raise InputError(f"values must be one-dimensional, got shape {series.shape}")
    return series


def _record_lows(series: np.ndarray) -> np.ndarray:
    """True where a value is strictly below every earlier non-NaN value (never the first)."""
    marks = np.zeros(series.size, dtype=bool)
    lowest_so_far = math.nan
    for index, value in enumerate(series):
        if math.isnan(value):
            continue
        if not math.isnan(lowest_so_far) and value < lowest_so_far:
            marks[index] = True
        if math.isnan(lowest_so_far) or value < lowest_so_far:
            lowest_so_far = value
    return marks


def mark_extremes(values: FloatSeries) -> pd.DataFrame:
    """Flag the all-time low and high and the record lows of a series.

    Returns a frame with one row per value and the boolean columns
    ``is_all_time_low``, ``is_all_time_high`` (every period equal to the minimum
    / maximum; ties are all marked) and ``is_record_low`` (strictly lower than
    every earlier period; the first period never is). NaN periods are never
    marked and do not count as earlier values.
    """
    series = _as_float_array(values)
    known = ~np.isnan(series)
    if known.any():
        is_low = known & (series == np.nanmin(series))
        is_high = known & (series == np.nanmax(series))
    else:
        is_low = is_high = np.zeros(series.size, dtype=bool)
    return pd.DataFrame(
        {
            "is_all_time_low": is_low,
            "is_all_time_high": is_high,
            "is_record_low": _record_lows(series),
        }
    )


RECORD_TENTATIVE = "tentative"
RECORD_CONFIRMED = "confirmed"


def mark_records(
    values: FloatSeries, ci_high: FloatSeries, eligible: Sequence[bool] | np.ndarray
) -> pd.DataFrame:
    """All-time low and high and record lows among the ``eligible`` periods of a series.

    Only eligible periods with a value take part: ``is_all_time_low`` / ``is_all_time_high``
    mark every such period equal to their minimum / maximum; ``record_low`` is "" or, for a
    period strictly below every earlier eligible value (never the first), "confirmed" when
    its interval lies wholly below the previous record (``ci_high`` < the lowest earlier
    value) and "tentative" otherwise (also when it has no interval).
    """
    series = _as_float_array(values)
    upper = _as_float_array(ci_high)
    usable = np.asarray(eligible, dtype=bool) & ~np.isnan(series)
    if upper.shape != series.shape or usable.shape != series.shape:
        raise InputError("values, ci_high and eligible must have one length")
    is_low = np.zeros(series.size, dtype=bool)
    is_high = np.zeros(series.size, dtype=bool)
    if usable.any():
        is_low = usable & (series == series[usable].min())
        is_high = usable & (series == series[usable].max())
    records = [""] * series.size
    lowest_so_far = math.nan
    for index in np.flatnonzero(usable):
        value = float(series[index])
        if not math.isnan(lowest_so_far) and value < lowest_so_far:
            confirmed = not math.isnan(upper[index]) and upper[index] < lowest_so_far
            records[index] = RECORD_CONFIRMED if confirmed else RECORD_TENTATIVE
        if math.isnan(lowest_so_far) or value < lowest_so_far:
            lowest_so_far = value
    return pd.DataFrame(
        {"is_all_time_low": is_low, "is_all_time_high": is_high, "record_low": records}
    )


# -- change points ----------------------------------------------------------------------


def default_penalty(values: np.ndarray) -> float:
    """``4·σ²·ln(n)`` with σ the robust noise level of ``values`` (no NaNs); 0 if flat.

    σ is the median absolute deviation of the first differences, divided by
    0.6745 (MAD to standard deviation under normality) and by √2 (a difference of
    two independent noise terms has twice the variance). Level shifts touch only
    a few differences, so they barely move the median. If σ is 0 the sample
    standard deviation of the values stands in; 0 means a constant series.
    """
    differences = np.diff(values)
    sigma = 0.0
    if differences.size:
        deviation = np.abs(differences - np.median(differences))
        sigma = float(np.median(deviation)) / _MAD_TO_SIGMA / math.sqrt(2.0)
    if sigma == 0.0 and values.size > 1:
        sigma = float(np.std(values, ddof=1))
    # 4 rather than BIC's 2: with 24-48 periods the MAD estimate of σ is itself noisy and
    # 2·σ²·ln(n) reported a false change point in ~19% of pure-noise series (~2% with 4)
    return 4.0 * sigma**2 * math.log(values.size)


class _PrefixSumL2(ruptures.base.BaseCost):
    """ruptures' "l2" cost (sum of squared deviations from the segment mean), from prefix
    sums: O(1) per segment instead of a NumPy call, ~10x faster for PELT on short series."""

    model = "l2_prefix"
    min_size = 1

    def fit(self, signal: np.ndarray) -> _PrefixSumL2:
        values = np.asarray(signal, dtype=float).reshape(-1)
        self.signal = values.reshape(-1, 1)  # ruptures reads the length from it
        self._sums = np.concatenate([[0.0], np.cumsum(values)]).tolist()
        self._squares = np.concatenate([[0.0], np.cumsum(values * values)]).tolist()
        return self

    def error(self, start: int, end: int) -> float:
        total = self._sums[end] - self._sums[start]
        return max(self._squares[end] - self._squares[start] - total * total / (end - start), 0.0)


def change_points(
    values: FloatSeries, *, penalty: float | None = None, min_size: int = 2
) -> list[int]:
    """0-based indices of the first period of each new segment found by PELT.

    Runs ``ruptures.Pelt(min_size=min_size, jump=1)`` with the l2 cost on the non-NaN
    values; indices refer to positions in ``values`` (NaNs included). The
    default penalty is ``4·σ²·ln(n)`` where ``n`` is the number of non-NaN
    values and ``σ = median(|d - median(d)|) / 0.6745 / √2`` for the first
    differences ``d``; when that σ is 0 the sample standard deviation of the
    values is used, and when that is 0 too there is no change point. Fewer than
    ``2 * min_size`` values give no change point.
    """
    if isinstance(min_size, bool) or not isinstance(min_size, int | np.integer) or min_size < 1:
        raise InputError(f"min_size must be a positive integer, got {min_size!r}")
    if penalty is not None and not (math.isfinite(penalty) and penalty >= 0):
        raise InputError(f"penalty must be a finite number >= 0, got {penalty!r}")
    series = _as_float_array(values)
    if np.isinf(series).any():
        raise InputError("values must not be infinite")
    positions = np.flatnonzero(~np.isnan(series))
    known = series[positions]
    if known.size < 2 * min_size:
        return []
    pen = default_penalty(known) if penalty is None else float(penalty)
    if penalty is None and pen == 0.0:
        return []
    algorithm = ruptures.Pelt(custom_cost=_PrefixSumL2(), min_size=min_size, jump=1)
    algorithm.fit(known.reshape(-1, 1))
    segment_ends = algorithm.predict(pen=pen)
    return [int(positions[end]) for end in segment_ends if end < known.size]
