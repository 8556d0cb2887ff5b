"""Import actors, ties and activities from CSV, JSON or JSON Lines into the registry.

One file is one transaction: every row is checked (field by field, by the rules
:mod:`tracktwo.bridges._fields` holds for editing too, then against the registry:
does the named actor exist, are the two ends in different countries) and if any row is bad
nothing is written and :class:`RowsRejected` carries the report of every bad row (line, field,
reason). Re-importing the same file changes nothing: actors are upserted on an external id
(geonames_id, wikidata_id, web_domain), else on normalised name + country + kind; ties on the
unordered actor pair + channel; activities on tie + date + kind. Two rows of one file for the
same actor, tie or activity are refused (the second would silently overwrite the first), the
report naming both lines. The columns are listed in docs/bridges-import.md; reading the files
lives in :mod:`tracktwo.bridges._reading`, export in :mod:`tracktwo.bridges._export`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracktwo._errors import InputError
from tracktwo.bridges._fields import (
    ACTIVITY_KINDS,
    ACTIVITY_RULES,
    ACTOR_RULES,
    END_RULES,
    TIE_RULES,
    RowProblem,
    RowReader,
    dates_out_of_order,
    read_fields,
)
from tracktwo.bridges._kinds import DECLINED
from tracktwo.bridges._matching import (
    EXTERNAL_IDS,
    FUZZY_THRESHOLD,
    ActorBook,
    TieBook,
    identity_key,
    tie_key,
)
from tracktwo.bridges._models import Activity, Actor, Tie
from tracktwo.bridges._reading import EXTRA_CELLS, read_records
from tracktwo.bridges._registry import Registry
from tracktwo.store import MAX_ID

__all__ = [
    "ACTIVITY_KINDS",
    "RECORD_KINDS",
    "ImportReport",
    "RowProblem",
    "RowsRejected",
    "import_file",
    "import_records",
    "read_records",
]

RECORD_KINDS = ("actor", "tie", "activity")
# what a report counts: a tie row with status declined is a declined proposal, not a tie
REPORTED_KINDS = ("actor", "tie", "declined proposal", "activity")
_SHOWN_PROBLEMS = 20

# an activity row's column for each field of ACTIVITY_RULES that it names otherwise
_ACTIVITY_COLUMNS = {"activity_date": "date"}
ACTOR_FIELDS = tuple(ACTOR_RULES)
_END_FIELDS = tuple(f"{f}_{s}" for s in "ab" for f in END_RULES)  # actor_a ... ref_b
TIE_FIELDS = (*_END_FIELDS, *TIE_RULES)
ACTIVITY_FIELDS = (
    "tie_id", *_END_FIELDS, "channel", *(_ACTIVITY_COLUMNS.get(f, f) for f in ACTIVITY_RULES),
)  # fmt: skip
# written by the export for people to read; an import skips them
_INFORMATIONAL = {"record", "id", "track", "version", "created_at", "updated_at"}
_FIELDS = {"actor": ACTOR_FIELDS, "tie": TIE_FIELDS, "activity": ACTIVITY_FIELDS}


@dataclass
class ImportReport:
    """What an import (or a loader) did: counts per record kind and status, and the problems."""

    source: str
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[RowProblem] = field(default_factory=list)  # fuzzy matches taken, for review

    def count(self, record: str, status: str) -> int:
        return self.counts[(record, status)]

    def rows(self) -> list[dict[str, Any]]:
        """One row per record kind: created, updated, unchanged (for ``emit``)."""
        kinds = [k for k in REPORTED_KINDS if any(r == k for r, _ in self.counts)]
        return [
            {
                "record": kind,
                **{s: self.count(kind, s) for s in ("created", "updated", "unchanged")},
            }
            for kind in kinds or ["actor"]
        ]

    def problem_rows(self) -> list[dict[str, Any]]:
        return [{"line": p.line, "field": p.field, "reason": p.reason} for p in self.problems]

    def __str__(self) -> str:
        if self.problems:
            shown = "\n".join(f"  {p}" for p in self.problems[:_SHOWN_PROBLEMS])
            more = len(self.problems) - _SHOWN_PROBLEMS
            tail = f"\n  ... and {more} more" if more > 0 else ""
            return (
                f"{self.source}: {len(self.problems)} bad row(s), nothing was written:\n"
                f"{shown}{tail}"
            )
        done = ", ".join(f"{r['record']}s {r['created']} new, {r['updated']} updated, "
                         f"{r['unchanged']} unchanged" for r in self.rows())  # fmt: skip
        return f"{self.source}: {done}"


class RowsRejected(InputError):
    """A file with bad rows; ``report`` lists every one. Nothing of the file was written."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(str(report))


