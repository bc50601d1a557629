"""Shared helpers for the ontology tests: the ontology graph, term sets and small sample graphs."""
from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from policykg.ontology import ontology_graph
from policykg.ontology.namespaces import PKG_URI

DOC = "https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/"
TASK = "https://w3id.org/policykg/id/task/urban-community-party-building"

PREFIXES = """
@prefix pkg: <https://w3id.org/policykg/def/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix doc: <https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/> .
@prefix st: <https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/> .
"""


def pkg(name: str) -> URIRef:
    return URIRef(PKG_URI + name)


def own_terms(graph: Graph, rdf_type: URIRef | None = None) -> set[URIRef]:
    """Terms in the pkg namespace typed in the graph (optionally with a given type)."""
    return {s for s in graph.subjects(RDF.type, rdf_type) if isinstance(s, URIRef) and str(s).startswith(PKG_URI)
            and str(s) != PKG_URI}


def own_classes(graph: Graph) -> set[URIRef]:
    return own_terms(graph, OWL.Class)


def own_properties(graph: Graph) -> set[URIRef]:
    return own_terms(graph, OWL.ObjectProperty) | own_terms(graph, OWL.DatatypeProperty) | \
        own_terms(graph, OWL.AnnotationProperty)


def own_concepts(graph: Graph) -> set[URIRef]:
    return own_terms(graph, SKOS.Concept)


def superclasses(graph: Graph, cls: URIRef) -> set[URIRef]:
    from rdflib.namespace import RDFS
    return set(graph.transitive_objects(cls, RDFS.subClassOf)) - {cls}


def superproperties(graph: Graph, prop: URIRef) -> set[URIRef]:
    from rdflib.namespace import RDFS
    return set(graph.transitive_objects(prop, RDFS.subPropertyOf)) - {prop}


# Type-level statements as the statements graph asserts them (punned class IRIs), following the
# policy: art. 20 (first/direct responsible person), art. 8 (述职 in two directions), art. 3 (forms
# and branches), art. 5 (leadership verbs, coordination), art. 12 (dual management, 编入).
PUNNED_SAMPLE = PREFIXES + f"""
<{TASK}> a pkg:Task ; rdfs:label "城市社区党组织建设"@zh , "urban community Party building"@en .
pkg:DistrictPartySecretary pkg:isFirstResponsiblePersonFor <{TASK}> .
pkg:SubdistrictPartySecretary pkg:isDirectResponsiblePersonFor <{TASK}> ; pkg:heads pkg:SubdistrictPartyWorkingCommittee .
pkg:CommunityPartySecretary pkg:reportsTo pkg:SubdistrictPartyWorkingCommittee , pkg:PartyMember , pkg:Resident ;
    pkg:heads pkg:CommunityPartyOrganization .
pkg:CommunityPartyOrganization pkg:hasForm pkg:CommunityPartyCommittee , pkg:CommunityGeneralPartyBranch , pkg:CommunityPartyBranch ;
    pkg:isLeadershipCoreOf pkg:UrbanCommunity ;
    pkg:leadsAndGuides pkg:ResidentsCommittee ; pkg:supportsAndGuarantees pkg:ResidentsCommittee ;
    pkg:activelyLeads pkg:CommunityWorkstation ; pkg:politicallyLeads pkg:SocialOrganization ; pkg:guides pkg:SocialOrganization ;
    pkg:jointlyManages pkg:InServicePartyMember ; pkg:manages pkg:CommunityRegisteredPartyMember ;
    pkg:participatesIn pkg:CoordinationMechanism ; pkg:coordinatesWith pkg:HomeownersCommittee .
pkg:WorkUnitPartyOrganization pkg:jointlyManages pkg:InServicePartyMember .
pkg:CommunityGeneralPartyBranch pkg:setsUp pkg:CommunityPartyBranch .
pkg:CommunityPartyCommittee pkg:setsUp pkg:CommunityPartyBranch .
pkg:CommunityPartyBranch pkg:hasPartyMember pkg:CommunityRegisteredPartyMember .
pkg:CommunityManagementServiceCentre pkg:setsUp pkg:ResidentsCommittee .
pkg:ResidentsCommittee pkg:correspondsTo pkg:CommunityPartyOrganization .
pkg:UnitInArea pkg:heedsOpinionsOf pkg:SubdistrictPartyWorkingCommittee , pkg:CommunityPartyOrganization .
pkg:MunicipalFinance pkg:bearsCostShareOf pkg:CommunityPartyOrganization .
pkg:DistrictFinance pkg:funds pkg:CommunityPartyOrganization .
pkg:PartyLeadingCadre pkg:contacts pkg:UrbanCommunity .
pkg:HigherLevelUnit pkg:entrusts pkg:UrbanCommunity .
"""

