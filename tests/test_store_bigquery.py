"""GDELT's BigQuery table read as tracktwo's events (tracktwo/store/_bigquery.py, docs/bigquery.md).

No test reaches BigQuery. The pulse's expression over the view is compiled to BigQuery SQL and
compared with a reviewed snapshot; what the view *means* is checked by running the same view on
DuckDB over a table in GDELT's column names and types holding the real rows of the shipped GDELT
sample (tests/data/gdelt_v1_sample.tsv): against values read off those rows by hand, and against
the same file ingested the normal way (``ingest_file``), an independent path.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import ibis
import pandas as pd
import pytest
from conftest import gdelt2_line

from tracktwo._errors import EngineError
from tracktwo.events import REEMISSION_WINDOW_MINUTES, ingest_file
from tracktwo.pulse import pulse
from tracktwo.pulse._expr import pair_moments
from tracktwo.store import (
    GDELT1_COLUMNS_57,
    GDELT1_COLUMNS_58,
    GDELT2_COLUMNS,
    GDELT_READ_COLUMNS,
    GDELT_REEMISSION_MINUTES,
    EventStore,
    events_table,
    gdelt_events,
    gdelt_schema,
)
from tracktwo.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "gdelt_v1_sample.tsv"
SNAPSHOT = ROOT / "tests" / "snapshots" / "bigquery_pulse_khm_usa.sql"
DOC = ROOT / "docs" / "bigquery.md"
UPDATE = "TRACKTWO_UPDATE_SNAPSHOTS"


# -- GDELT-shaped tables on DuckDB ---------------------------------------------------------


def _typed(raw: dict[str, str]) -> dict[str, object]:
    """One row in GDELT's BigQuery types: an empty field is NULL, as BigQuery loads it."""
    row: dict[str, object] = {}
    for name, kind in gdelt_schema().items():
        value = raw.get(name) or None
        if value is not None and kind.is_integer():
            row[name] = int(value)
        elif value is not None and kind.is_floating():
            row[name] = float(value)
        else:
            row[name] = value
    return row


def _sample_rows() -> list[dict[str, object]]:
    """The sample's 710 real GDELT 1.0 rows as GDELT 2.0 rows: the same fields by name, the
    ADM2 codes absent, DATEADDED's day at 00:00:00 (yyyymmdd000000), as the ingest reads 1.0."""
    rows = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        names = GDELT1_COLUMNS_58 if len(fields) == 58 else GDELT1_COLUMNS_57
        raw = dict(zip(names, fields, strict=True))
        raw["DATEADDED"] += "000000"
        rows.append(_typed(raw))
    return rows


def _gdelt2_rows(lines: list[str]) -> list[dict[str, object]]:
    return [_typed(dict(zip(GDELT2_COLUMNS, line.split("\t"), strict=True))) for line in lines]


