"""The command line behaves as a shell user expects: usage errors show the usage and exit 2,
``--version``, shell completion and ``python -m tracktwo``; data on stdout, messages on stderr;
CSV with a header even when empty, ``--excel`` (a UTF-8 byte order mark), ``.xlsx`` and Parquet
files through ``--out``; ids in tables as written."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from tracktwo.cli import app
from tracktwo.cli._output import emit
from tracktwo.store import EventStore

ROOT = Path(__file__).parent.parent


def invoke(home: Path, *args: str):
    return CliRunner().invoke(app, ["--home", str(home), *args])


# -- usage errors --------------------------------------------------------------------------

# (command line, what the error must name): for each group a missing argument, a bad choice
# and, where the group takes a date, a bad one
USAGE_ERRORS = [
    (["events", "ingest"], "paths"),
    (["events", "status", "--format", "xml"], "--format"),
    (["events", "fetch", "--since", "2019-13-01", "--until", "2019-01-02"], "--since"),
    (["events", "fetch", "--since", "2019-01-01", "--until", "2019-01-02", "--dyad", "KHM-XXX"],
     "--dyad"),
    (["pulse"], "country_a"),
    (["pulse", "KHM", "USA", "--format", "xml"], "--format"),
    (["pulse", "KHM", "USA", "--since", "2019-13-01"], "--since"),
    (["compare", "KHM"], "partners"),
    (["compare", "KHM", "USA", "--format", "xml"], "--format"),
    (["compare", "KHM", "USA", "--until", "2019-02-30"], "--until"),
    (["votes", "agreement", "KHM"], "country_b"),
    (["votes", "distance", "KHM", "USA", "--format", "xml"], "--format"),
    (["votes", "issues", "KHM", "USA", "--since", "last May"], "--since"),
    (["signals", "series"], "country_a"),
    (["signals", "list", "--format", "xml"], "--format"),
    (["signals", "series", "KHM", "USA", "--until", "31/12/2019"], "--until"),
    (["coverage", "totals", "KHM"], "country_b"),
    (["coverage", "totals", "KHM", "USA", "--format", "xml"], "--format"),
    (["bridges", "add-tie", "1"], "actor_b"),
    (["bridges", "actors", "--format", "xml"], "--format"),
    (["bridges", "score", "KHM", "USA", "--at", "2019-13-01"], "--at"),
    (["match", "recommend"], "actor"),
    (["match", "recommend", "1", "--format", "xml"], "--format"),
    (["match", "portfolio", "KHM", "USA", "--n", "many"], "--n"),
    (["report", "KHM"], "country_b"),
    (["report", "KHM", "USA", "--at", "yesterday"], "--at"),
    (["doors", "mail", "--format", "xml"], "--format"),
    (["users", "add"], "username"),
    (["users", "list", "--format", "xml"], "--format"),
    (["serve", "--port", "eighty"], "--port"),
    (["demo", "--port", "eighty"], "--port"),
    # a format that needs a file, and --excel with another format
    (["pulse", "KHM", "USA", "--format", "parquet"], "--out"),
    (["votes", "agreement", "KHM", "USA", "--format", "xlsx"], "--out"),
    (["compare", "KHM", "USA", "--out", "table.txt"], "--out"),
    (["pulse", "KHM", "USA", "--excel", "--format", "json"], "--excel"),
    (["votes", "agreement", "KHM", "USA", "--excel", "--out", "votes.xlsx"], "--excel"),
    (["bridges", "ties", "--out", "no-such-folder/ties.csv"], "--out"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "named"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS]
)
def test_usage_error_shows_usage_and_exits_2(tmp_path, args, named):
    done = invoke(tmp_path, *args)
    text = done.stdout + done.stderr
    assert done.exit_code == 2, text
    assert "Usage: " in text and named in text
    assert "Traceback" not in text and "Unexpected error" not in text
    assert done.stdout == ""  # the usage and the error are messages: stderr
    # refused while the line is parsed: no store or registry was created
    assert list(tmp_path.iterdir()) == []


def test_every_command_group_has_a_usage_error_case():
    groups = {info.name for info in app.registered_groups}
    commands = {info.name for info in app.registered_commands}
    tried = {args[0] for args, _ in USAGE_ERRORS}
    assert groups | commands <= tried, sorted((groups | commands) - tried)


def _run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env_path = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "tracktwo", *args], capture_output=True, text=True, timeout=120,
        cwd=cwd, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )  # fmt: skip


def test_python_dash_m_version_and_usage_error(tmp_path):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    done = _run_module("--version", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"tracktwo {version}\n", "")
    # the real entry point (not the test runner) gives exit 2 and the usage too
    missing = _run_module("pulse", "KHM", cwd=tmp_path)
    assert missing.returncode == 2
    assert "Usage: tracktwo pulse" in missing.stderr and "country_b" in missing.stderr
    assert "Unexpected error" not in missing.stderr and missing.stdout == ""
    # a domain error from the real entry point: one line on stderr (on an empty store: a
    # missing one is its own error, since read commands no longer create it)
    with EventStore(tmp_path / "h", write=True):
        pass
    unknown = _run_module("--home", str(tmp_path / "h"), "pulse", "KHM", "XYZ", cwd=tmp_path)
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines() == [
        "Error: unknown country 'XYZ': give an ISO 3166 alpha-3 code such as KHM"
    ]


def test_help_offers_shell_completion():
    done = CliRunner().invoke(app, ["--help"])
    assert done.exit_code == 0
    assert "--install-completion" in done.stdout and "--show-completion" in done.stdout
    assert "--version" in done.stdout


# -- data on stdout, messages on stderr -------------------------------------------------------


@pytest.fixture(scope="module")
def home(web_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/_web.py's data directory (ICEWS Cambodia extract, UN votes KHM/USA, ten actors,
    three ties, three users), with the tiny signal and coverage files of tests/data."""
    home = tmp_path_factory.mktemp("cli-conventions") / "home"
    shutil.copytree(web_template, home)
    data = Path(__file__).parent / "data"
    for args in (["signals", "import", str(data / "signals_tiny.csv"), "--name", "tone"],
                 ["coverage", "import", str(data / "coverage_tiny_monthly.csv")]):  # fmt: skip
        done = invoke(home, *args)
        assert done.exit_code == 0, done.output
    return home