# -- checking fields (the rules themselves are in tracktwo.bridges._fields) -------------------


@dataclass(frozen=True)
class _End:
    """How a tie or activity row names one actor: an external id, or name + country (+ kind)."""

    side: str
    name: str | None
    country: str | None
    kind: str | None
    ref: str | None


def _end(row: RowReader, side: str) -> _End | None:
    name, country, kind, ref = (rule.read(row, f"{f}_{side}") for f, rule in END_RULES.items())
    end = _End(side, name, country, kind, ref)
    if end.ref is None and (end.name is None or end.country is None):
        missing = f"actor_{side}" if end.name is None else f"country_{side}"
        row.bad(missing, f"is required (or ref_{side}, e.g. geonames:1821306)")
        return None
    return end


def _ends(row: RowReader) -> tuple[_End, _End] | None:
    end_a, end_b = _end(row, "a"), _end(row, "b")
    if end_a is None or end_b is None:
        return None
    if end_a.country is not None and end_a.country == end_b.country:
        row.bad("country_b", f"a tie joins two countries; both ends are in {end_a.country}")
        return None
    return end_a, end_b


def _tie_fields(row: RowReader) -> dict[str, Any]:
    # the dates first, so that their problems come before the other fields' as they always have
    dates = read_fields(row, {f: TIE_RULES[f] for f in ("start_date", "end_date")})
    wrong = dates_out_of_order(dates["start_date"], dates["end_date"])
    if wrong is not None:
        row.bad("end_date", wrong)
    rest = {f: rule for f, rule in TIE_RULES.items() if f not in dates}
    return {**dates, **read_fields(row, rest)}


# -- the rows of a file, checked --------------------------------------------------------


@dataclass
class _Row:
    line: int
    record: str
    fields: dict[str, Any]
    ends: tuple[_End, _End] | None = None
    tie_id: int | None = None


def _record_of(line: int, raw: dict[str, Any], default: str | None) -> str | RowProblem:
    chosen = str(raw.get("record") or default or "").strip().lower()
    if chosen:
        if chosen not in RECORD_KINDS:
            return RowProblem(line, "record", f"{chosen!r} is not one of {', '.join(RECORD_KINDS)}")
        return chosen
    if "date" in raw or "tie_id" in raw:
        return "activity"
    if "actor_a" in raw or "ref_a" in raw:
        return "tie"
    if "name" in raw:
        return "actor"
    return RowProblem(line, "record", "cannot tell an actor, tie or activity: give a record column")


def _parse(
    line: int, raw: dict[str, Any], default: str | None, problems: list[RowProblem]
) -> _Row | None:
    record = _record_of(line, raw, default)
    if isinstance(record, RowProblem):
        problems.append(record)
        return None
    before = len(problems)
    for name in raw:
        if name == EXTRA_CELLS:
            problems.append(RowProblem(line, name, "more cells than the header has columns"))
        elif name not in _FIELDS[record] and name not in _INFORMATIONAL:
            problems.append(RowProblem(line, name, f"not a field of an {record} row"))
    row = RowReader(line, raw, problems, largest=MAX_ID)  # what an Integer column holds
    if record == "actor":
        parsed = _Row(line, record, read_fields(row, ACTOR_RULES))
    elif record == "tie":
        parsed = _Row(line, record, _tie_fields(row), _ends(row))
    else:
        parsed = _activity_row(line, row)
    return parsed if len(problems) == before else None


def _activity_row(line: int, row: RowReader) -> _Row:
    fields = read_fields(row, ACTIVITY_RULES, _ACTIVITY_COLUMNS)
    tie_id = row.number("tie_id", 1, 2**63 - 1)
    named = any(f in row.raw for f in _END_FIELDS)
    if named or tie_id is None:
        channel = TIE_RULES["channel"].read(row, "channel")
        return _Row(line, "activity", {**fields, "channel": channel}, _ends(row))
    return _Row(line, "activity", fields, tie_id=tie_id)


