"""GDELT's file lists: ``masterfilelist.txt`` (every file since 2015), ``lastupdate.txt`` (the
newest 15 minutes), and the copy of the master list kept in the data directory.

Both lists have one ``SIZE MD5 URL`` line per file. The master list is about 100 MB, so it is
downloaded once into ``<data directory>/cache/gdelt-masterfilelist.txt`` and afterwards only
asked for again with a conditional request (``If-None-Match`` / ``If-Modified-Since``: a 304
keeps the copy); the lines of ``lastupdate.txt`` that follow on from the copy's newest file are
appended to it, which is what keeps a follow run from downloading the whole list again.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from tracktwo._errors import FetchError
from tracktwo.events._gdelt_http import Missing, with_retries

__all__ = [
    "CACHE_FOLDER",
    "CACHE_LIST",
    "CACHE_META",
    "EXPORT_SUFFIX",
    "SLOT",
    "Keep",
    "MasterCache",
    "MasterEntry",
    "is_url",
    "parse_masterlist",
    "read_lastupdate",
    "read_local_masterlist",
    "scan_masterlist",
]

EXPORT_SUFFIX = ".export.CSV.zip"
SLOT = timedelta(minutes=15)  # GDELT 2.0 publishes a file set every 15 minutes
CACHE_FOLDER = "cache"
CACHE_LIST = "gdelt-masterfilelist.txt"
CACHE_META = "gdelt-masterfilelist.json"

_MD5_PATTERN = re.compile(r"^[0-9a-fA-F]{32}$")
_STAMP_PATTERN = re.compile(r"^(\d{14})\.")
_TAIL_BLOCK = 1 << 16
# the list is in time order, give or take: the tail read goes this far back past the boundary
_TAIL_MARGIN = timedelta(days=1)


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


Keep = Callable[[MasterEntry], bool]


def parse_line(line: str) -> MasterEntry | None:
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


def scan_masterlist(
    lines: Iterable[str], keep: Keep | None = None
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
        entry = parse_line(line)
        if entry is None:
            malformed += 1
        elif keep is None or keep(entry):
            entries.append(entry)
    return entries, malformed


def parse_masterlist(text: str) -> list[MasterEntry]:
    """All well-formed entries of a master file list (every kind of file); bad lines skipped."""
    return scan_masterlist(text.splitlines())[0]


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def _local_path(location: str) -> Path:
    return Path(location.removeprefix("file://")).expanduser()


def read_local_masterlist(location: str, keep: Keep) -> tuple[list[MasterEntry], int]:
    path = _local_path(location)
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return scan_masterlist(handle, keep)
    except OSError as exc:
        raise FetchError(f"cannot read the master file list {path}: {exc.strerror}") from exc


def read_lastupdate(
    client: httpx.Client, location: str, *, retries: int, wait: float
) -> tuple[list[MasterEntry], int, list[str]]:
    """``lastupdate.txt`` (a URL or a file): its entries, malformed lines, and its raw lines."""
    if is_url(location):

        def get() -> str:
            response = client.get(location)
            response.raise_for_status()
            return response.text

        try:
            text = with_retries(get, retries=retries, wait=wait)
        except Missing as exc:
            raise FetchError(f"cannot download GDELT's lastupdate.txt {location}: {exc}") from exc
    else:
        path = _local_path(location)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise FetchError(f"cannot read GDELT's lastupdate.txt {path}: {exc.strerror}") from exc
    lines = text.splitlines()
    entries, malformed = scan_masterlist(lines)
    if not any(e.is_export for e in entries):
        raise FetchError(f"{location} lists no export file ({EXPORT_SUFFIX})")
    return entries, malformed, [ln for ln in lines if ln.strip()]


def _tail_entries(lines: list[bytes]) -> list[MasterEntry]:
    return [e for e in (parse_line(ln.decode("utf-8", "replace")) for ln in lines) if e]


def _ends_a_line(path: Path) -> bool:
    """True when the file is empty or its last byte is a newline (so an append starts a line)."""
    with open(path, "rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        if not end:
            return True
        handle.seek(end - 1)
        return handle.read(1) == b"\n"


class MasterCache:
    """The master list kept at ``<home>/cache/gdelt-masterfilelist.txt`` with a small JSON
    beside it: the URL it came from, and the server's ETag and Last-Modified for it."""

    def __init__(self, home: Path, url: str) -> None:
        folder = home / CACHE_FOLDER
        self.path = folder / CACHE_LIST
        self.meta_path = folder / CACHE_META
        self.url = url
        self.outcome = "not read"  # what the last refresh did, for the report's log line

    def meta(self) -> dict[str, str]:
        """The cached headers, or {} when there is no usable copy (none, or another URL's)."""
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(meta, dict) or meta.get("url") != self.url or not self.path.is_file():
            return {}
        return {str(k): str(v) for k, v in meta.items() if v is not None}

    def newest(self) -> datetime | None:
        """The newest time stamp in the copy (read from its last block only), None without one."""
        if not self.meta():
            return None
        entries = _tail_entries(self._tail_block(_TAIL_BLOCK)[0])
        return max((e.stamp for e in entries), default=None)

    def _tail_block(self, size: int) -> tuple[list[bytes], bool]:
        """The whole lines of the copy's last ``size`` bytes, and whether that is the whole file."""
        with open(self.path, "rb") as handle:
            total = handle.seek(0, os.SEEK_END)
            start = max(0, total - size)
            handle.seek(start)
            lines = handle.read().split(b"\n")
        return (lines[1:] if start else lines), start == 0

    def refresh(self, client: httpx.Client, *, retries: int, wait: float) -> None:
        """Ask the server for the list again, conditionally when there is a copy; a 304 keeps
        the copy, a 200 replaces it (streamed to a temporary file, then renamed)."""
        meta = self.meta()
        headers = {}
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
        try:
            self.outcome = with_retries(
                lambda: self._get(client, headers), retries=retries, wait=wait
            )
        except Missing as exc:
            raise FetchError(f"cannot download the master file list {self.url}: {exc}") from exc
        except OSError as exc:
            raise FetchError(f"cannot write {self.path}: {exc.strerror}") from exc

    def _get(self, client: httpx.Client, headers: dict[str, str]) -> str:
        with client.stream("GET", self.url, headers=headers) as response:
            if response.status_code == 304 and headers:
                return "not modified"
            response.raise_for_status()
            if response.status_code != 200:  # a 304 we did not ask for, a 204: no list in it
                raise Missing(f"HTTP {response.status_code}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            part = self.path.with_name(self.path.name + ".part")
            with open(part, "wb") as out:
                for chunk in response.iter_bytes(1 << 20):
                    out.write(chunk)
            os.replace(part, self.path)
            meta = {
                "url": self.url,
                "etag": response.headers.get("ETag"),
                "last_modified": response.headers.get("Last-Modified"),
                "downloaded_at": datetime.now().isoformat(timespec="seconds"),
            }
        self.meta_path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        return "downloaded"

    def append_following(self, lines: list[str], entries: list[MasterEntry]) -> bool:
        """Append the lines of ``lastupdate.txt`` newer than the copy, but only when they follow
        on from it (at most one 15-minute slot later): a gap would make the copy look complete
        when it is not. Returns whether the copy now reaches the newest of ``entries``."""
        newest_here = self.newest()
        if newest_here is None or not entries:
            return False
        newest_there = max(e.stamp for e in entries)
        if newest_there <= newest_here:
            return True
        if newest_there - SLOT > newest_here:
            return False
        fresh = [ln for ln in lines if (e := parse_line(ln)) and e.stamp > newest_here]
        prefix = "" if _ends_a_line(self.path) else "\n"
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(prefix + "".join(ln.strip() + "\n" for ln in fresh))
        return True

    def scan(self, keep: Keep) -> tuple[list[MasterEntry], int]:
        """Every entry of the copy ``keep`` accepts, and the malformed lines of the whole copy."""
        return read_local_masterlist(str(self.path), keep)

    def scan_after(self, after: datetime, keep: Keep) -> tuple[list[MasterEntry], int]:
        """The entries ``keep`` accepts among those stamped after ``after``, reading only the
        end of the copy (back to a day before ``after``); malformed lines are counted from the
        first entry after ``after`` on."""
        size = _TAIL_BLOCK
        while True:
            lines, whole = self._tail_block(size)
            oldest = min((e.stamp for e in _tail_entries(lines[:50])), default=None)
            if whole or (oldest is not None and oldest <= after - _TAIL_MARGIN):
                break
            size *= 4
        text = [ln.decode("utf-8", "replace") for ln in lines]
        first = next((i for i, ln in enumerate(text) if (e := parse_line(ln)) and e.stamp > after),
                     len(text))  # fmt: skip
        return scan_masterlist(text[first:], keep)
