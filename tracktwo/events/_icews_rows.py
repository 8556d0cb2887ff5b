"""ICEWS rows to canonical events, a batch of lines at a time, with polars.

Every rule of the per-row reader this replaces is kept (docs/icews.md), but each is written
once for the whole batch: a name, sector, event text, date or CAMEO code is resolved once per
*distinct* value (a few thousand in a million rows) and joined back onto the rows, so no
Python runs per row. Python's ``str.casefold`` is kept exactly: polars lowercases ASCII
values, the rare non-ASCII ones are casefolded by Python, once each. The content hash of the
knowledge-graph layout (SHA-1) is computed by DuckDB. Only the rows that go to quarantine
are turned into Python objects, to word their reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pyarrow as pa

from tracktwo.events._control import visible
from tracktwo.events._icews_lines import CONTROL, WHITESPACE, cut_fields, nonblank
from tracktwo.events._icews_maps import Lookups
from tracktwo.events._quarantine import QuarantinedRow

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

__all__ = ["Layout", "read_batch"]

_SEPARATED = {"\t": "tab-separated", ",": "comma-separated"}
_WHITESPACE_RUN = "[" + WHITESPACE + "]+"
_NON_ASCII = r"[^\x00-\x7F]"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # Python's fromisoformat takes ASCII digits only
_SECTOR_ACTOR = r"^(?P<sector>.+?)\s*\((?P<country>[^()]+)\)$"
_DATAVERSE_FIELDS = 20
_HASH_SLICE = 32_768  # keys per arrow chunk handed to DuckDB


@dataclass(frozen=True)
class Layout:
    """The header's column names and delimiter; 20 names is the Dataverse release."""

    names: tuple[str, ...]
    delimiter: str

    @property
    def dataverse(self) -> bool:
        return len(self.names) == _DATAVERSE_FIELDS


# -- text, as Python compared it --------------------------------------------------------------


def _strip(values: pl.Series) -> pl.Series:
    return values.str.strip_chars(WHITESPACE)


def _fold(values: pl.Series) -> pl.Series:
    """``str.casefold`` of every value: lowercase for ASCII; Python's own for the others."""
    lowered = values.str.to_lowercase()
    wide = values.str.contains(_NON_ASCII)
    if not wide.any():
        return lowered
    odd = values.filter(wide).unique().to_list()
    folded = _lookup(values, {text: text.casefold() for text in odd})
    return pl.select(pl.when(wide).then(folded).otherwise(lowered)).to_series()


def _key(values: pl.Series) -> pl.Series:
    """tracktwo.events._icews_maps.key for every value: whitespace runs as one space, folded."""
    return _fold(values.str.replace_all(_WHITESPACE_RUN, " ").str.strip_chars(" "))


def _lookup(
    values: pl.Series, table: Mapping[str, object], kind: PolarsDataType = pl.String
) -> pl.Series:
    return values.replace_strict(dict(table), default=None, return_dtype=kind)


def _per_value(values: pl.Series, resolve: Callable[[pl.Series], pl.DataFrame]) -> pl.DataFrame:
    """``resolve`` run on the distinct values only, its rows gathered back onto every row.

    The distinct values are an Enum's categories, so a row's category index is the row of
    its value in the resolved frame: a gather, several times cheaper than a join."""
    distinct = values.unique().drop_nulls()
    resolved = resolve(distinct)
    index = values.cast(pl.Enum(distinct)).to_physical()
    return resolved.select(pl.all().gather(index))


# -- values ------------------------------------------------------------------------------------


def _days(raw: pl.Series) -> pl.DataFrame:
    """The date (null unless a real YYYY-MM-DD) and the stripped text (for the KG key)."""
    stripped = _strip(raw)
    parsed = stripped.str.to_date("%Y-%m-%d", strict=False)
    real = stripped.str.contains(_ISO_DATE) & (parsed.dt.year() >= 1)  # date() has no year 0
    day = pl.select(pl.when(real).then(parsed)).to_series()
    return pl.DataFrame({"day": day, "date_text": stripped})


def _text_codes(raw: pl.Series, lookups: Lookups) -> pl.DataFrame:
    """The CAMEO code of an event text (null if none) and the text as the KG key holds it."""
    return pl.DataFrame(
        {"code": _lookup(_key(raw), lookups.texts), "event_text": _fold(_strip(raw))}
    )


