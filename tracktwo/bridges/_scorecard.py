"""The diversity and resilience scorecard of the ties between two countries.

Every figure counts the ties that are *active* at the date asked for (``_status``) between an
actor of each country. Two queries read the registry — the two countries' actors, then every
tie with its effective status computed by the database — and the rest is numpy, so a million
ties score in about 3 s on SQLite. The formulas, with a worked example, are in
docs/scorecard.md:

* actor diversity — distinct actors per side; Shannon entropy H = −Σ p ln p, effective number
  exp(H) and HHI = Σ p² over actor kinds, p_k = endpoints of kind k / (2 × active ties);
* area diversity — the same over areas, each tie's weight 1 split equally over its areas;
  neutral share = weight in neutral areas / active ties with an area. A tie with no area
  recorded is *unknown* (``ties_with_unknown_area``), in none of the area figures: counted as
  an area of its own it made "share in neutral areas 0%" out of ties nobody had described.
  With no area recorded at all, the area figures are None;
* people-to-people share — active ties of the people track (both actors civil society, not
  national or local government) / active ties; the share of every track in ``track_shares``;
* ties by channel and by track — every tie recorded (not only the active ones);
* declined proposals — counted and listed apart (``declined_proposals``, ``declined``): a
  refused proposal is no tie, so it is in none of the other figures;
* concentration — share of active ties touching one of the five busiest actors;
* diaspora — active ties with an actor in a place with a known diaspora of the other
  country's people (``_diaspora.diaspora_actor_ids``) / active ties;
* resilience — share of ties and of tied actors that remain when every official (or every
  politicised) actor is removed, and the number of connected components before and after.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, cast, extract, func, select

from tracktwo._errors import NotFoundError
from tracktwo.bridges._breakdown import (
    counts_of,
    declined_proposals,
)
from tracktwo.bridges._kinds import DECLINED
from tracktwo.bridges._models import Activity, Tie
from tracktwo.bridges._pair_ties import TieArrays, fetch_frame, load_pair_ties, load_ties
from tracktwo.bridges._registry import Registry
from tracktwo.bridges._status import (
    DEFAULT_DORMANT_MONTHS,
    country_pair,
    effective_statuses,
)
from tracktwo.taxonomy import TRACKS, Taxonomy, load_taxonomy

__all__ = [
    "BUSIEST",
    "NO_AREA_RECORDED",
    "Scorecard",
    "count_components",
    "scorecard",
    "scorecard_by_year",
    "scorecard_figures",
]

BUSIEST = 5  # the concentration figure follows the five busiest actors
# what every renderer says of the area figures when no active tie has an area recorded
NO_AREA_RECORDED = "unknown: no tie has an area recorded"
_POLITICISED_STANCES = ("hostile", "aligned")
_STATUS_ORDER = ("active", "dormant", "ended", "proposed")
_AREA_RATIOS = ("area_entropy", "area_effective_number", "area_hhi", "neutral_area_share")


@dataclass(frozen=True)
class Scorecard:
    """The scorecard of two countries' ties at one date (docs/scorecard.md)."""

    country_a: str
    country_b: str
    at: date
    dormant_months: int
    ties_total: int
    ties_active: int
    ties_dormant: int
    ties_ended: int
    ties_proposed: int
    declined_proposals: int  # refused proposals: not ties, in none of the other figures
    actors_a: int
    actors_b: int
    kind_entropy: float
    kind_effective_number: float
    kind_hhi: float
    # the area figures are over the active ties with an area recorded; None when none has
    area_entropy: float | None
    area_effective_number: float | None
    area_hhi: float | None
    neutral_area_share: float | None
    ties_with_unknown_area: int  # active ties with no area recorded: in no area figure
    people_to_people_share: float
    busiest_share: float
    ties_kept_without_official: float
    actors_kept_without_official: float
    ties_kept_without_politicised: float
    actors_kept_without_politicised: float
    components: int
    components_without_official: int
    components_without_politicised: int
    busiest_actors: tuple[int, ...] = ()
    kind_shares: dict[str, float] = field(default_factory=dict)
    area_shares: dict[str, float] = field(default_factory=dict)  # of the ties with an area
    track_shares: dict[str, float] = field(default_factory=dict)  # of the active ties
    ties_by_channel: dict[str, int] = field(default_factory=dict)  # of every tie recorded
    ties_by_track: dict[str, int] = field(default_factory=dict)  # of every tie recorded
    declined: tuple[dict[str, Any], ...] = ()  # each declined proposal, with its reason
    # {"ties_in_diaspora_places": n, "ties": active ties}: a tie with an actor in a place
    # with a known diaspora of the other country's people (docs/scorecard.md)
    diaspora: dict[str, int] = field(default_factory=dict)

    def metrics(self) -> dict[str, Any]:
        """The single-valued figures (no per-kind or per-area shares), in display order."""
        return {k: v for k, v in asdict(self).items() if not isinstance(v, dict | tuple)}

    def as_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: dates as ISO text, shares as nested objects."""
        whole = asdict(self)
        whole["at"] = self.at.isoformat()
        whole["busiest_actors"] = list(self.busiest_actors)
        whole["declined"] = list(self.declined)
        return whole

    def as_rows(self) -> list[dict[str, Any]]:
        """metric/value rows for ``emit``: the figures, the busiest actors, then the shares."""
        rows = [{"metric": name, "value": value} for name, value in self.metrics().items()]
        rows.append({"metric": "busiest_actors", "value": _ids(self.busiest_actors)})
        rows += [{"metric": f"kind_share.{k}", "value": v} for k, v in self.kind_shares.items()]
        rows += [{"metric": f"area_share.{k}", "value": v} for k, v in self.area_shares.items()]
        rows += [{"metric": f"track_share.{k}", "value": v} for k, v in self.track_shares.items()]
        rows += [{"metric": f"ties_by_track.{k}", "value": n}
                 for k, n in self.ties_by_track.items()]  # fmt: skip
        rows += [{"metric": f"ties_by_channel.{k}", "value": n}
                 for k, n in self.ties_by_channel.items()]  # fmt: skip
        rows += [{"metric": f"declined.{d['tie_id']}", "value": _declined_text(d)}
                 for d in self.declined]  # fmt: skip
        rows += [{"metric": f"diaspora.{k}", "value": n} for k, n in self.diaspora.items()]
        return rows

    def as_frame(self) -> pd.DataFrame:
        """One row, one typed column per figure, for notebooks and files (``to_parquet``,
        ``polars.from_pandas``): ``country_a``/``country_b`` text, ``at`` datetime64, counts
        int64, ratios float64 (NaN where :meth:`as_rows` says None: no area recorded),
        ``busiest_actors`` the ids as text "3, 5, 7", then ``kind_share.<kind>``,
        ``area_share.<area>``, ``track_share.<track>`` (float64) and ``ties_by_track.<track>``,
        ``ties_by_channel.<channel>``, ``diaspora.<figure>`` (int64). The declined proposals
        are counted in ``declined_proposals``; their details are in :meth:`as_dict`."""
        columns: dict[str, pd.Series] = {}
        for name, value in self.metrics().items():
            columns[name] = _typed(name, value)
        columns["busiest_actors"] = pd.Series([_ids(self.busiest_actors)], dtype="string")
        for prefix, shares in (("kind_share", self.kind_shares), ("area_share", self.area_shares),
                               ("track_share", self.track_shares)):  # fmt: skip
            for key, share in shares.items():
                columns[f"{prefix}.{key}"] = pd.Series([share], dtype="float64")
        for prefix, counts in (("ties_by_track", self.ties_by_track),
                               ("ties_by_channel", self.ties_by_channel),
                               ("diaspora", self.diaspora)):  # fmt: skip
            for key, count in counts.items():
                columns[f"{prefix}.{key}"] = pd.Series([count], dtype="int64")
        return pd.DataFrame(columns)

    def neutral_share_text(self) -> str:
        """The neutral share with the ties it is over: "67% (of 6 ties with an area; 2
        unknown)", or "unknown: no tie has an area recorded" — never a 0% made of gaps."""
        if self.neutral_area_share is None:
            return NO_AREA_RECORDED
        known = self.ties_active - self.ties_with_unknown_area
        return (
            f"{self.neutral_area_share:.0%} (of {known} ties with an area; "
            f"{self.ties_with_unknown_area} unknown)"
        )


