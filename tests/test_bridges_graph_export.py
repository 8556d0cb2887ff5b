"""GEXF and GraphML export of one country pair (``bridges export --pair KHM USA --to net.gexf``),
read back with networkx, on a registry built here with hand-known actors and ties:

    KHM  Phnom Penh (12 Phnom Penh)  --t1 sister_city [culture] 2007-01-01 --  Long Beach (CA)  USA
    KHM  Phnom Penh                  --t2 cultural_exchange, ended 2010-2012 -- Long Beach   USA
    KHM  Battambang (02 Battambang)  --t3 sister_city [education|culture] -- Lowell (MA)     USA
    KHM  RUPP (university)           --t4 academic_partnership ------------ Sorbonne        FRA
    USA  Lowell                      --t5 sister_city --------------------- Lyon            FRA
    USA  Seattle: no tie

So the KHM–USA graph has 4 nodes (Phnom Penh, Long Beach, Battambang, Lowell) and 3 edges (two of
them parallel, between Phnom Penh and Long Beach); RUPP, the French actors and Seattle are out.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import networkx as nx
import pytest
from sqlalchemy import update

from tracktwo import InputError
from tracktwo.bridges import Actor, Registry, add_actor, add_tie, export_registry

# name -> country, kind, admin1 code, admin1 name
ACTORS = {
    "Phnom Penh": ("KHM", "city", "12", "Phnom Penh"),
    "Battambang": ("KHM", "city", "02", "Battambang"),
    "RUPP": ("KHM", "university", None, None),
    "Long Beach": ("USA", "city", "CA", "California"),
    "Lowell": ("USA", "city", "MA", "Massachusetts"),
    "Seattle": ("USA", "city", "WA", "Washington"),
    "Sorbonne": ("FRA", "university", None, None),
    "Lyon": ("FRA", "city", "84", None),
}
PAIR_ACTORS = {"Phnom Penh", "Long Beach", "Battambang", "Lowell"}


def build(registry: Registry) -> tuple[dict[str, int], dict[str, int]]:
    """The registry of the module docstring; returns actor ids by name and tie ids by label."""
    ids: dict[str, int] = {}
    for name, (country, kind, code, region) in ACTORS.items():
        ids[name] = add_actor(registry, name=name, country=country, kind=kind)["id"]
        with registry.session() as session:  # admin1 is set by the place loaders, not by hand
            session.execute(update(Actor).where(Actor.id == ids[name])
                            .values(admin1=code, admin1_name=region))  # fmt: skip
    ties = {
        "t1": add_tie(registry, ids["Phnom Penh"], ids["Long Beach"], "sister_city",
                      areas=["culture"], start_date=date(2007, 1, 1)),
        "t2": add_tie(registry, ids["Long Beach"], ids["Phnom Penh"], "cultural_exchange",
                      status="ended", start_date=date(2010, 3, 1), end_date=date(2012, 6, 30)),
        "t3": add_tie(registry, ids["Battambang"], ids["Lowell"], "sister_city",
                      areas=["education", "culture"]),
        "t4": add_tie(registry, ids["RUPP"], ids["Sorbonne"], "academic_partnership"),
        "t5": add_tie(registry, ids["Lowell"], ids["Lyon"], "sister_city"),
    }  # fmt: skip
    return ids, {label: row["id"] for label, row in ties.items()}


def read(path: Path) -> nx.MultiGraph:
    if path.suffix == ".gexf":
        return nx.read_gexf(path, node_type=int)
    return nx.read_graphml(path, node_type=int, force_multigraph=True)


def edges_by_tie(graph: nx.MultiGraph) -> dict[int, tuple[set[int], dict[str, object]]]:
    return {int(data["tie_id"]): ({u, v}, data) for u, v, data in graph.edges(data=True)}


@pytest.mark.parametrize("suffix", [".gexf", ".graphml"])
def test_pair_graph_round_trips(registry: Registry, tmp_path: Path, suffix: str) -> None:
    ids, ties = build(registry)
    path = tmp_path / f"net{suffix}"
    counts = export_registry(registry, path, suffix[1:], pair=("KH", "United States"))
    assert counts == {"actors": 4, "ties": 3}
    graph = read(path)
    assert set(graph.nodes) == {ids[name] for name in PAIR_ACTORS}
    for name in PAIR_ACTORS:  # RUPP, Sorbonne, Lyon and Seattle are not nodes
        country, kind, code, region = ACTORS[name]
        node = graph.nodes[ids[name]]
        assert (node["label"], node["country"], node["kind"]) == (name, country, kind)
        assert (node["admin1"], node["admin1_name"]) == (code, region)
    edges = edges_by_tie(graph)
    assert set(edges) == {ties["t1"], ties["t2"], ties["t3"]}
    ends, t1 = edges[ties["t1"]]
    assert ends == {ids["Phnom Penh"], ids["Long Beach"]}
    assert (t1["channel"], t1["status"], t1["areas"], t1["start_date"]) == (
        "sister_city", "active", "culture", "2007-01-01",
    )  # fmt: skip
    assert "end_date" not in t1  # no end: no attribute (GEXF has no null)
    ends, t2 = edges[ties["t2"]]
    assert ends == {ids["Phnom Penh"], ids["Long Beach"]}  # a parallel edge, kept apart
    assert (t2["channel"], t2["status"], t2["start_date"], t2["end_date"]) == (
        "cultural_exchange", "ended", "2010-03-01", "2012-06-30",
    )  # fmt: skip
    assert edges[ties["t3"]][1]["areas"] == "education|culture"


def test_gexf_edge_ids_are_tie_ids(registry: Registry, tmp_path: Path) -> None:
    _, ties = build(registry)
    export_registry(registry, tmp_path / "net.gexf", "gexf", pair=("KHM", "USA"))
    graph = nx.read_gexf(tmp_path / "net.gexf")
    assert {str(data["id"]) for *_, data in graph.edges(data=True)} == {
        str(ties[t]) for t in ("t1", "t2", "t3")
    }


def test_whole_registry_graph_is_unchanged(registry: Registry, tmp_path: Path) -> None:
    # without a pair: every actor, tie or not (Seattle included), and every tie
    ids, ties = build(registry)
    export_registry(registry, tmp_path / "all.graphml", "graphml")
    graph = read(tmp_path / "all.graphml")
    assert set(graph.nodes) == set(ids.values())
    assert set(edges_by_tie(graph)) == set(ties.values())


def test_pair_only_for_graphs_and_known_countries(registry: Registry, tmp_path: Path) -> None:
    build(registry)
    with pytest.raises(InputError, match=r"a pair is exported as a graph only \(gexf, graphml\)"):
        export_registry(registry, tmp_path / "x.json", "json", pair=("KHM", "USA"))
    with pytest.raises(InputError, match="XXX"):
        export_registry(registry, tmp_path / "x.gexf", "gexf", pair=("KHM", "XXX"))
    assert not list(tmp_path.glob("x.*"))


COMMAND = [sys.executable, "-c", "from tracktwo.cli import main; main()"]


def test_command_pair_to_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Registry(home=home) as registry:
        ids, _ = build(registry)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*COMMAND, "--home", str(home), "bridges", "export", *args],
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    out = tmp_path / "net.gexf"
    done = run("--pair", "KHM", "USA", "--to", str(out), "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"table": "actors", "rows": 4}, {"table": "ties", "rows": 3}]
    assert set(read(out).nodes) == {ids[name] for name in PAIR_ACTORS}
    # the older form, PATH --to FORMAT, still works
    old = run(str(tmp_path / "all.graphml"), "--to", "graphml", "-f", "json")
    assert old.returncode == 0, old.stderr
    assert json.loads(old.stdout)[0] == {"table": "actors", "rows": len(ACTORS)}
    bad = run("--to", str(tmp_path / "net.xlsx"))
    assert bad.returncode == 2 and "--to" in bad.stderr and ".gexf" in bad.stderr
    assert "Traceback" not in bad.stderr