def _cameo_codes(raw: pl.Series, lookups: Lookups) -> pl.DataFrame:
    """Dataverse files may drop CAMEO's leading zero (43 for 043, 311 for 0311); an empty
    cell (``has_code`` false) sends the row to its event text."""
    known = list(lookups.cameo)
    stripped = _strip(raw)
    code = stripped.str.zfill(3)
    zeroed = "0" + code
    zero_it = ~code.is_in(known) & (code.str.len_chars() == 3) & zeroed.is_in(known)
    chosen = pl.select(pl.when(zero_it).then(zeroed).otherwise(code)).to_series()
    return pl.DataFrame(
        {
            "code": pl.select(pl.when(chosen.is_in(known)).then(chosen)).to_series(),
            "has_code": stripped != "",
        }
    )


def _countries(names: pl.Series, lookups: Lookups) -> pl.Series:
    """ISO3 of an ICEWS country name; names only, so an actor "AU" is not Australia."""
    return _lookup(_fold(_strip(names)), lookups.countries)


def _actors(raw: pl.Series, lookups: Lookups) -> pl.DataFrame:
    """The name as stored (stripped), its ISO3 and type: a named actor first, then a bare
    country (the state), then "Sector (Country)"."""
    names = _strip(raw)
    keys = _key(names)
    listed = keys.is_in(list(lookups.listed))
    state = _countries(names, lookups)
    parts = names.str.extract_groups(_SECTOR_ACTOR)
    sector_type = _lookup(_key(parts.struct.field("sector")), lookups.sectors)
    sector_country = _countries(parts.struct.field("country"), lookups)
    frame = pl.DataFrame(
        {
            "name": names,
            "folded": _fold(names),  # as the KG key holds it
            "listed": listed,
            "listed_country": _lookup(keys, lookups.actor_countries),
            "listed_type": _lookup(keys, lookups.actor_types),
            "state": state,
            "sector_country": sector_country,
            "sector_type": sector_type,
        }
    )
    is_state = pl.col("state").is_not_null()
    return frame.select(
        "name",
        "folded",
        country=pl.when("listed").then("listed_country").when(is_state).then("state")
        .otherwise("sector_country"),
        type=pl.when("listed").then("listed_type").when(~is_state).then("sector_type"),
    )  # fmt: skip


def _sector_types(cells: pl.Series, lookups: Lookups) -> pl.DataFrame:
    """The types of a Dataverse sector list ("Government,Executive"), in order."""
    long = (
        cells.to_frame("cell").with_row_index("i")
        .with_columns(part=pl.col("cell").str.split(",")).explode("part")
    )  # fmt: skip
    long = long.with_columns(type=_lookup(_key(long["part"]), lookups.sectors))
    lists = long.group_by("i", maintain_order=True).agg(pl.col("type").drop_nulls())
    return lists.sort("i").select(sectors="type")


