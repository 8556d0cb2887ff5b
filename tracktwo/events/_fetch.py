"""Download GDELT 2.0 event exports listed in GDELT's master file list, keep one dyad, ingest.

GDELT publishes ``masterfilelist.txt``: one line per file, ``SIZE MD5 URL``. Every
15 minutes adds three files (``.export.CSV.zip``, ``.mentions.CSV.zip``, ``.gkg.csv.zip``);
only the event exports are fetched here. The list is kept in the data directory and refreshed
with a conditional request (tracktwo.events._gdelt_list). For each export whose time stamp
falls within the requested days the file is streamed to ``<download_dir>/<name>.part`` by a
pool of ``jobs`` threads (tracktwo.events._gdelt_http); this thread then takes them back in
file order, checks each against the listed size and MD5, filters it down to the requested
dyads (byte-exact lines) and ingests the small filtered file. Only this thread writes to the
store. The ``fetched_files`` table remembers every outcome; a file already recorded as
``fetched`` with the same MD5 is skipped on the next run, which is how an interrupted run
resumes. ``events fetch --follow`` (tracktwo.events._follow) reuses all of this per round.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from tracktwo._errors import FetchError, FileFormatError, InputError
from tracktwo.events._batch import DEFAULT_BATCH_FILES, DEFAULT_BATCH_SECONDS, IngestBatch
from tracktwo.events._gdelt_http import (
    DEFAULT_JOBS,
    Downloaded,
    Missing,
    download,
    download_in_order,
    http_client,
)
from tracktwo.events._gdelt_list import (
    Keep,
    MasterCache,
    MasterEntry,
    is_url,
    parse_masterlist,
    read_local_masterlist,
)
from tracktwo.store import EventStore, mark_file_fetched, previous_fetch, replace_fetched_file

__all__ = [
    "DEFAULT_JOBS",
    "DEFAULT_MASTERLIST",
    "MASTERLIST_ENV",
    "Dyad",
    "FetchOptions",
    "FetchReport",
    "MasterEntry",
    "Progress",
    "dyad_label",
    "fetch_entries",
    "fetch_gdelt",
    "ingest_kept_file",
    "load_range",
    "one_per_url",
    "parse_dyads",
    "parse_masterlist",
]

DEFAULT_MASTERLIST = "http://data.gdeltproject.org/gdeltv2/masterfilelist.txt"
MASTERLIST_ENV = "TRACKTWO_GDELT_MASTERLIST"

# 0-based columns of Actor1CountryCode / Actor2CountryCode in a GDELT 2.0 export
_ACTOR1_COUNTRY = 7
_ACTOR2_COUNTRY = 17

Dyad = tuple[str, str]


@dataclass
class FetchReport:
    """What a fetch run (or one follow round) found: how many export files were expected and
    what became of them. Every expected file is counted once: fetched, already fetched,
    missing or corrupt."""

    expected: int = 0
    fetched: int = 0
    already_fetched: int = 0
    missing: list[tuple[str, str]] = field(default_factory=list)
    corrupt: list[tuple[str, str]] = field(default_factory=list)
    rows_kept: int = 0
    malformed_list_lines: int = 0
    # where the list of files came from this time: "downloaded", "not modified" (a 304 kept
    # the cached copy), "cached", "lastupdate.txt" or "local file"
    list_source: str = ""
    # a follow round: the newest file lastupdate.txt names (None for a range fetch)
    through: datetime | None = None

    @property
    def complete(self) -> bool:
        """True when every expected file is now in the store (this run or an earlier one)."""
        done = self.fetched + self.already_fetched
        return not self.missing and not self.corrupt and done == self.expected

    def as_rows(self) -> list[dict[str, Any]]:
        """The summary as (measure, value) rows for ``tracktwo.cli._output.emit``."""
        rows: list[dict[str, Any]] = [
            {"measure": "expected files", "value": self.expected},
            {"measure": "fetched (this run)", "value": self.fetched},
            {"measure": "already fetched", "value": self.already_fetched},
            {"measure": "missing", "value": len(self.missing)},
            {"measure": "corrupt", "value": len(self.corrupt)},
            {"measure": "rows kept (this run)", "value": self.rows_kept},
            {"measure": "malformed list lines", "value": self.malformed_list_lines},
            {"measure": "complete", "value": "yes" if self.complete else "no"},
        ]
        if self.through is not None:  # a follow round says how far it got and how
            rows.append({"measure": "newest file", "value": f"{self.through:%Y%m%d%H%M%S}"})
            rows.append({"measure": "file list", "value": self.list_source})
        return rows

    def problem_rows(self) -> list[dict[str, Any]]:
        """One row per missing or corrupt file: status, url, reason."""
        rows = [{"status": "missing", "url": url, "reason": why} for url, why in self.missing]
        rows += [{"status": "corrupt", "url": url, "reason": why} for url, why in self.corrupt]
        return rows


# --------------------------------------------------------------------------- the master list


def load_range(
    client: httpx.Client, home: Path, location: str, keep: Keep, *, retries: int, wait: float
) -> tuple[list[MasterEntry], int, str]:
    """The entries ``keep`` accepts, the malformed lines, and where the list came from: a URL
    through the cached copy in ``home`` (refreshed conditionally), or a local file as is."""
    if not is_url(location):
        return (*read_local_masterlist(location, keep), "local file")
    cache = MasterCache(home, location)
    cache.refresh(client, retries=retries, wait=wait)
    return (*cache.scan(keep), cache.outcome)


def _exports_between(since: date, until: date) -> Keep:
    def keep(entry: MasterEntry) -> bool:
        return entry.is_export and since <= entry.stamp.date() <= until

    return keep


def one_per_url(entries: Iterable[MasterEntry]) -> list[MasterEntry]:
    """Oldest first; a URL listed twice is fetched once (the last listing wins)."""
    chosen = {e.url: e for e in entries}
    return sorted(chosen.values(), key=lambda e: (e.stamp, e.url))


# --------------------------------------------------------------------------- dyads


def parse_dyads(values: Sequence[str], *, option: str = "--dyad") -> list[Dyad]:
    """``["KHM-USA"]`` → ``[("KHM", "USA")]``; codes checked against the country table."""
    from tracktwo.taxonomy import load_taxonomy

    countries = load_taxonomy().countries
    dyads: list[Dyad] = []
    for value in values:
        parts = value.strip().split("-")
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise InputError(
                f"{option} {value!r}: write two country codes joined by '-', e.g. KHM-USA"
            )
        try:
            pair = (countries.iso3(parts[0]), countries.iso3(parts[1]))
        except InputError as exc:
            raise InputError(f"{option} {value!r}: {exc}") from exc
        if pair not in dyads and pair[::-1] not in dyads:  # the filter keeps both directions
            dyads.append(pair)
    return dyads


def dyad_label(dyads: Sequence[Dyad]) -> str:
    return "_".join(f"{a}-{b}" for a, b in dyads) if dyads else "all"


def _wanted_pairs(dyads: Sequence[Dyad]) -> set[tuple[bytes, bytes]]:
    """Both directions of every dyad, as the raw bytes found in the file."""
    pairs: set[tuple[bytes, bytes]] = set()
    for a, b in dyads:
        pairs.add((a.encode(), b.encode()))
        pairs.add((b.encode(), a.encode()))
    return pairs


# --------------------------------------------------------------------------- the ledger


def _previous(store: EventStore, url: str, label: str) -> tuple[str, str] | None:
    """(status, md5) recorded for a URL by an earlier run for the same dyads, if any.

    The ledger is per (file, dyads): a file fetched for KHM-USA still has to be fetched for
    KHM-CHN. A run that kept every row ("all") covers any dyad.
    """
    return previous_fetch(store, url, label)


def _record(
    store: EventStore, entry: MasterEntry, label: str, status: str, rows_kept: int | None
) -> None:
    """One row per URL and dyads: the latest outcome replaces the earlier one."""
    replace_fetched_file(
        store, entry.url, label, size=entry.size, md5=entry.md5, status=status, rows_kept=rows_kept
    )


# --------------------------------------------------------------------------- one file


class _Corrupt(Exception):
    """The file arrived but is not what the list promised."""


def _verify(entry: MasterEntry, size: int, md5: str) -> None:
    if size != entry.size:
        raise _Corrupt(f"size {size} bytes, the list says {entry.size}")
    if md5 != entry.md5:
        raise _Corrupt(f"MD5 {md5}, the list says {entry.md5}")


def _filter_zip(zip_path: Path, out_path: Path, pairs: set[tuple[bytes, bytes]]) -> int:
    """Copy the rows of the wanted dyads (all rows if none) byte for byte; return how many."""
    kept = 0
    staging = out_path.with_name(out_path.name + ".part")
    try:
        with zipfile.ZipFile(zip_path) as archive, open(staging, "wb") as out:
            for member in archive.infolist():
                with archive.open(member) as rows:
                    for line in rows:
                        if pairs and not _row_matches(line, pairs):
                            continue
                        out.write(line if line.endswith(b"\n") else line + b"\n")
                        kept += 1
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as exc:
        staging.unlink(missing_ok=True)
        raise _Corrupt(f"not a readable zip file: {exc}") from exc
    os.replace(staging, out_path)
    return kept


def _row_matches(line: bytes, pairs: set[tuple[bytes, bytes]]) -> bool:
    fields = line.split(b"\t", _ACTOR2_COUNTRY + 1)
    if len(fields) <= _ACTOR2_COUNTRY:
        return False
    return (fields[_ACTOR1_COUNTRY], fields[_ACTOR2_COUNTRY]) in pairs


def ingest_kept_file(
    batch: IngestBatch, path: Path, source_name: str, then: Callable[[], None]
) -> None:
    """Stage one filtered file in the run's batch; ``then`` (its ledger row) runs in the
    transaction that stores it, so a file is recorded fetched only with its rows."""
    try:
        batch.add(path, source_name=source_name, then=lambda _report: then())
    except InputError as exc:
        raise _Corrupt(f"could not be ingested: {exc}") from exc


# --------------------------------------------------------------------------- the run

Progress = Callable[[int, int], None]
_SKIP, _REUSE, _DOWNLOAD = "skip", "reuse", "download"


@dataclass
class _Run:
    """Everything one fetch run needs, so the per-file steps take one argument. Its methods
    run on the calling thread only: the pool's threads download, nothing else."""

    store: EventStore
    client: httpx.Client
    download_dir: Path
    pairs: set[tuple[bytes, bytes]]
    label: str
    ingest: bool
    keep_zips: bool
    jobs: int
    retries: int
    retry_wait: float
    report: FetchReport
    batch_files: int = DEFAULT_BATCH_FILES
    batch_seconds: float = DEFAULT_BATCH_SECONDS
    batch: IngestBatch | None = None
    # the files staged in the batch, until it stores them: (entry, rows kept, reused?), so
    # that a file the batch's read refuses is counted corrupt instead of fetched
    staged: dict[Path, tuple[MasterEntry, int, bool]] = field(default_factory=dict)

    def filtered_path(self, entry: MasterEntry) -> Path:
        return self.download_dir / f"{entry.stamp:%Y%m%d%H%M%S}.export.{self.label}.tsv"

    def part_path(self, entry: MasterEntry) -> Path:
        return self.download_dir / f"{entry.name}.part"

    def plan(self, entry: MasterEntry) -> str:
        """Skip a file fetched before with the same MD5, reuse one filtered by --no-ingest,
        download the rest (read from the ledger only: nothing is written yet)."""
        previous = _previous(self.store, entry.url, self.label)
        if previous == ("fetched", entry.md5):
            return _SKIP
        if previous == ("downloaded", entry.md5) and self.filtered_path(entry).exists():
            return _REUSE
        return _DOWNLOAD

    def run(
        self,
        entries: Sequence[MasterEntry],
        progress: Progress | None,
        on_file: Callable[[str], None] | None,
    ) -> None:
        """Every entry once, in order; the downloads run ahead on the pool meanwhile."""
        plans = [(entry, self.plan(entry)) for entry in entries]
        wanted = [(e.url, self.part_path(e)) for e, how in plans if how == _DOWNLOAD]
        outcomes = download_in_order(
            self.client, wanted, jobs=self.jobs, retries=self.retries, wait=self.retry_wait
        )
        # many files, one commit: an interrupted run loses only the batch not yet stored
        with IngestBatch(self.store, max_files=self.batch_files, max_seconds=self.batch_seconds,
                         on_refused=self.refused) as self.batch:  # fmt: skip
            self._each(plans, outcomes, progress, on_file)

    def _each(
        self,
        plans: list[tuple[MasterEntry, str]],
        outcomes: Any,
        progress: Progress | None,
        on_file: Callable[[str], None] | None,
    ) -> None:
        try:
            for done, (entry, how) in enumerate(plans, start=1):
                if on_file:
                    on_file(entry.name)
                if how == _SKIP:
                    self.report.already_fetched += 1
                elif how == _REUSE:
                    self.reuse(entry)
                else:
                    self.finish(entry, self.next_outcome(outcomes))
                if progress:
                    progress(done, len(plans))
        finally:
            outcomes.close()

    def next_outcome(self, outcomes: Iterable[Downloaded | Missing]) -> Downloaded | Missing:
        try:
            return next(iter(outcomes))
        except OSError as exc:  # the disk, not the file: every later file would fail too
            raise self.disk_error(exc) from exc

    def disk_error(self, exc: OSError) -> FetchError:
        return FetchError(f"cannot write {exc.filename or self.download_dir}: {exc.strerror}")

    def finish(self, entry: MasterEntry, outcome: Downloaded | Missing) -> None:
        """Record a downloaded (or missing) file: verify, filter, ingest, then the ledger."""
        if isinstance(outcome, Missing):
            _record(self.store, entry, self.label, "missing", None)
            self.report.missing.append((entry.url, str(outcome)))
            return
        status = "fetched" if self.ingest else "downloaded"
        try:
            kept = self.keep_rows(entry, outcome)
            record = lambda: _record(self.store, entry, self.label, status, kept)  # noqa: E731
            self.after_ingest(entry, kept, record)
        except OSError as exc:
            raise self.disk_error(exc) from exc
        except _Corrupt as exc:
            _record(self.store, entry, self.label, "corrupt", None)
            self.report.corrupt.append((entry.url, str(exc)))
            return
        self.report.fetched += 1
        self.report.rows_kept += kept

    def after_ingest(
        self, entry: MasterEntry, kept: int, record: Callable[[], None], *, reused: bool = False
    ) -> None:
        """Ingest the filtered file if asked and it holds rows, ``record`` with its rows."""
        if not (self.ingest and kept):  # an empty file has nothing to ingest (nor a format)
            record()
            return
        assert self.batch is not None
        path = self.filtered_path(entry)
        # before ``add``: a batch filled by this file is read, and may refuse it, within it
        self.staged[path] = (entry, 0 if reused else kept, reused)
        try:
            ingest_kept_file(self.batch, path, entry.name, record)
        except _Corrupt:
            self.staged.pop(path, None)
            raise

    def refused(self, path: Path, exc: FileFormatError) -> None:
        """A staged file the batch's read refused (it vanished or changed meanwhile): counted
        fetched when staged, it is corrupt, and recorded so the next run downloads it again."""
        entry, kept, reused = self.staged.pop(path)
        _record(self.store, entry, self.label, "corrupt", None)
        if reused:
            self.report.already_fetched -= 1
        else:
            self.report.fetched -= 1
            self.report.rows_kept -= kept
        self.report.corrupt.append((entry.url, f"could not be ingested: {exc}"))

    def reuse(self, entry: MasterEntry) -> None:
        """A file fetched with --no-ingest: ingest the filtered copy now instead of downloading
        (and download it after all when that copy cannot be ingested)."""
        filtered = self.filtered_path(entry)
        if not self.ingest:
            self.report.already_fetched += 1
            return
        mark = lambda: mark_file_fetched(self.store, entry.url, self.label, datetime.now())  # noqa: E731
        try:
            self.after_ingest(entry, filtered.stat().st_size, mark, reused=True)
        except _Corrupt:
            part = self.part_path(entry)
            fresh = download(self.client, entry.url, part, retries=self.retries,
                             wait=self.retry_wait)  # fmt: skip
            self.finish(entry, fresh)
            return
        self.report.already_fetched += 1

    def keep_rows(self, entry: MasterEntry, downloaded: Downloaded) -> int:
        """Verify and filter one downloaded export; return the rows kept."""
        zip_path = self.download_dir / entry.name
        try:
            _verify(entry, downloaded.size, downloaded.md5)
            os.replace(downloaded.part, zip_path)
        finally:
            downloaded.part.unlink(missing_ok=True)
        try:
            return _filter_zip(zip_path, self.filtered_path(entry), self.pairs)
        finally:
            if not self.keep_zips:
                zip_path.unlink(missing_ok=True)


