"""``events fetch --follow``: fetch what GDELT has published since the last run, once (for
cron) or every so often.

A round reads ``lastupdate.txt`` (the newest 15-minute file set) and fetches every export
stamped after the newest file the ledger (``fetched_files``) records as fetched for these
dyads, up to the one lastupdate names. The boundary is the newest *fetched* file, so a newest
file that was missing or corrupt is tried again next round; older gaps are left to a range
fetch (``--since/--until``), which retries every missing file of its days. With nothing
recorded yet, a round starts at ``since`` when given, else fetches lastupdate's own export.

When the window is just lastupdate's slot (the usual case every 15 minutes) the master list
is not read at all; a wider window reads the end of the cached copy, refreshing it first
(conditionally) only when the copy stops short of the slot before lastupdate's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from tracktwo._errors import FetchError, InputError
from tracktwo.events._batch import DEFAULT_BATCH_FILES
from tracktwo.events._fetch import (
    Dyad,
    FetchOptions,
    FetchReport,
    Progress,
    dyad_label,
    fetch_entries,
    one_per_url,
)
from tracktwo.events._gdelt_http import DEFAULT_JOBS, http_client
from tracktwo.events._gdelt_list import (
    SLOT,
    MasterCache,
    MasterEntry,
    is_url,
    read_lastupdate,
    read_local_masterlist,
)
from tracktwo.store import EventStore, newest_fetched_stamp

__all__ = [
    "DEFAULT_LASTUPDATE",
    "LASTUPDATE_ENV",
    "follow_gdelt",
    "parse_interval",
]

DEFAULT_LASTUPDATE = "http://data.gdeltproject.org/gdeltv2/lastupdate.txt"
LASTUPDATE_ENV = "TRACKTWO_GDELT_LASTUPDATE"

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh])\s*$")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0}

RoundHook = Callable[[int, FetchReport], None]
ErrorHook = Callable[[int, FetchError], None]


def parse_interval(text: str, *, option: str = "--every") -> float:
    """``"15m"`` → 900.0 seconds; ``30s``, ``1h``, ``0.5s`` too. Anything else is an InputError
    naming the option."""
    match = _INTERVAL.match(text)
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else 0.0
    if seconds <= 0:
        raise InputError(
            f"{option} {text!r}: write a positive number and a unit, s, m or h (e.g. 15m)"
        )
    return seconds


def _stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d%H%M%S")


def _boundary(store: EventStore, label: str, since: date | None) -> datetime | None:
    """Files stamped after this are new: the newest fetched one, or the start of ``since``."""
    newest = newest_fetched_stamp(store, label)
    candidates = [_stamp(newest)] if newest else []
    if since is not None:
        candidates.append(datetime.combine(since, datetime.min.time()) - timedelta(seconds=1))
    return max(candidates, default=None)


class _Round:
    """One follow round's list work: which export files are new, and from which list."""

    def __init__(
        self, store: EventStore, client: httpx.Client, masterlist: str, retries: int, wait: float
    ) -> None:
        self.store, self.client, self.masterlist = store, client, masterlist
        self.retries, self.wait = retries, wait
        self.cache = MasterCache(store.home, masterlist) if is_url(masterlist) else None

    def new_files(
        self, lastupdate: str, after: datetime | None
    ) -> tuple[list[MasterEntry], int, str, datetime]:
        """(new exports oldest first, malformed list lines, list source, lastupdate's newest)."""
        latest, malformed, lines = read_lastupdate(
            self.client, lastupdate, retries=self.retries, wait=self.wait
        )
        exports = [e for e in latest if e.is_export]
        through = max(e.stamp for e in exports)
        if after is None or after >= through - SLOT:  # lastupdate alone covers the window
            if self.cache is not None:
                self.cache.append_following(lines, latest)
            fresh = [e for e in exports if after is None or e.stamp > after]
            return one_per_url(fresh), malformed, "lastupdate.txt", through
        listed, more, source = self.listed_between(after, through, lines, latest)
        fresh = [*listed, *(e for e in exports if e.stamp > after)]
        return one_per_url(fresh), malformed + more, source, through

    def listed_between(
        self, after: datetime, through: datetime, lines: list[str], latest: list[MasterEntry]
    ) -> tuple[list[MasterEntry], int, str]:
        """Exports stamped in (after, through] from the master list: a local file read whole,
        or the cached copy's end (refreshed when it stops short of lastupdate)."""

        def keep(entry: MasterEntry) -> bool:
            return entry.is_export and after < entry.stamp <= through

        if self.cache is None:
            return (*read_local_masterlist(self.masterlist, keep), "local file")
        newest = self.cache.newest()
        source = "cached"
        if newest is None or newest < through - SLOT:
            self.cache.refresh(self.client, retries=self.retries, wait=self.wait)
            source = self.cache.outcome
        self.cache.append_following(lines, latest)
        return (*self.cache.scan_after(after, keep), source)


def _one_round(
    store: EventStore,
    client: httpx.Client,
    dyads: Sequence[Dyad],
    lastupdate: str,
    masterlist: str,
    since: date | None,
    options: FetchOptions,
) -> FetchReport:
    after = _boundary(store, dyad_label(dyads), since)
    finder = _Round(store, client, masterlist, options.retries, options.retry_wait)
    entries, malformed, source, through = finder.new_files(lastupdate, after)
    report = FetchReport(expected=len(entries), malformed_list_lines=malformed,
                         list_source=source, through=through)  # fmt: skip
    return fetch_entries(store, client, entries, dyads, options, report)


def follow_gdelt(
    store: EventStore,
    *,
    dyads: Sequence[Dyad],
    lastupdate: str = DEFAULT_LASTUPDATE,
    masterlist: str,
    since: date | None = None,
    every: float | None = None,
    max_rounds: int | None = None,
    on_round: RoundHook | None = None,
    on_error: ErrorHook | None = None,
    download_dir: Path | None = None,
    client: httpx.Client | None = None,
    ingest: bool = True,
    keep_zips: bool = False,
    jobs: int = DEFAULT_JOBS,
    retries: int = 2,
    retry_wait: float = 0.5,
    progress: Progress | None = None,
    on_file: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    batch_files: int = DEFAULT_BATCH_FILES,
) -> FetchReport:
    """Fetch the exports GDELT published since the last run; return the last round's report.

    ``every=None`` runs one round (for cron; a FetchError, e.g. lastupdate.txt unreachable,
    is raised). ``every=seconds`` starts a round that often until interrupted, or until
    ``max_rounds`` rounds ran; there a FetchError goes to ``on_error(round, error)`` and the
    next round tries again. ``on_round(round, report)`` is called after each round.
    ``lastupdate`` and ``masterlist`` are URLs or local files; the other options are
    :func:`tracktwo.events.fetch_gdelt`'s.
    """
    options = FetchOptions(download_dir, ingest, keep_zips, jobs, retries, retry_wait,
                           progress, on_file, batch_files)  # fmt: skip
    last = FetchReport()
    with http_client(client, jobs) as http:
        number = 0
        while True:
            number += 1
            started = time.monotonic()
            try:
                last = _one_round(store, http, dyads, lastupdate, masterlist, since, options)
            except FetchError as exc:
                if every is None:
                    raise
                if on_error:
                    on_error(number, exc)
            else:
                if on_round:
                    on_round(number, last)
            if every is None or (max_rounds is not None and number >= max_rounds):
                return last
            sleep(max(0.0, every - (time.monotonic() - started)))