@lru_cache(maxsize=1)
def _hasher() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB for the process: a connection costs ~10 ms, once per batch."""
    return duckdb.connect()


def _sha1_hex(keys: pl.Series) -> pl.Series:
    """SHA-1 (hex) of each UTF-8 string, by DuckDB: neither polars nor arrow has one.

    The keys go in as plain arrow strings in slices, so that DuckDB hashes the slices on
    all its threads (one chunk is one thread)."""
    strings = keys.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(pa.string())
    slices = [strings.slice(start, _HASH_SLICE) for start in range(0, len(strings), _HASH_SLICE)]
    table = pa.table({"k": pa.chunked_array(slices, pa.string())})
    with _hasher().cursor() as con:
        relation = con.from_arrow(table)
        digest = duckdb.FunctionExpression("sha1", duckdb.ColumnExpression("k"))
        hashed = relation.select(digest.alias("h")).to_arrow_table()
    return pl.Series(hashed.column("h"))


# -- the two layouts ---------------------------------------------------------------------------


def _kg_checks(cut: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    dates = _per_value(cut["f3"], _days)
    texts = _per_value(cut["f1"], lambda raw: _text_codes(raw, lookups))
    problem = (
        pl.when(~pl.col("n").is_in([4, 5])).then(pl.lit("count"))
        .when(pl.col("day").is_null()).then(pl.lit("date"))
        .when(pl.col("code").is_null()).then(pl.lit("text"))
    )  # fmt: skip
    return pl.concat([cut, dates, texts], how="horizontal").with_columns(problem=problem)


def _kg_events(good: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    actors = [_per_value(good[f], lambda raw: _actors(raw, lookups)) for f in ("f0", "f2")]
    sides = [_Side(actor["name"], actor["country"], (actor["type"],)) for actor in actors]
    # the key: source|text|target|date, each stripped and casefolded, folded once per
    # distinct value (a good row's date is ASCII digits and "-": folding leaves it alone)
    parts = [actors[0]["folded"], good["event_text"], actors[1]["folded"], good["date_text"]]
    content = pl.select(pl.concat_str(parts, separator="|")).to_series()
    uid = "icews:" + _sha1_hex(content)
    nowhere = pl.repeat(None, good.height, dtype=pl.String, eager=True)
    return _events(good, uid, sides, nowhere, lookups)


def _dataverse_checks(cut: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    dates = _per_value(cut["f1"], _days)
    cameo = _per_value(cut["f6"], lambda raw: _cameo_codes(raw, lookups))
    texts = _per_value(cut["f5"], lambda raw: _text_codes(raw, lookups))
    has_cameo = pl.col("has_code")
    problem = (
        pl.when(pl.col("n") != _DATAVERSE_FIELDS).then(pl.lit("count"))
        .when(pl.col("event_id") == "").then(pl.lit("id"))
        .when(pl.col("day").is_null()).then(pl.lit("date"))
        .when(pl.col("code").is_null() & has_cameo).then(pl.lit("cameo"))
        .when(pl.col("code").is_null()).then(pl.lit("text"))
    )  # fmt: skip
    columns = {
        "event_id": _strip(cut["f0"]),
        "day": dates["day"],
        "has_code": cameo["has_code"],
    }
    code = pl.when(has_cameo).then(cameo["code"]).otherwise(texts["code"])
    return cut.with_columns(**columns).with_columns(code=code).with_columns(problem=problem)


def _dataverse_types(pairs: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    """Up to three distinct types for each distinct (own type, sector list) pair: the
    name's own type first, then those of the listed sectors, in order."""
    listed = _sector_types(pairs["cell"], lookups)["sectors"]
    types = pl.select(
        pl.concat_list([pairs["type"], listed]).list.drop_nulls().list.unique(maintain_order=True)
    ).to_series()
    return pairs.with_columns(
        types.list.get(i, null_on_oob=True).alias(f"type{i + 1}") for i in range(3)
    )


def _dataverse_side(
    good: pl.DataFrame, name: str, sectors: str, country: str, lookups: Lookups
) -> _Side:
    """The name's own mapping, completed by the Country column and the listed sectors."""
    actor = _per_value(good[name], lambda raw: _actors(raw, lookups))
    pairs = pl.DataFrame({"type": actor["type"], "cell": good[sectors]})
    types = pairs.join(
        _dataverse_types(pairs.unique(), lookups),
        on=["type", "cell"],
        how="left",
        nulls_equal=True,  # a name without a type of its own is a key like any other
        maintain_order="left",
    )
    their = _per_value(good[country], lambda raw: _countries(raw, lookups).to_frame("c"))
    placed = pl.select(pl.coalesce(their["c"], actor["country"])).to_series()
    kinds = tuple(types[f"type{i}"] for i in (1, 2, 3))
    return _Side(actor["name"], placed, kinds)


