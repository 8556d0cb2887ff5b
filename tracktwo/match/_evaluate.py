"""Does the recommender find real ties? A held-out evaluation against simple rules.

Protocol (docs/match.md): hide a random ``holdout`` share of the registry's ties, fit on the
rest (the hidden ties inform no feature: not degree, not shared partners), then for each hidden
tie take one side at random as the source and rank its true partner among every actor of the
partner's country that the source could be recommended (compatible kind, not tied in training).
A rank counts ties of score as half (the expected rank under a random tie-break):
``rank = 1 + #(better) + #(equal, other than the partner) / 2``.

Reported per method: hit@10 and hit@50 (share of ranks ≤ 10, ≤ 50), MRR (mean of 1/rank) and the
median rank percentile (rank / number of candidates; lower is better). Baselines: ``random``,
``population`` (closest population, −|log10 ratio|), ``most_connected`` (training degree) and
``nearest`` (shortest great-circle distance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracktwo._errors import InputError, NotFoundError
from tracktwo.bridges import Registry
from tracktwo.match._calibration import brier_score, held_out_cases, reliability_table
from tracktwo.match._diaspora_features import DIASPORA_FEATURES
from tracktwo.match._features import (
    FEATURES,
    ActorTable,
    pair_features,
    read_actors,
    read_ties,
)
from tracktwo.match._recommender import Recommender

__all__ = [
    "METHODS",
    "EvaluationReport",
    "evaluate",
    "evaluate_report",
    "rank_of",
    "ranking_metrics",
]

METHODS = ("model", "random", "population", "most_connected", "nearest")


def rank_of(scores: np.ndarray, true_position: int) -> float:
    """The rank of ``scores[true_position]`` (1 = best), ties of score counted as half."""
    true_score = scores[true_position]
    better = int((scores > true_score).sum())
    equal = int((scores == true_score).sum()) - 1
    return 1.0 + better + equal / 2.0


def ranking_metrics(ranks: np.ndarray, pool_sizes: np.ndarray) -> dict[str, float]:
    """hit@10, hit@50, MRR and median rank percentile of ``ranks`` among ``pool_sizes``."""
    return {
        "hit@10": float((ranks <= 10).mean()),
        "hit@50": float((ranks <= 50).mean()),
        "mrr": float((1.0 / ranks).mean()),
        "median_percentile": float(np.median(ranks / pool_sizes)),
    }


def evaluate(
    registry: Registry,
    *,
    holdout: float = 0.2,
    seed: int = 0,
    source_country: str | None = None,
    recommender: Recommender | None = None,
) -> pd.DataFrame:
    """One row per method: hit@10, hit@50, mrr, median_percentile, and n (held-out ties)."""
    if not 0 < holdout < 1:
        raise InputError(f"holdout must be between 0 and 1, not {holdout}")
    model = recommender if recommender is not None else Recommender(capacity=None)
    actors = read_actors(registry, text=model.text)
    ties = read_ties(registry)
    hidden = _held_out(ties, holdout, seed)
    model.fit_tables(actors, ties, exclude_ties=set(hidden["id"]))
    cases = _cases(model, hidden, seed, source_country)
    return _table(model, cases, seed)


def _held_out(ties: pd.DataFrame, holdout: float, seed: int) -> pd.DataFrame:
    if len(ties) < 2:
        raise NotFoundError("the registry needs at least two ties to hold some out")
    count = min(max(1, round(holdout * len(ties))), len(ties) - 1)
    chosen = np.random.default_rng(seed).choice(len(ties), size=count, replace=False)
    return ties.iloc[np.sort(chosen)]


def _cases(
    model: Recommender, hidden: pd.DataFrame, seed: int, source_country: str | None
) -> list[tuple[int, np.ndarray, int]]:
    """(source row, candidate rows, position of the true partner) for each held-out tie."""
    cases = held_out_cases(model, hidden, np.random.default_rng(seed + 1), source_country)
    if not cases:
        raise NotFoundError("no held-out tie to rank (check source_country and the registry)")
    return cases


def _table(model: Recommender, cases: list[tuple[int, np.ndarray, int]], seed: int) -> pd.DataFrame:
    return _ranked(model, cases, seed)[0]


def _ranked(
    model: Recommender, cases: list[tuple[int, np.ndarray, int]], seed: int
) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """The table of every method, and the model's scores of each case's pool."""
    rng = np.random.default_rng(seed + 2)
    ranks: dict[str, list[float]] = {m: [] for m in METHODS}
    sizes = np.array([len(pool) for _, pool, _ in cases], dtype=float)
    model_scores = []
    for source, pool, truth in cases:
        sources = np.full(len(pool), source)
        for method, scores in _method_scores(model, sources, pool, rng).items():
            ranks[method].append(rank_of(scores, truth))
            if method == "model":
                model_scores.append(scores)
    rows = [
        {"method": m, **ranking_metrics(np.array(ranks[m]), sizes), "n": len(cases)}
        for m in METHODS
    ]
    return pd.DataFrame(rows), model_scores


def _method_scores(
    model: Recommender, sources: np.ndarray, pool: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    values = pair_features(model.actors_, model.graph_, sources, pool, capacity=model.capacity)
    column = {name: values[:, i] for i, name in enumerate(FEATURES)}
    return {
        "model": model.intercept_ + values @ model.coef_,
        "random": rng.random(len(pool)),
        "population": column["population_similarity"],
        "most_connected": column["candidate_degree"],
        "nearest": -column["distance"],
    }


# -- the full report: per country over seeds, one country pair left out tie by tie, calibration


@dataclass
class EvaluationReport:
    """What ``match evaluate`` prints (docs/match.md, "Evaluation protocol")."""

    world: pd.DataFrame  # evaluate(): one row per method
    by_country: pd.DataFrame  # country, ties, mrr/hit@10 mean, min, max over seeds, n
    calibration: pd.DataFrame  # reliability table of the chance on the held-out pools
    brier: pd.DataFrame  # Brier score of the chance, the uncalibrated logistic, the base rate
    pair: pd.DataFrame  # the pair's ties left out one at a time: ranks with/without diaspora
    pair_summary: pd.DataFrame  # per set of ties and model: n, mrr, hit@10
    seeds: tuple[int, ...]


def evaluate_report(
    registry: Registry,
    *,
    holdout: float = 0.2,
    seed: int = 0,
    seeds: int = 5,
    countries: int = 10,
    pair: tuple[str, str] = ("KHM", "USA"),
) -> EvaluationReport:
    """The world figures of :func:`evaluate` (same holdout and seed), MRR and hit@10 per source
    country for the ``countries`` countries with most ties over ``seeds`` seeds (seed, seed+1,
    ...), the calibration of ``chance`` on the first seed's held-out pools, and the ties of
    ``pair`` (source: the first country's side) left out one at a time, with and without the
    diaspora features, beside every tie whose source's people have a figure in the partner's
    place."""
    if not 0 < holdout < 1:
        raise InputError(f"holdout must be between 0 and 1, not {holdout}")
    if seeds < 1 or countries < 1:
        raise InputError(f"seeds and countries must be at least 1, not {seeds} and {countries}")
    actors = read_actors(registry)
    ties = read_ties(registry)
    busiest = _busiest(actors.frame, ties, countries)
    per_seed, world, calibration, brier = [], pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    chosen_seeds = tuple(range(seed, seed + seeds))
    for s in chosen_seeds:
        model = Recommender(capacity=None, calibrate=s == seed)
        hidden = _held_out(ties, holdout, s)
        model.fit_tables(actors, ties, exclude_ties=set(hidden["id"]))
        if s == seed:
            world, scores = _ranked(model, _cases(model, hidden, s, None), s)
            calibration, brier = _calibration_tables(model, _cases(model, hidden, s, None), scores)
        per_seed += _country_rows(model, hidden, busiest, s)
    pair_rows = _pair_ranks(actors, ties, pair)
    return EvaluationReport(
        world=world, by_country=_over_seeds(pd.DataFrame(per_seed), busiest),
        calibration=calibration, brier=brier, pair=pair_rows,
        pair_summary=_pair_summary(pair_rows, pair), seeds=chosen_seeds,
    )  # fmt: skip


def _busiest(frame: pd.DataFrame, ties: pd.DataFrame, countries: int) -> pd.Series:
    """Ties per country (a tie counts for both its countries), the ``countries`` largest."""
    country = frame.set_index("id")["country"]
    both = pd.concat([ties["actor_a_id"].map(country), ties["actor_b_id"].map(country)])
    counts = both.value_counts()
    counts = counts.iloc[np.lexsort((counts.index.to_numpy(), -counts.to_numpy()))]
    return counts.head(countries)


def _model_ranks(model: Recommender, cases: list[tuple[int, np.ndarray, int]]) -> np.ndarray:
    return np.array([
        rank_of(model.score_pairs(np.full(len(pool), source), pool), truth)
        for source, pool, truth in cases
    ])  # fmt: skip


def _country_rows(
    model: Recommender, hidden: pd.DataFrame, busiest: pd.Series, seed: int
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for country in busiest.index:
        cases = held_out_cases(model, hidden, np.random.default_rng(seed + 3), str(country))
        if not cases:
            continue
        ranks = _model_ranks(model, cases)
        rows.append({"country": country, "seed": seed, "mrr": float((1 / ranks).mean()),
                     "hit@10": float((ranks <= 10).mean()), "n": len(cases)})  # fmt: skip
    return rows


def _over_seeds(rows: pd.DataFrame, busiest: pd.Series) -> pd.DataFrame:
    """Per country: mean, min and max of MRR and hit@10 over the seeds, mean cases per seed."""
    if rows.empty:
        return pd.DataFrame(columns=["country", "ties", "mrr", "mrr_min", "mrr_max"])
    grouped = rows.groupby("country", sort=False)
    table = pd.DataFrame({
        "ties": busiest.reindex(grouped.size().index).to_numpy(),
        "mrr": grouped["mrr"].mean(), "mrr_min": grouped["mrr"].min(),
        "mrr_max": grouped["mrr"].max(), "hit@10": grouped["hit@10"].mean(),
        "hit@10_min": grouped["hit@10"].min(), "hit@10_max": grouped["hit@10"].max(),
        "n_per_seed": grouped["n"].mean(), "seeds": grouped.size(),
    })  # fmt: skip
    return table.reset_index()


def _calibration_tables(
    model: Recommender, cases: list[tuple[int, np.ndarray, int]], scores: list[np.ndarray]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reliability and Brier score of the chance on every pair of every held-out pool (the
    true partner 1, each other candidate 0), against the uncalibrated logistic of the score
    and the constant base rate."""
    labels = np.concatenate([np.eye(1, len(pool), truth).ravel() for _, pool, truth in cases])
    score = np.concatenate(scores)
    logistic = 1 / (1 + np.exp(-score))
    base = np.full(len(labels), labels.mean())
    rows = [{"forecast": "logistic of the score (uncalibrated)",
             "brier": brier_score(logistic, labels), "mean": float(logistic.mean())},
            {"forecast": "base rate (the same for every pair)",
             "brier": brier_score(base, labels), "mean": float(base.mean())}]  # fmt: skip
    if model.calibration_ is None:  # too few ties to calibrate: the table shows the logistic
        brier = pd.DataFrame(rows).assign(pairs=len(labels), ties=int(labels.sum()))
        return reliability_table(logistic, labels), brier
    chance = model.calibration_.chance(score)
    rows.insert(0, {"forecast": "chance (calibrated)", "brier": brier_score(chance, labels),
                    "mean": float(chance.mean())})  # fmt: skip
    brier = pd.DataFrame(rows).assign(pairs=len(labels), ties=int(labels.sum()))
    return reliability_table(chance, labels), brier


def _pair_ranks(actors: ActorTable, ties: pd.DataFrame, pair: tuple[str, str]) -> pd.DataFrame:
    """Each tie of ``pair`` and each tie with a diaspora figure for its source's people in the
    partner's place, left out alone: the partner's rank with and without the diaspora
    features (source: the pair's first country's side; else the figure's origin side)."""
    first, second = (c.strip().upper() for c in pair)
    country = actors.frame["country"].to_numpy()
    rows = []
    for tie in ties.itertuples(index=False):
        a, b = actors.index[int(tie.actor_a_id)], actors.index[int(tie.actor_b_id)]
        if {country[a], country[b]} == {first, second}:
            source, partner = (a, b) if country[a] == first else (b, a)
        elif _has_figure(actors, a, b):
            source, partner = a, b
        elif _has_figure(actors, b, a):
            source, partner = b, a
        else:
            continue
        row = _left_out(actors, ties, int(tie.id), source, partner, (first, second))
        if row:  # empty when the partner's kind cannot be ranked for the source
            rows.append(row)
    columns = ["tie_id", "source", "partner", "in_pair", "diaspora_known", "rank",
               "rank_without_diaspora", "rank_most_connected", "candidates"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _has_figure(actors: ActorTable, source: int, partner: int) -> bool:
    origin = str(actors.frame["country"].iat[source])
    return bool(actors.diaspora.values(origin, np.array([partner]))[0, 0] > 0)


def _left_out(
    actors: ActorTable, ties: pd.DataFrame, tie_id: int, source: int, partner: int,
    pair: tuple[str, str],
) -> dict[str, object]:  # fmt: skip
    frame = actors.frame
    ranks = {}
    for name, dropped in (("rank", ()), ("rank_without_diaspora", DIASPORA_FEATURES)):
        model = Recommender(capacity=None, calibrate=False, drop_features=dropped)
        model.fit_tables(actors, ties, exclude_ties={tie_id})
        pool = model.pool(source, country=str(frame["country"].iat[partner]))
        found = np.flatnonzero(pool == partner)
        if not len(found):
            return {}  # an incompatible kind: the partner cannot be ranked
        scores = _method_scores(model, np.full(len(pool), source), pool, np.random.default_rng(0))
        ranks[name] = rank_of(scores["model"], int(found[0]))
        ranks["rank_most_connected"] = rank_of(scores["most_connected"], int(found[0]))
    countries = {str(frame["country"].iat[source]), str(frame["country"].iat[partner])}
    return {
        "tie_id": tie_id, "source": f"{frame['name'].iat[source]} ({frame['kind'].iat[source]})",
        "partner": f"{frame['name'].iat[partner]} ({frame['kind'].iat[partner]})",
        "in_pair": countries == set(pair), "diaspora_known": _has_figure(actors, source, partner),
        **ranks, "candidates": len(pool),
    }  # fmt: skip


def _mrr_hit(ranks: np.ndarray) -> dict[str, float]:
    if not len(ranks):
        return {"mrr": float("nan"), "hit@10": float("nan")}
    return {"mrr": float((1 / ranks).mean()), "hit@10": float((ranks <= 10).mean())}


def _pair_summary(rows: pd.DataFrame, pair: tuple[str, str]) -> pd.DataFrame:
    """n, MRR and hit@10 of each ranking, on the pair's ties and on those with a figure."""
    rows = rows.dropna(subset=["rank"])
    sets = {f"{pair[0]}–{pair[1]} ties": rows[rows["in_pair"].astype(bool)],
            "ties with a diaspora figure": rows[rows["diaspora_known"].astype(bool)]}  # fmt: skip
    rankings = (("rank", "model"), ("rank_without_diaspora", "model without diaspora"),
                ("rank_most_connected", "most_connected"))  # fmt: skip
    out = []
    for label, chosen in sets.items():
        for column, ranking in rankings:
            ranks = chosen[column].to_numpy(dtype=float)
            out.append({"ties": label, "ranking": ranking, "n": len(ranks), **_mrr_hit(ranks)})
    return pd.DataFrame(out)