# -- writing ----------------------------------------------------------------------------


class _Writer:
    """Upserts one file's checked rows in one session, noting rows that name no actor or tie."""

    def __init__(
        self, session: Session, rows: list[_Row], report: ImportReport, threshold: float
    ) -> None:
        self.session, self.rows, self.report = session, rows, report
        countries = {r.fields["country"] for r in rows if r.record == "actor"}
        countries |= {e.country for r in rows if r.ends for e in r.ends if e.country}
        self.actors = ActorBook(session, countries, threshold=threshold)
        channels = {r.fields["channel"] for r in rows if "channel" in r.fields}
        self.ties = TieBook(session, channels)
        # the row that wrote each actor, tie and activity: a second row for the same one would
        # silently overwrite the first, so it is refused, naming both lines
        self.written: dict[tuple[str, Any], _Row] = {}

    def bad(self, row: _Row, name: str, reason: str) -> None:
        self.report.problems.append(RowProblem(row.line, name, reason))

    def first(self, row: _Row, key: tuple[str, Any], name: str, how: str) -> bool:
        """True when no earlier row of the file wrote ``key``; else the row is bad."""
        earlier = self.written.setdefault(key, row)
        if earlier is not row:
            self.bad(row, name, f"the same {row.record} as line {earlier.line} ({how})")
        return earlier is row

    def run(self) -> None:
        for row in self._of("actor"):
            self._upsert_actor(row)
        self.session.flush()  # ties need the new actors' ids
        for row in self._of("tie"):
            self._tie(row)
        self.session.flush()
        self._activities([r for r in self._of("activity")])

    def _of(self, record: str) -> list[_Row]:
        return [row for row in self.rows if row.record == record]

    def _upsert_actor(self, row: _Row) -> None:
        found = self.actors.find(row.fields)  # the actor the upsert would write, if any
        earlier = None if found is None else self.written.get(("actor", id(found)))
        if found is not None and earlier is not None:
            name, how = _same_actor(earlier, row, found)
            self.bad(row, name, f"the same actor as line {earlier.line} ({how})")
            return
        actor, status = self.actors.upsert(row.fields)
        self.written[("actor", id(actor))] = row
        self.report.counts[("actor", status)] += 1

    def _actor(self, row: _Row, end: _End) -> Actor | None:
        if end.ref is not None:
            try:
                found = self.actors.by_ref(end.ref)
            except ValueError as exc:
                self.bad(row, f"ref_{end.side}", str(exc))
                return None
            if found is None:
                self.bad(row, f"ref_{end.side}", f"no actor in the file or registry is {end.ref}")
            return found
        actor, match = self.actors.match(str(end.name), str(end.country), kind=end.kind)
        if actor is None:
            self.bad(
                row,
                f"actor_{end.side}",
                f"{match.status}: {end.name!r} in {end.country}: {match.reason}",
            )
        elif match.status == "fuzzy":
            note = f"{end.name!r} taken as {actor.name!r} (score {match.score:.0f})"
            self.report.notes.append(RowProblem(row.line, f"actor_{end.side}", note))
        return actor

    def _pair(self, row: _Row) -> tuple[Actor, Actor] | None:
        assert row.ends is not None
        actor_a, actor_b = self._actor(row, row.ends[0]), self._actor(row, row.ends[1])
        if actor_a is None or actor_b is None:
            return None
        if actor_a.country == actor_b.country:
            self.bad(
                row, "actor_b", f"{actor_a.name} and {actor_b.name} are both in {actor_a.country}"
            )
            return None
        return actor_a, actor_b

    def _tie(self, row: _Row) -> None:
        pair = self._pair(row)
        if pair is not None:
            fields = dict(row.fields)
            channel = fields.pop("channel")
            ends = (pair[0].id, pair[1].id, channel, fields["status"], fields["end_date"])
            key = ("tie", tie_key(*ends))
            if not self.first(row, key, "channel", f"{pair[0].name} – {pair[1].name}, {channel}"):
                return
            _tie, status = self.ties.upsert(*pair, channel, fields)
            counted = "declined proposal" if fields["status"] == DECLINED else "tie"
            self.report.counts[(counted, status)] += 1

    def _tie_of(self, row: _Row) -> Tie | None:
        if row.tie_id is not None:
            found = self.session.get(Tie, row.tie_id)
            if found is None:
                self.bad(row, "tie_id", f"no tie {row.tie_id} in the registry")
            return found
        pair = self._pair(row)
        if pair is None:
            return None
        found = self.ties.find(*pair, row.fields["channel"])
        if found is None:
            self.bad(row, "channel", f"no {row.fields['channel']} tie between "
                                     f"{pair[0].name} and {pair[1].name}")  # fmt: skip
        return found

    def _activities(self, rows: list[_Row]) -> None:
        targets = [(row, self._tie_of(row)) for row in rows]
        ids = {tie.id for _row, tie in targets if tie is not None}
        known = {
            (a.tie_id, a.activity_date, a.kind): a
            for a in self.session.scalars(select(Activity).where(Activity.tie_id.in_(ids)))
        }
        for row, tie in targets:
            if tie is not None:
                self._activity(row, tie, known)

    def _activity(self, row: _Row, tie: Tie, known: dict[tuple[Any, ...], Activity]) -> None:
        fields = {k: v for k, v in row.fields.items() if k != "channel" and v is not None}
        key = (tie.id, fields["activity_date"], fields["kind"])
        how = f"tie {tie.id}, {key[1]}, {key[2]}"
        if not self.first(row, ("activity", key), "date", how):
            return
        existing = known.get(key)
        if existing is None:
            known[key] = Activity(tie_id=tie.id, **fields)
            self.session.add(known[key])
            self.report.counts[("activity", "created")] += 1
            return
        changed = [n for n, v in fields.items() if getattr(existing, n) != v]
        for name in changed:
            setattr(existing, name, fields[name])
        self.report.counts[("activity", "updated" if changed else "unchanged")] += 1


