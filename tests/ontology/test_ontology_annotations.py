"""Every term is labelled and defined in Chinese and English, says where it is defined, links to the
clause that defines it where the policy does, and carries the short forms users type."""
from __future__ import annotations

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ontology_support import DOC, own_terms, pkg
from policykg.ontology import ONTOLOGY_IRI, ontology_graph
from policykg.ontology.namespaces import PKG_URI

DEFINED_IN = pkg("definedInClause")


@pytest.fixture(scope="module")
def g():
    return ontology_graph()


def _langs(g, term, prop):
    return {o.language for o in g.objects(term, prop) if isinstance(o, Literal)}


def test_every_term_has_zh_and_en_labels_and_definitions(g):
    terms = own_terms(g)
    assert len(terms) > 250
    missing = []
    for term in sorted(terms):
        for prop in (RDFS.label, SKOS.definition):
            if not {"zh", "en"} <= _langs(g, term, prop):
                missing.append((str(term), str(prop)))
        if (term, RDFS.isDefinedBy, URIRef(ONTOLOGY_IRI)) not in g:
            missing.append((str(term), "rdfs:isDefinedBy"))
    assert missing == []


@pytest.mark.parametrize("group", ["classes and properties", "concepts and schemes"])
def test_labels_are_unique_per_language_within_a_group(g, group):
    if group == "classes and properties":
        terms = own_terms(g, OWL.Class) | own_terms(g, OWL.ObjectProperty) | own_terms(g, OWL.DatatypeProperty)
    else:
        terms = (own_terms(g, SKOS.Concept) | own_terms(g, SKOS.ConceptScheme)) - own_terms(g, OWL.Class)
    for lang in ("zh", "en"):
        seen = {}
        for term in terms:
            for label in g.objects(term, RDFS.label):
                if label.language == lang:
                    assert str(label) not in seen, (label, term, seen.get(str(label)))
                    seen[str(label)] = term


def test_every_domain_range_inverse_and_parent_refers_to_a_defined_term(g):
    defined = {s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef)}
    defined |= {OWL.Thing, RDF.PlainLiteral, RDF.langString}
    for prop in (RDFS.domain, RDFS.range, OWL.inverseOf, RDFS.subClassOf, RDFS.subPropertyOf, OWL.disjointWith):
        for subject, value in g.subject_objects(prop):
            if str(subject).startswith(PKG_URI) and isinstance(value, URIRef):
                if str(value).startswith("http://www.w3.org/2001/XMLSchema#"):
                    continue  # datatypes
                assert value in defined, (subject, prop, value)


@pytest.mark.parametrize("name, clause", [
    ("ResidentsCommittee", "art/5"),          # 社区居民委员会是……自治组织
    ("CommunityWorkstation", "art/5"),        # 社区工作站是社区行政事务的专业服务机构
    ("SocialOrganization", "art/5"),          # 社区各类社会组织是……公益性、服务性、互助性组织
    ("CommunityPartyOrganization", "art/5"),  # 社区党组织是……领导核心
    ("isLeadershipCoreOf", "art/5"),
    ("isFirstResponsiblePersonFor", "art/20"),
    ("isDirectResponsiblePersonFor", "art/20"),
    ("jointlyManages", "art/12"),
    ("reportsTo", "art/8"),
    ("heedsOpinionsOf", "art/17"),
    ("letsDeliberateFirst", "art/21"),
])
def test_terms_the_policy_defines_link_to_their_clause(g, name, clause):
    assert (pkg(name), DEFINED_IN, URIRef(DOC + clause)) in g


def test_definitions_of_policy_defined_terms_follow_the_policy(g):
    def zh(name):
        return " ".join(str(d) for d in g.objects(pkg(name), SKOS.definition) if d.language == "zh")
    assert "民主选举、民主决策、民主管理和民主监督" in zh("ResidentsCommittee")
    assert "社区行政事务的专业服务机构" in zh("CommunityWorkstation")
    assert "公益性、服务性、互助性" in zh("SocialOrganization")
    assert "领导核心" in zh("CommunityPartyOrganization")


def test_clause_links_point_into_the_bundled_document(g):
    links = list(g.objects(None, DEFINED_IN))
    assert len(links) > 50
    for link in links:
        assert str(link).startswith(DOC), link
        path = str(link)[len(DOC):]
        assert path.startswith(("art/", "signature", "imprint", "preamble", "closing")), link
        if path.startswith("art/"):
            assert 1 <= int(path.split("/")[1]) <= 22


@pytest.mark.parametrize("short, name", [
    ("居委会", "ResidentsCommittee"), ("业委会", "HomeownersCommittee"), ("物业", "PropertyServiceCompany"),
    ("物业公司", "PropertyServiceCompany"), ("党总支", "CommunityGeneralPartyBranch"), ("党委", "CommunityPartyCommittee"),
    ("党支部", "CommunityPartyBranch"), ("工作站", "CommunityWorkstation"), ("党工委", "SubdistrictPartyWorkingCommittee"),
    ("社区书记", "CommunityPartySecretary"), ("流动党员", "IncomingFloatingPartyMember"), ("社区", "UrbanCommunity"),
    ("群众", "Resident"), ("区党委", "DistrictPartyCommittee"),
])
def test_short_forms_users_type_are_alt_labels(g, short, name):
    alts = {str(a) for a in g.objects(pkg(name), SKOS.altLabel) if a.language == "zh"}
    assert short in alts


def test_full_chinese_names_resolve_to_one_term(g):
    # The zh rdfs:label (the full name) identifies a single class.
    for name, zh in [("SubdistrictPartyWorkingCommittee", "街道党工委"), ("DistrictPartyCommittee", "区委"),
                     ("PartyMember", "党员"), ("CommunityPartySecretary", "社区党组织书记")]:
        owners = {s for s in g.subjects(RDFS.label, Literal(zh, lang="zh")) if (s, RDF.type, OWL.Class) in g}
        assert owners == {pkg(name)}
