"""What the scorecard breaks the ties down by: the track of each tie (from its two actors'
tracks), its channel, and the declined proposals it lists apart.

A tie's track follows the rule of tracks.toml for events (``Taxonomy.event_track``): official +
official is official; local + local or local + official is local ("local government"); people +
people is people; people with official or local is mixed; anything with other is other. So a
sister-city tie (city + city) is local government, a university partnership people-to-people.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from tracktwo.bridges._kinds import DECLINED, load_vocabulary
from tracktwo.bridges._models import Actor, Tie
from tracktwo.bridges._registry import Registry
from tracktwo.taxonomy import TRACKS, Taxonomy

__all__ = [
    "ACTOR_TRACKS",
    "actor_track_codes",
    "counts_of",
    "declined_proposals",
    "tie_track_codes",
    "track_of_kinds",
]

ACTOR_TRACKS = ("official", "local", "people", "other")  # what actor_kinds.toml gives a kind


@lru_cache(maxsize=1)
def _pair_table() -> np.ndarray:
    """table[track of one actor, track of the other] = the tie's track, as an index into TRACKS."""
    return np.array(
        [[TRACKS.index(Taxonomy.event_track(one, two)) for two in ACTOR_TRACKS]
         for one in ACTOR_TRACKS]
    )  # fmt: skip


def actor_track_codes(kinds: pd.Series) -> np.ndarray:
    """Each actor's track as an index into ACTOR_TRACKS (the kinds must be known ones)."""
    tracks = load_vocabulary().kinds
    return kinds.map(lambda kind: ACTOR_TRACKS.index(tracks[kind])).to_numpy("int64")


def tie_track_codes(actor_tracks: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The track of each tie left[i]–right[i] (positions in ``actor_tracks``), as an index
    into TRACKS."""
    return _pair_table()[actor_tracks[left], actor_tracks[right]]


def track_of_kinds(kind_a: str, kind_b: str) -> str:
    """The track of one tie between actors of these two kinds (the same rule, for a page)."""
    tracks = load_vocabulary().kinds
    return Taxonomy.event_track(tracks.get(kind_a, "other"), tracks.get(kind_b, "other"))


def counts_of(names: Sequence[str], codes: np.ndarray, *, every: bool = False) -> dict[str, int]:
    """How many of ``codes`` (indexes into ``names``) are each name; with ``every`` a zero
    for the names that never occur, in the order of ``names``; else only those that do, the
    most frequent first."""
    counts = np.bincount(codes, minlength=len(names)) if codes.size else np.zeros(len(names))
    pairs = [(str(name), int(n)) for name, n in zip(names, counts, strict=True)]
    if every:
        return dict(pairs)
    return dict(sorted(((k, n) for k, n in pairs if n), key=lambda item: (-item[1], item[0])))


def declined_proposals(registry: Registry, first: str, second: str) -> list[dict[str, Any]]:
    """The declined proposals between ``first`` and ``second``, oldest decision first: tie id,
    both actors (``first``'s side as actor_a), channel, the day declined and why."""
    side_a, side_b = aliased(Actor, name="side_a"), aliased(Actor, name="side_b")
    statement = (
        select(Tie.id, Tie.channel, Tie.end_date, Tie.status_reason, side_a.name, side_a.country,
               side_b.name, side_b.country)
        .join(side_a, side_a.id == Tie.actor_a_id)
        .join(side_b, side_b.id == Tie.actor_b_id)
        .where(Tie.status == DECLINED)
        .where(or_(and_(side_a.country == first, side_b.country == second),
                   and_(side_a.country == second, side_b.country == first)))
        .order_by(Tie.end_date, Tie.id)
    )  # fmt: skip
    rows = []
    with registry.engine.connect() as connection:
        found = connection.execute(statement).all()
    for tie_id, channel, day, reason, name_a, country_a, name_b, _country_b in found:
        ours, theirs = (name_a, name_b) if country_a == first else (name_b, name_a)
        rows.append({"tie_id": int(tie_id), "actor_a": ours, "actor_b": theirs,
                     "channel": channel, "declined_on": day.isoformat() if day else None,
                     "reason": reason})  # fmt: skip
    return rows
