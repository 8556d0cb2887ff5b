"""Ingest throughput and peak memory against polars' CSV reader on the same GDELT 2.0 file.

    python benchmarks/bench_ingest.py [--rows N] [--keep DIR] [--repeats R]
    python benchmarks/bench_ingest.py --files 1000 [--rows-per-file 1500] [--base-rows 5000000]

Targets (issue, 2 cores): ingest reads at >= 50% of ``polars.read_csv``'s row rate on the
same file in the same run, and the ingest process peaks at <= 1 GiB for a 5M-row file.

A seeded synthetic GDELT 2.0 export (``tracktwo.events._synth``) is written to a temp dir
(or to ``--keep DIR``, where it is kept and reused by later runs with the same N). Each
measurement runs in its own child process so that neither reader's memory affects the
other; the peak RSS is that child's own ``ru_maxrss`` (``os.wait4``, the per-child form of
``getrusage(RUSAGE_CHILDREN)``). Each reader runs ``--repeats`` times (default 2) and the
best time is kept, because the machine is shared and noisy.

With ``--files N`` (issue 17): N GDELT 2.0 15-minute exports (ids and DATEADDED rising from
file to file, dates in the present, 3% of rows older) are ingested with ``ingest_paths`` and
its default batching into (a) an empty store and (b) a copy of a store already holding
``--base-rows`` events of earlier ids and dates and the records of the ~330,000 files a
backfill since 2015 ingests (built once in SQL through the real writer, cached under the
temp dir), and read by ``polars.read_csv`` file by file. Printed: total and
per-file time, the stages per batch, the per-file ratio (b)/(a) (target <= 1.2), total (a)
against polars (target <= 2x) and the peak RSS (target <= 1 GiB).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

RATIO_TARGET = 0.5
MEMORY_TARGET_MIB = 1024
MEMORY_TARGET_ROWS = 5_000_000
SEED = 20240601
# many files: GDELT 2.0's 15-minute exports, in the present, into an empty store and a full one
PER_FILE_TARGET = 1.2  # per-file time into the full store / into the empty one
POLARS_FILES_TARGET = 2.0  # total ingest into the empty store / polars reading the files
FILES_START = datetime(2026, 11, 20)
FILES_FIRST_ID = 1_300_000_000
OLD_SHARE = 0.03  # rows of a file dated days to a year before it (GDELT carries a few)
BASE_ROWS = 5_000_000
BASE_YEARS = 2
BASE_FIRST_ID = 1_000_000_000
# the full store's record of its files: a backfill of GDELT 2.0 since 2015-02-18 (96 files a
# day) leaves ~330,000 rows in ingested_files, source_files and the fetch ledger
BASE_FILES = 330_000
FILES_VERSION = 1
STAGE_CHECK = "check each file (format, control bytes, UTF-8)"
STAGE_READ = "read the batch's files (one read_csv a layout)"
STAGE_STORE = "store the batch (in the transaction)"
STAGE_DEDUP = "  of which: new rows (dedup on stored uids)"
STAGE_FLAGS = "  of which: re-emission flags"
STAGE_INSERT = "  of which: insert_staged_events (all)"
STAGE_PUBLISH = "publish the snapshot (after each COMMIT)"


# -- child processes ---------------------------------------------------------------------------


def _rss_mib(field: str = "VmRSS") -> float:
    """This process's resident set size (VmRSS) or its peak (VmHWM), in MiB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _child_polars(path: str) -> dict[str, Any]:
    import polars as pl

    baseline = _rss_mib()
    start = time.perf_counter()
    frame = pl.read_csv(path, separator="\t", has_header=False, quote_char=None, infer_schema=False)
    seconds = time.perf_counter() - start
    return {"rows": frame.height, "seconds": seconds, "baseline_mib": baseline}