# each row-emitting command that reads, with the header its CSV must start with
CSV_HEADERS = [
    (["events", "status"],
     "source_format,events,reemissions,first_day,last_day,files,quarantined"),
    (["events", "quarantine"], "source_file,line,reason,raw"),
    (["pulse", "KHM", "USA", "--freq", "year"],
     "period,kind,series,events,value,ci_low,ci_high,coop_share,coverage_share,per_100k,"
     "is_partial,is_eligible,is_all_time_low,is_all_time_high,record_low,is_change_point"),
    (["compare", "KHM", "USA", "CHN"],
     "period,partner,series,events,per_100k,value,ci_low,ci_high,coop_share,"
     "outside_official_share,is_partial"),
    (["votes", "agreement", "KHM", "USA"],
     "period,session,measure,roll_calls,value,ci_low,ci_high"),
    (["signals", "list"], "name,pairs,first_date,last_date,rows"),
    (["signals", "series", "KHM", "USA", "--freq", "year"], "name,period,days,value"),
    (["bridges", "actors"],
     "id,name,local_name,country,kind,track,place,areas_offered,areas_needed,politicised,"
     "version"),
    (["bridges", "ties"],
     "id,actor_a,country_a,actor_b,country_b,channel,areas,status,status_reason,start_date,"
     "end_date,activities,last_activity,version"),
    (["bridges", "score", "KHM", "USA"], "metric,value"),
    (["bridges", "dormant", "KHM", "USA", "--at", "2026-06-01"],
     "tie_id,actor_khm,actor_usa,channel,status,last_activity,silent_since,months_since,"
     "days_since"),
    (["users", "list"], "username,role,email,created_at"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "header"), CSV_HEADERS, ids=[" ".join(a) for a, _ in CSV_HEADERS])
def test_csv_on_stdout_is_the_rows_and_nothing_else(home, args, header):
    done = invoke(home, *args, "--format", "csv")
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0] == header
    rows = list(csv.reader(io.StringIO(done.stdout)))
    width = len(header.split(","))
    assert all(len(row) == width for row in rows), [r for r in rows if len(r) != width]
    assert "Traceback" not in done.stderr


def test_csv_values_are_the_fixtures(home):
    # tests/_web.py: tie 1 Phnom Penh – Long Beach from 2007, tie 2 Battambang – Lowell
    ties = pd.read_csv(io.StringIO(invoke(home, "bridges", "ties", "--format", "csv").stdout))
    assert ties[["id", "actor_a", "actor_b", "start_date"]].values.tolist()[:2] == [
        [1, "Phnom Penh", "Long Beach", "2007-01-01"],
        [2, "Battambang", "Lowell", "2015-01-01"],
    ]
    status = invoke(home, "events", "status", "--format", "csv").stdout
    assert status.splitlines()[1].startswith("icews,1376,")  # the extract's 1,376 events


def test_an_empty_result_still_has_its_header(home, tmp_path):
    # no row was quarantined: pandas reads the header and no rows
    done = invoke(home, "events", "quarantine", "--format", "csv")
    frame = pd.read_csv(io.StringIO(done.stdout))
    assert list(frame.columns) == ["source_file", "line", "reason", "raw"] and frame.empty
    # an empty list of rows from the registry: no actor of Laos
    actors = invoke(home, "bridges", "actors", "--country", "LAO", "--format", "csv")
    assert actors.exit_code == 0, actors.output
    assert pd.read_csv(io.StringIO(actors.stdout)).columns[:3].tolist() == [
        "id",
        "name",
        "local_name",
    ]
    # and the same to a file
    out = tmp_path / "quarantine.csv"
    assert invoke(home, "events", "quarantine", "--out", str(out)).exit_code == 0
    assert out.read_text() == "source_file,line,reason,raw\n"


