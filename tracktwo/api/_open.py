"""``tracktwo.open(home)``: a data folder's figures as tables, for notebooks and scripts.

Each call opens what it reads (the event store read-only, the registry) and closes it before
it returns, so an idle notebook holds nothing: the dashboard, the command line, an ingest and
R use the folder between two cells. The libraries behind it are imported on the first call,
so ``import tracktwo`` stays light.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

import pandas as pd

from tracktwo._config import resolve_home
from tracktwo._errors import InputError, NotFoundError
from tracktwo.api._frames import as_arrow, as_pandas, as_polars, day, with_datetimes

if TYPE_CHECKING:
    import polars
    import pyarrow

    from tracktwo.bridges import Registry
    from tracktwo.match import Recommender
    from tracktwo.store import EventStore

__all__ = ["Frames", "TrackTwo", "open"]

F = TypeVar("F")
Day = date | str | None  # a date, or text "YYYY-MM-DD"
_REGISTRY_FILE = "registry.sqlite"  # bridges.REGISTRY_FILE, without loading SQLAlchemy
_CREATE = "create it with `tracktwo demo --no-serve` (the shipped Cambodia–US data)"


@dataclass(frozen=True)
class _Folder:
    """Where the figures come from: the data folder, the registry URL, whether to write."""

    home: Path
    write: bool
    db: str | None
    # the last recommender fitted, by the registry's fingerprint: fitting takes seconds,
    # and any change to the registry (from any process) changes the fingerprint
    models: dict[tuple[int, ...], Recommender] = field(default_factory=dict)

    def recommender(self, registry: Registry) -> Recommender:
        from tracktwo.match import Recommender
        from tracktwo.store import registry_fingerprint

        with registry.engine.connect() as connection:
            key = registry_fingerprint(connection)
        if key not in self.models:
            self.models.clear()  # one model kept: a notebook asks about one registry
            self.models[key] = Recommender().fit(registry)
        return self.models[key]

    @contextmanager
    def store(self, *, write: bool = False) -> Iterator[EventStore]:
        """The event store for one call: its published snapshot (an ingest running meanwhile
        neither waits nor is waited for), or, with ``write``, the writer's working file
        (waiting up to ``TRACKTWO_STORE_WAIT`` seconds for another writer)."""
        from tracktwo.store import EventStore, store_wait

        if write:
            self.check_writable()
            opened = EventStore(self.home, write=True)
        else:
            opened = EventStore(self.home, wait=store_wait())
        with opened:
            yield opened

    @contextmanager
    def registry(self) -> Iterator[Registry]:
        """The bridges registry for one call; a missing SQLite file is a clear error, not a
        new empty registry."""
        from tracktwo.bridges import Registry

        url = self.db or os.environ.get("TRACKTWO_DB")
        path = self.home / _REGISTRY_FILE
        if not url and not self.write and not path.is_file():
            raise NotFoundError(
                f"no bridges registry at {path}: {_CREATE} or "
                "`tracktwo bridges load`, or pass db= a registry URL"
            )
        opened = Registry(url, home=self.home, upgrade=self.write)
        try:
            yield opened
        finally:
            opened.close()

    def check_writable(self) -> None:
        if not self.write:
            raise InputError(
                f"{self.home} is open read-only: open it with "
                f"tracktwo.open({str(self.home)!r}, write=True) to change it"
            )


class Frames(Generic[F]):
    """The figures of a data folder, each as one table of type ``F``: pandas from
    ``tracktwo.open(...)`` itself, polars from its ``.pl``, Arrow from its ``.arrow``."""

    def __init__(self, folder: _Folder, convert: Callable[[pd.DataFrame], F]) -> None:
        self._folder = folder
        self._convert = convert

    def _table(self, frame: pd.DataFrame) -> F:
        return self._convert(with_datetimes(frame))

    def pulse(
        self,
        country_a: str,
        country_b: str,
        *,
        freq: str = "month",
        by: str = "track",
        directed: bool = False,
        since: Day = None,
        until: Day = None,
        signals: bool = True,
        seed: int = 0,
        min_support: int | None = None,
        min_roll_calls: int | None = None,
    ) -> F:
        """The pair's relationship per period and series, what ``tracktwo pulse`` prints:
        ``period`` (datetime64, the first day), ``kind``, ``series``, ``events``, ``value``
        (mention-weighted mean Goldstein) with ``ci_low``/``ci_high``, ``coop_share``,
        ``coverage_share``, ``per_100k``, the eligibility and record marks
        (docs/pulse-method.md). ``freq``: month, quarter or year; ``by``: track, area or
        none; ``signals=False`` leaves out the UN votes and imported signals."""
        from tracktwo.pulse import MIN_EVENTS, MIN_ROLL_CALLS
        from tracktwo.pulse import pulse as compute_pulse

        with self._folder.store() as store:
            result = compute_pulse(
                store, country_a, country_b, freq=freq, by=by, directed=directed,
                since=day(since, "since"), until=day(until, "until"), seed=seed,
                signals=signals,
                min_support=MIN_EVENTS if min_support is None else min_support,
                min_roll_calls=MIN_ROLL_CALLS if min_roll_calls is None else min_roll_calls,
            )  # fmt: skip
        return self._table(result.frame)

    def votes(
        self,
        country_a: str,
        country_b: str,
        *,
        measure: str = "agreement",
        by: str = "year",
        issue: str | None = None,
        since: Day = None,
        until: Day = None,
        seed: int = 0,
    ) -> F:
        """How alike the two countries vote at the UN, per period, what ``tracktwo votes
        agreement`` prints: ``period`` (datetime64), ``session``, ``measure``, ``roll_calls``,
        ``value``, ``ci_low``, ``ci_high`` (95% bootstrap). ``measure``: agreement,
        identical, s-score or kappa; ``by``: year, session, month or quarter; ``issue``: me,
        nu, di, hr, co or ec (docs/signals.md)."""
        from tracktwo.pulse import vote_measure

        with self._folder.store() as store:
            frame = vote_measure(
                store, country_a, country_b, measure=measure, by=by, issue=issue,
                since=day(since, "since"), until=day(until, "until"), seed=seed,
            )  # fmt: skip
        return self._table(frame)

    def scorecard(
        self, country_a: str, country_b: str, *, at: Day = None, dormant_months: int | None = None
    ) -> F:
        """The diversity and resilience scorecard of the pair's ties on ``at`` (default
        today): one row, one typed column per figure (``Scorecard.as_frame``, docs/python.md;
        the figures are those of docs/scorecard.md). ``dormant_months``: a tie without
        activity for longer is dormant (default 24)."""
        from tracktwo.bridges import DEFAULT_DORMANT_MONTHS, scorecard

        months = DEFAULT_DORMANT_MONTHS if dormant_months is None else dormant_months
        with self._folder.registry() as registry:
            card = scorecard(registry, country_a, country_b, at=day(at, "at"),
                             dormant_months=months)  # fmt: skip
        return self._table(card.as_frame())

    def recommend(
        self,
        actor: str | int,
        *,
        k: int = 10,
        country: str | None = None,
        kind: str | None = None,
        diversity: float | None = None,
    ) -> F:
        """The best new partners abroad for ``actor`` (an id, ``"geonames:1821306"`` or an
        exact name), what ``tracktwo match recommend`` prints in CSV: ``candidate_id``,
        ``name``, ``country``, ``kind``, ``score``, ``rank``, one column per component of the
        score, the partner's region and ``explanation``, a sentence saying why.
        ``country``/``kind`` keep only partners of that country or kind; ``diversity`` is
        the maximal-marginal-relevance λ (1 ranks by score alone; default 0.7,
        docs/match.md). The fitted model is kept until the registry changes."""
        from tracktwo.match import LAMBDA, recommend_explained, resolve_actor

        with self._folder.registry() as registry:
            source = resolve_actor(registry, str(actor))
            frame = recommend_explained(
                registry, source, k, kind=kind, country=country,
                lambda_=LAMBDA if diversity is None else diversity,
                model=self._folder.recommender(registry),
            )  # fmt: skip
        frame.attrs = {}  # the source's label: pandas-only metadata other engines drop
        return self._table(frame)

    def actors(
        self,
        *,
        country: str | None = None,
        kind: str | None = None,
        area: str | None = None,
        search: str | None = None,
    ) -> F:
        """The registry's actors by id, what ``tracktwo bridges actors --format csv``
        prints: ``country`` (ISO3), ``kind`` (city, province, university …), ``area``
        offered or needed, ``search`` text in any of the names."""
        from tracktwo.bridges import list_actors

        with self._folder.registry() as registry:
            rows = list_actors(registry, country=country, kind=kind, area=area, search=search)
        return self._table(pd.DataFrame(rows))


class TrackTwo(Frames[pd.DataFrame]):
    """A tracktwo data folder opened by :func:`open`; its methods return pandas frames,
    ``.pl`` gives the same methods returning polars frames and ``.arrow`` Arrow tables."""

    def __init__(self, home: Path, *, write: bool = False, db: str | None = None) -> None:
        super().__init__(_Folder(home, write, db), as_pandas)

    @property
    def home(self) -> Path:
        """The data folder."""
        return self._folder.home

    @property
    def write(self) -> bool:
        """True when opened with ``write=True``: :meth:`ingest` may change the store."""
        return self._folder.write

    @property
    def pl(self) -> Frames[polars.DataFrame]:
        """The same methods, each returning a polars DataFrame."""
        return Frames(self._folder, as_polars)

    @property
    def arrow(self) -> Frames[pyarrow.Table]:
        """The same methods, each returning a pyarrow Table."""
        return Frames(self._folder, as_arrow)

    @contextmanager
    def store(self) -> Iterator[EventStore]:
        """The event store itself, read-only, for the library functions that take one
        (``tracktwo.pulse.compare`` …); closed when the ``with`` block ends."""
        with self._folder.store() as store:
            yield store

    def ingest(self, *paths: str | os.PathLike[str], source: str | None = None) -> pd.DataFrame:
        """Ingest GDELT or ICEWS event files (``tracktwo events ingest``), each
        all-or-nothing: one row per file read. Needs ``write=True``; a file that cannot be
        read at all is an error naming it, after the others are stored."""
        from tracktwo.events import ingest_paths

        if not paths:
            raise InputError("ingest: give at least one file")
        with self._folder.store(write=True) as store:
            reports, failures = ingest_paths(store, paths, source=source)
        if failures:
            raise failures[0]
        return pd.DataFrame([report.as_row() for report in reports])

    def __repr__(self) -> str:
        mode = "write" if self.write else "read-only"
        return f"<tracktwo.TrackTwo {str(self.home)!r} ({mode})>"


def open(
    home: str | os.PathLike[str] | None = None,
    *,
    write: bool = False,
    db: str | None = None,
) -> TrackTwo:
    """Open a tracktwo data folder: ``home``, else ``$TRACKTWO_HOME``, else
    ``./tracktwo-data``. Read-only unless ``write=True``: any number of notebooks, commands
    and the dashboard read at once. ``db``: the registry's URL (default ``$TRACKTWO_DB``,
    else the SQLite file in the folder). A read-only folder holding neither the event store
    nor the registry is a NotFoundError saying how to create it."""
    folder = resolve_home(home, create=write)
    if not write:
        _check_readable(folder, db)
    return TrackTwo(folder, write=write, db=db)


def _check_readable(folder: Path, db: str | None) -> None:
    from tracktwo.store import SNAPSHOT_DIR, STORE_FILE

    if not folder.is_dir():
        raise NotFoundError(f"no tracktwo data folder at {folder}: {_CREATE}")
    # a copy of the published snapshot alone (no working file) can be read too
    kept = (STORE_FILE, _REGISTRY_FILE, f"{SNAPSHOT_DIR}/manifest.json")
    held = [name for name in kept if (folder / name).is_file()]
    if not held and not (db or os.environ.get("TRACKTWO_DB")):
        raise NotFoundError(
            f"{folder} holds no event store ({STORE_FILE}) and no registry "
            f"({_REGISTRY_FILE}): {_CREATE}, or `tracktwo events ingest FILE...`"
        )