def _gdelt_database(path: Path, rows: list[dict[str, object]]) -> str:
    """A DuckDB file whose ``events`` table is in GDELT's names and types; its engine URL."""
    con = ibis.duckdb.connect(str(path))
    con.create_table("events", ibis.memtable(pd.DataFrame(rows), schema=gdelt_schema()))
    con.disconnect()
    return f"duckdb:///{path}"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(a store holding the sample ingested the normal way, the URL of the GDELT-shaped copy)."""
    folder = tmp_path_factory.mktemp("bigquery")
    with EventStore(folder / "home", write=True) as store:
        ingest_file(store, SAMPLE)
    return folder / "home", _gdelt_database(folder / "gdelt.duckdb", _sample_rows())


def _view_frame(url: str) -> pd.DataFrame:
    events = gdelt_events(ibis.connect(url).table("events"))
    return events.to_pandas().sort_values("event_uid").reset_index(drop=True)


# -- the schema -------------------------------------------------------------------------


def test_the_view_has_the_stores_columns_and_types(store: EventStore) -> None:
    # the store's own table, created from tracktwo/store/_schema.py's DDL by DuckDB
    assert gdelt_events().schema() == store.table("events").schema()


def test_gdelt_schema_is_gdelt_2s_published_layout() -> None:
    schema = gdelt_schema()
    assert list(schema.names) == GDELT2_COLUMNS  # 61 columns, the export files' order
    # GDELT 2.0 codebook / BigQuery table: dates as INTEGER, codes as STRING (leading zeros)
    assert str(schema["SQLDATE"]) == "int64" and str(schema["DATEADDED"]) == "int64"
    assert str(schema["GoldsteinScale"]) == "float64" and str(schema["AvgTone"]) == "float64"
    assert str(schema["EventCode"]) == "string" and str(schema["ActionGeo_FeatureID"]) == "string"
    assert str(schema["NumMentions"]) == "int64" and str(schema["ActionGeo_Lat"]) == "float64"
    assert set(GDELT_READ_COLUMNS) < set(schema.names)


def test_the_reemission_window_is_the_ingests() -> None:
    assert GDELT_REEMISSION_MINUTES == REEMISSION_WINDOW_MINUTES == 90


# -- the compiled SQL: a reviewed snapshot -------------------------------------------------


def _khm_usa_expr(events: object) -> object:
    """What ``pulse(store, "KHM", "USA")`` queries (monthly, by track), over ``events``."""
    return pair_moments(events, "KHM", "USA", taxonomy=load_taxonomy(), freq="month", by="track")


def test_pulse_sql_on_bigquery_matches_the_reviewed_snapshot() -> None:
    sql = str(ibis.to_sql(_khm_usa_expr(gdelt_events()), dialect="bigquery")).strip() + "\n"
    if os.environ.get(UPDATE) == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(sql, encoding="utf-8")
    assert SNAPSHOT.is_file(), f"no snapshot yet: run this test with {UPDATE}=1 and review it"
    assert sql == SNAPSHOT.read_text(encoding="utf-8"), (
        f"the BigQuery SQL of the KHM-USA pulse changed. If the change is intended, review the "
        f"diff, then rerun with {UPDATE}=1 to rewrite {SNAPSHOT.relative_to(ROOT)} and paste it "
        "into docs/bigquery.md"
    )


def test_the_snapshot_reads_from_gdelts_table_and_is_in_the_docs() -> None:
    sql = SNAPSHOT.read_text(encoding="utf-8")
    assert "FROM `gdelt-bq`.`gdeltv2`.`events` AS" in sql
    assert "'KHM'" in sql and "'USA'" in sql and "DATETIME_DIFF" in sql
    assert sql.strip() in DOC.read_text(encoding="utf-8"), "docs/bigquery.md shows another SQL"


def test_the_docs_list_every_column_the_pulse_sql_names() -> None:
    """BigQuery bills the columns a query reads: the docs list those the snapshot names."""
    sql = SNAPSHOT.read_text(encoding="utf-8")
    read = {name for name in GDELT2_COLUMNS if f"`t0`.`{name}`" in sql}
    line = next(x for x in DOC.read_text(encoding="utf-8").splitlines() if "Columns named" in x)
    assert set(re.findall(r"`(\w+)`", line)) == read
    # the window of the re-emission rule reads the URL, by far the widest column
    assert {"SOURCEURL", "DATEADDED", "Actor1Code", "EventCode"} <= read


def test_pulse_builds_exactly_that_expression_on_an_engine_url(sample: tuple[Path, str]) -> None:
    home, url = sample
    with EventStore(home) as store:
        result = pulse(store, "KHM", "USA", engine=url, signals=False)
        reference = _khm_usa_expr(events_table(store, url))
    assert result.expr.unbind().equals(reference.unbind())


# -- what the view means, on DuckDB --------------------------------------------------------


def _row(frame: pd.DataFrame, uid: str) -> dict[str, object]:
    return frame[frame["event_uid"] == uid].iloc[0].to_dict()


def test_canonical_columns_of_real_rows_by_hand(sample: tuple[Path, str]) -> None:
    frame = _view_frame(sample[1])
    assert len(frame) == 710
    # sample line 1: 564111644, SQLDATE 20060731, USA alone, 010, QuadClass 1, Goldstein 0.0,
    # mentions/sources/articles 2/1/2, root event, action in US, DATEADDED 20160728
    first = _row(frame, "gdelt:564111644")
    assert first["global_event_id"] == 564111644
    assert first["event_date"] == pd.Timestamp("2006-07-31")
    assert first["date_added"] == pd.Timestamp("2016-07-28 00:00:00")
    assert (first["actor1_code"], first["actor1_name"], first["actor1_country"]) == (
        "USA", "UNITED STATES", "USA",
    )  # fmt: skip
    assert pd.isna(first["actor2_code"]) and pd.isna(first["actor1_type1"])
    assert (first["event_code"], first["event_base_code"], first["event_root_code"]) == (
        "010", "010", "01",
    )  # fmt: skip
    assert (first["quad_class"], first["goldstein"]) == (1, 0.0)
    assert (first["num_mentions"], first["num_sources"], first["num_articles"]) == (2, 1, 2)
    assert first["is_root_event"] is True and first["action_country"] == "US"
    assert first["avg_tone"] == pytest.approx(-0.34188034188034)
    assert first["source_url"].startswith("http://wtop.com/lifestyle/2016/07/deepest-darkest")
    assert (first["source_format"], first["is_reemission"]) == ("gdelt2", False)
    # line 371: USA -> ISR, 012, Goldstein -0.4, not a root event, action in RS (Russia)
    line371 = _row(frame, "gdelt:564442942")
    assert (line371["actor2_country"], line371["event_code"], line371["goldstein"]) == (
        "ISR", "012", -0.4,
    )  # fmt: skip
    assert line371["is_root_event"] is False and line371["action_country"] == "RS"
    # line 598, the 57-column layout (no SOURCEURL): 1982-01-02, USA -> ISR, 060, QuadClass 2,
    # Goldstein 6, 3 mentions, action in IS (Israel), DATEADDED 20130203
    line598 = _row(frame, "gdelt:1553709")
    assert line598["event_date"] == pd.Timestamp("1982-01-02")
    assert line598["date_added"] == pd.Timestamp("2013-02-03")
    assert (line598["quad_class"], line598["goldstein"], line598["num_mentions"]) == (2, 6.0, 3)
    assert pd.isna(line598["source_url"]) and line598["action_country"] == "IS"


def test_every_sample_row_reads_as_the_ingest_stores_it(sample: tuple[Path, str]) -> None:
    home, url = sample
    view = _view_frame(url)
    with EventStore(home) as store:
        stored = store.table("events").to_pandas()
    stored = stored.sort_values("event_uid").reset_index(drop=True)
    # the ingest names the file and its format (gdelt1); the view the table and gdelt2
    assert set(stored["source_format"]) == {"gdelt1"} and set(view["source_format"]) == {"gdelt2"}
    assert set(view["source_file"]) == {"events"}  # the table's name
    same = [c for c in view.columns if c not in ("source_file", "source_format")]
    pd.testing.assert_frame_equal(view[same], stored[same])


@pytest.mark.parametrize(
    ("pair", "by", "freq"),
    [(("ISR", "USA"), "track", "year"), (("CHN", "USA"), "area", "month"),
     (("EGY", "ISR"), "none", "quarter")],
)  # fmt: skip
def test_the_pulse_of_the_view_is_the_pulse_of_the_ingested_file(
    sample: tuple[Path, str], pair: tuple[str, str], by: str, freq: str
) -> None:
    home, url = sample
    with EventStore(home) as store:
        through_view = pulse(store, *pair, by=by, freq=freq, engine=url, signals=False)
        ingested = pulse(store, *pair, by=by, freq=freq, signals=False)
    assert (through_view.frame["events"] > 0).sum() >= 1
    pd.testing.assert_frame_equal(through_view.frame, ingested.frame)


def test_an_engine_url_in_tracktwos_schema_is_read_as_it_is(
    sample: tuple[Path, str], tmp_path: Path
) -> None:
    home, _ = sample
    con = ibis.duckdb.connect(str(tmp_path / "canonical.duckdb"))
    with EventStore(home) as store:
        con.create_table("events", store.table("events").to_pyarrow())
        con.disconnect()
        url = f"duckdb:///{tmp_path / 'canonical.duckdb'}"
        assert "GLOBALEVENTID" not in events_table(store, url).columns
        through_url = pulse(store, "ISR", "USA", freq="year", engine=url, signals=False)
        local = pulse(store, "ISR", "USA", freq="year", signals=False)
    pd.testing.assert_frame_equal(through_url.frame, local.frame)


def test_a_gdelt_table_missing_columns_names_them(store: EventStore, tmp_path: Path) -> None:
    con = ibis.duckdb.connect(str(tmp_path / "thin.duckdb"))
    thin = {"GLOBALEVENTID": [1], "SQLDATE": [20190301], "EventCode": ["036"]}
    con.create_table("events", ibis.memtable(pd.DataFrame(thin)))
    con.disconnect()
    with pytest.raises(EngineError, match=r"lacks GDELT's columns DATEADDED, Actor1Code, "):
        events_table(store, f"duckdb:///{tmp_path / 'thin.duckdb'}")


def _reemission_lines() -> tuple[list[str], list[str]]:
    """Two GDELT 2.0 files of hand-made rows. One group (same actors, code and URL): 1 at
    12:00, 2 at 13:30 (90 minutes after 1: flagged), 9 and 10 at 15:01 (10 first: 'gdelt:10'
    sorts before 'gdelt:9'; 91 minutes after 2, not flagged; 9 then 0 minutes after 10,
    flagged); 5 at 12:30 with another URL (its own group); 6 and 7 at 12:00 with no URL."""
    khm, usa = ("KHMGOV", "KHM", "GOV"), ("USAGOV", "USA", "GOV")
    url = "https://example.org/same"

    def line(gid: int, added: str, link: str | None = url) -> str:
        text = gdelt2_line(gid, "20190301", khm, usa, "036", added=added, url=link or "x")
        return text[: text.rindex("\t") + 1] if link is None else text  # an empty SOURCEURL

    first = [line(1, "20190301120000"), line(9, "20190301150100"), line(6, "20190301120000", None)]
    second = [
        line(2, "20190301133000"), line(10, "20190301150100"),
        line(5, "20190301123000", "https://example.org/other"), line(7, "20190301120000", None),
    ]  # fmt: skip
    return first, second


def test_reemissions_by_hand_and_as_the_ingest_flags_them(
    store: EventStore, tmp_path: Path, write_gdelt2
) -> None:
    first, second = _reemission_lines()
    # two files: the second fills the group's gap, so the ingest re-flags a stored row (9)
    ingest_file(store, write_gdelt2("20190301120000.export.CSV", first))
    ingest_file(store, write_gdelt2("20190301150000.export.CSV", second))
    url = _gdelt_database(tmp_path / "gdelt.duckdb", _gdelt2_rows(first + second))
    flags = _view_frame(url).set_index("event_uid")["is_reemission"].to_dict()
    by_hand = {"gdelt:1": False, "gdelt:2": True, "gdelt:10": False, "gdelt:9": True,
               "gdelt:5": False, "gdelt:6": False, "gdelt:7": False}  # fmt: skip
    assert flags == by_hand
    stored = store.table("events").select("event_uid", "is_reemission").to_pandas()
    assert dict(zip(stored["event_uid"], stored["is_reemission"], strict=True)) == by_hand


# -- bigquery:// URLs: every refusal before any network --------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [("bigquery://", "names no project: use bigquery://MY-PROJECT"),
     ("bigquery://my-project?tabel=events", "unknown option tabel")],
)  # fmt: skip
def test_a_malformed_bigquery_url_is_refused_by_name(
    store: EventStore, url: str, says: str
) -> None:
    with pytest.raises(EngineError, match=re.escape(says)):
        events_table(store, url)


def _offline_env(tmp_path: Path) -> dict[str, str]:
    """No credentials anywhere, and Google's metadata-server probe switched off (it would be a
    network call) and pointed at a closed loopback port in case it ran anyway."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "CLOUDSDK_"))}
    (tmp_path / "gcloud").mkdir()
    env.update(
        HOME=str(tmp_path), CLOUDSDK_CONFIG=str(tmp_path / "gcloud"), NO_GCE_CHECK="true",
        GCE_METADATA_HOST="127.0.0.1:9", GCE_METADATA_IP="127.0.0.1:9",
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
    )  # fmt: skip
    return env


