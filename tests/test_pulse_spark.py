"""The same pulse on a local Spark session equals the DuckDB result (the Ibis promise)."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

from tracktwo.events import ingest_file, write_synthetic_gdelt2
from tracktwo.pulse import pulse

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def _spark_available() -> str | None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (the Spark engine needs a JDK 17+); CI installs it"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install 'tracktwo[spark]')"
    return None


@pytest.mark.skipif(_spark_available() is not None, reason=str(_spark_available()))
def test_spark_pulse_equals_duckdb(store, tmp_path):
    path = write_synthetic_gdelt2(tmp_path / "gdelt2.tsv", 3000, seed=11, days=200)
    ingest_file(store, path)
    options = {"freq": "month", "by": "track", "signals": False, "seed": 3}
    on_duckdb = pulse(store, "KHM", "USA", engine="duckdb", **options).frame
    on_spark = pulse(store, "KHM", "USA", engine="spark", **options).frame
    assert len(on_duckdb) > 20  # 7 months x 4 tracks: a real comparison, not two empty frames
    pd.testing.assert_frame_equal(on_duckdb, on_spark, check_dtype=False, atol=1e-9)


@pytest.mark.skipif(_spark_available() is not None, reason=str(_spark_available()))
def test_spark_reads_the_published_files_in_place(store, tmp_path):
    from tracktwo.store import EventStore, events_table

    ingest_file(store, write_synthetic_gdelt2(tmp_path / "gdelt2.tsv", 500, seed=3, days=60))
    with EventStore(store.home) as reader:
        table = events_table(reader, "spark")
        assert table.count().to_pyarrow().as_py() == 500  # the file's 500 distinct events
        assert not list((store.home / "tmp").glob("*.parquet"))  # no copy was made


def test_spark_without_java_says_so_before_any_work(tmp_path):
    import subprocess
    import sys

    from tracktwo.store import EventStore

    EventStore(tmp_path, write=True).close()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    env = {**os.environ, "PATH": os.path.dirname(sys.executable)}
    env.pop("JAVA_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "tracktwo", "--home", str(tmp_path), "pulse", "KHM", "USA",
         "--engine", "spark"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: the Spark engine needs Java (a JDK 17 or newer): none found on PATH"
    ]
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing was written
