"""Every passage is modelled (issue 14): each unit of the document — preamble, part headings and
opening paragraph, the 22 articles and their items, closing, signature, keywords, imprint — and the
web page's header are cited by at least one statement or metadata fact."""
from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import PROV, RDF

from policykg.ontology.namespaces import PKG


def test_every_unit_and_the_web_header_is_cited(built, document):
    graphs = built.graphs["statements"] + built.graphs["interpretation"] + built.graphs["document"]
    cited = set(graphs.objects(None, PROV.wasDerivedFrom)) | set(graphs.objects(None, PKG.definedInClause))
    kinds = {u.kind for u in document.units}
    assert {"preamble", "part", "article", "item", "closing", "signature", "keywords", "imprint"} <= kinds
    uncited = [u.path for u in document.units if URIRef(u.iri) not in cited]
    assert not uncited, uncited
    header = URIRef(document.expression_iri + "/web/header")
    assert header in cited


def test_metadata_facts_cite_the_unit_they_come_from(built, document):
    g = built.graphs["document"]
    facts = {}
    for node in g.subjects(RDF.type, RDF.Statement):
        facts[str(g.value(node, RDF.predicate)).rsplit("/", 1)[-1].rsplit("#", 1)[-1]] = \
            str(g.value(node, PROV.wasDerivedFrom)).rsplit("/", 1)[-1]
    assert facts["passed_by"] == "signature" and facts["date_publication"] == "imprint"
    assert facts["subject"] == "keywords" and facts["publisher_agent"] == "header"
    assert facts["webColumn"] == "header"


def test_posts_and_their_organizations_are_linked_both_ways(built):
    asserted, inferred = built.graphs["statements"], built.graphs["inferred"]
    pairs = {(PKG.WorkstationHead, PKG.heads, PKG.CommunityWorkstation),
             (PKG.ResidentsCommitteeDirector, PKG.heads, PKG.ResidentsCommittee),
             (PKG.CommunityPartySecretary, PKG.heads, PKG.CommunityPartyOrganization),
             (PKG.FullTimeCommunityStaff, PKG.isPostIn, PKG.CommunityWorkstation)}
    inverse = {PKG.heads: PKG.isHeadedBy, PKG.isPostIn: PKG.hasPostIn}
    for post, prop, org in pairs:
        assert (post, prop, org) in asserted
        assert (org, inverse[prop], post) in inferred
    # "who heads the workstation, and what must that organization do" is one query over the union
    union = asserted + built.graphs["interpretation"] + inferred
    rows = union.query("""PREFIX pkg: <https://w3id.org/policykg/def/>
        SELECT DISTINCT ?norm WHERE { pkg:WorkstationHead pkg:heads ?org . ?norm pkg:bearer ?org }""")
    assert len(rows) >= 1
