"""An ingest while the dashboard serves (issue 11, defect 7; issue 17): real second processes.

The dashboard reads the published snapshot for the time of one computation; here a child
process holds the store open (as a reader, as tracktwo's writer, or as DuckDB bare on the
working file) for as long as the test says, so nothing depends on timing. Since issue 17
neither side waits for the other: only two writers take turns. The ingest is the real
``tracktwo events ingest`` command; the server is the real app under uvicorn
(tests/_web.py). Each child waits for a line on its stdin before letting go.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tracktwo import ConfigError
from tracktwo.store import STORE_FILE, EventStore, StoreBusyError, store_wait

GDELT = Path(__file__).parent / "data" / "gdelt_v1_sample.tsv"  # 710 rows, all new ids
CLI = [sys.executable, "-c", "from tracktwo.cli import main; main()"]
# how each kind of holder opens the store: the dashboard, tracktwo's writer, DuckDB bare
_OPEN = {
    "reader": "__import__('tracktwo.store').store.EventStore(home, read_only=True)",
    "writer": "__import__('tracktwo.store').store.EventStore(home, write=True)",
    "duckdb": "__import__('duckdb').connect(home + '/events.duckdb')",
}
_HOLD = "import sys; home = sys.argv[1]; held = {open}; print('held', flush=True); input()"


@contextmanager
def holding(home: Path, how: str) -> Iterator[subprocess.Popen[str]]:
    """A child process holding the store open (as ``how`` says) until the block ends."""
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLD.format(open=_OPEN[how]), str(home)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline() == "held\n"
        yield child
    finally:
        child.communicate("\n", timeout=30)


def ingest(home: Path, wait: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TRACKTWO_STORE_WAIT": wait}
    command = [*CLI, "--home", str(home), "events", "ingest", str(GDELT), "--format", "json"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip


def event_count(home: Path) -> int:
    with EventStore(home, read_only=True) as store:
        return store.count("events")


def test_ingest_does_not_wait_for_the_dashboards_read(web_home: Path) -> None:
    before = event_count(web_home)  # the ICEWS extract: 1,376 events
    with holding(web_home, "reader"):
        running = ingest(web_home, "0")  # no wait allowed: it must get in at once
        out, err = running.communicate(timeout=120)
        assert running.returncode == 0, err
        assert "waiting" not in err
        assert event_count(web_home) == before + 710  # while the old reader still holds on
    assert json.loads(out)[0]["rows_added"] == 710
    assert event_count(web_home) == 1376 + 710


def test_a_second_ingest_that_cannot_get_in_fails_with_one_line_naming_the_store(
    web_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracktwo.cli import main

    before = event_count(web_home)
    monkeypatch.setenv("TRACKTWO_STORE_WAIT", "0.5")
    monkeypatch.setattr(sys, "argv", ["tracktwo", "--home", str(web_home), "events",
                                      "ingest", str(GDELT)])  # fmt: skip
    with holding(web_home, "writer"), pytest.raises(SystemExit) as ended:
        main()  # the command line's own entry point, in this process
    assert ended.value.code == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert lines[0] == "waiting for the event store (another process is writing it)…"
    assert len(lines) == 2 and lines[1].startswith("Error: the event store ")
    assert str(web_home / STORE_FILE) in lines[1] and "after 0.5 s" in lines[1]
    assert "PID" not in lines[1] and "python" not in lines[1].lower()
    assert out == ""
    assert event_count(web_home) == before  # nothing stored


@pytest.mark.parametrize("how", ["writer", "duckdb"])
def test_requests_during_an_ingest_are_answered(web_home: Path, how: str) -> None:
    from _web import live_server

    with live_server(web_home) as base, httpx.Client(base_url=base, timeout=30) as client:
        with holding(web_home, how):
            answer = client.get("/api/pairs/KHM/USA")  # nothing cached yet: computed now
            assert answer.status_code == 200, answer.text
            assert client.get("/pairs/KHM/USA").status_code == 200  # the page, as HTML
        assert client.get("/api/pairs/KHM/USA").json() == answer.json()


def test_a_killed_writer_leaves_no_lock_behind(tmp_path: Path) -> None:
    EventStore(tmp_path, write=True).close()
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLD.format(open=_OPEN["writer"]), str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    with pytest.raises(StoreBusyError):
        EventStore(tmp_path, wait=0, write=True)
    EventStore(tmp_path, read_only=True).close()  # a reader gets in meanwhile
    child.kill()
    child.wait(timeout=30)
    EventStore(tmp_path, read_only=True).close()
    EventStore(tmp_path, wait=0, write=True).close()


def test_two_writers_of_one_process_share_the_writer_lock(tmp_path: Path) -> None:
    with (
        EventStore(tmp_path, write=True) as first,
        EventStore(tmp_path, wait=0, write=True) as second,
    ):
        first.con.execute("INSERT INTO votes VALUES (1, 'KHM', 'yes')")
        assert second.count("votes") == 1


@pytest.mark.parametrize(("value", "seconds"), [("", 60.0), ("0", 0.0), ("2.5", 2.5)])
def test_store_wait_setting(value: str, seconds: float, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKTWO_STORE_WAIT", value)
    assert store_wait() == seconds


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_store_wait_refuses_what_is_no_duration(value: str, monkeypatch) -> None:
    monkeypatch.setenv("TRACKTWO_STORE_WAIT", value)
    with pytest.raises(ConfigError, match="TRACKTWO_STORE_WAIT"):
        store_wait()


def test_a_commit_reaches_the_dashboard_without_a_restart(web_home: Path, tmp_path: Path) -> None:
    import time

    from _web import live_server
    from test_events_ingest import g2_line, write_lines

    from tracktwo.events import ingest_file

    # one KHMGOV -> USAGOV meeting on 2018-09-24 (tests/test_events_ingest.py's template)
    extra = write_lines(tmp_path / "one.tsv", [g2_line({})])
    with live_server(web_home) as base, httpx.Client(base_url=base, timeout=60) as client:
        before = client.get("/api/pairs/KHM/USA").json()
        with EventStore(web_home, write=True) as writer:  # a poller keeps its writer open
            ingest_file(writer, extra)
            time.sleep(2.5)  # past VERSION_SECONDS twice: the worker looks at the version
            client.get("/api/pairs/KHM/USA")  # the look happens beside this request
            time.sleep(0.5)
            after = client.get("/api/pairs/KHM/USA").json()
    assert after != before  # the cached figures of the old snapshot were not served
    assert json.dumps(after).count("2018") >= json.dumps(before).count("2018")


def test_while_one_figure_is_computed_the_others_answer_from_the_last_commit(
    web_home: Path,
) -> None:
    import threading

    from tracktwo.bridges import add_actor
    from tracktwo.web import WebSettings
    from tracktwo.web._data import DataSources

    sources = DataSources(WebSettings(home=web_home))
    assert sources.cached("overview", lambda: "as of commit 1") == "as of commit 1"
    with EventStore(web_home, write=True) as writer, writer.transaction() as con:
        con.execute("INSERT INTO votes VALUES (9, 'KHM', 'yes')")  # commit 2 of the store
    sources.version(force=True)
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(30)
        return "another page"

    def busy() -> threading.Thread:
        started.clear()
        thread = threading.Thread(target=lambda: sources.cached(("page", len(answers)), slow))
        thread.start()
        assert started.wait(30)
        return thread

    answers: list[str] = []
    other = busy()  # one costly computation in flight
    # answered at once from the figures of commit 1, not queued behind it
    answers.append(sources.cached("overview", lambda: pytest.fail("queued a recomputation")))
    assert answers == ["as of commit 1"]
    release.set()
    other.join(30)
    assert sources.cached("overview", lambda: "as of commit 2") == "as of commit 2"

    # a registry change is never answered from an older value: the request waits its turn
    add_actor(sources.registry, name="Kampot", country="KHM", kind="city")
    sources.changed()
    release.clear()
    other = busy()
    waiting = threading.Thread(
        target=lambda: answers.append(sources.cached("overview", lambda: "with Kampot"))
    )
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive()  # it waits for the computation in flight
    release.set()
    waiting.join(30)
    other.join(30)
    assert answers[-1] == "with Kampot"
    sources.close()
