"""The bounds of the chain search (issue 21): a chain of exactly ``max_length`` hops is found, one
hop longer is not; ``limit`` keeps that many chains, shortest first; ``downstream`` stops at its
cutoff; the named questions pass their ``max_length`` through. The expectations come from a plain
enumeration of the responsibility graph's edges written here, not from the code under test."""
from __future__ import annotations

from collections import deque

import networkx as nx
import pytest

from policykg.queries.chains import DEFAULT_MAX_LENGTH, MAX_CHAINS, ActorGraph

from policykg.queries.library import INTERPRETED_LABEL, get_query, run_query

PKG = "https://w3id.org/policykg/def/"
DISTRICT = PKG + "DistrictPartySecretary"


@pytest.fixture(scope="module")
def graph(store, resolver):
    return ActorGraph.build(store, resolver)


def successors(graph) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a, b in graph.responsibility.edges():
        out.setdefault(a, set()).add(b)
    return out


def simple_paths(graph, source: str, target: str, hops: int) -> set[tuple[str, ...]]:
    """Every simple path source → target of at most ``hops`` edges (depth-first, bounded)."""
    nxt, found, stack = successors(graph), set(), [(source,)]
    while stack:
        path = stack.pop()
        for b in sorted(nxt.get(path[-1], ())):
            if b in path or len(path) > hops:
                continue
            if b == target:
                found.add(path + (b,))
            else:
                stack.append(path + (b,))
    return found


def distances(graph, source: str, cutoff: int | None = None) -> dict[str, int]:
    nxt, seen, queue = successors(graph), {source: 0}, deque([source])
    while queue:
        a = queue.popleft()
        if cutoff is not None and seen[a] >= cutoff:
            continue
        for b in nxt.get(a, ()):
            if b not in seen:
                seen[b] = seen[a] + 1
                queue.append(b)
    return seen


@pytest.fixture(scope="module")
def far_pair(graph):
    """A pair three hops or more apart with a chain one hop longer than the shortest too."""
    for a in sorted(graph.responsibility):
        for b, d in sorted(distances(graph, a).items()):
            if d >= 3 and any(len(p) - 1 == d + 1 for p in simple_paths(graph, a, b, d + 1)):
                return a, b, d
    pytest.fail("the responsibility graph has no pair three hops apart with a longer chain")


def test_a_chain_of_exactly_max_length_is_found_and_one_hop_more_is_not(graph, far_pair):
    a, b, d = far_pair
    assert graph.chains(a, b, d - 1) == []
    for hops in (d, d + 1):
        found = graph.chains(a, b, hops)
        assert {tuple(p) for p in found} == simple_paths(graph, a, b, hops)
        assert max(len(p) - 1 for p in found) == hops


def test_chains_come_shortest_first_then_by_label_and_limit_keeps_that_many(graph, far_pair):
    a, b, d = far_pair
    every = graph.chains(a, b, d + 1)
    assert len(every) >= 2
    assert every == sorted(every, key=lambda p: (len(p), [graph.label(n) for n in p]))
    assert len(every[0]) - 1 == d
    for limit in (1, len(every) - 1, len(every), len(every) + 1):
        assert graph.chains(a, b, d + 1, limit=limit) == every[:limit]
    assert MAX_CHAINS >= 100 and DEFAULT_MAX_LENGTH == 8


def test_no_chain_from_an_actor_to_itself_or_from_one_outside_the_graph(graph):
    assert graph.chains(DISTRICT, DISTRICT) == []
    assert graph.chains(PKG + "NoSuchActor", DISTRICT) == []
    assert graph.chains(DISTRICT, PKG + "NoSuchActor") == []
    assert graph.downstream(PKG + "NoSuchActor") == []
    assert graph.reachable(PKG + "NoSuchActor") == set()


def test_each_hop_is_a_row_with_its_chain_step_and_statement(graph, far_pair):
    a, b, d = far_pair
    paths = graph.chains(a, b, d + 1)[:2]
    rows = graph.chain_rows(paths)
    expected = []
    for number, path in enumerate(paths, start=1):
        for step, (x, y) in enumerate(zip(path, path[1:]), start=1):
            expected += [(number, len(path) - 1, step, x, y)] * len(graph.responsibility.get_edge_data(x, y))
    assert [(r["chain"], r["length"], r["step"], r["source"], r["target"]) for r in rows] == expected
    for row in rows:
        path = paths[row["chain"] - 1]
        assert row["path"] == " → ".join(graph.label(n) for n in path)
        assert row["source_label"] == graph.label(row["source"]) and row["target_label"] == graph.label(row["target"])
        assert row["clause"] and row["quote"] and row["statement"] and row["relation_label"]
        assert row["clause_label"].startswith(f"第{row['article']}条")
        why = graph.inferences.get((row["source"], row["target"]))
        assert row["inference"] == (why["inference"] if why else None)
        assert row["inference_rule"] == (why["rule"] if why else None)


