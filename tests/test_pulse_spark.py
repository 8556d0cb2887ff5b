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
