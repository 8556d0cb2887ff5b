"""Download GDELT 2.0 event exports listed in GDELT's master file list, keep one dyad, ingest.

GDELT publishes ``masterfilelist.txt``: one line per file, ``SIZE MD5 URL``. Every
15 minutes adds three files (``.export.CSV.zip``, ``.mentions.CSV.zip``, ``.gkg.csv.zip``);
only the event exports are fetched here. For each export whose time stamp falls within
the requested days the file is streamed to ``<download_dir>/<name>.part``, checked against
the listed size and MD5, filtered down to the requested dyads (byte-exact lines), and the
small filtered file is ingested. The ``fetched_files`` table remembers every outcome;
a file already recorded as ``fetched`` with the same MD5 is skipped on the next run,
which is how an interrupted run resumes.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from tracktwo._errors import FetchError, InputError
from tracktwo.store import EventStore, mark_file_fetched, previous_fetch, replace_fetched_file

__all__ = [
    "DEFAULT_MASTERLIST",
    "MASTERLIST_ENV",
    "FetchReport",
    "MasterEntry",
    "fetch_gdelt",
    "parse_dyads",
    "parse_masterlist",
]

DEFAULT_MASTERLIST = "http://data.gdeltproject.org/gdeltv2/masterfilelist.txt"
MASTERLIST_ENV = "TRACKTWO_GDELT_MASTERLIST"
EXPORT_SUFFIX = ".export.CSV.zip"

# 0-based columns of Actor1CountryCode / Actor2CountryCode in a GDELT 2.0 export
_ACTOR1_COUNTRY = 7
_ACTOR2_COUNTRY = 17
_MD5_PATTERN = re.compile(r"^[0-9a-fA-F]{32}$")
_STAMP_PATTERN = re.compile(r"^(\d{14})\.")
_CHUNK = 1 << 16
_GONE = {404, 410}  # the server says the file is not there: retrying will not help

Dyad = tuple[str, str]


@dataclass(frozen=True, slots=True)
class MasterEntry:
    """One line of the master file list: the file's size in bytes, its MD5, URL and time stamp."""

    size: int
    md5: str
    url: str
    stamp: datetime

    @property
    def name(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def is_export(self) -> bool:
        return self.name.endswith(EXPORT_SUFFIX)


@dataclass
class FetchReport:
    """What a fetch run found: how many export files were expected and what became of them."""

    expected: int = 0
    fetched: int = 0
    already_fetched: int = 0
    missing: list[tuple[str, str]] = field(default_factory=list)
    corrupt: list[tuple[str, str]] = field(default_factory=list)
    rows_kept: int = 0
    malformed_list_lines: int = 0

    @property
    def complete(self) -> bool:
        """True when every expected file is now in the store (this run or an earlier one)."""
        done = self.fetched + self.already_fetched
        return not self.missing and not self.corrupt and done == self.expected

    def as_rows(self) -> list[dict[str, Any]]:
        """The summary as (measure, value) rows for ``tracktwo.cli._output.emit``."""
        return [
            {"measure": "expected files", "value": self.expected},
            {"measure": "fetched (this run)", "value": self.fetched},
            {"measure": "already fetched", "value": self.already_fetched},
            {"measure": "missing", "value": len(self.missing)},
            {"measure": "corrupt", "value": len(self.corrupt)},
            {"measure": "rows kept (this run)", "value": self.rows_kept},
            {"measure": "malformed list lines", "value": self.malformed_list_lines},
            {"measure": "complete", "value": "yes" if self.complete else "no"},
        ]

    def problem_rows(self) -> list[dict[str, Any]]:
        """One row per missing or corrupt file: status, url, reason."""
        rows = [{"status": "missing", "url": url, "reason": why} for url, why in self.missing]
        rows += [{"status": "corrupt", "url": url, "reason": why} for url, why in self.corrupt]
        return rows


# --------------------------------------------------------------------------- the master list


def _parse_line(line: str) -> MasterEntry | None:
    """One ``SIZE MD5 URL`` line, or None when it is malformed (GDELT's list has a few)."""
    parts = line.split()
    if len(parts) != 3 or not parts[0].isdigit() or not _MD5_PATTERN.match(parts[1]):
        return None
    url = parts[2]
    match = _STAMP_PATTERN.match(url.rsplit("/", 1)[-1])
    if not url.startswith(("http://", "https://")) or not match:
        return None
    digits = match.group(1)
    try:  # datetime() on slices: several times faster than strptime over a million lines
        stamp = datetime(
            int(digits[0:4]), int(digits[4:6]), int(digits[6:8]),
            int(digits[8:10]), int(digits[10:12]), int(digits[12:14]),
        )  # fmt: skip
    except ValueError:
        return None
    return MasterEntry(size=int(parts[0]), md5=parts[1].lower(), url=url, stamp=stamp)


def _scan_masterlist(
    lines: Iterable[str], keep: Callable[[MasterEntry], bool] | None = None
) -> tuple[list[MasterEntry], int]:
    """The well-formed entries ``keep`` accepts (all if None), and how many lines were malformed.

    Filtering while reading matters: the full GDELT list has about a million lines.
    """
    entries: list[MasterEntry] = []
    malformed = 0
    pending_blank = 0  # blank lines count only when a real line follows (not trailing ones)
    for line in lines:
        if not line.strip():
            pending_blank += 1
            continue
        malformed += pending_blank
        pending_blank = 0
        entry = _parse_line(line)
        if entry is None:
            malformed += 1
        elif keep is None or keep(entry):
            entries.append(entry)
    return entries, malformed


def parse_masterlist(text: str) -> list[MasterEntry]:
    """All well-formed entries of a master file list (every kind of file); bad lines skipped."""
    return _scan_masterlist(text.splitlines())[0]


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


Keep = Callable[[MasterEntry], bool]


def _read_local_masterlist(location: str, keep: Keep) -> tuple[list[MasterEntry], int]:
    path = Path(location.removeprefix("file://")).expanduser()
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return _scan_masterlist(handle, keep)
    except OSError as exc:
        raise FetchError(f"cannot read the master file list {path}: {exc.strerror}") from exc


def _download_masterlist(
    client: httpx.Client, url: str, keep: Keep, retries: int, retry_wait: float
) -> tuple[list[MasterEntry], int]:
    """Stream the list line by line (it is ~100 MB for all of GDELT 2.0); retry whole."""
    reason = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(retry_wait * attempt)
        try:
            with client.stream("GET", url) as response:
                if response.status_code != 200:
                    reason = f"HTTP {response.status_code}"
                    if response.status_code in _GONE:
                        break
                    continue
                return _scan_masterlist(response.iter_lines(), keep)
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}"
    raise FetchError(f"cannot download the master file list {url}: {reason}")


