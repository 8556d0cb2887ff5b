"""Tests for tracktwo.events' IngestBatch: many files read by one DuckDB read, stored together,
each file's figures as if the files had been stored one after the other.

The expected figures are counted by hand from the lines each test writes (ids, repeats, bad
lines and their line numbers), never taken from the code under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import gdelt2_line

from tracktwo import FileFormatError
from tracktwo.events import IngestBatch, ingest_file, ingest_paths
from tracktwo.store import EventStore

KHM = ("KHMGOV", "KHM", "GOV")
USA = ("USAGOV", "USA", "GOV")


def line(gid: int, *, code: str = "036", url: str | None = None, added: str | None = None) -> str:
    return gdelt2_line(gid, "20190105", KHM, USA, code, url=url, added=added)


def unknown_code(gid: int) -> str:
    """A line whose EventCode (field 27) is 999, no CAMEO code."""
    fields = line(gid).split("\t")
    fields[26] = "999"
    return "\t".join(fields)


def write(folder: Path, name: str, lines: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(text + "\n" for text in lines), encoding="utf-8")
    return path


def stored(store: EventStore, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in store.con.execute(sql).fetchall()]


def test_each_file_of_a_batch_gets_its_own_figures(tmp_path: Path, store: EventStore) -> None:
    folder = tmp_path / "in"
    a = write(folder, "a.export.CSV", [line(1), line(2), line(3)])
    # b: id 2 again (stored by a, same batch), a new id 4, a line with an unknown CAMEO code
    # at line 3, and id 5 twice (the second copy is a repeat within the file)
    b = write(folder, "b.export.CSV", [line(2), line(4), unknown_code(6), line(5), line(5)])
    c = write(folder, "c.export.CSV", [line(7)])
    reports, failures = ingest_paths(store, [a, b, c], batch_files=10)
    assert failures == []
    figures = [(r.source_file, r.rows_read, r.rows_added, r.rows_already_stored,
                r.rows_quarantined) for r in reports]  # fmt: skip
    assert figures == [
        ("a.export.CSV", 3, 3, 0, 0),
        ("b.export.CSV", 5, 2, 2, 1),  # 4 and 5 added; 2 and the second 5 already stored
        ("c.export.CSV", 1, 1, 0, 0),
    ]
    # the copy of id 2 kept is a's (the file added first), and the bad line is b's line 3
    assert stored(store, "SELECT source_file FROM events WHERE global_event_id = 2") == [
        ("a.export.CSV",)
    ]
    assert stored(store, "SELECT source_file, line FROM quarantine") == [("b.export.CSV", 3)]
    assert stored(store, "SELECT count(*) FROM ingested_files") == [(3,)]
    assert sorted(stored(store, "SELECT global_event_id FROM events")) == [
        (1,), (2,), (3,), (4,), (5,), (7,)
    ]  # fmt: skip


def test_reemissions_across_the_files_of_a_batch(tmp_path: Path, store: EventStore) -> None:
    """One story (same actors, code and URL) in three files: added 12:00, 12:30 and 15:00.
    The 12:30 copy is within 90 minutes of the 12:00 one: a re-emission; the 15:00 one is not
    (150 minutes after the previous)."""
    url = "https://news.example.org/one-story"
    folder = tmp_path / "in"
    paths = [
        write(folder, f"{stamp}.export.CSV", [line(gid, url=url, added=stamp)])
        for gid, stamp in ((11, "20190105120000"), (12, "20190105123000"), (13, "20190105150000"))
    ]
    reports, _ = ingest_paths(store, paths, batch_files=10)
    assert [r.reemissions for r in reports] == [0, 1, 0]
    assert stored(store, "SELECT global_event_id FROM events WHERE is_reemission") == [(12,)]


def test_two_batches_give_the_store_one_batch_gives(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    paths = [write(folder, f"f{i}.export.CSV", [line(10 * i + j) for j in range(3)])
             for i in range(5)]  # fmt: skip
    paths.append(write(folder, "repeat.export.CSV", [line(11), line(99)]))
    every: list[list[tuple[object, ...]]] = []
    for batch_files in (1, 2, 10):
        with EventStore(tmp_path / f"h{batch_files}", write=True) as store:
            reports, _ = ingest_paths(store, paths, batch_files=batch_files)
            assert [r.rows_added for r in reports] == [3, 3, 3, 3, 3, 1]
            every.append(stored(store, "SELECT event_uid, source_file FROM events ORDER BY 1"))
    assert every[0] == every[1] == every[2]
    assert len(every[0]) == 16  # 15 ids of the five files, and 99


def test_a_file_gone_before_its_batch_is_read_is_refused_alone(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    a = write(folder, "a.export.CSV", [line(1), line(2)])
    gone = write(folder, "gone.export.CSV", [line(3)])
    c = write(folder, "c.export.CSV", [line(4)])
    refused: list[tuple[str, str]] = []
    with EventStore(tmp_path / "h", write=True) as store:
        batch = IngestBatch(
            store, max_files=10, on_refused=lambda path, exc: refused.append((path.name, str(exc)))
        )
        for path in (a, gone, c):
            batch.add(path)
        gone.unlink()  # checked when added, but no longer there when the batch reads it
        reports = batch.commit()
        assert [r.source_file for r in reports] == ["a.export.CSV", "c.export.CSV"]
        assert sorted(stored(store, "SELECT global_event_id FROM events")) == [(1,), (2,), (4,)]
        assert stored(store, "SELECT count(*) FROM ingested_files") == [(2,)]
    assert [name for name, _ in refused] == ["gone.export.CSV"]
    assert "gone.export.CSV" in refused[0][1]


def test_a_file_that_is_not_utf8_is_refused_when_added(tmp_path: Path, store: EventStore) -> None:
    folder = tmp_path / "in"
    path = folder / "latin1.export.CSV"
    folder.mkdir()
    text = "".join(line(gid) + "\n" for gid in range(1, 5)).encode()
    # line 3's actor name in Latin-1 (0xE9 then a tab is not UTF-8)
    lines = text.split(b"\n")
    lines[2] = lines[2].replace(b"\tKHMGOV\t", b"\tKHMGOV\xe9\t", 1)
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(FileFormatError, match=r"latin1\.export\.CSV: not UTF-8 text \(line 3\)"):
        ingest_file(store, path)
    assert stored(store, "SELECT count(*) FROM events") == [(0,)]


def test_gdelt1_widths_mixed_in_a_batch(tmp_path: Path, store: EventStore) -> None:
    """A 58-field file holding one 57-field line (GDELT 1.0 before April 2013), batched with
    a clean 58-field file: every row stored, none quarantined."""
    sample = (Path(__file__).parent / "data" / "gdelt_v1_sample.tsv").read_text(encoding="utf-8")
    rows = [text for text in sample.split("\n") if text and text.count("\t") == 57][:4]
    short = "\t".join(rows[3].split("\t")[:57])  # its SOURCEURL left off: 57 fields
    folder = tmp_path / "in"
    mixed = write(folder, "mixed.tsv", [rows[0], short])
    clean = write(folder, "clean.tsv", [rows[1], rows[2]])
    reports, failures = ingest_paths(store, [mixed, clean], batch_files=10)
    assert failures == []
    assert [(r.rows_added, r.rows_quarantined) for r in reports] == [(2, 0), (2, 0)]
    ids = sorted(int(text.split("\t")[0]) for text in (rows[0], short, rows[1], rows[2]))
    assert sorted(v for (v,) in stored(store, "SELECT global_event_id FROM events")) == ids
