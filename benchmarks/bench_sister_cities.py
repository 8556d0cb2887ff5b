"""Import the whole Wikipedia sister-city list into a fresh registry and print the match rate
and the time (target: under a minute on 2 cores).

    python benchmarks/bench_sister_cities.py [--db URL]

By default a SQLite registry in a temporary folder; ``--db`` takes a PostgreSQL URL.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time

TARGET_SECONDS = 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=None, help="registry URL (default: a fresh SQLite file)")
    args = parser.parse_args(argv)

    from tracktwo.bridges import Registry
    from tracktwo.bridges._loaders import load_sister_cities

    with tempfile.TemporaryDirectory() as home:
        registry = Registry(args.db, home=home)
        start = time.perf_counter()
        report = load_sister_cities(registry)
        seconds = time.perf_counter() - start
        registry.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"registry   {'SQLite (fresh)' if args.db is None else args.db}")
    for row in report.rows():
        print(f"  {row['measure']:28s} {row['value']}")
    print(f"match rate {report.match_rate:.1%}")
    print(f"time       {seconds:.1f} s; peak RSS {peak:,.0f} MiB")
    verdict = "PASS" if seconds <= TARGET_SECONDS else "FAIL"
    print(f"target: whole list in <= {TARGET_SECONDS:.0f} s   {verdict} ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
