"""The command line: one-line errors without --debug, tracebacks with it, --format for scripts."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from conftest import gdelt2_line

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
