"""HTTP for GDELT: retries with exponential backoff, streamed downloads and a bounded pool.

Downloads run on worker threads (httpx releases the GIL while it waits on the socket, and an
``httpx.Client`` can be shared between threads); they only write ``.part`` files and compute
their MD5. Everything that touches the event store stays on the caller's thread, which takes
the finished downloads back in file order.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

__all__ = [
    "DEFAULT_JOBS",
    "Downloaded",
    "Missing",
    "download",
    "download_in_order",
    "http_client",
    "with_retries",
]

DEFAULT_JOBS = 4
_CHUNK = 1 << 16
# answers worth asking again: the server is busy or broken for now, not the file absent
_RETRY_4XX = {408, 425, 429}

T = TypeVar("T")


class Missing(Exception):
    """The file could not be downloaded: HTTP 404/410 (or another refusal), or tries ran out."""


@dataclass(frozen=True, slots=True)
class Downloaded:
    """A file streamed to ``part``: its size in bytes and MD5, checked later by the caller."""

    part: Path
    size: int
    md5: str


def backoff(attempt: int, wait: float) -> float:
    """Seconds to wait before try number ``attempt`` (1 = the first retry): wait, 2×, 4× ..."""
    return wait * 2 ** (attempt - 1)


def with_retries(action: Callable[[], T], *, retries: int, wait: float) -> T:
    """``action()``, tried again on a server error (5xx, 408, 429) or a connection error, after
    waiting ``backoff(n, wait)``; raises Missing at once on any other 4xx (a 404 will not
    turn up by asking again), and when all ``retries + 1`` tries failed."""
    reason = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff(attempt, wait))
        try:
            return action()
        except httpx.HTTPStatusError as exc:
            code = exc.response.status_code
            if 400 <= code < 500 and code not in _RETRY_4XX:
                raise Missing(f"HTTP {code}") from None
            reason = f"HTTP {code}"
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}"
    raise Missing(f"gave up after {retries + 1} attempts: {reason}")


def _stream_to(client: httpx.Client, url: str, part: Path) -> Downloaded:
    """One try: stream ``url`` into ``part``, hashing as it arrives."""
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    with client.stream("GET", url) as response:
        response.raise_for_status()
        with open(part, "wb") as out:
            for chunk in response.iter_bytes(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
    return Downloaded(part, size, digest.hexdigest())


def download(
    client: httpx.Client, url: str, part: Path, *, retries: int, wait: float
) -> Downloaded | Missing:
    """Download ``url`` into ``part`` with retries; a file that cannot be had is returned as a
    Missing (not raised), so a pool hands it back like any other outcome. A disk error
    (OSError) is raised: it would stop every later file too."""
    try:
        return with_retries(lambda: _stream_to(client, url, part), retries=retries, wait=wait)
    except Missing as exc:
        part.unlink(missing_ok=True)
        return exc


def download_in_order(
    client: httpx.Client,
    items: Sequence[tuple[str, Path]],
    *,
    jobs: int,
    retries: int,
    wait: float,
) -> Generator[Downloaded | Missing, None, None]:
    """Download (url, part) pairs on ``jobs`` threads; yield the outcomes in the order given.

    At most ``jobs`` downloads are in flight, and at most ``2 × jobs`` finished files wait on
    disk for the caller (so a slow ingest does not fill the disk). Closing the iterator early
    cancels what has not started and waits for the running downloads.
    """
    window = 2 * max(jobs, 1)
    queue = iter(items)
    pending: deque[Future[Downloaded | Missing]] = deque()
    with ThreadPoolExecutor(max_workers=max(jobs, 1), thread_name_prefix="gdelt") as pool:

        def top_up() -> None:
            while len(pending) < window:
                item = next(queue, None)
                if item is None:
                    return
                url, part = item
                pending.append(pool.submit(download, client, url, part, retries=retries, wait=wait))

        try:
            top_up()
            while pending:
                outcome = pending.popleft().result()
                top_up()
                yield outcome
        finally:
            for future in pending:
                future.cancel()


@contextmanager
def http_client(client: httpx.Client | None, jobs: int = DEFAULT_JOBS) -> Iterator[httpx.Client]:
    """The caller's client, or one of our own with room for ``jobs`` parallel connections."""
    if client is not None:
        yield client
        return
    timeout = httpx.Timeout(120.0, connect=20.0)
    limits = httpx.Limits(max_connections=max(jobs, 1) + 2, max_keepalive_connections=max(jobs, 1))
    with httpx.Client(timeout=timeout, limits=limits, follow_redirects=True) as own:
        yield own