def _load_masterlist(
    client: httpx.Client, location: str, keep: Keep, retries: int, retry_wait: float
) -> tuple[list[MasterEntry], int]:
    if _is_url(location):
        return _download_masterlist(client, location, keep, retries, retry_wait)
    return _read_local_masterlist(location, keep)


def _exports_between(since: date, until: date) -> Keep:
    def keep(entry: MasterEntry) -> bool:
        return entry.is_export and since <= entry.stamp.date() <= until

    return keep


def _one_per_url(entries: Iterable[MasterEntry]) -> list[MasterEntry]:
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


def _dyad_label(dyads: Sequence[Dyad]) -> str:
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


class _Missing(Exception):
    """The file could not be downloaded."""


def _stream_to(client: httpx.Client, url: str, part: Path) -> tuple[int, str]:
    """Download into ``part``; return (bytes written, MD5). Raises _Missing on HTTP 404/410."""
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    with client.stream("GET", url) as response:
        if response.status_code in _GONE:
            raise _Missing(f"HTTP {response.status_code}")
        response.raise_for_status()
        with open(part, "wb") as out:
            for chunk in response.iter_bytes(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
    return size, digest.hexdigest()


def _download(
    client: httpx.Client, entry: MasterEntry, part: Path, retries: int, retry_wait: float
) -> tuple[int, str]:
    """Download with retries on server and connection errors; _Missing once they run out."""
    reason = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(retry_wait * attempt)
        try:
            return _stream_to(client, entry.url, part)
        except httpx.HTTPStatusError as exc:
            reason = f"HTTP {exc.response.status_code}"
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}"
    raise _Missing(f"gave up after {retries + 1} attempts: {reason}")


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


def _ingest(store: EventStore, path: Path, source_name: str) -> None:
    from tracktwo.events._ingest import ingest_file  # the lead's module; imported when used

    try:
        ingest_file(store, path, source_name=source_name)
    except InputError as exc:
        raise _Corrupt(f"could not be ingested: {exc}") from exc


# --------------------------------------------------------------------------- the run


