"""The actor, tie and activity field rules, each held once for editing and for import.

Each field has one :class:`Rule` (its kind of value, whether it is required, its length and
range, its allowed words) in :data:`ACTOR_RULES`, :data:`TIE_RULES` or :data:`ACTIVITY_RULES`.
A rule is applied two ways, which word their refusals as each path always has:

* :meth:`Rule.edit` checks a value given to an edit function (:mod:`tracktwo.bridges._edit`:
  the CLI, the web forms) and raises ``InputError`` whose message starts with the field's name,
  ``"kind: unknown actor kind 'spaceport'; ..."``;
* :meth:`Rule.read` checks one cell of an imported row (:mod:`tracktwo.bridges._io`) through a
  :class:`RowReader`, which notes a :class:`RowProblem` (line, field, reason) and goes on, so
  that every bad row of a file is reported at once.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table

from tracktwo._errors import InputError, UnknownCodeError
from tracktwo.bridges._kinds import Vocabulary, load_vocabulary
from tracktwo.bridges._models import Actor
from tracktwo.taxonomy import load_taxonomy

__all__ = [
    "ACTIVITY_KINDS",
    "ACTIVITY_RULES",
    "ACTOR_RULES",
    "END_RULES",
    "LIST_SEPARATOR",
    "STANCES",
    "TIE_RULES",
    "RowProblem",
    "RowReader",
    "Rule",
    "dates_out_of_order",
    "edit_fields",
    "read_fields",
]

ACTIVITY_KINDS = ("visit", "exchange", "joint_project", "agreement", "event")
STANCES = ("hostile", "aligned")
LIST_SEPARATOR = "|"  # inside one imported CSV cell: "health|education"
_WIKIDATA_ID = re.compile(r"Q[1-9]\d*")
_ACTORS: Table = Actor.__table__  # type: ignore[assignment]


# -- reading one imported row ----------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, field {self.field}: {self.reason}"


class RowReader:
    """One imported record's fields, each read with a check; a failed check notes a problem.

    ``largest`` caps every whole number read (what the store's integer columns hold).
    """

    def __init__(
        self,
        line: int,
        raw: dict[str, Any],
        problems: list[RowProblem],
        *,
        largest: float = math.inf,
    ) -> None:
        self.line, self.raw, self.problems, self.largest = line, raw, problems, largest
        self.vocabulary: Vocabulary = load_vocabulary()

    def bad(self, name: str, reason: str) -> None:
        self.problems.append(RowProblem(self.line, name, reason))

    def text(self, name: str, *, required: bool = False, longest: int | None = None) -> str | None:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.bad(name, "is required")
            return None
        text = str(value)
        if longest is not None and len(text) > longest:
            self.bad(name, f"longer than {longest} characters")
            return None
        return text

    def checked(self, name: str, check: Callable[[str], Any], *, required: bool = False) -> Any:
        text = self.text(name, required=required)
        if text is None:
            return None
        try:
            return check(text)
        except (ValueError, KeyError) as exc:  # KeyError's str() would quote the message
            self.bad(name, str(exc.args[0]) if exc.args else str(exc))
            return None

    def number(self, name: str, low: float, high: float, kind: type = int) -> Any:
        def parse(text: str) -> Any:
            try:
                value = kind(text)
            except ValueError:
                what = "a whole number" if kind is int else "a number"
                raise ValueError(f"{text!r} is not {what}") from None
            if not low <= value <= high:
                raise ValueError(f"{value} is outside {low:g}..{high:g}")
            return value

        return self.checked(name, parse)

    def listing(self, name: str, check: Callable[[str], str] | None = None) -> list[str] | None:
        value = self.raw.get(name)
        if value is None:
            return None
        items = value if isinstance(value, list) else str(value).split(LIST_SEPARATOR)
        chosen = [str(item).strip() for item in items if str(item).strip()]
        try:
            return [check(item) for item in chosen] if check else chosen
        except ValueError as exc:
            self.bad(name, str(exc))
            return None


# -- checks both paths share: the reason (without the field's name) as a ValueError ----------


def _known_area(chosen: str, shown: str) -> str:
    areas = load_taxonomy().areas
    if chosen not in areas:
        raise ValueError(f"unknown area {shown!r}; one of: {', '.join(areas)}")
    return chosen


def _chosen(text: str, options: tuple[str, ...]) -> str:
    chosen = text.strip().lower().replace(" ", "_").replace("-", "_")
    if chosen not in options:
        raise ValueError(f"{text!r} is not one of: {', '.join(options)}")
    return chosen


def _wikidata_id(text: str, shown: Any, example: str) -> str:
    if not _WIKIDATA_ID.fullmatch(text.strip().upper()):
        raise ValueError(f"{shown!r} is not a Wikidata id {example}")
    return text.strip().upper()


def _iso_day(text: str, shown: Any, how: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{shown!r} is not a date {how}") from None


def dates_out_of_order(start: date | None, end: date | None) -> str | None:
    """Why a tie's end_date cannot be its end (it is before start_date), or None."""
    if start is not None and end is not None and end < start:
        return f"{end} is before start_date {start}"
    return None


# -- the edit path's checks: InputError("field: why") ----------------------------------------


def _edit_text(field: str, value: Any, *, limit: int | None, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError(f"{field}: must not be empty")
        return None
    if not isinstance(value, str):
        raise InputError(f"{field}: must be text, not {type(value).__name__}")
    cleaned = value.strip()
    if limit is not None and len(cleaned) > limit:
        raise InputError(f"{field}: at most {limit} characters, got {len(cleaned)}")
    return cleaned


def _edit_words(field: str, value: Any) -> list[str]:
    """A list of strings; a single string is read as a comma-separated list."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Iterable) or isinstance(items, Mapping):
        raise InputError(f"{field}: must be a list of text, not {type(value).__name__}")
    words: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InputError(f"{field}: every item must be text, not {item!r}")
        if item.strip() and item.strip() not in words:
            words.append(item.strip())
    return words


def _edit_day(field: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return _iso_day(str(value).strip(), value, "like 2019-01-31")
    except ValueError as exc:
        raise InputError(f"{field}: {exc}") from None


def _length(table: Table, column: str) -> int | None:
    return getattr(table.c[column].type, "length", None)


# -- the rules -------------------------------------------------------------------------------


class Rule(ABC):
    """One field's rule; ``edit`` raises ``InputError``, ``read`` notes a row problem."""

    @abstractmethod
    def edit(self, field: str, value: Any) -> Any:
        """``value`` checked and normalised for an edit; InputError("field: why") if bad."""

    @abstractmethod
    def read(self, row: RowReader, name: str) -> Any:
        """The cell ``name`` of an imported row checked, or None (a problem noted if bad)."""


@dataclass(frozen=True)
class Text(Rule):
    longest: int | None = None
    required: bool = False

    def edit(self, field: str, value: Any) -> str | None:
        return _edit_text(field, value, limit=self.longest, required=self.required)

    def read(self, row: RowReader, name: str) -> str | None:
        return row.text(name, required=self.required, longest=self.longest)


@dataclass(frozen=True)
class Country(Rule):
    """A country as ISO3, from its ISO3 or ISO2 code or its English name."""

    required: bool = False

    def edit(self, field: str, value: Any) -> str | None:
        text = _edit_text(field, value, limit=None, required=self.required)
        if text is None:
            return None
        try:
            return load_taxonomy().countries.iso3(text)
        except UnknownCodeError as exc:
            raise UnknownCodeError(f"{field}: {exc}") from None

    def read(self, row: RowReader, name: str) -> str | None:
        return row.checked(name, load_taxonomy().countries.iso3, required=self.required)


@dataclass(frozen=True)
class Word(Rule):
    """A word of the vocabulary (kinds.toml): ``check`` is kind, channel or status. An edit
    that names the field must give a word; an import row may leave it out unless required."""

    check: str
    required: bool = False

    def edit(self, field: str, value: Any) -> str:
        text = _edit_text(field, value, limit=None, required=True)
        try:
            return str(getattr(load_vocabulary(), self.check)(text))
        except InputError as exc:
            raise InputError(f"{field}: {exc}") from None

    def read(self, row: RowReader, name: str) -> str | None:
        return row.checked(name, getattr(row.vocabulary, self.check), required=self.required)


@dataclass(frozen=True)
class Choice(Rule):
    """One of ``options``, read case- and separator-blind ("Joint project": joint_project)."""

    options: tuple[str, ...]
    required: bool = False

    def edit(self, field: str, value: Any) -> str | None:
        if _edit_text(field, value, limit=None, required=self.required) is None:
            return None
        try:
            return _chosen(value, self.options)
        except ValueError as exc:
            raise InputError(f"{field}: {exc}") from None

    def read(self, row: RowReader, name: str) -> str | None:
        return row.checked(name, lambda text: _chosen(text, self.options), required=self.required)


@dataclass(frozen=True)
class Coordinate(Rule):
    """A latitude or longitude: a number from -``limit`` to ``limit``."""

    limit: float

    def edit(self, field: str, value: Any) -> float | None:
        if value is None or value == "":
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{field}: must be a number, not {value!r}") from None
        if isinstance(value, bool) or not -self.limit <= number <= self.limit:
            raise InputError(
                f"{field}: must lie between -{self.limit:g} and {self.limit:g}, got {value!r}"
            )
        return number

    def read(self, row: RowReader, name: str) -> float | None:
        return row.number(name, -self.limit, self.limit, float)


@dataclass(frozen=True)
class Count(Rule):
    """A whole number (people, a GeoNames id). An import reads ``first`` up to the reader's
    ``largest``; an edit, as it always has, refuses negative numbers only."""

    first: int = 0

    def edit(self, field: str, value: Any) -> int | None:
        if value is None or value == "":
            return None
        number = value
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int):
            raise InputError(f"{field}: must be a whole number, not {value!r}")
        if number < 0:
            raise InputError(f"{field}: must not be negative, got {number}")
        return number

    def read(self, row: RowReader, name: str) -> int | None:
        return row.number(name, self.first, row.largest)


@dataclass(frozen=True)
class Areas(Rule):
    """Areas of the taxonomy, lower case; an edit separates them by commas, an import's CSV
    cell by ``|``."""

    def edit(self, field: str, value: Any) -> list[str]:
        areas = [word.lower() for word in _edit_words(field, value)]
        for area in areas:
            try:
                _known_area(area, area)
            except ValueError as exc:
                raise InputError(f"{field}: {exc}") from None
        return areas

    def read(self, row: RowReader, name: str) -> list[str] | None:
        return row.listing(name, lambda text: _known_area(text.strip().lower(), text))


@dataclass(frozen=True)
class Words(Rule):
    """A list of free words (other names), blanks dropped."""

    def edit(self, field: str, value: Any) -> list[str]:
        return _edit_words(field, value)

    def read(self, row: RowReader, name: str) -> list[str] | None:
        return row.listing(name)


@dataclass(frozen=True)
class Wikidata(Rule):
    longest: int | None = None

    def edit(self, field: str, value: Any) -> str | None:
        text = _edit_text(field, value, limit=self.longest)
        if text is None:
            return None
        try:
            return _wikidata_id(text, value, "like Q1000")
        except ValueError as exc:
            raise InputError(f"{field}: {exc}") from None

    def read(self, row: RowReader, name: str) -> str | None:
        return row.checked(name, lambda text: _wikidata_id(text, text, "such as Q1850"))


@dataclass(frozen=True)
class Domain(Rule):
    """A web domain; an edit refuses one over ``longest``, an import lower-cases and cuts it."""

    longest: int

    def edit(self, field: str, value: Any) -> str | None:
        return _edit_text(field, value, limit=self.longest)

    def read(self, row: RowReader, name: str) -> str | None:
        return row.checked(name, lambda text: text.strip().lower()[: self.longest])


@dataclass(frozen=True)
class Day(Rule):
    required: bool = False

    def edit(self, field: str, value: Any) -> date | None:
        day = _edit_day(field, value)
        if day is None and self.required:
            raise InputError(f"{field}: a date is required")
        return day

    def read(self, row: RowReader, name: str) -> date | None:
        def parse(text: str) -> date:
            return _iso_day(text, text, "written YYYY-MM-DD")

        return row.checked(name, parse, required=self.required)


@dataclass(frozen=True)
class Flag(Rule):
    """True or false; an import also reads yes/no and 1/0."""

    def edit(self, field: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise InputError(f"{field}: must be true or false, not {value!r}")
        return value

    def read(self, row: RowReader, name: str) -> bool | None:
        return row.checked(name, _yes_no)


def _yes_no(text: str) -> bool:
    chosen = text.strip().lower()
    if chosen not in ("true", "false", "yes", "no", "1", "0"):
        raise ValueError(f"{text!r} is not true or false")
    return chosen in ("true", "yes", "1")


def _actor_text(column: str, *, required: bool = False) -> Text:
    return Text(_length(_ACTORS, column), required=required)


ACTOR_RULES: dict[str, Rule] = {
    "name": _actor_text("name", required=True),
    "local_name": _actor_text("local_name"),
    "country": Country(required=True),
    "kind": Word("kind", required=True),
    "place": _actor_text("place"),
    "latitude": Coordinate(90.0),
    "longitude": Coordinate(180.0),
    "population": Count(),
    "students": Count(),
    "members": Count(),
    "areas_offered": Areas(),
    "areas_needed": Areas(),
    "description": _actor_text("description"),
    "funded_by": Country(),
    "stance": Choice(STANCES),
    "geonames_id": Count(first=1),
    "wikidata_id": Wikidata(_length(_ACTORS, "wikidata_id")),
    "web_domain": Domain(_length(_ACTORS, "web_domain") or 200),
    "alt_names": Words(),
}
TIE_RULES: dict[str, Rule] = {
    "channel": Word("channel", required=True),
    "areas": Areas(),
    "status": Word("status"),
    "status_reason": Text(),
    "start_date": Day(),
    "end_date": Day(),
    "evidence": Text(),
    "anonymised": Flag(),
}
# how a tie or activity row names one of its actors: actor_a, country_a, kind_a, ref_a (and _b)
END_RULES: dict[str, Rule] = {
    "actor": _actor_text("name"),
    "country": Country(),
    "kind": Word("kind"),
    "ref": Text(),
}
ACTIVITY_RULES: dict[str, Rule] = {
    "activity_date": Day(required=True),
    "kind": Choice(ACTIVITY_KINDS, required=True),
    "participants": Count(),
    "note": Text(),
}


def edit_fields(values: Mapping[str, Any], rules: Mapping[str, Rule], what: str) -> dict[str, Any]:
    """``values`` checked by ``rules`` for an edit of ``what`` ("an actor"); InputError naming
    the first bad or unknown field."""
    unknown = sorted(set(values) - set(rules))
    if unknown:
        raise InputError(f"{unknown[0]}: not a field of {what}; the fields are {', '.join(rules)}")
    return {field: rules[field].edit(field, value) for field, value in values.items()}


def read_fields(
    row: RowReader, rules: Mapping[str, Rule], columns: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Every field of ``rules`` read from ``row``, in the rules' order; ``columns`` names the
    cell a field is read from when the file calls it otherwise (activity_date: date)."""
    columns = columns or {}
    return {field: rule.read(row, columns.get(field, field)) for field, rule in rules.items()}
