"""Read-only by default (issue 16): readers share the store, writers say ``write=True``; since
issue 17 readers read the published snapshot and never wait for the writer.

Every reader and writer here is a real second process (``sys.executable``) opening the real
DuckDB file the way tracktwo does: ``EventStore(home)``, ``tracktwo.open(home)`` in a
notebook-like script, or a ``tracktwo`` command. A holder child waits for a line on its stdin
before letting go, so nothing depends on timing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from _votes import khm_usa_agreement_by_year

import tracktwo
from tracktwo import NotFoundError
from tracktwo.store import STORE_FILE, TABLES, EventStore, read_manifest

GDELT = Path(__file__).parent / "data" / "gdelt_v1_sample.tsv"  # 710 rows, all new ids
CLI = [sys.executable, "-c", "from tracktwo.cli import main; main()"]
_HOLD = (
    "import sys; from tracktwo.store import EventStore; home = sys.argv[1]; "
    "held = EventStore(home{write}); print('held', held.count('events'), flush=True); input()"
)
# what a notebook does: open the folder, ask for a table, print a figure of it
NOTEBOOK = (
    "import sys, tracktwo; t = tracktwo.open(sys.argv[1]); "
    "v = t.votes('KHM', 'USA'); print(len(v), round(float(v.iloc[-2]['value']), 6), flush=True)"
)
WAITING = "waiting for the event store (another process is writing it)…"


def _env(wait: str = "60") -> dict[str, str]:
    return {**os.environ, "TRACKTWO_STORE_WAIT": wait}


@contextmanager
def holding(home: Path, *, write: bool) -> Iterator[int]:
    """A child holding the store open (read-only, or as a writer) until the block ends;
    yields the events it counted."""
    code = _HOLD.format(write=", write=True" if write else "")
    child = subprocess.Popen([sys.executable, "-c", code, str(home)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert child.stdout is not None
        said = child.stdout.readline().split()
        assert said[:1] == ["held"], said
        yield int(said[1])
    finally:
        child.communicate("\n", timeout=60)
    assert child.returncode == 0


def run(args: list[str], wait: str = "60") -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=_env(wait), timeout=300)


def _agreement_by_year() -> pd.Series:
    """UN vote agreement of Cambodia and the United States per year, from the shipped CSV
    files with plain pandas (tests/_votes.py)."""
    return khm_usa_agreement_by_year()["mean"]


@pytest.fixture
def own_store(demo_store_home: Path, tmp_path: Path) -> Path:
    """A copy of the demo's event store that a test may hold as a writer."""
    home = tmp_path / "own"
    home.mkdir()
    shutil.copy2(demo_store_home / STORE_FILE, home / STORE_FILE)
    return home


def test_two_readers_a_notebook_and_a_command_read_at_once(demo_store_home: Path) -> None:
    agreement = _agreement_by_year()
    with holding(demo_store_home, write=False) as first, \
            holding(demo_store_home, write=False) as second:  # fmt: skip
        # both hold the store read-only now; a notebook and a command read beside them
        notebook = run([sys.executable, "-c", NOTEBOOK, str(demo_store_home)])
        command = run([*CLI, "--home", str(demo_store_home), "votes", "agreement",
                       "KHM", "USA", "--since", "2019-01-01", "--format", "json"])  # fmt: skip
    assert first == second > 0
    assert notebook.returncode == 0, notebook.stderr
    rows, value_2019 = notebook.stdout.split()
    # one row per year both voted in (the last, 2020, has one roll call): 2019 is the one before
    assert int(rows) == len(agreement)
    assert float(value_2019) == pytest.approx(agreement[2019], abs=1e-6) == 15 / 88
    assert command.returncode == 0, command.stderr
    by_year = {row["period"][:4]: row for row in json.loads(command.stdout)}
    assert by_year["2019"]["roll_calls"] == 88
    assert by_year["2019"]["value"] == pytest.approx(agreement[2019])
    assert WAITING not in command.stderr  # no reader waited for another


def test_a_reader_does_not_wait_for_a_writer_and_sees_the_last_commit(own_store: Path) -> None:
    with holding(own_store, write=True) as events:
        reader = run([*CLI, "--home", str(own_store), "events", "status", "--format", "json"])
        with EventStore(own_store) as dashboard_kind:  # no wait asked, none needed
            assert dashboard_kind.count("events") == events
    assert reader.returncode == 0, reader.stderr
    assert WAITING not in reader.stderr
    assert sum(row["events"] for row in json.loads(reader.stdout)) == events


