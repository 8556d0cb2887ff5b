"""Every console example of README.md and docs/*.md runs, against the demo data, and prints
what the page shows.

How a page's examples are read and run:

* A block is a fenced ```` ```console ```` block. Each line starting with ``$ `` is a command;
  the lines after it, up to the next ``$`` line, are its expected output (blank lines at either
  end dropped). A command shown without output must exit 0; one whose output starts with
  ``Error:`` (a domain error) or ``Usage:`` (a usage error) must fail with that message.
* ``...`` stands for anything: alone on a line it matches any number of lines, inside a line
  any fragment (``"created_at": "..."``). Trailing whitespace is ignored on both sides.
* A command is ``[VAR=value ...] tracktwo ARGS [# comment] [| head -N | tail -N | grep -E RE]``
  or ``... > FILE`` (stdout to FILE), or ``python ARGS`` (run by this interpreter, in a child);
  it runs in-process (``tracktwo.cli.main``, as the console script does) in a fresh temporary
  folder per page, holding ``tracktwo-data`` (a copy of the demo's data directory, built once per
  session), and ``tracktwo/`` and ``tests/`` linked from the repository, so the paths of the
  examples resolve and whatever a command writes stays in the copy. The blocks of one page
  share that copy, in page order (so an ``add-actor`` is seen by the ``add-tie`` after it).
* ``<!-- example: empty data directory -->`` on the line before a block runs it (and the later
  blocks so marked on that page) in an empty data directory instead, for pages that build a
  registry from nothing.
* ``<!-- example: fresh demo data -->`` runs a block in its own fresh copy of the demo data,
  not seeing what the page's earlier blocks changed (a new tie changes what the matchmaker
  learns, so the recommendations shown are the demo's own).
* ``<!-- illustrative: REASON -->`` on the line before a block skips it; REASON says why (it
  needs the network or a server, takes longer than ~20 s, or shows other data). Every other
  block must run: a block with a command this test cannot run fails until it is marked.

``TRACKTWO_DEMO_HOME=DIR`` reuses a data directory built by ``tracktwo demo --no-serve``
instead of building one (about a minute; useful while editing the docs).
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tracktwo.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ILLUSTRATIVE = re.compile(r"<!--\s*illustrative:\s*(\S.*?)\s*-->")
EMPTY_HOME = "<!-- example: empty data directory -->"
FRESH_DEMO = "<!-- example: fresh demo data -->"
ASSIGNMENT = re.compile(r"[A-Z][A-Z0-9_]*=")


@dataclass
class Command:
    line: int  # in the page, 1-based
    text: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    page: Path
    line: int
    marker: str  # the line before the fence
    commands: list[Command]

    @property
    def illustrative(self) -> str | None:
        found = ILLUSTRATIVE.search(self.marker)
        return found.group(1) if found else None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> Iterator[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() != "```console":
            index += 1
            continue
        marker = lines[index - 1].strip() if index else ""
        start, commands = index + 1, []
        index += 1
        while index < len(lines) and not lines[index].startswith("```"):
            text = lines[index]
            if text.startswith("$ "):
                commands.append(Command(index + 1, text[2:]))
            elif commands:
                commands[-1].expected.append(text.rstrip())
            index += 1
        for command in commands:
            while command.expected and not command.expected[0]:
                command.expected.pop(0)
            while command.expected and not command.expected[-1]:
                command.expected.pop()
        yield Block(page, start, marker, commands)
        index += 1


# -- matching ------------------------------------------------------------------------------


def _line_pattern(expected: str) -> str:
    return ".*?".join(re.escape(part) for part in expected.split("..."))


# a float printed in full: its last digits depend on the order DuckDB's threads added the
# values up (one snapshot file or several), so both sides are compared at 12 digits
_LONG_FLOAT = re.compile(r"-?\d+\.\d{7,}")


def _at_12_digits(text: str) -> str:
    return _LONG_FLOAT.sub(lambda m: format(float(m.group()), ".12g"), text)


def matches(expected: list[str], actual: str) -> bool:
    """``actual`` (trailing whitespace ignored) against ``expected`` with ``...`` wildcards,
    long floats compared at 12 significant digits."""
    expected = [_at_12_digits(line) for line in expected]
    got = [_at_12_digits(line.rstrip()) for line in actual.splitlines()]
    while got and not got[0]:
        got.pop(0)
    while got and not got[-1]:
        got.pop()
    pattern = "".join(
        r"(?:[^\n]*\n)*?" if line.strip() == "..." else _line_pattern(line) + r"\n"
        for line in expected
    )
    return re.fullmatch(pattern, "".join(line + "\n" for line in got)) is not None


# -- running -------------------------------------------------------------------------------


@dataclass
class Parsed:
    env: dict[str, str]
    args: list[str]
    filters: list[list[str]]
    to_file: str | None = None  # ``> FILE``: stdout goes there, stderr stays on the screen


def parse(text: str) -> Parsed | None:
    """The command's environment, arguments and output filters; None if this test cannot run
    it (not a tracktwo command, or a shell feature other than the filters)."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        return None
    env = {}
    while words and ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if words[:1] == ["python"] and not any(w in words for w in ("|", "&", ">", "<", ";")):
        return Parsed(env, words, [])  # run by this interpreter, in the example's folder
    to_file = None
    if len(words) > 2 and words[-2] == ">":
        to_file, words = words[-1], words[:-2]
    if not words or words[0] != "tracktwo" or any(w in words for w in ("&", ">", "<", ";")):
        return None
    pieces: list[list[str]] = [[]]
    for word in words[1:]:
        if word == "|":
            pieces.append([])
        else:
            pieces[-1].append(word)
    if "serve" in pieces[0] or ("demo" in pieces[0] and "--no-serve" not in pieces[0]):
        return None  # it would serve until stopped
    filters = pieces[1:]
    if not all(f and f[0] in ("head", "tail", "grep") for f in filters):
        return None
    return Parsed(env, pieces[0], filters, to_file)


