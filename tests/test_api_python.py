"""The notebook API, ``tracktwo.open`` (issue 16), through docs/python.md.

Every ```python block of docs/python.md runs in order, in one namespace, against the demo data
(the session's demo event store plus the demo registry, what ``tracktwo demo --no-serve``
builds), and must print the ```text block shown right under it. The figures are then checked
against values worked out here from the shipped files with plain pandas and json: the ICEWS
rows, the UN votes, the Cambodia–US ties, the GeoNames extract.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from _votes import khm_usa_agreement_by_year

import tracktwo
from tracktwo import InputError, NotFoundError

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "python.md"
DATASETS = ROOT / "tracktwo" / "datasets"
TAXONOMY = ROOT / "tracktwo" / "taxonomy" / "data"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
AT = "2024-06-30"  # the scorecard date of the docs


@pytest.fixture(scope="module")
def demo_home(demo_store_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's data folder: the session's demo event store (copied) and the registry
    ``tracktwo demo`` builds (every sister-city list, as the demo loads it)."""
    from tracktwo.bridges import Registry
    from tracktwo.demo import build_demo_registry

    home = tmp_path_factory.mktemp("api-demo") / "tracktwo-data"
    home.mkdir()
    shutil.copy2(demo_store_home / "events.duckdb", home / "events.duckdb")
    with Registry(home=home) as registry:
        build_demo_registry(registry)
    return home


# -- running the page -------------------------------------------------------------------------


def doc_blocks(text: str) -> list[tuple[str, str | None]]:
    """Each python block with the text block right under it (None when prose comes first)."""
    fences = list(FENCE.finditer(text))
    blocks = []
    for here, after in zip(fences, [*fences[1:], None], strict=True):
        if here.group(1) != "python":
            continue
        shown = None
        if after is not None and after.group(1) == "text":
            between = text[here.end() : after.start()]
            shown = after.group(2) if not between.strip() else None
        blocks.append((here.group(2), shown))
    return blocks


@pytest.fixture(scope="module")
def doc_run(
    demo_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[tuple[str, str | None, str]], dict[str, Any]]:
    """Every block run in order in the folder above the demo data: (code, shown, printed)."""
    work = demo_home.parent
    namespace: dict[str, Any] = {"__name__": "docs_python"}
    runs = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)
        for code, shown in doc_blocks(DOC.read_text(encoding="utf-8")):
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(code, str(DOC), "exec"), namespace)
            runs.append((code, shown, printed.getvalue()))
    return runs, namespace


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def test_the_page_has_its_blocks_and_every_name_it_uses_is_public() -> None:
    blocks = doc_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 10
    code = "\n".join(block for block, _ in blocks)
    for method in ("pulse", "votes", "scorecard", "recommend", "actors"):
        assert f"t.{method}(" in code
    # no private module in any import of the page
    assert not re.search(r"(from|import) tracktwo[\w.]*\._", code)


def test_every_block_prints_what_the_page_shows(doc_run) -> None:
    runs, _namespace = doc_run
    shown_blocks = [(code, shown, printed) for code, shown, printed in runs if shown]
    assert len(shown_blocks) == len(runs) - 1  # all but the five-line overview print
    for code, shown, printed in shown_blocks:
        assert _lines(printed) == _lines(shown), f"block:\n{code}"


# -- the figures, worked out from the shipped files -------------------------------------------


def _icews_pair_rows(name: str) -> pd.DataFrame:
    """The distinct Cambodia–United States rows of a shipped ICEWS file, each actor's country
    from its "(Country)" suffix, its own name, or the shipped actor list."""
    rows = pd.read_csv(DATASETS / name, sep="\t")
    countries = pd.read_csv(TAXONOMY / "countries.csv", keep_default_na=False)
    iso3 = dict(zip(countries["name"], countries["iso3"], strict=True))
    people = pd.read_csv(TAXONOMY / "icews_actors.csv")
    known = dict(zip(people["name"], people["country"], strict=True))

    def country(actor: str) -> str | None:
        found = re.search(r"\(([^()]*)\)\s*$", actor)
        return iso3.get(found.group(1) if found else actor) or known.get(actor)

    a, b = rows["source_actor"].map(country), rows["target_actor"].map(country)
    pair = rows[((a == "KHM") & (b == "USA")) | ((a == "USA") & (b == "KHM"))]
    return pair.drop_duplicates(["source_actor", "cameo_event_text", "target_actor", "date"])


def _goldstein(texts: pd.Series) -> pd.Series:
    """Each ICEWS event text's Goldstein score: its CAMEO code from the shipped text list,
    else the CAMEO description it spells (case and ", not specified below" aside)."""
    listed = pd.read_csv(TAXONOMY / "icews_event_texts.csv", dtype=str)
    cameo = pd.read_csv(TAXONOMY / "cameo.tsv", sep="\t", dtype={"code": str})
    by_text = dict(zip(listed["text"], listed["code"], strict=True))
    spelled = cameo["description"].str.replace(", not specified below", "").map(_words)
    by_description = dict(zip(spelled, cameo["code"], strict=True))
    score = dict(zip(cameo["code"], cameo["goldstein"], strict=True))
    codes = texts.map(lambda text: by_text.get(text) or by_description[_words(text)])
    return codes.map(score)


