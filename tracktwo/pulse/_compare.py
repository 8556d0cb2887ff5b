"""``compare``: one country beside several partners, every figure from ``pulse``.

Each partner's figures are its pair's pulse (``pulse(store, focal, partner, ...)``), so a
comparison and a pair's own page never disagree: events, events per 100,000 of the source,
the mention-weighted mean Goldstein with its bootstrap interval and the cooperative share.
Beside them, the share of the pair's events outside the official track, from the pulse by
track: 1 − official / all. All partners are laid on one grid of periods (the first to the
last period any of them has events in), so a partner without events in a period, or at all,
shows as 0 events there, not as a missing row. See docs/compare.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import numpy as np
import pandas as pd

from tracktwo._errors import InputError, UnknownCodeError
from tracktwo.pulse._periods import MONTHS_IN, check_range, validate_freq
from tracktwo.pulse._pulse import SHOWN_TRACKS, pulse
from tracktwo.store import EventStore
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = ["BY_CHOICES", "COMPARE_COLUMNS", "CompareResult", "busiest_partners", "compare"]

COMPARE_COLUMNS = [
    "period", "partner", "series", "events", "per_100k", "value", "ci_low", "ci_high",
    "coop_share", "outside_official_share", "is_partial",
]  # fmt: skip
BY_CHOICES = ("none", "track")
# the series of a comparison by="none" (pulse's own name for "every event of the pair")
ALL_SERIES = "all"
OFFICIAL = "official"


@dataclass
class CompareResult:
    """The focal country beside each partner: one row per period, partner (and track)."""

    focal: str
    partners: list[str]
    freq: str
    by: str
    frame: pd.DataFrame
    # period -> the source whose totals per_100k divides by (the same for every pair)
    rate_sources: dict[date, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """No partner has a single event with the focal country."""
        return bool(self.frame.empty or self.frame["events"].sum() == 0)

    def partner_totals(self) -> pd.DataFrame:
        """partner, events: each partner's events over the whole span, in the given order."""
        totals = self.frame.groupby("partner", sort=False)["events"].sum()
        counts = [int(totals.get(partner, 0)) for partner in self.partners]
        return pd.DataFrame({"partner": self.partners, "events": counts})


# -- countries -------------------------------------------------------------------------------


def _code(taxonomy: Taxonomy, given: str, role: str) -> str:
    try:
        return taxonomy.countries.iso3(given)
    except UnknownCodeError as error:
        raise UnknownCodeError(f"{role}: {error}") from None


def _countries(taxonomy: Taxonomy, focal: str, partners: Iterable[str]) -> tuple[str, list[str]]:
    """ISO3 codes of the focal country and of the partners (each once, in the order given)."""
    if isinstance(partners, str):  # one partner given bare would be read letter by letter
        partners = [partners]
    focal_code = _code(taxonomy, focal, "focal country")
    chosen: list[str] = []
    for given in partners:
        code = _code(taxonomy, given, "partner")
        if code == focal_code:
            raise InputError(f"partner {given!r} is the focal country {focal_code} itself")
        if code not in chosen:
            chosen.append(code)
    if not chosen:
        raise InputError(f"give at least one partner country to compare {focal_code} with")
    return focal_code, chosen


# -- one partner -----------------------------------------------------------------------------


def _outside_official(by_track: pd.DataFrame) -> pd.DataFrame:
    """period, outside_official_share: 1 − official / all events of the period (NaN for a
    period without events: no share of nothing)."""
    events = by_track["events"].fillna(0)
    official = events.where(by_track["series"] == OFFICIAL, 0)
    sums = pd.DataFrame({"period": by_track["period"], "all": events, "official": official})
    sums = sums.groupby("period", as_index=False).sum()
    share = 1 - sums["official"] / sums["all"].where(sums["all"] > 0)
    return pd.DataFrame({"period": sums["period"], "outside_official_share": share})


def _partner_rows(
    store: EventStore, focal: str, partner: str, by: str, options: dict[str, Any]
) -> tuple[pd.DataFrame, dict[date, str]]:
    """The pair's pulse rows (by track, or all events) with the outside-official share."""
    by_track = pulse(store, focal, partner, by="track", signals=False, **options)
    rows = by_track.events
    if rows.empty:
        return rows, by_track.rate_sources
    shares = _outside_official(rows)
    if by == "none":
        rows = pulse(store, focal, partner, by="none", signals=False, **options).events
    if "per_100k" not in rows.columns:  # a pulse without per-source rates
        rows = rows.assign(per_100k=np.nan)
    rows = rows.merge(shares, on="period", how="left").assign(partner=partner)
    return rows[COMPARE_COLUMNS], by_track.rate_sources


# -- all partners on one grid ----------------------------------------------------------------