def _download_dir(store: EventStore, download_dir: Path | None) -> Path:
    directory = Path(download_dir) if download_dir else store.home / "downloads"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"cannot create the download folder {directory}: {exc.strerror}") from exc
    return directory


@dataclass(frozen=True)
class FetchOptions:
    """How files are fetched, shared by a range fetch and every follow round."""

    download_dir: Path | None = None
    ingest: bool = True
    keep_zips: bool = False
    jobs: int = DEFAULT_JOBS
    retries: int = 2
    retry_wait: float = 0.5
    progress: Progress | None = None
    on_file: Callable[[str], None] | None = None
    batch_files: int = DEFAULT_BATCH_FILES
    batch_seconds: float = DEFAULT_BATCH_SECONDS


def fetch_entries(
    store: EventStore,
    client: httpx.Client,
    entries: Sequence[MasterEntry],
    dyads: Sequence[Dyad],
    options: FetchOptions,
    report: FetchReport,
) -> FetchReport:
    """Fetch ``entries`` (export files, oldest first) into ``report``: each is counted once,
    as fetched, already fetched, missing or corrupt."""
    if options.jobs < 1:
        raise InputError(f"--jobs {options.jobs}: give at least 1 parallel download")
    run = _Run(
        store, client, _download_dir(store, options.download_dir), _wanted_pairs(dyads),
        dyad_label(dyads), options.ingest, options.keep_zips, options.jobs, options.retries,
        options.retry_wait, report, options.batch_files, options.batch_seconds,
    )  # fmt: skip
    run.run(entries, options.progress, options.on_file)
    return report


