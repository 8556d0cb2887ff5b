"""What the briefing tests share: a registry of cities and sister-city ties set up by hand, the
KHM–USA briefing written from it, and the parts of a page they read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from tracktwo.bridges import Registry
from tracktwo.bridges._edit import add_actor, add_tie, log_activity
from tracktwo.report import write_briefing
from tracktwo.store import EventStore

# the briefing's section headings, in order, after its opening
HEADINGS = (
    "1. State of the relationship by channel",
    "2. Bridges scorecard and its trend",
    "3. Dormant ties worth reviving",
    "4. Recommended partnerships",
    "Data sources and licences",
)
# a sister-city tie: (city, city, its one area, start date, its last activity as
# (day, kind, participants), or None when it has none)
TieRow = tuple[str, str, str, date, tuple[date, str, int | None] | None]


def city_registry(home: Path, cities: Iterable[dict[str, Any]], ties: Iterable[TieRow]) -> Registry:
    """A registry in ``home`` holding ``cities`` (add_actor's fields, kind city) and ``ties``."""
    registry = Registry(home=home)
    ids = {city["name"]: add_actor(registry, kind="city", **city)["id"] for city in cities}
    for one, two, area, start, last in ties:
        tie = add_tie(registry, ids[one], ids[two], "sister_city", areas=[area], start_date=start)
        if last is not None:
            day, kind, participants = last
            log_activity(registry, tie["id"], day, kind, participants=participants)
    return registry


def write_khm_usa(registry: Registry, store_home: Path, out: Path, **options: Any) -> Path:
    """The KHM–USA briefing from the events in ``store_home`` and ``registry`` (closed
    afterwards), written to ``out``."""
    try:
        with EventStore(store_home, write=True) as store:  # creates an empty store too
            return write_briefing(store, registry, "KHM", "USA", out, **options)
    finally:
        registry.close()


def headings(html: str) -> list[str]:
    """The text of the page's h2 headings, in order."""
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html)]


def between(html: str, start: str, end: str) -> str:
    """The page from the first ``start`` up to the first ``end``."""
    return html[html.index(start) : html.index(end)]


def opening(html: str, title: str, end: str) -> str:
    """The page's opening section, "Where the relationship stands" (``title``, in the page's
    language), checked to be its first heading: from its id up to the first ``end``."""
    assert headings(html)[0] == title
    return between(html, 'id="standing"', end)
