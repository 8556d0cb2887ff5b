"""Time the UN ideal-point fit of every country and session, 1946-2019, from the shipped votes.

    python benchmarks/bench_ideal_points.py [--repeats R]

Target (issue 13, 2 cores): the full fit in <= 60 s.

A fresh store in a temp dir gets the shipped votes (870,109 votes on 6,203 roll calls); then
``fit_ideal_points`` is timed ``--repeats`` times (default 2; best kept), from reading the votes
to saving the positions. The reference, measured in the same run: one evaluation of the
objective and its gradient at the starting point (best of 5), the unit the optimiser's work is
made of. Their ratio, the fit in evaluation-equivalents, hardly depends on how busy the
machine is; the wall time does.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from tracktwo.datasets import dataset_path
    from tracktwo.pulse import fit_ideal_points, ingest_votes
    from tracktwo.pulse._ideal_model import Priors, initial_values, negative_log_posterior
    from tracktwo.pulse._ideal_points import _load_votes, _sessions
    from tracktwo.store import EventStore

    with tempfile.TemporaryDirectory() as home, EventStore(Path(home), write=True) as store:
        ingest_votes(store, dataset_path("un_votes.csv.gz"), dataset_path("un_roll_calls.csv.gz"))
        data = _load_votes(store, *_sessions(store, None, None)).data
        print(f"votes {data.n_votes:,}  roll calls {data.n_items:,}  positions "
              f"{data.n_positions:,}  parameters {data.n_parameters:,}")  # fmt: skip
        x = initial_values(data)
        evaluation = min(
            _timed(lambda: negative_log_posterior(x, data, Priors())) for _ in range(5)
        )
        print(f"reference: one objective + gradient evaluation  {evaluation * 1000:.1f} ms")
        best, fit = float("inf"), None
        for repeat in range(args.repeats):
            started = time.perf_counter()
            fit = fit_ideal_points(store)
            seconds = time.perf_counter() - started
            best = min(best, seconds)
            print(f"fit {repeat + 1}: {seconds:.1f} s  ({fit.iterations} iterations, "
                  f"{'converged' if fit.converged else 'NOT converged'})")  # fmt: skip
        assert fit is not None
        print(f"best fit {best:.1f} s = {best / evaluation:,.0f} evaluation-equivalents")
        verdict = "PASS" if best <= TARGET_SECONDS else "FAIL"
        print(f"target: full 1946-{fit.last_year} fit <= {TARGET_SECONDS:.0f} s   {verdict}")


def _timed(work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
