"""The dashboard under concurrent readers while an ingest and ``events fetch --follow`` write.

    python benchmarks/bench_concurrency.py [--clients 50] [--rows 2000000]
                                           [--rows-per-file 10000] [--batch-files 10]
                                           [--code DIR]

Targets (issue 17, 2 cores): reader errors 0 (no 503 because someone is writing), and the
ingest's wall time with the readers at most 1.3x the same ingest with no readers (same run).

* **Data**: tests/_web.py's ``build_home`` (the ICEWS Cambodia extract, UN votes, a small
  registry and users), built once by the code under test; each phase gets its own copy.
* **Ingest**: a real ``tracktwo events ingest`` (a child process) of ``--rows`` rows in GDELT
  2.0 files of ``--rows-per-file`` rows (bench_ingest.py's 15-minute files, cached under the
  temp dir), committing every ``--batch-files`` files. First alone (the reference), then
  beside the readers and the fetch.
* **Readers**: uvicorn serving ``tracktwo.web._app:app_from_env`` on 127.0.0.1 and
  ``--clients`` keep-alive clients (raw asyncio HTTP/1.1, as bench_web.py: httpx would use
  more CPU than the server) cycling through a mix of pages and their /api twins from the
  ingest's start to its end. Latency is from send to the full body; every status other than
  200 is an error, counted by status (0: no answer within 60 s or a broken connection).
* **Fetch**: ``tracktwo events fetch --follow --dyad KHM-USA`` run cron-style, one run after
  another, against a GDELT look-alike on 127.0.0.1 (master list with an ETag,
  ``lastupdate.txt``, zipped exports) that publishes one new 15-minute file before each run.
  Fetch and ingest are both writers: they take turns (``TRACKTWO_STORE_WAIT`` is set to
  ``--fetch-wait`` so a fetch waits for the ingest rather than give up after 60 s).
* ``--code DIR`` runs the server, ingest and fetch from another tree (PYTHONPATH=DIR), e.g.
  /work/main, the design this store replaced; options that tree lacks (``--batch-files``,
  ``fetch --follow``) are left out for it and the output says so.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bench_ingest  # noqa: E402  (the 15-minute GDELT files)
import bench_web  # noqa: E402  (the server and the raw HTTP client)

ERRORS_TARGET = 0
SLOWDOWN_TARGET = 1.3
PATHS = [
    "/", "/api/pairs", "/pairs/KHM/USA", "/api/pairs/KHM/USA", "/pairs/KHM/USA/scorecard",
    "/api/pairs/KHM/USA/scorecard", "/actors", "/api/actors", "/ties", "/api/ties",
]  # fmt: skip
FETCH_ROWS = 1500
FETCH_START = datetime(2026, 12, 1)  # after the ingested files
FETCH_FIRST_ID = 1_900_000_000
QUIET_SECONDS = 10.0
TIMEOUT = 60.0
FETCH_DELAY = 5.0


def _env(code: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(code), "TRACKTWO_LOG": "warning"}


def _tracktwo(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "from tracktwo.cli import main; main()", "--home", str(home),
            *args]  # fmt: skip


def _has_option(code: Path, option: str, *command: str) -> bool:
    shown = subprocess.run(_tracktwo(Path("/nonexistent"), *command, "--help"),
                           capture_output=True, text=True, env=_env(code))  # fmt: skip
    return option in shown.stdout


def build_home(code: Path, home: Path) -> None:
    script = (f"import sys; sys.path.insert(0, {str(code / 'tests')!r}); from pathlib import Path;"
              f" from _web import build_home; build_home(Path({str(home)!r}))")  # fmt: skip
    subprocess.run([sys.executable, "-c", script], check=True, env=_env(code))


# -- the GDELT look-alike for fetch --follow ----------------------------------------------------


@dataclass
class Gdelt:
    """Master list, lastupdate.txt and zipped exports; ``publish_next`` adds one file set."""

    zips: list[tuple[str, bytes]]
    port: int = 0
    listed: int = 0
    gets: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/gdeltv2/{name}"

    def line(self, index: int) -> str:
        stamp, body = self.zips[index]
        return f"{len(body)} {hashlib.md5(body).hexdigest()} {self.url(stamp + '.export.CSV.zip')}"

    def masterlist(self) -> bytes:
        return "".join(self.line(i) + "\n" for i in range(self.listed)).encode()

    def publish_next(self) -> bool:
        with self.lock:
            if self.listed >= len(self.zips):
                return False
            self.listed += 1
            return True


def _exports(files: int, folder: Path) -> list[tuple[str, bytes]]:
    from tracktwo.events import write_synthetic_gdelt2

    zips = []
    for index in range(files):
        stamp = f"{FETCH_START + timedelta(minutes=15 * index):%Y%m%d%H%M%S}"
        target = folder / f"{stamp}.export.CSV.zip"
        write_synthetic_gdelt2(target, FETCH_ROWS, seed=900 + index,
                               first_id=FETCH_FIRST_ID + index * FETCH_ROWS)  # fmt: skip
        zips.append((stamp, target.read_bytes()))
    return zips


def _handler(state: Gdelt) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            with state.lock:
                state.gets[name] += 1
                listed = state.listed
            if name == "masterfilelist.txt":
                body = state.masterlist()
                etag = '"' + hashlib.md5(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    return self.send(304, None, etag)
                return self.send(200, body, etag)
            if name == "lastupdate.txt" and listed:
                return self.send(200, (state.line(listed - 1) + "\n").encode())
            for stamp, body in state.zips[:listed]:
                if name == f"{stamp}.export.CSV.zip":
                    return self.send(200, body)
            self.send(404, b"")

        def send(self, status: int, body: bytes | None, etag: str | None = None) -> None:
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
            if body is not None:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def gdelt_server(zips: list[tuple[str, bytes]]) -> Iterator[Gdelt]:
    state = Gdelt(zips)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = int(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- the writers ---------------------------------------------------------------------------------


def ingest_command(home: Path, listing: Path, batch: int | None) -> list[str]:
    paths = listing.read_text().split("\n")
    batching = ["--batch-files", str(batch), "--batch-seconds", "600"] if batch else []
    return _tracktwo(home, "events", "ingest", *batching, "--format", "json",
                     "--out", str(home.parent / "ingest.json"), *paths)  # fmt: skip


def run_ingest(code: Path, home: Path, listing: Path, batch: int | None) -> float:
    start = time.perf_counter()
    log = home.parent / "ingest.log"
    with log.open("wb") as out:
        done = subprocess.run(ingest_command(home, listing, batch), env=_env(code), stdout=out,
                              stderr=subprocess.STDOUT)  # fmt: skip
    if done.returncode != 0:
        print(f"  the ingest exited with {done.returncode}: {log.read_text()[-600:]}")
    return time.perf_counter() - start


@dataclass
class FetchRuns:
    runs: list[tuple[int, float]] = field(default_factory=list)  # (exit status, seconds)
    last_error: str = ""


def follow_loop(code: Path, home: Path, gdelt: Gdelt, over: threading.Event, wait: float,
                runs: FetchRuns) -> None:  # fmt: skip
    """``fetch --follow`` one run after another, a new file published before each."""
    env = {**_env(code), "TRACKTWO_STORE_WAIT": str(wait)}
    since = f"{FETCH_START:%Y-%m-%d}"
    while not over.is_set() and gdelt.publish_next():
        urls = ["--lastupdate", gdelt.url("lastupdate.txt"),
                "--masterlist", gdelt.url("masterfilelist.txt")]  # fmt: skip
        command = _tracktwo(home, "events", "fetch", "--follow", "--dyad", "KHM-USA",
                            "--since", since, *urls, "--format", "json")  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        runs.runs.append((done.returncode, time.perf_counter() - start))
        if done.returncode:
            runs.last_error = done.stderr.strip()[-400:]
        over.wait(1.0)


# -- the readers ---------------------------------------------------------------------------------


@dataclass
class Readers:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else 0.0

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)


async def _client(base: str, number: int, over: Any, readers: Readers) -> None:
    host, port = base.removeprefix("http://").split(":")
    turn = number
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while not over():
        path = PATHS[turn % len(PATHS)]
        turn += 1
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
        started = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.open_connection(host, int(port))
            connection[1].write(request)
            status, _ = await asyncio.wait_for(bench_web._read_response(connection[0]), TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError):
            status = 0
            if connection is not None:
                connection[1].close()
            connection = None
        readers.latencies_ms.append((time.perf_counter() - started) * 1000)
        readers.statuses[status] += 1
    if connection is not None:
        connection[1].close()


def load(base: str, clients: int, over: Any) -> Readers:
    readers = Readers()

    async def run() -> None:
        await asyncio.gather(*(_client(base, n, over, readers) for n in range(clients)))

    start = time.perf_counter()
    asyncio.run(run())
    readers.seconds = time.perf_counter() - start
    return readers


def _show(label: str, readers: Readers) -> None:
    done = len(readers.latencies_ms)
    errors = {s: n for s, n in sorted(readers.statuses.items()) if s != 200}
    print(f"  readers {label}: {done:,} requests in {readers.seconds:.1f} s "
          f"({done / max(readers.seconds, 1e-9):,.0f} req/s); p50 {readers.percentile(50):,.0f} ms,"
          f" p99 {readers.percentile(99):,.0f} ms, max {max(readers.latencies_ms or [0]):,.0f} ms;"
          f" errors {readers.errors:,} {errors or ''}")  # fmt: skip


# -- one run -------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    code = args.code.resolve()
    batch = args.batch_files if _has_option(code, "--batch-files", "events", "ingest") else None
    follow = _has_option(code, "--follow", "events", "fetch")
    files = max(1, round(args.rows / args.rows_per_file))
    listing, how = bench_ingest._prepare_files(files, args.rows_per_file)
    print(f"code      {code} ({_describe(code)})")
    print(f"ingest    {files:,} GDELT 2.0 files of {args.rows_per_file:,} rows "
          f"= {files * args.rows_per_file:,} rows ({how}); "
          + (f"--batch-files {batch}" if batch else "this tree has no --batch-files: one commit "
             "a file"))  # fmt: skip
    if not follow:
        print("fetch     this tree has no `events fetch --follow`: the fetch is skipped")
    template = work / "template"
    build_home(code, template)
    alone_home = work / "alone" / "home"
    shutil.copytree(template, alone_home)
    alone = run_ingest(code, alone_home, listing, batch)
    print(f"  ingest alone (no readers, no fetch): {alone:.1f} s")
    home = work / "busy" / "home"
    shutil.copytree(template, home)
    zips = _exports(args.fetch_files, work) if follow else []
    result: dict[str, Any] = {"alone": alone}
    log = work / "server.log"
    os.environ["PYTHONPATH"] = str(code)  # the server (bench_web) runs the tree under test
    with bench_web.running_server(home, 1, log) as (base, _pid), gdelt_server(zips) as gdelt:
        quiet_until = time.monotonic() + QUIET_SECONDS
        quiet = load(base, args.clients, lambda: time.monotonic() >= quiet_until)
        _show("before the ingest (reference)", quiet)
        finished = threading.Event()
        fetches = FetchRuns()
        jobs = (code, home, gdelt, finished, args.fetch_wait, fetches)
        fetcher = threading.Thread(target=follow_loop, args=jobs, daemon=True)
        timing: dict[str, float] = {}

        def writer() -> None:
            timing["busy"] = run_ingest(code, home, listing, batch)
            finished.set()

        ingest = threading.Thread(target=writer, daemon=True)
        ingest.start()
        if follow:
            # after the ingest holds the writer lock (it opens the store within seconds), so
            # the ingest's time is never a wait for a fetch; the fetch waits its turn instead
            time.sleep(FETCH_DELAY)
            fetcher.start()
        busy = load(base, args.clients, finished.is_set)
        ingest.join()
        if follow:
            fetcher.join(timeout=max(60.0, args.fetch_wait + 30))
        _show("during the ingest and fetch", busy)
    ratio = timing["busy"] / alone
    print(
        f"  ingest beside the readers: {timing['busy']:.1f} s = {ratio:.2f}x alone "
        f"(target <= {SLOWDOWN_TARGET}) {'PASS' if ratio <= SLOWDOWN_TARGET else 'FAIL'}"
    )
    if follow:
        statuses = Counter(status for status, _ in fetches.runs)
        seconds = ", ".join(f"{s:.0f}" for _, s in fetches.runs)
        print(f"  fetch --follow: {len(fetches.runs)} runs, exit statuses {dict(statuses)}, "
              f"seconds each: {seconds}; {gdelt.listed} file(s) published, downloads "
              f"{sum(n for k, n in gdelt.gets.items() if k.endswith('.zip'))}")  # fmt: skip
        if fetches.last_error:
            print(f"  last fetch error: {fetches.last_error}")
    verdict = "PASS" if busy.errors <= ERRORS_TARGET else "FAIL"
    print(f"  reader errors during the writes: {busy.errors} (target {ERRORS_TARGET}) {verdict}")
    result.update(busy=timing["busy"], ratio=ratio, errors=busy.errors,
                  p99=busy.percentile(99))  # fmt: skip
    return result


def _describe(code: Path) -> str:
    head = subprocess.run(["git", "-C", str(code), "log", "-1", "--format=%h %s"],
                          capture_output=True, text=True)  # fmt: skip
    return head.stdout.strip()[:70] or "not a git tree"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent readers")
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows the ingest stores")
    parser.add_argument("--rows-per-file", type=int, default=10_000)
    parser.add_argument("--batch-files", type=int, default=10, help="files per commit")
    parser.add_argument("--fetch-files", type=int, default=20, help="files the fetch can get")
    parser.add_argument("--fetch-wait", type=float, default=600.0,
                        help="TRACKTWO_STORE_WAIT of each fetch run (seconds)")  # fmt: skip
    parser.add_argument("--code", type=Path, default=ROOT, help="the tree to run (PYTHONPATH)")
    args = parser.parse_args(argv)
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; {args.clients} "
          f"clients over {len(PATHS)} paths: {' '.join(PATHS)}")  # fmt: skip
    args.code = args.code.resolve()
    work = Path(tempfile.mkdtemp(prefix="tracktwo-bench-concurrency-"))
    # every child runs from here: `python -c` and `-m` put the working directory first on
    # sys.path, ahead of PYTHONPATH, so run from a checkout they would import its code
    os.chdir(work)
    try:
        measure(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