def test_a_second_writer_gives_up_after_the_wait_with_one_line(own_store: Path) -> None:
    with holding(own_store, write=True):
        done = run([*CLI, "--home", str(own_store), "events", "ingest", str(GDELT)], wait="0.5")
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines[0] == WAITING
    assert lines[-1] == (
        f"Error: the event store {own_store / STORE_FILE} is still being written by another "
        "process after 0.5 s (another ingest or import): try again, or wait longer with "
        "TRACKTWO_STORE_WAIT=<seconds>"
    )


def test_a_notebook_reads_while_a_real_ingest_writes(own_store: Path) -> None:
    with EventStore(own_store) as store:
        before = store.count("events")
    count = "import sys, tracktwo; t = tracktwo.open(sys.argv[1])\n" \
            "with t.store() as s: print(s.count('events'))"  # fmt: skip
    ingest = subprocess.Popen(
        [*CLI, "--home", str(own_store), "events", "ingest", str(GDELT), "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env("120"),
    )  # fmt: skip
    notebook = run([sys.executable, "-c", count, str(own_store)], wait="120")
    out, err = ingest.communicate(timeout=300)
    assert ingest.returncode == 0, err
    assert json.loads(out)[0]["rows_added"] == 710
    assert notebook.returncode == 0, notebook.stderr
    # it read before the ingest or after it, never half of it, and it was not locked out
    assert int(notebook.stdout) in (before, before + 710)
    with EventStore(own_store) as store:
        assert store.count("events") == before + 710


def test_a_missing_store_says_where_and_how_to_create_it(tmp_path: Path) -> None:
    home = tmp_path / "nothing-yet"
    with pytest.raises(NotFoundError) as raised:
        EventStore(home)
    message = str(raised.value)
    assert str(home / STORE_FILE) in message
    assert "tracktwo events ingest" in message and "tracktwo demo" in message
    assert not home.exists()  # a reader creates no folder
    done = run([*CLI, "--home", str(home), "events", "status"])
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"Error: {message}"]
    with pytest.raises(NotFoundError, match="tracktwo demo"):
        tracktwo.open(home)


def test_a_store_of_an_older_tracktwo_is_published_once_then_read(tmp_path: Path) -> None:
    tmp_path.joinpath("h").mkdir()
    path = tmp_path / "h" / STORE_FILE
    old = duckdb.connect(str(path))  # a working file as tracktwo before the snapshot left it
    old.execute(TABLES["votes"])
    old.execute("INSERT INTO votes VALUES (1, 'KHM', 'yes'), (1, 'USA', 'no')")
    old.close()
    assert read_manifest(tmp_path / "h") is None
    with EventStore(tmp_path / "h") as reader:  # publishes its first snapshot, then reads it
        assert reader.read_only and reader.count("votes") == 2
        assert reader.has_tables("events") and reader.count("events") == 0
    first = read_manifest(tmp_path / "h")
    assert first is not None
    EventStore(tmp_path / "h").close()
    assert read_manifest(tmp_path / "h") == first  # once: the next reader only reads
    assert not (tmp_path / "h" / "events.duckdb.writer-lock").read_bytes()


def test_the_older_spelling_still_means_the_same(tmp_path: Path) -> None:
    EventStore(tmp_path, read_only=False).close()  # read_only=False is write=True
    with EventStore(tmp_path, read_only=True) as store:
        assert store.read_only
    with pytest.raises(TypeError, match="contradict"):
        EventStore(tmp_path, write=True, read_only=True)


def test_a_reader_in_the_writers_process_sees_what_was_committed(tmp_path: Path) -> None:
    with EventStore(tmp_path, write=True) as writer:
        with writer.transaction() as con:
            con.execute("INSERT INTO votes VALUES (1, 'KHM', 'yes')")
            with EventStore(tmp_path) as reader:  # during the transaction: not yet
                assert reader.read_only and reader.count("votes") == 0
        with EventStore(tmp_path) as reader:  # committed, so published
            assert reader.count("votes") == 1


def test_a_copy_of_the_published_snapshot_alone_can_be_read(demo_store_home: Path, tmp_path):
    home = tmp_path / "snapshot-only"
    shutil.copytree(demo_store_home / "snapshot", home / "snapshot")  # no events.duckdb
    votes = tracktwo.open(home).votes("KHM", "USA")
    assert len(votes) == len(_agreement_by_year())
    assert not (home / STORE_FILE).exists()  # reading it created no working file
