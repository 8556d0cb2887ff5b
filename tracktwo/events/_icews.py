"""Read ICEWS-style event files into tracktwo's canonical event schema.

Two layouts are recognised by their header line (tab- or comma-separated):

* the knowledge-graph extract (ICEWS05-15 benchmark)::

      source_actor  cameo_event_text  target_actor  date  [split]

  Actors are plain ICEWS names ("Cambodia", "Police (Cambodia)", "Barack Obama") and the
  event is ICEWS's short CAMEO description ("Host a visit");
* the Harvard Dataverse ICEWS release (doi:10.7910/DVN/28075): 20 columns from "Event ID"
  to "Longitude", with the CAMEO code, sector lists and country names spelt out.

Actor names, sector names and event texts are mapped with three CSV files in
``tracktwo/taxonomy/data`` (icews_actors.csv, icews_sectors.csv, icews_event_texts.csv);
a taxonomy folder given with ``--taxonomy`` / ``TRACKTWO_TAXONOMY`` may hold its own copies.
Rows that cannot be read are returned as ``QuarantinedRow``; actors that cannot be placed are
kept with a null country and listed by ``unknown_actors``. See docs/icews.md.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tracktwo._errors import ConfigError, FileFormatError
from tracktwo.events._control import control_reason, visible
from tracktwo.events._quarantine import QuarantinedRow
from tracktwo.store import EVENT_COLUMNS
from tracktwo.taxonomy import Countries, Taxonomy, load_taxonomy
from tracktwo.taxonomy._loader import _data_dir

__all__ = [
    "DATAVERSE_COLUMNS",
    "KG_COLUMNS",
    "countryless_by_design",
    "is_icews_header",
    "read_icews",
    "unknown_actors",
    "unknown_sectors",
]

KG_COLUMNS: tuple[str, ...] = ("source_actor", "cameo_event_text", "target_actor", "date")
DATAVERSE_COLUMNS: tuple[str, ...] = (
    "Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country",
    "Event Text", "CAMEO Code", "Intensity", "Target Name", "Target Sectors",
    "Target Country", "Story ID", "Sentence Number", "Publisher", "City", "District",
    "Province", "Country", "Latitude", "Longitude",
)  # fmt: skip

# DuckDB type of the store -> arrow type of the table handed to it
_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
    "TINYINT": pa.int8(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
}
EVENT_SCHEMA = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind, _ in EVENT_COLUMNS])

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

_SECTOR_ACTOR = re.compile(r"(?P<sector>.+?)\s*\((?P<country>[^()]+)\)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NOT_SPECIFIED = re.compile(r",?\s*not specified below$")
_SEPARATED = {"\t": "tab-separated", ",": "comma-separated"}
# ICEWS's word, in "Sector (International)", for an actor of no one country
_NO_ONE_COUNTRY = "international"


def _key(text: str) -> str:
    """How names are matched: casefolded, any run of whitespace as one space (some benchmark
    names hold a no-break space: "Xinjiang\u00a0Uyghur")."""
    return " ".join(text.split()).casefold()


# -- mapping files ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Maps:
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
        texts[_key(row["text"])] = row["code"]
    return texts


def _read_sectors(path: Path) -> dict[str, str]:
    return {
        _key(row["sector"]): row["type_code"].upper()
        for row in _read_csv(path, ("sector", "type_code"))
    }


def _read_actors(path: Path, countries: Countries) -> dict[str, tuple[str | None, str | None]]:
    actors: dict[str, tuple[str | None, str | None]] = {}
    for row in _read_csv(path, ("name", "country", "type_code")):
        country = row["country"].upper() or None
        if country is not None and country not in countries.iso3_to_name:
            raise ConfigError(f"{path}: {row['name']!r} has unknown ISO3 country {country!r}")
        actors[_key(row["name"])] = (country, row["type_code"].upper() or None)
    return actors


def _mapping_file(taxonomy: Taxonomy, name: str) -> Path:
    """A copy in the user's taxonomy folder wins over the built-in file."""
    if taxonomy.source != "built-in" and (Path(taxonomy.source) / name).exists():
        return Path(taxonomy.source) / name
    return _data_dir() / name


