"""The knowledge graphs: SHACL-valid, background and inference kept apart, the responsibility chain."""
from __future__ import annotations

import pytest

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from policykg.cli import main
from policykg.loader.reasoning import infer
from policykg.ontology import validate_shapes
from policykg.ontology.namespaces import PKG, PREFIXES

PROLOGUE = "".join(f"PREFIX {p}: <{i}>\n" for p, i in PREFIXES.items())


@pytest.mark.slow
def test_full_graph_conforms_to_the_shapes(built):
    data = Graph()
    for name in ("document", "statements", "interpretation", "background", "inferred"):
        data += built.graphs[name]
    report = validate_shapes(data)
    assert report.conforms, report.text[:3000]


def test_background_is_kept_out_of_the_statements_graph(built):
    statements, background = built.graphs["statements"], built.graphs["background"]
    assert len(background) > 50
    plain = [(s, p, o) for s, p, o in background if str(p).startswith(str(PKG)) or p == URIRef(
        "http://www.w3.org/2000/01/rdf-schema#subClassOf")]
    assert plain
    for triple in plain:
        assert triple not in statements, f"background fact also asserted as policy: {triple}"
    # each background fact cites a regulation by name and article
    facts = list(background.subjects(RDF.type, RDF.Statement))
    assert len(facts) >= 5
    for f in facts:
        citation = str(background.value(f, DCTERMS.bibliographicCitation))
        assert citation.startswith("《") and "第" in citation and "条" in citation, citation
        assert background.value(f, DCTERMS.source) is not None


def test_inferred_graph_holds_only_new_triples(built):
    inferred = built.graphs["inferred"]
    assert len(inferred) > 500
    for name in ("ontology", "document", "statements"):
        assert not (set(inferred) & set(built.graphs[name])), name


def test_each_triple_is_stored_in_one_graph_so_the_union_is_a_set(built):
    named = {str(g.identifier): set(g) for g in built.dataset.graphs() if len(g)}
    assert len(named) == 6
    seen: dict = {}
    for name, triples in named.items():
        for triple in triples:
            assert triple not in seen, f"{triple} is in {seen[triple]} and {name}"
            seen[triple] = name
    # The background fact that restates an ontology axiom keeps its citation; the triple is the ontology's.
    axiom = (PKG.ResidentsCommittee, RDFS.subClassOf, PKG.SelfGoverningOrganization)
    assert axiom in built.graphs["ontology"] and axiom not in built.graphs["background"]
    fact = next(built.graphs["background"].subjects(RDF.object, PKG.SelfGoverningOrganization))
    assert (fact, RDF.subject, PKG.ResidentsCommittee) in built.graphs["background"]
    assert built.graphs["background"].value(fact, DCTERMS.source) is not None


def test_inferred_graph_does_not_rest_on_background(built):
    graphs = {k: v for k, v in built.graphs.items() if k != "inferred"}
    without = dict(graphs)
    without["background"] = Graph()
    assert set(infer(graphs)) == set(infer(without))


def test_reasoner_materialises_inverses_hierarchy_and_chains(built):
    g = built.graphs["statements"] + built.graphs["inferred"]
    # sub-property: leadsAndGuides ⊑ leads, guides
    assert (PKG.CommunityPartyOrganization, PKG.leads, PKG.ResidentsCommittee) in g
    assert (PKG.CommunityPartyOrganization, PKG.guides, PKG.ResidentsCommittee) in g
    # inverse: reportsTo → receivesReportFrom
    assert (PKG.SubdistrictPartyWorkingCommittee, PKG.receivesReportFrom, PKG.CommunityPartySecretary) in g
    # symmetric
    assert (PKG.PropertyServiceCompany, PKG.coordinatesWith, PKG.CommunityPartyOrganization) in g
    # property chain: first responsible person delegates to the direct responsible person
    assert (PKG.DistrictPartySecretary, PKG.delegatesResponsibilityTo, PKG.SubdistrictPartySecretary) in g
    # class hierarchy on statement nodes
    strict = next(built.graphs["statements"].subjects(RDF.type, PKG.StrictObligation))
    assert (strict, RDF.type, PKG.Obligation) in g and (strict, RDF.type, PKG.PolicyStatement) in g


CHAIN = """
ASK { pkg:DistrictPartySecretary (pkg:isFirstResponsiblePersonFor|^pkg:isDirectResponsiblePersonFor|pkg:heads
      |^pkg:reportsTo|pkg:hasForm|pkg:setsUp)+ %s }"""
CHAIN_INFERRED = PROLOGUE + "ASK { pkg:DistrictPartySecretary pkg:responsibilityFlowsTo pkg:CommunityPartyOrganization }"


def test_responsibility_chain_holds_over_asserted_and_inferred_links(built):
    asserted = built.graphs["statements"]
    assert asserted.query(PROLOGUE + CHAIN % "pkg:CommunityPartyOrganization").askAnswer
    assert (asserted + built.graphs["inferred"]).query(CHAIN_INFERRED).askAnswer
    # The text does not say that the general branch and the committee are forms of the community
    # Party organization (art. 3 only permits setting them up): that link is a reading, so the
    # chain reaches the branches they set up only with the interpretation graph.
    assert not asserted.query(PROLOGUE + CHAIN % "pkg:CommunityPartyBranch").askAnswer
    assert (asserted + built.graphs["interpretation"]).query(PROLOGUE + CHAIN % "pkg:CommunityPartyBranch").askAnswer


def test_no_link_the_policy_does_not_state(built):
    g = built.graphs["statements"] + built.graphs["inferred"]
    # the policy never says the subdistrict working committee leads the community Party organization
    for p in (PKG.leads, PKG.hasLeadershipRelationTo, PKG.leadsAndGuides, PKG.guides):
        assert (PKG.SubdistrictPartyWorkingCommittee, p, PKG.CommunityPartyOrganization) not in g
    # nor that the district committee leads the subdistrict working committee (that is background only)
    assert (PKG.DistrictPartyCommittee, PKG.leads, PKG.SubdistrictPartyWorkingCommittee) not in g
    assert (PKG.DistrictPartyCommittee, PKG.leads, PKG.SubdistrictPartyWorkingCommittee) in built.graphs["background"]


@pytest.mark.slow
def test_build_reports_asserted_and_inferred_counts(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path / "x.trig")]) == 0
    out = capsys.readouterr().out
    assert "asserted" in out and "inferred" in out
