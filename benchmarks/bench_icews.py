"""ICEWS reading speed against polars' CSV reader, on 1M synthetic rows in each layout.

    python benchmarks/bench_icews.py [--rows N] [--repeats R] [--keep DIR]

Target (issue 17, 2 shared cores): ``read_icews`` reads at >= 0.5 of the row rate of
``pl.read_csv(path, separator="\\t")`` on the same file, in the same run. The script prints
figures only; it asserts nothing.

Two seeded synthetic files are written (to a temp dir, or to ``--keep DIR`` where they are
kept and reused): the knowledge-graph layout and the 20-column Dataverse layout, built from
the vocabulary of the shipped ICEWS rows (tracktwo/datasets/icews*_khm.tsv: actor names,
the sectors and countries of their "Sector (Country)" names, event texts, dates). Each
measurement runs in a child process of its own: polars reading the file, ``read_icews`` on
its path (the whole table returned), ``read_icews_batches`` (each batch dropped once
counted: the reader's own memory) and ``ingest_file`` into a fresh store. The peak RSS is
the child's own (``os.wait4``); the best of ``--repeats`` runs is kept (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SEED = 20261204
RATIO_TARGET = 0.5
LAYOUTS = ("kg", "dataverse")


# -- the synthetic files -----------------------------------------------------------------------


def _vocabulary() -> dict[str, list[str]]:
    """Names, texts, dates, sectors and countries of the shipped ICEWS benchmark rows."""
    from tracktwo.datasets import dataset_path
    from tracktwo.events._icews_maps import SECTOR_ACTOR

    rows: list[list[str]] = []
    for name in ("icews14_khm.tsv", "icews18_khm.tsv", "icews21_khm.tsv", "icews22_khm.tsv"):
        lines = dataset_path(name).read_text(encoding="utf-8").splitlines()[1:]
        rows += [line.split("\t") for line in lines if line]
    names = sorted({row[i] for row in rows for i in (0, 2)})
    forms = [SECTOR_ACTOR.fullmatch(name) for name in names]
    sectors = sorted({m["sector"] for m in forms if m})
    countries = sorted({m["country"] for m in forms if m})
    return {
        "names": names,
        "texts": sorted({row[1] for row in rows}),
        "dates": sorted({row[3] for row in rows}),
        "sectors": sectors,
        "countries": countries,
    }


def _write_kg(path: Path, rows: int, words: dict[str, list[str]], rng: random.Random) -> None:
    columns = [
        rng.choices(words["names"], k=rows),
        rng.choices(words["texts"], k=rows),
        rng.choices(words["names"], k=rows),
        rng.choices(words["dates"], k=rows),
        rng.choices(["train", "valid", "test"], k=rows),
    ]
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("source_actor\tcameo_event_text\ttarget_actor\tdate\tsplit\n")
        out.writelines("\t".join(fields) + "\n" for fields in zip(*columns, strict=True))


def _release_code(text: str, codes: dict[str, str]) -> str:
    """The CAMEO code as release files write it: leading zero lost, sometimes left empty."""
    from tracktwo.events._icews_maps import key

    return codes[key(text)].lstrip("0") or "0"


def _write_dataverse(
    path: Path, rows: int, words: dict[str, list[str]], rng: random.Random
) -> None:
    from tracktwo.events._icews import DATAVERSE_COLUMNS
    from tracktwo.events._icews_maps import load_maps
    from tracktwo.taxonomy import load_taxonomy

    codes = load_maps(load_taxonomy()).texts
    text_codes = {text: _release_code(text, codes) for text in words["texts"]}
    sector_lists = [
        ",".join(rng.sample(words["sectors"], k=rng.randint(0, 3))) for _ in range(2000)
    ]
    pick = {kind: rng.choices(words[kind], k=rows) for kind in ("names", "countries", "texts")}
    targets = rng.choices(words["names"], k=rows)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("\t".join(DATAVERSE_COLUMNS) + "\n")
        for i in range(rows):
            text = pick["texts"][i]
            code = "" if i % 10 == 9 else text_codes[text]  # an empty code: read from the text
            fields = (
                str(20_000_000 + i), rng.choice(words["dates"]), pick["names"][i],
                rng.choice(sector_lists), pick["countries"][i], text, code, "2.8", targets[i],
                rng.choice(sector_lists), rng.choice(words["countries"]), str(4_000_000 + i // 3),
                str(i % 5 + 1), "Xinhua", "Phnom Penh", "", "Phnom Penh",
                rng.choice(words["countries"]), "11.5625", "104.916",
            )  # fmt: skip
            out.write("\t".join(fields) + "\n")


def _child_generate(folder: str, rows: str) -> dict[str, Any]:
    words = _vocabulary()
    rng = random.Random(SEED)
    _write_kg(Path(folder) / "kg.tsv", int(rows), words, rng)
    _write_dataverse(Path(folder) / "dataverse.tab", int(rows), words, rng)
    return {key: len(values) for key, values in words.items()}


# -- the measured children ---------------------------------------------------------------------


def _child_polars(path: str) -> dict[str, Any]:
    import polars as pl

    start = time.perf_counter()
    frame = pl.read_csv(path, separator="\t")
    return {"rows": frame.height, "seconds": time.perf_counter() - start}


def _child_read(path: str) -> dict[str, Any]:
    from tracktwo.events import read_icews
    from tracktwo.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    start = time.perf_counter()
    table, bad = read_icews(Path(path), source_file=Path(path).name, taxonomy=taxonomy)
    seconds = time.perf_counter() - start
    return {"rows": table.num_rows, "quarantined": len(bad), "seconds": seconds}


def _child_stream(path: str) -> dict[str, Any]:
    """read_icews_batches with each batch dropped once counted: the reader's own memory."""
    from tracktwo.events import read_icews_batches
    from tracktwo.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    start = time.perf_counter()
    rows = quarantined = 0
    for table, bad in read_icews_batches(
        Path(path), source_file=Path(path).name, taxonomy=taxonomy
    ):
        rows += table.num_rows
        quarantined += len(bad)
    seconds = time.perf_counter() - start
    return {"rows": rows, "quarantined": quarantined, "seconds": seconds}