def _declined_text(proposal: dict[str, Any]) -> str:
    when = f", declined {proposal['declined_on']}" if proposal["declined_on"] else ""
    why = f": {proposal['reason']}" if proposal["reason"] else ""
    channel = str(proposal["channel"]).replace("_", " ")
    return f"{proposal['actor_a']} – {proposal['actor_b']} ({channel}{when}){why}"


# the type of each figure of Scorecard.metrics() that is not a count (int64)
_TEXT_METRICS = ("country_a", "country_b")
_FLOAT_METRICS = frozenset(
    name for name, kind in Scorecard.__annotations__.items() if kind in ("float", "float | None")
)


def _typed(name: str, value: Any) -> pd.Series:
    """One figure as a one-row column of its own type (see Scorecard.as_frame)."""
    if name in _TEXT_METRICS:
        return pd.Series([value], dtype="string")
    if name == "at":
        return pd.Series([pd.Timestamp(value)], dtype="datetime64[ns]")
    if name in _FLOAT_METRICS:
        return pd.Series([math.nan if value is None else value], dtype="float64")
    return pd.Series([value], dtype="int64")


def _ids(ids: tuple[int, ...]) -> str:
    return ", ".join(str(i) for i in ids)


# -- small numeric building blocks -----------------------------------------------------------------