def _dataverse_events(good: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    sides = [
        _dataverse_side(good, "f2", "f3", "f4", lookups),
        _dataverse_side(good, "f8", "f9", "f10", lookups),
    ]
    fips = _per_value(
        good["f17"], lambda raw: _lookup(_fold(_strip(raw)), lookups.fips).to_frame("f")
    )
    return _events(good, "icews:" + good["event_id"], sides, fips["f"], lookups)


# -- the events table --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    """One actor of every row: its name as written, ISO3 and up to three types."""

    name: pl.Series
    country: pl.Series
    types: tuple[pl.Series, ...]

    def columns(self, prefix: str) -> dict[str, pl.Series | pl.Expr]:
        missing: list[pl.Series | pl.Expr] = [pl.lit(None, pl.String)] * (3 - len(self.types))
        types = [*self.types, *missing]
        # country plus first type, as GDELT builds actor codes ("KHMCOP", "KHM", "IGO")
        code = pl.concat_str([self.country.fill_null(""), self.types[0].fill_null("")])
        return {
            f"{prefix}_code": pl.when(code != "").then(code),
            f"{prefix}_name": self.name,
            f"{prefix}_country": self.country,
            **{f"{prefix}_type{i}": kind for i, kind in enumerate(types, start=1)},
        }


def _events(
    good: pl.DataFrame, uid: pl.Series, sides: list[_Side], action: pl.Series, lookups: Lookups
) -> pl.DataFrame:
    """The canonical columns of the good rows (the names of EVENT_COLUMNS; types are cast by
    the caller)."""
    code = good["code"]
    quads = {code: quad for code, (quad, _) in lookups.cameo.items()}
    goldstein = {code: score for code, (_, score) in lookups.cameo.items()}
    one = pl.lit(1, pl.Int32)
    columns: dict[str, pl.Series | pl.Expr] = {
        "event_uid": uid,
        "event_date": good["day"],
        **sides[0].columns("actor1"),
        **sides[1].columns("actor2"),
        "event_code": code,
        "event_base_code": code.str.slice(0, 3),
        "event_root_code": code.str.slice(0, 2),
        "quad_class": _lookup(code, quads, pl.Int8),
        "goldstein": _lookup(code, goldstein, pl.Float64),
        # ICEWS codes one event per sentence: one mention, one source, one article
        "num_mentions": one,
        "num_sources": one,
        "num_articles": one,
        "action_country": action,
        "source_format": pl.lit("icews"),
        "is_reemission": pl.lit(False),
    }
    return good.select(**columns)


# -- a batch -----------------------------------------------------------------------------------


def _reason(problem: str, row: dict[str, object], layout: Layout) -> str:
    """The quarantine reason, worded as the per-row reader worded it."""
    fields = {"date": (1, 3), "text": (5, 1), "cameo": (6, 6)}
    if problem == "count":
        expected = f"{_DATAVERSE_FIELDS}" if layout.dataverse else "4 or 5"
        return f"expected {expected} {_SEPARATED[layout.delimiter]} fields, found {row['n']}"
    if problem == "id":
        return "empty Event ID"
    value = str(row[f"f{fields[problem][0 if layout.dataverse else 1]}"]).strip()
    if problem == "date":
        return f"date {value!r} is not YYYY-MM-DD"
    if problem == "text":
        return f"event text {value!r} has no CAMEO code"
    return f"CAMEO code {value!r} is unknown"


def read_batch(
    frame: pl.DataFrame, layout: Layout, lookups: Lookups, refuse: Callable[[str], str | None]
) -> tuple[pl.DataFrame, list[QuarantinedRow]]:
    """The events of a batch of (line, text) lines, and its quarantined lines in order.

    ``refuse`` words the reason of a line holding a control character
    (tracktwo.events._control.control_reason for this file's columns)."""
    frame = nonblank(frame)
    control = pl.col("text").str.contains(CONTROL)
    bad = [
        QuarantinedRow(line, refuse(text) or "", visible(text))
        for line, text in frame.filter(control).iter_rows()
    ]
    # the fields read: Dataverse's last two (Latitude, Longitude) are never used
    count = 18 if layout.dataverse else 4
    cut = frame.filter(~control).with_columns(cut_fields(pl.col("text"), layout.delimiter, count))
    checks = _dataverse_checks if layout.dataverse else _kg_checks
    checked = checks(cut, lookups)
    failed = checked.filter(pl.col("problem").is_not_null())
    for row in failed.iter_rows(named=True):
        bad.append(QuarantinedRow(row["line"], _reason(row["problem"], row, layout), row["text"]))
    good = checked.filter(pl.col("problem").is_null())
    build = _dataverse_events if layout.dataverse else _kg_events
    return build(good, lookups), sorted(bad, key=lambda row: row.line)