@dataclass
class _Run:
    """Everything one fetch run needs, so the per-file steps take one argument."""

    store: EventStore
    client: httpx.Client
    download_dir: Path
    pairs: set[tuple[bytes, bytes]]
    label: str
    ingest: bool
    keep_zips: bool
    retries: int
    retry_wait: float
    report: FetchReport

    def filtered_path(self, entry: MasterEntry) -> Path:
        return self.download_dir / f"{entry.stamp:%Y%m%d%H%M%S}.export.{self.label}.tsv"

    def handle(self, entry: MasterEntry) -> None:
        previous = _previous(self.store, entry.url, self.label)
        if previous == ("fetched", entry.md5) or (
            previous and self.skip_downloaded(entry, *previous)
        ):
            self.report.already_fetched += 1
            return
        try:
            kept = self.fetch_one(entry)
        except OSError as exc:  # the disk, not the file: every later file would fail too
            raise FetchError(
                f"cannot write {exc.filename or self.download_dir}: {exc.strerror}"
            ) from exc
        except _Missing as exc:
            _record(self.store, entry, self.label, "missing", None)
            self.report.missing.append((entry.url, str(exc)))
            return
        except _Corrupt as exc:
            _record(self.store, entry, self.label, "corrupt", None)
            self.report.corrupt.append((entry.url, str(exc)))
            return
        _record(self.store, entry, self.label, "fetched" if self.ingest else "downloaded", kept)
        self.report.fetched += 1
        self.report.rows_kept += kept

    def skip_downloaded(self, entry: MasterEntry, status: str, md5: str) -> bool:
        """A file fetched with --no-ingest: ingest the filtered copy now instead of downloading."""
        filtered = self.filtered_path(entry)
        if status != "downloaded" or md5 != entry.md5 or not filtered.exists():
            return False
        if not self.ingest:
            return True
        if filtered.stat().st_size:  # an empty file has nothing to ingest
            try:
                _ingest(self.store, filtered, entry.name)
            except _Corrupt:
                return False  # download it again from scratch
        mark_file_fetched(self.store, entry.url, self.label, datetime.now())
        return True

    def fetch_one(self, entry: MasterEntry) -> int:
        """Download, verify, filter and (optionally) ingest one export; return rows kept."""
        zip_path = self.download_dir / entry.name
        part = zip_path.with_name(zip_path.name + ".part")
        try:
            size, md5 = _download(self.client, entry, part, self.retries, self.retry_wait)
            _verify(entry, size, md5)
            os.replace(part, zip_path)
        finally:
            part.unlink(missing_ok=True)
        try:
            kept = _filter_zip(zip_path, self.filtered_path(entry), self.pairs)
        finally:
            if not self.keep_zips:
                zip_path.unlink(missing_ok=True)
        if self.ingest and kept:  # an empty file has nothing to ingest (and no format to detect)
            _ingest(self.store, self.filtered_path(entry), entry.name)
        return kept


@contextmanager
def _http_client(client: httpx.Client | None) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    timeout = httpx.Timeout(120.0, connect=20.0)
    with httpx.Client(timeout=timeout, follow_redirects=True) as own:
        yield own


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
    progress: Callable[[int, int], None] | None = None,
    client: httpx.Client | None = None,
    ingest: bool = True,
    keep_zips: bool = False,
    on_file: Callable[[str], None] | None = None,
    retries: int = 2,
    retry_wait: float = 2.0,
) -> FetchReport:
    """Fetch every GDELT 2.0 export stamped within [since, until] that is not in the store yet.

    ``dyads`` are ISO3 pairs kept in either direction (none: keep every row). ``masterlist``
    is a URL or a local file. ``progress(done, total)`` is called after each file and
    ``on_file(name)`` before it. Per-file failures are reported, not raised; a master list
    that cannot be read raises FetchError.
    """
    _check_dates(since, until)
    directory = Path(download_dir) if download_dir else store.home / "downloads"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"cannot create the download folder {directory}: {exc.strerror}") from exc
    with _http_client(client) as http:
        keep = _exports_between(since, until)
        entries, malformed = _load_masterlist(http, masterlist, keep, retries, retry_wait)
        exports = _one_per_url(entries)
        report = FetchReport(expected=len(exports), malformed_list_lines=malformed)
        run = _Run(
            store, http, directory, _wanted_pairs(dyads), _dyad_label(dyads),
            ingest, keep_zips, retries, retry_wait, report,
        )  # fmt: skip
        for done, entry in enumerate(exports, start=1):
            if on_file:
                on_file(entry.name)
            run.handle(entry)
            if progress:
                progress(done, len(exports))
    return report
