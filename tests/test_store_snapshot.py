"""The published snapshot (issue 17): readers never wait, a killed writer loses no snapshot.

The data: the real GDELT 1.0 sample (tests/data/gdelt_v1_sample.tsv, 710 events, all distinct
GLOBALEVENTIDs) cut into 20 files of consecutive lines. Every expected figure is worked out
from those lines with plain Python: the ids, the months of SQLDATE.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tracktwo.events import IngestBatch, ingest_file, ingest_paths
from tracktwo.store import SNAPSHOT_DIR, EventStore, read_manifest

SAMPLE = Path(__file__).parent / "data" / "gdelt_v1_sample.tsv"
CLI = [sys.executable, "-c", "from tracktwo.cli import main; main()"]
PIECES = 20


def _lines() -> list[str]:
    return [line for line in SAMPLE.read_text(encoding="utf-8").split("\n") if line]


def split_sample(folder: Path, pieces: int = PIECES) -> list[Path]:
    """The sample cut into ``pieces`` files of consecutive lines, in order."""
    lines = _lines()
    size = -(-len(lines) // pieces)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(pieces):
        path = folder / f"part{index:02d}.tsv"
        path.write_text(
            "".join(line + "\n" for line in lines[index * size : (index + 1) * size]),
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def ids_of(paths: list[Path]) -> set[str]:
    return {"gdelt:" + line.split("\t")[0] for path in paths for line in _read(path)}


def _read(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line]


def stored_uids(home: Path) -> set[str]:
    with EventStore(home) as reader:
        return {row[0] for row in reader.con.execute("SELECT event_uid FROM events").fetchall()}


def test_the_sample_is_what_its_source_file_says() -> None:
    lines = _lines()
    assert len(lines) == 710 == len({line.split("\t")[0] for line in lines})


def test_a_reader_keeps_the_snapshot_it_opened_while_the_writer_commits(tmp_path: Path) -> None:
    paths = split_sample(tmp_path / "in")
    with EventStore(tmp_path / "h", write=True) as writer:
        ingest_file(writer, paths[0])
        first = EventStore(tmp_path / "h")  # opened now: it sees part00 only
        ingest_file(writer, paths[1])
        with EventStore(tmp_path / "h") as second:
            assert second.count("events") == len(ids_of(paths[:2])) == 72
        assert first.count("events") == len(ids_of(paths[:1])) == 36  # not a row more
        first.close()


def test_the_snapshot_is_parquet_by_month_named_by_the_manifest(tmp_path: Path) -> None:
    with EventStore(tmp_path, write=True) as writer:
        ingest_file(writer, SAMPLE)
    manifest = read_manifest(tmp_path)
    assert manifest is not None
    months = {f"{line.split(chr(9))[1][:4]}-{line.split(chr(9))[1][4:6]}" for line in _lines()}
    assert months == {"1982-01", "1982-12", "2006-07", "2015-07", "2016-06", "2016-07"}
    event_files = [name for name in manifest.tables["events"] if "month=" in name]
    assert {name.split("/")[1] for name in event_files} == {f"month={m}" for m in months}
    assert manifest.events_rows == 710
    # what a user of R or plain DuckDB does: read the files the manifest names
    import duckdb

    files = [str(tmp_path / SNAPSHOT_DIR / name) for name in manifest.tables["events"]]
    count = duckdb.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchall()[0][0]
    assert count == 710


def test_a_commit_writes_only_what_changed(tmp_path: Path) -> None:
    paths = split_sample(tmp_path / "in")
    with EventStore(tmp_path / "h", write=True) as writer:
        ingest_file(writer, paths[0])
        before = read_manifest(tmp_path / "h")
        ingest_file(writer, paths[1])
        after = read_manifest(tmp_path / "h")
    assert before is not None and after is not None and after.version > before.version
    # the first commit's event files stay, the second one's are added beside them
    assert set(before.tables["events"]) < set(after.tables["events"])
    # tables the ingest did not touch keep their file; ingested_files got a new one
    assert after.tables["votes"] == before.tables["votes"]
    # ingested_files only grows: the second file's row went to a file of its own
    assert set(before.tables["ingested_files"]) < set(after.tables["ingested_files"])
    assert after.table_rows["ingested_files"] == 2


def test_a_month_of_many_commits_is_compacted(tmp_path: Path) -> None:
    paths = split_sample(tmp_path / "in")[:14]  # lines 1-504: all 2016-07 but a few
    with EventStore(tmp_path / "h", write=True) as writer:
        for path in paths:
            ingest_file(writer, path)
    manifest = read_manifest(tmp_path / "h")
    assert manifest is not None
    july = [n for n in manifest.tables["events"] if "month=2016-07" in n]
    assert 1 <= len(july) <= 9  # at most MAX_MONTH_FILES (8) plus the latest commit's file
    assert stored_uids(tmp_path / "h") == ids_of(paths)


def test_tables_that_only_grow_are_published_by_their_new_rows(tmp_path: Path) -> None:
    """14 commits of one file each: ingested_files and source_files get one file a commit,
    merged in tiers to at most MAX_MONTH_FILES (8), and readers see all 14 rows once."""
    paths = split_sample(tmp_path / "in")[:14]
    home = tmp_path / "h"
    with EventStore(home, write=True) as writer:
        for path in paths:
            ingest_file(writer, path)
    manifest = read_manifest(home)
    assert manifest is not None
    assert manifest.table_rows["ingested_files"] == manifest.table_rows["source_files"] == 14
    assert 1 < len(manifest.tables["ingested_files"]) <= 8
    with EventStore(home) as reader:
        names = reader.con.execute("SELECT source_file FROM ingested_files").fetchall()
        sources = reader.con.execute("SELECT source_file, source FROM source_files").fetchall()
    assert sorted(name for (name,) in names) == [f"part{i:02d}.tsv" for i in range(14)]
    assert sorted(sources) == [(f"part{i:02d}.tsv", "gdelt1") for i in range(14)]


def test_a_manifest_without_row_counts_has_those_tables_rewritten(tmp_path: Path) -> None:
    """A snapshot published before row counts were kept: the next publish rewrites each
    such table whole (its old file replaced), and counts from then on."""
    paths = split_sample(tmp_path / "in")[:2]
    home = tmp_path / "h"
    with EventStore(home, write=True) as writer:
        ingest_file(writer, paths[0])
    manifest_path = home / SNAPSHOT_DIR / "manifest.json"
    body = json.loads(manifest_path.read_text())
    first_files = body["tables"]["ingested_files"]
    del body["table_rows"]
    manifest_path.write_text(json.dumps(body))
    with EventStore(home, write=True) as writer:
        ingest_file(writer, paths[1])
    manifest = read_manifest(home)
    assert manifest is not None and manifest.table_rows["ingested_files"] == 2
    assert not set(first_files) & set(manifest.tables["ingested_files"])
    with EventStore(home) as reader:
        assert reader.con.execute("SELECT count(*) FROM ingested_files").fetchone() == (2,)


def test_no_statement_of_the_store_changes_a_table_published_by_its_new_rows() -> None:
    """The store's SQL (tracktwo/store/*.py) never updates, deletes from or replaces the
    tables the snapshot publishes by appended rows, and the generic row replacer is never
    given one of them."""
    from tracktwo.store._snapshot import APPENDED_TABLES

    store_dir = Path(__file__).parents[1] / "tracktwo" / "store"
    source = "\n".join(path.read_text(encoding="utf-8") for path in store_dir.glob("*.py"))
    source += "\n".join(
        path.read_text(encoding="utf-8")
        for path in (Path(__file__).parents[1] / "tracktwo").rglob("*.py")
        if "replace_arrow_rows(" in path.read_text(encoding="utf-8")
    )
    for name in APPENDED_TABLES:
        changing = re.compile(
            rf"(UPDATE|DELETE\s+FROM|TRUNCATE|DROP\s+TABLE(\s+IF\s+EXISTS)?|"
            rf"OR\s+REPLACE\s+(TEMP\s+)?TABLE|INSERT\s+OR\s+REPLACE\s+INTO)\s+{name}\b",
            re.IGNORECASE,
        )
        assert not changing.search(source), name
        assert not re.search(rf"replace_arrow_rows\([^)]*[\"']{name}[\"']", source), name


def test_a_flag_changed_on_a_stored_event_reaches_the_readers(tmp_path: Path) -> None:
    from test_events_ingest import URL_A, _emission, write_lines

    home = tmp_path / "h"
    first = _emission("101", "20180924100000", URL_A)  # 10:00
    later = _emission("106", "20180924120000", URL_A)  # 12:00, 120 min after: not flagged
    middle = _emission("107", "20180924110000", URL_A)  # 11:00 fills the gap: both flagged
    with EventStore(home, write=True) as writer:
        ingest_file(writer, write_lines(tmp_path / "f1.tsv", [first, later]))
        ingest_file(writer, write_lines(tmp_path / "f2.tsv", [middle]))
    with EventStore(home) as reader:
        rows = reader.con.execute("SELECT event_uid FROM events WHERE is_reemission").fetchall()
    assert {row[0] for row in rows} == {"gdelt:106", "gdelt:107"}


def test_a_batch_commits_its_files_together(tmp_path: Path) -> None:
    paths = split_sample(tmp_path / "in")
    home = tmp_path / "h"
    seen: list[int] = []
    with EventStore(home, write=True) as writer:
        commits: list[list[str]] = []
        batch = IngestBatch(
            writer, max_files=3, on_commit=lambda r: commits.append([x.source_file for x in r])
        )
        for path in paths[:7]:
            batch.add(path)
            with EventStore(home) as reader:
                seen.append(reader.count("events"))
        batch.commit()
    names = [p.name for p in paths]
    assert commits == [names[0:3], names[3:6], names[6:7]]  # the last one at commit()
    # readers saw nothing of a batch until it committed: 0, 0, 108 (3 x 36), ... 216
    assert seen == [0, 0, 108, 108, 108, 216, 216]
    assert stored_uids(home) == ids_of(paths[:7])


def test_a_file_that_cannot_be_read_leaves_its_batch_going(tmp_path: Path) -> None:
    paths = split_sample(tmp_path / "in")[:3]
    bad = tmp_path / "in" / "bad.tsv"
    bad.write_text("not\tan\tevent\tfile\n")
    with EventStore(tmp_path / "h", write=True) as writer:
        reports, failures = ingest_paths(writer, [paths[0], bad, paths[1], paths[2]],
                                         batch_files=10)  # fmt: skip
    assert [r.source_file for r in reports] == [p.name for p in paths]
    assert len(failures) == 1 and "bad.tsv" in str(failures[0])
    assert stored_uids(tmp_path / "h") == ids_of(paths)


# -- a writer killed with SIGKILL ---------------------------------------------------------------


def _ingest_command(home: Path, paths: list[Path], batch: int) -> list[str]:
    return [*CLI, "--home", str(home), "events", "ingest", *map(str, paths),
            "--batch-files", str(batch), "--format", "json"]  # fmt: skip


def _consistent(home: Path, paths: list[Path]) -> int:
    """The snapshot holds exactly the events of the files it lists as ingested."""
    with EventStore(home) as reader:
        files = [r[0] for r in reader.con.execute(
            "SELECT DISTINCT source_file FROM ingested_files").fetchall()]  # fmt: skip
        added = reader.con.execute(
            "SELECT coalesce(sum(rows_added), 0) FROM ingested_files").fetchall()[0][0]  # fmt: skip
        uids = {r[0] for r in reader.con.execute("SELECT event_uid FROM events").fetchall()}
    by_name = {path.name: path for path in paths}
    assert uids == ids_of([by_name[name] for name in files])
    assert added == len(uids)
    return len(files)


def test_a_writer_killed_at_any_point_leaves_the_last_snapshot(tmp_path: Path) -> None:
    paths = split_sample(tmp_path / "in")
    home = tmp_path / "h"
    EventStore(home, write=True).close()
    kills = 0
    for delay in (0.0, 0.2):
        start = (read_manifest(home) or pytest.fail("no snapshot")).version
        child = subprocess.Popen(_ingest_command(home, paths, 2), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline:
            manifest = read_manifest(home)
            if manifest is not None and manifest.version > start:
                break
            time.sleep(0.01)
        time.sleep(delay)  # a second batch is being read, stored or published
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            kills += 1
        child.wait(timeout=60)
        files = _consistent(home, paths)  # read while nobody has repaired anything
        assert files % 2 == 0  # whole batches of two files only
    assert kills >= 1
    done = subprocess.run(_ingest_command(home, paths, 2), capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _consistent(home, paths) == PIECES
    assert stored_uids(home) == ids_of(paths) and len(ids_of(paths)) == 710


# -- readers while a real ingest runs --------------------------------------------------------


def test_the_dashboard_and_readers_answer_while_an_ingest_writes(
    web_home: Path, tmp_path: Path
) -> None:
    from _web import live_server

    paths = split_sample(tmp_path / "in")[:6]  # six commits of 36 events
    with EventStore(web_home) as reader:
        before = reader.count("events")
    statuses: list[int] = []
    counts: list[int] = []
    stop = threading.Event()

    def ask(base: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while not stop.is_set():
                statuses.append(client.get("/api/pairs/KHM/USA").status_code)

    def count() -> None:
        while not stop.is_set():
            with EventStore(web_home) as store:
                counts.append(store.count("events"))

    with live_server(web_home) as base:
        workers = [threading.Thread(target=ask, args=(base,)) for _ in range(2)]
        workers.append(threading.Thread(target=count))
        for worker in workers:
            worker.start()
        try:
            no_wait = {**os.environ, "TRACKTWO_STORE_WAIT": "0"}
            command = _ingest_command(web_home, paths, 1)
            done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                                  env=no_wait)  # fmt: skip
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert "waiting" not in done.stderr  # the writer never waited for a reader
    assert sum(r["rows_added"] for r in json.loads(done.stdout)) == 6 * 36
    assert statuses and set(statuses) == {200}  # no 503, no error
    assert counts == sorted(counts)  # each reader saw whole commits, in order
    assert set(counts) <= {before + 36 * k for k in range(7)}
    with EventStore(web_home) as reader:
        assert reader.count("events") == before + 6 * 36


def test_a_replaced_file_outlives_the_readers_of_its_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracktwo.store import _snapshot

    home = tmp_path / "h"
    with EventStore(home, write=True) as writer:
        with writer.transaction() as con:
            con.execute("INSERT INTO votes VALUES (1, 'KHM', 'yes'), (1, 'USA', 'no')")
        old = EventStore(home)  # reads the votes file of this snapshot
        first = (read_manifest(home) or pytest.fail()).tables["votes"][0]
        with writer.transaction() as con:
            con.execute("DELETE FROM votes WHERE country = 'USA'")
        assert (home / SNAPSHOT_DIR / first).exists()  # retired, not deleted: `old` reads it
        assert old.count("votes") == 2
        old.close()
        monkeypatch.setattr(_snapshot, "RETIRE_SECONDS", 0.0)  # as if an hour had passed
        with writer.transaction() as con:
            con.execute("INSERT INTO votes VALUES (2, 'KHM', 'abstain')")
    manifest = read_manifest(home)
    assert manifest is not None
    assert not (home / SNAPSHOT_DIR / first).exists()
    live = [home / SNAPSHOT_DIR / name for files in manifest.tables.values() for name in files]
    assert all(path.exists() for path in live)
    on_disk = set((home / SNAPSHOT_DIR).rglob("*.parquet"))
    assert on_disk == set(live)  # nothing else is left behind
    with EventStore(home) as reader:
        assert reader.count("votes") == 2  # (1, KHM, yes) and (2, KHM, abstain)


def test_a_snapshot_that_cannot_be_written_says_so_and_the_next_write_catches_up(
    tmp_path: Path,
) -> None:
    from tracktwo import EngineError

    home = tmp_path / "h"
    with EventStore(home, write=True) as writer:
        blocker = home / SNAPSHOT_DIR / "events" / "month=2016-07"
        blocker.write_text("in the way")  # the folder of July 2016's new file cannot be made
        with pytest.raises(EngineError, match="committed, but its snapshot for readers could"):
            ingest_file(writer, SAMPLE)
        with EventStore(home) as reader:
            assert reader.count("events") == 0  # the previous commit, whole
        blocker.unlink()
        with writer.transaction() as con:
            con.execute("INSERT INTO votes VALUES (1, 'USA', 'no')")
    with EventStore(home) as reader:  # both commits, published by the second
        assert reader.count("events") == 710 and reader.count("votes") == 1


def test_events_status_names_the_snapshot_it_shows(tmp_path: Path) -> None:
    from _cli import run_ok

    with EventStore(tmp_path, write=True) as writer:
        ingest_file(writer, SAMPLE)
    manifest = read_manifest(tmp_path)
    assert manifest is not None
    lines = run_ok(tmp_path, "events", "status")
    day, clock = manifest.published_at.rstrip("Z").split("T")
    title = " ".join(" ".join(lines[:3]).split())  # the title may wrap in a narrow terminal
    assert f"(snapshot {manifest.version}, published {day} {clock} UTC)" in title
    assert any("710" in line for line in lines)  # the sample's 710 events