def _diversity(weights: np.ndarray) -> tuple[float, float, float]:
    """Shannon entropy (natural log), its exponential and the HHI of the shares ∝ weights."""
    shares = weights[weights > 0] / weights.sum()
    # + 0.0 turns the -0.0 of a single category into 0.0
    entropy = float(-(shares * np.log(shares)).sum()) + 0.0
    return entropy, math.exp(entropy), float((shares**2).sum())


def _compress(parent: np.ndarray) -> np.ndarray:
    """Pointer jumping until every node points straight at its root."""
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent = grand


def count_components(left: np.ndarray, right: np.ndarray) -> int:
    """Connected components of the graph with edges left[i]–right[i] (its nodes: the ids that
    appear). Vectorised union-find: hook each root to the smallest root it touches, compress,
    repeat until every edge lies inside one tree; parent[x] ≤ x always, so no cycles."""
    if left.size == 0:
        return 0
    _, index = np.unique(np.concatenate([left, right]), return_inverse=True)
    u, v = index[: left.size], index[left.size :]
    parent = np.arange(int(index.max()) + 1)
    while True:
        root_u, root_v = parent[u], parent[v]
        differ = root_u != root_v
        if not differ.any():
            return int((parent == np.arange(parent.size)).sum())
        low = np.minimum(root_u[differ], root_v[differ])
        high = np.maximum(root_u[differ], root_v[differ])
        np.minimum.at(parent, high, low)
        parent = _compress(parent)


# -- the figures over the active ties ------------------------------------------------------------


def _kind_figures(ties: TieArrays, ends: np.ndarray) -> dict[str, Any]:
    names = ties.actors.kind_names
    counts = np.bincount(ties.actors.kinds[ends].ravel(), minlength=names.size)
    entropy, effective, hhi = _diversity(counts.astype(float))
    total = counts.sum()  # 2 × active ties: each tie has two endpoints
    ordered = sorted(zip(names, counts, strict=True), key=lambda item: (-item[1], item[0]))
    return {
        "kind_entropy": entropy, "kind_effective_number": effective, "kind_hhi": hhi,
        "kind_shares": {str(kind): int(n) / total for kind, n in ordered if n > 0},
    }  # fmt: skip


def _area_figures(ties: TieArrays, active: np.ndarray) -> dict[str, Any]:
    """The area figures over the active ties with an area; those without are only counted."""
    ties_per_list = np.bincount(ties.area_codes[active], minlength=len(ties.area_lists))
    weights: dict[str, float] = defaultdict(float)
    unknown = 0
    for count, areas in zip(ties_per_list, ties.area_lists, strict=True):
        unknown += int(count) if not areas else 0
        for area in areas:
            weights[area] += count / len(areas)  # one tie's weight 1, split equally
    weights = {a: w for a, w in weights.items() if w > 0}
    if not weights:  # no active tie has an area: every area figure is unknown, not 0
        return {"area_entropy": None, "area_effective_number": None, "area_hhi": None,
                "neutral_area_share": None, "ties_with_unknown_area": unknown,
                "area_shares": {}}  # fmt: skip
    values = np.array(list(weights.values()))
    entropy, effective, hhi = _diversity(values)
    total = values.sum()  # the active ties with an area
    neutral = sum(w for a, w in weights.items() if a in ties.neutral_areas)
    ordered = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    return {
        "area_entropy": entropy, "area_effective_number": effective, "area_hhi": hhi,
        "neutral_area_share": neutral / total, "ties_with_unknown_area": unknown,
        "area_shares": {a: w / total for a, w in ordered},
    }  # fmt: skip


def _busiest(ids: np.ndarray) -> tuple[tuple[int, ...], float]:
    """The BUSIEST actors by active ties (ties broken by the smaller id) and the share of
    the ties that touch at least one of them."""
    actor_ids, degrees = np.unique(ids, return_counts=True)
    top = actor_ids[np.lexsort((actor_ids, -degrees))[:BUSIEST]]
    touches = np.isin(ids[0], top) | np.isin(ids[1], top)
    return tuple(int(i) for i in top), float(touches.mean())


