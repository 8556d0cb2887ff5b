"""The comparison page of a pair: its first country beside its partners (``compare``).

The partners are the pair's other country and, by default, the first country's five busiest
partners in the event store; ``partners=CHN,VNM`` chooses those instead. The HTML page and its JSON
twin share the dict built here; the frame for the chart travels under a private key.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from tracktwo._errors import InputError
from tracktwo._json import plain
from tracktwo.bridges import country_pair
from tracktwo.pulse import COMPARE_COLUMNS, busiest_partners, compare
from tracktwo.taxonomy import TRACK_LABELS
from tracktwo.web._data import DataSources
from tracktwo.web._views import country_names, pairs_view

__all__ = ["DEFAULT_PARTNERS", "MAX_PARTNERS", "compare_view"]

DEFAULT_PARTNERS = 5
MAX_PARTNERS = 10  # each partner is a pulse of its own: a page stays quick to compute
_SEPARATORS = re.compile(r"[\s,;]+")


def _named(sources: DataSources, code: str) -> dict[str, str]:
    return {"code": code, "name": country_names(sources).get(code, code)}


def _given(text: str | None) -> list[str]:
    """``USA, CHN`` -> ["USA", "CHN"]; too many is a bad request, none means the default."""
    given = [part for part in _SEPARATORS.split(text or "") if part]
    if len(given) > MAX_PARTNERS:
        raise InputError(f"partners: at most {MAX_PARTNERS} countries, not {len(given)}")
    return given


def _a_pair_with_events(sources: DataSources, focal: str) -> dict[str, Any] | None:
    """Where to look instead: the busiest pair of the focal country, else of the store."""
    pairs = [p for p in pairs_view(sources)["pairs"] if p["events"] > 0]
    own = [p for p in pairs if focal in (p["a"]["code"], p["b"]["code"])]
    chosen = (own or pairs or [None])[0]
    if chosen is None:
        return None
    first, second = chosen["a"], chosen["b"]
    if second["code"] == focal:  # keep the focal country first, as this page reads it
        first, second = second, first
    return {"a": first, "b": second}


def _rows(frame: pd.DataFrame, names: dict[str, str]) -> list[dict[str, Any]]:
    records = frame[COMPARE_COLUMNS].to_dict("records")
    return [{**{k: plain(v) for k, v in row.items()},
             "partner_name": names.get(row["partner"], row["partner"]),
             "series_label": TRACK_LABELS.get(row["series"], row["series"])}
            for row in records]  # fmt: skip


def compare_compute(
    sources: DataSources, focal: str, other: str, freq: str, by: str, given: list[str]
) -> dict[str, Any]:
    names = country_names(sources)
    chosen: list[str] = []
    result = None
    if sources.has_events:
        with sources.store() as store:
            extra = given or busiest_partners(store, focal, DEFAULT_PARTNERS,
                                              taxonomy=sources.taxonomy)  # fmt: skip
            # the pair's other country always, first: the page is about that pair
            partners = [other, *extra]
            result = compare(store, focal, partners, freq=freq, by=by, taxonomy=sources.taxonomy)
            chosen = result.partners
    empty = result is None or result.empty
    totals = result.partner_totals() if result is not None else pd.DataFrame()
    frame = result.frame if result is not None else pd.DataFrame(columns=COMPARE_COLUMNS)
    return {
        "a": _named(sources, focal), "b": _named(sources, other), "focal": _named(sources, focal),
        "freq": freq, "by": by, "chosen_by": "request" if given else "default",
        "partners": [{**_named(sources, r.partner), "events": int(r.events)}
                     for r in totals.itertuples()] if not totals.empty else
                    [_named(sources, code) | {"events": 0} for code in chosen],
        "rows": [] if empty else _rows(frame, names),
        "rate_sources": {plain(p): s for p, s in (result.rate_sources if result else {}).items()},
        "missing": [f"No events stored between {focal} and {', '.join(chosen) or 'any partner'}:"
                    " run tracktwo events ingest FILE (or tracktwo demo)."] if empty else [],
        "suggestion": _a_pair_with_events(sources, focal) if empty else None,
        "_frame": frame,  # for the chart; never sent as JSON
    }  # fmt: skip


def compare_view(
    sources: DataSources, a: str, b: str, *, freq: str = "year", by: str = "none",
    partners: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """``a`` beside ``b`` and its busiest partners (or the ``partners`` given), per period:
    events, per 100,000 of the source, mean Goldstein with its interval, cooperative share and
    the share outside the official track."""
    focal, other = country_pair(a, b, sources.taxonomy)
    given = _given(partners)
    key = ("compare", focal, other, tuple(given), freq, by)
    return sources.cached(key, lambda: compare_compute(sources, focal, other, freq, by, given))
