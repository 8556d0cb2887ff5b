"""Shared fixtures: a fresh store per test and a builder for hand-written GDELT 2.0 rows."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from tracktwo.store import GDELT2_COLUMNS, EventStore

DATA = Path(__file__).parent / "data"
_CAMEO = Path(__file__).parents[1] / "tracktwo" / "taxonomy" / "data" / "cameo.tsv"


def _official_goldstein() -> dict[str, tuple[str, str]]:
    # read straight from the shipped GDELT lookup, not through tracktwo's loader
    with _CAMEO.open(encoding="utf-8") as handle:
        return {
            r["code"]: (r["goldstein"], r["quad_class"])
            for r in csv.DictReader(handle, delimiter="\t")
        }


GOLDSTEIN = _official_goldstein()


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    with EventStore(tmp_path / "home", write=True) as opened:
        yield opened


def gdelt2_line(
    gid: int,
    day: str,
    actor1: tuple[str, str, str],
    actor2: tuple[str, str, str],
    code: str,
    *,
    mentions: int = 1,
    added: str | None = None,
    url: str | None = None,
) -> str:
    """One 61-field GDELT 2.0 line; actors are (code, country, type1); Goldstein and QuadClass
    come from GDELT's lookup for ``code``, as GDELT itself fills them."""
    goldstein, quad = GOLDSTEIN[code]
    fields = dict.fromkeys(GDELT2_COLUMNS, "")
    fields.update(
        GLOBALEVENTID=str(gid), SQLDATE=day, MonthYear=day[:6], Year=day[:4],
        Actor1Code=actor1[0], Actor1CountryCode=actor1[1], Actor1Type1Code=actor1[2],
        Actor2Code=actor2[0], Actor2CountryCode=actor2[1], Actor2Type1Code=actor2[2],
        IsRootEvent="1", EventCode=code, EventBaseCode=code[:3], EventRootCode=code[:2],
        QuadClass=quad, GoldsteinScale=goldstein, NumMentions=str(mentions), NumSources="1",
        NumArticles=str(mentions), AvgTone="0.5", DATEADDED=added or day + "120000",
        SOURCEURL=url or f"https://example.org/{gid}",
    )  # fmt: skip
    return "\t".join(fields[c] for c in GDELT2_COLUMNS)


@pytest.fixture
def write_gdelt2(tmp_path: Path) -> Callable[[str, list[str]], Path]:
    def write(name: str, lines: list[str]) -> Path:
        path = tmp_path / name
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    return write


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In CI (TRACKTWO_REQUIRE_ALL=1) a skip for a missing tool is a failure, not a pass."""
    import os

    if os.environ.get("TRACKTWO_REQUIRE_ALL") != "1":
        return
    for item in items:
        for marker in item.iter_markers("skipif"):
            if marker.args and marker.args[0]:
                reason = marker.kwargs.get("reason", "")
                raise pytest.UsageError(f"CI must run {item.nodeid}, but it would skip: {reason}")


# -- the registry on SQLite and on a real PostgreSQL server ---------------------------------


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """One PostgreSQL server per test worker; skipped (locally) where the binaries are missing."""
    import os

    from _postgres import pg_binaries, postgres_server

    if pg_binaries() is None:
        reason = "PostgreSQL server binaries are not installed (apt-get install postgresql)"
        if os.environ.get("TRACKTWO_REQUIRE_ALL") == "1":
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, migrated registry on each backend."""
    from tracktwo.bridges import Registry

    if request.param == "sqlite":
        opened = Registry(home=tmp_path / "home")
    else:
        from _postgres import fresh_database

        opened = Registry(fresh_database(request.getfixturevalue("postgres_admin_url")))
    yield opened
    opened.close()


# -- the web app: a small real data directory, built once per worker, copied per test -------


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from _web import build_home

    home = tmp_path_factory.mktemp("web-template")
    build_home(home)
    return home


@pytest.fixture
def web_home(web_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the web tests' data directory (see tests/_web.py for what it holds)."""
    import shutil

    home = tmp_path / "web-home"
    shutil.copytree(web_template, home)
    return home


@pytest.fixture(scope="session")
def demo_store_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the demo's event store only (run_demo also builds a registry
    and writes briefings): the shipped ICEWS extract, UN votes, daily score, coverage."""
    from tracktwo.demo import build_demo_store

    home = tmp_path_factory.mktemp("demo-store")
    with EventStore(home, write=True) as store:
        build_demo_store(store)
    return home


# -- open doors: a real SMTP server on 127.0.0.1 -----------------------------------------------


@pytest.fixture
def smtp():
    """(inbox of received messages, mail settings pointing at the server)."""
    from _smtp import smtp_server

    from tracktwo.doors import MailSettings

    with smtp_server() as (inbox, port):
        yield inbox, MailSettings(host="127.0.0.1", port=port, base_url="http://tracktwo.test")


# -- the browser tests: one Chromium per test module (tests/_browser.py) ----------------------


@pytest.fixture(scope="module")
def browser():
    from _browser import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def dialogs() -> list[str]:
    """The messages of any JavaScript dialog a page opened (there should be none)."""
    return []
