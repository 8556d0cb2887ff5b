"""``tracktwo events fetch`` against a real HTTP server on 127.0.0.1 serving synthetic GDELT files.

Expected numbers are worked out here from the fixture files themselves (zipfile + split),
never taken from the code under test.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import typer
from _http import serving
from rich.console import Console
from typer.testing import CliRunner

from tracktwo._errors import FetchError, InputError
from tracktwo.events._fetch import fetch_gdelt, parse_dyads, parse_masterlist
from tracktwo.events._synth import write_synthetic_gdelt2
from tracktwo.store._duckdb import EventStore

ROWS_PER_FILE = 400
# the four good exports inside [2018-03-01, 2018-03-02], two per day
GOOD = ["20180301000000", "20180301121500", "20180302063000", "20180302234500"]
OUTSIDE = ["20180228234500", "20180303000000"]  # on the server, listed, outside the range
CORRUPT = "20180301031500"  # on the server, listed with a wrong MD5
ABSENT = "20180302100000"  # listed, the server answers 404
WRONG_MD5 = "0" * 32
SINCE, UNTIL = date(2018, 3, 1), date(2018, 3, 2)
KHM_USA = {("KHM", "USA"), ("USA", "KHM")}


# --------------------------------------------------------------------------- fixture files


@dataclass
class Fixture:
    """Zipped exports by time stamp, with the facts the tests check against."""

    folder: Path
    zips: dict[str, bytes] = field(default_factory=dict)

    def lines(self, stamp: str) -> list[str]:
        with zipfile.ZipFile(self.folder / f"{stamp}.export.CSV.zip") as archive:
            (name,) = archive.namelist()
            return archive.read(name).decode("utf-8").splitlines()

    def dyad_ids(self, stamp: str, dyad: set[tuple[str, str]] | None = KHM_USA) -> list[int]:
        """GLOBALEVENTIDs of the rows between the two countries (either direction)."""
        ids = []
        for line in self.lines(stamp):
            fields = line.split("\t")
            assert len(fields) == 61
            if dyad is None or (fields[7], fields[17]) in dyad:
                ids.append(int(fields[0]))
        return ids


def _build_export(folder: Path, stamp: str, index: int) -> bytes:
    """A synthetic export with GLOBALEVENTIDs unique across files (index * 10 million)."""
    plain = folder / f"{stamp}.export.CSV"
    write_synthetic_gdelt2(plain, ROWS_PER_FILE, seed=100 + index)
    lines = plain.read_bytes().splitlines(keepends=True)
    shifted = []
    for line in lines:
        event_id, rest = line.split(b"\t", 1)
        shifted.append(str(int(event_id) + index * 10_000_000).encode() + b"\t" + rest)
    plain.write_bytes(b"".join(shifted))
    zip_path = folder / f"{stamp}.export.CSV.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(plain, arcname=plain.name)
    plain.unlink()
    return zip_path.read_bytes()


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    built = Fixture(tmp_path_factory.mktemp("gdelt"))
    for index, stamp in enumerate([*GOOD, *OUTSIDE, CORRUPT]):
        built.zips[stamp] = _build_export(built.folder, stamp, index + 1)
    return built


# --------------------------------------------------------------------------- the server


@dataclass
class Server:
    """A GDELT look-alike: serves /gdeltv2/<name>, logs every GET, can drop connections."""

    files: dict[str, bytes]
    port: int = 0
    log: list[str] = field(default_factory=list)
    drops: dict[str, int] = field(default_factory=dict)  # path -> how many GETs to cut short
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/gdeltv2/{name}"

    def gets(self, name: str) -> int:
        return self.log.count(f"/gdeltv2/{name}")


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with server.lock:
                server.log.append(self.path)
                body = server.files.get(self.path)
                drop = server.drops.get(self.path, 0) > 0
                if drop:
                    server.drops[self.path] -= 1
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if drop:  # promise the whole file, send half, hang up
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep pytest output quiet
            pass

    return Handler


def _masterlist(server: Server, fx: Fixture) -> str:
    lines = []
    for stamp in [*GOOD, *OUTSIDE]:
        body = fx.zips[stamp]
        name = f"{stamp}.export.CSV.zip"
        lines.append(f"{len(body)} {hashlib.md5(body).hexdigest()} {server.url(name)}")
        if stamp == GOOD[0]:  # the two sibling files of every 15 minutes: never fetched
            lines.append(f"5000 {'a' * 32} {server.url(f'{stamp}.mentions.CSV.zip')}")
            lines.append(f"9000 {'b' * 32} {server.url(f'{stamp}.gkg.csv.zip')}")
    corrupt = fx.zips[CORRUPT]
    lines.append(f"{len(corrupt)} {WRONG_MD5} {server.url(f'{CORRUPT}.export.CSV.zip')}")
    lines.append(f"12345 {'c' * 32} {server.url(f'{ABSENT}.export.CSV.zip')}")
    lines.insert(3, "")  # an empty line, as GDELT's list sometimes has
    lines.insert(5, f"{'d' * 32} {server.url('20180301050000.export.CSV.zip')}")  # no size
    lines.insert(6, "not a list line at all")
    return "\n".join(lines) + "\n"


MALFORMED_LINES = 3


@pytest.fixture
def server(fixture: Fixture) -> Iterator[Server]:
    served = {f"/gdeltv2/{stamp}.export.CSV.zip": body for stamp, body in fixture.zips.items()}
    state = Server(files=served)
    with serving(_handler(state)) as port:
        state.port = port
        state.files["/gdeltv2/masterfilelist.txt"] = _masterlist(state, fixture).encode()
        yield state


# `store`: a fresh event store per test, from conftest.py


def _fetch(store: EventStore, server: Server, **kwargs: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "since": SINCE,
        "until": UNTIL,
        "dyads": [("KHM", "USA")],
        "masterlist": server.url("masterfilelist.txt"),
        "retry_wait": 0.0,
    }
    options.update(kwargs)
    return fetch_gdelt(store, **options)  # type: ignore[arg-type]


def _pair(line: str) -> tuple[str, str]:
    fields = line.split("\t")
    return fields[7], fields[17]


def _stored_ids(store: EventStore) -> list[int]:
    rows = store.con.execute("SELECT global_event_id FROM events ORDER BY 1").fetchall()
    return [int(r[0]) for r in rows]


def _good_ids(fx: Fixture, stamps: list[str] = GOOD) -> list[int]:
    return sorted(i for stamp in stamps for i in fx.dyad_ids(stamp))


# --------------------------------------------------------------------------- parsing


def test_parse_masterlist_keeps_well_formed_lines() -> None:
    text = (
        "150383 297a16b493de7cf6ca809a7cc31d0b93 "
        "http://data.gdeltproject.org/gdeltv2/20150218230000.export.CSV.zip\n"
        "318084 bb27f78ba45f69a17ea6ed7755e9f8ff "
        "http://data.gdeltproject.org/gdeltv2/20150218230000.mentions.CSV.zip\n"
        "\n"
        "http://data.gdeltproject.org/gdeltv2/20150218231500.export.CSV.zip\n"
        "12 nothex http://data.gdeltproject.org/gdeltv2/20150218231500.export.CSV.zip\n"
    )
    entries = parse_masterlist(text)
    assert [(e.size, e.md5, e.name) for e in entries] == [
        (150383, "297a16b493de7cf6ca809a7cc31d0b93", "20150218230000.export.CSV.zip"),
        (318084, "bb27f78ba45f69a17ea6ed7755e9f8ff", "20150218230000.mentions.CSV.zip"),
    ]
    assert entries[0].stamp.isoformat() == "2015-02-18T23:00:00"
    assert entries[0].is_export and not entries[1].is_export


def test_parse_dyads() -> None:
    assert parse_dyads(["KHM-USA", "usa-khm", "CHN-USA"]) == [("KHM", "USA"), ("CHN", "USA")]
    with pytest.raises(InputError, match="--dyad 'KHM-XYZ'"):
        parse_dyads(["KHM-XYZ"])
    with pytest.raises(InputError, match="--dyad 'KHMUSA'"):
        parse_dyads(["KHMUSA"])


# --------------------------------------------------------------------------- fetching


def test_fetch_reports_and_ingests_the_dyad(
    store: EventStore, server: Server, fixture: Fixture
) -> None:
    report = _fetch(store, server)

    assert report.expected == 6  # 4 good + corrupt + absent; outside days and siblings not
    assert report.fetched == 4
    assert report.already_fetched == 0
    assert report.malformed_list_lines == MALFORMED_LINES
    assert report.missing == [(server.url(f"{ABSENT}.export.CSV.zip"), "HTTP 404")]
    assert [url for url, _ in report.corrupt] == [server.url(f"{CORRUPT}.export.CSV.zip")]
    assert "MD5" in report.corrupt[0][1]
    assert not report.complete
    expected_ids = _good_ids(fixture)
    assert report.rows_kept == len(expected_ids) > 0
    assert _stored_ids(store) == expected_ids

    # nothing outside the range, no mentions/gkg file, each good file once
    assert all(server.gets(f"{s}.export.CSV.zip") == 0 for s in OUTSIDE)
    assert not [p for p in server.log if ".mentions." in p or ".gkg." in p]
    assert all(server.gets(f"{s}.export.CSV.zip") == 1 for s in GOOD)

    statuses = dict(store.con.execute("SELECT url, status FROM fetched_files").fetchall())
    assert statuses[server.url(f"{GOOD[0]}.export.CSV.zip")] == "fetched"
    assert statuses[server.url(f"{CORRUPT}.export.CSV.zip")] == "corrupt"
    assert statuses[server.url(f"{ABSENT}.export.CSV.zip")] == "missing"
    rows_kept = store.con.execute(
        "SELECT rows_kept FROM fetched_files WHERE url = ?",
        [server.url(f"{GOOD[1]}.export.CSV.zip")],
    ).fetchone()
    assert rows_kept == (len(fixture.dyad_ids(GOOD[1])),)

    downloads = store.home / "downloads"
    assert sorted(p.name for p in downloads.iterdir()) == sorted(
        f"{s}.export.KHM-USA.tsv" for s in GOOD
    )  # zips and .part files deleted
    kept_lines = (downloads / f"{GOOD[2]}.export.KHM-USA.tsv").read_text().splitlines()
    wanted = [
        ln for ln in fixture.lines(GOOD[2]) if (ln.split("\t")[7], ln.split("\t")[17]) in KHM_USA
    ]
    assert kept_lines == wanted  # byte-exact rows, original order


def test_second_run_resumes_without_downloading_again(
    store: EventStore, server: Server, fixture: Fixture
) -> None:
    _fetch(store, server)
    before = list(server.log)

    again = _fetch(store, server)

    assert (again.expected, again.fetched, again.already_fetched) == (6, 0, 4)
    assert again.rows_kept == 0
    assert len(again.missing) == 1 and len(again.corrupt) == 1  # these are tried again
    new_gets = sorted(server.log[len(before) :])
    assert new_gets == sorted(
        [
            "/gdeltv2/masterfilelist.txt",
            f"/gdeltv2/{CORRUPT}.export.CSV.zip",
            f"/gdeltv2/{ABSENT}.export.CSV.zip",
        ]
    )
    assert _stored_ids(store) == _good_ids(fixture)


def test_resume_is_per_dyad(store: EventStore, server: Server, fixture: Fixture) -> None:
    # the files fetched for Cambodia-US must be fetched again for Cambodia-China
    _fetch(store, server)
    china = _fetch(store, server, dyads=[("KHM", "CHN")])
    assert (china.fetched, china.already_fetched) == (4, 0)
    khm_chn = {("KHM", "CHN"), ("CHN", "KHM")}
    expected = sorted(i for stamp in GOOD for i in fixture.dyad_ids(stamp, khm_chn))
    assert china.rows_kept == len(expected) > 0
    assert _stored_ids(store) == sorted(_good_ids(fixture) + expected)
    # and a third run for Cambodia-US still has nothing new to fetch
    assert _fetch(store, server).already_fetched == 4


def test_dropped_connection_is_missing_then_completed_by_a_second_run(
    store: EventStore, server: Server, fixture: Fixture
) -> None:
    cut = f"/gdeltv2/{GOOD[1]}.export.CSV.zip"
    server.drops[cut] = 99  # every attempt of the first run is cut short

    first = _fetch(store, server)

    assert server.log.count(cut) == 3  # one try and two retries
    assert first.fetched == 3
    missing = dict(first.missing)
    assert "gave up after 3 attempts" in missing[server.url(f"{GOOD[1]}.export.CSV.zip")]
    assert _stored_ids(store) == _good_ids(fixture, [GOOD[0], GOOD[2], GOOD[3]])
    assert not list((store.home / "downloads").glob("*.part"))

    server.drops.clear()
    second = _fetch(store, server)

    assert (second.fetched, second.already_fetched) == (1, 3)
    assert second.rows_kept == len(fixture.dyad_ids(GOOD[1]))
    assert _stored_ids(store) == _good_ids(fixture)


def test_one_dropped_connection_is_retried(
    store: EventStore, server: Server, fixture: Fixture
) -> None:
    cut = f"/gdeltv2/{GOOD[3]}.export.CSV.zip"
    server.drops[cut] = 1

    report = _fetch(store, server)

    assert server.log.count(cut) == 2
    assert report.fetched == 4
    assert _stored_ids(store) == _good_ids(fixture)


def test_no_ingest_then_ingest_uses_the_filtered_files(
    store: EventStore, server: Server, fixture: Fixture
) -> None:
    first = _fetch(store, server, ingest=False, keep_zips=True)
    assert first.fetched == 4
    assert _stored_ids(store) == []
    downloads = store.home / "downloads"
    assert (downloads / f"{GOOD[0]}.export.CSV.zip").read_bytes() == fixture.zips[GOOD[0]]
    gets_before = len(server.log)

    second = _fetch(store, server)

    assert (second.fetched, second.already_fetched) == (0, 4)
    assert server.log[gets_before:].count(f"/gdeltv2/{GOOD[0]}.export.CSV.zip") == 0
    assert _stored_ids(store) == _good_ids(fixture)
    statuses = store.con.execute(
        "SELECT count(*) FROM fetched_files WHERE status = 'fetched'"
    ).fetchone()
    assert statuses == (4,)


def test_a_file_the_batch_read_refuses_is_corrupt_and_fetched_again(
    store: EventStore, server: Server, fixture: Fixture
) -> None:
    """A kept file that vanishes between its staging and the batch's read (one read for the
    whole batch, at its end) is refused alone: counted corrupt, not fetched, in the report
    and the ledger, so the next run downloads it again."""
    downloads = store.home / "downloads"
    gone = downloads / f"{GOOD[0]}.export.KHM-USA.tsv"

    def remove_the_first(name: str) -> None:  # staged, not yet read: the batch is not full
        if name.startswith(GOOD[2]):
            gone.unlink()

    first = _fetch(store, server, on_file=remove_the_first)

    assert first.fetched == 3  # GOOD[1..3]
    assert first.rows_kept == len(_good_ids(fixture, GOOD[1:]))
    assert [url for url, _ in first.corrupt] == [
        server.url(f"{CORRUPT}.export.CSV.zip"),
        server.url(f"{GOOD[0]}.export.CSV.zip"),
    ]
    assert first.corrupt[1][1].startswith("could not be ingested")
    assert _stored_ids(store) == _good_ids(fixture, GOOD[1:])
    status = store.con.execute(
        "SELECT status FROM fetched_files WHERE url = ?", [server.url(f"{GOOD[0]}.export.CSV.zip")]
    ).fetchone()
    assert status == ("corrupt",)

    gets_before = len(server.log)
    second = _fetch(store, server)

    assert (second.fetched, second.already_fetched) == (1, 3)
    assert second.rows_kept == len(fixture.dyad_ids(GOOD[0]))
    assert server.log[gets_before:].count(f"/gdeltv2/{GOOD[0]}.export.CSV.zip") == 1
    assert _stored_ids(store) == _good_ids(fixture)


def test_no_dyad_keeps_every_row(store: EventStore, server: Server, fixture: Fixture) -> None:
    report = _fetch(store, server, dyads=[], ingest=False, since=SINCE, until=SINCE)
    assert report.expected == 3  # two good files and the corrupt one on 2018-03-01
    assert report.rows_kept == 2 * ROWS_PER_FILE
    assert (store.home / "downloads" / f"{GOOD[0]}.export.all.tsv").exists()


def test_local_masterlist_file(
    store: EventStore, server: Server, fixture: Fixture, tmp_path: Path
) -> None:
    listing = tmp_path / "masterfilelist.txt"
    listing.write_bytes(server.files["/gdeltv2/masterfilelist.txt"])
    report = _fetch(store, server, masterlist=str(listing), ingest=False)
    assert (report.expected, report.fetched) == (6, 4)
    assert "/gdeltv2/masterfilelist.txt" not in server.log


def test_unreachable_masterlist_is_a_fetch_error(store: EventStore, server: Server) -> None:
    gone = server.url("nothing-here.txt")
    with pytest.raises(FetchError, match=re.escape(f"{gone}: HTTP 404")):
        _fetch(store, server, masterlist=gone)
    with pytest.raises(FetchError, match=re.escape("no-such-list.txt")):
        _fetch(store, server, masterlist=str(store.home / "no-such-list.txt"))


def test_since_after_until_is_an_input_error(store: EventStore, server: Server) -> None:
    with pytest.raises(InputError, match="after --until"):
        _fetch(store, server, since=UNTIL, until=SINCE)
    assert server.log == []


# --------------------------------------------------------------------------- the command


def _cli() -> typer.Typer:
    """The real command line: its root callback resets the per-invocation state, so a
    ``--home`` given by an earlier test in this process does not leak into this one."""
    import tracktwo.cli  # noqa: F401  (registers every command)
    from tracktwo.cli._app import app

    return app


def test_cli_prints_the_report_and_fails_when_incomplete(
    server: Server, fixture: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKTWO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRACKTWO_GDELT_MASTERLIST", server.url("masterfilelist.txt"))
    args = ["events", "fetch", "--since", "2018-03-01", "--until", "2018-03-02"]
    result = CliRunner().invoke(_cli(), [*args, "--dyad", "KHM-USA", "--format", "json"])

    assert result.exit_code == 1, result.output
    summary = {row["measure"]: row["value"] for row in json.loads(result.stdout)}
    assert summary["expected files"] == 6
    assert summary["fetched (this run)"] == 4
    assert summary["missing"] == 1 and summary["corrupt"] == 1
    assert summary["rows kept (this run)"] == len(_good_ids(fixture))
    assert f"{ABSENT}.export.CSV.zip (HTTP 404)" in result.stderr

    table = CliRunner().invoke(_cli(), [*args, "--dyad", "KHM-USA"])
    assert table.exit_code == 1
    assert "already fetched" in table.stdout and "Missing or corrupt" in table.stdout


def test_cli_exits_0_when_complete(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKTWO_HOME", str(tmp_path / "home"))
    listing = tmp_path / "good.txt"
    lines = server.files["/gdeltv2/masterfilelist.txt"].decode().splitlines()
    listing.write_text("\n".join(ln for ln in lines if any(s in ln for s in GOOD)) + "\n")
    args = ["events", "fetch", "--since", "2018-03-01", "--until", "2018-03-02"]
    result = CliRunner().invoke(
        _cli(), [*args, "--masterlist", str(listing), "--no-ingest", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "complete,yes" in result.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--dyad", "KHM-XYZ"], "unknown country 'XYZ'"),
        (["--dyad", "KHM"], "two country codes"),
        (["--since", "2018-03-05"], "after --until"),
        (["--since", "March 1"], "--since"),
    ],
)
def test_cli_rejects_bad_options(
    extra: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKTWO_HOME", str(tmp_path / "home"))
    args = ["events", "fetch", "--since", "2018-03-01", "--until", "2018-03-02"]
    result = CliRunner().invoke(_cli(), [*args, *extra, "--masterlist", "http://127.0.0.1:9/x"])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_draws_a_progress_bar_on_a_terminal(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120)
    monkeypatch.setattr("tracktwo.cli._common.err_console", terminal)  # the bar draws on stderr
    monkeypatch.setenv("TRACKTWO_HOME", str(tmp_path / "home"))
    args = ["events", "fetch", "--since", "2018-03-01", "--until", "2018-03-01", "--no-ingest"]
    result = CliRunner().invoke(_cli(), [*args, "--masterlist", server.url("masterfilelist.txt")])
    assert result.exit_code == 1  # the corrupt file is on 2018-03-01
    drawn = screen.getvalue()
    assert f"{GOOD[1]}.export.CSV.zip" in drawn and "3/3" in drawn