# A complete norm (art. 19: 150 yuan per member per year, in principle, from 2011) and a relation
# statement with its plain triple: the "good" sample for the SHACL shapes.
GOOD_STATEMENTS = PREFIXES + """
st:n1 a pkg:Norm , pkg:ObligationInPrinciple ;
    rdfs:label "社区党组织活动经费原则上按每名党员每年不低于150元划拨"@zh , "Activity funds of at least 150 yuan per member per year"@en ;
    pkg:bearer pkg:DistrictFinance ; pkg:modality pkg:ObligationInPrinciple ; pkg:modalMarker "原则上" ;
    pkg:action pkg:actionAllocateFunds ; pkg:normObject pkg:CommunityPartyOrganization ; pkg:topic pkg:topicFunding ;
    pkg:hasConstraint <https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/n1#c1> ;
    pkg:startDate <https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/n1#start> ;
    prov:wasDerivedFrom doc:art\\/19 ;
    oa:hasTarget <https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/n1#target> .
<https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/n1#start> a time:Instant ;
    time:inXSDgYear "2011"^^xsd:gYear .
<https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/n1#c1> a pkg:NumericConstraint ;
    odrl:leftOperand pkg:leftOperandAmount ; odrl:operator odrl:gteq ; odrl:rightOperand "150"^^xsd:decimal ;
    odrl:unit pkg:unitYuan ; pkg:perPeriod pkg:periodYear ; pkg:perBasis pkg:CommunityRegisteredPartyMember ;
    pkg:valueText "每名党员每年不低于150元" .
<https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/n1#target> a oa:SpecificResource ;
    oa:hasSource doc:zh ;
    oa:hasSelector <https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/n1#quote> ,
                   <https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/n1#position> .
<https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/n1#quote> a oa:TextQuoteSelector ;
    oa:exact "原则上按党的组织关系隶属于社区党组织的每名党员每年不低于150元的标准划拨" .
<https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/n1#position> a oa:TextPositionSelector ;
    oa:start 4100 ; oa:end 4139 .

st:r1 a pkg:RelationStatement ;
    rdf:subject pkg:CommunityPartyOrganization ; rdf:predicate pkg:leadsAndGuides ; rdf:object pkg:ResidentsCommittee ;
    pkg:modality pkg:Obligation ; pkg:modalMarker "要" ;
    rdfs:label "社区党组织领导和指导社区居民委员会"@zh , "The community Party organization leads and guides the residents' committee"@en ;
    prov:wasDerivedFrom doc:art\\/5 ;
    oa:hasTarget <https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/r1#target> .
<https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/r1#target> a oa:SpecificResource ;
    oa:hasSource doc:zh ;
    oa:hasSelector <https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/r1#quote> .
<https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/r1#quote> a oa:TextQuoteSelector ;
    oa:exact "社区党组织要切实加强对社区居民委员会的领导和指导" .
pkg:CommunityPartyOrganization pkg:leadsAndGuides pkg:ResidentsCommittee .
"""


def parse(turtle: str) -> Graph:
    graph = Graph()
    graph.parse(data=turtle, format="turtle")
    return graph


def ontology_plus(turtle: str) -> Graph:
    graph = ontology_graph()
    graph.parse(data=turtle, format="turtle")
    return graph
