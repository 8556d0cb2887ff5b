"""The ties between two countries as numpy arrays, loaded once and scored at any date.

Two queries read the registry: the two countries' actors (sorted by id, with their kind,
track, official and politicised flags and whether they are in a diaspora place), then every
tie, the pair's picked with numpy (joining actors in SQLite costs seconds per million ties).
The scorecard (:mod:`tracktwo.bridges._scorecard`) computes its figures from these arrays;
:func:`load_pair_ties` gives them, with each tie's status at one date, to code outside
``bridges`` that scores hypothetical ties the same way (the matchmaker's portfolio).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, Text, cast, select

from tracktwo._errors import ConfigError, NotFoundError
from tracktwo.bridges._breakdown import actor_track_codes, tie_track_codes
from tracktwo.bridges._diaspora import diaspora_actor_ids
from tracktwo.bridges._fields import STANCES
from tracktwo.bridges._kinds import load_vocabulary
from tracktwo.bridges._models import Actor, Tie
from tracktwo.bridges._registry import Registry
from tracktwo.bridges._status import (
    DEFAULT_DORMANT_MONTHS,
    STATUS_CODES,
    country_pair,
    status_case,
)
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = ["ActorArrays", "PairTies", "TieArrays", "fetch_frame", "load_pair_ties", "load_ties"]


def fetch_frame(registry: Registry, statement: Select) -> pd.DataFrame:
    # read_sql builds the columns straight from the cursor's rows; pd.DataFrame(rows) on
    # SQLAlchemy Row objects probes each row's attributes and is several times slower
    with registry.engine.connect() as connection:
        return pd.read_sql(statement, connection)


def _official(kinds: pd.Series) -> np.ndarray:
    tracks = load_vocabulary().kinds
    unknown = sorted(set(kinds.unique()) - set(tracks))
    if unknown:
        raise ConfigError(
            f"actor kinds not in the vocabulary (actor_kinds.toml): {', '.join(unknown)}"
        )
    official = {kind for kind, track in tracks.items() if track == "official"}
    return kinds.isin(official).to_numpy()


def _politicised(funded_by: pd.Series, stance: pd.Series) -> np.ndarray:
    funded = funded_by.notna() & (funded_by.astype("string").str.strip() != "")
    return (funded.fillna(False) | stance.isin(STANCES)).to_numpy()


@dataclass(frozen=True)
class ActorArrays:
    """The actors of the two countries, as parallel arrays sorted by id."""

    ids: np.ndarray
    sides: np.ndarray  # 0: country A, 1: country B
    kinds: np.ndarray  # codes into kind_names
    kind_names: np.ndarray
    official: np.ndarray
    politicised: np.ndarray
    tracks: np.ndarray  # codes into ACTOR_TRACKS (_breakdown)
    # in a place with a known diaspora of the other country's people (_diaspora)
    in_diaspora: np.ndarray

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Each id's index in the actor arrays, -1 for an actor of neither country."""
        found = np.searchsorted(self.ids, ids).clip(max=max(self.ids.size - 1, 0))
        hit = self.ids.size > 0 and self.ids[found] == ids
        return np.where(hit, found, -1)


def _load_actors(registry: Registry, first: str, second: str) -> ActorArrays:
    statement = (
        select(Actor.id, Actor.country, Actor.kind, Actor.funded_by, Actor.stance)
        .where(Actor.country.in_((first, second)))
        .order_by(Actor.id)
    )
    frame = fetch_frame(registry, statement)
    kinds, kind_names = pd.factorize(frame["kind"])
    return ActorArrays(
        ids=frame["id"].to_numpy("int64"),
        sides=(frame["country"] == second).to_numpy("int8"),
        kinds=kinds,
        kind_names=np.asarray(kind_names),
        official=_official(frame["kind"]),  # checks every kind is known, so first
        politicised=_politicised(frame["funded_by"], frame["stance"]),
        tracks=actor_track_codes(frame["kind"]),
        in_diaspora=np.isin(
            frame["id"].to_numpy("int64"),
            np.fromiter(diaspora_actor_ids(registry, first, second), "int64"),
        ),
    )


