"""Matching a name written somewhere (a file, a Wikipedia list) to one actor or gazetteer place.

The rules, in order; the first that gives exactly one candidate wins:

1. **exact primary name**: the normalised name equals a candidate's normalised name;
2. **exact alternate name**: it equals one of a candidate's normalised alternate names;
3. **fuzzy**: rapidfuzz ``fuzz.token_sort_ratio`` between normalised names is at least
   ``threshold`` (default :data:`FUZZY_THRESHOLD` = 92) *and* the best candidate beats the
   second best by at least ``margin`` points (default :data:`FUZZY_MARGIN` = 3). When the query
   and a candidate both carry coordinates, a fuzzy candidate farther than
   :data:`FUZZY_NEAR_KM` (50 km) is not considered: "Szente" is not "Szentes" 200 km away.

Only candidates in the same country (and of the same kind, when one is asked for) count. When a
step finds several candidates and the query carries coordinates, the one candidate within
:data:`NEAR_KM` of them is taken (when several are that close, GeoNames is listing one place
twice, and the most populous is taken if it is strictly the most populous); otherwise the
query is *ambiguous*. A query nothing matches is
*unmatched*. Neither is ever resolved by a guess: callers report both.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracktwo.bridges._kinds import DECLINED
from tracktwo.bridges._models import Actor, Tie

__all__ = [
    "EXTERNAL_IDS",
    "FUZZY_MARGIN",
    "FUZZY_NEAR_KM",
    "FUZZY_THRESHOLD",
    "NEAR_KM",
    "ActorBook",
    "Candidate",
    "Match",
    "NameIndex",
    "TieBook",
    "actor_ref",
    "distance_km",
    "identity_key",
    "normalise_name",
    "parse_ref",
    "tie_key",
]

FUZZY_THRESHOLD = 92.0
FUZZY_MARGIN = 3.0
NEAR_KM = 30.0
FUZZY_NEAR_KM = 50.0

# words that name the kind of place, not the place: "City of Sydney" is Sydney
_PLACE_WORDS = re.compile(
    r"\b(?:city of|town of|municipality of|municipality|municipal|metropolitan city|"
    r"special city|krong|khett)\b"
)
_LATIN_END = 0x024F  # the end of Latin Extended-B


def _is_latin(char: str) -> bool:
    code = ord(char)
    return code <= _LATIN_END or 0x1E00 <= code <= 0x1EFF


def _strip_latin_accents(text: str) -> str:
    # Only accents on Latin letters go: in Khmer, Thai or Devanagari the combining marks are
    # vowels and subscripts that change the word, so they must stay.
    kept: list[str] = []
    base_is_latin = False
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            if not base_is_latin:
                kept.append(char)
            continue
        base_is_latin = _is_latin(char)
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _drop_punctuation(text: str) -> str:
    return "".join(" " if unicodedata.category(c)[0] in "PSZ" else c for c in text)


_ASCII_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation, " "))


def normalise_name(name: str) -> str:
    """Casefolded, Latin accents stripped, punctuation and place words dropped, spaces collapsed.

    ``normalise_name("City of Phnom-Pénh")`` is ``"phnom penh"``.
    """
    folded = name.casefold()
    if folded.isascii():  # most names: the same result without the Unicode tables, 5x faster
        text = folded.translate(_ASCII_PUNCTUATION)
    else:
        text = _drop_punctuation(_strip_latin_accents(folded))
    text = " ".join(text.split())
    stripped = " ".join(_PLACE_WORDS.sub(" ", text).split())
    return stripped or text  # "Municipality" alone stays a name


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius 6371 km)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Candidate:
    """Something a name can match: an actor in the registry or a gazetteer place."""

    key: Hashable  # the actor id, or ("geonames", id) for a place
    name: str
    country: str
    alt_names: tuple[str, ...] = ()
    kind: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    population: int | None = None
    label: str = ""  # how a report names it; the name and key when empty
    admin1: str | None = None  # a gazetteer place's GeoNames admin1 code ("CA", "22")

    def near(self, latitude: float, longitude: float, limit_km: float = NEAR_KM) -> bool:
        if self.latitude is None or self.longitude is None:
            return False
        return distance_km(self.latitude, self.longitude, latitude, longitude) <= limit_km


@dataclass(frozen=True)
class Match:
    """The outcome of one query: ``status`` is exact, alternate, fuzzy, unmatched or ambiguous."""

    query: str
    status: str
    candidate: Candidate | None = None
    score: float = 100.0
    reason: str = ""
    rivals: tuple[Candidate, ...] = ()

    @property
    def matched(self) -> bool:
        return self.candidate is not None


@dataclass
class _CountryNames:
    """The names of one country's candidates, flat, for rapidfuzz."""

    names: list[str] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)  # index into NameIndex._candidates


