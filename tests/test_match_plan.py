"""From recommendations to a portfolio, and the match commands, on a small hand-made registry."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tracktwo import InputError, NotFoundError
from tracktwo.bridges import Registry
from tracktwo.bridges._edit import add_actor, add_tie
from tracktwo.match._plan import KIND_AREAS, _main_area, plan_portfolio, resolve_actor

pytestmark = pytest.mark.postgres

# (name, country, latitude, longitude, population)
CITIES = [
    ("Phnom Penh", "KHM", 11.56, 104.92, 1_573_544), ("Siem Reap", "KHM", 13.36, 103.86, 139_458),
    ("Bangkok", "THA", 13.75, 100.50, 5_104_476), ("Chiang Mai", "THA", 18.79, 98.98, 131_091),
    ("Long Beach", "USA", 33.77, -118.19, 462_257), ("Lowell", "USA", 42.63, -71.32, 106_519),
    ("Seattle", "USA", 47.61, -122.33, 608_660), ("Houston", "USA", 29.76, -95.36, 2_296_224),
]  # fmt: skip


def _world(registry: Registry) -> dict[str, int]:
    ids = {}
    for name, country, lat, lon, population in CITIES:
        row = add_actor(registry, name=name, country=country, kind="city", latitude=lat,
                        longitude=lon, population=population)  # fmt: skip
        ids[name] = row["id"]
    # known sister-city ties to learn from, none between Cambodia and the US
    for a, b in [("Phnom Penh", "Bangkok"), ("Siem Reap", "Chiang Mai"), ("Bangkok", "Houston"),
                 ("Bangkok", "Seattle"), ("Chiang Mai", "Lowell")]:  # fmt: skip
        add_tie(registry, ids[a], ids[b], "sister_city", start_date=date.today())
    return ids


def test_portfolio_for_a_pair_without_ties_yet(registry: Registry) -> None:
    ids = _world(registry)
    plan = plan_portfolio(registry, "KHM", "USA", n=2, max_per_actor=1, min_neutral=1.0)
    chosen = plan.portfolio.chosen
    # two ties, one per Cambodian city (at most one each), each to a different US city
    assert len(chosen) == 2
    assert sorted(chosen["actor_a"]) == sorted([ids["Phnom Penh"], ids["Siem Reap"]])
    assert chosen["actor_b"].nunique() == 2
    assert set(chosen["area"]) == {KIND_AREAS["city"]} == {"culture"}  # a neutral area
    assert plan.before is None and plan.after is None  # nothing to compare with yet


def test_portfolio_scorecard_before_and_after(registry: Registry) -> None:
    ids = _world(registry)
    add_tie(registry, ids["Phnom Penh"], ids["Long Beach"], "sister_city",
            areas=["culture"], start_date=date.today())  # fmt: skip
    plan = plan_portfolio(registry, "KHM", "USA", n=1, max_per_actor=1, min_neutral=1.0)
    # one active tie before, that tie plus the one chosen after
    assert (plan.before.ties_active, plan.after.ties_active) == (1, 2)
    # a new partner for Siem Reap adds a Cambodian actor; one for Phnom Penh does not
    source = plan.portfolio.chosen["actor_a"].iloc[0]
    assert plan.after.actors_a == (2 if source == ids["Siem Reap"] else 1)


def test_main_area_prefers_what_one_offers_and_the_other_needs() -> None:
    import pandas as pd

    areas = {"agriculture", "health", "culture", "education"}
    a = pd.Series({"kind": "farmers", "areas_offered": ["agriculture"], "areas_needed": ["health"]})
    b = pd.Series({"kind": "health", "areas_offered": ["health"], "areas_needed": []})
    assert _main_area(a, b, areas) == "health"  # b offers what a needs
    c = pd.Series({"kind": "university", "areas_offered": [], "areas_needed": []})
    assert _main_area(c, c, areas) == "education"  # nothing said: from the kinds


def test_resolve_actor(registry: Registry) -> None:
    ids = _world(registry)
    assert resolve_actor(registry, str(ids["Lowell"])) == ids["Lowell"]
    assert resolve_actor(registry, "siem reap") == ids["Siem Reap"]
    with pytest.raises(NotFoundError, match="no actor named 'Atlantis'"):
        resolve_actor(registry, "Atlantis")
    add_actor(registry, name="Lowell", country="USA", kind="university")
    with pytest.raises(InputError, match="2 actors are named 'Lowell'"):
        resolve_actor(registry, "Lowell")


COMMAND = [sys.executable, "-c", "from tracktwo.cli import main; main()"]


def test_match_commands(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _world(Registry(home=home))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*COMMAND, "--home", str(home), *args], capture_output=True,
                              text=True, timeout=120)  # fmt: skip

    done = run("match", "recommend", "Phnom Penh", "--country", "USA", "--k", "2", "-f", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == 2 and {r["country"] for r in rows} == {"USA"}
    # the explanation adds up: the components sum to the score minus the intercept, the same
    # for both rows, so the difference of scores equals the difference of component sums
    described = ("candidate_id", "name", "country", "kind", "score", "rank", "admin1",
                 "admin1_name", "population", "percentile", "model_rank", "chance",
                 "explanation")  # fmt: skip
    parts = [sum(v for k, v in r.items() if k not in described) for r in rows]
    assert rows[0]["score"] - rows[1]["score"] == pytest.approx(parts[0] - parts[1])
    accepted = run("match", "accept", "Phnom Penh", rows[0]["name"], "-f", "json")
    assert accepted.returncode == 0, accepted.stderr
    tie = json.loads(accepted.stdout)[0]
    assert tie["status"] == "proposed" and tie["proposal"]["score"] == pytest.approx(
        rows[0]["score"]
    )
    unknown = run("match", "recommend", "Atlantis")
    assert unknown.returncode == 2 and "no actor named 'Atlantis'" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_portfolio_command_json_is_one_object_with_integer_ids(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Registry(home=home) as registry:
        ids = _world(registry)
        add_tie(registry, ids["Phnom Penh"], ids["Long Beach"], "sister_city",
                areas=["culture"], start_date=date.today())  # fmt: skip
    options = ["--n", "1", "--max-per-actor", "1", "--min-neutral", "1.0"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*COMMAND, "--home", str(home), "match", "portfolio", "KHM", "USA",
                               *options, *args], capture_output=True, text=True,
                              timeout=120)  # fmt: skip

    done = run("-f", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert set(document) == {"ties", "scorecard_before", "scorecard_after"}
    (tie,) = document["ties"]
    # ids are JSON integers (1, not 1.0), and they are the registry's actors of each side
    assert type(tie["actor_a"]) is int and type(tie["actor_b"]) is int
    assert tie["actor_a"] in {ids["Phnom Penh"], ids["Siem Reap"]}
    assert tie["actor_b"] in {ids[c] for c in ("Long Beach", "Lowell", "Seattle", "Houston")}
    assert tie["area"] == "culture"
    before, after = document["scorecard_before"], document["scorecard_after"]
    # one active tie before (Phnom Penh–Long Beach), one more after adopting the portfolio
    assert (before["ties_active"], after["ties_active"]) == (1, 2)
    assert type(before["ties_active"]) is int
    assert before["country_a"] == "KHM" and before["at"] == date.today().isoformat()
    csv_done = run("-f", "csv")
    assert csv_done.returncode == 0, csv_done.stderr
    header, *rows = csv_done.stdout.splitlines()
    assert header.startswith("actor_a,actor_b,") and "metric" not in header and len(rows) == 1
    assert rows[0].split(",")[:2] == [str(tie["actor_a"]), str(tie["actor_b"])]


def test_portfolio_command_json_without_an_active_tie(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Registry(home=home) as registry:
        _world(registry)
    done = subprocess.run([*COMMAND, "--home", str(home), "match", "portfolio", "KHM", "USA",
                           "--n", "2", "--max-per-actor", "1", "--min-neutral", "1.0", "-f",
                           "json"], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert len(document["ties"]) == 2
    assert document["scorecard_before"] is None and document["scorecard_after"] is None
