"""``events fetch --follow`` against a real HTTP server on 127.0.0.1 whose files change between
runs: a master list with an ETag (304 when it matches), ``lastupdate.txt``, zipped exports
(one that answers 500 twice before it succeeds, one that is not there), and a count of the
requests in flight at once.

The exports are GDELT 2.0 rows from ``write_synthetic_gdelt2`` (real CAMEO codes, seeded
actors); every expected figure is worked out here from the zips served (zipfile + split on
tabs), never taken from the code under test.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import typer
from _http import serving
from typer.testing import CliRunner

from tracktwo._errors import FetchError, InputError
from tracktwo.events import (
    FetchReport,
    fetch_gdelt,
    follow_gdelt,
    parse_interval,
    write_synthetic_gdelt2,
)
from tracktwo.events._gdelt_http import backoff
from tracktwo.store import EventStore

ROWS_PER_FILE = 300
START = datetime(2018, 3, 1)
SLOTS = [f"{START + timedelta(minutes=15 * i):%Y%m%d%H%M%S}" for i in range(9)]  # S0 .. S8
KHM_USA = {("KHM", "USA"), ("USA", "KHM")}
KHM_CHN = {("KHM", "CHN"), ("CHN", "KHM")}
DELAY = 0.05  # seconds each export answer takes, so parallel downloads overlap at the server


# --------------------------------------------------------------------------- the exports


@dataclass
class Exports:
    folder: Path
    zips: dict[str, bytes] = field(default_factory=dict)

    def rows(self, stamp: str) -> list[list[str]]:
        with zipfile.ZipFile(io.BytesIO(self.zips[stamp])) as archive:
            (name,) = archive.namelist()
            text = archive.read(name).decode("utf-8")
        return [line.split("\t") for line in text.splitlines()]

    def ids(self, stamps: list[str], dyad: set[tuple[str, str]] = KHM_USA) -> list[int]:
        """GLOBALEVENTIDs of the rows between the two countries, either direction."""
        found = []
        for stamp in stamps:
            for fields in self.rows(stamp):
                assert len(fields) == 61
                if (fields[7], fields[17]) in dyad:
                    found.append(int(fields[0]))
        return sorted(found)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Exports:
    built = Exports(tmp_path_factory.mktemp("gdelt-follow"))
    for index, stamp in enumerate(SLOTS, start=1):
        plain = built.folder / f"{stamp}.export.CSV"
        write_synthetic_gdelt2(plain, ROWS_PER_FILE, seed=500 + index)
        shifted = []
        for line in plain.read_bytes().splitlines(keepends=True):  # ids unique across files
            event_id, rest = line.split(b"\t", 1)
            shifted.append(str(int(event_id) + index * 10_000_000).encode() + b"\t" + rest)
        plain.write_bytes(b"".join(shifted))
        target = built.folder / f"{stamp}.export.CSV.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(plain, arcname=plain.name)
        built.zips[stamp] = target.read_bytes()
    return built


# --------------------------------------------------------------------------- the server


@dataclass
class Gdelt:
    """A GDELT look-alike whose lists and files the test changes between runs."""

    exports: Exports
    port: int = 0
    served: set[str] = field(default_factory=set)  # stamps whose export is on the server
    listed: list[str] = field(default_factory=list)  # stamps in masterfilelist.txt
    latest: str = ""  # the stamp lastupdate.txt names
    fail: dict[str, int] = field(default_factory=dict)  # stamp -> 500 answers still to give
    malformed_after: str | None = None  # a malformed master-list line after this stamp
    gets: Counter[str] = field(default_factory=Counter)
    answers: list[tuple[str, int]] = field(default_factory=list)  # (file name, status)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/gdeltv2/{name}"

    def export_url(self, stamp: str) -> str:
        return self.url(f"{stamp}.export.CSV.zip")

    def lines(self, stamp: str) -> list[str]:
        """The three lines of one 15-minute file set (the siblings are never fetched)."""
        body = self.exports.zips[stamp]
        return [
            f"{len(body)} {hashlib.md5(body).hexdigest()} {self.export_url(stamp)}",
            f"4000 {'a' * 32} {self.url(f'{stamp}.mentions.CSV.zip')}",
            f"9000 {'b' * 32} {self.url(f'{stamp}.gkg.csv.zip')}",
        ]

    def masterlist(self) -> bytes:
        lines = []
        for stamp in self.listed:
            lines += self.lines(stamp)
            if stamp == self.malformed_after:
                lines.append("this is not a list line")
        return ("\n".join(lines) + "\n").encode()

    def etag(self) -> str:
        return '"' + hashlib.md5(self.masterlist()).hexdigest() + '"'

    def publish(self, *stamps: str, serve: bool = True) -> None:
        """New file sets: listed in the master list, named by lastupdate.txt, served."""
        self.listed += stamps
        self.latest = stamps[-1]
        if serve:
            self.served |= set(stamps)

    def status_of(self, name: str) -> list[int]:
        return [status for answered, status in self.answers if answered == name]


def _handler(state: Gdelt) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            with state.lock:
                state.gets[name] += 1
            if name == "masterfilelist.txt":
                self.masterlist()
            elif name == "lastupdate.txt":
                self.send(200, ("\n".join(state.lines(state.latest)) + "\n").encode())
            elif name.endswith(".export.CSV.zip"):
                self.export(name[:14])
            else:
                self.send(404, b"")

        def masterlist(self) -> None:
            etag = state.etag()
            if self.headers.get("If-None-Match") == etag:
                self.send(304, None, etag)
            else:
                self.send(200, state.masterlist(), etag)

        def export(self, stamp: str) -> None:
            with state.lock:
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
                failing = state.fail.get(stamp, 0) > 0
                if failing:
                    state.fail[stamp] -= 1
            try:
                time.sleep(DELAY)
                if failing:
                    self.send(500, b"busy")
                elif stamp in state.served:
                    self.send(200, state.exports.zips[stamp])
                else:
                    self.send(404, b"")
            finally:
                with state.lock:
                    state.in_flight -= 1

        def send(self, status: int, body: bytes | None, etag: str | None = None) -> None:
            with state.lock:
                state.answers.append((self.path.rsplit("/", 1)[-1], status))
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", "Thu, 01 Mar 2018 02:00:00 GMT")
            if body is not None:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep pytest output quiet
            pass

    return Handler


@pytest.fixture
def gdelt(exports: Exports) -> Iterator[Gdelt]:
    state = Gdelt(exports)
    with serving(_handler(state)) as port:
        state.port = port
        yield state


# `store`: a fresh event store per test, from conftest.py


def _follow(store: EventStore, gdelt: Gdelt, **kwargs: object) -> FetchReport:
    options: dict[str, object] = {
        "dyads": [("KHM", "USA")],
        "lastupdate": gdelt.url("lastupdate.txt"),
        "masterlist": gdelt.url("masterfilelist.txt"),
        "jobs": 2,
        "retry_wait": 0.01,
    }
    options.update(kwargs)
    return follow_gdelt(store, **options)  # type: ignore[arg-type]


def _stored_ids(store: EventStore) -> list[int]:
    rows = store.con.execute("SELECT global_event_id FROM events ORDER BY 1").fetchall()
    return [int(r[0]) for r in rows]


def _counts(report: FetchReport) -> tuple[int, int, int, int, int]:
    return (report.expected, report.fetched, report.already_fetched, len(report.missing),
            len(report.corrupt))  # fmt: skip


S = SLOTS


# --------------------------------------------------------------------------- the runs


def test_follow_fetches_only_what_is_new_and_keeps_the_list_cached(
    store: EventStore, gdelt: Gdelt, exports: Exports
) -> None:
    # GDELT so far: S0..S5; S2 is listed but never published (404), S3 answers 500 twice
    gdelt.publish(*S[:6])
    gdelt.served.discard(S[2])
    gdelt.fail[S[3]] = 2
    gdelt.malformed_after = S[3]

    # run 1: nothing fetched yet, --since 2018-03-01: every export of the list up to S5
    first = _follow(store, gdelt, since=date(2018, 3, 1))

    assert _counts(first) == (6, 5, 0, 1, 0)
    assert first.missing == [(gdelt.export_url(S[2]), "HTTP 404")]
    assert first.malformed_list_lines == 1
    assert first.through == datetime(2018, 3, 1, 1, 15)
    run1 = exports.ids([S[0], S[1], S[3], S[4], S[5]])
    assert first.rows_kept == len(run1) > 0
    assert _stored_ids(store) == run1
    assert gdelt.status_of(f"{S[3]}.export.CSV.zip") == [500, 500, 200]  # retried, then fine
    assert gdelt.status_of("masterfilelist.txt") == [200]
    assert first.list_source == "downloaded"
    assert gdelt.max_in_flight == 2  # --jobs 2: two at once, never three
    assert not [n for n in gdelt.gets if ".mentions." in n or ".gkg." in n]
    cache = store.home / "cache" / "gdelt-masterfilelist.txt"
    assert cache.read_bytes() == gdelt.masterlist()
    meta = json.loads((store.home / "cache" / "gdelt-masterfilelist.json").read_text())
    assert meta["etag"] == gdelt.etag()

    # a range fetch of the same day asks for the list conditionally: 304, the copy is used
    again = fetch_gdelt(store, since=date(2018, 3, 1), until=date(2018, 3, 1),
                        dyads=[("KHM", "USA")], masterlist=gdelt.url("masterfilelist.txt"),
                        jobs=2, retry_wait=0.01)  # fmt: skip
    assert gdelt.status_of("masterfilelist.txt") == [200, 304]
    assert again.list_source == "not modified"
    assert _counts(again) == (6, 0, 5, 1, 0)  # S2 asked for again (a range retries it)
    assert gdelt.gets[f"{S[2]}.export.CSV.zip"] == 2

    # run 2: GDELT publishes S6; lastupdate.txt alone says what is new, no master list
    gdelt.publish(S[6])
    before = Counter(gdelt.gets)
    second = _follow(store, gdelt)

    assert _counts(second) == (1, 1, 0, 0, 0)
    assert second.list_source == "lastupdate.txt"
    new_gets = gdelt.gets - before
    assert new_gets == Counter({"lastupdate.txt": 1, f"{S[6]}.export.CSV.zip": 1})
    assert second.rows_kept == len(exports.ids([S[6]]))
    assert _stored_ids(store) == sorted(run1 + exports.ids([S[6]]))
    # lastupdate's three lines were added to the copy
    assert cache.read_text().splitlines()[-3:] == gdelt.lines(S[6])

    # run 3: two file sets at once (S7, S8): lastupdate is not enough, the list changed (new
    # ETag), so it is downloaded again; only S7 and S8 are fetched
    gdelt.publish(S[7], S[8])
    before = Counter(gdelt.gets)
    third = _follow(store, gdelt)

    assert _counts(third) == (2, 2, 0, 0, 0)
    assert gdelt.status_of("masterfilelist.txt") == [200, 304, 200]
    new_gets = gdelt.gets - before
    assert set(new_gets) == {"lastupdate.txt", "masterfilelist.txt",
                             f"{S[7]}.export.CSV.zip", f"{S[8]}.export.CSV.zip"}  # fmt: skip
    assert _stored_ids(store) == sorted(run1 + exports.ids([S[6], S[7], S[8]]))
    assert cache.read_bytes() == gdelt.masterlist()

    # nothing new: an empty round, complete, no download at all
    before = Counter(gdelt.gets)
    idle = _follow(store, gdelt)
    assert _counts(idle) == (0, 0, 0, 0, 0) and idle.complete
    assert gdelt.gets - before == Counter({"lastupdate.txt": 1})

    # another dyad starts from its own --since, reads the cached copy (it is up to date)
    china = _follow(store, gdelt, dyads=[("KHM", "CHN")], since=date(2018, 3, 1), jobs=3)
    assert china.list_source == "cached"
    assert gdelt.status_of("masterfilelist.txt") == [200, 304, 200]
    assert _counts(china) == (9, 8, 0, 1, 0)
    kept = [s for s in S if s != S[2]]
    assert china.rows_kept == len(exports.ids(kept, KHM_CHN)) > 0
    assert gdelt.max_in_flight == 3


def test_first_run_without_since_fetches_lastupdate_only(
    store: EventStore, gdelt: Gdelt, exports: Exports
) -> None:
    gdelt.publish(*S[:4])
    report = _follow(store, gdelt)
    assert _counts(report) == (1, 1, 0, 0, 0)
    assert _stored_ids(store) == exports.ids([S[3]])
    assert gdelt.gets["masterfilelist.txt"] == 0
    assert not (store.home / "cache" / "gdelt-masterfilelist.txt").exists()


def test_every_polls_and_retries_a_newest_file_that_was_missing(
    store: EventStore, gdelt: Gdelt, exports: Exports
) -> None:
    gdelt.publish(S[0])
    seen: list[tuple[int, int, int, int]] = []

    def after_round(number: int, report: FetchReport) -> None:
        seen.append((number, report.expected, report.fetched, len(report.missing)))
        if number == 1:  # lastupdate names S1 before the file is there
            gdelt.publish(S[1], serve=False)
        if number == 2:
            gdelt.served.add(S[1])

    started = time.monotonic()
    last = _follow(store, gdelt, every=0.02, max_rounds=3, on_round=after_round)

    assert time.monotonic() - started < 2
    assert seen == [(1, 1, 1, 0), (2, 1, 0, 1), (3, 1, 1, 0)]
    assert last.complete
    assert gdelt.gets[f"{S[1]}.export.CSV.zip"] == 2
    assert gdelt.gets["masterfilelist.txt"] == 0
    assert _stored_ids(store) == exports.ids([S[0], S[1]])


def test_every_keeps_going_after_a_round_that_fails(store: EventStore, gdelt: Gdelt) -> None:
    gdelt.publish(S[0])
    errors: list[tuple[int, str]] = []
    rounds: list[int] = []
    unreachable = gdelt.url("no-lastupdate.txt")
    report = _follow(store, gdelt, lastupdate=unreachable, every=0.01, max_rounds=2,
                     on_error=lambda n, exc: errors.append((n, str(exc))),
                     on_round=lambda n, r: rounds.append(n))  # fmt: skip
    assert [n for n, _ in errors] == [1, 2] and rounds == []
    assert f"{unreachable}: HTTP 404" in errors[0][1]
    assert report.expected == 0
    with pytest.raises(FetchError, match=r"lastupdate\.txt"):
        _follow(store, gdelt, lastupdate=unreachable)  # once (cron): the error is raised


def test_a_file_failing_every_try_is_missing_after_three(store: EventStore, gdelt: Gdelt) -> None:
    gdelt.publish(S[0])
    gdelt.fail[S[0]] = 5
    report = _follow(store, gdelt)
    assert report.missing == [(gdelt.export_url(S[0]), "gave up after 3 attempts: HTTP 500")]
    assert gdelt.status_of(f"{S[0]}.export.CSV.zip") == [500, 500, 500]
    assert not list((store.home / "downloads").glob("*.part"))


def test_a_range_fetch_stays_within_jobs(store: EventStore, gdelt: Gdelt, exports: Exports) -> None:
    gdelt.publish(*S)
    report = fetch_gdelt(store, since=date(2018, 3, 1), until=date(2018, 3, 1), dyads=[],
                         masterlist=gdelt.url("masterfilelist.txt"), jobs=3,
                         retry_wait=0.01)  # fmt: skip
    assert _counts(report) == (9, 9, 0, 0, 0)
    assert report.rows_kept == 9 * ROWS_PER_FILE
    assert gdelt.max_in_flight == 3
    # stored in file order whatever order the downloads finished in
    sources = store.con.execute(
        "SELECT source_file FROM ingested_files ORDER BY ingested_at"
    ).fetchall()
    assert [row[0] for row in sources] == [f"{s}.export.CSV.zip" for s in S]


def test_a_local_lastupdate_file_and_a_corrupt_file(
    store: EventStore, gdelt: Gdelt, exports: Exports, tmp_path: Path
) -> None:
    gdelt.publish(S[0], S[1])
    listing = tmp_path / "lastupdate.txt"
    good, *siblings = gdelt.lines(S[1])
    size, _, url = good.split()
    listing.write_text("\n".join([f"{size} {'0' * 32} {url}", *siblings]) + "\n")
    report = _follow(store, gdelt, lastupdate=str(listing))
    assert _counts(report) == (1, 0, 0, 0, 1)
    assert report.corrupt[0][0] == gdelt.export_url(S[1]) and "MD5" in report.corrupt[0][1]
    assert gdelt.gets["lastupdate.txt"] == 0 and _stored_ids(store) == []
    # the served lastupdate.txt has the right MD5: the corrupt newest file is tried again
    again = _follow(store, gdelt)
    assert _counts(again) == (1, 1, 0, 0, 0)
    assert _stored_ids(store) == exports.ids([S[1]])


def test_a_copy_from_another_url_is_not_used(store: EventStore, gdelt: Gdelt) -> None:
    gdelt.publish(*S[:3])
    folder = store.home / "cache"
    folder.mkdir(parents=True)
    (folder / "gdelt-masterfilelist.txt").write_text("\n".join(gdelt.lines(S[0])) + "\n")
    meta = {"url": "http://mirror.example/masterfilelist.txt", "etag": gdelt.etag()}
    (folder / "gdelt-masterfilelist.json").write_text(json.dumps(meta))
    report = fetch_gdelt(store, since=date(2018, 3, 1), until=date(2018, 3, 1), dyads=[],
                         masterlist=gdelt.url("masterfilelist.txt"), ingest=False)  # fmt: skip
    assert gdelt.status_of("masterfilelist.txt") == [200]  # asked without If-None-Match
    assert report.list_source == "downloaded" and report.expected == 3


def test_backoff_and_intervals() -> None:
    assert [backoff(n, 0.5) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert [parse_interval(t) for t in ("15m", "30s", "1h", "0.5s")] == [900, 30, 3600, 0.5]
    for bad in ("15", "15 minutes", "0s", "-1m", "m"):
        with pytest.raises(InputError, match="--every"):
            parse_interval(bad)


# --------------------------------------------------------------------------- the command


def _cli() -> typer.Typer:
    """The real command line: its root callback resets the per-invocation state, so a
    ``--home`` given by an earlier test in this process does not leak into this one."""
    import tracktwo.cli  # noqa: F401  (registers every command)
    from tracktwo.cli._app import app

    return app


@pytest.fixture
def env(gdelt: Gdelt, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("TRACKTWO_HOME", str(home))
    monkeypatch.setenv("TRACKTWO_GDELT_LASTUPDATE", gdelt.url("lastupdate.txt"))
    monkeypatch.setenv("TRACKTWO_GDELT_MASTERLIST", gdelt.url("masterfilelist.txt"))
    return home


def test_cli_follow_once_prints_the_report(env: Path, gdelt: Gdelt, exports: Exports) -> None:
    gdelt.publish(*S[:3])
    args = ["events", "fetch", "--follow", "--dyad", "KHM-USA", "--since", "2018-03-01"]
    result = CliRunner().invoke(_cli(), [*args, "--jobs", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = {row["measure"]: row["value"] for row in json.loads(result.stdout)}
    assert summary["expected files"] == 3 and summary["fetched (this run)"] == 3
    assert summary["rows kept (this run)"] == len(exports.ids(S[:3]))
    assert summary["newest file"] == S[2] and summary["file list"] == "downloaded"
    assert gdelt.max_in_flight <= 2

    gdelt.publish(S[3], serve=False)  # the next run: a 404, exit status 1
    again = CliRunner().invoke(_cli(), ["events", "fetch", "--follow", "--dyad", "KHM-USA"])
    assert again.exit_code == 1
    assert "Missing or corrupt" in again.stdout


def test_cli_every_prints_one_line_a_round(env: Path, gdelt: Gdelt) -> None:
    gdelt.publish(S[0])
    args = ["events", "fetch", "--follow", "--every", "0.05s", "--rounds", "2"]
    result = CliRunner().invoke(_cli(), args)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert [ln.split(",")[0] for ln in lines] == ["round 1", "round 2"]
    assert "1 new file up to 20180301000000 (list: lastupdate.txt): 1 fetched" in lines[0]
    assert ": 0 new files" in lines[1]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--follow", "--every", "15 minutes"], "--every"),
        (["--follow", "--every", "0m"], "--every"),
        (["--every", "15m", "--since", "2018-03-01", "--until", "2018-03-01"], "--every"),
        (["--follow", "--until", "2018-03-01"], "--until"),
        (["--until", "2018-03-01"], "--since"),
        (["--since", "2018-03-01"], "--until"),
        (["--follow", "--jobs", "0"], "--jobs"),
    ],
)
def test_cli_usage_errors(env: Path, gdelt: Gdelt, args: list[str], named: str) -> None:
    result = CliRunner().invoke(_cli(), ["events", "fetch", *args])
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert "Traceback" not in result.output
    assert sum(gdelt.gets.values()) == 0