def _fuzzy_worthy(name: str) -> bool:
    # transliterations in other scripts never reach a Latin query's threshold; skipping them
    # keeps the fuzzy pass over a whole country fast
    return any("a" <= c <= "z" for c in name)


class NameIndex:
    """Candidates indexed by (country, normalised name); see the module docstring for the rules."""

    def __init__(
        self,
        candidates: Iterable[Candidate] = (),
        *,
        threshold: float = FUZZY_THRESHOLD,
        margin: float = FUZZY_MARGIN,
    ) -> None:
        self.threshold = threshold
        self.margin = margin
        self._candidates: list[Candidate] = []
        self._primary: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._alternate: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._fuzzy: dict[str, _CountryNames] = defaultdict(_CountryNames)
        for candidate in candidates:
            self.add(candidate)

    def __len__(self) -> int:
        return len(self._candidates)

    def add(self, candidate: Candidate) -> None:
        index = len(self._candidates)
        self._candidates.append(candidate)
        primary = normalise_name(candidate.name)
        self._primary[(candidate.country, primary)].append(index)
        seen = {primary}
        for alt in candidate.alt_names:
            key = normalise_name(alt)
            if key and key not in seen:
                seen.add(key)
                self._alternate[(candidate.country, key)].append(index)
        flat = self._fuzzy[candidate.country]
        for key in seen:
            if _fuzzy_worthy(key):
                flat.names.append(key)
                flat.owners.append(index)

    def match(
        self,
        name: str,
        country: str,
        *,
        kind: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> Match:
        """The one candidate ``name`` designates in ``country``, or why there is none."""
        key = normalise_name(name)
        where = (latitude, longitude) if latitude is not None and longitude is not None else None
        for status, table in (("exact", self._primary), ("alternate", self._alternate)):
            found = self._of_kind(table.get((country, key), []), kind)
            if found:
                return self._choose(name, status, found, where, 100.0)
        return self._fuzzy_match(name, key, country, kind, where)

    def _of_kind(self, indexes: Sequence[int], kind: str | None) -> list[Candidate]:
        unique = dict.fromkeys(indexes)
        chosen = [self._candidates[i] for i in unique]
        return [c for c in chosen if kind is None or c.kind in (None, kind)]

    def _choose(
        self,
        query: str,
        status: str,
        found: list[Candidate],
        where: tuple[float, float] | None,
        score: float,
    ) -> Match:
        if len(found) == 1:
            return Match(query, status, found[0], score)
        if where is not None:
            near = _largest_first([c for c in found if c.near(*where)])
            # GeoNames lists some places twice at one spot (a city and its centre, with no
            # population): same-named candidates all this close are one place, the largest
            if len(near) == 1 or (near and _population(near[0]) > _population(near[1])):
                reason = f"of {len(found)} same-named candidates, the largest within {NEAR_KM:g} km"
                return Match(query, status, near[0], score, reason if len(found) > 1 else "")
        names = ", ".join(sorted({_label(c) for c in found})[:5])
        reason = f"{len(found)} candidates match equally well: {names}"
        return Match(query, "ambiguous", None, score, reason, tuple(found))

    def _fuzzy_match(
        self,
        query: str,
        key: str,
        country: str,
        kind: str | None,
        where: tuple[float, float] | None,
    ) -> Match:
        flat = self._fuzzy.get(country)
        if not key or flat is None or not flat.names:
            return Match(query, "unmatched", None, 0.0, f"no candidate in {country}")
        hits = process.extract(
            key,
            flat.names,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=self.threshold - self.margin,  # rivals just under the bar still count
            limit=50,
        )
        best = self._best_per_candidate(hits, flat, kind)
        if where is not None:
            best = [(c, s) for c, s in best if c.latitude is None or c.near(*where, FUZZY_NEAR_KM)]
        if not best or best[0][1] < self.threshold:
            top = f" (best {best[0][1]:.0f} for {_label(best[0][0])})" if best else ""
            reason = f"no name in {country} scores {self.threshold:g} or more{top}"
            return Match(query, "unmatched", None, best[0][1] if best else 0.0, reason)
        leaders = [c for c, s in best if best[0][1] - s < self.margin]
        return self._choose(query, "fuzzy", leaders, where, best[0][1])

    def _best_per_candidate(
        self, hits: list[tuple[str, float, int]], flat: _CountryNames, kind: str | None
    ) -> list[tuple[Candidate, float]]:
        scores: dict[int, float] = {}
        for _name, score, position in hits:
            owner = flat.owners[position]
            scores[owner] = max(score, scores.get(owner, 0.0))
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        chosen = [(self._candidates[i], s) for i, s in ranked]
        return [(c, s) for c, s in chosen if kind is None or c.kind in (None, kind)]


def _population(candidate: Candidate) -> int:
    return candidate.population or 0


def _largest_first(candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=_population, reverse=True)


def _label(candidate: Candidate) -> str:
    return candidate.label or f"{candidate.name} [{candidate.key}]"


# -- the registry's own actors and ties, for upserts and for naming a tie's ends -----------

EXTERNAL_IDS = ("geonames_id", "wikidata_id", "web_domain")
# how a file names an actor by id instead of by name: "geonames:1821306", "web:rupp.edu.kh"
REF_PREFIXES = {"geonames": "geonames_id", "wikidata": "wikidata_id", "web": "web_domain"}


def identity_key(name: str, country: str, kind: str) -> tuple[str, str, str]:
    """What makes an actor the same actor when it has no external id."""
    return normalise_name(name), country, kind


def parse_ref(ref: str) -> tuple[str, str | int]:
    """``"geonames:1821306"`` -> ``("geonames_id", 1821306)``; InputError-free: ValueError."""
    prefix, _, value = ref.partition(":")
    column = REF_PREFIXES.get(prefix.strip().lower())
    if column is None or not value.strip():
        raise ValueError(f"{ref!r} is not one of {', '.join(p + ':...' for p in REF_PREFIXES)}")
    return column, int(value) if column == "geonames_id" else value.strip()


def actor_ref(actor: Actor) -> str:
    """The external id a file can name ``actor`` by, or "" when it has none."""
    for prefix, column in REF_PREFIXES.items():
        value = getattr(actor, column)
        if value is not None:
            return f"{prefix}:{value}"
    return ""


class ActorBook:
    """The registry's actors of some countries, found by external id, identity key or name."""

    def __init__(
        self,
        session: Session,
        countries: Iterable[str] | None = None,
        *,
        threshold: float = FUZZY_THRESHOLD,
        margin: float = FUZZY_MARGIN,
    ) -> None:
        self.session = session
        self.index = NameIndex(threshold=threshold, margin=margin)
        self._actors: list[Actor] = []
        self._by_column: dict[str, dict[Any, Actor]] = {c: {} for c in EXTERNAL_IDS}
        self._by_key: dict[tuple[str, str, str], list[Actor]] = defaultdict(list)
        query = select(Actor)
        if countries is not None:
            query = query.where(Actor.country.in_(sorted(set(countries))))
        for actor in session.scalars(query):
            self._remember(actor)

    def __len__(self) -> int:
        return len(self._actors)

    def _remember(self, actor: Actor) -> None:
        position = len(self._actors)
        self._actors.append(actor)
        self._file_ids(actor)
        label = f"{actor.name} ({actor.kind}, {actor.country}" + (
            f", #{actor.id})" if actor.id else ")"
        )
        self.index.add(
            Candidate(position, actor.name, actor.country, tuple(actor.alt_names or ()),
                      actor.kind, actor.latitude, actor.longitude, actor.population, label)
        )  # fmt: skip

    def _file_ids(self, actor: Actor) -> None:
        for column in EXTERNAL_IDS:
            value = getattr(actor, column)
            if value is not None:
                self._by_column[column].setdefault(value, actor)
        same = self._by_key[identity_key(actor.name, actor.country, actor.kind)]
        if actor not in same:
            same.append(actor)

    def find(self, fields: Mapping[str, Any]) -> Actor | None:
        """The actor these fields are: same external id, else same name + country + kind and
        no external id that differs."""
        for column in EXTERNAL_IDS:
            value = fields.get(column)
            if value is not None and value in self._by_column[column]:
                return self._by_column[column][value]
        key = identity_key(fields["name"], fields["country"], fields["kind"])
        for actor in self._by_key.get(key, []):
            # two places both called Springfield, with two GeoNames ids, are two actors
            if all(
                getattr(actor, c) in (None, fields.get(c)) for c in EXTERNAL_IDS if fields.get(c)
            ):
                return actor
        return None

    def upsert(self, fields: Mapping[str, Any]) -> tuple[Actor, str]:
        """Create the actor, or update the one it is; status is created, updated or unchanged."""
        given = {name: value for name, value in fields.items() if value is not None}
        actor = self.find(given)
        if actor is None:
            actor = Actor(**given)
            self.session.add(actor)
            self._remember(actor)
            return actor, "created"
        changed = [name for name, value in given.items() if getattr(actor, name) != value]
        for name in changed:
            setattr(actor, name, given[name])
        if changed:
            self._file_ids(actor)
        return actor, "updated" if changed else "unchanged"

    def by_ref(self, ref: str) -> Actor | None:
        """The actor a ``prefix:value`` reference names (ValueError for a malformed one)."""
        column, value = parse_ref(ref)
        if value in self._by_column[column]:
            return self._by_column[column][value]
        found = self.session.scalars(
            select(Actor).where(getattr(Actor, column) == value).limit(1)
        ).first()
        if found is not None:
            self._remember(found)
        return found

    def match(
        self,
        name: str,
        country: str,
        *,
        kind: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> tuple[Actor | None, Match]:
        found = self.index.match(name, country, kind=kind, latitude=latitude, longitude=longitude)
        return self.actor_of(found), found

    def actor_of(self, found: Match) -> Actor | None:
        """The actor a match of this book's index designates."""
        return self._actors[int(found.candidate.key)] if found.candidate is not None else None  # type: ignore[call-overload]


TieKey = tuple[Any, ...]


def tie_key(
    actor_a_id: int,
    actor_b_id: int,
    channel: str,
    status: str | None = None,
    end_date: date | None = None,
) -> TieKey:
    """Ties are the same tie on the unordered actor pair and the channel. A declined proposal
    is a record of its own, the same on pair, channel and the day it was declined
    (``end_date``): it never merges with the pair's tie on that channel (Lowell and Phnom Penh
    are sister cities since 2015; a 2023 motion for the same pair failed)."""
    low, high = sorted((actor_a_id, actor_b_id))
    if status == DECLINED:
        return low, high, channel, DECLINED, end_date
    return low, high, channel


class TieBook:
    """The registry's ties (of some channels), by unordered actor pair and channel."""

    def __init__(self, session: Session, channels: Iterable[str] | None = None) -> None:
        self.session = session
        query = select(Tie)
        if channels is not None:
            query = query.where(Tie.channel.in_(sorted(set(channels))))
        self._ties = {
            tie_key(t.actor_a_id, t.actor_b_id, t.channel, t.status, t.end_date): t
            for t in session.scalars(query)
        }

    def find(
        self,
        actor_a: Actor,
        actor_b: Actor,
        channel: str,
        status: str | None = None,
        end_date: date | None = None,
    ) -> Tie | None:
        """The pair's tie on ``channel``; with status declined, the declined proposal of that
        ``end_date`` instead."""
        return self._ties.get(tie_key(actor_a.id, actor_b.id, channel, status, end_date))

    def upsert(
        self, actor_a: Actor, actor_b: Actor, channel: str, fields: Mapping[str, Any]
    ) -> tuple[Tie, str]:
        """Actors must have ids (flush first). Status is created, updated or unchanged."""
        given = {name: value for name, value in fields.items() if value is not None}
        key = tie_key(actor_a.id, actor_b.id, channel, given.get("status"), given.get("end_date"))
        tie = self._ties.get(key)
        if tie is None:
            tie = Tie(actor_a_id=actor_a.id, actor_b_id=actor_b.id, channel=channel, **given)
            self.session.add(tie)
            self._ties[key] = tie
            return tie, "created"
        changed = [name for name, value in given.items() if getattr(tie, name) != value]
        for name in changed:
            setattr(tie, name, given[name])
        return tie, "updated" if changed else "unchanged"