def _check_dates(since: date, until: date) -> None:
    if since > until:
        raise InputError(f"--since {since.isoformat()} is after --until {until.isoformat()}")


def fetch_gdelt(
    store: EventStore,
    *,
    since: date,
    until: date,
    dyads: Sequence[Dyad],
    masterlist: str,
    download_dir: Path | None = None,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    ingest: bool = True,
    keep_zips: bool = False,
    on_file: Callable[[str], None] | None = None,
    jobs: int = DEFAULT_JOBS,
    retries: int = 2,
    retry_wait: float = 0.5,
    batch_files: int = DEFAULT_BATCH_FILES,
    batch_seconds: float = DEFAULT_BATCH_SECONDS,
) -> FetchReport:
    """Fetch every GDELT 2.0 export stamped within [since, until] that is not in the store yet.

    ``dyads`` are ISO3 pairs kept in either direction (none: keep every row). ``masterlist``
    is a URL (read through the copy cached in the data directory) or a local file.
    ``progress(done, total)`` is called after each file and ``on_file(name)`` before it.
    ``jobs`` files download at once; a server or connection error is tried ``retries`` more
    times, waiting ``retry_wait`` seconds, then twice that ... The kept files are stored in
    batches of ``batch_files`` files or ``batch_seconds`` seconds, each one commit with the
    ledger rows of its files. Per-file failures are reported, not raised; a master list that
    cannot be read raises FetchError.
    """
    _check_dates(since, until)
    options = FetchOptions(download_dir, ingest, keep_zips, jobs, retries, retry_wait,
                           progress, on_file, batch_files, batch_seconds)  # fmt: skip
    _download_dir(store, download_dir)  # a folder that cannot be made stops us before the list
    with http_client(client, jobs) as http:
        keep = _exports_between(since, until)
        entries, malformed, source = load_range(
            http, store.home, masterlist, keep, retries=retries, wait=retry_wait
        )
        exports = one_per_url(entries)
        report = FetchReport(expected=len(exports), malformed_list_lines=malformed,
                             list_source=source)  # fmt: skip
        return fetch_entries(store, http, exports, dyads, options, report)