def _removal(ends: np.ndarray, removed: np.ndarray) -> tuple[float, float, int]:
    """Remove the flagged actors: share of ties kept, share of tied actors still tied, and
    the components of what is left."""
    kept = ~(removed[0] | removed[1])
    before = np.unique(ends).size
    after = np.unique(ends[:, kept]).size
    return float(kept.mean()), after / before, count_components(ends[0, kept], ends[1, kept])


def _figures(ties: TieArrays, active: np.ndarray) -> dict[str, Any]:
    ends = ties.ends[:, active]  # positions in the actor arrays, compact: fast to count
    actors = ties.actors
    busiest, busiest_share = _busiest(actors.ids[ends])
    ties_off, actors_off, components_off = _removal(ends, actors.official[ends])
    ties_pol, actors_pol, components_pol = _removal(ends, actors.politicised[ends])
    tracks = counts_of(TRACKS, ties.tracks(active), every=True)
    track_shares = {track: n / int(active.sum()) for track, n in tracks.items()}
    return {
        "actors_a": np.unique(ends[0]).size, "actors_b": np.unique(ends[1]).size,
        **_kind_figures(ties, ends), **_area_figures(ties, active),
        "people_to_people_share": track_shares["people"], "track_shares": track_shares,
        "busiest_share": busiest_share,
        "ties_kept_without_official": ties_off, "actors_kept_without_official": actors_off,
        "ties_kept_without_politicised": ties_pol,
        "actors_kept_without_politicised": actors_pol,
        "components": count_components(ends[0], ends[1]),
        "components_without_official": components_off,
        "components_without_politicised": components_pol,
        "busiest_actors": busiest,
        "diaspora": {"ties_in_diaspora_places": int(actors.in_diaspora[ends].any(axis=0).sum()),
                     "ties": int(ends.shape[1])},
    }  # fmt: skip


def _status_counts(statuses: np.ndarray) -> dict[str, int]:
    return {f"ties_{s}": int((statuses == s).sum()) for s in _STATUS_ORDER}


def scorecard_figures(ties: TieArrays, statuses: np.ndarray) -> dict[str, Any]:
    """The Scorecard fields computed from the tie arrays and each tie's status: the counts
    by status and every figure over the active ties (at least one must be active)."""
    return {**_status_counts(statuses), **_figures(ties, statuses == "active")}


# -- the public API ------------------------------------------------------------------------------


def scorecard(
    registry: Registry,
    country_a: str,
    country_b: str,
    *,
    at: date | None = None,
    dormant_months: int = DEFAULT_DORMANT_MONTHS,
    taxonomy: Taxonomy | None = None,
) -> Scorecard:
    """The scorecard of the ties between ``country_a`` and ``country_b`` at ``at`` (default
    today). NotFoundError when the pair has no tie, or no tie active at that date."""
    pair = load_pair_ties(
        registry, country_a, country_b, at=at, dormant_months=dormant_months, taxonomy=taxonomy
    )
    first, second, day, ties, rows, statuses = (
        pair.first, pair.second, pair.at, pair.ties, pair.rows, pair.statuses
    )  # fmt: skip
    recorded = statuses != DECLINED  # a declined proposal is no tie: in no figure but its own
    counts = _status_counts(statuses)
    if counts["ties_active"] == 0:
        others = ", ".join(f"{n} {k[5:]}" for k, n in counts.items() if n)
        raise NotFoundError(
            f"no tie between {first} and {second} is active on {day.isoformat()} "
            f"(of {int(recorded.sum())}: {others}; a tie is dormant after {dormant_months} "
            "months without activity)"
        )
    fields = scorecard_figures(ties, statuses)
    declined = declined_proposals(registry, first, second)
    channels, channel_codes = np.unique(
        rows["tie_channel"].to_numpy(str)[recorded], return_inverse=True
    )
    return Scorecard(
        country_a=first, country_b=second, at=day, dormant_months=dormant_months,
        ties_total=int(recorded.sum()), declined_proposals=len(declined),
        declined=tuple(declined), **fields,
        ties_by_track=counts_of(TRACKS, ties.tracks(recorded), every=True),
        ties_by_channel=counts_of(list(channels), channel_codes.ravel()),
    )  # fmt: skip


