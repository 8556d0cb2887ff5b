"""Two languages for every page and e-mail: English (the source text) and Khmer.

Texts are marked ``_("...")`` in templates and ``N_("...")`` in code, with ``%(name)s``
placeholders. The translations are gettext catalogues in ``tracktwo/locale/<lang>/LC_MESSAGES/``
(one ``.po`` file per part of the app; ``make catalogues`` refreshes them from the sources).
They are compiled in memory when first used, so the repository holds only the text files.
A text without a translation falls back to English, and a test keeps that from happening.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "N_", "Translate", "best_language", "translator"]

LANGUAGES = ("en", "km")
# each language named in itself, for the switcher
LANGUAGE_NAMES = {"en": "English", "km": "ខ្មែរ"}
LOCALE_DIR = Path(__file__).parent / "locale"

Translate = Callable[..., str]


def N_(message: str) -> str:
    """Marks a text for translation where it is defined; it is translated where shown."""
    return message


@lru_cache(maxsize=len(LANGUAGES))
def _catalogue(language: str) -> gettext.NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    merged: gettext.NullTranslations = gettext.NullTranslations()
    for po in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        part = gettext.GNUTranslations(compiled)
        if isinstance(merged, gettext.GNUTranslations):
            merged.add_fallback(part)
        else:
            merged = part
    return merged


def translator(language: str) -> Translate:
    """``_(text, **values)``: ``text`` in ``language``, with its ``%(name)s`` filled in."""
    catalogue = _catalogue(language if language in LANGUAGES else "en")

    def translate(message: str, **values: object) -> str:
        text = catalogue.gettext(message)
        return text % values if values else text

    return translate


def best_language(*choices: str | None, accept: str | None = None) -> str:
    """The first of ``choices`` tracktwo speaks, else the best of an Accept-Language header,
    else English."""
    for choice in choices:
        if choice in LANGUAGES:
            return choice
    ranked = []
    for part in (accept or "").split(","):
        tag, _, weight = part.strip().partition(";q=")
        try:
            ranked.append((float(weight or 1), tag.split("-")[0].strip().lower()))
        except ValueError:
            continue
    for _, tag in sorted(ranked, key=lambda pair: -pair[0]):
        if tag in LANGUAGES:
            return tag
    return "en"