def test_ids_in_a_table_have_no_thousands_separator():
    probe = typer.Typer()

    @probe.command()
    def show() -> None:
        emit([{"id": 12345, "tie_id": 67890, "year": 2019, "events": 12345}], title="ids")

    done = CliRunner().invoke(probe, [])
    assert done.exit_code == 0, done.output
    row = next(line for line in done.stdout.splitlines() if "67890" in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells == ["12345", "67890", "2019", "12,345"]  # a count keeps its separator


# -- --excel, .xlsx and Parquet -------------------------------------------------------------

KHMER = "ភ្នំពេញ"  # Phnom Penh in Khmer script


def test_excel_csv_starts_with_a_bom_and_keeps_khmer(home, tmp_path):
    added = invoke(home, "bridges", "add-actor", "--name", "Phnom Penh Capital", "--country", "KHM",
                   "--kind", "province", "--local-name", KHMER, "--format", "csv")  # fmt: skip
    assert added.exit_code == 0, added.output
    done = invoke(home, "bridges", "actors", "--country", "KHM", "--excel")
    assert done.exit_code == 0, done.output
    assert done.stdout_bytes.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(done.stdout_bytes), encoding="utf-8-sig")
    assert frame.columns[0] == "id"  # the mark is not part of the first column's name
    assert KHMER in frame["local_name"].tolist()
    out = tmp_path / "actors.csv"
    assert invoke(home, "bridges", "actors", "--excel", "--out", str(out)).exit_code == 0
    assert out.read_bytes().startswith("\ufeffid,name,".encode())
    assert KHMER in pd.read_csv(out, encoding="utf-8-sig")["local_name"].tolist()


def test_xlsx_out_holds_typed_cells_and_text_never_a_formula(home, tmp_path):
    formula = '=HYPERLINK("http://evil.example","x")'
    assert invoke(home, "bridges", "add-actor", "--name", formula, "--country", "USA",
                  "--kind", "city").exit_code == 0  # fmt: skip
    out = tmp_path / "ties.xlsx"
    done = invoke(home, "bridges", "actors", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert done.stdout == "" and f"Written to {out}" in done.stderr
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "name", "local_name")
    assert rows[1][:2] == (1, "Phnom Penh")  # an int cell, not text
    cell = next(c for c in sheet["B"] if c.value == formula)
    assert cell.data_type == "s"


def _texts(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) or v == "" else str(v) for v in values]


def _csv_frame(home: Path, *args: str) -> pd.DataFrame:
    done = invoke(home, *args, "--format", "csv")
    assert done.exit_code == 0, done.output
    return pd.read_csv(io.StringIO(done.stdout))


@pytest.mark.parametrize(
    "args",
    [
        ["pulse", "KHM", "USA", "--freq", "year"],
        ["compare", "KHM", "USA", "CHN"],
        ["votes", "agreement", "KHM", "USA"],
        ["votes", "distance", "KHM", "USA"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_parquet_holds_what_the_csv_shows(home, tmp_path, args):
    out = tmp_path / "rows.parquet"
    done = invoke(home, *args, "--format", "parquet", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert done.stdout == ""
    table = pq.read_table(out)
    expected = _csv_frame(home, *args)
    assert table.column_names == list(expected.columns)
    got = table.to_pandas()
    assert len(got) == len(expected) > 0
    for column in expected.columns:
        if expected[column].dtype.kind == "f":  # compare numbers as numbers
            assert got[column].astype(float).tolist() == pytest.approx(
                expected[column].tolist(), nan_ok=True)  # fmt: skip
        else:  # CSV cannot tell an empty text from a missing value: both are an empty cell
            assert _texts(got[column]) == _texts(expected[column]), column


def test_parquet_keeps_types(home, tmp_path):
    out = tmp_path / "votes.parquet"
    assert invoke(home, "votes", "agreement", "KHM", "USA", "--out", str(out)).exit_code == 0
    schema = pq.read_schema(out)
    assert str(schema.field("period").type) == "date32[day]"
    assert str(schema.field("roll_calls").type) == "int64"
    assert str(schema.field("value").type) == "double"


def _commands(group, path=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def test_every_command_with_format_takes_out_and_excel():
    from typer.main import get_command

    lacking = []
    for name, command in _commands(get_command(app)):
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if "--format" in options and not {"--out", "--excel"} <= options:
            lacking.append(name)
    assert lacking == []


def test_a_chart_note_goes_to_stderr(home, tmp_path):
    chart = tmp_path / "pulse.svg"
    args = ["pulse", "KHM", "USA", "--freq", "year", "--chart", str(chart), "--format", "csv"]
    done = invoke(home, *args)
    assert done.exit_code == 0, done.output
    assert chart.read_text().lstrip().startswith("<svg")
    assert done.stderr.strip() == f"Chart written to {chart}"
    assert next(csv.reader(io.StringIO(done.stdout)))[0] == "period"