def _dates(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    for column in columns:
        # the first 10 characters: PostgreSQL renders a timestamp with its time of day
        text = frame[column].astype("string").str.slice(0, 10)
        frame[column] = pd.to_datetime(text, format="%Y-%m-%d")
    return frame


def _activity_years(registry: Registry, tie_ids: pd.Series, day: date) -> pd.DataFrame:
    """The latest activity of each tie in each year, up to ``day`` (one query)."""
    year = extract("year", Activity.activity_date)
    last = cast(func.max(Activity.activity_date), String).label("last")
    statement = (
        select(Activity.tie_id, year.label("year"), last)
        .where(Activity.activity_date <= day)
        .group_by(Activity.tie_id, year)
    )
    rows = fetch_frame(registry, statement)
    rows = _dates(rows[rows["tie_id"].isin(tie_ids)].copy(), ("last",))
    rows["year"] = rows["year"].astype("int64")
    return rows


def _first_year(frame: pd.DataFrame) -> int:
    starts = frame["start_date"].dropna()
    return int((starts if not starts.empty else frame["created"]).min().year)


def _year_row(
    ties: TieArrays, frame: pd.DataFrame, year: int, day: date, dormant_months: int
) -> dict[str, Any]:
    statuses = effective_statuses(frame, day, dormant_months).to_numpy()
    row: dict[str, Any] = {"year": year, "at": day, **_status_counts(statuses)}
    active = statuses == "active"
    if active.any():  # a year without an active tie keeps its counts; its ratios stay empty
        figures = _figures(ties, active)
        figures["busiest_actors"] = _ids(figures["busiest_actors"])
        row.update({k: v for k, v in figures.items() if not isinstance(v, dict)})
    return row


def _last_activity_by(activity: pd.DataFrame, year: int, tie_ids: pd.Series) -> pd.Series:
    """Each tie's latest activity up to the end of ``year`` (NaT: none yet)."""
    upto = activity[activity["year"] <= year].groupby("tie_id")["last"].max()
    return pd.Series(upto.reindex(tie_ids.to_numpy()).to_numpy(), index=tie_ids.index)


def scorecard_by_year(
    registry: Registry,
    country_a: str,
    country_b: str,
    *,
    at: date | None = None,
    dormant_months: int = DEFAULT_DORMANT_MONTHS,
    taxonomy: Taxonomy | None = None,
) -> pd.DataFrame:
    """One scorecard per year, at 31 December, from the year the first tie started to the
    year of ``at`` (default today), whose row is taken at ``at`` itself. Two queries over
    ties and activities (and one over actors); each year is then computed in numpy.
    ``attrs["ties_without_start"]`` counts the ties with no start date, which count in
    every year."""
    chosen = taxonomy or load_taxonomy()
    first, second = country_pair(country_a, country_b, chosen)
    day = at or date.today()
    ties, frame = load_ties(
        registry, first, second, chosen, Tie.id.label("tie_id"), Tie.status,
        cast(Tie.start_date, String).label("start_date"),
        cast(Tie.end_date, String).label("end_date"),
        cast(Tie.created_at, String).label("created"),
    )  # fmt: skip
    frame = _dates(frame, ("start_date", "end_date", "created"))
    activity = _activity_years(registry, frame["tie_id"], day)
    rows = []
    for year in range(min(_first_year(frame), day.year), day.year + 1):
        # the same ties every year; only what counts as their last activity moves
        last = _last_activity_by(activity, year, frame["tie_id"])
        frame["last_activity"] = last.astype(frame["start_date"].dtype)
        rows.append(_year_row(ties, frame, year, min(date(year, 12, 31), day), dormant_months))
    table = pd.DataFrame(rows, columns=_year_columns())
    # counts stay integers in the years without an active tie, where they are missing
    counts = [c for c in table.columns if c.startswith(("ties_", "actors_", "components"))]
    counts = [c for c in counts if "kept" not in c]
    table = table.astype(dict.fromkeys(counts, "Int64"))
    # None where no active tie has an area: NaN, as in a year without an active tie
    table = table.astype(dict.fromkeys(_AREA_RATIOS, "float64"))
    # a tie whose start no source gives counts in every year: readers must be told how many
    ties_only = frame["status"] != DECLINED  # a declined proposal is no tie, dated or not
    table.attrs["ties_without_start"] = int(frame.loc[ties_only, "start_date"].isna().sum())
    return table


def _year_columns() -> list[str]:
    names = list(Scorecard.__dataclass_fields__)
    figures = names[names.index("actors_a") : names.index("busiest_actors") + 1]
    return ["year", "at", *[f"ties_{s}" for s in _STATUS_ORDER], *figures]