def _child_ingest(path: str, home: str) -> dict[str, Any]:
    from tracktwo.events import ingest_file
    from tracktwo.store import EventStore
    from tracktwo.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    with EventStore(Path(home), write=True) as store:
        start = time.perf_counter()
        report = ingest_file(store, path, taxonomy=taxonomy)
        seconds = time.perf_counter() - start
    return {"rows": report.rows_added, "quarantined": report.rows_quarantined, "seconds": seconds}


def _child_main(argv: list[str]) -> None:
    kind, *rest = argv
    run = {
        "generate": _child_generate,
        "polars": _child_polars,
        "read": _child_read,
        "stream": _child_stream,
        "ingest": _child_ingest,
    }[kind]
    sys.stdout.write(json.dumps(run(*rest)))
    sys.stdout.flush()


# -- parent ------------------------------------------------------------------------------------


def _run_child(*args: str) -> dict[str, Any]:
    """This script as a child; its JSON result plus its own peak RSS (MiB). The parent
    imports nothing heavy, so no large peak is carried into the child at fork."""
    command = [sys.executable, os.path.abspath(__file__), "--child", *args]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    output = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child {args[0]} failed")
    result: dict[str, Any] = json.loads(output)
    result["peak_mib"] = usage.ru_maxrss / 1024  # KiB on Linux
    return result


def _best(runs: int, *args: str) -> dict[str, Any]:
    results = [_run_child(*args) for _ in range(runs)]
    return min(results, key=lambda result: result["seconds"])


def _measure(path: Path, workdir: Path, repeats: int) -> dict[str, dict[str, Any]]:
    figures = {kind: _best(repeats, kind, str(path)) for kind in ("polars", "read", "stream")}
    homes = []
    for run in range(repeats):
        homes.append(workdir / f"home-{path.stem}-{run}")
        shutil.rmtree(homes[-1], ignore_errors=True)
    ingests = [_run_child("ingest", str(path), str(home)) for home in homes]
    for home in homes:
        shutil.rmtree(home, ignore_errors=True)
    figures["ingest"] = min(ingests, key=lambda result: result["seconds"])
    return figures


def _report(layout: str, path: Path, figures: dict[str, dict[str, Any]]) -> None:
    polars_rate = figures["polars"]["rows"] / figures["polars"]["seconds"]
    print(f"\n{layout} layout: {path.name}, {path.stat().st_size / 2**20:,.0f} MiB")
    for label, name in (
        ("pl.read_csv", "polars"),
        ("read_icews", "read"),
        ("  batches", "stream"),
        ("ingest_file", "ingest"),
    ):
        result = figures[name]
        rate = result["rows"] / result["seconds"]
        print(
            f"  {label:<12} {result['rows']:>9,} rows {result['seconds']:6.2f} s "
            f"{rate:>11,.0f} rows/s  {rate / polars_rate:5.2f} x polars  "
            f"peak {result['peak_mib']:,.0f} MiB"
        )
    print(f"  (target: read_icews >= {RATIO_TARGET} x polars' rate)")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        _child_main(args[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="write (and reuse) the files in this folder")
    options = parser.parse_args(args)
    workdir = options.keep or Path(tempfile.mkdtemp(prefix="bench-icews-"))
    workdir.mkdir(parents=True, exist_ok=True)
    marker = workdir / "bench-icews.json"
    wanted = {"rows": options.rows, "seed": SEED}
    try:
        if not (marker.exists() and json.loads(marker.read_text()) == wanted):
            start = time.perf_counter()
            sizes = _run_child("generate", str(workdir), str(options.rows))
            marker.write_text(json.dumps(wanted))
            print(f"wrote {options.rows:,} rows per layout in {time.perf_counter() - start:.1f} s "
                  f"(vocabulary: {sizes['names']} names, {sizes['texts']} texts, "
                  f"{sizes['dates']} dates, {sizes['sectors']} sectors, "
                  f"{sizes['countries']} countries)")  # fmt: skip
        for layout, name in zip(LAYOUTS, ("kg.tsv", "dataverse.tab"), strict=True):
            path = workdir / name
            _report(layout, path, _measure(path, workdir, options.repeats))
    finally:
        if options.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