def test_some_hops_are_justified_by_an_inference_and_cite_what_it_rests_on(graph):
    rows = graph.chain_rows(graph.chains(DISTRICT, PKG + "SubdistrictPartySecretary", 4))
    justified = [r for r in rows if r["inference"]]
    assert justified, "the hops of art. 20 are inferred flows of responsibility"
    for row in justified:
        why = row["justification"]
        assert why["rule"] == row["inference_rule"] and why["statements"]
        assert all(s["clause"] and s["quote"] for s in why["statements"])
        assert len({s["statement"] for s in why["statements"]}) == len(why["statements"])


@pytest.mark.parametrize("cutoff", [1, 2, None])
def test_downstream_stops_at_its_cutoff_nearest_first(graph, cutoff):
    expected = {n: d for n, d in distances(graph, DISTRICT, cutoff).items() if n != DISTRICT}
    rows = graph.downstream(DISTRICT, cutoff)
    assert {r["actor"]: r["distance"] for r in rows} == expected
    assert len(rows) == len(expected)
    assert [r["distance"] for r in rows] == sorted(r["distance"] for r in rows)
    if cutoff is None:
        assert max(expected.values()) >= 3
    full = distances(graph, DISTRICT)
    for row in rows:
        assert row["from"] in graph.responsibility.predecessors(row["actor"])
        assert full[row["from"]] == row["distance"] - 1
        assert row["from_label"] == graph.label(row["from"])
        # the edge that reaches it: the first by clause, then statement, of those from its predecessor
        first = min(graph.responsibility.get_edge_data(row["from"], row["actor"]).values(),
                    key=lambda d: (d["clause"], d["statement"]))
        assert (row["statement"], row["clause"], row["relation"]) == (first["statement"], first["clause"],
                                                                      first["relation"])
        assert len(row["path"].split(" → ")) == row["distance"] + 1
        assert row["path"].startswith(graph.label(DISTRICT)) and row["path"].endswith(row["actor_label"])
        assert row["clause"] and row["quote"] and row["statement"] and row["relation_label"]
        assert row["clause_label"].startswith(f"第{row['article']}条")   # 第20条, 第4条第(3)项


def test_the_named_questions_pass_max_length_through(store, resolver, graph, far_pair):
    a, b, d = far_pair

    def chain(**extra):
        rows = run_query(get_query("responsibility_chain"), store, {"from": a, "to": b, **extra}, resolver,
                         resolver.clauses)["rows"]
        return {(r["chain"], r["length"]) for r in rows}

    assert chain(max_length=str(d - 1)) == set()
    assert {length for _, length in chain(max_length=str(d))} == {d}
    assert chain() == {(r["chain"], r["length"]) for r in graph.chain_rows(graph.chains(a, b, DEFAULT_MAX_LENGTH))}
    near = run_query(get_query("downstream"), store, {"actor": DISTRICT, "max_length": "1"}, resolver,
                     resolver.clauses)["rows"]
    assert near and {r["distance"] for r in near} == {1}
    every = run_query(get_query("downstream"), store, {"actor": DISTRICT}, resolver, resolver.clauses)["rows"]
    assert len(every) == len(distances(graph, DISTRICT)) - 1


def test_the_enumeration_of_chains_is_bounded_on_a_large_graph():
    # source → 101 → 101 → target: 10,201 chains of three hops; at most 10,000 are enumerated, so a
    # large graph cannot make one question run away
    g = nx.MultiDiGraph()
    middle = [[f"urn:x:{layer}:{i}" for i in range(101)] for layer in (1, 2)]
    g.add_edges_from(("urn:x:source", a) for a in middle[0])
    g.add_edges_from((a, b) for a in middle[0] for b in middle[1])
    g.add_edges_from((b, "urn:x:target") for b in middle[1])
    big = ActorGraph(g.copy(), g)
    found = big.chains("urn:x:source", "urn:x:target", 3, limit=20_000)
    assert len(found) == 10_000 and all(len(p) == 4 for p in found)
    assert big.chains("urn:x:source", "urn:x:target", 2, limit=20_000) == []


def test_every_inferred_flow_of_responsibility_is_justified_once(store, graph):
    rows = store.select(f"SELECT DISTINCT ?a ?b WHERE {{ ?a <{PKG}responsibilityFlowsTo> ?b }}")
    pairs = {(row["a"].value, row["b"].value) for row in rows}
    assert pairs and set(graph.inferences) == pairs
    for why in graph.inferences.values():
        assert why["inference"] and why["rule"] and why["statements"] and why["axioms"]
        assert len({s["statement"] for s in why["statements"]}) == len(why["statements"])
        assert len(set(why["axioms"])) == len(why["axioms"])
        assert all(s["clause"] and s["quote"] and s["article"] and s["clause_label"] for s in why["statements"])


def test_a_hop_that_rests_on_a_reading_is_labelled_so_and_only_such_a_hop(graph):
    rows = graph.chain_rows(graph.chains(DISTRICT, PKG + "CommunityGeneralPartyBranch", 6))
    readings = [row for row in rows if row["interpreted"]]
    assert readings and len(readings) < len(rows)     # the forms of art. 3 are a reading; art. 20 is stated
    for row in rows:
        stated = graph.responsibility.get_edge_data(row["source"], row["target"])
        assert row["interpreted"] == any(d["interpreted"] for d in stated.values() if d["statement"] == row["statement"])
        assert row["interpreted_label"] == (INTERPRETED_LABEL if row["interpreted"] else None)
