"""Refresh the gettext catalogues from the sources: ``make catalogues``.

Every ``_("...")`` in the templates (pages and e-mails) and every ``_()`` / ``N_()`` in the
Python code is collected; each language's ``tracktwo.po`` keeps the translations it has,
gains the new texts with an empty translation (shown in English until a translator fills
it, and flagged by the test suite), and drops the texts no longer used.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tracktwo"
LANGUAGES = ("km",)


def source_texts() -> dict[str, str]:
    """Every marked text, with the first place it appears."""
    found: dict[str, str] = {}
    for path in sorted((PACKAGE / "web" / "templates").rglob("*.html")):
        for line, text, _, _ in extract_from_file(
            "jinja2.ext:babel_extract", str(path), keywords={"_": None}
        ):
            found.setdefault(text, f"{path.relative_to(ROOT)}:{line}")
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, text, _, _ in extract_from_file(
            "python", str(path), keywords={"_": None, "N_": None}
        ):
            found.setdefault(text, f"{path.relative_to(ROOT)}:{line}")
    return found


def refresh(language: str, seeds: dict[str, str] | None = None) -> tuple[int, int]:
    """Rewrite ``language``'s catalogue; returns (texts, untranslated)."""
    path = PACKAGE / "locale" / language / "LC_MESSAGES" / "tracktwo.po"
    known: dict[str, str] = dict(seeds or {})
    if path.exists():
        with path.open("rb") as handle:
            known.update({m.id: m.string for m in read_po(handle) if m.id and m.string})
    catalog = Catalog(
        locale=language,
        project="tracktwo",
        domain="tracktwo",
        charset="utf-8",
        fuzzy=False,
        header_comment=f"# {language} translations of tracktwo's pages and e-mails "
        "(Apache-2.0, like the project).\n# Refreshed by `make catalogues`; see docs/doors.md.",
        copyright_holder="the tracktwo authors",
        language_team=f"tracktwo {language}",
        last_translator="the tracktwo authors",
    )
    texts = source_texts()
    for text, where in texts.items():
        file, _, line = where.rpartition(":")
        catalog.add(text, known.get(text, ""), locations=[(file, int(line))])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=False)
    return len(texts), sum(1 for text in texts if not known.get(text))


def main() -> int:
    for language in LANGUAGES:
        total, missing = refresh(language)
        print(f"{language}: {total} texts, {missing} without a translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
