"""Chains, downstream, centrality, graph export, clauses and actors through the live REST API."""
from __future__ import annotations

import io

import networkx as nx
import requests

PKG = "https://w3id.org/policykg/def/"


def get(live_server, path, **params):
    return requests.get(live_server + path, params=params, timeout=60)


def test_chains_shortest_first_with_citations(live_server):
    body = get(live_server, "/api/chains", **{"from": "区委书记", "to": "社区党支部", "max_length": 10}).json()
    assert body["source"]["iri"] == PKG + "DistrictPartySecretary"
    assert body["target"]["iri"] == PKG + "CommunityPartyBranch"
    lengths = [c["length"] for c in body["chains"]]
    assert lengths and lengths == sorted(lengths)
    first = body["chains"][0]
    assert first["labels"][0] == "区委书记" and first["labels"][-1] == "社区党支部"
    hops = [r for r in body["rows"] if r["chain"] == 1]
    assert [r["step"] for r in hops] == list(range(1, first["length"] + 1))
    assert all(r["article"] and r["quote"] and r["clause"] for r in hops)
    shorter = get(live_server, "/api/chains", **{"from": "区委书记", "to": "社区党支部", "max_length": 3}).json()
    assert shorter["chains"] == [] and shorter["rows"] == []


def test_downstream_and_its_limit(live_server):
    everything = get(live_server, "/api/downstream", actor="街道党工委").json()["rows"]
    near = get(live_server, "/api/downstream", actor="街道党工委", max_length=1).json()["rows"]
    assert near and all(r["distance"] == 1 for r in near)
    assert {r["actor"] for r in near} < {r["actor"] for r in everything}
    assert PKG + "CommunityPartyBranch" in {r["actor"] for r in everything}


def test_centrality(live_server):
    body = get(live_server, "/api/centrality", measure="pagerank", page_size=5).json()
    assert body["measure"] == "pagerank" and body["count"] == 5 and body["truncated"] is True
    top = get(live_server, "/api/centrality", measure="out_degree").json()["rows"][0]
    assert top["actor"] == PKG + "CommunityPartyOrganization" and top["rank"] == 1


def test_graph_formats(live_server):
    cyto = get(live_server, "/api/graph", format="json").json()
    nodes, edges = cyto["elements"]["nodes"], cyto["elements"]["edges"]
    assert cyto["ok"] and nodes and edges
    graphml = get(live_server, "/api/graph", format="graphml")
    assert graphml.headers["Content-Type"].startswith("application/graphml+xml")
    g = nx.read_graphml(io.BytesIO(graphml.content), force_multigraph=True)
    assert g.number_of_nodes() == len(nodes) and g.number_of_edges() == len(edges)
    gexf = get(live_server, "/api/graph", format="gexf", scope="responsibility")
    assert gexf.headers["Content-Type"].startswith("application/gexf+xml")
    assert nx.read_gexf(io.BytesIO(gexf.content)).number_of_edges() > 0


def test_clauses_and_clause(live_server):
    body = get(live_server, "/api/clauses", kind="article").json()
    assert body["total"] == 22 and body["rows"][3]["label"] == "第4条"
    for name in ("4", "第4条", "art/4", "第四条"):
        one = get(live_server, f"/api/clauses/{name}").json()
        assert one["clause"]["path"] == "art/4" and one["count"] == 7      # the article and its 6 items
    item = get(live_server, "/api/clauses/4(3)").json()
    unit = item["clause"]
    assert unit["label"] == "第4条第(3)项" and unit["article"] == "4"
    assert unit["end"] - unit["start"] == len(unit["text"])
    assert any(s["predicate"] == PKG + "leads" for s in item["statements"])


