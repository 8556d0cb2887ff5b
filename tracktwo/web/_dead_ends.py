"""Sections with nothing to show lead on: what to load, and a pair that has data.

A dead end is a plain dict (it goes into the JSON twin as it is): ``what`` is missing, the
English ``message``, the ``command`` that loads it and an ``example``, the busiest other pair
that has such data (by stored events, or by registry ties), with the link to the same page of
that pair. Templates show it in the reader's language through ``_dead_end.html``: ``msgid``
and the example's ``msgid`` are marked here so the catalogue holds them.
"""

from __future__ import annotations

from typing import Any

from tracktwo._i18n import N_
from tracktwo.store import signal_pairs, voting_countries
from tracktwo.web._data import DataSources

__all__ = ["dead_end", "example_pair"]

LOAD_WITH = N_("Load them with:")
# what is missing -> (its sentence, the command that loads it, what the example pair has)
_MISSING = {
    "events": (N_("No events are stored for %(a)s–%(b)s yet."), "tracktwo events ingest FILE",
               "events"),
    "signals": (N_("No UN votes or other signals are stored for %(a)s–%(b)s yet."),
                "tracktwo votes ingest", "signals"),
    "ties": (N_("No ties between %(a)s and %(b)s are in the registry yet."),
             "tracktwo bridges load sister-cities", "ties"),
    "actors": (N_("The registry has no actors of %(subject)s yet."),
               "tracktwo bridges load places", "ties"),
}  # fmt: skip
_EXAMPLE = {
    "events": N_("See %(pair)s, which has %(count)s events."),
    "ties": N_("See %(pair)s, which has %(count)s ties."),
    "signals": N_("See %(pair)s, which has UN votes or other signals."),
}


def _with_signals(sources: DataSources) -> tuple[frozenset[str], set[frozenset[str]]]:
    """The countries with UN votes, and the pairs with an imported signal."""
    if not sources.has_events:
        return frozenset(), set()

    def compute() -> tuple[frozenset[str], set[frozenset[str]]]:
        with sources.store() as store:
            return voting_countries(store), signal_pairs(store)

    return sources.cached("signal-pairs", compute)


def _has_signals(row: dict[str, Any], sources: DataSources) -> bool:
    voters, pairs = _with_signals(sources)
    pair = frozenset((row["a"]["code"], row["b"]["code"]))
    return pair <= voters or pair in pairs


def example_pair(
    sources: DataSources, by: str, not_pair: tuple[str, str], path: str
) -> dict[str, Any] | None:
    """The pair with the most ``by`` (events or ties; for signals, the one with the most
    events among those with UN votes or a signal) other than ``not_pair``, with the link to
    its page ``path`` (a format string of ``a`` and ``b``, e.g. "/pairs/{a}/{b}")."""
    from tracktwo.web._views import pairs_view  # the cached list of every pair, busiest first

    rows = [r for r in pairs_view(sources)["pairs"]
            if {r["a"]["code"], r["b"]["code"]} != set(not_pair)]  # fmt: skip
    if by == "signals":  # the busiest pair by events among those with signals
        rows = [r for r in rows if _has_signals(r, sources)]
        count = "events"
    else:
        rows, count = [r for r in rows if r[by] > 0], by
    if not rows:
        return None
    best = max(rows, key=lambda r: r[count])
    a, b = best["a"], best["b"]
    return {"a": a["code"], "b": b["code"], "name": f"{a['name']} – {b['name']}",
            "by": by, "count": best[count], "href": path.format(a=a["code"], b=b["code"]),
            "msgid": _EXAMPLE[by]}  # fmt: skip


def dead_end(
    sources: DataSources, what: str, a: str, b: str, path: str = "/pairs/{a}/{b}",
    subject: str = "",
) -> dict[str, Any]:  # fmt: skip
    """The dead end of a section of ``a``–``b`` that has no ``what`` (events, signals, ties
    or actors: of ``subject``), leading to the same page (``path``) of the busiest pair that
    has some."""
    text, command, by = _MISSING[what]
    example = example_pair(sources, by, (a, b), path)
    message = f"{text % {'a': a, 'b': b, 'subject': subject}} {LOAD_WITH} {command}."
    if example is not None:
        shown = {"pair": example["name"], "count": f"{example['count']:,}"}
        message += " " + example["msgid"] % shown
    return {"what": what, "message": message, "msgid": text, "a": a, "b": b,
            "subject": subject, "command": command, "example": example}  # fmt: skip
