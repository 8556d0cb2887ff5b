"""Query engines for the pulse: the embedded DuckDB store, a local Spark session reading the
store's published Parquet files in place, or any Ibis connection URL (a Spark cluster,
GDELT's BigQuery tables ...) holding an ``events`` table in tracktwo's canonical schema.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import ibis

from tracktwo._errors import EngineError
from tracktwo.store._duckdb import EventStore
from tracktwo.store._schema import EVENT_COLUMNS

__all__ = ["ENGINES", "events_table", "spark_session"]

ENGINES = ("duckdb", "spark")
_SPARK_STATE: dict[str, Any] = {}


def _check_spark() -> None:
    """EngineError unless Java and PySpark are there (said before any work is done)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise EngineError("the Spark engine needs Java (a JDK 17 or newer): none found on PATH")
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise EngineError("the Spark engine needs PySpark: pip install 'tracktwo[spark]'") from exc


def spark_session(scratch: Path | None = None) -> Any:
    """A local Spark session bound to loopback, with no UI and a private warehouse folder."""
    if "session" in _SPARK_STATE:
        return _SPARK_STATE["session"]
    _check_spark()
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    warehouse = Path(tempfile.mkdtemp(prefix="tracktwo-spark-", dir=scratch))
    session = (
        SparkSession.builder.master("local[2]")
        .appName("tracktwo")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.warehouse.dir", str(warehouse / "warehouse"))
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    _SPARK_STATE["session"] = session
    return session


def _spark_events(store: EventStore) -> Any:
    """The snapshot's event files, read by Spark where they are (in parallel, no copy)."""
    if "session" not in _SPARK_STATE:
        _check_spark()  # no Java or PySpark: said before anything is written
    scratch = store.home / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    session = spark_session(scratch)
    files = [str(path) for path in store.files("events")]
    if not files:  # pragma: no cover - every published snapshot names at least one file
        raise EngineError(f"no published event store in {store.home}: ingest events first")
    # the month is in the folder names only: the canonical columns are picked by name
    frame = session.read.parquet(*files).select(*[name for name, _, _ in EVENT_COLUMNS])
    frame.createOrReplaceTempView("tracktwo_events")
    return ibis.pyspark.connect(session).table("tracktwo_events")


def _url_events(engine: str) -> Any:
    """The events of a connection URL: ``bigquery://PROJECT...`` reads GDELT's public tables
    (docs/bigquery.md); any other Ibis URL its ``events`` table. Either way a table in GDELT's
    column names gets the GDELT view, one in tracktwo's schema is used as it is."""
    from tracktwo.store._bigquery import bigquery_table, url_events  # only URLs need it

    if engine.startswith("bigquery://"):
        return url_events(bigquery_table(engine))
    try:
        table = ibis.connect(engine).table("events")
    except Exception as exc:  # any backend's connection error, reported the same way
        raise EngineError(f"cannot use the engine {engine!r}: {exc}") from exc
    return url_events(table)


def events_table(store: EventStore, engine: str = "duckdb") -> Any:
    """The ``events`` table as an Ibis expression on the chosen engine."""
    if engine == "duckdb":
        return store.table("events")
    if engine == "spark":
        return _spark_events(store)
    if "://" in engine:
        return _url_events(engine)
    raise EngineError(f"unknown engine {engine!r}: use duckdb, spark or a connection URL")
