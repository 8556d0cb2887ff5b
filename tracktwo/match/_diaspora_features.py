"""Diaspora features: how many people of the source's country live in the candidate's place.

The registry's diaspora figures (``tracktwo bridges load diaspora``; any origin country) are
linked to the place actors they apply to (a city's figure to the city, a metro's to its
principal cities, a state's to its places: :mod:`tracktwo.bridges._diaspora`). For a pair
(source, candidate) the figure used is the finest one of the source's country's people that
applies to the candidate: its city, else its metro, else its state; at that level the latest
year (a figure without a year last), then the geography and measure in alphabetical order —
the figure the explanation quotes (``_explain.finest_diaspora``). Three features follow:

* ``diaspora_known`` — 1 when such a figure exists, 0 otherwise;
* ``diaspora_size`` — log(1 + people) of that figure, 0 when unknown;
* ``diaspora_share`` — log(1 + the share in percent): people / the population of the figure's
  geography, 0 when unknown: a
  city's figure over the city's population; a metro's over the total its measure states
  ("(of 942904)"), else the summed population of the principal cities it is linked to (a lower
  bound of the metro's population, so the share is an upper bound); a state's over the state's
  population (its province actor in the registry, else for the USA the 2020 Census figure
  shipped in ``us_states_2020.csv``). With no population known the share is 0 and the size
  alone speaks.

Missing is not zero: a figure of 0 people has ``diaspora_known`` 1, a place without a figure
has 0, and the two value features are 0 in both cases, so their weights are learned only
from pairs with a figure and ``diaspora_known``'s weight says what a figure's existence is
worth. The features depend on the candidate and the source's *country* only, which keeps the
exact top-k (``_topk.ThresholdTopK``) exact: they join the per-group terms. The
recommender learns their weights on this raw scale (not standardised): L2 penalty = a unit normal
prior on each weight, since few pairs have a figure.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import select

from tracktwo.bridges import DiasporaFigure, DiasporaPlace, Registry, state_code
from tracktwo.datasets import dataset_path

__all__ = [
    "DIASPORA_FEATURES",
    "FIGURE_COLUMNS",
    "DiasporaTable",
    "diaspora_columns",
    "diaspora_table",
    "read_figures",
]

DIASPORA_FEATURES = ("diaspora_known", "diaspora_size", "diaspora_share")
FIGURE_COLUMNS = ("actor_id", "figure_id", "origin_country", "country", "geography", "level",
                  "figure", "measure", "year")  # fmt: skip
_LEVEL_ORDER = {"city": 0, "metro": 1, "state": 2}  # finest first; country figures are no place
_STATED_TOTAL = re.compile(r"\bof\s+(\d[\d,]*)\b")


@dataclass
class DiasporaTable:
    """Per origin country (ISO3): the three features of every actor row as a candidate."""

    by_origin: dict[str, np.ndarray] = field(default_factory=dict)  # origin -> (n, 3)
    country: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # ISO3/row

    def values(self, origin: str, rows: np.ndarray) -> np.ndarray:
        """(len(rows), 3): known, size, share of ``origin``'s people at each candidate row."""
        table = self.by_origin.get(origin)
        if table is None:
            return np.zeros((len(rows), len(DIASPORA_FEATURES)))
        return table[rows]


def read_figures(registry: Registry) -> pd.DataFrame:
    """Every (place actor, figure) link of the registry, with :data:`FIGURE_COLUMNS`."""
    statement = select(
        DiasporaPlace.actor_id, DiasporaFigure.id.label("figure_id"),
        DiasporaFigure.origin_country, DiasporaFigure.country, DiasporaFigure.geography,
        DiasporaFigure.level, DiasporaFigure.figure, DiasporaFigure.measure, DiasporaFigure.year,
    ).join(DiasporaFigure, DiasporaPlace.figure_id == DiasporaFigure.id)  # fmt: skip
    with registry.engine.connect() as connection:
        return pd.read_sql(statement, connection)


