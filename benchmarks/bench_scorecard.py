"""Time ``tracktwo bridges score KHM USA`` over a synthetic registry of 100k actors and 1M ties.

    python benchmarks/bench_scorecard.py [--actors N] [--ties M] [--activities K] [--rebuild]

Target (issue, 2 cores): the scorecard in <= 5 s on SQLite; its peak memory is printed.

The registry is a SQLite file under the temp dir, migrated by ``Registry`` and filled with
the sqlite3 module's ``executemany`` inside one transaction (about a minute for 1M ties); a
later run with the same sizes reuses it. Seeded numpy draws: half the actors in KHM, half in
USA, kinds from the whole vocabulary (so ~15% official), 5% politicised; each tie joins a KHM
and a USA actor drawn with a skew (actor i with weight ∝ 1/(i+50)), so a few actors are busy;
0–3 areas; statuses 85% active, 5% each dormant / ended / proposed; starts 0–35 years before
2025-06-30, skewed to recent years; the activities fall on random ties between 2015-01-01 and
2025-06-30. About a third of the ties are active at 2025-06-30, the date scored.

The build runs in a child process, so the figure printed is the scorer's own peak RSS
(``ru_maxrss``, KiB on Linux): Linux copies a parent's peak into a spawned child, not back.
Printed: the load (the actors query, then the ties query with each tie's status computed
in SQL, into numpy) and the whole ``scorecard`` call, best of 3, the peak memory after them,
and one ``scorecard_by_year`` call for information.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

TARGET_SECONDS = 5.0
AT = date(2025, 6, 30)
BATCH = 200_000
GENERATOR_VERSION = 2


def _home(actors: int, ties: int, activities: int) -> Path:
    name = f"tracktwo-bench-scorecard-v{GENERATOR_VERSION}-{actors}-{ties}-{activities}"
    return Path(tempfile.gettempdir()) / name


def _iso(days: np.ndarray) -> list[str]:
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").tolist()


def _actor_rows(rng: np.random.Generator, count: int) -> list[tuple]:
    from tracktwo.bridges import load_vocabulary

    kinds = np.array(sorted(load_vocabulary().kinds))
    countries = np.where(np.arange(count) % 2 == 0, "KHM", "USA")
    drawn = kinds[rng.integers(0, kinds.size, count)]
    funded = np.where(rng.random(count) < 0.03, countries, None)
    stance = np.where(rng.random(count) < 0.02, "aligned", None)
    return [
        (i + 1, f"actor {i + 1}", str(countries[i]), str(drawn[i]), funded[i], stance[i])
        for i in range(count)
    ]


def _skewed(rng: np.random.Generator, side: int, size: int) -> np.ndarray:
    """Indexes in [0, side) with P(i) ∝ 1/(i + 50): a few busy actors, a long tail."""
    weights = 1.0 / (np.arange(side) + 50.0)
    return rng.choice(side, size=size, p=weights / weights.sum())


def _tie_rows(rng: np.random.Generator, actors: int, count: int) -> list[tuple]:
    from tracktwo.taxonomy import load_taxonomy

    side = actors // 2  # KHM actors have odd ids (1, 3, ...), USA even ids
    khm = 2 * _skewed(rng, side, count) + 1
    usa = 2 * rng.permutation(side)[_skewed(rng, side, count)] + 2
    names = sorted(load_taxonomy().areas)
    area_sets = [json.dumps(sorted(set(rng.choice(names, k).tolist()))) for k in range(4)]
    area_sets += [json.dumps([n]) for n in names]
    areas = rng.integers(0, len(area_sets), count)
    status = rng.choice(["active", "dormant", "ended", "proposed"], count, p=[0.85] + [0.05] * 3)
    # starts skewed to recent years (as registries fill up): 2025-06-30 minus 0-35 years
    start = np.datetime64("2025-06-30") - (35 * 365 * rng.random(count) ** 2).astype(int)
    end = np.where(status == "ended", start + rng.integers(30, 3000, count), np.datetime64("NaT"))
    start_text, end_text = _iso(start), _iso(end)
    return [
        (i + 1, int(khm[i]), int(usa[i]), "other", area_sets[areas[i]], str(status[i]),
         start_text[i], None if end_text[i] == "NaT" else end_text[i])
        for i in range(count)
    ]  # fmt: skip


def _activity_rows(rng: np.random.Generator, ties: int, count: int) -> list[tuple]:
    tie_ids = rng.integers(1, ties + 1, count)
    days = _iso(np.datetime64("2015-01-01") + rng.integers(0, 10 * 365 + 180, count))
    return [(int(tie_ids[i]), days[i], "event") for i in range(count)]


def _insert(connection: sqlite3.Connection, sql: str, rows: list[tuple]) -> None:
    for first in range(0, len(rows), BATCH):
        connection.executemany(sql, rows[first : first + BATCH])


def build(home: Path, actors: int, ties: int, activities: int) -> None:
    from tracktwo.bridges import Registry

    home.mkdir(parents=True, exist_ok=True)
    with Registry(home=home) as registry:
        path = registry.engine.url.database
    rng = np.random.default_rng(20240630)
    connection = sqlite3.connect(str(path), isolation_level=None)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("BEGIN")
    _insert(connection, "INSERT INTO actors (id, name, country, kind, funded_by, stance, "
            "areas_offered, areas_needed, alt_names) VALUES (?, ?, ?, ?, ?, ?, '[]', '[]', '[]')",
            _actor_rows(rng, actors))  # fmt: skip
    _insert(connection, "INSERT INTO ties (id, actor_a_id, actor_b_id, channel, areas, status, "
            "start_date, end_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            _tie_rows(rng, actors, ties))  # fmt: skip
    _insert(connection, "INSERT INTO activities (tie_id, activity_date, kind) VALUES (?, ?, ?)",
            _activity_rows(rng, ties, activities))  # fmt: skip
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()


def _ensure(args: argparse.Namespace) -> Path:
    home = _home(args.actors, args.ties, args.activities)
    done = home / "built"
    if done.exists() and not args.rebuild:
        print(f"reusing {home}")
        return home
    for stale in home.glob("registry.sqlite*"):
        stale.unlink()
    started = time.perf_counter()
    child = [sys.executable, __file__, "--build-only", "--actors", str(args.actors),
             "--ties", str(args.ties), "--activities", str(args.activities)]  # fmt: skip
    subprocess.run(child, check=True)
    done.write_text("ok\n")
    print(f"built {home} in {time.perf_counter() - started:.1f} s")
    return home


def _best_of(runs: int, call: object) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best, result


def measure(home: Path) -> int:
    from tracktwo.bridges import Registry
    from tracktwo.bridges._pair_ties import load_ties
    from tracktwo.bridges._scorecard import scorecard, scorecard_by_year
    from tracktwo.bridges._status import status_case
    from tracktwo.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    with Registry(home=home) as registry:

        def load() -> object:  # the queries (actors; ties with their status) into arrays
            return load_ties(registry, "KHM", "USA", taxonomy, status_case(AT).label("s"))

        load_seconds, (_, rows) = _best_of(3, load)  # type: ignore[misc]
        seconds, card = _best_of(3, lambda: scorecard(registry, "KHM", "USA", at=AT))
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        years = scorecard_by_year(registry, "KHM", "USA", at=AT)
        by_year_seconds = time.perf_counter() - started
    by_year_peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ties of the pair: {len(rows):,}; active at {AT}: {card.ties_active:,}")
    print(f"load (actors + ties with their SQL status → numpy), best of 3: {load_seconds:.2f} s")
    print(f"scorecard, best of 3: {seconds:.2f} s (the load included)")
    print(f"scorecard_by_year ({len(years)} years), once: {by_year_seconds:.2f} s")
    print(f"peak memory (ru_maxrss): {peak_mib:,.0f} MiB after the scorecard calls, "
          f"{by_year_peak_mib:,.0f} MiB after scorecard_by_year")  # fmt: skip
    print(f"figures: components {card.components:,}, kind H {card.kind_entropy:.3f}, "
          f"people-to-people {card.people_to_people_share:.3f}")  # fmt: skip
    verdict = "PASS" if seconds <= TARGET_SECONDS else "FAIL"
    print(f"{verdict}: scorecard {seconds:.2f} s (target <= {TARGET_SECONDS:.0f} s)")
    return 0 if verdict == "PASS" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--ties", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="build even if kept")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_only:
        build(_home(args.actors, args.ties, args.activities), args.actors, args.ties,
              args.activities)  # fmt: skip
        return 0
    return measure(_ensure(args))


if __name__ == "__main__":
    sys.exit(main())
