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
import os
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from tracktwo._errors import FileFormatError
from tracktwo.events._control import control_reason
from tracktwo.events._icews_lines import line_batches, nonblank
from tracktwo.events._icews_maps import SECTOR_ACTOR, key, load_lookups, load_maps
from tracktwo.events._icews_rows import Layout, read_batch
from tracktwo.events._quarantine import QuarantinedRow
from tracktwo.store import EVENT_COLUMNS
from tracktwo.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "DATAVERSE_COLUMNS",
    "EVENT_SCHEMA",
    "KG_COLUMNS",
    "countryless_by_design",
    "is_icews_header",
    "read_icews",
    "read_icews_batches",
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
# ICEWS's word, in "Sector (International)", for an actor of no one country
_NO_ONE_COUNTRY = "international"


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


def _header(
    batches: Iterator[pl.DataFrame], source_file: str
) -> tuple[Layout, Iterator[pl.DataFrame]]:
    """The layout named by the first non-blank line, which must be line 1, and the batches
    of the lines after it."""
    for frame in batches:
        lines = nonblank(frame)
        if lines.is_empty():
            continue
        number, text = lines.row(0)
        header = _header_fields(text) if number == 1 else None
        if header is None:
            raise FileFormatError(source_file, f"not an ICEWS header: {text[:120]!r}")
        names, delimiter = header
        return Layout(tuple(names), delimiter), chain([lines.slice(1)], batches)
    raise FileFormatError(source_file, "empty file: expected an ICEWS header line")


def _to_arrow(events: pl.DataFrame, source_file: str) -> pa.Table:
    """The events as arrow, in the columns and types of EVENT_COLUMNS (absent ones null)."""
    events = events.with_columns(source_file=pl.lit(source_file))
    absent = [pl.lit(None).alias(f.name) for f in EVENT_SCHEMA if f.name not in events.columns]
    frame = events.with_columns(absent)
    # large_string -> string is a cheap cast; polars' default string views are not
    arrow = frame.select(EVENT_SCHEMA.names).to_arrow(compat_level=pl.CompatLevel.oldest())
    return arrow.cast(EVENT_SCHEMA)


def read_icews_batches(
    source: Iterable[str] | os.PathLike[str],
    *,
    source_file: str,
    taxonomy: Taxonomy | None = None,
) -> Iterator[tuple[pa.Table, list[QuarantinedRow]]]:
    """``read_icews`` a batch at a time (about 200,000 rows): (events, quarantined rows) for
    each batch, in file order, so a large file is never held whole.

    The header is checked at once (FileFormatError); a line that is not UTF-8 raises
    FileFormatError when its batch is reached."""
    layout, batches = _header(line_batches(source, source_file), source_file)
    lookups = load_lookups(taxonomy or load_taxonomy())

    def refuse(text: str) -> str | None:  # never stored: see tracktwo.events._control
        return control_reason(text, layout.names, lambda line: _split(line, layout.delimiter))

    def read() -> Iterator[tuple[pa.Table, list[QuarantinedRow]]]:
        for frame in batches:
            events, bad = read_batch(frame, layout, lookups, refuse)
            yield _to_arrow(events, source_file), bad

    return read()


def read_icews(
    source: Iterable[str] | os.PathLike[str],
    *,
    source_file: str,
    taxonomy: Taxonomy | None = None,
) -> tuple[pa.Table, list[QuarantinedRow]]:
    """Read an ICEWS file into the events schema: ``source`` is its path (read in batches,
    decoded as UTF-8) or its decoded text lines (header = line 1).

    Returns the events table (columns and types of ``EVENT_COLUMNS``) and the rows that
    could not be read. Raises FileFormatError if the first line is not an ICEWS header, or
    naming the line that is not UTF-8.
    """
    tables: list[pa.Table] = []
    bad: list[QuarantinedRow] = []
    for table, rows in read_icews_batches(source, source_file=source_file, taxonomy=taxonomy):
        tables.append(table)
        bad.extend(rows)
    return pa.concat_tables([EVENT_SCHEMA.empty_table(), *tables]), bad


# -- coverage reports ---------------------------------------------------------------------


def _name_counts(table: pa.Table, keep: Callable[[str], pa.Array]) -> list[tuple[str, int]]:
    names = pl.concat(
        [
            pl.Series(table.column(f"{p}_name").filter(keep(p)), dtype=pl.String)
            for p in ("actor1", "actor2")
        ]
    ).drop_nulls()
    counts = names.value_counts(name="count").sort(["count", names.name], descending=[True, False])
    return [(name, int(count)) for name, count in counts.iter_rows()]


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
    maps = load_maps(taxonomy or load_taxonomy())
    chosen = set()
    for name in names:
        listed = maps.actors.get(key(name))
        match = SECTOR_ACTOR.fullmatch(name.strip())
        if (listed is not None and listed[0] is None) or (
            match is not None and key(match["country"]) == _NO_ONE_COUNTRY
        ):
            chosen.add(name)
    return chosen
