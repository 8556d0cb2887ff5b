"""The ICEWS mapping files (actor names, sectors, event texts) and the lookups built from them.

The three CSV files are read into dictionaries keyed by casefolded text (as before the reader
was vectorised); ``Lookups`` turns them, once per taxonomy, into the plain ``key -> value``
dictionaries that the vectorised reader (tracktwo.events._icews_rows) joins against.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tracktwo._errors import ConfigError
from tracktwo.taxonomy import Countries, Taxonomy, builtin_data_dir

__all__ = ["SECTOR_ACTOR", "Lookups", "Maps", "key", "load_lookups", "load_maps"]

# ICEWS spellings that the GeoNames country names in countries.csv do not use
_COUNTRY_ALIASES: dict[str, str] = {
    "burma": "MMR",
    "cape verde": "CPV",
    "congo": "COG",
    "congo, the democratic republic of the": "COD",
    "czech republic": "CZE",
    "democratic republic of congo": "COD",
    "east timor": "TLS",
    "holy see": "VAT",
    "korea, republic of": "KOR",
    "korea, democratic people's republic of": "PRK",
    "macau": "MAC",
    "macedonia": "MKD",
    "netherlands": "NLD",
    "occupied palestinian territory": "PSE",
    "palestine": "PSE",
    "russian federation": "RUS",
    "swaziland": "SWZ",
    "timor-leste": "TLS",
    "united states of america": "USA",
    "vatican city": "VAT",
}

SECTOR_ACTOR = re.compile(r"(?P<sector>.+?)\s*\((?P<country>[^()]+)\)")
_NOT_SPECIFIED = re.compile(r",?\s*not specified below$")


def key(text: str) -> str:
    """How names are matched: casefolded, any run of whitespace as one space (some benchmark
    names hold a no-break space: "Xinjiang\u00a0Uyghur")."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Maps:
    """The three ICEWS mapping files, keyed by casefolded text."""

    texts: dict[str, str]  # event text -> CAMEO event code
    sectors: dict[str, str]  # sector name -> CAMEO actor type
    actors: dict[str, tuple[str | None, str | None]]  # actor name -> (ISO3, actor type)


@lru_cache(maxsize=16)
def _read_csv(path: Path, columns: tuple[str, ...]) -> tuple[dict[str, str], ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ConfigError(f"{path}: missing column(s) {', '.join(missing)}")
        return tuple({k: (v or "").strip() for k, v in row.items() if k} for row in reader)


def _read_texts(path: Path, taxonomy: Taxonomy) -> dict[str, str]:
    texts: dict[str, str] = {}
    for row in _read_csv(path, ("text", "code")):
        if row["code"] not in taxonomy.cameo:
            raise ConfigError(f"{path}: {row['text']!r} maps to unknown CAMEO code {row['code']!r}")
        texts[key(row["text"])] = row["code"]
    return texts


def _read_sectors(path: Path) -> dict[str, str]:
    return {
        key(row["sector"]): row["type_code"].upper()
        for row in _read_csv(path, ("sector", "type_code"))
    }


def _read_actors(path: Path, countries: Countries) -> dict[str, tuple[str | None, str | None]]:
    actors: dict[str, tuple[str | None, str | None]] = {}
    for row in _read_csv(path, ("name", "country", "type_code")):
        country = row["country"].upper() or None
        if country is not None and country not in countries.iso3_to_name:
            raise ConfigError(f"{path}: {row['name']!r} has unknown ISO3 country {country!r}")
        actors[key(row["name"])] = (country, row["type_code"].upper() or None)
    return actors


def _mapping_file(taxonomy: Taxonomy, name: str) -> Path:
    """A copy in the user's taxonomy folder wins over the built-in file."""
    if taxonomy.source != "built-in" and (Path(taxonomy.source) / name).exists():
        return Path(taxonomy.source) / name
    return builtin_data_dir() / name


def load_maps(taxonomy: Taxonomy) -> Maps:
    # the file reads are cached; building the dictionaries is cheap (a few hundred rows)
    texts = _read_texts(_mapping_file(taxonomy, "icews_event_texts.csv"), taxonomy)
    return Maps(
        texts={**_description_texts(taxonomy), **texts},
        sectors=_read_sectors(_mapping_file(taxonomy, "icews_sectors.csv")),
        actors=_read_actors(_mapping_file(taxonomy, "icews_actors.csv"), taxonomy.countries),
    )


def _description_texts(taxonomy: Taxonomy) -> dict[str, str]:
    """Fallback for texts missing from icews_event_texts.csv: CAMEO's own descriptions.

    "Consult, not specified below" (040) is also reachable as "Consult"; a 2-digit root
    ("04 CONSULT") maps to its "not specified" code 040, the code events are recorded with.
    Specific codes are added last so they win over a root with the same wording.
    """
    ordered = sorted(taxonomy.cameo.values(), key=lambda c: len(c.code) > 2)
    texts: dict[str, str] = {}
    for cameo in ordered:
        code = cameo.code + "0" if len(cameo.code) == 2 else cameo.code
        if code not in taxonomy.cameo:
            continue
        description = cameo.description.strip().casefold()
        texts[key(description)] = code
        texts[key(_NOT_SPECIFIED.sub("", description))] = code
    return texts


# -- the lookups the vectorised reader joins against ----------------------------------------


@dataclass(frozen=True)
class Lookups:
    """Small ``key -> value`` tables: every value the reader needs, by casefolded key.

    Only truthy values are kept where the per-row reader tested truthiness (an empty sector
    type is no type), so a missing key and an empty value read the same.
    """

    texts: dict[str, str]  # _key(event text) -> CAMEO code
    sectors: dict[str, str]  # _key(sector) -> actor type
    actor_countries: dict[str, str]  # _key(actor name) -> ISO3, for listed actors with one
    actor_types: dict[str, str]  # _key(actor name) -> actor type
    listed: frozenset[str]  # _key of every name in icews_actors.csv (some have no country)
    countries: dict[str, str]  # name.strip().casefold() -> ISO3 (ICEWS spellings first)
    fips: dict[str, str]  # name.strip().casefold() -> FIPS 10-4 (action_country)
    cameo: dict[str, tuple[int, float]]  # CAMEO code -> (quad class, Goldstein)


def _country_names(countries: Countries) -> dict[str, str]:
    # _country_code was `alias or name_to_iso3`: an alias wins, an empty code is no code
    names = {name: iso3 for name, iso3 in countries.name_to_iso3.items() if iso3}
    return {**names, **_COUNTRY_ALIASES}


def load_lookups(taxonomy: Taxonomy) -> Lookups:
    maps = load_maps(taxonomy)
    countries = _country_names(taxonomy.countries)
    iso3_to_fips = {iso3: fips for fips, iso3 in taxonomy.countries.fips_to_iso3.items()}
    return Lookups(
        texts=maps.texts,
        sectors={k: v for k, v in maps.sectors.items() if v},
        actor_countries={k: c for k, (c, _) in maps.actors.items() if c},
        actor_types={k: t for k, (_, t) in maps.actors.items() if t},
        listed=frozenset(maps.actors),
        countries=countries,
        fips={name: iso3_to_fips[iso3] for name, iso3 in countries.items() if iso3 in iso3_to_fips},
        cameo={code: (c.quad_class, c.goldstein) for code, c in taxonomy.cameo.items()},
    )