def _filter(output: str, command: list[str]) -> str:
    lines = output.splitlines()
    if command[0] in ("head", "tail"):
        count = int(command[1].lstrip("-n")) if len(command) > 1 else 10
        kept = lines[:count] if command[0] == "head" else lines[-count:]
    else:
        pattern = re.compile(command[-1])
        kept = [line for line in lines if pattern.search(line)]
    return "".join(line + "\n" for line in kept)


def run_python(parsed: Parsed, cwd: Path) -> tuple[int, str]:
    """(exit status, stdout and stderr) of a ``python ...`` example, run by this interpreter
    in the example's folder (which links ``tracktwo/``, so ``python -m tracktwo`` works)."""
    env = {**os.environ, "TRACKTWO_HOME": str(cwd / "tracktwo-data"), **parsed.env}
    done = subprocess.run([sys.executable, *parsed.args[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def run(parsed: Parsed, cwd: Path) -> tuple[int, str]:
    """(exit status, what a terminal shows: stdout and stderr interleaved) of the command, run
    through ``tracktwo.cli.main`` as the console script runs it (its error handling too)."""
    if parsed.args[0] == "python":
        return run_python(parsed, cwd)
    env = {"TRACKTWO_HOME": str(cwd / "tracktwo-data"), **parsed.env}
    saved = {name: os.environ.get(name) for name in env}
    saved_argv, previous = sys.argv, Path.cwd()
    screen, data = io.StringIO(), io.StringIO()
    code = 0
    os.environ.update(env)
    sys.argv = ["tracktwo", *parsed.args]
    os.chdir(cwd)
    try:
        with redirect_stdout(data if parsed.to_file else screen), redirect_stderr(screen):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(previous)
        sys.argv = saved_argv
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    if parsed.to_file:
        (cwd / parsed.to_file).write_text(data.getvalue(), encoding="utf-8")
    output = screen.getvalue()
    for command in parsed.filters:
        output = _filter(output, command)
    return code, output


# what a failing command prints first: a domain error, or the usage of a usage error
FAILURE_STARTS = ("Error:", "Usage:")


def check(command: Command, cwd: Path) -> str | None:
    """A one-paragraph problem, or None when the command does what its page shows."""
    parsed = parse(command.text)
    if parsed is None:
        return "this test cannot run it: mark the block <!-- illustrative: REASON -->"
    code, output = run(parsed, cwd)
    failing = bool(command.expected) and command.expected[0].startswith(FAILURE_STARTS)
    if failing != (code != 0):
        want = "to fail" if failing else "to exit 0"
        return f"expected it {want}, exit status {code}:\n{output}"
    if command.expected and not matches(command.expected, output):
        shown = "\n".join(command.expected)
        return f"the output differs.\n--- the page shows:\n{shown}\n--- it prints:\n{output}"
    return None


# -- the demo data and the pages -----------------------------------------------------------


def _build_demo(home: Path) -> None:
    """The demo's store and registry, built side by side: the registry (mostly matching the
    sister-city lists) in a child process while this one builds the store (mostly the UN
    ideal-point fit). The briefings are left out: no example reads them."""
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from tracktwo.bridges import Registry; "
         "from tracktwo.demo import build_demo_registry; "
         "r = Registry(home=sys.argv[1]); build_demo_registry(r); r.close()", str(home)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        from tracktwo.demo import build_demo_store
        from tracktwo.store import EventStore

        with EventStore(home, write=True) as store:
            build_demo_store(store)
    finally:
        assert child.wait(timeout=600) == 0, "building the demo registry failed"


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("TRACKTWO_DEMO_HOME")
    if given:
        return Path(given)
    home = tmp_path_factory.mktemp("docs-demo")
    _build_demo(home)
    return home


def _workspace(base: Path, data: Path | None) -> Path:
    base.mkdir(parents=True)
    for name in ("tracktwo", "tests"):
        (base / name).symlink_to(ROOT / name, target_is_directory=True)
    home = base / "tracktwo-data"
    if data is None:
        home.mkdir()
    else:
        shutil.copytree(data, home, ignore=shutil.ignore_patterns("*.writer-lock", "*.pdf"))
    return base


def _runnable(page: Path) -> list[Block]:
    return [b for b in blocks(page) if b.commands and b.illustrative is None]


def _page_problems(page: Path, demo_home: Path, base: Path) -> list[str]:
    """What is wrong with each runnable example of ``page``, run in its own copy of the demo."""
    demo = _workspace(base / "demo", demo_home)
    empty: Path | None = None
    problems = []
    for number, block in enumerate(_runnable(page)):
        if block.marker == EMPTY_HOME:
            empty = empty or _workspace(base / "empty", None)
        cwd = empty if block.marker == EMPTY_HOME else demo
        if block.marker == FRESH_DEMO:
            cwd = _workspace(base / f"fresh-{number}", demo_home)
        for command in block.commands:
            problem = check(command, cwd)
            if problem:
                where = f"{page.relative_to(ROOT)}:{command.line}"
                problems.append(f"{where}: $ {command.text}\n{problem}")
    return problems


# One test over every page, not one per page: under pytest-xdist each worker would build the
# demo for its own session (loadgroup cannot pin tests to one worker under pytest 9.2).
@pytest.mark.slow
def test_console_examples(demo_home: Path, tmp_path: Path) -> None:
    pages = [page for page in PAGES if _runnable(page)]
    assert pages, "no page has a runnable console example"
    problems = []
    for page in pages:
        problems += _page_problems(page, demo_home, tmp_path / page.stem)
    assert not problems, "\n\n".join(problems)


def test_every_illustrative_block_says_why() -> None:
    for page in PAGES:
        for block in blocks(page):
            if "illustrative" in block.marker:
                assert block.illustrative, f"{block.where}: <!-- illustrative: REASON -->"


def test_wildcards() -> None:
    assert matches(["a", "...", "d"], "a\nb\nc\nd\n")
    assert matches(["a", "...", "b"], "a\nb")
    assert matches(['"created_at": "...",'], '"created_at": "2026-12-04T18:00:00",  ')
    assert not matches(["a", "b"], "a\nc")
    assert not matches(["a"], "a\nb")


def test_long_floats_compare_at_12_digits() -> None:
    # the same mean summed in two orders: equal to 12 digits, different in the 17th
    assert matches(["x,-0.3875000000000001,2.8470588235294114"],
                   "x,-0.38750000000000007,2.847058823529412")  # fmt: skip
    assert not matches(["x,-0.3875000000000001"], "x,-0.3875001000000001")
    assert matches(["1.5,2"], "1.5,2") and not matches(["1.5"], "1.6")
