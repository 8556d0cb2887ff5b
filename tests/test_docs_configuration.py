"""docs/configuration.md lists every ``TRACKTWO_*`` variable the source reads, and only those:
the source is grepped here (tracktwo/, and tests/ and .ci/ for the development variables), and
each file a row names as "read in" must mention its variable."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from tracktwo.accounts import LoginLimit

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "configuration.md"
NAME = re.compile(r"TRACKTWO_[A-Z0-9_]+")
# the login limits' variables are built from LoginLimit's fields (web/_settings.py):
# f"TRACKTWO_LOGIN_{field.name.upper()}", so the grep finds only the prefix
LOGIN_PREFIX = "TRACKTWO_LOGIN_"
DEVELOPMENT = {
    "TRACKTWO_REQUIRE_ALL",
    "TRACKTWO_SCREENSHOTS",
    "TRACKTWO_DEMO_HOME",
    "TRACKTWO_UPDATE_SNAPSHOTS",
}
LOGIN = {LOGIN_PREFIX + f.name.upper() for f in fields(LoginLimit)}


def _mentions(folder: Path, pattern: str = "*") -> dict[str, set[str]]:
    """name -> the files (relative to the repository) under ``folder`` that mention it."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob(pattern)):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # a compiled catalogue, an image
        for name in set(NAME.findall(text)):
            found.setdefault(name, set()).add(path.relative_to(ROOT).as_posix())
    return found


def _read_names(found: dict[str, set[str]]) -> set[str]:
    """The variables the source reads: prefixes (``TRACKTWO_SMTP_*`` in prose) are not names,
    and the login prefix stands for its LoginLimit names."""
    names = {name for name in found if not name.endswith("_")}
    if LOGIN_PREFIX in found:
        names |= LOGIN
    return names


def _rows() -> dict[str, list[str]]:
    """variable -> the files in its "read in" cell, for every row of the page's tables."""
    rows: dict[str, list[str]] = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `(TRACKTWO_[A-Z0-9_]+)` \|(.*)\|\s*$", line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} is listed twice"
            rows[match.group(1)] = re.findall(
                r"`([\w./-]+\.\w+|\.ci/\w+)`", match.group(2).split("|")[-1]
            )
    return rows


def test_every_variable_the_package_reads_is_documented() -> None:
    package = _read_names(_mentions(ROOT / "tracktwo"))
    # a hand-made floor, so a broken grep cannot pass: variables named in the README and web.md
    assert {"TRACKTWO_HOME", "TRACKTWO_DB", "TRACKTWO_STORE_WAIT", "TRACKTWO_SMTP_HOST"} <= package
    assert "TRACKTWO_LOGIN_MAX_DELAY_MINUTES" in package
    missing = sorted(package - set(_rows()))
    assert not missing, f"read by tracktwo/ but not in docs/configuration.md: {missing}"


def test_every_documented_variable_is_still_read() -> None:
    read = _read_names(_mentions(ROOT / "tracktwo"))
    read |= _read_names(_mentions(ROOT / "tests", "*.py")) | _read_names(_mentions(ROOT / ".ci"))
    stale = sorted(set(_rows()) - read)
    assert not stale, f"in docs/configuration.md but read nowhere any more: {stale}"


def test_each_row_names_the_files_that_read_it() -> None:
    everywhere = _mentions(ROOT / "tracktwo")
    for folder, pattern in (("tests", "*.py"), (".ci", "*")):
        for name, files in _mentions(ROOT / folder, pattern).items():
            everywhere.setdefault(name, set()).update(files)
    for name, files in _rows().items():
        assert files, f"{name}: the 'read in' cell names no file"
        key = LOGIN_PREFIX if name in LOGIN else name
        for file in files:
            assert (ROOT / file).is_file(), f"{name}: {file} does not exist"
            assert file in everywhere.get(key, set()), f"{name}: {file} does not mention it"
        if name not in DEVELOPMENT:
            assert all(f.startswith("tracktwo/") for f in files), name


def test_the_readme_links_the_page() -> None:
    assert "(docs/configuration.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