def _time_stage(stages: dict[str, float], module: Any, name: str, label: str) -> None:
    """Wrap ``module.name`` so that its time adds up in ``stages[label]`` (looked up at call
    time, so wrapping a function ingest calls times it)."""
    inner = getattr(module, name, None)
    if inner is None:  # ingest was reorganised: that stage is simply not shown
        return

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            stages[label] = stages.get(label, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def _child_ingest(path: str, home: str) -> dict[str, Any]:
    """Ingest ``path`` into a fresh store in ``home``; time ingest_file and its stages."""
    from contextlib import contextmanager

    from tracktwo.events import _gdelt, _ingest
    from tracktwo.store import EventStore, _duckdb, _events_sql
    from tracktwo.taxonomy import load_taxonomy

    stages: dict[str, float] = {}

    def timed(module: Any, name: str, label: str) -> None:
        _time_stage(stages, module, name, label)

    # the stages of ingest_file, looked up at call time, so wrapping them times them
    timed(_gdelt, "stage_gdelt", "read file into staging (read_csv)")
    timed(_ingest, "_validation_failures", "validation failures")
    timed(_events_sql, "_new_rows", "new rows (anti-join on stored uids)")
    timed(_events_sql, "_reemission_flags", "re-emission flags")
    timed(_duckdb, "publish", "publish the snapshot (in commit)")
    timed(_ingest, "_sha256", "sha256 of the file (on a thread, overlaps)")

    class TimedStore(EventStore):
        """The store, timing the COMMIT that ends ingest_file's transaction (and the
        snapshot published after it)."""

        @contextmanager
        def transaction(self) -> Any:
            with super().transaction() as con:
                yield con
                body_done = time.perf_counter()
            stages["commit and publish"] = time.perf_counter() - body_done

    taxonomy = load_taxonomy()
    store = TimedStore(home, write=True)  # EventStore(home) alone is a read-only snapshot reader
    baseline = _rss_mib()
    start = time.perf_counter()
    report = _ingest.ingest_file(store, path, taxonomy=taxonomy)
    seconds = time.perf_counter() - start
    close_start = time.perf_counter()
    store.close()
    close_seconds = time.perf_counter() - close_start
    db = Path(home) / "events.duckdb"
    return {
        "rows": report.rows_read,
        "rows_added": report.rows_added,
        "rows_quarantined": report.rows_quarantined,
        "reemissions": report.reemissions,
        "seconds": seconds,
        "close_seconds": close_seconds,
        "stages": stages,
        "baseline_mib": baseline,
        "store_mb": db.stat().st_size / 1e6 if db.exists() else float("nan"),
    }


def _child_generate(path: str, rows: str) -> dict[str, Any]:
    from tracktwo.events._synth import write_synthetic_gdelt2

    write_synthetic_gdelt2(path, int(rows), seed=SEED)
    return {}


# -- many files (GDELT 2.0's 15-minute exports) -------------------------------------------------


def _file_stamp(index: int) -> datetime:
    return FILES_START + timedelta(minutes=15 * index)


def _child_generate_files(folder: str, files: str, rows: str) -> dict[str, Any]:
    """``files`` GDELT 2.0 exports of ``rows`` rows, one per 15-minute slot from FILES_START:
    GLOBALEVENTIDs rising from file to file, DATEADDED the file's slot (as in GDELT), SQLDATE
    the slot's day or the day before, and OLD_SHARE of the rows an older day (up to a year
    back), as real GDELT files carry."""
    import numpy as np
    import polars as pl

    from tracktwo.events._synth import synthetic_gdelt2_frame

    n_rows = int(rows)
    for index in range(int(files)):
        stamp = _file_stamp(index)
        frame = synthetic_gdelt2_frame(
            n_rows, seed=SEED + index, start=(stamp - timedelta(days=1)).date(), days=2,
            first_id=FILES_FIRST_ID + index * n_rows,
        )  # fmt: skip
        rng = np.random.default_rng(SEED + index)
        old = rng.random(n_rows) < OLD_SHARE
        back = rng.integers(2, 366, n_rows)
        days = [
            (stamp - timedelta(days=int(b))).strftime("%Y%m%d") if o else d
            for o, b, d in zip(old, back, frame["SQLDATE"].to_list(), strict=True)
        ]
        frame = frame.with_columns(
            pl.Series("SQLDATE", days),
            pl.Series("MonthYear", [d[:6] for d in days]),
            pl.Series("Year", [d[:4] for d in days]),
            pl.lit(stamp.strftime("%Y%m%d%H%M%S")).alias("DATEADDED"),
        )
        target = Path(folder) / f"{stamp:%Y%m%d%H%M%S}.export.CSV"
        frame.write_csv(target, separator="\t", include_header=False, quote_style="never")
    return {}


def _child_base_store(home: str, rows: str) -> dict[str, Any]:
    """The store already holding ``rows`` events, built straight in SQL through the real
    writer (bench_pulse.build_store: closing the store publishes its snapshot), dated in the
    two years before the files and with smaller GLOBALEVENTIDs, as an older store is."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_pulse import build_store

    start = (FILES_START - timedelta(days=BASE_YEARS * 365 + 2)).date().isoformat()
    built = build_store(Path(home), int(rows), BASE_YEARS, start=start, first_id=BASE_FIRST_ID)
    _record_backfill(Path(home), BASE_FILES)
    return {**built, "files": BASE_FILES}


def _record_backfill(home: Path, files: int) -> None:
    """The rows a backfill of ``files`` 15-minute exports since 2015-02-18 leaves beside its
    events (one per file in ingested_files, source_files and fetched_files), written through
    the real writer: closing it publishes them."""
    from tracktwo.store import EventStore

    stamp = "strftime(TIMESTAMP '2015-02-18' + INTERVAL (15 * i) MINUTE, '%Y%m%d%H%M%S')"
    name = f"{stamp} || '.export.CSV'"
    with EventStore(home, write=True) as store:
        con = store.con
        con.execute(
            f"""INSERT INTO ingested_files SELECT {name}, '/data/downloads/' || {name},
                sha256({name}), 'gdelt2', 1500, 1450, 50, 0, now() FROM range({files}) r(i)"""
        )
        con.execute(f"INSERT INTO source_files SELECT {name}, 'gdelt2' FROM range({files}) r(i)")
        con.execute(
            f"""INSERT INTO fetched_files SELECT
                'http://data.gdeltproject.org/gdeltv2/' || {name} || '.zip', 120000,
                md5({name}), 'fetched', 1500, now(), 'all' FROM range({files}) r(i)"""
        )


def _child_polars_files(listing: str) -> dict[str, Any]:
    import polars as pl

    paths = Path(listing).read_text().split("\n")
    baseline = _rss_mib()
    start = time.perf_counter()
    rows = 0
    for path in paths:
        frame = pl.read_csv(path, separator="\t", has_header=False, quote_char=None,
                            infer_schema=False)  # fmt: skip
        rows += frame.height
    return {"rows": rows, "seconds": time.perf_counter() - start, "baseline_mib": baseline}


def _child_ingest_files(listing: str, home: str) -> dict[str, Any]:
    """``ingest_paths`` (default batching) of the listed files into the store in ``home``;
    the stages are timed by wrapping the functions it calls, and each batch's commit."""
    from tracktwo.events import _batch, _ingest
    from tracktwo.store import EventStore, _duckdb, _events_sql

    stages: dict[str, float] = {}
    batches: list[dict[str, float]] = []

    def timed(module: Any, name: str, label: str) -> None:
        _time_stage(stages, module, name, label)

    timed(_batch, "stage_file", STAGE_CHECK)
    timed(_batch, "read_staged", STAGE_READ)
    timed(_events_sql, "_new_rows", STAGE_DEDUP)
    timed(_events_sql, "_reemission_flags", STAGE_FLAGS)
    timed(_ingest, "insert_staged_events", STAGE_INSERT)
    timed(_batch, "store_staged", STAGE_STORE)
    timed(_duckdb, "publish", STAGE_PUBLISH)
    commit = _batch.IngestBatch.commit

    last = {"stages": dict(stages), "at": 0.0}  # at the end of the previous commit

    def timed_commit(self: Any) -> Any:
        reports = commit(self)
        if reports:
            now = time.perf_counter()
            # a batch: its files staged since the previous commit, then stored and published
            batch = {"files": len(reports), "seconds": now - last["at"]}
            for label in (STAGE_CHECK, STAGE_READ, STAGE_STORE, STAGE_PUBLISH):
                batch[label] = stages.get(label, 0.0) - last["stages"].get(label, 0.0)
            batches.append(batch)
            last.update(stages=dict(stages), at=now)
        return reports

    _batch.IngestBatch.commit = timed_commit  # type: ignore[method-assign]
    paths = Path(listing).read_text().split("\n")
    store = EventStore(home, write=True)
    before_rows = store.count("events")
    baseline = _rss_mib()
    start = last["at"] = time.perf_counter()
    reports, failures = _batch.ingest_paths(store, paths)
    seconds = time.perf_counter() - start
    after_rows = store.count("events")
    store.close()
    return {
        "files": len(reports), "failures": len(failures), "seconds": seconds,
        "rows_before": before_rows, "rows_added": after_rows - before_rows,
        "rows_read": sum(r.rows_read for r in reports),
        "reemissions": sum(r.reemissions for r in reports),
        "stages": stages, "batches": batches, "baseline_mib": baseline,
    }  # fmt: skip


def _child_main(argv: list[str]) -> None:
    kind, *rest = argv
    run = {
        "polars": _child_polars,
        "ingest": _child_ingest,
        "generate": _child_generate,
        "generate-files": _child_generate_files,
        "base-store": _child_base_store,
        "polars-files": _child_polars_files,
        "ingest-files": _child_ingest_files,
    }[kind]
    result = run(*rest)
    result["hwm_mib"] = _rss_mib("VmHWM")
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()


# -- parent ------------------------------------------------------------------------------------


def _run_child(*args: str) -> dict[str, Any]:
    """Run this script as a child; return its JSON result plus its own peak RSS."""
    command = [sys.executable, os.path.abspath(__file__), "--child", *args]
    wall_start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    output = proc.stdout.read()
    proc.stdout.close()
    # wait4 gives this one child's rusage (getrusage(RUSAGE_CHILDREN) would be the max
    # over every child waited for so far, mixing the polars and ingest runs). Linux carries
    # the parent's peak RSS into a (v)forked child's ru_maxrss at exec, so this process
    # imports nothing heavy: no polars, no tracktwo.
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child {args[0]} failed with exit code {proc.returncode}")
    result: dict[str, Any] = json.loads(output)
    result["peak_mib"] = usage.ru_maxrss / 1024  # KiB on Linux
    result["wall_seconds"] = time.perf_counter() - wall_start
    return result


def _prepare_file(rows: int, workdir: Path) -> tuple[Path, bool]:
    """Write (or reuse, with a matching marker) the synthetic GDELT 2.0 file."""
    path = workdir / f"bench-gdelt2-{rows}.export.CSV"
    marker = path.with_suffix(".json")
    wanted = {"rows": rows, "seed": SEED}
    if path.exists() and marker.exists() and json.loads(marker.read_text()) == wanted:
        return path, True
    # in a child too: this process must stay small, see _run_child
    _run_child("generate", str(path), str(rows))
    marker.write_text(json.dumps(wanted))
    return path, False


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _cached(folder: Path, wanted: dict[str, Any], build: Any) -> str:
    """``folder`` built by ``build(path)`` once, then reused while its marker matches."""
    marker = folder / "bench.json"
    if marker.exists() and json.loads(marker.read_text()).get("wanted") == wanted:
        return "reused"
    shutil.rmtree(folder, ignore_errors=True)
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    start = time.perf_counter()
    build(building)
    seconds = time.perf_counter() - start
    (building / "bench.json").write_text(json.dumps({"wanted": wanted, "seconds": seconds}))
    building.rename(folder)
    return f"built in {seconds:.0f} s"


def _prepare_files(files: int, rows: int) -> tuple[Path, str]:
    folder = Path(tempfile.gettempdir()) / f"tracktwo-bench-ingest-files-{files}x{rows}"
    wanted = {"files": files, "rows": rows, "seed": SEED, "version": FILES_VERSION}
    how = _cached(
        folder, wanted, lambda at: _run_child("generate-files", str(at), str(files), str(rows))
    )
    paths = sorted(folder.glob("*.export.CSV"))
    listing = folder / "files.txt"
    listing.write_text("\n".join(str(p) for p in paths))
    return listing, how


def _prepare_base(rows: int) -> tuple[Path, str]:
    folder = Path(tempfile.gettempdir()) / f"tracktwo-bench-ingest-base-{rows}"
    wanted = {"rows": rows, "years": BASE_YEARS, "start": FILES_START.isoformat(),
              "first_id": BASE_FIRST_ID, "files": BASE_FILES,
              "version": FILES_VERSION}  # fmt: skip
    # the store is built in its own folder inside: the marker stays outside the store
    how = _cached(folder, wanted, lambda at: _run_child("base-store", str(at / "home"), str(rows)))
    return folder / "home", how


def _per_file(result: dict[str, Any]) -> float:
    return float(result["seconds"]) / max(1, int(result["files"]))


def _print_ingest(label: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    best = min(runs, key=lambda r: r["seconds"])
    peak = max(r["peak_mib"] for r in runs)
    print(f"{label}: {best['files']:,} files ({best['failures']} refused), "
          f"{best['rows_read']:,} rows read, {best['rows_added']:,} added to "
          f"{best['rows_before']:,}, {best['reemissions']:,} re-emissions flagged")  # fmt: skip
    all_runs = ", ".join(f"{r['seconds']:.1f} s" for r in runs)
    print(f"  total {best['seconds']:7.2f} s   per file {_per_file(best) * 1000:7.1f} ms   "
          f"peak RSS {peak:,.0f} MiB   (runs: {all_runs})")  # fmt: skip
    order = [STAGE_CHECK, STAGE_READ, STAGE_STORE, STAGE_DEDUP, STAGE_FLAGS, STAGE_INSERT,
             STAGE_PUBLISH]  # fmt: skip
    for name in order:
        seconds = best["stages"].get(name, 0.0)
        print(f"    {name:46s} {seconds:7.2f} s  ({seconds / best['files'] * 1000:6.1f} ms a file)")
    timed = sum(best["stages"].get(n, 0.0) for n in (STAGE_CHECK, STAGE_READ, STAGE_STORE,
                                                     STAGE_PUBLISH))  # fmt: skip
    print(f"    {'rest (COMMIT, batching, counts)':46s} {best['seconds'] - timed:7.2f} s")
    batches = best["batches"]
    if batches:
        print("  each batch, seconds: total = checking + reading + storing + publishing + rest")
        for number, b in enumerate(batches, start=1):
            parts = [b[STAGE_CHECK], b[STAGE_READ], b[STAGE_STORE], b[STAGE_PUBLISH]]
            shown = " + ".join(f"{part:4.2f}" for part in [*parts, b["seconds"] - sum(parts)])
            print(f"    {number:3d} ({b['files']} files) {b['seconds']:5.2f} = {shown}")
    return best


def run_files(args: argparse.Namespace) -> int:
    """Many GDELT 2.0 files into an empty store and into one holding --base-rows events."""
    repeats = args.repeats or 1
    start = time.perf_counter()
    listing, how = _prepare_files(args.files, args.rows_per_file)
    print(f"files     {args.files:,} GDELT 2.0 exports of {args.rows_per_file:,} rows, one per "
          f"15 minutes from {FILES_START:%Y-%m-%d} ({listing.parent}, {how})")  # fmt: skip
    base, how = _prepare_base(args.base_rows)
    print(
        f"full store {args.base_rows:,} events of {BASE_YEARS} earlier years and the records "
        f"of {BASE_FILES:,} files, built in SQL through the writer ({base}, {how}); "
        f"prepared in {time.perf_counter() - start:.0f} s"
    )
    print(f"cores     {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}; each measure "
          f"runs {repeats}x in its own child process, best time kept")  # fmt: skip
    print()
    workdir = Path(tempfile.mkdtemp(prefix="tracktwo-bench-ingest-"))
    polars_runs: list[dict[str, Any]] = []
    empty_runs: list[dict[str, Any]] = []
    full_runs: list[dict[str, Any]] = []
    try:
        for _ in range(repeats):
            polars_runs.append(_run_child("polars-files", str(listing)))
            home = workdir / "empty"
            empty_runs.append(_run_child("ingest-files", str(listing), str(home)))
            shutil.rmtree(home, ignore_errors=True)
            home = workdir / "full"
            shutil.copytree(base, home)
            full_runs.append(_run_child("ingest-files", str(listing), str(home)))
            shutil.rmtree(home, ignore_errors=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    best_polars = min(polars_runs, key=lambda r: r["seconds"])
    print(f"polars.read_csv of each file: {best_polars['rows']:,} rows in "
          f"{best_polars['seconds']:.2f} s ({best_polars['seconds'] / args.files * 1000:.1f} ms "
          f"a file, peak RSS {max(r['peak_mib'] for r in polars_runs):,.0f} MiB)")  # fmt: skip
    empty = _print_ingest("(a) ingest_paths into an empty store", empty_runs)
    full = _print_ingest(f"(b) ingest_paths into a store of {args.base_rows:,} events", full_runs)
    ratio = _per_file(full) / _per_file(empty)
    against = empty["seconds"] / best_polars["seconds"]
    peak = max(r["peak_mib"] for r in empty_runs + full_runs)
    print()
    print(f"per-file time (b)/(a)     {ratio:5.2f}   target <= {PER_FILE_TARGET}   "
          f"{_verdict(ratio <= PER_FILE_TARGET)}")  # fmt: skip
    print(f"total (a) / polars        {against:5.2f}   target <= {POLARS_FILES_TARGET:.0f}     "
          f"{_verdict(against <= POLARS_FILES_TARGET)}")  # fmt: skip
    print(f"peak RSS                 {peak:,.0f} MiB  target <= {MEMORY_TARGET_MIB} MiB "
          f"{_verdict(peak <= MEMORY_TARGET_MIB)}")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the file")
    parser.add_argument("--keep", type=Path, default=None, help="keep (and reuse) the file here")
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="runs of each reader; best time (default 2, with --files 1)",
    )
    parser.add_argument(
        "--files",
        type=int,
        default=0,
        help="many-file mode: this many GDELT 2.0 files (the issue: 1000)",
    )
    parser.add_argument("--rows-per-file", type=int, default=1500, help="with --files")
    parser.add_argument("--base-rows", type=int, default=BASE_ROWS,
                        help="with --files: events already in the full store")  # fmt: skip
    args = parser.parse_args(argv)
    if args.files:
        return run_files(args)
    args.repeats = args.repeats or 2

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="tracktwo-bench-ingest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        path, reused = _prepare_file(args.rows, workdir)
        how = "reused" if reused else f"generated in {time.perf_counter() - start:.1f} s"
        size_mb = path.stat().st_size / 1e6
        print(f"file      {path} ({how})")
        print(f"rows      {args.rows:,}")
        print(f"file size {size_mb:,.1f} MB")
        print(f"cores     {os.cpu_count()}; each reader runs {args.repeats}x in its own child")
        print("          process, best time kept (the machine is shared and noisy)")
        print()

        polars_runs, ingest_runs = [], []
        for attempt in range(args.repeats):
            # alternate the readers so a noisy spell does not hit only one of them
            polars_runs.append(_run_child("polars", str(path)))
            home = workdir / f"store-{attempt}"
            shutil.rmtree(home, ignore_errors=True)
            ingest_runs.append(_run_child("ingest", str(path), str(home)))
            shutil.rmtree(home, ignore_errors=True)
            p, g = polars_runs[-1], ingest_runs[-1]
            print(
                f"run {attempt + 1}: polars {p['seconds']:6.2f} s ({p['peak_mib']:,.0f} MiB peak)"
                f" | ingest {g['seconds']:6.2f} s ({g['peak_mib']:,.0f} MiB peak)"
            )

        best_polars = min(polars_runs, key=lambda r: r["seconds"])
        best_ingest = min(ingest_runs, key=lambda r: r["seconds"])
        polars_rate = best_polars["rows"] / best_polars["seconds"]
        ingest_rate = best_ingest["rows"] / best_ingest["seconds"]
        ratio = ingest_rate / polars_rate
        peak = max(r["peak_mib"] for r in ingest_runs)
        polars_peak = max(r["peak_mib"] for r in polars_runs)

        print()
        print(f"best time of {args.repeats} runs; peak RSS: the highest of the {args.repeats} runs")
        print(f"polars.read_csv  {best_polars['seconds']:7.2f} s  {polars_rate:12,.0f} rows/s"
              f"  peak RSS {polars_peak:,.0f} MiB")  # fmt: skip
        print(f"ingest_file      {best_ingest['seconds']:7.2f} s  {ingest_rate:12,.0f} rows/s"
              f"  peak RSS {peak:,.0f} MiB")  # fmt: skip
        print(f"ratio ingest/polars  {ratio:.2f}")
        hwm = max(r["hwm_mib"] for r in ingest_runs)
        if abs(hwm - peak) > 0.05 * peak:
            print(f"note: the ingest child's own VmHWM was {hwm:,.0f} MiB (ru_maxrss {peak:,.0f})")
        print(
            f"ingest: {best_ingest['rows_added']:,} added, {best_ingest['reemissions']:,} "
            f"re-emissions flagged, {best_ingest['rows_quarantined']:,} quarantined; store "
            f"{best_ingest['store_mb']:,.0f} MB; close {best_ingest['close_seconds']:.2f} s; "
            f"process RSS before ingest {best_ingest['baseline_mib']:,.0f} MiB"
        )
        print("ingest stages (best run):")
        stages = best_ingest["stages"]
        for label, seconds in stages.items():
            print(f"  {label:36s} {seconds:7.2f} s")
        inner = ("new rows", "re-emission", "publish")  # inside other stages: not summed
        other = best_ingest["seconds"] - sum(
            s for label, s in stages.items() if not label.startswith(inner)
        )
        print(f"  {'rest: INSERT into events, counts':36s} {other:7.2f} s")
        print()
        print(f"target: ingest >= {RATIO_TARGET:.0%} of polars' rate      "
              f"{_verdict(ratio >= RATIO_TARGET)} ({ratio:.0%})")  # fmt: skip
        at = f" (target set for {MEMORY_TARGET_ROWS:,} rows)"
        note = "" if args.rows == MEMORY_TARGET_ROWS else at
        print(f"target: ingest peak RSS <= {MEMORY_TARGET_MIB} MiB     "
              f"{_verdict(peak <= MEMORY_TARGET_MIB)} ({peak:,.0f} MiB){note}")  # fmt: skip
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child_main(sys.argv[2:])
    else:
        sys.exit(main())