def test_actor(live_server):
    body = get(live_server, "/api/actors/居委会").json()
    assert body["actor"]["iri"] == PKG + "ResidentsCommittee"
    assert "居委会" in body["actor"]["names"]
    directions = {(r["direction"], r["predicate"]) for r in body["rows"]}
    assert ("in", PKG + "leadsAndGuides") in directions
    assert all(r["clause"] and r["article"] for r in body["rows"])
    secretary = get(live_server, "/api/actors/社区书记").json()
    assert any("接待群众来访" in (n["quote"] or "") for n in secretary["norms"])
    by_iri = get(live_server, "/api/actors/" + PKG + "ResidentsCommittee").json()
    assert by_iri["actor"]["iri"] == PKG + "ResidentsCommittee"


def test_resolve_short_forms(live_server):
    expected = {"居委会": "ResidentsCommittee", "业委会": "HomeownersCommittee", "物业": "PropertyServiceCompany",
                "党总支": "CommunityGeneralPartyBranch", "工作站": "CommunityWorkstation",
                "街道党工委": "SubdistrictPartyWorkingCommittee", "区委": "DistrictPartyCommittee",
                "社区书记": "CommunityPartySecretary"}
    for name, term in expected.items():
        body = get(live_server, "/api/resolve", q=name).json()
        assert body["best"]["iri"] == PKG + term, name
        assert body["ambiguous"] is False
    vague = get(live_server, "/api/resolve", q="委员会").json()
    assert vague["ambiguous"] is True and vague["best"] is None and len(vague["rows"]) >= 2
    clause = get(live_server, "/api/resolve", q="第十九条", kind="clause").json()
    assert clause["best"]["path"] == "art/19"


def test_each_hop_of_a_chain_says_why_responsibility_flows_along_it(live_server):
    # Issue 14 item 6: an inferred responsibility edge is cited down to its clauses. Each hop carries the
    # inference that makes it a flow of responsibility (rule, axioms, the statements it rests on); a hop with
    # none rests on a reading (interpretation graph), which the closure over the asserted graphs never uses.
    body = get(live_server, "/api/chains", **{"from": "区委书记", "to": "社区党支部", "max_length": 10}).json()
    rows = body["rows"]
    assert rows
    for row in rows:
        why = row["justification"]
        if why is None:
            assert row["interpreted"] is True, row
            continue
        assert why["inference"].startswith("https://w3id.org/policykg/id/inference/")
        assert row["inference"] == why["inference"] and row["inference_rule"] == why["rule"]
        assert why["rule"].startswith(("prp-", "cax-", "scm-"))
        assert why["statements"] and all(s["clause"] and s["quote"] and s["statement"] for s in why["statements"])
        assert PKG + "responsibilityFlowsTo" in why["axioms"] or why["rule"] == "prp-spo1"
    first = rows[0]
    assert first["source"] == PKG + "DistrictPartySecretary"
    assert first["justification"]["rule"] == "prp-spo1"
    assert first["justification"]["axioms"] == [PKG + "isFirstResponsiblePersonFor"]
    assert [s["article"] for s in first["justification"]["statements"]] == ["20"]
    assert "第一责任人" in first["justification"]["statements"][0]["quote"]
    # the hop whose statement is upward (the secretary reports to the working committee) is read downward
    # through owl:inverseOf, and says so
    upward = [r for r in rows if r["statement"] and r["statement"].endswith(
        "a08-secretary-reports-to-subdistrict-party-working-committee")]
    assert upward and all(PKG + "reportsTo" in r["justification"]["axioms"] for r in upward)


def test_the_named_question_on_inferences_cites_the_statement_and_the_axiom(live_server):
    body = get(live_server, "/api/queries/inference_justification",
               subject="区委书记", relation="responsibilityFlowsTo", object="区委").json()
    kinds = {(r["source_kind"], r["source"]) for r in body["rows"]}
    assert ("axiom", PKG + "heads") in kinds
    cited = [r for r in body["rows"] if r["source_kind"] == "statement"]
    assert cited and all(r["article"] == "20" and r["quote"] for r in cited)
    assert {r["rule"] for r in body["rows"]} == {"prp-spo1"}
