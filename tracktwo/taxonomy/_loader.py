"""Load the shared taxonomy: CAMEO codes, tracks, areas with their sensitivity, countries."""

from __future__ import annotations

import csv
import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from tracktwo._errors import ConfigError, InputError, UnknownCodeError

__all__ = [
    "TRACKS",
    "TRACK_LABELS",
    "Area",
    "CameoCode",
    "Countries",
    "Taxonomy",
    "load_taxonomy",
]

# in the order every by-track result lists them (see docs/pulse-method.md)
TRACKS = ("official", "local", "people", "mixed", "other")
TRACK_LABELS = {
    "official": "official",
    "local": "local government",
    "people": "people-to-people",
    "mixed": "mixed",
    "other": "other",
}
# the actor-level tracks a tracks.toml lists type codes for
_ACTOR_TRACKS = ("official", "local", "people", "other")
SENSITIVITY_LEVELS = ("neutral", "sensitive", "political")


@dataclass(frozen=True)
class CameoCode:
    code: str
    description: str
    goldstein: float
    quad_class: int


@dataclass(frozen=True)
class Area:
    name: str
    label: str
    sensitivity: str
    actor_types: tuple[str, ...] = ()
    event_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Countries:
    """ISO alpha-3 is tracktwo's country key; these tables translate the other codes to it."""

    iso2_to_iso3: dict[str, str]
    fips_to_iso3: dict[str, str]
    name_to_iso3: dict[str, str]
    iso3_to_name: dict[str, str]

    def iso3(self, code: str) -> str:
        """Accept ISO3, ISO2 or an English name; return ISO3 or raise UnknownCodeError."""
        key = code.strip()
        if key.upper() in self.iso3_to_name:
            return key.upper()
        if key.upper() in self.iso2_to_iso3:
            return self.iso2_to_iso3[key.upper()]
        if key.casefold() in self.name_to_iso3:
            return self.name_to_iso3[key.casefold()]
        raise UnknownCodeError(
            f"unknown country {code!r}: give an ISO 3166 alpha-3 code such as KHM"
        )

    def pair(
        self, country_a: str, country_b: str, also_known: frozenset[str] = frozenset()
    ) -> tuple[str, str]:
        """The one pair check: two distinct ISO3 codes from whatever codes or names were
        given (:meth:`iso3`); ``also_known`` holds extra codes taken as they are (former UN
        members, for votes). UnknownCodeError for an unknown one, InputError for one twice."""

        def resolve(code: str) -> str:
            cleaned = code.strip().upper()
            return cleaned if cleaned in also_known else self.iso3(code)

        first, second = resolve(country_a), resolve(country_b)
        if first == second:
            raise InputError(f"a pair needs two different countries, not {first} twice")
        return first, second


@dataclass(frozen=True)
class Taxonomy:
    cameo: dict[str, CameoCode]
    official_types: frozenset[str]
    people_types: frozenset[str]
    other_types: frozenset[str]
    state_without_type: str
    areas: dict[str, Area]
    default_area: str
    countries: Countries
    source: str = field(default="built-in")
    # sub-national government (LOC); a tracks.toml without a `local` list has none
    local_types: frozenset[str] = field(default=frozenset())

    # -- events -----------------------------------------------------------------
    def event(self, code: str) -> CameoCode:
        try:
            return self.cameo[code]
        except KeyError:
            raise UnknownCodeError(f"unknown CAMEO event code {code!r}") from None

    def goldstein(self, code: str) -> float:
        return self.event(code).goldstein

    def quad_class(self, code: str) -> int:
        return self.event(code).quad_class

    # -- tracks -----------------------------------------------------------------
    def actor_track(self, country: str | None, types: Sequence[str | None]) -> str:
        """The rules of tracks.toml; local first, so a governor typed LOC and GOV is local.
        The Ibis twin is tracktwo.pulse._expr.actor_track: keep the two alike."""
        present = [t for t in types if t]
        if any(t in self.local_types for t in present):
            return "local"
        if any(t in self.official_types for t in present):
            return "official"
        if any(t in self.people_types for t in present):
            return "people"
        if country and not present:
            return self.state_without_type
        return "other"

    @staticmethod
    def event_track(track1: str, track2: str) -> str:
        """official+official -> official; local with local or official -> local;
        people+people -> people; people with official or local -> mixed; else other.
        The Ibis twin is tracktwo.pulse._expr.track_of_pair."""
        pair = {track1, track2}
        if pair == {"official"}:
            return "official"
        if pair in ({"local"}, {"local", "official"}):
            return "local"
        if pair == {"people"}:
            return "people"
        if pair in ({"official", "people"}, {"local", "people"}):
            return "mixed"
        return "other"

    # -- areas ------------------------------------------------------------------
    def area_of_event_code(self, code: str | None) -> str | None:
        """The area named by the longest matching event-code prefix, if any."""
        if not code:
            return None
        best: tuple[int, str] | None = None
        for area in self.areas.values():
            for prefix in area.event_codes:
                if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), area.name)
        return best[1] if best else None

    def area_of_actor_type(self, type_code: str | None) -> str | None:
        if not type_code:
            return None
        for area in self.areas.values():
            if type_code in area.actor_types:
                return area.name
        return None

    def event_area(
        self, code: str | None, types1: Iterable[str | None], types2: Iterable[str | None]
    ) -> str:
        """Event code first, then actor 1's type codes, then actor 2's (see areas.toml)."""
        by_code = self.area_of_event_code(code)
        if by_code:
            return by_code
        for type_code in [*types1, *types2]:
            area = self.area_of_actor_type(type_code)
            if area:
                return area
        return self.default_area

    def sensitivity(self, area: str) -> str:
        try:
            return self.areas[area].sensitivity
        except KeyError:
            raise UnknownCodeError(f"unknown area {area!r}") from None