def _words(text: str) -> str:
    """Casefolded, spaces collapsed: CAMEO's table has descriptions with a trailing space."""
    return " ".join(text.split()).casefold()


@pytest.mark.parametrize(("year", "file"), [(2018, "icews18_khm.tsv"),
                                            (2021, "icews21_khm.tsv"),
                                            (2022, "icews22_khm.tsv")])  # fmt: skip
def test_the_pulse_figures_are_the_shipped_icews_rows(doc_run, year: int, file: str) -> None:
    pulse = doc_run[1]["pulse"]
    row = pulse[pulse["period"] == f"{year}-01-01"].iloc[0]
    pair = _icews_pair_rows(file)
    totals = pd.read_csv(DATASETS / "icews_benchmarks_monthly_totals.csv")
    events_all = totals.loc[totals["dataset"] == file.split("_")[0], "events_all_actors"].sum()
    assert row["events"] == len(pair)
    assert row["value"] == pytest.approx(_goldstein(pair["cameo_event_text"]).mean())
    assert row["per_100k"] == pytest.approx(len(pair) / events_all * 100_000)
    assert str(pulse["period"].dtype).startswith("datetime64")


def test_the_2022_figures_quoted_on_the_page() -> None:
    pair = _icews_pair_rows("icews22_khm.tsv")
    assert len(pair) == 33
    assert round(_goldstein(pair["cameo_event_text"]).mean(), 3) == 1.606
    totals = pd.read_csv(DATASETS / "icews_benchmarks_monthly_totals.csv")
    assert totals.loc[totals["dataset"] == "icews22", "events_all_actors"].sum() == 345_341


def _agreement() -> pd.DataFrame:
    """Cambodia–US UN vote agreement per year from the shipped CSV files."""
    return khm_usa_agreement_by_year()


def test_the_vote_figures_are_the_shipped_votes(doc_run) -> None:
    votes = doc_run[1]["votes"]
    expected = _agreement()
    by_year = votes.set_index(votes["period"].dt.year)
    assert list(by_year.index) == list(expected.index)
    assert by_year["roll_calls"].tolist() == expected["size"].tolist()
    assert by_year["value"].to_numpy() == pytest.approx(expected["mean"].to_numpy())
    assert expected.loc[2019, "size"] == 88 and expected.loc[2019, "mean"] == 15 / 88
    ranked = expected[expected["size"] >= 20]
    assert ranked["mean"].idxmin() == 2007 == doc_run[1]["lowest"]["period"].year


def test_the_scorecard_counts_the_shipped_ties(doc_run) -> None:
    card: pd.DataFrame = doc_run[1]["card"]
    records = json.loads((DATASETS / "khm_usa_ties.json").read_text(encoding="utf-8"))
    ties = [r for r in records if r["record"] == "tie"]
    kept = [t for t in ties if t["status"] != "declined"]
    assert card.loc[0, "ties_total"] == len(kept) == 8
    assert card.loc[0, "declined_proposals"] == len(ties) - len(kept) == 2
    for channel in ("sister_city", "academic_partnership"):
        assert card.loc[0, f"ties_by_channel.{channel}"] == sum(
            t["channel"] == channel for t in kept
        )
    assert len(card) == 1


def test_the_scorecard_frame_is_typed_and_holds_what_as_rows_says(demo_home: Path) -> None:
    from tracktwo.bridges import Registry, scorecard

    with Registry(home=demo_home) as registry:
        card = scorecard(registry, "KHM", "USA", at=pd.Timestamp(AT).date())
    frame = card.as_frame()
    kinds = {name: str(dtype) for name, dtype in frame.dtypes.items()}
    assert kinds["country_a"] == kinds["busiest_actors"] == "string"
    assert kinds["at"] == "datetime64[ns]"
    assert kinds["ties_total"] == kinds["ties_by_track.people"] == "int64"
    assert kinds["kind_entropy"] == kinds["kind_share.city"] == "float64"
    assert "object" not in kinds.values()  # one type per column: Parquet and polars take it
    rows = {row["metric"]: row["value"] for row in card.as_rows()}  # the CLI's rows, kept
    assert set(frame.columns) == set(rows) - {k for k in rows if k.startswith("declined.")}
    for name, value in rows.items():
        if name in frame.columns and name != "at":
            cell = frame.loc[0, name]
            assert (pd.isna(cell) and value is None) or cell == value, name


