"""``load_khm_usa_ties``: the reported Cambodia–United States ties tracktwo ships
(``datasets/khm_usa_ties.json``, sources in ``datasets/SOURCES.md``), and the declined Lowell
proposals of 25 April 2023.

The file is in the registry's import format (docs/bridges-import.md). Its ties name their
ends by external id — a GeoNames id for a city, a web domain for a university — or, for
Pursat province, by name, country and kind, so they join the actors that ``load places``,
``load universities`` and ``load provinces`` write. An end the registry does not hold yet is
first upserted from those same shipped lists (the very fields their loaders write), so the
command also works on an empty registry and never makes a second Phnom Penh; an end the
registry already holds is left exactly as it is. The American University of Phnom Penh, which
the university list lacks, is an actor record of the file itself.

All or nothing, in one transaction; a second run finds everything and adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from tracktwo._errors import InputError
from tracktwo.bridges._io import ImportReport, import_records
from tracktwo.bridges._matching import ActorBook, normalise_name, parse_ref
from tracktwo.bridges._open_actors import (
    PROVINCE_ALIASES,
    PROVINCES_FILE,
    city_fields,
    province_fields,
    shipped_places,
    shipped_universities,
    university_fields,
)
from tracktwo.bridges._reading import read_records
from tracktwo.bridges._registry import Registry
from tracktwo.bridges._shipped import shipped_rows
from tracktwo.datasets import dataset_path

__all__ = ["KHM_USA_TIES_FILE", "load_khm_usa_ties"]

KHM_USA_TIES_FILE = "khm_usa_ties.json"
_COUNTRIES = ("KHM", "USA")


@lru_cache(maxsize=1)
def _listed_places() -> dict[int, dict[str, Any]]:
    """The shipped GeoNames places of both countries as city fields, by GeoNames id."""
    fields = (city_fields(p) for c in _COUNTRIES for p in shipped_places(c))
    return {f["geonames_id"]: f for f in fields}


@lru_cache(maxsize=1)
def _listed_universities() -> dict[str, dict[str, Any]]:
    """The shipped universities of both countries as university fields, by web domain."""
    rows = [r for r in shipped_universities() if r["alpha_two_code"] in ("KH", "US")]
    fields = (university_fields(r) for r in rows if r.get("domains"))
    return {f["web_domain"]: f for f in fields}


def _listed_province(name: str) -> dict[str, Any] | None:
    wanted = normalise_name(name)
    for row in shipped_rows(PROVINCES_FILE):
        names = [row["province_en"], *PROVINCE_ALIASES.get(row["province_en"], [])]
        if wanted in {normalise_name(n) for n in names}:
            return province_fields(row)
    return None


def _listed(line: int, record: dict[str, Any], side: str) -> dict[str, Any] | None:
    """The shipped-list fields of the actor one end of a tie names, or None when the end
    is an actor of the file itself (a name of another kind)."""
    ref = record.get(f"ref_{side}")
    if ref:
        column, value = parse_ref(str(ref))
        table: dict[Any, dict[str, Any]] = (
            _listed_places() if column == "geonames_id" else _listed_universities()
        )
        if value not in table:
            raise InputError(f"{KHM_USA_TIES_FILE}: line {line}: {ref} is in no shipped list")
        return table[value]
    if record.get(f"kind_{side}") == "province":
        return _listed_province(str(record[f"actor_{side}"]))
    return None


def _named_actors(records: list[tuple[int, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    seen: set[Any] = set()
    for line, record in records:
        for side in ("a", "b"):
            fields = _listed(line, record, side)
            key = fields and (fields.get("geonames_id") or fields.get("web_domain") or
                              fields["name"])  # fmt: skip
            if fields is not None and key not in seen:
                seen.add(key)
                yield fields


def _add_missing_actors(
    records: list[tuple[int, dict[str, Any]]],
) -> Callable[[Session, ImportReport], None]:
    def add(session: Session, report: ImportReport) -> None:
        book = ActorBook(session, _COUNTRIES)
        for fields in _named_actors(records):
            # one the registry holds stays as it is (another loader may have refined it)
            status = "unchanged" if book.find(fields) else book.upsert(fields)[1]
            report.counts[("actor", status)] += 1

    return add


def load_khm_usa_ties(registry: Registry) -> ImportReport:
    """The shipped Cambodia–US ties and declined proposals, with any of their actors the
    registry lacks; all or nothing, idempotent. The report counts actors, ties (declined
    proposals among them) and activities created, updated and unchanged."""
    path = dataset_path(KHM_USA_TIES_FILE)
    records = list(read_records(path))
    return import_records(registry, records, KHM_USA_TIES_FILE, before=_add_missing_actors(records))
