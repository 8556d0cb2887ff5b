"""Pair features for the matchmaker, computed with numpy for many (source, candidate) pairs at once.

Two read-only snapshots feed them: :class:`ActorTable` (every actor of the registry as arrays)
and :class:`TieGraph` (the ties a model may know — in evaluation, the training ties only, so a
held-out tie never informs its own degree or shared-partner features). :func:`pair_features`
returns one row per pair and one column per name of :data:`FEATURES`:

* ``kind_fit`` — compatibility of the two kinds (:data:`KIND_COMPATIBILITY`, 1 or 0.5; 0 = no
  match); peers fit at 1, pairs that cross levels (a city and a province or state, a school and
  a university: :func:`crosses_levels`) at 0.5. Its weight is learned, so where ties of a
  cross-level kind pair exist the ties say what crossing costs;
* ``cross_level`` — the documented rule where they do not: 1 for a pair that crosses levels
  when the training ties hold fewer than :data:`MIN_LEVEL_TIES` of its kind pair, weighed by
  the fixed :data:`RULE_WEIGHTS` (never learned: with no such ties, a learned weight would
  only echo how the negatives were drawn), 0 otherwise;
* ``complementarity`` — areas one offers that the other needs, both ways, over all areas they need;
* ``text`` — cosine of the TF-IDF vectors of the two descriptions;
* ``population_similarity`` — −|log10 population ratio| (−1, one order of magnitude, if unknown);
* ``distance`` — log(1 + great-circle km) (log 5,001 if a coordinate is unknown);
* ``same_climate`` — both in the same |latitude| band (tropical, subtropical, temperate, polar);
* ``capital_pair`` / ``candidate_capital`` — both are national capitals / the candidate is: the
  actor's GeoNames id is its country's capital's (capitals_geonames.csv); never by name, and
  an actor without a GeoNames id is no capital;
* ``candidate_degree`` — log(1 + the candidate's ties);
* ``shared_partners`` — log(1 + actors of third countries tied to both);
* ``partner_country_ties`` — log(1 + the candidate's ties to the source's country);
* ``neutral_share`` — share of the candidate's offered and needed areas that are neutral
  (1 when it lists none: nothing sensitive is on the table);
* ``diaspora_known`` / ``diaspora_size`` / ``diaspora_share`` — the registry's figure of the
  source's country's people in the candidate's city, metro or state (the finest known): whether
  one exists, log(1 + people), people / population there; 0 when unknown
  (:mod:`tracktwo.match._diaspora_features`);
* ``over_capacity`` — log(1 + active ties above ``capacity``), the capacity penalty.

Not computed, for want of data in the registry: port/coast (docs/match.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sqlalchemy import select

from tracktwo._errors import ConfigError, NotFoundError
from tracktwo.bridges import DECLINED, Actor, Registry, Tie, capital_geonames_ids
from tracktwo.match._diaspora_features import (
    DIASPORA_FEATURES,
    DiasporaTable,
    diaspora_columns,
    diaspora_table,
    read_figures,
)
from tracktwo.taxonomy import load_taxonomy

__all__ = [
    "FEATURES",
    "FEATURE_LABELS",
    "KIND_COMPATIBILITY",
    "MIN_LEVEL_TIES",
    "RULE_WEIGHTS",
    "ActorTable",
    "TieGraph",
    "actor_table",
    "build_graph",
    "crosses_levels",
    "pair_features",
    "read_actors",
    "read_ties",
]

FEATURES = (
    "kind_fit",
    "cross_level",
    "complementarity",
    "text",
    "population_similarity",
    "distance",
    "same_climate",
    "capital_pair",
    "candidate_capital",
    "candidate_degree",
    "shared_partners",
    "partner_country_ties",
    "neutral_share",
    "diaspora_nearby",
    *DIASPORA_FEATURES,  # the registry's diaspora figures: _diaspora_features.py
    "over_capacity",
)
DIASPORA_RADIUS_KM = 50.0

# symmetric; pairs not listed are incompatible (0). An expert meets the institutions that may
# need the expertise at 1; complementarity then says whether they actually do.
KIND_COMPATIBILITY: dict[frozenset[str], float] = {
    frozenset(pair): value
    for pair, value in [
        (("city",), 1.0),
        (("city", "province"), 0.5),  # crosses levels: a province's peer is a province or state
        (("province",), 1.0),
        (("university",), 1.0),
        (("university", "academy"), 1.0),
        (("academy",), 1.0),
        (("school",), 1.0),
        (("school", "university"), 0.5),
        (("business",), 1.0),
        (("business", "chamber"), 1.0),
        (("chamber",), 1.0),
        (("expert", "university"), 1.0),
        (("expert", "academy"), 1.0),
        (("expert", "health"), 1.0),
        (("expert", "ngo"), 1.0),
        (("expert", "business"), 1.0),
        (("expert", "farmers"), 1.0),
        (("expert", "school"), 1.0),
        (("diaspora", "city"), 0.5),
        (("diaspora", "ngo"), 0.5),
        (("diaspora", "cultural"), 0.5),
        (("health",), 1.0),
        (("health", "university"), 0.5),
        (("ngo",), 1.0),
        (("farmers",), 1.0),
        (("farmers", "academy"), 0.5),
        (("farmers", "business"), 0.5),
        (("media",), 1.0),
        (("cultural",), 1.0),
        (("religious",), 1.0),
        (("government",), 1.0),
        (("legislature",), 1.0),
    ]
}

# the levels of government and of education: a pair on one ladder but on different rungs
# "crosses levels" (a city and a state, a school and a university)
LEVELS: dict[str, tuple[str, int]] = {
    "city": ("government", 1),
    "province": ("government", 2),
    "school": ("education", 1),
    "university": ("education", 2),
    "academy": ("education", 2),
}
# ties of one cross-level kind pair the training graph must hold before the learned kind_fit
# alone prices a crossing of that pair: with fewer, one or two ties would speak for them all
MIN_LEVEL_TIES = 5
# fixed weights of rule features (log-odds): a crossing with too few ties to learn from costs
# 3, e^3 = 20 times lower odds than the same pair at one level. Enough for a province's peers
# (US states, which hold no ties in the registry) to outrank the most-twinned US cities, whose
# existing ties add up to about +4 (the demo's learned candidate_degree weight x log1p(40))
RULE_WEIGHTS = {"cross_level": -3.0}


def crosses_levels(kind_a: str, kind_b: str) -> bool:
    """True for two kinds on one ladder at different levels: city and province (a US state is
    a province), school and university."""
    one, two = LEVELS.get(kind_a), LEVELS.get(kind_b)
    return one is not None and two is not None and one[0] == two[0] and one[1] != two[1]


EARTH_KM = 6371.0
UNKNOWN_DISTANCE_KM = 5000.0
UNKNOWN_POPULATION_GAP = 1.0  # an order of magnitude: neither close nor far
CLIMATE_BANDS = np.array([23.5, 35.0, 55.0])  # |latitude| edges: tropical | sub | temperate | polar


def _unit_vectors(latitude: np.ndarray, longitude: np.ndarray) -> np.ndarray:
    lat, lon = np.radians(latitude), np.radians(longitude)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


@dataclass
class ActorTable:
    """Every actor as aligned arrays; ``index`` maps an actor id to its row."""

    frame: pd.DataFrame
    index: dict[int, int]
    country_code: np.ndarray  # country as an integer code
    kind_code: np.ndarray
    kind_matrix: np.ndarray  # kind code x kind code -> compatibility
    level_matrix: np.ndarray  # kind code x kind code -> 1.0 where the two cross levels
    log_population: np.ndarray  # NaN when unknown
    unit: np.ndarray  # (n, 3) points on the unit sphere, NaN when unknown
    climate: np.ndarray  # band 0-3, -1 when unknown
    capital: np.ndarray  # 1.0 for a national capital
    offered: sparse.csr_matrix  # actor x area, 0/1
    needed: sparse.csr_matrix
    neutral_share: np.ndarray
    text: sparse.csr_matrix  # L2-normalised TF-IDF rows
    diaspora_nearby: np.ndarray  # log1p(diaspora actors within 50 km / same place, same country)
    diaspora: DiasporaTable  # figures of each origin's people per candidate row

    @property
    def ids(self) -> np.ndarray:
        return self.frame["id"].to_numpy()

    def row(self, actor_id: int) -> int:
        if actor_id not in self.index:
            raise NotFoundError(f"no actor with id {actor_id} in the registry")
        return self.index[actor_id]


def read_actors(registry: Registry, *, text: str = "tfidf") -> ActorTable:
    """Every actor of the registry, ready for :func:`pair_features`."""
    columns = [Actor.id, Actor.name, Actor.country, Actor.kind, Actor.latitude, Actor.longitude]
    columns += [Actor.population, Actor.areas_offered, Actor.areas_needed, Actor.description]
    columns += [Actor.place, Actor.geonames_id, Actor.admin1, Actor.admin1_name]
    with registry.engine.connect() as connection:
        frame = pd.read_sql(select(*columns).order_by(Actor.id), connection)
    if frame.empty:
        raise NotFoundError("the registry has no actors: load some first (tracktwo bridges load)")
    return actor_table(frame, text, figures=read_figures(registry))


def actor_table(
    frame: pd.DataFrame, text: str = "tfidf", *, figures: pd.DataFrame | None = None
) -> ActorTable:
    """An :class:`ActorTable` from a frame with the columns :func:`read_actors` reads, and the
    diaspora figure links of ``_diaspora_features.read_figures`` (none: nothing known)."""
    kinds = sorted(set(frame["kind"]) | {k for pair in KIND_COMPATIBILITY for k in pair})
    kind_code = frame["kind"].map({k: i for i, k in enumerate(kinds)}).to_numpy()
    population = frame["population"].astype("float64").to_numpy()
    latitude = frame["latitude"].astype("float64").to_numpy()
    offered, needed, neutral = _areas(frame)
    return ActorTable(
        frame=frame,
        index={int(i): row for row, i in enumerate(frame["id"])},
        country_code=pd.factorize(frame["country"])[0],
        kind_code=kind_code,
        kind_matrix=_kind_matrix(kinds),
        level_matrix=np.array([[float(crosses_levels(a, b)) for b in kinds] for a in kinds]),
        log_population=np.where(
            population > 0, np.log10(np.where(population > 0, population, 1)), np.nan
        ),
        unit=_unit_vectors(latitude, frame["longitude"].astype("float64").to_numpy()),
        climate=np.where(np.isnan(latitude), -1, np.searchsorted(CLIMATE_BANDS, np.abs(latitude))),
        capital=_capital_flags(frame),
        offered=offered,
        needed=needed,
        neutral_share=neutral,
        text=_text_vectors(frame["description"], text),
        diaspora_nearby=_diaspora_nearby(frame),
        diaspora=diaspora_table(frame, figures),
    )


def _diaspora_nearby(frame: pd.DataFrame) -> np.ndarray:
    """log1p of the diaspora associations the registry records in each actor's country within
    DIASPORA_RADIUS_KM of it (or, without coordinates, in the same place). The registry does
    not say which country a diaspora comes from, so every diaspora actor nearby counts."""
    diaspora = np.flatnonzero((frame["kind"] == "diaspora").to_numpy())
    counts = np.zeros(len(frame))
    if len(diaspora) == 0:
        return counts
    unit = _unit_vectors(frame["latitude"].astype("float64").to_numpy(),
                         frame["longitude"].astype("float64").to_numpy())  # fmt: skip
    country = frame["country"].to_numpy()
    places = frame["place"] if "place" in frame else pd.Series([None] * len(frame))
    place = places.fillna("").astype(str).str.strip().str.casefold().to_numpy()
    limit = np.cos(DIASPORA_RADIUS_KM / EARTH_KM)  # cosine of the angle the radius spans
    for row in diaspora:
        near = np.zeros(len(frame), dtype=bool)
        if not np.isnan(unit[row, 0]):
            near = (unit @ unit[row]) >= limit
        nearby = (near | ((place == place[row]) & (place != ""))) & (country == country[row])
        nearby[row] = False  # a diaspora association is not its own neighbour
        counts += nearby
    return np.log1p(np.maximum(counts, 0))


def _kind_matrix(kinds: list[str]) -> np.ndarray:
    matrix = np.zeros((len(kinds), len(kinds)))
    for i, one in enumerate(kinds):
        for j, two in enumerate(kinds):
            matrix[i, j] = KIND_COMPATIBILITY.get(frozenset((one, two)), 0.0)
    return matrix


def _capital_flags(frame: pd.DataFrame) -> np.ndarray:
    """1.0 for the actor whose GeoNames id is its country's capital's; a frame without
    GeoNames ids (or an actor without one) has no capital: a name never makes one."""
    if "geonames_id" not in frame:
        return np.zeros(len(frame))
    capital = frame["country"].map(capital_geonames_ids())
    ids = pd.to_numeric(frame["geonames_id"], errors="coerce")
    return (ids.notna() & (ids == capital)).to_numpy(dtype=float)


def _area_lists(column: pd.Series) -> list[list[str]]:
    # JSON columns come back as lists (PostgreSQL) or as JSON text (SQLite through read_sql)
    import json

    return [json.loads(v) if isinstance(v, str) else list(v or []) for v in column]


def _areas(frame: pd.DataFrame) -> tuple[sparse.csr_matrix, sparse.csr_matrix, np.ndarray]:
    areas = load_taxonomy().areas
    names = sorted(areas)
    position = {a: i for i, a in enumerate(names)}
    neutral = np.array([areas[a].sensitivity == "neutral" for a in names], dtype=float)
    matrices = []
    for column in ("areas_offered", "areas_needed"):
        lists = _area_lists(frame[column])
        rows = [r for r, items in enumerate(lists) for a in items if a in position]
        cols = [position[a] for items in lists for a in items if a in position]
        shape = (len(frame), len(names))
        data = np.ones(len(rows))
        matrices.append(sparse.csr_matrix((data, (rows, cols)), shape=shape).sign().tocsr())
    listed = matrices[0] + matrices[1]
    total = np.asarray(listed.sum(axis=1)).ravel()
    neutral_count = listed @ neutral
    return matrices[0], matrices[1], np.where(total > 0, neutral_count / np.maximum(total, 1), 1.0)


def _text_vectors(descriptions: pd.Series, text: str) -> sparse.csr_matrix:
    if text not in ("tfidf", "embeddings", "none"):
        raise ConfigError(f"unknown text model {text!r}; one of: tfidf, embeddings, none")
    filled = descriptions.fillna("").astype(str)
    if text == "embeddings":
        from tracktwo.match._embeddings import embed_descriptions

        return embed_descriptions(filled.tolist())
    if text == "none" or not filled.str.strip().any():
        return sparse.csr_matrix((len(filled), 1))
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(filled).tocsr()


@dataclass
class TieGraph:
    """The ties a model may know, as a symmetric sparse adjacency over the actor rows."""

    adjacency: sparse.csr_matrix  # 0/1, actor row x actor row
    degree: np.ndarray
    active_degree: np.ndarray
    country_ties: sparse.csr_matrix  # actor row x country code: ties to that country
    # kind code x kind code: 1.0 where the pair crosses levels and the graph holds fewer than
    # MIN_LEVEL_TIES ties of that kind pair: the rule's cells (RULE_WEIGHTS)
    cross_level: np.ndarray

    def tied(self, sources: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        return np.asarray(self.adjacency[sources, candidates]).ravel() > 0


def read_ties(registry: Registry) -> pd.DataFrame:
    """Every tie: id, actor_a_id, actor_b_id, status. Declined proposals are not ties: a
    model neither learns from them nor counts them in a degree."""
    columns = [Tie.id, Tie.actor_a_id, Tie.actor_b_id, Tie.status]
    statement = select(*columns).where(Tie.status != DECLINED).order_by(Tie.id)
    with registry.engine.connect() as connection:
        return pd.read_sql(statement, connection)


def build_graph(actors: ActorTable, ties: pd.DataFrame) -> TieGraph:
    """The graph of ``ties`` (already stripped of any held-out ones)."""
    n = len(actors.frame)
    a = ties["actor_a_id"].map(actors.index).to_numpy(dtype=np.int64)
    b = ties["actor_b_id"].map(actors.index).to_numpy(dtype=np.int64)
    ones = np.ones(2 * len(a))
    adjacency = sparse.csr_matrix((ones, (np.r_[a, b], np.r_[b, a])), shape=(n, n)).sign().tocsr()
    active = (ties["status"] == "active").to_numpy()
    active_degree = np.bincount(np.r_[a[active], b[active]], minlength=n).astype(float)
    countries = actors.country_code.max() + 1
    one_hot = sparse.csr_matrix((np.ones(n), (np.arange(n), actors.country_code)), (n, countries))
    return TieGraph(
        adjacency=adjacency,
        degree=np.asarray(adjacency.sum(axis=1)).ravel(),
        active_degree=active_degree,
        country_ties=(adjacency @ one_hot).tocsr(),
        cross_level=_learnable_levels(actors, a, b),
    )


def _learnable_levels(actors: ActorTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The level matrix, kept for the kind pairs with fewer than MIN_LEVEL_TIES ties."""
    kinds = len(actors.level_matrix)
    counts = np.zeros((kinds, kinds))
    np.add.at(counts, (actors.kind_code[a], actors.kind_code[b]), 1.0)
    counts = counts + counts.T - np.diag(np.diag(counts))
    return actors.level_matrix * (counts < MIN_LEVEL_TIES)


