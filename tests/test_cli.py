"""The command line: one-line errors without --debug, tracebacks with it, --format for scripts."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from conftest import gdelt2_line

from tracktwo.store import EventStore

COMMAND = [sys.executable, "-c", "from tracktwo.cli import main; main()"]


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "--home", str(home), *args], capture_output=True, text=True, timeout=120
    )


def test_error_is_one_line_without_traceback(tmp_path):
    missing = tmp_path / "nope.tsv"
    done = run("events", "ingest", str(missing), home=tmp_path / "h")
    assert done.returncode == 2
    assert "nope.tsv" in done.stderr and "no such file" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_error_message_quoting_brackets_is_printed_as_written(tmp_path):
    # a file or actor name may hold rich-style markup; the one-line error shows it verbatim
    missing = tmp_path / "[bold]x[/bold][link=evil.example]y.tsv"
    done = run("events", "ingest", str(missing), home=tmp_path / "h")
    assert done.returncode == 2
    assert "[bold]x[/bold][link=evil.example]y.tsv" in done.stderr


def test_unknown_country_and_debug_traceback(tmp_path):
    EventStore(tmp_path / "h", write=True).close()  # pulse only reads: the store must exist
    done = run("pulse", "KHM", "XYZ", home=tmp_path / "h")
    assert done.returncode == 2
    assert "unknown country 'XYZ'" in done.stderr and "Traceback" not in done.stderr
    debug = subprocess.run(
        [*COMMAND, "--debug", "--home", str(tmp_path / "h"), "pulse", "KHM", "XYZ"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "Traceback" in debug.stderr


def test_ingest_then_pulse_as_csv_and_json(tmp_path):
    source = tmp_path / "two.tsv"
    source.write_text(
        gdelt2_line(1, "20190105", ("KHMGOV", "KHM", "GOV"), ("USAGOV", "USA", "GOV"), "042")
        + "\n"
        + gdelt2_line(2, "20190107", ("USAEDU", "USA", "EDU"), ("KHMEDU", "KHM", "EDU"), "051")
        + "\n"
    )
    home = tmp_path / "h"
    ingested = run("events", "ingest", str(source), "--format", "json", home=home)
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)[0]["rows_added"] == 2
    as_csv = run("pulse", "KHM", "USA", "--freq", "year", "--format", "csv", home=home)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    # every track has a row (local and mixed with 0 events and no value)
    assert [r["series"] for r in rows] == ["official", "local", "people", "mixed"]
    values = {r["series"]: float(r["value"]) for r in rows if int(r["events"])}
    assert values == {"official": 1.9, "people": 3.4}  # GDELT's Goldstein for 042 and 051
    shown_sql = run("pulse", "KHM", "USA", "--sql", home=home)
    assert "SELECT" in shown_sql.stdout and "KHM" in shown_sql.stdout


def test_chart_option_writes_svg(tmp_path):
    source = tmp_path / "one.tsv"
    lines = [
        gdelt2_line(i, f"2019{m:02d}10", ("KHMGOV", "KHM", "GOV"), ("USAGOV", "USA", "GOV"), code)
        for i, (m, code) in enumerate([(1, "042"), (2, "112"), (3, "051"), (4, "190")], start=1)
    ]
    source.write_text("\n".join(lines) + "\n")
    home = tmp_path / "h"
    assert run("events", "ingest", str(source), home=home).returncode == 0
    chart = tmp_path / "pulse.svg"
    done = run("pulse", "KHM", "USA", "--chart", str(chart), home=home)
    assert done.returncode == 0, done.stderr
    assert chart.read_text().lstrip().startswith("<svg")


def test_a_database_given_to_one_command_does_not_leak_into_the_next(tmp_path):
    """In one process (a notebook, the test suite) ``bridges --db X`` must not make a later
    ``--home H match ...`` read X: each invocation starts from its own options."""
    from typer.testing import CliRunner

    from tracktwo.bridges import Registry
    from tracktwo.bridges._edit import add_actor, add_tie
    from tracktwo.cli import app

    other = tmp_path / "other.db"
    home = tmp_path / "home"
    with Registry(home=home) as registry:
        add_actor(registry, name="Phnom Penh", country="KHM", kind="city")
        add_actor(registry, name="Lowell", country="USA", kind="city")
        siem_reap = add_actor(registry, name="Siem Reap", country="KHM", kind="city")["id"]
        long_beach = add_actor(registry, name="Long Beach", country="USA", kind="city")["id"]
        add_tie(registry, siem_reap, long_beach, "sister_city")  # something to learn from
    runner = CliRunner()
    other_db = ["bridges", "--db", f"sqlite:///{other}", "actors", "--format", "json"]
    first = runner.invoke(app, other_db)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == []  # the other database is empty
    # match has no --db of its own: it must read the home given now, not the database above
    second = runner.invoke(app, ["--home", str(home), "match", "recommend", "Phnom Penh",
                                 "--format", "json"])  # fmt: skip
    assert second.exit_code == 0, second.output
    assert {row["name"] for row in json.loads(second.stdout)} == {"Lowell", "Long Beach"}