def diaspora_table(frame: pd.DataFrame, figures: pd.DataFrame | None) -> DiasporaTable:
    """The features for the actors of ``frame`` (the columns ``read_actors`` reads) from the
    figure links of :func:`read_figures` (None or empty: nothing known anywhere)."""
    country = frame["country"].to_numpy()
    if figures is None or figures.empty:
        return DiasporaTable(country=country)
    row_of = {int(i): r for r, i in enumerate(frame["id"])}
    links = figures[figures["level"].isin(list(_LEVEL_ORDER))]
    links = links[links["actor_id"].isin(list(row_of))].copy()
    if links.empty:
        return DiasporaTable(country=country)
    links["row"] = links["actor_id"].map(row_of)
    population = pd.to_numeric(frame["population"], errors="coerce").to_numpy(dtype=float)
    totals = _geography_totals(links, frame, population)
    chosen = _finest(links)
    tables: dict[str, np.ndarray] = {}
    for origin, mine in chosen.groupby("origin_country"):
        table = np.zeros((len(frame), len(DIASPORA_FEATURES)))
        rows = mine["row"].to_numpy(dtype=np.int64)
        people = mine["figure"].to_numpy(dtype=float)
        total = np.array([
            _total(level, row, figure_id, totals, population)
            for level, row, figure_id in zip(mine["level"], rows, mine["figure_id"], strict=True)
        ])  # fmt: skip
        table[rows, 0] = 1.0
        table[rows, 1] = np.log1p(people)
        share = np.where(total > 0, people / np.where(total > 0, total, 1.0), 0.0)
        table[rows, 2] = np.log1p(100.0 * share)  # log(1 + percent): 3.9% -> 1.59
        tables[str(origin)] = table
    return DiasporaTable(tables, country)


def _finest(links: pd.DataFrame) -> pd.DataFrame:
    """One figure per (origin, actor): the finest level, the latest year, then by name."""
    ordered = links.assign(
        level_order=links["level"].map(_LEVEL_ORDER),
        latest=-links["year"].fillna(0).astype(float),
    ).sort_values(["origin_country", "actor_id", "level_order", "latest", "geography", "measure"],
                  kind="stable")  # fmt: skip
    return ordered.drop_duplicates(["origin_country", "actor_id"], keep="first")


def _geography_totals(
    links: pd.DataFrame, frame: pd.DataFrame, population: np.ndarray
) -> dict[int, float]:
    """The population of each metro's and state's geography, by figure id (see the module)."""
    kinds = frame["kind"].to_numpy()
    totals: dict[int, float] = {}
    for figure_id, linked in links.groupby("figure_id"):
        level, measure = str(linked["level"].iloc[0]), str(linked["measure"].iloc[0])
        rows = linked["row"].to_numpy(dtype=np.int64)
        known = population[rows]
        known = np.where(np.isnan(known), 0.0, known)
        if level == "metro":
            stated = _STATED_TOTAL.search(measure)
            cities = rows[kinds[rows] == "city"]
            summed = float(np.nansum(population[cities])) if len(cities) else 0.0
            totals[int(figure_id)] = float(stated.group(1).replace(",", "")) if stated else summed
        elif level == "state":
            provinces = known[kinds[rows] == "province"]
            shipped = _state_population(str(linked["country"].iloc[0]),
                                        str(linked["geography"].iloc[0]))  # fmt: skip
            largest = float(provinces.max()) if provinces.size else 0.0
            totals[int(figure_id)] = largest if largest > 0 else shipped
    return totals


def _total(
    level: str, row: int, figure_id: int, totals: dict[int, float], population: np.ndarray
) -> float:
    """The population a chosen figure is a share of (0 when unknown)."""
    if level == "city":
        value = population[int(row)]
        return 0.0 if np.isnan(value) else float(value)
    return totals.get(int(figure_id), 0.0)


@lru_cache(maxsize=1)
def _us_state_populations() -> dict[str, float]:
    with open(dataset_path("us_states_2020.csv"), encoding="utf-8", newline="") as handle:
        return {row["code"]: float(row["population_2020"]) for row in csv.DictReader(handle)}


def _state_population(country: str, geography: str) -> float:
    if country != "USA":
        return 0.0
    code = state_code(country, geography)
    return _us_state_populations().get(code or "", 0.0)


def diaspora_columns(
    table: DiasporaTable, sources: np.ndarray, candidates: np.ndarray
) -> dict[str, np.ndarray]:
    """The three features of each (source row, candidate row) pair: the figure of the
    source's country's people at the candidate."""
    values = np.zeros((len(sources), len(DIASPORA_FEATURES)))
    if table.by_origin and len(sources):
        origin = table.country[sources]
        for name in table.by_origin:
            mine = np.flatnonzero(origin == name)
            if len(mine):
                values[mine] = table.values(name, candidates[mine])
    return {name: values[:, i] for i, name in enumerate(DIASPORA_FEATURES)}