def _rowwise_dot(matrix: sparse.csr_matrix, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.asarray(matrix[left].multiply(matrix[right]).sum(axis=1)).ravel()


def _shared_partners(
    actors: ActorTable, graph: TieGraph, sources: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """Actors tied to both, counted only when they sit in a third country."""
    both = graph.adjacency[sources].multiply(graph.adjacency[candidates]).tocoo()
    partner_country = actors.country_code[both.col]
    third = (partner_country != actors.country_code[sources[both.row]]) & (
        partner_country != actors.country_code[candidates[both.row]]
    )
    return np.bincount(both.row[third], minlength=len(sources)).astype(float)


def _distance_km(actors: ActorTable, sources: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    cosine = np.einsum("ij,ij->i", actors.unit[sources], actors.unit[candidates])
    km = EARTH_KM * np.arccos(np.clip(cosine, -1.0, 1.0))
    return np.where(np.isnan(km), UNKNOWN_DISTANCE_KM, km)


def pair_features(
    actors: ActorTable,
    graph: TieGraph,
    sources: np.ndarray,
    candidates: np.ndarray,
    *,
    capacity: int | None,
    own_tie: np.ndarray | None = None,
) -> np.ndarray:
    """The :data:`FEATURES` of each (source row, candidate row) pair, one row per pair.

    ``own_tie`` marks training positives: pairs whose tie is in ``graph`` itself. Their own tie
    is taken out of the candidate's degree and country ties, so a positive looks like a
    held-out tie does at prediction time (the tie not yet known).
    """
    own = np.zeros(len(sources)) if own_tie is None else own_tie.astype(float)
    degree = graph.degree[candidates] - own
    active = np.maximum(graph.active_degree[candidates] - own, 0)
    country_ties = (
        np.asarray(graph.country_ties[candidates, actors.country_code[sources]]).ravel() - own
    )
    gap = np.abs(actors.log_population[sources] - actors.log_population[candidates])
    columns = {
        "kind_fit": actors.kind_matrix[actors.kind_code[sources], actors.kind_code[candidates]],
        "cross_level": graph.cross_level[actors.kind_code[sources], actors.kind_code[candidates]],
        "complementarity": _complementarity(actors, sources, candidates),
        # cosine below 0 (possible with embeddings) counts as no affinity: text lies in [0, 1]
        "text": np.maximum(_rowwise_dot(actors.text, sources, candidates), 0.0),
        "population_similarity": -np.where(np.isnan(gap), UNKNOWN_POPULATION_GAP, gap),
        "distance": np.log1p(_distance_km(actors, sources, candidates)),
        "same_climate": (
            (actors.climate[sources] == actors.climate[candidates]) & (actors.climate[sources] >= 0)
        ).astype(float),
        "capital_pair": actors.capital[sources] * actors.capital[candidates],
        "candidate_capital": actors.capital[candidates],
        "candidate_degree": np.log1p(degree),
        "shared_partners": np.log1p(_shared_partners(actors, graph, sources, candidates)),
        "partner_country_ties": np.log1p(np.maximum(country_ties, 0)),
        "neutral_share": actors.neutral_share[candidates],
        "diaspora_nearby": actors.diaspora_nearby[candidates],
        **diaspora_columns(actors.diaspora, sources, candidates),
        "over_capacity": np.log1p(np.maximum(active - capacity, 0)) if capacity else 0.0 * own,
    }
    return np.column_stack([columns[name] for name in FEATURES])


def _complementarity(actors: ActorTable, sources: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """(|offered_s ∩ needed_c| + |offered_c ∩ needed_s|) / (|needed_s| + |needed_c|), 0 if none."""
    met = _cross_dot(actors.offered, actors.needed, sources, candidates)
    met += _cross_dot(actors.offered, actors.needed, candidates, sources)
    needs = np.asarray(actors.needed.sum(axis=1)).ravel()
    total = needs[sources] + needs[candidates]
    return np.where(total > 0, met / np.maximum(total, 1), 0.0)


def _cross_dot(
    left: sparse.csr_matrix, right: sparse.csr_matrix, rows: np.ndarray, others: np.ndarray
) -> np.ndarray:
    return np.asarray(left[rows].multiply(right[others]).sum(axis=1)).ravel()


# how each score component reads in an explanation (the briefing, the dashboard)
FEATURE_LABELS = {
    "kind_fit": "compatible kinds",
    "cross_level": "partners at different levels",
    "complementarity": "one offers what the other needs",
    "text": "similar descriptions",
    "population_similarity": "similar population",
    "distance": "distance",
    "same_climate": "same climate band",
    "capital_pair": "both capitals",
    "candidate_capital": "partner is a capital",
    "candidate_degree": "partner's existing ties",
    "shared_partners": "partners in common in third countries",
    "partner_country_ties": "ties with the other country",
    "neutral_share": "partner works in neutral areas",
    "diaspora_nearby": "diaspora nearby",
    "diaspora_known": "diaspora figures exist",
    "diaspora_size": "diaspora in the partner's place",
    "diaspora_share": "diaspora share of the partner's population",
    "over_capacity": "capacity penalty",
}