def _area_lists(texts: pd.Index) -> list[tuple[str, ...]]:
    """Each distinct stored areas value as a tuple of distinct areas; () when none is
    recorded: unknown, not the taxonomy's default area (which would read as a known one)."""
    lists = []
    for text in texts:
        parsed = json.loads(text) if isinstance(text, str) and text else []
        lists.append(tuple(dict.fromkeys(str(a).strip() for a in parsed if str(a).strip())))
    return lists


@dataclass(frozen=True)
class TieArrays:
    """The ties between the two countries, as arrays, ready to score at any date."""

    actors: ActorArrays
    ends: np.ndarray  # (2, n) positions in the actor arrays; row 0 the country-A actor
    area_codes: np.ndarray  # n codes into area_lists
    area_lists: list[tuple[str, ...]]  # () for a tie with no area recorded
    neutral_areas: frozenset[str]

    def tracks(self, chosen: np.ndarray) -> np.ndarray:
        """The track of each chosen tie (a mask or positions), as codes into TRACKS."""
        ends = self.ends[:, chosen]
        return tie_track_codes(self.actors.tracks, ends[0], ends[1])


def load_ties(
    registry: Registry, first: str, second: str, taxonomy: Taxonomy, *columns: Any
) -> tuple[TieArrays, pd.DataFrame]:
    """The pair's ties and, for each, the extra ``columns`` asked for (one query over ties;
    the pair is picked with numpy: joining actors in SQLite costs seconds per million)."""
    actors = _load_actors(registry, first, second)
    if actors.ids.size == 0:  # no actor of either country: nothing to index below
        raise NotFoundError(f"the registry holds no ties between {first} and {second}")
    rows = fetch_frame(
        registry,
        select(Tie.actor_a_id, Tie.actor_b_id, cast(Tie.areas, Text).label("areas"),
               Tie.channel.label("tie_channel"), *columns),
    )  # fmt: skip
    left = actors.positions(rows["actor_a_id"].to_numpy("int64"))
    right = actors.positions(rows["actor_b_id"].to_numpy("int64"))
    known = (left >= 0) & (right >= 0)
    pair = known & (actors.sides[left] != actors.sides[right])
    if not pair.any():
        raise NotFoundError(f"the registry holds no ties between {first} and {second}")
    left, right, rows = left[pair], right[pair], rows[pair].reset_index(drop=True)
    a_first = actors.sides[left] == 0
    area_codes, area_texts = pd.factorize(rows["areas"].fillna(""))
    ties = TieArrays(
        actors=actors,
        ends=np.stack([np.where(a_first, left, right), np.where(a_first, right, left)]),
        area_codes=area_codes,
        area_lists=_area_lists(area_texts),
        neutral_areas=frozenset(a.name for a in taxonomy.areas.values()
                                if a.sensitivity == "neutral"),
    )  # fmt: skip
    return ties, rows


@dataclass(frozen=True)
class PairTies:
    """The ties between two countries (``first`` < ``second``) and each one's status at
    ``at`` (active, dormant, ended, proposed or declined), in the order of ``ties``."""

    first: str
    second: str
    at: date
    ties: TieArrays
    statuses: np.ndarray
    rows: pd.DataFrame  # one row per tie: its actor ids, areas text and channel

    @property
    def active(self) -> np.ndarray:
        return self.statuses == "active"


def load_pair_ties(
    registry: Registry,
    country_a: str,
    country_b: str,
    *,
    at: date | None = None,
    dormant_months: int = DEFAULT_DORMANT_MONTHS,
    taxonomy: Taxonomy | None = None,
) -> PairTies:
    """The ties between ``country_a`` and ``country_b`` as arrays, each with its effective
    status at ``at`` (default today). NotFoundError when the pair has no tie."""
    chosen = taxonomy or load_taxonomy()
    first, second = country_pair(country_a, country_b, chosen)
    day = at or date.today()
    status = status_case(day, dormant_months).label("status")
    ties, rows = load_ties(registry, first, second, chosen, status)
    statuses = np.asarray(STATUS_CODES)[rows["status"].to_numpy("int64")]
    return PairTies(first, second, day, ties, statuses, rows)