def _period_range(first: date, last: date, freq: str) -> list[date]:
    periods, current = [], first
    while current <= last:
        periods.append(current)
        month = current.month - 1 + MONTHS_IN[freq]
        current = date(current.year + month // 12, month % 12 + 1, 1)
    return periods


def _series_names(rows: pd.DataFrame, by: str) -> list[str]:
    if by == "none":
        return [ALL_SERIES]
    # pulse by track lists every shown track; "other" comes in when any partner has it
    present = list(dict.fromkeys(rows["series"]))
    return present + [t for t in SHOWN_TRACKS if t not in present]


def _on_grid(
    rows: pd.DataFrame, partners: list[str], by: str, freq: str, rated: set[date]
) -> pd.DataFrame:
    """Every period × partner × series, 0 events where the pulse has no row; a filled row's
    per_100k is 0 where the period has a denominator (the choice of source does not depend
    on the pair), else NaN."""
    periods = _period_range(min(rows["period"]), max(rows["period"]), freq)
    grid = pd.DataFrame({"partner": partners}).merge(
        pd.DataFrame({"series": _series_names(rows, by)}), how="cross"
    )
    grid = grid.merge(pd.DataFrame({"period": periods}), how="cross")
    full = grid.merge(rows.drop(columns="is_partial"), on=["partner", "series", "period"],
                      how="left")  # fmt: skip
    filled = full["events"].isna()
    full["events"] = full["events"].fillna(0).astype("int64")
    zero_rate = filled & full["period"].isin(rated)
    full["per_100k"] = full["per_100k"].astype("float64").mask(zero_rate, 0.0)
    # partial or not is a property of the period (the data's span), the same for every pair
    flags = rows["is_partial"].fillna(False).astype(bool)
    partial = flags.groupby(rows["period"]).any()
    full["is_partial"] = full["period"].map(partial).fillna(False).astype(bool)
    return full


def _ordered(frame: pd.DataFrame, partners: list[str]) -> pd.DataFrame:
    """Period, then partner in the order given, then series in the pulse's order."""
    series_rank = {name: i for i, name in enumerate(dict.fromkeys(frame["series"]))}
    partner_rank = {code: i for i, code in enumerate(partners)}
    keys = frame.assign(_p=frame["partner"].map(partner_rank), _s=frame["series"].map(series_rank))
    keys = keys.sort_values(["period", "_p", "_s"], kind="stable")
    return keys.drop(columns=["_p", "_s"]).reset_index(drop=True)[COMPARE_COLUMNS]


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    floats = ["per_100k", "value", "ci_low", "ci_high", "coop_share", "outside_official_share"]
    return frame.astype({column: "float64" for column in floats})


def compare(
    store: EventStore,
    focal: str,
    partners: Sequence[str],
    *,
    freq: str = "year",
    by: str = "none",
    since: date | None = None,
    until: date | None = None,
    taxonomy: Taxonomy | None = None,
    seed: int = 0,
    n_boot: int = 1000,
) -> CompareResult:
    """``focal`` beside each of ``partners`` per period: events, per_100k, the mean Goldstein
    with its 95% interval, the cooperative share and the share outside the official track.

    ``by="none"`` gives one row per period and partner (series ``all``); ``by="track"`` one per
    track as well (the outside-official share, a figure of the whole period, repeats on each).
    A partner without events gives rows of 0 events; an unknown code raises UnknownCodeError
    naming it. See docs/compare.md.
    """
    taxonomy = taxonomy or load_taxonomy()
    freq = validate_freq(freq)
    if by not in BY_CHOICES:
        raise InputError(f"--by {by!r} is not one of {', '.join(BY_CHOICES)}")
    check_range(since, until)
    focal_code, codes = _countries(taxonomy, focal, partners)
    options = {"freq": freq, "since": since, "until": until, "taxonomy": taxonomy,
               "seed": seed, "n_boot": n_boot}  # fmt: skip
    parts, rate_sources = [], {}
    for partner in codes:
        rows, sources = _partner_rows(store, focal_code, partner, by, options)
        rate_sources.update(sources)
        if not rows.empty:
            parts.append(rows)
    if not parts:
        frame = pd.DataFrame({column: [] for column in COMPARE_COLUMNS})
        return CompareResult(focal_code, codes, freq, by, frame, rate_sources)
    rows = pd.concat(parts, ignore_index=True)
    frame = _on_grid(rows, codes, by, freq, set(rate_sources))
    return CompareResult(focal_code, codes, freq, by, _numeric(_ordered(frame, codes)),
                         dict(sorted(rate_sources.items())))  # fmt: skip


# -- busiest partners ------------------------------------------------------------------------


def partner_counts(store: EventStore, focal: str, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """partner, events: every country with events with ``focal`` (re-emitted duplicates and
    domestic events left out), the busiest first, ties by code; codes the taxonomy does not
    know as countries (regions, organisations) are left out: they have no pulse."""
    taxonomy = taxonomy or load_taxonomy()
    code = _code(taxonomy, focal, "focal country")
    t = store.table("events")
    t = t.filter(~t.is_reemission.fill_null(False))
    first, second = t.actor1_country, t.actor2_country
    mine = ((first == code) & second.notnull() & (second != code)) | (
        (second == code) & first.notnull() & (first != code)
    )
    rows = t.filter(mine).select(partner=ibis.cases((first == code, second), else_=first))
    counts = rows.group_by("partner").agg(events=rows.count()).to_pandas()
    known = counts[counts["partner"].isin(set(taxonomy.countries.iso3_to_name))]
    known = known.sort_values(["events", "partner"], ascending=[False, True])
    return known.astype({"events": "int64"}).reset_index(drop=True)


def busiest_partners(
    store: EventStore, focal: str, n: int = 5, *, taxonomy: Taxonomy | None = None
) -> list[str]:
    """The ``n`` countries with the most stored events with ``focal``, busiest first, ties
    broken by code (fewer when fewer have any)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"the number of partners must be a whole number of at least 1, not {n!r}")
    return partner_counts(store, focal, taxonomy)["partner"].head(n).tolist()