def _has_bigquery_backend() -> bool:
    try:
        import google.cloud.bigquery  # noqa: F401
    except ImportError:
        return False
    return True


def test_no_google_credentials_is_a_one_line_error_at_once(tmp_path: Path) -> None:
    with EventStore(tmp_path / "home", write=True):
        pass
    command = [sys.executable, "-m", "tracktwo", "--home", str(tmp_path / "home"), "pulse",
               "KHM", "USA", "--engine", "bigquery://my-project"]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(command, env=_offline_env(tmp_path), capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    seconds = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    if _has_bigquery_backend():
        assert "'bigquery://my-project': no Google Cloud credentials found" in done.stderr
        assert "gcloud auth application-default login" in done.stderr
    else:
        assert "pip install 'tracktwo[bigquery]'" in done.stderr
    assert seconds < 60  # no wait on a network or a browser login


def test_a_missing_bigquery_backend_says_what_to_install(tmp_path: Path) -> None:
    # google.cloud.bigquery made unimportable in a fresh interpreter: as if not installed
    script = (
        "import sys; sys.modules['google.cloud.bigquery'] = None\n"
        "from tracktwo._errors import EngineError\n"
        "from tracktwo.store import EventStore, events_table\n"
        f"store = EventStore({str(tmp_path / 'home')!r}, write=True)\n"
        "try:\n    events_table(store, 'bigquery://my-project')\n"
        "except EngineError as error:\n    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=_offline_env(tmp_path),
                          capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    assert done.stdout.strip() == (
        "the BigQuery engine needs ibis' BigQuery backend: pip install 'tracktwo[bigquery]'"
    )