def _same_actor(earlier: _Row, row: _Row, actor: Actor) -> tuple[str, str]:
    """The field that makes ``row`` the actor ``earlier`` wrote, and how, for the report."""
    for column in EXTERNAL_IDS:
        value = row.fields.get(column)
        if value is not None and value == earlier.fields.get(column):
            return column, f"{column} {value}"
    name, country, kind = (row.fields[f] for f in ("name", "country", "kind"))
    first = (earlier.fields[f] for f in ("name", "country", "kind"))
    if identity_key(*first) == identity_key(name, country, kind):
        return "name", f"name + country + kind: {name!r}, {country}, {kind}"
    # each row matched the registry's actor by a different key
    return "name", f"both are actor #{actor.id} of the registry"


def import_file(
    registry: Registry,
    path: str | os.PathLike[str],
    *,
    kind_of_rows: str | None = None,
    threshold: float = FUZZY_THRESHOLD,
) -> ImportReport:
    """Import one CSV / JSON / JSON Lines file of actors, ties and activities, all or nothing.

    ``kind_of_rows`` (actor, tie or activity) applies to rows without a ``record`` field.
    Raises :class:`RowsRejected` (an InputError) listing every bad row; then nothing is written.
    """
    if kind_of_rows is not None and kind_of_rows not in RECORD_KINDS:
        raise InputError(f"kind of rows {kind_of_rows!r} is not one of {', '.join(RECORD_KINDS)}")
    return import_records(
        registry, read_records(path), str(path), kind_of_rows=kind_of_rows, threshold=threshold
    )


def import_records(
    registry: Registry,
    records: Iterable[tuple[int, dict[str, Any]]],
    source: str,
    *,
    kind_of_rows: str | None = None,
    threshold: float = FUZZY_THRESHOLD,
    before: Callable[[Session, ImportReport], None] | None = None,
) -> ImportReport:
    """Import (line, record) pairs as :func:`import_file` does, all or nothing. ``before`` runs
    first in the same transaction: a loader upserting the actors its rows name (the actors
    it writes are counted in the report by the loader itself)."""
    report = ImportReport(source)
    rows = [row for line, raw in records
            if (row := _parse(line, raw, kind_of_rows, report.problems)) is not None]  # fmt: skip
    with registry.session() as session:
        if before is not None:
            before(session, report)
            session.flush()  # the rows can name the actors it wrote
        _Writer(session, rows, report, threshold).run()
        if report.problems:
            report.problems.sort(key=lambda p: p.line)
            raise RowsRejected(report)  # inside the transaction: it rolls back
    return report