def _load_maps(taxonomy: Taxonomy) -> _Maps:
    # the file reads are cached; building the dictionaries is cheap (a few hundred rows)
    texts = _read_texts(_mapping_file(taxonomy, "icews_event_texts.csv"), taxonomy)
    return _Maps(
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
        texts[_key(description)] = code
        texts[_key(_NOT_SPECIFIED.sub("", description))] = code
    return texts


# -- headers and fields -------------------------------------------------------------------


def _header_fields(first_line: str) -> tuple[list[str], str] | None:
    """The header's column names and its delimiter, if it is an ICEWS header."""
    line = first_line.lstrip("\ufeff").rstrip("\r\n")
    for delimiter in ("\t", ","):
        names = [name.strip() for name in _split(line, delimiter)]
        folded = [name.casefold() for name in names]
        if folded in (list(KG_COLUMNS), [*KG_COLUMNS, "split"]):
            return names, delimiter
        if folded == [c.casefold() for c in DATAVERSE_COLUMNS]:
            return names, delimiter
    return None


def is_icews_header(first_line: str) -> bool:
    """True for the header of a KG-style extract or of a Dataverse ICEWS release file."""
    return _header_fields(first_line) is not None


def _split(line: str, delimiter: str) -> list[str]:
    # ICEWS tab files do not quote; comma files quote texts such as "Arrest, detain, ..."
    if delimiter == "\t":
        return line.split("\t")
    return next(csv.reader([line]))


def _numbered_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(1-based line number, text without its line end) for every non-blank line."""
    for number, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        if text.strip():
            yield number, text


# -- values -------------------------------------------------------------------------------


class _BadRow(Exception):
    """A row that goes to quarantine; the message is the reason."""


def _parse_date(text: str) -> date:
    value = text.strip()
    try:
        if _ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise _BadRow(f"date {value!r} is not YYYY-MM-DD")


def _country_code(name: str, countries: Countries) -> str | None:
    """ISO3 of an ICEWS country name; names only, so an actor "AU" is not Australia."""
    key = name.strip().casefold()
    return _COUNTRY_ALIASES.get(key) or countries.name_to_iso3.get(key)


def _cameo_code(raw: str, taxonomy: Taxonomy) -> str:
    """Dataverse files may drop CAMEO's leading zero (43 for 043, 311 for 0311)."""
    code = raw.strip()
    if len(code) < 3:
        code = code.zfill(3)
    if code not in taxonomy.cameo and len(code) == 3 and "0" + code in taxonomy.cameo:
        code = "0" + code
    if code not in taxonomy.cameo:
        raise _BadRow(f"CAMEO code {raw.strip()!r} is unknown")
    return code


def _text_code(text: str, maps: _Maps) -> str:
    code = maps.texts.get(_key(text))
    if code is None:
        raise _BadRow(f"event text {text.strip()!r} has no CAMEO code")
    return code


# -- actors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Actor:
    name: str
    country: str | None
    types: tuple[str, ...]

    @property
    def code(self) -> str | None:
        """Country plus first type, as GDELT builds actor codes ("KHMCOP", "KHM", "IGO")."""
        return ((self.country or "") + (self.types[0] if self.types else "")) or None

    def columns(self, prefix: str) -> dict[str, str | None]:
        types = [*self.types[:3], None, None, None]
        return {
            f"{prefix}_code": self.code,
            f"{prefix}_name": self.name,
            f"{prefix}_country": self.country,
            f"{prefix}_type1": types[0],
            f"{prefix}_type2": types[1],
            f"{prefix}_type3": types[2],
        }


def _resolve_actor(raw_name: str, maps: _Maps, countries: Countries) -> _Actor:
    """Named actor first, then a bare country (the state), then "Sector (Country)"."""
    name = raw_name.strip()
    if _key(name) in maps.actors:
        country, type_code = maps.actors[_key(name)]
        return _Actor(name, country, (type_code,) if type_code else ())
    state = _country_code(name, countries)
    if state:
        return _Actor(name, state, ())
    match = _SECTOR_ACTOR.fullmatch(name)
    if match:
        type_code = maps.sectors.get(_key(match["sector"]))
        country = _country_code(match["country"], countries)
        return _Actor(name, country, (type_code,) if type_code else ())
    return _Actor(name, None, ())


def _dataverse_actor(
    name: str, sectors: str, country: str, maps: _Maps, countries: Countries
) -> _Actor:
    """The name's own mapping, completed by the Country column and the listed sectors."""
    actor = _resolve_actor(name, maps, countries)
    types = list(actor.types)
    for sector in sectors.split(","):
        type_code = maps.sectors.get(_key(sector))
        if type_code and type_code not in types:
            types.append(type_code)
    return _Actor(actor.name, _country_code(country, countries) or actor.country, tuple(types))


# -- rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every row needs: the taxonomy, the ICEWS maps and the ISO3 -> FIPS table."""

    taxonomy: Taxonomy
    maps: _Maps
    iso3_to_fips: dict[str, str]

    def actor(self, name: str) -> _Actor:
        return _resolve_actor(name, self.maps, self.taxonomy.countries)

    def dataverse_actor(self, cell: dict[str, str], side: str) -> _Actor:
        return _dataverse_actor(
            cell[f"{side} Name"],
            cell[f"{side} Sectors"],
            cell[f"{side} Country"],
            self.maps,
            self.taxonomy.countries,
        )

    def fips(self, country_name: str) -> str | None:
        iso3 = _country_code(country_name, self.taxonomy.countries)
        return self.iso3_to_fips.get(iso3) if iso3 else None


def _make_context(taxonomy: Taxonomy) -> _Context:
    fips_to_iso3 = taxonomy.countries.fips_to_iso3
    return _Context(taxonomy, _load_maps(taxonomy), {v: k for k, v in fips_to_iso3.items()})


def _event_columns(code: str, taxonomy: Taxonomy) -> dict[str, object]:
    cameo = taxonomy.cameo[code]
    return {
        "event_code": code,
        "event_base_code": code[:3],
        "event_root_code": code[:2],
        "quad_class": cameo.quad_class,
        "goldstein": cameo.goldstein,
    }


def _row(
    uid: str, day: date, actors: tuple[_Actor, _Actor], code: str, taxonomy: Taxonomy
) -> dict[str, object]:
    return {
        "event_uid": uid,
        "event_date": day,
        **actors[0].columns("actor1"),
        **actors[1].columns("actor2"),
        **_event_columns(code, taxonomy),
        # ICEWS codes one event per sentence: one mention, one source, one article
        "num_mentions": 1,
        "num_sources": 1,
        "num_articles": 1,
        "source_format": "icews",
        "is_reemission": False,
    }


def _kg_uid(source: str, text: str, target: str, day: str) -> str:
    key = "|".join(part.strip().casefold() for part in (source, text, target, day))
    return "icews:" + hashlib.sha1(key.encode("utf-8")).hexdigest()


def _kg_row(fields: list[str], delimiter: str, context: _Context) -> dict[str, object]:
    if len(fields) not in (4, 5):
        raise _BadRow(f"expected 4 or 5 {_SEPARATED[delimiter]} fields, found {len(fields)}")
    source, text, target, raw_date = fields[:4]
    day = _parse_date(raw_date)
    code = _text_code(text, context.maps)
    actors = (context.actor(source), context.actor(target))
    return _row(_kg_uid(source, text, target, raw_date), day, actors, code, context.taxonomy)


def _dataverse_row(fields: list[str], delimiter: str, context: _Context) -> dict[str, object]:
    if len(fields) != len(DATAVERSE_COLUMNS):
        expected = f"{len(DATAVERSE_COLUMNS)} {_SEPARATED[delimiter]}"
        raise _BadRow(f"expected {expected} fields, found {len(fields)}")
    cell = dict(zip(DATAVERSE_COLUMNS, (f.strip() for f in fields), strict=True))
    if not cell["Event ID"]:
        raise _BadRow("empty Event ID")
    day = _parse_date(cell["Event Date"])
    if cell["CAMEO Code"]:
        code = _cameo_code(cell["CAMEO Code"], context.taxonomy)
    else:
        code = _text_code(cell["Event Text"], context.maps)
    source = context.dataverse_actor(cell, "Source")
    target = context.dataverse_actor(cell, "Target")
    row = _row("icews:" + cell["Event ID"], day, (source, target), code, context.taxonomy)
    row["action_country"] = context.fips(cell["Country"])
    return row


def _to_table(rows: list[dict[str, object]], source_file: str) -> pa.Table:
    for row in rows:
        row["source_file"] = source_file
    columns = {
        field.name: pa.array([row.get(field.name) for row in rows], type=field.type)
        for field in EVENT_SCHEMA
    }
    return pa.table(columns, schema=EVENT_SCHEMA)


def read_icews(
    lines: Iterable[str], *, source_file: str, taxonomy: Taxonomy | None = None
) -> tuple[pa.Table, list[QuarantinedRow]]:
    """Read an ICEWS file's text lines (header = line 1) into the events schema.

    Returns the events table (columns and types of ``EVENT_COLUMNS``) and the rows that
    could not be read. Raises FileFormatError if the first line is not an ICEWS header.
    """
    numbered = _numbered_lines(lines)
    first = next(numbered, None)
    if first is None:
        raise FileFormatError(source_file, "empty file: expected an ICEWS header line")
    header = _header_fields(first[1]) if first[0] == 1 else None
    if header is None:
        raise FileFormatError(source_file, f"not an ICEWS header: {first[1][:120]!r}")
    names, delimiter = header
    read_row: Callable[[list[str], str, _Context], dict[str, object]]
    read_row = _dataverse_row if len(names) == len(DATAVERSE_COLUMNS) else _kg_row
    context = _make_context(taxonomy or load_taxonomy())
    rows: list[dict[str, object]] = []
    bad: list[QuarantinedRow] = []
    for number, text in numbered:
        control = control_reason(text, names, lambda line: _split(line, delimiter))
        if control is not None:  # never stored: see tracktwo.events._control
            bad.append(QuarantinedRow(number, control, visible(text)))
            continue
        try:
            rows.append(read_row(_split(text, delimiter), delimiter, context))
        except _BadRow as problem:
            bad.append(QuarantinedRow(number, str(problem), text))
    return _to_table(rows, source_file), bad


# -- coverage reports ---------------------------------------------------------------------


def _name_counts(table: pa.Table, keep: Callable[[str], pa.Array]) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for prefix in ("actor1", "actor2"):
        names = table.column(f"{prefix}_name").filter(keep(prefix))
        counts.update(name for name in names.to_pylist() if name is not None)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def unknown_actors(table: pa.Table) -> list[tuple[str, int]]:
    """Actor names left without a country, with how often they occur (most frequent first).

    Such events match no country pair; add the name to icews_actors.csv to place it.
    """
    return _name_counts(table, lambda prefix: pc.is_null(table.column(f"{prefix}_country")))


def unknown_sectors(table: pa.Table) -> list[tuple[str, int]]:
    """ "Sector (Country)" actor names whose sector has no actor type in icews_sectors.csv.

    Their type is null, so they would count as the state itself; add the sector to the file.
    """

    def keep(prefix: str) -> pa.Array:
        untyped = pc.is_null(table.column(f"{prefix}_type1"))
        sector_form = pc.match_substring_regex(table.column(f"{prefix}_name"), r"\([^()]+\)$")
        return pc.and_(untyped, pc.fill_null(sector_form, False))

    return _name_counts(table, keep)


def countryless_by_design(names: Iterable[str], taxonomy: Taxonomy | None = None) -> set[str]:
    """The names among ``names`` that have no country on purpose, not for want of an entry.

    They are listed in icews_actors.csv with an empty country (the UN, a wire agency, ICEWS's
    "Unspecified Actor"), or name "International" as their country ("Citizen (International)").
    Every other ICEWS actor without a country is *unplaced*: `tracktwo events status` lists it.
    """
    maps = _load_maps(taxonomy or load_taxonomy())
    chosen = set()
    for name in names:
        listed = maps.actors.get(_key(name))
        match = _SECTOR_ACTOR.fullmatch(name.strip())
        if (listed is not None and listed[0] is None) or (
            match is not None and _key(match["country"]) == _NO_ONE_COUNTRY
        ):
            chosen.add(name)
    return chosen
