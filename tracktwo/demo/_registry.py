"""The demo's bridges registry: Cambodian and US actors, the reported Cambodia–US ties (and the
declined 2023 Lowell proposals) and the known sister-city ties, loaded from the data shipped in
``tracktwo/datasets`` with the loaders of ``tracktwo bridges load``.

Every loader upserts (GeoNames id, web domain, name + country + kind, or the tie's two actors and
channel), so a second run finds everything already there and adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import func, select

from tracktwo.bridges import (
    DECLINED,
    DIASPORA_FILE,
    Actor,
    DiasporaReport,
    ImportReport,
    MatchReport,
    Registry,
    Tie,
    load_diaspora,
    load_khm_usa_ties,
    load_places,
    load_provinces,
    load_sister_cities,
    load_states,
    load_universities,
)
from tracktwo.datasets import dataset_path
from tracktwo.demo._pair import NAMES, PAIR

__all__ = ["SISTER_CITY_COUNTRIES", "DemoRegistry", "Load", "build_demo_registry"]

# whose known sister-city ties are loaded. The US list is most of the demo's time (~35 s on 2
# cores): its partners are in 141 countries, matched against the GeoNames world gazetteer.
# The shipped list holds no Cambodia-US pair, so both lists load, not the pairs between them.
SISTER_CITY_COUNTRIES = ("KHM", "USA")
STATUSES = ("created", "updated", "unchanged")


@dataclass(frozen=True)
class Load:
    """What one loader did: records created, updated and found unchanged."""

    what: str
    record: str  # actor or tie
    created: int
    updated: int
    unchanged: int
    report: ImportReport | MatchReport | DiasporaReport = field(repr=False, compare=False)

    def row(self) -> dict[str, Any]:
        matched = self.report if isinstance(self.report, MatchReport) else None
        return {
            "loaded": self.what,
            "record": self.record,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "pairs matched": f"{matched.matched:,} of {matched.pairs_read:,}" if matched else None,
        }


@dataclass
class DemoRegistry:
    """What the demo loaded into the registry, and what the registry now holds."""

    loads: list[Load]
    actors: int
    ties: int  # declined proposals are not ties: never counted here
    ties_between: int  # ties between a Cambodian and a US actor
    declined_between: int = 0  # declined proposals between a Cambodian and a US actor

    @property
    def changed(self) -> int:
        """Records created or updated: 0 when the registry already held the demo's data."""
        return sum(load.created + load.updated for load in self.loads)


def _actor_load(what: str, report: ImportReport) -> Load:
    created, updated, unchanged = (report.count("actor", s) for s in STATUSES)
    return Load(what, "actor", created, updated, unchanged, report=report)


def _import_loads(what: str, report: ImportReport) -> list[Load]:
    """A file import writes actors, ties and declined proposals: one row for each."""
    loads = []
    for record in ("actor", "tie", "declined proposal"):
        created, updated, unchanged = (report.count(record, s) for s in STATUSES)
        loads.append(Load(what, record, created, updated, unchanged, report=report))
    return loads


def _diaspora_load(what: str, report: DiasporaReport) -> Load:
    created, updated, unchanged = (report.count(s) for s in STATUSES)
    return Load(what, "diaspora figure", created, updated, unchanged, report=report)


def _tie_load(what: str, report: MatchReport) -> Load:
    # the matcher upserts a tie on its two actors and channel: created or already there
    return Load(what, "tie", report.ties_created, 0, report.ties_unchanged, report=report)


def _actor_loaders(registry: Registry) -> list[tuple[str, Callable[[], ImportReport]]]:
    loaders: list[tuple[str, Callable[[], ImportReport]]] = [
        ("the provinces of Cambodia (Ministry of Economy)", partial(load_provinces, registry)),
        # a Cambodian province's peers: the US states (2020 Census populations)
        ("the states of the United States (2020 Census)", partial(load_states, registry)),
    ]
    loaders += [(f"GeoNames places of {NAMES[c]}", partial(load_places, registry, c)) for c in PAIR]
    loaders += [
        (f"universities of {NAMES[c]} (Hipo list)", partial(load_universities, registry, c))
        for c in PAIR
    ]
    return loaders


def _count(registry: Registry, statement: Any) -> int:
    with registry.engine.connect() as connection:
        return int(connection.execute(statement).scalar() or 0)


def _ties_between(registry: Registry, a: str, b: str, *, declined: bool = False) -> int:
    """Ties between the two countries; with ``declined``, the declined proposals instead."""
    side_a = select(Actor.id).where(Actor.country == a)
    side_b = select(Actor.id).where(Actor.country == b)
    statement = select(func.count(Tie.id)).where(
        ((Tie.actor_a_id.in_(side_a)) & (Tie.actor_b_id.in_(side_b)))
        | ((Tie.actor_a_id.in_(side_b)) & (Tie.actor_b_id.in_(side_a))),
        (Tie.status == DECLINED) if declined else (Tie.status != DECLINED),
    )
    return _count(registry, statement)


def build_demo_registry(
    registry: Registry,
    *,
    sister_cities: tuple[str, ...] = SISTER_CITY_COUNTRIES,
    step: Callable[[str], None] | None = None,
) -> DemoRegistry:
    """Load provinces, US states, places, universities, the reported Cambodia–US ties and the
    sister-city ties of ``sister_cities``."""
    say = step or (lambda _message: None)
    loads = []
    for what, loader in _actor_loaders(registry):
        say(f"loading {what}")
        loads.append(_actor_load(what, loader()))
    # after the places: each figure is linked to the places it covers (a state's to all of
    # them). The US towns the sister-city list adds from the world gazetteer are not looked up
    # there (~2 s): they get no state figure, and a second run finds every figure unchanged.
    what = "Cambodian-American population figures (US Census, as reported)"
    say(f"loading {what}, matched to the places")
    report = load_diaspora(registry, dataset_path(DIASPORA_FILE), world_gazetteer=False)
    loads.append(_diaspora_load(what, report))
    what = "Cambodia–US ties as reported (tracktwo dataset khm_usa_ties.json)"
    say(f"loading {what}")
    loads += _import_loads(what, load_khm_usa_ties(registry))
    for country in sister_cities:
        what = f"sister-city ties of {NAMES.get(country, country)} (Wikipedia list)"
        say(f"loading {what}, matched against the GeoNames world gazetteer")
        loads.append(_tie_load(what, load_sister_cities(registry, country)))
    return DemoRegistry(
        loads=loads,
        actors=_count(registry, select(func.count(Actor.id))),
        ties=_count(registry, select(func.count(Tie.id)).where(Tie.status != DECLINED)),
        ties_between=_ties_between(registry, *PAIR),
        declined_between=_ties_between(registry, *PAIR, declined=True),
    )