def builtin_data_dir() -> Path:
    """The folder of the built-in taxonomy files (the ICEWS mappings are read from it too)."""
    return Path(str(resources.files("tracktwo.taxonomy") / "data"))


def _read_cameo(path: Path) -> dict[str, CameoCode]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: CameoCode(
                row["code"], row["description"], float(row["goldstein"]), int(row["quad_class"])
            )
            for row in csv.DictReader(handle, delimiter="\t")
        }


def _read_countries(path: Path) -> Countries:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return Countries(
        iso2_to_iso3={r["iso2"]: r["iso3"] for r in rows if r["iso2"]},
        fips_to_iso3={r["fips"]: r["iso3"] for r in rows if r["fips"]},
        name_to_iso3={r["name"].casefold(): r["iso3"] for r in rows},
        iso3_to_name={r["iso3"]: r["name"] for r in rows},
    )


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _parse_tracks(path: Path) -> tuple[dict[str, frozenset[str]], str]:
    """The type codes of each actor-level track, and the track of a state without a type."""
    doc = _read_toml(path)
    tracks = doc.get("tracks")
    if not isinstance(tracks, dict):
        raise ConfigError(f"{path}: missing the [tracks] table")
    lists: dict[str, frozenset[str]] = {}
    for name in _ACTOR_TRACKS:
        codes = tracks.get(name, [])
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{path}: tracks.{name} must be a list of type codes")
        lists[name] = frozenset(c.upper() for c in codes)
    overlap = {
        code
        for i, one in enumerate(_ACTOR_TRACKS)
        for two in _ACTOR_TRACKS[i + 1 :]
        for code in lists[one] & lists[two]
    }
    if overlap:
        raise ConfigError(f"{path}: type codes in more than one track: {sorted(overlap)}")
    state = doc.get("state_without_type", "official")
    if state not in _ACTOR_TRACKS:
        raise ConfigError(f"{path}: state_without_type must be {', '.join(_ACTOR_TRACKS)}")
    return lists, state


def _parse_areas(path: Path) -> tuple[dict[str, Area], str]:
    doc = _read_toml(path)
    raw = doc.get("areas")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{path}: missing the [areas.*] tables")
    areas: dict[str, Area] = {}
    for name, spec in raw.items():
        level = spec.get("sensitivity")
        if level not in SENSITIVITY_LEVELS:
            raise ConfigError(
                f"{path}: areas.{name}.sensitivity must be one of {', '.join(SENSITIVITY_LEVELS)}"
            )
        areas[name] = Area(
            name=name,
            label=str(spec.get("label", name)),
            sensitivity=level,
            actor_types=tuple(c.upper() for c in spec.get("actor_types", [])),
            event_codes=tuple(str(c) for c in spec.get("event_codes", [])),
        )
    default = str(doc.get("default_area", "unspecified"))
    if default not in areas:
        raise ConfigError(f"{path}: default_area {default!r} is not one of the areas")
    return areas, default


def _override_dir(override: str | os.PathLike[str] | None) -> Path | None:
    chosen = override or os.environ.get("TRACKTWO_TAXONOMY")
    if not chosen:
        return None
    folder = Path(chosen)
    if not folder.is_dir():
        raise ConfigError(f"taxonomy folder {folder} does not exist")
    return folder


@lru_cache(maxsize=8)
def _load(override: str | None) -> Taxonomy:
    builtin = builtin_data_dir()
    folder = _override_dir(override)

    def pick(name: str) -> Path:
        if folder is not None and (folder / name).exists():
            return folder / name
        return builtin / name

    tracks, state = _parse_tracks(pick("tracks.toml"))
    areas, default = _parse_areas(pick("areas.toml"))
    return Taxonomy(
        cameo=_read_cameo(builtin / "cameo.tsv"),
        official_types=tracks["official"],
        people_types=tracks["people"],
        other_types=tracks["other"],
        local_types=tracks["local"],
        state_without_type=state,
        areas=areas,
        default_area=default,
        countries=_read_countries(builtin / "countries.csv"),
        source=str(folder) if folder else "built-in",
    )


def load_taxonomy(override: str | os.PathLike[str] | None = None) -> Taxonomy:
    """The built-in taxonomy, with tracks.toml / areas.toml taken from ``override`` (a folder)
    or ``TRACKTWO_TAXONOMY`` where present there."""
    chosen = override or os.environ.get("TRACKTWO_TAXONOMY")
    return _load(str(chosen) if chosen else None)