def test_recommendations_are_american_new_and_explained(doc_run, demo_home: Path) -> None:
    partners: pd.DataFrame = doc_run[1]["partners"]
    t = tracktwo.open(demo_home)  # the page's t names the folder relative to where it ran
    assert partners["rank"].tolist() == list(range(1, 11))
    assert set(partners["country"]) == {"USA"}
    assert all(e.startswith(f"{n}, ") for n, e in zip(partners["name"], partners["explanation"],
                                                       strict=True))  # fmt: skip
    # Phnom Penh's partners in the shipped ties are never recommended again
    records = json.loads((DATASETS / "khm_usa_ties.json").read_text(encoding="utf-8"))
    tied = {int(r["ref_a"].split(":")[1]) for r in records
            if r["record"] == "tie" and r.get("ref_b") == "geonames:1821306"}  # fmt: skip
    assert tied == {5367929, 4942618}  # Long Beach, Lowell
    us = t.actors(country="USA")
    geonames = dict(zip(us["id"], us["geonames_id"], strict=True))
    assert not tied & {geonames[i] for i in partners["candidate_id"]}


def test_the_cities_are_the_shipped_gazetteer(doc_run) -> None:
    cities: pd.DataFrame = doc_run[1]["cities"]
    gazetteer = pd.read_csv(DATASETS / "gazetteer_kh_cities500.csv")
    assert len(cities) == len(gazetteer) == 337
    assert set(cities["geonames_id"]) == set(gazetteer["geonameid"])
    top = gazetteer.nlargest(3, "population")["name"].tolist()
    assert cities.nlargest(3, "population")["name"].tolist() == top
    assert set(cities["country"]) == {"KHM"} and set(cities["kind"]) == {"city"}


def test_the_ingest_stores_each_distinct_row_once(doc_run) -> None:
    report: pd.DataFrame = doc_run[1]["report"]
    rows = pd.read_csv(DATASETS / "icews22_khm.tsv", sep="\t")
    distinct = rows.drop_duplicates(["source_actor", "cameo_event_text", "target_actor", "date"])
    assert report.loc[0, "rows_read"] == len(rows) == 845
    assert report.loc[0, "rows_added"] == len(distinct) == 626


# -- pandas, polars, Arrow, Parquet -----------------------------------------------------------

CALLS = {
    "pulse": lambda f: f.pulse("KHM", "USA", freq="year", by="none", signals=False),
    "votes": lambda f: f.votes("KHM", "USA"),
    "scorecard": lambda f: f.scorecard("KHM", "USA", at=AT),
    "recommend": lambda f: f.recommend("geonames:1821306", country="USA", k=3),
    "actors": lambda f: f.actors(country="KHM", kind="province"),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_each_table_as_pandas_polars_arrow_and_parquet(
    demo_home: Path, tmp_path: Path, name: str
) -> None:
    t = tracktwo.open(demo_home)
    frame = CALLS[name](t)
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    as_polars = CALLS[name](t.pl)
    as_arrow = CALLS[name](t.arrow)
    assert isinstance(as_polars, pl.DataFrame) and isinstance(as_arrow, pa.Table)
    assert as_polars.shape == frame.shape == (as_arrow.num_rows, as_arrow.num_columns)
    assert pl.from_pandas(frame).columns == list(frame.columns)
    frame.to_parquet(tmp_path / "t.parquet")
    assert pd.read_parquet(tmp_path / "t.parquet").shape == frame.shape
    for column in ("period", "at"):
        if column in frame:
            assert str(frame[column].dtype).startswith("datetime64")
            assert as_polars.schema[column] == pl.Datetime(as_polars.schema[column].time_unit)


def test_open_is_lazy_public_and_read_only(demo_home: Path, tmp_path: Path) -> None:
    from tracktwo.api import TrackTwo
    from tracktwo.api import open as api_open
    from tracktwo.bridges import REGISTRY_FILE

    assert tracktwo.open is api_open and "open" in tracktwo.__all__
    t = tracktwo.open(demo_home)
    assert isinstance(t, TrackTwo) and not t.write and t.home == demo_home
    assert REGISTRY_FILE == "registry.sqlite"  # the name api checks without loading SQLAlchemy
    with pytest.raises(InputError, match="since='2019-13-01' is not a date"):
        t.votes("KHM", "USA", since="2019-13-01")
    with pytest.raises(InputError, match=r"open it with tracktwo\.open"):
        t.ingest(DATASETS / "icews22_khm.tsv")
    # a folder with the event store but no registry: the registry's tables say so
    only_events = tmp_path / "only-events"
    only_events.mkdir()
    shutil.copy2(demo_home / "events.duckdb", only_events / "events.duckdb")
    with pytest.raises(NotFoundError, match=r"no bridges registry at .*tracktwo demo"):
        tracktwo.open(only_events).actors()
    assert not (only_events / REGISTRY_FILE).exists()  # reading created no empty registry
    with pytest.raises(NotFoundError, match="holds no event store"):
        tracktwo.open(tmp_path)
